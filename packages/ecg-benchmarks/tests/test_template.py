"""The case template end to end: a toy case defined in a temporary module, registered with
``--plugin``, run, evaluated on another folder, and used to predict WFDB records."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from ecg_benchmarks.cli import main


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
    # the trainer got train.threads (default 1) as its torch thread count
    assert json.loads((out / "logs" / "config.json").read_text())["num_threads"] == 1
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


def test_predict_with_a_pretrained_name(
    toy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case maps its pretrained names to a predictor (here the model of a finished run)."""
    plug = ["--plugin", "toycase"]
    out = toy / "run"
    argv = [*plug, "run", "toy", "--data-dir", str(toy / "db"), "--out", str(out), "--epochs", "1"]
    assert main([*argv, "--no-progress"]) == 0
    from ecg_benchmarks.base import get_benchmark
    from ecg_benchmarks.runs import RunDir

    cls = type(get_benchmark("toy"))

    def load_pretrained(self: object, name: str) -> tuple[object, object]:
        assert name == "toy-burst"
        settings = self.default_settings()  # type: ignore[attr-defined]
        return settings, self.load_model(settings, RunDir(out))  # type: ignore[attr-defined]

    monkeypatch.setattr(cls, "pretrained_names", lambda self: ("toy-burst",))
    monkeypatch.setattr(cls, "load_pretrained", load_pretrained)
    preds = toy / "preds"
    record = toy / "db2" / "neg01.hea"
    assert main([*plug, "predict", "toy-burst", str(record), "--out", str(preds)]) == 0
    assert (preds / "neg01_classes.csv").is_file() and (preds / "neg01.png").is_file()
    capsys.readouterr()
    assert main([*plug, "predict", "no-such-model", str(record), "--out", str(preds)]) == 2
    err = capsys.readouterr().err
    assert "'no-such-model' is neither a run folder nor a pretrained model" in err
    assert "toy-burst" in err


def test_set_epoch_reaches_wrapped_datasets() -> None:
    """The trainer tells every epoch to the Datasets (random crops differ per epoch)."""
    from torch.utils.data import ConcatDataset, Subset

    from ecg_benchmarks._trainer import set_epoch

    class Items:
        def __init__(self) -> None:
            self.epochs: list[int] = []

        def __len__(self) -> int:
            return 3

        def __getitem__(self, i: int) -> int:
            return i

        def set_epoch(self, epoch: int) -> None:
            self.epochs.append(epoch)

    a, b = Items(), Items()
    set_epoch(Subset(ConcatDataset([a, Subset(b, [0])]), [0, 1]), 4)  # type: ignore[list-item]
    assert a.epochs == [4] and b.epochs == [4]


def test_a_hook_that_needs_a_folder_refuses_a_source_without_one(tmp_path: Path) -> None:
    from ecg_benchmarks.base import BenchmarkError
    from ecg_benchmarks.template import DataSource

    assert DataSource(tmp_path, "--data-dir").folder() == tmp_path
    with pytest.raises(BenchmarkError, match="synthetic records"):
        DataSource(None, "synthetic records (no sample data found)").folder()


def test_train_threads_must_be_positive() -> None:
    from ecg_benchmarks.template import TrainSettings

    assert TrainSettings(threads=2).threads == 2
    with pytest.raises(ValueError, match="train.threads must be >= 1, got 0"):
        TrainSettings(threads=0)
