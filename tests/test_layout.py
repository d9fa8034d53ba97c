"""Every package has the agreed layout: one version, py.typed, README, CHANGELOG, a guarded __all__."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib

import pytest

from tests._repo import ROOT, Package, meta_package, packages

PACKAGES = packages()
IDS = [p.dist for p in PACKAGES]


def test_the_five_packages_exist() -> None:
    assert IDS == ["ecg-benchmarks", "ecg-data", "ecg-models", "ecg-signal", "ecg-train"]


@pytest.mark.parametrize("pkg", [*PACKAGES, meta_package()], ids=[*IDS, "ecg-suite"])
def test_package_layout(pkg: Package) -> None:
    for name in ("pyproject.toml", "README.md"):
        assert (pkg.folder / name).is_file(), f"{pkg.dist} lacks {name}"
    assert (pkg.src / "py.typed").is_file()
    meta = tomllib.loads((pkg.folder / "pyproject.toml").read_text())
    assert meta["build-system"]["build-backend"] == "hatchling.build"
    # The version lives in exactly one place: _version.py, read by hatch.
    assert "version" not in meta["project"]
    assert meta["project"]["dynamic"] == ["version"]
    assert meta["tool"]["hatch"]["version"]["path"] == f"src/{pkg.module}/_version.py"
    text = (pkg.src / "_version.py").read_text()
    assert re.fullmatch(r'__version__ = "\d+\.\d+\.\d+"\n', text)
    module = importlib.import_module(pkg.module)
    assert module.__version__ == text.split('"')[1]
    # torch is never pinned in package metadata (the set-up pins it).
    for dep in meta["project"].get("dependencies", []):
        assert not dep.replace(" ", "").startswith("torch=="), dep


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_package_has_changelog_and_tests(pkg: Package) -> None:
    log = (pkg.folder / "CHANGELOG.md").read_text()
    assert "## Unreleased" in log
    assert (pkg.folder / "tests").is_dir()


@pytest.mark.parametrize("pkg", [*PACKAGES, meta_package()], ids=[*IDS, "ecg-suite"])
def test_public_names_resolve(pkg: Package) -> None:
    module = importlib.import_module(pkg.module)
    names = module.__all__
    assert len(names) == len(set(names)), "duplicates in __all__"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{pkg.module}.__all__ names that do not resolve: {missing}"


@pytest.mark.parametrize("pkg", [*PACKAGES, meta_package()], ids=[*IDS, "ecg-suite"])
def test_import_has_no_side_effects(pkg: Package, tmp_path) -> None:
    """Importing creates no file and pulls in no optional heavy dependency."""
    code = (
        "import sys\n"
        f"import {pkg.module}\n"
        "heavy = [m for m in ('biosppy', 'matplotlib', 'onnx', 'onnxruntime', 'neurokit2', 'sklearn')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    before = set(tmp_path.iterdir())
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"import {pkg.module} imported {out.stdout.strip()}"
    assert set(tmp_path.iterdir()) == before


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```")[1]
    lines = block.split("\n")[1:]  # the first line holds the language tag
    commands = [ln.split("#")[0].strip() for ln in lines if ln.strip()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
