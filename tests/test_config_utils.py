"""YAML configs with `base:` inheritance (ablations state only what they change)."""

from pathlib import Path

import pytest

from crs.config_utils import load_yaml

REPO = Path(__file__).resolve().parents[1]


def test_base_is_merged_key_by_key_and_named_after_the_file(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\nloss: {nll: 1.0, boe: 1.5}\ntrain: {steps: 10, lr: 0.1}\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nloss: {boe: 0.0}\ntrain: {steps: 3}\n")
    cfg = load_yaml(tmp_path / "b.yaml")
    assert cfg == {"name": "b", "loss": {"nll": 1.0, "boe": 0.0}, "train": {"steps": 3, "lr": 0.1}}


def test_circular_and_missing_bases_are_clear_errors(tmp_path):
    (tmp_path / "x.yaml").write_text("base: y.yaml\n")
    (tmp_path / "y.yaml").write_text("base: x.yaml\n")
    with pytest.raises(ValueError, match="circular"):
        load_yaml(tmp_path / "x.yaml")
    (tmp_path / "z.yaml").write_text("base: nowhere.yaml\n")
    with pytest.raises(FileNotFoundError):
        load_yaml(tmp_path / "z.yaml")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="mapping"):
        load_yaml(tmp_path / "list.yaml")


def test_every_ilm_ablation_differs_from_the_default_only_in_its_losses():
    from crs.training.train_ilm import load_ilm_config

    main = load_ilm_config(REPO / "configs" / "ilm" / "cpu-stage2.yaml")
    for path in sorted((REPO / "configs" / "ilm").glob("cpu-stage2-abl-*.yaml")):
        cfg = load_ilm_config(path)
        assert cfg["name"] == path.stem and cfg["loss"] != main["loss"]
        assert cfg["train"] == main["train"] and cfg["data"] == main["data"] and cfg["init_from"] == main["init_from"]


def test_strict_config_base_nested_round_trip_and_yaml_base(tmp_path):
    from crs.music.config import MusicConfig

    cfg = MusicConfig.from_dict({"name": "x", "fusion": {"epochs": 2}, "video": {"max_mb": 5.0}})
    assert (cfg.fusion.epochs, cfg.video.max_mb) == (2, 5.0)
    assert MusicConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match=r"unknown ScorerConfig keys \['epoch'\]"):
        MusicConfig.from_dict({"fusion": {"epoch": 2}})
    with pytest.raises(ValueError, match="unknown MusicConfig keys"):
        MusicConfig.from_dict({"fusoin": {}})
    (tmp_path / "a.yaml").write_text("name: a\nllm: tiny\nfusion: {epochs: 3, lr: 0.1}\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\nfusion: {epochs: 1}\n")
    b = MusicConfig.from_yaml(tmp_path / "b.yaml")
    assert (b.name, b.llm, b.fusion.epochs, b.fusion.lr) == ("b", "tiny", 1, 0.1)
