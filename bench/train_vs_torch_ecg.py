"""Benchmark ecg-train's BaseTrainer against torch_ecg's BaseTrainer: training steps per second.

Both trainers train the same network for a fixed number of optimizer steps on the same
synthetic batches (``torch.Generator`` seeded with 0, identical on both sides: same torch
version), with AdamW (lr 1e-3, weight decay 1e-2), no scheduler, BCE-with-logits loss, CSV and
text logging every 10 steps, no validation, ``--threads`` torch threads on both sides:

* ``crnn``: ``ECG_CRNN`` with its default config (backbone
  ``resnet_nature_comm_bottle_neck_se``, 9 classes, multi-label), on ``(batch, 12, samples)``;
* ``seq_lab_net``: the cpsc2019 case's network (``ecg_benchmarks.cases.cpsc2019.build_model``:
  multi-scopic backbone at 1/8 width, one bidirectional 32-unit LSTM, no attention, a 32-unit
  head; 1 lead at 250 Hz, 10 s windows, output at 1/8 of the input rate), mirrored on the
  torch_ecg side from the same numbers.

Each mode is timed on both sides: ``eager``, and ``compile`` (our ``TrainConfig(compile=True)``;
on the torch_ecg side the model is passed through ``torch.compile`` before its trainer gets it).
A rate is ``(steps - warmup) / (t[steps] - t[warmup])`` with ``t[k]`` the time at which the k-th
step starts (so compilation, set-up, the end-of-epoch checkpoint and evaluation are outside the
window), per second of process CPU time (``time.process_time``: robust to other processes on a
shared machine) and per wall-clock second. The parameter counts of both networks are printed with the rates and their ratio
ours / theirs. torch_ecg runs in a subprocess of ``--peer-python`` (``make bench`` builds
``.venv-peer`` from bench/requirements-peer.txt). It installs nothing.

Usage:
    .venv/bin/python bench/train_vs_torch_ecg.py --peer-python .venv-peer/bin/python
    .venv/bin/python bench/train_vs_torch_ecg.py --peer-python .venv-peer/bin/python \
        --models crnn --modes eager --steps 20 --json /tmp/train.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _peer import require_peer

MODELS = ("crnn", "seq_lab_net")
MODES = ("eager", "compile")
CRNN_CLASSES = ["NSR", "AF", "IAVB", "LBBB", "RBBB", "PAC", "PVC", "STD", "STE"]
SEQ_FS = 250.0
SEQ_SAMPLES = 2500
REDUCTION = 8

_PEER_CODE = r"""
import json, sys, tempfile, time, warnings
warnings.filterwarnings("ignore")
import torch
from copy import deepcopy
from torch.utils.data import DataLoader, Dataset
args = json.loads(sys.argv[1])
torch.set_num_threads(args["threads"])
from torch_ecg.components.trainer import BaseTrainer
from torch_ecg.models import ECG_CRNN, ECG_SEQ_LAB_NET
from torch_ecg.model_configs import ECG_CRNN_CONFIG, ECG_SEQ_LAB_NET_CONFIG

def build(name, seq):
    torch.manual_seed(0)
    if name == "crnn":
        cfg = deepcopy(ECG_CRNN_CONFIG)
        cfg.cnn.name = "resnet_nature_comm_bottle_neck_se"
        return ECG_CRNN(args["crnn_classes"], 12, cfg)
    cfg = deepcopy(ECG_SEQ_LAB_NET_CONFIG)
    cfg.fs = seq["fs"]
    ms = cfg.cnn.multi_scopic
    ms.num_filters = seq["filters"]
    ms.filter_lengths = seq["filter_lengths"]
    ms.scopes = seq["scopes"]
    ms.dropouts = seq["dropouts"]
    ms.subsample_lengths = seq["subsample_lengths"]
    cfg.rnn.lstm.hidden_sizes = [seq["rnn_hidden"]]  # per direction, as ours
    cfg.attn.name = "none"
    cfg.clf.out_channels = seq["head"]
    cfg.clf.dropouts = [seq["head_dropout"], 0.0]
    cfg.recover_length = False
    return ECG_SEQ_LAB_NET(["qrs"], 1, cfg)

