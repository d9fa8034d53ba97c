"""Writers of WFDB test records in the real on-disk format (through ``wfdb.wrsamp``), shared by
the reader tests of this folder (importable as ``wfdb_write``, registered by conftest.py)."""

from __future__ import annotations

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
