"""The ``ecg-bench`` command: list, run, evaluate, predict and report the benchmark case studies.

Examples::

    ecg-bench list
    ecg-bench run cpsc2019                              # sample data when present, else synthetic
    ecg-bench run cpsc2019 --help                       # every setting: type, default, meaning
    ecg-bench run cpsc2019 --data-dir /data/cpsc2019 --epochs 30 --out runs/full
    ecg-bench run cinc2021 --set train.batch_size=16 --set model.rnn=lstm
    ecg-bench run cpsc2019 --resume runs/full           # continue an interrupted run
    ecg-bench evaluate runs/full --data-dir /data/cpsc2019-test --out scores.json
    ecg-bench predict runs/full /data/mitdb/100 --out predictions
    ecg-bench report runs/full                          # re-render report.md
    ecg-bench --plugin mycases run mycase               # a case defined in the module mycases

Exit codes: 0 done, 2 bad arguments, settings, data or run folder, 130 interrupted by SIGINT
(Ctrl-C), 143 by SIGTERM, 1 an internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from ecg_benchmarks.base import (
    PLUGIN_ENV,
    Benchmark,
    BenchmarkError,
    RunInterruptedError,
    RunOptions,
    get_benchmark,
    list_benchmarks,
    load_plugins,
)
from ecg_benchmarks.ddp import DistContext
from ecg_benchmarks.report import render_report
from ecg_benchmarks.runs import RunDir, RunDirError
from ecg_benchmarks.settings import (
    SettingsError,
    apply_overrides,
    dump_toml,
    format_settings,
    load_toml,
    parse_assignments,
    to_dict,
)

__all__ = ["main", "build_parser"]

_EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


class _Terminated(KeyboardInterrupt):
    """SIGTERM outside the training loop (the trainer handles it inside)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``ecg-bench`` argument parser (``list``, ``run``, ``evaluate``, ``predict``, ...)."""
    parser = argparse.ArgumentParser(
        prog="ecg-bench",
        description="Run the ecg-suite benchmark case studies end to end.",
        epilog=__doc__.split("Examples::", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--plugin",
        dest="plugins",
        action="append",
        default=[],
        metavar="MODULE",
        help=f"import MODULE first: it registers more cases (repeatable; also ${PLUGIN_ENV})",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="{list,run,evaluate,predict,report}"
    )
    sub.add_parser("list", help="show the benchmarks")
    run = sub.add_parser(
        "run",
        help="run one benchmark",
        description="Run one benchmark. `ecg-bench run NAME --help` also lists its settings.",
        add_help=False,
    )
    run.add_argument("name", nargs="?", help="benchmark name (see `ecg-bench list`)")
    run.add_argument("-h", "--help", action="store_true", help="show this help and the settings")
    run.add_argument(
        "--data-dir", type=Path, help="database folder (default: sample data or synthetic)"
    )
    run.add_argument("--epochs", type=int, help="number of training epochs (a positive integer)")
    run.add_argument("--device", choices=["cpu", "cuda"], help="where to train (default: cpu)")
    run.add_argument("--out", type=Path, help="output folder (default: runs/NAME-<timestamp>)")
    run.add_argument(
        "--config", type=Path, help="a TOML file of settings (e.g. a run's config.toml)"
    )
    run.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting by its dotted key, e.g. --set train.batch_size=16 (repeatable)",
    )
    run.add_argument(
        "--resume", type=Path, metavar="DIR", help="continue the unfinished run in DIR"
    )
    run.add_argument(
        "--overwrite", action="store_true", help="replace a run in --out (moved aside)"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    ev = sub.add_parser(
        "evaluate",
        help="score a finished run's model on another folder of its database",
        description="Score a finished run's model on every record of --data-dir with the "
        "case's official metric; print the summary line and the metrics as JSON.",
    )
    ev.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a finished run folder")
    ev.add_argument("--data-dir", type=Path, required=True, help="the folder to score on")
    ev.add_argument("--out", type=Path, metavar="FILE.json", help="also write the JSON here")
    ev.add_argument("--device", choices=["cpu", "cuda"], help="where to run the model")
    pr = sub.add_parser(
        "predict",
        help="write a model's predictions for records of any database",
        description="Predict records read by ecg-data (WFDB records, CPSC/CinC .mat files) with "
        "a finished run's model or a pretrained model (ecg-models): beats and waves as WFDB "
        "annotations (wfdb.wrann) and CSV, classes as CSV, and a PNG per record.",
    )
    pr.add_argument(
        "source", metavar="RUN_DIR|PRETRAINED", help="a finished run folder or a pretrained name"
    )
    pr.add_argument("records", nargs="+", type=Path, metavar="RECORD", help="record files")
    pr.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    pr.add_argument("--device", choices=["cpu", "cuda"], help="where to run the model")
    report = sub.add_parser("report", help="re-render a finished run's report.md")
    report.add_argument("dir", type=Path, help="the run folder")
    return parser


def _cmd_list() -> int:
    for name, summary in list_benchmarks().items():
        print(f"{name:12s} {summary}")
    return 0


def _run_help(parser: argparse.ArgumentParser, name: str | None) -> int:
    sub = next(
        a
        for a in parser._actions
        if isinstance(a, argparse._SubParsersAction)  # noqa: SLF001
    )
    sub.choices["run"].print_help()
    if name:
        bench = get_benchmark(name)
        print(f"\nsettings of {bench.name} ({bench.summary}); set with --set KEY=VALUE:\n")
        print(format_settings(bench.default_settings()))
    else:
        print("\n`ecg-bench run NAME --help` lists the settings of the benchmark NAME.")
    return 0


def _owner_check(run: RunDir, name: str) -> None:
    owner = run.benchmark()
    if owner is not None and owner != name:
        raise RunDirError(
            f"{run.path} is a run of the benchmark {owner!r}, not {name!r}: resume it with "
            f"ecg-bench run {owner} --resume {run.path}"
        )


def _cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.help or not args.name:
        if not args.help:
            parser.error("run: the benchmark name is required (see `ecg-bench list`)")
        return _run_help(parser, args.name)
    bench = get_benchmark(args.name)
    settings = bench.default_settings()
    resume = args.resume is not None
    if resume:
        out = Path(args.resume)
        if args.out is not None and Path(args.out).resolve() != out.resolve():
            raise RunDirError("--resume DIR and --out name different folders; give one of them")
        if not out.is_dir():
            raise RunDirError(f"cannot resume: {out} does not exist")
        _owner_check(RunDir(out), bench.name)
        if RunDir(out).config.is_file():
            try:
                apply_overrides(settings, load_toml(RunDir(out).config))
            except SettingsError as exc:
                raise SettingsError(
                    f"{RunDir(out).config} does not fit the settings of {bench.name!r} (a run of "
                    f"another benchmark?): {exc}"
                ) from exc
    else:
        out = args.out or Path("runs") / f"{bench.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    # one call: keys that must agree may come from the TOML file, the options and --set alike
    overrides: dict[str, Any] = dict(load_toml(args.config)) if args.config is not None else {}
    direct = {"data_dir": args.data_dir, "epochs": args.epochs, "device": args.device}
    overrides.update({k: str(v) for k, v in direct.items() if v is not None})
    overrides.update(parse_assignments(args.assignments))
    apply_overrides(settings, overrides)
    if args.epochs is not None and args.epochs < 1:
        raise SettingsError(f"--epochs must be a positive integer, got {args.epochs}")

    # Under torchrun only rank 0 touches the folder; the others wait, then use the same one.
    ctx = DistContext.setup(str(getattr(settings, "device", "cpu")))
    try:
        with contextlib.ExitStack() as stack:
            return _run_ranks(ctx, stack, bench, settings, out, args, resume)
    finally:
        ctx.close()


def _run_ranks(
    ctx: DistContext,
    stack: contextlib.ExitStack,
    bench: Benchmark,
    settings: Any,
    out: Path,
    args: argparse.Namespace,
    resume: bool,
) -> int:
    run = RunDir(Path(ctx.broadcast(str(out))))
    # Nothing is written before this check and the case's own checks have passed (rank 0 checks;
    # a refusal is raised on every rank).
    ctx.on_main(lambda: RunDir.check(run.path, resume=resume, overwrite=args.overwrite))
    config_text = dump_toml(to_dict(settings))

    def prepare() -> None:
        if run.path.is_dir():
            stack.enter_context(run.lock())
        existed = run.path.is_dir()
        moved = existed and not resume and (run.finished or args.overwrite)
        run.create(resume=resume, overwrite=args.overwrite)
        if not existed or moved:
            stack.enter_context(run.lock())
        info = {"benchmark": bench.name, "plugins": list(args.plugins)}
        if not resume or not run.info.is_file():
            run.write_json(run.info, info)
        if not resume:
            run.write_text(run.config, config_text)

    def begin() -> None:
        ctx.on_main(prepare)
        ctx.barrier()

    def resumed() -> None:
        if ctx.is_main:
            run.write_text(run.config, config_text)

    progress = not args.no_progress and ctx.is_main
    options = RunOptions(resume=resume, progress=progress, begin=begin, resumed=resumed)
    if not bench.calls_begin:
        begin()
        if resume:
            resumed()
    start = time.perf_counter()
    metrics = bench.run(settings, run, options)
    if not ctx.is_main:
        return 0
    metrics = {"benchmark": bench.name, "time_s": round(time.perf_counter() - start, 1), **metrics}
    if ctx.world_size > 1:
        metrics["world_size"] = ctx.world_size
    run.write_json(run.metrics, metrics)
    report = render_report(run)
    summary = metrics.get("summary")
    print()
    if isinstance(summary, str):
        print(summary)
    print(f"time taken: {metrics['time_s']:.0f} s; report: {report}")
    return 0


def _finished_run(path: Path) -> RunDir:
    if not path.exists():
        raise RunDirError(f"{path} does not exist")
    if not path.is_dir():
        raise RunDirError(f"{path} is a file, not a run folder")
    run = RunDir(path)
    if not run.finished:
        raise RunDirError(f"{path} holds no finished run (no metrics.json)")
    return run


def _run_benchmark(run: RunDir, device: str | None) -> tuple[Benchmark, Any]:
    name = run.benchmark()
    if name is None:
        raise RunDirError(f"{run.path} does not say which benchmark it is a run of (no run.json)")
    try:
        bench = get_benchmark(name)
    except BenchmarkError as exc:
        raise BenchmarkError(
            f"{run.path} is a run of the benchmark {name!r}, which is not registered: pass the "
            f"module that defines it with --plugin MODULE ({exc})"
        ) from exc
    settings = bench.default_settings()
    if run.config.is_file():
        apply_overrides(settings, load_toml(run.config))
    if device is not None:
        apply_overrides(settings, {"device": device})
    return bench, settings


def _cmd_evaluate(args: argparse.Namespace) -> int:
    run = _finished_run(args.run_dir)
    bench, settings = _run_benchmark(run, args.device)
    metrics = bench.evaluate(settings, run, args.data_dir)
    text = json.dumps(metrics, indent=2, sort_keys=True)
    if args.out is not None:
        try:
            Path(args.out).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise RunDirError(f"cannot write --out {args.out}: {exc}") from exc
    summary = metrics.get("summary")
    if isinstance(summary, str):
        print(summary)
    print(text)
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from ecg_benchmarks.template import Case

    path = Path(args.source)
    if path.is_dir():
        run = _finished_run(path)
        bench, settings = _run_benchmark(run, args.device)
        if not isinstance(bench, Case):
            raise BenchmarkError(f"benchmark {bench.name!r} does not support `ecg-bench predict`")
        source = bench.predict_source(settings, run)
    else:
        owners = {
            name: bench
            for name in list_benchmarks()
            for bench in [get_benchmark(name)]
            if args.source in bench.pretrained_names()
        }
        if not owners:
            known = sorted(
                {n for b in list_benchmarks() for n in get_benchmark(b).pretrained_names()}
            )
            raise BenchmarkError(
                f"{args.source!r} is neither a run folder nor a pretrained model; pretrained "
                f"models: {', '.join(known) or 'none'}"
            )
        bench = next(iter(owners.values()))
        if not isinstance(bench, Case):
            raise BenchmarkError(f"benchmark {bench.name!r} does not support `ecg-bench predict`")
        source = bench.pretrained_source(args.source)
    try:
        files = bench.predict(source, list(args.records), Path(args.out))
    except PermissionError as exc:
        raise RunDirError(f"cannot write --out {args.out}: {exc}") from exc
    for f in files:
        print(f)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    run = _finished_run(Path(args.dir))
    with run.lock():  # report.md is written: not while another process writes the folder
        print(render_report(run))
    return 0


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated()


@contextlib.contextmanager
def _sigterm_as_exception() -> Iterator[None]:
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _plugin_flags(args: argparse.Namespace) -> str:
    return "".join(f"--plugin {m} " for m in args.plugins)


def _error(text: str) -> None:
    print(f"ecg-bench: error: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ecg-bench``; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _sigterm_as_exception():
            load_plugins(args.plugins)
            if args.command == "list":
                return _cmd_list()
            if args.command == "run":
                return _cmd_run(args, parser)
            if args.command == "evaluate":
                return _cmd_evaluate(args)
            if args.command == "predict":
                return _cmd_predict(args)
            return _cmd_report(args)
    except (BenchmarkError, RunDirError, SettingsError) as exc:
        _error(str(exc))
        return 2
    except PermissionError as exc:
        _error(f"permission denied: {exc.filename or exc}")
        return 2
    except RunInterruptedError as exc:
        where = f"checkpoint: {exc.checkpoint}" if exc.checkpoint else "no checkpoint was written"
        print(
            f"ecg-bench: {exc.benchmark} interrupted by {exc.signal_name}; {where}\n"
            f"continue with: ecg-bench {_plugin_flags(args)}run {exc.benchmark} --resume "
            f"{exc.run_path}",
            file=sys.stderr,
        )
        return _EXIT_SIGNAL.get(exc.signal_name, 130)
    except KeyboardInterrupt as exc:
        name = "SIGTERM" if isinstance(exc, _Terminated) else "SIGINT"
        hint = ""
        if args.command == "run" and getattr(args, "name", None):
            folder = args.resume or args.out
            if folder is not None and RunDir(Path(folder)).trainer_checkpoints():
                hint = (
                    f"; continue with: ecg-bench {_plugin_flags(args)}run {args.name} "
                    f"--resume {folder}"
                )
        print(f"ecg-bench: interrupted by {name}{hint}", file=sys.stderr)
        return _EXIT_SIGNAL[name]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
