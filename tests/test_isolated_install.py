"""Each distribution builds (wheel and sdist) and installs alone, with only what it declares.

For each package a fresh virtual environment gets only that package's wheel and the wheels of its
ecg-* dependencies (third-party dependencies come from the package index, with torch held to the
set-up's pin by a constraints file). The test then imports every module of the package and makes
one real call. An import of an undeclared module fails here, and `pip install packages/ecg-signal`
alone must not pull in any other ecg-* package (ecg-signal is the shared base: ecg-data,
ecg-models and ecg-train pull in ecg-signal and nothing else). Installing the meta-package
installs all five.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests._repo import ROOT, meta_package, packages

PACKAGES = packages()
BY_DIST = {p.dist: p for p in PACKAGES}

# One real call per package, run inside its isolated environment.
REAL_CALLS: dict[str, str] = {
    "ecg-signal": (
        "from ecg_signal._validation import check_band\n"
        "assert check_band(0.5, 45.0, 500.0) == (0.5, 45.0)\n"
        "from ecg_signal import simulate_ecg\n"
        "e = simulate_ecg(10.0, 500, n_leads=12, heart_rate=75.0, seed=1)\n"
        "assert e.signal.shape == (12, 5000) and 11 <= len(e.r_peak) <= 14\n"
    ),
    "ecg-data": (
        "import pathlib, tempfile, numpy as np, scipy.io as sio\n"
        "from ecg_data import CPSC2019\n"
        "d = pathlib.Path(tempfile.mkdtemp())\n"
        "(d / 'data').mkdir(); (d / 'ref').mkdir()\n"
        "sio.savemat(d / 'data' / 'data_00001.mat', {'ecg': np.ones((5000, 1))})\n"
        "sio.savemat(d / 'ref' / 'R_00001.mat', {'R_peak': np.array([[300], [800]])})\n"
        "r = CPSC2019(d)\n"
        "assert r.all_records == ['data_00001'], r.all_records\n"
        "assert r.load_data('data_00001').shape == (1, 5000)\n"
        "assert r.load_ann('data_00001').tolist() == [300, 800]\n"
    ),
    "ecg-models": (
        "import torch\n"
        "from ecg_models import ECG_CRNN, list_backbones\n"
        "m = ECG_CRNN(['NSR', 'AF'], 12).eval()\n"
        "assert 'tresnetP' in list_backbones()\n"
        "assert m(torch.rand(1, 12, 2000)).shape == (1, 2)\n"
    ),
    "ecg-train": (
        "from ecg_train import cpsc2019_score\n"
        "assert cpsc2019_score([[1000, 1500]], [[1000, 1500, 1800]], 500) == 0.7\n"
    ),
    "ecg-benchmarks": (
        "from ecg_benchmarks import list_benchmarks\n"
        "from ecg_benchmarks.cases.cpsc2019 import build_model, ModelSettings\n"
        "assert 'cpsc2019' in list_benchmarks()\n"
        "assert list(build_model(ModelSettings(width_divisor=16), 125.0).classes) == ['qrs']\n"
    ),
}

IMPORT_ALL = """
import importlib, pkgutil, sys
pkg = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
    importlib.import_module(info.name)
