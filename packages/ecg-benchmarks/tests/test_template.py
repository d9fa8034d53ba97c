"""The case template end to end: a toy case defined in a temporary module, registered with
``--plugin``, run, evaluated on another folder, and used to predict WFDB records."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ecg_benchmarks.cli import main

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
            train: optimisation settings.
        """

        epochs: int = 2
        threshold: float = 0.5
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
            from ecg_train import masked_bce_with_logits

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


def test_toy_case_runs_evaluates_and_predicts_through_ecg_bench(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plug = ["--plugin", "toycase"]
    assert main([*plug, "list"]) == 0
    assert "toy burst detection" in capsys.readouterr().out

    out = toy / "run"
    argv = [*plug, "run", "toy", "--data-dir", str(toy / "db"), "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "toy: epoch 1/2: " in printed and "val_accuracy" in printed and "train_loss" in printed
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["benchmark"] == "toy"
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["epochs_run"] == 2
    assert f"data: --data-dir {toy / 'db'}" in metrics["summary"]
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert all("val_accuracy" in h and "train_loss" in h for h in history)
    assert json.loads((out / "run.json").read_text())["benchmark"] == "toy"
    for name in (
        "config.toml",
        "report.md",
        "learning_curves.png",
        "checkpoints/model.safetensors",
    ):
        assert (out / name).is_file(), name

    scores = toy / "scores.json"
    assert (
        main([*plug, "evaluate", str(out), "--data-dir", str(toy / "db2"), "--out", str(scores)])
        == 0
    )
    printed = capsys.readouterr().out
    assert printed.startswith("toy: accuracy ")
    written = json.loads(scores.read_text())
    assert written["n_records"] == 6  # every record of the other folder
    assert written["data"] == f"--data-dir {toy / 'db2'}"

    preds = toy / "preds"
    record = toy / "db2" / "pos00"
    assert main([*plug, "predict", str(out), str(record), "--out", str(preds)]) == 0
    import wfdb

    ann = wfdb.rdann(str(preds / "pos00"), "pred")
    signal = wfdb.rdrecord(str(record)).p_signal[:, 0]
    expected = np.flatnonzero(np.abs(signal) > 0.8)[:3]
    assert ann.sample.tolist() == expected.tolist()
    assert set(ann.symbol) == {"N"}
    with (preds / "pos00_beats.csv").open() as fh:
        assert [int(r["sample"]) for r in csv.DictReader(fh)] == expected.tolist()
    with (preds / "pos00_classes.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["class"] == "burst" and 0.0 <= float(rows[0]["probability"]) <= 1.0
    assert (preds / "pos00.png").stat().st_size > 1000


def test_run_help_lists_every_setting_with_type_default_and_meaning(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--plugin", "toycase", "run", "toy", "--help"]) == 0
    out = capsys.readouterr().out
    assert "threshold (float; default 0.5)" in out
    assert "probability above which a record has a burst." in out
    assert "epochs (int; default 2)" in out
    assert 'device (cpu | cuda; default "cpu")' in out
    assert "train.batch_size (int; default 4)" in out
    assert "training batch size" in out  # from TrainSettings' docstring
    assert "seed of the split" in out  # from BenchmarkSettings' docstring


def test_a_bad_plugin_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--plugin", "no_such_module_xyz", "list"]) == 2
    assert "cannot import plugin module 'no_such_module_xyz'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["cinc2021", "cinc2020", "cpsc2021", "cpsc2020", "ptbxl"])
def test_every_case_help_lists_its_settings(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "data_dir (str | none; default " in out
    assert "train.lr (float; default" in out
