"""Test set-up of ecg-train: ``train_toy.py`` (the toy model, dataset and trainer, also a torchrun
script) importable as ``train_toy`` by every test module of this folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def pytest_configure() -> None:
    """Register ``train_toy.py`` as the module ``train_toy`` (loaded once, from its path)."""
    if "train_toy" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "train_toy", Path(__file__).with_name("train_toy.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_toy"] = module
    spec.loader.exec_module(module)
