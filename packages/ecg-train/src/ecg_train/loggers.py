"""Training loggers (CSV, text, TensorBoard) behind one :class:`LoggerManager`.

Every logger records scalars per step (phase ``"train"``) and per epoch (phase ``"epoch"``,
``"val"``...), the run configuration and the final metrics.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ecg_train._config import config_from

__all__ = [
    "BaseLogger",
    "CSVLogger",
    "TextLogger",
    "TensorBoardLogger",
    "LoggerConfig",
    "LoggerManager",
    "LOGGERS",
]


def _now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


def _jsonable(obj: object) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return repr(obj)


class BaseLogger(ABC):
    """Interface of a training logger."""

    @abstractmethod
    def log_scalars(self, scalars: Mapping[str, float], step: int, phase: str = "train") -> None:
        """Record ``scalars`` at ``step`` (optimizer step or epoch) under ``phase``."""

    @abstractmethod
    def log_config(self, config: Mapping[str, Any]) -> None:
        """Record the run configuration."""

    @abstractmethod
    def log_final(self, metrics: Mapping[str, float]) -> None:
        """Record the final metrics."""

    def truncate(self, step: int, epoch: int) -> None:  # noqa: B027 - optional hook
        """Forget what was logged after a resume point: phase ``"train"`` records after
        optimizer step ``step``, records of every other phase after epoch ``epoch``, and the
        final metrics. Called when a run resumes from a checkpoint, so that no record appears
        twice. TensorBoard needs nothing: it discards events of a tag whose step goes back.
        """

    def flush(self) -> None:  # noqa: B027 - optional hook
        """Flush buffered output."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files."""


class CSVLogger(BaseLogger):
    """Long-format CSV ``metrics.csv`` with columns ``time, phase, step, name, value``.

    The config goes to ``config.json`` and the final metrics to phase ``"final"`` rows.
    """

    COLUMNS = ("time", "phase", "step", "name", "value")

    def __init__(self, log_dir: str | Path, filename: str = "metrics.csv") -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.log_dir / filename
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._fh: TextIO = self.path.open("a", newline="")
        self._writer = csv.writer(self._fh)
        if new:
            self._writer.writerow(self.COLUMNS)

    def log_scalars(self, scalars: Mapping[str, float], step: int, phase: str = "train") -> None:
        t = _now()
        for name, value in scalars.items():
            self._writer.writerow((t, phase, int(step), name, repr(float(value))))
        self._fh.flush()

    def log_config(self, config: Mapping[str, Any]) -> None:
        (self.log_dir / "config.json").write_text(json.dumps(_jsonable(config), indent=2))

    def truncate(self, step: int, epoch: int) -> None:
        self._fh.close()
        with self.path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        body = rows[1:] if rows and tuple(rows[0]) == self.COLUMNS else rows
        kept = [r for r in body if len(r) == len(self.COLUMNS) and _kept(r[1], r[2], step, epoch)]
        _rewrite(self.path, [list(self.COLUMNS), *kept], csv_rows=True)
        self._fh = self.path.open("a", newline="")
        self._writer = csv.writer(self._fh)

    def log_final(self, metrics: Mapping[str, float]) -> None:
        self.log_scalars(metrics, step=-1, phase="final")

    def flush(self) -> None:
        self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


class TextLogger(BaseLogger):
    """Human-readable ``log.txt``."""

    def __init__(self, log_dir: str | Path, filename: str = "log.txt") -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.log_dir / filename
        self._fh: TextIO = self.path.open("a")

    def _line(self, text: str) -> None:
        self._fh.write(f"{_now()} {text}\n")
        self._fh.flush()

    def log_scalars(self, scalars: Mapping[str, float], step: int, phase: str = "train") -> None:
        body = ", ".join(f"{k}={float(v):.6g}" for k, v in scalars.items())
        self._line(f"[{phase}] step {int(step)}: {body}")

    def log_config(self, config: Mapping[str, Any]) -> None:
        self._line("config: " + json.dumps(_jsonable(config), sort_keys=True))

    def truncate(self, step: int, epoch: int) -> None:
        self._fh.close()
        kept = []
        for line in self.path.read_text().splitlines():
            m = _TEXT_RECORD.match(line)
            if m is None or _kept(m.group(1), m.group(2), step, epoch):
                kept.append(line)
        _rewrite(self.path, kept, csv_rows=False)
        self._fh = self.path.open("a")
        self._line(f"resumed after optimizer step {step} (epoch {epoch})")

    def log_final(self, metrics: Mapping[str, float]) -> None:
        body = ", ".join(f"{k}={float(v):.6g}" for k, v in metrics.items())
        self._line(f"[final] {body}")

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


