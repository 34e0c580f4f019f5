"""`crs bench app`: full-reply latency of the app for one user and for N concurrent users, in one run.

Starts `crs app` on a free local port (its own database in the run folder), then:

1. single user: the first `single` scripted conversations one after another (3 turns each);
2. N clients at once (default 10), each with its own 3-turn conversation, through `gradio_client`;
3. the same single-user pass again, so drift on a shared machine shows in the numbers.

Checked, not timed: every request got a reply (none lost, none refused as busy); no cross-talk: each
client's stored conversation holds exactly the messages it sent and the replies it received, and a
conversation run alone and among N others gives the same replies (greedy decoding). Writes
`results.json` and `results.md` to the run folder. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

# Ten different first messages, then two follow-ups that recommend again (every turn reaches the LLM).
OPENERS = [
    "I loved The Shining, what else would I like?",
    "I really enjoyed Toy Story, any suggestions?",
    "I liked Heat with Al Pacino",
    "Something like The Matrix please",
    "I loved Titanic, what should I watch?",
    "My favourite movie is Jurassic Park",
    "I enjoyed Pulp Fiction a lot",
    "I liked Finding Nemo, recommend something",
    "I loved The Godfather",
    "I want something like Alien",
]
FOLLOW_UPS = ["More like that please", "I like comedies too"]


def script(i: int) -> list[str]:
    return [OPENERS[i % len(OPENERS)], *FOLLOW_UPS]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(run_dir: Path, llm: str, recommender: str, port: int, extra: list[str]) -> subprocess.Popen:
    """`crs app` in a child process; returns once it serves (its log goes to run_dir/server.log)."""
    db = f"sqlite:///{run_dir / 'bench.db'}"
    cmd = [sys.executable, "-m", "apps.cli", "app", "--llm", llm, "--recommender", recommender, "--adapter", "none",
           "--port", str(port), "--db", db, *extra]
    log = open(run_dir / "server.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    import urllib.request

    deadline = time.time() + 900
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited ({proc.returncode}); see {run_dir / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("the app did not start within 15 minutes")
    _wait_warm(run_dir / "server.log", deadline)
    return proc


# What the app prints when its background loading (the video-to-music engine) has ended, one way or another.
WARM_LINES = ("video-to-music: ready", "video-to-music: not prepared", "video-to-music: loading failed")


def _wait_warm(log_path: Path, deadline: float) -> None:
    """Measure a warm server: background loading at start-up competes with the first turns for the CPU."""
    while time.time() < deadline:
        text = log_path.read_text(errors="replace")
        if any(w in text for w in WARM_LINES):
            return
        time.sleep(1)


def run_conversation(url: str, messages: list[str], results: list[dict], who: str, barrier=None) -> None:
    """One client: send each message, time the full reply; appends one record per turn."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    sid = client.predict(api_name="/session")
    if barrier is not None:
        barrier.wait()
    for turn, msg in enumerate(messages):
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"client": who, "session": sid, "turn": turn, "message": msg}
        try:
            reply, cards = client.predict(msg, api_name="/chat")
            rec.update(reply=reply, cards=cards, ok=bool(reply) and "server is busy" not in reply)
        except Exception as e:  # a lost request: counted, never hidden
            rec.update(reply=None, cards=None, ok=False, error=f"{type(e).__name__}: {e}")
        rec["seconds"] = time.perf_counter() - t0
        results.append(rec)


def single_pass(url: str, n: int, tag: str) -> list[dict]:
    out: list[dict] = []
    for i in range(n):
        run_conversation(url, script(i), out, f"{tag}-{i}")
    return out


