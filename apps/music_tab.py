"""The app's "Video to music" tab: upload a video, get a piece with its caption, reason and link,
say what you would prefer, get a refined pick.

Importing this module loads nothing heavy: the engine (catalogue vectors, trained scorer, LLM) is
built on the first request, once, and shared; each browser session keeps its own MusicState.

API (for `gradio_client`, stateless):

    client.predict(handle_file("clip.mp4"), "more upbeat, no vocals", api_name="/video_music")
        -> (first pick as markdown, refined pick as markdown ("" without feedback))
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import gradio as gr

log = logging.getLogger(__name__)

NO_PICK = "_Upload a video (mp4, webm or mov) and press **Suggest music**._"
NO_REFINED = "_Tell me what you would prefer (\"more upbeat, no vocals\", \"not jazz\") and press **Refine**._"
NOT_PREPARED = ("**The music model is not prepared on this server yet.** Whoever runs the app can prepare it "
                "once with `crs music train --config {config}` (or `crs prepare`), then restart the app.")
NOT_VIDEO = "This file is not a video I can read: please upload an mp4, webm or mov file."


class LazyEngine:
    """Builds the music engine once, on first use, even under concurrent requests."""

    def __init__(self, factory: Callable):
        self.factory, self._engine, self._lock = factory, None, threading.Lock()

    @property
    def built(self) -> bool:
        return self._engine is not None

    def get(self):
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self.factory()
        return self._engine


class EngineFactory:
    """Builds the shared engine for a config; `missing()` says whether its trained scorer is absent,
    so the tab can say how to prepare it instead of training for minutes inside a request."""

    def __init__(self, config: str = "default", llm: str | None = None):
        self.config, self.llm = config, llm

    def missing(self) -> bool:
        from crs.music.config import load_music_config

        return not (load_music_config(self.config).scorer_dir / "model.safetensors").exists()

    def __call__(self):
        from crs.music.session import MusicEngine

        if self.missing():
            raise NotPrepared(self.config)
        return MusicEngine.shared(self.config, llm=self.llm)


class NotPrepared(RuntimeError):
    """The trained scorer for this config is not in $CRS_HOME."""


def default_engine_factory(config: str = "default", llm: str | None = None) -> EngineFactory:
    return EngineFactory(config, llm)


# ---------------------------------------------------------------------------------------- uploads
_VIDEO_MAGIC = (
    (4, b"ftyp"),  # mp4, m4v, mov (ISO base media)
    (4, b"moov"), (4, b"mdat"), (4, b"wide"), (4, b"free"), (4, b"skip"),  # older QuickTime files
    (0, b"\x1a\x45\xdf\xa3"),  # webm / matroska (EBML)
)


def looks_like_video(path: str) -> bool:
    """Whether the file starts like an mp4, mov or webm container (the content, not the name)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return any(head[at:at + len(magic)] == magic for at, magic in _VIDEO_MAGIC)


def upload_root() -> Path:
    """Where Gradio keeps uploads ($GRADIO_TEMP_DIR, else <tmp>/gradio)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()


def discard_upload(path: str) -> None:
    """Delete an uploaded file (and its per-upload folder) once analysed: uploads are not kept or served."""
    try:
        p = Path(path).resolve()
        if upload_root() not in p.parents:  # only Gradio's copies, never a file a caller passed in-process
            return
        p.unlink(missing_ok=True)
        if p.parent != upload_root() and not any(p.parent.iterdir()):
            p.parent.rmdir()
    except OSError:
        log.warning("could not delete an uploaded file")


def without_paths(message: str, path: str) -> str:
    """An error message with no server path in it: the file's name at most."""
    name = Path(path).name
    message = message.replace(str(path), name).replace(str(Path(path).parent) + os.sep, "")
    return re.sub(r"(?:/[\w.\-]+)+/", "", message)


def _path_of(video) -> str | None:
    if video is None:
        return None
    if isinstance(video, dict):  # gr.Video / gr.File payloads in some Gradio versions
        video = video.get("video") or video.get("path") or video.get("name")
        if isinstance(video, dict):
            video = video.get("path")
    return str(getattr(video, "name", video)) if video else None


def _profile_line(state) -> str:
    p = state.profile
    labels = ", ".join(name for name, _ in p.labels[:3])
    return (f"*Video: {p.summary()} — energy {p.energy:.2f}, valence {p.valence:.2f}"
            + (f"; looks like: {labels}" if labels else "") + "*\n\n")


