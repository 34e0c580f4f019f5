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
