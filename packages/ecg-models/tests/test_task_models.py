"""Task models: shapes, gradients, determinism, save/load, export, configs, CRF, bad input."""

from __future__ import annotations

import itertools
import math
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from ecg_models.models._base import CheckpointError, TaskModel, create_model, list_models
from ecg_models.models._config import config_to_dict, from_config
from ecg_models.models._inference import sequence_inference
from ecg_models.models.adjust import adjust_cnn_filter_lengths, scale_kernel_size
from ecg_models.models.crf import CRF
from ecg_models.models.crnn import ECG_CRNN, ECG_CRNN_CONFIG, CRNNConfig
from ecg_models.models.export import to_onnx, to_torchscript
from ecg_models.models.outputs import ClassificationInference, SequenceInference
from ecg_models.models.rr_lstm import RR_LSTM
from ecg_models.models.seq_lab_net import ECG_SEQ_LAB_NET, ECG_SEQ_LAB_NET_CONFIG
from ecg_models.models.unet import ECG_UNET
from ecg_models.registry import get_backbone_config

N_LEADS = 2


def tiny_resnet() -> Any:
    """A 2-stage Nature-Comms ResNet config, small enough for fast tests."""
    base = get_backbone_config("resnet_nature_comm")
    return from_config(
        type(base),
        {
            "num_blocks": [1, 1],
            "filters": [8, 16],
            "filter_lengths": [9, 9],
            "subsample_lengths": [4, 4],
            "building_block": ["basic", "basic"],
            "conv_type": [None, None],
            "attention": [None, None],
            "attention_reduction": [4, 4],
            "dilations": [1, 1],
            "dropouts": [0.0, 0.0],
            "init_filters": 8,
            "init_filter_length": 9,
        },
    )


def small_config(name: str) -> Any:
    if name in ("ECG_CRNN", "ECG_SEQ_LAB_NET"):
        cfg = deepcopy(ECG_CRNN_CONFIG if name == "ECG_CRNN" else ECG_SEQ_LAB_NET_CONFIG)
        cfg.cnn.add("tiny_resnet", tiny_resnet())
        cfg.cnn.name = "tiny_resnet"
        cfg.rnn.name = "lstm"
        cfg.rnn.hidden_size = 8
        cfg.attn.name = "se" if name == "ECG_CRNN" else "none"
        cfg.attn.reduction = 4
        cfg.head.hidden_sizes = [8]
        return cfg
    if name in ("ECG_UNET", "ECG_SUBTRACT_UNET"):
        return {
            "init_num_filters": 4,
            "init_filter_length": 9,
            "num_filters": [8, 16],
            "down_scales": [2, 2],
            "filter_lengths": [9, 9],
            "convs_per_block": 2 if name == "ECG_UNET" else 3,
        }
    if name == "ECG_UNET_PLUS":
        return {"num_filters": [4, 8, 16], "filter_lengths": [9, 9, 9]}
    if name == "ECG_U2NET":
        return {"heights": [3, 3], "mid_channels": [4, 4], "out_channels": [4, 8], "kernel_size": 5}
    if name == "RR_LSTM":
        return {"hidden_sizes": [8], "crf": True, "head": {"hidden_sizes": [], "dropout": 0.0}}
    raise KeyError(name)


MODELS = list_models()
CLASSES = ["N", "AF", "PVC"]


def build(name: str, fs: float | None = None) -> TaskModel:
    cfg = small_config(name)
    n_leads = 1 if name == "RR_LSTM" else N_LEADS
    if fs is not None and name != "RR_LSTM":
        cfg = adjust_cnn_filter_lengths(
            from_config(create_model(name, CLASSES, n_leads, cfg).config_class, cfg), fs
        )
    torch.manual_seed(0)
    return create_model(name, CLASSES, n_leads, cfg)


