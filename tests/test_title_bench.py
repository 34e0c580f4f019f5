"""The movie-title benchmark: renderer, data sets, adversarial file, metrics on fake linkers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import pytest

from crs.data.movies import Catalog, Movie, cached_catalog
from eval.title_bench import (
    Prediction,
    build_sets,
    check_adversarial,
    judge_case,
    load_adversarial,
    run_bench,
    score_adversarial,
    score_rendered,
)
from eval.title_render import (
    MENTION,
    RenderedUtterance,
    TitleIndex,
    TitleMatcher,
    norm,
    partial_forms,
    render_utterance,
    renderings,
    typo,
    utterance_rng,
    verbatim,
)


def _cat(*titles: tuple[str, int | None]) -> Catalog:
    return Catalog([Movie(item=i, entity=100 + i, redial_ids=[str(1000 + i)], title=t, year=y, mentions=10 - i)
                    for i, (t, y) in enumerate(titles)])


@pytest.fixture(scope="module")
def small():
    cat = _cat(("Star Wars: The Force Awakens", 2015), ("Star Wars", 1977), ("The Heat", 2013), ("Heat", 1995),
               ("Abraham Lincoln: Vampire Hunter", 2012), ("Amélie", 2001), ("The Dark Knight", 2008),
               ("Mission: Impossible", 1996), ("Crouching Tiger, Hidden Dragon", 2000), ("Halloween", 1978),
               ("Halloween", 2007), ("Insidious: Chapter 3", 2015), ("Insidious", 2010))
    return cat, TitleIndex(cat)


def test_renderings_of_known_titles(small):
    cat, ix = small
    rng = random.Random(0)
    dk = renderings(cat[6], ix, rng)
    assert dk["title"] == "The Dark Knight" and dk["exact_year"] == "The Dark Knight (2008)"
    assert dk["lower"] == "the dark knight" and dk["no_article"] == "Dark Knight"
    assert "no_punct" not in dk and "partial" not in dk
    assert renderings(cat[5], ix, rng)["no_punct"] == "Amelie"
    assert renderings(cat[8], ix, rng)["no_punct"] == "Crouching Tiger Hidden Dragon"
    # "The Heat" without its article is another catalogue film: no such rendering.
    assert "no_article" not in renderings(cat[2], ix, rng)
    # Colon prefix only when unambiguous.
    assert partial_forms(cat[4], ix) == ["Abraham Lincoln"]
    assert partial_forms(cat[0], ix) == ["The Force Awakens"]  # "Star Wars" is a film itself
    assert partial_forms(cat[7], ix) == []  # one word on each side
    assert partial_forms(cat[11], ix) == []  # "Insidious" is a film; "Chapter 3" is no name
    assert ix.shared("halloween") and not ix.shared("the dark knight")


def test_typo_changes_one_letter_not_the_first():
    for seed in range(50):
        w = typo("Knight", random.Random(seed))
        assert w != "Knight" and w[0] == "K" and abs(len(w) - 6) <= 1
        assert sorted(w.lower()) == sorted("knight") or len(w) != 6


def test_rendering_is_seeded_and_reproducible(small):
    cat, ix = small
    raw = "I loved @1006 and @1000 but not @1002"
    a = render_utterance(raw, cat, ix, utterance_rng(0, "d1", 3), "d1", 3)
    b = render_utterance(raw, cat, ix, utterance_rng(0, "d1", 3), "d1", 3)
    assert a == b and "@" not in a.text and a.gold == [6, 0, 2]
    others = {render_utterance(raw, cat, ix, utterance_rng(s, "d1", 3)).text for s in range(20)}
    assert len(others) > 1  # the seed matters
    assert render_utterance("see @999999", cat, ix, random.Random(0)) is None  # not in the catalogue


def test_matcher_and_verbatim(small):
    cat, _ = small
    m = TitleMatcher(cat)
    assert m.find("i loved the dark knight!") == ["the dark knight"]
    assert m.find("it was hot, heat everywhere") == []  # one-word titles are not filtered
    assert m.find("thanks, the heat is on") == []  # nor an article + one word
    assert norm("Amélie & Co.") == "amelie and co"
    assert verbatim("Heat", "I loved @123 and Heat")
    assert not verbatim("Heat", "Heat up the popcorn")  # sentence start
    assert not verbatim("Heat", "the heat was on")  # case-sensitive


def test_real_split_sets_are_sane():
    pos, neg, counts = build_sets("valid", limit=40)
    assert len(pos) == 40 and len(neg) == 40
    assert all("@" not in n.text for n in neg)
    assert all(not MENTION.search(p.text) and MENTION.search(p.raw) and p.gold for p in pos)
    assert counts["positives"] == 40
    again, _, _ = build_sets("valid", limit=40)
    assert [p.text for p in again] == [p.text for p in pos]


def test_adversarial_file_titles_exist():
    cases = load_adversarial()
    assert len(cases) >= 120
    assert check_adversarial(cases, cached_catalog()) == []
    displays = {m.display for m in cached_catalog().movies}
    for c in cases:
        assert isinstance(c["text"], str) and c["text"] and isinstance(c["expect"], list)
        assert all(t in displays for t in c["expect"])
    assert any(not c["expect"] for c in cases) and any(c.get("clarify") for c in cases)


def _u(text, gold, kinds, raw=None):
    return RenderedUtterance("d", 0, raw or text, text, gold, kinds, [text] * len(gold), [False] * len(gold))


def test_score_rendered_known_values(small):
    cat, _ = small
    pos = [_u("a", [0], ["title"]), _u("b", [6, 5], ["lower", "typo"]), _u("c", [2], ["title"], raw="@1 and Heat")]
    preds = [Prediction([0], []), Prediction([6, 4], [[5, 3]]), Prediction([3], [])]
    negs = [type("N", (), {"text": t})() for t in ("x", "y", "z", "w")]
    neg_preds = [Prediction([], []), Prediction([1, 2], []), Prediction([], [[9, 10]]), Prediction([], [])]
    r = score_rendered(pos, preds, negs, neg_preds, cat)
    assert r["gold_mentions"] == 4 and r["asks_without_gold"] == 0
    assert r["recall"] == pytest.approx(2 / 4)
    assert r["asked"] == pytest.approx(1 / 4) and r["recall_with_clarification"] == pytest.approx(3 / 4)
    assert r["precision"] == pytest.approx(2 / 4)
    # "Heat" (item 3) is typed verbatim in the raw text: excused.
    assert r["false_verbatim"] == 1 and r["precision_excl_verbatim"] == pytest.approx(2 / 3)
    assert r["false_links_per_100"] == pytest.approx(50.0) and r["asks_per_100"] == pytest.approx(25.0)
    assert r["negatives_with_link"] == pytest.approx(0.25)
    assert r["by_kind"]["title"]["recall"] == pytest.approx(0.5)
    assert r["by_kind"]["typo"]["recall"] == 0 and r["by_kind"]["typo"]["recall_with_clarification"] == 1
    assert r["most_missed"][0]["movie"] == "The Heat (2013)"


def test_judge_adversarial_cases(small):
    cat, _ = small
    d = lambda i: cat[i].display  # noqa: E731
    case = {"text": "Have you seen Heat?", "expect": ["Heat (1995)"], "clarify": [["Heat (1995)", "The Heat (2013)"]]}
    assert judge_case(case, Prediction([3], []), d) == (True, True)
    assert judge_case(case, Prediction([], [[3, 2]]), d) == (False, True)
    assert judge_case(case, Prediction([], [[3, 9]]), d) == (False, False)  # wrong options offered
    assert judge_case(case, Prediction([2], []), d) == (False, False)
    empty = {"text": "anything else?", "expect": []}
    assert judge_case(empty, Prediction([], []), d) == (True, True)
    assert judge_case(empty, Prediction([], [[3, 2]]), d) == (False, False)  # asking is wrong here
    res = score_adversarial([case, empty], [Prediction([3], []), Prediction([1], [])], cat)
    assert (res["right"], res["right_or_clarified"], len(res["failures"])) == (1, 1, 1)


@dataclass
class _Mention:
    type: str
    item: int | None


@dataclass
class _Result:
    mentions: list = field(default_factory=list)
    ambiguous: list = field(default_factory=list)


class _Oracle:
    """Links every catalogue title it finds verbatim (2+ words): a fake linker for an end-to-end run."""

    def __init__(self, catalog):
        self.m = TitleMatcher(catalog)

    def link(self, text, conversation=()):
        return _Result([_Mention("movie", i) for k in self.m.find(text) for i in sorted(self.m.keys[k])[:1]])


def test_run_bench_end_to_end_on_fake_linker():
    cat = cached_catalog()
    res = run_bench(_Oracle(cat), "valid", limit=30, progress=False)
    r = res["rendered"]
    assert 0 < r["recall"] < 1 and r["false_links_per_100"] == 0  # negatives exclude 2+-word titles by design
    assert res["adversarial"]["cases"] >= 120 and res["seed"] == 0


def test_every_hand_written_adversarial_case_is_right_or_clarified(linker, catalog):
    """The development set of tricky phrasings (tests/fixtures/title_adversarial.jsonl) stays solved."""
    from eval.title_bench import judge_case, load_adversarial, predict

    failures = []
    for case in load_adversarial():
        right, clarified = judge_case(case, predict(linker, case["text"]), lambda i: catalog[i].display)
        if not (right or clarified):
            failures.append(case["text"])
    assert failures == []


def test_adversarial_option_scores_another_case_file(tmp_path):
    """`crs eval link --movies --adversarial PATH` scores PATH instead of the development set."""
    import json

    from apps.cli import build_parser
    from eval.title_bench import ADVERSARIAL, evaluate_titles

    args = build_parser().parse_args(["eval", "link", "--movies", "--adversarial", "x.jsonl"])
    assert args.adversarial == "x.jsonl"
    assert build_parser().parse_args(["eval", "link", "--movies"]).adversarial is None

    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in [
        {"text": "I loved The Dark Knight", "expect": ["The Dark Knight (2008)"], "note": "verbatim"},
        {"text": "nothing here", "expect": [], "note": "none"},
    ]) + "\n", encoding="utf-8")
    res = evaluate_titles("valid", limit=5, out=tmp_path / "run", progress=False,
                          linker=_Oracle(cached_catalog()), adversarial=cases)
    assert res["adversarial"]["cases"] == 2 and res["adversarial"]["right"] == 2
    meta = json.loads((tmp_path / "run" / "results.json").read_text(encoding="utf-8"))
    assert "cases.jsonl" in json.dumps(meta)
    # Default: the development set.
    assert len(load_adversarial()) == len(load_adversarial(ADVERSARIAL))


def test_heldout_adversarial_file_names_only_catalogue_titles():
    from eval.title_bench import ADVERSARIAL

    heldout = ADVERSARIAL.parent / "title_adversarial_heldout.jsonl"
    cases = load_adversarial(heldout)
    assert len(cases) == 60 and check_adversarial(cases, cached_catalog()) == []


class _Recorder:
    """Links a fixed item for some texts and records the conversation it was given."""

    def __init__(self, links):
        self.links, self.seen = links, {}

    def link(self, text, conversation=()):
        self.seen[text] = set(conversation)
        return _Result([_Mention("movie", i) for i in self.links.get(text, [])])


def test_conversation_context_is_the_system_s_turns_and_the_linker_s_own_output():
    from eval.title_bench import Negative, predict
    from eval.title_context import predict_in_conversation

    pos = [RenderedUtterance("d", 1, "@x", "loved Heat", [7], ["title"], ["Heat"], [False]),
           RenderedUtterance("d", 5, "@y", "and Alien", [8], ["title"], ["Alien"], [False])]
    neg = [Negative("d", 3, "seen Jaws"), Negative("e", 0, "hello")]
    said = {"d": [(2, [40]), (4, [41])], "e": [(1, [50])]}
    rec = _Recorder({"loved Heat": [9], "seen Jaws": [12]})  # 9 is not the gold 7: the linker's reading counts
    pos_preds, neg_preds = predict_in_conversation(predict, rec, pos, neg, said, progress=False)
    assert rec.seen["loved Heat"] == set()
    assert rec.seen["seen Jaws"] == {9, 40}
    assert rec.seen["and Alien"] == {9, 40, 12, 41}  # never the gold 7
    assert rec.seen["hello"] == set()  # the system's message comes after it
    assert [p.items for p in pos_preds] == [[9], []] and [p.items for p in neg_preds] == [[12], []]


def _grouped_scores(groups: dict[int, int], text: str, gold: str, linked: str) -> tuple[dict, dict]:
    """Strict and grouped (same film / same title) scores of one message whose gold is `gold` and
    whose prediction is `linked` (catalogue displays)."""
    from eval.title_context import as_films

    cat = cached_catalog()
    item = {m.display: m.item for m in cat.movies}
    pos, pred = [_u(text, [item[gold]], ["lower"])], [Prediction([item[linked]], [])]
    g_pos, g_preds, g_neg = as_films(pos, pred, [], groups)
    return score_rendered(pos, pred, [], [], cat), score_rendered(g_pos, g_preds, [], g_neg, cat)


def test_same_film_scoring_counts_a_duplicate_id_as_the_film():
    from eval.title_context import same_film

    films = same_film(cached_catalog())
    strict, aware = _grouped_scores(films, "the fast and the furious", "The Fast and the Furious",
                                    "The Fast and the Furious (2001)")
    assert strict["recall"] == 0 and aware["recall"] == 1 and aware["precision"] == 1
    jumanji = next(m.item for m in cached_catalog().movies if m.display == "Jumanji (1995)")
    assert jumanji not in films  # a remake is another film


def test_false_link_audit_file_is_well_formed():
    """tests/fixtures/title_false_links_valid_audit.jsonl: valid false links judged by hand (reported apart)."""
    import json
    from pathlib import Path

    path = Path(__file__).parent / "fixtures" / "title_false_links_valid_audit.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    displays = {m.display for m in cached_catalog().movies}
    assert rows and all(r["linked"] in displays and r["judgement"] in ("real", "not", "other_version") for r in rows)
    assert all(r["alone"] or r["in_conversation"] for r in rows)
    assert all("@" not in r["text"] for r in rows)


def test_own_dialogue_titles_mark_negatives_that_type_a_movie_of_their_dialogue():
    """The data rule beside the raw false-link rate: a negative typing a title its dialogue names by @id."""
    from eval.title_bench import own_titles_excluded
    from eval.title_context import dialogue_titles, names_own_movie

    cat = _cat(("Gravity", 2013), ("It", 2017), ("The Village", 2004))

    def messages(_split):
        yield "d1", 0, "have you seen @1000 or @1001?", False
        yield "d1", 1, "Gravity was nice, I liked it", True
        yield "d2", 0, "try @1002", False

    own = dialogue_titles("valid", cat, messages)
    assert own["d1"] == {"gravity"}  # "It" is left out: in its dialogue "it" is nearly always the pronoun
    assert own["d2"] == {"the village", "village"}
    assert names_own_movie("Gravity was nice", own["d1"]) and not names_own_movie("I liked it", own["d1"])
    assert not names_own_movie("a villager", own["d2"])  # whole words only
    preds = [Prediction([0], []), Prediction([], [[1, 2]]), Prediction([], [])]
    got = own_titles_excluded(preds, [1, 2])
    assert got["negatives_own_excluded"] == 2 and got["false_links_per_100_own_excluded"] == 0
    assert got["asks_per_100_own_excluded"] == 50


def test_same_title_scoring_counts_any_film_of_the_typed_title():
    from eval.title_context import same_title

    titles = same_title(cached_catalog())
    strict, level = _grouped_scores(titles, "jumanji", "Jumanji (1995)", "Jumanji (2017)")
    assert strict["recall"] == 0 and level["recall"] == 1
    _, other = _grouped_scores(titles, "jumanji", "Jumanji (1995)", "Zathura (2005)")
    assert other["recall"] == 0  # another title is still a miss


def test_hand_adjudicated_false_links(tmp_path, monkeypatch):
    """Messages judged to name a film leave the movie-free set; every other link counts, judged or not."""
    import json

    import eval.title_bench as tb
    from crs.data.errors import DataError

    cat = _cat(("Elf", 2003), ("Fun", 1994), ("Thor", 2011))
    negs = [tb.Negative("d1", 1, "No I have not seen Elf."), tb.Negative("d1", 3, "sounds like fun"),
            tb.Negative("d2", 0, "my middle name is Thor"), tb.Negative("d2", 2, "ok thanks")]
    preds = [Prediction([0], []), Prediction([1], []), Prediction([2], []), Prediction([], [])]
    rows = [{"dialogue": "d1", "index": 1, "movie": "Elf (2003)", "names_a_movie": True},
            {"dialogue": "d1", "index": 3, "movie": "Fun (1994)", "names_a_movie": False}]
    (tmp_path / "title_negatives_test.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    monkeypatch.setattr(tb, "ANNOTATIONS", tmp_path)
    res = tb.adjudicated(negs, preds, "test", cat)
    assert res["naming_a_movie_by_hand"] == 1 and res["negatives_adjudicated"] == 3
    assert res["false_links_per_100_adjudicated"] == pytest.approx(200 / 3)  # Fun and the unjudged Thor
    assert res["false_links_unadjudicated"] == 1
    assert tb.adjudicated(negs, preds, "valid", cat) == {}  # no file: nothing reported
    (tmp_path / "title_negatives_test.jsonl").write_text('{"dialogue": "d1", "index": 1}\n', encoding="utf-8")
    with pytest.raises(DataError):
        tb.adjudicated(negs, preds, "test", cat)


def test_committed_adjudication_names_catalogue_movies_only():
    import json

    from eval.title_bench import ANNOTATIONS

    displays = {m.display for m in cached_catalog().movies}
    for path in ANNOTATIONS.glob("title_negatives_*.jsonl"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert rows and all(r["movie"] in displays and isinstance(r["names_a_movie"], bool) and r["note"] for r in rows)
        assert len({(r["dialogue"], r["index"], r["movie"]) for r in rows}) == len(rows)
