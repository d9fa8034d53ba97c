"""The release command bumps one package and its CHANGELOG, leaving the others alone."""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_release():
    spec = importlib.util.spec_from_file_location("release_tool", ROOT / "tools" / "release.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["release_tool"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "src" / "ecg_suite", tmp_path / "src" / "ecg_suite")
    for pkg in (ROOT / "packages").iterdir():
        dst = tmp_path / "packages" / pkg.name
        shutil.copytree(pkg, dst, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    return tmp_path


def _versions(root: Path) -> dict[str, str]:
    out = {}
    for vf in [*root.glob("packages/*/src/*/_version.py"), root / "src/ecg_suite/_version.py"]:
        out[str(vf.relative_to(root))] = vf.read_text().split('"')[1]
    return out


def test_minor_release_touches_one_package(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    release = _load_release()
    before = _versions(tree)
    changelog = tree / "packages/ecg-signal/CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## Unreleased\n", "## Unreleased\n\n- A fix.\n")
    )
    old = before["packages/ecg-signal/src/ecg_signal/_version.py"]
    major, minor, _ = (int(p) for p in old.split("."))

    new = release.release("ecg-signal", "minor", root=tree, today=dt.date(2026, 1, 2))

    assert new == f"{major}.{minor + 1}.0"
    after = _versions(tree)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"packages/ecg-signal/src/ecg_signal/_version.py"}
    log = changelog.read_text()
    assert f"## Unreleased\n\n## {new} (2026-01-02)\n\n- A fix." in log
    # ecg-data and the meta-package pin ecg-signal~=X.Y.0: the tool says so.
    out = capsys.readouterr().out
    assert "ecg-data depends on" in out and "ecg-suite depends on" in out


def test_patch_and_major(tree: Path) -> None:
    release = _load_release()
    vf = tree / "packages/ecg-models/src/ecg_models/_version.py"
    vf.write_text('__version__ = "1.4.2"\n')
    assert release.release("ecg-models", "patch", root=tree) == "1.4.3"
    assert release.release("ecg-models", "major", root=tree) == "2.0.0"
    assert vf.read_text() == '__version__ = "2.0.0"\n'


def test_unknown_package_is_refused(tree: Path) -> None:
    release = _load_release()
    with pytest.raises(SystemExit, match="unknown package 'ecg-foo'"):
        release.release("ecg-foo", "patch", root=tree)
