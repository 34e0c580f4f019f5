"""Recommendation samples under the crslab and new-items protocols, and the evaluation run it feeds."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import find_movie

from crs.data.redial import Dialogue, Message
from crs.recommenders.samples import PROTOCOLS, context_for, rec_samples, render
from eval.rec_eval import evaluate_recommender


@pytest.fixture(scope="module")
def movies(catalog):
    return {
        "shining": find_movie(catalog, "The Shining", 1980),
        "clockwork": find_movie(catalog, "A Clockwork Orange", 1971),
        "misery": find_movie(catalog, "Misery", 1990),
        "carrie": find_movie(catalog, "Carrie", 1976),
    }


def _msg(role, text):
    return Message(role, text, re.findall(r"@(\d+)", text))


@pytest.fixture(scope="module")
def dialogue(movies):
    s, c, m, k = (movies[x].redial_ids[0] for x in ("shining", "clockwork", "misery", "carrie"))
    return Dialogue(
        id="hand-1",
        messages=[
            _msg("seeker", f"Hi! I loved @{s}"),  # 0: seeker, never a sample
            _msg("recommender", f"Have you seen @{c} or @{s}?"),  # 1: C new, S repeated
            _msg("seeker", f"I hated @{c}. What about @{m}?"),  # 2: seeker turn
            _msg("recommender", f"@{m} is great, and @{s} too"),  # 3: nothing new (both mentioned before)
            _msg("seeker", "ok"),  # 4
            _msg("recommender", "Glad to help"),  # 5: no movie: no sample
            _msg("recommender", f"Try @{k} and @{k} and @999999999"),  # 6: K new (dup + unknown id dropped)
        ],
        mentions={},
        answers={s: {"suggested": 0, "seen": 1, "liked": 1}, c: {"suggested": 1, "seen": 1, "liked": 0},
                 m: {"suggested": 0, "seen": 0, "liked": 2}, k: {"suggested": 1, "seen": 0, "liked": 2}},
    )


def _targets(samples):
    return [(s.turn, s.targets) for s in samples]


def test_crslab_targets_are_all_movies_in_the_recommender_turn(dialogue, catalog, movies):
    S, C, M, K = (movies[x].item for x in ("shining", "clockwork", "misery", "carrie"))
    samples = rec_samples([dialogue], catalog, "crslab")
    assert _targets(samples) == [(1, [C, S]), (3, [M, S]), (6, [K])]
    assert all(s.dialogue == "hand-1" for s in samples)


def test_new_items_targets_exclude_previously_mentioned(dialogue, catalog, movies):
    S, C, M, K = (movies[x].item for x in ("shining", "clockwork", "misery", "carrie"))
    samples = rec_samples([dialogue], catalog, "new-items")
    assert _targets(samples) == [(1, [C]), (6, [K])]


def test_first_turn_and_seeker_turns_are_not_evaluated(catalog, movies):
    s, c = movies["shining"].redial_ids[0], movies["clockwork"].redial_ids[0]
    d = Dialogue("hand-2", [_msg("recommender", f"Hello, do you like @{s}?"), _msg("seeker", f"Yes, and @{c}")],
                 {}, {})
    for protocol in PROTOCOLS:
        assert rec_samples([d], catalog, protocol) == []


def test_context_holds_only_the_turns_before_the_target(dialogue, catalog, movies):
    S, C = movies["shining"].item, movies["clockwork"].item
    ctx = context_for(dialogue, 3, catalog)
    assert ctx.text.splitlines() == [
        "User: Hi! I loved The Shining (1980)",
        "Assistant: Have you seen A Clockwork Orange (1971) or The Shining (1980)?",
        "User: I hated A Clockwork Orange (1971). What about Misery (1990)?",
    ]
    assert ctx.mentioned == [S, C, movies["misery"].item]
    # Stances may only concern movies already mentioned: nothing from later turns leaks in.
    assert set(ctx.liked) | set(ctx.disliked) <= set(ctx.mentioned)
    assert not set(ctx.liked) & set(ctx.disliked)
    first = context_for(dialogue, 1, catalog)
    assert first.mentioned == [S] and set(first.liked) | set(first.disliked) <= {S}
    assert first.text == "User: Hi! I loved The Shining (1980)"
    assert "@" not in ctx.text
    assert render("see @999999999", catalog) == "see @999999999"


def test_unknown_protocol_raises(dialogue, catalog):
    with pytest.raises(ValueError, match="unknown protocol"):
        rec_samples([dialogue], catalog, "kbrd")


def test_real_test_split_sample_counts(catalog):
    from crs.data.redial import load_redial

    test = load_redial("test")
    crslab = rec_samples(test, catalog, "crslab")
    new = rec_samples(test, catalog, "new-items")
    assert 0 < len(new) < len(crslab)
    assert sum(len(s.targets) for s in new) < sum(len(s.targets) for s in crslab)
    for s in new[:200]:
        assert not set(s.targets) & set(s.context.mentioned)


def test_evaluate_recommender_writes_results(tmp_path, catalog):
    out = tmp_path / "run"
    res = evaluate_recommender("popularity", limit=50, out=out, progress=False)
    assert res["run_dir"] == str(out)
    assert res["turns"] == 50
    data = json.loads((out / "results.json").read_text())
    metrics, meta = data["metrics"], data["meta"]
    for k in (1, 10, 50):
        for m in ("recall", "ndcg", "mrr"):
            assert 0.0 <= metrics[f"{m}@{k}"] <= 1.0
    assert metrics["recall@1"] <= metrics["recall@10"] <= metrics["recall@50"]
    assert metrics["recall@50"] > 0, "popularity should hit some targets in the top 50"
    assert metrics["turns"] == 50 and metrics["dialogues"] >= 1
    assert meta["seed"] == 0
    assert isinstance(meta["git_sha"], str) and meta["git_sha"]
    assert "numpy" in meta["packages"]
    assert meta["config"] == {"model": "popularity", "split": "test", "protocol": "crslab", "n_items": len(catalog),
                              "limit": 50, "ranking": "crs.topk.rank_topk", "device": "cpu"}
    for key in ("coverage@10", "coverage@50", "arp@10", "novelty@10", "cold_recall@10", "cold_recall@50"):
        assert key in metrics
    # Popularity shows (nearly) the same list every turn: coverage is k / n_items.
    assert metrics["coverage@10"] == pytest.approx(10 / len(catalog))
    md = (out / "results.md").read_text()
    assert "recall@10" in md and "popularity" in md and "seed: 0" in md


def test_evaluate_recommender_new_items_on_valid_records_its_config(tmp_path):
    res = evaluate_recommender("popularity", protocol="new-items", split="valid", limit=30, out=tmp_path / "r",
                               progress=False, seed=7)
    assert res["turns"] == 30
    meta = json.loads((tmp_path / "r" / "results.json").read_text())["meta"]
    assert meta["seed"] == 7 and meta["config"]["protocol"] == "new-items" and meta["config"]["split"] == "valid"


def test_fit_fusion_baseline_is_fitted_on_valid_and_recorded(tmp_path):
    plain = evaluate_recommender("popularity", limit=200, out=tmp_path / "a", progress=False)
    fused = evaluate_recommender("popularity", limit=200, out=tmp_path / "b", progress=False, fit_fusion=True)
    cfg = json.loads((tmp_path / "b" / "results.json").read_text())["meta"]["config"]
    assert set(cfg["fusion"]["valid"]) == {"model", "copy only", "co-mention only", "fused"}
    # Popularity ignores the dialogue; the copy and co-mention signals read it.
    assert fused["recall@10"] > plain["recall@10"]
    with pytest.raises(ValueError, match="validation"):
        evaluate_recommender("popularity", split="valid", limit=5, out=tmp_path / "c", progress=False, fit_fusion=True)


@pytest.mark.parametrize("protocol", ["crslab", "new-items"])
def test_top_list_metrics_equal_full_row_metrics(catalog, protocol):
    """Metrics from the served top-51 lists (pessimistic ties) equal those from full score rows."""
    from crs.recommenders import load_recommender
    from crs.recommenders.samples import ranking_metrics
    from eval.rec_eval import _samples, rank_samples, topk_metrics

    samples = _samples("test", protocol, catalog, 300, False)
    rec = load_recommender("popularity", catalog)
    full = ranking_metrics(rec.score([s.context for s in samples]), samples, protocol)
    pop = np.zeros(len(catalog))
    top = topk_metrics(rank_samples(rec, samples, protocol, 51), samples, pop, len(catalog))
    for k in (1, 10, 50):
        for m in ("recall", "ndcg", "mrr"):
            assert top[f"{m}@{k}"] == pytest.approx(full[f"{m}@{k}"], abs=1e-12), (m, k)


def test_beyond_accuracy_metrics_on_toy_lists():
    from crs.metrics import arp_at_k, coverage_at_k, novelty_at_k, ranks_from_topk

    lists = [[0, 1, 2], [0, 3, 4]]
    pop = np.array([10.0, 0, 0, 5, 1, 0])
    assert coverage_at_k(lists, 6, 2) == pytest.approx(3 / 6)
    assert coverage_at_k(lists, 6, 3) == pytest.approx(5 / 6)
    assert arp_at_k(lists, pop, 2) == pytest.approx(((10 + 0) / 2 + (10 + 5) / 2) / 2)
    info = -np.log2((pop + 1) / (pop.sum() + 6))
    assert novelty_at_k(lists, pop, 1) == pytest.approx(info[0])
    assert novelty_at_k([[1], [2]], pop, 1) > novelty_at_k([[0], [0]], pop, 1)
    # Ties count against the target; a tie reaching past the list pushes it out.
    items, scores = np.array([5, 6, 7, 8]), np.array([3.0, 2.0, 2.0, 1.0])
    assert ranks_from_topk(items, scores, 6, 3) == 3 and ranks_from_topk(items, scores, 5, 3) == 1
    assert ranks_from_topk(items, np.array([3.0, 2.0, 1.0, 1.0]), 7, 3) == float("inf")
    assert ranks_from_topk(items, scores, 99, 3) == float("inf")
