"""Scripted multi-turn conversations against the real dialogue manager (tiny random LLM, popularity).

Each conversation in tests/fixtures/scripted_conversations.yaml is one test. Besides the per-turn
expectations written in the YAML, every turn is checked against generic invariants that use only
the graph, the catalogue and the linker (never the manager's own helpers):

1. a card never repeats an item shown earlier in the conversation;
2. a card is never a movie the user mentioned, disliked or turned down;
3. an explain turn shows no cards, names one of the last cards (not a turned-down one unless the
   user pointed at it) and, unless it says there is no direct link, names a real KG link between
   that card and what the user liked;
4. exactly one TurnDone per turn, whose text is the concatenated TextDelta texts;
5. no card has a genre the user ruled out ("no horror"), by the KG's genre links or by the genre
   labels the card itself shows ("no musicals": not The Greatest Showman, "musical" on its card);
6. an answer turn ("who directed it?") shows no cards, names the movie it is about (one of the
   last cards or a movie the message names) and states that movie's catalogue facts;
7. every card's year is within the era the state holds ("from the 90s");
8. no card is in a language the user ruled out ("any foreign ones?" rules out English);
9. a card's reason says "directed by" only of a director the catalogue credits to that card;
10. no card has the title of a movie the user named ("I liked The Notebook": not The Notebook (2013));
11. a question answered ("is there a sequel?", "is it based on a book?") adds nothing to what the user
    likes or dislikes.

A conversation marked `xfail: "reason"` documents a known bug: its expectations are what a user
would expect, not what the manager does today.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from crs.dialogue.events import Notice, Recommendations, TextDelta, TurnDone
from crs.dialogue.state import DialogueState
from kg.graph import neighbours

SCRIPT = Path(__file__).resolve().parent / "fixtures" / "scripted_conversations.yaml"
CONVERSATIONS = yaml.safe_load(SCRIPT.read_text(encoding="utf-8"))
EXPECT_KEYS = {"act", "entities", "not_entities", "disliked", "notice", "no_notice", "cards", "text_contains",
               "text_not_contains", "clarify_options", "explains_card", "cards_linked_to",
               "no_sequels", "n_cards"}
# The user points at one card ("the second one", "#2", "the last one") or names it.
_POINTS = re.compile(r"\b(first|second|third|last|1st|2nd|3rd|top|number \d|no\.? ?\d)\b|#\s*\d", re.I)
NO_LINK = "no direct link"
# A KG genre and the labels the catalogue uses for it (written here, apart from the product's own table).
LABELS = {"music": {"music", "musical"}, "science fiction": {"sci-fi", "science fiction"}}
_DIRECTED = re.compile(r"directed by ([^;.]+)")


def _params():
    out = []
    for conv in CONVERSATIONS:
        marks = [pytest.mark.xfail(reason=conv["xfail"], strict=False)] if conv.get("xfail") else []
        out.append(pytest.param(conv, id=conv["name"], marks=marks))
    return out


def test_script_is_well_formed():
    names = [c["name"] for c in CONVERSATIONS]
    assert len(names) == len(set(names)), "conversation names must be unique"
    assert len(CONVERSATIONS) >= 55
    for conv in CONVERSATIONS:
        assert set(conv) <= {"name", "turns", "xfail"}, conv["name"]
        assert 2 <= len(conv["turns"]) <= 5, conv["name"]
        for turn in conv["turns"]:
            assert set(turn) <= {"user", "expect"}, conv["name"]
            assert set(turn.get("expect") or {}) <= EXPECT_KEYS, (conv["name"], turn)


class Checker:
    """Runs one conversation and checks every turn."""

    def __init__(self, manager, graph, catalog, linker):
        self.manager, self.g, self.catalog, self.linker = manager, graph, catalog, linker
        self.state = DialogueState()
        self.shown: set[int] = set()
        self.last_cards: list = []
        self.named: list = []  # movies the user named in earlier messages

    # ---------------------------------------------------------------- names
    def name(self, e: int) -> str:
        return self.g.nodes[e]["name"]

    def state_names(self, items: list[int], entities: list[int]) -> set[str]:
        return {self.catalog[i].display for i in items} | {self.name(e) for e in entities}

    # ---------------------------------------------------------------- a turn
    def turn(self, k: int, message: str, expect: dict) -> None:
        where = f"turn {k + 1} {message!r}"
        before = copy.deepcopy(self.state)
        events = list(self.manager.respond(self.state, message))
        dones = [e for e in events if isinstance(e, TurnDone)]
        # (4) one TurnDone, last, whose text is the streamed text
        assert len(dones) == 1 and events[-1] is dones[0], f"{where}: {events}"
        done = dones[0]
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == done.text, where
        recs = [e for e in events if isinstance(e, Recommendations)]
        assert len(recs) <= 1, where
        cards = recs[0].cards if recs else []
        notices = [e.message for e in events if isinstance(e, Notice)]
        self.check_cards(where, before, cards)
        if done.action == "explain":
            self.check_explanation(where, before, message, recs, done.text, expect.get("explains_card"))
        if done.action == "answer":
            self.check_answer(where, message, recs, done.text)
            # (11) a question is no taste: "is there a sequel?" must not make "sequel" a liked keyword
            for field in ("liked_items", "liked_entities", "disliked_items", "disliked_entities"):
                assert getattr(self.state, field) == getattr(before, field), f"{where}: {field} changed"
        self.check_expect(where, expect, done, cards, notices)
        self.shown.update(c.item for c in cards)
        self.named += [self.catalog[m.item] for m in self.linker.link(message).of_type("movie") if m.item is not None]
        if cards:
            self.last_cards = cards

    def check_cards(self, where: str, before: DialogueState, cards: list) -> None:
        after = self.state
        unwanted = {}
        for st in (before, after):
            for i in st.mentioned_items:
                unwanted[i] = "mentioned"
            for i in st.disliked_items:
                unwanted[i] = "disliked"
        for i in before.rejected_items:
            unwanted[i] = "turned down"
        ruled_out = {e for e in before.disliked_entities + after.disliked_entities
                     if self.g.nodes[e].get("type") == "genre"}
        labels_out = {lab for e in ruled_out for lab in LABELS.get(self.name(e), {self.name(e)})}
        languages_out = {e for e in after.disliked_entities if self.g.nodes[e].get("type") == "language"}
        items = [c.item for c in cards]
        assert len(items) == len(set(items)), f"{where}: duplicate cards {items}"
        lo, hi = after.era or (None, None)
        for c in cards:  # (7) "from the 90s": every card's year is in the era asked for
            year = self.catalog[c.item].year
            assert year is not None or after.era is None, f"{where}: {c.display} has no year, era {after.era}"
            assert (lo is None or year >= lo) and (hi is None or year <= hi), f"{where}: {c.display} outside {after.era}"
        named = {self.catalog[i].title.lower() for i in after.mentioned_items}
        for c in cards:
            # (10) another film of a title the user named reads as that film shown back
            assert self.catalog[c.item].title.lower() not in named, f"{where}: {c.display} has a title the user named"
            # (1) never shown before
            assert c.item not in self.shown, f"{where}: {c.display} was already shown"
            # (2) never a movie the user named, disliked or turned down
            assert c.item not in unwanted, f"{where}: {c.display} was {unwanted.get(c.item)} by the user"
            # (5) never a genre the user ruled out
            movie_genres = set(neighbours(self.g, self.catalog[c.item].entity, ("genre",)))
            bad = movie_genres & ruled_out
            assert not bad, f"{where}: {c.display} is {[self.name(e) for e in bad]}, which the user ruled out"
            shown = {g.lower() for g in self.catalog[c.item].genres} & labels_out
            assert not shown, f"{where}: {c.display}'s card says {shown}, which the user ruled out"
            # (8) never a language the user ruled out
            spoken = set(neighbours(self.g, self.catalog[c.item].entity, ("language",))) & languages_out
            assert not spoken, f"{where}: {c.display} is in {[self.name(e) for e in spoken]}, which the user ruled out"
            # (9) "directed by" only the catalogue's credited directors
            for named in _DIRECTED.findall(c.reason):
                assert named.strip() in self.catalog[c.item].directors, \
                    f"{where}: {c.display}'s reason says directed by {named!r}; the catalogue credits {self.catalog[c.item].directors}"

    def check_explanation(self, where: str, before: DialogueState, message: str, recs: list, text: str,
                          explains_card: int | None) -> None:
        # (3) an explanation shows no cards, is about one of the last cards, through a real KG link
        assert not recs, f"{where}: an explanation must not show new cards"
        assert self.last_cards, f"{where}: explained without any card shown"
        if "turned those down" in text:
            down = set(before.disliked_items) | set(before.rejected_items)
            assert all(c.item in down for c in self.last_cards), f"{where}: said turned down, but not all were"
            return
        if text.startswith("I only suggested"):  # "why the fourth one?" after two cards
            assert f"only suggested {len(self.last_cards)} " in text, f"{where}: {text}"
            return
        named = [c for c in self.last_cards if c.display in text]
        assert named, f"{where}: the explanation names none of {[c.display for c in self.last_cards]}: {text}"
        card = min(named, key=lambda c: text.index(c.display))
        if explains_card is not None:
            want = self.last_cards[explains_card - 1 if explains_card > 0 else explains_card]
            assert card.item == want.item, f"{where}: explained {card.display}, expected {want.display}"
        turned_down = set(before.disliked_items) | set(before.rejected_items)
        points = _POINTS.search(message) or any(m.item == card.item for m in self.linker.link(message).of_type("movie"))
        if not points:
            assert card.item not in turned_down, f"{where}: explained {card.display}, which the user turned down"
        if NO_LINK in text:
            return
        target = self.catalog[card.item].entity
        target_nb = set(neighbours(self.g, target))
        liked_movies = [self.catalog[i].entity for i in before.liked_items]
        liked_movies += [m.entity for m in self.linker.link(message).of_type("movie")]  # "how is it like Heat?"
        sources = set(before.liked_entities)
        for m in liked_movies:
            sources |= set(neighbours(self.g, m))
        links = [self.name(e) for e in target_nb & sources]
        low = text.lower()
        assert any(n.lower() in low for n in links), (
            f"{where}: the explanation of {card.display} names no KG link to the user's taste "
            f"(candidates {sorted(links)[:12]}): {text}")

    def check_answer(self, where: str, message: str, recs: list, text: str) -> None:
        # (6) an answer shows no cards and gives the facts of the movie it names first
        assert not recs, f"{where}: an answer must not show new cards"
        if text.startswith("Which movie") or text.endswith("do you mean?"):
            return  # a question back: "I only suggested 3 just now. Which two do you mean?"
        candidates = [self.catalog[c.item] for c in self.last_cards]
        candidates += [self.catalog[m.item] for m in self.linker.link(message).of_type("movie")]
        candidates += self.named  # "what do you think of Jurassic Park?", then "should I watch it?"
        subject = [m for m in candidates if re.search(rf"{re.escape(m.title)}\b", text)]
        assert subject, f"{where}: the answer is about none of {[m.display for m in candidates]}: {text}"
        m = min(subject, key=lambda m: text.index(m.title))
        if "directed by" in text:
            assert m.directors and all(d in text for d in m.directors), f"{where}: not {m.directors}: {text}"
        if " stars " in text:
            assert m.stars and m.stars[0] in text, f"{where}: not {m.stars}: {text}"
        if "came out in" in text:
            assert str(m.year) in text, f"{where}: not {m.year}: {text}"

    def check_expect(self, where: str, expect: dict, done: TurnDone, cards: list, notices: list[str]) -> None:
        if "act" in expect:
            acts = expect["act"] if isinstance(expect["act"], list) else [expect["act"]]
            assert done.action in acts, f"{where}: act {done.action!r}, expected {acts}; reply: {done.text!r}"
        if "cards" in expect:
            assert bool(cards) == expect["cards"], f"{where}: cards {[c.display for c in cards]}"
        if "n_cards" in expect:  # "give me 5 comedies"
            assert len(cards) == expect["n_cards"], f"{where}: {len(cards)} cards, expected {expect['n_cards']}"
        st = self.state
        known = self.state_names(st.liked_items, st.liked_entities)
        for name in expect.get("entities", []):
            assert name in known, f"{where}: {name!r} not among the liked {sorted(known)}"
        mentioned = known | self.state_names(st.mentioned_items + st.disliked_items, st.disliked_entities)
        for name in expect.get("not_entities", []):
            assert name not in mentioned, f"{where}: {name!r} was linked from the message"
        down = self.state_names(st.disliked_items + st.rejected_items, st.disliked_entities)
        for name in expect.get("disliked", []):
            assert name in down, f"{where}: {name!r} not among the disliked/turned down {sorted(down)}"
        if "notice" in expect:
            assert any(expect["notice"] in n for n in notices), f"{where}: no notice with {expect['notice']!r}: {notices}"
        if expect.get("no_notice"):
            assert not notices, f"{where}: unexpected notices {notices}"
        for s in expect.get("text_contains", []):
            assert s.lower() in done.text.lower(), f"{where}: {s!r} not in {done.text!r}"
        for s in expect.get("text_not_contains", []):
            assert s.lower() not in done.text.lower(), f"{where}: {s!r} in {done.text!r}"
        for name in expect.get("cards_linked_to", []):  # "Meryl Streep, but no musicals": every card has her
            for c in cards:
                linked = {self.name(e) for e in neighbours(self.g, self.catalog[c.item].entity)}
                assert name in linked, f"{where}: {c.display} is not linked to {name!r}"
        if expect.get("no_sequels"):  # "not a sequel": no numbered follow-up, nothing the KG tags "sequel"
            for c in cards:
                title = self.catalog[c.item].title
                assert not re.search(r"\s(?:[2-9]|II|III|IV|V|VI)(?::|$)|Part (?:II|2)", title), f"{where}: {title}"
                tags = {self.name(e) for e in neighbours(self.g, self.catalog[c.item].entity, ("keyword",))}
                assert "sequel" not in tags, f"{where}: {c.display} is tagged sequel"
        if "clarify_options" in expect:
            assert done.action == "clarify", f"{where}: act {done.action!r}, expected a clarifying question"
            for name in expect["clarify_options"]:
                assert name in done.text, f"{where}: {name!r} not offered in {done.text!r}"


@pytest.mark.parametrize("conv", _params())
def test_scripted_conversation(conv, manager, graph, catalog, linker):
    checker = Checker(manager, graph, catalog, linker)
    for k, turn in enumerate(conv["turns"]):
        checker.turn(k, turn["user"], turn.get("expect") or {})
