"""Run directories, resumable logs and result files (eval/rundir.py, eval/report.py)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from eval.report import bar_plot, flatten, line_plot, markdown_table, write_results
from eval.rundir import JsonlLog, make_run_dir, package_versions, run_metadata

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_make_run_dir(tmp_path):
    d = make_run_dir(None, "redial", root=tmp_path / "runs")
    assert d == tmp_path / "runs" / f"{dt.date.today().isoformat()}-redial"
    assert d.is_dir()
    explicit = make_run_dir(tmp_path / "mine", "ignored")
    assert explicit == tmp_path / "mine" and explicit.is_dir()
    assert make_run_dir(explicit, "again") == explicit  # reuse for resuming


def test_run_metadata(tmp_path):
    meta = run_metadata(7, {"k": [1, 10]}, cwd=tmp_path)  # tmp_path is not a git repo
    assert meta["git_sha"] == "unknown"
    assert meta["seed"] == 7 and meta["config"] == {"k": [1, 10]}
    assert set(meta["packages"]) >= {"torch", "transformers", "sentence-transformers", "numpy", "networkx", "gradio", "datasets"}
    assert meta["packages"]["numpy"] == np.__version__
    assert dt.datetime.fromisoformat(meta["timestamp"]).tzinfo is not None
    assert meta["python"] and meta["platform"]
    json.dumps(meta)  # serialisable as is
    assert package_versions(("no-such-package-xyz",)) == {"no-such-package-xyz": None}


def test_jsonl_log_resume_after_truncated_line(tmp_path):
    path = tmp_path / "log.jsonl"
    log = JsonlLog(path)
    for i in range(3):
        log.append({"id": i, "score": np.float32(0.5) * i})
    assert log.done_keys("id") == {0, 1, 2}
    # an interrupted write leaves half a record without its newline
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": 3, "sco')
    log = JsonlLog(path)
    assert log.dropped_partial
    assert log.done_keys("id") == {0, 1, 2}
    assert path.read_bytes().endswith(b"}\n")
    todo = [i for i in range(5) if i not in log.done_keys("id")]
    assert todo == [3, 4]
    for i in todo:
        log.append({"id": i})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == [0, 1, 2, 3, 4]
    assert JsonlLog(path).records()[1] == {"id": 1, "score": 0.5}
    assert not JsonlLog(path).dropped_partial


def test_jsonl_log_tail_without_newline_is_dropped(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"id": 0}\n{"id": 1}', encoding="utf-8")  # newline never written
    log = JsonlLog(path)
    assert log.done_keys("id") == {0}
    assert path.read_text(encoding="utf-8") == '{"id": 0}\n'


def test_jsonl_log_rejects_corruption_in_the_middle(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"id": 0}\n{"id": \n{"id": 2}\n', encoding="utf-8")
    with pytest.raises(ValueError):
        JsonlLog(path)


def test_markdown_table():
    rows = [{"model": "popularity", "recall@1": 0.012345}, {"model": "kg", "recall@1": 0.5, "n": 3}]
    assert markdown_table(rows, ["model", "recall@1"]) == (
        "| model | recall@1 |\n|---|---|\n| popularity | 0.0123 |\n| kg | 0.5000 |"
    )
    assert markdown_table(rows).splitlines()[0] == "| model | recall@1 | n |"
    assert markdown_table(rows, ["model", "n"], digits=3).splitlines()[2] == "| popularity |  |"


def test_write_results(tmp_path):
    metrics = {
        "crslab": {"recall@1": np.float64(0.123456), "ndcg@10": 0.25, "count": np.int64(40)},
        "new_item": {"recall@1": float("nan")},
    }
    meta = run_metadata(0, {"model": "popularity"}, cwd=tmp_path)
    rows = [{"model": "popularity", "recall@1": 0.1}]
    json_path, md_path = write_results(tmp_path / "run", metrics, meta, "ReDial recommendation", table_rows=rows)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["title"] == "ReDial recommendation"
    assert data["metrics"]["crslab"] == {"recall@1": 0.123456, "ndcg@10": 0.25, "count": 40}
    assert data["metrics"]["new_item"]["recall@1"] is None  # nan -> null, strict JSON
    assert data["meta"]["seed"] == 0 and data["meta"]["config"] == {"model": "popularity"}
    assert data["table"] == rows
    md = md_path.read_text(encoding="utf-8")
    assert md.startswith("# ReDial recommendation\n")
    assert "| crslab/recall@1 | 0.1235 |" in md
    assert "| crslab/count | 40 |" in md
    assert "| new_item/recall@1 | nan |" in md
    assert "| popularity | 0.1000 |" in md
    assert "- seed: 0" in md and "git: `unknown`" in md
    assert flatten({"a": {"b": {"c": 1}}}) == {"a/b/c": 1}


def test_plots(tmp_path):
    p = bar_plot(tmp_path / "bar.png", ["a", "b", "c"], [0.1, 0.3, 0.2], title="t", ylabel="recall@10", errors=[0.01, 0.02, 0.01])
    assert p.read_bytes()[:8] == PNG_MAGIC
    q = line_plot(tmp_path / "sub" / "line.png", [1, 2, 3], {"kg": [0.1, 0.2, 0.3], "pop": [0.1, 0.1, 0.1]}, xlabel="turn")
    assert q.read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError):
        bar_plot(tmp_path / "x.png", ["a"], [1.0, 2.0])
