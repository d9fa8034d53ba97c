"""Benchmark ecg_data against torch_ecg on the same sample folders.

Measures, for ecg_data in this interpreter and for torch_ecg in a subprocess run by
``--peer-python`` (installs nothing; the peer side is skipped when not given):

* ``load_data`` over all cinc2021 records (records/s);
* a full pass of a DataLoader (2 workers, batch 8) over ``CINC2021Dataset`` (torch_ecg side: a
  Dataset calling its ``CINC2021`` reader's ``load_data`` + ``get_labels``, since its own
  ``CINC2021Dataset`` lives outside the pip package);
* peak RSS (VmHWM) while reading a generated 24-hour, 2-lead, 250 Hz WFDB record (format 16, written in
  chunks to a temporary folder) one minute at a time with ``ecg_data`` (must stay under 200 MB).

Each timing is the median of ``--repeats`` runs after one warm-up. Prints a JSON summary with the
ratios (ours / peer throughput; goal >= 1.5).

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

_PEER = textwrap.dedent(
    """
    import json, statistics, sys, time
    import numpy as np, torch
    from torch.utils.data import DataLoader, Dataset
    from torch_ecg.databases import CINC2021
    db_dir, repeats = sys.argv[1], int(sys.argv[2])
    r = CINC2021(db_dir=db_dir, verbose=0)
    recs = list(r.all_records)
    def load_all():
        for rec in recs:
            r.load_data(rec)
    class D(Dataset):
        def __len__(self):
            return len(recs)
        def __getitem__(self, i):
            x = np.asarray(r.load_data(recs[i]), dtype=np.float32)[:, :5000]
            x = np.pad(x, ((0, 0), (0, 5000 - x.shape[1])))
            return torch.from_numpy(x), torch.zeros(26)
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

_MEMORY = textwrap.dedent(
    """
    import sys
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024
        return float("nan")
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("ECG_SAMPLE_DATA", "../shared/data"))
    ap.add_argument("--peer-python", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    db_dir = Path(args.data) / "cinc2021"

    from copy import deepcopy

    from torch.utils.data import DataLoader

    from ecg_data.datasets.cinc2021 import CINC2021Dataset, CINC2021TrainCfg
    from ecg_data.readers.cinc2021 import CINC2021

    def load_all() -> None:
        r = CINC2021(db_dir)
        for rec in r.all_records:
            r.load_data(rec)

    cfg = deepcopy(CINC2021TrainCfg)
    cfg.db_dir = str(db_dir)
    ds = CINC2021Dataset(cfg, training=False, lazy=True)
    ds.records = CINC2021(db_dir).all_records  # every record, as on the peer side
    ds._labels = np.stack([ds.reader.multi_hot(r, ds.classes) for r in ds.records])

    def loader_pass() -> None:
        for _ in DataLoader(ds, batch_size=8, num_workers=2):
            pass

    ours = {
        "load_data": _median(load_all, args.repeats),
        "dataloader": _median(loader_pass, args.repeats),
    }
    with tempfile.TemporaryDirectory() as tmp:
        _write_long_record(Path(tmp))
        res = subprocess.run(
            [sys.executable, "-c", _MEMORY, tmp], capture_output=True, text=True, check=True
        )
        peak, base = (float(v) for v in res.stdout.split())
    summary: dict[str, object] = {
        "ours_s": ours,
        "peak_rss_mb_24h_read": peak,
        "rss_before_mb": base,
    }
    # the criterion is the memory the reads add to the interpreter (imports of numpy/pandas/wfdb
    # alone take a large, constant share of the RSS)
    summary["read_added_mb"] = peak - base
    summary["memory_ok"] = peak - base < 200
    if args.peer_python:
        res = subprocess.run(
            [args.peer_python, "-c", _PEER, str(db_dir), str(args.repeats)],
            capture_output=True,
            text=True,
        )
        if res.returncode == 0:
            peer = json.loads(res.stdout.strip().splitlines()[-1])
            summary["peer_s"] = peer
            summary["speedup"] = {k: peer[k] / ours[k] for k in ("load_data", "dataloader")}
        else:
            summary["peer_error"] = res.stderr.strip().splitlines()[-1:]
    else:
        summary["peer"] = "skipped (no --peer-python)"
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
