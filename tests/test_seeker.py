"""The leak checker (planted leaks) and the simulated seeker (never leaks, reacts, is reproducible)."""

from __future__ import annotations

import random

import pytest

from simulator.leak import LeakChecker, checker_for, name_variants, normalise, target_names
from simulator.seeker import (
    ACCEPTS,
    ASKS,
    DISLIKE_CARD,
    GIVE_UP,
    GIVE_UPS,
    GREETINGS,
    IMPATIENT,
    LIKE_CARD,
    MORE,
    PREFIXES,
    SUCCESS,
    WHYS,
    Seeker,
    build_profiles,
)


def test_normalise():
    assert normalise("Schindler’s List!") == "schindlers list"
    assert normalise("Fast & Furious") == "fast and furious"
    assert normalise("Amélie  (2001)") == "amelie 2001"


@pytest.mark.parametrize("text", [
    "I want The Matrix (1999) please",       # title with year
    "have you got the matrix?",               # title without year, lower case
    "MATRIX, that is what I want",            # without the article
    "Something like Matrix 1999",             # year without parentheses
])
def test_planted_title_leaks_are_found(text):
    assert LeakChecker(["The Matrix (1999)"]).leaks(text)


@pytest.mark.parametrize("text", ["I like matrixes", "The Matrix Reloaded is ok", "a maTRIXy plot"])
def test_checker_respects_word_boundaries_but_not_sequels(text):
    found = LeakChecker(["The Matrix (1999)"]).find(text)
    assert found == (["the matrix"] if "Reloaded" in text else [])


def test_planted_alias_leak_is_found(catalog):
    movie = next(m for m in catalog.movies if len(m.redial_ids) > 1
                 and len({normalise(n) for n in target_names(m.item, catalog)} - {normalise(m.display), normalise(m.title)}))
    names = target_names(movie.item, catalog)
    alias = next(n for n in names if normalise(n) not in (normalise(movie.display), normalise(movie.title)))
    ck = checker_for(movie.item, catalog)
    assert ck.leaks(f"Have you seen {alias}? I liked it")
    assert ck.leaks(f"I liked {movie.title.upper()}")
    assert not ck.leaks("I would like a comedy with lots of dialogue")


def test_alias_from_a_merged_redial_id():
    ck = LeakChecker(["Ouija (2014)", "Ouija  (2015)"])
    assert ck.leaks("what about ouija 2015") and ck.leaks("Ouija") and not ck.leaks("a ouijaboard")


def test_variants_drop_year_and_article():
    v = name_variants(["The Shining (1980)"])
    assert {"the shining 1980", "the shining", "shining"} <= v


@pytest.fixture(scope="module")
def profiles(catalog, graph):
    from crs.data.redial import load_redial

    return build_profiles(load_redial("test"), catalog, graph, n=250, seed=0)


def test_profiles_target_a_suggested_liked_movie(profiles, catalog):
    from crs.data.redial import load_redial

    by_id = {d.id: d for d in load_redial("test")}
    assert len(profiles) == 250
    for p in profiles[:50]:
        d = by_id[p.dialogue_id]
        rids = [r for r in catalog[p.target].redial_ids if r in d.answers]
        assert any(d.suggested(r) and d.liked(r) for r in rids)
        assert p.target not in p.liked


def test_seeker_never_leaks_in_1000_generated_turns(profiles, catalog):
    """Opening plus reactions to random cards (sometimes none) for 250 seekers: >= 1,000 messages, 0 leaks,
    each checked by a fresh checker built from the target's names."""
    from crs.dialogue.events import Card

    rng = random.Random(7)
    n_messages, leaks = 0, []
    for p in profiles:
        seeker = Seeker(p, catalog, seed=1)
        fresh = LeakChecker(target_names(p.target, catalog))
        msgs = [seeker.opening()]
        for _ in range(4):
            items = [] if rng.random() < 0.15 else rng.sample(range(len(catalog)), 3)
            cards = [Card(i, catalog[i].title, catalog[i].year, catalog[i].genres, "", "") for i in items]
            msg, status = seeker.react(cards)
            msgs.append(msg)
            if status != "continue":
                break
        n_messages += len(msgs)
        leaks += [(p.dialogue_id, m) for m in msgs if fresh.leaks(m)]
    assert n_messages >= 1000
    assert leaks == []


def test_seeker_accepts_the_target_and_rejects_others_with_a_kg_reason(profiles, catalog):
    from crs.dialogue.events import Card

    p = next(p for p in profiles if p.genres)
    card = lambda i: Card(i, catalog[i].title, catalog[i].year, catalog[i].genres, "", "")  # noqa: E731
    other = next(m.item for m in catalog.movies if m.genres and m.genres[0].lower() not in p.genres)
    s = Seeker(p, catalog)
    s.p_why = s.p_card = s.p_own = 0.0  # the plain reject behaviour (the mix is tested below)
    s.opening()
    msg, status = s.react([card(other)])
    assert status == "continue" and any(m in msg for m in MORE)
    extra = [g.lower() for g in catalog[other].genres if g.lower() not in p.genres]
    assert f"No {extra[0]}, please." in msg or f"I don't want {extra[0]}." in msg  # the KG difference
    msg, status = s.react([card(other), card(p.target)])
    assert status == SUCCESS and msg in ACCEPTS
    s2 = Seeker(p, catalog)
    assert s2.react([])[1] == "continue" and s2.react([])[1] == GIVE_UP


