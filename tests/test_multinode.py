"""Multi-node training through torchrun's c10d rendezvous, as on a cluster: two torchrun
launchers ("nodes", ``--nnodes 2 --node-rank K``, one process each) meet at a rendezvous
endpoint on 127.0.0.1 and train ecg-train's toy task in one shared run folder. The result must
equal one process with the same global batch (packages/ecg-train/tests/train_toy.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ecg_train.trainer.safe_state import read_state

TOY = Path(__file__).resolve().parent.parent / "packages/ecg-train/tests/train_toy.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _torchrun() -> str:
    here = Path(sys.executable).with_name("torchrun")
    if here.exists():
        return str(here)
    found = shutil.which("torchrun")
    if found is None:
        pytest.skip("torchrun not found")
    return found


@pytest.mark.slow
def test_two_nodes_c10d_rendezvous_match_one_process(tmp_path: Path) -> None:
    out = tmp_path / "shared-run"  # the run folder both "nodes" see (a shared file system)
    out.mkdir()
    endpoint = f"127.0.0.1:{_free_port()}"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    launchers = []
    for node_rank in (0, 1):
        cmd = [
            _torchrun(),
            "--nnodes",
            "2",
            "--node-rank",
            str(node_rank),
            "--nproc-per-node",
            "1",
            "--rdzv-backend",
            "c10d",
            "--rdzv-endpoint",
            endpoint,
            "--rdzv-id",
            "ecg-suite-multinode-test",
            "--max-restarts",
            "0",
            str(TOY),
            str(out),
            "1",
        ]
        launchers.append(
            subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    logs = []
    for proc in launchers:
        try:
            _, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            for p in launchers:
                p.kill()
            pytest.fail("the two-node run did not finish in 300 s")
        logs.append(err)
    for proc, err in zip(launchers, logs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    two = read_state(out / "result.safetensors")
    import train_toy as toy  # registered by the root conftest

    one = toy.run(tmp_path / "one", 1)
    # rank 0 alone writes the checkpoints: the shared folder holds one set, as one process does
    toy.assert_matches_one_process(two, one, out / "ckpt", tmp_path / "one" / "ckpt")
