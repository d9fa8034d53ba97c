"""cpsc2019: QRS detection on single-lead ECGs, scored with the official CPSC2019 QRS score.

The 2nd China Physiological Signal Challenge (2019): 10 s single-lead records at 500 Hz with
R-peak references. A sequence-labelling network (convolutions, then a bidirectional GRU, then a
per-step QRS probability at 1/``reduction`` of the input rate) is trained on a record-disjoint
split; R peaks are the extrema of the signal inside the predicted QRS segments. The held-out
records are scored with the official rule (75 ms window; a record scores 1 with no error, 0.7
with one FP, 0.3 with one FN, else 0).

With no ``data_dir`` the real CPSC2019 records in ``ECG_SAMPLE_DATA`` are used.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from ecg_benchmarks.base import Benchmark, BenchmarkError, RunOptions
from ecg_benchmarks.cases._qrs_score import qrs_record_score, qrs_score
from ecg_benchmarks.report import add_figure
from ecg_benchmarks.runs import RunDir

__all__ = ["CPSC2019Benchmark", "CPSC2019Settings"]

FS = 500  # Hz, the database's sampling rate
Array = npt.NDArray[np.float32]


@dataclass(slots=True)
class ModelSettings:
    channels: int = 32
    rnn_hidden: int = 64
    reduction: int = 8
    qrs_half_width_s: float = 0.08

    def __post_init__(self) -> None:
        if self.channels < 4:
            raise ValueError(f"model.channels must be >= 4, got {self.channels}")
        if self.reduction not in (1, 2, 4, 8):
            raise ValueError(f"model.reduction must be one of 1, 2, 4, 8, got {self.reduction}")


@dataclass(slots=True)
class TrainSettings:
    batch_size: int = 8
    lr: float = 3e-3
    weight_decay: float = 1e-2
    test_fraction: float = 0.25
    val_fraction: float = 0.15

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"train.batch_size must be >= 1, got {self.batch_size}")
        if not 0 < self.test_fraction < 1 or not 0 <= self.val_fraction < 1:
            raise ValueError(
                "train.test_fraction must be in (0, 1) and train.val_fraction in [0, 1)"
            )


@dataclass(slots=True)
class CPSC2019Settings:
    data_dir: str | None = None
    epochs: int = 40
    device: Literal["cpu", "cuda"] = "cpu"
    seed: int = 0
    model: ModelSettings = field(default_factory=ModelSettings)
    train: TrainSettings = field(default_factory=TrainSettings)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs}")


# ---------------------------------------------------------------- data


def _find_data_dir(data_dir: str | None) -> Path:
    if data_dir is not None:
        path = Path(data_dir)
    else:
        env = os.environ.get("ECG_SAMPLE_DATA")
        base = Path(env) if env else Path.cwd().parent / "shared" / "data"
        path = base / "cpsc2019"
    if not path.is_dir():
        raise BenchmarkError(f"CPSC2019 data folder {path} does not exist (set --data-dir)")
    if not (path / "data").is_dir() or not (path / "ref").is_dir():
        raise BenchmarkError(
            f"{path} is not a CPSC2019 folder: it must hold data/data_*.mat and ref/R_*.mat"
        )
    if not any((path / "data").glob("data_*.mat")):
        raise BenchmarkError(f"{path / 'data'} holds no data_*.mat record")
    return path


def _load(path: Path) -> tuple[list[str], list[Array], list[npt.NDArray[np.int64]]]:
    from scipy.io import loadmat
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, [0.5, 45.0], btype="bandpass", fs=FS, output="sos")
    names, sigs, refs = [], [], []
    for file in sorted((path / "data").glob("data_*.mat")):
        rec = file.stem.removeprefix("data_")
        ref_file = path / "ref" / f"R_{rec}.mat"
        if not ref_file.is_file():
            raise BenchmarkError(f"record {rec}: reference file {ref_file} is missing")
        raw = loadmat(file)
        if "ecg" not in raw:
            raise BenchmarkError(f"{file} has no 'ecg' variable: not a CPSC2019 record")
        x = np.asarray(raw["ecg"], dtype=np.float64).ravel()
        x = sosfiltfilt(sos, x)
        x = (x - x.mean()) / (x.std() + 1e-6)
        names.append(rec)
        sigs.append(x.astype(np.float32))
        refs.append(np.asarray(loadmat(ref_file)["R_peak"], dtype=np.int64).ravel())
    return names, sigs, refs


def _split(n: int, settings: CPSC2019Settings) -> tuple[list[int], list[int], list[int]]:
    order = np.random.default_rng(settings.seed).permutation(n).tolist()
    n_test = max(1, round(n * settings.train.test_fraction))
    n_val = max(1, round(n * settings.train.val_fraction)) if settings.train.val_fraction else 0
    test, val, train = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    if not train:
        raise BenchmarkError(f"{n} records are too few to split into train/val/test")
    return sorted(train), sorted(val), sorted(test)


def _qrs_mask(peaks: npt.NDArray[np.int64], n: int, model: ModelSettings) -> Array:
    red, half = model.reduction, round(model.qrs_half_width_s * FS)
    mask = np.zeros(n // red, dtype=np.float32)
    for p in peaks:
        mask[max(0, (p - half) // red) : min(n // red, (p + half) // red + 1)] = 1.0
    return mask


# ---------------------------------------------------------------- model


class _QRSNet(nn.Module):
    """Conv stack (stride ``reduction``) + bidirectional GRU + per-step logit."""

    def __init__(self, cfg: ModelSettings) -> None:
        super().__init__()
        c = cfg.channels
        n_pool = {1: 0, 2: 1, 4: 2, 8: 3}[cfg.reduction]
        layers: list[nn.Module] = []
        cin = 1
        spec = [(c, 15), (c, 15), (2 * c, 9), (2 * c, 9), (2 * c, 9), (4 * c, 5)]
        pools = (
            {1, 3, 4} if n_pool == 3 else {1, 3} if n_pool == 2 else {1} if n_pool == 1 else set()
        )
        for i, (cout, k) in enumerate(spec):
            layers += [nn.Conv1d(cin, cout, k, padding=k // 2), nn.BatchNorm1d(cout), nn.ReLU()]
            if i in pools:
                layers.append(nn.MaxPool1d(2))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.rnn = nn.GRU(cin, cfg.rnn_hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * cfg.rnn_hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, 1, samples) -> logits (batch, samples // reduction)."""
        z = self.features(x).transpose(1, 2)
        z, _ = self.rnn(z)
        out: torch.Tensor = self.head(z).squeeze(-1)
        return out


