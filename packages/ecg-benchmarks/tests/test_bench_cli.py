"""The ecg-bench command: list, a short real run, resume/overwrite rules, and bad arguments."""

from __future__ import annotations

import json
import shutil
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
        (["run", "cpsc2019", "--set", "train.bacth_size=2"], "unknown setting 'train.bacth_size'"),
        (["run", "cpsc2019", "--epochs", "0"], "epochs must be >= 1, got 0"),
        (["report", "/nonexistent/run"], "/nonexistent/run does not exist"),
    ],
)
def test_bad_arguments_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_or_wrong_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            ["run", "cpsc2019", "--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o1")]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    wrong = tmp_path / "wrong"
    (wrong / "records100").mkdir(parents=True)
    assert main(["run", "cpsc2019", "--data-dir", str(wrong), "--out", str(tmp_path / "o2")]) == 2
    assert "is not a CPSC2019 folder" in capsys.readouterr().err


@pytest.mark.data
def test_short_real_run_then_refuse_and_overwrite(
    sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A small copy of the sample folder keeps this quick.
    small = tmp_path / "cpsc2019"
    for sub in ("data", "ref"):
        (small / sub).mkdir(parents=True)
    for f in sorted((sample_data / "cpsc2019" / "data").glob("*.mat"))[:8]:
        shutil.copy(f, small / "data" / f.name)
        ref = sample_data / "cpsc2019" / "ref" / f.name.replace("data_", "R_")
        shutil.copy(ref, small / "ref" / ref.name)
    out = tmp_path / "run"
    argv = [
        "run",
        "cpsc2019",
        "--data-dir",
        str(small),
        "--epochs",
        "1",
        "--out",
        str(out),
        "--set",
        "model.width_divisor=16",
        "--set",
        "train.extra_databases=[]",
        "--set",
        "train.cpsc_repeat=1",
        "--no-progress",
    ]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["qrs_score"] <= 1.0
    assert metrics["n_test_records"] == 2
    assert 0.0 <= metrics["classic_detector_qrs_score"] <= 1.0
    for name in ("config.toml", "history.json", "report.md", "learning_curves.png", "examples.png"):
        assert (out / name).is_file(), name
    assert "width_divisor = 16" in (out / "config.toml").read_text()
    capsys.readouterr()
    assert main(argv) == 2  # a finished run is refused...
    assert "already holds a finished run" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0  # ...and moved aside when overwriting
    assert len(list(tmp_path.glob("run.old-*"))) == 1
    assert main(["report", str(out)]) == 0
