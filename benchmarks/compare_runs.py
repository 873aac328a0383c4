"""Compare two result files variable by variable, bit for bit.

    python benchmarks/compare_runs.py A.h5 B.h5 [--ignore-attr NAME ...]

Walks every group and dataset of both HDF5 files (the root, ``events``, ``eclipses``, ...) and
reports, per dataset, whether shape, dtype and every byte agree (NaNs in the same places count as
equal: the bytes are compared, not the values). Attributes are compared too, except those that
differ between any two runs (wall times, the software build) and the dimension-scale references
(``DIMENSION_LIST``, ``REFERENCE_LIST``); ``--ignore-attr`` adds names.
Prints one line per difference and a final ``bitwise identical: N of M variables``; exit code 0
when all are identical, 1 otherwise. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import sys

import h5py
import numpy as np

#: root attributes that legitimately differ between two runs of the same scenario
VOLATILE_ATTRS = ("wall_time_s", "created", "run_wall_s", "compile_s", "node_steps_per_s", "software_version",
                  "device", "history")


def _items(f: h5py.File) -> tuple[dict[str, h5py.Dataset], dict[str, dict]]:
    datasets, attrs = {}, {"/": dict(f.attrs)}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets[name] = obj
        else:
            attrs[name] = dict(obj.attrs)
        if isinstance(obj, h5py.Dataset):
            attrs[name] = dict(obj.attrs)

    f.visititems(visit)
    return datasets, attrs


#: netCDF-4 dimension-scale bookkeeping (object references into the file, compared through the
#: datasets they point at)
REFERENCE_ATTRS = ("DIMENSION_LIST", "REFERENCE_LIST")


def _same_attr(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        return a.tolist() == b.tolist() if a.dtype.kind == "O" else a.tobytes() == b.tobytes()
    return type(a) is type(b) and a == b


def compare(path_a: str, path_b: str, ignore_attrs=VOLATILE_ATTRS, stream=sys.stdout) -> tuple[int, int]:
    """(identical datasets, all datasets); differences printed to ``stream``."""
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        da, aa = _items(fa)
        db, ab = _items(fb)
        names = sorted(set(da) | set(db))
        same = 0
        for name in names:
            if name not in da or name not in db:
                print(f"{name}: only in {'B' if name not in da else 'A'}", file=stream)
                continue
            x, y = da[name], db[name]
            if x.shape != y.shape or x.dtype != y.dtype:
                print(f"{name}: shape/dtype {x.shape} {x.dtype} vs {y.shape} {y.dtype}", file=stream)
                continue
            xa, ya = x[()], y[()]
            if isinstance(xa, np.ndarray) and xa.dtype.kind != "O":
                equal = xa.tobytes() == ya.tobytes()
            else:
                equal = np.array_equal(np.asarray(xa, dtype=object), np.asarray(ya, dtype=object))
            if equal:
                same += 1
            else:
                diff = ""
                if xa.dtype.kind == "f":
                    d = np.abs(xa.astype(np.float64) - ya.astype(np.float64))
                    diff = f" (max |diff| {np.nanmax(d):.3g}, {np.count_nonzero(xa != ya)} elements differ)"
                print(f"{name}: values differ{diff}", file=stream)
        for obj in sorted(set(aa) | set(ab)):
            a, b = aa.get(obj, {}), ab.get(obj, {})
            for key in sorted(set(a) | set(b)):
                if key in ignore_attrs or key in REFERENCE_ATTRS:
                    continue
                if key not in a or key not in b or not _same_attr(a[key], b[key]):
                    print(f"attribute {obj}@{key}: {a.get(key)!r:.80} vs {b.get(key)!r:.80}", file=stream)
    return same, len(names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--ignore-attr", action="append", default=[])
    args = parser.parse_args(argv)
    same, total = compare(args.a, args.b, ignore_attrs=(*VOLATILE_ATTRS, *args.ignore_attr))
    print(f"bitwise identical: {same} of {total} variables")
    return 0 if same == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
