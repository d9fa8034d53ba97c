"""Render a run's ``report.md`` and its learning-curve figure from what the run wrote.

The report is rebuilt from files alone (``config.toml``, ``metrics.json``, ``history.json``,
``figures.json`` and the PNGs it lists), so ``ecg-bench report DIR`` can re-render any finished run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ecg_benchmarks.runs import RunDir, RunDirError

__all__ = [
    "render_report",
    "plot_learning_curves",
    "learning_curve_panels",
    "add_figure",
    "read_figures",
]


def add_figure(run: RunDir, filename: str, caption: str) -> Path:
    """Record a figure (saved by the caller under ``run.path / filename``) for the report."""
    manifest = run.path / "figures.json"
    entries = read_figures(run) if manifest.is_file() else []
    entries = [e for e in entries if e["file"] != filename]
    entries.append({"file": filename, "caption": caption})
    run.write_json(manifest, entries)
    return run.path / filename


def read_figures(run: RunDir) -> list[dict[str, str]]:
    """The figure list of ``figures.json`` (empty when absent).

    Raises:
        RunDirError: the file is not a JSON list of ``{"file", "caption"}`` objects.
    """
    manifest = run.path / "figures.json"
    if not manifest.is_file():
        return []
    entries = run.read_json(manifest, list)
    for entry in entries:
        ok = isinstance(entry, dict) and all(
            isinstance(entry.get(k), str) for k in ("file", "caption")
        )
        if not ok or Path(entry["file"]).name != entry["file"]:
            raise RunDirError(
                f'{manifest}: each entry must be {{"file": NAME.png, "caption": TEXT}} '
                f"with a plain file name, got {entry!r}"
            )
    return list(entries)


def plot_learning_curves(run: RunDir, history: list[dict[str, Any]]) -> Path | None:
    """Plot the per-epoch series of ``history``: a panel of losses, one of validation metrics and
    one of the learning rate, each titled with what it plots."""
    if not any(_is_number(v) for h in history for k, v in h.items() if k != "epoch"):
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = [int(h.get("epoch", i + 1)) for i, h in enumerate(history)]
    panels = learning_curve_panels(history)
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 3.6), constrained_layout=True, squeeze=False
    )
    for ax, (group, title, ylabel) in zip(axes[0], panels, strict=True):
        for key in group:
            ys = [float(h.get(key, math.nan)) for h in history]
            ax.plot(epochs, ys, marker="o", label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        if ylabel == "learning rate":
            ax.set_yscale("log")
    path = run.path / "learning_curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def learning_curve_panels(history: list[dict[str, Any]]) -> list[tuple[list[str], str, str]]:
    """The panels of the learning-curve figure: ``(series keys, title, y label)`` each; losses,
    validation metrics and the learning rate each get their own panel (empty ones are left out)."""
    keys = sorted({k for h in history for k, v in h.items() if k != "epoch" and _is_number(v)})
    losses = [k for k in keys if "loss" in k]
    rates = [k for k in keys if k == "lr"]
    scores = [k for k in keys if k not in losses and k not in rates and not k.endswith("_s")]
    panels = [
        (losses, "training and validation loss", "loss"),
        (scores, "validation metric per epoch", "metric value"),
        (rates, "learning rate (end of epoch)", "learning rate"),
    ]
    return [p for p in panels if p[0]]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def render_report(run: RunDir, *, title: str | None = None) -> Path:
    """Write ``report.md`` for the finished run in ``run``; returns its path."""
    metrics: dict[str, Any] = run.read_json(run.metrics, dict)
    history: list[Any] = run.read_json(run.history, list) if run.history.is_file() else []
    history = [h for h in history if isinstance(h, dict)]
    figures = read_figures(run)
    curves = plot_learning_curves(run, history)
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
        "- `checkpoints/`: `model.safetensors` (the best model with its config, for "
        "`TaskModel.from_checkpoint`) and the trainer's checkpoints",
        "- `logs/`: TensorBoard event files and CSV logs",
    ]
    run.write_text(run.report, "\n".join(lines) + "\n")
    return run.report
