"""ludb case: an end-to-end smoke run on a few sample records (records with unannotated
boundaries included), resume, evaluate and predict; the delineation scores against hand-derived
values; bad data folders."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ecg_benchmarks.cases.ludb import check_ludb_folder, delineation_scores
from ecg_benchmarks.cli import main

RunCheck = Callable[..., dict[str, Any]]  # the check_run_files fixture (conftest.py)


def _small_copy(sample_data: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ludb" / "data"
    dst.mkdir(parents=True)
    # record 7 has QRS complexes without their '(' onset, record 8 a QRS without brackets
    for rec in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10):
        for f in (sample_data / "ludb" / "data").glob(f"{rec}.*"):
            shutil.copy(f, dst / f.name)
    return dst.parent


@pytest.mark.data
@pytest.mark.filterwarnings("ignore:LUDB record")
def test_smoke_run_resume_evaluate_predict(
    sample_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    check_run_files: RunCheck,
) -> None:
    import wfdb

    data = _small_copy(sample_data, tmp_path)
    out = tmp_path / "run"
    argv = ["run", "ludb", "--data-dir", str(data), "--out", str(out), "--epochs", "1"]
    argv += ["--set", "data.leads_per_step=2", "--set", "train.train_ratio=0.5"]
    argv += ["--set", "data.val_every=2", "--set", "train.scheduler=none", "--no-progress"]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = check_run_files(out, "per_boundary.png")
    assert math.isfinite(metrics["mean_boundary_f1"]) and 0 <= metrics["mean_boundary_f1"] <= 1
    assert set(metrics["f1_per_boundary"]) == {
        f"{w} {b}" for w in ("P", "QRS", "T") for b in ("onset", "offset")
    }
    assert metrics["n_test_leads"] == 12 * metrics["n_test_records"]
    assert "ludb: onset/offset F1 P" in capsys.readouterr().out
    assert main(["run", "ludb", "--resume", str(out), "--epochs", "2", "--no-progress"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]
    assert "val_mean_boundary_f1" in history[-1]
    # evaluate on every record of another folder
    capsys.readouterr()
    assert main(["evaluate", str(out), "--data-dir", str(data)]) == 0
    got = capsys.readouterr().out
    assert '"n_test_records": 10' in got
    # predict: WFDB annotations in LUDB's convention and a PNG
    preds = tmp_path / "preds"
    assert main(["predict", str(out), str(data / "data" / "7"), "--out", str(preds)]) == 0
    ann = wfdb.rdann(str(preds / "7"), "wave")
    sym = list(ann.symbol)
    assert set(sym) <= {"(", ")", "p", "N", "t"} and len(sym) % 3 == 0
    assert all(sym[k] == "(" and sym[k + 2] == ")" for k in range(0, len(sym), 3))
    assert np.all(np.diff(ann.sample) >= 0)
    assert (preds / "7.png").is_file()


def _mask(n: int, spans: list[tuple[int, int, int]]) -> np.ndarray:
    m = np.zeros(n, dtype=np.int64)
    for a, b, code in spans:
        m[a : b + 1] = code
    return m


def test_delineation_scores_hand_derived() -> None:
    fs = 100.0  # 150 ms tolerance = 15 samples
    true = _mask(400, [(100, 110, 1), (130, 140, 2), (170, 200, 3), (300, 310, 2)])
    true[:80] = -1  # not annotated: the first beat and the end
    true[330:] = -1
    perfect = delineation_scores([true], [np.maximum(true, 0)], fs)
    assert perfect["mean_boundary_f1"] == pytest.approx(1.0)
    # QRS onset shifted by +5 samples (50 ms); one extra QRS inside the unannotated end
    # (ignored); P missing entirely
    pred = _mask(400, [(135, 140, 2), (170, 200, 3), (300, 310, 2), (380, 390, 2)])
    res = delineation_scores([true], [pred], fs)
    assert res["qrs_onset_mean_error_ms"] == pytest.approx(25.0)  # errors 50 and 0 ms
    assert res["qrs_onset_f1"] == pytest.approx(1.0)
    assert res["p_onset_f1"] == 0.0 and res["p_offset_sensitivity"] == 0.0
    assert res["t_offset_f1"] == pytest.approx(1.0)
    assert res["mean_boundary_f1"] == pytest.approx(4 / 6)
    # an extra QRS inside the annotated span is a false positive: PPV 2/3
    pred2 = _mask(400, [(100, 110, 1), (130, 140, 2), (170, 200, 3), (250, 255, 2), (300, 310, 2)])
    res2 = delineation_scores([true], [pred2], fs)
    assert res2["qrs_onset_ppv"] == pytest.approx(2 / 3)
    assert res2["qrs_onset_f1"] == pytest.approx(0.8)
    # a QRS whose onset is not annotated (unknown up to its peak at 130): no reference onset
    # there, and a predicted onset inside the unknown span is not a false positive
    true3 = true.copy()
    true3[112:130] = -1
    true3[130:141] = 2
    pred3 = _mask(400, [(100, 110, 1), (124, 140, 2), (170, 200, 3), (300, 310, 2)])
    res3 = delineation_scores([true3], [pred3], fs)
    assert res3["qrs_onset_tp"] == 1 and res3["qrs_onset_fp"] == 0 and res3["qrs_onset_fn"] == 0
    assert res3["qrs_offset_tp"] == 2
    # ... nor is one just after the cut (inside the annotated QRS, within 150 ms of the
    # unannotated onset); an extra QRS 160 ms after the cut still is
    pred4 = _mask(400, [(100, 110, 1), (133, 140, 2), (170, 200, 3), (300, 310, 2)])
    res4 = delineation_scores([true3], [pred4], fs)
    assert res4["qrs_onset_tp"] == 1 and res4["qrs_onset_fp"] == 0 and res4["qrs_onset_fn"] == 0
    pred5 = _mask(400, [(100, 110, 1), (130, 140, 2), (146, 150, 2), (170, 200, 3), (300, 310, 2)])
    res5 = delineation_scores([true3], [pred5], fs)
    assert res5["qrs_onset_fp"] == 1 and res5["qrs_onset_tp"] == 1


def test_bad_data_folders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = tmp_path / "wrong"
    (wrong / "data").mkdir(parents=True)
    (wrong / "data" / "1.hea").write_text("1 1 500 5000\n1.dat 16 1 16 0 0 0 0 i\n")
    assert check_ludb_folder(wrong) is not None
    assert main(["run", "ludb", "--data-dir", str(wrong), "--out", str(tmp_path / "o")]) == 2
    assert "is not a LUDB folder: no record has per-lead wave annotations" in (
        capsys.readouterr().err
    )
    assert main(["run", "ludb", "--set", "model.down_scales=2,2"]) == 2
    assert "model.down_scales" in capsys.readouterr().err


@pytest.mark.data
def test_predict_with_the_pretrained_delineator(sample_data: Path, tmp_path: Path) -> None:
    import wfdb

    preds = tmp_path / "preds"
    record = sample_data / "qtdb" / "sel100"  # any WFDB record: 2 leads at 250 Hz
    assert main(["predict", "delineation", str(record), "--out", str(preds)]) == 0
    ann = wfdb.rdann(str(preds / "sel100"), "wave")
    sym = list(ann.symbol)
    assert {"(", ")", "N"} <= set(sym) <= {"(", ")", "p", "N", "t"}
    assert sym[:1] == ["("] and len(sym) % 3 == 0
    # about one QRS per reference beat over the 15 minutes
    n_qrs = sym.count("N")
    n_beats = len(wfdb.rdann(str(record), "atr").sample)
    assert abs(n_qrs - n_beats) <= 0.05 * n_beats
    assert (preds / "sel100.png").is_file()


@pytest.mark.data
def test_protocol_span_on_a_real_record(sample_data: Path) -> None:
    """Whole record vs the LUDB group's 2-8 s window on record 1, lead ii (500 Hz), counts
    derived by hand from its annotation file: P (onsets 1250 1911 2546 3223 3879), QRS (onsets
    644 1324 1979 2624 3286 3950, offsets 682 ... 3996), T (onsets 776 1458 2120 2765 3434)."""
    from ecg_benchmarks.cases.ludb import PROTOCOL_SPAN_S
    from ecg_data.readers.ludb import LUDB, wave_mask

    fs = 500.0
    waves = LUDB(sample_data / "ludb").load_ann("1", ["ii"])["ii"]
    true = wave_mask(waves, 5000, unknown=-1, edge_margin=20)
    assert int(np.flatnonzero(true >= 0)[0]) == 624 and int(np.flatnonzero(true >= 0)[-1]) == 4016
    pred = np.maximum(true, 0)
    pred[644:683] = 0  # the first QRS (before 2 s) missed
    pred[3700:3751] = 3  # an extra T wave at 7.4 s
    pred[950:991] = 1  # an extra P wave at 1.9 s, before the window
    pred[4300:4331] = 2  # a QRS in the unannotated end: not scored
    whole = delineation_scores([true], [pred], fs)
    span = delineation_scores([true], [pred], fs, span_s=PROTOCOL_SPAN_S)
    counts = {"tp", "fp", "fn"}

    def got(res: dict[str, float], key: str) -> tuple[int, ...]:
        return tuple(int(res[f"{key}_{c}"]) for c in sorted(counts))  # fn, fp, tp

    for b in ("onset", "offset"):
        assert got(whole, f"p_{b}") == (0, 1, 5) and got(span, f"p_{b}") == (0, 0, 5)
        assert got(whole, f"qrs_{b}") == (1, 0, 5) and got(span, f"qrs_{b}") == (0, 0, 5)
        assert got(whole, f"t_{b}") == (0, 1, 5) and got(span, f"t_{b}") == (0, 1, 4)
    assert span["t_onset_f1"] == pytest.approx(8 / 9)
    assert span["qrs_offset_f1"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="span_s"):
        delineation_scores([true], [pred], fs, span_s=(8.0, 2.0))
