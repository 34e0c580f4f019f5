"""The app's status line: which recommender, item-language adapter and LLM it serves, and where each came from."""

from __future__ import annotations

from pathlib import Path


def _origin(path) -> str:
    """'released <id>' / 'trained locally' for a model folder (crs/release.py's install marker)."""
    from crs.release import describe

    return describe("", Path(path)) if path else ""


def models_line(manager) -> str:
    """One Markdown line, e.g. 'Models: recommender kg (released 1a2b3c4d) · adapter cpu-stage2 (trained locally) · LLM …'."""
    rec = getattr(manager, "rec", None)
    rec_path = getattr(rec, "path", None)
    parts = [f"recommender **{getattr(rec, 'name', type(rec).__name__)}**"
             + (f" ({_origin(rec_path)})" if rec_path else "")]
    rt = getattr(getattr(manager, "ilm", None), "runtime", None)
    adapter = getattr(rt, "adapter_path", None)
    parts.append(f"adapter **{Path(adapter).name}** ({_origin(adapter)})" if adapter else "adapter **none**")
    llm = getattr(manager, "llm", None)
    inner = getattr(llm, "backend", llm)  # the batching wrapper keeps the backend it serves
    where = getattr(inner, "model_dir", None)
    parts.append(f"LLM **{getattr(inner, 'name', type(inner).__name__)}**" + (f" ({Path(where).name})" if where else ""))
    return "Models: " + " · ".join(parts)
