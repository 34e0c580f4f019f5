"""The context + logistic-head satisfaction estimator, its variant selection, and the rollout AUC check."""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator.sat_linear import LinearSatConfig, LinearSatModel, _kappa, context_features
from simulator.uss_data import EncodedDialogue

ALL = ("sys", "user", "sys2", "user2", "ctx", "pos", "mood", "fit")


def test_features_read_only_the_turns_before_the_rated_one():
    rng = np.random.default_rng(0)
    emb, roles = rng.normal(size=(8, 4)).astype(np.float32), np.array([0, 1, 1, 0, 0, 1, 0, 1])
    us = rng.normal(size=8)
    x = context_features(emb, roles, ALL, us)
    for t in range(8):
        changed, us2 = emb.copy(), us.copy()
        changed[t:] = rng.normal(size=changed[t:].shape)
        us2[t:] = 0
        assert np.allclose(context_features(changed, roles, ALL, us2)[t], x[t])  # turn t and later are unseen
    with_current = context_features(emb, roles, ("current",))
    assert np.allclose(with_current, emb)  # only the labelled comparison reads the rated turn


def test_feature_blocks_pick_the_latest_system_block_and_user_turns():
    emb = np.arange(12, dtype=np.float32).reshape(6, 2)
    roles = np.array([0, 1, 1, 0, 0, 1])
    x = context_features(emb, roles, ("sys", "user", "sys2", "user2"))
    assert x[4].tolist() == [3, 4, 6, 7, 0, 0, 0, 1]  # system block = mean of turns 1-2; users 3 then 0
    assert x[0].tolist() == [0] * 8
    with pytest.raises(ValueError):
        context_features(emb, roles[:3], ("sys",))


def test_fit_block_measures_how_the_reply_relates_to_what_came_before():
    u, s1, s2 = [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]
    emb = np.array([u, s2, u, s1, s1], np.float32)  # user, system, user, system (repeats: s1 twice)
    roles = np.array([0, 1, 0, 1, 1])
    x = context_features(emb, roles, ("fit",))
    c = 1 / np.sqrt(2)
    ctx = (np.array(u) * 2 + s2 + s1) / 4  # mean of the four turns before turn 4
    cos_ctx = float(np.dot(s1, ctx) / np.linalg.norm(s1) / np.linalg.norm(ctx))
    # reply vs last user turn, vs the one before, vs the dialogue, vs the previous reply; user vs user
    assert np.allclose(x[4], [c, c, cos_ctx, c, 1.0], atol=1e-6)
    assert x[0].tolist() == [0] * 5  # nothing before the first turn
    assert np.allclose(x[2], [0, 0, c, 0, 0], atol=1e-6)  # one user turn, one reply: the missing ones give 0


