"""The KG recommender: R-GCN layer, model persistence, training, resume, device agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from crs.recommenders.kg_model import KGRecConfig, KGRecModel
from crs.training.train_rec import load_rec_config, train
from kg.rgcn import RGCNEncoder, RGCNLayer, relation_adjacency

REPO = Path(__file__).resolve().parents[1]


def _toy_graph():
    # 5 nodes, 2 relations; edges h -> t
    h = torch.tensor([0, 1, 2, 3, 0, 4])
    r = torch.tensor([0, 0, 1, 1, 1, 0])
    t = torch.tensor([1, 2, 3, 4, 2, 0])
    return h, r, t


def test_rgcn_layer_matches_naive_per_relation_mean():
    torch.manual_seed(0)
    h, r, t = _toy_graph()
    adj = relation_adjacency(h, r, t, 5, 2)
    layer = RGCNLayer(4, 3, n_rels=2, n_bases=2)
    x = torch.randn(5, 4)
    out = layer(x, adj)
    w = layer.relation_weights()
    expected = layer.self_loop(x)
    for node in range(5):
        for rel in range(2):
            srcs = [int(a) for a, b, c in zip(h, r, t) if int(c) == node and int(b) == rel]
            if srcs:
                expected[node] = expected[node] + x[srcs].mean(0) @ w[rel]
    assert torch.allclose(out, expected, atol=1e-5)


def test_rgcn_encoder_shapes_and_gradients():
    h, r, t = _toy_graph()
    adj = relation_adjacency(h, r, t, 5, 2)
    enc = RGCNEncoder(5, 2, dim=8, n_bases=2, n_layers=2, text_dim=6)
    out = enc(adj, torch.randn(5, 6))
    assert out.shape == (5, 8)
    out.pow(2).sum().backward()
    for name, p in enc.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def _tiny_model(n_items=4):
    cfg = KGRecConfig(n_entities=5, n_relations=2, n_items=n_items, dim=8, n_bases=2, entity_text=False,
                      use_text=False, use_movielens=False, max_entities=4)
    return KGRecModel(cfg)


def _inputs():
    h, r, t = _toy_graph()
    graph = {"adj": relation_adjacency(h, r, t, 5, 2), "text_feats": None, "item_entities": torch.tensor([0, 1, 2, 3])}
    ent = torch.tensor([[0, 2, -1, -1], [-1, -1, -1, -1]])
    batch = {"ent": ent, "pol": torch.tensor([[1, 2, 0, 0], [0, 0, 0, 0]]), "mask": ent >= 0}
    return batch, graph


def test_model_scores_every_item_and_handles_empty_context():
    model = _tiny_model().eval()
    batch, graph = _inputs()
    scores = model(batch, graph)
    assert scores.shape == (2, 4) and torch.isfinite(scores).all()


def test_save_load_round_trip_gives_identical_scores(tmp_path):
    torch.manual_seed(1)
    model = _tiny_model().eval()
    batch, graph = _inputs()
    before = model(batch, graph)
    model.save_pretrained(tmp_path / "m")
    assert (tmp_path / "m" / "config.json").exists() and (tmp_path / "m" / "model.safetensors").exists()
    loaded = KGRecModel.from_pretrained(tmp_path / "m")
    assert torch.equal(before, loaded(batch, graph))


def test_from_pretrained_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="crs train rec"):
        KGRecModel.from_pretrained(tmp_path / "nothing")


def test_config_rejects_unknown_fields():
    with pytest.raises(ValueError, match="unknown"):
        KGRecConfig.from_dict({"dimm": 3})


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "rec").glob("*.yaml")), ids=lambda p: p.name)
def test_every_rec_config_loads(path):
    cfg = load_rec_config(path)
    KGRecConfig.from_dict(cfg["model"])
    assert cfg["target"] in ("crslab", "kecrs")


@pytest.fixture
def small_cfg(monkeypatch, tmp_path):
    monkeypatch.setenv("CRS_HOME", str(tmp_path / "home"))
    cfg = load_rec_config(REPO / "configs" / "rec" / "default.yaml")
    cfg["model"].update(entity_text=False, use_text=False, use_movielens=False, dim=32, n_bases=2)
    cfg["train"].update(batch_size=512, lr=0.02, epochs=50, patience=50, checkpoint_every=1)
    return cfg


def test_short_training_lowers_the_loss(small_cfg, tmp_path):
    res = train(small_cfg, tmp_path / "out", limit=15, max_steps=6, progress=False)
    losses = res["losses"]
    assert len(losses) == 6 and losses[-1] < losses[0]


def test_resume_continues_from_the_checkpoint(small_cfg, tmp_path):
    out = tmp_path / "out"
    first = train(small_cfg, out, limit=15, max_steps=2, progress=False)
    assert first["stopped_at_step"] == 2
    assert (tmp_path / "out.checkpoint" / "state.pt").exists()
    second = train(small_cfg, out, limit=15, max_steps=4, progress=False)
    # Only the two missing steps ran: the first two came from the checkpoint.
    assert second["stopped_at_step"] == 4 and len(second["losses"]) == 2


def test_finished_training_fits_the_fusion_on_valid(small_cfg, tmp_path):
    from crs.recommenders.fusion import FusionConfig

    small_cfg["train"].update(epochs=1)
    res = train(small_cfg, tmp_path / "out", limit=15, progress=False)
    fusion = FusionConfig.from_pretrained(tmp_path / "out")
    assert fusion is not None and res["fusion"]["copy_weight"] == fusion.copy_weight
    assert set(fusion.valid) == {"model", "copy only", "co-mention only", "fused"}
    # The grid contains the all-zero point (the model alone), so the chosen fusion is never worse on valid.
    mean = lambda m: np.mean(list(m.values()))  # noqa: E731
    assert mean(fusion.valid["fused"]) >= mean(fusion.valid["model"])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cpu_and_cuda_give_the_same_ranking():
    torch.manual_seed(3)
    model = _tiny_model().eval()
    batch, graph = _inputs()
    cpu = model(batch, graph).argsort(dim=1, descending=True)
    dev = torch.device("cuda")
    gpu_model = model.to(dev)
    gbatch = {k: v.to(dev) for k, v in batch.items()}
    ggraph = {k: (v.to(dev) if v is not None else None) for k, v in graph.items()}
    assert torch.equal(cpu, gpu_model(gbatch, ggraph).argsort(dim=1, descending=True).cpu())


@pytest.mark.slow
def test_two_process_ddp_training_runs_unchanged(tmp_path):
    """The same script under torchrun (2 CPU processes, gloo): what `accelerate launch` does on GPUs."""
    import os
    import subprocess
    import sys

    cfg = tmp_path / "ddp.yaml"
    cfg.write_text(f"base: {REPO / 'configs' / 'rec' / 'default.yaml'}\nname: ddp\n"
                   "model: {entity_text: false, use_text: false, use_movielens: false, dim: 32, n_bases: 2}\n"
                   "train: {epochs: 1, batch_size: 64}\n")
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "CRS_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m",
                          "crs.training.train_rec", "--config", str(cfg), "--limit", "40", "--output", str(tmp_path / "m")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "on 2 process(es)" in out.stdout and (tmp_path / "m" / "model.safetensors").exists()
