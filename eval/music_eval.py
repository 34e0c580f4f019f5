"""Video-to-music evaluation on held-out MusicCaps clips (`crs eval music --out DIR`).

1. **Turn 2**, two protocols side by side (see eval.music_protocol): the old one (a caption
   neighbour as previous piece, lexicon feedback, a video made from the target's energy /
   valence), which agrees with itself, and the new one (previous piece random or the system's
   turn-1 pick, feedback written from human descriptions by code that shares nothing with the
   parser, no target attribute reaches the scorer). Each method ranks all clips (the previous
   piece excluded); Recall@1/5/10 and the median rank over the full pool, with baselines.
2. **Human aspect list -> clip** (real human descriptions on both sides): the held-out clip's
   aspect list written by a musician is the query, its caption the target, ranked over the full
   pool; text similarity alone vs plus attribute agreement (candidate attributes parsed from
   captions only, so the query's own words are not copied into the candidates).
3. **Grounding of explanations**: for the first N test queries, the LLM explains the fused
   pick; we count how often every aspect it names is one the clip has.
4. **Turn 1, picture ablation** (eval.music_picture): with and without the image feature.
5. **Latency** of a 30-second 640x360 video on this CPU (synthetic, written with PyAV).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np

KS = (1, 5, 10)


def rank_summary(ranks: np.ndarray) -> dict:
    out = {f"recall@{k}": float((ranks <= k).mean()) for k in KS}
    out.update(median_rank=float(np.median(ranks)), mean_rank=float(ranks.mean()), n=int(len(ranks)))
    return out


def turn2_table(config, cat, scorer, seed_offset: int = 2) -> tuple[list[dict], list, dict]:
    """The old protocol (neighbour as previous piece, lexicon feedback, target-derived video)."""
    from crs.music.feedback import make_examples, split_clips
    from crs.music.train import examples_to_queries
    from eval.music_protocol import compare

    fc = config.fusion
    split = split_clips(len(cat), fc.split_seed)
    examples = make_examples(cat, split["test"], pool=list(range(len(cat))), seed=fc.seed + seed_offset,
                             per_target=1, video_noise=fc.video_noise)
    q = examples_to_queries(examples, f"test-{config.name}")
    rows, ranks = compare(cat, scorer, fc, q, [e.feedback for e in examples], seed=fc.seed)
    return rows, examples, ranks


def new_protocol_tables(engine, seed_offset: int = 3) -> dict:
    """The new protocol, previous piece random and the system's turn-1 pick (eval.music_protocol)."""
    from crs.music.feedback import split_clips
    from eval.music_protocol import cases_to_queries, compare, new_cases, synthetic_videos

    cfg, cat = engine.config, engine.catalogue
    fc = cfg.fusion
    test = split_clips(len(cat), fc.split_seed)["test"]
    videos = synthetic_videos(engine, cfg.eval_videos, seed=fc.seed + seed_offset)
    out = {}
    for mode in ("random", "turn1"):
        cases = new_cases(cat, test, seed=fc.seed + seed_offset, prev_mode=mode, videos=videos)
        q = cases_to_queries(cases, videos, f"{mode}-{cfg.name}")
        rows, ranks = compare(cat, engine.scorer, fc, q, [c.feedback for c in cases], seed=fc.seed)
        parsed = float(np.mean([bool(w.any() or u.any()) for w, u in zip(q.wanted, q.unwanted)]))
        out[mode] = {"rows": rows, "ranks": ranks, "cases": cases, "parser_reads_a_tag": parsed,
                     "distinct_previous_pieces": len({c.prev for c in cases})}
    out["videos"] = [v[0].text for v in videos]
    return out


def side_by_side(old_rows: list[dict], new: dict) -> list[dict]:
    """One row per method: Recall@10 and median rank under each protocol."""
    table = []
    for r in old_rows:
        m = r["method"]
        row = {"method": m, "old R@10": r["recall@10"], "old median": r["median_rank"]}
        for mode, label in (("random", "new, random prev"), ("turn1", "new, turn-1 prev")):
            nr = next(x for x in new[mode]["rows"] if x["method"] == m)
            row[f"{label} R@1"] = nr["recall@1"]
            row[f"{label} R@10"] = nr["recall@10"]
            row[f"{label} median"] = nr["median_rank"]
        table.append(row)
    return table


def paired_bootstrap(a: np.ndarray, b: np.ndarray, k: int = 10, n: int = 2000, seed: int = 0) -> dict:
    """95% bootstrap interval of Recall@k(a) - Recall@k(b) over the same queries (resampled together)."""
    rng = np.random.default_rng(seed)
    ha, hb = (a <= k).astype(float), (b <= k).astype(float)
    idx = rng.integers(0, len(a), size=(n, len(a)))
    diffs = ha[idx].mean(1) - hb[idx].mean(1)
    return {"k": k, "diff": float(ha.mean() - hb.mean()), "ci95": [float(np.quantile(diffs, 0.025)),
                                                                  float(np.quantile(diffs, 0.975))]}


