"""`crs prepare` with released weights: installed into $CRS_HOME, a corrupt file is named on one line
and that model falls back (training, or running without it) with a visible notice."""

from __future__ import annotations

import shutil

import pytest

from apps import prepare as P
from crs import release as R

RELEASED = sorted(R.read_manifest()["artefacts"])
TRAINABLE = [k for k in RELEASED if k in P.TRAINED_HERE]  # what prepare trains itself as a fallback


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    root = tmp_path / "weights"
    shutil.copytree(R.WEIGHTS_DIR, root)
    monkeypatch.setattr(R, "WEIGHTS_DIR", root)
    monkeypatch.setenv("CRS_HOME", str(tmp_path / "home"))
    return root


def test_prepare_installs_every_released_model(scratch, tmp_path, capsys):
    timings = {}
    status = P.install_released(tuple(RELEASED), timings)
    assert status == {k: "installed" for k in RELEASED}
    assert "weights install" in timings
    for kind in RELEASED:
        assert R.installed_release(tmp_path / "home" / R.KINDS[kind].install_to)
    assert P.install_released(tuple(RELEASED)) == {k: "current" for k in RELEASED}


def test_a_corrupt_release_is_named_on_one_line_and_falls_back(scratch, capsys):
    kind = TRAINABLE[0]
    entry = R.read_manifest()["artefacts"][kind]
    name = sorted(entry["files"])[0]
    (scratch / entry["folder"] / name).write_bytes(b"broken")
    status = P.install_released((kind,))
    assert status[kind] == "failed"
    lines = [line for line in capsys.readouterr().out.splitlines() if "ERROR" in line]
    assert len(lines) == 1 and name in lines[0] and kind in lines[0]
    assert P._needs_training(kind, retrain=False)  # prepare then trains it (or the app uses a fallback)


def test_retrain_replaces_only_released_installs(scratch, tmp_path):
    kind = TRAINABLE[0]
    P.install_released((kind,))
    assert not P._needs_training(kind, retrain=False)
    assert P._needs_training(kind, retrain=True)  # a released install is retrained with --retrain
    local = tmp_path / "home" / R.KINDS[kind].install_to
    (local / R.MARKER).unlink()  # now it looks locally trained: kept
    assert not P._needs_training(kind, retrain=True)


def test_an_artefact_not_released_is_a_notice_not_an_error(scratch, capsys):
    manifest = R.read_manifest(scratch)
    kind = RELEASED[0]
    del manifest["artefacts"][kind]
    R.write_manifest(manifest, scratch)
    assert P.install_released((kind,)) == {kind: "not released"}
    out = capsys.readouterr().out
    assert "NOTICE" in out and "ERROR" not in out
