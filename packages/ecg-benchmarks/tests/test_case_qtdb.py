"""qtdb evaluation: the boundary scores against hand-derived values, and an end-to-end run on
one real record with a small network saved as a run folder (neurokit2 when a peer Python with it
is given in ECG_BENCH_PEER_PYTHON)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from ecg_benchmarks.cases.qtdb import BOUNDARIES, score_boundaries
from ecg_benchmarks.cli import main


def _marks(**kw: list[int]) -> dict[str, np.ndarray]:
    out = {label: np.zeros(0, dtype=np.int64) for label in BOUNDARIES}
    for k, v in kw.items():
        out[k.replace("_", " ")] = np.asarray(v, dtype=np.int64)
    return out


def test_score_boundaries_hand_derived() -> None:
    fs = 250.0  # 150 ms = 37.5 samples
    # two annotated beats (QRS peaks 1010 and 1210); the beat at about 1500 was skipped
    ref = _marks(**{"QRS_onset": [1000, 1200], "T_offset": [1100], "beats": [1010, 1210]})
    pred = {
        # 20 ms off; 200 ms off (FP + FN); the skipped beat's QRS (ignored); far off (ignored)
        "QRS onset": np.array([1005, 1150, 1495, 5000]),
        "T offset": np.array([1090]),
    }
    res = score_boundaries([ref], [pred], fs)
    q = res["QRS onset"]
    assert q["sensitivity"] == pytest.approx(0.5) and q["ppv"] == pytest.approx(0.5)
    assert q["mean_error_ms"] == pytest.approx(20.0) and q["n_ref"] == 2
    t = res["T offset"]
    assert t["f1"] == pytest.approx(1.0) and t["mean_error_ms"] == pytest.approx(-40.0)
    # a boundary the method does not give is not available, not zero
    assert math.isnan(res["P onset"]["f1"]) and res["P onset"]["n_ref"] == 0
    # a P wave before an annotated beat without an annotated P is a false positive; one in the
    # 0.5 s before the skipped beat's QRS is not scored
    res2 = score_boundaries([ref], [{"P onset": np.array([1150, 1400])}], fs)
    assert res2["P onset"]["ppv"] == 0.0 and res2["P onset"]["n_ref"] == 0
    p_ref = dict(ref, **{"P onset": np.array([1160])})
    res3 = score_boundaries([p_ref], [{"P onset": np.array([1150, 1400])}], fs)
    assert res3["P onset"]["ppv"] == pytest.approx(1.0) and res3["P onset"]["f1"] == 1.0
    with pytest.raises(ValueError, match="beats"):
        score_boundaries([_marks()], [None], fs)


@pytest.mark.data
def test_qtdb_run_on_one_record(
    sample_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ecg_models.models.unet import ECG_UNET, UNetConfig

    torch.manual_seed(0)
    cfg = UNetConfig(
        fs=100.0, init_num_filters=4, num_filters=[4, 8], down_scales=[2, 2], filter_lengths=[5, 5]
    )
    model = ECG_UNET(["i", "p", "N", "t"], 2, cfg)
    run = tmp_path / "ludb-run"
    model.save(run / "checkpoints" / "model.safetensors")
    out = tmp_path / "qtdb"
    argv = ["run", "qtdb", "--out", str(out), "--data-dir", str(sample_data / "qtdb")]
    argv += ["--set", f"model={run}", "--set", "max_records=1", "--no-progress"]
    peer = os.environ.get("ECG_BENCH_PEER_PYTHON", "")
    if peer:
        argv += ["--set", "methods=dwt"]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["records"] == ["sel100"]
    ours = metrics["tables"]["ours"]
    assert set(ours) == set(BOUNDARIES)
    # sel100 q1c: 30 annotated beats, each with P, QRS and T
    assert metrics["n_reference_marks"]["QRS onset"] == 30
    assert metrics["n_reference_marks"]["T offset"] == 30
    table = (out / "qtdb_table.md").read_text()
    assert "| QRS onset | ours |" in table
    # the network given the scored lead alone (the input neurokit2 gets) is a row too
    assert set(metrics["tables"]["ours, lead alone"]) == set(BOUNDARIES)
    assert "| QRS onset | ours, lead alone |" in table
    # the best-beat table scores the same methods on both leads; a beat keeps the lead with
    # more matches, so it has at least the matches of lead 0 alone
    bb = metrics["tables_best_beat"]
    assert set(bb) == set(metrics["tables"]) and set(bb["ours"]) == set(BOUNDARIES)
    assert set(metrics["protocols"]) == {"tables", "tables_best_beat"}
    assert "best beat" in metrics["protocols"]["tables_best_beat"]
    assert "| QRS onset | ours |" in (out / "qtdb_table_best_beat.md").read_text()
    per_record = json.loads((out / "qtdb_per_record.json").read_text())
    for name in bb:
        for label, row in bb[name].items():
            assert row["n_ref"] == metrics["n_reference_marks"][label]
            lead0 = metrics["tables"][name][label]
            if not math.isnan(lead0["sensitivity"]):
                assert row["sensitivity"] >= lead0["sensitivity"]
            counts = per_record[name]["sel100"].get(label)
            if counts is not None:
                assert counts["tp"] + counts["fn"] == row["n_ref"]
                assert counts["bb_tp"] + counts["bb_fn"] == row["n_ref"]
                assert counts["bb_tp"] >= counts["tp"]
    if peer:
        assert "neurokit2 dwt" in metrics["tables"]
        assert set(metrics["ours_better"]) == {"tables", "tables_best_beat"}
        assert metrics["ours_better"]["tables_best_beat"]["ours"][1] == 7
        assert "best beat over leads 0 and 1" in metrics["summary"]
