"""Command line: ``orbital-sim run | validate | info | plot | report | stitch | size | bench``.

Exit codes: 0 success; 1 a run or file problem (output exists, disk full, unreadable result);
2 an invalid configuration or command line (every problem listed, nothing written);
3 the run finished and wrote everything, but nodes hit a numerical fault (non-finite state, below
the surface: ``status`` in the file); a brown-out is a result, not a fault (exit 0);
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
    if config.sweep is not None:  # [sweep]: the node count above is per variant
        sw = config.sweep
        print(f"  sweep ({sw.mode}): {sw.n_variants} variants x {config.n_nodes} nodes = "
              f"{sw.n_variants * config.n_nodes} nodes in one run; "
              + "; ".join(f"{p}: {len(dict.fromkeys(map(repr, v)))} values" for p, v in zip(sw.parameters, sw.values)))
    from orbital_sim.health import config_warnings

    for warning in config_warnings(config):  # the lines `run` prints before it starts
        _print_err(f"orbital-sim: {warning}")
    return EXIT_OK


def cmd_run(args) -> int:
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    from orbital_sim.config import ConfigError
    from orbital_sim.output import format_summary_table, read_summary
    from orbital_sim.runner import RunError, RunInterrupted, run

    out = Path(args.output) if args.output else Path(config.output.path)
    if args.no_cache:  # read by orbital_sim.cache when the run starts
        import os

        from orbital_sim.cache import CACHE_ENV

        os.environ[CACHE_ENV] = "off"
    if args.resume and args.overwrite:
        _print_err("orbital-sim: --resume and --overwrite exclude each other (continue the file, or replace it)")
        return EXIT_USAGE
    if args.config and _same_file(out, Path(args.config)):  # never replace the scenario being read
        _print_err(f"orbital-sim: output {out} is the config file being read; choose another -o")
        return EXIT_USAGE
    processes = _process_options(args, config)
    if isinstance(processes, int):  # a bad --process-id / --num-processes / --coordinator
        return processes
    if processes is not None:  # one process of a multi-process run (orbital_sim.distributed)
        return _run_part(args, config, out, *processes)
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
    from orbital_sim.health import EXIT_NUMERICAL_FAULT, brownout_line, exit_status

    line = brownout_line({**result.summary, "node": [f for f in _node_names(out)]},
                         config.simulation.epoch_iso)
    if line:
        print(line)
    _print_faults(result.faults)
    print(f"wrote {out}: {result.nodes} nodes x {result.steps} steps in {result.wall_s:.1f} s wall "
          f"(compile + first chunk {result.compile_s:.1f} s), {result.node_steps_per_s:.3g} node-steps/s")
    code = exit_status(result.summary.get("status", ()))
    if code == EXIT_NUMERICAL_FAULT:
        _print_err(f"orbital-sim: {len(result.faults)} node(s) hit a numerical fault (status in the file); "
                   f"everything is written, exit status {EXIT_NUMERICAL_FAULT}")
    return code


def _node_names(path) -> list[str]:
    from orbital_sim.output import read_summary

    return [str(n) for n in read_summary(path).get("node", [])]


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (the same inode if both exist, else the same
    resolved path)."""
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


#: at most this many faulted nodes are listed one per line after a run (the file's ``status``
#: variable marks every faulted node, and its samples are NaN from the fault on)
FAULT_LINES_MAX = 20


def _print_faults(faults) -> None:
    for name, t_s, code in faults[:FAULT_LINES_MAX]:
        print(f"fault: node {name} at t = {t_s:.0f} s (status {code})")
    if len(faults) > FAULT_LINES_MAX:
        print(f"fault: {len(faults) - FAULT_LINES_MAX} more nodes faulted ({len(faults)} in all); "
              "the file's status variable marks every one")


#: environment variables that stand in for the multi-process options of `run`
PROCESS_ENV = {"process_id": "ORBITAL_SIM_PROCESS_ID", "num_processes": "ORBITAL_SIM_NUM_PROCESSES",
               "coordinator": "ORBITAL_SIM_COORDINATOR"}


