"""Run folders: a finished run is never overwritten by accident, and nothing written is lost."""

from __future__ import annotations

import json

import pytest

from ecg_benchmarks.report import add_figure, render_report
from ecg_benchmarks.runs import RunDir, RunDirError


def _finish(run: RunDir) -> None:
    run.write_json(run.metrics, {"benchmark": "x", "score": 0.5, "per_class": {"a": 1.0}})


def test_new_folder_is_created(tmp_path) -> None:
    run = RunDir.prepare(tmp_path / "out")
    assert run.path.is_dir()
    assert not run.finished


def test_finished_run_is_refused_then_moved_aside(tmp_path) -> None:
    run = RunDir.prepare(tmp_path / "out")
    _finish(run)
    with pytest.raises(RunDirError, match="already holds a finished run"):
        RunDir.prepare(tmp_path / "out")
    RunDir.prepare(tmp_path / "out", overwrite=True)
    asides = list(tmp_path.glob("out.old-*"))
    assert len(asides) == 1
    assert json.loads((asides[0] / "metrics.json").read_text())["score"] == 0.5


def test_foreign_or_unfinished_folders(tmp_path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    with pytest.raises(RunDirError, match="holds no run of ecg-bench"):
        RunDir.prepare(foreign)
    assert (foreign / "mine.txt").read_text() == "keep me"
    with pytest.raises(RunDirError, match="holds no checkpoint"):
        RunDir.prepare(foreign, resume=True)
    unfinished = tmp_path / "unfinished"
    (unfinished / "checkpoints").mkdir(parents=True)
    (unfinished / "checkpoints" / "checkpoint_epoch0000_step00000002.pt").write_bytes(b"x")
    with pytest.raises(RunDirError, match="unfinished run"):
        RunDir.prepare(unfinished)
    assert RunDir.prepare(unfinished, resume=True).path == unfinished
    afile = tmp_path / "file"
    afile.write_text("")
    with pytest.raises(RunDirError, match="is a file"):
        RunDir.prepare(afile)


def test_report_lists_metrics_curves_and_figures(tmp_path) -> None:
    run = RunDir.prepare(tmp_path / "out")
    _finish(run)
    run.write_json(
        run.history,
        [
            {"epoch": 1, "train_loss": 1.0, "val_score": 0.2},
            {"epoch": 2, "train_loss": 0.5, "val_score": 0.4},
        ],
    )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    fig.savefig(add_figure(run, "example.png", "Example records"))
    plt.close(fig)
    report = render_report(run).read_text()
    assert "| score | 0.5000 |" in report
    assert "### per_class" in report
    assert "![learning curves](learning_curves.png)" in report
    assert "## Example records" in report
    assert (run.path / "learning_curves.png").stat().st_size > 1000


def test_learning_curve_panels_are_labelled_with_what_they_plot() -> None:
    from ecg_benchmarks.report import learning_curve_panels

    history = [
        {"epoch": 1, "train_loss": 1.0, "val_qrs_score": 0.2, "lr": 1e-3, "time_s": 3.0},
        {"epoch": 2, "train_loss": 0.5, "val_qrs_score": 0.4, "lr": 1e-4, "time_s": 3.0},
    ]
    panels = {title: keys for keys, title, _ in learning_curve_panels(history)}
    assert panels == {
        "training and validation loss": ["train_loss"],
        "validation metric per epoch": ["val_qrs_score"],
        "learning rate (end of epoch)": ["lr"],
    }
