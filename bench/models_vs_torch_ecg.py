"""Benchmark ecg_models against torch_ecg: parameter counts and CPU training throughput.

Builds the same five architectures in both frameworks,

* ``crnn``: ``ECG_CRNN`` with the default config, backbone ``resnet_nature_comm_bottle_neck_se``
  (Ribeiro et al., Nat. Commun. 2020, bottleneck blocks with squeeze-excitation), SE attention,
  global max pooling and a head with one 1024-unit hidden layer (9 classes);
* ``tresnetP``: the TResNet-P backbone alone (Ridnik et al., "TResNet", WACV 2021);
* ``multi_scopic``: the MultiScopicNet backbone alone (Cai et al., CPSC2019 winner);
* ``seq_lab_net``: ``ECG_SEQ_LAB_NET`` with its default config (1 class, QRS detection);
* ``unet``: ``ECG_UNET`` with its default config (4 classes: p, N, t, i);

prints the parameter counts of ours and theirs with their relative difference, and the
forward+backward throughput (loss = mean of the output) on a ``(batch, 12, samples)`` float32
input on the CPU, with the ratio ours/theirs, and optionally for ours under ``torch.compile``
(``--compile``). Throughput is given per wall-clock second and per second of process CPU time
(``time.process_time``), which is much less sensitive to other processes on a shared machine.
torch_ecg runs in a subprocess of ``--peer-python``, reporting JSON. Each timing is the median of
``--repeats`` iterations after ``--warmup`` warm-up iterations, with the same number of torch
threads on both sides (``--threads``), and the median over ``--rounds`` rounds that alternate the
two sides. It installs nothing.

torch_ecg 0.0.33's own ``ECG_CRNN_CONFIG.cnn.name`` is ``resnet_nature_comm_bottle_neck``
(without SE); its ``_se`` variant is selected on the torch_ecg side so that both sides build the
same network (our default). Remaining differences of a few parameters are listed in the
ecg-models README and in packages/ecg-models/tests/test_models_parity.py.

Usage:
    .venv/bin/python bench/models_vs_torch_ecg.py --peer-python .venv-peer/bin/python
    .venv/bin/python bench/models_vs_torch_ecg.py --peer-python .venv-peer/bin/python \
        --compile --rounds 3 --repeats 3 --json results.json
    .venv/bin/python bench/models_vs_torch_ecg.py --params-only --peer-python .venv-peer/bin/python
    .venv/bin/python bench/models_vs_torch_ecg.py --params-only --print-structure --models crnn \
        --peer-python .venv-peer/bin/python > /tmp/crnn.txt
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _peer import require_peer

MODELS = ("crnn", "tresnetP", "multi_scopic", "seq_lab_net", "unet")
CRNN_CLASSES = ["NSR", "AF", "IAVB", "LBBB", "RBBB", "PAC", "PVC", "STD", "STE"]
SEQ_CLASSES = ["N"]
UNET_CLASSES = ["p", "N", "t", "i"]

_PEER_CODE = r"""
import json, statistics, sys, time, warnings
warnings.filterwarnings("ignore")
import torch
from copy import deepcopy
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
torch.manual_seed(0)
from torch_ecg.models import ECG_CRNN, ECG_SEQ_LAB_NET, ECG_UNET
from torch_ecg.models.cnn import ResNet, MultiScopicCNN
from torch_ecg.model_configs import (
    ECG_CRNN_CONFIG, ECG_SEQ_LAB_NET_CONFIG, ECG_UNET_VANILLA_CONFIG, tresnetP, multi_scopic,
)

def build(name):
    if name == "crnn":
        cfg = deepcopy(ECG_CRNN_CONFIG)
        cfg.cnn.name = "resnet_nature_comm_bottle_neck_se"
        return ECG_CRNN(args["crnn_classes"], 12, cfg)
    if name == "tresnetP":
        return ResNet(12, **deepcopy(tresnetP))  # torch_ecg builds TResNet with ResNet
    if name == "multi_scopic":
        return MultiScopicCNN(12, **deepcopy(multi_scopic))
    if name == "seq_lab_net":
        return ECG_SEQ_LAB_NET(args["seq_classes"], 12, deepcopy(ECG_SEQ_LAB_NET_CONFIG))
    if name == "unet":
        return ECG_UNET(args["unet_classes"], 12, deepcopy(ECG_UNET_VANILLA_CONFIG))
    raise ValueError(name)

