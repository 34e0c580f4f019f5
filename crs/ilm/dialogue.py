"""The adapter inside the dialogue manager: recommendation turns are phrased by the frozen LLM reading the
recommended movies' soft tokens (and the user token), with BOE-guided decoding."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_ADAPTER = "cpu-stage2"


def resolve_adapter(adapter: str | None) -> Path | None:
    """'auto': $CRS_HOME/ilm/cpu-stage2 when it exists; 'none'/None: off; else a folder."""
    from crs.ilm.model import is_adapter
    from crs.paths import cache_dir

    if adapter in (None, "", "none", "off"):
        return None
    path = cache_dir("ilm") / DEFAULT_ADAPTER if adapter == "auto" else Path(adapter).expanduser()
    if is_adapter(path):
        return path
    if adapter != "auto":
        raise FileNotFoundError(f"no item-language adapter at {path}")
    return None


class DialogueILM:
    """Streams a recommendation reply for (history, cards) through an ILMRuntime."""

    def __init__(self, runtime, catalog, recommender=None, boe_weight: float = 0.1):
        self.runtime, self.catalog, self.rec, self.boe_weight = runtime, catalog, recommender, boe_weight
        self.titles = [m.display for m in catalog.movies]

    def user_vector(self, rec_context):
        from crs.ilm.data import mean_entity_users

        if self.rec is not None and hasattr(self.rec, "user_vectors"):
            return self.rec.user_vectors([rec_context])[0].float().cpu()
        return mean_entity_users([rec_context], self.runtime.features.entities)[0]

    def stream(self, history: list[tuple[str, str]], items: list[int], rec_context, max_new_tokens: int = 80,
               temperature: float = 0.0):
        from crs.ilm.data import CONTEXT_CHARS, conv_messages

        context = "\n".join(f"{'User' if r == 'user' else 'Assistant'}: {t}" for r, t in history)[-CONTEXT_CHARS:]
        ad = self.runtime.adapter
        msgs = conv_messages(context, items, self.titles, "title+soft", ad.config.user_token)
        u = self.user_vector(rec_context)
        return self.runtime.stream(msgs, items, u, boe_weight=self.boe_weight, max_new_tokens=max_new_tokens,
                                   temperature=temperature)


def load_dialogue_ilm(path: Path, backend, catalog, recommender=None, boe_weight: float = 0.1) -> DialogueILM | None:
    """The adapter for an HFBackend whose model it fits; None (with a log line) otherwise."""
    from crs.ilm.data import adapter_features
    from crs.ilm.model import ItemLanguageAdapter
    from crs.ilm.runtime import ILMRuntime

    if not hasattr(backend, "model") or not hasattr(backend, "tokenizer"):
        log.info("adapter %s skipped: the LLM backend is not a local Hugging Face model", path)
        return None
    ad = ItemLanguageAdapter.from_pretrained(path)
    hidden = backend.model.get_input_embeddings().weight.shape[1]
    if hidden != ad.config.llm_hidden:
        log.info("adapter %s skipped: trained for hidden size %d, the LLM has %d", path, ad.config.llm_hidden, hidden)
        return None
    feats, rec = adapter_features(path, catalog, recommender)
    return DialogueILM(ILMRuntime(ad, backend.model, backend.tokenizer, feats, adapter_path=path), catalog, rec, boe_weight)
