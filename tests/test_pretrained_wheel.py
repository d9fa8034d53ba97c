"""The pretrained models ship inside the ecg-models wheel and load from it.

The wheel is built with hatch; its files are checked (every card with its weights, each at most
5 MB), and ``load_pretrained`` runs in a subprocess that imports ecg_models from the unpacked
wheel (not from the source tree).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._repo import ROOT

WEIGHTS = ROOT / "packages" / "ecg-models" / "src" / "ecg_models" / "pretrained" / "weights"
CARDS = sorted(p.stem for p in WEIGHTS.glob("*.json"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    hatch = shutil.which("hatch", path=str(Path(sys.executable).parent)) or shutil.which("hatch")
    if hatch is None:
        pytest.fail("hatch is not installed: it is a dev requirement (requirements-dev.txt)")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [hatch, "build", "-t", "wheel", str(out)],
        cwd=ROOT / "packages" / "ecg-models",
        check=True,
        capture_output=True,
        env={**os.environ, "HATCH_VERBOSE": "0"},
    )
    return next(out.glob("*.whl"))


@pytest.mark.skipif(not CARDS, reason="no pretrained model is shipped in this checkout")
def test_wheel_holds_every_pretrained_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    for name in CARDS:
        for ext in ("json", "safetensors"):
            key = f"ecg_models/pretrained/weights/{name}.{ext}"
            assert key in infos, f"{key} is not in {wheel.name}"
        assert infos[f"ecg_models/pretrained/weights/{name}.safetensors"].file_size <= 5 * 2**20


@pytest.mark.skipif("qrs" not in CARDS, reason="the qrs detector is not shipped in this checkout")
def test_qrs_detector_loads_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(tmp_path / "site")
    code = (
        "import numpy as np, ecg_models\n"
        f"assert ecg_models.__file__.startswith({str(tmp_path / 'site')!r}), ecg_models.__file__\n"
        "from ecg_models.pretrained import list_pretrained, load_pretrained\n"
        "assert 'qrs' in [m.name for m in list_pretrained()]\n"
        "det = load_pretrained('qrs')\n"
        "t = np.arange(3600) / 360.0\n"
        "x = np.sin(2 * np.pi * 1.2 * t) ** 41\n"
        "p = det(x, 360.0)\n"
        "assert p.dtype == np.int64 and np.all(np.diff(p) > 0), p\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
