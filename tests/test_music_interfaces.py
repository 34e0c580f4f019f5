"""Both interfaces on a real video file written here: `crs music recommend`, `crs eval music`, and the
app's "Video to music" tab through a real server and gradio_client. Uses configs/music/tiny.yaml
(400 clips, the random-weight LLM, whose text always falls back to the grounded template)."""

from __future__ import annotations

import json
import socket

import pytest

from apps.cli import main
from crs.music.synthetic import make_audio, make_video


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("v") / "beach.mp4", seconds=3, speed=5, brightness=0.9, audio=True)


def test_cli_recommend_and_refine(real_data, video, capsys):
    argv = ["music", "recommend", str(video), "--config", "tiny", "--llm", "tiny", "--feedback", "no vocals, calmer"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("video: a") and "energy" in out
    assert "\npick: MusicCaps" in out and '\nrefined ("no vocals, calmer"): MusicCaps' in out
    assert out.count("https://www.youtube.com/watch?v=") == 2 and out.count("why: ") == 2
    assert main(argv + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first, refined = data["picks"]
    assert refined["attributes"]["vocals"] is not True and refined["id"] != first["id"]
    assert data["video"]["brightness"] > 0.4


def test_cli_bad_video_is_a_clear_error(real_data, tmp_path, capsys):
    bad = tmp_path / "notes.mov"
    bad.write_text("not a video")
    assert main(["music", "recommend", str(bad), "--config", "tiny", "--llm", "none"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not read notes.mov as a video") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mov"]


def test_cli_eval_music_writes_results(real_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["eval", "music", "--config", "tiny", "--llm", "tiny", "--out", str(out), "--no-latency"]) == 0
    res = json.loads((out / "results.json").read_text())
    t2 = res["metrics"]["turn2_synthesised_feedback"]
    assert set(t2) >= {"text only (MiniLM cosine of the feedback)", "fusion, trained"}
    for row in t2.values():
        assert 0 <= row["recall@1"] <= row["recall@5"] <= row["recall@10"] <= 1 and row["n"] == 40
    assert res["metrics"]["explanations"]["final_grounding_rate"] == 1.0
    assert (out / "results.md").read_text().startswith("# Video-to-music")
    assert (out / "turn2_queries.jsonl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_app_video_tab_through_gradio_client(real_data, video, tmp_path):
    from gradio_client import Client, handle_file

    from apps.gradio_app import build_app
    from apps.music_tab import default_engine_factory
    from crs.music.session import MusicEngine

    MusicEngine.shared("tiny", llm="tiny")  # prepared beforehand: the app never trains inside a request
    calls = []
    demo = build_app(lambda: calls.append(1), music_factory=default_engine_factory("tiny", llm="tiny"))
    assert not demo.crs_music.built
    port = _free_port()
    demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        pick, refined = client.predict(handle_file(str(video)), "more upbeat, not jazz", api_name="/video_music")
        assert "youtube.com/watch" in pick and "**Why:**" in pick and "*Video: a" in pick
        assert "You said" in refined and "youtube.com/watch" in refined
        bad = tmp_path / "bad.mp4"
        bad.write_bytes(b"\x00" * 100)
        pick, refined = client.predict(handle_file(str(bad)), "", api_name="/video_music")
        assert pick.startswith("**Could not use this file.**") and refined == ""
    finally:
        demo.close()
    assert calls == []  # the movie chat manager was never built


@pytest.mark.slow
def test_user_audio_folder_joins_the_catalogue(real_data, tmp_path, video, capsys):
    folder = tmp_path / "music"
    folder.mkdir()
    make_audio(folder / "fast.wav", seconds=6, bpm=150, loud=0.9)
    make_audio(folder / "slow.m4a", seconds=6, bpm=70, loud=0.1)
    from crs.music.catalogue import load_catalogue

    cat = load_catalogue(limit=400, user_dir=folder, progress=False)
    users = {it.id: it for it in cat.items if it.source == "user"}
    assert set(users) == {"user:fast.wav", "user:slow.m4a"}
    assert users["user:fast.wav"].attributes.energy > users["user:slow.m4a"].attributes.energy
    assert "tempo:fast" in users["user:fast.wav"].attributes.tags
    assert main(["music", "recommend", str(video), "--config", "tiny", "--llm", "none", "--audio-dir", str(folder)]) == 0
