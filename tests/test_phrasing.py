"""Template phrasing is a manager setting: no LLM is loaded or called, replies stay grounded."""

import pytest

from crs.dialogue.events import Recommendations, TextDelta, TurnDone
from crs.dialogue.manager import ManagerConfig
from crs.dialogue.state import DialogueState


def test_template_phrasing_loads_and_calls_no_llm(real_data):
    from crs.dialogue.factory import build_manager

    class Exploding:
        def stream(self, *a, **k):
            raise AssertionError("the LLM was called")

    m = build_manager(llm="no-such-backend", recommender="popularity",
                      config=ManagerConfig(phrasing="template", adapter="none"), llm_backend=Exploding())
    assert m.llm is None and m.ilm is None
    events = list(m.respond(DialogueState(), "I loved The Shining, what else would I like?"))
    cards = next(e.cards for e in events if isinstance(e, Recommendations))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert cards and cards[0].display in text  # the grounded lead names the top card
    assert isinstance(events[-1], TurnDone) and events[-1].llm_kept == []


def test_phrasing_is_checked():
    with pytest.raises(ValueError, match="phrasing"):
        ManagerConfig(phrasing="templates")
    with pytest.raises(ValueError, match="unknown ManagerConfig keys"):
        ManagerConfig.from_dict({"phrase": "template"})
