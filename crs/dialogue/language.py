"""Is a chat message English? A script test plus function-word counts, robust on short messages.

Statistical detectors (langdetect, langid) guess wildly on three-word chat turns such as "hi" or
"Heat with Pacino"; function words are what distinguishes languages in short text, and movie
titles (often foreign) carry few of them.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

ENGLISH = frozenset(
    "i you he she it we they me my your the a an is are was were be been am do does did have has had will "
    "would can could should and or but if so of in on at to for with from by about like not no yes what "
    "which who how why when where there here this that these those some any something anything movie movies "
    "film films watch watched love loved liked enjoy enjoyed want please thanks thank hi hello hey good great "
    "more other else also just really very too all".split()
)
# Frequent function words of the languages users are most likely to write instead, minus any
# that are also English words ("a", "in", "die", "man", "son", "come"...).
FOREIGN = {
    "French": "je j'ai j'aime tu il elle nous vous ils elles le la les un une des du de et est sont pas ne "
              "que qui quoi pour avec dans sur mais ou très bien aime adoré adore film films voir vu "
              "c'est cette ce ces mon ma mes ton ta quel quelle merci bonjour salut autre chose".split(),
    "Spanish": "yo tú él ella nosotros ellos el los las una unos unas es son está no que qué por para con "
               "pero muy bien me gusta gustó encanta encantó película películas ver vi otra otro gracias "
               "hola algo como cómo también mucho adoro adoré".split(),
    "German": "ich du er sie wir ihr der das den dem ein eine einen ist sind nicht und oder aber mit für "
              "auf sehr gut mag mochte liebe geliebt gesehen noch etwas anderes danke hallo bitte wie "
              "auch".split(),
    "Italian": "io lui lei noi voi loro il lo gli le una è sono non che per con ma molto bene mi piace "
               "piaciuto amato visto altro grazie ciao qualcosa anche adoro".split(),
    "Portuguese": "eu você ele ela nós eles os uma um é são não que por para com mas muito bem gosto gostei "
                  "amei filme filmes ver vi outro obrigado obrigada olá algo também adoro".split(),
    "Dutch": "ik jij je hij zij wij het een is zijn niet en maar met voor op heel goed vind leuk "
             "gezien nog iets anders dank hallo ook".split(),
}
_FOREIGN = {lang: frozenset(ws) - ENGLISH for lang, ws in FOREIGN.items()}
# Scripts that are not Latin: a message mostly in one of them is not English.
_SCRIPT_NAMES = {"CJK": "Chinese or Japanese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese",
                 "HANGUL": "Korean", "CYRILLIC": "Russian or another Cyrillic-script language",
                 "ARABIC": "Arabic", "HEBREW": "Hebrew", "GREEK": "Greek", "DEVANAGARI": "Hindi",
                 "THAI": "Thai"}


def _script(ch: str) -> str | None:
    name = unicodedata.name(ch, "")
    for key in _SCRIPT_NAMES:
        if name.startswith(key):
            return key
    return None


def detect_non_english(text: str, ignore: set[str] | None = None) -> str | None:
    """The name of the language `text` seems to be written in when it is not English, else None.

    `ignore`: lower-case words to leave out (e.g. the words of titles the linker found).
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    scripts: dict[str, int] = {}
    for ch in letters:
        s = _script(ch)
        if s:
            scripts[s] = scripts.get(s, 0) + 1
    if scripts:
        top, n = max(scripts.items(), key=lambda kv: kv[1])
        if n >= 0.3 * len(letters):
            return _SCRIPT_NAMES[top]
    ignore = ignore or set()
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    words = [w for w in words if w not in ignore]
    if not words:
        return None
    english = sum(w in ENGLISH or w.split("'")[0] in ENGLISH for w in words)
    best, best_n = None, 0
    for lang, vocab in _FOREIGN.items():
        # A function word with an accent ("encantó", "gustó") never occurs in English: it counts double,
        # so "Me encantó Titanic" is not an English "me" against one Spanish word.
        n = sum((1 if w.isascii() else 2) for w in words if w in vocab or (w.split("'")[0] + "'") in vocab)
        if n > best_n:
            best, best_n = lang, n
    # Two foreign function words outweighing the English ones; one is enough in a very short message
    # ("Merci!", "j'ai adoré Amélie") when no English word is there at all.
    if best and best_n > english and (best_n >= 2 or (english == 0 and len(words) <= 3)):
        return best
    return None
