"""Train the item-language adapter: `crs train ilm --stage 1 --config configs/ilm/cpu-stage1.yaml`, then
`--stage 2 --config configs/ilm/cpu-stage2.yaml` (or `accelerate launch -m crs.training.train_ilm ...`).

Stage 1: item-text contrastive, item-item contrastive (MovieLens + ReDial co-liked) and item-grounded
generation on the training movies (held-out movies are kept for retrieval evaluation).
Stage 2: ReDial train conversations (context + the recommended movies' soft tokens -> the recommender's
reply), LLM frozen (LoRA optional), plus KECRS's BOE and infusion losses weighted by the config.

Resumable: a checkpoint is written every `checkpoint_every` steps; rerunning the same command continues.
Batches depend only on (seed, step), so a resumed run sees the same data as an uninterrupted one.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from crs.config_utils import load_yaml
from crs.ilm import losses as L
from crs.ilm.config import ILMConfig
from crs.ilm.data import ItemFeatures, conv_messages, describe_prompt
from crs.ilm.model import ItemLanguageAdapter, attach_lora, is_adapter
from crs.ilm.prompt import assemble, render_chat
from crs.paths import cache_dir
from crs.pretrained import publish_folder
from crs.training.checkpoint import load_checkpoint, save_checkpoint, seed_everything

TRAIN_DEFAULTS = {"steps": 100, "batch_size": 32, "gen_batch_size": 4, "gen_every": 1, "lr": 1e-3, "weight_decay": 0.01,
                  "checkpoint_every": 25, "log_every": 10, "lora": False, "lora_r": 8, "lora_alpha": 16,
                  "mixed_precision": "no", "tensorboard": False}
LOSS_DEFAULTS = {"itc": 1.0, "iic": 0.5, "gen": 1.0, "nll": 1.0, "boe": 1.5, "infusion": 0.025}
DATA_DEFAULTS = {"max_target_tokens": 48, "gen_target_chars": 200, "train_limit": None, "valid_limit": 100,
                 "title_prob": 0.5, "held_out_fraction": 0.1}
TOP = {"name", "stage", "seed", "llm", "init_from", "recommender", "model", "train", "loss", "data"}


def load_ilm_config(path: str | Path, stage: int | None = None) -> dict:
    """Read a YAML config and fill defaults; unknown keys are an error, not silently ignored."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config not found: {path}")
    cfg = load_yaml(path)
    unknown = set(cfg) - TOP
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    out = {"name": cfg.get("name", path.stem), "stage": int(stage or cfg.get("stage", 1)), "seed": int(cfg.get("seed", 42)),
           "llm": cfg.get("llm", "smollm2"), "init_from": cfg.get("init_from"), "recommender": cfg.get("recommender"),
           "model": cfg.get("model") or {}}
    for key, defaults in (("train", TRAIN_DEFAULTS), ("loss", LOSS_DEFAULTS), ("data", DATA_DEFAULTS)):
        out[key] = {**defaults, **(cfg.get(key) or {})}
        bad = set(out[key]) - set(defaults)
        if bad:
            raise ValueError(f"{path}: unknown {key} settings {sorted(bad)}")
    if out["stage"] not in (1, 2):
        raise ValueError(f"{path}: stage must be 1 or 2")
    if stage is not None and cfg.get("stage") not in (None, stage):
        raise ValueError(f"{path} is a stage-{cfg['stage']} config but --stage {stage} was given")
    ILMConfig.from_dict({k: v for k, v in out["model"].items()})  # validate early
    return out


@dataclass
class Resources:
    """Everything training reads; built from the real data by `build_resources`, or by hand in tests."""

    llm: object
    tokenizer: object
    features: ItemFeatures
    titles: list[str]
    descriptions: list[str] = field(default_factory=list)
    train_items: np.ndarray | None = None  # stage 1
    held_items: np.ndarray | None = None
    query_emb: torch.Tensor | None = None  # [n_items, text_dim] attribute-text embeddings
    pairs: np.ndarray | None = None  # [P, 2] co-liked items
    train_examples: list = field(default_factory=list)  # stage 2
    train_users: torch.Tensor | None = None
    valid_examples: list = field(default_factory=list)
    valid_users: torch.Tensor | None = None
    boe_targets: dict[int, list[int]] = field(default_factory=dict)  # item -> N1 entity ids
    name_tokens: dict[int, list[int]] = field(default_factory=dict)  # entity -> name token ids
    item_vectors: str = "svd"  # recorded in the adapter config


