"""Benchmark ecg_data against torch_ecg on the same sample folders.

Measures, for ecg_data in this interpreter and for torch_ecg in a subprocess run by
``--peer-python`` (installs nothing; the peer side is skipped when not given):

* ``load_data`` over all cinc2021 records (ours with a fresh reader per pass, so folder listing and
  header parsing are timed; the peer's reader is built once outside the timing);
* a full pass of a DataLoader (2 workers, batch 8) over ``CINC2021Dataset`` (torch_ecg side: a
  Dataset doing what its benchmark ``CINC2021Dataset`` does -- ``load_data``, band-pass 0.5-45 Hz
  order 3 + per-lead z-score with its ``PreprocManager``, crop/pad to 5000, ``get_labels`` --
  since that class lives outside the pip package); torch_ecg's reader is pointed at a temporary
  folder of symlinks (one sub-folder per tranche prefix) to the same files;
* peak RSS (VmHWM) while reading a generated 24-hour, 2-lead, 250 Hz WFDB record (format 16, written in
  chunks to a temporary folder) one minute at a time: ours with a ``WFDBReader``, the peer with
  torch_ecg's ``AFDB`` reader (2-lead 250 Hz Holter, ``wfdb.rdrecord`` windows). Must stay under
  200 MB.

One torch thread on both sides. Each timing is the median of ``--repeats`` runs after one warm-up.
Prints a JSON summary with ``ratio_peer_over_ours`` (peer time / our time, i.e. our speedup; goal
>= 1.5; for memory, peer peak RSS / our peak RSS).

Usage:
    .venv/bin/python bench/data_vs_torch_ecg.py --peer-python .venv-peer/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
from _peer import require_peer

_PEER = textwrap.dedent(
    """
    import json, os, statistics, sys, tempfile, time
    from pathlib import Path
    import numpy as np, torch
    torch.set_num_threads(1)
    from torch.utils.data import DataLoader, Dataset
    from torch_ecg.databases import CINC2021
    from torch_ecg._preprocessors import PreprocManager
    src_dir, repeats = Path(sys.argv[1]), int(sys.argv[2])
    # torch_ecg's CINC2021 reader expects one folder per tranche (record-name prefixes A, Q, I,
    # S, HR, E, JS, ...) and writes a record list into db_dir: give it a temporary folder of
    # symlinks to the same sample files, laid out as it expects.
    tmp = tempfile.TemporaryDirectory()
    for f in sorted(src_dir.iterdir()):
        if f.suffix in (".hea", ".mat"):
            sub = Path(tmp.name) / ("WFDB_" + f.stem.rstrip("0123456789"))
            sub.mkdir(exist_ok=True)
            (sub / f.name).symlink_to(f.resolve())
    r = CINC2021(db_dir=tmp.name, verbose=0)
    # `all_records` is a dict tranche -> records (iterating it gave the tranche letters: KeyError 'A')
    recs = [rec for t in r.db_tranches for rec in r.all_records[t]]
    ppm = PreprocManager.from_config(
        {"bandpass": {"lowcut": 0.5, "highcut": 45.0, "filter_type": "butter", "filter_order": 3},
         "normalize": {"method": "z-score", "per_channel": True}}
    )
    classes = sorted({c for rec in recs for c in r.get_labels(rec, scored_only=True, fmt="a")})
    def load_all():
        for rec in recs:
            r.load_data(rec)
    class D(Dataset):
        # as torch_ecg's benchmark CINC2021Dataset (outside the pip package): load, preprocess,
        # crop/pad to 5000 samples, multi-hot scored labels
        def __len__(self):
            return len(recs)
        def __getitem__(self, i):
            x, fs = ppm(np.asarray(r.load_data(recs[i]), dtype=np.float32), 500)
            x = np.asarray(x, dtype=np.float32)[:, :5000]
            x = np.pad(x, ((0, 0), (0, 5000 - x.shape[1])))
            y = np.zeros(26, dtype=np.float32)
            for c in r.get_labels(recs[i], scored_only=True, fmt="a"):
                y[classes.index(c) % 26] = 1.0
            return torch.from_numpy(x), torch.from_numpy(y)
    def loader_pass():
        for _ in DataLoader(D(), batch_size=8, num_workers=2):
            pass
    out = {}
    for name, fn in [("load_data", load_all), ("dataloader", loader_pass)]:
        fn()
        ts = []
        for _ in range(repeats):
            t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
        out[name] = statistics.median(ts)
    out["n_records"] = len(recs)
    print(json.dumps(out))
    """
)

_PEER_MEMORY = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
        return float("nan")
    import torch
    torch.set_num_threads(1)
    from torch_ecg.databases import AFDB  # a 2-lead 250 Hz WFDB Holter reader
    r = AFDB(db_dir=sys.argv[1], verbose=0)
    before = hwm()
    n = int(sys.argv[2])
    step = 60 * 250
    total = 0.0
    for start in range(0, n, step):
        total += float(r.load_data("long", sampfrom=start, sampto=min(n, start + step)).sum())
    print(hwm(), before)
    """
)

