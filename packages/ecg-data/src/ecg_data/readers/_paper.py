"""Drawing ECGs on standard ECG paper (matplotlib, Agg canvas): the body of ``ECGReader.plot``.

The paper runs at 25 mm/s and 10 mm/mV: a minor grid line every 1 mm (40 ms, 0.1 mV) and a major
one every 5 mm (0.2 s, 0.5 mV). The axes are drawn at true scale (``mm_per_inch`` = 25.4) and
the figure adds fixed margins around them for the tick labels, lead names, axis labels, title
and legend, so a plain ``fig.savefig(path)`` keeps everything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

__all__ = ["ecg_paper_figure"]

#: marks' colours, in the order of their sorted labels
MARK_COLORS = ("tab:blue", "tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:olive")
_MAJOR_S, _MINOR_S, _MAJOR_MV, _MINOR_MV = 0.2, 0.04, 0.5, 0.1
# margins around the axes, inches
_LEFT, _RIGHT, _BOTTOM, _TITLE, _LEGEND_ROW = 0.8, 0.25, 0.55, 0.35, 0.2


def _grid(lo: float, hi: float, step: float) -> npt.NDArray[np.float64]:
    """Multiples of ``step`` in ``[lo, hi]`` (rounded, so that 0.6000000001 prints as 0.6)."""
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return np.round(np.arange(first, last + 1) * step, 6)


def _label(value: float) -> str:
    return f"{value:g}".replace("-", "\N{MINUS SIGN}")


def ecg_paper_figure(
    data: npt.NDArray[np.floating],
    fs: float,
    sampfrom: int,
    lead_names: Sequence[str],
    marks: Mapping[str, npt.NDArray[np.integer]] | None = None,
    *,
    title: str = "",
    lead_height_mv: float = 3.0,
    mm_per_inch: float = 25.4,
) -> Figure:
    """A figure of ``data`` on ECG paper, one row of axes per lead.

    Args:
        data: signal of shape ``(leads, samples)`` in mV.
        fs: sampling rate in Hz.
        sampfrom: index of the first sample in the record (the time axis is the record's).
        lead_names: one name per lead (shown on each row and in its y label).
        marks: annotation sample indices (record indices) by label, drawn as vertical lines
            with a legend above the axes.
        title: figure title.
        lead_height_mv: height of each row in mV.
        mm_per_inch: physical scale (25.4 draws at true scale).

    Returns:
        The Figure (Agg canvas; nothing is shown). Time ticks are labelled in s at whole
        seconds (every major line for windows of 3 s or less), amplitude ticks in mV at every
        major line.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_leads, n = data.shape
    t0 = sampfrom / fs
    dur = n / fs
    marks = {k: v for k, v in (marks or {}).items() if len(v)}
    ax_w = dur * 25.0 / mm_per_inch
    ax_h = lead_height_mv * 10.0 / mm_per_inch
    ncol = max(1, min(len(marks), 4))
    top = _TITLE + _LEGEND_ROW * math.ceil(len(marks) / ncol)
    width = max(_LEFT + ax_w + _RIGHT, 4.0)
    height = _BOTTOM + n_leads * ax_h + top
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=_LEFT / width,
        right=(_LEFT + ax_w) / width,
        bottom=_BOTTOM / height,
        top=1.0 - top / height,
        hspace=0.0,
    )
    axes = fig.subplots(n_leads, 1, sharex=True, squeeze=False)[:, 0]
    x0, x1 = t0, t0 + dur
    label_step = 1.0 if dur > 3.0 else _MAJOR_S
    xmajor = _grid(x0, x1, _MAJOR_S)
    xlabels = [
        _label(v) if abs(v / label_step - round(v / label_step)) < 1e-6 else "" for v in xmajor
    ]
    t = t0 + np.arange(n) / fs
    handles: dict[str, Artist] = {}
    for ax, sig, name in zip(axes, data, lead_names, strict=True):
        finite = sig[np.isfinite(sig)]
        centre = float(np.median(finite)) if finite.size else 0.0
        lo, hi = centre - lead_height_mv / 2, centre + lead_height_mv / 2
        ax.set_xticks(xmajor, xlabels)
        ax.set_xticks(_grid(x0, x1, _MINOR_S), minor=True)
        ymajor = _grid(lo, hi, _MAJOR_MV)
        # no label on a row's edge, where it would touch the next row's
        ylabels = [_label(v) if lo + 0.1 < v < hi - 0.1 else "" for v in ymajor]
        ax.set_yticks(ymajor, ylabels)
        ax.set_yticks(_grid(lo, hi, _MINOR_MV), minor=True)
        ax.grid(which="major", color="#e06060", linewidth=0.6)
        ax.grid(which="minor", color="#f4b0b0", linewidth=0.3)
        ax.set_axisbelow(True)
        ax.set_xlim(x0, x1)
        ax.set_ylim(lo, hi)
        ax.tick_params(which="both", length=0, labelsize=6, pad=2)
        ax.plot(t, sig, color="black", linewidth=0.7)
        ax.set_ylabel(f"{name} (mV)", fontsize=7)
        ax.text(
            0.004,
            0.96,
            name,
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=8,
            fontweight="bold",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0},
        )
        for k, (label, idx) in enumerate(sorted(marks.items())):
            sel = np.asarray(idx)
            sel = sel[(sel >= sampfrom) & (sel < sampfrom + n)]
            if sel.size:
                handles[label] = ax.vlines(
                    sel / fs, lo, hi, colors=MARK_COLORS[k % len(MARK_COLORS)], linewidth=0.6,
                    label=label,
                )  # fmt: skip
    axes[-1].set_xlabel("time (s); paper 25 mm/s, 10 mm/mV", fontsize=7)
    if title:
        fig.text(_LEFT / width, 1.0 - 0.08 / height, title, va="top", ha="left", fontsize=9)
    if handles:
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="lower right",
            bbox_to_anchor=((_LEFT + ax_w) / width, 1.0 - top / height),
            ncol=ncol,
            fontsize=6,
            frameon=False,
            borderaxespad=0.2,
        )
    return fig
