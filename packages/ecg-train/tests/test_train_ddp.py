"""torchrun --nproc_per_node 2 (gloo, CPU) matches one process with the same global batch."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import train_toy as toy

from ecg_train.trainer.safe_state import read_state

HERE = Path(__file__).parent


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
    toy.assert_matches_one_process(two, one, tmp_path / "ddp" / "ckpt", tmp_path / "one" / "ckpt")