def suggest(engine: LazyEngine, video, state):
    """Turn 1. Returns (pick markdown, new state, message)."""
    from crs.music.session import MusicState
    from crs.music.video import VideoError

    path = _path_of(video)
    if not path:
        return NO_PICK, state, "Please upload a video first."
    try:
        if not looks_like_video(path):
            return f"**Could not use this file.** {NOT_VIDEO}", None, NOT_VIDEO
        factory = getattr(engine, "factory", None)
        if not engine.built and callable(getattr(factory, "missing", None)) and factory.missing():
            msg = NOT_PREPARED.format(config=factory.config)
            return msg, None, "The music model is not prepared on this server yet."
        state = MusicState()
        try:
            pick = engine.get().start(state, path)
        except VideoError as e:
            msg = without_paths(str(e), path)
            return f"**Could not use this file.** {msg}", None, msg
        except Exception as e:  # never crash the UI
            log.exception("video-to-music turn 1 failed")
            msg = without_paths(f"{type(e).__name__}: {e}", path)
            return f"**Something went wrong on my side** ({msg}).", None, msg
        return _profile_line(state) + pick.markdown(), state, ""
    finally:
        discard_upload(path)


def refine(engine: LazyEngine, feedback: str, state):
    """Turn 2. Returns (refined markdown, state, message)."""
    if state is None or not getattr(state, "picks", None):
        return NO_REFINED, state, "Suggest music for a video first."
    try:
        pick = engine.get().refine(state, feedback or "")
    except Exception as e:
        log.exception("video-to-music refinement failed")
        return f"**Something went wrong on my side** ({type(e).__name__}: {e}).", state, str(e)
    said = f"*You said: “{feedback.strip()}”*\n\n" if (feedback or "").strip() else "*No feedback: video and last pick only.*\n\n"
    return said + pick.markdown(), state, ""


def build_music_tab(engine: LazyEngine) -> None:
    """Lay out the tab inside an open ``gr.Tabs()`` block and wire its events."""
    with gr.Tab("Video to music"):
        mstate = gr.State(None)
        gr.Markdown("Upload a video; I suggest a MusicCaps piece with a reason. Then say what you would prefer.")
        with gr.Row():
            with gr.Column(scale=2):
                video = gr.Video(label="Your video", sources=["upload"], elem_id="crs-video")
                go = gr.Button("Suggest music", variant="primary", elem_id="crs-suggest")
                feedback = gr.Textbox(label="What would you prefer?", placeholder="more upbeat, no vocals", lines=1)
                again = gr.Button("Refine")
            with gr.Column(scale=3):
                gr.Markdown("### Suggested music")
                pick_md = gr.Markdown(NO_PICK, elem_id="crs-music-pick")
                gr.Markdown("### Refined pick")
                refined_md = gr.Markdown(NO_REFINED)
        with gr.Column(visible=False):  # API-only inputs and outputs
            api_video = gr.File(label="video")
            api_feedback = gr.Textbox(label="feedback")
            api_pick = gr.Markdown(label="pick")
            api_refined = gr.Markdown(label="refined")
            api_go = gr.Button("api video music")

    def ui_suggest(v, s):
        md, s, msg = suggest(engine, v, s)
        if msg:
            gr.Warning(msg)
        return md, s, NO_REFINED

    def ui_refine(fb, s):
        md, s, msg = refine(engine, fb, s)
        if msg:
            gr.Warning(msg)
        return md, s, ""

    def video_music(video_file, feedback_text: str):
        """Suggest music for a video and, when feedback is given, refine it; returns (pick, refined) markdown."""
        md, s, msg = suggest(engine, video_file, None)
        if s is None or not (feedback_text or "").strip():
            return md, ""
        md2, _, _ = refine(engine, feedback_text, s)
        return md, md2

    go.click(ui_suggest, [video, mstate], [pick_md, mstate, refined_md], api_name="ui_video_suggest",
             api_visibility="private", concurrency_id="music", concurrency_limit=1)
    for name, trigger in (("ui_video_refine", again.click), ("ui_video_refine_submit", feedback.submit)):
        trigger(ui_refine, [feedback, mstate], [refined_md, mstate, feedback], api_name=name,
                api_visibility="private", concurrency_id="music", concurrency_limit=1)
    api_go.click(video_music, [api_video, api_feedback], [api_pick, api_refined], api_name="video_music",
                 concurrency_id="music", concurrency_limit=1)
