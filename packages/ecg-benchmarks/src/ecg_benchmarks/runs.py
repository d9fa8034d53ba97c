"""A run's output folder: what it holds, and the rules that keep earlier results safe.

A finished run folder holds ``run.json`` (which benchmark), ``config.toml`` (the resolved
settings), ``metrics.json`` (the final metrics), ``history.json`` (per-epoch metrics),
``checkpoints/`` (the model and the trainer's checkpoints), ``logs/`` (TensorBoard and CSV) and
``report.md`` with its PNG figures.

The rules: :meth:`RunDir.check` decides, without writing anything, whether a folder may be used;
:meth:`RunDir.create` then creates it (only when the run starts). A folder holding a finished run
is refused unless the caller resumes it or overwrites it; an overwritten run is moved aside to
``<out>.old-<timestamp>`` (a free name), never deleted. An unfinished run without a valid
checkpoint (it failed or was killed before its first checkpoint) is restarted in place. While a
process writes a run folder it holds the lock :meth:`RunDir.lock`; another process is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunDir", "RunDirError"]

_CHECKPOINT = re.compile(r"^checkpoint_epoch\d+_step\d+\.(pt|safetensors)$")
# Files a run writes; an unfinished run without checkpoint is cleared of them on restart.
_RUN_FILES = (
    "run.json",
    "config.toml",
    "history.json",
    "figures.json",
    "report.md",
    "metrics.json",
)
_RUN_DIRS = ("checkpoints", "logs")
_LOCK = ".lock"


class RunDirError(RuntimeError):
    """The output folder cannot be used as asked."""


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _writable_parent(path: Path) -> Path:
    for parent in (path, *path.parents):
        if parent.exists():
            return parent
    return Path.cwd()


@dataclass(frozen=True, slots=True)
class RunDir:
    """The output folder of one benchmark run."""

    path: Path

    @property
    def info(self) -> Path:
        """``run.json``: which benchmark this is a run of (and the plugins it loaded)."""
        return self.path / "run.json"

    @property
    def config(self) -> Path:
        """``config.toml``: the resolved settings."""
        return self.path / "config.toml"

    @property
    def metrics(self) -> Path:
        """``metrics.json``: the evaluation's metrics (written last)."""
        return self.path / "metrics.json"

    @property
    def history(self) -> Path:
        """``history.json``: the per-epoch losses and validation metrics."""
        return self.path / "history.json"

    @property
    def checkpoints(self) -> Path:
        """``checkpoints/``: the trainer's checkpoints and the model file."""
        return self.path / "checkpoints"

    @property
    def logs(self) -> Path:
        """``logs/``: CSV, text and TensorBoard logs."""
        return self.path / "logs"

    @property
    def report(self) -> Path:
        """``report.md``: the rendered report."""
        return self.path / "report.md"

    @property
    def finished(self) -> bool:
        """True when the run has written its metrics."""
        return self.metrics.is_file()

    def trainer_checkpoints(self) -> list[Path]:
        """The trainer's periodic checkpoint files (temporary files of an interrupted write and
        other names are not checkpoints)."""
        if not self.checkpoints.is_dir():
            return []
        return sorted(
            p for p in self.checkpoints.iterdir() if _CHECKPOINT.match(p.name) and p.is_file()
        )

    def is_run(self) -> bool:
        """True when the folder was written by ecg-bench (``run.json`` or ``config.toml``)."""
        return self.info.is_file() or self.config.is_file()

    def benchmark(self) -> str | None:
        """The benchmark of this run (``run.json``, else ``metrics.json``), or None."""
        for path in (self.info, self.metrics):
            if path.is_file():
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                if isinstance(data, dict) and isinstance(data.get("benchmark"), str):
                    return str(data["benchmark"])
        return None

    # ---------------------------------------------------------------- the rules
    @classmethod
    def check(cls, out: str | Path, *, resume: bool = False, overwrite: bool = False) -> RunDir:
        """Check ``out`` against the run rules without writing anything.

        Raises:
            RunDirError: ``out`` is a file; it holds a finished run and neither ``resume`` nor
                ``overwrite`` is set; ``resume`` is set but ``out`` holds no checkpoint; it is
                not empty and holds no run of ecg-bench; it holds an unfinished run with a
                checkpoint (resume or overwrite it); or it cannot be written.
        """
        path = Path(out)
        if path.exists() and not path.is_dir():
            raise RunDirError(f"--out {path} is a file, not a folder")
        run = cls(path)
        if resume:
            if not path.is_dir():
                raise RunDirError(f"cannot resume: {path} does not exist")
            if not run.trainer_checkpoints():
                raise RunDirError(
                    f"cannot resume: {path} holds no checkpoint (looked in {run.checkpoints}); "
                    "start it again without --resume"
                )
        elif path.is_dir() and any(p.name != _LOCK for p in path.iterdir()):
            if run.finished:
                if not overwrite:
                    raise RunDirError(
                        f"{path} already holds a finished run (metrics.json); pass --resume to "
                        "continue it, --overwrite to replace it (the old one is moved aside), or "
                        "another --out"
                    )
            elif not run.is_run() and not run.trainer_checkpoints():
                raise RunDirError(
                    f"{path} is not empty and holds no run of ecg-bench; choose an empty or new "
                    "--out"
                )
            elif run.trainer_checkpoints() and not overwrite:
                raise RunDirError(
                    f"{path} holds an unfinished run; pass --resume to continue it or --overwrite"
                )
        target = path if path.is_dir() else _writable_parent(path)
        if not os.access(target, os.W_OK | os.X_OK):
            raise RunDirError(f"cannot write to --out {path}: {target} is not writable")
        return run

    def create(self, *, resume: bool = False, overwrite: bool = False) -> None:
        """Create the folder as :meth:`check` allowed: move a finished (or overwritten) run
        aside, clear an unfinished run without checkpoint, or make a new folder.

        Raises:
            RunDirError: the folder cannot be created or moved (permissions, disk).
        """
        path = self.path
        try:
            if not resume and path.is_dir() and any(p.name != _LOCK for p in path.iterdir()):
                if self.finished or (overwrite and self.trainer_checkpoints()):
                    path.rename(self._aside_name())
                else:
                    self._clear()
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create the run folder {path}: {exc}") from exc

    def _aside_name(self) -> Path:
        base = self.path.with_name(f"{self.path.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
        candidate, k = base, 1
        while candidate.exists():
            candidate = base.with_name(f"{base.name}-{k}")
            k += 1
        return candidate

    def _clear(self) -> None:
        for name in _RUN_FILES:
            (self.path / name).unlink(missing_ok=True)
        for name in _RUN_DIRS:
            if (self.path / name).is_dir():
                shutil.rmtree(self.path / name)
        for png in self.path.glob("*.png"):
            png.unlink()

    @classmethod
    def prepare(cls, out: str | Path, *, resume: bool = False, overwrite: bool = False) -> RunDir:
        """:meth:`check` then :meth:`create` (for callers that start writing at once)."""
        run = cls.check(out, resume=resume, overwrite=overwrite)
        run.create(resume=resume, overwrite=overwrite)
        return run

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold an exclusive lock on the folder (``.lock``) while writing it.

        Raises:
            RunDirError: another process holds the lock.
        """
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        fh = (self.path / _LOCK).open("a+", encoding="utf-8")
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.seek(0)
                owner = fh.read().strip() or "another process"
                raise RunDirError(
                    f"{self.path} is in use by another ecg-bench process ({owner}); wait for it "
                    "to finish or stop it first"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            yield
        finally:
            fh.close()

    # ---------------------------------------------------------------- files
    def write_json(self, path: Path, data: Any) -> None:
        """Write ``data`` as indented JSON to ``path`` atomically (a temporary file, renamed)."""
        _atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def write_text(self, path: Path, text: str) -> None:
        """Write ``text`` to ``path`` atomically (a temporary file, renamed)."""
        _atomic_write(path, text)

    def read_json(self, path: Path, kind: type | None = None) -> Any:
        """The JSON content of ``path`` (of type ``kind`` when given).

        Raises:
            RunDirError: the file is missing, not JSON, or of another type.
        """
        if not path.is_file():
            raise RunDirError(f"{path} does not exist: is {self.path} a finished ecg-bench run?")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise RunDirError(f"{path} is not readable JSON: {exc}") from exc
        if kind is not None and not isinstance(data, kind):
            raise RunDirError(
                f"{path} holds a JSON {type(data).__name__}, expected a {kind.__name__}"
            )
        return data
