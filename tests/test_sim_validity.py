"""eval/sim_validity.py on synthetic runs: tau is +1 / -1 for agreeing / reversed orders, CIs bracket the mean."""

from __future__ import annotations

import numpy as np

from eval.sim_validity import validity

OFF = {"random": 0.001, "popularity": 0.06, "kg-base": 0.15, "kg": 0.22}


def _runs(rates, n=200, seed=0):
    rng = np.random.default_rng(seed)
    return {s: {str(i): {"success@10": bool(rng.random() < p), "success@1": False, "rec_only_recall@10": 0.0}
                for i in range(n)} for s, p in rates.items()}


def test_agreeing_order_gives_tau_one_and_random_last():
    res = validity(_runs({"random": 0.05, "popularity": 0.4, "kg-base": 0.6, "kg": 0.85}), OFF, n_boot=200)
    e = res["kendall_tau_b"]["success@10"]
    assert res["seekers"] == 200 and e["tau"] == 1.0 and e["random_strictly_last_share"] == 1.0
    assert e["gap_to_next_ci95"][0] > 0
    p = res["per_system"]["kg"]["success@10"]
    assert p["ci95"][0] <= p["mean"] <= p["ci95"][1]


def test_reversed_order_gives_tau_minus_one():
    res = validity(_runs({"random": 0.9, "popularity": 0.6, "kg-base": 0.4, "kg": 0.1}), OFF, n_boot=100)
    e = res["kendall_tau_b"]["success@10"]
    assert e["tau"] == -1.0 and e["random_strictly_last_share"] == 0.0
