"""The `crs` command: help for every sub-command, argument errors, and a scripted chat."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from apps.cli import build_parser, main

SUBCOMMANDS = [
    [],
    ["data"],
    ["data", "check"],
    ["eval"],
    ["eval", "rec"],
    ["eval", "link"],
    ["eval", "conv"],
    ["eval", "music"],
    ["music"],
    ["music", "recommend"],
    ["music", "train"],
    ["eval", "sat"],
    ["eval", "simulate"],
    ["chat"],
    ["app"],
    ["prepare"],
    ["train"],
    ["train", "rec"],
    ["train", "ilm"],
    ["train", "sat"],
    ["bench"],
    ["bench", "rec"],
    ["bench", "app"],
    ["feedback"],
    ["feedback", "export"],
    ["weights"],
    ["weights", "verify"],
    ["weights", "install"],
    ["weights", "release"],
]


@pytest.mark.parametrize("argv", SUBCOMMANDS, ids=lambda a: " ".join(a) or "crs")
def test_help_exits_0(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: crs")


def test_every_subcommand_is_covered_by_the_help_test():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {a[0] for a in SUBCOMMANDS if a}


@pytest.mark.parametrize(
    "argv",
    [[], ["data"], ["frobnicate"], ["eval", "rec", "--model", "no-such-model"], ["eval", "rec", "--split", "train"],
     ["eval", "rec", "--protocol", "kbrd"], ["chat", "--unknown-flag"]],
    ids=lambda a: " ".join(a) or "no-args",
)
def test_bad_arguments_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: crs" in err and "error:" in err


def test_console_script_entry_point():
    exe = Path(sys.executable).with_name("crs")
    if not exe.exists():
        pytest.skip("the crs console script is not installed in this environment")
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "data" in res.stdout and "chat" in res.stdout and "eval" in res.stdout


def test_llm_hf_without_model_dir_is_a_clear_error(real_data):
    with pytest.raises(SystemExit, match="--model-dir"):
        main(["chat", "--llm", "hf", "-m", "hi"])


def test_chat_prints_numbered_cards(real_data, capsys):
    assert main(["chat", "--llm", "tiny", "--recommender", "popularity", "-m", "I loved The Shining"]) == 0
    out = capsys.readouterr().out
    assert "you> I loved The Shining" in out
    numbered = re.findall(r"^\s+(\d+)\. (.+?) \[(.*?)\] - (.+)$", out, flags=re.M)
    assert [n for n, *_ in numbered] == ["1", "2", "3"], out
    assert all(reason.strip() for *_, reason in numbered)
    assert "The Shining (1980)" not in [title for _, title, _, _ in numbered]
    # The tiny model's gibberish never reaches the terminal: the reply is the grounded fallback.
    reply = out.split("bot> ", 1)[1]
    from crs.dialogue.prompt import LEADS

    assert any(reply.startswith(t.split("{d}")[0] + numbered[0][1]) for t in LEADS), reply
    assert "\ufffd" not in out


def test_chat_two_messages_keep_state_and_report_bad_input(real_data, capsys):
    assert main(["chat", "--llm", "tiny", "--recommender", "popularity", "-m", "", "-m", 'I loved "Blorgon Quest 3"']) == 0
    out = capsys.readouterr().out
    assert "[warning] Please type a message" in out
    assert "[warning] I couldn't find 'Blorgon Quest 3'" in out
    assert "Traceback" not in out


def test_chat_with_missing_data_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CRS_DATA", str(tmp_path / "nowhere"))
    assert main(["chat", "--llm", "tiny", "--recommender", "popularity", "-m", "hi"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: data directory not found") and "Traceback" not in err


def test_auto_recommender_without_the_kg_checkpoint_says_so(tmp_path, monkeypatch):
    from crs.dialogue.factory import fallback_notice, resolve_recommender
    from crs.recommenders.kg import default_checkpoint

    monkeypatch.setenv("CRS_HOME", str(tmp_path))
    assert resolve_recommender("auto") == "text"
    notice = fallback_notice("auto")
    assert notice and "crs prepare" in notice and str(tmp_path) in notice
    assert fallback_notice("popularity") is None  # an explicit choice needs no warning
    default_checkpoint().mkdir(parents=True)
    (default_checkpoint() / "config.json").write_text("{}")
    assert resolve_recommender("auto") == "kg" and fallback_notice("auto") is None


def test_chat_prints_the_fallback_warning(real_data, monkeypatch, capsys):
    import crs.dialogue.factory as factory

    monkeypatch.setattr(factory, "fallback_notice", lambda name: "the trained KG recommender is not installed")
    assert main(["chat", "--llm", "tiny", "--recommender", "popularity", "-m", "hi"]) == 0
    assert "[warning] the trained KG recommender is not installed" in capsys.readouterr().err
