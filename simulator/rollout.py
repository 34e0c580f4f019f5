"""Simulated-user rollouts: one seeker against one system (`crs eval simulate` runs many: eval/simulate.py).

Seekers (simulator/seeker.py) talk to a system through ``DialogueManager.respond`` (the same
event stream the app and the CLI consume) in parallel worker processes. One JSON line per
dialogue in ``dialogues.jsonl``; a rerun skips the dialogues already there. Everything that
varies is seeded per dialogue (seeker templates, torch for the LLM).

Per dialogue: success@1 (the target was the first card of a turn), success@10 (the target was
among the first 10 cards of a turn), the turn of success, the target's rank in the *final*
ranking (the recommender's scores after the last turn, with the manager's KG filters and
bonus, excluding what the seeker mentioned or rejected but not what was already shown), the
satisfaction the estimator predicts after each system reply (before the seeker's answer), the
exchange estimator's rating of each exchange (reading the answer, as USS annotators did; when
``$CRS_HOME/sat/exchange`` exists), and the leak check of every seeker message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
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


def exchange_model_dir(sat_dir: str | Path) -> Path:
    """Where the exchange estimator lives: the folder ``exchange`` beside the satisfaction model
    (``$CRS_HOME/sat/exchange`` for the default; `crs train sat --config configs/sat/exchange.yaml`)."""
    return Path(sat_dir).parent / "exchange"


def _load_sat(path) -> object | None:
    from simulator.sat_model import SatModel

    return SatModel.from_pretrained(path) if path and Path(path, "config.json").exists() else None


def _init_worker(cfg: SystemConfig, sat_dir: str | None, seed: int, threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    from crs.data.movies import cached_catalog

    _W["manager"] = build_system(cfg)
    _W["catalog"] = cached_catalog()
    _W["sat"] = _load_sat(sat_dir)
    _W["exchange"] = _load_sat(exchange_model_dir(sat_dir)) if sat_dir else None
    _W["seed"] = seed


def run_dialogue(profile, manager, catalog, sat_model, turns: int, seed: int, exchange_model=None) -> dict:
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
    rec.update(log_satisfaction(log, sat_model, exchange_model))
    return rec


def _transcript(log: list[dict]) -> tuple[list[str], np.ndarray, list[int]]:
    """Texts and roles (0 seeker, 1 system) of a rollout log, and the positions of the seeker
    messages that answer a system reply (every seeker message but the opening)."""
    roles, texts = [], []
    for t in log:
        roles.append(0)
        texts.append(t["seeker"])
        if "system" in t:
            roles.append(1)
            texts.append(t["system"] or "...")
    return texts, np.array(roles), [i for i, r in enumerate(roles) if r == 0][1:]


def _encode(texts: list[str]) -> np.ndarray:
    from crs.embeddings import encode

    return encode(texts, batch_size=32)


def log_satisfaction(log: list[dict], model=None, exchange=None) -> dict:
    """Both estimators' scores of one rollout log (whichever are given), encoding the texts once."""
    if model is None and exchange is None:
        return {}
    emb = _encode(_transcript(log)[0])
    return {**(predict_satisfaction(model, log, emb) if model is not None else {}),
            **(exchange_satisfaction(exchange, log, emb) if exchange is not None else {})}


def predict_satisfaction(model, log: list[dict], emb: np.ndarray | None = None) -> dict:
    """Expected rating (1-5) for each user turn after a system reply, read from the context
    before it (the model judges the system's replies, not the seeker's templated answer).
    ``emb``: the transcript's utterance embeddings, if already computed."""
    if getattr(getattr(model, "config", None), "reads_user_turn", False):
        raise ValueError("sat_per_turn judges the reply before the answer; this estimator reads the answer "
                         "(it is an exchange estimator: exchange_satisfaction)")
    texts, roles, user_pos = _transcript(log)
    out = model.predict_dialogue(_encode(texts) if emb is None else emb, roles)
    per_turn = [round(float(out["expected"][i]), 4) for i in user_pos]
    return {"sat_per_turn": per_turn, "sat_dialogue": round(float(np.mean(per_turn)), 4) if per_turn else None,
            "sat_overall": round(out["overall_expected"], 4)}


def exchange_satisfaction(model, log: list[dict], emb: np.ndarray | None = None) -> dict:
    """The rating of each exchange (a system reply and the seeker's answer to it) as the USS
    annotators gave it: reading the answer. ``model`` must read the rated turn ('current' block,
    configs/sat/exchange.yaml); ``sat_exchange_final`` is the last exchange's rating."""
    if not getattr(getattr(model, "config", None), "reads_user_turn", False):
        raise ValueError("the exchange score needs an estimator that reads the rated turn (configs/sat/exchange.yaml)")
    texts, roles, user_pos = _transcript(log)
    out = model.predict_dialogue(_encode(texts) if emb is None else emb, roles)
    per_turn = [round(float(out["expected"][i]), 4) for i in user_pos]
    return {"sat_exchange_per_turn": per_turn, "sat_exchange_final": per_turn[-1] if per_turn else None}


def _work(task) -> dict:
    profile, turns = task
    return run_dialogue(profile, _W["manager"], _W["catalog"], _W["sat"], turns, _W["seed"], _W.get("exchange"))


# ------------------------------------------------------------------ the run
