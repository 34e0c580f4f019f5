"""What a message asks for beyond its entities: explain, more, reject, greet, thank, answer a question.

Small, readable patterns; the policy (crs/dialogue/policy.py) turns them into one dialogue act.
"""

from __future__ import annotations

import re

_WHY = re.compile(
    r"\b(why(?! not\b)|how come|tell me (a bit |a little )?more about|more about (it|that|this)|"
    r"how (is|was|does|do) (it|that|this|they|those|these|\w+)\b.{0,40}\b(like|similar|related|compare)|"
    r"how'?s (it|that|this) (like|similar)|what makes\b|explain|what do they have in common|"
    r"in what way|what'?s the (connection|link|reason)|what do (it|they) have to do with)\b", re.I)
_MORE = re.compile(
    r"\b(more|anything else|something else|what else|others?|another|next|different ones?|new ones?|"
    r"other (options|ones|suggestions|movies|films|picks|ideas))\b", re.I)
_REJECT = re.compile(
    r"\b((already )?(seen|watched) (it|that|this|them|those)( already)?|already (seen|watched)|"
    r"(seen|watched) (all|both|each) (of )?(them|those|these|the three|the two|three|two)|"
    r"not (that|this) one|not (for|into) me|no thanks|nah|nope|not interested|pass on|"
    r"(do|did|does)n'?t (really )?(like|want|fancy|care for) (it|that|this|them|those)|"
    r"(hate|hated|dislike|disliked) (it|that|this|them|those)|not (a fan of|my (kind|type|cup)) (it|that|this))\b",
    re.I)
_GREETING = re.compile(r"^\W*(hi+|hello+|hey+|hiya|howdy|yo|greetings|good (morning|evening|afternoon|day))\b", re.I)
_THANKS = re.compile(r"\b(thanks?|thank you|thx|ty|cheers|appreciate (it|that)|much appreciated)\b", re.I)
_BYE = re.compile(r"\b(bye|goodbye|see (you|ya)|good night|gotta go|that'?s all|that is all)\b", re.I)
# About the bot's own taste: "what's your favourite movie?", "do you have a favorite?"
_FAVOURITE = re.compile(r"\byour (?:all[- ]time |own )?fav(?:ou?rite|e)?\b|\bdo you have (?:a )?fav(?:ou?rite|e)?\b|"
                        r"\bwhat (?:movies?|films?) do you (?:like|love|watch)\b", re.I)
_HOW_ARE_YOU = re.compile(r"\bhow (are|r) (you|u)\b|\bhow'?s it going\b", re.I)
_HELP = re.compile(r"\bwhat (can|do) (you|u) do\b|\bwho (are|r) (you|u)\b|\bwhat (are|r) (you|u)\b(?! (into|in the mood|looking|watching))|"
                   r"\bhow (does|do) (this|it|you) work\b|\bhow (do|can) i use\b|^\W*help\W*$|\bwhat is this\b", re.I)
# Taking a suggestion: "the first one sounds good", "I'll watch that", "perfect, I'll check it out".
_ACCEPT = re.compile(
    r"\b(sounds?|looks?|seems?) (really |very |pretty |so )?(good|great|interesting|fun|perfect|awesome|cool|nice|promising)\b|"
    r"\b(?:i|we)(?:'?ll| will) (definitely |probably |have to |go |totally )?(watch|try|check|see|go with|take|give|add|rent|"
    r"stream|put)\b|"
    r"\b(?:i('?m| am)|we('?re| are)) (going to|gonna) (watch|try|check|see|go with)\b|\blet'?s go with\b|"
    r"^\W*(perfect|sold|deal|that'?s the one|great choice)\W*$", re.I)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
             "fifth": 4, "5th": 4, "last": -1, "top": 0}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|top)\b(?! time)|#\s*([1-9])\b"
                      r"|\b(?:number|no\.?)\s*([1-9])\b", re.I)
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b")
_WORDS = re.compile(r"[a-z']+")


def asks_why(message: str) -> bool:
    """"why that one?", "how is it like Heat?", "what makes it similar?"."""
    return _WHY.search(message) is not None


def asks_more(message: str) -> bool:
    return _MORE.search(message) is not None


_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
            "a couple of": 2, "a few": 3}
_COUNT = re.compile(r"\b(?:give|show|recommend|suggest|list|name|tell|need|want|top|like|any|some|another|more)\s+"
                    r"(?:me\s+|us\s+)?(?P<n>\d{1,2}|" + "|".join(_NUMBERS) + r")\s+(?:\w+\s+){0,4}?"
                    r"(?:movies|films|picks|ones|options|titles|recommendations|suggestions|comedies|dramas|"
                    r"thrillers|westerns|documentaries|musicals|cartoons|classics)\b"
                    r"|\b(?P<more>\d|two|three|four|five|six|seven|eight|nine|ten) more\b", re.I)
MAX_CARDS = 10


