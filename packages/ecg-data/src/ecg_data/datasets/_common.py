"""Small helpers shared by the Datasets: validation of config fields,
sliding windows, the lead list and the optional on-disk cache of preprocessed arrays."""

from __future__ import annotations

import contextlib
import hashlib
import json
import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Generic, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt
import torch
from torch.utils.data import Dataset

from ecg_data.datasets.base import (
    AugmentCfg,
    PreprocCfg,
    apply_augment,
    apply_preproc,
    check_split_fraction,
)
from ecg_data.readers._wfdb_header import read_wfdb_header
from ecg_data.readers.base import default_cache_dir
from ecg_signal._validation import check_fs as signal_check_fs
from ecg_signal.config import config_from

__all__ = [
    "check_db_dir",
    "check_int",
    "check_fs",
    "check_choice",
    "check_leads",
    "check_reduction",
    "check_sub_configs",
    "check_run_fields",
    "FromConfigMixin",
    "ConfiguredDataset",
    "window_starts",
    "apply_overrides",
    "require_db_dir",
    "check_index",
    "augment_item",
    "ArrayCache",
    "dataset_cache",
    "cached_array",
    "source_id",
    "check_cache_fields",
    "record_description",
    "file_stamp",
    "record_files",
]


class _DatasetConfig(Protocol):
    """What :func:`apply_overrides` needs of a Dataset config."""

    training: bool
    lazy: bool


_C = TypeVar("_C", bound=_DatasetConfig)


class _RunConfig(Protocol):
    """What :func:`check_run_fields` validates."""

    preproc: PreprocCfg
    augment: AugmentCfg
    train_ratio: float
    seed: int


class _ItemConfig(Protocol):
    """What :class:`ConfiguredDataset` reads of its Dataset config."""

    training: bool
    lazy: bool

    @property
    def db_dir(self) -> str | os.PathLike[str] | None: ...
    @property
    def fs(self) -> float: ...
    @property
    def input_len(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def preproc(self) -> PreprocCfg: ...
    @property
    def augment(self) -> AugmentCfg: ...
    @property
    def use_cache(self) -> bool: ...
    @property
    def cache_dir(self) -> str | os.PathLike[str] | None: ...


_IC = TypeVar("_IC", bound=_ItemConfig)
_Item = TypeVar("_Item", bound=tuple[torch.Tensor, ...])


class FromConfigMixin:
    """``from_config`` of the Dataset config dataclasses (has no slots of its own)."""

    __slots__ = ()

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | Self) -> Self:
        """Build from a mapping or copy; an unknown key raises ValueError naming it."""
        return config_from(cls, config)


def check_db_dir(value: Any) -> None:
    """``value`` is a path or ``None``."""
    if value is not None and not isinstance(value, str | os.PathLike):
        raise TypeError(
            f"db_dir must be a path (str or os.PathLike) or None, got {type(value).__name__}"
        )


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_fs(value: Any) -> float:
    """``value`` as a sampling rate in Hz in ecg-signal's range (``ecg_signal``'s ``check_fs``:
    [1, 100000] Hz); ``ValueError`` otherwise, for a value of any type."""
    try:
        return signal_check_fs(value)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """``value`` is one of ``choices`` (exact names)."""
    if not isinstance(value, str) or value not in choices:
        import difflib

        close = difflib.get_close_matches(str(value), list(choices), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}{hint}")
    return value


def check_leads(value: Any) -> tuple[str, ...]:
    """A non-empty sequence of lead names as a tuple."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, Sequence) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"leads must be a non-empty sequence of lead names, got {value!r}")
    return tuple(value)


def check_reduction(reduction: Any, input_len: int) -> int:
    """``reduction`` as an int >= 1 that divides ``input_len`` (samples): label masks have
    ``input_len // reduction`` rows."""
    r = check_int(reduction, "reduction")
    if input_len % r:
        raise ValueError(f"input_len={input_len} samples must be a multiple of reduction={r}")
    return r