def load_llm(name: str):
    if name == "tiny":
        from crs.llm import tiny_backend

        be = tiny_backend()
    else:
        from crs.llm import HFBackend, ensure_smollm

        be = HFBackend(ensure_smollm(), device="cpu")
    return be.model, be.tokenizer


def build_resources(cfg: dict, progress: bool = True) -> Resources:
    """Real data: the trained KG recommender's vectors, MovieLens/ReDial pairs, ReDial train/valid examples."""
    from crs.data.movies import cached_catalog
    from crs.data.tmdkg import cached_tmdkg
    from crs.embeddings import cached_embeddings
    from crs.ilm import data as D
    from crs.recommenders.kg import KGRecommender, default_checkpoint

    catalog, kg = cached_catalog(), cached_tmdkg()
    rec = None
    init = resolve_init(cfg)
    if init is not None and is_adapter(init):  # stage 2 must read items through the vectors stage 1 used
        cfg = {**cfg, "recommender": json.loads((init / "adapter_config.json").read_text()).get("item_vectors", "svd")}
    if cfg["recommender"] != "svd":
        rec_path = (Path(cfg["recommender"]).expanduser() if cfg["recommender"] not in (None, "auto")
                    else default_checkpoint())
        if (rec_path / "config.json").exists():
            rec = KGRecommender(catalog, rec_path, device="cpu")
        elif cfg["recommender"] not in (None, "auto"):
            raise FileNotFoundError(f"no trained KG recommender at {rec_path}")
        else:
            print(f"no trained KG recommender at {rec_path}: using TMDKG spectral (SVD) entity vectors instead")
    llm, tok = load_llm(cfg["llm"])
    if init is not None and (init / D.FEATURES_NAME).exists():  # exactly the vectors stage 1 trained on
        feats = D.ItemFeatures.load(init)
    else:
        feats = D.load_item_features(catalog, rec) if rec is not None else D.graph_svd_features(catalog, kg)
    res = Resources(llm, tok, feats, [m.display for m in catalog.movies])
    res.item_vectors = str(rec.path) if rec is not None else "svd"
    dc = cfg["data"]
    if cfg["stage"] == 1:
        res.descriptions = [m.text()[: dc["gen_target_chars"]] for m in catalog.movies]
        res.train_items, res.held_items = D.split_items(len(catalog), dc["held_out_fraction"])
        attrs = D.movie_attributes(kg, catalog)
        res.query_emb = torch.as_tensor(cached_embeddings("ilm-attributes", [D.attribute_text(a) for a in attrs], progress))
        res.pairs = D.coliked_pairs(catalog, res.train_items)
    else:
        res.train_examples = D.conv_examples("train", catalog, dc["train_limit"], cfg["seed"], progress)
        res.valid_examples = D.conv_examples("valid", catalog, dc["valid_limit"], cfg["seed"], progress)
        res.train_users, res.valid_users = (
            [D.user_vectors(x, rec, f"{n}-{dc[n + '_limit']}") for x, n in ((res.train_examples, "train"), (res.valid_examples, "valid"))]
            if rec is not None else
            [D.mean_entity_users([e.rec_context for e in x], feats.entities) for x in (res.train_examples, res.valid_examples)])
        heads = {m.entity: m.item for m in catalog.movies}
        n1 = L.boe_neighbourhoods(kg.triples, kg.relations, heads)
        res.boe_targets = {heads[e]: v for e, v in n1.items()}
        res.name_tokens = L.entity_name_tokens(tok, {e: kg.name(e) for e in range(kg.n_entities)})
    return res


def adapter_config(cfg: dict, res: Resources) -> ILMConfig:
    emb = res.llm.get_input_embeddings().weight
    f = res.features
    return ILMConfig.from_dict({"token_scale": float(emb.detach().float().pow(2).mean().sqrt()), **cfg["model"],
                                "llm_hidden": emb.shape[1], "vocab_size": emb.shape[0], "kg_dim": f.kg.shape[1],
                                "cf_dim": f.cf.shape[1], "text_dim": f.text.shape[1], "n_entities": f.entities.shape[0],
                                "user_dim": res.train_users.shape[1] if res.train_users is not None else f.kg.shape[1],
                                "lora": bool(cfg["train"]["lora"]), "lora_r": cfg["train"]["lora_r"],
                                "lora_alpha": cfg["train"]["lora_alpha"], "llm": cfg["llm"],
                                "item_vectors": res.item_vectors})


