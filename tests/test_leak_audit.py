"""The independent leak audit (eval/leak_audit.py): planted leaks are found, clean transcripts pass,
identifiability counts the movies that match a seeker's hints, and it shares no code with the filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.leak_audit import Attributes, all_names, audit_records, find_names, name_forms, redial_movie_names

REPO = Path(__file__).resolve().parents[1]


def test_audit_shares_no_code_with_the_seekers_filter():
    src = (REPO / "eval" / "leak_audit.py").read_text()
    assert "simulator" not in src.replace("simulator/leak.py", "")


@pytest.mark.parametrize("text", ["I want The Matrix (1999) please", "have you got the matrix?", "MATRIX it is",
                                  "Something like Matrix 1999", "the  matrix!!"])
def test_planted_title_leaks(text):
    assert find_names(text, name_forms(["The Matrix (1999)"]))


@pytest.mark.parametrize("text", ["I like matrixes", "a maTRIXy plot", "something with Keanu Reeves"])
def test_no_false_leaks(text):
    assert not find_names(text, name_forms(["The Matrix (1999)"]))


def test_accents_ampersand_apostrophe():
    forms = name_forms(["Amélie (2001)", "Fast & Furious (2009)", "Schindler's List (1993)"])
    assert find_names("amelie was nice", forms) and find_names("fast and furious", forms)
    assert find_names("SCHINDLERS LIST", forms)


@pytest.fixture(scope="module")
def redial():
    from crs.paths import data_file

    return redial_movie_names(data_file("redial", "movies_with_mentions.csv"))


def _record(item, messages, hints=()):
    return {"dialogue_id": "x", "target": item, "log": [{"seeker": m} for m in messages], "hints": list(hints)}


def test_planted_leaks_in_transcripts_make_the_audit_fail(catalog, redial):
    movie = next(m for m in catalog.movies if len(m.redial_ids) > 1 and len(m.title) > 6
                 and len({n for n in all_names(m, redial)}) > 2)
    alias = [n for n in all_names(movie, redial) if n not in (movie.title, movie.display)][-1]
    clean = _record(movie.item, ["Hi! I'd like a comedy.", "No horror, please. Any other ideas?"])
    assert audit_records([clean], catalog, None, redial)["leaks"] == 0
    for planted in (movie.display, movie.title, movie.title.upper(), alias):
        rec = _record(movie.item, ["Hi! I'd like a comedy.", f"Maybe {planted}?"])
        res = audit_records([clean, rec], catalog, None, redial)
        assert res["leaks"] == 1 and res["leak_examples"][0]["message"].endswith(f"{planted}?"), planted


def test_identifiability_counts_matching_movies(catalog, graph):
    attrs = Attributes(catalog, graph)
    movie = next(m for m in catalog.movies if m.stars and m.genres and m.directors and m.year)
    hints = [{"kind": "genre", "value": movie.genres[0].lower(), "polarity": 1}]
    broad = attrs.matching(hints)
    narrow = attrs.matching(hints + [{"kind": "star", "value": movie.stars[0], "polarity": 1},
                                     {"kind": "director", "value": movie.directors[0], "polarity": 1},
                                     {"kind": "era", "value": str(movie.year // 10 * 10), "polarity": 1}])
    assert movie.item in narrow and set(narrow) <= set(broad) and len(narrow) < len(broad)
    assert len(attrs.matching([])) == len(catalog)
    other = next(g for m in catalog.movies for g in m.genres if g.lower() not in {x.lower() for x in movie.genres})
    assert movie.item in attrs.matching([{"kind": "genre", "value": other.lower(), "polarity": -1}])
    assert movie.item not in attrs.matching([{"kind": "genre", "value": movie.genres[0].lower(), "polarity": -1}])
    res = audit_records([_record(movie.item, ["hi there"], hints)], catalog, attrs, {})
    assert res["identifiability_median_matches"] == len(broad) and res["target_among_matches"] == 1.0


def test_text_identifiability_reads_the_messages_not_the_record(catalog, graph):
    """A star and a decade written in a message count even when the record lists no hints."""
    attrs = Attributes(catalog, graph)
    movie = next(m for m in catalog.movies if m.stars and m.genres and m.year and m.year >= 1990 and len(m.stars[0]) > 8)
    decade = f"{movie.year // 10 * 10}s"
    vague = audit_records([_record(movie.item, ["hi there, any ideas?"])], catalog, attrs, {})
    assert vague["text_identifiability_median_matches"] == len(catalog)
    told = audit_records([_record(movie.item, [f"I like {movie.stars[0]}", f"something from the {decade}?"])],
                         catalog, attrs, {})
    n = told["text_identifiability_median_matches"]
    assert 1 <= n < len(catalog) and n == len(attrs.matching(
        [{"kind": "star", "value": movie.stars[0], "polarity": 1},
         {"kind": "era", "value": str(movie.year // 10 * 10), "polarity": 1}]))
