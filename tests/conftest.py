"""Test set-up: float64 on, rank promotion raises, seeded randomness only (STYLE 16)."""

import os
import shutil
import tempfile

import jax
import numpy as np
import pytest

# CLI runs started by tests use one CPU device unless a test asks for more (XLA_FLAGS): the
# command line otherwise splits the CPU into one device per core (orbital_sim.cli.configure_cpu_devices).
os.environ.setdefault("ORBITAL_SIM_CPU_DEVICES", "1")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


_CACHE_ENV = "ORBITAL_SIM_COMPILATION_CACHE"  # orbital_sim.cache.CACHE_ENV (not imported: conftest stays light)


def pytest_configure(config):
    """Runs of the suite share one temporary compiled-kernel cache (orbital_sim/cache.py), made
    by the controlling process before the xdist workers start (they inherit the variable), and
    never touch the user's ~/.cache/orbital_sim. Tests of the cache set their own."""
    if _CACHE_ENV not in os.environ and not hasattr(config, "workerinput"):
        config._orbital_sim_cache = tempfile.mkdtemp(prefix="orbital_sim_test_cache_")
        os.environ[_CACHE_ENV] = config._orbital_sim_cache


def pytest_unconfigure(config):
    directory = getattr(config, "_orbital_sim_cache", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def rng():
    return np.random.default_rng(20260320)


def pytest_xdist_auto_num_workers(config):
    """``-n auto`` (pyproject addopts): one worker per core, at most 4 (each worker holds a JAX
    runtime and its compiled kernels, about 0.5-1 GB)."""
    return max(1, min(4, os.cpu_count() or 1))


def pytest_collection_modifyitems(config, items):
    has_gpu = any(d.platform == "gpu" for d in jax.devices()) if jax.default_backend() != "cpu" else False
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip)
