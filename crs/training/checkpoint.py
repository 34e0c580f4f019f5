"""Resumable training checkpoints: model, optimiser, progress and RNG states, written atomically."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import numpy as np
import torch


def save_checkpoint(path: Path, model, optimizer, progress: dict) -> None:
    """Write to a temporary folder, then rename: a kill mid-write leaves the previous checkpoint intact."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save({
        "model": model.state_dict(), "optimizer": optimizer.state_dict(), "progress": progress,
        "rng": {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()},
    }, tmp / "state.pt")
    old = path.with_name(path.name + ".old")
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(path: Path, model, optimizer) -> dict | None:
    """Restore a checkpoint if one exists; returns its progress dict (or None)."""
    path = Path(path)
    if not (path / "state.pt").exists():
        old = path.with_name(path.name + ".old")  # killed between the two renames
        if not (old / "state.pt").exists():
            return None
        path = old
    state = torch.load(path / "state.pt", map_location="cpu", weights_only=False)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    random.setstate(state["rng"]["python"])
    np.random.set_state(state["rng"]["numpy"])
    torch.set_rng_state(state["rng"]["torch"])
    return state["progress"]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
