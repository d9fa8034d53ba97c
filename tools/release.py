#!/usr/bin/env python3
"""Bump one package's version and move its CHANGELOG's "Unreleased" notes under the new version.

Usage::

    python tools/release.py ecg-signal patch      # 0.1.0 -> 0.1.1
    python tools/release.py ecg-models minor      # 0.1.3 -> 0.2.0
    python tools/release.py ecg-suite major       # the meta-package (root)

Each package is versioned on its own: only ``<package>/src/<module>/_version.py`` and
``<package>/CHANGELOG.md`` change. The command then prints the sibling packages whose dependency
range no longer admits the new version, so a breaking release is never shipped silently.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VERSION_RE = re.compile(r'^__version__ = "(\d+)\.(\d+)\.(\d+)"$', re.M)


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Map each distribution name (ecg-signal, ..., ecg-suite) to its folder."""
    dirs = {"ecg-suite": root}
    for pyproject in sorted((root / "packages").glob("*/pyproject.toml")):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        dirs[name] = pyproject.parent
    return dirs


def version_file(pkg_dir: Path) -> Path:
    meta = tomllib.loads((pkg_dir / "pyproject.toml").read_text())
    return pkg_dir / meta["tool"]["hatch"]["version"]["path"]


def bump(version: tuple[int, int, int], part: str) -> tuple[int, int, int]:
    major, minor, patch = version
    if part == "major":
        return (major + 1, 0, 0)
    if part == "minor":
        return (major, minor + 1, 0)
    if part == "patch":
        return (major, minor, patch + 1)
    raise ValueError(f"part must be one of major, minor, patch; got {part!r}")


def release(name: str, part: str, *, root: Path = ROOT, today: _dt.date | None = None) -> str:
    """Bump ``name``'s version by ``part`` and update its CHANGELOG; return the new version."""
    dirs = package_dirs(root)
    if name not in dirs:
        raise SystemExit(f"unknown package {name!r}; choose one of {sorted(dirs)}")
    pkg_dir = dirs[name]
    vfile = version_file(pkg_dir)
    text = vfile.read_text()
    match = _VERSION_RE.search(text)
    if match is None:
        raise SystemExit(f'{vfile} must hold one line __version__ = "X.Y.Z"')
    old = tuple(int(g) for g in match.groups())
    new = bump((old[0], old[1], old[2]), part)
    new_str = ".".join(map(str, new))
    vfile.write_text(_VERSION_RE.sub(f'__version__ = "{new_str}"', text))

    changelog = pkg_dir / "CHANGELOG.md"
    date = (today or _dt.date.today()).isoformat()
    if changelog.exists():
        log = changelog.read_text()
        if "## Unreleased" not in log:
            raise SystemExit(f"{changelog} has no '## Unreleased' section to release")
        log = log.replace("## Unreleased", f"## Unreleased\n\n## {new_str} ({date})", 1)
        changelog.write_text(log)

    # Which siblings pin a range that excludes the new version?
    for other, other_dir in dirs.items():
        deps = tomllib.loads((other_dir / "pyproject.toml").read_text())["project"].get(
            "dependencies", []
        )
        for dep in deps:
            m = re.match(rf"^{re.escape(name)}\s*~=\s*(\d+)\.(\d+)", dep)
            if m and (int(m.group(1)), int(m.group(2))) != new[:2]:
                print(f"note: {other} depends on {dep!r}, which excludes {name} {new_str}")
    print(f"{name}: {'.'.join(map(str, old))} -> {new_str}")
    return new_str


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "package", help="distribution name, e.g. ecg-signal (ecg-suite for the root)"
    )
    parser.add_argument("part", choices=["major", "minor", "patch"])
    args = parser.parse_args(argv)
    release(args.package, args.part)
    return 0


if __name__ == "__main__":
    sys.exit(main())
