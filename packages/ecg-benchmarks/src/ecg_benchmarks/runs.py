"""A run's output folder: what it holds, and the rules that keep earlier results safe.

A finished run folder holds ``config.toml`` (the resolved settings), ``metrics.json`` (the final
metrics), ``history.json`` (per-epoch metrics), ``checkpoints/`` (the best model), ``logs/``
(TensorBoard and CSV) and ``report.md`` with its PNG figures. A folder that already holds a
finished run is refused unless the caller resumes it or asks to overwrite; an overwritten run is
moved aside to ``<out>.old-<timestamp>``, never deleted.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunDir", "RunDirError"]


class RunDirError(RuntimeError):
    """The output folder cannot be used as asked."""


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class RunDir:
    """The output folder of one benchmark run."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.toml"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.json"

    @property
    def history(self) -> Path:
        return self.path / "history.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def report(self) -> Path:
        return self.path / "report.md"

    @property
    def finished(self) -> bool:
        return self.metrics.is_file()

    @classmethod
    def prepare(cls, out: str | Path, *, resume: bool = False, overwrite: bool = False) -> RunDir:
        """Check ``out`` against the run rules and create it.

        Raises:
            RunDirError: ``out`` holds a finished run and neither ``resume`` nor ``overwrite`` is
                set; ``resume`` is set but ``out`` holds no checkpoint; or ``out`` is a file.
        """
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise RunDirError(f"--out {path} is a file, not a folder")
        run = cls(path)
        if resume:
            if not path.is_dir() or not any(run.checkpoints.glob("*")):
                raise RunDirError(
                    f"cannot resume: {path} holds no checkpoint (looked in {run.checkpoints})"
                )
            return run
        if path.is_dir() and any(path.iterdir()):
            if run.finished and not overwrite:
                raise RunDirError(
                    f"{path} already holds a finished run (metrics.json); pass --resume to continue "
                    "it, --overwrite to replace it (the old one is moved aside), or another --out"
                )
            if overwrite or run.finished:
                aside = path.with_name(f"{path.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
                path.rename(aside)
            elif not any(run.checkpoints.glob("*")):
                raise RunDirError(
                    f"{path} is not empty and holds no run of ecg-bench; choose an empty or new --out"
                )
            else:
                raise RunDirError(
                    f"{path} holds an unfinished run; pass --resume to continue it or --overwrite"
                )
        path.mkdir(parents=True, exist_ok=True)
        return run

    def write_json(self, path: Path, data: Any) -> None:
        _atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def write_text(self, path: Path, text: str) -> None:
        _atomic_write(path, text)

    def read_json(self, path: Path) -> Any:
        if not path.is_file():
            raise RunDirError(f"{path} does not exist: is {self.path} a finished ecg-bench run?")
        return json.loads(path.read_text())
