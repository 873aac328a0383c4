"""Test set-up: float64 on, rank promotion raises, seeded randomness only (STYLE 16)."""

import os

import jax
import numpy as np
import pytest

# CLI runs started by tests use one CPU device unless a test asks for more (XLA_FLAGS): the
# command line otherwise splits the CPU into one device per core (orbital_sim.cli.configure_cpu_devices).
os.environ.setdefault("ORBITAL_SIM_CPU_DEVICES", "1")

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")


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
