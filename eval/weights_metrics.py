"""Metrics recorded with a released model (weights/manifest.json) and re-measured by tests/test_weights*.py.

Per artefact: the validation number training selected on (read from the folder's own training record;
it decides whether a retrained model may replace the released one) and a metric on a fixed small
subset, measured on the installed release (what the app loads), that a test reproduces quickly:

- rec: Recall@50 (and @10) of the KG recommender with its fusion on the first 200 ReDial test turns (crslab protocol);
- ilm: title+soft gold-reply perplexity on 16 seeded ReDial test turns (frozen SmolLM2);
- sat: validation UAR + kappa on the first 100 dialogues of the 10 % validation part training held out;
- music: turn-2 Recall@10 on the first 100 lexicon-feedback validation sessions.
The test numbers are reported, never used to select or replace a model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

REC_SUBSET_TURNS = 200
ILM_SUBSET = 16
SAT_SUBSET = 100
MUSIC_SUBSET = 100


# ------------------------------------------------------------------ validation (decides replacements)
def validation_metric(kind: str, folder: Path) -> dict:
    """{name, value, higher_is_better, all} from the training record saved in the model folder."""
    folder = Path(folder)
    if kind == "rec":
        fusion = json.loads((folder / "fusion.json").read_text())
        training = json.loads((folder / "training.json").read_text())
        return {"name": "valid recall@50 (fused, crslab protocol)", "value": float(fusion["valid"]["fused"]["recall@50"]),
                "higher_is_better": True, "all": {"fused": fusion["valid"]["fused"], "model": fusion["valid"]["model"],
                                                  "best_valid_recall@50_model": training.get("best_valid"),
                                                  "epochs": len(training.get("history", []))}}
    if kind == "ilm":
        training = json.loads((folder / "training.json").read_text())
        ppl = training["valid_perplexity"]
        return {"name": "valid perplexity, title+soft (32 fixed turns)", "value": float(ppl["title+soft"]),
                "higher_is_better": False, "all": {"valid_perplexity": ppl, "steps": training.get("steps")}}
    if kind == "sat":
        meta = json.loads((folder / "config.json").read_text())["_meta"]
        return {"name": "valid UAR+kappa (10 % held out)", "value": float(meta["valid_uar_plus_kappa"]),
                "higher_is_better": True, "all": {k: meta[k] for k in ("best_epoch", "n_train", "n_valid") if k in meta}}
    if kind == "music":
        record = json.loads((folder / "config.json").read_text())
        method = record.get("turn2_method", "fusion")
        chosen = record["valid_fusion_recall@10" if method == "fusion" else "valid_text_only_recall@10"]
        return {"name": f"valid turn-2 R@10, mean of lexicon and aspect-phrase sets ({method})",
                "value": float(np.mean(list(chosen.values()))), "higher_is_better": True,
                "all": {"method": method, "valid_recall@10": chosen, "best_epoch_valid": record.get("best_valid_recall@10")}}
    raise KeyError(f"unknown artefact kind {kind!r}")


def better(kind_higher: bool, new: float, old: float) -> bool:
    return new > old if kind_higher else new < old


# ------------------------------------------------------------------ fixed subsets (reproduced by tests)
def subset_metric(kind: str, folder: Path) -> dict:
    """{name, value} on the fixed subset for the model installed in `folder`."""
    return {"rec": _rec, "ilm": _ilm, "sat": _sat, "music": _music}[kind](Path(folder))


def _rec(folder: Path) -> dict:
    from eval.rec_eval import evaluate_recommender

    with tempfile.TemporaryDirectory() as out:
        m = evaluate_recommender("kg", split="test", protocol="crslab", out=out, limit=REC_SUBSET_TURNS,
                                 progress=False, checkpoint=str(folder))
    return {"name": f"test recall@50, first {REC_SUBSET_TURNS} turns (crslab)", "value": round(float(m["recall@50"]), 6),
            "recall@10": round(float(m["recall@10"]), 6), "turns": int(m["turns"])}


def _ilm(folder: Path) -> dict:
    import torch

    from crs.data.movies import cached_catalog
    from crs.ilm.data import adapter_features, conv_examples, conv_messages
    from crs.ilm.model import ItemLanguageAdapter
    from crs.ilm.runtime import ILMRuntime
    from crs.training.train_ilm import load_llm

    torch.manual_seed(0)
    catalog = cached_catalog()
    titles = [m.display for m in catalog.movies]
    adapter = ItemLanguageAdapter.from_pretrained(folder)
    feats, rec = adapter_features(folder, catalog)
    llm, tok = load_llm(adapter.config.llm if adapter.config.llm == "tiny" else "smollm2")
    examples = conv_examples("test", catalog, ILM_SUBSET, 0)
    if rec is not None:
        from crs.ilm.data import user_vectors

        users = user_vectors(examples, rec, f"weights-test-{ILM_SUBSET}")
    else:
        from crs.ilm.data import mean_entity_users

        users = mean_entity_users([e.rec_context for e in examples], feats.entities)
    rt = ILMRuntime(adapter, llm, tok, feats, adapter_path=folder)
    msgs = [conv_messages(e.context, e.items, titles, "title+soft", adapter.config.user_token) for e in examples]
    ppl = rt.perplexity(msgs, [e.reply for e in examples], [e.items for e in examples],
                        users if adapter.config.user_token else None)
    return {"name": f"test perplexity, title+soft, {ILM_SUBSET} seeded turns", "value": round(float(ppl), 4),
            "user_vector": "KG recommender" if rec is not None else "mean of context entities"}


def _sat(folder: Path) -> dict:
    from simulator.sat_model import SatModel
    from simulator.sat_train import selection_score
    from simulator.uss_data import load_dataset

    meta = json.loads((folder / "config.json").read_text())["_meta"]
    dialogues = []
    for domain in meta["domains"]:
        dialogues += load_dataset(domain, meta["aggregation"]).dialogues
    seed = meta["train"]["seed"]
    order = np.random.default_rng(seed).permutation(len(dialogues))  # the split sat_train.train_final made
    n_val = max(1, len(dialogues) // 10)
    valid = [dialogues[i] for i in order[:n_val]][:SAT_SUBSET]
    return {"name": f"valid UAR+kappa, first {SAT_SUBSET} held-out dialogues",
            "value": round(float(selection_score(SatModel.from_pretrained(folder), valid)), 6)}


def _music(folder: Path) -> dict:
    """The session synthesis depends on Python's string-hash order (set iteration in crs/music: R@10 .15 or
    .18 across hash seeds), so the metric is measured in a child process with PYTHONHASHSEED=0."""
    import os
    import subprocess
    import sys

    if os.environ.get("PYTHONHASHSEED") == "0":
        return _music_here(folder)
    out = subprocess.run([sys.executable, "-m", "eval.weights_metrics", "music", str(folder)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _music_here(folder: Path) -> dict:
    from crs.music.catalogue import load_catalogue
    from crs.music.config import load_music_config
    from crs.music.feedback import make_sessions, split_clips
    from crs.music.scorer import FusionScorer, catalogue_to_torch
    from crs.music.train import _local, examples_to_queries, ranks_of

    scorer = FusionScorer.from_pretrained(folder)
    config = load_music_config("default")
    fc = scorer.config
    cat = load_catalogue(limit=config.fusion.catalogue_limit)
    split = split_clips(len(cat), fc.split_seed)
    pool = np.array(sorted(split["train"] + split["valid"]))
    ex = make_sessions(cat, split["valid"], pool=pool.tolist(), seed=fc.seed + 1, per_target=1,
                       n_videos=fc.n_videos, human_share=0.0)[:MUSIC_SUBSET]  # the lexicon validation set
    q, y = _local(examples_to_queries(ex, f"weights-valid-{MUSIC_SUBSET}-{config.name}"), pool)
    ranks = ranks_of(scorer.score(q, catalogue_to_torch(cat, pool), method=scorer.method), y)
    return {"name": f"valid turn-2 R@10, first {MUSIC_SUBSET} lexicon sessions ({scorer.method}, PYTHONHASHSEED=0)",
            "value": round(float((ranks <= 10).mean()), 6)}


if __name__ == "__main__":  # python -m eval.weights_metrics KIND FOLDER: one JSON line (used for music)
    import sys

    print(json.dumps(subset_metric(sys.argv[1], Path(sys.argv[2]))))
