"""Video-to-music mode (MuseChat-style): a video in, a MusicCaps piece with a grounded reason out,
refined from the user's feedback by a trained fusion scorer. See docs/music.md.

Modules: attributes (lexicon, negation), catalogue (clips, vectors, tags), audio (user files via
librosa), vision (EfficientNet-Lite0), video (PyAV decoding and the video profile), feedback
(synthesised turn-2 queries, clip split), scorer (turn 1 and the fusion scorer), train, explain,
session (the two-turn flow), config, synthetic (test videos). Importing this package loads nothing.
"""
