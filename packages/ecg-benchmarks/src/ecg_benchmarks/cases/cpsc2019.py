"""cpsc2019: QRS detection on single-lead ECGs, scored with the official CPSC2019 QRS score.

The 2nd China Physiological Signal Challenge (2019): 10 s single-lead records at 500 Hz with
R-peak references, split record-disjoint into ``data.n_folds`` (4) folds of one seeded
permutation, fold ``data.fold`` (0) held out (no validation part: the run trains a fixed number
of epochs and keeps the last, so nothing is selected on the held-out records). An ``ECG_SEQ_LAB_NET`` (ecg-models; ``model.arch``: the strided, dilated,
polarity-invariant ``strided_cnn`` backbone, or a multi-scopic CNN with a bidirectional LSTM;
a per-step QRS probability at ``1 / reduction`` of its input rate ``data.fs``) is trained on the
training part of the CPSC2019 records (:class:`ecg_data.CPSC2019Dataset`) and, when the sample
data hold them, on windows drawn afresh each epoch from the QRS annotations of QTDB, LUDB,
MITDB, CPSC2021 and the consensus beats of CinC2021 and CPSC2018 (optionally favouring
recordings rich in ectopic beats, ``data.abnormal_weight``), with coloured noise at a drawn SNR
(:mod:`ecg_signal.augment.coloured_noise`) and ecg-signal's augmenters (baseline wander,
polarity flip and :class:`~ecg_signal.augment.RandomArtefacts`). Evaluation runs
the network as the shipped detector does (:class:`ecg_models.pretrained.qrs.QRSDetector`, R
peaks by ``ECG_SEQ_LAB_NET``'s post-processing) and scores the held-out CPSC2019 records with the
official rule (75 ms window; a record scores 1 with no error, 0.7 with one false positive, 0.3
with one false negative, else 0), next to ecg-signal's classic detector and a hybrid of the two
(the detector's beats that the network confirms, plus the network's confident beats the detector
missed). When the sample data hold NSTDB (a test set, never trained on), every record is scored
beat by beat (lead 0, F1 at 150 ms from minute 5, as ANSI/AAMI EC57) for the three detectors.

Without CPSC2019 records the synthetic database of ecg-data is used (ECGSYN records with exact
R peaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import torch

from ecg_benchmarks.base import BenchmarkError, RunOptions, register_benchmark
from ecg_benchmarks.cases import _qrs_data as qd
from ecg_benchmarks.cases._cpsc2019_settings import CPSC2019Settings, ModelSettings
from ecg_benchmarks.predictions import Prediction, Record
from ecg_benchmarks.runs import RunDir
from ecg_benchmarks.template import (
    Case,
    CaseData,
    DataSource,
    Evaluation,
)

__all__ = ["CPSC2019Case", "CPSC2019Settings", "TestRecord", "split_records", "split_text"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class TestRecord:
    """A held-out record: name, raw 1-D signal at ``fs`` (mV) and reference R peaks."""

    name: str
    signal: npt.NDArray[np.float64]
    fs: float
    rpeaks: IntArray


def build_model(cfg: ModelSettings, fs: float) -> Any:
    """The case's ECG_SEQ_LAB_NET: output ``(batch, samples // reduction, 1)`` logits.

    Every part is set here (not inherited from the model's defaults), so the architecture of a
    saved run stays the one this case trains: for ``multi_scopic_lstm`` a multi-scopic backbone
    with its filter counts divided by ``width_divisor``, one bidirectional LSTM layer, no
    attention, a 32-unit head; for ``strided_cnn`` that backbone, no RNN, no attention and a
    single linear head."""
    from copy import deepcopy

    from ecg_models import (
        ECG_SEQ_LAB_NET,
        ECG_SEQ_LAB_NET_CONFIG,
        AttentionConfig,
        HeadConfig,
        RNNConfig,
        get_backbone_config,
    )

    config = deepcopy(ECG_SEQ_LAB_NET_CONFIG)
    if cfg.arch == "strided_cnn":
        backbone = get_backbone_config("strided_cnn")
        n = cfg.context_layers
        backbone.filters = [*backbone.filters, *[backbone.filters[-1]] * n]
        backbone.filter_lengths = [*backbone.filter_lengths, *[5] * n]
        backbone.strides = [*backbone.strides, *[1] * n]
        backbone.dilations = [*backbone.dilations, *[16 * 2**k for k in range(n)]]
        config.cnn.add("strided_cnn_qrs", backbone, base="strided_cnn")
        config.cnn.name = "strided_cnn_qrs"
        config.rnn = RNNConfig(name="none")
        config.attn = AttentionConfig(name="none")
        config.head = HeadConfig(hidden_sizes=[], dropout=0.1)
        config.recover_length = False
        config.fs = fs
        return ECG_SEQ_LAB_NET(["qrs"], 1, config)
    backbone = get_backbone_config("multi_scopic")
    backbone.filters = [[max(4, f // cfg.width_divisor) for f in row] for row in backbone.filters]
    config.cnn.add("multi_scopic_qrs", backbone)
    config.cnn.name = "multi_scopic_qrs"
    config.rnn = RNNConfig(
        name="lstm", hidden_size=cfg.rnn_hidden, num_layers=1, bidirectional=True
    )
    config.attn = AttentionConfig(name="none")
    config.head = HeadConfig(hidden_sizes=[32], dropout=0.1)
    config.recover_length = False
    config.fs = fs
    return ECG_SEQ_LAB_NET(["qrs"], 1, config)


def detector_config(s: CPSC2019Settings) -> dict[str, Any]:
    """The :class:`~ecg_models.pretrained.qrs.QRSDetector` settings of this case's runs."""
    d = s.detect
    return {
        "fs": s.data.fs,
        "window_s": s.data.window_s,
        "overlap_s": d.overlap_s,
        "threshold": d.threshold,
        "low_threshold": min(d.low_threshold, d.threshold),
        "refractory_ms": d.refractory_ms,
        "flip_average": d.flip_average,
        "refine_ms": d.refine_ms,
    }


def split_records(names: list[str], s: CPSC2019Settings) -> tuple[list[str], list[str]]:
    """The training and held-out records of ``names`` (each list in the order of ``names``).

    One permutation seeded by ``s.seed``: with ``data.n_folds`` its consecutive chunks
    (``numpy.array_split``) are the folds and chunk ``data.fold`` is held out; with 0 its first
    ``1 - train.train_ratio`` share is. Fold 0 of 4 holds out the same records as the plain 75/25
    split whenever the number of records is a multiple of 4 (the 40 CPSC2019 records: 10)."""
    order = np.random.default_rng(s.seed).permutation(len(names))
    d = s.data
    if d.n_folds:
        if len(names) < d.n_folds:
            raise BenchmarkError(
                f"{len(names)} records are too few for data.n_folds={d.n_folds} folds"
            )
        test = np.array_split(order, d.n_folds)[d.fold].tolist()
    else:
        test = order[: max(1, round(len(names) * (1 - s.train.train_ratio)))].tolist()
    held = set(test)
    train = [i for i in order.tolist() if i not in held]
    if not train:
        raise BenchmarkError(f"{len(names)} records are too few to split into train and test")
    return [names[i] for i in sorted(train)], [names[i] for i in sorted(test)]


def split_text(s: CPSC2019Settings) -> str:
    """The split of ``s`` in words (for the summary, the metrics and the pretrained card)."""
    d = s.data
    if d.n_folds:
        return f"fold {d.fold} of {d.n_folds} (seed {s.seed})"
    return f"train {s.train.train_ratio:g} / test {1 - s.train.train_ratio:g} (seed {s.seed})"


@register_benchmark
class CPSC2019Case(Case[CPSC2019Settings]):
    """QRS detection on CPSC2019, scored with the official QRS score."""

    name: ClassVar[str] = "cpsc2019"
    summary: ClassVar[str] = "QRS detection (CPSC 2019), ECG_SEQ_LAB_NET, official QRS score"
    settings_class = CPSC2019Settings
    database: ClassVar[str] = "cpsc2019"
    label: ClassVar[str] = "CPSC 2019"
    validation_metric: ClassVar[str] = "qrs_score"
    item_arities: ClassVar[tuple[int, ...]] = (3,)

    def check_folder(self, path: Path) -> str | None:
        if not any(path.rglob("data_*.mat")):
            return "it must hold data/data_*.mat and ref/R_*.mat"
        return None

    def resolve_data(self, settings: CPSC2019Settings) -> DataSource:
        from ecg_benchmarks.paths import sample_data_dir

        if settings.data_dir:
            return self.data_source(settings.data_dir)
        sample = sample_data_dir(self.database)
        if sample is not None and sample.is_dir() and any(sample.rglob("data_*.mat")):
            return self.data_source(None)
        return DataSource(None, "synthetic records (no sample data found)")

    # ------------------------------------------------------------------ data
    def _dataset(
        self, s: CPSC2019Settings, source: DataSource, fs: float, records: list[str] | None
    ) -> Any:
        from ecg_data.datasets.base import PreprocCfg
        from ecg_data.datasets.cpsc2019 import CPSC2019Dataset

        return CPSC2019Dataset(
            {
                "db_dir": None if source.path is None else str(source.path),
                "fs": fs,
                "input_len": round(s.data.window_s * fs),
                "bias_thr_s": s.data.qrs_half_width_s,
                "preproc": PreprocCfg(bandpass=None, normalize=None),
                "records": None if records is None else tuple(records),
                "synthetic_records": s.data.synthetic_records,
                "seed": s.seed,
            },
            training=True,
        )

    def _test_records(
        self, s: CPSC2019Settings, source: DataSource, names: list[str] | None
    ) -> list[TestRecord]:
        ds = self._dataset(s, source, 500.0, names)
        out = []
        for i, rec in enumerate(ds.records):
            sig = ds[i][0].numpy()[0].astype(np.float64)
            out.append(TestRecord(rec, sig, float(ds.fs), ds.rpeaks(i)))
        return out

    def load_data(self, s: CPSC2019Settings, source: DataSource) -> CaseData:
        from torch.utils.data import ConcatDataset, Dataset

        from ecg_benchmarks.cases._qrs import CPSCWindows, WindowPool
        from ecg_benchmarks.paths import sample_data_root

        with torch.random.fork_rng():  # the run's seeded model is built in build_model
            reduction = int(build_model(s.model, s.data.fs).reduction)
        names = list(self._dataset(s, source, 500.0, None).reader.all_records)
        if s.train.max_records:
            names = names[: s.train.max_records]
        train, test = split_records(names, s)
        self._scored = f"held-out records, {split_text(s)}"
        repeat = s.data.cpsc_repeat if source.path is not None else s.data.synthetic_repeat
        cpsc = CPSCWindows(self._dataset(s, source, s.data.fs, train), reduction, repeat)
        parts: list[Dataset[Any]] = [cpsc] if repeat else []
        used: dict[str, int] = {}
        pool = None
        root = sample_data_root()
        if source.path is not None and root is not None and s.data.pool_windows:
            recs, used = qd.load_extra(root, s.data.extra_databases, s.data.fs)
            if recs:
                pool = WindowPool(
                    recs, s.data.pool_windows, round(s.data.window_s * s.data.fs), s.data.fs,
                    s.data.qrs_half_width_s, reduction, s.seed,
                    time_scale=s.augment.time_scale, time_scale_max=s.augment.time_scale_max,
                )  # fmt: skip
                if s.data.abnormal_weight > 0:
                    from ecg_benchmarks.cases._cpsc2019_sampling import abnormal_weights

                    sources = [r.source for r in pool.recs]
                    pool.p = abnormal_weights(sources, pool.p, root, s.data.abnormal_weight)
                parts.append(pool)
        if not parts:
            raise BenchmarkError("no training windows: data.cpsc_repeat and the pool are both 0")
        n_items = sum(len(p) for p in parts)  # type: ignore[arg-type, misc]
        return CaseData(
            train=ConcatDataset(parts),
            val=None,
            test=self._test_records(s, source, test),
            description=(
                f"{len(names)} records: {len(train)} train, {len(test)} held out, "
                f"{split_text(s)}; "
                f"{n_items} training windows per epoch (cpsc2019 x{repeat}, "
                f"{len(pool) if pool else 0} drawn from {used})"
            ),
            info={"pool": pool},
            metrics={
                "n_train_records": len(train),
                "n_test_records": len(test),
                "split": split_text(s),
                "test_records": test,
                "n_training_windows": n_items,
                "extra_recordings": used,
                "data_source": "synthetic" if source.path is None else f"CPSC2019 at {source.path}",
            },
        )

    def eval_data(self, s: CPSC2019Settings, source: DataSource) -> list[TestRecord]:
        self._scored = "records (every record of the folder)"
        return self._test_records(s, source, None)

    # ------------------------------------------------------------------ model and training
    def build_model(self, s: CPSC2019Settings, data: CaseData) -> torch.nn.Module:
        model: torch.nn.Module = build_model(s.model, s.data.fs)
        self._pool = data.info.get("pool")
        self._augmenter: Any = None
        return model

    def _augment(self, s: CPSC2019Settings, trainer: Any, x: torch.Tensor) -> torch.Tensor:
        from ecg_signal import AugmenterManager

        a = s.augment
        if getattr(self, "_augmenter", None) is None:
            self._augmenter = AugmenterManager.from_config(
                {
                    "fs": s.data.fs,
                    "seed": s.seed,
                    "baseline_wander": {"prob": a.baseline_wander},
                    "random_flip": {"prob": a.flip},
                    "random_artefacts": {
                        "prob": a.artefacts,
                        "spike_prob": a.artefact_kind_prob,
                        "motion_prob": a.artefact_kind_prob,
                        "muscle_prob": a.artefact_kind_prob,
                    },
                }
            )
        aug = self._augmenter
        # the augmentation of a batch is a function of (seed, epoch, batch): resumable exactly
        base = (s.seed * 1_000_003 + trainer.epoch) * 1_000_003 + trainer.batches_done
        for k, one in enumerate(aug.augmenters):
            one.manual_seed((base * 31 + k + 1) % 2**62)
        if a.noise > 0:
            from ecg_signal.augment.coloured_noise import add_noise_at_snr

            gen = torch.Generator().manual_seed((base * 31) % 2**62)
            x = add_noise_at_snr(
                x, s.data.fs, a.noise, a.noise_snr_low_db, a.noise_snr_high_db, gen,
                tuple(a.noise_kinds),
            )  # fmt: skip
        aug.train()
        out: torch.Tensor = aug(x)[0]
        return out

    def loss(
        self, s: CPSC2019Settings, trainer: Any, batch: tuple[torch.Tensor, ...]
    ) -> torch.Tensor:
        from ecg_benchmarks.cases._qrs import scale_batch
        from ecg_train import masked_bce_with_logits

        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.epoch = int(trainer.epoch)
        x, y, w = batch
        if s.augment.noise_only > 0:
            from ecg_benchmarks.cases._qrs import noise_only_windows

            base = (s.seed * 1_000_003 + trainer.epoch) * 1_000_003 + trainer.batches_done
            gen = torch.Generator().manual_seed((base * 37 + 5) % 2**62)
            x, y, w = noise_only_windows(x, y, w, s.data.fs, s.augment.noise_only, gen)
        x = scale_batch(self._augment(s, trainer, x))
        logits = trainer.forward(x)
        y, w = y.to(logits.device), w.to(logits.device)
        loss: torch.Tensor = masked_bce_with_logits(logits, y, w, reduction="sum") / y.numel()
        return loss

    def validate(
        self, s: CPSC2019Settings, model: torch.nn.Module, loader: Any
    ) -> dict[str, float]:
        raise BenchmarkError("cpsc2019 trains without a validation set")  # val is None

    # ------------------------------------------------------------------ evaluation
    def detector(self, s: CPSC2019Settings, model: Any) -> Any:
        """The shipped detector around ``model`` (or ``model`` itself when it is one)."""
        from ecg_models.pretrained.qrs import QRSDetector

        if isinstance(model, QRSDetector):
            return model
        return QRSDetector(model, **detector_config(s))

    def _three(
        self, s: CPSC2019Settings, det: Any, sig: npt.NDArray[np.float64], fs: float
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Network, hybrid and classic R peaks of a finite 1-D record."""
        from ecg_benchmarks.cases._qrs import hybrid_peaks
        from ecg_models.pretrained.qrs import qrs_input
        from ecg_signal.rpeaks import detect_rpeaks

        x = qrs_input(sig, fs, det.fs)
        prob = det.probabilities(x)
        net = det.to_input_rate(det.peaks_from_probabilities(prob, x), fs, len(sig))
        own = det.to_input_rate(
            det.peaks_from_probabilities(prob, x, s.detect.hybrid_threshold), fs, len(sig)
        )
        classic = detect_rpeaks(sig, fs)
        hyb = hybrid_peaks(prob, classic, own, fs, det.reduction / det.fs, s.detect.hybrid_confirm)
        return net, hyb, classic

    def evaluate_model(self, s: CPSC2019Settings, model: torch.nn.Module, test: Any) -> Evaluation:
        from ecg_signal.rpeaks import cpsc2019_record_score, cpsc2019_score

        det = self.detector(s, model)
        scored = getattr(self, "_scored", "records")  # the held-out part, or eval_data's
        recs: list[TestRecord] = test
        preds: dict[str, list[IntArray]] = {"network": [], "hybrid": [], "classic": []}
        for r in recs:
            for key, p in zip(preds, self._three(s, det, r.signal, r.fs), strict=True):
                preds[key].append(p)
        fs = recs[0].fs if recs else 500.0
        refs = [r.rpeaks for r in recs]
        scores = {k: cpsc2019_score(refs, v, fs) for k, v in preds.items()}
        per_record = {
            r.name: {k: cpsc2019_record_score(r.rpeaks, preds[k][i], r.fs)[3] for k in preds}
            for i, r in enumerate(recs)
        }
        errors: dict[
            str, dict[str, int]
        ] = {}  # the official rule's FP / FN counts of the network, per record
        for i, r in enumerate(recs):
            _, fp, fn, _ = cpsc2019_record_score(r.rpeaks, preds["network"][i], r.fs)
            errors[r.name] = {"fp": fp, "fn": fn}
        metrics: dict[str, Any] = {
            "qrs_score": scores["network"],
            "hybrid_qrs_score": scores["hybrid"],
            "classic_detector_qrs_score": scores["classic"],
            "per_record_qrs_score": per_record,
            "per_record_network_errors": errors,
            "scored": scored,
        }
        summary = (
            f"cpsc2019: QRS score {scores['network']:.4f} (ECG_SEQ_LAB_NET), "
            f"{scores['hybrid']:.4f} (network + classic detector hybrid) vs "
            f"{scores['classic']:.4f} (ecg-signal's classic detector) on {len(recs)} {scored}, "
            f"{sum(v['network'] == 1.0 for v in per_record.values())} perfect"
        )
        from ecg_benchmarks.cases._cpsc2019_report import score_nstdb

        nst = score_nstdb(lambda sig, fs: self._three(s, det, sig, fs)) if s.detect.nstdb else None
        if nst is not None:
            metrics["nstdb"] = nst
            o = nst["overall"]
            summary += (
                f"; NSTDB F1 {o['network']:.3f} (network), {o['hybrid']:.3f} (hybrid), "
                f"{o['classic']:.3f} (classic)"
            )
        details = {"records": recs, "preds": preds["network"]}
        return Evaluation(metrics, summary, details)

    def predict_record(self, s: CPSC2019Settings, model: Any, record: Record) -> Prediction:
        det = self.detector(s, model)
        return Prediction(beats={"N": det(record.signal[0], record.fs)}, lead=0)

    def figures(
        self, s: CPSC2019Settings, run: RunDir, evaluation: Evaluation, data: CaseData
    ) -> None:
        from ecg_benchmarks.cases._cpsc2019_report import plot_examples

        plot_examples(run, evaluation.details["records"], evaluation.details["preds"])

    # ------------------------------------------------------------------ run + export
    def run(self, settings: Any, run: RunDir, options: RunOptions) -> dict[str, Any]:
        metrics = Case.run(self, settings, run, options)
        s: CPSC2019Settings = settings
        if s.export_pretrained and "qrs_score" in metrics:
            from ecg_benchmarks.cases._cpsc2019_report import export_pretrained

            card = export_pretrained(s, run, metrics)
            metrics["pretrained_card"] = str(card)
        return metrics
