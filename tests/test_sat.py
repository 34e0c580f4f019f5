"""USS labels and folds, the satisfaction model (causality, save/load), metrics and the eval runner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from simulator.sat_model import SatConfig, SatModel, pad_batch
from simulator.sat_train import TrainConfig, load_sat_config, predictions, selection_score, train_model
from simulator.uss_data import EncodedDialogue, USSDataset, aggregate, cv_folds, encode_dialogues, three_class

REPO = Path(__file__).resolve().parents[1]


def test_majority_vote_ties_go_to_the_lowest_rating_as_in_sun_et_al():
    assert aggregate([3, 3, 4]) == 3
    assert aggregate([2, 4, 4, 2]) == 2
    assert aggregate([1, 3, 5]) == 1
    assert aggregate([]) is None


def test_mean_aggregation_rounds_half_up():
    assert aggregate([3, 4], "mean") == 4
    assert aggregate([3, 3, 4], "mean") == 3
    with pytest.raises(ValueError):
        aggregate([3], "median")


def test_three_classes():
    assert [three_class(r) for r in (1, 2, 3, 4, 5)] == [0, 0, 1, 2, 2]


def test_cv_folds_split_by_dialogue_with_an_inner_validation_fold():
    folds = cv_folds(53, 10, seed=1)
    assert len(folds) == 10
    tests = np.concatenate([te for _, _, te in folds])
    assert sorted(tests.tolist()) == list(range(53))  # every dialogue is tested exactly once
    for tr, va, te in folds:
        assert not (set(tr) & set(va)) and not (set(tr) & set(te)) and not (set(va) & set(te))
        assert len(tr) + len(va) + len(te) == 53
    assert [va.tolist() for _, va, _ in folds] == [folds[(i + 1) % 10][2].tolist() for i in range(10)]


def test_encode_dialogues_labels_user_turns_only():
    from crs.data.uss import USSDialogue, USSTurn

    d = USSDialogue([USSTurn("USER", "hi", "GREET", [2, 2, 3]), USSTurn("SYSTEM", "hello"),
                     USSTurn("USER", "thanks", "THANK", [5, 4, 4])], overall=[4, 4, 2])
    (e,) = encode_dialogues([d], np.zeros((3, 4), np.float32), ["THANK", "GREET"])
    assert e.sat5.tolist() == [1, -1, 3] and e.sat3.tolist() == [0, -1, 2]
    assert e.action.tolist() == [1, -1, 0] and e.overall5 == 3


def _synthetic(n=40, dim=8, seed=0):
    """Dialogues whose user rating is written in the previous system turn's embedding."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = 6
        roles = np.array([0, 1] * (t // 2))
        emb = rng.normal(size=(t, dim)).astype(np.float32)
        sat5 = np.full(t, -1)
        for i in range(2, t, 2):
            sat5[i] = int(rng.integers(0, 5))
            emb[i - 1, 0] = sat5[i] * 3.0
        sat5[0] = 2
        sat3 = np.where(sat5 < 0, -1, np.where(sat5 < 2, 0, np.where(sat5 == 2, 1, 2)))
        action = np.where(roles == 0, rng.integers(0, 2, t), -1)
        out.append(EncodedDialogue(emb, roles, sat5, sat3, action, np.full(t, np.nan), int(rng.integers(0, 5))))
    return out


def test_prediction_for_a_user_turn_does_not_read_that_turn_or_later_ones():
    torch.manual_seed(0)
    model = SatModel(SatConfig(emb_dim=8, hidden=16, n_actions=2, dropout=0.0)).eval()
    d = _synthetic(1)[0]
    b = pad_batch([d])
    out1 = model(b["emb"], b["roles"], b["lengths"])
    emb2 = b["emb"].clone()
    emb2[0, 4:] += 5.0  # change turn 4 (a user turn) and later
    out2 = model(emb2, b["roles"], b["lengths"])
    assert torch.allclose(out1["sat5"][0, :5], out2["sat5"][0, :5])
    assert torch.allclose(out1["action"][0, :5], out2["action"][0, :5])
    assert not torch.allclose(out1["sat5"][0, 5:], out2["sat5"][0, 5:])


def test_with_user_turn_setting_reads_the_user_turn():
    torch.manual_seed(0)
    model = SatModel(SatConfig(emb_dim=8, hidden=16, dropout=0.0, predict_before_user_turn=False)).eval()
    b = pad_batch(_synthetic(1))
    emb2 = b["emb"].clone()
    emb2[0, 4] += 5.0
    a, c = model(b["emb"], b["roles"], b["lengths"]), model(emb2, b["roles"], b["lengths"])
    assert not torch.allclose(a["sat5"][0, 4], c["sat5"][0, 4])


def test_save_and_load_round_trip(tmp_path):
    model = SatModel(SatConfig(emb_dim=8, hidden=16, n_actions=2, actions=("a", "b"), attention=False)).eval()
    path = model.save_pretrained(tmp_path / "m", extra={"note": "test"})
    assert (path / "config.json").exists() and (path / "model.safetensors").exists()
    again = SatModel.from_pretrained(path)
    assert again.config == model.config
    d = _synthetic(1)[0]
    a, b = model.predict_dialogue(d.emb, d.roles), again.predict_dialogue(d.emb, d.roles)
    assert np.allclose(a["expected"], b["expected"]) and 1 <= a["overall_expected"] <= 5
    with pytest.raises(FileNotFoundError):
        SatModel.from_pretrained(tmp_path / "missing")


def test_config_validation():
    with pytest.raises(ValueError):
        SatConfig(dropout=1.5)
    with pytest.raises(ValueError):
        SatConfig(n_actions=2, actions=("a",))
    with pytest.raises(ValueError, match="unknown"):
        SatConfig.from_dict({"hiddden": 3})
    with pytest.raises(ValueError, match="unknown"):
        TrainConfig.from_dict({"epoch": 3})


def test_training_learns_a_signal_and_selects_on_validation():
    data = _synthetic(60)
    cfg = SatConfig(emb_dim=8, hidden=32, n_actions=2, dropout=0.0)
    model, best, scores = train_model(data[:40], data[40:50], cfg, TrainConfig(epochs=12, lr=0.01), selection_score,
                                      log=None)
    assert len(scores) == 12 and scores[best] == max(scores)
    from crs.metrics import uar

    p = predictions(model, data[50:])
    assert uar(p["sat5"]["true"], p["sat5"]["pred"]) > 0.4  # chance is 0.2


@pytest.mark.parametrize("path", sorted(p for p in (REPO / "configs" / "sat").glob("*.yaml")
                                         if not p.name.startswith("grid")), ids=lambda p: p.name)
def test_every_sat_config_loads(path):
    from simulator.sat_linear import LinearSatConfig

    cfg = load_sat_config(path)  # grid*.yaml are variant lists for eval/sat_variants.py, not configs
    (LinearSatConfig if cfg["model"].get("kind") == "linear" else SatConfig).from_dict(cfg["model"])
    assert cfg["domains"] and cfg["aggregation"] in ("majority", "mean")


def test_metrics_of_a_constant_predictor_are_honest():
    from eval.sat_eval import sat_metrics

    y = np.array([2, 2, 2, 1, 3, 0, 4, 2, 2, 1])
    m = sat_metrics(y, np.full_like(y, 2))
    assert m["rho"] == 0.0 and m["kappa"] == 0.0 and m["uar"] == pytest.approx(0.2) and m["f1_dissat"] == 0.0
    perfect = sat_metrics(y, y)
    assert perfect["uar"] == 1.0 and perfect["f1_dissat"] == 1.0 and perfect["rho"] == pytest.approx(1.0)


def test_eval_sat_runs_both_protocols_end_to_end(tmp_path, monkeypatch):
    """Both protocols on synthetic dialogues: same folds and runs, sun adds the test-fold selection row."""
    import json

    import eval.sat_eval as se

    monkeypatch.setenv("CRS_HOME", str(tmp_path / "home"))
    data = _synthetic(30)
    monkeypatch.setattr(se, "load_dataset", lambda *a, **k: USSDataset("ReDial", data, ["x", "y"], "majority"))
    cfg = tmp_path / "sat.yaml"
    cfg.write_text("model: {hidden: 16, emb_dim: 8}\ntrain: {epochs: 2}\n")
    clean = se.evaluate_sat("ReDial", "clean", out=str(tmp_path / "clean"), config=str(cfg), folds=3)
    sun = se.evaluate_sat("ReDial", "sun", out=str(tmp_path / "sun"), config=str(cfg), folds=3)
    assert set(clean["rows"]) == {se.SELECTED, "majority", "constant 3"}
    assert set(sun["rows"]) == {se.SUN_SELECTED, se.SELECTED, "majority", "constant 3"}
    assert sun["rows"][se.SELECTED] == clean["rows"][se.SELECTED]  # the same cached runs
    assert clean["rows"]["majority"]["kappa"] == 0.0
    fm = json.loads((tmp_path / "sun" / "fold_mean.json").read_text())
    for k in ("uar", "kappa", "rho"):  # per fold, the best epoch on the test fold is never worse than the chosen one
        assert fm[se.SUN_SELECTED][k] >= fm[se.SELECTED][k] - 1e-9
    res = json.loads((tmp_path / "sun" / "results.json").read_text())
    assert any("Sun et al." in row["system"] for row in res["table"])
    assert "HiGRU+ATTN" in (tmp_path / "sun" / "results.md").read_text()
