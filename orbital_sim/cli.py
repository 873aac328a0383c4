"""Command line: ``orbital-sim run | validate | info | plot``.

Exit codes: 0 success; 1 a run or file problem (output exists, disk full, unreadable result);
2 an invalid configuration or command line (every problem listed, nothing written);
130 / 143 stopped by SIGINT / SIGTERM after the current chunk (the output file keeps every
finished chunk, ``completed`` = 0; ``run --resume`` continues it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _print_err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _load(args):
    from orbital_sim.config import ConfigError, load_config

    try:
        return load_config(args.config, args.set or ())
    except ConfigError as err:
        where = args.config if args.config else "built-in default"
        if args.config and len(err.problems) == 1 and err.problems[0].startswith(f"{Path(args.config)}:"):
            _print_err(f"orbital-sim: {err.problems[0]}")  # the file itself: missing, unreadable...
            return None
        _print_err(f"orbital-sim: invalid configuration ({where}): {len(err.problems)} problem(s)")
        for line in err.problems:
            _print_err(f"  {line}")
        return None


def cmd_validate(args) -> int:
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    sim = config.simulation
    print(f"{args.config or 'built-in default'}: valid")
    print(f"  {config.n_nodes} nodes in {len(config.constellation)} constellation entries, "
          f"classes {sorted({g.class_name for g in config.constellation})}")
    print(f"  {sim.duration_s:g} s from {sim.epoch_iso}, step {sim.step_s:g} s, output every {sim.output_every_s:g} s "
          f"({sim.n_outputs} samples), propagator {sim.propagator}, {sim.dtype}")
    return EXIT_OK


def cmd_run(args) -> int:
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    from orbital_sim.config import ConfigError
    from orbital_sim.output import format_summary_table, read_summary
    from orbital_sim.runner import RunError, RunInterrupted, run

    out = Path(args.output) if args.output else Path(config.output.path)
    if args.resume and args.overwrite:
        _print_err("orbital-sim: --resume and --overwrite exclude each other (continue the file, or replace it)")
        return EXIT_USAGE
    try:
        result = run(config, out, overwrite=args.overwrite, progress=not args.quiet, resume=args.resume,
                     handle_signals=True)
    except ConfigError as err:
        _print_err(f"orbital-sim: invalid configuration: {len(err.problems)} problem(s)")
        for line in err.problems:
            _print_err(f"  {line}")
        return EXIT_USAGE
    except RunError as err:
        _print_err(f"orbital-sim: {err}")
        return EXIT_FAILURE
    except RunInterrupted as err:
        _print_err(f"orbital-sim: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        _print_err(f"orbital-sim: interrupted; {out} keeps every finished chunk (completed = 0)")
        return EXIT_INTERRUPTED
    except OSError as err:
        _print_err(f"orbital-sim: cannot write {out}: {err.strerror or err}")
        return EXIT_FAILURE
    if not args.quiet:
        written = read_summary(out)
        print(format_summary_table(written, list(written["component"]), list(written["node_class"])))
    for name, t_s, code in result.faults:
        print(f"fault: node {name} at t = {t_s:.0f} s (status {code})")
    print(f"wrote {out}: {result.nodes} nodes x {result.steps} steps in {result.wall_s:.1f} s wall "
          f"(compile + first chunk {result.compile_s:.1f} s), {result.node_steps_per_s:.3g} node-steps/s")
    return EXIT_OK


def cmd_plot(args) -> int:
    """PNG figures of a result file (orbital_sim.plots): temperatures, power, eclipses, fleet."""
    from orbital_sim import plots

    path = Path(args.file)
    if not path.is_file():
        _print_err(f"orbital-sim: cannot read {path}: no such file")
        return EXIT_FAILURE
    out_dir = Path(args.output) if args.output else path.with_name(path.stem + "_figures")
    try:
        written, skipped = plots.write_figures(path, out_dir, nodes=args.nodes, group_by=args.group_by)
    except ValueError as err:  # --nodes matching nothing, an unreadable layout
        _print_err(f"orbital-sim: {err}")
        return EXIT_USAGE
    except (OSError, KeyError) as err:
        _print_err(f"orbital-sim: cannot plot {path}: {err}")
        return EXIT_FAILURE
    for stem, reason in skipped.items():
        _print_err(f"orbital-sim: skipped {stem}.png: {reason}")
    for file in written.values():
        print(f"wrote {file}")
    return EXIT_OK if written else EXIT_FAILURE


def cmd_info(args) -> int:
    from orbital_sim.output import describe

    try:
        print(describe(args.file))
    except (OSError, KeyError, ValueError) as err:
        _print_err(f"orbital-sim: cannot read {args.file}: {err}")
        return EXIT_FAILURE
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orbital-sim",
        description="Simulate orbital compute constellations: orbits, eclipses, power and temperatures.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_run = sub.add_parser("run", help="run a scenario and write an HDF5/NetCDF-4 file")
    p_run.add_argument("config", nargs="?", help="TOML scenario (default: the built-in default scenario)")
    p_run.add_argument("-o", "--output", help="output file (default: output.path of the config)")
    p_run.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a config value, e.g. --set simulation.duration_s=3600 (repeatable)")
    p_run.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p_run.add_argument("--resume", action="store_true",
                       help="continue an unfinished output file from its last finished chunk (same config)")
    p_run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary table")
    p_run.set_defaults(func=cmd_run)

    p_val = sub.add_parser("validate", help="check a scenario and report every problem")
    p_val.add_argument("config", nargs="?", help="TOML scenario (default: the built-in default)")
    p_val.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value")
    p_val.set_defaults(func=cmd_validate)

    p_info = sub.add_parser("info", help="describe a result file and its fleet summary")
    p_info.add_argument("file", help="HDF5 result file")
    p_info.set_defaults(func=cmd_info)

    p_plot = sub.add_parser("plot", help="PNG figures of a result file: temperatures, power, eclipses, fleet")
    p_plot.add_argument("file", help="HDF5 result file")
    p_plot.add_argument("-o", "--output", metavar="DIR",
                        help="folder for the PNG files (default: FILE's name + _figures, beside it)")
    p_plot.add_argument("--nodes", nargs="+", metavar="NODE",
                        help="nodes for the per-node figures: names or wildcards such as 'shell53-p03-*' "
                             "(default: the node with the most eclipse in each constellation entry, at most 4)")
    p_plot.add_argument("--group-by", choices=("auto", "plane", "entry", "class"), default="auto",
                        help="groups of the fleet figure (default auto: by orbital plane, by entry if > 40 planes)")
    p_plot.set_defaults(func=cmd_plot)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
