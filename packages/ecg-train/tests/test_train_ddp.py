"""torchrun --nproc_per_node 2 (gloo, CPU) matches one process with the same global batch."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ecg_train.trainer.safe_state import read_state

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("train_toy", HERE / "train_toy.py")
assert _spec is not None and _spec.loader is not None
toy = importlib.util.module_from_spec(_spec)
sys.modules["train_toy"] = toy
_spec.loader.exec_module(toy)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("accumulation", [1, 2])
def test_two_processes_match_one(tmp_path: Path, accumulation: int) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        found = shutil.which("torchrun")
        if found is None:
            pytest.skip("torchrun not found")
        torchrun = Path(found)
    env = dict(os.environ)
    env.pop("WORLD_SIZE", None)
    cmd = [
        str(torchrun),
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(_free_port()),
        str(HERE / "train_toy.py"),
        str(tmp_path / "ddp"),
        str(accumulation),
    ]
    (tmp_path / "ddp").mkdir()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = read_state(tmp_path / "ddp" / "result.safetensors")
    one = toy.run(tmp_path / "one", accumulation)
    assert two["world_size"] == 2 and one["world_size"] == 1
    assert len(two["loss_history"]) == len(one["loss_history"]) > 0
    torch.testing.assert_close(
        torch.tensor(two["loss_history"]), torch.tensor(one["loss_history"]), rtol=1e-5, atol=1e-6
    )
    for k, v in one["state"].items():
        torch.testing.assert_close(two["state"][k], v, rtol=1e-4, atol=1e-5)
    # evaluation metrics are reduced across ranks (weighted by shard size)
    assert two["final"]["val_loss"] == pytest.approx(one["final"]["val_loss"], rel=1e-4)
    # rank-0-only checkpointing: one set of files
    assert sorted(p.name for p in (tmp_path / "ddp" / "ckpt").iterdir()) == sorted(
        p.name for p in (tmp_path / "one" / "ckpt").iterdir()
    )
