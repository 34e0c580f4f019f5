"""The video tab's upload handling: content checked, no server paths in errors, files deleted after
analysis, size limit before saving, and no training inside a request."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from apps.music_tab import LazyEngine, default_engine_factory, looks_like_video, suggest, upload_root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    from crs.music.synthetic import make_video

    return make_video(tmp_path_factory.mktemp("v") / "clip.mp4", seconds=2, speed=3, brightness=0.6, audio=False)


def _upload_copy(src: Path, name: str) -> Path:
    """A file where Gradio would have saved an upload."""
    folder = upload_root() / f"crs-test-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / name
    dst.write_bytes(src.read_bytes() if src.exists() else b"")
    return dst


def test_content_check(video, tmp_path):
    assert looks_like_video(str(video))
    fake = tmp_path / "notes.mp4"
    fake.write_text("<html><script>alert(1)</script></html>")  # a video by its name only
    assert not looks_like_video(str(fake)) and not looks_like_video(str(tmp_path / "missing.mp4"))


def test_bad_upload_clear_error_no_path_and_deleted(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("just some text, not a video")
    up = _upload_copy(src, "holiday.mp4")
    built = []
    engine = LazyEngine(lambda: built.append(1))
    md, state, msg = suggest(engine, str(up), None)
    assert md.startswith("**Could not use this file.**") and "mp4, webm or mov" in msg and state is None
    assert str(upload_root()) not in md and "/" not in msg
    assert not up.exists() and not up.parent.exists()  # the upload is gone after the check
    assert built == []  # nothing was loaded for a bad file


def test_unprepared_music_model_says_how_to_prepare(video, tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_HOME", str(tmp_path / "empty-home"))
    factory = default_engine_factory("tiny", llm="tiny")
    assert factory.missing()
    engine = LazyEngine(factory)
    up = _upload_copy(Path(video), "clip.mp4")
    md, state, msg = suggest(engine, str(up), None)
    assert "not prepared" in md and "crs music train --config tiny" in md and state is None
    assert not engine.built and not up.exists()


def test_upload_over_the_limit_is_refused_before_it_is_kept(tmp_path):
    """Gradio's max_file_size (set by `serve`) refuses the upload while it streams in: nothing is kept."""
    import requests

    from apps.gradio_app import build_app, serve

    demo = build_app(lambda: None)
    port = _free_port()
    serve(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, max_upload="1mb")
    before = set(upload_root().rglob("*")) if upload_root().exists() else set()
    try:
        big = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (3 << 20)
        r = requests.post(f"http://127.0.0.1:{port}/gradio_api/upload", files={"files": ("big.mp4", big)}, timeout=60)
        assert r.status_code == 413, r.text[:200]
        small = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 1000
        r = requests.post(f"http://127.0.0.1:{port}/gradio_api/upload", files={"files": ("small.mp4", small)},
                          timeout=60)
        assert r.status_code == 200, r.text[:200]
    finally:
        demo.close()
    after = set(upload_root().rglob("*"))
    assert not [p for p in after - before if p.name == "big.mp4"]
