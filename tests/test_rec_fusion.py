"""The validation-fitted score fusion of the KG recommender (copy + co-mention)."""

import numpy as np
import pytest
from scipy import sparse

from crs.recommenders.base import RecContext
from crs.recommenders.fusion import FusionConfig, apply_fusion, co_mention_bonus, copy_bonus
from crs.recommenders.samples import RecSample
from crs.training.fit_fusion import fit_fusion


def _ctx(mentioned, disliked=()):
    return RecContext("", mentioned=list(mentioned), disliked=list(disliked))


def test_copy_bonus_is_largest_for_the_latest_mention():
    b = copy_bonus([_ctx([3, 1, 4]), _ctx([])], 6, decay=0.5)
    assert b[0, 4] == 1.0 and b[0, 1] == 0.5 and b[0, 3] == 0.25
    assert b[0, [0, 2, 5]].sum() == 0 and b[1].sum() == 0


def test_co_mention_bonus_sums_rows_and_skips_disliked_movies():
    c = sparse.csr_matrix(np.array([[0, 1, 0], [1, 0, 2], [0, 2, 0]], dtype=np.float32))
    b = co_mention_bonus([_ctx([0, 1]), _ctx([0, 1], disliked=[1])], c)
    assert b[0].tolist() == [1, 1, 2] and b[1].tolist() == [0, 1, 0]


def test_fit_fusion_finds_the_copy_bonus_when_targets_repeat_earlier_movies():
    rng = np.random.default_rng(0)
    n_items = 200
    samples = []
    for i in range(60):
        mentioned = list(rng.choice(n_items, 3, replace=False))
        samples.append(RecSample(str(i), 1, _ctx(mentioned), [int(mentioned[-1])]))
    scores = rng.standard_normal((60, n_items)).astype(np.float32)
    empty = sparse.csr_matrix((n_items, n_items), dtype=np.float32)
    fusion = fit_fusion(scores, samples, "crslab", catalog=None, progress=False, cooc=empty)
    assert fusion.copy_weight > 0
    assert fusion.valid["fused"]["recall@1"] > fusion.valid["model"]["recall@1"]
    fused = apply_fusion(scores, [s.context for s in samples], fusion, empty)
    assert (fused.argmax(1) == [s.targets[0] for s in samples]).mean() > 0.9


def test_fusion_round_trip_and_missing_file(tmp_path):
    assert FusionConfig.from_pretrained(tmp_path) is None
    cfg = FusionConfig(2.0, 0.8, 4.0, valid={"model": {"recall@10": 0.1}})
    cfg.save_pretrained(tmp_path)
    assert FusionConfig.from_pretrained(tmp_path) == cfg
    with pytest.raises(ValueError, match="bogus"):
        FusionConfig.from_dict({"copy_weight": 1.0, "bogus": 2})


def test_no_fusion_leaves_scores_unchanged():
    s = np.arange(12, dtype=np.float32).reshape(2, 6)
    assert np.array_equal(apply_fusion(s, [_ctx([1]), _ctx([])], None, None), s)
