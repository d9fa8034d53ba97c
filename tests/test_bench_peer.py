"""Every bench script stops with a hint when the peer environment (``.venv-peer``) is missing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests._repo import ROOT

ALL_SCRIPTS = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))
#: the scripts that run a peer side by side (they use ``_peer.require_peer``)
SCRIPTS = [p for p in ALL_SCRIPTS if "require_peer" in p.read_text(encoding="utf-8")]


def test_scripts_without_the_peer_check_take_no_peer() -> None:
    others = [p for p in ALL_SCRIPTS if p not in SCRIPTS]
    assert len(SCRIPTS) >= 6
    for p in others:  # e.g. the noise-aware validation of a cpsc2019 run: ours alone
        assert "--peer-python" not in p.read_text(encoding="utf-8"), p.name


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_missing_peer_is_an_error_with_the_hint(script, tmp_path) -> None:
    missing = tmp_path / "no-venv" / "bin" / "python"
    proc = subprocess.run(
        [sys.executable, str(script), "--peer-python", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert str(missing) in proc.stderr and "make bench" in proc.stderr
    assert "Traceback" not in proc.stderr
