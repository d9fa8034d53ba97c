"""Atomic checkpoint files, RNG state capture and checkpoint rotation.

Checkpoints (``checkpoint_epoch*_step*.pt`` and ``best_model.pt``) are safetensors files: the
tensors in the tensor table and every other value as JSON (see :mod:`ecg_train.trainer.safe_state`).
Nothing is unpickled on load, so a crafted file cannot run code; a pickled file is refused.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ecg_train.trainer.safe_state import read_state, state_to_bytes

__all__ = [
    "atomic_save",
    "load_checkpoint",
    "capture_rng_state",
    "restore_rng_state",
    "list_checkpoints",
    "latest_checkpoint",
    "rotate_checkpoints",
    "checkpoint_name",
]

_NAME = re.compile(r"^checkpoint_epoch(\d+)_step(\d+)\.pt$")


def checkpoint_name(epoch: int, step: int) -> str:
    """File name of the checkpoint taken at ``epoch`` (0-based) after ``step`` optimizer steps."""
    return f"checkpoint_epoch{epoch:04d}_step{step:08d}.pt"


def atomic_save(obj: object, path: str | os.PathLike[str]) -> Path:
    """Save the state ``obj`` as a safetensors file atomically: temp file, fsync, rename.

    A crash at any moment leaves either the previous file or the complete new one.

    Raises:
        TypeError: ``obj`` holds a value that is not plain data (the path to it is named).
    """
    target = Path(path)
    data = state_to_bytes(obj)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename durable
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return target
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint dict (tensors on the CPU); never unpickles.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a checkpoint of this trainer (a pickle, a damaged file...).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint file not found: {p}")
    obj = read_state(p)
    if not isinstance(obj, dict) or "model" not in obj or "format" not in obj:
        raise ValueError(f"{p} is not an ecg_train checkpoint (missing 'model'/'format' keys)")
    return obj


def capture_rng_state() -> dict[str, Any]:
    """States of python's ``random``, numpy's global RNG, torch CPU (and CUDA) RNGs."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),  # noqa: NPY002 - global state is what we save
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])  # noqa: NPY002
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def list_checkpoints(folder: str | os.PathLike[str]) -> list[Path]:
    """Periodic checkpoints of ``folder``, oldest first (by step)."""
    d = Path(folder)
    if not d.is_dir():
        return []
    found = []
    for p in d.iterdir():
        m = _NAME.match(p.name)
        if m:
            found.append((int(m.group(2)), int(m.group(1)), p))
    return [p for _, _, p in sorted(found)]


def latest_checkpoint(path: str | os.PathLike[str]) -> Path:
    """``path`` itself if a file, else the newest checkpoint in the folder ``path``.

    Raises:
        FileNotFoundError: a folder without checkpoint, or a missing path.
    """
    p = Path(path)
    if p.is_file():
        return p
    if not p.is_dir():
        raise FileNotFoundError(f"resume path does not exist: {p}")
    found = list_checkpoints(p)
    if not found:
        raise FileNotFoundError(
            f"resume directory {p} holds no checkpoint (expected checkpoint_epoch*_step*.pt)"
        )
    return found[-1]


def rotate_checkpoints(folder: str | os.PathLike[str], keep: int) -> list[Path]:
    """Delete the oldest periodic checkpoints so that at most ``keep`` remain; return deleted."""
    found = list_checkpoints(folder)
    removed = found[: max(0, len(found) - keep)]
    for p in removed:
        p.unlink(missing_ok=True)
    return removed