def _synthetic(n=60, dim=6, seed=0):
    """Dialogues whose user rating is written in the previous system turn's first coordinate."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        t = 10
        roles = np.array([i % 2 for i in range(t)])  # user, system, user, ...
        emb = rng.normal(size=(t, dim)).astype(np.float32)
        sat5, mean = np.full(t, -1), np.full(t, np.nan)
        for i in range(2, t, 2):
            mean[i] = float(np.clip(emb[i - 1, 0] * 1.5 + 3, 1, 5))
            sat5[i] = int(np.round(mean[i])) - 1
        out.append(EncodedDialogue(emb, roles, sat5, sat5, np.full(t, -1), mean))
    return out


def test_mood_block_reads_earlier_user_scores_only():
    emb, roles = np.zeros((5, 2), np.float32), np.array([0, 1, 0, 0, 1])
    x = context_features(emb, roles, ("mood",), user_score=np.array([4.0, 9, 2.0, 1.0, 9]))
    assert x[0].tolist() == [3, 3, 3, 3]  # nothing heard yet: neutral
    assert x[3].tolist() == [2, 4, 3, 2]  # last, the one before, mean, minimum
    with pytest.raises(ValueError):
        context_features(emb, roles, ("mood",))


def test_fit_learns_the_rating_from_the_system_reply_and_saves(tmp_path):
    from simulator.sat_model import SatModel

    train, test = _synthetic(seed=0), _synthetic(seed=1)
    cfg = LinearSatConfig(blocks=("sys", "pos", "mood"), emb_dim=6, alpha=1.0, mood_alpha=1.0)
    model = LinearSatModel.fit(train, cfg)
    score, pred, y = model.predict(test)
    assert np.corrcoef(score, y)[0, 1] > 0.8 and _kappa(y, pred) > 0.1  # only classes 2-4 are predicted
    lo, hi = model.thresholds.tolist()
    assert lo <= hi
    model.save_pretrained(tmp_path / "m", extra={"note": "test"})
    assert json.loads((tmp_path / "m" / "config.json").read_text())["kind"] == "linear"
    loaded = SatModel.from_pretrained(tmp_path / "m")  # the rollouts' loader dispatches on kind
    assert isinstance(loaded, LinearSatModel)
    d = test[0]
    a, b = model.predict_dialogue(d.emb, d.roles), loaded.predict_dialogue(d.emb, d.roles)
    assert np.allclose(a["expected"], b["expected"]) and a["expected"].shape == (10,)
    assert a["p5"].shape == (10, 5) and np.isfinite(a["overall_expected"])


def test_config_rejects_unknown_blocks_and_fields():
    with pytest.raises(ValueError):
        LinearSatConfig(blocks=("sys", "future"))
    with pytest.raises(ValueError):
        LinearSatConfig.from_dict({"blocks": ["sys"], "hidden": 3})


def test_thresholds_maximise_kappa_on_the_given_scores():
    from simulator.sat_linear import _kappa, kappa_thresholds

    rng = np.random.default_rng(0)
    y = rng.choice(5, 500, p=[.02, .1, .7, .16, .02])
    score = y + rng.normal(scale=0.3, size=500)
    lo, hi = kappa_thresholds(score, y)
    pred = np.where(score < lo, 1, np.where(score > hi, 3, 2))
    assert _kappa(y, pred) > 0.5
    assert _kappa(y, y) == 1.0


def test_variant_selection_never_prints_unselected_test_scores(tmp_path, monkeypatch):
    import eval.sat_variants as sv
    from simulator.uss_data import USSDataset

    ds = USSDataset("toy", _synthetic(n=40, seed=2), [], "majority")
    monkeypatch.setattr(sv, "load_dataset", lambda *a, **k: ds)
    grid = {"blocks": [["sys", "pos"], ["ctx"]], "alpha": [1.0], "emb_dim": [6]}
    r = sv.run("toy", grid, tmp_path, folds=4)
    assert len(r["table"]) == 2 and all("test_kappa" not in row for row in r["table"])
    assert r["global"]["variant"]["blocks"] == ["sys", "pos"]  # the informative block wins on validation
    again = sv.run("toy", grid, tmp_path, folds=4)  # resumed from the cached fits
    assert again["nested"]["test"] == r["nested"]["test"]


def test_auc_counts_ties_half_and_needs_both_classes():
    from eval.sat_auc import auc

    assert auc([3, 2, 1], [1, 0, 0]) == 1.0
    assert auc([1, 1], [1, 0]) == 0.5
    assert auc([1, 2, 3, 4], [1, 0, 1, 0]) == 0.25
    with pytest.raises(ValueError):
        auc([1, 2], [1, 1])


def test_success_is_recomputed_from_the_cards(tmp_path):
    from eval.sat_auc import read_run

    recs = [{"target": 7, "success@10": False, "log": [{"cards": [1, 2, 7]}, {"seeker": "ok"}],
             "sat_per_turn": [3.2], "sat_dialogue": 3.2, "sat_overall": 3.0},
            {"target": 7, "success@10": True, "log": [{"cards": list(range(10, 30)) + [7]}],
             "sat_per_turn": [3.0, 2.5], "sat_dialogue": 2.75, "sat_overall": 3.0}]
    (tmp_path / "dialogues.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    d = read_run(tmp_path)
    assert d["success"].tolist() == [True, False]  # the flags in the records are not trusted
    assert d["final"].tolist() == [3.2, 2.5]


def test_every_sat_config_loads_and_derived_ones_inherit():
    from pathlib import Path

    from simulator.sat_train import load_sat_config

    root = Path(__file__).resolve().parents[1] / "configs" / "sat"
    for path in sorted(root.glob("*.yaml")):
        if path.name.startswith("grid"):  # lists of variants, not configs
            continue
        cfg = load_sat_config(path)
        if cfg["model"].get("kind") == "linear":
            # Only the exchange estimator reads the rated answer (as the annotators did); the default
            # and every other estimator judge the reply before it (the clean protocol).
            reads = LinearSatConfig.from_dict(cfg["model"]).reads_user_turn
            assert reads == path.name.startswith("exchange"), path


def test_the_rollouts_scoring_reads_a_linear_model(tmp_path):
    from simulator.rollout import predict_satisfaction

    rng = np.random.default_rng(3)
    dialogues = []
    for d in _synthetic(n=30, dim=384, seed=3):
        d.emb = rng.normal(size=d.emb.shape).astype(np.float32)
        dialogues.append(d)
    model = LinearSatModel.fit(dialogues, LinearSatConfig(blocks=("sys", "user", "mood", "pos"), alpha=10.0))
    log = [{"seeker": "Any good thrillers?", "system": "Try Heat (1995).", "cards": [1]},
           {"seeker": "No, something newer.", "system": "Then Sicario (2015).", "cards": [2]},
           {"seeker": "Great, thanks!"}]
    out = predict_satisfaction(model, log)
    assert len(out["sat_per_turn"]) == 2 and all(1 <= s <= 5 for s in out["sat_per_turn"])
    assert 1 <= out["sat_overall"] <= 5


def _answer_rated(n=40, dim=384, seed=0):
    """Dialogues whose user rating is written in that user turn's own first coordinate."""
    out = []
    for d in _synthetic(n=n, dim=dim, seed=seed):
        for i in np.flatnonzero(d.sat5 >= 0):
            d.mean_rating[i] = float(np.clip(d.emb[i, 0] * 1.5 + 3, 1, 5))
            d.sat5[i] = int(np.round(d.mean_rating[i])) - 1
        out.append(d)
    return out