def resolve_init(cfg: dict) -> Path | None:
    if not cfg["init_from"]:
        return None
    p = Path(cfg["init_from"]).expanduser()
    return p if p.is_absolute() or p.exists() else cache_dir("ilm") / cfg["init_from"]


# ---------------------------------------------------------------------- one step per stage
def batch_rng(cfg: dict, step: int, shard: tuple[int, int]) -> np.random.Generator:
    """Batches depend only on (seed, step, process): a resumed run sees the same data, and each of
    several processes (rank, world size) its own; one process draws exactly what it always did."""
    rank, world = shard
    return np.random.default_rng(cfg["seed"] * 100_003 + step * world + rank)


def stage1_loss(adapter, res: Resources, cfg: dict, step: int, device, shard: tuple[int, int] = (0, 1)) -> dict[str, torch.Tensor]:
    tc, w = cfg["train"], cfg["loss"]
    rng = batch_rng(cfg, step, shard)
    items = rng.choice(res.train_items, size=min(tc["batch_size"], len(res.train_items)), replace=False)
    kg, cf, text = res.features.take(items, device)
    q = adapter.encode_items(kg, cf, text)
    out = {}
    if w["itc"]:
        out["itc"] = L.item_text_contrastive(adapter.item_embedding(q, text),
                                             adapter.text_embedding(res.query_emb[items].to(device)), adapter.logit_scale)
    if w["iic"] and res.pairs is not None and len(res.pairs):
        pr = res.pairs[rng.choice(len(res.pairs), size=min(tc["batch_size"], len(res.pairs)), replace=False)]
        qa, qb = adapter.encode_items(*res.features.take(pr[:, 0], device)), adapter.encode_items(*res.features.take(pr[:, 1], device))
        out["iic"] = L.item_item_contrastive(adapter.pair_embedding(qa), adapter.pair_embedding(qb), adapter.logit_scale)
    if w["gen"] and step % tc["gen_every"] == 0:  # the LLM pass dominates a step's cost on CPU
        g = items[: tc["gen_batch_size"]]
        soft = adapter.projector(q[: len(g)])
        prompt = describe_prompt(res.tokenizer)
        b = assemble(res.llm, res.tokenizer, [prompt] * len(g), [res.descriptions[i] for i in g],
                     [s.unsqueeze(0) for s in soft], None, cfg["data"]["max_target_tokens"])
        logits = res.llm(inputs_embeds=b.inputs_embeds, attention_mask=b.attention_mask).logits
        out["gen"] = L.generation_loss(logits, b.labels)
    return out


def stage2_batch(adapter, res: Resources, cfg: dict, examples, users, idx, modes, device):
    """Assembled inputs for examples[idx] with per-example item modes."""
    c = adapter.config
    exs = [examples[i] for i in idx]
    prompts = [render_chat(res.tokenizer, conv_messages(e.context, e.items, res.titles, m, c.user_token))
               for e, m in zip(exs, modes)]
    flat = [it for e in exs for it in e.items]
    soft = adapter.soft_tokens(*res.features.take(flat, device)) if flat else None
    items, k = [], 0
    for e in exs:
        items.append(soft[k:k + len(e.items)] if soft is not None else None)
        k += len(e.items)
    u = users[torch.as_tensor(idx)].to(device)
    b = assemble(res.llm, res.tokenizer, prompts, [e.reply for e in exs], items,
                 adapter.user_token(u) if c.user_token else None, cfg["data"]["max_target_tokens"])
    return exs, u, b


def stage2_loss(adapter, res: Resources, cfg: dict, step: int, device, shard: tuple[int, int] = (0, 1)) -> dict[str, torch.Tensor]:
    tc, w = cfg["train"], cfg["loss"]
    rng = batch_rng(cfg, step, shard)
    idx = rng.choice(len(res.train_examples), size=min(tc["batch_size"], len(res.train_examples)), replace=False)
    modes = ["title+soft" if rng.random() < cfg["data"]["title_prob"] else "soft" for _ in idx]
    exs, u, b = stage2_batch(adapter, res, cfg, res.train_examples, res.train_users, idx, modes, device)
    out_llm = res.llm(inputs_embeds=b.inputs_embeds, attention_mask=b.attention_mask, output_hidden_states=True)
    out = {"nll": L.generation_loss(out_llm.logits, b.labels)}
    if w["boe"]:
        h = out_llm.hidden_states[-1]  # the decoder state the LM head reads
        targets = L.multi_hot([sorted({e for it in ex.items for e in res.boe_targets.get(it, [])}) for ex in exs],
                              adapter.config.n_entities, device)
        out["boe"] = L.boe_loss(adapter.boe_logits(u, h, res.features.entities.to(device)), b.target_mask, targets)
    if w["infusion"]:
        words = res.llm.get_input_embeddings().weight.detach()
        y = L.infusion_targets([ex.entities for ex in exs], res.name_tokens, words.shape[0], device)
        out["infusion"] = L.infusion_loss(adapter.infusion_scores(u, words), y)
    return out


