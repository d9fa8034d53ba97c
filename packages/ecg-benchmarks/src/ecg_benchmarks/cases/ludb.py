"""ludb: ECG wave delineation (P, QRS, T) with ECG_UNET, scored with the wave delineation metrics.

The Lobachevsky University Electrocardiography Database (Kalyakulina et al., "LUDB: A New
Open-Access Validation Tool for Electrocardiogram Delineation Algorithms", IEEE Access 8, 2020):
200 ten-second 12-lead records at 500 Hz with the onsets, peaks and offsets of the P, QRS and T
waves annotated in every lead. As in torch_ecg's LUDB case (after Moskalenko et al., "Deep
learning for ECG segmentation", 2019), each (record, lead) pair is one single-lead item; a 1-D
U-Net labels every sample as background, P, QRS or T (cross-entropy). Onsets and offsets of the
predicted segments are matched one-to-one to the reference boundaries within 150 ms
(:class:`ecg_train.metrics.wave_delineation.WaveDelineationMetrics`): sensitivity, PPV, F1 and
the timing error (mean and SD, ms) per boundary. Only the annotated part of each window is scored
(LUDB leaves the first and last beats unannotated): predicted boundaries farther than the
tolerance from the first and last reference boundaries of the item are not counted.

With no ``data_dir`` the LUDB records in ``ECG_SAMPLE_DATA/ludb`` are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import DataLoader, Subset

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases._common import (
    TaskTrainer,
    TrainSettings,
    _plt,
    build_datasets,
    check_device,
    fit,
    plot_per_class,
    save_best_model,
    train_config,
)
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = ["LUDBBenchmark", "LUDBSettings", "delineation_scores", "check_ludb_folder"]

CLASSES = ("i", "p", "N", "t")  # background, P, QRS, T: label codes 0..3
CLASS_MAP = {"p": 1, "qrs": 2, "t": 3}
WAVE_LABELS = {"p": "P", "qrs": "QRS", "t": "T"}


@dataclass(slots=True)
class LUDBDataSettings:
    """Data settings (``data.*``): input rate (Hz), window (s), leads, augmentation."""

    fs: float = 250.0
    duration_s: float = 8.0
    leads: list[str] = field(
        default_factory=lambda: [
            "i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6",
        ]
    )  # fmt: skip
    augment: bool = True
    lazy: bool = True

    def __post_init__(self) -> None:
        if not 50 <= self.fs <= 500:
            raise ValueError(f"data.fs must lie in [50, 500] Hz, got {self.fs}")
        if not 1 <= self.duration_s <= 10:
            raise ValueError(f"data.duration_s must lie in [1, 10] s, got {self.duration_s}")
        if not self.leads:
            raise ValueError("data.leads must name at least one lead")


@dataclass(slots=True)
class UNetSettings:
    """ECG_UNET settings (``model.*``): filters of the input block, down blocks and kernels."""

    init_filters: int = 8
    filters: list[int] = field(default_factory=lambda: [16, 32, 64])
    down_scales: list[int] = field(default_factory=lambda: [2, 2, 2])
    filter_length: int = 9

    def __post_init__(self) -> None:
        if self.init_filters < 1 or not self.filters or min(self.filters) < 1:
            raise ValueError(
                f"model.init_filters and model.filters must be >= 1, got {self.init_filters}, "
                f"{self.filters}"
            )
        if len(self.down_scales) != len(self.filters):
            raise ValueError(
                f"model.down_scales ({len(self.down_scales)} values) must have one value per "
                f"model.filters ({len(self.filters)} values)"
            )
        if self.filter_length < 1:
            raise ValueError(f"model.filter_length must be >= 1, got {self.filter_length}")


@dataclass(slots=True)
class LUDBSettings:
    """Settings of the ludb case."""

    data_dir: str | None = None
    epochs: int = 30
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    tolerance_ms: float = 150.0
    data: LUDBDataSettings = field(default_factory=LUDBDataSettings)
    model: UNetSettings = field(default_factory=UNetSettings)
    train: TrainSettings = field(default_factory=lambda: TrainSettings(batch_size=32, lr=2e-3))

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")
        if not self.tolerance_ms > 0:
            raise ValueError(f"tolerance_ms must be > 0 ms, got {self.tolerance_ms}")


def check_ludb_folder(path: Path) -> str | None:
    """None when ``path`` holds LUDB records (``.hea`` with per-lead annotation files)."""
    folder = path / "data" if (path / "data").is_dir() else path
    headers = sorted(folder.glob("*.hea"))
    if not headers:
        return "it holds no WFDB header (.hea) in data/ or at its top level"
    if not any(h.with_suffix(".ii").is_file() for h in headers):
        return "no record has per-lead wave annotations (e.g. 1.ii next to 1.hea)"
    return None


def _waves(mask: npt.NDArray[np.int64]) -> dict[str, dict[str, npt.NDArray[np.int64]]]:
    from ecg_train.metrics.wave_delineation import mask_to_waves

    return mask_to_waves(mask, CLASS_MAP)


def _restrict(
    pred: dict[str, dict[str, npt.NDArray[np.int64]]],
    ref: dict[str, dict[str, npt.NDArray[np.int64]]],
    tol: float,
) -> dict[str, dict[str, npt.NDArray[np.int64]]]:
    """Keep predicted boundaries inside the annotated span of the item (within ``tol``)."""
    all_ref = np.concatenate([v for w in ref.values() for v in w.values()])
    if all_ref.size == 0:
        return {w: {b: v[:0] for b, v in d.items()} for w, d in pred.items()}
    lo, hi = all_ref.min() - tol, all_ref.max() + tol
    return {w: {b: v[(v >= lo) & (v <= hi)] for b, v in d.items()} for w, d in pred.items()}


def delineation_scores(
    true_masks: list[npt.NDArray[np.int64]],
    pred_masks: list[npt.NDArray[np.int64]],
    fs: float,
    tolerance_ms: float = 150.0,
) -> dict[str, float]:
    """Wave delineation metrics of per-sample label masks (0 none, 1 P, 2 QRS, 3 T).

    Returns the metrics of :class:`WaveDelineationMetrics` plus ``mean_boundary_f1``, the mean
    F1 of the six boundaries (P, QRS, T onsets and offsets), listed first.
    """
    from ecg_train.metrics.wave_delineation import WaveDelineationMetrics

    tol = tolerance_ms * fs / 1000.0
    refs = [_waves(m) for m in true_masks]
    preds = [_restrict(_waves(p), r, tol) for p, r in zip(pred_masks, refs, strict=True)]
    res = WaveDelineationMetrics(fs=fs, tolerance_ms=tolerance_ms).compute(refs, preds)
    f1s = [v for k, v in res.items() if k.endswith("_f1")]
    return {"mean_boundary_f1": float(np.mean(f1s)), **res}


def _masks(logits: torch.Tensor, labels: torch.Tensor) -> tuple[list[Any], list[Any]]:
    pred = logits.argmax(-1).cpu().numpy().astype(np.int64)
    true = labels.argmax(-1).cpu().numpy().astype(np.int64)
    return list(true), list(pred)


class LUDBBenchmark(Benchmark):
    """Wave delineation on LUDB with ECG_UNET, scored with the wave delineation metrics."""

    name: ClassVar[str] = "ludb"
    summary: ClassVar[str] = "P/QRS/T wave delineation (LUDB), ECG_UNET, boundary F1 and errors"

    def default_settings(self) -> LUDBSettings:
        return LUDBSettings()

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        from ecg_benchmarks.cases._common import resolve_data_dir

        s: LUDBSettings = settings
        check_device(s.device)
        path = resolve_data_dir(
            s.data_dir,
            "ludb",
            "LUDB",
            check_ludb_folder,
            "download https://physionet.org/content/ludb/1.0.1/",
        )
        train_set, held = self._datasets(s, path)
        cap = s.train.max_records
        train_part: Any = train_set
        if cap:
            n_leads = max(1, len(train_set) // max(1, len(train_set.records)))
            train_part = Subset(train_set, range(min(len(train_set), cap * n_leads)))
            held = Subset(held, range(min(len(held), max(2, cap // 2) * n_leads)))
        n_items = len(held)
        if n_items == 0 or len(train_part) == 0:
            raise BenchmarkError(f"too few LUDB records in {path} for a train/held-out split")
        val_idx = list(range(0, n_items, 2))
        test_idx = list(range(1, n_items, 2)) or val_idx
        val_set, test_set = Subset(held, val_idx), Subset(held, test_idx)
        print(
            f"ludb: records from {path}: {len(train_part)} train items, {len(val_set)} val, "
            f"{len(test_set)} test (single-lead windows of {s.data.duration_s} s)",
            flush=True,
        )
        from ecg_models.models.unet import ECG_UNET, UNetConfig

        torch.manual_seed(s.seed)
        cfg = UNetConfig(
            fs=s.data.fs,
            init_num_filters=s.model.init_filters,
            num_filters=list(s.model.filters),
            down_scales=list(s.model.down_scales),
            filter_lengths=[s.model.filter_length] * len(s.model.filters),
        )
        model = ECG_UNET(list(CLASSES), 1, cfg)
        fs = float(s.data.fs)

        def loss_fn(trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
            logits = trainer.forward(batch[0]).float()
            target = batch[1].argmax(-1)
            return torch.nn.functional.cross_entropy(
                logits.reshape(-1, len(CLASSES)), target.reshape(-1)
            )

        def eval_fn(trainer: Any, loader: DataLoader[Any]) -> dict[str, float]:
            true: list[Any] = []
            pred: list[Any] = []
            for x, y in loader:
                t, p = _masks(trainer.model(x.to(trainer.device)), y)
                true += t
                pred += p
            res = delineation_scores(true, pred, fs, s.tolerance_ms)
            return {
                "val_mean_boundary_f1": res["mean_boundary_f1"],
                "val_qrs_onset_f1": res["qrs_onset_f1"],
            }

        tcfg = train_config(
            s.train,
            epochs=s.epochs,
            device=s.device,
            seed=s.seed,
            run=run,
            monitor="val_mean_boundary_f1",
            progress=options.progress,
        )
        trainer = TaskTrainer.create(model, tcfg, train_part, val_set, loss_fn, eval_fn, (2,))
        history = fit(trainer, run, options, self.name)
        if not trainer.is_main_process:
            return {"summary": f"ludb: rank {trainer.rank} done"}
        model = trainer.model
        true, pred, sigs = [], [], []
        with torch.no_grad():
            for x, y in DataLoader(test_set, batch_size=s.train.batch_size):
                t, p = _masks(model(x.to(s.device)), y)
                true += t
                pred += p
                sigs += list(x[:, 0].numpy())
        res = delineation_scores(true, pred, fs, s.tolerance_ms)
        self._figures(run, res, sigs, true, pred, fs)
        model_file = save_best_model(model, run)
        table = {
            f"{WAVE_LABELS[w]} {b}": {
                k: res[f"{w}_{b}_{k}"]
                for k in ("sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms")
            }
            for w in WAVE_LABELS
            for b in ("onset", "offset")
        }
        metrics: dict[str, Any] = {
            "mean_boundary_f1": res["mean_boundary_f1"],
            **{f"{w}_{b}_f1": res[f"{w}_{b}_f1"] for w in WAVE_LABELS for b in ("onset", "offset")},
            "boundary_scores": {k: {m: _num(v) for m, v in d.items()} for k, d in table.items()},
            "f1_per_boundary": {k: d["f1"] for k, d in table.items()},
            "mean_error_ms_per_boundary": {
                k: d["mean_error_ms"] for k, d in table.items() if np.isfinite(d["mean_error_ms"])
            },
            "epochs_run": len(history),
            "best_epoch": trainer.best_epoch or len(history),
            "n_train_items": len(train_part),
            "n_test_items": len(test_set),
        }
        if model_file is not None:
            metrics["model_file"] = model_file
        metrics["summary"] = (
            f"ludb: mean boundary F1 {res['mean_boundary_f1']:.4f} on {len(test_set)} held-out "
            f"single-lead windows (QRS onset F1 {res['qrs_onset_f1']:.4f}, offset "
            f"{res['qrs_offset_f1']:.4f}; tolerance {s.tolerance_ms:g} ms)"
        )
        return metrics

    @staticmethod
    def _datasets(s: LUDBSettings, path: Path) -> tuple[Any, Any]:
        from ecg_data.datasets.ludb import LUDBDataset, LUDBTrainConfig

        d = s.data
        kwargs: dict[str, Any] = {
            "db_dir": str(path),
            "fs": d.fs,
            "input_len": int(round(d.fs * d.duration_s)),
            "leads": tuple(d.leads),
            "classes": CLASSES,
            "single_lead": True,
            "random_crop": True,
            "seed": s.seed,
            "train_ratio": s.train.train_ratio,
            "lazy": d.lazy,
        }
        return build_datasets(
            LUDBDataset,
            LUDBTrainConfig,
            kwargs,
            augment=d.augment,
            path=path,
            what="the LUDB dataset",
        )

    @staticmethod
    def _figures(
        run: RunDir,
        res: dict[str, float],
        sigs: list[Any],
        true: list[Any],
        pred: list[Any],
        fs: float,
    ) -> None:
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
            "Sensitivity, PPV and F1 of each boundary on the test windows",
        )
        plt = _plt()
        colors = {1: "tab:green", 2: "tab:red", 3: "tab:blue"}
        k = min(3, len(sigs))
        fig, axes = plt.subplots(k, 1, figsize=(11, 2.4 * k), squeeze=False)
        for row in range(k):
            ax = axes[row][0]
            sig = sigs[row]
            t = np.arange(sig.shape[-1]) / fs
            ax.plot(t, sig, lw=0.7, color="k")
            lo, hi = float(np.min(sig)), float(np.max(sig))
            for code, color in colors.items():
                ax.fill_between(t, lo, hi, where=true[row] == code, color=color, alpha=0.15)
                ax.fill_between(
                    t, lo - 0.15 * (hi - lo), lo, where=pred[row] == code, color=color, alpha=0.6
                )
            ax.set_title(
                "shaded: reference P (green) / QRS (red) / T (blue); bars below: predicted",
                fontsize=8,
            )
            ax.set_xlabel("time (s)", fontsize=8)
        fig.tight_layout()
        fig.savefig(
            add_figure(run, "examples.png", "Test windows: reference and predicted waves"), dpi=90
        )
        plt.close(fig)


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None
