"""Writing a pretrained entry's files: the safetensors checkpoint and its JSON card."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecg_models.pretrained._registry import (
    CARD_FORMAT_VERSION,
    MAX_WEIGHTS_BYTES,
    PretrainedError,
    check_card,
    weights_dir,
)

__all__ = ["save_pretrained"]


def save_pretrained(
    model: Any,
    name: str,
    *,
    task: str,
    summary: str,
    training_data: str,
    scores: Mapping[str, float],
    provenance: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Write ``<name>.safetensors`` (``model.save``) and ``<name>.json`` (the card) into
    ``out_dir`` (default: the package's ``weights/`` folder, i.e. the source tree in an editable
    install). Returns the card's path.

    Args:
        model: a :class:`~ecg_models.TaskModel`.
        name: the registry name.
        task, summary, training_data, scores, provenance, config: the card's fields (see
            :class:`~ecg_models.pretrained.PretrainedInfo`); ``provenance`` needs ``command``
            (``ecg-bench run ...``), ``data``, ``seed`` and ``commit``.

    Raises:
        PretrainedError: the card does not validate or the weights exceed 5 MB.
    """
    folder = Path(out_dir) if out_dir is not None else weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{name}.safetensors"
    tmp = folder / f".{name}.safetensors.tmp"
    model.save(tmp)
    size = tmp.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        tmp.unlink()
        raise PretrainedError(f"{name}: weights are {size} bytes, over {MAX_WEIGHTS_BYTES}")
    card = {
        "format_version": CARD_FORMAT_VERSION,
        "name": name,
        "task": task,
        "summary": summary,
        "training_data": training_data,
        "sha256": hashlib.sha256(tmp.read_bytes()).hexdigest(),
        "scores": {str(k): float(v) for k, v in scores.items()},
        "provenance": dict(provenance),
        "config": dict(config or {}),
    }
    check_card(card, name)
    os.replace(tmp, weights)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(card, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
