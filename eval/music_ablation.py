"""Training ablation on the new turn-2 protocol: the product's scorer vs the same training without
aspect phrases in the training feedback (configs/music/lexicon-only.yaml, trained beforehand with
`crs music train --config lexicon-only`).

    python -m eval.music_ablation runs/music-sessions [--config default] [--ablation lexicon-only]

Same test clips, seeds and cases as `crs eval music` (eval.music_eval.new_protocol_tables); writes
ablation.json with Recall@1/5/10, median rank and the paired bootstrap against the product's fusion.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from crs.music.config import load_music_config
    from crs.music.feedback import split_clips
    from crs.music.scorer import FusionScorer
    from crs.music.session import MusicEngine
    from eval.music_eval import paired_bootstrap
    from eval.music_protocol import cases_to_queries, compare, new_cases, synthetic_videos

    p = argparse.ArgumentParser(prog="python -m eval.music_ablation")
    p.add_argument("out")
    p.add_argument("--config", default="default")
    p.add_argument("--ablation", default="lexicon-only")
    args = p.parse_args(argv)
    engine = MusicEngine.load(args.config, llm="none", progress=False)
    other = FusionScorer.from_pretrained(load_music_config(args.ablation).scorer_dir)
    cfg, cat = engine.config, engine.catalogue
    fc, seed_offset = cfg.fusion, 3  # as eval.music_eval.new_protocol_tables
    test = split_clips(len(cat), fc.split_seed)["test"]
    videos = synthetic_videos(engine, cfg.eval_videos, seed=fc.seed + seed_offset)
    row = f"fusion, trained without aspect phrases ({args.ablation})"
    out = {"ablation": args.ablation, "ablation_valid": {k: other.record.get(k) for k in
                                                         ("valid_fusion_recall@10", "valid_text_only_recall@10")}}
    for mode in ("random", "turn1"):
        cases = new_cases(cat, test, seed=fc.seed + seed_offset, prev_mode=mode, videos=videos)
        q = cases_to_queries(cases, videos, f"{mode}-{cfg.name}")
        rows, ranks = compare(cat, engine.scorer, fc, q, [c.feedback for c in cases], seed=fc.seed,
                              alternatives={row: other})
        keep = ("text only (MiniLM cosine of the feedback)", "fusion, trained", row)
        out[mode] = {"rows": [r for r in rows if r["method"] in keep],
                     "ablation_minus_text_only": paired_bootstrap(ranks[row], ranks[keep[0]], seed=fc.seed),
                     "ablation_minus_product_fusion": paired_bootstrap(ranks[row], ranks[keep[1]], seed=fc.seed)}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "ablation.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
