"""The app's status line names the served recommender, adapter and LLM and where each came from."""

from __future__ import annotations

import json
from types import SimpleNamespace

from apps.models_status import models_line
from crs import release as R


def test_status_line_names_models_and_their_origin(tmp_path):
    rec_dir, ad_dir = tmp_path / "kg-default", tmp_path / "cpu-stage2"
    rec_dir.mkdir()
    ad_dir.mkdir()
    (rec_dir / "config.json").write_text("{}")
    (rec_dir / R.MARKER).write_text(json.dumps({"release": "0123456789abcdef"}))
    (ad_dir / "adapter_config.json").write_text("{}")
    manager = SimpleNamespace(rec=SimpleNamespace(name="kg", path=rec_dir),
                              ilm=SimpleNamespace(runtime=SimpleNamespace(adapter_path=ad_dir)),
                              llm=SimpleNamespace(backend=SimpleNamespace(name="hf", model_dir=tmp_path / "smollm2-135m-instruct")))
    line = models_line(manager)
    assert "recommender **kg** (released 01234567)" in line
    assert "adapter **cpu-stage2** (trained locally)" in line
    assert "LLM **hf** (smollm2-135m-instruct)" in line
    bare = models_line(SimpleNamespace(rec=SimpleNamespace(name="text"), ilm=None, llm=SimpleNamespace(name="tiny")))
    assert bare == "Models: recommender **text** · adapter **none** · LLM **tiny**"
