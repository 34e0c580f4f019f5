"""Questions about one movie ("who directed it?", "what's it about?", "is it scary?") and their answers,
from the catalogue and the KG only: a movie expert answers them, it does not recommend again."""

from __future__ import annotations

import re

from crs.data.movies import Movie
from kg.explain import other_films_people
from kg.linker import LinkResult

_REF = r"(?:it|that|this|that one|this one|the (?:first|second|third|last|top|new|other) one|the (?:movie|film))"
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
                          r"\b(?:imdb|rotten tomatoes|metacritic) (?:score|rating)\b|\bwhat (?:is|was) (?:it|that) rated\b",
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
                         r"\b(?:most|best|better|\w{3,}est|should i|would you|do you)\b", re.I)),
    # "is it good?", "is it worth watching?", "what do you think of Avatar?": no critics' scores to judge by
    ("opinion", re.compile(rf"\b(?:is|was) {_REF} (?:any )?(?:good|worth (?:it|watching|a watch|seeing)|bad|overrated)\b|"
                           r"\bwhat do you think (?:about|of)\b|\bshould i (?:watch|see) (?:it|that|this)\b|"
                           r"\bis (?P<named>[^?.!]{2,40}?) (?:any good|worth (?:it|watching|seeing))\b", re.I)),
)
# "is it scary?", "is that one a comedy?", "was Heat funny?": a yes/no question on a genre the linker reads
_IS_IT = re.compile(rf"^\W*(?:so |and |but |ok,? )?(?:is|was|isn'?t|wasn'?t) (?P<ref>{_REF}\b)?", re.I)
# Words between "what's" and "about" that make a request, not a question on a movie: "what's a good movie about dogs"
_REQUEST_WORDS = frozenset("a an some any good movie movies film films something anything one ones there".split())


def fact_question(message: str, link: LinkResult) -> str | None:
    """Which fact the message asks about one movie: director, writer, runtime, rating, cast, plot,
    year, genre, or 'is-genre' (a yes/no question on a genre it names); None for anything else.
    Running times and ratings are not in the catalogue: the answer says so, it does not guess."""
    for kind, pattern in _QUESTIONS:
        m = pattern.search(message)
        if not m:
            continue
        named = m.groupdict().get("named")
        if named and (set(named.lower().split()) & _REQUEST_WORDS or not link.of_type("movie")):
            continue  # "what's a good movie about space?" asks for movies
        return kind
    m = _IS_IT.match(message)
    if m and (m.group("ref") or link.of_type("movie")) and link.of_type("genre") and "?" in message:
        return "is-genre"
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


def answer(kind: str, movie: Movie, graph, link: LinkResult) -> str:
    """The answer to a fact question about `movie`, from the catalogue (card facts) and the KG."""
    text = _answer(kind, movie, graph, link)
    return text + _disagreement(movie, graph) if kind in ("director", "writer", "cast", "plot") else text


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


def which(movies: list[Movie], graph, link: LinkResult) -> str:
    """"Which one is the scariest?" over the cards shown: the catalogue cannot measure it, so say which
    of them have the genre asked about and which one people talk about most."""
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