def _process_options(args, config):
    """None for a one-process run; ``(process_id, num_processes, coordinator)`` for one process
    of a multi-process run; EXIT_USAGE (every problem printed) if the options are wrong."""
    import os

    from orbital_sim.distributed import MAX_PROCESSES

    values = {key: getattr(args, key) if getattr(args, key) is not None else os.environ.get(env) or None
              for key, env in PROCESS_ENV.items()}
    if values["num_processes"] is None and values["process_id"] is None:
        return None
    problems = []
    flag = {key: f"--{key.replace('_', '-')} ({PROCESS_ENV[key]})" for key in PROCESS_ENV}

    def integer(key, low, high):
        try:
            value = int(str(values[key]).strip())
        except (TypeError, ValueError):
            problems.append(f"{flag[key]} = {values[key]!r}: must be an integer in {low}..{high}")
            return None
        if not low <= value <= high:
            problems.append(f"{flag[key]} = {value}: must be in {low}..{high}")
            return None
        return value

    count = index = None
    if values["num_processes"] is None:
        problems.append(f"{flag['process_id']} needs {flag['num_processes']}")
    else:
        count = integer("num_processes", 1, min(MAX_PROCESSES, config.n_nodes))
    if values["process_id"] is not None and count:
        index = integer("process_id", 0, count - 1)
    elif values["process_id"] is None and count and count > 1:
        problems.append(f"{flag['num_processes']} = {count} needs {flag['process_id']}")
    coordinator = values["coordinator"]
    if count and count > 1:
        host, _, port = str(coordinator or "").rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            problems.append(f"{flag['coordinator']} = {coordinator!r}: must be HOST:PORT of process 0 "
                            "(e.g. 127.0.0.1:8476)")
    if problems:
        _print_err(f"orbital-sim: invalid multi-process options: {len(problems)} problem(s)")
        for line in problems:
            _print_err(f"  {line}")
        return EXIT_USAGE
    return None if count == 1 else (index, count, coordinator)


def _run_part(args, config, out: Path, index: int, count: int, coordinator: str) -> int:
    """One process of a multi-process run: join the cluster, agree that every output path is
    usable, simulate this process's nodes into OUT.part{i}of{P}.h5, wait for every process,
    and (process 0) stitch the parts into OUT (HDF5 virtual datasets)."""
    from orbital_sim import distributed
    from orbital_sim.config import ConfigError
    from orbital_sim.output import check_output_path, check_resume_path, format_summary_table, read_summary
    from orbital_sim.runner import RunError, RunInterrupted, enable_float64, run

    part = distributed.part_path(out, index, count)
    who = f"process {index}/{count}"
    enable_float64()
    try:
        distributed.initialize(coordinator, count, index)
    except Exception as err:  # coordinator unreachable, a timeout: JAX raises several types
        _print_err(f"orbital-sim: {who}: cannot join the cluster at {coordinator}: {' '.join(str(err).split())[:300]}")
        return EXIT_FAILURE
    problem = None
    try:
        if args.resume:
            check_resume_path(part)
        else:
            check_output_path(part, args.overwrite)
        if index == 0:  # the stitched file is derived from the parts: a resume rewrites it
            check_output_path(out, args.overwrite or args.resume)
    except OSError as err:
        problem = err.strerror or str(err)
    agreed = distributed.all_agree(problem is None)
    if not all(agreed):
        refused = [i for i, ok in enumerate(agreed) if not ok]
        _print_err(f"orbital-sim: {who}: " + (problem if problem else
                   f"process(es) {refused} refused their output path; nothing was run"))
        return EXIT_FAILURE
    code, result = EXIT_OK, None
    try:
        result = run(config, part, overwrite=args.overwrite, progress=not args.quiet, resume=args.resume,
                     handle_signals=True, part=(index, count))
    except ConfigError as err:
        _print_err(f"orbital-sim: invalid configuration: {len(err.problems)} problem(s)")
        for line in err.problems:
            _print_err(f"  {line}")
        code = EXIT_USAGE
    except RunError as err:
        _print_err(f"orbital-sim: {who}: {err}")
        code = EXIT_FAILURE
    except RunInterrupted as err:
        _print_err(f"orbital-sim: {who}: {err}")
        code = err.exit_code
    except KeyboardInterrupt:
        _print_err(f"orbital-sim: {who}: interrupted; {part} keeps every finished chunk (completed = 0)")
        code = EXIT_INTERRUPTED
    except OSError as err:
        _print_err(f"orbital-sim: {who}: cannot write {part}: {err.strerror or err}")
        code = EXIT_FAILURE
    if result is not None:
        _print_faults(result.faults)
        print(f"wrote {part}: {result.nodes} nodes x {result.steps} steps in {result.wall_s:.1f} s wall "
              f"(compile + first chunk {result.compile_s:.1f} s), {result.node_steps_per_s:.3g} node-steps/s")
    finished = distributed.all_agree(code == EXIT_OK)  # also the barrier before stitching
    if index != 0:
        return code
    if not all(finished):
        failed = [i for i, ok in enumerate(finished) if not ok]
        _print_err(f"orbital-sim: process(es) {failed} did not finish; {out} not written. Run the same "
                   f"commands with --resume, or `orbital-sim stitch {out} PARTS...` once every part is done")
        return code if code != EXIT_OK else EXIT_FAILURE
    try:
        distributed.stitch(out, [distributed.part_path(out, i, count) for i in range(count)], overwrite=True)
    except (OSError, ValueError) as err:
        _print_err(f"orbital-sim: cannot stitch {out}: {err}")
        return EXIT_FAILURE
    written = read_summary(out)
    if not args.quiet:
        print(format_summary_table(written, list(written["component"]), list(written["node_class"])))
    print(f"wrote {out}: {count} parts stitched into one dataset (HDF5 virtual datasets)")
    from orbital_sim.health import exit_status

    return exit_status(written.get("status", ()))  # 3 when a node hit a numerical fault


