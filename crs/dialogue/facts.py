"""Questions about one movie ("who directed it?", "what's it about?", "is it scary?") and their answers,
from the catalogue and the KG only: a movie expert answers them, it does not recommend again."""

from __future__ import annotations

import re

from crs.data.movies import Movie
from crs.dialogue import questions as Q
from crs.dialogue.acts import ordinals
from kg.explain import other_films_people
from kg.linker import LinkResult

_REF = (r"(?:it|that|this|that one|this one|the (?:first|second|third|fourth|fifth|last|top|new|other)(?: one)?|"
        r"the (?:movie|film)|number [1-9]|#\s?[1-9])")
# Question -> pattern; order matters ("who is in it" is the cast, "who directed the one with ..." the director).
_QUESTIONS = (
    ("director", re.compile(r"\bwho (?:directed|made|helmed|was the director|is the director|'?s the director)\b|"
                            r"\bwho'?s the director\b|\b(?:the )?director of\b|\bwhat director\b|"
                            r"\bwho (?:is|was) it directed by\b|\bdirected by who(?:m)?\b", re.I)),
    ("writer", re.compile(r"\bwho (?:wrote|penned|scripted)\b|\b(?:the )?(?:screen)?writers? of\b|"
                          r"\bwho(?:'?s| is| was) the (?:screen)?writer\b", re.I)),
    ("runtime", re.compile(rf"\bhow long is\b|\b(?:is|was) {_REF} (?:too )?(?:long|short)\b|\brun ?(?:time|ning time)\b|"
                           r"\bhow many (?:minutes|hours)\b", re.I)),
    ("rating", re.compile(rf"\bwhat(?:'?s| is) (?:its|the) (?:rating|score|age rating)\b|\bhow (?:well )?(?:is|was) {_REF} rated\b|"
                          rf"\b(?:imdb|rotten tomatoes|metacritic) (?:score|rating)\b|\bwhat(?:'?s| is| was) {_REF} rated\b",
                          re.I)),
    ("cast", re.compile(r"\bwho(?:'?s| is| was| are)? (?:in|starring in|starred in)\b|"
                        r"\bwho (?:stars?|starred|plays?|played|acts?|acted)\b|"
                        r"\b(?:the )?(?:cast|actors|stars) (?:of|in)\b|\bwhich actors?\b|\bwhat actors?\b|"
                        r"\bwho(?:'?s| is| are| were) the (?:stars?|leads?|actors?|cast|main characters?)\b|"
                        r"\bwho is starring\b", re.I)),
    ("plot", re.compile(rf"\bwhat(?:'?s| is| was)(?: {_REF})?(?: really)? about\b|\bwhat happens in\b|"
                        rf"\btell me about {_REF}|"
                        r"\b(?:the )?(?:plot|storyline|story line|synopsis|premise) of\b|"
                        r"\bwhat(?:'?s| is) the (?:plot|story|storyline|premise)\b|"
                        r"\bwhat(?:'?s| is| was) (?P<named>[^?.!]{2,60}?) about\b", re.I)),
    ("year", re.compile(r"\b(?:what|which) year\b|\bhow old is\b|\brelease date\b|\bhow (?:recent|new) is\b|"
                        r"\bwhen (?:was|did|is)\b[^?.!]{0,60}?\b(?:come out|came out|released?|made|premiere)\b",
                        re.I)),
    ("genre", re.compile(r"\bwhat (?:kind|sort|type|genre) of (?:movie|film) (?:is|was)\b|"
                         r"\b(?:what|which) genres? (?:is|was|are)\b", re.I)),  # not "what genres do you know?"
    # "which one is the scariest?", "which of these is best?", "which one should I watch?": about the cards
    ("which", re.compile(r"\bwhich (?:one|of (?:them|those|these|the \w+))\b[^?.!]{0,30}?"
                         r"\b(?:most|best|better|\w{3,}est|should i|would you|do you)\b|"
                         r"\bwhich (?:is|was) (?:the )?(?:most|best|\w{3,}est)\b|"  # "and which is the oldest?"
                         r"\b(?:are|were) (?:they|these|those|them|these \w+|those \w+) (?:any )?(?:good|worth (?:it|watching|"
                         r"seeing))\b", re.I)),  # "are they any good?": about the cards shown
    # "do you know Amélie?", "have you seen Heat?", "ever heard of Primer?": about the movie named
    ("know", re.compile(r"^\W*(?:so |and |but |hey,? |ok,? )?(?:do you know|have you (?:ever )?(?:seen|watched|heard of)|"
                        r"(?:did you )?ever (?:see|seen|heard of|hear of))\b(?! (?:any|some|a |an |of any|anything|something))",
                        re.I)),
    # "is it good?", "is it worth watching?", "what do you think of Avatar?": no critics' scores to judge by
    ("opinion", re.compile(rf"\b(?:is|was) {_REF} (?:any )?(?:good|worth (?:it|watching|a watch|seeing)|bad|overrated)\b|"
                           r"\bwhat do you think (?:about|of)\b|\bshould i (?:watch|see) (?:it|that|this)\b|"
                           r"\bis (?P<named>[^?.!]{2,40}?) (?:any good|worth (?:it|watching|seeing))\b", re.I)),
)
# "is it scary?", "is that one a comedy?", "was Heat funny?": a yes/no question on a genre the linker reads
_IS_IT = re.compile(rf"^\W*(?:so |and |but |ok,? )?(?:is|was|isn'?t|wasn'?t) (?P<ref>{_REF}\b)?", re.I)
# Questions about a card beyond credits and plot (answered by crs/dialogue/questions.py). Each needs the
# message to point at a movie (a reference or a title) and to ask for nothing ("anything good for kids?" asks).
_KIDS = re.compile(r"\b(?:ok|okay|alright|suitable|appropriate|good|safe|fine|too (?:scary|violent|mature|intense|much))"
                   r"\s+(?:for|to (?:watch|show) with)\s+(?:(?:my|our|the|a|young|little|small)\s+)*"
                   r"(?:kids?|children|child|family|families|little ones|toddlers?|teens?|teenagers?|son|daughter|"
                   r"\d{1,2}[- ]?(?:year|yr)[- ]?olds?)\b|\b(?:kid|kids|family|child)[- ]?(?:friendly|appropriate|safe)\b"
                   rf"|\b(?:is|was) {_REF} (?:age[- ])?(?:appropriate|suitable|kid[- ]?safe)\b",  # "is the first one appropriate?"
                   re.I)
