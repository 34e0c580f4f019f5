"""The dialogue manager with the tiny random LLM and the popularity recommender, and the grounding post-check.

The tiny backend's weights are random, so its text is gibberish: the post-check must drop all of it
and the reply must be the grounded fallback built from the cards.
"""

from __future__ import annotations

import copy

import pytest

from crs.dialogue.events import Card, Notice, Recommendations, TextDelta, TurnDone
from crs.dialogue.postcheck import GroundingCheck, readable
from crs.dialogue.prompt import fallback_reply
from crs.dialogue.state import DialogueState
from kg.graph import neighbours


def run(manager, state, message):
    events = list(manager.respond(state, message))
    assert events and isinstance(events[-1], TurnDone), events
    assert sum(isinstance(e, TurnDone) for e in events) == 1
    done = events[-1]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == done.text
    return events, done


def cards_of(events):
    recs = [e for e in events if isinstance(e, Recommendations)]
    return recs[0].cards if recs else []


@pytest.fixture(scope="module")
def shining_turn(manager):
    state = DialogueState()
    events, done = run(manager, state, "I loved The Shining, what else would I like?")
    return state, events, done


def test_recommends_catalogue_movies_with_reasons(shining_turn, catalog, shining):
    state, events, done = shining_turn
    cards = cards_of(events)
    assert done.action == "recommend"
    assert len(cards) == manager_n_cards() == len({c.item for c in cards})
    for c in cards:
        m = catalog[c.item]
        assert (c.title, c.year, c.genres) == (m.title, m.year, m.genres)
        assert c.reason.strip()
        assert c.item != shining.item
    assert state.recommended == [c.item for c in cards]
    # Recommendations come before the text that presents them.
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Recommendations") < kinds.index("TextDelta")


def manager_n_cards():
    from crs.dialogue.manager import ManagerConfig

    return ManagerConfig().n_cards


def test_state_records_the_liked_movie(shining_turn, shining):
    state, _, _ = shining_turn
    assert state.liked_items == [shining.item]
    assert state.mentioned_items == [shining.item]
    assert state.disliked_items == [] and state.disliked_entities == []
    assert shining.item in state.excluded()
    assert state.history[0] == ("user", "I loved The Shining, what else would I like?")
    assert state.history[1][0] == "assistant"


def test_gibberish_from_tiny_llm_is_replaced_by_grounded_fallback(shining_turn):
    _, events, done = shining_turn
    cards = cards_of(events)
    # The wording varies with the turn (variant = history length, 1 on the first turn), reproducibly.
    assert done.text == fallback_reply("recommend", cards, variant=1)
    assert "\ufffd" not in done.text
    assert cards[0].display in done.text


def test_tiny_llm_replies_without_cards_are_fallbacks(manager):
    events, done = run(manager, DialogueState(), "hmm")
    assert done.action == "ask"
    assert cards_of(events) == []
    assert done.text == fallback_reply("ask", [], variant=1)


@pytest.mark.parametrize("message, kind", [("hi", "greeting"), ("Hello there!", "greeting"),
                                           ("thanks a lot", "thanks"), ("bye!", "bye"),
                                           ("what's your favourite movie?", "favourite"),
                                           ("do you have a favorite?", "favourite")])
def test_social_messages_get_short_natural_replies_without_the_llm(manager, message, kind):
    from crs.dialogue.acts import SOCIAL_REPLIES

    events, done = run(manager, DialogueState(), message)
    assert done.action == "chit-chat" and cards_of(events) == []
    assert done.text in SOCIAL_REPLIES[kind]


@pytest.mark.parametrize("message", ["", "   \n\t "])
def test_empty_message_gives_notice_and_error_without_state_change(manager, message):
    state = DialogueState(liked_items=[1], history=[("user", "earlier")])
    before = copy.deepcopy(state)
    events = list(manager.respond(state, message))
    assert len(events) == 2
    assert isinstance(events[0], Notice) and events[0].level == "warning"
    assert isinstance(events[1], TurnDone) and events[1].action == "error" and events[1].text == ""
    assert state == before


