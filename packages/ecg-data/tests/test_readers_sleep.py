"""SHHS (EDF + NSRR XML, written by a minimal EDF writer here) and CinC 2018 (WFDB + .arousal)
readers on fixtures in their true on-disk formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecg_data.readers.base import ReaderError
from ecg_data.readers.cinc2018 import CINC2018
from ecg_data.readers.edf import read_edf_header, read_edf_window
from ecg_data.readers.shhs import SHHS


def write_edf(
    path: Path,
    signals: list[tuple[str, str, np.ndarray, int]],
    record_s: float = 1.0,
    phys: tuple[float, float] = (-5.0, 5.0),
) -> None:
    """Write an EDF file: ``signals`` are (label, unit, physical values, samples per record)."""
    n_rec = len(signals[0][2]) // signals[0][3]
    ns = len(signals)
    dmin, dmax = -32768, 32767

    def f(value: object, width: int) -> bytes:
        return str(value).ljust(width)[:width].encode("ascii")

    head = f("0", 8) + f("X X X X", 80) + f("Startdate X X X X", 80) + f("01.01.85", 8)
    head += f("22.00.00", 8) + f(256 * (ns + 1), 8) + f("", 44) + f(n_rec, 8)
    head += f(record_s, 8) + f(ns, 4)
    cols: list[list[bytes]] = [[] for _ in range(10)]
    for label, unit, _, spr in signals:
        vals = [label, "AgAgCl", unit, phys[0], phys[1], dmin, dmax, "HP:0.1Hz", spr, ""]
        widths = [16, 80, 8, 8, 8, 8, 8, 80, 8, 32]
        for k, (v, w) in enumerate(zip(vals, widths, strict=True)):
            cols[k].append(f(v, w))
    head += b"".join(b"".join(c) for c in cols)
    scale = (dmax - dmin) / (phys[1] - phys[0])
    blocks = []
    for r in range(n_rec):
        for _, _, x, spr in signals:
            dig = np.round((x[r * spr : (r + 1) * spr] - phys[0]) * scale + dmin)
            blocks.append(np.clip(dig, dmin, dmax).astype("<i2").tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + b"".join(blocks))


XML = """<?xml version="1.0" encoding="UTF-8"?>
<PSGAnnotation><SoftwareVersion>Compumedics</SoftwareVersion><EpochLength>30</EpochLength>
<ScoredEvents>
<ScoredEvent><EventType/><EventConcept>Recording Start Time</EventConcept><Start>0</Start>
<Duration>120.0</Duration><ClockTime>00.00.00 22.00.00</ClockTime></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Wake|0</EventConcept>
<Start>0</Start><Duration>30.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Stage 2 sleep|2</EventConcept>
<Start>30.0</Start><Duration>60.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Stages|Stages</EventType><EventConcept>Stage 4 sleep|4</EventConcept>
<Start>90.0</Start><Duration>30.0</Duration></ScoredEvent>
<ScoredEvent><EventType>Respiratory|Respiratory</EventType>
<EventConcept>Obstructive apnea|Obstructive Apnea</EventConcept><Start>40.5</Start>
<Duration>12.0</Duration><SignalLocation>ABDO RES</SignalLocation></ScoredEvent>
</ScoredEvents></PSGAnnotation>
"""


@pytest.fixture
def shhs_dir(tmp_path: Path) -> Path:
    t125 = np.arange(120 * 125) / 125.0
    ecg = np.sin(2 * np.pi * 1.2 * t125)
    sao2 = np.full(120, 95.0)
    edf = tmp_path / "polysomnography" / "edfs" / "shhs1" / "shhs1-200001.edf"
    write_edf(edf, [("SaO2", "%", sao2 / 25.0, 1), ("ECG", "mV", ecg, 125)])
    xml = tmp_path / "polysomnography" / "annotations-events-nsrr" / "shhs1"
    xml.mkdir(parents=True)
    (xml / "shhs1-200001-nsrr.xml").write_text(XML)
    return tmp_path


def test_edf_header_and_window(shhs_dir: Path) -> None:
    path = next(shhs_dir.rglob("*.edf"))
    h = read_edf_header(path)
    assert h.n_records == 120 and h.record_duration == 1.0
    assert [s.label for s in h.signals] == ["SaO2", "ECG"] and h.signals[1].fs == 125.0
    x = read_edf_window(h, 1, 250, 500)
    t = np.arange(250, 500) / 125.0
    np.testing.assert_allclose(x, np.sin(2 * np.pi * 1.2 * t), atol=2e-4)
    np.testing.assert_allclose(read_edf_window(h, 0, 3, 5), [3.8, 3.8], atol=1e-3)
    with pytest.raises(ReaderError, match=r"window \[0, 20000\) samples outside"):
        read_edf_window(h, 1, 0, 20000)


def test_shhs_reader(shhs_dir: Path) -> None:
    r = SHHS(shhs_dir)
    assert r.all_records == ["shhs1-200001"] and r.get_fs(0) == 125.0
    assert r.get_siglen(0) == 15000
    x = r.load_data(0, sampfrom=1000, sampto=1125, units="uV")
    t = np.arange(1000, 1125) / 125.0
    np.testing.assert_allclose(x[0], 1000 * np.sin(2 * np.pi * 1.2 * t), atol=0.5)
    ann = r.load_ann("shhs1-200001")
    assert ann.stages == [(0, 3750, "W"), (3750, 11250, "N2"), (11250, 15000, "N3")]
    assert ann.events == [(5062, 6562, "Obstructive apnea")]
    assert ann.stage_at(4000) == "N2" and ann.stage_at(15000) is None
    meta = r.metadata
    assert meta.loc["shhs1-200001", "subject"] == "200001"
    assert meta.loc["shhs1-200001", "duration_s"] == 120.0
    assert r.database_info.license.startswith("NSRR")


def test_shhs_bad_files(shhs_dir: Path) -> None:
    xml = next(shhs_dir.rglob("*.xml"))
    xml.write_text(XML.replace("<Start>90.0</Start>", "<Start>100.0</Start>"))
    with pytest.raises(ReaderError, match=r"nsrr\.xml: event 'Stage 4 sleep\|4' ends at 130\.0 s"):
        SHHS(shhs_dir).load_ann(0)
    xml.write_text("<PSGAnnotation><ScoredEvents>")
    with pytest.raises(ReaderError, match="malformed XML"):
        SHHS(shhs_dir).load_ann(0)
    edf = next(shhs_dir.rglob("*.edf"))
    with pytest.raises(ReaderError, match=r"no signal 'EKG' \(signals: \['SaO2', 'ECG'\]\)"):
        SHHS(shhs_dir, ecg_label="EKG").load_data(0)
    edf.write_bytes(edf.read_bytes()[:-100])
    with pytest.raises(ReaderError, match=r"shhs1-200001\.edf: EDF file truncated"):
        SHHS(shhs_dir).load_data(0)
    edf.write_bytes(b"garbage" * 10)
    with pytest.raises(ReaderError, match="not an EDF file"):
        SHHS(shhs_dir).load_data(0)


def test_cinc2018_stages_and_events(tmp_path: Path) -> None:
    import wfdb

    rec_dir = tmp_path / "training" / "tr03-0005"
    rec_dir.mkdir(parents=True)
    fs, n = 200.0, 200 * 120
    t = np.arange(n) / fs
    sig = np.stack([np.sin(2 * np.pi * 3 * t), np.cos(2 * np.pi * t), np.sin(2 * np.pi * t)])
    wfdb.wrsamp(
        "tr03-0005", fs=fs, units=["uV", "%", "mV"], sig_name=["C3-M2", "SaO2", "ECG"],
        p_signal=sig.T, fmt=["16"] * 3, adc_gain=[200.0] * 3, baseline=[0] * 3,
        write_dir=str(rec_dir),
    )  # fmt: skip
    # (wfdb.rdann drops a '"' note at sample 0, so the first stage starts at sample 200)
    marks = [(200, "W"), (6000, "N2"), (7000, "(arousal_rera"), (9000, "arousal_rera)"),
             (18000, "R")]  # fmt: skip
    wfdb.wrann(
        "tr03-0005", "arousal", np.array([m[0] for m in marks]), symbol=['"'] * len(marks),
        aux_note=[m[1] for m in marks], write_dir=str(rec_dir),
    )  # fmt: skip
    r = CINC2018(tmp_path)
    assert r.all_records == ["tr03-0005"]
    ann = r.load_ann(0)
    assert ann.stages == [(200, 6000, "W"), (6000, 18000, "N2"), (18000, n, "R")]
    assert ann.events == [(7000, 9000, "arousal_rera")]
    ecg = r.load_data(0, leads="ECG", sampfrom=200, sampto=400)
    np.testing.assert_allclose(ecg[0], np.sin(2 * np.pi * t[200:400]), atol=5e-3)
    wfdb.wrann(
        "tr03-0005", "arousal", np.array([10, 100]), symbol=['"', '"'],
        aux_note=["W", "(resp_centralapnea"], write_dir=str(rec_dir),
    )  # fmt: skip
    with pytest.raises(ReaderError, match=r"events never ended: \['resp_centralapnea'\]"):
        CINC2018(tmp_path).load_ann(0)
