"""Continuous batching for the app: the turns of all sessions decode together, one token per step.

`BatchedLLM` wraps an `HFBackend` and is itself an `LLMBackend`, so the dialogue manager does not
know it is there. A decoding thread owns the running batch: each step it merges the prompts that
are ready (left padding) and decodes one token for every running reply. New prompts are prefilled,
up to `max_prefill` together, in a second thread on a CPU with two cores or more (`split`), else in
the decoding thread. A reply that ends (end of text, token budget, or a caller that stopped
reading: the post-check keeps two sentences) leaves the batch at once, so the others do not wait
for it. On a CPU, one decoding step for ten replies costs little more than for one (the step reads
all weights either way): 0.118 s vs 0.090 s for SmolLM2-135M in bf16 on this project's 2-core machine.

    batched = BatchedLLM(load_backend("smollm2"), max_batch=16)
    for delta in batched.stream(messages, max_new_tokens=80): ...

Greedy decoding gives the same tokens as `HFBackend` alone (up to float rounding of padded
attention); `temperature > 0` samples per reply; `logits_processor` callables run per reply.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.kv_buffer import to_buffered
from crs.llm.base import GenerationError, LLMBackend, apply_stop, check_generation_args, normalize_stop

log = logging.getLogger(__name__)

_DONE = object()  # end-of-reply marker in a request's output queue
MIN_REUSE = 8  # shorter shared starts are recomputed: not worth the copy
# Prompts prefilled in one forward pass. On the 2-core CPU (bf16, 1 thread) a 230-token prefill took
# 0.45 s alone and 1.58 s for eight together (0.20 s each).
MAX_PREFILL = 8


class BusyError(GenerationError):
    """More replies are waiting than the engine accepts; the caller should ask the user to retry."""


@dataclass
class _Request:
    ids: list[int]  # the prompt, then each generated token
    n_prompt: int
    max_new: int
    temperature: float
    processors: Sequence[Callable[..., Any]]
    out: queue.Queue = field(default_factory=queue.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)
    emitted: str = ""

    @property
    def n_new(self) -> int:
        return len(self.ids) - self.n_prompt


class BatchedLLM(LLMBackend):
    """An `LLMBackend` that decodes concurrent `stream` calls as one batch (continuous batching)."""

    def __init__(self, backend, max_batch: int = 16, max_waiting: int = 64, prefill_threads: int | None = None,
                 max_prefill: int = MAX_PREFILL, split: bool | None = None):
        self.backend = backend
        self.max_prefill = max(1, max_prefill)
        # Prefill in a thread of its own (None: on a CPU with two cores or more). See `_prefill_loop`.
        self.split = _default_split(backend) if split is None else split
        self._ready: list[tuple] = []  # prefilled groups the decoding thread has not merged yet
        self._prefilling = 0  # prompts the prefill thread is computing now
        self._running = 0  # rows in the running batch, as last published by the decoding thread
        self._prefill_thread: threading.Thread | None = None
        # CPU threads for a prefill (compute-bound: it scales with cores), None: as many as decoding uses
        self.prefill_threads = prefill_threads
        self.name = getattr(backend, "name", "hf")
        self.max_batch, self.max_waiting = max_batch, max_waiting
        self._waiting: deque[_Request] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._encode_lock = threading.Lock()  # fast tokenizers are not safe to call from several threads
        self.steps = 0  # decoding steps run, and the largest batch seen: for tests and the benchmark
        self.max_seen = 0
        self.last_usage: dict = {}
        self.batch: _Batch | None = None  # the scheduler's running batch (its counters: reused_tokens, ...)

    # ---------------------------------------------------------------- public
    def stream(self, messages, *, max_new_tokens: int = 128, temperature: float = 0.0, stop=None,
               logits_processor: Sequence[Callable[..., Any]] | None = None, **kwargs: Any) -> Iterator[str]:
        if kwargs:
            raise GenerationError(f"unsupported generation options for BatchedLLM: {sorted(kwargs)}")
        check_generation_args(max_new_tokens, temperature)
        with self._encode_lock:  # encode here so that bad input raises at the call site
            input_ids, new_tokens, _ = self.backend.encode(messages, max_new_tokens)
        req = _Request(input_ids[0].tolist(), int(input_ids.shape[1]), new_tokens, temperature,
                       list(logits_processor or ()))
        with self._cond:
            if len(self._waiting) >= self.max_waiting:
                raise BusyError(f"{len(self._waiting)} replies are already waiting; try again shortly")
            self._waiting.append(req)
            self._ensure_thread()
            self._cond.notify_all()  # the prefill thread and the decoding thread wait on it
        return apply_stop(self._read(req), normalize_stop(stop))

    def __getattr__(self, name):  # encode, render, tokenizer, model, ... of the wrapped backend
        if name == "backend":
            raise AttributeError(name)
        return getattr(self.backend, name)

    # ---------------------------------------------------------------- caller side
    def _read(self, req: _Request) -> Iterator[str]:
        try:
            while True:
                item = req.out.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise GenerationError(f"generation failed: {item!r}") from item
                yield item
        finally:
            req.cancel.set()  # a caller that stops reading frees its row at the next step
        self.last_usage = {"prompt_tokens": req.n_prompt, "completion_tokens": req.n_new, "truncated": False}

    # ---------------------------------------------------------------- scheduler
    def _ensure_thread(self) -> None:
        if self.batch is None:  # made here, not in a thread: both threads use it from their start
            self.batch = _Batch(self.backend, self.prefill_threads)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="llm-batch", daemon=True)
            self._thread.start()
        if self.split and (self._prefill_thread is None or not self._prefill_thread.is_alive()):
            self._prefill_thread = threading.Thread(target=self._prefill_loop, name="llm-prefill", daemon=True)
            self._prefill_thread.start()

    def _free(self) -> int:
        """Rows the batch can still take, counting prompts prefilled or being prefilled (under `_cond`)."""
        return self.max_batch - self._running - sum(len(g[0]) for g in self._ready) - self._prefilling

    def _take(self) -> list[_Request]:
        """Waiting prompts to prefill now (under `_cond`)."""
        n = min(self._free(), self.max_prefill, len(self._waiting))
        return [self._waiting.popleft() for _ in range(max(0, n))]

    def _loop(self) -> None:
        """The decoding thread: merge prefilled prompts, then one token for every running row."""
        import torch

        batch = self.batch
        while True:
            with self._cond:
                while not self._ready and not batch.rows and (self.split or not self._waiting):
                    self._cond.wait()
                ready, self._ready = self._ready, []
                new = [] if self.split else self._take()
            try:
                with torch.inference_mode():
                    if new:
                        ready = ready + batch.prefill([r for r in new if not r.cancel.is_set()])
                    for group in ready:
                        batch.join(*group)
                    if batch.rows:
                        batch.step()
                        self.steps += 1
                        self.max_seen = max(self.max_seen, len(batch.rows))
            except Exception as exc:  # fail the replies in flight, keep serving the next ones
                log.exception("batched decoding failed")
                pending = [r for g in ready for r in g[0]] + new
                for r in batch.rows + [r for r in pending if r not in batch.rows]:
                    r.out.put(exc)
                batch = self.batch = _Batch(self.backend, self.prefill_threads)
            with self._cond:
                self._running = len(batch.rows)
                self._cond.notify_all()  # rows that left make room for the prefill thread

    def _prefill_loop(self) -> None:
        """The prefill thread (split mode): prompts are read while the batch keeps decoding.

        On a CPU a prefill is compute-bound and a decoding step mostly waits on memory and Python; with
        both in one thread, each new prompt stalled every running reply for its whole prefill (0.5-1 s
        for ~350 tokens on this project's 2-core machine), once per other session's turn. Here the
        prefill runs on the other core and the decoding thread only merges the finished cache."""
        import torch

        if self.backend.device.type == "cpu" and self.prefill_threads:
            torch.set_num_threads(self.prefill_threads)
        while True:
            with self._cond:
                while not self._waiting or self._free() <= 0:
                    self._cond.wait()
                new = self._take()
                self._prefilling = len(new)
            groups: list[tuple] = []
            try:
                with torch.inference_mode():
                    groups = self.batch.prefill([r for r in new if not r.cancel.is_set()])
            except Exception as exc:
                log.exception("prefill failed")
                for r in new:
                    r.out.put(exc)
            with self._cond:
                self._ready.extend(groups)
                self._prefilling = 0
                self._cond.notify_all()


def _default_split(backend) -> bool:
    """Prefill beside decoding on a CPU with a core to spare for it."""
    import os

    try:
        return backend.device.type == "cpu" and len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return False


class _Batch:
    """The running replies: one KV cache of shape (rows, heads, time, dim), left-padded."""

    def __init__(self, backend, prefill_threads: int | None = None):
        self.backend = backend
        self.prefill_threads = prefill_threads if backend.device.type == "cpu" else None
        self.model = backend.model
        self.tok = backend.tokenizer
        cfg = self.model.generation_config
        eos = cfg.eos_token_id if cfg.eos_token_id is not None else self.tok.eos_token_id
        self.eos = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}
        self.rows: list[_Request] = []
        self.prefix_ids: list[int] = []  # the last prompt prefilled, and its keys and values per layer
        self.prefix_kv: list = []
        self.reused_tokens = self.prefilled_tokens = 0
        self.largest_prefill = 0  # the most prompts prefilled in one pass: for tests and the benchmark
        self.cache = None
        self.mask = None  # (rows, time) 1 where the cache holds a real token
        self.pos = None  # (rows,) the position id of each row's next token

    def admit(self, reqs: list[_Request]) -> None:
        """Prefill new prompts and merge them into the batch (both in the calling thread)."""
        for group in self.prefill(reqs):
            self.join(*group)

    def prefill(self, reqs: list[_Request]) -> list[tuple]:
        """Compute the prompts' caches: groups of (requests, cache, mask, positions, last logits).

        On a CPU the prefill is the costly, compute-bound part of a reply. Two things cut it: the start a
        prompt shares with the previous one (the system message) is reused, not recomputed; and prompts
        that arrive together are prefilled in one forward pass, which costs far less than one pass each."""
        if not reqs:
            return []
        shared = min(_common_prefix(r.ids, reqs[0].ids, len(r.ids) - 1) for r in reqs)
        if len(reqs) > 1 and shared < MIN_REUSE:  # no common start to pad behind: one prompt at a time
            return [g for r in reqs for g in self.prefill([r])]
        group = self._prefill_one(reqs[0]) if len(reqs) == 1 else self._prefill_many(reqs, shared)
        self.largest_prefill = max(self.largest_prefill, len(reqs))
        return [(reqs, *group)]

    def join(self, reqs: list[_Request], cache, mask, pos, logits) -> None:
        """Pick each prompt's first token and merge its rows into the running batch."""
        keep = [self._accept(r, logits[i]) for i, r in enumerate(reqs)]
        self._merge(reqs, cache, mask, pos)
        if not all(keep):  # a reply that ended at its first token (or was abandoned) leaves at once
            old = len(self.rows) - len(reqs)
            self._select(list(range(old)) + [old + i for i, k in enumerate(keep) if k])

    def _prefill_one(self, req: _Request):
        """One prompt: the start shared with the previous prompt is reused, the rest computed."""
        import torch

        n = len(req.ids)
        reuse = self._reusable(req.ids, n - 1)
        cache = self._cache_from(self.prefix_kv, reuse, 1)
        positions = torch.arange(reuse, n, device=self.backend.device)
        out = self._forward(torch.tensor([req.ids[reuse:]], device=positions.device), torch.ones(1, n, dtype=torch.long),
                            positions[None], positions, cache)
        self.prefix_ids, self.prefix_kv = req.ids[:n], [(layer.keys, layer.values) for layer in cache.layers]
        self.reused_tokens += reuse
        self.prefilled_tokens += n - reuse
        return cache, torch.ones(1, n, dtype=torch.long), torch.tensor([n]), out.logits[:, -1]

    def _prefill_many(self, reqs: list[_Request], shared: int):
        """Several prompts in one pass: their common start once, then the rest of each, left-padded
        behind it (padding sits between the start and the row's own tokens, masked out)."""
        import torch

        start = reqs[0].ids[:shared]
        reuse = self._reusable(start, shared)
        prefix = self._cache_from(self.prefix_kv, reuse, 1)
        if reuse < shared:  # compute the common start alone, once
            positions = torch.arange(reuse, shared, device=self.backend.device)
            self._forward(torch.tensor([start[reuse:]], device=positions.device),
                          torch.ones(1, shared, dtype=torch.long), positions[None], positions, prefix)
        self.prefix_ids, self.prefix_kv = start, [(layer.keys, layer.values) for layer in prefix.layers]
        rests = [r.ids[shared:] for r in reqs]
        width = max(map(len, rests))
        pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else next(iter(self.eos), 0)
        ids = torch.tensor([[pad] * (width - len(x)) + x for x in rests], device=self.backend.device)
        mask = torch.tensor([[1] * shared + [0] * (width - len(x)) + [1] * len(x) for x in rests])
        positions = torch.tensor([[shared] * (width - len(x)) + list(range(shared, shared + len(x))) for x in rests],
                                 device=ids.device)
        cache = self._cache_from(self.prefix_kv, shared, len(reqs))
        out = self._forward(ids, mask, positions, torch.arange(shared, shared + width, device=ids.device), cache)
        self.reused_tokens += sum(len(r.ids) for r in reqs) - (shared - reuse) - sum(map(len, rests))
        self.prefilled_tokens += (shared - reuse) + sum(map(len, rests))
        return cache, mask, torch.tensor([shared + len(x) for x in rests]), out.logits[:, -1]

    def _reusable(self, ids: list[int], limit: int) -> int:
        reuse = _common_prefix(ids, self.prefix_ids, limit)
        return reuse if reuse >= MIN_REUSE else 0

    def _cache_from(self, kv: list, length: int, rows: int):
        """A fresh cache holding the first `length` positions of `kv`, repeated for `rows` rows."""
        from transformers import DynamicCache

        cache = DynamicCache(config=self.model.config)
        for i, (k, v) in enumerate(kv if length else ()):
            cache.update(k[:, :, :length].expand(rows, -1, -1, -1).contiguous(),
                         v[:, :, :length].expand(rows, -1, -1, -1).contiguous(), i)
        return cache

    def _forward(self, ids, mask, position_ids, cache_position, cache):
        import torch

        decode_threads = torch.get_num_threads()
        if self.prefill_threads:
            torch.set_num_threads(self.prefill_threads)
        try:
            return self.model(input_ids=ids, attention_mask=mask.to(ids.device), position_ids=position_ids,
                              cache_position=cache_position, cache=cache, use_cache=True)
        finally:
            if self.prefill_threads:
                torch.set_num_threads(decode_threads)

    def _merge(self, reqs: list[_Request], cache, mask, pos) -> None:
        import torch

        if not self.rows:
            to_buffered(cache)  # the running batch's cache: decoding steps write in place
            self.rows, self.cache, self.mask, self.pos = list(reqs), cache, mask, pos
            return
        t = max(self.mask.shape[1], mask.shape[1])
        for mine, theirs in zip(self.cache.layers, cache.layers):
            mine.keys = torch.cat([_pad_left(mine.keys, t), _pad_left(theirs.keys, t)])
            mine.values = torch.cat([_pad_left(mine.values, t), _pad_left(theirs.values, t)])
        self.mask = torch.cat([_pad_left(self.mask, t, dim=1), _pad_left(mask, t, dim=1)])
        self.pos = torch.cat([self.pos, pos])
        self.rows.extend(reqs)

    def step(self) -> None:
        """One token for every running row; finished or abandoned rows leave the batch."""
        import torch

        last = torch.tensor([[r.ids[-1]] for r in self.rows], device=self.backend.device)
        self.mask = torch.cat([self.mask, torch.ones(len(self.rows), 1, dtype=torch.long)], dim=1)
        t = self.mask.shape[1]
        out = self.model(input_ids=last, attention_mask=self.mask.to(last.device), position_ids=self.pos[:, None],
                         cache=self.cache, cache_position=torch.tensor([t - 1]), use_cache=True)
        self.pos = self.pos + 1
        keep = [i for i, r in enumerate(self.rows) if self._accept(r, out.logits[i, -1])]
        if len(keep) < len(self.rows):
            self._select(keep)

    def _accept(self, req: _Request, logits) -> bool:
        """Pick the next token of one row and send its text; False when the row is finished."""
        if req.cancel.is_set():
            req.out.put(_DONE)
            return False
        token = self._pick(req, logits)
        if token in self.eos:
            self._finish(req)
            return False
        req.ids.append(token)
        text = self.tok.decode(req.ids[req.n_prompt:], skip_special_tokens=True)
        if not text.endswith("\ufffd"):  # hold back half a UTF-8 character until the next token
            delta, req.emitted = text[len(req.emitted):], text
            if delta:
                req.out.put(delta)
        if req.n_new >= req.max_new:
            self._finish(req)
            return False
        return True

    def _pick(self, req: _Request, logits) -> int:
        import torch

        scores = logits.float()[None]
        if req.processors:
            ids = torch.tensor([req.ids], device=scores.device)
            for proc in req.processors:
                scores = proc(ids, scores)
        if req.temperature > 0:
            probs = torch.softmax(scores[0] / req.temperature, dim=-1)
            return int(torch.multinomial(probs, 1))
        return int(scores[0].argmax())

    def _finish(self, req: _Request) -> None:
        text = self.tok.decode(req.ids[req.n_prompt:], skip_special_tokens=True)
        if len(text) > len(req.emitted):
            req.out.put(text[len(req.emitted):])
        req.out.put(_DONE)

    def _select(self, keep: list[int]) -> None:
        import torch

        self.rows = [self.rows[i] for i in keep]
        if not self.rows:
            self.cache = self.mask = self.pos = None
            return
        idx = torch.tensor(keep)
        self.mask, self.pos = self.mask[idx], self.pos[idx]
        # Drop the columns that are padding in every remaining row (a long prompt that left).
        start = int((self.mask.sum(0) > 0).nonzero()[0])
        self.mask = self.mask[:, start:]
        for layer in self.cache.layers:
            layer.keys = layer.keys[idx, :, start:]
            layer.values = layer.values[idx, :, start:]


def _common_prefix(a: list[int], b: list[int], limit: int) -> int:
    n = min(len(a), len(b), limit)
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _pad_left(x, t: int, dim: int = 2):
    """Zero-pad `x` on the left of dimension `dim` to length t."""
    import torch

    missing = t - x.shape[dim]
    if missing <= 0:
        return x
    shape = list(x.shape)
    shape[dim] = missing
    return torch.cat([x.new_zeros(shape), x], dim=dim)