def test_very_long_message_warns_and_does_not_crash(manager, shining):
    state = DialogueState()
    message = "I loved The Shining. " + "la " * 33_330 + "end"
    assert len(message) > 100_000
    events, done = run(manager, state, message)
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and notices[0].level == "warning"
    assert f"{len(message):,}" in notices[0].message
    assert done.action != "error"
    assert shining.item in state.liked_items  # the beginning of the message is still read
    assert len(state.history[0][1]) <= 2000


def test_unknown_movie_gets_a_notice(manager):
    state = DialogueState()
    events, done = run(manager, state, 'I loved "Blorgon Quest 3"')
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "Blorgon Quest 3" in notices[0].message
    assert state.liked_items == [] and state.mentioned_items == []
    assert state.liked_entities == [], "words of an unknown title must not become preferences"
    assert done.action == "ask"


@pytest.mark.parametrize("message, title", [
    ("I just watched Parasite and loved it", "Parasite"),  # the KG knows "parasite" only as a tag
    ("we saw Time Travel last night", "Time Travel"),
])
def test_a_title_the_kg_knows_only_as_a_tag_gets_a_notice(manager, graph, message, title):
    state = DialogueState()
    events, _ = run(manager, state, message)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and repr(title) in notices[0]
    assert state.liked_entities == [], "the tag inside an unknown title must not become a preference"


@pytest.mark.parametrize(
    "message, liked, disliked",
    [
        ("I loved Jack Nicholson in that one", ["Jack Nicholson"], []),
        ("I loved Horror movies", ["horror"], []),
        ("I watched Christmas movies all day", ["christmas"], []),
        ("I enjoyed Time Travel stories", ["time travel"], []),
        ("I loved World War II", ["world war ii"], []),  # a tag after "loved" is the subject liked
        ("I don't like horror and I can't stand comedy", [], ["horror", "comedy"]),  # apostrophes are no quotes
    ],
)
def test_known_people_and_genres_get_no_notice_and_are_kept(manager, graph, message, liked, disliked):
    state = DialogueState()
    events, _ = run(manager, state, message)
    assert [e.message for e in events if isinstance(e, Notice)] == []
    assert [graph.nodes[e]["name"] for e in state.liked_entities] == liked
    assert [graph.nodes[e]["name"] for e in state.disliked_entities] == disliked


def test_quoted_known_title_gets_no_notice(manager, catalog):
    jaws = next(m for m in catalog.movies if m.title == "Jaws" and m.year == 1975)
    state = DialogueState()
    events, _ = run(manager, state, "My friend's favourite is 'Jaws'")
    assert [e for e in events if isinstance(e, Notice)] == []
    assert state.liked_items == [jaws.item]


def test_known_movie_gets_no_notice(shining_turn):
    _, events, _ = shining_turn
    assert not [e for e in events if isinstance(e, Notice)]


def test_no_horror_is_a_hard_constraint(manager, linker, popularity, catalog, graph):
    horror = linker.link("horror").of_type("genre")[0].entity
    # The constraint matters: without it, popular horror movies would be recommended.
    top = popularity.rank(manager.context(DialogueState()), k=10)
    assert any(horror in neighbours(graph, catalog[i].entity) for i in top)

    state = DialogueState()
    all_cards = []
    for msg in ("no horror please, recommend something", "more", "something else"):
        events, done = run(manager, state, msg)
        assert done.action == "recommend"
        all_cards += cards_of(events)
    assert state.disliked_entities == [horror]
    assert len(all_cards) == 3 * manager_n_cards() == len({c.item for c in all_cards})
    for c in all_cards:
        assert "horror" not in [g.lower() for g in c.genres], c.display
        assert horror not in neighbours(graph, catalog[c.item].entity), c.display


