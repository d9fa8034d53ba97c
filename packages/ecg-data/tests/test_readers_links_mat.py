"""Readers and the files they trust: links out of ``db_dir`` are refused (never followed, their
content never echoed), an unknown record is a ReaderError, and a CinC ``.mat`` whose MATLAB
variable is not the one the header describes (other name, transposed, MATLAB v5) is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from ecg_data.readers.base import ReaderError
from ecg_data.readers.cinc2021 import CINC2021
from ecg_data.readers.cpsc2018 import CPSC2018
from ecg_data.readers.shhs import SHHS
from ecg_data.readers.wfdb_base import WFDBReader

SECRET = "TOPSECRET-do-not-echo 1 2 3"


def _write_record(folder: Path, name: str = "r") -> np.ndarray:
    digital = (np.arange(3 * 50, dtype=np.int64).reshape(50, 3) * 11 - 700).astype("<i2")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.dat").write_bytes(digital.tobytes())
    (folder / f"{name}.hea").write_text(
        f"{name} 3 100 50\n" + "".join(f"{name}.dat 16 200/mV 16 0 0 0 0 L{k}\n" for k in range(3))
    )
    return digital


def test_links_out_of_db_dir_are_refused_and_never_echoed(tmp_path: Path) -> None:
    db, outside = tmp_path / "db", tmp_path / "elsewhere"
    _write_record(db, "ok")
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    _write_record(outside, "far")
    (db / "evil.hea").symlink_to(outside / "secret.txt")
    (db / "far.hea").symlink_to(outside / "far.hea")
    (db / "far.dat").symlink_to(outside / "far.dat")
    _write_record(db, "mixed")
    (db / "mixed.dat").unlink()
    (db / "mixed.dat").symlink_to(outside / "far.dat")
    r = WFDBReader(db)
    assert r.load_data("ok").shape == (3, 50)
    for rec in ("evil", "far", "mixed"):
        with pytest.raises(ReaderError, match="outside the database folder") as info:
            r.load_data(rec)
        assert SECRET not in str(info.value)
    with pytest.warns(UserWarning, match="unreadable"):
        meta = r.metadata
    assert "evil" in r.unreadable and SECRET not in r.unreadable["evil"]
    assert "ok" in meta.index
    # a sub-folder linked outside: its records are listed but refused
    (db / "sub").symlink_to(outside, target_is_directory=True)

    class OneLevel(WFDBReader):
        header_glob = "*/*.hea"  # a plain wildcard enters linked folders (``**`` does not)

    r2 = OneLevel(db)
    linked = [rec for rec in r2.all_records if r2.record_path(rec).parent == db / "sub"]
    assert linked
    for rec in linked:
        with pytest.raises(ReaderError, match="outside the database folder"):
            r2.load_data(rec)
    (db / "sub").unlink()
    # a link that stays inside db_dir is a file of the database
    (db / "alias.hea").symlink_to(db / "ok.hea")
    assert WFDBReader(db).get_siglen("alias") == 50


def test_edf_link_out_of_db_dir_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db"
    db.mkdir()
    (tmp_path / "x.edf").write_text(SECRET)
    (db / "shhs1-200001.edf").symlink_to(tmp_path / "x.edf")
    with pytest.raises(ReaderError, match="outside the database folder") as info:
        SHHS(db).get_fs("shhs1-200001")
    assert SECRET not in str(info.value)


def test_record_path_of_unknown_record_is_reader_error(tmp_path: Path) -> None:
    _write_record(tmp_path, "r1")
    with pytest.raises(ReaderError, match="record 'r2' is not in the database"):
        WFDBReader(tmp_path).record_path("r2")
    with pytest.raises(ReaderError, match="record 'A9999' is not in the database"):
        CPSC2018(tmp_path).record_path("A9999")
    with pytest.raises(ReaderError, match="record 'shhs1-1' is not in the database"):
        SHHS(tmp_path).record_path("shhs1-1")


@pytest.fixture
def cinc_record(sample_data: Path, tmp_path: Path) -> tuple[Path, str, np.ndarray]:
    src = sample_data / "cinc2021"
    rec = sorted(p.stem for p in src.glob("*.hea"))[0]
    db = tmp_path / "cinc"
    db.mkdir()
    shutil.copy(src / f"{rec}.hea", db / f"{rec}.hea")
    shutil.copy(src / f"{rec}.mat", db / f"{rec}.mat")
    val = np.asarray(scipy.io.loadmat(str(src / f"{rec}.mat"))["val"])
    return db, rec, val


@pytest.mark.data
def test_cinc_mat_read_equals_scipy(cinc_record: tuple[Path, str, np.ndarray]) -> None:
    db, rec, val = cinc_record
    r = CINC2021(db)
    x = r.load_data(rec)
    gains = [1000.0] * val.shape[0]  # CinC 2021 headers: 1000/mV, baseline 0
    np.testing.assert_allclose(x, val / np.asarray(gains)[:, None], rtol=1e-6)


@pytest.mark.data
@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("other_name", r"variable is named 'ecgval', the WFDB header expects 'val'"),
        ("transposed", r"has shape \(\d+, 12\) but the header implies \(12 signals"),
        ("matlab_v5", r"not a little-endian MATLAB v4 numeric matrix"),
        ("float64", r"precision code 0 does not match WFDB format 16"),
    ],
)
def test_cinc_mat_not_matching_the_header_is_refused(
    cinc_record: tuple[Path, str, np.ndarray], case: str, problem: str
) -> None:
    db, rec, val = cinc_record
    path = db / f"{rec}.mat"
    if case == "other_name":
        scipy.io.savemat(str(path), {"ecgval": val}, format="4")
    elif case == "transposed":
        scipy.io.savemat(str(path), {"val": np.ascontiguousarray(val.T)}, format="4")
    elif case == "matlab_v5":
        scipy.io.savemat(str(path), {"val": val}, format="5")
    else:
        scipy.io.savemat(str(path), {"val": val.astype(np.float64)}, format="4")
    r = CINC2021(db)
    with pytest.raises(ReaderError, match=problem) as info:
        r.load_data(rec)
    assert Path(info.value.path) == path


def test_linked_reference_table_out_of_db_dir_is_refused(tmp_path: Path) -> None:
    from ecg_data.readers.cinc2017 import CINC2017

    db = tmp_path / "cinc2017"
    db.mkdir()
    scipy.io.savemat(str(db / "A00001.mat"), {"val": np.zeros((1, 300), np.int16)}, format="4")
    (tmp_path / "labels.csv").write_text(f"A00001,{SECRET}\n")
    (db / "REFERENCE.csv").symlink_to(tmp_path / "labels.csv")
    with pytest.raises(ReaderError, match="outside the database folder") as info:
        CINC2017(db).load_ann("A00001")
    assert SECRET not in str(info.value)
