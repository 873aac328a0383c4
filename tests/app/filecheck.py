"""Comparing result files dataset by dataset (shared by the reliability and distributed tests)."""

from __future__ import annotations

import h5py
import numpy as np


def datasets(path) -> dict[str, np.ndarray]:
    """Every dataset of the root group (data variables, summaries, coordinates), read whole."""
    with h5py.File(path, "r") as f:
        return {name: f[name][...] for name in f if isinstance(f[name], h5py.Dataset)}


def assert_identical(path_a, path_b) -> None:
    """Every dataset of the root group equal byte for byte (NaN patterns included)."""
    a, b = datasets(path_a), datasets(path_b)
    assert list(a) == list(b)
    for name in a:
        assert a[name].dtype == b[name].dtype and a[name].shape == b[name].shape, name
        if a[name].dtype.kind in "fiu":
            assert a[name].tobytes() == b[name].tobytes(), name
        else:
            assert a[name].tolist() == b[name].tolist(), name
