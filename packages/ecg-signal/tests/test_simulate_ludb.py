"""Real-data check: simulated wave durations against the LUDB lead-II annotations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_signal.simulate import simulate_ecg

LUDB_LIKE_ANGLES = (-60.0, -10.0, 0.0, 10.0, 95.0)
LUDB_LIKE_WIDTHS = (0.2, 0.06, 0.08, 0.06, 0.35)


def _ludb_medians(root: Path, n_records: int = 30) -> dict[str, float]:
    """Median P duration, PR, QRS duration and QT (s) of LUDB lead II, 55..85 bpm records."""
    wfdb = pytest.importorskip("wfdb")
    rows: list[tuple[float, float, float, float]] = []
    for rec in range(1, n_records + 1):
        ann = wfdb.rdann(str(root / "data" / str(rec)), "ii")
        sym, pos = list(ann.symbol), np.asarray(ann.sample)
        fs = float(ann.fs or 500.0)
        waves: dict[str, list[tuple[int, int, int]]] = {"p": [], "N": [], "t": []}
        for i in range(1, len(sym) - 1):
            if sym[i] in waves and sym[i - 1] == "(" and sym[i + 1] == ")":
                waves[sym[i]].append((int(pos[i - 1]), int(pos[i]), int(pos[i + 1])))
        if not all(len(v) >= 3 for v in waves.values()):
            continue
        p, n, t = (np.asarray(waves[k]) for k in ("p", "N", "t"))
        hr = 60.0 * fs / float(np.median(np.diff(n[:, 1])))
        if not 55.0 <= hr <= 85.0:
            continue
        pr = [n[n[:, 0] > w[2]][0, 0] - w[0] for w in p if np.any(n[:, 0] > w[2])]
        qt = [t[t[:, 0] > w[2]][0, 2] - w[0] for w in n if np.any(t[:, 0] > w[2])]
        rows.append(
            (
                float(np.median(p[:, 2] - p[:, 0])) / fs,
                float(np.median(pr)) / fs,
                float(np.median(n[:, 2] - n[:, 0])) / fs,
                float(np.median(qt)) / fs,
            )
        )
    assert len(rows) >= 10
    med = np.median(np.asarray(rows), axis=0)
    return dict(zip(("p", "pr", "qrs", "qt"), (float(v) for v in med), strict=True))


def _sim_medians(**kw: object) -> dict[str, float]:
    sim = simulate_ecg(30.0, 500.0, heart_rate=65.0, hrv_std=1.0, seed=0, **kw)  # type: ignore[arg-type]

    def med(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.median(b - a)) / sim.fs

    return {
        "p": med(sim.p_onset, sim.p_offset),
        "pr": med(sim.p_onset, sim.qrs_onset),
        "qrs": med(sim.qrs_onset, sim.qrs_offset),
        "qt": med(sim.qrs_onset, sim.t_offset),
    }


@pytest.mark.data
def test_intervals_match_ludb_with_ludb_like_geometry(sample_data: Path) -> None:
    ref = _ludb_medians(sample_data / "ludb")
    # LUDB medians (55..85 bpm): P ~118 ms, PR ~166 ms, QRS ~94 ms, QT ~400 ms
    assert 0.08 < ref["qrs"] < 0.12 and 0.3 < ref["qt"] < 0.5
    sim = _sim_medians(wave_angles_deg=LUDB_LIKE_ANGLES, wave_widths_rad=LUDB_LIKE_WIDTHS)
    for key in ("p", "pr", "qrs", "qt"):
        assert abs(sim[key] - ref[key]) / ref[key] < 0.15, (key, sim[key], ref[key])
    # ECGSYN's Table-1 geometry has a wider QRS than these annotations
    default = _sim_medians()
    assert default["qrs"] > 1.2 * ref["qrs"]
