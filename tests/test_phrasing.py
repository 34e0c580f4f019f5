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


@pytest.mark.parametrize("limit, stops_early", [(2, True), (None, False)])
def test_generation_stops_after_dropped_sentences_in_a_row(real_data, limit, stops_early):
    """With max_dropped_sentences the manager stops reading (and closes) the LLM stream once that many
    sentences in a row fail the post-check; the grounded reply still comes."""
    from crs.dialogue.factory import build_manager

    babble = ["I'm sorry for any confusion. "] + [f"As an AI model number {k}, I cannot watch movies. " for k in range(20)]
    seen = {"read": 0, "closed": False}

    class Babbler:
        def stream(self, *a, **k):
            try:
                for piece in babble:
                    seen["read"] += 1
                    yield piece
            finally:
                seen["closed"] = True

    m = build_manager(llm="babbler", recommender="popularity",
                      config=ManagerConfig(adapter="none", max_dropped_sentences=limit), llm_backend=Babbler())
    events = list(m.respond(DialogueState(), "I loved The Shining, what else would I like?"))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert "As an AI" not in text and isinstance(events[-1], TurnDone) and text.strip()
    assert seen["closed"]
    assert (seen["read"] == 2) == stops_early and (seen["read"] == len(babble)) != stops_early
    with pytest.raises(ValueError, match="max_dropped_sentences"):
        ManagerConfig(max_dropped_sentences=0)