def check_sub_configs(preproc: Any, augment: Any) -> tuple[PreprocCfg, AugmentCfg]:
    """Build the preprocessing and augmentation configs from mappings when needed."""
    if isinstance(preproc, Mapping):
        preproc = config_from(PreprocCfg, preproc)
    if isinstance(augment, Mapping):
        augment = config_from(AugmentCfg, augment)
    if not isinstance(preproc, PreprocCfg) or not isinstance(augment, AugmentCfg):
        raise TypeError(
            "preproc must be a PreprocCfg and augment an AugmentCfg (or mappings), got "
            f"{type(preproc).__name__} and {type(augment).__name__}"
        )
    return preproc, augment


def check_run_fields(cfg: _RunConfig) -> None:
    """Validate (in place) the fields every split Dataset config shares: ``preproc`` and
    ``augment`` (mappings accepted), ``train_ratio`` in (0, 1) and ``seed`` >= 0."""
    cfg.preproc, cfg.augment = check_sub_configs(cfg.preproc, cfg.augment)
    cfg.train_ratio = check_split_fraction(cfg.train_ratio, "train_ratio")
    cfg.seed = check_int(cfg.seed, "seed", 0)


def window_starts(siglen: int, length: int, stride: int) -> list[int]:
    """Starts of windows of ``length`` samples every ``stride`` samples covering ``siglen``.

    The last window is aligned to the end of the signal so that no sample is dropped; a signal
    shorter than ``length`` gives one window at 0 (to be zero-padded).
    """
    if siglen <= length:
        return [0]
    starts = list(range(0, siglen - length + 1, stride))
    if starts[-1] + length < siglen:
        starts.append(siglen - length)
    return starts


def apply_overrides(cfg: _C, training: bool | None, lazy: bool | None) -> _C:
    """Apply the ``training`` / ``lazy`` arguments of a Dataset to its config (in place)."""
    if training is not None:
        cfg.training = bool(training)
    if lazy is not None:
        cfg.lazy = bool(lazy)
    return cfg


def require_db_dir(db_dir: str | os.PathLike[str] | None, db_name: str) -> str | os.PathLike[str]:
    """``db_dir`` of a Dataset that needs the database; ``None`` raises ValueError naming it."""
    if db_dir is None:
        raise ValueError(f"config.db_dir must be set to the {db_name} folder, got None")
    return db_dir


def check_index(index: int, length: int) -> int:
    """``index`` in ``[-length, length)`` as a non-negative item index, else IndexError."""
    if not -length <= index < length:
        raise IndexError(f"index {index} out of range for {length} items")
    return index % length


def augment_item(
    sig: npt.NDArray[np.float32],
    fs: float,
    augment: AugmentCfg,
    training: bool,
    seed: int,
    epoch: int,
    index: int,
) -> npt.NDArray[np.float32]:
    """Augment a training item (draws depend on ``seed``, ``epoch`` and ``index``); unchanged
    when not training or when ``augment`` is inactive. ``sig``: (leads, samples) at ``fs`` Hz."""
    if training and augment.active:
        rng = np.random.default_rng([seed, epoch, index])
        sig = apply_augment(sig, fs, augment, rng)
    return sig


class ArrayCache:
    """On-disk cache of preprocessed float32 arrays (``.npy``) in a folder (never ``db_dir``).

    The key of an entry is the SHA-256 of a JSON description (record, window, fs, preprocessing);
    writes go through a temporary file and ``os.replace``, so a crash never leaves a partial
    entry. ``folder=None`` disables the cache.
    """

    def __init__(self, folder: str | os.PathLike[str] | None, namespace: str) -> None:
        self.folder = None if folder is None else Path(folder) / namespace

    @staticmethod
    def key(description: Mapping[str, Any]) -> str:
        text = json.dumps(description, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def get(self, description: Mapping[str, Any]) -> npt.NDArray[np.float32] | None:
        if self.folder is None:
            return None
        path = self.folder / f"{self.key(description)}.npy"
        if not path.is_file():
            return None
        try:
            return np.asarray(np.load(path, allow_pickle=False), dtype=np.float32)
        except (OSError, ValueError):
            return None

    def put(self, description: Mapping[str, Any], arr: npt.NDArray[np.float32]) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.key(description)}.npy"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, np.asarray(arr, dtype=np.float32), allow_pickle=False)
        os.replace(tmp, path)