def test_liked_genre_changes_the_recommendations(manager, linker, graph, catalog):
    horror = linker.link("horror").of_type("genre")[0].entity
    events, _ = run(manager, DialogueState(), "I like scary movies, recommend one")
    first = cards_of(events)[0]
    assert horror in neighbours(graph, catalog[first.item].entity)


def test_final_text_names_only_recommended_or_user_movies(manager, linker):
    state = DialogueState()
    recommended = set()
    for msg in ("hi", "I loved The Shining, what else would I like?", "why?", "something with Jack Nicholson",
                "I also liked A Clockwork Orange", "more please", "no comedy"):
        events, done = run(manager, state, msg)
        recommended |= {c.item for c in cards_of(events)}
        named = {m.item for m in linker.link(done.text, fuzzy=False).of_type("movie")}
        assert named <= recommended | set(state.mentioned_items), (msg, done.text)
        assert readable(done.text.split(". ")[0]) or done.text == ""
    assert len(recommended) >= 9


# --------------------------------------------------------------------------- GroundingCheck


@pytest.fixture(scope="module")
def check(linker, shining):
    facts = ("- The Shining (1980); drama, horror; directed by Stanley Kubrick; starring Jack Nicholson, "
             "Shelley Duvall. Why it fits: also written by Stephen King.")
    return lambda items=(shining.item,): GroundingCheck(linker, set(items), facts + " User: I want something scary")


def test_grounding_keeps_allowed_movie_and_people(check):
    chk = check()
    for s in ("You might enjoy The Shining (1980).",
              "The Shining is a chilling horror film.",
              "It was directed by Stanley Kubrick.",
              "It stars Jack Nicholson and Shelley Duvall.",
              "Great choice!"):
        assert chk.ok(s), s
    assert chk.removed == []


def test_grounding_drops_unlisted_catalogue_movie(check, catalog):
    chk = check()
    assert not chk.ok("You might also enjoy The Godfather.")
    assert not chk.ok("Have you seen Jurassic Park?")
    assert chk.filter("You might also enjoy The Godfather.") == ""
    assert chk.removed == ["You might also enjoy The Godfather."]


def test_grounding_drops_invented_names(check, catalog):
    # Allow every catalogue movie, so only the name check can drop these sentences.
    chk = check(range(len(catalog)))
    assert not chk.ok("It was directed by J.D. Sloane.")
    assert not chk.ok("J.D. Sloane wrote the screenplay.")
    assert not chk.ok("It stars Marcus Whitfield as the caretaker.")
    assert not chk.ok("It is a remake of a film from (1957).")
    assert chk.ok("It was directed by Stanley Kubrick.")
    # At the start of a sentence, or after "Mr.", a name is still a name.
    assert not chk.ok("Marcus Whitfield plays the caretaker.")
    assert not chk.ok("It stars Mr. Marcus Whitfield.")
    assert chk.ok("Also Jack Nicholson is terrific in it.")
    assert chk.ok("Stanley Kubrick directed it.")


def test_grounding_stream_rechunks_and_drops_only_bad_sentences(check):
    chk = check()
    pieces = ["You might enjoy The Sh", "ining (1980). It was directed by J.D. ", "Sloane. It stars Jack ",
              "Nicholson."]
    out = "".join(chk.stream(pieces))
    assert out.strip() == "You might enjoy The Shining (1980). It stars Jack Nicholson."
    assert chk.removed == ["It was directed by J.D. Sloane."]
    # An initial's full stop must not split the name off into a sentence of its own.
    chk = check()
    assert "".join(chk.stream(["It stars Dr. ", "Marcus Whitfield. Great choice!"])).strip() == "Great choice!"



def test_grounding_drops_cut_off_endings_and_soft_token_debris(check):
    chk = check()
    # The token limit cut the second sentence: only the finished one is shown.
    assert "".join(chk.stream(["It stars Jack Nicholson. It is a story ", "about a"])).strip() == "It stars Jack Nicholson."
    assert chk.removed == ["It is a story about a"]
    chk = check()
    for debris in ("It is the history of The Shining L drama.", "It stars Jack Nicholson (4).", "history movie."):
        assert not chk.ok(debris), debris
    assert chk.ok("I think A is a fine grade for it.") and chk.ok("You might enjoy The Shining (1980).")