def human_aspects_table(cat, split_seed: int) -> list[dict]:
    """Real human text on both sides: aspect list of a held-out clip -> its caption, over the full pool."""
    from crs.embeddings import cached_embeddings
    from crs.music.attributes import parse_attributes, parse_text
    from crs.music.catalogue import tag_matrix
    from crs.music.feedback import split_clips
    from crs.music.train import ranks_of

    test = [i for i in split_clips(len(cat), split_seed)["test"] if cat.items[i].aspects]
    queries = [", ".join(cat.items[i].aspects) for i in test]
    qemb = cached_embeddings("music-aspects-test", queries, progress=False)
    sim = qemb @ cat.embeddings.T
    cap_tags = tag_matrix([parse_attributes([], it.caption).tags for it in cat.items])
    qpos = [parse_text(a)[0] for a in queries]
    qt = tag_matrix(qpos)
    agree = (qt @ cap_tags.T) / np.maximum(qt.sum(1, keepdims=True), 1.0)
    rows = []
    for name, scores in (("text only (MiniLM)", sim), ("text + attribute agreement (weight 0.1, hand-set)", sim + 0.1 * agree)):
        rows.append({"method": name, **rank_summary(ranks_of(scores, np.array(test)))})
    return rows


def grounding_rates(config, cat, scorer, examples, llm, n: int) -> dict:
    """Explain the fused pick for n test queries; share whose named aspects all belong to the clip."""
    from crs.music.explain import explain_pick, grounding
    from crs.music.scorer import catalogue_to_torch
    from crs.music.train import examples_to_queries

    sub = examples[:n]
    if not sub:
        return {"n": 0}
    q = examples_to_queries(sub, f"test-{config.name}")
    picks = np.argmax(scorer.score(q, catalogue_to_torch(cat)), axis=1)
    llm_ok = llm_named = llm_good = final_ok = templ = 0
    samples = []
    for ex, p in zip(sub, picks):
        item = cat.items[int(p)]
        summary = re.sub(r"\ba (?=[aeiou])", "an ", ex.video_text.split(". ")[0].replace("Music for ", ""))
        e = explain_pick(item, summary, ex.feedback, llm, config.explain_max_new_tokens)
        named, bad = grounding(e.llm_text, item, summary) if e.llm_text else ([], [])
        llm_named += len(named)
        llm_good += len(named) - len(bad)
        llm_ok += e.source == "llm"
        templ += e.source == "template"
        final_ok += not e.ungrounded
        samples.append({"clip": item.id, "feedback": ex.feedback, "llm_text": e.llm_text, "final": e.text,
                        "source": e.source, "ungrounded_in_llm_text": bad})
    return {"n": len(sub), "llm_passes_check": llm_ok / len(sub), "llm_aspect_precision": llm_good / max(llm_named, 1),
            "llm_aspects_named": llm_named, "template_fallback_rate": templ / len(sub),
            "final_grounding_rate": final_ok / len(sub), "samples": samples}


def latency(engine, seconds: float = 30.0) -> dict:
    """Seconds for analyse + turn 1 + turn 2 on a synthetic 30-s 640x360 30-fps video."""
    from crs.music.session import MusicState
    from crs.music.synthetic import make_video

    with tempfile.TemporaryDirectory() as d:
        path = make_video(Path(d) / "latency.mp4", seconds=seconds, fps=30, size=(640, 360), speed=3,
                          cut_every_s=5, audio=True)
        state = MusicState()
        t0 = time.perf_counter()
        engine.analyze(str(path))
        t1 = time.perf_counter()
        engine.start(state, str(path))
        t2 = time.perf_counter()
        engine.refine(state, "more upbeat, no vocals")
        t3 = time.perf_counter()
    return {"video_seconds": seconds, "analyse_s": round(t1 - t0, 2), "turn1_total_s": round(t2 - t1, 2),
            "turn2_total_s": round(t3 - t2, 2), "llm": engine.llm.name if engine.llm is not None else None}


