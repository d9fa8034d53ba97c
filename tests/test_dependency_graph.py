"""Dependencies point one way, and every import of a package is a dependency it declares."""

from __future__ import annotations

import ast
import importlib.metadata as md
import sys
from pathlib import Path

import pytest

from tests._repo import ALLOWED_ECG_DEPS, ROOT, Package, meta_package, packages, req_name

PACKAGES = packages()
IDS = [p.dist for p in PACKAGES]
_MODULE_TO_DISTS = md.packages_distributions()


def _is_peer_script(path: Path) -> bool:
    """A ``*_peer.py`` module is a script run by the peer interpreter of bench/ (``.venv-peer``), which
    has the peer libraries; the package runs it as a subprocess and never imports it."""
    return path.name.endswith("_peer.py")


def _imports(src: Path) -> list[tuple[Path, int, str, bool]]:
    """(file, line, top-level module, at module level?) for every absolute import under src,
    peer scripts left out."""
    found = []
    for path in sorted(src.rglob("*.py")):
        if _is_peer_script(path):
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        top_level = set()
        for node in tree.body:
            top_level.add(id(node))
            if isinstance(node, ast.If | ast.Try):  # `if TYPE_CHECKING:` / try-import blocks
                for child in ast.walk(node):
                    top_level.add(id(child))
        type_checking = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                for child in ast.walk(node):
                    type_checking.add(id(child))
        for node in ast.walk(tree):
            if id(node) in type_checking:
                continue
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.append((path, node.lineno, name.split(".")[0], id(node) in top_level))
    return found


def _dists_of(module: str) -> set[str]:
    return {req_name(d) for d in _MODULE_TO_DISTS.get(module, [])}


@pytest.mark.parametrize("pkg", [*PACKAGES, meta_package()], ids=[*IDS, "ecg-suite"])
def test_ecg_dependencies_point_one_way(pkg: Package) -> None:
    assert pkg.ecg_deps <= ALLOWED_ECG_DEPS[pkg.dist], (
        f"{pkg.dist} may depend only on {sorted(ALLOWED_ECG_DEPS[pkg.dist])}, declares {sorted(pkg.ecg_deps)}"
    )
    # ecg-* dependencies use compatible-release ranges (~=).
    for dep in pkg.dependencies:
        if req_name(dep).startswith("ecg-"):
            assert "~=" in dep, dep


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_every_import_is_declared(pkg: Package) -> None:
    core = {req_name(d) for d in pkg.dependencies}
    optional = {req_name(d) for deps in pkg.extras.values() for d in deps}
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    problems = []
    for path, line, module, at_top in _imports(pkg.src):
        if module in stdlib or module == pkg.module:
            continue
        where = f"{path.relative_to(pkg.folder)}:{line} imports {module}"
        if module.startswith("ecg_"):
            dist = module.replace("_", "-")
            if dist not in core:
                problems.append(f"{where}, an undeclared ecg-* package")
            continue
        dists = _dists_of(module)
        if not dists:
            problems.append(f"{where}, which no installed distribution provides")
        elif dists & core:
            continue
        elif dists & optional:
            if at_top:
                problems.append(f"{where}, an optional extra, at module level (import it lazily)")
        else:
            problems.append(f"{where}, provided by {sorted(dists)}, not declared")
    assert not problems, "\n".join(problems)


def test_ecg_signal_is_the_shared_base() -> None:
    # every package but ecg-signal may use it; ecg-models and ecg-train use nothing else
    for dist, allowed in ALLOWED_ECG_DEPS.items():
        if dist != "ecg-signal":
            assert "ecg-signal" in allowed, dist
    assert ALLOWED_ECG_DEPS["ecg-models"] == ALLOWED_ECG_DEPS["ecg-train"] == {"ecg-signal"}
    assert ALLOWED_ECG_DEPS["ecg-signal"] == set()


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_readme_table_names_the_declared_ecg_dependencies(pkg: Package) -> None:
    rows = [
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith(f"| [{pkg.dist}]")
    ]
    assert len(rows) == 1, f"README.md has no (or several) table rows for {pkg.dist}"
    depends_on = rows[0].rstrip("|").rsplit("|", 1)[1]
    if "all four" in depends_on:
        named = ALLOWED_ECG_DEPS[pkg.dist]
    else:
        named = {w.strip(" ,`") for w in depends_on.split(",")} & {p.dist for p in PACKAGES}
    assert named == pkg.ecg_deps, f"README says {pkg.dist} depends on {sorted(named)}"


@pytest.mark.parametrize("pkg", PACKAGES, ids=IDS)
def test_peer_scripts_are_never_imported(pkg: Package) -> None:
    peer_modules = {p.stem for p in pkg.src.rglob("*.py") if _is_peer_script(p)}
    for path in sorted(pkg.src.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for name in names:
                assert name.rsplit(".", 1)[-1] not in peer_modules, (
                    f"{path.relative_to(pkg.folder)}:{node.lineno} imports the peer script {name}"
                )
