"""Reading a list of titles: which title forms read as prose may still be items of a list."""

from __future__ import annotations

from kg import titles as T


def listable(ctx, key, i, j, tokens, raw_tokens, spans) -> bool:
    """Whether a title form read as prose may still be an item of a list of titles."""
    # "the exorcist or It", "Finding Nemo, Up, wall-e" (but not "Civil War, It was good")
    named = T.written_as_title(raw_tokens[i:j]) and not ctx.sentence_start(i)
    if key in T.FUNCTION_TITLES and not (i > 0 and tokens[i - 1] in ("and", "or")
                                         or any(ctx.joined(j, a, tokens) for a, _ in spans)
                                         or any(ctx.joined(j, a, tokens) for _, a, _ in ctx.weak)):
        named = False
    if key in T.FUNCTION_TITLES and not named:
        return key in T.CAPITAL_FUNCTION_TITLES and bare_item(ctx, key, i, j, tokens, spans)
    if (key in T.CUES_BEFORE or len(key) < 2) and not named:
        return False  # "300 and loved it": the verb; "Die Hard d or ...": a stray letter
    if key.isdigit():
        return False
    # several words rarely make a list item by chance ("and get out last year"); wordfreq rates them as common
    limit = T.ZIPF_CUE_BEFORE
    if " " in key and not (j < len(tokens) and tokens[j] in T.MINOR):  # but "and get out of here" goes on
        limit = T.ZIPF_CUE_MULTI
    return named or not (T.zipf(key) >= limit or key in T.FUNCTION_TITLES)


def bare_item(ctx, key: str, i: int, j: int, tokens: list[str], spans) -> bool:
    """A pronoun typed as a title in lower case is a list item only where the pronoun cannot stand:
    "the exorcist or it", "get out and it." (nothing follows in its sentence); "I liked it and The
    Strangers" when nothing it could refer to was named before (in the message or the conversation).
    Not "Get Out and it was great", "I saw Get Out, loved it and Split"."""
    after = ctx.after(j, tokens, 2)
    if any(ctx.joined(b, i, tokens) for _, b in spans):
        return not after or after[0] in ("and", "or", "too", "both", "were", "are") or ctx.goes_on(j, tokens)
    if any(ctx.joined(j, a, tokens) and tokens[j] in ("and", "or") for a, _ in spans) \
            and not any(b <= i for _, b in spans) \
            and (not ctx.conversation or ctx.conversation & {it for it, _ in ctx.forms.get(key, ())}):
        before = ctx.before(i, tokens, 2)
        return bool(before) and before[-1] in T.CUES_BEFORE and before[-1] not in ("than", "movie", "film")
    return False
