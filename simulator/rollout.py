"""Simulated-user rollouts: `crs eval simulate --system CONFIG --n 200 --turns 5 --out DIR`.

Seekers (simulator/seeker.py) talk to a system through ``DialogueManager.respond`` (the same
event stream the app and the CLI consume) in parallel worker processes. One JSON line per
dialogue in ``dialogues.jsonl``; a rerun skips the dialogues already there. Everything that
varies is seeded per dialogue (seeker templates, torch for the LLM).

Per dialogue: success@1 (the target was the first card of a turn), success@10 (the target was
among the first 10 cards of a turn), the turn of success, the target's rank in the *final*
ranking (the recommender's scores after the last turn, with the manager's KG filters and
bonus, excluding what the seeker mentioned or rejected but not what was already shown), the
satisfaction the estimator predicts after each system reply, and the leak check of every
seeker message.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from crs.config_utils import StrictConfig

KS = (1, 10, 50)


@dataclass
class SystemConfig(StrictConfig):
    """A system under test (configs/systems/*.yaml)."""

    name: str = "text"
    recommender: str = "text"  # popularity, text, kg, kg-base, auto, random (simulator/baselines.py)
    llm: str = "template"  # template: the manager's grounded fallback sentences, no LLM; or tiny, smollm2, ...
    n_cards: int = 10  # cards shown per recommendation turn
    entity_bonus: float = 0.75
    max_new_tokens: int = 60
    adapter: str = "none"  # item-language adapter: "none", "auto" ($CRS_HOME/ilm/cpu-stage2) or a folder



def build_system(cfg: SystemConfig):
    from crs.dialogue.factory import build_manager
    from crs.dialogue.manager import ManagerConfig

    if cfg.adapter not in ("none", "off", "") and cfg.llm == "template":
        raise ValueError(f"system {cfg.name}: an item-language adapter needs an LLM, not llm: template")
    # llm: template is the manager's template phrasing (the LLM is never loaded), not a backend
    mcfg = ManagerConfig(n_cards=cfg.n_cards, entity_bonus=cfg.entity_bonus, max_new_tokens=cfg.max_new_tokens,
                         adapter=cfg.adapter, phrasing="template" if cfg.llm == "template" else "llm")
    if cfg.recommender == "random":
        # The manager is built around the (cheap) popularity model, then its recommender is swapped.
        from simulator.baselines import RandomRecommender

        manager = build_manager(cfg.llm, "popularity", config=mcfg)
        manager.rec = RandomRecommender(manager.catalog)
        if getattr(manager, "ilm", None) is not None:
            manager.ilm = None  # the adapter was fitted to a real recommender
        return manager
    manager = build_manager(cfg.llm, cfg.recommender, config=mcfg)
    if cfg.adapter not in ("none", "off", "") and getattr(manager, "ilm", None) is None:
        raise ValueError(f"system {cfg.name}: adapter {cfg.adapter!r} was not loaded (missing, or it does not fit "
                         f"llm {cfg.llm!r})")
    return manager


def full_ranking(manager, state) -> np.ndarray:
    """All items ranked as the manager would rank them now (KG filters and bonus), not excluding
    items already shown; items a filter removes follow the kept ones, excluded items come last.
    The manager's own ranking function (crs/recommenders/ranking.py), with strict=False."""
    from crs.recommenders.ranking import rank_for_dialogue

    n = len(manager.catalog)
    excluded = set(state.mentioned_items) | set(state.disliked_items)
    ranked = rank_for_dialogue(manager.rec, manager.context(state), manager.graph, manager.catalog, k=n,
                               exclude=excluded, disliked_entities=state.disliked_entities,
                               liked_entities=state.liked_entities, focus=state.focus,
                               entity_bonus=manager.config.entity_bonus, strict=False)
    return np.array(ranked + sorted(excluded), dtype=np.int64)


def recommender_rank(manager, state, target: int) -> int:
    """The target's rank by the recommender's own scores on the final context (no KG filters or
    bonus), excluding only what the seeker mentioned: what the recommender alone contributes.
    An excluded target ranks last."""
    from crs.topk import rank_topk

    n = len(manager.catalog)
    items, _ = rank_topk(manager.rec.score_source([manager.context(state)]), n,
                         exclude=[sorted(set(state.mentioned_items))])[0]
    hit = np.flatnonzero(items == target)
    return int(hit[0]) + 1 if hit.size else n


# ------------------------------------------------------------------ worker processes

_W: dict = {}


def _init_worker(cfg: SystemConfig, sat_dir: str | None, seed: int, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    from crs.data.movies import cached_catalog
    from simulator.sat_model import SatModel

    _W["manager"] = build_system(cfg)
    _W["catalog"] = cached_catalog()
    _W["sat"] = SatModel.from_pretrained(sat_dir) if sat_dir and Path(sat_dir, "config.json").exists() else None
    _W["seed"] = seed


def run_dialogue(profile, manager, catalog, sat_model, turns: int, seed: int) -> dict:
    """One seeker against one system; returns the JSON record."""
    import torch

    from crs.dialogue.events import Recommendations, TurnDone
    from crs.dialogue.state import DialogueState
    from simulator.leak import checker_for
    from simulator.seeker import CONTINUE, Seeker

    torch.manual_seed(seed + int(profile.dialogue_id) % 100_000 if profile.dialogue_id.isdigit() else seed)
    checker = checker_for(profile.target, catalog)
    seeker = Seeker(profile, catalog, seed=seed, checker=checker)
    state = DialogueState()
    message, status = seeker.opening(), CONTINUE
    log, leaks, first_hit, top1_hit = [], [], None, None
    t0 = time.time()
    for turn in range(1, turns + 1):
        leaks += checker.find(message)
        cards, reply, action, kept, dropped = [], "", "", [], []
        for ev in manager.respond(state, message):
            if isinstance(ev, Recommendations):
                cards = ev.cards
            elif isinstance(ev, TurnDone):
                reply, action = ev.text, ev.action
                kept, dropped = list(getattr(ev, "llm_kept", [])), list(getattr(ev, "llm_dropped", []))
        items = [c.item for c in cards]
        if profile.target in items[:10] and first_hit is None:
            first_hit = turn
        if items[:1] == [profile.target] and top1_hit is None:
            top1_hit = turn
        # The LLM sentences the post-check kept and dropped, for `crs eval replies`.
        log.append({"seeker": message, "system": reply, "action": action, "cards": items,
                    "llm_kept": kept, "llm_dropped": dropped})
        message, status = seeker.react(cards, reply)
        if status != CONTINUE:
            break
    leaks += checker.find(message)  # the last reaction is scanned too
    log.append({"seeker": message})
    ranking = full_ranking(manager, state)
    rank = int(np.flatnonzero(ranking == profile.target)[0]) + 1
    rec_rank = recommender_rank(manager, state, profile.target)
    rec = {
        "dialogue_id": profile.dialogue_id, "target": profile.target, "target_title": catalog[profile.target].display,
        "status": status if status != CONTINUE else "turn-limit", "turns": len(log) - 1,
        "success@1": top1_hit is not None, "success@10": first_hit is not None,
        "turn_of_success": first_hit, "final_rank": rank, **{f"recall@{k}": float(rank <= k) for k in KS},
        "recommender_rank": rec_rank, **{f"rec_only_recall@{k}": float(rec_rank <= k) for k in KS},
        "leaks": len(leaks), "leaked_names": sorted(set(leaks)), "seeker_messages": len(log),
        "redraws": seeker.redraws, "withheld_hints": seeker.withheld, "hints": seeker.given, "behaviours": seeker.actions,
        "own_utterances": len(profile.utterances), "log": log, "seconds": round(time.time() - t0, 2),
    }
    if sat_model is not None:
        rec.update(predict_satisfaction(sat_model, log))
    return rec


def predict_satisfaction(model, log: list[dict]) -> dict:
    """Expected rating (1-5) for each user turn after a system reply, read from the context
    before it (the model judges the system's replies, not the seeker's templated answer)."""
    from crs.embeddings import encode

    roles, texts = [], []
    for t in log:
        roles.append(0)
        texts.append(t["seeker"])
        if "system" in t:
            roles.append(1)
            texts.append(t["system"] or "...")
    out = model.predict_dialogue(encode(texts, batch_size=32), np.array(roles))
    user_pos = [i for i, r in enumerate(roles) if r == 0][1:]
    per_turn = [round(float(out["expected"][i]), 4) for i in user_pos]
    return {"sat_per_turn": per_turn, "sat_dialogue": round(float(np.mean(per_turn)), 4) if per_turn else None,
            "sat_overall": round(out["overall_expected"], 4)}


def _work(task) -> dict:
    profile, turns = task
    return run_dialogue(profile, _W["manager"], _W["catalog"], _W["sat"], turns, _W["seed"])


# ------------------------------------------------------------------ the run


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
