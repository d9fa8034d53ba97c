"""Trainer states as safetensors files: tensors in the tensor table, everything else as JSON.

A state (nested dicts, lists, tuples, ``None``, bools, ints, floats, strings, torch tensors and
numpy arrays or scalars) is split into a table of tensors and a JSON tree that refers to them by
name. Both parts are pure data: loading a file never imports or calls anything named in it, so
a crafted file can at worst be refused. Values round-trip exactly (floats through their shortest
repr, tensors byte for byte, numpy arrays through their raw bytes and dtype), dict keys keep
their types and order, tuples stay tuples.

JSON tags of the tree (every container is tagged, so no user key can be mistaken for a tag):
``{"$dict": [[key, value], ...]}``, ``{"$tuple": [...]}``, ``{"$tensor": name}``,
``{"$ndarray": name, "dtype": str, "shape": [...]}``; lists, strings, numbers, booleans and
``null`` are themselves.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

__all__ = ["encode_state", "decode_state", "state_to_bytes", "read_state", "METADATA_KEY"]

METADATA_KEY = "ecg_train_state"
_TAGS = ("$dict", "$tuple", "$tensor", "$ndarray")


def encode_state(obj: object) -> tuple[dict[str, torch.Tensor], str]:
    """Split ``obj`` into ``(tensors, json_tree)``.

    Raises:
        TypeError: a value of another type (its path in ``obj`` is named).
    """
    tensors: dict[str, torch.Tensor] = {}

    def enc(value: object, where: str) -> Any:
        if isinstance(value, np.generic):  # before float: np.float64 subclasses it
            return enc(np.asarray(value), where) | {"scalar": True}
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, torch.Tensor):
            name = f"t{len(tensors)}"
            # own storage for every entry: safetensors refuses tensors that share memory
            tensors[name] = value.detach().to("cpu", copy=True).contiguous()
            return {"$tensor": name}
        if isinstance(value, np.ndarray):
            arr = np.asarray(value, order="C")
            if arr.dtype.hasobject:
                raise TypeError(f"{where}: numpy arrays of Python objects cannot be stored")
            name = f"t{len(tensors)}"
            raw = np.frombuffer(arr.tobytes(), dtype=np.uint8).copy()
            tensors[name] = torch.from_numpy(raw)
            return {
                "$ndarray": name,
                "dtype": arr.dtype.str,
                "shape": list(arr.shape),
                "scalar": False,
            }
        if isinstance(value, tuple):
            return {"$tuple": [enc(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [enc(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {
                "$dict": [
                    [enc(k, f"{where} key"), enc(v, f"{where}[{k!r}]")] for k, v in value.items()
                ]
            }
        raise TypeError(
            f"{where}: cannot store a {type(value).__name__} in a checkpoint (allowed: dict, "
            "list, tuple, None, bool, int, float, str, torch.Tensor, numpy array)"
        )

    tree = enc(obj, "state")
    return tensors, json.dumps(tree, allow_nan=True, separators=(",", ":"))


def decode_state(tensors: dict[str, torch.Tensor], text: str) -> Any:
    """Inverse of :func:`encode_state`: the tree of ``text`` (JSON) with its tensor references
    replaced by the tensors of ``tensors`` (name -> tensor, any shape).

    Raises:
        ValueError: a malformed tree, or a reference to a missing tensor.
    """

    def dec(node: Any) -> Any:
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            return [dec(v) for v in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise ValueError(f"malformed state node {str(node)[:80]!r}")
        tag = next((t for t in _TAGS if t in node), None)
        if tag == "$dict" and len(node) == 1 and isinstance(node[tag], list):
            out: dict[Any, Any] = {}
            for pair in node[tag]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ValueError("malformed state dict entry (expected [key, value])")
                key = dec(pair[0])
                if isinstance(key, dict | list):
                    raise ValueError("malformed state dict key (a container)")
                out[key] = dec(pair[1])
            return out
        if tag == "$tuple" and len(node) == 1 and isinstance(node[tag], list):
            return tuple(dec(v) for v in node[tag])
        if tag == "$tensor" and len(node) == 1:
            return _tensor(node[tag])
        if tag == "$ndarray" and set(node) == {"$ndarray", "dtype", "shape", "scalar"}:
            raw = _tensor(node["$ndarray"])
            try:
                dtype = np.dtype(str(node["dtype"]))
            except TypeError as exc:
                raise ValueError(f"malformed numpy dtype {node['dtype']!r}") from exc
            if dtype.hasobject or raw.dtype != torch.uint8:
                raise ValueError(f"malformed numpy entry (dtype {dtype}, storage {raw.dtype})")
            shape = tuple(int(s) for s in node["shape"])
            if math.prod(shape) * dtype.itemsize != raw.numel():
                raise ValueError(f"numpy entry of shape {shape} does not match its bytes")
            arr = np.frombuffer(raw.numpy().tobytes(), dtype=dtype).reshape(shape).copy()
            return arr[()] if node["scalar"] else arr
        raise ValueError(f"malformed state node with keys {sorted(node)[:5]}")

    def _tensor(name: object) -> torch.Tensor:
        if not isinstance(name, str) or name not in tensors:
            raise ValueError(f"state refers to a missing tensor {name!r}")
        return tensors[name]

    try:
        tree = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the state's JSON part is invalid: {exc}") from exc
    return dec(tree)


def state_to_bytes(obj: object) -> bytes:
    """``obj`` as the bytes of a safetensors file (JSON tree in the metadata)."""
    tensors, text = encode_state(obj)
    return st_save(tensors, metadata={METADATA_KEY: text})


def read_state(path: str | os.PathLike[str]) -> Any:
    """Read a file written from :func:`state_to_bytes`.

    Raises:
        ValueError: not a safetensors file of this format (e.g. a pickle), or a damaged one.
    """
    p = Path(path)
    try:
        with safe_open(str(p), framework="pt", device="cpu") as fh:  # type: ignore[no-untyped-call]
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118 - not a dict
    except (SafetensorError, OSError, RuntimeError) as exc:
        head = b""
        if p.is_file():
            with p.open("rb") as raw:
                head = raw.read(2)
        hint = (
            " (it looks like a pickled torch.save file: those are refused because unpickling "
            "can run code)"
            if head in (b"PK", b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")
            else ""
        )
        raise ValueError(f"{p} is not a safetensors trainer state{hint}: {exc}") from exc
    if METADATA_KEY not in meta:
        raise ValueError(f"{p} is a safetensors file without an ecg_train state")
    try:
        return decode_state(tensors, meta[METADATA_KEY])
    except ValueError as exc:
        raise ValueError(f"{p}: {exc}") from exc
