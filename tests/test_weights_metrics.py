"""Each released model, installed as `crs prepare` installs it, reproduces the metric recorded in
weights/manifest.json on its fixed small subset (eval/weights_metrics.py)."""

from __future__ import annotations

import pytest

from crs import release as R

MANIFEST = R.read_manifest()
TOLERANCE = {"rec": 1e-6, "music": 1e-6, "sat": 1e-4, "ilm": 2e-3}  # ilm: relative (LLM matmuls differ by CPU)


def _data_available() -> bool:
    try:
        from crs.paths import data_dir

        data_dir()
        return True
    except FileNotFoundError:
        return False


pytestmark = pytest.mark.skipif(not _data_available(), reason="no data directory ($CRS_DATA)")


@pytest.mark.parametrize("kind", sorted(MANIFEST["artefacts"]))
def test_released_model_reproduces_its_recorded_subset_metric(kind, tmp_path):
    from eval.weights_metrics import subset_metric

    entry = MANIFEST["artefacts"][kind]
    if kind == "ilm":
        from crs.llm.smollm import is_converted

        if not is_converted():
            pytest.skip("SmolLM2 not converted yet (`crs prepare`)")
    installed = R.install(kind, home=tmp_path / "home")
    got = subset_metric(kind, installed.path)
    want = entry["metrics"]["subset"]
    assert got["name"] == want["name"]
    if kind == "ilm":
        assert got["value"] == pytest.approx(want["value"], rel=TOLERANCE[kind])
    else:
        assert got["value"] == pytest.approx(want["value"], abs=TOLERANCE[kind])