"""


def _torch_pin() -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.replace(" ", "").startswith("torch=="):
            return line.strip()
    raise AssertionError("requirements-dev.txt must pin torch")


def _ecg_closure(dist: str) -> list[str]:
    """``dist`` and the ecg-* distributions it needs, transitively."""
    todo, seen = [dist], []
    while todo:
        d = todo.pop()
        if d in seen:
            continue
        seen.append(d)
        pkg = BY_DIST.get(d) or meta_package()
        todo.extend(sorted(pkg.ecg_deps))
    return seen


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """Build a wheel and an sdist of every distribution with hatch: name -> (wheel, sdist)."""
    out = tmp_path_factory.mktemp("dist")
    hatch = shutil.which("hatch", path=str(Path(sys.executable).parent)) or shutil.which("hatch")
    if hatch is None:
        pytest.fail("hatch is not installed: it is a dev requirement (requirements-dev.txt)")
    built: dict[str, tuple[Path, Path]] = {}
    for pkg in [*PACKAGES, meta_package()]:
        target = out / pkg.dist
        subprocess.run(
            [hatch, "build", "-t", "wheel", "-t", "sdist", str(target)],
            cwd=pkg.folder,
            check=True,
            capture_output=True,
            env={**os.environ, "HATCH_VERBOSE": "0"},
        )
        wheel = next(target.glob("*.whl"))
        sdist = next(target.glob("*.tar.gz"))
        built[pkg.dist] = (wheel, sdist)
    return built


# Environments are made one at a time and link the interpreter instead of copying it: a copy
# being written while the other thread forks pip is inherited by that child, and executing the
# copy then fails with ETXTBSY ("Text file busy").
_VENV_LOCK = threading.Lock()


def _install(env_dir: Path, wheels: list[Path], constraints: Path) -> Path:
    with _VENV_LOCK:
        venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-compile",
            "-c",
            str(constraints),
            *map(str, wheels),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return python


def _check(python: Path, dist: str) -> None:
    module = dist.replace("-", "_")
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    installed = {line.split("==")[0].lower() for line in listed.splitlines()}
    ecg_installed = {d for d in installed if d.startswith("ecg-")}
    expected = set(_ecg_closure(dist))
    assert ecg_installed == expected, f"{dist} pulled in {sorted(ecg_installed - expected)}"
    run = subprocess.run(
        [str(python), "-c", IMPORT_ALL, module], capture_output=True, text=True, cwd=python.parent
    )
    assert run.returncode == 0, f"importing every module of {module} failed:\n{run.stderr[-3000:]}"
    call = subprocess.run(
        [str(python), "-c", REAL_CALLS[dist]], capture_output=True, text=True, cwd=python.parent
    )
    assert call.returncode == 0, f"the real call of {dist} failed:\n{call.stderr[-3000:]}"


def test_ecg_closures_follow_the_graph() -> None:
    # ecg-signal is the shared base; ecg-models and ecg-train pull in nothing else
    assert set(_ecg_closure("ecg-signal")) == {"ecg-signal"}
    for dist in ("ecg-data", "ecg-models", "ecg-train"):
        assert set(_ecg_closure(dist)) == {dist, "ecg-signal"}, dist
    assert set(_ecg_closure("ecg-benchmarks")) == set(BY_DIST)


def test_sdists_hold_sources(dists: dict[str, tuple[Path, Path]]) -> None:
    import tarfile

    for dist, (_wheel, sdist) in dists.items():
        with tarfile.open(sdist) as tf:
            names = tf.getnames()
        module = "ecg_suite" if dist == "ecg-suite" else dist.replace("-", "_")
        assert any(n.endswith(f"src/{module}/__init__.py") for n in names), dist
        assert any(n.endswith(f"src/{module}/py.typed") for n in names), dist


def test_each_package_installs_alone(dists: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(_torch_pin() + "\n")

    def one(dist: str) -> None:
        wheels = [dists[d][0] for d in _ecg_closure(dist)]
        python = _install(tmp_path / f"venv-{dist}", wheels, constraints)
        _check(python, dist)
        if dist == "ecg-benchmarks":
            # The same environment plus the meta-package: all five, and ecg_suite imports.
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-compile",
                    "--no-deps",
                    str(dists["ecg-suite"][0]),
                ],
                check=True,
                capture_output=True,
            )
            _check(python, "ecg-suite")

    REAL_CALLS.setdefault(
        "ecg-suite",
        "import ecg_suite\nfrom ecg_suite import CFG\nassert CFG(a={'b': 1}).a.b == 1\n"
        "for name in ecg_suite.__all__:\n    getattr(ecg_suite, name)\n",
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, [p.dist for p in PACKAGES]))


def test_meta_package_requires_all_five(dists: dict[str, tuple[Path, Path]]) -> None:
    import zipfile

    wheel = dists["ecg-suite"][0]
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith("METADATA"))
        text = zf.read(meta).decode()
    required = {
        line.split(":", 1)[1].strip().split("~=")[0].strip()
        for line in text.splitlines()
        if line.startswith("Requires-Dist:")
    }
    assert required == {p.dist for p in PACKAGES}
