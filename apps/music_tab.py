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
import threading
from typing import Callable

import gradio as gr

log = logging.getLogger(__name__)

NO_PICK = "_Upload a video (mp4, webm or mov) and press **Suggest music**._"
NO_REFINED = "_Tell me what you would prefer (\"more upbeat, no vocals\", \"not jazz\") and press **Refine**._"


class LazyEngine:
    """Builds the music engine once, on first use, even under concurrent requests."""

    def __init__(self, factory: Callable):
        self._factory, self._engine, self._lock = factory, None, threading.Lock()

    @property
    def built(self) -> bool:
        return self._engine is not None

    def get(self):
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = self._factory()
        return self._engine


def default_engine_factory(config: str = "default", llm: str | None = None) -> Callable:
    def build():
        from crs.music.session import MusicEngine

        return MusicEngine.shared(config, llm=llm)

    return build


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
    state = MusicState()
    try:
        pick = engine.get().start(state, path)
    except VideoError as e:
        return f"**Could not use this file.** {e}", None, str(e)
    except Exception as e:  # never crash the UI
        log.exception("video-to-music turn 1 failed")
        return f"**Something went wrong on my side** ({type(e).__name__}: {e}).", None, str(e)
    return _profile_line(state) + pick.markdown(), state, ""


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
                video = gr.Video(label="Your video", sources=["upload"])
                go = gr.Button("Suggest music", variant="primary")
                feedback = gr.Textbox(label="What would you prefer?", placeholder="more upbeat, no vocals", lines=1)
                again = gr.Button("Refine")
            with gr.Column(scale=3):
                gr.Markdown("### Suggested music")
                pick_md = gr.Markdown(NO_PICK)
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
