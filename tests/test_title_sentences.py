"""Title rules that read the sentence around the words: where it ends, who is "in" a film, sequel
numbers, short slips vouched for by a list, and clause openers (kg/linker.py, kg/message_context.py)."""

from __future__ import annotations

import pytest


def movies(linker, text):
    return [m.name for m in linker.link(text).mentions if m.type == "movie"]


@pytest.mark.parametrize("text, expected", [
    # a question mark ends the sentence: "Family" after it does not make Home Alone a kind of film
    ("do you have something similar to home alone? Family movies are best", ["Home Alone (1990)"]),
    # ... and the sentence before does not judge the title ("nice." is not "a nice Gravity")
    ("That was nice. Gravity is great too", ["Gravity (2013)"]),
    # a semicolon typed for an apostrophe ends nothing
    ("cool Haven;t see it yet", []),
    # a sequel's number marks a title
    ("anything like toy story 3 or cars 2", ["Toy Story 3 (2010)", "Cars 2 (2011)"]),
    ("I have 3 kids and 2 dogs", []),
    # "the old X" picks a title; "the old X movie" is a description
    ("Something like the old batman", ["Batman (1989)"]),
    ("Is that a remake of the old clown movie?", []),
    # "up" cannot open a clause as its subject
    ("Yeah, up was amazing", ["Up (2009)"]),
    ("up is one of my favorites", ["Up (2009)"]),
    ("I'm up for anything", []),
    # "the best film I saw this year was X"
    ("The best film I saw this year was get out", ["Get Out (2017)"]),
    ("The movie was great", []),
    # an actor "in" a film
    ("I loved Tom Hanks in big", ["Big (1988)"]),
    ("Keanu in the matrix was great", ["The Matrix (1999)"]),
    ("I saw Logan in theaters", ["Logan (2017)"]),
    # a short slip written as a name, vouched for by the list it is in
    ("the notebook or Tken", ["The Notebook (2004)", "Taken (2008)"]),
    ("Thnaks", []),
    # a colon and a name go on with the title
    ("Sounds great, loved Tom in the Mission: Impoossible series.", ["Mission: Impossible (1996)"]),
    # a popular title as the whole answer; a film judged "a perfect example"
    ("home alone", ["Home Alone (1990)"]),
    ("Logan is a perfect example", ["Logan (2017)"]),
    ("that would be perfect", []),
    # "the old X" picks the older of a remade title; no pronoun follows "the"
    ("Oh also I liked the old it.", ["It (1990)"]),
    ("I did see the it remake and it was really good!", ["It (2017)"]),
    ("my 5 year old loves it", []),
    # a verb cannot be the subject of "was good"
    ("remember was good, didn't cry", ["Remember (2015)"]),
    ("I remember it was good", []),
    # a genre after a capitalised title does not lengthen the title
    ("I also liked The Core Scifi movies are cool", ["The Core (2003)"]),
])
def test_the_sentence_around_a_title(linker, text, expected):
    assert movies(linker, text) == expected


@pytest.mark.parametrize("text, conversation, expected", [
    # a pronoun-like title in lower case where a pronoun cannot stand: a list item at a clause's end ...
    ("i like films like the exorcist or it", (), ["The Exorcist (1973)", "It (2017)"]),
    ("I did see get out and it.", (), ["Get Out (2017)", "It (2017)"]),
    ("Get Out and it both scared me", (), ["Get Out (2017)", "It (2017)"]),
    ("I love ones like Finding Nemo, up, wall-e", (), ["Finding Nemo (2003)", "Up (2009)", "WALL-E (2008)"]),
    # ... or before a listed title with nothing it could refer to
    ("I'm looking for a horror movie. I really like it and The Strangers", (), ["The Strangers (2008)", "It (2017)"]),
    # the pronoun: a clause goes on, or a film was named before
    ("I saw Get Out and it was great", (), ["Get Out (2017)"]),
    ("I saw Get Out, loved it and Split", (), ["Get Out (2017)", "Split (2017)"]),
    ("I really like it and The Strangers", ("Annabelle (2014)",), ["The Strangers (2008)"]),
    ("Yes, avatar was a very good movie", (), ["Avatar (2009)"]),
    ("I fell asleep during that movie once, lol.", (), ["Once (2007)"]),
    # a popular film as the whole answer, written as a name
    ("Taken", (), ["Taken (2008)"]),
    ("Split", (), ["Split (2017)"]),
    ("taken", (), []),
    ("Thanks", (), []),
])
def test_pronoun_titles_and_whole_answers(linker, catalog, text, conversation, expected):
    said = frozenset(m.item for m in catalog.movies if m.display in conversation)
    assert [m.name for m in linker.link(text, conversation=said).mentions if m.type == "movie"] == expected


@pytest.mark.parametrize("text, expected", [
    ("I've been wanting to see the new one Jumanji, but I haven't seen it yet", ["Jumanji (2017)"]),
    ("Did you see the recent one Ghostbusters?", ["Ghostbusters (2016)"]),
    ("I liked the Ghostbusters remake", ["Ghostbusters (2016)"]),
    ("I saw Ghostbusters it was a great remake!", ["Ghostbusters (2016)"]),
    ("She loved It and the remake.", ["It (1990)"]),
    ("Ghostbusters was better than the remake", ["Ghostbusters (1984)"]),
    ("I loved Ghostbusters", ["Ghostbusters (1984)"]),
    ("You should check out the newest one carrie", ["Carrie (2013)"]),
    ("Is that a remake of Jumanji?", ["Jumanji (1995)"]),
    ("is it a sequel to ghostbusters?", ["Ghostbusters (1984)"]),
    ("I really like the remake of The Jungle Book", ["The Jungle Book (2016)"]),
])
def test_the_version_named_around_a_remade_title(linker, text, expected):
    assert movies(linker, text) == expected


@pytest.mark.parametrize("text, expected", [
    # "the <kind> I saw was X" names a film; so does "the X movies" for a franchise seekers name
    ("The last documentary I watched was snowden and I really enjoyed it.", ["Snowden (2016)"]),
    ("The only film I know of is date night", ["Date Night (2010)"]),
    ("The only thing I know is date night", []),
    ("we will have movie weekend with all of the madagascar movies!", ["Madagascar (2005)"]),
    ("I like the spy movies", []),
    ("the zombie movies are fun", []),
    # an ordinal picks a film of a series; a film that only shares the title is no part of it
    ("The first taken but none of the rest were good at all!", ["Taken (2008)"]),
    ("the first scream was the best", ["Scream (1996)"]),
    ("the first time I saw it", []),
    # a film seekers name, as the subject of what is said of films
    ("speed is another one I enjoyed", ["Speed (1994)"]),
    ("music is one of my favorites", []),
    ("action is one of my favorites", []),
    ("The rock is hilarious", []),
    # a genre before a title describes it; "the comedy" in lower case is the genre
    ("I saw him in a thriller the number 23", ["The Number 23 (2007)"]),
    ("have you seen the comedy the toy", ["The Toy (1982)"]),
    ("I want a comedy the whole family can enjoy", []),
    # "a movie X" is a compound ("a movie weekend"); "the movie X" names one
    ("I think I will make it a movie weekend for me and the kiddos.", []),
    ("I watched the movie weekend", ["Weekend (2011)"]),
])
def test_what_the_sentence_says_is_a_film(linker, text, expected):
    assert movies(linker, text) == expected
