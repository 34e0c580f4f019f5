"""`crs eval link --movies`: how well the entity linker recognises movie TITLES people type.

Two parts:

1. **Rendered ReDial mentions.** Seeker messages (sender = ``initiatorWorkerId``, one ReDial
   message each, not merged turns) whose ``@<movieId>`` mentions are all in the catalogue;
   every ``@id`` is replaced by a title rendering (see :mod:`eval.title_render` for the rules)
   drawn with a seeded RNG per message. Messages with an ``@id`` outside the catalogue are
   skipped (counted). Splits: ``train``/``valid`` are the project's fixed seeded partition of
   ReDial train (``crs.data.redial.split_ids``); ``test`` is the official test split, for
   reported numbers only.

   **Negatives** are seeker messages with no ``@`` at all. Messages that obviously name a movie
   without ``@`` are excluded by one simple filter: the message contains the title of a
   catalogue movie with at least two words besides a leading article as an exact word sequence
   after lower-casing and dropping punctuation ("i loved the dark knight"; "thanks for the
   help" stays: "The Help" has one word besides its article). How many were excluded, and the titles
   that excluded most, are reported. One-word titles are not filtered, so some "false links"
   on negatives are real un-``@`` mentions ("I loved Jaws"); ``false_links_verbatim`` counts
   the false links whose catalogue title appears as typed in the message.

2. **Adversarial cases** (``tests/fixtures/title_adversarial.jsonl``, hand-written): ``text``,
   ``expect`` (catalogue displays "Title (Year)" that must be linked; empty = no movie),
   optional ``clarify`` (groups of displays: a clarifying question offering all of a group is
   also acceptable) and ``note``.

Metrics on the rendered set (gold = catalogue items of the ``@id`` occurrences; predictions =
the distinct items of the linker's movie mentions, ``LinkResult.ambiguous`` = clarifying
questions):

- ``recall``: gold occurrences whose item is among the linked movies.
- ``asked``: gold occurrences not linked but offered by an ``ambiguous`` entry;
  ``recall_with_clarification`` = recall + asked.
- ``precision``: linked movie items (distinct per message) that are gold. ReDial seekers also
  type titles without ``@`` ("@123 or Jaws"), so a correct link can count as an error:
  ``precision_excl_verbatim`` leaves out of the count the non-gold predictions whose catalogue
  title appears verbatim (case-sensitive, whole words; one-word titles not at a sentence
  start) in the original ReDial text. It is an upper bound; ``precision`` a lower bound.
- ``asks_without_gold``: clarifying questions on these messages that offer no gold movie.
- ``false_links_per_100``: movie items linked per 100 negative messages (distinct per
  message); ``asks_per_100``: clarifying questions per 100 negatives; ``negatives_with_link``.
- ``by_kind``: recall (and with clarification) per rendering kind, and for rendered titles
  that name one vs several catalogue movies (``shared``).
- ``most_missed`` / ``most_false``: the 20 most frequent missed gold movies (with rendered
  examples) and false links (with example messages), on both sets.
- time per message (mean, median, p95 milliseconds).

Adversarial: a case is **right** when the linked movies are exactly ``expect`` and nothing is
asked; **right or clarified** when no movie outside ``expect`` is linked, every expected movie
is linked or offered by a question, and every question offers all movies of one of the case's
``clarify`` groups (a question on a case without ``clarify`` is wrong).
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tqdm.auto import tqdm

from crs.data.errors import SkipLog
from crs.data.jsonl import read_jsonl
from crs.data.movies import Catalog, cached_catalog
from crs.data.redial import split_ids
from crs.paths import data_file
from eval.title_context import (
    as_films,
    dialogue_titles,
    names_own_movie,
    predict_in_conversation,
    recommender_items,
    same_film,
    same_title,
)
from eval.title_render import (
    KINDS,
    RenderedUtterance,
    TitleIndex,
    TitleMatcher,
    render_utterance,
    utterance_rng,
    verbatim,
)

ADVERSARIAL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "title_adversarial.jsonl"
ANNOTATIONS = ADVERSARIAL.parent  # also holds hand verdicts on linked movie-free messages (title_negatives_<split>)
DEFAULT_SEED = 0
TOP = 20


class Linker(Protocol):
    def link(self, text: str): ...


@dataclass
class Negative:
    dialogue: str
    index: int
    text: str


@dataclass
class Prediction:
    items: list[int]  # distinct linked movie items, in order
    asks: list[list[int]]  # candidate items of each ambiguity
    ms: float = 0.0


# ---------------------------------------------------------------- data


def seeker_messages(split: str) -> Iterable[tuple[str, int, str]]:
    """(dialogue id, message index, text) of every seeker message of a ReDial split."""
    for dialogue, i, text, is_seeker in dialogue_messages(split):
        if is_seeker:
            yield dialogue, i, text


def dialogue_messages(split: str) -> Iterable[tuple[str, int, str, bool]]:
    """(dialogue id, message index, text, sent by the seeker) of every message of a ReDial split."""
    if split not in ("train", "valid", "test"):
        raise ValueError(f"unknown split {split!r}; choose train, valid or test")
    path = data_file("redial", "test.jsonl" if split == "test" else "train.jsonl")
    rows = [obj for _, obj in read_jsonl(path, ("conversationId", "initiatorWorkerId", "messages"), SkipLog())]
    if split != "test":
        train_ids, valid_ids = split_ids([str(o["conversationId"]) for o in rows])
        keep = valid_ids if split == "valid" else train_ids
        rows = [o for o in rows if str(o["conversationId"]) in keep]
    for o in rows:
        seeker = o["initiatorWorkerId"]
        for i, m in enumerate(o.get("messages") or []):
            if isinstance(m, dict):
                text = str(m.get("text") or "").strip()
                if text:
                    yield str(o["conversationId"]), i, text, m.get("senderWorkerId") == seeker


def build_sets(split: str, catalog: Catalog | None = None, seed: int = DEFAULT_SEED,
               limit: int | None = None) -> tuple[list[RenderedUtterance], list[Negative], dict]:
    """Rendered positives, negatives and counts (skipped, excluded) for one split.

    `limit` keeps the first N positives and the first N negatives (in file order).
    """
    catalog = catalog or cached_catalog()
    index = TitleIndex(catalog)
    matcher = TitleMatcher(catalog, min_words=2)
    positives: list[RenderedUtterance] = []
    negatives: list[Negative] = []
    counts = Counter()
    excluded_by = Counter()
    for dialogue, i, text in seeker_messages(split):
        counts["seeker_messages"] += 1
        if "@" in text:
            if limit and len(positives) >= limit:
                continue
            r = render_utterance(text, catalog, index, utterance_rng(seed, dialogue, i), dialogue, i)
            if r is None:
                counts["skipped_unknown_or_no_id"] += 1
                continue
            positives.append(r)
        else:
            if limit and len(negatives) >= limit:
                continue
            named = matcher.find(text)
            if named:
                counts["negatives_excluded"] += 1
                excluded_by[named[0]] += 1
                continue
            negatives.append(Negative(dialogue, i, text))
    counts["positives"] = len(positives)
    counts["negatives"] = len(negatives)
    counts["gold_mentions"] = sum(len(p.gold) for p in positives)
    info = dict(counts)
    info["excluded_most_by"] = excluded_by.most_common(TOP)
    return positives, negatives, info


def load_adversarial(path: str | Path = ADVERSARIAL) -> list[dict]:
    cases = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if line.strip():
                case = json.loads(line)
                case["line"] = n
                cases.append(case)
    return cases


# ---------------------------------------------------------------- prediction


def predict(linker: Linker, text: str, conversation: frozenset | None = None) -> Prediction:
    """The linker's movie items and clarifying questions for one text, timed; `conversation`: the
    catalogue items known from earlier in the dialogue (see :mod:`eval.title_context`)."""
    t0 = time.perf_counter()
    res = linker.link(text) if conversation is None else linker.link(text, conversation=conversation)
    ms = (time.perf_counter() - t0) * 1000
    items = []
    for m in res.mentions:
        if m.type == "movie" and m.item is not None and m.item not in items:
            items.append(m.item)
    asks = [list(a.items) for a in (getattr(res, "ambiguous", None) or [])]
    return Prediction(items, asks, ms)


def _timing(preds: list[Prediction]) -> dict:
    ms = sorted(p.ms for p in preds)
    if not ms:
        return {"mean_ms": 0.0, "median_ms": 0.0, "p95_ms": 0.0}
    return {"mean_ms": statistics.fmean(ms), "median_ms": statistics.median(ms),
            "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))]}


# ---------------------------------------------------------------- metrics


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def score_rendered(positives: list[RenderedUtterance], pos_preds: list[Prediction], negatives: list[Negative],
                   neg_preds: list[Prediction], catalog: Catalog) -> dict:
    """All rendered-set metrics (see the module docstring) from predictions."""
    hits = asked = total = 0
    kind = defaultdict(Counter)
    missed: Counter = Counter()
    missed_examples: dict[int, list[str]] = defaultdict(list)
    false: Counter = Counter()
    false_examples: dict[int, list[str]] = defaultdict(list)
    n_pred = n_correct = n_verbatim = asks_wrong = 0
    for u, p in zip(positives, pos_preds):
        linked = set(p.items)
        offered = {i for a in p.asks for i in a}
        asks_wrong += sum(1 for a in p.asks if not set(a) & set(u.gold))
        for item, k, surface, shared in zip(u.gold, u.kinds, u.surfaces, u.shared):
            total += 1
            groups = (k, "shared" if shared else "unique")
            for g in groups:
                kind[g]["n"] += 1
            if item in linked:
                hits += 1
                for g in groups:
                    kind[g]["hit"] += 1
            elif item in offered:
                asked += 1
                for g in groups:
                    kind[g]["asked"] += 1
            else:
                missed[item] += 1
                if len(missed_examples[item]) < 3 and surface not in missed_examples[item]:
                    missed_examples[item].append(surface)
        gold = set(u.gold)
        for item in p.items:
            n_pred += 1
            if item in gold:
                n_correct += 1
            else:
                false[item] += 1
                if len(false_examples[item]) < 2:
                    false_examples[item].append(u.text)
                if verbatim(catalog[item].title, u.raw):
                    n_verbatim += 1
    neg_links = neg_asks = neg_with = neg_verbatim = 0
    neg_false: Counter = Counter()
    neg_examples: dict[int, list[str]] = defaultdict(list)
    for n, p in zip(negatives, neg_preds):
        neg_links += len(p.items)
        neg_asks += len(p.asks)
        neg_with += bool(p.items)
        for item in p.items:
            neg_false[item] += 1
            if len(neg_examples[item]) < 2:
                neg_examples[item].append(n.text)
            if verbatim(catalog[item].title, n.text):
                neg_verbatim += 1
    by_kind = {}
    for g in (*KINDS, "unique", "shared"):
        c = kind.get(g)
        if c and c["n"]:
            by_kind[g] = {"n": c["n"], "recall": c["hit"] / c["n"], "recall_with_clarification": (c["hit"] + c["asked"]) / c["n"]}

    def top(counter, examples):
        return [{"movie": catalog[i].display, "count": c, "examples": examples[i]} for i, c in counter.most_common(TOP)]

    return {
        "positives": len(positives), "gold_mentions": total,
        "recall": _ratio(hits, total), "asked": _ratio(asked, total),
        "recall_with_clarification": _ratio(hits + asked, total),
        "precision": _ratio(n_correct, n_pred),
        "precision_excl_verbatim": _ratio(n_correct, n_pred - n_verbatim),
        "predicted_movies": n_pred, "false_verbatim": n_verbatim, "asks_without_gold": asks_wrong,
        "negatives": len(negatives),
        "false_links_per_100": _ratio(100 * neg_links, len(negatives)),
        "asks_per_100": _ratio(100 * neg_asks, len(negatives)),
        "negatives_with_link": _ratio(neg_with, len(negatives)),
        "false_links_verbatim": neg_verbatim,
        "by_kind": by_kind,
        "most_missed": top(missed, missed_examples),
        "most_false_in_positives": top(false, false_examples),
        "most_false_in_negatives": top(neg_false, neg_examples),
        "time_positive": _timing(pos_preds), "time_negative": _timing(neg_preds),
    }


def judge_case(case: dict, pred: Prediction, display_of: Callable[[int], str]) -> tuple[bool, bool]:
    """(right, right_or_clarified) for one adversarial case."""
    expect = set(case.get("expect") or [])
    groups = [set(g) for g in case.get("clarify") or []]
    linked = {display_of(i) for i in pred.items}
    asks = [{display_of(i) for i in a} for a in pred.asks]
    right = linked == expect and not asks
    offered = set().union(*asks) if asks else set()
    ok_asks = all(any(g <= a for g in groups) for a in asks)
    clarified = linked <= expect and expect <= (linked | offered) and ok_asks
    return right, right or clarified


def score_adversarial(cases: list[dict], preds: list[Prediction], catalog: Catalog) -> dict:
    right = clarified = 0
    failures = []
    for case, p in zip(cases, preds):
        r, rc = judge_case(case, p, lambda i: catalog[i].display)
        right += r
        clarified += rc
        if not r:
            failures.append({
                "text": case["text"], "expect": case.get("expect") or [], "clarify": case.get("clarify") or [],
                "linked": [catalog[i].display for i in p.items],
                "asked": [[catalog[i].display for i in a] for a in p.asks],
                "clarified_ok": rc, "note": case.get("note", ""),
            })
    return {"cases": len(cases), "right": right, "right_or_clarified": clarified, "failures": failures,
            "time": _timing(preds)}


# ---------------------------------------------------------------- run


def check_adversarial(cases: list[dict], catalog: Catalog) -> list[str]:
    """Problems in the adversarial file: expected/clarify titles not in the catalogue."""
    displays = {m.display for m in catalog.movies}
    problems = []
    for c in cases:
        names = list(c.get("expect") or []) + [t for g in c.get("clarify") or [] for t in g]
        for t in names:
            if t not in displays:
                problems.append(f"line {c['line']}: {t!r} is not a catalogue display title")
    return problems


def run_bench(linker: Linker, split: str = "valid", limit: int | None = None, seed: int = DEFAULT_SEED,
              catalog: Catalog | None = None, progress: bool = True, adversarial: str | Path = ADVERSARIAL) -> dict:
    """Metrics dict for one linker (no files written)."""
    catalog = catalog or cached_catalog()
    positives, negatives, counts = build_sets(split, catalog, seed, limit)
    pos_preds = [predict(linker, u.text) for u in tqdm(positives, desc=f"titles ({split})", disable=not progress)]
    neg_preds = [predict(linker, n.text) for n in tqdm(negatives, desc=f"movie-free ({split})", disable=not progress)]
    rendered = score_rendered(positives, pos_preds, negatives, neg_preds, catalog)
    # The same messages in conversation (what the system knows at run time), and both scored with
    # duplicate catalogue ids of one film counted as that film.
    said = recommender_items(split, catalog, dialogue_messages)
    conv_pos, conv_neg = predict_in_conversation(predict, linker, positives, negatives, said, progress)
    conversation = score_rendered(positives, conv_pos, negatives, conv_neg, catalog)
    films = same_film(catalog)
    alone_films, conv_films = _films(positives, pos_preds, negatives, neg_preds, films), \
        _films(positives, conv_pos, negatives, conv_neg, films)
    rendered_films, conversation_films = score_rendered(*alone_films, catalog), score_rendered(*conv_films, catalog)
    titles = same_title(catalog)
    conversation_titles = score_rendered(*_films(positives, conv_pos, negatives, conv_neg, titles), catalog)
    own = dialogue_titles(split, catalog, dialogue_messages)
    clean = [k for k, n in enumerate(negatives) if not names_own_movie(n.text, own.get(n.dialogue, set()))]
    counts["negatives_naming_own_movie"] = len(negatives) - len(clean)
    for scores, preds in ((rendered, neg_preds), (conversation, conv_neg), (rendered_films, alone_films[3]),
                          (conversation_films, conv_films[3]), (conversation_titles, conv_neg)):
        scores.update(own_titles_excluded(preds, clean))
    rendered.update(adjudicated(negatives, neg_preds, split, catalog))
    conversation.update(adjudicated(negatives, conv_neg, split, catalog))
    cases = load_adversarial(adversarial)
    problems = check_adversarial(cases, catalog)
    if problems:
        raise ValueError("adversarial set: " + "; ".join(problems[:5]))
    adv_preds = [predict(linker, c["text"]) for c in tqdm(cases, desc="adversarial", disable=not progress)]
    adv = score_adversarial(cases, adv_preds, catalog)
    return {"split": split, "seed": seed, "limit": limit, "data": counts, "rendered": rendered,
            "rendered_same_film": rendered_films, "conversation": conversation,
            "conversation_same_film": conversation_films, "conversation_same_title": conversation_titles,
            "adversarial": adv}


def adjudicated(negatives: list[Negative], neg_preds: list[Prediction], split: str, catalog: Catalog) -> dict:
    """False links per 100 movie-free messages after a person read the linked messages.

    ``tests/fixtures/title_negatives_<split>.jsonl`` holds one verdict per (message, linked movie):
    ``names_a_movie`` true when the message names that film or another one without ``@`` ("Seen
    Gladiator. great movie"), so it was never movie-free. Such messages leave the set; every link on the
    rest counts as false, including links nobody judged (``false_links_unadjudicated``). Empty when the
    split has no file."""
    path = ANNOTATIONS / f"title_negatives_{split}.jsonl"
    if not path.exists():
        return {}
    fields = ("dialogue", "index", "movie", "names_a_movie")
    rows = [r for _, r in read_jsonl(path, fields, SkipLog(strict=True))]  # a bad verdict line stops the run
    labels = {(str(r["dialogue"]), int(r["index"]), r["movie"]): bool(r["names_a_movie"]) for r in rows}
    naming = {(d, i) for (d, i, _), v in labels.items() if v}
    keep = [k for k, n in enumerate(negatives) if (str(n.dialogue), int(n.index)) not in naming]
    links = [(negatives[k], item) for k in keep for item in neg_preds[k].items]
    unjudged = sum((str(n.dialogue), int(n.index), catalog[item].display) not in labels for n, item in links)
    return {"negatives_adjudicated": len(keep), "naming_a_movie_by_hand": len(negatives) - len(keep),
            "false_links_per_100_adjudicated": _ratio(100 * len(links), len(keep)),
            "false_links_unadjudicated": unjudged}


def own_titles_excluded(neg_preds: list[Prediction], keep: list[int]) -> dict:
    """False links and questions per 100 negatives on the negatives `keep` (those that do not type a
    movie of their own dialogue, see :mod:`eval.title_context`)."""
    return {"negatives_own_excluded": len(keep),
            "false_links_per_100_own_excluded": _ratio(100 * sum(len(neg_preds[k].items) for k in keep), len(keep)),
            "asks_per_100_own_excluded": _ratio(100 * sum(len(neg_preds[k].asks) for k in keep), len(keep))}


def _films(positives, pos_preds, negatives, neg_preds, films):
    pos, pp, np_ = as_films(positives, pos_preds, neg_preds, films)
    return pos, pp, negatives, np_


VARIANTS = (("rendered", "alone, strict"), ("rendered_same_film", "alone, same film"),
            ("conversation", "in conversation, strict"), ("conversation_same_film", "in conversation, same film"),
            ("conversation_same_title", "in conversation, same title"))


def summary_rows(res: dict) -> list[dict]:
    """One row per metric, one column per variant: each message alone or in its conversation, with
    strict gold or duplicate ids of one film counted as that film."""
    a = res["adversarial"]
    metrics = (("title recall", "recall"), ("recall incl. clarification", "recall_with_clarification"),
               ("precision", "precision"), ("precision excl. verbatim-typed titles", "precision_excl_verbatim"),
               ("false movie links / 100 movie-free", "false_links_per_100"),
               ("... movie-free, own-dialogue titles excluded", "false_links_per_100_own_excluded"),
               ("... movie-free as judged by hand (test only)", "false_links_per_100_adjudicated"),
               ("clarifying questions / 100 movie-free", "asks_per_100"))
    rows = [{"metric": name, **{label: res[key][m] for key, label in VARIANTS if key in res and m in res[key]}}
            for name, m in metrics]
    rows.append({"metric": "shared-title recall", **{label: res[key]["by_kind"].get("shared", {}).get("recall", 0.0)
                                                      for key, label in VARIANTS if key in res}})
    rows.append({"metric": "adversarial right", "alone, strict": f"{a['right']}/{a['cases']}"})
    rows.append({"metric": "adversarial right or clarified", "alone, strict": f"{a['right_or_clarified']}/{a['cases']}"})
    rows.append({"metric": "ms per message (mean, positives)", "alone, strict": res["rendered"]["time_positive"]["mean_ms"]})
    return rows


def format_report(res: dict) -> str:
    r, a, d = res["rendered"], res["adversarial"], res["data"]
    lines = [f"Movie-title linking, ReDial {res['split']} (seed {res['seed']}"
             + (f", limit {res['limit']}" if res["limit"] else "") + ")",
             f"  {d['positives']} seeker messages with {d['gold_mentions']} rendered titles "
             f"({d.get('skipped_unknown_or_no_id', 0)} skipped: @id outside the catalogue); "
             f"{d['negatives']} movie-free messages ({d.get('negatives_excluded', 0)} excluded: name a 2+-word title; "
             f"of the {d['negatives']}, {d.get('negatives_naming_own_movie', 0)} type a title of their own dialogue)"]
    labels = [label for key, label in VARIANTS if key in res]
    lines.append("  " + " " * 40 + "".join(f"{lab:>28}" for lab in labels))
    for row in summary_rows(res):
        cells = [row.get(lab, "") for lab in labels]
        lines.append(f"  {row['metric']:<40}" + "".join(f"{v:>28.4f}" if isinstance(v, float) else f"{v!s:>28}"
                                                        for v in cells))
    lines.append("  recall by rendering kind:")
    for k, v in r["by_kind"].items():
        lines.append(f"    {k:<12} n={v['n']:<6} recall {v['recall']:.3f}  with clarification {v['recall_with_clarification']:.3f}")
    lines.append("  recall by rendering kind, in conversation: " + ", ".join(
        f"{k} {v['recall']:.3f}" for k, v in res["conversation"]["by_kind"].items()))
    lines.append("  most missed: " + "; ".join(f"{m['movie']} x{m['count']} {m['examples']}" for m in r["most_missed"][:10]))
    lines.append("  most false (movie-free): " + "; ".join(f"{m['movie']} x{m['count']}" for m in r["most_false_in_negatives"][:10]))
    lines.append(f"  adversarial failures ({a['cases'] - a['right']}):")
    for f in a["failures"]:
        lines.append(f"    {'~' if f['clarified_ok'] else 'x'} {f['text']!r}: expected {f['expect']}, linked {f['linked']}"
                     + (f", asked {f['asked']}" if f["asked"] else ""))
    return "\n".join(lines)


def evaluate_titles(split: str = "valid", limit: int | None = None, out=None, seed: int = DEFAULT_SEED,
                    progress: bool = True, linker: Linker | None = None,
                    adversarial: str | Path | None = None) -> dict:
    """Run the benchmark on the project's linker, print nothing, write results.json/.md; return the metrics.

    ``adversarial``: the case file to score (default ``tests/fixtures/title_adversarial.jsonl``), e.g. the
    held-out ``tests/fixtures/title_adversarial_heldout.jsonl``."""
    adversarial = Path(adversarial) if adversarial else ADVERSARIAL
    from eval.report import markdown_table, write_results
    from eval.rundir import make_run_dir, run_metadata

    if linker is None:
        from kg.linker import cached_linker

        linker = cached_linker()
    res = run_bench(linker, split, limit, seed, progress=progress, adversarial=adversarial)
    run_dir = make_run_dir(out, f"link-movies-{split}")
    meta = run_metadata(seed, {"split": split, "limit": limit, "adversarial": str(adversarial.name),
                               "renderer": "eval/title_render.py"})
    meta["data"] = res["data"]
    r = res["rendered"]
    metrics = {
        "rendered": {k: v for k, v in r.items() if isinstance(v, (int, float))},
        "by_kind": r["by_kind"],
        **{key: {**{k: v for k, v in res[key].items() if isinstance(v, (int, float))}, "by_kind": res[key]["by_kind"]}
           for key, _ in VARIANTS[1:]},
        "adversarial": {"cases": res["adversarial"]["cases"], "right": res["adversarial"]["right"],
                        "right_or_clarified": res["adversarial"]["right_or_clarified"]},
        "time_ms": {"positive": r["time_positive"], "negative": r["time_negative"]},
    }
    meta["most_missed"] = r["most_missed"]
    meta["most_false_in_positives"] = r["most_false_in_positives"]
    meta["most_false_in_negatives"] = r["most_false_in_negatives"]
    meta["adversarial_failures"] = res["adversarial"]["failures"]
    json_path, md_path = write_results(run_dir, metrics, meta, f"Movie-title linking (ReDial {split}, rendered + adversarial)",
                                       table_rows=summary_rows(res))
    # Readable lists in results.md (write_results flattens them into one line each).
    extra = ["", "## Most missed (rendered)", "",
             markdown_table([{**m, "examples": " / ".join(m["examples"])} for m in r["most_missed"]]),
             "", "## Most frequent false links (movie-free messages)", "",
             markdown_table([{**m, "examples": " / ".join(m["examples"])} for m in r["most_false_in_negatives"]]),
             "", "## Most frequent false links (messages with titles)", "",
             markdown_table([{**m, "examples": " / ".join(m["examples"])} for m in r["most_false_in_positives"]]),
             "", "## Adversarial failures", "",
             markdown_table([{"text": f["text"], "expect": ", ".join(f["expect"]), "linked": ", ".join(f["linked"]),
                              "asked": "; ".join(" / ".join(a) for a in f["asked"]),
                              "clarified ok": f["clarified_ok"], "note": f["note"]}
                             for f in res["adversarial"]["failures"]]), ""]
    with open(md_path, "a", encoding="utf-8") as fh:
        fh.write("\n".join(extra))
    res["run_dir"] = str(run_dir)
    return res