# ---------------------------------------------------------------------- evaluation during training
@torch.no_grad()
def retrieval_recall(adapter, res: Resources, items: np.ndarray, k: int = 10, device="cpu") -> dict[str, float]:
    """Text-to-item Recall@k over `items`: each item's attribute text must retrieve that item.

    Baseline: the raw MiniLM attribute-text embedding against the item's MiniLM description embedding.
    """
    adapter.eval()
    kg, cf, text = res.features.take(items, device)
    qry = res.query_emb[items].to(device)
    item_emb = torch.cat([adapter.item_embedding(adapter.encode_items(kg[s:s + 512], cf[s:s + 512], text[s:s + 512]),
                                                 text[s:s + 512]) for s in range(0, len(items), 512)])
    out = {}
    for name, scores in (("adapter", adapter.text_embedding(qry) @ item_emb.T),
                         ("text_baseline", torch.nn.functional.normalize(qry, dim=-1) @ torch.nn.functional.normalize(text, dim=-1).T)):
        target = scores.diagonal().unsqueeze(1)
        rank = (scores > target).sum(1) + 1  # ties count in the item's favour only if exactly equal
        out[f"{name}_recall@{k}"] = float((rank <= k).float().mean())
        out[f"{name}_mrr"] = float((1.0 / rank.float()).mean())
    adapter.train()
    return out


@torch.no_grad()
def valid_perplexity(adapter, res: Resources, cfg: dict, mode: str, device) -> float:
    adapter.eval()
    total, count = 0.0, 0
    exs = res.valid_examples
    for s in range(0, len(exs), 8):
        idx = list(range(s, min(s + 8, len(exs))))
        _, _, b = stage2_batch(adapter, res, cfg, exs, res.valid_users, idx, [mode] * len(idx), device)
        t, n = L.summed_nll(res.llm(inputs_embeds=b.inputs_embeds, attention_mask=b.attention_mask).logits, b.labels)
        total, count = total + t, count + n
    adapter.train()
    return float(np.exp(total / max(count, 1)))


# ---------------------------------------------------------------------- the loop
def average_gradients(acc, params: list) -> None:
    """Mean of every parameter's gradient over the processes, in one all-reduce of a flat buffer."""
    grads = [q.grad if q.grad is not None else torch.zeros_like(q) for q in params]
    flat = acc.reduce(torch.cat([g.reshape(-1) for g in grads]), reduction="mean")
    for q, chunk in zip(params, flat.split([g.numel() for g in grads])):
        q.grad = chunk.view_as(q).clone()


def _tensorboard(enabled: bool, logdir: Path):
    if not enabled:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        print("tensorboard is not installed; logging to training.json only")
        return None
    return SummaryWriter(str(logdir))