def dataset_cache(
    use_cache: bool,
    cache_dir: str | os.PathLike[str] | None,
    namespace: str,
    db_dir: str | os.PathLike[str] | None = None,
) -> ArrayCache:
    """The preprocessed-array cache of a Dataset: ``<cache_dir>/datasets/<namespace>``
    (``cache_dir`` defaults to :func:`~ecg_data.readers.base.default_cache_dir`; the reader's own
    metadata cache uses ``cache_dir`` itself); disabled unless ``use_cache``.

    Raises:
        ValueError: the cache folder would lie inside ``db_dir`` (the database is never written).
    """
    if not use_cache:
        return ArrayCache(None, namespace)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache = ArrayCache(root.expanduser() / "datasets", namespace)
    if db_dir is not None and cache.folder is not None:
        db = Path(db_dir).expanduser().resolve()
        if cache.folder.resolve().is_relative_to(db):
            raise ValueError(
                f"cache_dir must not be inside db_dir (the database folder is never written): "
                f"cache folder {cache.folder} is inside {db}"
            )
    return cache


def source_id(reader: Any) -> str:
    """Identity of a Dataset's data source for cache keys: the resolved database folder, or the
    reader's ``repr`` when it has none (synthetic databases; their config is in the key too)."""
    db_dir = getattr(reader, "db_dir", None)
    return f"{type(reader).__name__}:{db_dir if db_dir is not None else repr(reader)}"


def record_files(reader: Any, rec: str) -> list[Path]:
    """Every file the signal of ``rec`` is read from, found without listing a folder.

    ``reader.record_files(rec)`` when the reader defines it; otherwise the record's main file
    (``reader.record_path``), its WFDB header ``<stem>.hea`` with every signal file the header
    names (and, for a multi-segment record, each segment's header and signal files), and
    ``reader.ann_path(rec)`` when the reader has one. Files that do not exist are left out; an
    empty list means the record has no file (synthetic databases).
    """
    own = getattr(reader, "record_files", None)
    if callable(own):
        return sorted({Path(p) for p in own(rec)})
    try:
        path = Path(reader.record_path(rec))
    except (AttributeError, KeyError, NotImplementedError):
        return []
    found = {path}
    stem = path.with_suffix("") if path.is_file() else path
    found |= _wfdb_files(stem, depth=0)
    ann_path = getattr(reader, "ann_path", None)
    if callable(ann_path):
        with contextlib.suppress(Exception):  # a record without annotation file
            found.add(Path(ann_path(rec)))
    return sorted(p for p in found if p.is_file())


def _wfdb_files(stem: Path, depth: int) -> set[Path]:
    """``<stem>.hea`` and the files it names (segments one level down), when it exists."""
    hea = stem.with_name(stem.name + ".hea")
    if not hea.is_file():
        return set()
    files = {hea}
    try:
        header = read_wfdb_header(stem)
    except Exception:  # a malformed header: the reader reports it when the record is read
        return files
    files |= {stem.parent / str(name) for name in getattr(header, "file_name", None) or []}
    if depth == 0:
        for seg in getattr(header, "seg_name", None) or []:
            if seg and seg != "~":
                files |= _wfdb_files(stem.parent / str(seg), depth=1)
    return files


def file_stamp(reader: Any, rec: str) -> list[list[Any]] | None:
    """``[name, size, mtime_ns]`` of each of :func:`record_files` (names relative to the main
    file's folder when inside it), or ``None`` when the record has no file (synthetic)."""
    files = record_files(reader, rec)
    if not files:
        return None
    try:
        base = Path(reader.record_path(rec)).parent
    except (AttributeError, KeyError, NotImplementedError):
        base = files[0].parent
    stamp = []
    for f in files:
        st = f.stat()
        name = str(f.relative_to(base)) if f.is_relative_to(base) else str(f)
        stamp.append([name, st.st_size, st.st_mtime_ns])
    return stamp


