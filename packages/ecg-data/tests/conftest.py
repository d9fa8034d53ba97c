"""Test set-up of ecg-data: the conformance WFDB folder and its reader (data tests).
``wfdb_write.py`` (WFDB record writers) is importable as ``wfdb_write`` (registered by the root
conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecg_data.readers.wfdb_base import WFDBReader


@pytest.fixture(scope="module")
def wfdb_dir(conformance_data: Path) -> Path:
    """The WFDB records of /work/shared/conformance (other projects' reader test files)."""
    return conformance_data / "wfdb"


@pytest.fixture(scope="module")
def reader(wfdb_dir: Path) -> WFDBReader:
    """A :class:`WFDBReader` over :func:`wfdb_dir`."""
    return WFDBReader(wfdb_dir)
