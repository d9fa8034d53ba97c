"""The ``ecg-bench`` command: list, run and report the benchmark case studies.

Examples::

    ecg-bench list
    ecg-bench run cpsc2019                              # sample data when present, else synthetic
    ecg-bench run cpsc2019 --data-dir /data/cpsc2019 --epochs 30 --out runs/full
    ecg-bench run cpsc2019 --set train.batch_size=16 --set model.name=unet
    ecg-bench run cpsc2019 --resume runs/full           # continue an interrupted run
    ecg-bench report runs/full                          # re-render report.md
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecg_benchmarks.base import (
    Benchmark,
    BenchmarkError,
    RunOptions,
    get_benchmark,
    list_benchmarks,
)
from ecg_benchmarks.ddp import DistContext
from ecg_benchmarks.report import render_report
from ecg_benchmarks.runs import RunDir, RunDirError
from ecg_benchmarks.settings import (
    SettingsError,
    apply_overrides,
    dump_toml,
    load_toml,
    parse_assignments,
    to_dict,
)

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecg-bench",
        description="Run the ecg-suite benchmark case studies end to end.",
        epilog=__doc__.split("Examples::", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{list,run,report}")
    sub.add_parser("list", help="show the benchmarks")
    run = sub.add_parser("run", help="run one benchmark", description="Run one benchmark.")
    run.add_argument("name", help="benchmark name (see `ecg-bench list`)")
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
        "--overwrite", action="store_true", help="replace a finished run in --out (moved aside)"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    report = sub.add_parser("report", help="re-render a finished run's report.md")
    report.add_argument("dir", type=Path, help="the run folder")
    return parser


def _cmd_list() -> int:
    for name, summary in list_benchmarks().items():
        print(f"{name:12s} {summary}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    bench = get_benchmark(args.name)
    settings = bench.default_settings()
    resume = args.resume is not None
    if resume:
        out = args.resume
        if args.out is not None and Path(args.out).resolve() != Path(out).resolve():
            raise RunDirError("--resume DIR and --out name different folders; give one of them")
        config = Path(out) / "config.toml"
        if config.is_file():
            apply_overrides(settings, load_toml(config))
    else:
        out = args.out or Path("runs") / f"{bench.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    if args.config is not None:
        apply_overrides(settings, load_toml(args.config))
    direct = {"data_dir": args.data_dir, "epochs": args.epochs, "device": args.device}
    apply_overrides(settings, {k: str(v) for k, v in direct.items() if v is not None})
    apply_overrides(settings, parse_assignments(args.assignments))
    if args.epochs is not None and args.epochs < 1:
        raise SettingsError(f"--epochs must be a positive integer, got {args.epochs}")

    # Under torchrun only rank 0 touches the folder; the others wait, then use the same one.
    ctx = DistContext.setup(str(getattr(settings, "device", "cpu")))
    try:
        return _run_ranks(ctx, bench, settings, out, args, resume)
    finally:
        ctx.close()


def _run_ranks(
    ctx: DistContext,
    bench: Benchmark,
    settings: Any,
    out: Path,
    args: argparse.Namespace,
    resume: bool,
) -> int:
    def prepare() -> Path:
        run = RunDir.prepare(out, resume=resume, overwrite=args.overwrite)
        run.write_text(run.config, dump_toml(to_dict(settings)))
        return run.path

    run = RunDir(ctx.on_main(prepare))
    ctx.barrier()
    progress = not args.no_progress and ctx.is_main
    start = time.perf_counter()
    metrics = bench.run(settings, run, RunOptions(resume=resume, progress=progress))
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


def _cmd_report(args: argparse.Namespace) -> int:
    run = RunDir(Path(args.dir))
    if not run.finished:
        raise RunDirError(f"{args.dir} holds no finished run (no metrics.json)")
    print(render_report(run))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ecg-bench``; returns the exit code (2 for bad arguments or data)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            return _cmd_list()
        if args.command == "run":
            return _cmd_run(args)
        return _cmd_report(args)
    except (BenchmarkError, RunDirError, SettingsError) as exc:
        print(f"ecg-bench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ecg-bench: interrupted; resume with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