def concurrent_pass(url: str, clients: int) -> tuple[list[dict], float]:
    out: list[dict] = []
    barrier = threading.Barrier(clients)
    threads = [threading.Thread(target=run_conversation, args=(url, script(i), out, f"multi-{i}", barrier))
               for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out, time.perf_counter() - t0


def latency(recs: list[dict]) -> dict[str, float]:
    s = np.array([r["seconds"] for r in recs if r["ok"]])
    if not s.size:
        return {"n": 0}
    return {"n": int(s.size), "p50": float(np.percentile(s, 50)), "p95": float(np.percentile(s, 95)),
            "max": float(s.max())}


def cross_talk(db_url: str, recs: list[dict]) -> dict[str, Any]:
    """Each session's stored turns are exactly what its client sent and received, in order."""
    from crs.store import ConversationStore

    store = ConversationStore(db_url)
    by_session: dict[str, list[dict]] = {}
    for r in recs:
        by_session.setdefault(r["session"], []).append(r)
    bad = []
    for sid, turns in by_session.items():
        turns = sorted(turns, key=lambda r: r["turn"])
        stored = [e for e in store.events(sid) if e["kind"] in ("user", "assistant")]
        want = [(k, t) for r in turns for k, t in (("user", r["message"]), ("assistant", r["reply"]))]
        got = [(e["kind"], e["text"]) for e in stored]
        if got != want:
            bad.append(sid)
    store.close()
    return {"sessions": len(by_session), "mismatched": len(bad)}


def same_replies(alone: list[dict], together: list[dict]) -> dict[str, int]:
    """Replies of the same scripted conversation run alone and among the concurrent clients."""
    key = lambda r: (r["client"].split("-")[1], r["turn"])  # noqa: E731
    solo = {key(r): r["reply"] for r in alone if r["ok"]}
    pairs = [(solo[key(r)], r["reply"]) for r in together if r["ok"] and key(r) in solo]
    return {"compared": len(pairs), "identical": sum(a == b for a, b in pairs)}


def run_bench(llm: str = "smollm2", recommender: str = "popularity", clients: int = 10, single: int = 4,
              out: str | None = None, server_args: list[str] | None = None) -> dict[str, Any]:
    from eval.report import write_results
    from eval.rundir import make_run_dir, run_metadata

    run_dir = make_run_dir(out, "bench-app")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = start_server(run_dir, llm, recommender, port, server_args or [])
    try:
        # loading the LLM and first-call costs are not a user's latency: one full conversation first
        run_conversation(url, script(len(OPENERS) - 1), [], "warmup")
        t0 = time.perf_counter()
        alone1 = single_pass(url, single, "single")
        multi, wall = concurrent_pass(url, clients)
        alone2 = single_pass(url, single, "single")
        total = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    alone = alone1 + alone2
    one, many = latency(alone), latency(multi)
    lost = [r for r in alone + multi if not r["ok"]]
    metrics = {
        "single_user": one, "concurrent": {**many, "clients": clients, "wall_s": wall},
        # the two single-user passes apart: on a shared machine the load of other jobs drifts
        "single_before": latency(alone1), "single_after": latency(alone2),
        "p95_ratio": many.get("p95", float("nan")) / one["p95"] if one.get("p95") else None,
        "p50_ratio": many.get("p50", float("nan")) / one["p50"] if one.get("p50") else None,
        "lost_requests": len(lost), "requests": len(alone + multi),
        "cross_talk": cross_talk(f"sqlite:///{run_dir / 'bench.db'}", alone + multi),
        "same_reply_alone_and_concurrent": same_replies(alone1, multi),
        "total_s": total,
    }
    meta = run_metadata(seed=0, config={"llm": llm, "recommender": recommender, "clients": clients,
                                       "single_conversations": single, "cpu_count": os.cpu_count()})
    import json

    (run_dir / "requests.jsonl").write_text("".join(json.dumps(r) + "\n" for r in alone + multi))
    write_results(run_dir, metrics, meta, f"App latency: 1 user vs {clients} concurrent users ({llm}, {recommender})",
                  digits=3)
    metrics["run_dir"] = str(run_dir)
    return metrics