def test_seeker_is_reproducible_per_dialogue(profiles, catalog):
    a, b = Seeker(profiles[0], catalog, seed=3), Seeker(profiles[0], catalog, seed=3)
    assert a.opening() == b.opening()
    assert a.react([]) == b.react([])


def test_fixed_phrases_link_to_no_movie_or_person(linker):
    for text in GREETINGS + ASKS + ACCEPTS + MORE + PREFIXES + GIVE_UPS + IMPATIENT + tuple(
            t.format(t="it") for t in WHYS + LIKE_CARD + DISLIKE_CARD):
        found = [(m.type, m.name) for m in linker.link(text).mentions if m.type in ("movie", "person", "genre")]
        assert found == [], (text, found)


def test_a_paraphraser_that_leaks_is_filtered(profiles, catalog):
    p = profiles[0]
    title = catalog[p.target].title
    leaky = Seeker(p, catalog, seed=0, paraphrase=lambda text: f"{text} Maybe {title}?")
    plain = Seeker(p, catalog, seed=0)
    first = plain.opening()
    assert leaky.opening() == first and leaky.redraws == 1
    kind = Seeker(p, catalog, seed=0, paraphrase=lambda text: text.upper())
    assert kind.opening() == first.upper()


def test_own_words_are_masked_and_never_name_the_target(profiles, catalog):
    """Most seekers open with the real seeker's words; no @id survives and no utterance names the target."""
    with_words = [p for p in profiles if p.utterances]
    assert len(with_words) >= 0.6 * len(profiles)
    for p in with_words:
        fresh = LeakChecker(target_names(p.target, catalog))
        for u in p.utterances:
            assert "@" not in u and not fresh.leaks(u), (p.dialogue_id, u)


def test_mask_movies_replaces_ids_and_plain_titles():
    from simulator.utterances import mask_movies

    text = mask_movies("I loved @1234 and also the matrix, and Inception (2010) !", ["The Matrix (1999)", "Inception (2010)"])
    assert text == "I loved that movie and also that movie, and that movie (2010)!"


def test_behaviour_mix_is_seeded_and_covers_every_behaviour(profiles, catalog):
    """Across seekers reacting to random cards: accept, reject, ask why, like/dislike a card, lose patience."""
    from crs.dialogue.events import Card

    def run(seed):
        rng, seen, logs = random.Random(seed), set(), []
        for p in profiles[:120]:
            s = Seeker(p, catalog, seed=seed)
            msgs = [s.opening()]
            for turn in range(6):
                items = rng.sample(range(len(catalog)), 3) + ([p.target] if turn == 3 and rng.random() < 0.5 else [])
                msg, status = s.react([Card(i, catalog[i].title, catalog[i].year, catalog[i].genres, "", "") for i in items])
                msgs.append(msg)
                if status != "continue":
                    break
            seen |= set(s.actions)
            logs.append((msgs, s.actions, s.given))
        return seen, logs

    seen, logs = run(0)
    assert {"accept", "reject", "ask-why", "like-card", "dislike-card", "lose-patience", "open-own-words"} <= seen
    assert run(0)[1] == logs  # reproducible
    assert all(set(g) == {"kind", "value", "polarity"} for _, _, given in logs for g in given)


def test_other_movies_are_named_and_the_target_masked():
    from simulator.utterances import name_other_movies

    text = name_other_movies("I loved @11 and @22, also the matrix!", {"11": "Heat (1995)", "22": "The Matrix (1999)"},
                             {"22"}, ["The Matrix (1999)"])
    assert text == "I loved Heat (1995) and that movie, also that movie!"


def test_hints_never_pin_the_target(profiles, catalog, graph):
    """Checked with the audit's own attribute index: whatever the cards, the recorded hints leave at least
    MIN_MATCHES catalogue movies, and no keyword or writer is ever given."""
    from crs.dialogue.events import Card
    from eval.leak_audit import Attributes
    from simulator.seeker import MIN_MATCHES

    attrs, rng = Attributes(catalog, graph), random.Random(5)
    kinds = set()
    for p in profiles[:150]:
        s = Seeker(p, catalog, seed=2)
        s.opening()
        pool = [m.item for m in catalog.movies if set(m.stars) & set(p.stars) or {g.lower() for g in m.genres} & set(p.genres)]
        pool = pool if len(pool) >= 2 else list(range(len(catalog)))
        for _ in range(5):
            items = rng.sample(pool, 2) + rng.sample(range(len(catalog)), 1)  # cards that share something with the target
            cards = [Card(i, catalog[i].title, catalog[i].year, catalog[i].genres, "", "") for i in items if i != p.target]
            if s.react(cards)[1] != "continue":
                break
        hints = [h for h in s.given if h["kind"] != "movie"]
        kinds |= {h["kind"] for h in s.given}
        assert len(attrs.matching(hints)) >= MIN_MATCHES, (p.dialogue_id, s.given)
    assert not kinds & {"keyword", "writer"} and {"genre", "movie"} <= kinds
