"""Build a DialogueManager from names: which LLM backend, which recommender."""

from __future__ import annotations

from crs.dialogue.manager import DialogueManager, ManagerConfig


def resolve_recommender(name: str) -> str:
    """'auto' means the trained KG recommender when its checkpoint exists, else the text baseline."""
    if name != "auto":
        return name
    from crs.recommenders.kg import default_checkpoint

    return "kg" if (default_checkpoint() / "config.json").exists() else "text"


def fallback_notice(name: str) -> str | None:
    """What to tell the user when 'auto' falls back to the text baseline (no trained KG recommender
    installed): the recommendations are then much weaker, and nothing else would say so."""
    if name != "auto" or resolve_recommender(name) == "kg":
        return None
    from crs.recommenders.kg import default_checkpoint

    return (f"the trained KG recommender is not installed ({default_checkpoint()}), so the weaker text "
            "recommender is used; run `crs prepare` (or `make app`) to install the released one")


def build_manager(llm: str = "smollm2", recommender: str = "auto", llm_kwargs: dict | None = None,
                  config: ManagerConfig | None = None, llm_backend=None) -> DialogueManager:
    """Load data, KG, linker, recommender and LLM (lazily where they allow) and wire them up.

    With `config.adapter` ("auto" by default) and a trained item-language adapter that fits the LLM,
    recommendation turns use soft item tokens and BOE-guided decoding.
    """
    from crs.data.movies import cached_catalog
    from crs.llm import load_backend
    from crs.recommenders import load_recommender
    from kg.graph import cached_graph
    from kg.linker import cached_linker

    catalog = cached_catalog()
    config = config or ManagerConfig()
    if config.phrasing == "template":  # grounded templates only: no LLM is loaded or called
        backend = None
    else:
        backend = llm_backend if llm_backend is not None else load_backend(llm, **(llm_kwargs or {}))
    rec = load_recommender(resolve_recommender(recommender), catalog)
    ilm = None
    from crs.ilm.dialogue import load_dialogue_ilm, resolve_adapter

    path = resolve_adapter(config.adapter) if backend is not None else None
    if path is not None:
        ilm = load_dialogue_ilm(path, backend, catalog, rec, config.boe_weight)
    return DialogueManager(backend, rec, cached_linker(), cached_graph(), catalog, config, ilm)
