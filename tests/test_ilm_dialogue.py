"""The dialogue manager's adapter switch: off, auto (only when a trained adapter exists), or a folder."""

from __future__ import annotations

import pytest

from crs.dialogue.manager import DialogueManager, ManagerConfig
from crs.dialogue.state import DialogueState
from crs.ilm.dialogue import resolve_adapter


def test_resolve_adapter(tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_HOME", str(tmp_path))
    assert resolve_adapter("none") is None and resolve_adapter(None) is None
    assert resolve_adapter("auto") is None  # nothing trained in this $CRS_HOME
    with pytest.raises(FileNotFoundError):
        resolve_adapter(str(tmp_path / "missing"))
    folder = tmp_path / "ilm" / "cpu-stage2"
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text("{}")
    assert resolve_adapter("auto") == folder


class FakeILM:
    """Records what the manager hands the adapter and replies with a grounded sentence."""

    def __init__(self, catalog):
        self.catalog, self.calls = catalog, []

    def stream(self, history, items, rec_context, max_new_tokens, temperature):
        self.calls.append(items)
        return iter([f"You might enjoy {self.catalog[items[0]].display}."])


def test_manager_phrases_recommendations_through_the_adapter(manager, catalog):
    ilm = FakeILM(catalog)
    m = DialogueManager(manager.llm, manager.rec, manager.linker, manager.graph, catalog, ManagerConfig(adapter="none"), ilm)
    state = DialogueState()
    events = list(m.respond(state, "I loved The Shining, recommend me something similar"))
    done = events[-1]
    assert done.action == "recommend" and ilm.calls
    assert ilm.calls[0] == [c.item for c in state.last_cards]
    assert catalog[ilm.calls[0][0]].title in done.text
    ilm.calls.clear()
    list(m.respond(DialogueState(), "hello"))  # no cards: the plain LLM path, not the adapter
    assert not ilm.calls
