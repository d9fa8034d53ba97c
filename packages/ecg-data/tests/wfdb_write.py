"""Writers of WFDB test records in the real on-disk format (through ``wfdb.wrsamp``), shared by
the reader tests of this folder (importable as ``wfdb_write``, registered by conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np


def sines(n_leads: int, n: int, fs: float, amplitude: float = 1.0) -> np.ndarray:
    """``(n_leads, n)`` sines of ``amplitude`` (mV) at 1, 2, ... Hz sampled at ``fs`` Hz."""
    t = np.arange(n) / fs
    return np.stack([amplitude * np.sin(2 * np.pi * (k + 1) * t) for k in range(n_leads)])


def wrsamp(
    folder: Path,
    name: str,
    sig: np.ndarray,
    fs: float,
    leads: list[str],
    units: list[str] | None = None,
    gain: float = 200.0,
) -> None:
    """Write ``sig`` (leads, samples) at ``fs`` Hz as the format-16 WFDB record ``folder/name``
    (``gain`` ADC units per physical unit, baseline 0; units default to mV)."""
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(
        name,
        fs=fs,
        units=units or ["mV"] * len(leads),
        sig_name=leads,
        p_signal=sig.T,
        fmt=["16"] * len(leads),
        adc_gain=[gain] * len(leads),
        baseline=[0] * len(leads),
        write_dir=str(folder),
    )


#: The twelve PTB-XL lead names as the WFDB headers spell them.
PTBXL_LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def write_ptbxl(
    root: Path,
    records: Iterable[tuple[int, int, int, int, int, Mapping[str, float]]],
    signal: Callable[[int, int], np.ndarray],
    scp_statements: str,
) -> Path:
    """Write a PTB-XL folder under ``root``: ``ptbxl_database.csv``, ``scp_statements.csv`` and
    each record as WFDB ``records100/00000/<id>_lr`` and ``records500/00000/<id>_hr``.

    Args:
        records: ``(ecg_id, patient_id, age, sex, strat_fold, scp_codes)`` per record.
        signal: ``signal(ecg_id, fs)`` gives the record's (12, samples) signal at 100 or 500 Hz.
        scp_statements: the rows of ``scp_statements.csv`` after its header.
    """
    rows = ["ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr"]
    for ecg_id, patient, age, sex, fold, codes in records:
        lr, hr = f"records100/00000/{ecg_id:05d}_lr", f"records500/00000/{ecg_id:05d}_hr"
        rows.append(f'{ecg_id},{patient}.0,{age},{sex},"{dict(codes)!r}",{fold},{lr},{hr}')
        for fs, rel in ((100, lr), (500, hr)):
            out = root / rel
            wrsamp(out.parent, out.name, signal(ecg_id, fs), fs, PTBXL_LEADS, gain=1000.0)
    (root / "ptbxl_database.csv").write_text("\n".join(rows) + "\n")
    header = ",description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass\n"
    (root / "scp_statements.csv").write_text(header + scp_statements)
    return root
