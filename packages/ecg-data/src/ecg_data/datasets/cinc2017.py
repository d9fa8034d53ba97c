"""torch Dataset for the PhysioNet/CinC Challenge 2017 (Clifford et al. 2017): single-lead
AliveCor records of 9 to 60 s at 300 Hz, each labelled N (normal), A (AF), O (other rhythm)
or ~ (noisy).

Items: ``(signal (1, samples) float32, label () int64)`` with the label the index of the
record's class in ``classes``. Training items are cropped or zero-padded to ``input_len``
samples (a random window each epoch by default); evaluation items are whole records of
varying length (batch them with :func:`pad_collate` or one at a time) unless
``eval_whole=False``.

The split is stratified by class, seeded and record-disjoint: either test / validation /
training fractions, or ``n_folds`` folds with fold ``fold`` held out (k-fold
cross-validation; the validation part is then drawn from the other folds).
"""

from __future__ import annotations

import hashlib
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ecg_data.datasets._common import (
    ConfiguredDataset,
    FromConfigMixin,
    check_cache_fields,
    check_choice,
    check_db_dir,
    check_fs,
    check_index,
    check_int,
    check_sub_configs,
    record_description,
    require_db_dir,
)
from ecg_data.datasets.base import AugmentCfg, PreprocCfg, fix_length
from ecg_data.readers.cinc2017 import CINC2017, CINC2017_LABELS

__all__ = [
    "CINC2017_CLASSES",
    "CINC2017_PARTS",
    "CINC2017Dataset",
    "CINC2017TrainCfg",
    "CINC2017TrainConfig",
    "pad_collate",
    "stratified_split",
]

#: Class codes in label-index order.
CINC2017_CLASSES: tuple[str, ...] = tuple(CINC2017_LABELS)
#: The parts of the split (``"all"``: every record, e.g. to score a model on another folder).
CINC2017_PARTS: tuple[str, ...] = ("train", "val", "test", "all")
_CROPS = ("random", "center", "start")


def _fraction(value: Any, name: str, *, zero: bool) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    lo_ok = ok and (float(value) >= 0.0 if zero else float(value) > 0.0)
    if not (lo_ok and float(value) < 1.0):
        rng = "[0, 1)" if zero else "(0, 1)"
        raise ValueError(f"{name} must be a fraction in {rng}, got {value!r}")
    return float(value)


def _rank_key(seed: int, rec: str) -> bytes:
    return hashlib.sha256(f"{seed}:{rec}".encode()).digest()


def stratified_split(
    labels: Mapping[str, str],
    *,
    seed: int,
    test_ratio: float = 0.2,
    val_ratio: float = 0.1,
    n_folds: int = 0,
    fold: int = 0,
) -> dict[str, str]:
    """Stratified, seeded, record-disjoint split of records into train / val / test.

    Within each class the records are ordered by ``sha256(f"{seed}:{record}")`` (so the split
    depends only on the seed and the record names). Without folds, the first
    ``round(test_ratio * n_c)`` records of class ``c`` are test, the next
    ``round(val_ratio * n_c)`` validation, the rest training. With ``n_folds >= 2``, the
    records are dealt round-robin into the folds, class after class (classes in sorted order,
    each class continuing where the previous one stopped, so fold sizes differ by at most one
    record); fold ``fold`` is the test part and the
    first ``round(val_ratio * n_c)`` of the remaining records of each class are validation
    (``test_ratio`` is then unused). The folds of one seed partition the records.

    Args:
        labels: record name -> class code.
        seed: split seed (>= 0).
        test_ratio: fraction of each class held out for testing (no folds).
        val_ratio: fraction of each class for validation (0: no validation part).
        n_folds: number of folds (0: plain split; else >= 2).
        fold: the held-out fold, in ``[0, n_folds)``.

    Returns:
        record name -> ``"train"``, ``"val"`` or ``"test"``.
    """
    seed = check_int(seed, "seed", 0)
    val_ratio = _fraction(val_ratio, "val_ratio", zero=True)
    n_folds = check_int(n_folds, "n_folds", 0)
    if n_folds == 1:
        raise ValueError("n_folds must be 0 (plain split) or >= 2, got 1")
    if n_folds:
        fold = check_int(fold, "fold", 0)
        if fold >= n_folds:
            raise ValueError(f"fold must be in [0, {n_folds - 1}] (n_folds={n_folds}), got {fold}")
    else:
        test_ratio = _fraction(test_ratio, "test_ratio", zero=False)
        if test_ratio + val_ratio >= 1.0:
            raise ValueError(f"test_ratio + val_ratio must be < 1, got {test_ratio} + {val_ratio}")
    by_class: dict[str, list[str]] = {}
    for rec, lab in labels.items():
        by_class.setdefault(lab, []).append(rec)
    parts: dict[str, str] = {}
    offset = 0
    for lab in sorted(by_class):
        ordered = sorted(by_class[lab], key=lambda r: _rank_key(seed, r))
        n = len(ordered)
        n_val = int(round(val_ratio * n))
        if n_folds:
            folds = [(offset + i) % n_folds for i in range(n)]
            offset += n
            test = [r for r, f in zip(ordered, folds, strict=True) if f == fold]
            rest = [r for r, f in zip(ordered, folds, strict=True) if f != fold]
        else:
            n_test = int(round(test_ratio * n))
            test, rest = ordered[:n_test], ordered[n_test:]
        for r in test:
            parts[r] = "test"
        for k, r in enumerate(rest):
            parts[r] = "val" if k < n_val else "train"
    return parts