class Synthetic(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __len__(self):
        return self.x.shape[0]
    def __getitem__(self, i):
        return self.x[i], self.y[i]

stamps = []

class Trainer(BaseTrainer):
    def __init__(self, model, ds, cfg):
        self.ds = ds
        super().__init__(model, Synthetic, {}, cfg, device=torch.device("cpu"))
    def _setup_dataloaders(self, train_dataset=None, val_dataset=None):
        self.train_loader = DataLoader(self.ds, batch_size=self.batch_size, shuffle=True,
                                       num_workers=0, collate_fn=self.collate_fn)
        self.val_loader = None
    def run_one_step(self, *data):
        stamps.append((time.perf_counter(), time.process_time()))
        x, y = data[0].to(self.device), data[1].to(self.device)
        return self.model(x), y
    def evaluate(self, data_loader):
        return {}
    @property
    def batch_dim(self):
        return 0
    @property
    def extra_required_train_config_fields(self):
        return []

res = {}
for name in args["models"]:
    for mode in args["modes"]:
        model = build(name, args["seq"])
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        g = torch.Generator().manual_seed(0)
        spec = args["data"][name]
        n = (args["steps"] + 1) * spec["batch"]
        x = torch.randn(n, *spec["x"], generator=g)
        y = (torch.rand(n, *spec["y"], generator=g) < 0.3).float()
        if mode == "compile":
            model = torch.compile(model)
        tmp = tempfile.mkdtemp()
        cfg = {
            "classes": ["c"], "n_epochs": 1, "batch_size": spec["batch"], "learning_rate": 1e-3,
            "optimizer": "adamw", "weight_decay": 1e-2, "lr_scheduler": "none",
            "loss": "BCEWithLogitsLoss", "log_step": 10, "monitor": None,
            "keep_checkpoint_max": 0, "checkpoints": tmp, "log_dir": tmp,
            "txt_logger": True, "csv_logger": True, "tensorboardx_logger": False,
        }
        stamps.clear()
        torch.manual_seed(0)
        Trainer(model, Synthetic(x, y), cfg).train()
        w, s = args["warmup"], args["steps"]
        res[f"{name}/{mode}"] = {
            "params": params,
            "steps_per_s": (s - w) / (stamps[s][0] - stamps[w][0]),
            "steps_per_cpu_s": (s - w) / (stamps[s][1] - stamps[w][1]),
        }
print("RESULT " + json.dumps(res))
"""


def _seq_spec() -> dict[str, Any]:
    """The cpsc2019 case's network, as numbers both sides build it from."""
    from ecg_benchmarks.cases.cpsc2019 import ModelSettings, build_model

    model = build_model(ModelSettings(), SEQ_FS)
    cnn = model.config.cnn
    backbone = cnn.variants[cnn.name]
    return {
        "fs": SEQ_FS,
        "filters": backbone.filters,
        "filter_lengths": backbone.filter_lengths,
        "scopes": backbone.scopes,
        "dropouts": backbone.dropouts,
        "subsample_lengths": backbone.subsample_lengths,
        "rnn_hidden": model.config.rnn.hidden_size,
        "head": list(model.config.head.hidden_sizes),
        "head_dropout": model.config.head.dropout,
    }


def _data_spec(batch: int, samples: int) -> dict[str, dict[str, Any]]:
    return {
        "crnn": {"batch": batch, "x": [12, samples], "y": [len(CRNN_CLASSES)]},
        "seq_lab_net": {
            "batch": batch,
            "x": [1, SEQ_SAMPLES],
            "y": [SEQ_SAMPLES // REDUCTION, 1],
        },
    }


def _build_ours(name: str) -> Any:
    import torch

    torch.manual_seed(0)
    if name == "crnn":
        from ecg_models import ECG_CRNN

        return ECG_CRNN(CRNN_CLASSES, 12)
    from ecg_benchmarks.cases.cpsc2019 import ModelSettings, build_model

    return build_model(ModelSettings(), SEQ_FS)


def run_ours(
    models: list[str], modes: list[str], spec: dict[str, Any], steps: int, warmup: int
) -> dict[str, dict[str, float]]:
    """Steps per second of ecg-train's BaseTrainer for every model and mode."""
    import torch
    from torch.utils.data import TensorDataset

    from ecg_train import BaseTrainer

    stamps: list[tuple[float, float]] = []

    class Trainer(BaseTrainer):
        def __init__(self, model: Any, config: dict[str, Any], ds: Any) -> None:
            self.ds = ds
            super().__init__(model, config)

        def _setup_dataloaders(self) -> None:
            self.train_loader = self.make_loader(self.ds, train=True)

        def run_one_step(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            stamps.append((time.perf_counter(), time.process_time()))
            out = self.forward(batch[0])
            return torch.nn.functional.binary_cross_entropy_with_logits(out, batch[1])

        def evaluate(self, data_loader: Any) -> dict[str, float]:
            return {}

        @property
        def extra_required_train_config_fields(self) -> list[str]:
            return []

    res: dict[str, dict[str, float]] = {}
    for name in models:
        for mode in modes:
            model = _build_ours(name)
            params = sum(p.numel() for p in model.parameters() if p.requires_grad)
            g = torch.Generator().manual_seed(0)
            d = spec[name]
            n = (steps + 1) * d["batch"]
            x = torch.randn(n, *d["x"], generator=g)
            y = (torch.rand(n, *d["y"], generator=g) < 0.3).float()
            with tempfile.TemporaryDirectory() as tmp:
                cfg = {
                    "n_epochs": 1,
                    "batch_size": d["batch"],
                    "learning_rate": 1e-3,
                    "weight_decay": 1e-2,
                    "optimizer": "adamw",
                    "scheduler": "none",
                    "loggers": ("csv", "text"),
                    "log_every_n_steps": 10,
                    "checkpoint_dir": str(Path(tmp) / "ckpt"),
                    "log_dir": str(Path(tmp) / "logs"),
                    "progress_bar": False,
                    "device": "cpu",
                    "seed": 0,
                    "compile": mode == "compile",
                }
                stamps.clear()
                trainer = Trainer(model, cfg, TensorDataset(x, y))
                trainer.train()
                trainer.close()
            res[f"{name}/{mode}"] = {
                "params": float(params),
                "steps_per_s": (steps - warmup) / (stamps[steps][0] - stamps[warmup][0]),
                "steps_per_cpu_s": (steps - warmup) / (stamps[steps][1] - stamps[warmup][1]),
            }
    return res


def run_peer(peer_python: str, payload: dict[str, Any]) -> dict[str, dict[str, float]]:
    """torch_ecg's numbers, from a subprocess of the peer environment."""
    proc = subprocess.run(
        [peer_python, "-c", _PEER_CODE, json.dumps(payload)],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"the torch_ecg side failed:\n{proc.stderr[-3000:]}")
    out: dict[str, dict[str, float]] = json.loads(line[len("RESULT ") :])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer-python", default=".venv-peer/bin/python")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--steps", type=int, default=30, help="timed steps + warm-up steps")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--samples", type=int, default=2000, help="CRNN input length")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None, help="also write the results to this file")
    a = ap.parse_args(argv)
    require_peer(a.peer_python, script="train_vs_torch_ecg.py")
    if not 0 <= a.warmup < a.steps:
        print(f"error: need 0 <= --warmup < --steps, got {a.warmup}, {a.steps}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(a.threads)
    spec = _data_spec(a.batch, a.samples)
    payload = {
        "models": a.models,
        "modes": a.modes,
        "steps": a.steps,
        "warmup": a.warmup,
        "threads": a.threads,
        "crnn_classes": CRNN_CLASSES,
        "seq": _seq_spec(),
        "data": spec,
    }
    theirs = run_peer(a.peer_python, payload)
    ours = run_ours(a.models, a.modes, spec, a.steps, a.warmup)
    print(
        f"steps {a.steps} (warm-up {a.warmup}), batch {a.batch}, threads {a.threads}, "
        f"torch {torch.__version__}"
    )
    print(
        f"{'model/mode':<20}{'params ours':>12}{'theirs':>9}"
        f"{'ours/cpu-s':>11}{'theirs':>8}{'ratio':>7}{'ours/s':>8}{'theirs':>8}{'ratio':>7}"
    )
    rows = {}
    for key in ours:
        o, t = ours[key], theirs[key]
        cpu = o["steps_per_cpu_s"] / t["steps_per_cpu_s"]
        wall = o["steps_per_s"] / t["steps_per_s"]
        rows[key] = {
            **{f"ours_{k}": v for k, v in o.items()},
            **{f"theirs_{k}": v for k, v in t.items()},
            "ratio_cpu": cpu,
            "ratio_wall": wall,
        }
        print(
            f"{key:<20}{int(o['params']):>12}{int(t['params']):>9}"
            f"{o['steps_per_cpu_s']:>11.3f}{t['steps_per_cpu_s']:>8.3f}{cpu:>7.2f}"
            f"{o['steps_per_s']:>8.3f}{t['steps_per_s']:>8.3f}{wall:>7.2f}"
        )
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
