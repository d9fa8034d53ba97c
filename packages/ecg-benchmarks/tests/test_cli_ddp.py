"""``ecg-bench run`` under ``torchrun``: rank 0 alone prepares and fills the run folder, the other
ranks use the same folder; a refusal on rank 0 reaches every rank. Plus the single-process
helpers of :mod:`ecg_benchmarks.ddp` and ``python -m ecg_benchmarks.cli``."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecg_benchmarks.ddp import DistContext, env_rank, env_world_size
from ecg_benchmarks.runs import RunDirError

TORCHRUN = Path(sys.executable).with_name("torchrun")


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key, None)
    return env


def _torchrun(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "ecg_benchmarks.cli", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, env=_env(), cwd=str(cwd)
    )


@pytest.mark.slow
@pytest.mark.data
def test_torchrun_two_processes_full_run_folder(
    sample_data: Path, tmp_path: Path, check_run_files: Callable[..., dict[str, Any]]
) -> None:
    out = tmp_path / "ddp"
    args = ["run", "cpsc2021", "--data-dir", str(sample_data / "cpsc2021"), "--out", str(out)]
    args += ["--epochs", "1", "--no-progress", "--set", "task=rr_lstm"]
    args += ["--set", "train.max_records=3", "--set", "train.batch_size=4"]
    proc = _torchrun(args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = check_run_files(out, "confusion.png")
    assert list((out / "logs").glob("events.out.tfevents.*")), "no TensorBoard log"
    assert math.isfinite(metrics["cpsc2021_score"]) and metrics["world_size"] == 2
    assert len(json.loads((out / "history.json").read_text())) == 1
    assert "cpsc2021_score" in (out / "report.md").read_text()
    # one summary line: only rank 0 printed it
    assert proc.stdout.count("time taken:") == 1, proc.stdout
    # nothing else was created beside the run folder (no second, rank-1 folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"]
    # a second run into the finished folder is refused on every rank, nothing is lost
    before = (out / "metrics.json").read_text()
    again = _torchrun(args, tmp_path)
    assert again.returncode != 0
    assert again.stderr.count("already holds a finished run") == 2, again.stderr[-3000:]
    assert (out / "metrics.json").read_text() == before


@pytest.mark.slow
@pytest.mark.data
def test_torchrun_default_out_folder_is_shared(sample_data: Path, tmp_path: Path) -> None:
    """Without --out the timestamped folder name is rank 0's on every rank."""
    args = ["run", "cpsc2021", "--data-dir", str(sample_data / "cpsc2021"), "--epochs", "1"]
    args += ["--no-progress", "--set", "task=rr_lstm", "--set", "train.max_records=2"]
    args += ["--set", "train.batch_size=2", "--set", "train.tensorboard=false"]
    proc = _torchrun(args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("cpsc2021-")
    assert (folders[0] / "metrics.json").is_file()


def test_python_dash_m_cli(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ecg_benchmarks.cli", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "cpsc2021" in proc.stdout and "ptbxl" in proc.stdout and "cpsc2020" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ecg_benchmarks.cli", "run", "cpsc202"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        cwd=str(tmp_path),
    )
    assert bad.returncode == 2 and "did you mean" in bad.stderr


def test_env_rank_and_world_size(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(key, raising=False)
    assert env_rank() == 0 and env_world_size() == 1
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert env_rank() == 3
    monkeypatch.setenv("RANK", "5")
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert env_rank() == 5 and env_world_size() == 8
    monkeypatch.setenv("WORLD_SIZE", "x")
    assert env_world_size() == 1


def test_single_process_context(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ctx = DistContext.setup("cpu")
    assert ctx.is_main and ctx.world_size == 1 and not ctx.active and not ctx.owns_group
    assert ctx.broadcast({"a": 1}) == {"a": 1}
    assert ctx.on_main(lambda: 7) == 7
    ctx.barrier()

    def fail() -> int:
        raise RunDirError("refused")

    with pytest.raises(RunDirError, match="refused"):
        ctx.on_main(fail)
    ctx.close()


def test_error_rebuilt_with_its_class() -> None:
    from ecg_benchmarks.base import BenchmarkError
    from ecg_benchmarks.ddp import _rebuild

    err = _rebuild("BenchmarkError", "no data")
    assert isinstance(err, BenchmarkError) and str(err) == "no data"
    other = _rebuild("KeyError", "'x'")
    assert isinstance(other, RuntimeError) and "rank 0 failed: KeyError" in str(other)
