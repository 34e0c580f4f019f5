"""A user's own audio files as catalogue items: librosa features mapped to the catalogue's attributes.

Audio is decoded with PyAV (so mp3, m4a, ogg, flac and wav all work without an ffmpeg binary),
then librosa measures tempo, loudness (RMS), spectral centroid and how percussive the sound is.
Those become the same tags MusicCaps clips have (tempo, energetic / calm, percussion) and a
short description that is embedded like a caption. Vocals cannot be told apart reliably from
these features, so they are left unknown.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from crs.music.attributes import Attributes, energy_valence

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".mp3", ".wav", ".flac", ".ogg", ".m4a", ".aac", ".opus")
SR = 22050


def decode_audio(path: str | Path, max_seconds: float = 60.0) -> np.ndarray:
    """Mono float32 samples at 22,050 Hz (the first ``max_seconds``)."""
    import av

    chunks, total = [], 0
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{Path(path).name} has no audio track")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1)
                chunks.append(arr)
                total += arr.size
            if total >= max_seconds * SR:
                break
    if not chunks:
        raise ValueError(f"{Path(path).name} contains no audio samples")
    return np.concatenate(chunks)[: int(max_seconds * SR)].astype(np.float32)


def audio_features(y: np.ndarray, sr: int = SR) -> dict:
    """Tempo (BPM), loudness (RMS dBFS and 0..1), spectral centroid (Hz), percussive share (0..1)."""
    import librosa

    tempo = float(np.atleast_1d(librosa.beat.beat_track(y=y, sr=sr)[0])[0]) if y.size > sr else 0.0
    rms = float(np.sqrt(np.mean(y ** 2)) + 1e-9)
    db = 20 * np.log10(rms)
    centroid = float(librosa.feature.spectral_centroid(y=y, sr=sr).mean())
    harm, perc = librosa.effects.hpss(y)
    percussive = float(np.sum(perc ** 2) / max(np.sum(harm ** 2) + np.sum(perc ** 2), 1e-9))
    return {"tempo_bpm": round(tempo, 1), "rms_db": round(float(db), 1),
            "loudness": float(np.clip((db + 40) / 30, 0, 1)), "centroid_hz": round(centroid, 0),
            "percussive": round(percussive, 3)}


def features_to_attributes(f: dict) -> tuple[Attributes, str]:
    """Map measured features to catalogue tags and a caption-like description."""
    tags: set[str] = set()
    words = []
    bpm = f["tempo_bpm"]
    if bpm:
        tempo = "slow" if bpm < 90 else "medium" if bpm <= 125 else "fast"
        tags.add(f"tempo:{tempo}")
        words.append(f"{tempo} tempo ({bpm:.0f} BPM)")
    words.append("loud" if f["loudness"] > 0.7 else "quiet" if f["loudness"] < 0.3 else "moderately loud")
    words.append("high-pitched timbre" if f["centroid_hz"] > 3000 else "low-pitched timbre" if f["centroid_hz"] < 1500
                 else "balanced timbre")
    if f["percussive"] > 0.35:
        tags.add("instrument:percussion")
        words.append("strongly percussive")
    energy, valence = energy_valence(tags, loudness=f["loudness"])
    if energy >= 0.65:
        tags.add("mood:energetic")
        words.append("energetic")
    elif energy <= 0.35:
        tags.add("mood:calm")
        words.append("calm")
    energy, valence = energy_valence(tags, loudness=f["loudness"])
    return Attributes(tags, energy, valence), "A piece of music: " + ", ".join(words) + "."


def user_audio_items(folder: str | Path) -> list:
    """Catalogue items for the audio files in ``folder`` (unreadable files are skipped with a warning)."""
    from crs.music.catalogue import MusicItem

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"audio folder not found: {folder}")
    items = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in AUDIO_SUFFIXES:
            continue
        try:
            feats = audio_features(decode_audio(p))
        except Exception as e:  # one bad file must not stop the others
            log.warning("skipping %s: %s", p.name, e)
            continue
        attrs, text = features_to_attributes(feats)
        items.append(MusicItem(id=f"user:{p.name}", caption=text, aspects=[text.rstrip(".").split(": ", 1)[1]],
                               attributes=attrs, url=p.resolve().as_uri(), source="user"))
    return items
