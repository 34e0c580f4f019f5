"""ReDial recommendation samples under the two protocols (crslab: every movie in the turn; new-items: KECRS)."""

from __future__ import annotations

from dataclasses import dataclass

from crs.data.movies import Catalog
from crs.data.redial import MENTION, Dialogue
from crs.recommenders.base import RecContext

PROTOCOLS = ("crslab", "new-items")


@dataclass
class RecSample:
    dialogue: str
    turn: int
    context: RecContext
    targets: list[int]  # catalogue items; each is scored as one sample


def render(text: str, catalog: Catalog) -> str:
    """Replace @id mentions by 'Title (Year)' so text models read titles, not ids."""
    def sub(m):
        movie = catalog.by_redial.get(m.group(1))
        return movie.display if movie else m.group(0)
    return MENTION.sub(sub, text)


POLARITY_NAMES = ("neutral", "liked", "disliked")


def context_for(d: Dialogue, upto: int, catalog: Catalog, links: list | None = None) -> RecContext:
    """What a recommender sees before turn `upto`: the text and, with `links` (per-turn
    [(entity, polarity id)] from the entity linker), the entities and stances it expressed.

    The seeker's questionnaire answers are never used: they were filled in after the dialogue.
    """
    lines, mentioned, entities = [], [], []
    for i, t in enumerate(d.messages[:upto]):
        lines.append(f"{'User' if t.role == 'seeker' else 'Assistant'}: {render(t.text, catalog)}")
        for rid in t.movies:
            item = catalog.item_of(rid)
            if item is not None and item not in mentioned:
                mentioned.append(item)
        if links is not None:
            entities.extend((int(e), POLARITY_NAMES[p]) for e, p in links[i])
    liked = [catalog.by_entity[e].item for e, p in entities if p == "liked" and e in catalog.by_entity]
    disliked = [catalog.by_entity[e].item for e, p in entities if p == "disliked" and e in catalog.by_entity]
    return RecContext("\n".join(lines), liked=liked, disliked=disliked, mentioned=mentioned, entities=entities)


def rec_samples(dialogues: list[Dialogue], catalog: Catalog, protocol: str,
                links: dict | None = None) -> list[RecSample]:
    """One sample per recommender turn that mentions a movie.

    crslab: targets are all movies mentioned in that turn (CRSLab's ReDial evaluation).
    new-items: targets are movies in that turn not mentioned earlier in the dialogue
    (KECRS's harder protocol); turns without a new movie are skipped.
    kecrs-train: new movies the seeker said they liked (KECRS's training targets; never for evaluation).
    """
    if protocol not in PROTOCOLS + ("kecrs-train",):
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {PROTOCOLS}")
    out = []
    for d in dialogues:
        seen: set[int] = set()
        for i, t in enumerate(d.messages):
            items = [it for it in dict.fromkeys(catalog.item_of(r) for r in t.movies) if it is not None]
            if t.role == "recommender" and items and i > 0:
                targets = items if protocol == "crslab" else [it for it in items if it not in seen]
                if protocol == "kecrs-train":
                    liked = {catalog.item_of(r) for r in d.answers if d.liked(r)}
                    targets = [it for it in targets if it in liked]
                if targets:
                    ctx = context_for(d, i, catalog, links[d.id] if links is not None else None)
                    out.append(RecSample(d.id, i, ctx, targets))
            seen.update(items)
    return out


def ranking_metrics(scores, samples: list[RecSample], protocol: str, ks=(1, 10, 50)) -> dict:
    """Recall/NDCG/MRR@k of score rows [n_samples, n_items] against the samples' targets.

    In the new-items protocol movies already mentioned are not ranked: ranking them is free information.
    """
    import numpy as np

    from crs.metrics import RankingMeter

    meter = RankingMeter(ks=ks)
    for row, s in zip(scores, samples):
        if protocol == "new-items" and s.context.mentioned:
            row = np.array(row, copy=True)
            row[s.context.mentioned] = -np.inf
        meter.add(row, s.targets)
    return meter.compute()
