"""Video analysis on synthetic videos written here with PyAV, and bad input (no crash, clear message,
nothing written)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crs.music.synthetic import make_audio, make_video
from crs.music.video import VideoConfig, VideoError, analyze_video

NO_CNN = VideoConfig(use_cnn=False)


def test_bright_video_is_brighter_and_happier_than_dark(tmp_path):
    bright = analyze_video(make_video(tmp_path / "bright.mp4", brightness=0.95), NO_CNN)
    dark = analyze_video(make_video(tmp_path / "dark.mp4", brightness=0.12), NO_CNN)
    assert bright.brightness > dark.brightness + 0.3
    assert bright.valence > dark.valence
    assert "bright" in bright.text and "dark" in dark.text


def test_fast_moving_video_has_more_motion_and_energy_than_still(tmp_path):
    still = analyze_video(make_video(tmp_path / "still.mp4", speed=0), NO_CNN)
    moving = analyze_video(make_video(tmp_path / "moving.mp4", speed=8), NO_CNN)
    cuts = analyze_video(make_video(tmp_path / "cuts.mp4", speed=8, cut_every_s=0.5, seconds=4), NO_CNN)
    assert still.motion < 0.01 < moving.motion
    assert still.energy < moving.energy < cuts.energy
    assert cuts.cut_rate > still.cut_rate == 0
    assert "mood:calm" in still.suggested_tags and "mood:energetic" in cuts.suggested_tags


@pytest.mark.parametrize("suffix", [".mp4", ".webm", ".mov"])
def test_containers_decode(tmp_path, suffix):
    p = analyze_video(make_video(tmp_path / f"v{suffix}", seconds=1.5, audio=suffix == ".mp4"), NO_CNN)
    assert p.n_samples >= 4 and 1.0 < p.duration_s < 2.5


def test_image_model_labels_frames(tmp_path):
    p = analyze_video(make_video(tmp_path / "v.mp4", seconds=1.0), VideoConfig(cnn_frames=2))
    assert len(p.labels) == 5 and all(0 <= prob <= 1 for _, prob in p.labels)
    assert p.feature is not None and p.feature.shape == (1280,)


def _bad_inputs(d: Path) -> dict[str, tuple[Path, VideoConfig, str]]:
    good = make_video(d / "good.mp4", seconds=1.0)
    (d / "notes.mp4").write_text("this is not a video")
    (d / "empty.mp4").write_bytes(b"")
    data = good.read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 3])
    audio = make_audio(d / "song.m4a", seconds=1.0)
    return {
        "not a video": (d / "notes.mp4", NO_CNN, "not a video file or it is corrupted"),
        "zero-length": (d / "empty.mp4", NO_CNN, "empty (0 bytes)"),
        "corrupted": (d / "truncated.mp4", NO_CNN, "corrupted"),
        "audio-only": (audio, NO_CNN, "no video track"),
        "too large": (good, VideoConfig(use_cnn=False, max_mb=0.001), "the limit is 0.001 MB"),
        "missing": (d / "nope.mp4", NO_CNN, "No such file"),
    }


def test_bad_input_gives_clear_message_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = _bad_inputs(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for name, (path, cfg, msg) in cases.items():
        with pytest.raises(VideoError) as exc:
            analyze_video(path, cfg)
        assert msg in str(exc.value), (name, str(exc.value))
        assert "Traceback" not in str(exc.value)
    assert sorted(os.listdir(tmp_path)) == before


def test_config_validation():
    with pytest.raises(ValueError):
        VideoConfig(max_mb=0)