def step(model, x):
    model.zero_grad(set_to_none=True)
    out = model(x)
    out.float().mean().backward()

res = {}
for name in args["models"]:
    torch.manual_seed(0)
    model = build(name)
    r = {"params": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    if args["print"]:
        print(model)
    if args["time"]:
        model.train()
        x = torch.randn(args["batch"], 12, args["samples"])
        for _ in range(args["warmup"]):
            step(model, x)
        ts, cs = [], []
        for _ in range(args["repeats"]):
            t0, c0 = time.perf_counter(), time.process_time()
            step(model, x)
            ts.append(time.perf_counter() - t0); cs.append(time.process_time() - c0)
        r["seconds"] = statistics.median(ts)
        r["cpu_seconds"] = statistics.median(cs)
    res[name] = r
    del model
print("RESULT " + json.dumps(res))
"""


def build_ours(name: str) -> Any:
    """Our model ``name`` (one of :data:`MODELS`) with its default config, for 12 leads."""
    from ecg_models.models.crnn import ECG_CRNN
    from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET
    from ecg_models.models.unet import ECG_UNET
    from ecg_models.registry import create_backbone

    if name == "crnn":
        return ECG_CRNN(CRNN_CLASSES, 12)
    if name in ("tresnetP", "multi_scopic"):
        return create_backbone(name, in_channels=12)
    if name == "seq_lab_net":
        return ECG_SEQ_LAB_NET(SEQ_CLASSES, 12)
    if name == "unet":
        return ECG_UNET(UNET_CLASSES, 12)
    raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")


def count_params(model: Any) -> int:
    """Number of trainable parameters (torch_ecg's ``module_size``)."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def time_train_step(
    model: Any, batch: int, samples: int, warmup: int, repeats: int
) -> tuple[float, float]:
    """Median wall seconds and median process CPU seconds of one forward+backward pass (loss =
    output mean) on random input."""
    import torch

    model.train()
    x = torch.randn(batch, 12, samples)

    def step() -> None:
        model.zero_grad(set_to_none=True)
        out = model(x)
        out.float().mean().backward()

    for _ in range(warmup):
        step()
    ts, cs = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    return statistics.median(ts), statistics.median(cs)


def run_ours(args: argparse.Namespace, models: list[str]) -> dict[str, dict[str, Any]]:
    import torch

    torch.set_num_threads(args.threads)
    res: dict[str, dict[str, Any]] = {}
    for name in models:
        torch.manual_seed(0)
        model = build_ours(name)
        r: dict[str, Any] = {"params": count_params(model)}
        if args.print_structure:
            print(model)
        if not args.params_only:
            r["seconds"], r["cpu_seconds"] = time_train_step(
                model, args.batch, args.samples, args.warmup, args.repeats
            )
            if args.compile:
                compiled: Callable[..., Any] = torch.compile(model)
                # torch.compile wraps the module: time the wrapper (same parameters)
                r["seconds_compiled"], r["cpu_seconds_compiled"] = time_train_step(
                    compiled, args.batch, args.samples, max(args.warmup, 2), args.repeats
                )
        res[name] = r
        del model
    return res


def run_peer(args: argparse.Namespace, models: list[str]) -> dict[str, dict[str, Any]]:
    payload = {
        "models": models,
        "threads": args.threads,
        "batch": args.batch,
        "samples": args.samples,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "time": not args.params_only,
        "print": bool(args.print_structure),
        "crnn_classes": CRNN_CLASSES,
        "seq_classes": SEQ_CLASSES,
        "unet_classes": UNET_CLASSES,
    }
    proc = subprocess.run(
        [args.peer_python, "-c", _PEER_CODE, json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=7200,
    )
    result: dict[str, dict[str, Any]] | None = None
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = dict(json.loads(line[len("RESULT ") :]))
        elif args.print_structure:
            print(line)
    if result is None:
        raise RuntimeError(
            f"torch_ecg subprocess failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
        )
    return result


def merge_rounds(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """One result per model: the counts of the first round and, for each timing, the median over
    the rounds that have it (rounds alternate the two sides, so load spikes of a shared machine
    hit both)."""
    out: dict[str, dict[str, Any]] = {}
    for name, first in rounds[0].items():
        merged = dict(first)
        for key in ("seconds", "cpu_seconds", "seconds_compiled", "cpu_seconds_compiled"):
            values = [r[name][key] for r in rounds if key in r.get(name, {})]
            if values:
                merged[key] = statistics.median(values)
                merged[key + "_rounds"] = values
        out[name] = merged
    return out


def _fmt_rate(batch: int, seconds: float | None) -> str:
    return "-" if seconds is None else f"{batch / seconds:.2f}"


def _cells(
    batch: int, ours: float | None, peer: float | None, width: int, show_peer: bool = True
) -> str:
    """Cells ``ours rate[, peer rate], ratio`` (ratio = peer seconds / our seconds)."""
    ratio = "-" if ours is None or peer is None else f"{peer / ours:.2f}x"
    cells = f"{_fmt_rate(batch, ours):>{width}}"
    if show_peer:
        cells += f"{_fmt_rate(batch, peer):>{width}}"
    return cells + f"{ratio:>7}"


def report(
    args: argparse.Namespace,
    ours: dict[str, dict[str, Any]],
    peer: dict[str, dict[str, Any]] | None,
) -> str:
    """The results as a text table (one row per model)."""
    lines = [
        f"input ({args.batch}, 12, {args.samples}) float32, CPU, {args.threads} thread(s); "
        f"median of {args.repeats} after {args.warmup} warm-up, median of {args.rounds} "
        "alternating round(s); throughput in samples/s "
        "(forward+backward)",
    ]
    head = f"{'model':<13}{'params ours':>12}{'params peer':>12}{'diff %':>8}"
    if not args.params_only:
        head += f"{'ours/s':>8}{'peer/s':>8}{'ratio':>7}"
        head += f"{'ours/cpu-s':>11}{'peer/cpu-s':>11}{'ratio':>7}"
        if args.compile:
            head += f"{'compiled/s':>11}{'ratio':>7}{'comp/cpu-s':>11}{'ratio':>7}"
    lines.append(head)
    for name, r in ours.items():
        p = peer.get(name, {}) if peer is not None else {}
        pp = p.get("params")
        diff = "-" if pp is None else f"{100.0 * (r['params'] - pp) / pp:+7.2f}"
        row = f"{name:<13}{r['params']:>12,}{'-' if pp is None else f'{pp:,}':>12}{diff:>8}"
        if not args.params_only:
            for key, width in (("seconds", 8), ("cpu_seconds", 11)):
                row += _cells(args.batch, r.get(key), p.get(key), width)
            if args.compile:
                for key in ("seconds", "cpu_seconds"):
                    ours_c = r.get(key.replace("seconds", "seconds_compiled"))
                    row += _cells(args.batch, ours_c, p.get(key), 11, show_peer=False)
        lines.append(row)
    lines.append(
        "samples/s: wall clock; samples/cpu-s: per second of process CPU time (robust to a "
        "loaded machine); ratio: ours / torch_ecg"
    )
    return "\n".join(lines)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--peer-python", default=None, help="python with torch_ecg (omit: ours only)")
    p.add_argument("--batch", type=_positive, default=32)
    p.add_argument("--samples", type=_positive, default=5000)
    p.add_argument("--repeats", type=_positive, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument(
        "--rounds", type=_positive, default=1, help="alternate ours/theirs this many times"
    )
    p.add_argument("--threads", type=_positive, default=1, help="torch threads, both sides")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--compile", action="store_true", help="also time ours with torch.compile")
    p.add_argument("--params-only", action="store_true", help="count parameters, no timing")
    p.add_argument("--print-structure", action="store_true", help="print both models' module trees")
    p.add_argument("--json", default=None, help="also write the raw results to this JSON file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.peer_python = require_peer(args.peer_python, script="models_vs_torch_ecg.py")
    models = list(args.models)
    if args.print_structure:
        print("=== ours ===")
    ours_rounds: list[dict[str, dict[str, Any]]] = []
    peer_rounds: list[dict[str, dict[str, Any]]] = []
    compile_flag = args.compile
    for i in range(1 if args.params_only else args.rounds):
        args.compile = compile_flag and i == 0  # compile once: it is slow on 2 cores
        ours_rounds.append(run_ours(args, models))
        if args.peer_python:
            if args.print_structure:
                print("=== torch_ecg ===")
            peer_rounds.append(run_peer(args, models))
        args.print_structure = False
    args.compile = compile_flag
    ours = merge_rounds(ours_rounds)
    peer = merge_rounds(peer_rounds) if peer_rounds else None
    print(report(args, ours, peer))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"ours": ours, "peer": peer, "args": vars(args)}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
