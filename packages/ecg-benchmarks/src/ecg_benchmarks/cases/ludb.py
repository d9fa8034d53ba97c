"""ludb: ECG wave delineation (P, QRS, T) on LUDB with a U-Net that sees all 12 leads.

The Lobachevsky University Electrocardiography Database (Kalyakulina et al., "LUDB: A New
Open-Access Validation Tool for Electrocardiogram Delineation Algorithms", IEEE Access 8, 2020):
ten-second 12-lead records at 500 Hz with the onsets, peaks and offsets of the P, QRS and T
waves annotated in every lead. Each item is a whole record (10 s, resampled to ``data.fs``). A
1-D U-Net (``ECG_UNET``) labels every sample of one lead as background, P, QRS or T; its input is
the lead and the root mean square over the record's leads, the 12 leads being context for each
other (:mod:`ecg_models.pretrained.delineation`, shared with the pretrained delineator). The
probabilities of each lead are mixed with their mean over the leads (``fusion.own_weight``) and
the labels post-processed (physiological minimum durations, one T wave per beat after its QRS).

Scores: onsets and offsets matched one-to-one to the references within 150 ms
(:class:`ecg_train.metrics.wave_delineation.WaveDelineationMetrics`): sensitivity, PPV, F1 and
the error (mean, SD in ms) per boundary. The samples LUDB leaves unannotated (the first and last
beats, and the span next to a wave whose onset or offset is not annotated) are out of the loss;
a prediction there counts only when it matches a reference. Two spans are scored: the whole
record (every annotated boundary), and the boundaries from 2 s to 8 s of each record only
(:data:`PROTOCOL_SPAN_S`), the window of the LUDB authors' group (their evaluation crops each
500 Hz record to samples 1000 to 4000, which the literature's figures use).

The split is record-disjoint (``train.train_ratio``): of the held-out records every
``val_every``-th one is the validation set (model selection), the others the test set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset

from ecg_benchmarks.base import BenchmarkError, BenchmarkSettings, register_benchmark
from ecg_benchmarks.cases._ludb_scoring import PROTOCOL_SPAN_S, UNKNOWN, delineation_scores
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.template import Case, CaseData, DataSource, Evaluation, TrainSettings

__all__ = [
    "LUDBBenchmark",
    "LUDBSettings",
    "delineation_scores",
    "PROTOCOL_SPAN_S",
    "check_ludb_folder",
    "predict_probabilities",
]

CLASSES = ("i", "p", "N", "t")  # background, P, QRS, T: label codes 0..3
WAVE_LABELS = {"p": "P", "qrs": "QRS", "t": "T"}
LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")


@dataclass(slots=True)
class LUDBDataSettings:
    """Data settings (``data.*`` keys).

    Attributes:
        fs: network input rate in Hz (records are resampled from 500 Hz).
        leads: leads of each record (LUDB lower-case names).
        augment: random scaling, noise and baseline wander of the training records.
        leads_per_step: leads of each training record per pass over the data (random, at most
            12); the context channel uses all the record's leads.
        context_dropout: probability that the context channel of a training record is computed
            from 1 to 3 random leads instead of all (for records with few leads).
        val_every: every this-th held-out record is a validation record, the others test.
        stretch: mean relative time stretch or compression of a training item (half of them,
            :class:`ecg_signal.augment.StretchCompress`, labels mapped alike); 0 turns it off.
    """

    fs: float = 125.0
    leads: list[str] = field(default_factory=lambda: list(LUDB_LEADS))
    augment: bool = True
    leads_per_step: int = 6
    context_dropout: float = 0.3
    val_every: int = 4
    stretch: float = 0.0

    def __post_init__(self) -> None:
        if not 50 <= self.fs <= 500:
            raise ValueError(f"data.fs must lie in [50, 500] Hz, got {self.fs}")
        if not self.leads:
            raise ValueError("data.leads must name at least one lead")
        if not 1 <= self.leads_per_step <= 12:
            raise ValueError(f"data.leads_per_step must lie in [1, 12], got {self.leads_per_step}")
        if not 0 <= self.context_dropout <= 1:
            raise ValueError(f"data.context_dropout must lie in [0, 1], got {self.context_dropout}")
        if self.val_every < 2:
            raise ValueError(f"data.val_every must be >= 2, got {self.val_every}")
        if not 0 <= self.stretch <= 0.3:
            raise ValueError(f"data.stretch must lie in [0, 0.3] (a fraction), got {self.stretch}")


@dataclass(slots=True)
class UNetSettings:
    """ECG_UNET settings (``model.*`` keys).

    Attributes:
        init_filters: channels of the input block.
        filters: channels of each down block (the up blocks mirror them).
        down_scales: pooling factor of each down block.
        filter_length: kernel size of every block.
    """

    init_filters: int = 8
    filters: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    down_scales: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
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
class PostSettings:
    """Fusion and post-processing (``post.*`` keys).

    Attributes:
        own_weight: weight of a lead's own class probabilities against their mean over the
            record's leads (1: each lead alone).
        enabled: clean the labels (minimum durations, gap filling, one T per beat).
        min_p_ms: shortest P wave kept, ms.
        min_qrs_ms: shortest QRS complex kept, ms.
        min_t_ms: shortest T wave kept, ms.
        max_gap_ms: gaps up to this long inside one wave are filled, ms.
    """

    own_weight: float = 0.2
    enabled: bool = True
    min_p_ms: float = 40.0
    min_qrs_ms: float = 40.0
    min_t_ms: float = 60.0
    max_gap_ms: float = 24.0

    def __post_init__(self) -> None:
        if not 0 <= self.own_weight <= 1:
            raise ValueError(f"post.own_weight must lie in [0, 1], got {self.own_weight}")
        for k in ("min_p_ms", "min_qrs_ms", "min_t_ms", "max_gap_ms"):
            if getattr(self, k) < 0:
                raise ValueError(f"post.{k} must be >= 0 ms, got {getattr(self, k)}")

    def postproc(self) -> dict[str, Any]:
        """The mapping of :class:`ecg_models.pretrained.delineation.PostprocConfig`."""
        return {
            "min_ms": {"p": self.min_p_ms, "qrs": self.min_qrs_ms, "t": self.min_t_ms},
            "max_gap_ms": self.max_gap_ms,
            "one_t_per_beat": True,
        }


@dataclass(slots=True)
class LUDBSettings(BenchmarkSettings):
    """Settings of the ludb case.

    Attributes:
        epochs: training epochs.
        tolerance_ms: matching tolerance of onsets and offsets, ms.
        data: data settings.
        model: network settings.
        post: fusion and post-processing.
        train: optimisation settings (batch_size counts single-lead items).
    """

    epochs: int = 40
    tolerance_ms: float = 150.0
    data: LUDBDataSettings = field(default_factory=LUDBDataSettings)
    model: UNetSettings = field(default_factory=UNetSettings)
    post: PostSettings = field(default_factory=PostSettings)
    train: TrainSettings = field(
        default_factory=lambda: TrainSettings(batch_size=32, lr=3e-3, scheduler="one_cycle")
    )

    def validate(self) -> None:
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


# ---------------------------------------------------------------- network input / output


def _zscore_t(x: torch.Tensor) -> torch.Tensor:
    sd = x.std(dim=-1, keepdim=True)
    return (x - x.mean(dim=-1, keepdim=True)) / torch.where(sd > 1e-8, sd, torch.ones_like(sd))


def _inputs(x: torch.Tensor) -> torch.Tensor:
    """``(batch, leads, samples)`` -> ``(batch, leads, 2, samples)``: z-scored lead and the RMS
    over the leads (as :func:`ecg_models.pretrained.delineation.network_input`)."""
    z = _zscore_t(x)
    rms = z.square().mean(dim=1, keepdim=True).sqrt()
    return torch.stack([z, rms.expand_as(z)], dim=2)


def predict_probabilities(model: torch.nn.Module, x: torch.Tensor, own_weight: float) -> Any:
    """Fused class probabilities ``(batch, leads, samples, 4)`` (numpy) of records ``x``
    ``(batch, leads, samples)``."""
    from ecg_models.pretrained.delineation import fuse_leads

    b, leads, n = x.shape
    inp = _inputs(x.float()).reshape(b * leads, 2, n)
    probs = torch.softmax(model(inp).float(), dim=-1).reshape(b, leads, n, -1).cpu().numpy()
    return np.stack([fuse_leads(p, own_weight) for p in probs])


def _labels(probs: Any, fs: float, post: PostSettings) -> list[npt.NDArray[np.int64]]:
    from ecg_models.pretrained.delineation import PostprocConfig, postprocess_labels

    cfg = PostprocConfig.from_mapping(post.postproc())
    out = []
    for rec in probs:
        for lead in rec:
            lab = lead.argmax(-1).astype(np.int64)
            out.append(postprocess_labels(lab, fs, cfg) if post.enabled else lab)
    return out


def _true_codes(labels: torch.Tensor) -> list[npt.NDArray[np.int64]]:
    """``(batch, leads, samples, 4)`` one-hot (all zero = not annotated) -> codes per lead."""
    y = labels.cpu().numpy()
    codes = np.where(y.sum(-1) > 0, y.argmax(-1), UNKNOWN).astype(np.int64)
    return [c for rec in codes for c in rec]


class LeadItems(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Single-lead training items of multi-lead records: ``(2, samples)`` network input (the
    lead and the RMS of the record's leads, see :func:`_inputs`) and ``(samples, 4)`` one-hot
    labels (all zero where not annotated).

    Each pass over the items draws, per record, ``leads_per_record`` random leads, a new
    augmentation of the record and, with probability ``context_dropout``, a context made of 1
    to 3 random leads only, and, when ``stretch`` > 0, stretches or compresses half of the items
    in time (input and labels alike).
    """

    def __init__(
        self,
        records: Any,
        leads_per_record: int,
        context_dropout: float,
        seed: int,
        stretch: float = 0.0,
    ) -> None:
        self.records = records
        self.k = int(leads_per_record)
        self.context_dropout = float(context_dropout)
        self.seed = int(seed)
        self.stretch = float(stretch)
        self._calls = 0

    def __len__(self) -> int:
        return len(self.records) * self.k

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rec, slot = divmod(int(index), self.k)
        rounds = self._calls // max(len(self), 1)
        self._calls += 1
        base = self.records.dataset if isinstance(self.records, Subset) else self.records
        if hasattr(base, "set_epoch"):
            base.set_epoch(rounds)
        x, y = self.records[rec]
        leads = x.shape[0]
        rng = np.random.default_rng([self.seed, rounds, rec])
        lead = int(rng.permutation(leads)[slot % leads])
        inp = _inputs(x[None].float())[0]  # (leads, 2, n)
        if leads > 1 and rng.random() < self.context_dropout:
            pick = rng.permutation(leads)[: int(rng.integers(1, min(3, leads) + 1))]
            z = inp[:, 0]
            inp[:, 1] = z[torch.from_numpy(pick)].square().mean(dim=0).sqrt()
        x_out, y_out = inp[lead].contiguous(), y[lead].contiguous()
        srng = np.random.default_rng([self.seed, rounds, rec, slot, 7])
        if self.stretch > 0 and srng.random() < 0.5:
            from ecg_signal.augment import StretchCompress

            # one item: the augmenter picks round(prob * 1) rows, so the draw is made here
            gen = torch.Generator().manual_seed(int(srng.integers(2**62)))
            aug = StretchCompress(ratio=self.stretch, prob=1.0, generator=gen)
            x_b, y_b = aug(x_out[None].float(), y_out[None].float())[:2]
            x_out, y_out = x_b[0].contiguous(), y_b[0].contiguous()
        return x_out, y_out


