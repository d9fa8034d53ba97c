"""Test set-up shared by every package: where the real sample recordings are.

``ECG_SAMPLE_DATA`` points at the folder of real recordings; it defaults to ``../shared/data``
beside the project checkout (the one rule of :func:`ecg_benchmarks.paths.sample_data_root`, also
used by the cases). A test that needs it takes the ``sample_data`` fixture (and is marked
``data``): it skips with the reason when the folder is absent, except under ``CI=true``,
where a missing folder is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from ecg_benchmarks.paths import sample_data_root

ROOT = Path(__file__).resolve().parent
_ROOT_DATA = sample_data_root()
if "ECG_SAMPLE_DATA" not in os.environ and _ROOT_DATA is not None and _ROOT_DATA.is_dir():
    os.environ["ECG_SAMPLE_DATA"] = str(_ROOT_DATA)

#: Test helper modules that test files import by name (they are not packages' code).
TEST_HELPERS = {
    "wfdb_write": ROOT / "packages/ecg-data/tests/wfdb_write.py",
    "train_toy": ROOT / "packages/ecg-train/tests/train_toy.py",
    "backbone_params": ROOT / "packages/ecg-models/tests/backbone_params.py",
}


def pytest_configure() -> None:
    """Register each of :data:`TEST_HELPERS` as a module of its name, loaded once from its path."""
    for name, path in TEST_HELPERS.items():
        if name in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load the test helper {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


def _required_dir(path: Path, reason: str, what: str) -> Path:
    """``path`` with links resolved (readers resolve their ``db_dir``) when it is a folder; else
    skip with ``reason`` (fail under ``CI=true``)."""
    if not path.is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + f" (CI=true: the {what} folder is required)")
        pytest.skip(reason)
    return path.resolve()


def _sample_data_dir() -> Path:
    value = os.environ.get("ECG_SAMPLE_DATA")
    path = sample_data_root() or ROOT.parent / "shared" / "data"
    reason = f"real ECG samples not found: ECG_SAMPLE_DATA={value!r}, looked in {path}"
    return _required_dir(path, reason, "data")


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The folder of real recordings (mitdb, cinc2021, cpsc2018, cpsc2019, cpsc2021, ludb)."""
    return _sample_data_dir()


_CONFORMANCE_DEFAULT = ROOT.parent / "shared" / "conformance"


@pytest.fixture(scope="session")
def conformance_data() -> Path:
    """Other projects' reader test files (``ECG_CONFORMANCE_DATA``, default
    ``../shared/conformance``): skip when absent, fail under ``CI=true``."""
    value = os.environ.get("ECG_CONFORMANCE_DATA")
    path = Path(value) if value else _CONFORMANCE_DEFAULT
    reason = f"conformance files not found: ECG_CONFORMANCE_DATA={value!r}, default {path}"
    return _required_dir(path, reason, "conformance")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