@pytest.mark.parametrize(
    "text",
    [
        "\ufffd\ufffdj\ufffdon\ufffd\ufffdation",
        "Da com\x0bDa com\x0b",
        "infection infection infection infection newspaper",
        "Desert inverter glance stunted voyages flows sockets",
        "DateTimeFieldDateTimeField serializers glanceDateTimeField",
        "%$#@!&*()[]{}",
    ],
)
def test_grounding_drops_token_soup(check, text):
    assert not readable(text)
    assert not check().ok(text)


def test_fallback_reply_names_cards():
    cards = [Card(1, "Alpha", 2001, ["drama"], "", "A drama film"), Card(2, "Beta", None, [], "", "x")]
    text = fallback_reply("recommend", cards)
    assert text.startswith("I think you'd enjoy Alpha (2001). A drama film.") and "Beta" in text
    assert "?" in fallback_reply("ask", [])


def test_postcheck_drops_looping_output(linker):
    from crs.dialogue.postcheck import GroundingCheck

    check = GroundingCheck(linker, allowed_items=[], allowed_text="")
    loop = "You will like it. You will like it. You will like it."
    assert "".join(check.stream([loop])).strip() == "You will like it."
    soup = "The Shining, The Shape of Water The Shining, The Shape of Water The Shining, The Shape of Water"
    assert "".join(GroundingCheck(linker, [], "the shining the shape of water").stream([soup])) == ""


@pytest.mark.parametrize("message,kind", [
    ("who directed it?", "director"), ("Who made that one?", "director"), ("who's the director of Heat?", "director"),
    ("who is in it?", "cast"), ("who stars in the second one", "cast"), ("which actors are in it?", "cast"),
    ("what's it about?", "plot"), ("What is the movie about", "plot"), ("what is Jaws about?", "plot"),
    ("what's the plot of Heat?", "plot"), ("what year did it come out?", "year"), ("when was that one released?", "year"),
    ("how old is it?", "year"), ("what kind of movie is it?", "genre"), ("what genre is Heat?", "genre"),
    ("who wrote it?", "writer"), ("is it long?", "runtime"), ("how long is Titanic?", "runtime"),
    ("what's its rating?", "rating"), ("tell me about the third one", "plot"),
    ("is it scary?", "is-genre"), ("Is Jaws a comedy?", "is-genre"), ("was that one funny?", "is-genre"),
    ("is it good?", "opinion"), ("what do you think of Heat?", "opinion"), ("is Titanic worth watching?", "opinion"),
    ("should I watch it?", "opinion"), ("which one is the scariest?", "which"), ("which of these is best?", "which"),
    ("which one should I watch first?", "which"),
    # requests and everything else are no fact question
    ("what's a good movie about space?", None), ("what about something funnier?", None),
    ("is there anything scary?", None), ("I loved it, who cares", None), ("scary movies please", None),
    ("who is into horror like me", None), ("I want a movie about sharks", None), ("is there a good one?", None),
    ("which movies are the best horror films?", None),
    ("what genres do you know?", None), ("what kind of movie do you recommend?", None),
])
def test_fact_questions_are_told_from_requests(linker, message, kind):
    from crs.dialogue.facts import fact_question

    assert fact_question(message, linker.link(message)) == kind


def test_fact_answers_come_from_the_catalogue_and_never_show_cards(manager, catalog):
    jaws = next(m for m in catalog.movies if m.display == "Jaws (1975)")
    state = DialogueState()
    events = list(manager.respond(state, "who directed Jaws?"))
    assert not [e for e in events if isinstance(e, Recommendations)]
    done = events[-1]
    assert done.action == "answer" and all(d in done.text for d in jaws.directors), done.text
    assert not state.has_preferences  # a question is no preference
    events = list(manager.respond(state, "is it a comedy?"))  # "it" is the movie just asked about
    assert events[-1].action == "answer" and "Jaws (1975)" in events[-1].text, events[-1].text
    events = list(manager.respond(DialogueState(), "is it a comedy?"))  # no card shown, no movie named: no answer
    assert events[-1].action != "answer"


