"""cinc2017 case: smoke run on records in the challenge's format (``.mat`` key ``val`` at 300 Hz,
``REFERENCE.csv``), the score of the run against its own prediction file, bad folders and
settings, and the RR head (its logistic regression against scikit-learn)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from sklearn.linear_model import LogisticRegression

from ecg_benchmarks.cases._cinc2017_head import fit_logistic, fit_rr_head
from ecg_benchmarks.cases.cinc2017 import CINC2017DataSettings, check_cinc2017_folder
from ecg_benchmarks.cli import main
from ecg_models.pretrained.cinc2017 import apply_rr_head
from ecg_signal.rr_intervals import RR_FEATURES
from ecg_train import cinc2017_score

COUNTS = {"N": 16, "A": 8, "O": 8, "~": 8}


def write_cinc2017(root: Path) -> Path:
    """Records of 10-14 s: regular beats (N), irregular beats (A), beats with a second bump
    (O), noise (~), in digital units (1000 per mV)."""
    folder = root / "training2017"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rows = []
    k = 0
    for lab, n in COUNTS.items():
        for _ in range(n):
            k += 1
            length = int(rng.integers(10 * 300, 14 * 300))
            sig = rng.normal(0, 0.05, length)
            if lab != "~":
                t = 0.3
                while t < length / 300 - 0.3:
                    i = int(t * 300)
                    sig[i - 3 : i + 3] += 1.0
                    if lab == "O":
                        sig[i + 60 : i + 75] += 0.4
                    t += 0.8 if lab != "A" else rng.uniform(0.4, 1.2)
            else:
                sig += rng.normal(0, 0.6, length)
            val = np.round(sig * 1000).astype(np.int16).reshape(1, -1)
            scipy.io.savemat(folder / f"A{k:05d}.mat", {"val": val})
            rows.append(f"A{k:05d},{lab}")
    (folder / "REFERENCE.csv").write_text("\n".join(rows) + "\n")
    return root


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cinc2017(tmp_path_factory.mktemp("cinc2017"))


FAST = ["--set", "model.width=8", "--set", "model.rnn_hidden=8", "--set", "train.batch_size=8"]
FAST += ["--set", "data.fs=100", "--set", "data.crop_s=8", "--set", "data.workers=0"]
FAST += ["--set", "train.tensorboard=false", "--no-progress"]


def test_smoke_run(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], check_run_files: object
) -> None:
    out = tmp_path / "run"
    argv = ["run", "cinc2017", "--data-dir", str(db), "--out", str(out), "--epochs", "1"]
    argv += ["--set", "data.use_cache=false", *FAST]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = check_run_files(out, "per_class.png", "confusion.png", "test_predictions.csv")  # type: ignore[operator]
    # default split: fold 0 of 5, records dealt round-robin class after class (A 8, N 16, O 8,
    # ~ 8 from offsets 0, 8, 24, 32): 2 + 3 + 2 + 1 test; validation 10 % of each class
    # (rounded): 1 + 2 + 1 + 1
    assert metrics["n_test"] == 8 and metrics["n_train"] == 40 - 8 - 5
    assert metrics["split"] == "fold 0 of 5 (seed 0)"
    head = json.loads((out / "checkpoints" / "rr_head.json").read_text())
    assert head["n_fit"] == 5 and len(head["weight"]) == 4
    with open(out / "test_predictions.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    score = cinc2017_score([r["reference"] for r in rows], [r["answer"] for r in rows])
    for key in ("f1_normal", "f1_af", "f1_other", "f1_noisy"):
        want = score[key]
        assert metrics[key] == (None if want != want else pytest.approx(want))
    assert np.asarray(metrics["confusion"]).sum() == 8
    assert 0 <= metrics["network_f1"] <= 1 and "with the RR head" in metrics["summary"]
    assert "challenge F1" in metrics["summary"] and "held-out" in metrics["summary"]
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 1 and "val_f1_af" in history[0]
    for row in rows:
        p = [float(row[f"p_{c}"]) for c in "NAO~"]
        assert sum(p) == pytest.approx(1.0, abs=1e-3)

    # evaluate on every record of a folder, predict records through the run's model
    scores = tmp_path / "scores.json"
    assert main(["evaluate", str(out), "--data-dir", str(db), "--out", str(scores)]) == 0
    assert json.loads(scores.read_text())["n_test"] == 40
    preds = tmp_path / "preds"
    rec = db / "training2017" / "A00001.mat"
    assert main(["predict", str(out), str(rec), "--out", str(preds)]) == 0
    with open(preds / "A00001_classes.csv") as fh:
        written = list(csv.reader(fh))
    text = "\n".join(",".join(r) for r in written)
    for c in ("N", "A", "O", "~"):
        assert c in text

    # the run exported as the pretrained classifier (into a temporary folder)
    from ecg_benchmarks.cases._cinc2017_report import export_pretrained
    from ecg_benchmarks.cases.cinc2017 import CINC2017Settings
    from ecg_benchmarks.runs import RunDir
    from ecg_models import TaskModel
    from ecg_models.pretrained._registry import check_card
    from ecg_models.pretrained.cinc2017 import AFClassifier

    card_path = export_pretrained(
        CINC2017Settings(), RunDir(out), metrics, "ecg-bench run cinc2017 ...", "0" * 40, tmp_path
    )
    card = json.loads(card_path.read_text())
    check_card(card, "cinc2017")
    challenge = [v for k, v in card["scores"].items() if "challenge F1" in k]
    assert challenge == [pytest.approx(metrics["f1"])]
    assert len(card["config"]["rr_head"]["weight"]) == 4
    model = TaskModel.from_checkpoint(tmp_path / "cinc2017.safetensors")
    clf = AFClassifier(model, **card["config"])
    sig = scipy.io.loadmat(rec)["val"][0] / 1000.0
    probs = clf(sig, 300.0)
    with open(preds / "A00001_classes.csv") as fh:
        rows_p = {r[0]: r[1:] for r in csv.reader(fh)}
    for c, p in probs.items():  # the classifier is what `ecg-bench predict` ran
        assert any(abs(float(v) - p) < 1e-4 for v in rows_p.get(c, []) if _is_float(v)), c


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


@pytest.mark.slow
def test_kfold_run(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "fold"
    argv = ["run", "cinc2017", "--data-dir", str(db), "--out", str(out), "--epochs", "1"]
    argv += ["--set", "data.n_folds=4", "--set", "data.fold=3", *FAST]
    argv += ["--set", "data.use_cache=true"]
    assert main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_test"] == 10 and "fold 3 of 4" in metrics["split"]


def test_bad_folder_and_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_cinc2017_folder(tmp_path) is not None
    (tmp_path / "REFERENCE.csv").write_text("A00001,N\n")
    assert "no .mat record" in str(check_cinc2017_folder(tmp_path))
    argv = ["run", "cinc2017", "--data-dir", str(tmp_path), "--out", str(tmp_path / "r")]
    assert main([*argv, "--no-progress"]) != 0
    assert "not a CinC 2017 folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="data.fold must lie in"):
        CINC2017DataSettings(n_folds=5, fold=5)
    with pytest.raises(ValueError, match="data.fs must lie in"):
        CINC2017DataSettings(fs=1000.0)
    from ecg_benchmarks.cases.cinc2017 import CINC2017Settings
    from ecg_benchmarks.template import TrainSettings

    with pytest.raises(ValueError, match="train.train_ratio is not used"):
        CINC2017Settings(train=TrainSettings(train_ratio=0.5))


@pytest.mark.data
def test_shipped_classifier_is_the_case_model_on_real_records(sample_data: Path) -> None:
    """``load_pretrained("cinc2017")`` on a raw 300 Hz record gives what the case's model gives
    on the CINC2017Dataset item of that record (same preprocessing, whole record)."""
    import torch

    from ecg_data import CINC2017Dataset
    from ecg_models.pretrained import list_pretrained, load_pretrained
    from ecg_models.pretrained.cinc2017 import apply_rr_head
    from ecg_signal.rr_intervals import rr_features

    if "cinc2017" not in [m.name for m in list_pretrained()]:
        pytest.skip("the cinc2017 weights are not shipped in this checkout")
    clf = load_pretrained("cinc2017")
    ds = CINC2017Dataset({"db_dir": str(sample_data / "cinc2017"), "fs": clf.fs}, training=False)
    for i in (0, 1, 2):
        x, _ = ds[i]
        with torch.no_grad():
            want = torch.softmax(clf.model(x[None]).float(), -1)[0].numpy()
        raw = ds.reader.load_data(ds.records[i])[0]
        if clf.rr_head is not None:
            want = apply_rr_head(clf.rr_head, want, rr_features(raw, 300.0))
        got = clf(raw, 300.0)
        np.testing.assert_allclose(list(got.values()), want, atol=2e-3)


def test_record_features_are_cached_rr_features(tmp_path: Path) -> None:
    from ecg_benchmarks.cases._cinc2017_head import record_features
    from ecg_data.datasets.cinc2017 import CINC2017Dataset
    from ecg_signal.rr_intervals import rr_features

    db = write_cinc2017(tmp_path / "db")
    cfg = {"db_dir": str(db), "fs": 100.0, "use_cache": True, "cache_dir": str(tmp_path / "c")}
    ds = CINC2017Dataset(cfg, training=False)
    recs = ds.records[:3]
    got = record_features(ds, recs)
    for k, rec in enumerate(recs):
        raw = ds.reader.load_data(rec)[0]
        np.testing.assert_allclose(got[k], rr_features(raw, 300.0), rtol=1e-6)
    assert list((tmp_path / "c" / "datasets").iterdir())  # written to the cache
    np.testing.assert_array_equal(record_features(ds, recs), got)


def _problem(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4)) + 1.0 * np.eye(4)[y]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    feats = rng.normal(0, 1, (n, len(RR_FEATURES))) * np.linspace(0.1, 5, len(RR_FEATURES))
    feats[:, 3] += 4.0 * (y == 1) - 4.0 * (y == 2)  # "rr_cv" tells A and O apart
    return probs, feats, y


@pytest.mark.parametrize("l2", [0.01, 0.1])
def test_fit_logistic_matches_sklearn(l2: float) -> None:
    probs, feats, y = _problem()
    z = np.hstack([np.log(probs), (feats - feats.mean(0)) / feats.std(0)])
    weight, bias = fit_logistic(z, y, l2=l2, n_classes=4)
    logits = z @ weight.T + bias
    got = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    ref = LogisticRegression(C=1 / (2 * l2 * len(y)), tol=1e-10, max_iter=10000).fit(z, y)
    np.testing.assert_allclose(got, ref.predict_proba(z), atol=2e-4)


def test_fit_rr_head_uses_the_features() -> None:
    probs, feats, y = _problem(400, seed=1)
    tr_p, tr_f, tr_y = _problem(600, seed=2)
    head = fit_rr_head(
        probs,
        feats,
        y,
        tr_f,
        tr_y,
        l2=0.001,
        feature_l2=0.001,
        hidden=8,
        seed=0,
        feature_names=RR_FEATURES,
    )
    assert head["n_fit"] == 400 and head["n_fit_features"] == 600
    np.testing.assert_allclose(head["mean"], tr_f.mean(0))
    test_p, test_f, test_y = _problem(400, seed=3)
    net_acc = (test_p.argmax(1) == test_y).mean()
    got = apply_rr_head(head, test_p, test_f)
    acc = (got.argmax(1) == test_y).mean()
    assert acc > net_acc + 0.1  # A and O told apart by the feature
    np.testing.assert_allclose(got.sum(1), 1.0)
    with pytest.raises(ValueError, match="feature names"):
        fit_rr_head(
            probs,
            feats,
            y,
            tr_f,
            tr_y,
            l2=0.1,
            feature_l2=0.1,
            hidden=8,
            seed=0,
            feature_names=RR_FEATURES[:3],
        )


def test_fit_errors() -> None:
    probs, feats, y = _problem(20)
    with pytest.raises(ValueError, match="must be"):
        fit_logistic(feats, y[:5], l2=0.1, n_classes=4)
    with pytest.raises(ValueError, match="l2 must be"):
        fit_logistic(feats, y, l2=-1.0, n_classes=4)
