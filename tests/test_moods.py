"""Moods that name a genre ("something sad"), "foreign" as English ruled out, and catalogue genre labels
as constraints ("no musicals" rules out what a card calls a musical)."""

from __future__ import annotations

import pytest
import torch

from crs.recommenders.ranking import item_entities, label_genres
from kg.moods import with_moods
from tests.conftest import find_movie


def _moods(linker, text):
    link = with_moods(linker.link(text), text, linker.genre_by_name, linker.names)
    return {(m.type, m.name.lower(), m.polarity) for m in link.mentions if m.type in ("genre", "language")}


@pytest.mark.parametrize("text, expected", [
    ("I want a sad movie tonight", {("genre", "drama", "liked")}),
    ("any tearjerkers? something really emotional", {("genre", "drama", "liked")}),
    ("something a bit lighter please", {("genre", "comedy", "liked")}),
    ("we need a feel-good film", {("genre", "comedy", "liked")}),
    ("cheer me up", {("genre", "comedy", "liked")}),
    ("a spooky one for the kids", {("genre", "horror", "liked"), ("genre", "family", "liked")}),
    ("nothing too sad please", {("genre", "drama", "disliked")}),
    ("any foreign ones?", {("language", "english", "disliked")}),
    ("no foreign films please", {("language", "english", "liked")}),
    ("my girlfriend and I want a date night movie", {("genre", "romance", "liked")}),
    ("something light for tonight", {("genre", "comedy", "liked")}),
    ("for a sleepover with 12 year olds", {("genre", "family", "liked")}),
    ("something to watch with the kids", {("genre", "family", "liked")}),
])
def test_a_mood_names_a_genre_or_a_language(linker, text, expected):
    assert _moods(linker, text) == expected


@pytest.mark.parametrize("text", [
    "I'm sad today",  # the user's mood, not the movie's
    "this day was so emotional for me",
    "an international spy thriller",  # "international" alone is no wish for a foreign film
    "the light in that scene",
    "a light in the dark",
    "I updated the date on my calendar",
])
def test_moods_of_the_user_name_no_genre(linker, text):
    assert not {m for m in _moods(linker, text) if m[1] in ("drama", "comedy", "english")}


def test_a_mood_the_linker_found_is_not_added_twice(linker):
    link = with_moods(linker.link("a scary movie, something spooky"), "a scary movie, something spooky",
                      linker.genre_by_name, linker.names)
    assert [m.name.lower() for m in link.mentions if m.type == "genre"] == ["horror"]


def test_catalogue_labels_count_as_genre_links(graph, catalog):
    labels = label_genres(graph)
    assert graph.nodes[labels["musical"]]["name"] == "music"
    assert graph.nodes[labels["sci-fi"]]["name"] == "science fiction"
    showman = find_movie(catalog, "The Greatest Showman", 2017)
    music = labels["musical"]
    assert music not in set(graph.neighbors(showman.entity))  # the KG alone misses it
    inc = item_entities(graph, catalog)
    assert inc.counts([music], torch.device("cpu"))[showman.item] == 1