def cmd_stitch(args) -> int:
    """Stitch part files (a multi-process run's OUT.part{i}of{P}.h5) into OUT."""
    from orbital_sim import distributed

    out = Path(args.output)
    try:
        parts = [Path(p) for p in args.parts] or distributed.parts_of(out)
        if not parts:
            _print_err(f"orbital-sim: no part files given and none beside {out} ({out.stem}.part0of2{out.suffix} ...)")
            return EXIT_USAGE
        distributed.stitch(out, parts, overwrite=args.overwrite)
    except (OSError, ValueError) as err:
        _print_err(f"orbital-sim: cannot stitch {out}: {err}")
        return EXIT_FAILURE
    print(f"wrote {out}: {len(parts)} parts stitched into one dataset (HDF5 virtual datasets)")
    return EXIT_OK


def cmd_plot(args) -> int:
    """PNG figures of a result file (orbital_sim.plots): temperatures, power, eclipses, fleet."""
    from orbital_sim import plots

    path = Path(args.file)
    if not path.is_file():
        _print_err(f"orbital-sim: cannot read {path}: no such file")
        return EXIT_FAILURE
    out_dir = Path(args.output) if args.output else path.with_name(path.stem + "_figures")
    if getattr(args, "sweep", None):
        return _plot_sweep(args, path, out_dir)
    try:
        window = _window_hours(args.hours) if args.hours else None
        written, skipped = plots.write_figures(path, out_dir, nodes=args.nodes, group_by=args.group_by,
                                               window_h=window)
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


def _window_hours(text: str) -> tuple[float | None, float | None]:
    """``--hours START:END`` (either side may be empty) -> (start, end) in hours; ValueError."""
    start, sep, end = str(text).partition(":")
    try:
        window = (float(start) if start.strip() else None, float(end) if end.strip() else None)
    except ValueError:
        raise ValueError(f"--hours {text!r}: expected START:END in hours after the epoch, e.g. 48:72") from None
    if not sep or (window[0] is not None and window[1] is not None and window[1] <= window[0]):
        raise ValueError(f"--hours {text!r}: expected START:END with END > START (hours after the epoch)")
    return window


def _plot_sweep(args, path: Path, out_dir: Path) -> int:
    """``plot FILE --sweep SUMMARY[:PARAM[:PARAM2]]``: one figure of a sweep result."""
    from orbital_sim import plots

    summary, *params = [p.strip() for p in args.sweep.split(":")]
    try:
        written = plots.write_sweep_figure(path, out_dir, summary, params, reduce=args.reduce,
                                           component=args.component)
    except ValueError as err:  # not a sweep, an unknown summary or parameter
        _print_err(f"orbital-sim: {err}")
        return EXIT_USAGE
    except (OSError, KeyError) as err:
        _print_err(f"orbital-sim: cannot plot {path}: {err}")
        return EXIT_FAILURE
    print(f"wrote {written}")
    return EXIT_OK