def _augment(x: Array, rng: np.random.Generator) -> Array:
    """Random gain, baseline wander (sinusoid) and Gaussian noise, per record."""
    b, n = x.shape
    t = np.arange(n) / FS
    y = x * rng.uniform(0.5, 2.0, (b, 1))
    y = y + rng.uniform(0, 0.5, (b, 1)) * np.sin(
        2 * np.pi * rng.uniform(0.05, 0.5, (b, 1)) * t + rng.uniform(0, 2 * np.pi, (b, 1))
    )
    y = y + rng.normal(0.0, 1.0, (b, n)) * rng.uniform(0, 0.3, (b, 1))
    return y.astype(np.float32)


def _peaks_from_prob(prob: Array, sig: Array, cfg: ModelSettings) -> npt.NDArray[np.int64]:
    """QRS segments (prob > 0.5) -> one R peak each: the |signal| maximum inside the segment."""
    red = cfg.reduction
    m = np.r_[0, (prob > 0.5).astype(np.int8), 0]
    starts, ends = np.flatnonzero(np.diff(m) == 1), np.flatnonzero(np.diff(m) == -1)
    peaks: list[int] = []
    for a, b in zip(starts, ends):
        if (b - a) * red < 0.04 * FS:  # shorter than 40 ms: not a QRS complex
            continue
        lo, hi = int(a) * red, min(len(sig), int(b) * red)
        p = lo + int(np.argmax(np.abs(sig[lo:hi])))
        if peaks and p - peaks[-1] < 0.2 * FS:  # refractory period: keep the larger
            if abs(sig[p]) > abs(sig[peaks[-1]]):
                peaks[-1] = p
            continue
        peaks.append(p)
    return np.asarray(peaks, dtype=np.int64)


# ---------------------------------------------------------------- benchmark