_STREAMING = re.compile(r"\b(?:netflix|hulu|amazon|prime video|disney ?(?:\+|plus)|hbo|apple tv|peacock|paramount|"
                        r"youtube|redbox|streaming|stream(?:ed)?|rent(?:al)?)\b|"
                        r"\bwhere (?:can|could|do|should|would) (?:i|we|you) (?:watch|see|find|rent|get|buy)\b", re.I)
_SOURCE = re.compile(r"\b(?:based (?:on|off)|adapted from|an? adaptation|a remake|remake of|true story|real story|"
                     r"real events|really happen)", re.I)
_LANGUAGE = re.compile(rf"\b(?:what|which) language\b|\b(?:is|was) {_REF} in (?:english|[a-z]+ish|french|german|"
                       r"italian|japanese|korean|chinese|mandarin|cantonese|hindi|russian|portuguese|arabic|[a-z]+ese)\b|"
                       r"\b(?:subtitled|subtitles|dubbed|foreign)\b", re.I)
_SEQUEL = re.compile(rf"\b(?:is there|are there|was there|were there|does {_REF} have|did they (?:ever )?make|"
                     r"will there be|has there been)\s+(?:a |any )?(?:sequels?|prequels?|follow[- ]?ups?|part (?:2|two)|"
                     r"second (?:part|movie|film))\b", re.I)
_IS_SEQUEL = re.compile(r"\b(?:is|was) [^?.!]{1,60}? (?:a sequel|a prequel|part of a (?:series|franchise|trilogy)|"
                        r"the first (?:part|movie|film) of)\b", re.I)  # "Is Toy Story 3 a sequel?"
_COMPARE = re.compile(r"\b(?:difference|differences|different|differ|compare|compared|comparison|versus|vs\.?|"
                      r"better than|worse than)\b|\bwhich (?:is|was|one is|would be|of the two is) (?:better|best|"
                      r"worse|\w{3,}er)\b", re.I)
_TWO = re.compile(r"\b(?:the (?:first|top) (?:two|2)|the two|these two|those two|both|them|they)\b", re.I)
_BETTER = re.compile(r"\b(?:better|best|worse|worst)\b", re.I)
_ASKS = re.compile(r"\b(?:recommend|suggest|anything|something|movies|films|shows|ones|more|another|others|else|"
                   r"any (?:good|movie|film)|older|newer|recent|funnier|scarier|lighter|darker|shorter|less|instead|"
                   r"(?:can|could) (?:it|they|that) be)\b", re.I)  # "can it be older?" asks for other films
_QUESTION = re.compile(r"\?|^\W*(?:so |and |but |ok,? |okay,? |hmm,? )?(?:is|was|are|were|does|did|do|can|could|would|"
                       r"will|where|what|which|how|has|have|compare)\b", re.I)
