"""The TMDKG graph, the entity linker (titles, people, genres, polarity) and explanation paths."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from conftest import find_movie

from kg.explain import explain, reason
from kg.graph import NODE_TYPES, neighbours
from kg.linker import polarity_of

# --------------------------------------------------------------------------- graph


def test_node_type_counts(graph, tmdkg):
    types = Counter(d["type"] for _, d in graph.nodes(data=True))
    assert types == {"movie": 6730, "person": 5351, "keyword": 2781, "company": 703, "genre": 19, "language": 18}
    assert set(types) <= set(NODE_TYPES)
    assert graph.number_of_nodes() == len(tmdkg.id2names) == 15602
    assert graph.number_of_edges() == 295764


def test_edges_carry_relation_names(graph, tmdkg, shining):
    names = set(tmdkg.relations.values())
    rels = Counter(d["relation"] for _, _, d in graph.edges(data=True))
    assert set(rels) <= names
    assert {"genre", "cast", "directing", "writing", "keyword", "company"} <= set(rels)
    nb = neighbours(graph, shining.entity)
    by_name = {graph.nodes[n]["name"]: r for n, r in nb.items()}
    assert "directing" in by_name["Stanley Kubrick"]
    assert "writing" in by_name["Stephen King"]
    assert "cast" in by_name["Jack Nicholson"]
    assert "genre" in by_name["horror"]
    # Every edge is stored in both directions.
    kubrick = next(n for n in nb if graph.nodes[n]["name"] == "Stanley Kubrick")
    assert shining.entity in neighbours(graph, kubrick)


def test_movie_nodes_carry_catalogue_fields(graph, shining):
    node = graph.nodes[shining.entity]
    assert node["type"] == "movie"
    assert (node["name"], node["title"], node["year"], node["item"]) == ("The Shining (1980)", "The Shining", 1980,
                                                                        shining.item)
    assert node["plot"]


# --------------------------------------------------------------------------- linker: movies


def _movies(linker, text):
    return [(m.name, m.item) for m in linker.link(text).of_type("movie")]


@pytest.mark.parametrize(
    "text",
    [
        "I loved The Shining",
        "I loved The Shining (1980)",
        "i loved the shining",
        "I loved the shinning",  # typo
        "Have you seen The Shining 1980?",
    ],
)
def test_linker_finds_the_shining(linker, shining, text):
    assert _movies(linker, text) == [("The Shining (1980)", shining.item)]


def test_linker_at_id_mentions(linker, catalog, shining):
    rid = shining.redial_ids[0]
    res = linker.link(f"I really loved @{rid} when I was young")
    movies = res.of_type("movie")
    assert [(m.item, m.polarity) for m in movies] == [(shining.item, "liked")]
    # An alias id reaches the same item; an unknown id links to nothing.
    aliased = next(m for m in catalog.movies if len(m.redial_ids) > 1)
    assert [m.item for m in linker.link(f"what about @{aliased.redial_ids[-1]}?").of_type("movie")] == [aliased.item]
    assert linker.link("what about @999999999?").of_type("movie") == []
    assert linker.link(f"@{rid}", movies=False).of_type("movie") == []


def test_linker_year_disambiguates_same_title(linker, catalog):
    by_title = Counter(m.title for m in catalog.movies if m.year and len(m.title) >= 8 and " " in m.title)
    title = next(t for t, n in sorted(by_title.items()) if n >= 2)
    versions = [m for m in catalog.movies if m.title == title and m.year]
    for m in versions:
        assert _movies(linker, f"I watched {title} ({m.year}) last week") == [(m.display, m.item)]


@pytest.mark.parametrize("text, people, movies", [
    # a surname alone names the one well-known person of that name
    ("something by Spielberg", ["Steven Spielberg"], []),
    ("I love Scorsese films", ["Martin Scorsese"], []),
    ("anything with Ferrell", ["Will Ferrell"], []),
    ("Heat with De Niro is great", ["Robert De Niro"], ["Heat (1996)"]),  # a particle; the star confirms Heat
    ("a Hitchcock movie please", ["Alfred Hitchcock"], []),  # the director, not the film Hitchcock (2012)
    ("I loved the movie Hitchcock", [], ["Hitchcock"]),
    # ... not a word, someone else's full name, or a name several people share equally
    ("we moved to Washington last year", [], []),
    ("my neighbour John Nolan", [], []),
    ("a Scott movie", [], []),
    ("I'm a big Hanks fan", ["Tom Hanks"], []),  # "big" is no film Big here
])
def test_surnames_alone_name_people(linker, text, people, movies):
    res = linker.link(text)
    assert [m.name for m in res.of_type("person")] == people
    assert [m.name for m in res.of_type("movie")] == movies


def test_linker_people_and_genres(linker):
    res = linker.link("I like Jack Nicholson")
    assert [(m.type, m.name, m.polarity) for m in res.mentions] == [("person", "Jack Nicholson", "liked")]
    assert [(m.type, m.name) for m in linker.link("anything with stanley kubrick").mentions] == [
        ("person", "Stanley Kubrick")]
    assert [(m.type, m.name, m.polarity) for m in linker.link("I like horror").mentions] == [
        ("genre", "horror", "liked")]
    scary = linker.link("I want something scary")
    assert [(m.type, m.name) for m in scary.of_type("genre")] == [("genre", "horror")]
    assert scary.of_type("movie") == []


@pytest.mark.parametrize(
    "text, polarity",
    [
        ("I love horror", "liked"),
        ("I enjoyed horror movies", "liked"),
        ("I don't like horror", "disliked"),
        ("I do not like horror", "disliked"),
        ("I hate horror", "disliked"),
        ("no horror please", "disliked"),
        ("horror", "neutral"),
        ("is horror a genre?", "neutral"),
        ("some horror films, nothing too gory", "neutral"),  # ", nothing ..." is a clause of its own
        ("a horror film, no sequels", "neutral"),
        ("horror was too much for me", "disliked"),
        ("anything that isn't horror", "disliked"),
        ("movies that aren't horror", "disliked"),
    ],
)
def test_linker_genre_polarity(linker, text, polarity):
    genres = linker.link(text).of_type("genre")
    assert [(m.name, m.polarity) for m in genres] == [("horror", polarity)]


def test_linker_polarity_per_clause(linker, shining):
    res = linker.link("I loved The Shining but I hate comedy")
    got = {m.name: m.polarity for m in res.of_type("movie", "genre")}  # "hate" is also a TMDKG keyword
    assert got == {"The Shining (1980)": "liked", "comedy": "disliked"}
    assert polarity_of("I didn't enjoy it") == "disliked"
    assert polarity_of("it was great") == "liked"
    assert polarity_of("it was on TV") == "neutral"


@pytest.mark.parametrize("text, name, polarity", [
    ("no Adam Sandler please", "Adam Sandler", "disliked"),  # "no adam sandler" is no fuzzy spelling of his name
    ("something funny, no Meryl Streep movies", "Meryl Streep", "disliked"),
    ("I liked Heat, not Casino", "Casino (1995)", "disliked"),
    ("I liked Heat, not Casino", "Heat (1996)", "liked"),
    ("Titanic was overrated", "Titanic (1997)", "disliked"),
])
def test_linker_polarity_after_a_comma_and_before_a_name(linker, text, name, polarity):
    got = {m.name: m.polarity for m in linker.link(text).mentions}
    assert got.get(name) == polarity, got


def test_linker_junk_input_no_crash_no_mentions(linker):
    rng = random.Random(0)
    alphabet = "qxzjvkwbfhgpm 0123456789!?#$%^&*()[]{}<>|~\n\t"
    junk = "".join(rng.choice(alphabet) for _ in range(100_000))
    res = linker.link(junk)
    assert res.mentions == []
    assert linker.link("").mentions == [] and linker.link("   \n").mentions == []


def test_linker_long_input_reads_recent_text(linker, shining):
    # Long input is cut, not rejected: a title at the end is still found.
    text = "blah " * 20_000 + "I loved The Shining"
    assert _movies(linker, text) == [("The Shining (1980)", shining.item)]


@pytest.mark.parametrize("text,keyword", [("a movie about dogs", "dog"), ("films with vampires", "vampire"),
                                          ("something about werewolves", "werewolf"), ("a film about puppies", "puppy"),
                                          ("a movie about a dog", "dog")])
def test_topics_after_about_or_with_are_keywords_asked_for(linker, text, keyword):
    """The KG's keywords are singular; "about"/"with" marks the subject asked for (ranked on, not passing)."""
    kws = linker.link(text).of_type("keyword")
    assert [(m.name, m.topic) for m in kws] == [(keyword, True)], kws