@pytest.mark.parametrize("message,span", [
    ("something from the 90s with Tom Cruise", (1990, 1999)), ("an 80s horror movie", (1980, 1989)),
    ("movies of the seventies", (1970, 1979)), ("early 2000s comedies", (2000, 2003)),
    ("before 2000 please", (None, 1999)), ("anything after 2010", (2011, None)), ("since 2015", (2015, None)),
    ("between 1980 and 1989", (1980, 1989)), ("something recent", (2014, None)), ("old westerns", (None, 1979)),
    ("good horror from the last few years?", (2014, None)), ("comedies of the past couple of years", (2014, None)),
    ("what are some good movies from 2017?", (2017, 2017)), ("ok what about 2016 then", (2016, 2016)),
    ("good 2015 movies", (2015, 2015)),
    # no era: a life story, a title's year, a version of a title
    ("I was a kid in the 90s", None), ("I loved Heat (1995)", None), ("Blade Runner 2049", None),
    ("the older one", None), ("I watched it in 2010", None), ("I've been busy the last few years", None),
])
def test_era_asked_for(message, span):
    from crs.dialogue.era import era

    assert era(message, latest=2018) == span


def test_a_year_alone_asks_for_movies_of_it(manager, catalog):
    state = DialogueState()
    for message, year in (("what are some good movies from 2017?", 2017), ("ok what about 2016 then", 2016)):
        events, done = run(manager, state, message)
        cards = cards_of(events)
        assert done.action == "recommend" and cards and all(catalog[c.item].year == year for c in cards)


@pytest.mark.parametrize("message,accepts", [
    ("the first one sounds good", True), ("I'll watch that tonight", True), ("perfect!", True),
    ("I'm going to watch the second one", True), ("sounds boring", False), ("I watched it already", False),
    ("sounds good, but something older?", False), ("I'd like to watch something light", False),
    ("ok we'll watch that one, thanks", True), ("we're going to watch the second one", True),
])
def test_taking_a_pick(message, accepts):
    from crs.dialogue import acts

    assert acts.accepts(message) is accepts


def test_help_and_taking_a_pick_show_no_cards(manager):
    state = DialogueState()
    assert list(manager.respond(state, "what can you do?"))[-1].action == "chit-chat"
    list(manager.respond(state, "I loved The Shining"))
    second = state.last_cards[1]
    done = list(manager.respond(state, "the second one sounds good"))[-1]
    assert done.action == "chit-chat" and second.display in done.text, done.text


def test_seen_all_of_those_turns_down_every_card(manager):
    state = DialogueState()
    list(manager.respond(state, "I loved The Shining"))
    shown = [c.item for c in state.last_cards]
    done = list(manager.respond(state, "I've seen all of those"))[-1]
    assert done.action == "recommend" and set(shown) <= set(state.rejected_items)
    assert not set(shown) & {c.item for c in state.last_cards}


def test_fact_answer_warns_where_the_kg_and_the_catalogue_describe_different_films(manager, catalog, graph):
    from kg.explain import other_films_people

    state = DialogueState()
    godfather = next(m for m in catalog.movies if m.display == "The Godfather (1972)")
    assert not other_films_people(graph, godfather.entity, [*godfather.directors, *godfather.stars])
    assert "Careful" not in list(manager.respond(state, "who directed The Godfather?"))[-1].text
    odd = next(m for m in catalog.movies if other_films_people(graph, m.entity, [*m.directors, *m.writers, *m.stars])
               and m.directors and m.title.isascii() and len(m.title) > 6)
    done = list(manager.respond(state, f'who directed "{odd.title}" ({odd.year})?'))[-1]
    assert done.action == "answer" and "Careful" in done.text, done.text
