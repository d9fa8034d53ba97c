"""Render a run's ``report.md`` and its learning-curve figure from what the run wrote.

The report is rebuilt from files alone (``config.toml``, ``metrics.json``, ``history.json``,
``figures.json`` and the PNGs it lists), so ``ecg-bench report DIR`` can re-render any finished run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ecg_benchmarks.runs import RunDir

__all__ = ["render_report", "plot_learning_curves", "add_figure"]


def add_figure(run: RunDir, filename: str, caption: str) -> Path:
    """Record a figure (saved by the caller under ``run.path / filename``) for the report."""
    manifest = run.path / "figures.json"
    entries: list[dict[str, str]] = run.read_json(manifest) if manifest.is_file() else []
    entries = [e for e in entries if e["file"] != filename]
    entries.append({"file": filename, "caption": caption})
    run.write_json(manifest, entries)
    return run.path / filename


def plot_learning_curves(run: RunDir, history: list[dict[str, Any]]) -> Path | None:
    """Plot every numeric per-epoch series of ``history`` (one panel for losses, one for scores)."""
    if not history:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = [int(h.get("epoch", i + 1)) for i, h in enumerate(history)]
    keys = sorted({k for h in history for k, v in h.items() if k != "epoch" and _is_number(v)})
    losses = [k for k in keys if "loss" in k]
    scores = [k for k in keys if k not in losses and not k.endswith("_s")]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for ax, group, title in ((axes[0], losses, "loss"), (axes[1], scores, "validation metrics")):
        for key in group:
            ys = [float(h.get(key, math.nan)) for h in history]
            ax.plot(epochs, ys, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if group:
            ax.legend(fontsize=8)
    path = run.path / "learning_curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def render_report(run: RunDir, *, title: str | None = None) -> Path:
    """Write ``report.md`` for the finished run in ``run``; returns its path."""
    metrics: dict[str, Any] = run.read_json(run.metrics)
    history: list[dict[str, Any]] = run.read_json(run.history) if run.history.is_file() else []
    curves = plot_learning_curves(run, history)
    manifest = run.path / "figures.json"
    figures: list[dict[str, str]] = run.read_json(manifest) if manifest.is_file() else []
    name = metrics.get("benchmark", run.path.name)
    lines = [f"# {title or f'ecg-bench run: {name}'}", ""]
    summary = metrics.get("summary")
    if isinstance(summary, str):
        lines += [summary, ""]
    lines += ["## Final metrics", "", "| metric | value |", "|---|---|"]
    for key, value in sorted(metrics.items()):
        if key in ("summary", "benchmark") or isinstance(value, dict | list):
            continue
        lines.append(f"| {key} | {_fmt(value)} |")
    for key, value in sorted(metrics.items()):
        if isinstance(value, dict) and value and all(_is_number(v) for v in value.values()):
            lines += ["", f"### {key}", "", "| | value |", "|---|---|"]
            lines += [f"| {k} | {_fmt(v)} |" for k, v in value.items()]
    if curves is not None:
        lines += ["", "## Learning curves", "", f"![learning curves]({curves.name})"]
    for fig in figures:
        if (run.path / fig["file"]).is_file():
            lines += ["", f"## {fig['caption']}", "", f"![{fig['caption']}]({fig['file']})"]
    lines += [
        "",
        "## Files",
        "",
        "- `config.toml`: the resolved settings (re-run with `ecg-bench run NAME --config config.toml`)",
        "- `metrics.json`, `history.json`: final and per-epoch metrics",
        "- `checkpoints/`: the best model (safetensors + JSON) and the trainer's checkpoints",
        "- `logs/`: TensorBoard event files and CSV logs",
    ]
    run.write_text(run.report, "\n".join(lines) + "\n")
    return run.report