def test_plural_without_a_topic_cue_is_no_topic(linker):
    assert not any(m.topic for m in linker.link("I like dogs and it was a time to love").mentions)


def test_linker_common_words_are_not_titles(linker):
    assert linker.link("up and it was her idea").of_type("movie") == []
    assert linker.link("I want to watch a movie tonight").of_type("movie") == []


# --------------------------------------------------------------------------- explanations


def test_explain_shining_to_clockwork_orange_is_kubrick(graph, catalog, shining):
    clockwork = find_movie(catalog, "A Clockwork Orange", 1971)
    paths = explain(graph, [shining.entity], clockwork.entity)
    assert paths and paths[0].relation == "directing"
    assert paths[0].text == "also directed by Stanley Kubrick"
    assert graph.nodes[paths[0].via]["name"] == "Stanley Kubrick"
    assert paths[0].path() == [shining.entity, paths[0].via]
    text = reason(graph, [shining.entity], clockwork.entity)
    assert text.startswith("Like The Shining (1980): ")
    assert "directed by Stanley Kubrick" in text


def test_explain_shining_to_misery_is_stephen_king(graph, catalog, shining):
    misery = find_movie(catalog, "Misery", 1990)
    assert "written by Stephen King" in reason(graph, [shining.entity], misery.entity)