_HAS_REF = re.compile(rf"\b{_REF}(?!\w)", re.I)
_YES_NO = re.compile(rf"^\W*(?:so |and |but |ok,? |okay,? |hmm,? )?(?:is|was|does|did|has|can|will|would) {_REF}(?!\w)"
                     r"(?! (?:all|it)\b)", re.I)  # not "is that all?", "is that it?"


def _card_question(message: str, link: LinkResult) -> str | None:
    """kids, streaming, source, language, sequel or compare; None for anything else."""
    movies = len(link.of_type("movie"))
    if _ASKS.search(message):
        return None
    if _SEQUEL.search(message):
        return "sequel"  # "is there a sequel?" is about the film being talked about
    if not (movies or _HAS_REF.search(message) or _TWO.search(message)) or not _QUESTION.search(message):
        return None  # "it should be family-friendly" asks for films, it does not ask about one
    if _COMPARE.search(message) and (len(ordinals(message)) + movies >= 2 or _TWO.search(message)):
        return "compare"
    for kind, pattern in (("kids", _KIDS), ("streaming", _STREAMING), ("is-sequel", _IS_SEQUEL), ("source", _SOURCE),
                          ("language", _LANGUAGE)):
        if pattern.search(message):
            return kind
    return None


def wants_verdict(message: str) -> bool:
    """"which is better, the first or the second?": a comparison that asks for a verdict."""
    return _BETTER.search(message) is not None


# Words between "what's" and "about" that make a request, not a question on a movie: "what's a good movie about dogs"
_REQUEST_WORDS = frozenset("a an some any good movie movies film films something anything one ones there".split())


def fact_question(message: str, link: LinkResult) -> str | None:
    """Which fact the message asks about one movie: director, writer, runtime, rating, cast, plot,
    year, genre, 'is-genre' (a yes/no question on a genre it names), the card questions of
    crs/dialogue/questions.py (kids, streaming, source, language, sequel, is-sequel, compare), or 'unknown' (another
    yes/no question about a movie); None for anything else. Running times and ratings are not in the
    catalogue: the answer says so, it does not guess."""
    card = _card_question(message, link)
    if card is not None:
        return card
    for kind, pattern in _QUESTIONS:
        m = pattern.search(message)
        if not m:
            continue
        named = m.groupdict().get("named")
        if named and (set(named.lower().split()) & _REQUEST_WORDS or not link.of_type("movie")):
            continue  # "what's a good movie about space?" asks for movies
        if kind == "know" and (not link.of_type("movie") or re.search(r"[?.!]\s*\w", message)):
            continue  # "do you know any good thrillers?" asks for movies; "have you seen Heat? I loved it" likes it
        return kind
    m = _IS_IT.match(message)
    if m and (m.group("ref") or link.of_type("movie")) and link.of_type("genre") and "?" in message:
        return "is-genre"
    if _YES_NO.match(message) and "?" in message and not _ASKS.search(message) \
            and not link.of_type("genre", "person", "keyword"):
        return "unknown"  # "does it have a happy ending?": said plainly, not read as a new taste
    return None


def _join(xs: list[str]) -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


def _kind(movie: Movie) -> str:
    kinds = " and ".join(movie.genres[:2]).lower()
    return f"{_a(kinds)} {kinds} film" if kinds else "a film"


def _disagreement(movie: Movie, graph) -> str:
    """A caveat when the KG's people for this id share no one with the catalogue's: the two then
    describe different films of one title (ReDial's "Heat (1995)" is the catalogue's 1996 film)."""
    kg = other_films_people(graph, movie.entity, [*movie.directors, *movie.writers, *movie.stars])
    if not kg:
        return ""
    return (f" Careful: my knowledge graph links this title to {_join(kg[:3])} instead, so my two sources may "
            "describe different films of this name.")


def answer(kind: str, movie: Movie, graph, link: LinkResult, message: str = "", catalog=None) -> str:
    """The answer to a fact question about `movie`, from the catalogue (card facts) and the KG
    (`message` and `catalog` for the card questions of crs/dialogue/questions.py)."""
    if kind in ("kids", "streaming", "source", "language", "sequel", "is-sequel", "unknown"):
        return _card_answer(kind, movie, graph, link, message, catalog)
    text = _answer(kind, movie, graph, link)
    return text + _disagreement(movie, graph) if kind in ("director", "writer", "cast", "plot") else text


def _card_answer(kind: str, movie: Movie, graph, link: LinkResult, message: str, catalog) -> str:
    if kind == "kids":
        return Q.kids(movie, graph)
    if kind == "streaming":
        return Q.streaming(movie)
    if kind == "source":
        return Q.source(movie, graph, message)
    if kind == "language":
        asked = [m.name for m in link.of_type("language")]
        return Q.language(movie, graph, asked)
    if kind in ("sequel", "is-sequel") and catalog is not None:
        return Q.sequel(catalog, movie, graph, is_it=kind == "is-sequel")
    return Q.unknown(movie, graph)


