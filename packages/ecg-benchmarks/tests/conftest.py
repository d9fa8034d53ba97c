"""Test set-up of ecg-benchmarks: the check of a finished run folder shared by the case tests, and
a toy case defined in a temporary plugin module (``toy``: WFDB records written in the real format,
the module importable as ``toycase``; pass ``--plugin toycase``)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

RUN_FILES = (
    "config.toml",
    "metrics.json",
    "history.json",
    "report.md",
    "learning_curves.png",
    "examples.png",
    "checkpoints/best_model.pt",
    "checkpoints/model.safetensors",
    "logs/metrics.csv",
)
"""The files that every case writes into a finished run folder."""

RunCheck = Callable[..., dict[str, Any]]


def _check_run_files(out: Path, *extra: str) -> dict[str, Any]:
    """Assert that ``out`` holds :data:`RUN_FILES` and ``extra``; return its metrics.json."""
    for name in (*RUN_FILES, *extra):
        assert (out / name).is_file(), name
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return metrics


@pytest.fixture
def check_run_files() -> RunCheck:
    """``check_run_files(out, *extra_files)``: the files of a finished run, then its metrics."""
    return _check_run_files


TOY_MODULE = textwrap.dedent(
    '''
    """A toy case: is there a 5 Hz burst in a 4-s single-lead WFDB record (100 Hz)?"""

    from dataclasses import dataclass, field
    from pathlib import Path

    import numpy as np
    import torch
    from torch.utils.data import Dataset

    from ecg_benchmarks import BenchmarkSettings, register_benchmark
    from ecg_benchmarks.predictions import Prediction
    from ecg_benchmarks.template import Case, CaseData, Evaluation, TrainSettings


    class Items(Dataset):
        def __init__(self, x, y, names):
            self.x, self.y, self.names = x, y, names

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return self.x[i], self.y[i]


    @dataclass(slots=True)
    class ToySettings(BenchmarkSettings):
        """Settings of the toy case.

        Attributes:
            threshold: probability above which a record has a burst.
            stop_at_step: send stop_signal to this process at this training step (0: never).
            stop_signal: SIGINT or SIGTERM.
            train: optimisation settings.
        """

        epochs: int = 2
        threshold: float = 0.5
        stop_at_step: int = 0
        stop_signal: str = "SIGINT"
        train: TrainSettings = field(
            default_factory=lambda: TrainSettings(batch_size=4, scheduler="none", lr=3e-3)
        )

        def validate(self) -> None:
            if not 0 < self.threshold < 1:
                raise ValueError(f"threshold must lie in (0, 1), got {self.threshold}")


    def read_folder(path):
        from ecg_data.readers.wfdb_base import WFDBReader

        reader = WFDBReader(path)
        names = list(reader.all_records)
        x = torch.stack([torch.from_numpy(reader.load_data(n)) for n in names])
        y = torch.tensor([[1.0] if n.startswith("pos") else [0.0] for n in names])
        return Items(x, y, names)


    @register_benchmark
    class ToyCase(Case[ToySettings]):
        name = "toy"
        summary = "toy burst detection"
        settings_class = ToySettings
        database = "toy"
        label = "toy"
        validation_metric = "accuracy"

        def check_folder(self, path):
            return None if any(path.glob("*.hea")) else "no .hea record"

        def load_data(self, settings, source):
            items = read_folder(source.path)
            train = list(range(0, len(items), 2))
            held = list(range(1, len(items), 2))
            sub = lambda idx: Items(items.x[idx], items.y[idx], [items.names[i] for i in idx])
            return CaseData(sub(train), sub(held), sub(held), f"{len(items)} records")

        def build_model(self, settings, data):
            import dataclasses

            from ecg_benchmarks.cases._common import small_resnet
            from ecg_models import CRNNConfig, ECG_CRNN

            cfg = CRNNConfig(fs=100.0)
            cfg.cnn.add("tiny", small_resnet(4, 2))
            cfg.cnn.name = "tiny"
            cfg.attn.name = "none"
            return ECG_CRNN(["burst"], 1, cfg)

        def loss(self, settings, trainer, batch):
            import os
            import signal

            from ecg_train import masked_bce_with_logits

            if settings.stop_at_step and trainer.global_step + 1 == settings.stop_at_step:
                os.kill(os.getpid(), getattr(signal, settings.stop_signal))

            logits = trainer.forward(batch[0]).float()
            return masked_bce_with_logits(logits, batch[1], torch.ones_like(logits))

        def _accuracy(self, settings, model, x, y):
            with torch.no_grad():
                p = torch.sigmoid(model(x)).numpy()
            return float(np.mean((p >= settings.threshold) == (y.numpy() > 0.5)))

        def validate(self, settings, model, loader):
            ds = loader.dataset
            return {"accuracy": self._accuracy(settings, model, ds.x, ds.y)}

        def evaluate_model(self, settings, model, test):
            acc = self._accuracy(settings, model, test.x, test.y)
            return Evaluation(
                {"accuracy": acc, "n_records": len(test)},
                f"toy: accuracy {acc:.2f} on {len(test)} records",
            )

        def eval_data(self, settings, source):
            return read_folder(source.path)

        def predict_record(self, settings, model, record):
            x = torch.from_numpy(record.signal[:1])[None]
            with torch.no_grad():
                p = float(torch.sigmoid(model(x))[0, 0])
            peaks = np.flatnonzero(np.abs(record.signal[0]) > 0.8)[:3]
            return Prediction(
                beats={"N": peaks},
                classes={"burst": p},
                labels=["burst"] if p >= settings.threshold else [],
            )
    '''
)


def _write_records(folder: Path, n: int, seed: int) -> None:
    import wfdb

    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    t = np.arange(400) / 100.0
    for k in range(n):
        pos = k % 2 == 0
        x = 0.05 * rng.standard_normal(400)
        if pos:
            x += np.sin(2 * np.pi * 5 * t) * (t > 1) * (t < 3)
        name = f"{'pos' if pos else 'neg'}{k:02d}"
        wfdb.wrsamp(
            name,
            fs=100,
            units=["mV"],
            sig_name=["II"],
            p_signal=x[:, None],
            fmt=["16"],
            write_dir=str(folder),
        )


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "toycase.py").write_text(TOY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    _write_records(tmp_path / "db", 12, 0)
    _write_records(tmp_path / "db2", 6, 1)
    return tmp_path