class CPSC2019Benchmark(Benchmark):
    """QRS detection on CPSC2019, scored with the official QRS score."""

    name: ClassVar[str] = "cpsc2019"
    summary: ClassVar[str] = "QRS detection (CPSC 2019), sequence labelling, official QRS score"

    def default_settings(self) -> CPSC2019Settings:
        return CPSC2019Settings()

    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        s: CPSC2019Settings = settings
        if s.device == "cuda" and not torch.cuda.is_available():
            raise BenchmarkError("--device cuda was asked for, but torch sees no CUDA device")
        torch.manual_seed(s.seed)
        random.seed(s.seed)
        rng = np.random.default_rng(s.seed)
        device = torch.device(s.device)
        path = _find_data_dir(s.data_dir)
        names, sigs, refs = _load(path)
        train, val, test = _split(len(names), s)
        print(
            f"cpsc2019: {len(names)} records from {path}: {len(train)} train, {len(val)} val, {len(test)} test"
        )

        x_train = np.stack([sigs[i] for i in train])
        y_train = np.stack([_qrs_mask(refs[i], len(sigs[i]), s.model) for i in train])
        model = _QRSNet(s.model).to(device)
        opt = torch.optim.AdamW(
            model.parameters(), lr=s.train.lr, weight_decay=s.train.weight_decay
        )
        run.checkpoints.mkdir(parents=True, exist_ok=True)
        best_path = run.checkpoints / "best.pt"
        history: list[dict[str, Any]] = []
        best = -1.0
        start = time.perf_counter()
        for epoch in range(1, s.epochs + 1):
            model.train()
            perm = rng.permutation(len(train))
            losses = []
            for i in range(0, len(perm), s.train.batch_size):
                idx = perm[i : i + s.train.batch_size]
                xb = torch.from_numpy(_augment(x_train[idx], rng)).unsqueeze(1).to(device)
                yb = torch.from_numpy(y_train[idx]).to(device)
                loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yb)
                if not torch.isfinite(loss):
                    raise BenchmarkError(
                        f"the loss became {loss.item()} at epoch {epoch}, batch {i}"
                    )
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                losses.append(loss.item())
            record: dict[str, Any] = {"epoch": epoch, "train_loss": float(np.mean(losses))}
            if val:
                record["val_qrs_score"] = self._score(
                    model, [sigs[i] for i in val], [refs[i] for i in val], s, device
                )
            monitor = record.get("val_qrs_score", -record["train_loss"])
            if monitor > best:
                best = monitor
                torch.save(model.state_dict(), best_path)
            history.append(record)
            if options.progress:
                shown = ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k != "epoch")
                print(
                    f"epoch {epoch}/{s.epochs}: {shown} ({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
        run.write_json(run.history, history)

        model.load_state_dict(torch.load(best_path, weights_only=True))
        test_sigs, test_refs = [sigs[i] for i in test], [refs[i] for i in test]
        preds = self._predict(model, test_sigs, s, device)
        score = qrs_score(test_refs, preds, FS)
        per_record = {
            names[i]: qrs_record_score(test_refs[k], preds[k], FS).score for k, i in enumerate(test)
        }
        self._plot_examples(run, [names[i] for i in test], test_sigs, test_refs, preds)
        summary = (
            f"cpsc2019: QRS score {score:.4f} on {len(test)} held-out records "
            f"({sum(v == 1.0 for v in per_record.values())} perfect)"
        )
        return {
            "qrs_score": score,
            "n_train": len(train),
            "n_test": len(test),
            "per_record_qrs_score": per_record,
            "summary": summary,
        }

    @staticmethod
    @torch.no_grad()
    def _predict(
        model: nn.Module, sigs: list[Array], s: CPSC2019Settings, device: torch.device
    ) -> list[npt.NDArray[np.int64]]:
        model.eval()
        out = []
        for sig in sigs:
            logits = model(torch.from_numpy(sig)[None, None].to(device))
            prob = torch.sigmoid(logits)[0].cpu().numpy()
            out.append(_peaks_from_prob(prob, sig, s.model))
        return out

    def _score(
        self,
        model: nn.Module,
        sigs: list[Array],
        refs: list[npt.NDArray[np.int64]],
        s: CPSC2019Settings,
        device: torch.device,
    ) -> float:
        return qrs_score(refs, self._predict(model, sigs, s, device), FS)

    @staticmethod
    def _plot_examples(
        run: RunDir,
        names: list[str],
        sigs: list[Array],
        refs: list[npt.NDArray[np.int64]],
        preds: list[npt.NDArray[np.int64]],
    ) -> None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        k = min(4, len(sigs))
        fig, axes = plt.subplots(
            k, 1, figsize=(12, 2.2 * k), squeeze=False, constrained_layout=True
        )
        t = np.arange(len(sigs[0])) / FS
        for row in range(k):
            ax = axes[row][0]
            ax.plot(t[: len(sigs[row])], sigs[row], lw=0.7, color="k")
            ax.plot(
                refs[row] / FS, sigs[row][refs[row]], "go", ms=6, mfc="none", label="reference R"
            )
            if len(preds[row]):
                ax.plot(preds[row] / FS, sigs[row][preds[row]], "rx", ms=6, label="predicted R")
            ax.set_title(f"record {names[row]}", fontsize=9)
            ax.set_xlabel("time (s)")
            ax.legend(fontsize=7, loc="upper right")
        fig.savefig(
            add_figure(run, "examples.png", "Held-out records: reference and predicted R peaks"),
            dpi=90,
        )
        plt.close(fig)
