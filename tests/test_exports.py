"""One export list per package: the names type checkers see are exactly the names that import.

Each package's ``__init__.py`` lists its public names once, as explicit re-exports in its
``TYPE_CHECKING`` block (what mypy and pyright read), and :func:`ecg_signal.lazy.attach` serves
the same names at run time. These tests read the block with :mod:`ast` (independently of
``attach``) and check it against the imported module.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tests._repo import ROOT, Package, meta_package, packages

PACKAGES = [*packages(), meta_package()]
IDS = [p.dist for p in PACKAGES]
HEAVY = ("torch", "numpy", "scipy", "pandas", "wfdb", "matplotlib", "safetensors", "sklearn")


def _typed_view(pkg: Package) -> tuple[dict[str, str], set[str]]:
    """``({name: module} of the TYPE_CHECKING block, {eager explicit re-exports})``."""
    tree = ast.parse((pkg.src / "__init__.py").read_text())
    block: dict[str, str] = {}
    eager: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.level == 0, ast.dump(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{alias.name} is not re-exported as itself"
                    assert alias.name not in block, f"{alias.name} listed twice"
                    block[alias.name] = str(stmt.module)
        elif isinstance(node, ast.ImportFrom):
            eager |= {a.name for a in node.names if a.asname == a.name}
    return block, eager


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_typed_names_are_the_runtime_names(pkg: Package) -> None:
    block, eager = _typed_view(pkg)
    assert block, f"{pkg.module} has no TYPE_CHECKING export block"
    module = importlib.import_module(pkg.module)
    assert sorted(module.__all__) == sorted({*block, *eager})
    assert set(module.__all__) <= set(dir(module))
    for name, source in block.items():
        value = getattr(module, name)
        assert value is getattr(importlib.import_module(source), name), name
    # nothing public at run time that type checkers do not see (submodules aside)
    extra = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    } - set(module.__all__)
    assert extra <= {"TYPE_CHECKING", "attach"}, extra
    with pytest.raises(AttributeError, match=f"module '{pkg.module}' has no attribute 'no_such'"):
        _ = module.no_such


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_import_is_free_of_heavy_imports(pkg: Package) -> None:
    code = f"import sys, {pkg.module}\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", f"import {pkg.module} imports {out.stdout.strip()}"


def test_seed_names_documented_at_the_top() -> None:
    from ecg_signal import consensus_rpeaks
    from ecg_signal.rpeaks import consensus_rpeaks as inner

    assert consensus_rpeaks is inner


@pytest.mark.slow
def test_mypy_sees_every_runtime_name(tmp_path: Path) -> None:
    """mypy (strict) accepts ``from pkg import name`` for each runtime name and rejects others."""
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if mypy is None:
        pytest.skip("mypy is not installed in this environment")
    lines = []
    for pkg in PACKAGES:
        module = importlib.import_module(pkg.module)
        lines += [
            f"from {pkg.module} import {n} as _{i}_{pkg.module}"
            for i, n in enumerate(module.__all__)
        ]
    lines.append("from ecg_signal import attach as _no")  # must be an error: not public
    probe = tmp_path / "probe.py"
    probe.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            mypy,
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(probe),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    errors = [ln for ln in out.stdout.splitlines() if ": error:" in ln]
    assert len(errors) == 1 and f"probe.py:{len(lines)}:" in errors[0], out.stdout
