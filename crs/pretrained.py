"""Persistence shared by every learnable part: a JSON config beside a safetensors state dict
(the layout of a peft adapter or a transformers model folder)."""

from __future__ import annotations

import json
from pathlib import Path


def save_pretrained_files(module, path: str | Path, config: dict, config_name: str = "config.json",
                          weights_name: str = "model.safetensors") -> Path:
    """Write `config` as JSON and the module's state dict as safetensors into the folder `path`."""
    from safetensors.torch import save_file

    path = Path(path).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    (path / config_name).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    save_file({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, str(path / weights_name))
    return path


def load_pretrained_files(path: str | Path, config_name: str = "config.json", weights_name: str = "model.safetensors",
                          device: str = "cpu", hint: str = "") -> tuple[dict, dict]:
    """(config dict, state dict) from a folder written by `save_pretrained_files`; a clear error if absent."""
    from safetensors.torch import load_file

    path = Path(path).expanduser()
    if not (path / config_name).exists():
        raise FileNotFoundError(f"no {config_name} in {path}" + (f": {hint}" if hint else ""))
    return json.loads((path / config_name).read_text(encoding="utf-8")), load_file(str(path / weights_name), device=device)