# ---------------------------------------------------------------- the case


def _boundary_table(res: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"P onset": {"sensitivity": ..., "ppv": ..., "f1": ..., "mean_error_ms": ...,
    "sd_error_ms": ...}, ...}`` from the flat ``<wave>_<boundary>_<metric>`` scores."""
    return {
        f"{WAVE_LABELS[w]} {b}": {
            k: res[f"{w}_{b}_{k}"]
            for k in ("sensitivity", "ppv", "f1", "mean_error_ms", "sd_error_ms")
        }
        for w in WAVE_LABELS
        for b in ("onset", "offset")
    }


@register_benchmark
class LUDBBenchmark(Case[LUDBSettings]):
    """Wave delineation on LUDB (12-lead context U-Net), boundary F1 and errors."""

    name: ClassVar[str] = "ludb"
    summary: ClassVar[str] = "P/QRS/T wave delineation (LUDB), 12-lead context U-Net, boundary F1"
    settings_class = LUDBSettings
    database = "ludb"
    label = "LUDB"
    download_hint = "download https://physionet.org/content/ludb/1.0.1/"
    validation_metric = "mean_boundary_f1"
    item_arities = (2,)

    def check_folder(self, path: Path) -> str | None:
        return check_ludb_folder(path)

    def _dataset(self, s: LUDBSettings, path: Path, training: bool) -> Any:
        from ecg_data.datasets.ludb import LUDBDataset, LUDBTrainConfig

        d = s.data
        cfg: dict[str, Any] = {
            "db_dir": str(path),
            "fs": d.fs,
            "input_len": int(round(d.fs * 10.0)),
            "leads": tuple(d.leads),
            "classes": CLASSES,
            "single_lead": False,
            "random_crop": False,
            "seed": s.seed,
            "train_ratio": s.train.train_ratio,
            "lazy": False,
        }
        if d.augment and training:
            from ecg_benchmarks.cases._common import TRAIN_AUGMENT

            cfg["augment"] = dict(TRAIN_AUGMENT)
        try:
            return LUDBDataset(LUDBTrainConfig.from_config(cfg), training=training)
        except (ValueError, TypeError, KeyError) as exc:
            raise BenchmarkError(f"cannot build the LUDB dataset from {path}: {exc}") from exc

    def load_data(self, s: LUDBSettings, source: DataSource) -> CaseData:
        if source.path is None:
            raise BenchmarkError("ludb needs the LUDB records (--data-dir)")
        train = self._dataset(s, source.path, True)
        held = self._dataset(s, source.path, False)
        cap = s.train.max_records
        train_part: Dataset[Any] = train
        held_idx = list(range(len(held)))
        if cap:
            train_part = Subset(train, range(min(len(train), cap)))
            held_idx = held_idx[: max(2, cap // 2)]
        if len(train_part) == 0 or len(held_idx) < 2:  # type: ignore[arg-type]
            raise BenchmarkError(
                f"too few LUDB records in {source.path} for a train/held-out split"
            )
        k = s.data.val_every
        val_idx = held_idx[::k]
        test_idx = [i for i in held_idx if i not in set(val_idx)]
        test = Subset(held, test_idx)
        desc = (
            f"{len(train_part)} training records, {len(val_idx)} validation, {len(test_idx)} "  # type: ignore[arg-type]
            f"test (12-lead 10 s records at {s.data.fs:g} Hz)"
        )
        d = s.data
        self._n_train = len(train_part)  # type: ignore[arg-type]
        return CaseData(
            train=LeadItems(train_part, d.leads_per_step, d.context_dropout, s.seed, d.stretch),
            val=LeadItems(Subset(held, val_idx), 1, 0.0, s.seed),
            test=test,
            description=desc,
            info={"test_records": [held.items[i][0] for i in test_idx]},
        )

    def eval_data(self, s: LUDBSettings, source: DataSource) -> Any:
        if source.path is None:
            raise BenchmarkError("ludb needs a LUDB folder (--data-dir)")
        parts = [self._dataset(s, source.path, t) for t in (True, False)]
        for p in parts:
            p.training = False  # no augmentation
        return ConcatDataset(parts)

    def build_model(self, s: LUDBSettings, data: CaseData) -> torch.nn.Module:
        from ecg_models.models.unet import ECG_UNET, UNetConfig

        m = s.model
        cfg = UNetConfig(
            fs=s.data.fs,
            init_num_filters=m.init_filters,
            init_filter_length=m.filter_length,
            num_filters=list(m.filters),
            down_scales=list(m.down_scales),
            filter_lengths=[m.filter_length] * len(m.filters),
        )
        return ECG_UNET(list(CLASSES), 2, cfg)

    def loss(self, s: LUDBSettings, trainer: Any, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        x, y = batch[0], batch[1]
        target = torch.where(y.sum(-1) > 0, y.argmax(-1), -100)
        logits = trainer.forward(x).float()
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, len(CLASSES)),
            target.reshape(-1).to(logits.device),
            ignore_index=-100,
        )

    def _score(
        self, s: LUDBSettings, model: torch.nn.Module, loader: Any
    ) -> tuple[dict[str, float], list[Any], list[Any], list[Any]]:
        true: list[Any] = []
        pred: list[Any] = []
        sigs: list[Any] = []
        device = next(model.parameters()).device
        with torch.no_grad():
            for x, y in loader:
                probs = predict_probabilities(model, x.to(device), s.post.own_weight)
                pred += _labels(probs, s.data.fs, s.post)
                true += _true_codes(y)
                sigs += [lead for rec in x.numpy() for lead in rec]
        return delineation_scores(true, pred, s.data.fs, s.tolerance_ms), true, pred, sigs

    def validate(
        self, s: LUDBSettings, model: torch.nn.Module, loader: DataLoader[Any]
    ) -> dict[str, float]:
        # the loader yields single leads; the score needs whole records (the leads are fused)
        records = getattr(loader.dataset, "records", None)
        res = self._score(s, model, DataLoader(records or loader.dataset, batch_size=4))[0]
        return {
            "mean_boundary_f1": res["mean_boundary_f1"],
            "p_onset_f1": res["p_onset_f1"],
            "qrs_onset_f1": res["qrs_onset_f1"],
            "t_offset_f1": res["t_offset_f1"],
        }

    def evaluate_model(self, s: LUDBSettings, model: torch.nn.Module, test: Any) -> Evaluation:
        loader = DataLoader(test, batch_size=4)
        res, true, pred, sigs = self._score(s, model, loader)
        table = _boundary_table(res)
        n_rec = len(test)
        span = delineation_scores(true, pred, s.data.fs, s.tolerance_ms, PROTOCOL_SPAN_S)
        table_span = _boundary_table(span)
        metrics: dict[str, Any] = {
            "mean_boundary_f1": res["mean_boundary_f1"],
            **{f"{w}_{b}_f1": res[f"{w}_{b}_f1"] for w in WAVE_LABELS for b in ("onset", "offset")},
            "boundary_scores": table,
            "f1_per_boundary": {k: d["f1"] for k, d in table.items()},
            "mean_error_ms_per_boundary": {k: d["mean_error_ms"] for k, d in table.items()},
            "protocol_span_s": list(PROTOCOL_SPAN_S),
            "protocol_mean_boundary_f1": span["mean_boundary_f1"],
            "protocol_boundary_scores": table_span,
            "protocol_f1_per_boundary": {k: d["f1"] for k, d in table_span.items()},
            "n_test_records": n_rec,
            "n_train_records": getattr(self, "_n_train", None),
            "n_test_leads": len(true),
        }
        f1 = {w: (res[f"{w}_onset_f1"], res[f"{w}_offset_f1"]) for w in WAVE_LABELS}
        summary = (
            f"ludb: onset/offset F1 P {f1['p'][0]:.4f}/{f1['p'][1]:.4f}, QRS "
            f"{f1['qrs'][0]:.4f}/{f1['qrs'][1]:.4f}, T {f1['t'][0]:.4f}/{f1['t'][1]:.4f} on "
            f"{n_rec} held-out records x {len(true) // max(n_rec, 1)} leads (tolerance "
            f"{s.tolerance_ms:g} ms); from {PROTOCOL_SPAN_S[0]:g} to {PROTOCOL_SPAN_S[1]:g} s "
            f"(the LUDB group's protocol): P {span['p_onset_f1']:.4f}/{span['p_offset_f1']:.4f}, "
            f"QRS {span['qrs_onset_f1']:.4f}/{span['qrs_offset_f1']:.4f}, T "
            f"{span['t_onset_f1']:.4f}/{span['t_offset_f1']:.4f}"
        )
        return Evaluation(metrics, summary, details=(res, sigs, true, pred))

    def figures(self, s: LUDBSettings, run: Any, evaluation: Evaluation, data: CaseData) -> None:
        from ecg_benchmarks.cases._ludb_figures import draw_figures

        res, sigs, true, pred = evaluation.details
        draw_figures(run, res, sigs, true, pred, s.data.fs)

    # ---------------------------------------------------------------- predict
    def predict_record(self, s: LUDBSettings, model: Any, record: Record) -> Prediction:
        from ecg_models.pretrained.delineation import Delineator

        d = model if isinstance(model, Delineator) else delineator_from_run(s, model)
        waves = d.batch(record.signal, record.fs)
        names = [str(n).lower() for n in record.leads]
        lead = names.index("ii") if "ii" in names else 0
        w = waves[lead]
        sym = {"p": "p", "qrs": "N", "t": "t"}
        return Prediction(
            waves={
                sym[name]: [
                    (int(a), int(b))
                    for a, b in zip(w[name]["onset"], w[name]["offset"], strict=True)
                ]
                for name in sym
            },
            lead=lead,
        )


def delineator_from_run(s: LUDBSettings, model: torch.nn.Module) -> Any:
    """A :class:`~ecg_models.pretrained.delineation.Delineator` around a run's network."""
    from ecg_models.pretrained.delineation import Delineator

    return Delineator(
        model,
        s.data.fs,
        own_weight=s.post.own_weight,
        postproc=s.post.postproc()
        if s.post.enabled
        else {"min_ms": {}, "max_gap_ms": 0.0, "one_t_per_beat": False},
    )
