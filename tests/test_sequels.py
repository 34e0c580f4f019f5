""""No sequels please": which movies are sequels, which messages rule them out, and the cards that follow."""

from __future__ import annotations

import pytest

from crs.dialogue.events import Recommendations
from crs.dialogue.sequels import later_in_series, rules_out_sequels, sequels
from crs.dialogue.state import DialogueState


def test_sequels_by_title_and_kg_tag(catalog, graph):
    found = {catalog[i].display for i in sequels(catalog, graph)}
    assert {"Toy Story 4 (2018)", "Saw II (2005)", "Kung Fu Panda 3 (2016)"} <= found  # a number after a known title
    assert "Ocean's Twelve (2004)" in found  # tagged "sequel" in the KG
    assert not {"District 9 (2009)", "Apollo 13 (1995)", "The Godfather (1972)", "Toy Story (1995)"} & found


@pytest.mark.parametrize("message, rules_out", [
    ("not a sequel please", True), ("no sequels", True), ("nothing that is a sequel", True),
    ("skip the sequels", True), ("one that isn't a sequel", True),
    ("I love sequels", False), ("the sequel was better", False), ("is there a sequel?", False),
])
def test_which_messages_rule_sequels_out(message, rules_out):
    assert rules_out_sequels(message) is rules_out


def test_no_sequels_holds_for_the_conversation(manager, catalog, graph):
    out = sequels(catalog, graph)
    state, shown = DialogueState(), []
    for message in ("an action movie with Vin Diesel, no sequels", "more", "more", "more"):
        for ev in manager.respond(state, message):
            if isinstance(ev, Recommendations):
                shown += [c.item for c in ev.cards]
    assert len(shown) == 12 and not set(shown) & out, [catalog[i].display for i in shown if i in out]
    assert all("action" in catalog[i].genres for i in shown[:3])  # ", no ..." does not rule action out


def test_later_films_of_a_series(catalog):
    from tests.conftest import find_movie

    later = {catalog[i].display for i in later_in_series(catalog, find_movie(catalog, "Toy Story 2", 1999))}
    assert {"Toy Story 3 (2010)", "Toy Story 4 (2018)"} <= later and "Toy Story (1995)" not in later
    assert later_in_series(catalog, find_movie(catalog, "Heat", 1996)) == []


def test_a_ruled_out_film_takes_its_sequels_with_it(manager, catalog):
    state, shown = DialogueState(), []
    for message in ("movies with Keanu Reeves that aren't John Wick", "more", "more"):
        for ev in manager.respond(state, message):
            if isinstance(ev, Recommendations):
                shown += [catalog[c.item].title for c in ev.cards]
    assert len(shown) == 9 and not [t for t in shown if t.startswith("John Wick")], shown
