"""Questions about a card beyond credits and plot (crs/dialogue/questions.py): told from requests,
answered from the catalogue and the KG, and never turned into a taste or new cards."""

from __future__ import annotations

import pytest

from crs.dialogue.events import Recommendations, TurnDone
from crs.dialogue.state import DialogueState
from tests.conftest import find_movie


@pytest.mark.parametrize("message,kind", [
    ("is it ok for kids?", "kids"), ("is the first one suitable for my 6 year old?", "kids"),
    ("is it family-friendly?", "kids"), ("would it be too scary for my daughter?", "kids"),
    ("is it on netflix?", "streaming"), ("where can I stream the second one?", "streaming"),
    ("can I rent it?", "streaming"),
    ("is it based on a book?", "source"), ("is it based on a true story?", "source"), ("Is Heat a remake?", "source"),
    ("what language is it in?", "language"), ("is the second one in German?", "language"),
    ("is there a sequel?", "sequel"), ("did they make a sequel?", "sequel"),
    ("Is Toy Story 3 a sequel?", "is-sequel"), ("is it part of a trilogy?", "is-sequel"),
    ("what's the difference between the first and second one?", "compare"),
    ("which is better, the first or the second?", "compare"), ("how are the first two different?", "compare"),
    ("compare the first and the last one", "compare"), ("is Heat better than Ronin?", "compare"),
    ("does it have a happy ending?", "unknown"), ("was the third one a hit?", "unknown"),
    ("is the first one appropriate?", "kids"), ("what is the third one rated?", "rating"),
    ("are they any good?", "which"), ("which one is the most recent?", "which"),
    ("do you know Amélie?", "know"), ("have you seen Heat?", "know"), ("ever heard of Primer?", "know"),
    ("do you know any good thrillers?", None), ("have you seen any good movies lately?", None),
    ("have you seen Heat? I loved it", None), ("you know what, I loved Heat", None),
    ("can it be older?", None), ("could they be funnier?", None),
    # requests, statements and pointers are no card question
    ("any good movies on netflix?", None), ("anything good for kids?", None), ("it should be family-friendly", None),
    ("no sequels please", None), ("something based on a true story", None), ("is that all?", None),
    ("movies in French please", None), ("the second one", None), ("can you recommend a comedy?", None),
    ("is there anything like Heat?", None),
])
def test_card_questions_are_told_from_requests(linker, message, kind):
    from crs.dialogue.facts import fact_question

    assert fact_question(message, linker.link(message)) == kind


def test_series_and_sequel_answers(catalog, graph):
    from crs.dialogue.questions import sequel, series_of

    ts, ts3 = find_movie(catalog, "Toy Story", 1995), find_movie(catalog, "Toy Story 3", 2010)
    assert {"Toy Story 2", "Toy Story 3"} <= {m.title for m in series_of(catalog, ts)}
    assert all(m.title.startswith("Toy Story") for m in series_of(catalog, ts))
    assert sequel(catalog, ts3, graph, is_it=True).startswith("Yes: Toy Story 3 (2010) follows Toy Story (1995)")
    assert sequel(catalog, ts, graph, is_it=True).startswith("No: Toy Story (1995) is the first")
    assert "Toy Story 2 (1999)" in sequel(catalog, ts, graph)
    aliens = find_movie(catalog, "Aliens", 1986)  # the plural of an older title continues its series
    assert {"Alien", "Alien 3"} <= {m.title for m in series_of(catalog, aliens)}
    # a title that only starts another title's words is no series ("Up" is not "Up in the Air")
    up = find_movie(catalog, "Up", 2009)
    assert "Up in the Air" not in {m.title for m in series_of(catalog, up)}


def test_kids_language_and_source_answers_follow_the_kg(catalog, graph):
    from crs.dialogue.questions import kids, language, source

    assert kids(find_movie(catalog, "Toy Story", 1995), graph).startswith("Most likely")
    assert kids(find_movie(catalog, "The Shining", 1980), graph).startswith("Probably not")
    thing = find_movie(catalog, "The Thing", 1982)
    assert source(thing, graph, "is it based on a book?").startswith("Yes")  # tagged "based on novel or book"
    assert source(thing, graph, "is it based on a true story?").startswith("Not as far as I know")
    assert language(thing, graph, ["English"]).startswith("Yes")
    assert language(thing, graph, ["German"]).startswith("No: The Thing (1982) is in English")


def test_compare_states_both_films_and_what_they_share(catalog, graph):
    from crs.dialogue.questions import compare

    a, b = find_movie(catalog, "Toy Story", 1995), find_movie(catalog, "Toy Story 2", 1999)
    text = compare(a, b, graph, better=True)
    assert text.startswith("I have no critics' scores")
    assert "Toy Story (1995) is" in text and "Toy Story 2 (1999) is" in text and "Both are" in text
    assert "John Lasseter" in text and "Tom Hanks" in text  # the director of both, a star of both


@pytest.mark.parametrize("question", ["is it ok for kids?", "is there a sequel?", "is it based on a book?",
                                      "is it in english?", "is the second one on netflix?",
                                      "what's the difference between the first and the second one?"])