def cmd_info(args) -> int:
    from orbital_sim.output import describe

    try:
        print(describe(args.file))
    except BrokenPipeError:  # `info FILE | head`: the reader left; main() ends quietly, not "cannot read"
        raise
    except (OSError, KeyError, ValueError) as err:
        _print_err(f"orbital-sim: cannot read {args.file}: {err}")
        return EXIT_FAILURE
    return EXIT_OK


def cmd_approaches(args) -> int:
    """``orbital-sim approaches OUT.h5 [--below METRES] [--json]``: the file's close approaches."""
    import json

    from orbital_sim.approaches import approach_records, format_records

    if args.below is not None and not args.below >= 0:
        _print_err(f"orbital-sim: --below = {args.below:g}: must be a distance >= 0 m")
        return EXIT_USAGE
    try:
        records = approach_records(args.file, args.below)
    except (OSError, KeyError, ValueError) as err:
        _print_err(f"orbital-sim: cannot read {args.file}: {err}")
        return EXIT_FAILURE
    if records is None:
        _print_err(f"orbital-sim: {args.file} holds no approaches: the run had no [approaches] table")
        return EXIT_FAILURE
    print("\n".join(json.dumps(r) for r in records) if args.json else format_records(records, args.below))
    return EXIT_OK


def cmd_events(args) -> int:
    """Shadow contacts located inside the step, from a result file's events group."""
    from orbital_sim.events import event_records, format_passes, format_records, pass_records

    try:
        records = (pass_records if args.passes else event_records)(args.file, args.node)
    except (OSError, KeyError, ValueError) as err:
        _print_err(f"orbital-sim: cannot list events of {args.file}: {err}")
        return EXIT_USAGE
    text = (format_passes if args.passes else format_records)(records, args.json)
    if text:
        print(text)
    return EXIT_OK


def cmd_season(args) -> int:
    """Eclipse season of one node over a year (orbital_sim.analysis.eclipse_season)."""
    from orbital_sim import analysis

    argv = ["season", args.config, "--days", str(args.days), "--step", str(args.step),
            "--propagator", args.propagator]
    for flag, value in (("--start", args.start), ("--node", args.node), ("--out", args.out)):
        if value is not None:
            argv += [flag, str(value)]
    code = analysis.main(argv)
    return EXIT_USAGE if code == 2 else code


def _launch_prices(values) -> tuple[float, ...] | None:
    """--launch-price-per-kg values (repeatable, each a number or a comma list) -> floats."""
    if not values:
        return None
    out = []
    for value in values:
        for item in str(value).split(","):
            item = item.strip().replace("_", "")
            try:
                out.append(float(item))
            except ValueError:
                raise ValueError(f"--launch-price-per-kg {value!r}: {item!r} is not a number ($/kg)") from None
    return tuple(out)


def cmd_report(args) -> int:
    """Feasibility report of a finished run (orbital_sim.report): printed, and CSV + Markdown.
    Every error (bad input, missing, unreadable or unfinished file) is one line and exit code 2."""
    from orbital_sim import report

    out_dir = Path(args.out_dir) if args.out_dir else None
    if out_dir is not None and not out_dir.is_dir():
        _print_err(f"orbital-sim: output directory does not exist: {out_dir} (create it first)")
        return EXIT_USAGE
    overrides = {k: getattr(args, k) for k in ("life_years", "pue", "electricity_price_usd_per_kwh",
                                               "solar_capacity_factor", "interconnection_wait_years")
                 if getattr(args, k) is not None}
    try:
        prices = _launch_prices(args.launch_price_per_kg)
        if prices is not None:
            overrides["launch_prices_usd_per_kg"] = prices
        rep = report.feasibility_report(args.file, **overrides)
    except ValueError as err:  # ReportError included: a bad input, a missing or unfinished file
        _print_err(f"orbital-sim: {err}")
        return EXIT_USAGE
    except (OSError, KeyError) as err:
        _print_err(f"orbital-sim: cannot read {args.file}: {err}")
        return EXIT_USAGE
    print(report.format_text(rep))
    if out_dir is not None:
        stem = args.stem or Path(args.file).stem + "_report"
        try:
            written = report.write_report(rep, out_dir, stem=stem)
        except OSError as err:
            _print_err(f"orbital-sim: cannot write to {out_dir}: {err.strerror or err}")
            return EXIT_FAILURE
        for file in written:
            print(f"wrote {file}")
    return EXIT_OK


