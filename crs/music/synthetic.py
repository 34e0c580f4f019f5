"""Synthetic videos written with PyAV, for tests and the latency benchmark (no video data ships here)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

CODECS = {".mp4": "libx264", ".mov": "mpeg4", ".webm": "libvpx", ".mkv": "libx264"}


def make_video(path: str | os.PathLike, *, seconds: float = 2.0, fps: int = 12, size: tuple[int, int] = (160, 96),
               brightness: float = 0.5, colour: tuple[float, float, float] = (1.0, 0.6, 0.3), speed: float = 0.0,
               cut_every_s: float = 0.0, audio: bool = False, seed: int = 0) -> Path:
    """Write a video: a textured scene at ``brightness`` (0..1) tinted by ``colour``, scrolling at
    ``speed`` pixels per frame, switching to a different scene every ``cut_every_s`` seconds."""
    import av

    path = Path(path)
    rng = np.random.default_rng(seed)
    w, h = size
    n = max(1, int(round(seconds * fps)))
    # Blocky low-frequency scenes: they survive compression, so motion and cuts stay measurable.
    bh, bw = max(h // 8, 1), max(w // 8, 1)
    scenes = [np.kron(rng.random((h // bh + 1, 2 * w // bw + 1)), np.ones((bh, bw)))[:h, :2 * w] for _ in range(4)]
    tint = np.array(colour, dtype=np.float32)
    with av.open(str(path), mode="w") as out:
        vs = out.add_stream(CODECS.get(path.suffix.lower(), "libx264"), rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.bit_rate = 2_000_000
        if audio:
            ast = out.add_stream("aac", rate=22050)
        for i in range(n):
            k = int(i / (cut_every_s * fps)) % len(scenes) if cut_every_s > 0 else 0
            shift = int(i * speed) % w
            # scenes differ in light and texture, so motion is visible
            grey = (0.3 + 0.7 * scenes[k][:, shift:shift + w]) * (1.0 - 0.3 * (k % 2))
            img = np.clip(grey[..., None] * tint * brightness * 255 / max(tint.max(), 1e-6), 0, 255).astype(np.uint8)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if audio:
            _write_tone(out, ast, seconds)
    return path


def make_audio(path: str | os.PathLike, *, seconds: float = 2.0, freq: float = 440.0, bpm: float = 0.0,
               loud: float = 0.5, rate: int = 22050) -> Path:
    """Write an audio-only file (a tone, optionally with clicks at ``bpm``); .m4a/.mp4 get AAC, .wav PCM."""
    import av

    path = Path(path)
    codec = "pcm_s16le" if path.suffix.lower() == ".wav" else "aac"
    with av.open(str(path), mode="w") as out:
        ast = out.add_stream(codec, rate=rate)
        _write_tone(out, ast, seconds, freq=freq, bpm=bpm, loud=loud)
    return path


def _write_tone(out, stream, seconds: float, freq: float = 440.0, bpm: float = 0.0, loud: float = 0.3) -> None:
    import av

    rate = stream.rate or 22050
    t = np.arange(int(seconds * rate)) / rate
    sig = loud * np.sin(2 * np.pi * freq * t)
    if bpm > 0:  # short noise bursts on the beat
        beat = (t % (60.0 / bpm)) < 0.03
        sig = sig * 0.3 + beat * loud * np.random.default_rng(0).uniform(-1, 1, t.size)
    pcm = (np.clip(sig, -1, 1) * 32767).astype(np.int16)
    chunk = 1024
    for start in range(0, pcm.size, chunk):
        part = pcm[start:start + chunk]
        frame = av.AudioFrame.from_ndarray(part[None, :], format="s16", layout="mono")
        frame.rate = rate
        for pkt in stream.encode(frame):
            out.mux(pkt)
    for pkt in stream.encode():
        out.mux(pkt)
