"""``AugmenterManager``: a configurable chain of augmenters (torch_ecg's ``AugmenterManager``).

Order: the augmenters run in the order of their keys in the config mapping (for a
:class:`AugmenterManagerConfig`, in its field order: baseline_wander, label_smooth, mixup,
random_flip, random_masking, random_renormalize, stretch_compress, cutmix, random_artefacts,
coloured_noise), or
in a fresh random order on every call when ``random=True`` (drawn from the manager's seedable generator).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ecg_signal.augment._config import as_dict, check_fs_opt, check_seed
from ecg_signal.augment.artefacts import RandomArtefacts
from ecg_signal.augment.base import Augmenter, AugmentOutput, check_inputs
from ecg_signal.augment.baseline_wander import BaselineWander
from ecg_signal.augment.coloured_noise import ColouredNoise
from ecg_signal.augment.cutmix import CutMix
from ecg_signal.augment.label_smooth import LabelSmooth
from ecg_signal.augment.mixup import Mixup
from ecg_signal.augment.random_flip import RandomFlip
from ecg_signal.augment.random_masking import RandomMasking
from ecg_signal.augment.random_renormalize import RandomRenormalize
from ecg_signal.augment.stretch_compress import StretchCompress
from ecg_signal.config import check_keys, config_fields, config_from, unknown_key_error

__all__ = ["AUGMENTERS", "AugmenterManager", "AugmenterManagerConfig", "get_augmenter"]

AUGMENTERS: dict[str, type[Augmenter]] = {
    "baseline_wander": BaselineWander,
    "label_smooth": LabelSmooth,
    "mixup": Mixup,
    "random_flip": RandomFlip,
    "random_masking": RandomMasking,
    "random_renormalize": RandomRenormalize,
    "stretch_compress": StretchCompress,
    "cutmix": CutMix,
    "random_artefacts": RandomArtefacts,
    "coloured_noise": ColouredNoise,
}
"""The registry of augmenters by exact config name."""

_AugSpec = Mapping[str, Any] | bool | None | object


def get_augmenter(name: str) -> type[Augmenter]:
    """The augmenter class registered as ``name`` (close matches are suggested on a miss)."""
    if name not in AUGMENTERS:
        raise unknown_key_error(name, list(AUGMENTERS), "augmenter")
    return AUGMENTERS[name]


@dataclass(slots=True)
class AugmenterManagerConfig:
    """Configuration of :class:`AugmenterManager`.

    Attributes:
        random: apply the augmenters in a random order on every call.
        fs: sampling rate in Hz, given to every augmenter whose config does not set it.
        seed: seed of the manager; each augmenter without its own seed gets one derived from it,
            so one seed reproduces the whole pipeline bit for bit. None: torch's global RNG.
        baseline_wander, label_smooth, mixup, random_flip, random_masking: ``None``/``False`` to
            leave an augmenter out, ``{}``/``True`` for its defaults, or a mapping / config
            dataclass of its options.
        random_renormalize, stretch_compress, cutmix, random_artefacts, coloured_noise: the same.
    """

    random: bool = False
    fs: float | None = None
    seed: int | None = None
    baseline_wander: _AugSpec = None
    label_smooth: _AugSpec = None
    mixup: _AugSpec = None
    random_flip: _AugSpec = None
    random_masking: _AugSpec = None
    random_renormalize: _AugSpec = None
    stretch_compress: _AugSpec = None
    cutmix: _AugSpec = None
    random_artefacts: _AugSpec = None
    coloured_noise: _AugSpec = None

    def __post_init__(self) -> None:
        if not isinstance(self.random, bool):
            raise TypeError(f"random must be a bool, got {self.random!r}")
        self.fs = check_fs_opt(self.fs)
        self.seed = check_seed(self.seed)
        for name in AUGMENTERS:
            spec = getattr(self, name)
            if spec is None or isinstance(spec, (bool, Mapping)):
                continue
            cfg_cls = AUGMENTERS[name].config_class
            if cfg_cls is None or not isinstance(spec, cfg_cls):
                raise TypeError(
                    f"{name} must be None, a bool, a mapping or a {getattr(cfg_cls, '__name__', '?')}, "
                    f"got {type(spec).__name__}"
                )


def _derived_seed(seed: int, name: str) -> int:
    """A per-augmenter seed derived from the manager's seed and the augmenter's name."""
    h = 0
    for ch in name:
        h = (h * 131 + ord(ch)) % (2**31)
    return (seed * 0x9E3779B1 + h) % (2**62)


class AugmenterManager(nn.Module):
    """Apply a chain of augmenters to ``(sig, label, *extra)``.

    Args:
        *augs: the augmenters, applied in this order (unless ``random``).
        random: shuffle the order on every call.
        seed: seed of the manager's generator (the random order).

    Shapes:
        ``sig``: ``(batch, leads, samples)``; ``label``: ``(batch, n_classes)`` or
        ``(batch, samples, n_classes)``; extras: ``(batch, ...)``, e.g. masks ``(batch, samples, k)``.

    Example:
        >>> am = AugmenterManager.from_config(dict(random=False, fs=500, mixup={}, random_flip={}))
        >>> sig, label, mask = am(torch.rand(2, 12, 5000), torch.rand(2, 26), torch.rand(2, 5000, 1))
    """

    def __init__(self, *augs: Augmenter, random: bool = False, seed: int | None = None) -> None:
        super().__init__()
        for a in augs:
            if not isinstance(a, Augmenter):
                raise TypeError(f"augmenters must be Augmenter instances, got {type(a).__name__}")
        if not isinstance(random, bool):
            raise TypeError(f"random must be a bool, got {random!r}")
        self.random = random
        self.augmenters = nn.ModuleList(list(augs))
        self.generator = torch.Generator()
        s = check_seed(seed)
        self.generator.manual_seed(int(torch.randint(0, 2**62, (1,)).item()) if s is None else s)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | AugmenterManagerConfig) -> AugmenterManager:
        """Build a manager from a mapping (e.g. ``CFG``) with the keys of :class:`AugmenterManagerConfig`.

        Unknown keys raise ``ValueError`` naming the key and the allowed keys. The augmenters
        run in the mapping's key order.
        """
        if isinstance(config, Mapping):
            check_keys(config, config_fields(AugmenterManagerConfig), "AugmenterManager key")
            order = [k for k in config if k in AUGMENTERS]
        else:
            order = list(AUGMENTERS)
        cfg = config_from(AugmenterManagerConfig, config, "AugmenterManager")
        augs: list[Augmenter] = []
        for name in order:
            spec = getattr(cfg, name)
            if spec is None or spec is False:
                continue
            opts = {} if spec is True else as_dict(spec)
            aug_cls = AUGMENTERS[name]
            if "fs" in _fields(aug_cls) and opts.get("fs") is None and cfg.fs is not None:
                opts["fs"] = cfg.fs
            if opts.get("seed") is None and cfg.seed is not None:
                opts["seed"] = _derived_seed(cfg.seed, name)
            augs.append(aug_cls.from_config(opts))
        return cls(*augs, random=cfg.random, seed=cfg.seed)

    def ordering(self) -> list[int]:
        """The order of the next call (random draws advance the manager's generator)."""
        n = len(self.augmenters)
        if self.random and n > 1:
            return [int(i) for i in torch.randperm(n, generator=self.generator)]
        return list(range(n))

    def forward(
        self,
        sig: torch.Tensor,
        label: torch.Tensor | None = None,
        *extra: torch.Tensor,
        **kwargs: Any,
    ) -> AugmentOutput:
        """Check the inputs once and run them through the augmenters.

        Returns:
            ``(sig, label, *extra)`` with the input shapes, dtypes and devices (``label`` may be
            None). The inputs are never modified unless an augmenter has ``inplace=True``.
        """
        check_inputs(sig, label, extra)
        if not self.training:
            return (sig, label, *extra)
        augs: Sequence[Any] = list(self.augmenters)
        order = self.ordering()
        if not augs:
            return (sig, label, *extra)
        if all(a.inplace for a in augs):
            out: AugmentOutput = (sig, label, *extra)
        else:
            # copy once, then let every augmenter work in place on the copies
            out = (
                sig.clone(),
                None if label is None else label.clone(),
                *(t.clone() for t in extra),
            )
        for i in order:
            out = augs[i].augment_owned(*out, **kwargs)
        return out

    def extra_repr(self) -> str:
        return f"random={self.random}"


def _fields(aug_cls: type[Augmenter]) -> list[str]:
    cfg_cls = aug_cls.config_class
    return [] if cfg_cls is None else [f.name for f in dataclasses.fields(cfg_cls)]
