"""Every EDF/EDF+/BDF file of ``conformance/edf`` (pyedflib's, edfio's and wfdb-python's test files)
through our EDF reader and through edfio (reference): equal signals, labels, units, rates, values
and annotations. EDF+D and BDF+D files, which no public test file covers, are written here byte by
byte from the format."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ecg_data.readers.base import ReaderError
from ecg_data.readers.edf import read_edf_annotations, read_edf_header, read_edf_window

edfio = pytest.importorskip("edfio")

_ROOT = Path(__file__).resolve().parents[3]


def _files() -> list[str]:
    value = os.environ.get("ECG_CONFORMANCE_DATA")
    d = (Path(value) if value else _ROOT.parent / "shared" / "conformance") / "edf"
    found = sorted(
        p.relative_to(d).as_posix() for p in d.rglob("*") if p.suffix.lower() in (".edf", ".bdf")
    )
    return found or ["<conformance folder absent>"]


@pytest.mark.data
@pytest.mark.parametrize("rel", _files())
def test_file_equals_edfio(conformance_data: Path, rel: str) -> None:
    path = conformance_data / "edf" / rel
    h = read_edf_header(path)
    ref = edfio.read_bdf(path) if h.is_bdf else edfio.read_edf(path)
    ours = [k for k, s in enumerate(h.signals) if not s.is_annotation]
    assert len(ours) == len(ref.signals)
    for k, r in zip(ours, ref.signals, strict=True):
        s = h.signals[k]
        assert (s.label, s.dimension) == (r.label, r.physical_dimension)
        assert s.fs == pytest.approx(r.sampling_frequency)
        x = read_edf_window(h, k, 0, h.n_samples(k))
        y = np.asarray(r.data)
        scale = max(1.0, float(np.abs(y).max()))
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6 * scale, err_msg=s.label)
        a, b = h.n_samples(k) // 3, h.n_samples(k) // 2 + 1
        np.testing.assert_array_equal(read_edf_window(h, k, a, b), x[a:b])
    ann = read_edf_annotations(h)
    assert len(ann) == len(ref.annotations)
    for p, q in zip(ann, ref.annotations, strict=True):
        assert p.text == q.text and p.onset == pytest.approx(q.onset, abs=1e-6)
        assert p.duration == (pytest.approx(q.duration) if q.duration is not None else None)
    for k, s in enumerate(h.signals):
        if s.is_annotation:  # its bytes are TALs, never numbers
            with pytest.raises(ReaderError, match="holds EDF\\+ annotations, not samples"):
                read_edf_window(h, k, 0, 1)


@pytest.mark.data
def test_annotation_only_hypnogram(conformance_data: Path) -> None:
    h = read_edf_header(conformance_data / "edf" / "edfio" / "SC4001EC-Hypnogram.edf")
    assert all(s.is_annotation for s in h.signals) and h.record_duration == 0
    ann = read_edf_annotations(h)
    assert ann[0].text.startswith("Sleep stage") and all(a.duration for a in ann)


@pytest.mark.data
def test_bdf_is_24_bit(conformance_data: Path) -> None:
    h = read_edf_header(conformance_data / "edf" / "edfio" / "short_psg.bdf")
    assert h.is_bdf and h.bytes_per_sample == 3
    assert h.record_bytes == 3 * h.record_values
    assert h.path.stat().st_size == h.header_bytes + h.n_records * h.record_bytes


def _field(value: object, width: int) -> bytes:
    return str(value).ljust(width)[:width].encode("ascii")


def _tal(onset: float, texts: list[str] = ()) -> bytes:  # type: ignore[assignment]
    body = f"+{onset:g}\x14\x14\x00".encode()
    for t in texts:
        body += f"+{onset:g}\x15{0.5:g}\x14{t}\x14\x00".encode()
    return body


def write_discontinuous(path: Path, onsets: list[float], bdf: bool, spr: int = 4) -> np.ndarray:
    """An EDF+D (or BDF+D) file: one signal ``spr`` samples per 1 s record, data records at
    ``onsets``, one annotation 'ev<r>' per record. Returns the digital samples, (records, spr)."""
    bps = 3 if bdf else 2
    dmin, dmax = (-(1 << 23), (1 << 23) - 1) if bdf else (-32768, 32767)
    ann_spr = 30 if not bdf else 20  # bytes of the annotation signal = bps * ann_spr
    ns = 2
    head = (b"\xffBIOSEMI" if bdf else _field("0", 8)) + _field("X X X X", 80)
    head += (
        _field("Startdate 01-JAN-2001 X X X", 80) + _field("01.01.01", 8) + _field("00.00.00", 8)
    )
    head += _field(256 * (ns + 1), 8) + _field("BDF+D" if bdf else "EDF+D", 44)
    head += _field(len(onsets), 8) + _field(1, 8) + _field(ns, 4)
    labels = ["ECG", "BDF Annotations" if bdf else "EDF Annotations"]
    cols = [
        [_field(x, 16) for x in labels],
        [_field("", 80)] * 2,
        [_field("uV", 8), _field("", 8)],
        [_field(-1000, 8), _field(-1, 8)],
        [_field(1000, 8), _field(1, 8)],
        [_field(dmin, 8), _field(dmin, 8)],
        [_field(dmax, 8), _field(dmax, 8)],
        [_field("", 80)] * 2,
        [_field(spr, 8), _field(ann_spr, 8)],
        [_field("", 32)] * 2,
    ]
    head += b"".join(b"".join(c) for c in cols)
    rng = np.random.default_rng(0)
    digital = rng.integers(dmin + 1, dmax, size=(len(onsets), spr))
    body = b""
    for r, t in enumerate(onsets):
        vals = digital[r]
        if bdf:
            u = (vals & 0xFFFFFF).astype(np.uint32)
            raw = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], axis=1).astype(np.uint8)
            body += raw.tobytes()
        else:
            body += vals.astype("<i2").tobytes()
        body += _tal(t, [f"ev{r}"]).ljust(bps * ann_spr, b"\x00")
    path.write_bytes(head + body)
    return digital


@pytest.mark.parametrize("bdf", [False, True], ids=["EDF+D", "BDF+D"])
def test_discontinuous_records_placed_at_their_onsets(tmp_path: Path, bdf: bool) -> None:
    path = tmp_path / ("d.bdf" if bdf else "d.edf")
    digital = write_discontinuous(path, [0.0, 1.0, 3.5, 4.5], bdf)
    h = read_edf_header(path)
    assert h.record_onsets == (0.0, 1.0, 3.5, 4.5) and not h.continuous
    assert h.n_samples(0) == 22  # 5.5 s at 4 Hz
    sig = h.signals[0]
    gain = (sig.phys_max - sig.phys_min) / (sig.dig_max - sig.dig_min)
    phys = (digital - sig.dig_min) * gain + sig.phys_min
    x = read_edf_window(h, 0, 0, 22)
    np.testing.assert_allclose(x[:8], phys[:2].reshape(-1), rtol=1e-6)
    assert np.isnan(x[8:14]).all()  # the gap from 2.0 s to 3.5 s
    np.testing.assert_allclose(x[14:22], phys[2:].reshape(-1), rtol=1e-6)
    np.testing.assert_array_equal(read_edf_window(h, 0, 6, 16), x[6:16])
    # edfio joins the records end to end: our samples without the gap are its samples
    ref = (edfio.read_bdf if bdf else edfio.read_edf)(path)
    np.testing.assert_allclose(x[~np.isnan(x)], ref.signals[0].data, rtol=1e-6)
    ann = read_edf_annotations(h)
    assert [(a.onset, a.duration, a.text) for a in ann] == [
        (0.0, 0.5, "ev0"),
        (1.0, 0.5, "ev1"),
        (3.5, 0.5, "ev2"),
        (4.5, 0.5, "ev3"),
    ]


def test_discontinuous_records_that_overlap_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "o.edf"
    write_discontinuous(path, [0.0, 2.0, 2.5], bdf=False)
    with pytest.raises(ReaderError, match=r"data record 2 starts at 2.5 s, before the end"):
        read_edf_header(path)


def test_shhs_reads_an_edf_plus_d_record_a_window_at_a_time(tmp_path: Path) -> None:
    from ecg_data.readers.shhs import SHHS

    folder = tmp_path / "polysomnography" / "edfs" / "shhs1"
    folder.mkdir(parents=True)
    path = folder / "shhs1-200001.edf"
    digital = write_discontinuous(path, [0.0, 1.0, 3.5, 4.5], bdf=False)
    r = SHHS(tmp_path)
    assert r.get_fs(0) == 4.0 and r.get_siglen(0) == 22 and r.get_units(0) == ["mV"]
    h = read_edf_header(path)
    sig = h.signals[0]
    gain = (sig.phys_max - sig.phys_min) / (sig.dig_max - sig.dig_min)
    phys_uv = (digital - sig.dig_min) * gain + sig.phys_min
    x = r.load_data(0, sampfrom=6, sampto=16)  # the EDF signal is in uV: returned in mV
    np.testing.assert_allclose(x[0, :2], phys_uv[1, 2:] / 1000.0, rtol=1e-6)
    assert np.isnan(x[0, 2:8]).all()
    np.testing.assert_allclose(x[0, 8:], phys_uv[2, :2] / 1000.0, rtol=1e-6)
    assert [a.text for a in r.edf_annotations(0)] == ["ev0", "ev1", "ev2", "ev3"]
