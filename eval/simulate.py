"""`crs eval simulate`: run (or resume) simulated seekers against a system and report the results.

The rollout itself (a seeker, the system, the satisfaction estimator) is simulator/rollout.py; this driver
runs it over many seekers, keeps dialogues.jsonl resumable and writes results.json/.md and plots.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from simulator.rollout import KS, SystemConfig, _init_worker, _work, exchange_model_dir


def summarise(records: list[dict], turns: int) -> tuple[dict, dict]:
    """Aggregate metrics and per-turn curves (success@10 by turn, mean satisfaction at turn t)."""
    n = len(records)
    if not n:
        return {"dialogues": 0}, {}
    mean = lambda xs: float(np.mean(xs)) if len(xs) else None  # noqa: E731
    succ = [r for r in records if r["success@10"]]
    m = {
        "dialogues": n,
        "success@1": mean([r["success@1"] for r in records]),
        "success@10": mean([r["success@10"] for r in records]),
        "turns_to_success": mean([r["turn_of_success"] for r in succ]),
        "give_up_rate": mean([r["status"] == "give-up" for r in records]),
        **{f"recall@{k}": mean([r[f"recall@{k}"] for r in records]) for k in KS},
        **{f"rec_only_recall@{k}": mean([r[f"rec_only_recall@{k}"] for r in records if f"rec_only_recall@{k}" in r])
           for k in KS},
        "leaks": int(sum(r["leaks"] for r in records)),
        "seeker_messages_checked": int(sum(r["seeker_messages"] for r in records)),
        "dialogues_checked_for_leaks": n,
    }
    sat = [r for r in records if r.get("sat_per_turn")]
    if sat:
        m["sat_per_dialogue"] = mean([r["sat_dialogue"] for r in sat])
        m["sat_overall"] = mean([r["sat_overall"] for r in sat])
        m["sat_success"] = mean([r["sat_dialogue"] for r in sat if r["success@10"]])
        m["sat_failure"] = mean([r["sat_dialogue"] for r in sat if not r["success@10"]])
    exch = [r for r in records if r.get("sat_exchange_per_turn")]
    if exch:  # the last exchange's rating, read the way USS annotators rated (with the seeker's answer)
        m["sat_exchange_final_success"] = mean([r["sat_exchange_final"] for r in exch if r["success@10"]])
        m["sat_exchange_final_failure"] = mean([r["sat_exchange_final"] for r in exch if not r["success@10"]])
    curves = {"turn": list(range(1, turns + 1)),
              "success@10 by turn": [mean([bool(r["turn_of_success"]) and r["turn_of_success"] <= t for r in records])
                                     for t in range(1, turns + 1)]}
    if sat:
        curves["satisfaction at turn"] = [mean([r["sat_per_turn"][t - 1] for r in sat if len(r["sat_per_turn"]) >= t])
                                          for t in range(1, turns + 1)]
    return m, curves


def simulate(system: str | Path, n: int = 200, turns: int = 5, out: str | None = None, workers: int = 2,
             seed: int = 0, sat_dir: str | None = None, threads: int = 1, split: str = "test", log=print) -> dict:
    """Run (or resume) the rollouts and write dialogues.jsonl, results.json/.md and a plot."""
    from dataclasses import replace

    from crs.data.movies import cached_catalog
    from crs.data.redial import load_redial
    from crs.dialogue.factory import resolve_recommender
    from eval.report import line_plot, markdown_table, write_results
    from eval.rundir import JsonlLog, make_run_dir, run_metadata
    from kg.graph import cached_graph
    from simulator.sat_train import default_model_dir
    from simulator.seeker import build_profiles

    cfg = SystemConfig.from_yaml(system)
    # Resolve "auto" once, so every worker runs the same recommender even if a checkpoint appears mid-run.
    cfg = replace(cfg, recommender=resolve_recommender(cfg.recommender))
    run_dir = make_run_dir(out, name=f"simulate-{cfg.name}")
    sat_dir = str(sat_dir or default_model_dir())
    if not Path(sat_dir, "config.json").exists():
        log(f"no satisfaction model at {sat_dir}: run `crs train sat` first; rollouts run without satisfaction")
    exchange_dir = exchange_model_dir(sat_dir)
    if not Path(exchange_dir, "config.json").exists():
        log(f"no exchange estimator at {exchange_dir} (`crs train sat --config configs/sat/exchange.yaml`): "
            "rollouts record no sat_exchange_per_turn")
    profiles = build_profiles(load_redial(split), cached_catalog(), cached_graph(), n, seed)
    jl = JsonlLog(run_dir / "dialogues.jsonl")
    done = jl.done_keys("dialogue_id")
    todo = [p for p in profiles if p.dialogue_id not in done]
    log(f"{len(profiles)} seekers, {len(done)} already done, {len(todo)} to run on {workers} worker(s) -> {run_dir}")
    t0 = time.time()
    if todo:
        if workers <= 1:
            _init_worker(cfg, sat_dir, seed, threads)
            results = map(_work, [(p, turns) for p in todo])
            pool = None
        else:
            pool = mp.get_context("spawn").Pool(workers, _init_worker, (cfg, sat_dir, seed, threads))
            results = pool.imap_unordered(_work, [(p, turns) for p in todo])
        try:
            for i, rec in enumerate(results, 1):
                jl.append(rec)
                if i % 20 == 0 or i == len(todo):
                    log(f"  {i}/{len(todo)} dialogues ({time.time() - t0:.0f}s)")
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    wall = time.time() - t0
    ids = {p.dialogue_id for p in profiles}
    records = [r for r in jl.records() if r["dialogue_id"] in ids]
    metrics, curves = summarise(records, turns)
    metrics.update({"system": cfg.name, "recommender": cfg.recommender, "llm": cfg.llm, "adapter": cfg.adapter,
                    "turns_limit": turns, "seconds_this_invocation": round(wall, 1),
                    "dialogues_run_this_invocation": len(todo), "workers": workers})
    from simulator.seeker import MIN_MATCHES

    meta = run_metadata(seed, {"system": asdict(cfg), "n": n, "turns": turns, "workers": workers, "sat_model": sat_dir,
                               "sat_exchange_model": str(exchange_dir),
                               "split": split, "seeker_min_matches": MIN_MATCHES})
    write_results(run_dir, metrics, meta, f"Simulated seekers vs {cfg.name} ({len(records)} dialogues, {turns} turns)",
                  [{"turn": t, **{k: v[i] for k, v in curves.items() if k != "turn"}} for i, t in enumerate(curves.get("turn", []))],
                  digits=3)
    if curves:
        line_plot(run_dir / "by_turn.png", curves["turn"], {k: v for k, v in curves.items() if k != "turn"
                                                             and k != "satisfaction at turn"},
                  title=f"{cfg.name}: success by turn", xlabel="turn", ylabel="success@10 (cumulative)")
        if "satisfaction at turn" in curves:
            line_plot(run_dir / "satisfaction_by_turn.png", curves["turn"],
                      {"predicted satisfaction (1-5)": curves["satisfaction at turn"]},
                      title=f"{cfg.name}: predicted satisfaction by turn", xlabel="turn", ylabel="expected rating")
    with open(run_dir / "results.md", "a", encoding="utf-8") as f:
        f.write("\n## Example dialogue\n\n" + (markdown_table([{"seeker": t["seeker"], "system": t.get("system", "")}
                                                              for t in records[0]["log"]]) if records else "") + "\n")
    log(f"done in {wall:.0f}s: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()))
    return {"run_dir": str(run_dir), **metrics}
