"""The recommender registry and the popularity recommender (the text recommender needs the encoder: skipped)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from crs.data.redial import load_redial
from crs.recommenders import REGISTRY, RecContext, Recommender, load_recommender


def test_registry_lists_names_and_unknown_name_raises(catalog):
    assert {"popularity", "text"} <= set(REGISTRY)
    with pytest.raises(KeyError) as exc:
        load_recommender("no-such-model", catalog)
    msg = str(exc.value)
    assert "no-such-model" in msg
    for name in REGISTRY:
        assert name in msg


def test_popularity_is_a_recommender_scoring_every_item(popularity, catalog):
    assert isinstance(popularity, Recommender) and popularity.name == "popularity"
    scores = popularity.score([RecContext("a"), RecContext("b")])
    assert scores.shape == (2, len(catalog))
    assert np.isfinite(scores).all()
    assert np.array_equal(scores[0], scores[1])


@pytest.fixture(scope="module")
def mention_counts(catalog):
    def count(split):
        c = Counter()
        for d in load_redial(split):
            for t in d.messages:
                for rid in t.movies:
                    item = catalog.item_of(rid)
                    if item is not None:
                        c[item] += 1
        return c

    return {s: count(s) for s in ("train", "valid", "test")}


def test_popularity_counts_come_from_train_split_only(popularity, mention_counts, catalog):
    train = mention_counts["train"]
    expected = np.log1p(np.array([train.get(i, 0) for i in range(len(catalog))], dtype=np.float64))
    np.testing.assert_allclose(popularity.scores, expected, atol=1e-4)

    test_only = [i for i in mention_counts["test"] if i not in train and i not in mention_counts["valid"]]
    assert test_only, "expected some movie mentioned only in the test split"
    for i in test_only[:20]:
        assert abs(popularity.scores[i]) < 1e-4, f"{catalog[i].display} is scored from test mentions"
    valid_only = [i for i in mention_counts["valid"] if i not in train]
    assert valid_only, "expected some movie mentioned only in the validation split"
    for i in valid_only[:20]:
        assert abs(popularity.scores[i]) < 1e-4, f"{catalog[i].display} is scored from validation mentions"


def test_popularity_top_item_is_the_most_mentioned_in_train(popularity, mention_counts):
    top = popularity.rank(RecContext(""), k=1)[0]
    assert mention_counts["train"][top] == max(mention_counts["train"].values())


def test_rank_excludes_given_items_and_returns_k_distinct(popularity, catalog):
    ctx = RecContext("I like movies")
    top = popularity.rank(ctx, k=10)
    assert len(top) == 10 == len(set(top))
    scores = popularity.score([ctx])[0]
    assert list(scores[top]) == sorted(scores[top], reverse=True)
    exclude = set(top[:5])
    ranked = popularity.rank(ctx, k=10, exclude=exclude)
    assert len(ranked) == 10 == len(set(ranked))
    assert not exclude & set(ranked)
    assert ranked[:5] == top[5:]
    assert all(0 <= i < len(catalog) for i in ranked)


def test_rank_with_almost_everything_excluded(popularity, catalog):
    keep = {3, 17, 4000}
    ranked = popularity.rank(RecContext(""), k=10, exclude=set(range(len(catalog))) - keep)
    assert sorted(ranked) == sorted(keep)
    assert popularity.rank(RecContext(""), k=10, exclude=set(range(len(catalog)))) == []
    assert popularity.rank(RecContext(""), k=0) == []


def test_rank_is_deterministic(popularity):
    assert popularity.rank(RecContext("x"), k=50) == popularity.rank(RecContext("y"), k=50)
