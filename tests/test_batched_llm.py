"""Continuous batching (apps/batched_llm.py) on the tiny random LLM: same tokens as decoding alone, per reply."""

from __future__ import annotations

import threading

import pytest

from apps.batched_llm import BatchedLLM, BusyError
from crs.llm.base import GenerationError


@pytest.fixture(scope="module")
def tiny():
    from crs.llm.tiny import tiny_backend

    return tiny_backend(tokenizer="simple")


def _prompts(n: int) -> list[list[dict]]:
    # different lengths, so rows are left-padded differently in the shared cache
    return [[{"role": "user", "content": f"I loved movie number {i}. " * (1 + i % 4)}] for i in range(n)]


@pytest.mark.parametrize("split", [True, False], ids=["prefill-thread", "one-thread"])
def test_concurrent_replies_equal_replies_alone(tiny, split):
    prompts = _prompts(8)
    alone = [tiny.generate(p, max_new_tokens=24) for p in prompts]
    batched = BatchedLLM(tiny, max_batch=8, split=split)
    got: list[str | None] = [None] * len(prompts)
    start = threading.Barrier(len(prompts))

    def ask(i: int):
        start.wait()
        got[i] = batched.generate(prompts[i], max_new_tokens=24 - i)  # different budgets: rows end at different steps

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    want = [tiny.generate(p, max_new_tokens=24 - i) for i, p in enumerate(prompts)]
    assert got == want  # each caller gets its own prompt's reply: no cross-talk between rows
    assert batched.max_seen > 1  # and they really shared batches
    assert batched.batch.reused_tokens > 0  # the shared start of the prompts was computed once
    assert alone[0].startswith(want[0][:5])


@pytest.mark.parametrize("split", [True, False], ids=["prefill-thread", "one-thread"])
def test_prompts_arriving_together_are_prefilled_together(tiny, split):
    prompts = _prompts(6)
    budgets = [1, 20, 7, 20, 3, 12]  # one reply ends at its first token, the others at different steps
    batched = BatchedLLM(tiny, max_batch=8, max_prefill=8, split=split)
    with batched._cond:  # the scheduler cannot take any prompt until all six wait
        streams = [batched.stream(p, max_new_tokens=n) for p, n in zip(prompts, budgets)]
    got = ["".join(s) for s in streams]
    assert got == [tiny.generate(p, max_new_tokens=n) for p, n in zip(prompts, budgets)]
    assert batched.batch.largest_prefill == 6
    # the system-free prompts still share "I loved movie number": computed once for the six rows
    assert batched.batch.reused_tokens > 0
    later = batched.generate(prompts[2], max_new_tokens=9)  # the engine keeps serving after the group
    assert later == tiny.generate(prompts[2], max_new_tokens=9)


def test_abandoned_reply_frees_its_row(tiny):
    batched = BatchedLLM(tiny)
    p = _prompts(2)
    s = batched.stream(p[0], max_new_tokens=50)
    next(s)
    s.close()  # the caller stops reading (the post-check has its two sentences)
    assert batched.generate(p[1], max_new_tokens=12) == tiny.generate(p[1], max_new_tokens=12)


def test_stop_strings_temperature_and_processors(tiny):
    batched = BatchedLLM(tiny)
    p = _prompts(1)[0]
    full = batched.generate(p, max_new_tokens=30)
    stop = full[5:8]
    assert batched.generate(p, max_new_tokens=30, stop=stop) == full[: full.index(stop)]
    assert isinstance(batched.generate(p, max_new_tokens=5, temperature=0.8), str)
    calls = []

    def only_token(ids, scores):  # a logits processor sees this reply's ids and can force a token
        calls.append(ids.shape[0])
        scores[:] = -1e9
        scores[0, 100] = 0
        return scores

    out = batched.generate(p, max_new_tokens=4, logits_processor=[only_token])
    assert out == tiny.tokenizer.decode([100] * 4) and calls and set(calls) == {1}


def test_bad_input_and_busy(tiny):
    batched = BatchedLLM(tiny, max_waiting=0)
    with pytest.raises(GenerationError):
        batched.stream("not a list of messages")
    with pytest.raises(GenerationError):
        batched.stream(_prompts(1)[0], max_new_tokens=0)
    with pytest.raises(BusyError, match="try again"):
        batched.stream(_prompts(1)[0])


def test_model_failure_reaches_the_caller_and_the_engine_recovers(tiny):
    batched = BatchedLLM(tiny)
    p = _prompts(1)[0]
    real = tiny.model.forward
    tiny.model.forward = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    try:
        with pytest.raises(GenerationError, match="boom"):
            batched.generate(p, max_new_tokens=5)
    finally:
        tiny.model.forward = real
    assert batched.generate(p, max_new_tokens=5) == tiny.generate(p, max_new_tokens=5)


def test_prefill_threads_give_the_same_reply(tiny):
    prompt = _prompts(3)[2]
    alone = tiny.generate(prompt, max_new_tokens=16)
    batched = BatchedLLM(tiny, prefill_threads=2)
    assert batched.generate(prompt, max_new_tokens=16) == alone
    assert batched.generate(prompt, max_new_tokens=16) == alone  # the next prompt reuses the cached start
    assert batched.batch.reused_tokens > 0


def test_buffered_cache_layer_matches_dynamic_layer():
    import torch
    from transformers.cache_utils import DynamicLayer

    from apps.kv_buffer import ROOM, buffered_layer_class

    ref, buf = DynamicLayer(), buffered_layer_class()()
    g = torch.Generator().manual_seed(0)
    for n in [7, 1, 1, ROOM, 1, 2 * ROOM + 3, 1]:  # past the spare room twice: the buffer must grow
        k, v = torch.randn(2, 3, n, 4, generator=g), torch.randn(2, 3, n, 4, generator=g)
        want, got = ref.update(k, v), buf.update(k, v)
        assert torch.equal(want[0], got[0]) and torch.equal(want[1], got[1])
    buf.keys, buf.values = buf.keys[[1], :, 5:], buf.values[[1], :, 5:]  # a row leaves, columns dropped
    ref.keys, ref.values = ref.keys[[1], :, 5:], ref.values[[1], :, 5:]
    k = torch.randn(1, 3, 1, 4, generator=g)
    assert torch.equal(ref.update(k, k)[0], buf.update(k, k)[0])
    assert buf.get_seq_length() == ref.get_seq_length()
