"""Persistence shared by every learnable part: a JSON config beside a safetensors state dict
(the layout of a peft adapter or a transformers model folder), published atomically.

A model folder is never visible half-written: writers fill a hidden sibling folder and swap it
in with one rename (`publish_folder`), so an app that loads the model meanwhile sees either the
previous complete folder or the new one. Resume checkpoints live elsewhere (`<name>.checkpoint`).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

_RENAME_EXCHANGE = 2  # linux/fs.h: swap two paths atomically (renameat2, Linux >= 3.15)
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one step where the kernel allows it; False when unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE) == 0


def staging_path(path: str | Path, tag: str = "partial") -> Path:
    """The hidden sibling a folder is built in before it is published (same file system: rename works)."""
    path = Path(path).expanduser()
    return path.with_name(f".{path.name}.{tag}")


def swap_in(staging: str | Path, path: str | Path) -> Path:
    """Publish the complete folder `staging` as `path` (replacing any previous one) and drop the old copy."""
    staging, path = Path(staging), Path(path).expanduser()
    if not path.exists():
        os.replace(staging, path)
        return path
    if _exchange(staging, path):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous version
        return path
    old = staging_path(path, f"old-{os.getpid()}")  # fallback: two renames, path missing for an instant
    os.replace(path, old)
    os.replace(staging, path)
    shutil.rmtree(old, ignore_errors=True)
    return path


@contextmanager
def publish_folder(path: str | Path, keep_existing: bool = False):
    """Yield a fresh staging folder; when the block ends without an error it replaces `path` in one step.

    keep_existing: start from (hard links to) the files already in `path`, for writers that replace
    only some files of a folder. On an error the staging folder is removed and `path` is untouched.
    """
    path = Path(path).expanduser()
    staging = staging_path(path, f"partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    if keep_existing and path.is_dir():
        shutil.copytree(path, staging, copy_function=_link_or_copy)
    else:
        staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_in(staging, path)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # safe: writers replace files (new inode), never modify them in place
    except OSError:
        shutil.copy2(src, dst)


def _is_staging(path: Path) -> bool:
    return path.name.startswith(".") and ".partial" in path.name


def save_pretrained_files(module, path: str | Path, config: dict, config_name: str = "config.json",
                          weights_name: str = "model.safetensors") -> Path:
    """Write `config` as JSON and the module's state dict as safetensors into the folder `path`.

    Published atomically: other files already in the folder are kept, and a reader never sees the
    new config beside the old weights. Inside a staging folder (publish_folder) it writes directly.
    """
    path = Path(path).expanduser()
    if _is_staging(path):
        path.mkdir(parents=True, exist_ok=True)
        _write_files(module, path, config, config_name, weights_name)
        return path
    with publish_folder(path, keep_existing=True) as staging:
        _write_files(module, staging, config, config_name, weights_name)
    return path


def _write_files(module, folder: Path, config: dict, config_name: str, weights_name: str) -> None:
    from safetensors.torch import save_file

    for name in (config_name, weights_name):  # replace, never write through a hard link to the old file
        (folder / name).unlink(missing_ok=True)
    (folder / config_name).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    save_file({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, str(folder / weights_name))


def load_pretrained_files(path: str | Path, config_name: str = "config.json", weights_name: str = "model.safetensors",
                          device: str = "cpu", hint: str = "") -> tuple[dict, dict]:
    """(config dict, state dict) from a folder written by `save_pretrained_files`; a clear error if absent."""
    from safetensors.torch import load_file

    path = Path(path).expanduser()
    if not (path / config_name).exists():
        raise FileNotFoundError(f"no {config_name} in {path}" + (f": {hint}" if hint else ""))
    return json.loads((path / config_name).read_text(encoding="utf-8")), load_file(str(path / weights_name), device=device)
