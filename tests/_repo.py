"""Facts about the monorepo's packages, shared by the cross-package tests."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# dist name -> the ecg-* distributions it may depend on (the one-way dependency graph):
# ecg-signal is the shared base; ecg-models and ecg-train use no other ecg-* package.
ALLOWED_ECG_DEPS: dict[str, set[str]] = {
    "ecg-signal": set(),
    "ecg-data": {"ecg-signal"},
    "ecg-models": {"ecg-signal"},
    "ecg-train": {"ecg-signal"},
    "ecg-benchmarks": {"ecg-signal", "ecg-data", "ecg-models", "ecg-train"},
    "ecg-suite": {"ecg-signal", "ecg-data", "ecg-models", "ecg-train", "ecg-benchmarks"},
}


@dataclass(frozen=True)
class Package:
    dist: str
    module: str
    folder: Path
    src: Path
    dependencies: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]

    @property
    def ecg_deps(self) -> set[str]:
        return {req_name(d) for d in self.dependencies if req_name(d).startswith("ecg-")}


def req_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement, normalised (``scikit_learn>=1`` -> ``scikit-learn``)."""
    name = requirement
    for sep in "<>=!~[; ":
        name = name.split(sep, 1)[0]
    return name.strip().lower().replace("_", "-").replace(".", "-")


def _package(folder: Path) -> Package:
    meta = tomllib.loads((folder / "pyproject.toml").read_text())
    project = meta["project"]
    packages = meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    src = folder / packages[0]
    extras = {k: tuple(v) for k, v in project.get("optional-dependencies", {}).items()}
    return Package(
        dist=project["name"],
        module=src.name,
        folder=folder,
        src=src,
        dependencies=tuple(project.get("dependencies", [])),
        extras=extras,
    )


def packages() -> list[Package]:
    """The five packages under packages/ (not the meta-package)."""
    return [_package(p.parent) for p in sorted((ROOT / "packages").glob("*/pyproject.toml"))]


def meta_package() -> Package:
    return _package(ROOT)
