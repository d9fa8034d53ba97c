"""MIT-BIH Noise Stress Test Database (NSTDB) reader: MIT-BIH records 118 and 119 with calibrated
electrode-motion noise added at SNRs from 24 to -6 dB (Moody et al. 1984)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from ecg_data.readers.base import DatabaseInfo
from ecg_data.readers.wfdb_base import WFDBReader

__all__ = ["NSTDB", "NSTDB_INFO", "noise_schedule", "NOISE_START_S", "NOISE_SEGMENT_S"]

#: The noise of ``nst``'s default protocol starts after this many seconds ...
NOISE_START_S: float = 300.0
#: ... and is on and off in alternating segments of this many seconds.
NOISE_SEGMENT_S: float = 120.0

NSTDB_INFO = DatabaseInfo(
    name="nstdb",
    description=(
        "MIT-BIH Noise Stress Test Database: 12 half-hour 2-lead ECGs at 360 Hz made by adding "
        "calibrated electrode-motion noise to the clean MIT-BIH records 118 and 119 at SNRs of "
        "24, 18, 12, 6, 0 and -6 dB, in alternating 2-minute segments after the first 5 minutes, "
        "with the reference beats of the clean records, and the noise records bw, em and ma."
    ),
    fs=360.0,
    leads=("MLII", "V1"),
    license="ODC-By 1.0",
    doi="10.13026/C2HS3T",
    bibtex=(
        "@article{moody1984noise, title={A noise stress test for arrhythmia detectors}, "
        "author={Moody, George B and Muldrow, W and Mark, Roger G}, journal={Computers in "
        "Cardiology}, volume={11}, number={3}, pages={381--384}, year={1984}}"
    ),
    url="https://physionet.org/files/nstdb/1.0.0/",
)

_REC = re.compile(r"^(\d{3})e(_?)(\d{1,2})$")
_SNR = re.compile(r"SNR\s*=\s*(-?\d+(?:\.\d+)?)\s*dB")


def noise_schedule(
    siglen: int,
    fs: float,
    start_s: float = NOISE_START_S,
    segment_s: float = NOISE_SEGMENT_S,
) -> list[tuple[int, int]]:
    """Noisy intervals of an NSTDB record: ``(onset, offset)`` samples, offset exclusive.

    ``nst``'s default protocol leaves the first ``start_s`` seconds clean, then adds the noise in
    alternating segments of ``segment_s`` seconds (noisy first), to the end of the record.

    Args:
        siglen: record length in samples.
        fs: sampling frequency in Hz.
        start_s: clean lead-in in seconds.
        segment_s: length of each noisy and each clean segment in seconds.
    """
    if fs <= 0 or segment_s <= 0 or start_s < 0:
        raise ValueError(
            f"fs ({fs} Hz) and segment_s ({segment_s} s) must be > 0, start_s ({start_s} s) >= 0"
        )
    out = []
    t = start_s
    while round(t * fs) < siglen:
        out.append((int(round(t * fs)), min(int(round((t + segment_s) * fs)), siglen)))
        t += 2 * segment_s
    return out


class NSTDB(WFDBReader):
    """MIT-BIH Noise Stress Test Database (Moody et al. 1984). Data (2, 650000) in mV at 360 Hz.

    Records ``<clean record>e<SNR>`` (``119e24`` ... ``119e00``, ``119e_6`` = -6 dB); the noise
    records ``bw``, ``em``, ``ma`` are records too (SNR ``None``). ``load_ann(rec)`` returns a
    :class:`~ecg_data.readers.wfdb_base.BeatRhythmAnn` (the clean record's reference beats and
    rhythms). Metadata columns: ``clean_record``, ``snr_db`` and ``noise_intervals`` (see
    :meth:`noise_intervals`). NSTDB is a test set: never train or tune on it.
    """

    name: ClassVar[str] = "nstdb"
    database_info: ClassVar[DatabaseInfo] = NSTDB_INFO
    header_glob = "*.hea"

    def snr_db(self, rec: str | int) -> float | None:
        """SNR in dB of the noisy segments of ``rec``: from the header comment written by ``nst``
        (``SNR = -6 dB``), else from the name (``119e_6``); ``None`` for the noise records."""
        rec = self._check_rec(rec)
        m = _REC.match(rec)
        if not m:
            return None
        for line in self.header_comments(rec):
            found = _SNR.search(line)
            if found:
                return float(found.group(1))
        return -float(m.group(3)) if m.group(2) else float(m.group(3))

    def noise_intervals(self, rec: str | int) -> list[tuple[int, int]]:
        """Noisy ``(onset, offset)`` sample intervals of ``rec`` (offset exclusive); empty for
        records that are not noise stress test records (``bw``, ``em``, ``ma``)."""
        rec = self._check_rec(rec)
        if self.snr_db(rec) is None:
            return []
        fs, _, siglen = self._header(rec)
        return noise_schedule(siglen, fs)

    def noise_mask(self, rec: str | int) -> npt.NDArray[np.bool_]:
        """Per-sample mask of the noisy segments, shape (samples,)."""
        rec = self._check_rec(rec)
        mask = np.zeros(self.get_siglen(rec), dtype=bool)
        for a, b in self.noise_intervals(rec):
            mask[a:b] = True
        return mask

    def _meta_row(self, rec: str) -> dict[str, Any]:
        m = _REC.match(rec)
        return {
            "subject": m.group(1) if m else rec,
            "clean_record": m.group(1) if m else None,
            "snr_db": self.snr_db(rec),
            "noise_intervals": self.noise_intervals(rec),
        }
