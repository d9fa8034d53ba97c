"""How often the cpsc2019 case draws each extra recording: more often where beats are ectopic.

:class:`~ecg_benchmarks.cases._qrs.WindowPool` draws a recording with probability proportional
to its annotated length (capped). Ectopic beats (ventricular, supraventricular, fusion) are
rare in those databases, yet they are where a QRS network errs (wide complexes, the T wave after
a premature beat). :func:`abnormal_weights` multiplies each recording's probability by
``1 + weight * fraction`` with ``fraction`` the share of its reference beats in
:data:`ECTOPIC_SYMBOLS`, read from the beat symbols of the record's reader (paced records are
not favoured).
Recordings without beat symbols (LUDB, the consensus-labelled databases, CPSC2019) keep factor 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ecg_data.datasets.mitdb import AAMI_MAP

__all__ = ["ECTOPIC_SYMBOLS", "abnormal_fraction", "abnormal_weights"]

ECTOPIC_SYMBOLS = frozenset(s for s, c in AAMI_MAP.items() if c in ("S", "V", "F"))
"""WFDB beat symbols of ectopic beats: the AAMI EC57 classes S (supraventricular), V
(ventricular) and F (fusion) of :data:`ecg_data.datasets.mitdb.AAMI_MAP`."""

_READERS = {"qtdb": "QTDB", "mitdb": "MITDB", "cpsc2021": "CPSC2021"}


def abnormal_fraction(symbols: Sequence[str]) -> float:
    """The share of beat ``symbols`` in :data:`ECTOPIC_SYMBOLS` (0 without beats)."""
    if len(symbols) == 0:
        return 0.0
    return sum(s in ECTOPIC_SYMBOLS for s in symbols) / len(symbols)


def abnormal_weights(
    sources: Sequence[str], p: npt.ArrayLike, root: Path, weight: float
) -> npt.NDArray[np.float64]:
    """Drawing probabilities ``p`` of recordings named ``sources`` (``"<db>/<record>/<lead>"``)
    times ``1 + weight * abnormal_fraction``, renormalised to sum to 1.

    Raises:
        ValueError: ``weight`` negative, or ``p`` not one non-negative value per source.
    """
    import ecg_data

    if weight < 0:
        raise ValueError(f"weight must be >= 0, got {weight}")
    prob = np.asarray(p, dtype=np.float64)
    if prob.shape != (len(sources),) or np.any(prob < 0) or prob.sum() <= 0:
        raise ValueError(f"p must hold one non-negative value per source ({len(sources)})")
    cache: dict[tuple[str, str], float] = {}
    factor = np.ones(len(sources))
    readers: dict[str, object] = {}
    for i, src in enumerate(sources):
        db, _, rest = src.partition("/")
        rec = rest.rpartition("/")[0]
        if db not in _READERS or weight == 0:
            continue
        if (db, rec) not in cache:
            if db not in readers:
                readers[db] = getattr(ecg_data, _READERS[db])(root / db)
            ann = readers[db].load_ann(rec)  # type: ignore[attr-defined]
            beats = getattr(ann, "beats", ann)
            cache[db, rec] = 0.0 if beats is None else abnormal_fraction(list(beats.beat_symbols))
        factor[i] = 1.0 + weight * cache[db, rec]
    out = prob * factor
    return np.asarray(out / out.sum(), dtype=np.float64)
