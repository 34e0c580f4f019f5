"""Model folders are published atomically (crs/pretrained.py): complete or not there at all."""

from __future__ import annotations

import pytest
import torch

from crs.pretrained import load_pretrained_files, publish_folder, save_pretrained_files, staging_path


def test_publish_folder_swaps_in_a_complete_folder(tmp_path):
    target = tmp_path / "model"
    with publish_folder(target) as stage:
        (stage / "a.json").write_text("1")
        assert not target.exists()  # nothing visible while it is written
    assert (target / "a.json").read_text() == "1"
    with publish_folder(target) as stage:
        (stage / "b.json").write_text("2")
        assert (target / "a.json").exists()  # the previous version stays until the swap
    assert sorted(p.name for p in target.iterdir()) == ["b.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging or old copies left


def test_a_failed_write_leaves_the_published_folder_untouched(tmp_path):
    target = tmp_path / "model"
    with publish_folder(target) as stage:
        (stage / "a.json").write_text("1")
    with pytest.raises(RuntimeError):
        with publish_folder(target) as stage:
            (stage / "a.json").write_text("half")
            raise RuntimeError("killed")
    assert (target / "a.json").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_save_pretrained_files_keeps_the_other_files_and_replaces_atomically(tmp_path):
    target = tmp_path / "m"
    target.mkdir()
    (target / "fusion.json").write_text("{}")
    save_pretrained_files(torch.nn.Linear(2, 2), target, {"k": 1})
    cfg, state = load_pretrained_files(target)
    assert cfg == {"k": 1} and set(state) == {"weight", "bias"}
    assert (target / "fusion.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_training_publishes_the_kg_model_only_when_complete(tmp_path):
    """The KG trainer's staging folder is where the best model lives until the end (crs/training/train_rec.py)."""
    from crs.training.train_rec import prepare_staging

    out = tmp_path / "kg"
    stage = prepare_staging(out, resuming=False)
    assert stage == staging_path(out) and stage.is_dir() and not out.exists()
    (stage / "config.json").write_text("{}")
    assert prepare_staging(out, resuming=True) == stage and (stage / "config.json").exists()  # resume keeps it
    assert not (prepare_staging(out, resuming=False) / "config.json").exists()  # a fresh run starts empty