_MEMORY = textwrap.dedent(
    """
    import sys
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
        return float("nan")
    import wfdb  # noqa: F401 (imported lazily by the reader: import it before the baseline)
    from ecg_data.readers.wfdb_base import WFDBReader
    from ecg_data.readers.base import DatabaseInfo
    class R(WFDBReader):
        name = "bench"
        database_info = DatabaseInfo("bench", "", 250.0, ("I", "II"), "", "", "")
    r = R(sys.argv[1])
    before = hwm()
    n = r.get_siglen("long")
    step = 60 * 250
    total = 0.0
    for start in range(0, n, step):
        total += float(r.load_data("long", sampfrom=start, sampto=min(n, start + step)).sum())
    print(hwm(), before)
    """
)


def _median(fn: object, repeats: int) -> float:
    assert callable(fn)
    fn()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def _write_long_record(folder: Path, hours: float = 24.0, fs: int = 250) -> None:
    n = int(hours * 3600 * fs)
    rng = np.random.default_rng(0)
    chunk = fs * 3600
    with open(folder / "long.dat", "wb") as fh:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            t = (np.arange(start, start + m) / fs)[:, None]
            sig = 0.8 * np.sin(2 * np.pi * 1.2 * t) + 0.02 * rng.normal(size=(m, 2))
            fh.write(np.round(sig * 200).astype("<i2").tobytes())
    (folder / "long.hea").write_text(
        f"long 2 {fs} {n}\nlong.dat 16 200/mV 16 0 0 0 0 I\nlong.dat 16 200/mV 16 0 0 0 0 II\n"
    )


def _run_memory(cmd: list[str]) -> tuple[float, float]:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip().splitlines()[-1:])
    peak, base = (float(v) for v in res.stdout.split()[-2:])
    return peak, base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("ECG_SAMPLE_DATA", "../shared/data"))
    ap.add_argument("--peer-python", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    args.peer_python = require_peer(args.peer_python, script="data_vs_torch_ecg.py")
    db_dir = Path(args.data) / "cinc2021"

    from copy import deepcopy

    import torch
    from torch.utils.data import DataLoader

    from ecg_data.datasets.cinc2021 import CINC2021Dataset, CINC2021TrainCfg
    from ecg_data.readers.cinc2021 import CINC2021

    torch.set_num_threads(1)
    reader = CINC2021(db_dir)
    records = list(reader.all_records)

    def load_all() -> None:
        # a fresh reader per pass: includes listing the folder and parsing every header (the
        # peer's reader is built once, outside the timing, and re-parses headers on each call)
        r = CINC2021(db_dir)
        for rec in r.all_records:
            r.load_data(rec)

    def load_all_warm() -> None:
        for rec in records:
            reader.load_data(rec)

    cfg = deepcopy(CINC2021TrainCfg)
    cfg.db_dir = str(db_dir)
    ds = CINC2021Dataset(cfg, training=False, lazy=True)
    ds.records = list(records)  # every record, as on the peer side
    ds._labels = np.stack([ds.reader.multi_hot(r, ds.classes) for r in ds.records])

    def loader_pass() -> None:
        for _ in DataLoader(ds, batch_size=8, num_workers=2):
            pass

    ours = {
        "load_data": _median(load_all, args.repeats),
        "load_data_warm_reader": _median(load_all_warm, args.repeats),
        "dataloader": _median(loader_pass, args.repeats),
    }
    summary: dict[str, object] = {"n_records": len(records), "ours_s": ours}
    with tempfile.TemporaryDirectory() as tmp:
        _write_long_record(Path(tmp))
        (Path(tmp) / "RECORDS").write_text("long\n")
        peak, base = _run_memory([sys.executable, "-c", _MEMORY, tmp])
        # the criterion is the memory the reads add to the interpreter (imports of numpy/pandas/
        # wfdb alone take a large, constant share of the RSS)
        summary["ours_memory_mb"] = {"peak_rss": peak, "before": base, "added": peak - base}
        summary["memory_ok"] = peak - base < 200 and peak < 200
        if args.peer_python:
            try:
                n = int(24 * 3600 * 250)
                p_peak, p_base = _run_memory([args.peer_python, "-c", _PEER_MEMORY, tmp, str(n)])
                summary["peer_memory_mb"] = {
                    "peak_rss": p_peak,
                    "before": p_base,
                    "added": p_peak - p_base,
                }
            except RuntimeError as err:
                summary["peer_memory_error"] = str(err)
    if args.peer_python:
        res = subprocess.run(
            [args.peer_python, "-c", _PEER, str(db_dir), str(args.repeats)],
            capture_output=True,
            text=True,
        )
        if res.returncode == 0:
            peer = json.loads(res.stdout.strip().splitlines()[-1])
            summary["peer_s"] = peer
            if peer["n_records"] != len(records):
                summary["warning"] = f"peer read {peer['n_records']} records, ours {len(records)}"
            ratios = {k: peer[k] / ours[k] for k in ("load_data", "dataloader")}
            pm = summary.get("peer_memory_mb")
            if isinstance(pm, dict):
                # peak-RSS ratio (peer / ours): > 1 means we use less memory
                ratios["peak_rss"] = pm["peak_rss"] / peak
                ratios["added_rss"] = pm["added"] / max(peak - base, 1e-3)
            summary["ratio_peer_over_ours"] = ratios
        else:
            summary["peer_error"] = res.stderr.strip().splitlines()[-1:]
    else:
        summary["peer"] = "skipped (no --peer-python)"
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
