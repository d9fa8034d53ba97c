"""Reader plots of real records: ECG paper with numbers, lead names, a legend, saved whole."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from ecg_data.readers.cinc2021 import CINC2020, CINC2021
from ecg_data.readers.cpsc2019 import CPSC2019
from ecg_data.readers.ludb import LUDB
from ecg_data.readers.mitdb import MITDB

pytestmark = pytest.mark.data
_NUMBER = re.compile(r"^\N{MINUS SIGN}?\d+(\.\d+)?$")


def _texts_outside(fig: Figure) -> list[str]:
    """Texts whose drawn box leaves the figure (a plain savefig would cut them)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    box = fig.bbox
    out = []
    for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible()):
        if not t.get_text():
            continue
        bb = t.get_window_extent(renderer)
        if bb.x0 < box.x0 - 1 or bb.y0 < box.y0 - 1 or bb.x1 > box.x1 + 1 or bb.y1 > box.y1 + 1:
            out.append(t.get_text())
    return out


def _check_paper(fig: Figure, leads: list[str], legend: list[str] | None, tmp_path: Path) -> None:
    assert not _texts_outside(fig)
    bottom = fig.axes[-1]
    xlabels = [t.get_text() for t in bottom.get_xticklabels()]
    shown = [x for x in xlabels if x]
    assert shown and all(_NUMBER.match(x) for x in shown), xlabels
    # labels sit on major grid lines (0.2 s): whole seconds for windows over 3 s, all below
    lo, hi = bottom.get_xlim()
    step = 1.0 if hi - lo > 3.0 else 0.2
    for value, text in zip(bottom.get_xticks(), xlabels, strict=True):
        assert value / 0.2 == pytest.approx(round(value / 0.2))
        on_step = value / step == pytest.approx(round(value / step))
        assert bool(text) == on_step, (value, text)
        if text:
            assert float(text.replace("\N{MINUS SIGN}", "-")) == pytest.approx(value)
    assert "time (s)" in bottom.get_xlabel()
    for ax, lead in zip(fig.axes, leads, strict=True):
        ylabels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert len(ylabels) >= 3 and all(_NUMBER.match(y) for y in ylabels), ylabels
        assert np.allclose(np.diff(ax.get_yticks()), 0.5)
        assert ax.get_ylabel() == f"{lead} (mV)"
        assert lead in [t.get_text() for t in ax.texts]
    if legend is None:
        assert not fig.legends
    else:
        assert [t.get_text() for t in fig.legends[0].get_texts()] == legend
    path = tmp_path / "plot.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000


def test_cinc_readers_plot_without_beat_annotations(sample_data: Path, tmp_path: Path) -> None:
    r = CINC2021(sample_data / "cinc2021")
    fig = r.plot("E07500")
    leads = r.get_lead_names("E07500")
    assert len(fig.axes) == 12
    _check_paper(fig, leads, None, tmp_path)
    assert ", ".join(r.load_ann("E07500").dx_abbr) in fig.texts[0].get_text()
    fig = CINC2020(sample_data / "cinc2021").plot("E07500", leads=["I", "aVR"], sampto=1500)
    _check_paper(fig, ["I", "aVR"], None, tmp_path)


def test_single_lead_plot_saves_whole(sample_data: Path, tmp_path: Path) -> None:
    r = MITDB(sample_data / "mitdb")
    fig = r.plot("100", leads=0, sampto=3600)
    _check_paper(fig, [r.get_lead_names("100")[0]], ["beat A", "beat N"], tmp_path)
    fig = CPSC2019(sample_data / "cpsc2019").plot(0, sampto=2500)
    _check_paper(fig, fig_leads(fig), ["R peak"], tmp_path)


def test_delineation_marks_have_a_legend(sample_data: Path, tmp_path: Path) -> None:
    r = LUDB(sample_data / "ludb")
    fig = r.plot(1, leads=[1, 6], sampto=2500)
    names = r.get_lead_names(1)
    _check_paper(fig, [names[1], names[6]], ["pwave peak", "qrs peak", "twave peak"], tmp_path)
    fig = r.plot(1, leads=[1], sampto=2500, annotations=False)
    assert not fig.legends


def fig_leads(fig: Figure) -> list[str]:
    return [ax.get_ylabel().removesuffix(" (mV)") for ax in fig.axes]
