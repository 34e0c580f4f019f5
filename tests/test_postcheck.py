"""The post-check's fact rules (repeated titles, years and decades, genres, people, plots, apologies)
and the varied, grounded lead sentences."""

from __future__ import annotations

import pytest

from crs.dialogue.events import Card
from crs.dialogue.postcheck import GroundingCheck
from crs.dialogue.prompt import LEADS, fallback_reply, lead_sentence


@pytest.fixture(scope="module")
def movies(catalog):
    by = {m.display: m for m in catalog.movies}
    return by["The Shining (1980)"], by["Psycho (1960)"]


@pytest.fixture
def check(linker, movies):
    """A check for a turn whose cards are The Shining (top card) and Psycho, with the prompt's facts."""
    facts = " ".join(f"- {m.display}; {', '.join(m.genres)}; directed by {', '.join(m.directors)}; "
                     f"starring {', '.join(m.stars)}." for m in movies)
    return GroundingCheck(linker, {m.item for m in movies}, facts + " User: I want something scary", facts=movies)


@pytest.mark.parametrize("sentence", [
    # (a) a title named twice
    "The Shining (1980) and The Shining (1980) are two of the most iconic films.",
    "The Shining is a horror film, while The Shining is a drama.",
    # (b) years and decades against the facts
    "Psycho (1960) is one of the most iconic films of the 1980s.",
    "The Shining is a 1990s classic.",
    "The Shining (1989) is a chilling ride.",
    "Psycho (1960) and The Shining (1989) are both chilling.",  # one right year is not enough
    "Psycho was released in 1962.",
    "Psycho is a classic of the eighties.",
    "Psycho (1960) is nothing like Halloween (1978).",  # a bracketed year on a title that was not supplied
    # (c) genres and people the facts do not give the movie
    "Psycho (1960) is a romantic comedy.",
    "The Shining is a movie that is fantasy.",
    "The Shining is a western film.",
    "Psycho (1960) is a horror film directed by Stanley Kubrick.",
    "Jack Nicholson is brilliant in Psycho.",
    "Psycho stars Jack Nicholson.",
    # an invented plot
    "Psycho is about a young German boy who is a hero.",
    # (d) apologies and meta-talk
    "I'm sorry for any confusion.",
    "Psycho (1960) is linked to The Shining (1980) in the knowledge graph.",  # the explanation's words: KG paths only
    "The horror of the horror, Psycho is linked to the horror of the horror.",
    "Sorry, I made a mistake there.",
    "As a movie recommender, I suggest The Shining.",
    "I hope this helps you pick a movie!",
    "Let me know if you want more ideas.",
    "Here are some great movies for you to watch.",
    "I don't have any information about that movie.",
    # the prompt continued in the third person, fact lines echoed, looping lists
    "They enjoy horror.",
    "They're in the mood for something scary.",
    "They should watch these movies.",
    "Psycho (1960); horror, mystery; directed by Alfred Hitchcock; starring Anthony Perkins.",
    "Why it fits: A horror film.",
    "Psycho (1960): also a horror film.",
    "The Shining is a horror film starring Jack Nicholson, Shelley Duvall, and Jack Nicholson.",
    "Psycho (1960) is a horror-drama film.",
    "Psycho (1960) combines elements of horror, mystery, and comedy.",
    "The Psycho (1960) is a classic.",  # an article the title does not have: another film
    'It is like "Blorgon Quest 3".',  # a quoted title the system did not supply
    "They're both drama films, but they're not the same.",  # a plural claim covers every supplied movie (Psycho is no drama)
    "Both are drama classics.",
    # an audience named by a genre the movie does not have, hedging, headings, genre soup, echoes
    "I'd recommend Psycho (1960) to anyone who loves westerns.",
    "I'm not sure if I'd recommend this movie, but Psycho is a classic.",
    "Movies to recommend:",
    "The drama horror thriller.",
    # fourteenth session, from SmolLM2's kept sentences in the scripted suite
    "Psycho (1960) and The Shining (1980) are two of the most iconic films of the 21st century.",
    "The Shining (1980) and Psycho (1960) are two of the most iconic superhero movies of all time.",
    "Psycho (1960) is a popular choice among fans of western and thriller movies.",
    "This answer is not available in the chat.",
    "The Shining is my all-time favourite, recommend something.",
    "They're not a fan of a comedy.",
    "It's a crime drama with a dark twist.",  # "it" is The Shining: no crime
    # fifteenth session: every genre of an audience's list is claimed (SmolLM2 on Black Panther)
    "Psycho (1960) is a must-watch for anyone who loves action, adventure, and horror.",
    "I'd recommend Psycho (1960) to anyone who loves horror and comedy.",
])
def test_drops_claims_against_the_facts(check, sentence):
    assert not check.ok(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "The Shining (1980) is one of the most iconic films of the 1980s.",
    "It is a chilling horror film.",  # "it": the top card, The Shining
    "It stars Jack Nicholson and Shelley Duvall.",
    "Psycho (1960) is a horror film directed by Alfred Hitchcock.",
    "Like The Shining, Psycho is a horror film.",
    "If you love horror films, Psycho (1960) is a great pick.",
    "Psycho was released in 1960.",
    "Anthony Perkins is brilliant in Psycho.",
    "Psycho is about a secretary who embezzles money and checks into a motel.",
    "Do you like horror films from the 80s?",
    "Great choice!",
    "They're both horror films.",
    "I'd recommend Psycho (1960) to anyone who loves horror.",
    "Psycho (1960) and The Shining (1980) are two of the most iconic films of the 20th century.",
    "Psycho (1960) is a popular choice among fans of horror movies.",
    "Psycho (1960) is a must-watch for anyone who loves horror and mystery.",
])
def test_keeps_claims_the_facts_support(check, sentence):
    assert check.ok(sentence), sentence


