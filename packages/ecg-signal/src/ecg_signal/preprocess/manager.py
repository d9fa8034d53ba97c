"""Preprocessor configs and :class:`PreprocManager`, the configurable preprocessing pipeline.

Example:
    >>> ppm = PreprocManager.from_config(
    ...     {"random": False, "resample": {"fs": 500}, "bandpass": {}, "normalize": {}}
    ... )
    >>> sig, fs = ppm(np.random.rand(12, 80000).astype(np.float32), 200)
    >>> sig.shape, fs
    ((12, 200000), 500.0)

The fixed order is :data:`DEFAULT_ORDER`: baseline removal, notch, band-pass, resample,
normalize (filters run at the original rate, which is cheaper when upsampling; normalization
last so that its statistics are those of the output); ``order`` in the config overrides it. With ``random=True`` the enabled steps run in a random order drawn from a
``numpy.random.Generator`` seeded by ``seed`` (a new order for every call; the same sequence
of orders for the same seed).
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
import torch

from ecg_signal._validation import as_signal, as_tensor_signal, check_fs, check_positive
from ecg_signal.config import config_from
from ecg_signal.preprocess import functional as npf
from ecg_signal.preprocess import torch_functional as tf

__all__ = [
    "DEFAULT_ORDER",
    "BandpassConfig",
    "NotchConfig",
    "ResampleConfig",
    "BaselineRemoveConfig",
    "NormalizeConfig",
    "PreprocConfig",
    "PreprocManager",
]

#: the order in which :class:`PreprocManager` applies its steps when ``random=False``.
DEFAULT_ORDER: tuple[str, ...] = ("baseline_remove", "notch", "bandpass", "resample", "normalize")

_C = TypeVar("_C")


def _build(cls: type[_C], config: Any, what: str) -> _C:
    """Build the step config ``cls`` from a mapping or copy an instance (unknown keys rejected)."""
    built: _C = config_from(cls, config, f"{what} config")
    return built


def _opt_positive(value: Any, name: str, units: str) -> float | None:
    return None if value is None else check_positive(value, name, units=units)


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


@dataclass(slots=True)
class BandpassConfig:
    """Band-pass step: Butterworth edges in Hz (either may be ``None``) and order."""

    lowcut: float | None = 0.5
    highcut: float | None = 45.0
    order: int = 4

    def __post_init__(self) -> None:
        self.lowcut = _opt_positive(self.lowcut, "bandpass.lowcut", "Hz")
        self.highcut = _opt_positive(self.highcut, "bandpass.highcut", "Hz")
        if self.lowcut is None and self.highcut is None:
            raise ValueError("bandpass needs lowcut or highcut (in Hz); both are None")
        if self.lowcut is not None and self.highcut is not None and self.lowcut >= self.highcut:
            raise ValueError(
                f"bandpass needs lowcut < highcut, got lowcut={self.lowcut:g} Hz, "
                f"highcut={self.highcut:g} Hz"
            )
        self.order = _check_int(self.order, "bandpass.order", 1)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | BandpassConfig) -> BandpassConfig:
        """Build from a mapping (unknown keys rejected) or copy an instance."""
        return _build(cls, config, "bandpass")


@dataclass(slots=True)
class NotchConfig:
    """Notch step: powerline frequency in Hz and quality factor."""

    freq: float = 50.0
    q: float = 30.0

    def __post_init__(self) -> None:
        self.freq = check_positive(self.freq, "notch.freq", units="Hz")
        self.q = check_positive(self.q, "notch.q")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | NotchConfig) -> NotchConfig:
        """Build from a mapping (unknown keys rejected) or copy an instance."""
        return _build(cls, config, "notch")


@dataclass(slots=True)
class ResampleConfig:
    """Resample step: the target sampling rate ``fs`` in Hz."""

    fs: float = 500.0

    def __post_init__(self) -> None:
        self.fs = check_fs(self.fs, name="resample.fs")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | ResampleConfig) -> ResampleConfig:
        """Build from a mapping (unknown keys rejected) or copy an instance."""
        return _build(cls, config, "resample")


@dataclass(slots=True)
class BaselineRemoveConfig:
    """Baseline step: ``method="median"`` (cascaded median filters of ``windows`` seconds,
    edge ``mode``) or ``method="polynomial"`` (least-squares detrend of ``degree``)."""

    method: str = "median"
    windows: tuple[float, ...] = (0.2, 0.6)
    mode: str = "nearest"
    degree: int = 1

    def __post_init__(self) -> None:
        if self.method not in ("median", "polynomial"):
            raise ValueError(
                f"baseline_remove.method must be 'median' or 'polynomial', got {self.method!r}"
            )
        if isinstance(self.windows, numbers.Real):
            self.windows = (float(self.windows),)
        if not isinstance(self.windows, Sequence) or isinstance(self.windows, str):
            raise TypeError(
                f"baseline_remove.windows must be a sequence of seconds, got {self.windows!r}"
            )
        self.windows = tuple(
            check_positive(w, f"baseline_remove.windows[{i}]", units="s")
            for i, w in enumerate(self.windows)
        )
        if not self.windows:
            raise ValueError("baseline_remove.windows must hold at least one window (seconds)")
        if self.mode not in npf.MEDIAN_MODES:
            raise ValueError(
                f"baseline_remove.mode must be one of {npf.MEDIAN_MODES}, got {self.mode!r}"
            )
        self.degree = _check_int(self.degree, "baseline_remove.degree", 0)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | BaselineRemoveConfig) -> BaselineRemoveConfig:
        """Build from a mapping (unknown keys rejected) or copy an instance."""
        return _build(cls, config, "baseline_remove")


@dataclass(slots=True)
class NormalizeConfig:
    """Normalize step (see :func:`ecg_signal.preprocess.functional.normalize`)."""

    method: str = "z-score"
    mean: float | tuple[float, ...] = 0.0
    std: float | tuple[float, ...] = 1.0
    per_lead: bool = True

    def __post_init__(self) -> None:
        self.method = npf._check_method(self.method)
        for name in ("mean", "std"):
            value = getattr(self, name)
            if isinstance(value, Sequence) and not isinstance(value, str):
                value = tuple(float(v) for v in value)
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                value = float(value)
            else:
                raise TypeError(
                    f"normalize.{name} must be a number or a sequence (one per lead), got {value!r}"
                )
            arr = np.asarray(value, dtype=np.float64)
            if not np.all(np.isfinite(arr)) or (name == "std" and np.any(arr <= 0)):
                bound = "finite and > 0" if name == "std" else "finite"
                raise ValueError(f"normalize.{name} must be {bound}, got {value!r}")
            setattr(self, name, value)
        if not isinstance(self.per_lead, bool):
            raise TypeError(f"normalize.per_lead must be a bool, got {self.per_lead!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | NormalizeConfig) -> NormalizeConfig:
        """Build from a mapping (unknown keys rejected) or copy an instance."""
        return _build(cls, config, "normalize")


StepConfig = BandpassConfig | NotchConfig | ResampleConfig | BaselineRemoveConfig | NormalizeConfig

_DTYPES: dict[str, tuple[type[np.floating[Any]], torch.dtype]] = {
    "float32": (np.float32, torch.float32),
    "float64": (np.float64, torch.float64),
}

_STEP_CLASSES: dict[str, type[Any]] = {
    "baseline_remove": BaselineRemoveConfig,
    "notch": NotchConfig,
    "bandpass": BandpassConfig,
    "resample": ResampleConfig,
    "normalize": NormalizeConfig,
}


def _step(name: str, value: Any) -> Any:
    """``None``/``False`` disable a step, ``True`` or ``{}`` enable it with defaults."""
    if value is None or value is False:
        return None
    if value is True:
        return _STEP_CLASSES[name]()
    return _STEP_CLASSES[name].from_config(value)


@dataclass(slots=True)
class PreprocConfig:
    """Pipeline config: each step is a config (enabled) or ``None`` (disabled).

    Attributes:
        random: apply the enabled steps in a random order (else ``order``).
        seed: seed of the order generator when ``random``.
        order: the fixed order of the steps, a permutation of step names that lists every
            enabled step; ``None`` means :data:`DEFAULT_ORDER`. For example
            ``("resample", "bandpass", "normalize")`` reproduces torch_ecg, which applies its
            steps in the order of the config's keys (filtering at the new rate is slower when
            upsampling).
        dtype: ``"float32"`` or ``"float64"`` to convert the input first (torch_ecg always
            works in float32; float32 takes the faster resampling path), or ``None`` to keep
            the input's floating dtype.
        baseline_remove, notch, bandpass, resample, normalize: the step configs.
    """

    random: bool = False
    seed: int | None = None
    order: tuple[str, ...] | None = None
    dtype: str | None = None
    baseline_remove: BaselineRemoveConfig | None = None
    notch: NotchConfig | None = None
    bandpass: BandpassConfig | None = None
    resample: ResampleConfig | None = None
    normalize: NormalizeConfig | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.random, (bool, np.bool_)):
            raise TypeError(f"random must be a bool, got {self.random!r}")
        self.random = bool(self.random)
        if self.seed is not None:
            self.seed = _check_int(self.seed, "seed", 0)
        for name in DEFAULT_ORDER:
            setattr(self, name, _step(name, getattr(self, name)))
        if self.order is not None:
            self.order = self._check_order(self.order)
        if self.dtype is not None and self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {tuple(_DTYPES)} or None, got {self.dtype!r}")

    def _check_order(self, order: Any) -> tuple[str, ...]:
        if isinstance(order, str) or not isinstance(order, Sequence):
            raise TypeError(f"order must be a sequence of step names, got {order!r}")
        names = tuple(str(n) for n in order)
        for n in names:
            if n not in DEFAULT_ORDER:
                close = difflib.get_close_matches(n, DEFAULT_ORDER, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"order holds unknown step {n!r}{hint} (steps: {', '.join(DEFAULT_ORDER)})"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"order must not repeat a step, got {names!r}")
        missing = [n for n in DEFAULT_ORDER if getattr(self, n) is not None and n not in names]
        if missing:
            raise ValueError(f"order {names!r} misses the enabled step(s) {missing!r}")
        return names

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | PreprocConfig) -> PreprocConfig:
        """Build from a mapping such as ``{"random": False, "resample": {"fs": 500},
        "bandpass": {}}`` (unknown keys rejected, naming the allowed ones) or copy an instance.

        ``detrend`` (the seed API's name of the step) is accepted as an alias of
        ``baseline_remove``.
        """
        if isinstance(config, Mapping) and "detrend" in config:
            if "baseline_remove" in config:
                raise ValueError(
                    "give either 'baseline_remove' or its alias 'detrend' in the preprocessing "
                    "config, not both"
                )
            config = {("baseline_remove" if k == "detrend" else k): v for k, v in config.items()}
        return _build(cls, config, "preprocessing")


Signal = npt.NDArray[Any]


@dataclass(slots=True)
class PreprocManager:
    """Applies the enabled preprocessing steps to numpy arrays or torch tensors.

    ``ppm(sig, fs) -> (sig, new_fs)`` accepts ``(samples,)``, ``(leads, samples)`` or
    ``(batch, leads, samples)``; a numpy array goes through
    :mod:`ecg_signal.preprocess.functional` (scipy) and a tensor through
    :mod:`ecg_signal.preprocess.torch_functional` (same filters, any device, dtype kept).
    """

    config: PreprocConfig = field(default_factory=PreprocConfig)
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.config, PreprocConfig):
            raise TypeError(f"config must be a PreprocConfig, got {type(self.config).__name__}")
        self._rng = np.random.default_rng(self.config.seed)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | PreprocConfig) -> PreprocManager:
        """Build a manager from a mapping (e.g. ``CFG``) or a :class:`PreprocConfig`."""
        return cls(PreprocConfig.from_config(config))

    @property
    def steps(self) -> tuple[str, ...]:
        """The enabled steps in their fixed order (``config.order`` or :data:`DEFAULT_ORDER`)."""
        order = self.config.order if self.config.order is not None else DEFAULT_ORDER
        return tuple(n for n in order if getattr(self.config, n) is not None)

    @property
    def empty(self) -> bool:
        """Whether no step is enabled."""
        return not self.steps

    def seed(self, seed: int | None) -> None:
        """Re-seed the generator of the random order."""
        self._rng = np.random.default_rng(seed)

    def next_order(self) -> tuple[str, ...]:
        """The order of the next call: fixed, or a fresh permutation when ``random``."""
        steps = self.steps
        if not self.config.random or len(steps) < 2:
            return steps
        perm = self._rng.permutation(len(steps))
        return tuple(steps[int(i)] for i in perm)

    @overload
    def __call__(self, sig: torch.Tensor, fs: float) -> tuple[torch.Tensor, float]: ...

    @overload
    def __call__(self, sig: npt.ArrayLike, fs: float) -> tuple[Signal, float]: ...

    def __call__(self, sig: Any, fs: float) -> tuple[Any, float]:
        """Preprocess ``sig`` sampled at ``fs`` Hz; return the result and its sampling rate."""
        fs = check_fs(fs)
        is_tensor = isinstance(sig, torch.Tensor)
        x: Any = as_tensor_signal(sig) if is_tensor else as_signal(sig)
        if self.config.dtype is not None:
            np_dt, torch_dt = _DTYPES[self.config.dtype]
            x = x.to(torch_dt) if is_tensor else x.astype(np_dt, copy=False)
        if not self.steps:
            return (x.clone() if is_tensor else np.array(x, copy=True)), fs
        for name in self.next_order():
            x, fs = self._apply(name, x, fs, is_tensor)
        return x, fs

    def _apply(self, name: str, x: Any, fs: float, is_tensor: bool) -> tuple[Any, float]:
        cfg = getattr(self.config, name)
        lib: Any = tf if is_tensor else npf
        if name == "bandpass":
            return lib.bandpass(x, fs, cfg.lowcut, cfg.highcut, cfg.order), fs
        if name == "notch":
            return lib.notch(x, fs, cfg.freq, cfg.q), fs
        if name == "resample":
            up, down = npf.resample_ratio(fs, cfg.fs)
            if is_tensor:
                return tf.resample_poly(x, up, down), fs * up / down
            return npf.resample(x, fs, cfg.fs), fs * up / down
        if name == "baseline_remove":
            if cfg.method == "polynomial":
                return lib.detrend_polynomial(x, cfg.degree), fs
            return lib.baseline_remove(x, fs, cfg.windows, cfg.mode), fs
        return lib.normalize(x, cfg.method, cfg.mean, cfg.std, cfg.per_lead), fs

    def __repr__(self) -> str:
        order = "random" if self.config.random else " -> ".join(self.steps) or "(no step)"
        return f"PreprocManager({order})"