def _bounded(option: str, text, lo: float, hi: float, unit: str = "") -> float:
    """A number given on the command line, within (lo, hi]; ValueError with one line if not."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{option} {text!r}: not a number") from None
    if not lo < value <= hi:  # NaN fails too
        raise ValueError(f"{option} = {text}: must be > {lo:g} and <= {hi:g}{(' ' + unit) if unit else ''}")
    return value


def cmd_size(args) -> int:
    """Gradient-based sizing (orbital_sim.sizing): radiator area, array area and battery capacity
    per node class for the least mass. Errors are one line with exit code 2."""
    import json

    try:
        options = {"availability": _bounded("--availability", args.availability, 0.0, 1.0),
                   "orbits": _bounded("--orbits", args.orbits, 0.0, 100.0),
                   "warmup_orbits": _bounded("--warmup-orbits", args.warmup_orbits, -1e-9, 100.0),
                   "nodes_per_class": int(_bounded("--nodes-per-class", args.nodes_per_class, 0, 64)),
                   "margin_k": _bounded("--margin-k", args.margin_k, -1e-9, 100.0, "K"),
                   "design_cases": not args.mean_case}
        if args.days is not None:
            options["days"] = _bounded("--days", args.days, 0.0, 30.0, "d")
        if args.step is not None:
            options["step_s"] = _bounded("--step", args.step, 0.0, 600.0, "s")
        if args.max_chip_temperature_c is not None:
            options["max_chip_temperature_k"] = 273.15 + _bounded(
                "--max-chip-temperature-c", args.max_chip_temperature_c, -50.0, 150.0, "C")
    except ValueError as err:
        _print_err(f"orbital-sim: {err}")
        return EXIT_USAGE
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    from orbital_sim import sizing

    from orbital_sim.config import ConfigError

    try:
        results = sizing.size(config, classes=args.node_class or None, start=args.start, **options)
    except sizing.SizingError as err:
        _print_err(f"orbital-sim: {err}")
        return EXIT_USAGE
    except ConfigError as err:  # e.g. classes whose thermal components differ
        _print_err(f"orbital-sim: invalid configuration: {'; '.join(err.problems)}")
        return EXIT_USAGE
    if args.json:
        print(json.dumps({name: r.as_dict() for name, r in results.items()}, indent=2))
    else:
        print(sizing.format_sizing(results))
    return EXIT_OK if all(r.feasible for r in results.values()) else EXIT_FAILURE


def cmd_bench(args) -> int:
    from orbital_sim.bench import WORKLOADS, BenchError, emit, one_node_step_cost_us, parse_nodes, run_benchmark

    try:
        nodes = parse_nodes(args.nodes)
        names = [n.strip() for n in args.benchmark.split(",") if n.strip()]
        names = list(WORKLOADS) if names == ["all"] else names
        unknown = [n for n in names if n not in WORKLOADS]
        if unknown or not names:
            raise BenchError(f"--benchmark: unknown {unknown or names}; known: {', '.join(WORKLOADS)} or all")
        numbers = {}
        for flag, text, low, high in (("--steps", args.steps, 1, 10**7), ("--repeats", args.repeats, 1, 1000),
                                      ("--cpu-devices", args.cpu_devices, 1, 1024)):
            if text is None:
                continue
            try:
                numbers[flag] = int(text)
            except ValueError:
                raise BenchError(f"{flag} = {text!r}: not a whole number") from None
            if not low <= numbers[flag] <= high:
                raise BenchError(f"{flag} = {text}: must be in {low}..{high}")
    except BenchError as err:
        _print_err(f"orbital-sim: bench: {err}")
        return EXIT_USAGE
    import jax

    devices = jax.local_devices()  # on the CPU: as many as configure_cpu_devices made
    if args.cpu_devices is not None:
        devices = jax.local_devices(backend="cpu")
        if len(devices) != numbers["--cpu-devices"]:
            _print_err(f"orbital-sim: bench: --cpu-devices {numbers['--cpu-devices']}: JAX started with "
                       f"{len(devices)} CPU devices (XLA_FLAGS or {CPU_DEVICES_ENV} set them before it started)")
            return EXIT_USAGE
    one_node_us = None
    if "full_step" in names:  # the per-step fixed cost, reported beside every full-step rate
        one_node_us = one_node_step_cost_us(steps=numbers["--steps"], repeats=numbers["--repeats"], dtype=args.dtype,
                                            devices=devices)
    for name in names:
        for n in nodes:
            result = run_benchmark(name, n, steps=numbers["--steps"], repeats=numbers["--repeats"], dtype=args.dtype,
                                   devices=devices, baseline=not args.no_baseline)
            if name == "full_step":
                result["one_node_us_per_step"] = one_node_us
            emit(result, args.json)
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
    p_run.add_argument("--no-cache", action="store_true",
                       help="do not use the compiled-kernel cache ($XDG_CACHE_HOME/orbital_sim; also "
                            "ORBITAL_SIM_COMPILATION_CACHE=off)")
    p_run.add_argument("--num-processes", metavar="P",
                       help="multi-process run (jax.distributed): P processes, each simulating a slice of the "
                            "nodes into OUT.part{i}ofP.h5; process 0 stitches them into OUT "
                            "(env ORBITAL_SIM_NUM_PROCESSES)")
    p_run.add_argument("--process-id", metavar="I",
                       help="this process's index, 0..P-1 (env ORBITAL_SIM_PROCESS_ID)")
    p_run.add_argument("--coordinator", metavar="HOST:PORT",
                       help="address of process 0's coordination service, reachable by every process "
                            "(env ORBITAL_SIM_COORDINATOR)")
    p_run.set_defaults(func=cmd_run)

    p_val = sub.add_parser("validate", help="check a scenario and report every problem")
    p_val.add_argument("config", nargs="?", help="TOML scenario (default: the built-in default)")
    p_val.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value")
    p_val.set_defaults(func=cmd_validate)

    p_stitch = sub.add_parser("stitch", help="stitch the part files of a multi-process run into one dataset")
    p_stitch.add_argument("output", metavar="OUT", help="the stitched file to write (HDF5 virtual datasets)")
    p_stitch.add_argument("parts", nargs="*", metavar="PART",
                          help="part files (default: OUT's OUT.part{i}of{P}.h5 files beside it)")
    p_stitch.add_argument("--overwrite", action="store_true", help="replace an existing OUT")
    p_stitch.set_defaults(func=cmd_stitch)

    p_info = sub.add_parser("info", help="describe a result file and its fleet summary")
    p_info.add_argument("file", help="HDF5 result file")
    p_info.set_defaults(func=cmd_info)

    p_events = sub.add_parser("events", help="shadow contacts (penumbra/umbra entry and exit) located inside the "
                              "step, from a result file")
    p_events.add_argument("file", help="HDF5 result file")
    p_events.add_argument("--node", nargs="+", metavar="NAME|PATTERN",
                          help="nodes to list: names or wildcards such as 'shell53-p03-*' (default: all)")
    p_events.add_argument("--json", action="store_true",
                          help="one JSON object per line: node, kind, t_s (s since the epoch), time (UTC, ms, Z)")
    p_events.add_argument("--passes", action="store_true",
                          help="one line per eclipse pass instead: start, end, duration (penumbra entry to exit) "
                          "and time in the umbra (the file's eclipses group)")
    p_events.set_defaults(func=cmd_events)

    p_season = sub.add_parser("season", help="eclipse season of one node over a year: eclipse days, longest eclipse")
    from orbital_sim.analysis import add_season_arguments  # NumPy only: the CLI stays light

    add_season_arguments(p_season)
    p_season.set_defaults(func=cmd_season)

    p_plot = sub.add_parser("plot", help="PNG figures of a result file: temperatures, power, eclipses, fleet")
    p_plot.add_argument("file", help="HDF5 result file")
    p_plot.add_argument("-o", "--output", metavar="DIR",
                        help="folder for the PNG files (default: FILE's name + _figures, beside it)")
    p_plot.add_argument("--nodes", nargs="+", metavar="NODE",
                        help="nodes for the per-node figures: names or wildcards such as 'shell53-p03-*' "
                             "(default: the node with the most eclipse in each constellation entry, at most 4)")
    p_plot.add_argument("--hours", metavar="START:END",
                        help="time window of the time-series figures in hours after the epoch, e.g. 48:72 or 60: "
                             "(default: the whole run)")
    p_plot.add_argument("--group-by", choices=("auto", "plane", "entry", "class"), default="auto",
                        help="groups of the fleet figure (default auto: by orbital plane, by entry if > 40 planes)")
    p_plot.add_argument("--sweep", metavar="SUMMARY[:PARAM[:PARAM2]]",
                        help="a sweep result ([sweep]): only the figure of SUMMARY (a per-node summary such as "
                             "eclipse_fraction, temperature_max, state_of_charge_min, compute_availability, or "
                             "capacity_factor) against one swept parameter (a line) or two (a map), e.g. "
                             "capacity_factor:altitude_km:ltan_h")
    p_plot.add_argument("--reduce", choices=("mean", "max", "min"), default=None,
                        help="with --sweep: how each variant's nodes are combined (default: max for a *_max "
                             "summary such as temperature_max, min for *_min, else mean)")
    p_plot.add_argument("--component", help="with --sweep: the component of temperature_min/max "
                                            "(default the compute component)")
    p_plot.set_defaults(func=cmd_plot)

    p_rep = sub.add_parser("report", help="feasibility report of a finished run: power, eclipses, battery, "
                                          "mass, launch economics vs a terrestrial data centre")
    p_rep.add_argument("file", help="HDF5 result file of a finished run")
    p_rep.add_argument("-o", "--out-dir", metavar="DIR", help="also write STEM.csv, STEM_comparison.csv and "
                                                              "STEM.md into DIR (an existing folder)")
    p_rep.add_argument("--stem", help="file name stem in --out-dir (default: FILE's name + _report)")
    p_rep.add_argument("--launch-price-per-kg", action="append", metavar="USD",
                       help="launch prices of the sweep in $/kg, repeatable or a comma list "
                            "(default 3600,1000,200,60,15)")
    p_rep.add_argument("--life-years", type=float, help="service life of a node (default 5 yr)")
    p_rep.add_argument("--pue", type=float, help="terrestrial power usage effectiveness (default 1.56)")
    p_rep.add_argument("--electricity-price", dest="electricity_price_usd_per_kwh", type=float, metavar="USD_PER_KWH",
                       help="terrestrial electricity price in $/kWh (default 0.08)")
    p_rep.add_argument("--solar-capacity-factor", type=float, help="terrestrial solar capacity factor (default 0.24)")
    p_rep.add_argument("--interconnection-wait-years", type=float, help="grid interconnection wait (default 5 yr)")
    p_rep.set_defaults(func=cmd_report)

    p_size = sub.add_parser("size", help="size radiator, array and battery per node class for the least mass "
                                         "(gradients through the simulation)")
    p_size.add_argument("config", nargs="?", help="TOML scenario (default: the built-in default)")
    p_size.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config value")
    p_size.add_argument("--availability", default="0.99", metavar="A",
                        help="compute availability target, delivered / commanded (default 0.99)")
    p_size.add_argument("--orbits", default="3", metavar="N", help="window length in orbits (default 3)")
    p_size.add_argument("--days", metavar="D", help="window length in days (instead of --orbits, at most 30)")
    p_size.add_argument("--warmup-orbits", default="1", metavar="N",
                        help="orbits simulated before the window for thermal settling (default 1)")
    p_size.add_argument("--start", metavar="ISO|season",
                        help="window start: a UTC instant at or after the epoch, or 'season' for the day of the "
                             "longest eclipse within a year (default: the config's epoch; in the design cases "
                             "the cold case starts on the day of the longest eclipse)")
    p_size.add_argument("--step", metavar="S", help="simulation step in s (default: the config's)")
    p_size.add_argument("--max-chip-temperature-c", metavar="C",
                        help="chip temperature limit (default: the chips' operating_limits_c maximum, else "
                             "the throttle temperature)")
    p_size.add_argument("--margin-k", default="10", metavar="K",
                        help="keep the chips this far below their limit (default 10 K, ECSS-E-ST-31C's "
                             "uncertainty margin)")
    p_size.add_argument("--mean-case", action="store_true",
                        help="size in the config's environment only (default: the radiator in the hot case, "
                             "array and battery in the cold case, within battery.max_depth_of_discharge)")
    p_size.add_argument("--class", dest="node_class", action="append", metavar="NAME",
                        help="size only this node class (repeatable; default: every class in use)")
    p_size.add_argument("--nodes-per-class", default="1", metavar="K",
                        help="representative nodes per class, those with the most eclipse (default 1)")
    p_size.add_argument("--json", action="store_true", help="print the results as JSON")
    p_size.set_defaults(func=cmd_size)

    p_appr = sub.add_parser("approaches", help="close approaches between nodes ([approaches] in the config)")
    p_appr.add_argument("file", help="result file (.h5)")
    p_appr.add_argument("--below", type=float, metavar="METRES", help="only approaches at or below this distance")
    p_appr.add_argument("--json", action="store_true", help="one JSON object per line")
    p_appr.set_defaults(func=cmd_approaches)

    p_bench = sub.add_parser("bench", help="kernel throughput (node-steps/s) on this machine's device, with a "
                                           "plain-NumPy baseline measured in the same run")
    p_bench.add_argument("--nodes", default="1000,10000", metavar="N[,N...]",
                         help="node counts (default 1000,10000)")
    p_bench.add_argument("--benchmark", default="full_step", metavar="NAME[,NAME...]",
                         help="workloads: full_step, orbit_only, sun, shadow, irradiance, power, thermal, or all "
                              "(default full_step)")
    p_bench.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    p_bench.add_argument("--steps", default="720", metavar="S", help="simulated steps per repeat (default 720)")
    p_bench.add_argument("--repeats", default="3", metavar="R", help="timed repeats; the median is reported (default 3)")
    p_bench.add_argument("--cpu-devices", metavar="K",
                         help="split the CPU into K JAX devices and shard the nodes over them along the mesh "
                              "axis 'node' (sets XLA_FLAGS=--xla_force_host_platform_device_count=K)")
    p_bench.add_argument("--no-baseline", action="store_true", help="skip the NumPy baseline")
    p_bench.add_argument("--json", action="store_true", help="one JSON line per measurement")
    p_bench.set_defaults(func=cmd_bench)
    return parser


CPU_DEVICES_ENV = "ORBITAL_SIM_CPU_DEVICES"
_DEVICE_COUNT_FLAG = "--xla_force_host_platform_device_count"


def configure_cpu_devices(count=None, environ=None, jax_started=None) -> int | None:
    """Split the host CPU into one JAX device per core before JAX starts, so that the runner's
    sharding along the mesh axis ``node`` uses every core (about 1.7-2x on 2 cores: XLA runs
    most of a step's small kernels on one thread). ``count``: a requested number (bench
    ``--cpu-devices``); else ``$ORBITAL_SIM_CPU_DEVICES``; else the cores this process may use.
    Does nothing when JAX has already started or ``XLA_FLAGS`` already sets the count (an
    explicit choice wins). GPUs are unaffected. Returns the count set, or None."""
    import os

    environ = os.environ if environ is None else environ
    jax_started = "jax" in sys.modules if jax_started is None else jax_started
    flags = environ.get("XLA_FLAGS", "")
    if jax_started or _DEVICE_COUNT_FLAG in flags:
        return None
    if count is None:
        text = environ.get(CPU_DEVICES_ENV, "").strip()
        if text:
            try:
                count = int(text)
            except ValueError:
                count = 0
            if not 1 <= count <= 1024:
                _print_err(f"orbital-sim: {CPU_DEVICES_ENV}={text!r} ignored: must be a whole number 1..1024")
                count = None
        if count is None:
            count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count <= 1:
        return None
    environ["XLA_FLAGS"] = f"{flags} {_DEVICE_COUNT_FLAG}={count}".strip()
    return count


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    requested = getattr(args, "cpu_devices", None)
    try:
        requested = int(requested) if requested is not None else None
    except ValueError:
        requested = None  # cmd_bench reports it
    configure_cpu_devices(requested)
    try:
        return args.func(args)
    except BrokenPipeError:  # `orbital-sim info X | head`: the reader left; no traceback, no message, exit 1
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit: not into the broken pipe
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
