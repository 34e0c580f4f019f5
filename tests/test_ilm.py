"""The item-language adapter: config and persistence, soft-token prompts, each loss on a hand-made case,
BOE-guided decoding, and the training script (tiny random LLM, random item vectors)."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch

from crs.ilm import losses as L
from crs.ilm.config import ILMConfig
from crs.ilm.data import ConvExample, random_item_features
from crs.ilm.model import ItemLanguageAdapter
from crs.ilm.prompt import assemble, split_placeholders

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs" / "ilm").glob("*.yaml"))


@pytest.fixture(scope="module")
def tiny():
    from crs.llm import tiny_backend

    be = tiny_backend(tokenizer="simple")
    return be.model, be.tokenizer


def small_config(tok, **kw) -> ILMConfig:
    return ILMConfig(**{"llm_hidden": 32, "vocab_size": len(tok), "n_entities": 12, "q_dim": 16, "q_heads": 2,
                        "kg_dim": 8, "cf_dim": 4, "text_dim": 6, "user_dim": 8, "n_query": 3, **kw})


# ---------------------------------------------------------------------- config, persistence
def test_config_validates_and_round_trips(tmp_path, tiny):
    with pytest.raises(ValueError):
        ILMConfig(q_dim=10, q_heads=4)
    with pytest.raises(ValueError):
        ILMConfig.from_dict({"no_such_field": 1})
    ad = ItemLanguageAdapter(small_config(tiny[1]))
    ad.save_pretrained(tmp_path / "a")
    assert {p.name for p in (tmp_path / "a").iterdir()} == {"adapter_config.json", "adapter_model.safetensors"}
    back = ItemLanguageAdapter.from_pretrained(tmp_path / "a")
    assert back.config == ad.config
    for (k, v), (k2, v2) in zip(ad.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    with pytest.raises(FileNotFoundError):
        ItemLanguageAdapter.from_pretrained(tmp_path / "missing")


def test_adapter_keeps_the_item_vectors_it_was_trained_on(tmp_path, tiny):
    from crs.ilm.data import adapter_features

    ad = ItemLanguageAdapter(small_config(tiny[1], item_vectors=str(tmp_path / "retrained-or-deleted-recommender")))
    ad.save_pretrained(tmp_path / "a")
    feats = random_item_features(10, 12, kg_dim=8, cf_dim=4, text_dim=6)
    feats.save(tmp_path / "a")
    back, rec = adapter_features(tmp_path / "a", catalog=list(range(10)))
    assert rec is None  # the recommender is gone: u falls back to the entity mean, items are unchanged
    for k in ("kg", "cf", "text", "entities", "item_entities"):
        assert torch.equal(getattr(back, k), getattr(feats, k))
    with pytest.raises(ValueError, match="items"):
        adapter_features(tmp_path / "a", catalog=list(range(11)))
    (tmp_path / "a" / "item_features.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="no longer"):
        adapter_features(tmp_path / "a", catalog=list(range(10)))


def test_batches_depend_on_step_and_process_only():
    from crs.training.train_ilm import batch_rng

    cfg = {"seed": 42}
    one = batch_rng(cfg, 7, (0, 1)).integers(1 << 30, size=4)
    assert np.array_equal(one, np.random.default_rng(42 * 100_003 + 7).integers(1 << 30, size=4))
    ranks = [tuple(batch_rng(cfg, 7, (r, 2)).integers(1 << 30, size=4)) for r in (0, 1)]
    assert ranks[0] != ranks[1] and ranks[0] == tuple(batch_rng(cfg, 7, (0, 2)).integers(1 << 30, size=4))


def test_soft_tokens_replace_the_placeholder(tiny):
    llm, tok = tiny
    assert split_placeholders("a <item> b<user>") == ["a ", "<item>", " b", "<user>"]
    items = [torch.randn(2, 3, 32)]
    user = torch.randn(1, 32)
    b = assemble(llm, tok, ["hi <item> and <item> for <user>"], ["ok"], items, user)
    emb = llm.get_input_embeddings()
    ids = lambda s: tok(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    n_hi, n_and = len(ids("hi ")), len(ids(" and "))
    x = b.inputs_embeds[0]
    assert torch.equal(x[n_hi:n_hi + 3], items[0][0])  # K = 3 soft tokens for the first item
    assert torch.equal(x[n_hi + 3 + n_and:n_hi + 6 + n_and], items[0][1])
    n_for = len(ids(" for "))
    assert torch.equal(x[n_hi + 6 + n_and + n_for], user[0])
    target = ids("ok") + [tok.eos_token_id]
    assert b.labels[0, -len(target):].tolist() == target and (b.labels[0, :-len(target)] == -100).all()
    assert torch.allclose(x[-len(target):], emb(torch.tensor(target)))
    with pytest.raises(ValueError):
        assemble(llm, tok, ["<item> <item>"], None, [torch.randn(1, 3, 32)])


# ---------------------------------------------------------------------- losses on hand-made cases
def test_contrastive_losses_are_minimal_for_matched_pairs():
    a = torch.eye(4)
    matched = L.item_text_contrastive(a, a.clone(), 20.0)
    assert matched < 1e-6  # orthogonal matched pairs: the minimum, 0
    for perm in ([1, 0, 2, 3], [3, 2, 1, 0], [1, 2, 3, 0]):
        assert L.item_text_contrastive(a, a[perm], 20.0) > matched + 1.0
        assert L.item_item_contrastive(a, a[perm], 20.0) > L.item_item_contrastive(a, a, 20.0)
    # Gradient descent on random embeddings moves toward the matched configuration.
    x = torch.randn(6, 5, requires_grad=True)
    y = torch.randn(6, 5)
    before = L.info_nce(x, y).item()
    opt = torch.optim.SGD([x], lr=0.5)
    for _ in range(50):
        opt.zero_grad()
        L.info_nce(x, y).backward()
        opt.step()
    assert L.info_nce(x, y).item() < before


def test_boe_targets_are_the_one_hop_neighbours_through_kecrs_relations():
    from crs.data.tmdkg import BOE_RELATIONS
    from kg.graph import neighbours

    rel = {0: "genre", 1: "cast", 2: "language", 3: "art", 4: "keyword", 5: "directing", 6: "writing", 7: "company"}
    fwd = [(0, 0, 1), (0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 6), (0, 6, 7), (0, 7, 8), (9, 1, 2), (9, 0, 1)]
    triples = np.array(fwd + [(t, r, h) for h, r, t in fwd])
    n1 = L.boe_neighbourhoods(triples, rel, [0, 9])
    assert n1 == {0: [1, 2, 5, 6, 7, 8], 9: [1, 2]}  # language (3) and art (4) excluded
    g = nx.MultiDiGraph()
    g.add_edges_from((int(h), int(t), {"relation": rel[int(r)]}) for h, r, t in triples)
    assert n1[0] == sorted(neighbours(g, 0, BOE_RELATIONS))


def test_boe_loss_matches_the_kecrs_formula():
    # Two decoding steps (one padded) over three entities, N1(y) = {0, 2}.
    logits = torch.tensor([[[2.0, 0.0, 1.0], [0.0, 3.0, 0.0], [9.0, 9.0, 9.0]]])
    mask = torch.tensor([[True, True, False]])
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    p = torch.softmax(logits[0, :2], -1)
    s = p.sum(0)
    expected = -(math.log(torch.sigmoid(s[0])) + math.log(torch.sigmoid(s[2])))
    assert L.boe_loss(logits, mask, targets).item() == pytest.approx(expected, rel=1e-6)
    # More mass on the neighbourhood -> lower loss.
    better = logits.clone()
    better[0, 1] = torch.tensor([3.0, 0.0, 0.0])
    assert L.boe_loss(better, mask, targets) < L.boe_loss(logits, mask, targets)


def test_infusion_targets_are_the_multi_hot_entity_name_tokens(tiny):
    tok = tiny[1]
    names = {5: "Jack Nicholson", 7: "Horror", 8: "Stephen King"}
    toks = L.entity_name_tokens(tok, names)
    assert toks[5] == tok(" Jack Nicholson", add_special_tokens=False)["input_ids"]
    y = L.infusion_targets([[5, 7], [], [99]], toks, len(tok))
    assert set(torch.nonzero(y[0]).squeeze(-1).tolist()) == set(toks[5]) | set(toks[7])
    assert y[1].sum() == 0 and y[2].sum() == 0  # nothing mentioned / unknown entity
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    z = torch.zeros_like(y)
    assert L.infusion_loss(z, y).item() == pytest.approx((y ** 2).sum(-1).mean().item())
    assert L.infusion_loss(y.clone(), y).item() == 0.0


def test_generation_loss_ignores_prompt_positions():
    logits = torch.zeros(1, 4, 5)
    logits[0, 1, 3] = 10.0  # predicts token 3 at position 2
    labels = torch.tensor([[-100, -100, 3, -100]])
    assert L.generation_loss(logits, labels).item() < 1e-3


def test_summed_nll_is_the_mean_loss_times_the_target_count():
    logits = torch.randn(2, 5, 7, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([[-100, -100, 3, 4, -100], [-100, 1, 2, 6, 0]])
    total, count = L.summed_nll(logits, labels)
    assert count == 6
    assert math.isclose(total, 6 * L.generation_loss(logits, labels).item(), rel_tol=1e-5)


# ---------------------------------------------------------------------- BOE-guided decoding
def test_boe_logits_processor_adds_entity_name_mass(tiny):
    from crs.ilm.boe_decoding import BOELogitsProcessor, entity_vocab_matrix

    llm, tok = tiny
    ad = ItemLanguageAdapter(small_config(tok)).eval()
    with torch.no_grad():
        ad.boe_bias[[1, 3]] = 50.0  # the BOE head puts (almost) all its mass on entities 1 and 3
    M = entity_vocab_matrix({1: [10, 11], 3: [12]}, 12, len(tok))
    assert torch.allclose(M.to_dense().sum(1)[[1, 3]], torch.ones(2))

    class Tap:
        last = torch.randn(1, 32)

    ents = torch.randn(12, 8, generator=torch.Generator().manual_seed(0))
    proc = BOELogitsProcessor(ad, torch.randn(1, 8), ents, M, Tap(), weight=0.1)
    scores = torch.zeros(1, len(tok))
    out = torch.softmax(proc(None, scores), -1)
    base = torch.softmax(scores, -1)
    assert (out[0, [10, 11, 12]] > base[0, [10, 11, 12]]).all()
    assert out[0, 20] < base[0, 20]
    proc0 = BOELogitsProcessor(ad, torch.randn(1, 8), ents, M, Tap(), weight=0.0)
    assert torch.equal(proc0(None, scores), scores)


# ---------------------------------------------------------------------- training script
def tiny_resources(tiny, stage: int):
    from crs.training.train_ilm import Resources

    llm, tok = tiny
    n_items = 16
    g = torch.Generator().manual_seed(0)  # the same resources every call, whatever the global RNG state
    f = random_item_features(n_items, 12, 8, 4, 6, seed=1)
    res = Resources(llm, tok, f, [f"Movie {i} (2001)" for i in range(n_items)],
                    descriptions=[f"Movie {i}: a film about number {i}." for i in range(n_items)])
    if stage == 1:
        res.train_items, res.held_items = np.arange(12), np.arange(12, 16)
        res.query_emb = torch.nn.functional.normalize(f.text + 0.3 * torch.randn(n_items, 6, generator=g), dim=-1)
        res.pairs = np.array([[0, 1], [2, 3], [4, 5], [6, 7]])
    else:
        exs = [ConvExample("d", i, f"User: I liked Movie {i}", [i % n_items, (i + 1) % n_items],
                           f"You might like Movie {(i + 1) % n_items}", [i % 12, (i + 3) % 12]) for i in range(10)]
        res.train_examples, res.valid_examples = exs[:8], exs[8:]
        res.train_users, res.valid_users = torch.randn(8, 8, generator=g), torch.randn(2, 8, generator=g)
        res.boe_targets = {i: [(i + 1) % 12, (i + 2) % 12] for i in range(n_items)}
        res.name_tokens = L.entity_name_tokens(tok, {e: f"name{e}" for e in range(12)})
    return res


def tiny_cfg(stage: int, **train):
    from crs.training.train_ilm import DATA_DEFAULTS, LOSS_DEFAULTS, TRAIN_DEFAULTS

    return {"name": f"t{stage}", "stage": stage, "seed": 0, "llm": "tiny", "init_from": None, "recommender": "svd",
            "model": {"q_dim": 16, "q_heads": 2, "n_query": 2},
            "train": {**TRAIN_DEFAULTS, "steps": 3, "batch_size": 4, "gen_batch_size": 2, "checkpoint_every": 1,
                      "log_every": 1, **train},
            "loss": dict(LOSS_DEFAULTS), "data": {**DATA_DEFAULTS, "max_target_tokens": 12}}


def llm_bytes(llm) -> dict[str, bytes]:
    return {k: v.detach().cpu().contiguous().numpy().tobytes() for k, v in llm.state_dict().items()}


@pytest.mark.parametrize("stage", [1, 2])
def test_training_leaves_the_llm_unchanged_byte_for_byte(stage, tiny, tmp_path):
    from crs.training.train_ilm import train

    res = tiny_resources(tiny, stage)
    before = llm_bytes(res.llm)
    cfg = tiny_cfg(stage)
    out = train(cfg, tmp_path / "ad", res, progress=False)
    assert llm_bytes(res.llm) == before
    assert all(not p.requires_grad for p in res.llm.parameters())
    assert (tmp_path / "ad" / "adapter_config.json").exists() and out["steps"] == 3
    assert all(np.isfinite(out["losses"]))
    keys = set(out["history"][-1])
    assert keys >= ({"itc", "iic", "gen"} if stage == 1 else {"nll", "boe", "infusion"})
    if stage == 1:
        r = out["retrieval_held_out"]
        assert 0.0 <= r["adapter_recall@10"] <= 1.0 and 0.0 <= r["text_baseline_recall@10"] <= 1.0
    else:
        assert set(out["valid_perplexity"]) == {"soft", "title+soft"}


def test_training_resumes_from_its_checkpoint(tiny, tmp_path):
    from crs.training.train_ilm import train

    cfg = tiny_cfg(2, steps=4)
    first = train(cfg, tmp_path / "ad", tiny_resources(tiny, 2), max_steps=2, progress=False)
    assert first["steps"] == 2 and not (tmp_path / "ad" / "adapter_config.json").exists()
    second = train(cfg, tmp_path / "ad", tiny_resources(tiny, 2), progress=False)
    assert second["steps"] == 4 and len(second["losses"]) == 2
    straight = train(cfg, tmp_path / "ad2", tiny_resources(tiny, 2), progress=False)
    assert np.allclose(straight["losses"][2:], second["losses"], rtol=1e-4, atol=1e-5)


def test_lora_is_an_explicit_option(tiny, tmp_path):
    pytest.importorskip("peft")
    from crs.llm import tiny_backend
    from crs.training.train_ilm import train

    be = tiny_backend(tokenizer="simple")
    res = tiny_resources((be.model, be.tokenizer), 2)
    before = llm_bytes(res.llm)
    train(tiny_cfg(2, lora=True, steps=2), tmp_path / "ad", res, progress=False)
    assert (tmp_path / "ad" / "lora").is_dir()
    assert ItemLanguageAdapter.from_pretrained(tmp_path / "ad").config.lora
    base = {k.replace("base_model.model.", "").replace(".base_layer", ""): v for k, v in llm_bytes(res.llm).items()
            if "lora_" not in k}
    assert base == before  # LoRA trains its own matrices; the base weights stay as they were


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_ilm_config_loads(path):
    from crs.training.train_ilm import load_ilm_config

    cfg = load_ilm_config(path)
    assert cfg["stage"] in (1, 2) and cfg["train"]["steps"] > 0
    assert cfg["train"]["lora"] is False  # LoRA stays off unless a user turns it on
    if cfg["stage"] == 2:
        assert cfg["init_from"]
    with pytest.raises(ValueError):
        load_ilm_config(path, stage=3 - cfg["stage"])


def test_runtime_streams_with_and_without_boe(tiny):
    from crs.ilm.runtime import ILMRuntime

    llm, tok = tiny
    ad = ItemLanguageAdapter(small_config(tok))
    f = random_item_features(16, 12, 8, 4, 6)
    rt = ILMRuntime(ad, llm, tok, f, name_tokens={1: [10, 11]})
    from crs.ilm.data import conv_messages

    msgs = conv_messages("User: hi", [1, 2], [f"M{i}" for i in range(16)], "title+soft", True)
    u = torch.randn(8)
    for w in (0.0, 0.1):
        text = rt.generate(msgs, [1, 2], u, boe_weight=w, max_new_tokens=5)
        assert isinstance(text, str)
    ppl = rt.perplexity([msgs], ["You might like M1"], [[1, 2]], u.reshape(1, -1))
    assert math.isfinite(ppl) and ppl > 1


def test_runtime_forbids_repeated_ngrams_by_default(tiny, monkeypatch):
    from crs.ilm.data import conv_messages
    from crs.ilm.runtime import NO_REPEAT_NGRAM, ILMRuntime

    llm, tok = tiny
    rt = ILMRuntime(ItemLanguageAdapter(small_config(tok)), llm, tok, random_item_features(16, 12, 8, 4, 6))
    msgs = conv_messages("User: hi", [1], [f"M{i}" for i in range(16)], "title+soft", False)
    seen = []
    real = llm.generate
    monkeypatch.setattr(llm, "generate", lambda **kw: seen.append(kw.get("no_repeat_ngram_size")) or real(**kw))
    rt.generate(msgs, [1], max_new_tokens=6)
    rt.generate(msgs, [1], max_new_tokens=6, no_repeat_ngram=0)
    assert seen == [NO_REPEAT_NGRAM, None]


def test_average_gradients_round_trips_the_flat_buffer():
    from crs.training.train_ilm import average_gradients

    class HalvingAcc:  # stands in for two processes whose other gradient is zero
        def reduce(self, t, reduction):
            assert reduction == "mean"
            return t / 2

    a, b = torch.nn.Parameter(torch.ones(2, 3)), torch.nn.Parameter(torch.ones(4))
    a.grad = torch.arange(6.0).view(2, 3)  # b got no gradient this step
    average_gradients(HalvingAcc(), [a, b])
    assert torch.equal(a.grad, torch.arange(6.0).view(2, 3) / 2) and torch.equal(b.grad, torch.zeros(4))


@pytest.mark.slow
def test_two_process_ilm_training_runs(tmp_path):
    """Stage 1 with the tiny LLM under torchrun on 2 CPU processes (gloo): per-rank batches, averaged gradients."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(f"base: {repo / 'configs' / 'ilm' / 'cpu-stage1.yaml'}\nllm: tiny\n"
                   "train: {steps: 4, batch_size: 16, gen_batch_size: 2, gen_every: 2, checkpoint_every: 2}\n")
    env = {**os.environ, "ACCELERATE_USE_CPU": "true"}
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m",
                          "crs.training.train_ilm", "--stage", "1", "--config", str(cfg), "--output", str(tmp_path / "a")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "a" / "adapter_model.safetensors").exists()
