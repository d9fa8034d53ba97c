"""The cinc2017 case's report figure (held-out records with their Grad-CAM saliency) and the
export of a finished run as ecg-models' pretrained AF classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = ["CLASSES", "export_pretrained", "plot_saliency"]

#: The classes in label-index order (the challenge codes).
CLASSES = ("N", "A", "O", "~")


def plot_saliency(
    run: RunDir,
    model: Any,
    test: Any,
    ref: npt.NDArray[np.int64],
    ans: npt.NDArray[np.int64],
    probs: npt.NDArray[np.float64],
    names: list[str],
    fs: float,
    device: Any,
) -> None:
    """One test record per class (correct answers first) with the Grad-CAM saliency of its
    answer under the signal."""
    from ecg_benchmarks.cases._common import _plt
    from ecg_models.explain import grad_cam

    picks: list[int] = []
    for k in range(len(CLASSES)):
        right = np.flatnonzero((ref == k) & (ans == k))
        wrong = np.flatnonzero(ref == k)
        if right.size or wrong.size:
            picks.append(int(right[0] if right.size else wrong[0]))
    if not picks:
        return
    plt = _plt()
    fig, axes = plt.subplots(len(picks), 1, figsize=(11, 2.3 * len(picks)), squeeze=False)
    for row, i in enumerate(picks):
        x = test[i][0][None].to(device)
        cam = grad_cam(model, x, classes=[int(ans[i])])[0, 0].cpu().numpy()
        sig = x[0, 0].cpu().numpy()
        n = min(sig.size, int(20 * fs))  # the first 20 s
        t = np.arange(n) / fs
        ax = axes[row][0]
        lo, hi = float(sig[:n].min()), float(sig[:n].max())
        ax.imshow(
            cam[None, :n],
            aspect="auto",
            cmap="Reds",
            extent=(0.0, n / fs, lo, hi),
            vmin=0.0,
            vmax=1.0,
            alpha=0.6,
        )
        ax.plot(t, sig[:n], lw=0.6, color="k")
        shown = ", ".join(f"{c} {p:.2f}" for c, p in zip(CLASSES, probs[i], strict=True))
        ax.set_title(
            f"{names[i]}: reference {CLASSES[ref[i]]}, answer {CLASSES[ans[i]]} ({shown}); "
            f"red: Grad-CAM of {CLASSES[ans[i]]}",
            fontsize=8,
        )
        ax.set_xlabel("time (s)", fontsize=8)
    fig.tight_layout()
    fig.savefig(
        add_figure(
            run,
            "examples.png",
            "Held-out test records (first 20 s) with the Grad-CAM saliency of the answer",
        ),
        dpi=90,
    )
    plt.close(fig)


def _head_config(s: Any, run: RunDir) -> dict[str, Any]:
    """``{"rr_head": ...}`` of a run with the RR head (its ``checkpoints/rr_head.json``), else {}."""
    import json

    if s.head.kind != "rr":
        return {}
    head = json.loads((run.checkpoints / "rr_head.json").read_text())
    keys = ("features", "mean", "scale", "w1", "b1", "w2", "b2", "weight", "bias")
    return {"rr_head": {k: head[k] for k in keys}}


def export_pretrained(
    s: Any,
    run: RunDir,
    metrics: dict[str, Any],
    command: str,
    commit: str,
    out_dir: str | Path | None = None,
) -> Path:
    """Write the finished run's model as the pretrained AF classifier ``cinc2017`` (weights and
    card in ecg-models' ``pretrained/weights``, or ``out_dir``); ``s`` is the run's
    :class:`~ecg_benchmarks.cases.cinc2017.CINC2017Settings`, ``command`` and ``commit`` the run's."""
    from datetime import UTC, datetime

    from ecg_benchmarks.cases.cinc2017 import MIN_DURATION_S
    from ecg_data.datasets.cinc2017 import CINC2017TrainConfig
    from ecg_models import TaskModel
    from ecg_models.pretrained import save_pretrained

    model = TaskModel.from_checkpoint(run.checkpoints / "model.safetensors")
    pre = CINC2017TrainConfig().preproc
    lo, hi = pre.bandpass if pre.bandpass is not None else (0.5, 45.0)
    held = f"{metrics['n_test']} held-out test records ({metrics['split']})"
    scores = {f"cinc2017 challenge F1 (mean of N, A, O), {held}": metrics["f1"]}
    for key, label in (("f1_normal", "N"), ("f1_af", "A"), ("f1_other", "O"), ("f1_noisy", "~")):
        if isinstance(metrics.get(key), float):
            scores[f"cinc2017 F1 of {label}, {held}"] = metrics[key]
    return save_pretrained(
        model,
        "cinc2017",
        task="af_classification",
        summary=(
            "AF classifier (N normal, A AF, O other rhythm, ~ noisy): ECG_CRNN"
            + (" with an RR-interval head" if s.head.kind == "rr" else "")
            + " on one lead of any length at 100-2000 Hz"
        ),
        training_data=(
            f"CinC 2017 training records: {metrics['n_train']} of the 6,993 shared records "
            f"(stratified split, seed {s.seed}: {metrics['split']}); validation "
            f"{metrics.get('n_val')} records (epoch selection, RR head fit), test {metrics['n_test']} never "
            "seen in training or selection"
        ),
        scores=scores,
        provenance={
            "command": command,
            "data": str(metrics.get("data", "")),
            "seed": s.seed,
            "commit": commit,
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "epochs": metrics.get("epochs_run"),
            "best_epoch": metrics.get("best_epoch"),
            "train_seconds": metrics.get("train_seconds"),
        },
        config={
            "fs": float(s.data.fs),
            "bandpass": [float(lo or 0.5), float(hi or 45.0)],
            "order": int(pre.order),
            "min_duration_s": MIN_DURATION_S,
            "window_s": 60.0,
            **_head_config(s, run),
        },
        out_dir=out_dir,
    )