@dataclass(slots=True)
class CINC2017TrainConfig(FromConfigMixin):
    """Configuration of :class:`CINC2017Dataset`.

    Attributes:
        db_dir: folder of the challenge (``training2017/`` with the ``.mat`` records and
            ``REFERENCE.csv``, or that folder itself).
        fs: sampling frequency of the items in Hz (records are resampled from 300 Hz).
        input_len: samples per training item (crop or zero-pad at the end).
        crop: window of a training item in a longer record: ``"random"`` (new each epoch),
            ``"center"`` or ``"start"``.
        eval_whole: evaluation items are whole records (True) or cropped/padded like the
            training items with a centre window (False).
        min_len: the model's minimum input in samples at ``fs``: a whole-record item shorter
            than it raises ValueError naming it (0: no minimum).
        part: ``"train"``, ``"val"``, ``"test"`` or ``"all"`` (every record); ``None``
            follows ``training`` (train / test).
        test_ratio, val_ratio, n_folds, fold: the split (see :func:`stratified_split`).
        preproc / augment: preprocessing of every item (ecg-signal) / augmentation of
            training items.
        training: training items (crop policy, augmentation) or evaluation items.
        lazy: read records on access (True; through the disk cache when ``use_cache``) or
            hold the preprocessed records of the part in memory (False; one copy).
        seed: seed of the split, the crops and the augmentation draws.
        use_cache: cache the preprocessed whole records (at ``fs``) as ``.npy`` files in
            ``<cache_dir>/datasets/cinc2017`` (atomic writes); off by default.
        cache_dir: cache folder (default platformdirs' user cache of ecg-suite); never
            inside ``db_dir``.
    """

    db_dir: str | os.PathLike[str] | None = None
    fs: float = 300.0
    input_len: int = 9000
    crop: str = "random"
    eval_whole: bool = True
    min_len: int = 0
    part: str | None = None
    test_ratio: float = 0.2
    val_ratio: float = 0.1
    n_folds: int = 0
    fold: int = 0
    preproc: PreprocCfg = field(default_factory=lambda: PreprocCfg(bandpass=(0.5, 45.0)))
    augment: AugmentCfg = field(default_factory=AugmentCfg)
    training: bool = True
    lazy: bool = True
    seed: int = 0
    use_cache: bool = False
    cache_dir: str | os.PathLike[str] | None = None

    def __post_init__(self) -> None:
        check_db_dir(self.db_dir)
        check_cache_fields(self.use_cache, self.cache_dir)
        self.fs = check_fs(self.fs)
        self.input_len = check_int(self.input_len, "input_len (samples)", 16)
        self.crop = check_choice(self.crop, "crop", _CROPS)
        if not isinstance(self.eval_whole, bool):
            raise TypeError(f"eval_whole must be a bool, got {self.eval_whole!r}")
        self.min_len = check_int(self.min_len, "min_len (samples)", 0)
        if self.part is not None:
            self.part = check_choice(self.part, "part", CINC2017_PARTS)
        self.seed = check_int(self.seed, "seed", 0)
        # validates the split fields (an empty mapping splits nothing)
        stratified_split(
            {},
            seed=self.seed,
            test_ratio=self.test_ratio,
            val_ratio=self.val_ratio,
            n_folds=self.n_folds,
            fold=self.fold,
        )
        self.preproc, self.augment = check_sub_configs(self.preproc, self.augment)


#: Default configuration; copy-and-edit: ``c = deepcopy(CINC2017TrainCfg); c.db_dir = ...``.
CINC2017TrainCfg = CINC2017TrainConfig()