def test_a_card_question_shows_no_cards_and_changes_no_taste(manager, question):
    state = DialogueState()
    list(manager.respond(state, "I loved Alien and The Thing"))
    liked, disliked = (list(state.liked_items), list(state.liked_entities)), list(state.disliked_entities)
    events = list(manager.respond(state, question))
    assert not [e for e in events if isinstance(e, Recommendations)]
    assert events[-1].action == "answer" and isinstance(events[-1], TurnDone)
    assert (list(state.liked_items), list(state.liked_entities)) == liked and state.disliked_entities == disliked


def test_pointing_at_a_card_explains_it_with_its_story(manager):
    state = DialogueState()
    first = list(manager.respond(state, "I loved Alien"))
    cards = next(e for e in first if isinstance(e, Recommendations)).cards
    events = list(manager.respond(state, "the second one"))
    assert not [e for e in events if isinstance(e, Recommendations)]
    assert events[-1].action == "explain" and events[-1].text.startswith(cards[1].display)
    assert "The story:" in events[-1].text or "plot" in events[-1].text


@pytest.mark.parametrize("first, then, field, name", [
    ("Who directed Jaws?", "what else did he direct?", "directors", "Steven Spielberg"),
    ("who's in Titanic?", "what else has he been in?", "stars", "Leonardo DiCaprio"),
    ("who directed Pulp Fiction?", "any other films by him?", "directors", "Quentin Tarantino"),
])
def test_he_and_she_are_the_person_just_named(manager, catalog, first, then, field, name):
    state = DialogueState()
    asked = list(manager.respond(state, first))
    assert asked[-1].action == "answer" and name in asked[-1].text
    about = state.topic
    events = list(manager.respond(state, then))
    cards = next(e for e in events if isinstance(e, Recommendations)).cards
    assert all(name in getattr(catalog[c.item], field) for c in cards), [c.display for c in cards]
    assert about not in {c.item for c in cards}  # the film asked about is no pick
    assert state.liked_entities  # the person is now a taste


def test_he_after_a_film_named_is_its_director(manager, catalog):
    state = DialogueState()
    list(manager.respond(state, "I loved Jaws"))
    events = list(manager.respond(state, "what else did he direct?"))
    cards = next(e for e in events if isinstance(e, Recommendations)).cards
    assert all("Steven Spielberg" in catalog[c.item].directors for c in cards), [c.display for c in cards]


def test_she_without_a_person_named_before_adds_nobody(manager):
    state = DialogueState()
    list(manager.respond(state, "some comedies please"))
    before = list(state.liked_entities)
    list(manager.respond(state, "what else has she been in?"))
    assert state.liked_entities == before


def test_pointing_at_another_card_after_a_question_asks_it_again(manager, catalog):
    state = DialogueState()
    cards = next(e for e in manager.respond(state, "I loved Alien") if isinstance(e, Recommendations)).cards
    list(manager.respond(state, "who stars in the first one?"))
    done = list(manager.respond(state, "and the second?"))[-1]
    second = catalog[cards[1].item]
    assert done.action == "answer" and done.text.startswith(f"{second.display} stars {second.stars[0]}")
    list(manager.respond(state, "more please"))  # another request: the question is over
    assert list(manager.respond(state, "the third one"))[-1].action == "explain"


@pytest.mark.parametrize("message, pos, stance", [
    ("more like the second one", 1, "liked"), ("something like the first one but funnier", 0, "liked"),
    ("I liked the last one", -1, "liked"), ("I hated the first one", 0, "disliked"),
])
def test_a_card_pointed_at_with_a_stance_counts_as_named(manager, message, pos, stance):
    state = DialogueState()
    cards = next(e for e in manager.respond(state, "I loved Alien") if isinstance(e, Recommendations)).cards
    events = list(manager.respond(state, message))
    assert cards[pos].item in (state.liked_items if stance == "liked" else state.disliked_items)
    new = next(e for e in events if isinstance(e, Recommendations)).cards
    assert not {c.item for c in new} & {c.item for c in cards}


def test_like_it_after_taking_a_pick_is_that_pick(manager):
    state = DialogueState()
    cards = next(e for e in manager.respond(state, "some westerns") if isinstance(e, Recommendations)).cards
    list(manager.respond(state, "the third one sounds great"))
    list(manager.respond(state, "what else is like it?"))
    assert cards[2].item in state.liked_items


def test_which_is_newest_is_answered_from_the_years(manager, catalog):
    state = DialogueState()
    cards = next(e for e in manager.respond(state, "some westerns") if isinstance(e, Recommendations)).cards
    newest = max((catalog[c.item] for c in cards), key=lambda m: m.year or 0)
    oldest = min((catalog[c.item] for c in cards), key=lambda m: m.year or 9999)
    assert list(manager.respond(state, "which one is the most recent?"))[-1].text.startswith(newest.display)
    assert list(manager.respond(state, "and which is the oldest?"))[-1].text.startswith(oldest.display)


def test_do_you_know_then_anything_similar(manager, catalog):
    state = DialogueState()
    done = list(manager.respond(state, "Do you know Amélie?"))[-1]
    amelie = find_movie(catalog, "Amélie", 2001)
    assert done.action == "answer" and done.text.startswith("Yes: Amélie (2001) is")
    assert state.liked_items == []  # a question is no taste
    list(manager.respond(state, "anything similar but in english"))
    assert amelie.item in state.liked_items
