"""Where the words of one message sit, for the linker: quotes, sentence starts, initials, years, lists."""

from __future__ import annotations

import re

from kg import titles as T

_YEAR = re.compile(r"^\(?((?:19|20)\d\d)\)?$")
LIST_FILLERS = frozenset("also even maybe then".split())  # "and also true lies", "or even wall-e"
_ENDS_SENTENCE = re.compile(r"[.?;]\s|\n")  # "Haven;t" is a slip on an apostrophe
_QUOTES = re.compile(r"[\"“”]([^\"“”]{2,80})[\"“”]|(?<!\w)'([^']{2,80})'(?!\w)")


class MessageContext:
    """Where the words of one message sit: quotes, sentence starts, initials, years."""

    def __init__(self, text: str, words: list, n_tokens: int, conversation: frozenset = frozenset(),
                 titles: frozenset = frozenset(), first_names: frozenset = frozenset(), forms=(),
                 genres: frozenset = frozenset()):
        self.text, self.words, self.n, self.conversation = text, words, n_tokens, conversation
        self.weak: list[tuple[str, int, int]] = []  # title forms read as prose, for a second look
        self.titles = titles  # one-word titles seekers name: a list without commas, not one long name
        self.first_names = first_names  # "Nick Fury" is a character, not the film Fury
        self.forms = forms  # every title form
        self.genres = genres  # "The Core Scifi movies": a genre after a title does not lengthen it
        self.quoted_chars = [(m.start(), m.end()) for m in _QUOTES.finditer(text)]

    def between(self, a: int, b: int) -> str:
        """The text between word a and word b (spaces, punctuation)."""
        return self.text[self.words[a].end():self.words[b].start()]

    def quoted(self, i: int, n: int) -> bool:
        """The words are all that is inside a pair of quotes ("Quest" in "Blorgon Quest 3" is not)."""
        a, b = self.words[i].start(), self.words[i + n - 1].end()
        return any(lo < a and b < hi and not self.text[lo + 1:a].strip() and not self.text[b:hi - 1].strip(" .,!?")
                   for lo, hi in self.quoted_chars)

    def joined(self, end: int, start: int, tokens) -> bool:
        """Whether the span ending at token `end` and the one starting at `start` are listed together:
        a comma, "and" or "or" between them."""
        words = self.words
        if end < start and _YEAR.match(tokens[end]) and (end == 0 or not _YEAR.match(tokens[end - 1])):
            end += 1  # "How to Lose a Guy in 10 Days (2003) and about time": the year closes the first title
        gap = tokens[end:start]
        if not 0 < start < len(words) or end < 1 or len(gap) > 2:
            return False
        comma = "," in self.text[words[end - 1].end():words[start - len(gap)].start()]
        if not gap:
            return comma
        # "and", "or", "and also", "or even": a list goes on
        return gap[0] in ("and", "or") and all(w in LIST_FILLERS for w in gap[1:])

    def run_on(self, end: int, start: int, tokens) -> bool:
        """A list without commas: the title before ends with a bracketed year and the words from `start`
        go on to the next item ("Dear John (2010) the lucky one and the vow", not "(1966) old school")."""
        return start == end + 1 < self.n and _YEAR.match(tokens[end]) is not None \
            and self.between(end, start).strip() == ")"

    def goes_on(self, j: int, tokens) -> bool:
        """After word j-1 the list goes on: "and", "or" or a comma."""
        return j < self.n and (tokens[j] in ("and", "or") or "," in self.between(j - 1, j))

    def initialism(self, i: int, n: int) -> bool:
        """Capital letters each followed by a full stop ("E.T."): written as a name."""
        return n >= 2 and all(len(w.group()) == 1 and w.group().isupper() and self.text[w.end():w.end() + 1] == "."
                               for w in self.words[i:i + n])

    def inside_name(self, i: int, n: int) -> bool:
        """Capitalised words run on either side ("Blorgon Quest 3" holds the title Quest but is not it)."""
        def capital(k: int) -> bool:
            # A capitalised English word ("Ghostbusters Had Jack Black") starts the next sentence; a
            # name-like one ("Blorgon") or a number continues the name.
            w = self.words[k].group()
            if w.lower() in self.titles or w.lower() in self.genres:
                return False  # "The Aristocats Mulan Bambi": titles listed without commas
            return w.isdigit() or w.lower() in T.ROMAN_NUMERALS or (w[:1].isupper() and T.zipf(w.lower()) < 3.5)

        def glued(a: int, b: int) -> bool:  # only spaces between word a and word b
            return not self.between(a, b).strip()

        a, b = self.words[i].start(), self.words[i + n - 1].end()
        if any(lo < a and b < hi for lo, hi in self.quoted_chars) and not self.quoted(i, n):
            return True  # part of a quoted name: "Quest" in "Quest for Zorgon"
        if self.quoted(i, n):
            return False
        if i + n < self.n and self.between(i + n - 1, i + n).strip() == ":" and capital(i + n):
            return True  # "the Mission: Impoossible": a colon and a name go on with the title
        if not self.words[i].group()[:1].isupper():
            return False
        before = i > 0 and capital(i - 1) and glued(i - 1, i) and not self.sentence_start(i - 1) \
            and not _YEAR.match(self.words[i - 1].group()) and not self.ends_title(i - 1) \
            and not (i + n < self.n and self.between(i + n - 1, i + n).strip() == "("
                     and _YEAR.match(self.words[i + n].group()))  # "The Notbeook Dear John (2010)": its year closes it
        named = n == 1 and i > 0 and glued(i - 1, i) and self.words[i - 1].group()[:1].isupper() \
            and self.words[i - 1].group().lower() in self.first_names
        after = i + n < len(self.words) and capital(i + n) \
            and not self.between(i + n - 1, i + n).replace(":", "").strip() \
            and not _YEAR.match(self.words[i + n].group())
        return before or after or named

    def ends_title(self, k: int) -> bool:
        """Word k ends a title of several words written before it ("Hot Fuzz Hot Pursuit")."""
        return any(" ".join(T._SPLIT.findall(" ".join(w.group().lower() for w in self.words[s:k + 1]))) in self.forms
                   for s in range(max(0, k - 5), k))

    def whole(self, i: int, n: int) -> bool:
        """The words are the whole message, or all of it after "or", "and" ("or even wall-e" goes on a list)."""
        lead = [w.group().lower() for w in self.words[:i]]
        return i + n == self.n and (i == 0 or lead[0] in ("or", "and") and all(w in LIST_FILLERS for w in lead[1:]))

    def after(self, j: int, tokens: list[str], k: int = 6) -> list[str]:
        """Up to k words from word j, cut where the sentence ends ("similar to men in black? Comedy ..."
        says nothing about Men in Black being a comedy). "!" does not cut: "Airplane! was great"."""
        out = []
        for m in range(j, min(j + k, self.n)):
            if _ENDS_SENTENCE.search(self.between(m - 1, m)):
                break
            out.append(tokens[m])
        return out

    def before(self, i: int, tokens: list[str], k: int = 7) -> list[str]:
        """Up to k words before word i, from the start of its sentence ("Yes, that was good. Fletch is
        good": "good" belongs to the sentence before, not to Fletch)."""
        start = max(0, i - k)
        for m in range(i, start, -1):
            if _ENDS_SENTENCE.search(self.between(m - 1, m).replace("!", ".")):
                start = m
                break
        return tokens[start:i]

    def sentence_start(self, i: int) -> bool:
        before = self.text[: self.words[i].start()].rstrip(" \"“'(*_")
        return not before or before[-1] in ".!?:;\n"

    def initial(self, i: int, n: int) -> bool:
        """A one-letter word followed by a full stop, or next to one ("J.D.", "J. D. Salinger")."""
        if n != 1 or len(self.words[i].group()) > 1:
            return False
        end = self.words[i].end()
        return self.text[end:end + 1] == "." or (self.words[i].start() > 0 and self.text[self.words[i].start() - 1] == ".")

    def year_before(self, i: int, tokens: list[str]) -> int | None:
        """"the 1995 Jumanji"; not a year in brackets, which closes the title before ("Reservoir Dogs
        (1992), django unchained")."""
        k = i - 1
        if k >= 0 and _YEAR.match(tokens[k]) and not self.text[self.words[k].end():self.words[k].end() + 1] == ")":
            return int(_YEAR.match(tokens[k]).group(1))
        return None

    @staticmethod
    def year_after(j: int, tokens: list[str]) -> int | None:
        if j + 1 < len(tokens) and tokens[j] == "from" and _YEAR.match(tokens[j + 1]):
            j += 1  # "the original Halloween from 1978"
        if j < len(tokens) and _YEAR.match(tokens[j]):
            return int(_YEAR.match(tokens[j]).group(1))
        return None
