"""Independent leak audit of simulated-user transcripts: `python -m eval.leak_audit RUN_DIR [RUN_DIR ...]`.

This is deliberately separate code from the seeker's filter (simulator/leak.py, which it never
imports): it builds the target's names itself (the catalogue title with and without its year,
the title without a leading article, and the movieName of every ReDial id that TMDKG merges
into the same movie, read here from movies_with_mentions.csv), normalises text its own way
(Unicode folding, "&" -> "and", apostrophes dropped, everything else split into word tokens)
and searches each *seeker* message of the final transcript (``dialogues.jsonl``) for any name
as a whole-token sequence.

It also measures **attribute identifiability**: for each dialogue, how many catalogue movies
match every hint the seeker gave (recorded in the transcript as kind/value/polarity: wanted
genres, stars, directors, writers, keywords and decade; unwanted genres). A median of 1 or a
large share with <= 3 matches would mean the hints alone name the target.

Because that count trusts the seeker's own record, a second count reads only the text: every
attribute of the target (genre, with a few everyday words for genres; star, director, writer,
keyword; decade as "90s" / "1990s") that occurs in any seeker message, as whole tokens, is taken
as wanted, and the movies having all of them are counted (``text_identifiability_*``).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import unicodedata
from pathlib import Path

_ARTICLES = ("the", "a", "an")


def tokens(text: str) -> list[str]:
    """Word tokens: accents folded, lower case, '&' read as 'and', apostrophes joined, other marks split."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    out, word = [], []
    for ch in folded.replace("&", " and "):
        if ch in "'’`":
            continue
        if ch.isascii() and ch.isalnum():
            word.append(ch)
        else:
            if word:
                out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


def _strip_year(name: str) -> tuple[str, str | None]:
    name = name.strip()
    if name.endswith(")") and "(" in name:
        head, _, tail = name.rpartition("(")
        year = tail[:-1].strip()
        if len(year) == 4 and year.isdigit():
            return head.strip(), year
    return name, None


def name_forms(names: list[str]) -> set[tuple[str, ...]]:
    """Token sequences to look for: each name, without its year, year without brackets, without an article."""
    forms: set[tuple[str, ...]] = set()
    for name in names:
        title, year = _strip_year(name)
        for t in (tokens(name), tokens(title), tokens(title) + ([year] if year else [])):
            if not t:
                continue
            forms.add(tuple(t))
            if t[0] in _ARTICLES and len(t) > 1 and len("".join(t[1:])) >= 3:
                forms.add(tuple(t[1:]))
    return forms


def find_names(text: str, forms: set[tuple[str, ...]]) -> list[str]:
    """The name forms that occur in ``text`` as whole-token sequences."""
    toks = tokens(text)
    hits = set()
    for form in forms:
        n = len(form)
        if any(tuple(toks[i:i + n]) == form for i in range(len(toks) - n + 1)):
            hits.add(" ".join(form))
    return sorted(hits)


