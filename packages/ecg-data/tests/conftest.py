"""Test set-up of ecg-data: ``wfdb_write.py`` (WFDB record writers) importable as ``wfdb_write``,
and the conformance WFDB folder and its reader (data tests)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from ecg_data.readers.wfdb_base import WFDBReader


def pytest_configure() -> None:
    """Register ``wfdb_write.py`` as the module ``wfdb_write`` (loaded once, from its path)."""
    if "wfdb_write" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "wfdb_write", Path(__file__).with_name("wfdb_write.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wfdb_write"] = module
    spec.loader.exec_module(module)


@pytest.fixture(scope="module")
def wfdb_dir(conformance_data: Path) -> Path:
    """The WFDB records of /work/shared/conformance (other projects' reader test files)."""
    return conformance_data / "wfdb"


@pytest.fixture(scope="module")
def reader(wfdb_dir: Path) -> WFDBReader:
    """A :class:`WFDBReader` over :func:`wfdb_dir`."""
    return WFDBReader(wfdb_dir)