def test_exchange_score_reads_the_seekers_answer_and_needs_a_model_that_does(monkeypatch):
    import crs.embeddings
    from simulator.rollout import exchange_satisfaction

    texts = {"Any thrillers?": 0.0, "Try Heat (1995).": 0.0, "Great, thanks!": 2.0, "Bye.": -2.0}

    def fake_encode(xs, batch_size=32):  # the answer's sentiment sits in the first coordinate
        e = np.zeros((len(xs), 384), np.float32)
        e[:, 0] = [texts[x] for x in xs]
        return e

    monkeypatch.setattr(crs.embeddings, "encode", fake_encode)
    model = LinearSatModel.fit(_answer_rated(), LinearSatConfig(blocks=("current",), alpha=1.0))
    log = [{"seeker": "Any thrillers?", "system": "Try Heat (1995).", "cards": [1]}]
    happy = exchange_satisfaction(model, [*log, {"seeker": "Great, thanks!"}])
    sad = exchange_satisfaction(model, [*log, {"seeker": "Bye."}])
    assert len(happy["sat_exchange_per_turn"]) == 1 and happy["sat_exchange_final"] > 3.5 > 2.5 > sad["sat_exchange_final"]
    blind = LinearSatModel.fit(_answer_rated(), LinearSatConfig(blocks=("sys", "pos"), alpha=1.0))
    with pytest.raises(ValueError):
        exchange_satisfaction(blind, [*log, {"seeker": "Bye."}])  # a before-the-answer model is not an exchange score
    from simulator.rollout import log_satisfaction

    calls = []
    monkeypatch.setattr(crs.embeddings, "encode", lambda xs, batch_size=32: calls.append(xs) or fake_encode(xs))
    both = log_satisfaction([*log, {"seeker": "Bye."}], blind, model)
    assert len(calls) == 1 and both["sat_exchange_final"] == sad["sat_exchange_final"] and len(both["sat_per_turn"]) == 1
    assert log_satisfaction(log, None, None) == {}
    with pytest.raises(ValueError):
        log_satisfaction([*log, {"seeker": "Bye."}], model, None)  # an answer-reading model is no sat_per_turn