def train(cfg: dict, output: Path, res: Resources | None = None, max_steps: int | None = None, progress: bool = True) -> dict:
    """Train one stage; saves the adapter to `output` and returns the final metrics."""
    from accelerate import Accelerator

    tc, stage = cfg["train"], cfg["stage"]
    acc = Accelerator(mixed_precision=tc["mixed_precision"])
    seed_everything(cfg["seed"])
    res = res or build_resources(cfg, progress and acc.is_main_process)
    init = resolve_init(cfg)
    if init is not None and is_adapter(init):
        adapter = ItemLanguageAdapter.from_pretrained(init)
        adapter.config.lora, adapter.config.lora_r, adapter.config.lora_alpha = tc["lora"], tc["lora_r"], tc["lora_alpha"]
        acc.print(f"initialised from {init}")
    elif init is not None:
        raise FileNotFoundError(f"init_from={cfg['init_from']}: no adapter at {init} (train stage 1 first)")
    else:
        adapter = ItemLanguageAdapter(adapter_config(cfg, res))
    llm = res.llm.to(acc.device)
    for p in llm.parameters():  # the LLM is frozen; only a LoRA (opt-in) would train
        p.requires_grad_(False)
    module = adapter
    if tc["lora"]:
        llm = attach_lora(llm, adapter.config)
        module = torch.nn.ModuleDict({"adapter": adapter, "lora": llm})
    res.llm = llm
    llm.eval()  # no dropout in the frozen model
    adapter.to(acc.device).train()
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=tc["lr"], weight_decay=tc["weight_decay"])
    ckpt_dir = output.with_name(output.name + ".checkpoint")
    p = load_checkpoint(ckpt_dir, module, opt) or {"step": 0, "history": []}
    if p["step"]:
        acc.print(f"resuming from {ckpt_dir} at step {p['step']}")
    module, opt = acc.prepare(module, opt)
    writer = _tensorboard(tc["tensorboard"] and acc.is_main_process, output.with_name(output.name + ".tb"))
    step_fn = stage1_loss if stage == 1 else stage2_loss
    weights = cfg["loss"]
    end = min(tc["steps"], max_steps) if max_steps else tc["steps"]
    bar = tqdm(total=tc["steps"], initial=p["step"], desc=f"ilm stage {stage}", disable=not (progress and acc.is_main_process))
    t0, run_losses, window = time.time(), [], []
    while p["step"] < end:
        parts = step_fn(adapter, res, cfg, p["step"], acc.device, (acc.process_index, acc.num_processes))
        loss = sum(weights[k] * v for k, v in parts.items())
        opt.zero_grad()
        acc.backward(loss)
        if acc.num_processes > 1:  # the step functions call the adapter itself, not the DDP wrapper
            average_gradients(acc, params)
        opt.step()
        p["step"] += 1
        vals = {k: round(float(v.detach()), 4) for k, v in parts.items()}
        run_losses.append(float(loss.detach()))
        window.append(vals)
        bar.update(1)
        bar.set_postfix(loss=f"{np.mean(run_losses[-10:]):.3f}")
        if writer is not None:
            for k, v in vals.items():
                writer.add_scalar(f"loss/{k}", v, p["step"])
        if p["step"] % tc["log_every"] == 0 or p["step"] == end:
            keys = sorted({k for w in window for k in w})
            p["history"].append({"step": p["step"], **{k: round(float(np.mean([w[k] for w in window if k in w])), 4) for k in keys},
                                 "seconds": round(time.time() - t0, 1)})
            window = []
        if acc.is_main_process and (p["step"] % tc["checkpoint_every"] == 0 or p["step"] == end):
            save_checkpoint(ckpt_dir, acc.unwrap_model(module), opt, p)
    bar.close()
    result = {"steps": p["step"], "history": p["history"], "losses": run_losses}
    if acc.is_main_process and p["step"] >= tc["steps"]:
        if stage == 1 and res.held_items is not None:
            result["retrieval_held_out"] = retrieval_recall(adapter, res, res.held_items, device=acc.device)
        if stage == 2 and res.valid_examples:
            result["valid_perplexity"] = {m: valid_perplexity(adapter, res, cfg, m, acc.device) for m in ("soft", "title+soft")}
        with publish_folder(output) as folder:  # published in one rename, only when complete
            adapter.save_pretrained(folder, llm)
            res.features.save(folder)  # the adapter keeps the exact item vectors it was trained on
            (folder / "training.json").write_text(json.dumps({"config": cfg, **{k: v for k, v in result.items()
                                                                                if k != "losses"}}, indent=2))
    if writer is not None:
        writer.close()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="crs train ilm", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", type=int, choices=[1, 2], help="1: item encoder pre-training, 2: conversations")
    ap.add_argument("--config", required=True, help="YAML config, e.g. configs/ilm/cpu-stage1.yaml")
    ap.add_argument("--output", help="where the adapter is saved (default $CRS_HOME/ilm/<name>)")
    ap.add_argument("--max-steps", type=int, help="stop after N steps this run (smoke runs; rerun to resume)")
    args = ap.parse_args(argv)
    cfg = load_ilm_config(args.config, args.stage)
    output = Path(args.output) if args.output else cache_dir("ilm") / cfg["name"]
    res = train(cfg, output, max_steps=args.max_steps)
    if int(os.environ.get("RANK", 0)):  # several processes: only the first reports
        return 0
    print(json.dumps({k: v for k, v in res.items() if k not in ("losses", "history")}, indent=2))
    print(f"adapter saved to {output}" if (output / "adapter_config.json").exists() else
          f"stopped at step {res['steps']}; rerun the same command to resume")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
