"""NaN-safe formulas for every kernel: one masking helper, :func:`safe_mask` (the double
``where`` of jax-md's ``safe_mask``), and the three forms the kernels use, built on it.

``jnp.where(ok, f(x), other)`` alone is not enough: where ``ok`` is false ``f(x)`` is still
evaluated, and a NaN or infinite derivative there (sqrt at 0, a division by 0) poisons the
gradient through the ``where`` (0 x inf = NaN). Feeding ``f`` a harmless placeholder where the
mask is false keeps values and gradients finite everywhere.
"""

from __future__ import annotations

import jax.numpy as jnp


def safe_mask(ok, fn, x, placeholder=1.0, otherwise=0.0):
    """``fn(x)`` where ``ok``, ``otherwise`` elsewhere; ``fn`` sees ``placeholder`` where not
    ``ok``, so values and gradients stay finite. Shapes broadcast as in ``jnp.where``."""
    return jnp.where(ok, fn(jnp.where(ok, x, placeholder)), otherwise)


def safe_sqrt(x):
    """sqrt(x) for x > 0, else 0 (gradient 0 there instead of inf)."""
    return safe_mask(x > 0, jnp.sqrt, x)


def safe_norm(x, axis=-1):
    """Euclidean norm along ``axis``; 0 with a finite gradient at x = 0."""
    sq = jnp.sum(x * x, axis=axis)
    return safe_mask(sq > 0, jnp.sqrt, sq)


def safe_unit(x, fallback, min_norm2=1e-24):
    """x / |x| along the last axis, or ``fallback`` where |x|^2 <= ``min_norm2``."""
    sq = jnp.sum(x * x, axis=-1, keepdims=True)
    return safe_mask(sq > min_norm2, lambda s: x / jnp.sqrt(s), sq, otherwise=fallback)