def test_auc_table_reports_the_exchange_score_and_the_length_reference(tmp_path, capsys):
    from eval.sat_auc import main, read_run

    recs = [{"target": 7, "log": [{"seeker": "hi", "cards": [7]}, {"seeker": "thanks"}], "sat_per_turn": [3.0],
             "sat_dialogue": 3.0, "sat_overall": 3.0, "sat_exchange_final": 4.5},
            {"target": 7, "log": [{"seeker": "hi", "cards": [1]}, {"seeker": "no", "cards": [2]}, {"seeker": "bye"}],
             "sat_per_turn": [3.1, 3.1], "sat_dialogue": 3.1, "sat_overall": 3.1, "sat_exchange_final": 2.0},
            {"target": 7, "log": [{"seeker": "hi", "cards": [1]}, {"seeker": "bye"}], "sat_per_turn": [3.2],
             "sat_dialogue": 3.2, "sat_overall": 3.2}]  # a run made without the exchange estimator
    (tmp_path / "dialogues.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    d = read_run(tmp_path)
    assert d["exchange"][:2].tolist() == [4.5, 2.0] and np.isnan(d["exchange"][2])
    assert d["shortness"].tolist() == [-2, -3, -2]
    assert main([str(tmp_path), "--out", str(tmp_path / "auc")]) == 0
    res = json.loads((tmp_path / "auc" / "results.json").read_text())["pooled"]
    assert res["auc_final"] == 0.0 and res["auc_shortness"] == 0.75
    assert "auc_exchange" not in res  # one dialogue lacks the score: no AUC over a silent subset


def test_shares_head_cuts_the_rater_shares_and_survives_saving(tmp_path):
    from simulator.sat_model import SatModel

    def with_shares(ds):
        # The rater shares follow the system reply's first coordinate; the mean barely moves.
        for d in ds:
            d.low_share, d.high_share = np.full(len(d.roles), np.nan), np.full(len(d.roles), np.nan)
            for i in np.flatnonzero(d.sat5 >= 0):
                z = d.emb[i - 1, 0]
                d.low_share[i], d.high_share[i] = float(z < -0.8), float(z > 0.8)
                d.sat5[i] = 1 if z < -0.8 else (3 if z > 0.8 else 2)
                d.mean_rating[i] = 3.0 + 0.05 * np.sign(z) * (abs(z) > 0.8)
        return ds

    train, test = with_shares(_synthetic(seed=4)), with_shares(_synthetic(seed=5))
    cfg = LinearSatConfig(blocks=("sys", "pos"), emb_dim=6, alpha=1.0, head="shares")
    model = LinearSatModel.fit(train, cfg)
    _, pred, y = model.predict(test)
    assert _kappa(y, pred) > 0.5 and set(pred.tolist()) == {1, 2, 3}
    model.save_pretrained(tmp_path / "m")
    loaded = SatModel.from_pretrained(tmp_path / "m")
    d = test[0]
    assert np.array_equal(model.predict_dialogue(d.emb, d.roles)["p5"], loaded.predict_dialogue(d.emb, d.roles)["p5"])
    with pytest.raises(ValueError):
        LinearSatModel.fit(_synthetic(seed=6), cfg)  # no rater shares recorded
    with pytest.raises(ValueError):
        LinearSatConfig(head="median")


def test_variant_cache_key_of_the_default_head_is_the_old_one():
    from eval.sat_variants import _cache_key, variant_name

    v = {"blocks": ["sys"], "alpha": 1.0}
    assert _cache_key(0, {**v, "head": "mean"}, 0) == _cache_key(0, v, 0) != _cache_key(0, {**v, "head": "shares"}, 0)
    assert variant_name({**v, "head": "shares"}) == "sys alpha=1 head=shares"