def test_explain_one_hop_from_a_liked_person(graph, catalog, linker):
    clockwork = find_movie(catalog, "A Clockwork Orange", 1971)
    kubrick = linker.link("Stanley Kubrick").of_type("person")[0].entity
    paths = explain(graph, [kubrick], clockwork.entity)
    assert [(p.relation, p.text, p.via) for p in paths] == [("directing", "directed by Stanley Kubrick", None)]


def test_no_person_reason_when_the_kg_and_the_card_share_nobody(graph, catalog, shining):
    """The KG and movie_info can describe different films under one id: then no reason goes through a
    person; when they share someone, the card's short cast list is partial and KG people may be named."""
    clockwork = find_movie(catalog, "A Clockwork Orange", 1971)
    credited = [*clockwork.directors, *clockwork.writers, *clockwork.stars]
    assert "directed by Stanley Kubrick" in reason(graph, [shining.entity], clockwork.entity, credited)
    assert "directed by Stanley Kubrick" in reason(graph, [shining.entity], clockwork.entity, ["Malcolm McDowell"])
    paths = explain(graph, [shining.entity], clockwork.entity, people=["Somebody Else Entirely"])
    assert paths and all(p.relation not in ("directing", "writing", "cast") for p in paths)


def test_directed_by_names_only_the_credited_director(graph, catalog):
    """The KG's directing department holds script supervisors and assistant directors too."""
    eleven, twelve = find_movie(catalog, "Ocean's Eleven", 2001), find_movie(catalog, "Ocean's Twelve", 2004)
    credited = [*twelve.directors, *twelve.writers, *twelve.stars]
    directors = lambda e: catalog.by_entity[e].directors  # noqa: E731
    text = reason(graph, [eleven.entity], twelve.entity, credited, directors)
    assert "directed by Steven Soderbergh" in text and "Annie Welles" not in text, text
    directing = [p for p in explain(graph, [eleven.entity], twelve.entity, max_paths=6, people=credited,
                                    directors=directors) if p.relation == "directing"]
    assert [graph.nodes[p.via]["name"] for p in directing] == ["Steven Soderbergh"]


def test_directed_by_needs_the_credited_director_of_both_movies(graph, catalog):
    """Frozen and The Lion King share a member of the directing department (Rick Moore), who directed
    neither: the catalogue credits Buck/Lee and Allers/Minkoff, so no "directed by" links them."""
    frozen, lion = find_movie(catalog, "Frozen", 2013), find_movie(catalog, "The Lion King", 1994)
    unfiltered = explain(graph, [frozen.entity], lion.entity, max_paths=6)
    assert any(p.relation == "directing" for p in unfiltered)  # what the KG alone would claim
    directors = lambda e: catalog.by_entity[e].directors  # noqa: E731
    paths = explain(graph, [frozen.entity], lion.entity, max_paths=6, directors=directors)
    assert paths and all(p.relation != "directing" for p in paths), [p.text for p in paths]
    assert "directed by" not in reason(graph, [frozen.entity], lion.entity, directors=directors)


def test_reason_without_path_falls_back_to_genres(graph, shining):
    # A liked movie never explains itself; the reason then comes from the target's own genres.
    text = reason(graph, [shining.entity], shining.entity)
    assert "horror" in text.lower() and text.endswith("film")
