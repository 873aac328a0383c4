"""Compiled kernels cached on disk: JAX's persistent compilation cache, on by default.

Where: ``$XDG_CACHE_HOME/orbital_sim``, or ``~/.cache/orbital_sim`` when ``XDG_CACHE_HOME`` is
unset or empty (the freedesktop base-directory convention); ``ORBITAL_SIM_COMPILATION_CACHE=DIR``
names another directory. Off: ``ORBITAL_SIM_COMPILATION_CACHE=off`` (or ``0``, ``no``,
``false``), or ``orbital-sim run --no-cache``. A directory that JAX was already given
(``JAX_COMPILATION_CACHE_DIR``, ``jax.config.update("jax_compilation_cache_dir", ...)``) is
kept as it is.

Size: at most :data:`CACHE_MAX_BYTES`; JAX evicts the least recently used executables beyond it.
Eviction and concurrent runs use a file lock (the ``filelock`` package, a dependency): two runs
that compile the same kernel at once write one entry, and a run never reads a half-written one.
Without ``filelock`` the size is not limited and JAX's own handling applies (a bad entry is
reported as a warning and compiled again). Clearing: delete the directory (``rm -rf
~/.cache/orbital_sim``); it is rebuilt on the next run.

An unusable directory (not creatable, not writable) gives one warning line and the run goes on
without the cache.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Mapping

__all__ = ["CACHE_ENV", "CACHE_MAX_BYTES", "cache_directory", "enable_compilation_cache"]

#: environment variable: ``off`` (``0``, ``no``, ``false``) disables the cache, a path moves it
CACHE_ENV = "ORBITAL_SIM_COMPILATION_CACHE"
_OFF = {"off", "0", "no", "false", "none"}

#: [B] the cache's size limit (least recently used entries are evicted beyond it). The default
#: scenario's executables take about 1-3 MB each; a new scenario shape adds one chunk function.
CACHE_MAX_BYTES = 2 * 2 ** 30

#: [s] compilations faster than this are not written: the fleet set-up's small functions compile
#: in 0.02-0.3 s each and load from the cache in a few ms, so they are kept too
MIN_COMPILE_TIME_S = 0.0

_warned = False


def cache_directory(environ: Mapping[str, str] | None = None) -> Path | None:
    """The cache directory the environment asks for, or None when the cache is off."""
    environ = os.environ if environ is None else environ
    choice = environ.get(CACHE_ENV, "").strip()
    if choice.lower() in _OFF:
        return None
    if choice:
        return Path(choice).expanduser()
    base = environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base).expanduser() if base and os.path.isabs(os.path.expanduser(base)) else Path.home() / ".cache"
    return root / "orbital_sim"


def _usable(directory: Path) -> str | None:
    """None if ``directory`` can be created and written, else the reason (one line)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-"):
            pass
    except OSError as err:
        return f"{err.strerror or err}" + (f": {err.filename}" if getattr(err, "filename", None) else "")
    return None


def enable_compilation_cache(environ: Mapping[str, str] | None = None, stream=None) -> Path | None:
    """Point JAX's persistent compilation cache at :func:`cache_directory` (before the first
    compilation of the process). Returns the directory in use, or None (off, unusable: then one
    warning on ``stream``, stderr by default, once per process)."""
    global _warned
    import jax

    current = jax.config.jax_compilation_cache_dir
    if current:  # the caller (or JAX_COMPILATION_CACHE_DIR) chose one: keep it
        return Path(current)
    directory = cache_directory(environ)
    if directory is None:
        return None
    reason = _usable(directory)
    if reason is not None:
        if not _warned:
            _warned = True
            print(f"orbital-sim: warning: compilation cache {directory} not usable ({reason}); running without it "
                  f"(set {CACHE_ENV}=off to turn it off, or =DIR to move it)",
                  file=stream if stream is not None else sys.stderr, flush=True)
        return None
    try:
        import filelock  # noqa: F401  (JAX locks and evicts with it)

        jax.config.update("jax_compilation_cache_max_size", CACHE_MAX_BYTES)
    except ImportError:
        pass
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_TIME_S)
    jax.config.update("jax_compilation_cache_dir", str(directory))
    return directory
