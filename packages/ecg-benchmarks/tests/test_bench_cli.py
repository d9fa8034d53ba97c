"""The ecg-bench command: list, a short run (the toy case of conftest.py), the refuse/overwrite
rules, and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecg_benchmarks.cli import main


def test_list_shows_the_benchmarks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    assert "cpsc2019" in capsys.readouterr().out


def test_help_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in (
        "--data-dir",
        "--epochs",
        "--device",
        "--out",
        "--config",
        "--set",
        "--resume",
        "--overwrite",
    ):
        assert flag in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "cpsc2091"], "unknown benchmark 'cpsc2091'; did you mean cpsc2021, cpsc2019"),
        (["run", "cinc2021", "--set", "train.bacth_size=2"], "unknown setting 'train.bacth_size'"),
        (["run", "cinc2021", "--epochs", "0"], "epochs must be >= 1, got 0"),
        (["report", "/nonexistent/run"], "/nonexistent/run does not exist"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_or_wrong_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "cpsc2021", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o1")]
    assert main(argv) == 2
    assert "does not exist" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    (wrong / "records100").mkdir(parents=True)
    assert main(["run", "cpsc2021", "--data-dir", str(wrong), "--out", str(tmp_path / "o2")]) == 2
    assert "is not a CPSC 2021 folder" in capsys.readouterr().err
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_short_run_then_refuse_and_overwrite(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = toy / "run"
    argv = ["--plugin", "toycase", "run", "toy", "--data-dir", str(toy / "db"), "--out", str(out)]
    argv += ["--epochs", "1", "--set", "threshold=0.4", "--no-progress"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0
    for name in ("config.toml", "history.json", "report.md", "learning_curves.png"):
        assert (out / name).is_file(), name
    assert "threshold = 0.4" in (out / "config.toml").read_text()
    capsys.readouterr()
    assert main(argv) == 2  # a finished run is refused...
    assert "already holds a finished run" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0  # ...and moved aside when overwriting
    assert len(list(toy.glob("run.old-*"))) == 1
    assert main(["report", str(out)]) == 0
