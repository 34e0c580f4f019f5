"""The sweep driver (crs/training/sweep_rec.py) on a tiny CPU setting; the full sweep runs on a GPU."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crs.training.sweep_rec import SweepConfig, expand, run_sweep

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "rec" / "sweep").glob("*.yaml")), ids=lambda p: p.name)
def test_every_sweep_config_expands_to_valid_training_configs(path):
    sweep = SweepConfig.from_yaml(path)
    runs = expand(sweep)
    n = 1
    for values in sweep.grid.values():
        n *= len(values)
    assert len(runs) == n and len({name for name, _ in runs}) == n
    protocol, kind, _ = sweep.select.split("/")
    assert protocol in ("crslab", "new-items") and kind in ("model", "fused")


def test_gpu_sweep_covers_the_asked_grid():
    sweep = SweepConfig.from_yaml(REPO / "configs" / "rec" / "sweep" / "gpu.yaml")
    assert sweep.grid["model.dim"] == [128, 256] and sweep.grid["model.n_layers"] == [1, 2]
    assert set(sweep.grid["target"]) == {"crslab", "kecrs"} and len(sweep.grid["train.lr"]) >= 2
    for _, cfg in expand(sweep):
        assert cfg["model"]["use_text"] and cfg["model"]["use_movielens"] and cfg["model"]["entity_text"]
        assert cfg["train"]["epochs"] <= 30 and cfg["train"]["patience"] >= 1


def test_unknown_sweep_keys_fail(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"grid": {"model.dimm": [1]}, "base": str(REPO / "configs/rec/default.yaml")}))
    with pytest.raises(ValueError, match="dimm"):
        expand(SweepConfig.from_yaml(bad))
    bad.write_text(yaml.safe_dump({"grids": {}}))
    with pytest.raises(ValueError, match="grids"):
        SweepConfig.from_yaml(bad)


@pytest.mark.slow  # about a minute on 2 cores: links and trains 4 tiny models
def test_smoke_sweep_trains_selects_on_validation_and_resumes(real_data, monkeypatch, tmp_path):
    monkeypatch.setenv("CRS_HOME", str(tmp_path / "home"))
    out = tmp_path / "sweep"
    res = run_sweep(REPO / "configs" / "rec" / "sweep" / "cpu-smoke.yaml", out, progress=False)
    assert len(res["runs"]) == 4 and res["best"] in {r["run"] for r in res["runs"]}
    for r in res["runs"]:
        assert set(r["valid"]) == {"crslab/model", "new-items/model"}
        assert (out / r["run"] / "model.safetensors").exists()
    best = yaml.safe_load((out / "best.yaml").read_text())
    assert best["name"] == "kg-default" and "test" not in json.dumps(best)
    best_value = max(r["valid"]["crslab/model"]["recall@50"] for r in res["runs"])
    chosen = next(r for r in res["runs"] if r["run"] == res["best"])
    assert chosen["valid"]["crslab/model"]["recall@50"] == best_value
    assert "chosen" in (out / "results.md").read_text()
    again = run_sweep(REPO / "configs" / "rec" / "sweep" / "cpu-smoke.yaml", out, progress=False)  # resumes: no training
    assert again["best"] == res["best"] and len((out / "sweep.jsonl").read_text().splitlines()) == 4