class TensorBoardLogger(BaseLogger):
    """TensorBoard event files (``torch.utils.tensorboard.SummaryWriter``).

    Scalars are tagged ``"{phase}/{name}"``; the config is a text summary ``"config"``; final
    metrics are scalars ``"final/{name}"`` at step 0.
    """

    def __init__(self, log_dir: str | Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # heavy: imported on use

        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._writer = SummaryWriter(log_dir=str(self.log_dir))

    def log_scalars(self, scalars: Mapping[str, float], step: int, phase: str = "train") -> None:
        for name, value in scalars.items():
            v = float(value)
            if math.isfinite(v):
                self._writer.add_scalar(f"{phase}/{name}", v, int(step))

    def log_config(self, config: Mapping[str, Any]) -> None:
        text = json.dumps(_jsonable(config), indent=2, sort_keys=True)
        self._writer.add_text("config", f"```\n{text}\n```", 0)

    def log_final(self, metrics: Mapping[str, float]) -> None:
        self.log_scalars(metrics, step=0, phase="final")
        self._writer.flush()

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()


_TEXT_RECORD = re.compile(r"^\S+ \[([^\]]+)\](?: step (-?\d+):)?")


def _kept(phase: str, step: str | None, last_step: int, last_epoch: int) -> bool:
    """Whether a record of ``phase`` at ``step`` precedes the resume point."""
    if phase == "final":
        return False
    try:
        value = int(step) if step is not None else None
    except ValueError:
        return False
    if value is None:
        return False
    return value <= (last_step if phase == "train" else last_epoch)


def _rewrite(path: Path, rows: list[Any], *, csv_rows: bool) -> None:
    """Replace ``path`` atomically by ``rows`` (CSV rows or text lines)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            if csv_rows:
                csv.writer(fh).writerows(rows)
            else:
                fh.write("".join(f"{line}\n" for line in rows))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


LOGGERS: dict[str, Callable[[str | Path], BaseLogger]] = {
    "csv": CSVLogger,
    "text": TextLogger,
    "tensorboard": TensorBoardLogger,
}


@dataclass(slots=True)
class LoggerConfig:
    """Configuration of a :class:`LoggerManager`.

    Attributes:
        log_dir: output folder.
        loggers: names among ``"csv"``, ``"text"``, ``"tensorboard"``.
        enabled: False turns every logger off (e.g. on DDP ranks other than 0).
    """

    log_dir: str = "logs"
    loggers: tuple[str, ...] = ("csv", "text")
    enabled: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.loggers, str):
            self.loggers = (self.loggers,)
        self.loggers = tuple(self.loggers)
        for name in self.loggers:
            if name not in LOGGERS:
                import difflib

                close = difflib.get_close_matches(str(name), list(LOGGERS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown logger {name!r}{hint}; available: {', '.join(LOGGERS)}")
        if not isinstance(self.log_dir, str | Path) or not str(self.log_dir):
            raise ValueError(f"log_dir must be a non-empty path, got {self.log_dir!r}")


class LoggerManager(BaseLogger):
    """Fans every call out to its loggers.

    Example:
        >>> mgr = LoggerManager.from_config({"log_dir": "/tmp/run", "loggers": ["csv"]})  # doctest: +SKIP
        >>> mgr.log_scalars({"loss": 0.3}, step=10)  # doctest: +SKIP
    """

    def __init__(self, loggers: Sequence[BaseLogger] = ()) -> None:  # noqa: D107
        super().__init__()
        self.loggers = list(loggers)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | LoggerConfig | None = None) -> LoggerManager:
        """Build the loggers named in ``config`` (files are created only now)."""
        cfg = config_from(LoggerConfig, config)
        if not cfg.enabled:
            return cls([])
        return cls([LOGGERS[name](cfg.log_dir) for name in cfg.loggers])

    def log_scalars(self, scalars: Mapping[str, float], step: int, phase: str = "train") -> None:
        for lg in self.loggers:
            lg.log_scalars(scalars, step, phase)

    def log_config(self, config: Mapping[str, Any]) -> None:
        for lg in self.loggers:
            lg.log_config(config)

    def log_final(self, metrics: Mapping[str, float]) -> None:
        for lg in self.loggers:
            lg.log_final(metrics)

    def truncate(self, step: int, epoch: int) -> None:
        for lg in self.loggers:
            lg.truncate(step, epoch)

    def flush(self) -> None:
        for lg in self.loggers:
            lg.flush()

    def close(self) -> None:
        for lg in self.loggers:
            lg.close()