def record_description(
    reader: Any,
    rec: str,
    fs: float,
    leads: Sequence[Any],
    preproc: Any,
    a: int = 0,
    b: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The cache description (:func:`cached_array`) of record ``rec`` read from sample ``a`` to
    ``b`` (source samples; default the whole record) of ``reader``, resampled to ``fs`` Hz,
    restricted to ``leads`` and preprocessed by ``preproc`` (its ``repr`` is the key);
    ``extra`` adds fields (e.g. the record's file). The name, size and modification time of
    every file the record is read from (:func:`record_files`: header, signal files, annotation
    file) are part of it, so a record with any file rewritten in place gets a new entry instead
    of a stale one."""
    return {
        "source": source_id(reader),
        "stamp": file_stamp(reader, rec),
        "rec": rec,
        "a": a,
        "b": reader.get_siglen(rec) if b is None else b,
        "src_fs": reader.get_fs(rec),
        "fs": fs,
        "leads": list(leads),
        "preproc": repr(preproc),
        **extra,
    }


def cached_array(
    cache: ArrayCache,
    description: Mapping[str, Any],
    compute: Callable[[], npt.NDArray[np.float32]],
) -> npt.NDArray[np.float32]:
    """``cache.get(description)``, else ``compute()`` stored under ``description``.

    ``description`` must name everything the array depends on (data source, record, window in
    source samples, fs in Hz, leads, preprocessing), so that a changed field gives a new key.
    """
    arr = cache.get(description)
    if arr is None:
        arr = np.ascontiguousarray(compute(), dtype=np.float32)
        cache.put(description, arr)
    return arr


def check_cache_fields(use_cache: Any, cache_dir: Any) -> None:
    """``use_cache`` is a bool and ``cache_dir`` a path or ``None``."""
    if not isinstance(use_cache, bool):
        raise TypeError(f"use_cache must be a bool, got {use_cache!r} ({type(use_cache).__name__})")
    if cache_dir is not None and not isinstance(cache_dir, str | os.PathLike):
        raise TypeError(
            f"cache_dir must be a path (str or os.PathLike) or None, got {type(cache_dir).__name__}"
        )


class ConfiguredDataset(Dataset[_Item], Generic[_IC, _Item]):
    """Base of the Datasets built from a typed config: the config, its ``training`` / ``lazy``
    overrides, ``fs`` (Hz), ``input_len`` (samples), the seeded augmentation of training items
    and the on-disk cache of preprocessed arrays.

    A subclass calls :meth:`_configure` first in its ``__init__``.
    """

    config: _IC
    fs: float
    input_len: int
    training: bool
    _epoch: int
    _disk: ArrayCache

    def _configure(
        self,
        config_cls: type[_IC],
        config: Mapping[str, Any] | _IC,
        training: bool | None,
        lazy: bool | None,
        cache_namespace: str,
    ) -> _IC:
        """Build the config of type ``config_cls`` from ``config`` (mapping or instance, copied),
        apply the ``training`` / ``lazy`` overrides, set ``config``, ``fs``, ``input_len``,
        ``training`` and the preprocessed-array cache ``<cache_dir>/datasets/<cache_namespace>``,
        and return the config."""
        cfg = apply_overrides(config_from(config_cls, config), training, lazy)
        self.config = cfg
        self.fs = cfg.fs
        self.input_len = int(cfg.input_len)
        self.training = cfg.training
        self._epoch = 0
        self._disk = dataset_cache(cfg.use_cache, cfg.cache_dir, cache_namespace, cfg.db_dir)
        return cfg

    def set_epoch(self, epoch: int) -> None:
        """Change the augmentation (and random-crop) draws: they depend on seed, epoch and index."""
        self._epoch = int(epoch)

    def _augment(self, sig: npt.NDArray[np.float32], index: int) -> npt.NDArray[np.float32]:
        """``sig`` (leads, samples at ``fs``) of item ``index`` augmented when training
        (:func:`augment_item`)."""
        cfg = self.config
        return augment_item(sig, self.fs, cfg.augment, self.training, cfg.seed, self._epoch, index)

    def _preprocessed(
        self,
        description: Mapping[str, Any],
        load: Callable[[], npt.NDArray[np.float32]],
    ) -> npt.NDArray[np.float32]:
        """``load()`` (leads, samples at ``fs``) preprocessed by ``config.preproc``, through the
        on-disk cache under ``description`` (:func:`cached_array`)."""
        return cached_array(
            self._disk, description, lambda: apply_preproc(load(), self.fs, self.config.preproc)
        )
