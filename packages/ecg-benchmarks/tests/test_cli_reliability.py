"""ecg-bench under bad input, interrupts and concurrent writers: clear messages and exit codes,
nothing written before every check has passed, folders that can always be resumed or restarted.

The runs use the toy case of conftest.py (``--plugin toycase``), which trains in a few seconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecg_benchmarks.cli import main
from ecg_benchmarks.runs import RunDir

PLUG = ["--plugin", "toycase"]


def _run(toy: Path, out: Path, *extra: str) -> list[str]:
    return [*PLUG, "run", "toy", "--data-dir", str(toy / "db"), "--out", str(out), *extra]


def test_refused_resume_leaves_config_untouched(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = toy / "run"
    assert main([*_run(toy, out, "--epochs", "1"), "--no-progress"]) == 0
    before = (out / "config.toml").read_bytes()
    argv = [*PLUG, "run", "toy", "--resume", str(out), "--set", "train.batch_size=2"]
    assert main([*argv, "--no-progress"]) == 2
    assert "another training config" in capsys.readouterr().err
    assert (out / "config.toml").read_bytes() == before  # still resumable as it was
    assert main([*PLUG, "run", "toy", "--resume", str(out), "--epochs", "2"]) == 0
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 2


@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupt_prints_checkpoint_and_resume_command(
    toy: Path, sig: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    out = toy / f"run-{sig}"
    argv = _run(toy, out, "--set", "stop_at_step=2", "--set", f"stop_signal={sig}")
    assert main([*argv, "--no-progress"]) == code
    err = capsys.readouterr().err
    assert f"toy interrupted by {sig}; checkpoint: " in err
    assert f"continue with: ecg-bench --plugin toycase run toy --resume {out}" in err
    assert RunDir(out).trainer_checkpoints()
    resume = [*PLUG, "run", "toy", "--resume", str(out), "--set", "stop_at_step=0"]
    assert main([*resume, "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "train=3"], "train is a section of settings, not a value"),
        (["--set", "train.lr=inf"], "train.lr must be a finite number"),
        (["--set", "threshold=nan"], "threshold must be a finite number"),
        (["--set", "epochs=true"], "epochs expects int, got 'true'"),
    ],
)
def test_bad_settings_exit_2_and_write_nothing(
    toy: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = toy / "never"
    assert main(_run(toy, out, *extra)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_toml_files_exit_2(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = toy / "latin1.toml"
    latin.write_bytes("threshold = 0.5 # r\xe9glage\n".encode("latin-1"))
    assert main(_run(toy, toy / "a", "--config", str(latin))) == 2
    assert f"config file {latin} is not UTF-8 text" in capsys.readouterr().err
    boolean = toy / "bool.toml"
    boolean.write_text("[train]\nbatch_size = true\n")
    assert main(_run(toy, toy / "b", "--config", str(boolean))) == 2
    assert "train.batch_size expects int, got True" in capsys.readouterr().err
    assert not (toy / "a").exists() and not (toy / "b").exists()


def test_cpsc2021_nan_post_setting_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "cpsc2021", "--set", "post.min_af_s=nan"]) == 2
    assert "post.min_af_s must be a finite number" in capsys.readouterr().err


def test_failed_run_creates_no_folder_and_unfinished_run_restarts_in_place(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = toy / "run"
    missing = toy / "nope"
    argv = [*PLUG, "run", "toy", "--data-dir", str(missing), "--out", str(out)]
    assert main(argv) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not out.exists()
    # a run killed before (or during) its first checkpoint: its files but no valid checkpoint
    out.mkdir()
    (out / "run.json").write_text('{"benchmark": "toy"}')
    (out / "config.toml").write_text("epochs = 2\n")
    (out / "logs").mkdir()
    (out / "logs" / "metrics.csv").write_text("partial")
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / ".checkpoint_epoch0000_step00000003.pt.x.tmp").write_bytes(b"\0" * 10)
    assert main([*PLUG, "run", "toy", "--resume", str(out)]) == 2
    assert "holds no checkpoint" in capsys.readouterr().err
    assert main([*_run(toy, out), "--no-progress"]) == 0  # restarted in place
    assert (out / "metrics.json").is_file()
    assert "partial" not in (out / "logs" / "metrics.csv").read_text()


def test_truncated_checkpoint_falls_back_to_an_older_one(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = toy / "run"
    argv = _run(toy, out, "--epochs", "3", "--set", "stop_at_step=5")  # 2 steps per epoch
    assert main([*argv, "--no-progress"]) == 130
    checkpoints = RunDir(out).trainer_checkpoints()
    assert len(checkpoints) == 2
    newest = max(checkpoints, key=lambda p: p.name)
    newest.write_bytes(newest.read_bytes()[:100])  # truncated
    capsys.readouterr()
    resume = [*PLUG, "run", "toy", "--resume", str(out), "--set", "stop_at_step=0"]
    assert main(resume) == 0
    printed = capsys.readouterr().out
    assert f"checkpoint {newest} cannot be read" in printed
    assert "(the newest valid checkpoint)" in printed
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3


def test_overwrite_when_the_aside_name_exists(toy: Path) -> None:
    out = toy / "run"
    assert main([*_run(toy, out, "--epochs", "1"), "--no-progress"]) == 0
    first = json.loads((out / "metrics.json").read_text())
    # occupy every name the overwrite could pick this second and the next
    import time

    for t in (time.localtime(), time.localtime(time.time() + 1)):
        (toy / f"run.old-{time.strftime('%Y%m%d-%H%M%S', t)}").mkdir(exist_ok=True)
    assert main([*_run(toy, out, "--epochs", "1", "--overwrite"), "--no-progress"]) == 0
    kept = [p for p in toy.glob("run.old-*") if (p / "metrics.json").is_file()]
    assert len(kept) == 1
    assert json.loads((kept[0] / "metrics.json").read_text()) == first


def test_read_only_out_is_a_clear_error(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() == 0:
        out = Path("/proc/ecg-bench-no-write/run")  # not even root creates folders in procfs
    else:
        parent = toy / "ro"
        parent.mkdir()
        parent.chmod(0o500)
        out = parent / "run"
    assert main(_run(toy, out)) == 2
    err = capsys.readouterr().err
    assert f"{out}" in err and ("cannot" in err or "not writable" in err)


def test_a_second_writer_is_refused(toy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = toy / "run"
    argv = _run(toy, out, "--epochs", "2", "--set", "stop_at_step=3")
    assert main([*argv, "--no-progress"]) == 130
    capsys.readouterr()
    with RunDir(out).lock():  # another process writing the folder
        assert main([*PLUG, "run", "toy", "--resume", str(out)]) == 2
        assert "is in use by another ecg-bench process" in capsys.readouterr().err
        (out / "metrics.json").write_text('{"benchmark": "toy"}')
        assert main(["report", str(out)]) == 2
        assert "is in use by another ecg-bench process" in capsys.readouterr().err
        (out / "metrics.json").unlink()
    assert main([*PLUG, "run", "toy", "--resume", str(out), "--set", "stop_at_step=0"]) == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("metrics.json", "{not json", "metrics.json is not readable JSON"),
        ("metrics.json", "[1, 2]", "metrics.json holds a JSON list, expected a dict"),
        ("figures.json", "[1, 2]", "figures.json: each entry must be"),
        ("figures.json", "{\x00", "figures.json is not readable JSON"),
        ("figures.json", '[{"file": "../x.png", "caption": "c"}]', "with a plain file name"),
    ],
)
def test_report_on_corrupt_files(
    tmp_path: Path, name: str, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text('{"benchmark": "toy", "score": 1.0}')
    (run / name).write_text(content)
    assert main(["report", str(run)]) == 2
    assert message in capsys.readouterr().err


def test_report_and_resume_name_what_is_wrong(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(toy / "missing")]) == 2
    assert f"{toy / 'missing'} does not exist" in capsys.readouterr().err
    out = toy / "run"
    assert main([*_run(toy, out, "--epochs", "1"), "--no-progress"]) == 0
    assert main([*PLUG, "run", "cinc2021", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is a run of the benchmark 'toy', not 'cinc2021'" in err
    assert f"ecg-bench run toy --resume {out}" in err


def test_help_examples_parse(capsys: pytest.CaptureFixture[str]) -> None:
    """Every ``--set`` of the top-level help's examples is a setting of its benchmark."""
    from ecg_benchmarks import cli
    from ecg_benchmarks.base import get_benchmark
    from ecg_benchmarks.settings import apply_overrides, parse_assignments

    assert cli.__doc__ is not None
    for line in cli.__doc__.split("Examples::", 1)[1].splitlines():
        words = line.split("#")[0].split()
        if len(words) > 2 and words[:2] == ["ecg-bench", "run"] and "--set" in words:
            bench = get_benchmark(words[2])
            sets = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
            apply_overrides(bench.default_settings(), parse_assignments(sets))


def test_resume_of_an_unlabelled_run_of_another_benchmark(
    toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run folder without run.json (written before it existed): the config names the problem."""
    out = toy / "old"
    (out / "checkpoints").mkdir(parents=True)
    (out / "checkpoints" / "checkpoint_epoch0000_step00000002.pt").write_bytes(b"x")
    (out / "config.toml").write_text('task = "rr_lstm"\n')
    assert main(["run", "cinc2021", "--resume", str(out)]) == 2
    err = capsys.readouterr().err
    assert "does not fit the settings of 'cinc2021' (a run of another benchmark?)" in err
