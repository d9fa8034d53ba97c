"""Export a finished ludb run as the pretrained delineator of ecg-models (``delineation``).

``python -m ecg_benchmarks.cases._ludb_export RUN_DIR "ecg-bench run ludb ..." [OUT_DIR]`` writes
``delineation.safetensors`` and its card (command, data, seed, commit, held-out scores, the
delineator's settings) with :func:`ecg_models.pretrained.save_pretrained`.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["export_delineation", "load_run_model"]


def load_run_model(path: Path) -> Any:
    """The ECG_UNET of a run's ``model.safetensors``; a checkpoint written before the conv
    blocks of ecg-models got their ``layers`` level is mapped onto today's parameter names."""
    from ecg_models import CheckpointError, TaskModel

    try:
        return TaskModel.from_checkpoint(path)
    except (CheckpointError, ValueError):
        pass
    from safetensors import safe_open

    from ecg_models.models.unet import ECG_UNET, UNetConfig

    with safe_open(str(path), framework="pt") as fh:
        meta = fh.metadata() or {}
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    info = json.loads(meta.get("ecg_models", "{}"))
    config = info.get("config", {})
    model = ECG_UNET(
        info.get("classes", ["i", "p", "N", "t"]), int(info.get("n_leads", 2)), UNetConfig(**config)
    )
    state = model.state_dict()
    new = {}
    for key, ref in state.items():
        # the old layout: conv blocks were plain Sequentials (no ``layers`` level)
        value = tensors.get(key, tensors.get(key.replace(".layers.", ".")))
        if value is None or tuple(ref.shape) != tuple(value.shape):
            raise CheckpointError(f"{path}: no tensor of shape {tuple(ref.shape)} for {key}")
        new[key] = value
    if len(new) != len(tensors):
        raise CheckpointError(f"{path}: {len(tensors)} tensors, the model has {len(new)}")
    model.load_state_dict(new)
    model.eval()
    return model


def export_delineation(run_dir: Path, command: str, out_dir: Path | None = None) -> Path:
    """Write the pretrained entry ``delineation`` from the ludb run ``run_dir``.

    Args:
        run_dir: a finished ``ecg-bench run ludb`` folder.
        command: the exact command that produced it (``ecg-bench run ludb ...``).
        out_dir: where to write (default: ecg-models' package ``weights/`` folder).

    Returns:
        The card's path.
    """
    from ecg_models.pretrained import save_pretrained

    cfg = tomllib.loads((run_dir / "config.toml").read_text(encoding="utf-8"))
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    model = load_run_model(run_dir / "checkpoints" / "model.safetensors")
    post = cfg["post"]
    n_test = metrics["n_test_records"]
    scores = {
        f"LUDB held-out ({n_test} records x 12 leads, seed {cfg['seed']} split) {k} F1": float(v)
        for k, v in metrics["f1_per_boundary"].items()
    }
    for k, v in metrics.get("protocol_f1_per_boundary", {}).items():  # runs since the 2-8 s score
        scores[
            f"LUDB held-out ({n_test} records x 12 leads, seed {cfg['seed']} split), 2-8 s, {k} F1"
        ] = float(v)
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return save_pretrained(
        model,
        "delineation",
        task="wave_delineation",
        summary="P/QRS/T onsets, peaks and offsets of 1 to 12 leads (U-Net, leads as context)",
        training_data=(
            f"LUDB 1.0.1 ({metrics.get('n_train_records', 'the')} training records of 160, "
            f"record-disjoint split seed {cfg['seed']}, train_ratio {cfg['train']['train_ratio']})"
        ),
        scores=scores,
        provenance={
            "command": command,
            "data": "LUDB 1.0.1 records 1-160 (ECG_SAMPLE_DATA/ludb)",
            "seed": int(cfg["seed"]),
            "commit": commit,
            "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        config={
            "fs": float(cfg["data"]["fs"]),
            "window_s": 10.0,
            "overlap_s": 2.0,
            "bandpass": [0.5, 45.0],
            "order": 3,
            "own_weight": float(post["own_weight"]),
            "postproc": {
                "min_ms": {"p": post["min_p_ms"], "qrs": post["min_qrs_ms"], "t": post["min_t_ms"]},
                "max_gap_ms": post["max_gap_ms"],
                "one_t_per_beat": bool(post["enabled"]),
            },
        },
        out_dir=out_dir,
    )


if __name__ == "__main__":
    out = export_delineation(
        Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]) if len(sys.argv) > 3 else None
    )
    print(out)
