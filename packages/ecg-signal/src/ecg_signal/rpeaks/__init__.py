"""R-peak detection: one interface (:func:`detect_rpeaks`), the classic WFDB/BioSPPy detectors
(optional extras), our own vectorised ``ecgsuite`` detector and beat-by-beat evaluation."""

from __future__ import annotations

from .api import DEFAULT_METHOD, MIN_FS, detect_rpeaks, detect_rpeaks_batch, list_methods
from .compare import (
    DetectionCounts,
    RPeakComparison,
    compare,
    cpsc2019_record_score,
    cpsc2019_score,
    match_annotations,
)
from .consensus import ConsensusPeaks, consensus_rpeaks
from .detector import DEFAULT_ECGSUITE_CONFIG, EcgSuiteConfig, ecgsuite_detect

__all__ = [
    "DEFAULT_METHOD",
    "MIN_FS",
    "detect_rpeaks",
    "detect_rpeaks_batch",
    "list_methods",
    "DetectionCounts",
    "RPeakComparison",
    "compare",
    "cpsc2019_record_score",
    "cpsc2019_score",
    "match_annotations",
    "DEFAULT_ECGSUITE_CONFIG",
    "EcgSuiteConfig",
    "ecgsuite_detect",
    "ConsensusPeaks",
    "consensus_rpeaks",
]
