"""The :class:`Augmenter` base class shared by every ECG augmenter.

Every augmenter is a :class:`torch.nn.Module` with one signature::

    sig, label, *extras = aug(sig, label, *extras)

``sig`` has shape ``(batch, leads, samples)``; ``label`` (optional) has shape ``(batch, n_classes)``
or ``(batch, samples, n_classes)``; extra tensors (masks, ...) share the batch dimension. The
returned tuple always has the same length as the positional inputs plus the label slot, with
``label`` possibly ``None``.

Randomness is drawn from the augmenter's own :class:`torch.Generator` (seeded with ``seed``), so a
fixed seed reproduces a result bit for bit. Augmenters are the identity in ``eval()`` mode, never
modify their inputs unless ``inplace=True``, and keep device and dtype.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

import torch
from torch import nn

from ecg_signal._validation import as_tensor_signal, check_probability
from ecg_signal.augment._config import as_dict
from ecg_signal.config import config_from

__all__ = ["Augmenter", "AugmentOutput", "check_inputs"]

AugmentOutput = tuple[Any, ...]
"""``(sig, label, *extras)``: tensors, with ``label`` possibly ``None``."""


class Augmenter(nn.Module):
    """Base class of the augmenters.

    Args:
        prob: probability in ``[0, 1]`` that a given batch element (or lead) is augmented.
        inplace: modify the input tensors in place instead of returning new ones.
        seed: seed of the augmenter's private random generator; ``None`` draws a seed from
            torch's global generator (so ``torch.manual_seed`` still makes runs repeatable).
        generator: a :class:`torch.Generator` (on CPU) to use instead of a private one.
            Sharing one generator between augmenters is allowed.

    Subclasses implement :meth:`_augment` (computing out of place unless ``self.inplace``) and
    get the input checks, the eval-mode and ``prob=0`` identity from :meth:`forward`.
    """

    name: ClassVar[str] = "augmenter"
    config_class: ClassVar[type[Any] | None] = None

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | object | None = None, **overrides: Any
    ) -> Self:
        """Build the augmenter from a mapping (e.g. a ``CFG``) or its config dataclass.

        Unknown keys raise ``ValueError`` naming the key and the allowed keys; ``overrides``
        take precedence over ``config``.
        """
        if cls.config_class is None:
            raise TypeError(f"{cls.__name__} has no config class")
        cfg = config_from(cls.config_class, {**as_dict(config), **overrides}, f"{cls.name} config")
        return cls(**as_dict(cfg))

    def __init__(
        self,
        prob: float = 0.5,
        inplace: bool = False,
        *,
        seed: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.prob = check_probability(prob, "prob")
        if not isinstance(inplace, bool):
            raise TypeError(f"inplace must be a bool, got {inplace!r}")
        self.inplace = inplace
        if generator is not None and seed is not None:
            raise ValueError("give either seed or generator, not both")
        if generator is not None:
            if not isinstance(generator, torch.Generator):
                raise TypeError(
                    f"generator must be a torch.Generator, got {type(generator).__name__}"
                )
            self.generator = generator
        else:
            self.generator = torch.Generator()
            if seed is None:
                seed = int(torch.randint(0, 2**62, (1,)).item())
            self.manual_seed(seed)

    # ------------------------------------------------------------------ randomness
    def manual_seed(self, seed: int) -> None:
        """Reset the augmenter's generator to ``seed`` (an int)."""
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {seed!r}")
        self.generator.manual_seed(seed)

    def _rand(self, *shape: int) -> torch.Tensor:
        """Uniform ``[0, 1)`` float64 numbers of ``shape`` from the private generator (CPU)."""
        return torch.rand(shape, generator=self.generator, dtype=torch.float64)

    def _randn(self, *shape: int) -> torch.Tensor:
        """Standard normal float64 numbers of ``shape`` from the private generator (CPU)."""
        return torch.randn(shape, generator=self.generator, dtype=torch.float64)

    def get_indices(self, prob: float, pop_size: int) -> torch.Tensor:
        """Draw the indices (sorted, int64, CPU) of the elements of ``range(pop_size)`` to augment.

        Exactly ``round(prob * pop_size)`` distinct indices are drawn without replacement
        (``prob=0`` gives none, ``prob=1`` gives all); torch_ecg instead draws the count from
        ``N(prob * pop_size, (0.1 pop_size)^2)``, which makes ``prob`` only approximate.

        Args:
            prob: the fraction of the population to select, in ``[0, 1]``.
            pop_size: the population size (batch size or number of leads), ``>= 0``.
        """
        p = check_probability(prob, "prob")
        if isinstance(pop_size, bool) or not isinstance(pop_size, int) or pop_size < 0:
            raise ValueError(f"pop_size must be an int >= 0, got {pop_size!r}")
        k = int(round(p * pop_size))
        if k == 0:
            return torch.empty(0, dtype=torch.int64)
        if k == pop_size:
            return torch.arange(pop_size, dtype=torch.int64)
        perm = torch.randperm(pop_size, generator=self.generator)
        return perm[:k].sort().values

    def get_mask(self, prob: float, *shape: int) -> torch.Tensor:
        """Bernoulli(``prob``) boolean mask of ``shape`` (CPU) from the private generator."""
        p = check_probability(prob, "prob")
        return self._rand(*shape) < p

    def select_rows(self, prob: float, rows: int, cols: int) -> torch.Tensor:
        """Boolean ``(rows, cols)`` mask (CPU) with exactly ``round(prob * cols)`` True per row.

        The vectorised form of calling :meth:`get_indices` once per row (e.g. leads per batch
        element): each row's True positions are a uniformly random subset.
        """
        p = check_probability(prob, "prob")
        k = int(round(p * cols))
        if k == 0:
            return torch.zeros(rows, cols, dtype=torch.bool)
        if k == cols:
            return torch.ones(rows, cols, dtype=torch.bool)
        # small index work runs in numpy: torch's threaded sort is slow on tiny inputs
        u = self._rand(rows, cols).numpy()
        ranks = u.argsort(axis=1).argsort(axis=1)
        return torch.from_numpy(ranks < k)

    def batch_mask(self, prob: float, batch: int) -> torch.Tensor:
        """Boolean ``(batch,)`` mask (CPU) marking the :meth:`get_indices` of the batch."""
        mask = torch.zeros(batch, dtype=torch.bool)
        mask[self.get_indices(prob, batch)] = True
        return mask

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        sig: torch.Tensor,
        label: torch.Tensor | None = None,
        *extra: torch.Tensor,
        **kwargs: Any,
    ) -> AugmentOutput:
        """Check the inputs and augment a batch (the identity in ``eval()`` mode).

        Args:
            sig: the signals, shape ``(batch, leads, samples)``, floating point, finite.
            label: optional labels, shape ``(batch, n_classes)`` or ``(batch, samples, n_classes)``.
            *extra: optional extra tensors sharing the batch dimension (e.g. masks of shape
                ``(batch, samples, k)``).
            **kwargs: augmenter-specific options.

        Returns:
            ``(sig, label, *extra)``, with the same shapes, dtypes and devices as the inputs.

        Raises:
            TypeError: ``sig`` is not a floating-point tensor, or label/extras are not tensors.
            ValueError: ``sig`` is not 3-D, is empty, holds NaN/inf, or a label/extra tensor does
                not share its batch size.
        """
        check_inputs(sig, label, extra)
        return self.augment(sig, label, *extra, **kwargs)

    def augment(
        self,
        sig: torch.Tensor,
        label: torch.Tensor | None = None,
        *extra: torch.Tensor,
        **kwargs: Any,
    ) -> AugmentOutput:
        """:meth:`forward` without the input checks (the manager checks once for all)."""
        if not self.training or self.prob == 0.0:
            return (sig, label, *extra)
        return self._augment(sig, label, *extra, **kwargs)

    def augment_owned(
        self,
        sig: torch.Tensor,
        label: torch.Tensor | None = None,
        *extra: torch.Tensor,
        **kwargs: Any,
    ) -> AugmentOutput:
        """:meth:`augment` on tensors the caller owns: always works in place (no copies).

        Used by :class:`~ecg_signal.augment.manager.AugmenterManager`, which copies the inputs
        once and then lets every augmenter modify the copies.
        """
        saved = self.inplace
        self.inplace = True
        try:
            return self.augment(sig, label, *extra, **kwargs)
        finally:
            self.inplace = saved

    def _augment(
        self, sig: torch.Tensor, label: torch.Tensor | None, *extra: torch.Tensor, **kwargs: Any
    ) -> AugmentOutput:
        """Return the augmented tensors without modifying the inputs; subclasses override.

        Subclasses compute new tensors out of place and pass them through :meth:`_finish`, which
        writes them back into the inputs when ``inplace=True``.
        """
        raise NotImplementedError

    def _finish(self, orig: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
        """Return ``new``, or copy it into ``orig`` and return ``orig`` when ``inplace``."""
        if self.inplace and not (
            new.data_ptr() == orig.data_ptr() and new.stride() == orig.stride()
        ):
            orig.copy_(new)
            return orig
        return new

    def extra_repr(self) -> str:
        return f"prob={self.prob:g}, inplace={self.inplace}"


def check_inputs(sig: Any, label: Any, extra: tuple[Any, ...]) -> None:
    """Check ``sig`` (3-D floating, finite) and that label and extras share its batch size.

    The finiteness check takes one pass (a sum, which NaN/inf always make non-finite); the
    element-wise check that names the first bad index only runs when that sum is not finite.
    """
    as_tensor_signal(sig, name="sig", ndim=(3,), finite=False)
    if not bool(torch.isfinite(sig.sum())):
        as_tensor_signal(sig, name="sig", ndim=(3,), finite=True)
    batch = int(sig.shape[0])
    if label is not None:
        _check_batch(label, "label", batch)
    for i, t in enumerate(extra):
        _check_batch(t, f"extra tensor #{i}", batch)


def _check_batch(t: Any, name: str, batch: int) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.ndim == 0 or t.shape[0] != batch:
        raise ValueError(
            f"{name} must have the batch size {batch} as first dimension, got shape {tuple(t.shape)}"
        )