def redial_movie_names(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8", newline="") as f:
        return {row["movieId"]: row["movieName"] for row in csv.DictReader(f)}


def all_names(movie, redial: dict[str, str]) -> list[str]:
    names = [movie.title, f"{movie.title} ({movie.year})" if movie.year else movie.title]
    names += [redial[r] for r in movie.redial_ids if r in redial]
    return list(dict.fromkeys(names))


class Attributes:
    """Each catalogue movie's attributes, for counting the movies that match a seeker's hints."""

    def __init__(self, catalog, graph):
        self.movies = catalog.movies
        kw: dict[int, set[str]] = {}
        ent_item = {m.entity: m.item for m in catalog.movies}
        for u, v, data in graph.edges(data=True):
            if data.get("relation") == "keyword" and u in ent_item:
                kw.setdefault(ent_item[u], set()).add(str(graph.nodes[v].get("name", "")).casefold())
        self.sets = [{
            "genre": {g.casefold() for g in m.genres}, "star": {s.casefold() for s in m.stars},
            "director": {d.casefold() for d in m.directors}, "writer": {w.casefold() for w in m.writers},
            "keyword": kw.get(m.item, set()), "era": {str(m.year // 10 * 10)} if m.year else set(),
        } for m in catalog.movies]

    def keywords(self, item: int) -> set[str]:
        return self.sets[item]["keyword"]

    def matching(self, hints: list[dict]) -> list[int]:
        """Items that have every wanted attribute and no unwanted one (hints of unknown kind are ignored)."""
        want = [(h["kind"], str(h["value"]).casefold()) for h in hints if h["polarity"] > 0]
        avoid = [(h["kind"], str(h["value"]).casefold()) for h in hints if h["polarity"] < 0]
        out = []
        for item, attrs in enumerate(self.sets):
            if all(v in attrs.get(k, {v}) for k, v in want) and not any(v in attrs.get(k, set()) for k, v in avoid):
                out.append(item)
        return out


# Everyday words for genres (written here, not shared with the linker or the seeker).
_GENRE_WORDS = {"comedy": ["funny", "comedies", "comedic"], "horror": ["scary", "horrors"],
                "romance": ["romantic", "romcom"], "animation": ["animated", "cartoon", "cartoons"],
                "sci-fi": ["sci fi", "scifi", "science fiction"], "science fiction": ["sci fi", "scifi", "sci-fi"],
                "thriller": ["thrillers"], "drama": ["dramas"], "documentary": ["documentaries"],
                "western": ["westerns"], "musical": ["musicals"]}


def _decade_words(year: int) -> list[str]:
    d = year // 10 * 10
    return [f"{d}s", f"{d % 100:02d}s"] if d < 2000 else [f"{d}s"]


def text_attributes(movie, kw: set[str], text_tokens: list[str]) -> list[dict]:
    """The target's attributes that occur as whole-token sequences in the seeker's text, as wanted hints."""
    def occurs(phrase: str) -> bool:
        t = tokens(phrase)
        n = len(t)
        return bool(t) and any(text_tokens[i:i + n] == t for i in range(len(text_tokens) - n + 1))

    found = []
    for g in movie.genres:
        if any(occurs(w) for w in [g] + _GENRE_WORDS.get(g.casefold(), [])):
            found.append({"kind": "genre", "value": g, "polarity": 1})
    for kind, values in (("star", movie.stars), ("director", movie.directors), ("writer", movie.writers),
                         ("keyword", sorted(kw))):
        found += [{"kind": kind, "value": v, "polarity": 1} for v in values if occurs(v)]
    if movie.year and any(occurs(w) for w in _decade_words(movie.year)):
        found.append({"kind": "era", "value": str(movie.year // 10 * 10), "polarity": 1})
    return found


def audit_records(records: list[dict], catalog, attributes: Attributes | None, redial: dict[str, str]) -> dict:
    """Leaks in every seeker message, and attribute identifiability per dialogue."""
    leaks, n_msgs, counts, target_kept, no_hints, text_counts = [], 0, [], 0, 0, []
    for r in records:
        forms = name_forms(all_names(catalog[r["target"]], redial))
        text_tokens: list[str] = []
        for turn in r["log"]:
            n_msgs += 1
            hit = find_names(turn["seeker"], forms)
            if hit:
                leaks.append({"dialogue_id": r["dialogue_id"], "message": turn["seeker"], "names": hit})
            text_tokens += tokens(turn["seeker"]) + ["|"]  # "|" keeps phrases from spanning two messages
        if attributes is not None:
            found = text_attributes(catalog[r["target"]], attributes.keywords(r["target"]), text_tokens)
            text_counts.append(len(attributes.matching(found)))
        if attributes is not None and "hints" in r:
            hints = [h for h in r["hints"] if h["kind"] in ("genre", "star", "director", "writer", "keyword", "era")]
            if not hints:
                no_hints += 1
            match = attributes.matching(hints)
            counts.append(len(match))
            target_kept += r["target"] in match
    out = {"dialogues": len(records), "seeker_messages_scanned": n_msgs, "leaks": len(leaks), "leak_examples": leaks[:20]}
    if counts:
        out.update({"identifiability_median_matches": statistics.median(counts),
                    "identifiability_share_le3": sum(c <= 3 for c in counts) / len(counts),
                    "identifiability_share_1": sum(c == 1 for c in counts) / len(counts),
                    "dialogues_without_attribute_hints": no_hints,
                    "target_among_matches": target_kept / len(counts)})
    if text_counts:
        out.update({"text_identifiability_median_matches": statistics.median(text_counts),
                    "text_identifiability_share_le3": sum(c <= 3 for c in text_counts) / len(text_counts),
                    "text_identifiability_share_1": sum(c == 1 for c in text_counts) / len(text_counts)})
    return out


def main(argv=None) -> int:
    from crs.data.movies import cached_catalog
    from crs.paths import data_file
    from kg.graph import cached_graph

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="crs eval simulate run folders (with dialogues.jsonl)")
    args = ap.parse_args(argv)
    catalog = cached_catalog()
    attrs = Attributes(catalog, cached_graph())
    redial = redial_movie_names(data_file("redial", "movies_with_mentions.csv"))
    total = 0
    for run in args.runs:
        path = Path(run, "dialogues.jsonl")
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        res = audit_records(records, catalog, attrs, redial)
        Path(run, "leak_audit.json").write_text(json.dumps(res, indent=1))
        total += res["leaks"]
        print(run, {k: v for k, v in res.items() if k != "leak_examples"})
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