def evaluate_music(config: str = "default", out: str | None = None, llm: str | None = None,
                   explanations: int | None = None, skip_latency: bool = False) -> dict:
    """Run all parts and write results.json / results.md (and samples) into the run directory."""
    from crs.music.session import MusicEngine
    from eval.report import markdown_table, write_results
    from eval.rundir import make_run_dir, run_metadata

    engine = MusicEngine.shared(config, llm=llm)
    cfg = engine.config
    cat, scorer = engine.catalogue, engine.scorer
    run = make_run_dir(out, name="music")
    rows, examples, ranks = turn2_table(cfg, cat, scorer)
    fused_vs_text = paired_bootstrap(ranks["fusion, trained"], ranks["text only (MiniLM cosine of the feedback)"],
                                     seed=cfg.fusion.seed)
    new = new_protocol_tables(engine)
    text_row = "text only (MiniLM cosine of the feedback)"
    product_row = next(m for m in new["random"]["ranks"] if m.startswith("the product"))
    new_boot = {mode: paired_bootstrap(new[mode]["ranks"]["fusion, trained"], new[mode]["ranks"][text_row],
                                       seed=cfg.fusion.seed) for mode in ("random", "turn1")}
    product_boot = {mode: paired_bootstrap(new[mode]["ranks"][product_row], new[mode]["ranks"][text_row],
                                           seed=cfg.fusion.seed) for mode in ("random", "turn1")}
    both = side_by_side(rows, new)
    human = human_aspects_table(cat, cfg.fusion.split_seed)
    picture = None
    if cfg.eval_picture:
        from eval.music_picture import picture_ablation

        picture = picture_ablation(engine, seed=cfg.fusion.seed)
    n_expl = cfg.eval_explanations if explanations is None else explanations
    ground = grounding_rates(cfg, cat, scorer, examples, engine.llm, n_expl)
    lat = None if skip_latency else latency(engine)
    with open(run / "turn2_queries.jsonl", "w", encoding="utf-8") as f:
        for ex in examples:
            f.write(json.dumps({"protocol": "old", "target": cat.items[ex.target].id, "prev": cat.items[ex.prev].id,
                                "feedback": ex.feedback, "video_text": ex.video_text}) + "\n")
        for mode in ("random", "turn1"):
            for c in new[mode]["cases"]:
                f.write(json.dumps({"protocol": f"new-{mode}", "target": cat.items[c.target].id,
                                    "prev": cat.items[c.prev].id, "feedback": c.feedback,
                                    "video_text": new["videos"][c.video] if c.video >= 0 else None}) + "\n")
    with open(run / "explanations.jsonl", "w", encoding="utf-8") as f:
        for s in ground.pop("samples", []):
            f.write(json.dumps(s, ensure_ascii=False) + "\n")

    def by_method(rs):
        return {r["method"]: {k: v for k, v in r.items() if k != "method"} for r in rs}

    metrics = {"turn2_synthesised_feedback": by_method(rows),
               "turn2_new_protocol": {mode: {"methods": by_method(new[mode]["rows"]),
                                             "fused_minus_text_only_recall@10": new_boot[mode],
                                             "product_minus_text_only_recall@10": product_boot[mode],
                                             "parser_reads_a_tag": new[mode]["parser_reads_a_tag"],
                                             "distinct_previous_pieces": new[mode]["distinct_previous_pieces"]}
                                      for mode in ("random", "turn1")},
               "turn2_new_protocol_videos": new["videos"],
               "human_aspects_to_caption": by_method(human),
               "fused_minus_text_only_recall@10": fused_vs_text,
               "turn1_picture_ablation": picture,
               "explanations": ground, "latency": lat, "pool_size": len(cat),
               "scorer": {"path": str(cfg.scorer_dir), "turn2_method": scorer.method,
                          "training": {k: v for k, v in scorer.record.items() if k not in ("config", "features")},
                          "weights": scorer.weights_table()}}
    meta = run_metadata(cfg.fusion.seed, {"config": config, "llm": llm or cfg.llm})
    write_results(run, metrics, meta, "Video-to-music: held-out MusicCaps clips", table_rows=both, digits=3)
    with open(run / "results.md", "a", encoding="utf-8") as f:
        f.write("\n## Old protocol (neighbour, lexicon feedback, target-derived video)\n\n"
                + markdown_table(rows, digits=3) + "\n")
        for mode in ("random", "turn1"):
            f.write(f"\n## New protocol, previous piece: {mode} (feedback from human descriptions)\n\n"
                    + markdown_table(new[mode]["rows"], digits=3) + "\n")
        f.write("\n## Human aspect list -> clip (real human descriptions)\n\n" + markdown_table(human, digits=3) + "\n")
        if picture:
            prow = [{"arm": a, **v} for a, v in picture["test"].items()]
            f.write(f"\n## Turn 1, picture ablation (proxy; weight {picture['weight_chosen_on_valid']} chosen on "
                    f"valid classes; random pick P@10 {picture['test_random_pick_p@10']:.3f})\n\n"
                    + markdown_table(prow, digits=3) + "\n")
    return metrics
