"""Test set-up of ecg-benchmarks: the check of a finished run folder shared by the case tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RUN_FILES = (
    "config.toml",
    "metrics.json",
    "history.json",
    "report.md",
    "learning_curves.png",
    "examples.png",
    "checkpoints/best_model.pt",
    "checkpoints/model.safetensors",
    "logs/metrics.csv",
)
"""The files that every case writes into a finished run folder."""

RunCheck = Callable[..., dict[str, Any]]


def _check_run_files(out: Path, *extra: str) -> dict[str, Any]:
    """Assert that ``out`` holds :data:`RUN_FILES` and ``extra``; return its metrics.json."""
    for name in (*RUN_FILES, *extra):
        assert (out / name).is_file(), name
    metrics: dict[str, Any] = json.loads((out / "metrics.json").read_text())
    return metrics


@pytest.fixture
def check_run_files() -> RunCheck:
    """``check_run_files(out, *extra_files)``: the files of a finished run, then its metrics."""
    return _check_run_files
