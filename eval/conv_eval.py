"""`crs eval conv`: the item-language adapter on ReDial test.

- gold-reply perplexity with the adapter (soft tokens only, and title + soft tokens) against the frozen
  LLM with titles as text and with no items; the same for ablation adapters (BOE / infusion off);
- generation on a fixed subset: Distinct-2/3/4 (words), BLEU-2/4 (sacrebleu), item ratio (share of
  replies naming a catalogue movie, by the entity linker), with BOE-guided decoding off and on;
- phase-1 text-to-item retrieval Recall@10 on held-out movies against the raw text-embedding baseline.

Fixed seeded subsets of the test set keep CPU runs to minutes; sizes are in results.json.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from crs.paths import cache_dir


def _users(examples, feats, rec, name):
    from crs.ilm import data as D

    if rec is None:
        return D.mean_entity_users([e.rec_context for e in examples], feats.entities)
    return D.user_vectors(examples, rec, name)


def _item_ratio(texts: list[str], linker) -> float:
    return float(np.mean([any(m.type == "movie" for m in linker.link(t, fuzzy=False).mentions) for t in texts])) if texts else 0.0


def _gen_metrics(hyps: list[str], refs: list[str], linker) -> dict:
    from crs.metrics import bleu, distinct_n

    return {"dist-2": distinct_n(hyps, 2), "dist-3": distinct_n(hyps, 3), "dist-4": distinct_n(hyps, 4),
            "bleu-2": bleu(hyps, refs, 2), "bleu-4": bleu(hyps, refs, 4), "item_ratio": _item_ratio(hyps, linker)}


def evaluate_conversation(out: str | None = None, adapter: str | None = None, ablations: list[str] | None = None,
                          stage1: str | None = None, limit: int = 200, gen_limit: int = 20, seed: int = 0,
                          boe_weight: float = 0.1, max_new_tokens: int = 40, progress: bool = True) -> dict:
    from crs.data.movies import cached_catalog
    from crs.data.tmdkg import cached_tmdkg
    from crs.ilm.data import adapter_features, conv_examples, conv_messages
    from crs.ilm.model import ItemLanguageAdapter, is_adapter
    from crs.ilm.runtime import ILMRuntime
    from crs.training.train_ilm import load_llm
    from eval.report import write_results
    from eval.rundir import make_run_dir, run_metadata
    from kg.linker import cached_linker

    torch.manual_seed(seed)
    ilm = cache_dir("ilm")
    adapter = Path(adapter).expanduser() if adapter else ilm / "cpu-stage2"
    if not is_adapter(adapter):
        raise FileNotFoundError(f"no adapter at {adapter}: run `crs train ilm --stage 2 --config configs/ilm/cpu-stage2.yaml`")
    ablations = [Path(a).expanduser() for a in (ablations or []) if is_adapter(Path(a).expanduser())]
    stage1 = Path(stage1).expanduser() if stage1 else ilm / "cpu-stage1"
    run = make_run_dir(out, "conv")
    t0 = time.time()
    catalog, kg = cached_catalog(), cached_tmdkg()
    titles = [m.display for m in catalog.movies]
    main = ItemLanguageAdapter.from_pretrained(adapter)
    feats, rec = adapter_features(adapter, catalog)
    llm, tok = load_llm("smollm2" if main.config.llm != "tiny" else "tiny")
    examples = conv_examples("test", catalog, limit, seed)
    users = _users(examples, feats, rec, f"test-{limit}-{seed}")
    replies = [e.reply for e in examples]
    rows, metrics = [], {"n_examples": len(examples), "n_generated": min(gen_limit, len(examples)), "limit": limit,
                         "seed": seed, "adapter": str(adapter), "boe_weight": boe_weight}

    def ppl(rt, mode, with_user):
        msgs = [conv_messages(e.context, e.items, titles, mode, with_user) for e in examples]
        items = [e.items if mode in ("soft", "title+soft") else [] for e in examples]
        return rt.perplexity(msgs, replies, items, users if with_user else None)

    linker = cached_linker()
    gen_idx = list(range(min(gen_limit, len(examples))))
    refs = [replies[i] for i in gen_idx]

    def generate(rt, mode, with_user, w, label):
        hyps = []
        for i in tqdm(gen_idx, desc=label, disable=not progress):
            e = examples[i]
            msgs = conv_messages(e.context, e.items, titles, mode, with_user)
            items = e.items if mode in ("soft", "title+soft") else []
            hyps.append(rt.generate(msgs, items, users[i] if (with_user or w > 0) else None, boe_weight=w,
                                    max_new_tokens=max_new_tokens).strip())
        return hyps, _gen_metrics(hyps, refs, linker)

    samples = {}
    base_rt = ILMRuntime(main, llm, tok, feats, adapter_path=adapter)
    for mode, label in (("none", "no items (frozen LLM)"), ("titles", "titles as text (frozen LLM)")):
        rows.append({"system": label, "perplexity": ppl(base_rt, mode, False)})
    hyps, gm = generate(base_rt, "titles", False, 0.0, "titles as text")
    rows[-1].update(gm)
    samples["titles as text"] = hyps
    for path in [adapter] + ablations:
        ad = main if path == adapter else ItemLanguageAdapter.from_pretrained(path)
        rt = ILMRuntime(ad, llm, tok, feats, adapter_path=path)
        cfg = _train_losses(path)
        name = f"adapter {path.name} (boe {cfg.get('boe', '?')}, infusion {cfg.get('infusion', '?')})"
        for mode in ("soft", "title+soft"):
            rows.append({"system": f"{name}, items: {mode}", "perplexity": ppl(rt, mode, ad.config.user_token)})
        for w in ((0.0, boe_weight) if path == adapter else (0.0,)):
            hyps, gm = generate(rt, "title+soft", ad.config.user_token, w, f"{path.name} boe-decoding {w}")
            label = f"{name}, items: title+soft, BOE decoding {w}"
            rows.append({"system": label, **gm})
            samples[label] = hyps
    if is_adapter(stage1):
        metrics["retrieval_held_out"] = _retrieval(stage1, catalog, kg, feats)
    metrics["seconds"] = round(time.time() - t0, 1)
    from crs.ilm.runtime import NO_REPEAT_NGRAM

    meta = run_metadata(seed, {"adapter": str(adapter), "ablations": [str(a) for a in ablations], "limit": limit,
                               "gen_limit": gen_limit, "boe_weight": boe_weight, "max_new_tokens": max_new_tokens,
                               "decoding": f"greedy, no repeated {NO_REPEAT_NGRAM}-gram"})
    write_results(run, metrics, meta, "ILM adapter on ReDial test (fixed subset)", rows)
    import json

    (run / "samples.json").write_text(json.dumps({"references": refs, "contexts": [examples[i].context for i in gen_idx],
                                                  "hypotheses": samples}, indent=2, ensure_ascii=False))
    return {"metrics": metrics, "table": rows, "run_dir": str(run)}


def _train_losses(path: Path) -> dict:
    import json

    f = path / "training.json"
    return json.loads(f.read_text())["config"]["loss"] if f.exists() else {}


def _retrieval(stage1: Path, catalog, kg, feats) -> dict:
    from crs.embeddings import cached_embeddings
    from crs.ilm import data as D
    from crs.ilm.model import ItemLanguageAdapter
    from crs.training.train_ilm import Resources, retrieval_recall

    ad = ItemLanguageAdapter.from_pretrained(stage1)
    _, held = D.split_items(len(catalog))
    attrs = D.movie_attributes(kg, catalog)
    res = Resources(None, None, feats, [], query_emb=torch.as_tensor(
        cached_embeddings("ilm-attributes", [D.attribute_text(a) for a in attrs], False)))
    return {"n_held_out": int(len(held)), **retrieval_recall(ad, res, held)}
