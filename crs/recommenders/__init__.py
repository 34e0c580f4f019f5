"""Recommenders, registered by name in an explicit dict."""

from __future__ import annotations

from crs.recommenders.base import RecContext, Recommender


def _popularity(catalog):
    from crs.recommenders.popularity import PopularityRecommender

    return PopularityRecommender(catalog)


def _text(catalog):
    from crs.recommenders.text import TextRecommender

    return TextRecommender(catalog)


def _kg(catalog, checkpoint=None):
    from crs.recommenders.kg import KGRecommender

    return KGRecommender(catalog, checkpoint)


def _kg_base(catalog, checkpoint=None):
    from crs.recommenders.kg import KGRecommender

    return KGRecommender(catalog, checkpoint, fusion=False)  # the R-GCN model alone (ablation)


REGISTRY = {"popularity": _popularity, "text": _text, "kg": _kg, "kg-base": _kg_base}


def load_recommender(name: str, catalog=None, checkpoint: str | None = None) -> Recommender:
    """Build a registered recommender; unknown names list the valid ones."""
    if name not in REGISTRY:
        raise KeyError(f"unknown recommender {name!r}; choose one of {sorted(REGISTRY)}")
    if catalog is None:
        from crs.data.movies import cached_catalog

        catalog = cached_catalog()
    return REGISTRY[name](catalog, checkpoint) if checkpoint else REGISTRY[name](catalog)


__all__ = ["RecContext", "Recommender", "REGISTRY", "load_recommender"]
