"""Where the sample recordings are: one rule for the cases, the tests and the bench scripts.

The folder of real recordings is ``$ECG_SAMPLE_DATA`` when set, else ``../shared/data`` beside
the project checkout this package was installed from (found by walking up from this file to the
folder holding ``packages/ecg-benchmarks``). It never depends on the working directory. An
installed wheel has no project checkout: then only ``ECG_SAMPLE_DATA`` gives a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SAMPLE_DATA_ENV", "project_root", "sample_data_root", "sample_data_dir"]

SAMPLE_DATA_ENV = "ECG_SAMPLE_DATA"


def project_root() -> Path | None:
    """The project checkout holding this package (``<root>/packages/ecg-benchmarks``), or None."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "packages" / "ecg-benchmarks").is_dir() and (
            parent / "pyproject.toml"
        ).is_file():
            return parent
    return None


def sample_data_root() -> Path | None:
    """``$ECG_SAMPLE_DATA``, else ``<project>/../shared/data``; None when there is no default.

    The folder is returned whether or not it exists (callers say what is missing).
    """
    value = os.environ.get(SAMPLE_DATA_ENV)
    if value:
        return Path(value).expanduser()
    root = project_root()
    return None if root is None else root.parent / "shared" / "data"


def sample_data_dir(db: str) -> Path | None:
    """The sample folder of database ``db`` (``<root>/<db>``), or None without a root."""
    root = sample_data_root()
    return None if root is None else root / db
