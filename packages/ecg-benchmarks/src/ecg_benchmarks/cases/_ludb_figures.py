"""Report figures of the ludb case: per-boundary scores and example leads."""

from __future__ import annotations

from typing import Any

import numpy as np

from ecg_benchmarks.cases._common import _plt, plot_per_class
from ecg_benchmarks.report import add_figure

__all__ = ["draw_figures"]

WAVE_LABELS = {"p": "P", "qrs": "QRS", "t": "T"}


def draw_figures(
    run: Any, res: dict[str, float], sigs: list[Any], true: list[Any], pred: list[Any], fs: float
) -> None:
    """``per_boundary.png`` (sensitivity, PPV, F1 per boundary) and ``examples.png`` (three
    test leads with the reference and predicted waves)."""
    plot_per_class(
        run,
        {
            m: {
                f"{WAVE_LABELS[w]} {b}": res[f"{w}_{b}_{m}"]
                for w in WAVE_LABELS
                for b in ("onset", "offset")
            }
            for m in ("sensitivity", "ppv", "f1")
        },
        "per_boundary.png",
        "Sensitivity, PPV and F1 of each boundary on the test records",
    )
    plt = _plt()
    colors = {1: "tab:green", 2: "tab:red", 3: "tab:blue"}
    k = min(3, len(sigs))
    if k == 0:
        return
    fig, axes = plt.subplots(k, 1, figsize=(11, 2.4 * k), squeeze=False)
    for row in range(k):
        ax = axes[row][0]
        idx = row * max(1, len(sigs) // k)
        sig = sigs[idx]
        t = np.arange(sig.shape[-1]) / fs
        ax.plot(t, sig, lw=0.7, color="k")
        lo, hi = float(np.min(sig)), float(np.max(sig))
        for code, color in colors.items():
            ax.fill_between(t, lo, hi, where=true[idx] == code, color=color, alpha=0.15)
            ax.fill_between(
                t, lo - 0.15 * (hi - lo), lo, where=pred[idx] == code, color=color, alpha=0.6
            )
        ax.fill_between(t, lo, hi, where=true[idx] == -1, color="grey", alpha=0.1)
        ax.set_title(
            "shaded: reference P (green) / QRS (red) / T (blue), grey not annotated; "
            "bars below: predicted",
            fontsize=8,
        )
        ax.set_xlabel("time (s)", fontsize=8)
    fig.tight_layout()
    fig.savefig(
        add_figure(run, "examples.png", "Test leads: reference and predicted waves"), dpi=90
    )
    plt.close(fig)