def count(message: str) -> int | None:
    """How many movies the message asks for ("give me 5 horror movies", "two more ones"), 1-10; else None."""
    m = _COUNT.search(message)
    if m is None:
        return None
    n = (m.group("n") or m.group("more")).lower()
    return min(int(n) if n.isdigit() else _NUMBERS[n], MAX_CARDS) or None


def rejects(message: str) -> bool:
    """The user turns down what was just suggested ("seen it", "not that one", "nah")."""
    return _REJECT.search(message) is not None


_ALL = re.compile(r"\b(all|both|each|every one) (of )?(them|those|these|the three|the two|three|two)\b|"
                  r"\b(them|those|these) all\b|\bnone of (them|those|these)\b", re.I)


def about_all(message: str) -> bool:
    """The message is about every card shown ("I've seen all of those", "none of them")."""
    return _ALL.search(message) is not None


def social(message: str) -> str | None:
    """'greeting', 'thanks', 'bye', 'how-are-you', 'help' or 'favourite' for a short social message, else None.

    Only short messages count: "hi, I loved Heat" is a preference with a greeting in front.
    """
    words = _WORDS.findall(message.lower())
    if len(words) > 8:
        return None
    if _BYE.search(message):
        return "bye"
    if _THANKS.search(message):
        return "thanks"
    if _HOW_ARE_YOU.search(message):
        return "how-are-you"
    if _FAVOURITE.search(message):
        return "favourite"
    if _HELP.search(message):
        return "help"
    if _GREETING.search(message):
        return "greeting"
    return None


def accepts(message: str) -> bool:
    """The user takes a suggestion ("the first one sounds good", "I'll watch that one"), with no
    "but" after it ("sounds good, but something older?")."""
    return _ACCEPT.search(message) is not None and re.search(r"\bbut\b", message, re.I) is None


def ordinal(message: str) -> int | None:
    """A position the message points at ("the second one", "#2", "the last one"), 0-based; -1 is last."""
    m = _ORDINAL.search(message)
    if not m:
        return None
    if m.group(1):
        return _ORDINALS[m.group(1).lower()]
    return int(m.group(2) or m.group(3)) - 1


def ordinals(message: str) -> list[int]:
    """Every position the message points at, in order ("the first and the last one": [0, -1]; "the first
    two": [0, 1]), without repeats."""
    if re.search(r"\b(?:the )?(?:first|top) (?:two|2)\b", message, re.I):
        return [0, 1]
    out = []
    for m in _ORDINAL.finditer(message):
        pos = _ORDINALS[m.group(1).lower()] if m.group(1) else int(m.group(2) or m.group(3)) - 1
        if pos not in out:
            out.append(pos)
    return out


# Only pointing at a card: "the second one", "what about the third?", "number 2?", "#3 please".
_POINTER_WORDS = frozenset("the one what about how and so ok okay hmm well number no please tell me more of "
                           "that this whats what's is movie film pick".split())


def points_at_card(message: str) -> bool:
    """The message only points at a card by its position ("the second one", "what about #3?")."""
    if not ordinals(message):
        return False
    rest = _ORDINAL.sub(" ", message.lower())
    return all(w in _POINTER_WORDS for w in re.findall(r"[a-z']+", rest))


def years(message: str) -> list[int]:
    return [int(y) for y in _YEAR.findall(message)]


SOCIAL_REPLIES = {
    "greeting": ("Hi! Tell me a movie you loved, or a genre or actor you're in the mood for.",
                 "Hello! What have you enjoyed watching lately?",
                 "Hey there! Name a film you liked and I'll find you something similar."),
    "thanks": ("You're welcome! Enjoy the movie.",
               "Glad to help! Tell me if you want more ideas.",
               "Any time! Come back and tell me how you liked it."),
    "bye": ("Bye, and enjoy your movie night!", "See you! Happy watching.", "Take care, and enjoy the film!"),
    "help": ("I recommend movies. Tell me a film you loved, a genre, an actor or a director (\"something like Heat, "
             "no horror\"); ask \"why that one?\", \"who directed it?\" or \"anything else?\"; and rate the cards "
             "so I learn what you like.",
             "I'm a movie recommender: name movies, genres or people you like or dislike, and I'll suggest films "
             "with the reason each one fits. Ask me about any pick (\"what's it about?\") or for more.",
             "Think of me as a movie buff: say what you're in the mood for (\"a 90s thriller with Denzel "
             "Washington\"), and I'll suggest films and explain why; \"more\" gets new ones."),
    "favourite": ("I don't watch movies myself, so I have no favourite of my own. Tell me one of yours and I'll "
                  "find you something like it.",
                  "No favourite of my own: I know movies from my catalogue and knowledge graph, not from watching "
                  "them. What's a film you loved?",
                  "I don't have one, since I don't watch movies. Name your favourite and I'll suggest what to watch "
                  "next."),
    "how-are-you": ("I'm doing well, thanks! What kind of movie are you in the mood for?",
                    "All good here! What would you like to watch?",
                    "Great, thanks for asking! Any movie you loved recently?"),
}


def social_reply(kind: str, variant: int) -> str:
    options = SOCIAL_REPLIES[kind]
    return options[variant % len(options)]
