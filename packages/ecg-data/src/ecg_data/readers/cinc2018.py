"""PhysioNet/CinC Challenge 2018 reader ("You Snooze You Win", Ghassemi et al. 2018): 13-channel
polysomnograms at 200 Hz in WFDB format (``tr03-0005/tr03-0005.hea``) whose ``.arousal``
annotation file holds the sleep stages (aux notes ``W``, ``N1``, ``N2``, ``N3``, ``R``, each
starting a stage that lasts until the next one) and events as ``(name`` ... ``name)`` pairs
(arousals, apneas)."""

from __future__ import annotations

from typing import Any, ClassVar

from ecg_data.readers.base import DatabaseInfo, ReaderError
from ecg_data.readers.shhs import SleepAnn
from ecg_data.readers.wfdb_base import WFDBReader, read_wfdb_ann

__all__ = ["CINC2018", "CINC2018_INFO", "CINC2018_STAGES"]

#: Stage names of the ``.arousal`` aux notes.
CINC2018_STAGES: tuple[str, ...] = ("W", "N1", "N2", "N3", "R", "U")

CINC2018_INFO = DatabaseInfo(
    name="cinc2018",
    description=(
        "You Snooze You Win: The PhysioNet/Computing in Cardiology Challenge 2018; 1985 "
        "overnight polysomnograms (EEG, EOG, EMG, respiration, SaO2, ECG) at 200 Hz with sleep "
        "stages, arousals and apneas."
    ),
    fs=200.0,
    leads=("ECG",),
    license="ODC-By 1.0",
    doi="10.22489/CinC.2018.049",
    bibtex=(
        "@inproceedings{ghassemi2018you, title={You Snooze, You Win: the PhysioNet/Computing in "
        "Cardiology Challenge 2018}, author={Ghassemi, Mohammad M and Moody, Benjamin E and "
        "Lehman, Li-wei H and others}, booktitle={Computing in Cardiology}, volume={45}, "
        "year={2018}}"
    ),
    url="https://physionet.org/files/challenge-2018/1.0.0/",
)


class CINC2018(WFDBReader):
    """CinC 2018 reader. ``load_data(rec, leads="ECG")`` gives the ECG (1, samples) in mV;
    ``load_ann(rec)`` a :class:`~ecg_data.readers.shhs.SleepAnn` from ``<rec>.arousal``."""

    name: ClassVar[str] = "cinc2018"
    database_info: ClassVar[DatabaseInfo] = CINC2018_INFO

    def load_ann(self, rec: str | int) -> SleepAnn:  # type: ignore[override]
        """Sleep stages and events (arousals, apneas) of ``rec``.

        Raises:
            ReaderError: missing/malformed ``.arousal`` file or an event without its end.
        """
        rec = self._check_rec(rec)
        fs, _, siglen = self._header(rec)
        stem = self.record_path(rec)
        samples, _, aux = read_wfdb_ann(stem, "arousal", siglen)
        stage_marks = [
            (int(s), a) for s, a in zip(samples, aux, strict=True) if a in CINC2018_STAGES
        ]
        stages = [
            (s, stage_marks[k + 1][0] if k + 1 < len(stage_marks) else siglen, a)
            for k, (s, a) in enumerate(stage_marks)
        ]
        events: list[tuple[int, int, str]] = []
        open_: dict[str, int] = {}
        for s, a in zip(samples, aux, strict=True):
            if a.startswith("("):
                open_[a[1:]] = int(s)
            elif a.endswith(")"):
                name = a[:-1]
                if name not in open_:
                    raise ReaderError(
                        stem.with_name(f"{stem.name}.arousal"),
                        f"event end {a!r} at sample {int(s)} without its start",
                    )
                events.append((open_.pop(name), int(s), name))
        if open_:
            raise ReaderError(
                stem.with_name(f"{stem.name}.arousal"), f"events never ended: {sorted(open_)}"
            )
        return SleepAnn(stages=stages, events=sorted(events), fs=fs)

    def _meta_row(self, rec: str) -> dict[str, Any]:
        return {"subject": rec}