def test_it_follows_the_last_movie_the_reader_saw(check):
    """A dropped sentence is never read, so its title does not become "it" (SmolLM2: a dropped sentence on
    Psycho, then "It's a mystery film." read as about the top card, The Shining)."""
    assert not check.ok("Psycho (1960) is a science fiction film.")  # dropped
    assert not check.ok("It is a mystery film.")  # the reader's "it" is still The Shining, no mystery
    assert check.ok("Psycho (1960) is a horror film.")
    assert check.ok("It is a mystery film.")  # now Psycho


def test_it_follows_the_last_movie_named(check):
    assert check.ok("Psycho (1960) is worth a look.")
    assert check.ok("It was directed by Alfred Hitchcock.")  # now about Psycho
    assert not check.ok("It stars Jack Nicholson.")  # Psycho does not


def test_old_signature_and_no_facts_still_work(linker):
    chk = GroundingCheck(linker, [], "the shining (1980) directed by stanley kubrick")
    assert chk.ok("It is a horror film from the 1990s.")  # nothing to check it against
    assert not chk.ok("I'm sorry for any confusion.")


def test_card_reason_counts_as_a_fact(linker, catalog):
    m = next(x for x in catalog.movies if x.display == "The Shining (1980)")
    card = Card(m.item, m.title, m.year, ["drama"], "", "Also a thriller film", m.directors, m.stars)
    chk = GroundingCheck(linker, [m.item], "the shining (1980) drama. also a thriller film", facts=[card])
    assert chk.ok("It is a tense thriller.") and not chk.ok("It is a comedy film.")


def test_lead_sentences_vary_reproducibly_and_stay_grounded():
    card = Card(7, "Alpha", 2001, ["drama"], "", "A drama film")
    assert lead_sentence(card) == "I think you'd enjoy Alpha (2001). A drama film."  # no variant: as before
    texts = {lead_sentence(card, variant=v) for v in range(40)}
    assert len(texts) >= 4
    assert all("Alpha (2001)" in t and "A drama film" in t for t in texts)
    assert lead_sentence(card, variant=3) == lead_sentence(card, variant=3)
    assert all(t.format(d="X", r="Y").count("X") == 1 for t in LEADS)
    cards = [card, Card(8, "Beta", 1999, [], "", "x")]
    for v in range(10):
        text = fallback_reply("recommend", cards, variant=v)
        assert text.startswith(lead_sentence(card, variant=v)) and "Beta (1999)" in text
        assert "Beta (1999)" in fallback_reply("recommend", cards, lead_given=True, variant=v)
        assert "?" in fallback_reply("ask", [], variant=v)


def test_stream_drops_speaker_lines_filler_and_lead_echoes(check):
    check.emitted.add("how about the shining (1980)? a drama and horror film.")
    raw = ("I'm sorry for any confusion. I'm here to help you find the best movie to watch.\n"
           "User: I'm looking for a comedy. Can you recommend something?\n"
           "A drama and horror film. It stars Jack Nicholson.")
    assert "".join(check.stream([raw])).strip() == "It stars Jack Nicholson."
    assert "" not in check.removed and "Can you recommend something?" in check.removed


def test_stream_gives_up_after_dropped_sentences_in_a_row(check):
    """Reading stops after `give_up_after` dropped sentences in a row; a kept one resets the count."""
    pieces = ["I'm sorry for any confusion. ", "It stars Jack Nicholson. ", "I'm here to help you. ",
              "As an AI, I cannot watch movies. ", "Psycho (1960) is a horror film. "]
    read = []

    def deltas():
        for p in pieces:
            read.append(p)
            yield p

    kept = list(check.stream(deltas(), give_up_after=2))
    assert kept == ["It stars Jack Nicholson. "]
    assert check.gave_up and len(read) < len(pieces)  # the last sentences were never read
    check2 = GroundingCheck(check.linker, check.allowed, check.allowed_text, facts=check.facts)
    assert "".join(check2.stream(iter(pieces))).count("Psycho (1960) is a horror film.") == 1  # no limit: reads all
    assert not check2.gave_up


def test_a_copy_of_the_users_message_is_dropped(linker, movies):
    facts = " ".join(f"- {m.display}; directed by {', '.join(m.directors)}." for m in movies)
    check = GroundingCheck(linker, {m.item for m in movies},
                           facts + " User: I'm in the mood for a heist movie like Ocean's Eleven", facts=movies)
    assert not check.ok("I'm in the mood for a heist movie like Ocean's Eleven.")
    assert check.ok("Psycho (1960) is a horror film directed by Alfred Hitchcock.")