class CINC2017Dataset(ConfiguredDataset[CINC2017TrainConfig, tuple[torch.Tensor, torch.Tensor]]):
    """Single-lead 4-class Dataset over CinC 2017 (see the module doc).

    Args:
        config: :class:`CINC2017TrainConfig` or mapping.
        training: overrides ``config.training``; lazy: overrides ``config.lazy``.

    Attributes:
        records: the record names of the part, sorted.
        classes: the class codes (``N``, ``A``, ``O``, ``~``).
        labels: int64 label index of every item, (n_items,).
    """

    def __init__(
        self,
        config: Mapping[str, Any] | CINC2017TrainConfig,
        training: bool | None = None,
        lazy: bool | None = None,
    ) -> None:
        cfg = self._configure(CINC2017TrainConfig, config, training, lazy, "cinc2017")
        db_dir = require_db_dir(cfg.db_dir, "CinC 2017")
        self.part = cfg.part or ("train" if cfg.training else "test")
        self.classes = list(CINC2017_CLASSES)
        self.reader = CINC2017(db_dir, cache_dir=cfg.cache_dir)
        labels = {rec: self.reader.load_ann(rec) for rec in self.reader.all_records}
        parts = stratified_split(
            labels,
            seed=cfg.seed,
            test_ratio=cfg.test_ratio,
            val_ratio=cfg.val_ratio,
            n_folds=cfg.n_folds,
            fold=cfg.fold,
        )
        self.records = sorted(r for r, p in parts.items() if self.part in (p, "all"))
        index = {c: k for k, c in enumerate(self.classes)}
        self.labels = np.array([index[labels[r]] for r in self.records], dtype=np.int64)
        if cfg.preproc.bandpass is not None:
            import scipy.signal  # noqa: F401 (imported once here, not in every DataLoader worker)
        self._sigs: list[npt.NDArray[np.float32]] | None = None
        if not cfg.lazy:
            self._sigs = [self._load(rec) for rec in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def whole_records(self) -> bool:
        """True when items are whole records (evaluation with ``eval_whole``)."""
        return not self.training and self.config.eval_whole

    def class_counts(self) -> list[int]:
        """Number of items of each class, in ``classes`` order."""
        counts: list[int] = np.bincount(self.labels, minlength=len(self.classes)).tolist()
        return counts

    def _load(self, rec: str) -> npt.NDArray[np.float32]:
        """Preprocessed whole record (1, samples at ``fs``), through the disk cache if on."""
        return self._preprocessed(
            record_description(self.reader, rec, self.fs, ["I"], self.config.preproc),
            lambda: self.reader.load_data(rec, fs=self.fs),
        )

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = check_index(index, len(self))
        rec = self.records[index]
        sig = self._sigs[index] if self._sigs is not None else self._load(rec)
        cfg = self.config
        n = sig.shape[-1]
        if self.whole_records:
            if n < cfg.min_len:
                raise ValueError(
                    f"record {rec} has {n} samples at {self.fs:g} Hz, shorter than the model's "
                    f"minimum input of {cfg.min_len} samples ({cfg.min_len / self.fs:.2f} s)"
                )
            sig = np.ascontiguousarray(sig)
        else:
            start = (n - self.input_len) // 2
            if self.training and n > self.input_len:
                if cfg.crop == "random":
                    rng = np.random.default_rng([cfg.seed, self._epoch, index, 17])
                    start = int(rng.integers(0, n - self.input_len + 1))
                elif cfg.crop == "start":
                    start = 0
            sig, _ = fix_length(sig, self.input_len, max(start, 0))
            sig = self._augment(sig, index)
        return torch.from_numpy(np.ascontiguousarray(sig)), torch.tensor(
            self.labels[index], dtype=torch.int64
        )


def pad_collate(
    batch: Sequence[tuple[torch.Tensor, ...]],
) -> tuple[torch.Tensor, ...]:
    """Collate items of different lengths: signals zero-padded at the end to the longest.

    Args:
        batch: items ``(signal (leads, samples_i), label, ...)``.

    Returns:
        ``(signals (batch, leads, max samples), labels stacked, ..., lengths (batch,) int64)``.
    """
    if not batch:
        raise ValueError("pad_collate needs at least one item")
    sigs = [item[0] for item in batch]
    lengths = torch.tensor([s.shape[-1] for s in sigs], dtype=torch.int64)
    out = torch.zeros((len(sigs), sigs[0].shape[0], int(lengths.max())), dtype=sigs[0].dtype)
    for k, s in enumerate(sigs):
        out[k, :, : s.shape[-1]] = s
    rest = [torch.stack([item[j] for item in batch]) for j in range(1, len(batch[0]))]
    return (out, *rest, lengths)