def example(name: str, batch: int = 2, length: int = 1000) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    if name == "RR_LSTM":
        return 0.6 + 0.3 * torch.rand(batch, length // 100, 1, generator=g)
    return torch.randn(batch, N_LEADS, length, generator=g)


def test_every_task_model_is_listed() -> None:
    assert (
        sorted(
            [
                "ECG_CRNN",
                "ECG_SEQ_LAB_NET",
                "ECG_SUBTRACT_UNET",
                "ECG_U2NET",
                "ECG_UNET",
                "ECG_UNET_PLUS",
                "RR_LSTM",
            ]
        )
        == MODELS
    )


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize(("fs", "length"), [(250, 2000), (500, 5000), (500, 2001)])
def test_forward_shape(name: str, fs: float, length: int) -> None:
    model = build(name, fs).eval()
    x = example(name, 2, length)
    with torch.no_grad():
        y = model(x)
    seq = x.shape[1] if name == "RR_LSTM" else length
    assert tuple(y.shape) == model.compute_output_shape(seq, 2)
    assert torch.isfinite(y).all()
    if name in ("ECG_SEQ_LAB_NET", "ECG_UNET", "ECG_SUBTRACT_UNET", "ECG_UNET_PLUS", "ECG_U2NET"):
        assert tuple(y.shape) == (2, length, len(CLASSES))
    if name == "ECG_CRNN":
        assert tuple(y.shape) == (2, len(CLASSES))


@pytest.mark.parametrize("name", MODELS)
def test_gradients_flow(name: str) -> None:
    model = build(name).train()
    y = model(example(name))
    y.square().mean().backward()
    for pname, p in model.named_parameters():
        if name == "RR_LSTM" and pname.startswith("crf."):
            continue  # the CRF only gets gradients from crf_loss (tested below)
        assert p.grad is not None, pname
    grads = [p.grad.abs().sum().item() for p in model.parameters() if p.grad is not None]
    assert sum(g > 0 for g in grads) >= 0.9 * len(grads)


@pytest.mark.parametrize("name", MODELS)
def test_eval_deterministic_and_batch_of_one(name: str) -> None:
    model = build(name).eval()
    x = example(name)
    with torch.no_grad():
        a, b = model(x), model(x)
        one = model(x[:1])
    assert torch.equal(a, b)
    assert one.shape[0] == 1
    torch.testing.assert_close(one[0], a[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_save_load_round_trip(name: str, tmp_path: Path) -> None:
    model = build(name).eval()
    path = model.save(tmp_path / "m.safetensors")
    cls = type(model)
    loaded = cls.from_checkpoint(path).eval()
    generic = TaskModel.from_checkpoint(path).eval()
    assert type(generic) is cls
    assert loaded.classes == model.classes and loaded.n_leads == model.n_leads
    assert config_to_dict(loaded.config) == config_to_dict(model.config)
    sd, sd2 = model.state_dict(), loaded.state_dict()
    assert sd.keys() == sd2.keys()
    assert all(torch.equal(sd[k], sd2[k]) for k in sd)
    x = example(name)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))
        assert torch.equal(model(x), generic(x))
    # a checkpoint of another class is refused
    other = ECG_UNET if cls is not ECG_UNET else RR_LSTM
    with pytest.raises(CheckpointError, match=cls.__name__):
        other.from_checkpoint(path)


def test_checkpoint_refuses_incompatible_config(tmp_path: Path) -> None:
    model = build("ECG_UNET")
    path = model.save(tmp_path / "u.safetensors")
    cfg = config_to_dict(model.config)
    cfg["num_filters"] = [8, 32]
    with pytest.raises(CheckpointError, match="num_filters"):
        ECG_UNET.from_checkpoint(path, config=cfg)
    ECG_UNET.from_checkpoint(path, config=model.config)  # the same config is accepted
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a safetensors"):
        ECG_UNET.from_checkpoint(tmp_path / "junk.safetensors")


@pytest.mark.parametrize("name", MODELS)
def test_torchscript_same_outputs(name: str) -> None:
    model = build(name).eval()
    x = example(name)
    scripted = to_torchscript(model, x)
    with torch.no_grad():
        torch.testing.assert_close(scripted(x), model(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_onnx_same_outputs(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    model = build(name).eval()
    x = example(name, length=1000)
    path = to_onnx(model, x, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        for xb in (x, x[:1]):
            got = session.run(None, {"input": xb.numpy()})[0]
            np.testing.assert_allclose(got, model(xb).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_torch_compile_same_outputs(name: str) -> None:
    model = build(name).eval()
    x = example(name)
    compiled = torch.compile(model)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------- seed examples
@pytest.mark.slow
def test_seed_example_crnn_gc() -> None:
    config = adjust_cnn_filter_lengths(ECG_CRNN_CONFIG, fs=400)
    config.cnn.name = "resnet_nature_comm_bottle_neck_gc"
    model = ECG_CRNN(["NSR", "AF", "PVC", "SPB"], 12, config)
    assert model(torch.rand(2, 12, 4000)).shape == (2, 4)
    assert model.module_size > 0 and "params /" in model.module_size_


def test_seed_example_custom_tresnet() -> None:
    cfg = deepcopy(ECG_CRNN_CONFIG)
    my = get_backbone_config("tresnetP")
    my.building_block[1] = "bottleneck"
    my.attention[1] = "se"
    my.conv_type = "separable"
    cfg.cnn.add("my_resnet", my)
    cfg.cnn.name = "my_resnet"
    model = ECG_CRNN(["NSR", "AF", "PVC", "SPB"], 12, cfg).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 12, 2000)).shape == (1, 4)
    blob = config_to_dict(model.config)
    assert blob["cnn"]["variants"]["my_resnet"]["config"]["building_block"][1] == "bottleneck"
    assert (
        from_config(CRNNConfig, blob).cnn.variants["my_resnet"]
        == model.config.cnn.variants["my_resnet"]
    )


# ---------------------------------------------------------------------- configs
def test_config_dict_round_trip_and_unknown_keys() -> None:
    cfg = small_config("ECG_CRNN")
    blob = config_to_dict(cfg)
    assert from_config(CRNNConfig, blob) == cfg
    with pytest.raises(
        ValueError, match=r"unknown CRNNConfig key 'rnnn'; did you mean 'rnn'\? allowed keys"
    ):
        from_config(CRNNConfig, {"rnnn": {}})
    with pytest.raises(ValueError, match="hidden_sizz"):
        from_config(CRNNConfig, {"rnn": {"hidden_sizz": 3}})
    with pytest.raises(ValueError, match="global_pool"):
        ECG_CRNN(CLASSES, 2, cfg, global_pool="mean")
    with pytest.raises(ValueError, match="global_pool must be 'none'"):
        ECG_SEQ_LAB_NET(CLASSES, 2, global_pool="max")


def test_model_keeps_private_config_copy() -> None:
    cfg = small_config("ECG_CRNN")
    model = ECG_CRNN(CLASSES, 2, cfg)
    cfg.rnn.hidden_size = 99
    assert model.config.rnn.hidden_size == 8
    assert ECG_CRNN_CONFIG.cnn.variants == {}  # the default was not mutated


def test_adjust_cnn_filter_lengths_hand_values() -> None:
    assert [scale_kernel_size(k, 0.8) for k in (1, 3, 9, 15, 16, 17)] == [1, 3, 7, 13, 13, 15]
    assert [scale_kernel_size(k, 2.0) for k in (3, 9, 4)] == [7, 19, 8]
    assert scale_kernel_size(3, 0.1) == 1
    cfg = small_config("ECG_CRNN")
    new = adjust_cnn_filter_lengths(cfg, fs=250)
    assert new.fs == 250 and cfg.fs == 500
    variant = new.cnn.variants["tiny_resnet"]
    assert variant.filter_lengths == [5, 5] and variant.init_filter_length == 5  # 9 * 0.5 = 4.5
    assert cfg.cnn.variants["tiny_resnet"].filter_lengths == [9, 9]  # the input is not modified
    unet = from_config(type(build("ECG_UNET").config), small_config("ECG_UNET"))
    new_unet = adjust_cnn_filter_lengths(unet, 1000)
    assert new_unet.filter_lengths == [19, 19]
    assert new_unet.init_filter_length == 19 and new_unet.out_filter_length == 19
    with pytest.raises(ValueError, match="fs"):
        adjust_cnn_filter_lengths(unet, 0)


def test_registry_backbone_scaled_at_build() -> None:
    # registry defaults are designed at 500 Hz: at fs=250 the built kernels are halved (17 -> 9)
    config = deepcopy(ECG_CRNN_CONFIG)
    config.cnn.name = "resnet_nature_comm"
    _, bb = config.cnn.resolve(250)
    assert bb.filter_lengths == [9, 9, 9, 9] and bb.init_filter_length == 9
    _, bb500 = config.cnn.resolve(500)
    assert bb500.filter_lengths == [17, 17, 17, 17]


# ---------------------------------------------------------------------- CRF
def _brute_force(crf: CRF, em: torch.Tensor) -> tuple[list[int], torch.Tensor]:
    n_steps, n_tags = em.shape
    scores = {}
    for path in itertools.product(range(n_tags), repeat=n_steps):
        s = crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
        s = s + sum(em[t, path[t]] for t in range(n_steps))
        s = s + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, n_steps))
        scores[path] = s
    best = max(scores, key=lambda p: float(scores[p].detach()))
    log_z = torch.logsumexp(torch.stack(list(scores.values())), dim=0)
    return list(best), log_z


def test_crf_viterbi_and_nll_against_brute_force() -> None:
    torch.manual_seed(3)
    crf = CRF(3)
    with torch.no_grad():
        crf.transitions.copy_(torch.randn(3, 3))
        crf.start_transitions.copy_(torch.randn(3))
        crf.end_transitions.copy_(torch.randn(3))
    em = torch.randn(2, 4, 3)
    tags = torch.tensor([[0, 1, 2, 1], [2, 2, 0, 1]])
    decoded = crf.decode(em)
    nll = crf.neg_log_likelihood(em, tags, reduction="none")
    for b in range(2):
        best, log_z = _brute_force(crf, em[b])
        assert decoded[b] == best
        path = tags[b].tolist()
        s = crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
        s = s + sum(em[b, t, path[t]] for t in range(4))
        s = s + sum(crf.transitions[path[t - 1], path[t]] for t in range(1, 4))
        torch.testing.assert_close(nll[b], log_z - s)
    # masked: the second sequence has 2 valid steps
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    best2, log_z2 = _brute_force(crf, em[1, :2])
    assert crf.decode(em, mask)[1] == best2
    torch.testing.assert_close(crf.log_partition(em, mask)[1], log_z2)


def test_crf_nll_hand_computed_single_step() -> None:
    crf = CRF(2)
    with torch.no_grad():
        crf.transitions.zero_()
        crf.start_transitions.copy_(torch.tensor([0.5, -0.5]))
        crf.end_transitions.zero_()
    em = torch.tensor([[[1.0, 2.0]]])
    # p(tag 0) = exp(1.5) / (exp(1.5) + exp(1.5)) = 0.5
    nll = crf.neg_log_likelihood(em, torch.tensor([[0]]))
    assert math.isclose(float(nll.detach()), math.log(2.0), rel_tol=1e-6)


def test_rr_lstm_crf_loss_trains_crf() -> None:
    model = build("RR_LSTM")
    x = example("RR_LSTM")
    loss = model.crf_loss(x, torch.zeros(x.shape[:2], dtype=torch.long))
    loss.backward()
    assert model.crf is not None and model.crf.transitions.grad is not None
    out = model.inference(x)
    assert isinstance(out, SequenceInference)
    assert out.mask.shape == x.shape[:2] and out.intervals is not None


# ---------------------------------------------------------------------- inference
def test_classification_inference() -> None:
    model = build("ECG_CRNN")
    out = model.inference(example("ECG_CRNN"), threshold=0.0)
    assert isinstance(out, ClassificationInference)
    assert out.prob.shape == (2, 3) and out.pred.all()  # threshold 0 -> all positive
    assert out.labels == [CLASSES, CLASSES] and out.classes == tuple(CLASSES)
    assert model.training  # training mode restored


def test_sequence_inference_rpeaks_and_intervals() -> None:
    logits = torch.full((1, 100, 1), -5.0)
    logits[0, 10:21] = 5.0  # a 11-sample QRS region centred at 15
    logits[0, 60:62] = 5.0  # a 2-sample blip, dropped by min_duration_ms
    out = sequence_inference(logits, ["N"], 0.5, fs=100.0, min_duration_ms=50.0)
    assert out.rpeaks is not None and out.rpeaks[0].tolist() == [15]
    multi = torch.zeros(1, 10, 3)
    multi[0, :4, 0] = 3.0
    multi[0, 4:7, 1] = 3.0
    multi[0, 7:, 2] = 3.0
    out2 = sequence_inference(multi, ["p", "N", "i"], 0.5, fs=100.0)
    assert out2.intervals == ({"p": [(0, 3)], "N": [(4, 6)]},)
    assert out2.mask[0].tolist() == [0] * 4 + [1] * 3 + [2] * 3


def test_seq_lab_net_inference_at_input_length() -> None:
    model = build("ECG_SEQ_LAB_NET")
    out = model.inference(example("ECG_SEQ_LAB_NET", 1, 2000))
    assert isinstance(out, SequenceInference)
    assert out.prob.shape == (1, 2000, 3) and out.mask.shape == (1, 2000)


# ---------------------------------------------------------------------- bad input
def test_bad_input_errors() -> None:
    model = build("ECG_CRNN")
    with pytest.raises(ValueError, match=r"n_leads=2.*3 leads"):
        model(torch.randn(1, 3, 2000))
    with pytest.raises(ValueError, match="receptive field"):
        model(torch.randn(1, 2, model.min_input_length - 1))
    model.eval()(torch.randn(1, 2, model.min_input_length))  # the minimum works
    unet = build("ECG_UNET")
    with pytest.raises(ValueError, match="receptive field"):
        unet(torch.randn(1, 2, 3))
    with pytest.raises(ValueError, match="empty"):
        ECG_UNET([], 2)
    with pytest.raises(ValueError, match=r"duplicates \['AF'\]"):
        ECG_UNET(["AF", "N", "AF"], 2)
    with pytest.raises(ValueError, match="n_leads"):
        ECG_UNET(["N"], 0)
    with pytest.raises(ValueError, match="close matches: resnet_nature_comm"):
        ECG_CRNN(["N"], 2, {"cnn": {"name": "resnet_natur_comm"}})
    with pytest.raises(
        ValueError, match=r"unknown ECG_UNET config key 'num_filterz'; did you mean 'num_filters'"
    ):
        ECG_UNET(["N"], 2, num_filterz=[2])
    with pytest.raises(ValueError, match="unknown task model 'ECG_UNNET'; close matches"):
        create_model("ECG_UNNET", ["N"], 2)
    rr = build("RR_LSTM")
    with pytest.raises(ValueError, match="n_leads=1"):
        rr(torch.randn(1, 10, 2))