# Who the catalogue credits: (Movie field, answer, answer when the catalogue lists nobody).
_CREDITS = {
    "director": ("directors", "{name} was directed by {who}.", "My catalogue doesn't say who directed {name}."),
    "writer": ("writers", "{name} was written by {who}.", "My catalogue doesn't say who wrote {name}."),
    "cast": ("stars", "{name} stars {who}.", "My catalogue doesn't list the cast of {name}."),
}


def _answer(kind: str, movie: Movie, graph, link: LinkResult) -> str:
    name = movie.display
    if kind in _CREDITS:
        field, known, unknown = _CREDITS[kind]
        people = getattr(movie, field)[:4]
        return known.format(name=name, who=_join(people)) if people else unknown.format(name=name)
    if kind == "runtime":
        return f"My catalogue has no running times, so I can't say how long {name} is; it is {_kind(movie)}."
    if kind == "rating":
        return (f"My catalogue has no critics' scores or age ratings for {name}; it is {_kind(movie)}"
                + (f" directed by {_join(movie.directors)}." if movie.directors else "."))
    if kind == "plot":
        if movie.plot:
            return f"{name}: {movie.plot.strip()}"
        return f"I have no plot summary for {name}; it is {_kind(movie)}."
    if kind == "year":
        if movie.year:
            return f"{movie.title} came out in {movie.year}."
        return f"My catalogue has no release year for {movie.title}."
    if kind == "genre":
        return f"{name} is {_kind(movie)}." if movie.genres else f"My catalogue has no genre for {name}."
    if kind == "know":
        return (f"Yes: {name} is {_kind(movie)}" + (f" directed by {_join(movie.directors)}" if movie.directors else "")
                + (f", from {movie.year}" if movie.year else "") + ". Ask me about it, or for films like it.")
    if kind == "opinion":
        return (f"I have no critics' scores to judge {name} by. It is {_kind(movie)}"
                + (f" directed by {_join(movie.directors)}" if movie.directors else "")
                + (f", and people in my conversations brought it up {movie.mentions} times." if movie.mentions
                   else "; people in my conversations rarely bring it up."))
    # is-genre: the KG's genre links or the catalogue's labels decide ("is it scary?": is it a horror film?)
    has = set(graph.neighbors(movie.entity)) if movie.entity in graph else set()
    labels = {g.lower() for g in movie.genres}
    asked = [m for m in link.of_type("genre")]
    yes = [m.name.lower() for m in asked if m.entity in has or m.name.lower() in labels]
    no = [m.name.lower() for m in asked if m.name.lower() not in yes]
    if not no:
        return f"Yes: {name} is {_a(yes[0])} {_join(yes)} film."
    if yes:
        return f"Partly: {name} is {_join(yes)}, but not {_join(no)}."
    return f"Not really: {name} is {_kind(movie)}, not {_a(no[0])} {_join(no)} film."


_BY_YEAR = re.compile(r"\b(?:most recent|newest|latest|oldest|earliest|most recently made|first made|newer|older)\b",
                      re.I)


def which(movies: list[Movie], graph, link: LinkResult, message: str = "") -> str:
    """"Which one is the scariest?" over the cards shown: the catalogue cannot measure it, so say which
    of them have the genre asked about and which one people talk about most."""
    dated = [m for m in movies if m.year]
    if _BY_YEAR.search(message) and dated:  # "which one is the most recent?": the years are known
        old = bool(re.search(r"\b(?:oldest|earliest|old|first made)\b", message, re.I))
        pick = min(dated, key=lambda m: m.year) if old else max(dated, key=lambda m: m.year)
        return f"{pick.display} is the {'oldest' if old else 'most recent'} of them."
    top = max(movies, key=lambda m: m.mentions)
    most = (f"{top.display} is the one people in my conversations bring up most ({top.mentions} times)"
            if top.mentions else "people in my conversations rarely bring any of them up")
    asked = link.of_type("genre")
    if not asked:
        return f"I have no critics' scores to rank them by; {most}."
    genre = asked[0].name.lower()
    fit = [m for m in movies if asked[0].entity in set(graph.neighbors(m.entity)) or genre in {g.lower() for g in m.genres}]
    if not fit:
        return f"None of them is {_a(genre)} {genre} film; {most}."
    if len(fit) == 1:
        return f"Of these, only {fit[0].display} is {_a(genre)} {genre} film."
    return f"I can't measure that: {_join([m.display for m in fit])} are all {genre} films, and {most}."


def _a(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"
