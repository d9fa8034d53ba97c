"""neurokit2's ECG delineation of signals given as .npy files; run by a peer Python that has
neurokit2 (``bench/requirements-peer.txt``), never imported by ecg-benchmarks.

Usage: ``PEER_PYTHON _neurokit_peer.py JOB.json OUT.json``. ``JOB.json`` holds ``{"fs": Hz,
"methods": ["dwt", "peak"], "signals": {"name": "file.npy", ...}}`` (each file a 1-D signal in
mV); ``OUT.json`` gets ``{name: {method: {neurokit key: [sample, ...]}}}`` with neurokit2's own
R peaks (``ecg_clean`` then ``ecg_peaks``, its defaults) and the NaNs of missing waves dropped.
"""

from __future__ import annotations

import json
import math
import sys
import warnings


def main(job_file: str, out_file: str) -> int:
    import neurokit2 as nk
    import numpy as np

    with open(job_file, encoding="utf-8") as fh:
        job = json.load(fh)
    fs = float(job["fs"])
    out: dict[str, dict[str, dict[str, list[int]]]] = {}
    for name, path in job["signals"].items():
        x = np.load(path).astype(np.float64)
        res: dict[str, dict[str, list[int]]] = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clean = nk.ecg_clean(x, sampling_rate=fs)
            _, info = nk.ecg_peaks(clean, sampling_rate=fs)
            rpeaks = info["ECG_R_Peaks"]
            res["rpeaks"] = {"ECG_R_Peaks": [int(v) for v in rpeaks]}
            for method in job["methods"]:
                try:
                    _, waves = nk.ecg_delineate(clean, rpeaks, sampling_rate=fs, method=method)
                except Exception as exc:  # a method failing on one record is reported, not fatal
                    res[method] = {"error": [str(exc)]}  # type: ignore[list-item]
                    continue
                res[method] = {
                    k: [int(v) for v in vals if v is not None and not math.isnan(float(v))]
                    for k, vals in waves.items()
                }
        out[name] = res
    with open(out_file, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
