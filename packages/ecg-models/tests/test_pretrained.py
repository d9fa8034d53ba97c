"""ecg_models.pretrained: the windowing helper, the card schema, the registry, and every shipped
entry (card valid, weights <= 5 MB with the card's SHA-256, loads)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecg_models.pretrained import (
    MAX_WEIGHTS_BYTES,
    PretrainedError,
    _registry,
    list_pretrained,
    load_pretrained,
    save_pretrained,
    stitch_windows,
    window_starts,
)


def test_window_starts_by_hand() -> None:
    assert window_starts(10, 4, 2).tolist() == [0, 2, 4, 6]
    assert window_starts(11, 4, 2).tolist() == [0, 2, 4, 6, 7]  # the last ends at 11
    assert window_starts(3, 4, 2).tolist() == [0]
    assert window_starts(4, 4, 0).tolist() == [0]
    with pytest.raises(ValueError, match="overlap"):
        window_starts(10, 4, 4)
    with pytest.raises(ValueError, match="n_samples"):
        window_starts(0, 4, 2)


def test_stitch_windows_matches_the_direct_computation() -> None:
    x = np.random.default_rng(0).standard_normal((2, 1003)).astype(np.float32)

    def fn(b: np.ndarray) -> np.ndarray:  # (batch, 2, 80) -> (batch, 20, 1): decimate lead 0
        return b[:, 0, ::4, None] + b[:, 1, ::4, None]

    got = stitch_windows(x, 80, 24, fn, reduction=4, batch_size=3)
    want = (x[0, ::4] + x[1, ::4])[:, None]
    assert got.shape == (251, 1)  # ceil(1003 / 4)
    np.testing.assert_array_equal(got, want)
    short = stitch_windows(x[:, :30], 80, 24, fn, reduction=4)  # zero-padded to one window
    np.testing.assert_array_equal(short, want[:8])


def test_stitch_windows_keeps_the_middle_of_each_window() -> None:
    window, overlap = 100, 40

    def edge_distance(b: np.ndarray) -> np.ndarray:
        j = np.arange(window)
        d = np.minimum(j, window - 1 - j).astype(np.float32)
        return np.broadcast_to(d[None, :, None], (b.shape[0], window, 1)).copy()

    got = stitch_windows(np.zeros((1, 1000), np.float32), window, overlap, edge_distance)[:, 0]
    # away from the signal's ends every step is at least overlap / 2 - 1 from a window edge
    assert got[overlap // 2 : -overlap // 2].min() >= overlap // 2 - 1
    with pytest.raises(ValueError, match="multiples of reduction"):
        stitch_windows(np.zeros((1, 100), np.float32), 50, 10, edge_distance, reduction=4)
    with pytest.raises(ValueError, match=r"\(leads, samples\)"):
        stitch_windows(np.zeros(100, np.float32), 50, 10, edge_distance)


def _plain_stitch(x: np.ndarray, window: int, overlap: int, fn, reduction: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The plain computation: every window zero-padded and run alone, the middle kept."""
    n = x.shape[-1]
    n_pad = max(window, -(-n // reduction) * reduction)
    starts = window_starts(n_pad, window, overlap).tolist()
    w_out = window // reduction
    out = None
    for j, s in enumerate(starts):
        win = np.zeros((1, x.shape[0], window), np.float32)
        part = x[:, s : min(n, s + window)]
        win[0, :, : part.shape[-1]] = part
        y = fn(win)[0]
        if out is None:
            out = np.full((n_pad // reduction, y.shape[-1]), np.nan, np.float32)
        o = s // reduction
        lo = 0 if j == 0 else (starts[j - 1] // reduction + w_out + o) // 2 - o
        hi = w_out if j == len(starts) - 1 else (o + w_out + starts[j + 1] // reduction) // 2 - o
        out[o + lo : o + hi] = y[lo:hi]
    assert out is not None and not np.isnan(out).any()  # the kept parts cover every step
    return out[: -(-n // reduction)]


@pytest.mark.parametrize(
    ("n", "window", "overlap", "reduction", "batch_size"),
    [(1003, 80, 24, 4, 3), (5000, 96, 16, 8, 7), (96, 96, 16, 8, 2), (97, 96, 16, 8, 2),
     (50, 96, 16, 8, 2), (4321, 100, 0, 1, 64), (2600, 250, 50, 2, 1), (2600, 250, 248, 2, 5)],
)  # fmt: skip
def test_stitch_windows_equals_the_plain_computation(
    n: int, window: int, overlap: int, reduction: int, batch_size: int
) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal((2, n)).astype(np.float32)
    w_out = window // reduction
    mix = rng.standard_normal((w_out, 2 * window)) / window

    def fn(b: np.ndarray) -> np.ndarray:  # every output step depends on the whole window
        y = np.tanh(b.reshape(b.shape[0], -1).astype(np.float64) @ mix.T)
        return (y[:, :, None] * np.array([1, -2, 3])).astype(np.float32)

    got = stitch_windows(x, window, overlap, fn, reduction, batch_size)
    np.testing.assert_allclose(got, _plain_stitch(x, window, overlap, fn, reduction), atol=1e-6)
    calls: list[tuple[int, int, int]] = []

    def kept_fn(b: np.ndarray, lo: int, hi: int) -> np.ndarray:  # the steps lo..hi-1 of fn
        calls.append((b.shape[0], lo, hi))
        return fn(b)[:, lo:hi]

    narrow = stitch_windows(x, window, overlap, fn, reduction, batch_size, kept_fn=kept_fn)
    np.testing.assert_array_equal(narrow, got)
    n_win = window_starts(max(window, -(-n // reduction) * reduction), window, overlap).size
    assert sum(c[0] for c in calls) == n_win  # every window once, grouped by kept range
    assert all(0 <= lo < hi <= w_out for _, lo, hi in calls)


def _card(**kw: object) -> dict[str, object]:
    card: dict[str, object] = {
        "format_version": 1,
        "name": "toy",
        "task": "qrs_detection",
        "summary": "a toy",
        "training_data": "none",
        "sha256": "0" * 64,
        "scores": {"held-out": 0.5},
        "provenance": {"command": "ecg-bench run toy", "data": "x", "seed": 0, "commit": "abc"},
        "config": {},
    }
    card.update(kw)
    return card


def test_card_schema() -> None:
    _registry.check_card(_card(), "toy")
    with pytest.raises(PretrainedError, match="lacks 'scores'"):
        _registry.check_card({k: v for k, v in _card().items() if k != "scores"}, "toy")
    with pytest.raises(PretrainedError, match="names 'other'"):
        _registry.check_card(_card(name="other"), "toy")
    with pytest.raises(PretrainedError, match="ecg-bench run"):
        _registry.check_card(
            _card(provenance={"command": "python x.py", "data": "", "seed": 0, "commit": ""}),
            "toy",
        )
    with pytest.raises(PretrainedError, match=r"provenance\['seed'\]"):
        _registry.check_card(
            _card(provenance={"command": "ecg-bench run a", "data": "", "commit": ""}), "toy"
        )
    with pytest.raises(PretrainedError, match="must be a number"):
        _registry.check_card(_card(scores={"a": "high"}), "toy")


def test_save_register_load_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from ecg_models import ECG_SEQ_LAB_NET, TaskModel

    monkeypatch.setattr(_registry, "weights_dir", lambda: tmp_path)
    monkeypatch.setattr(_registry, "_REGISTRY", {})
    prov = {"command": "ecg-bench run cpsc2019", "data": ["cpsc2019"], "seed": 0, "commit": "abc"}
    big = ECG_SEQ_LAB_NET(["qrs"], 1, recover_length=False)  # 2.9 M parameters: 11.6 MB
    with pytest.raises(PretrainedError, match="over 5242880"):
        save_pretrained(
            big, "toy", task="t", summary="s", training_data="d", scores={}, provenance=prov,
            out_dir=tmp_path,
        )  # fmt: skip
    assert not list(tmp_path.iterdir())
    model = ECG_SEQ_LAB_NET(
        ["qrs"], 1, recover_length=False, rnn={"name": "none"}, attn={"name": "none"}
    )
    card = save_pretrained(
        model,
        "toy",
        task="qrs_detection",
        summary="toy",
        training_data="nothing",
        scores={"x": 1.0},
        provenance=prov,
        config={"fs": 250.0},
        out_dir=tmp_path,
    )
    assert json.loads(card.read_text())["config"] == {"fs": 250.0}

    @_registry.register_pretrained("toy", task="qrs_detection")
    def _load(info: _registry.PretrainedInfo) -> TaskModel:
        return TaskModel.from_checkpoint(info.weights)

    monkeypatch.setattr(_registry, "_discover", lambda: _registry._REGISTRY)
    assert [i.name for i in _registry.list_pretrained()] == ["toy"]
    loaded = _registry.load_pretrained("toy")
    x = torch.randn(1, 1, 800)
    assert torch.equal(model.eval()(x), loaded.eval()(x))
    with pytest.raises(PretrainedError, match="did you mean 'toy'"):
        _registry.load_pretrained("tyo")
    (tmp_path / "toy.safetensors").write_bytes(b"garbage")
    with pytest.raises(PretrainedError, match="does not match its card"):
        _registry.load_pretrained("toy")
    with pytest.raises(ValueError, match="snake_case"):
        _registry.register_pretrained("Bad-Name", task="x")


@pytest.mark.parametrize("info", list_pretrained(), ids=lambda i: i.name)
def test_every_shipped_entry(info: _registry.PretrainedInfo) -> None:
    assert info.weights.stat().st_size <= MAX_WEIGHTS_BYTES
    assert info.summary and info.training_data and info.scores
    assert info.provenance["command"].startswith("ecg-bench run ")
    assert load_pretrained(info.name) is not None
