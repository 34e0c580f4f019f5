"""Dataset loaders on the real data, and on corrupted copies of it ($CRS_DATA switched per test)."""

from __future__ import annotations

import json
import random

import pytest
from conftest import append_line, replace_line

from apps.cli import main
from crs.data.check import EXPECTED, check_all
from crs.data.errors import DataError, SkipLog
from crs.data.movies import split_title
from crs.data.redial import load_redial, split_ids
from crs.data.tmdkg import load_tmdkg
from crs.paths import DataDirError, data_dir

# --------------------------------------------------------------------------- real data: counts


@pytest.fixture(scope="module")
def reports(real_data):
    return {r.name: r for r in check_all()}


def test_check_all_ok_on_real_data(reports):
    assert set(reports) == set(EXPECTED)
    for name, rep in reports.items():
        assert rep.ok, f"{name}: {rep.errors}"
        assert rep.skipped.total == 0, f"{name}: {rep.skipped.summary()}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loader_counts_equal_expected(reports, name):
    counts = reports[name].counts
    for key, want in EXPECTED[name].items():
        assert counts.get(key) == want, f"{name} {key}: got {counts.get(key)}, expected {want}"


def test_redial_and_tmdkg_loaders_directly(real_data, tmdkg, catalog):
    log = SkipLog()
    assert len(load_redial("train_full", log)) == 3047
    assert len(load_redial("test", log)) == 1342
    assert log.total == 0
    assert len(tmdkg.id2names) == 15602
    assert len(tmdkg.relations) == 16
    assert tmdkg.triples.shape == (295764, 3)
    assert len(catalog.by_redial) == 6924


def test_cli_data_check_prints_counts_and_returns_0(real_data, capsys):
    assert main(["data", "check"]) == 0
    out = capsys.readouterr().out
    assert "all datasets ok" in out
    assert "train dialogues 3,047" in out and "test dialogues 1,342" in out
    assert "triples 295,764" in out and "clips 5,521" in out
    assert "FAILED" not in out


# --------------------------------------------------------------------------- splits


@pytest.fixture(scope="module")
def splits(real_data):
    return {s: load_redial(s) for s in ("train", "valid", "test", "train_full")}


def test_train_valid_split_sizes_disjoint_and_cover_train(splits):
    train = {d.id for d in splits["train"]}
    valid = {d.id for d in splits["valid"]}
    full = {d.id for d in splits["train_full"]}
    assert (len(train), len(valid)) == (2742, 305)
    assert len(train) + len(valid) == 3047
    assert not train & valid
    assert train | valid == full


def test_split_is_deterministic_and_order_independent(splits):
    ids = [d.id for d in splits["train_full"]]
    first = split_ids(ids)
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert split_ids(shuffled) == first
    assert {d.id for d in load_redial("valid")} == {d.id for d in splits["valid"]}
    # A different seed gives a different (but equally sized) validation set.
    other = split_ids(ids, seed=99)
    assert len(other[1]) == len(first[1]) and other[1] != first[1]


def test_test_split_never_overlaps_train(splits):
    test = {d.id for d in splits["test"]}
    assert len(test) == 1342
    assert not test & {d.id for d in splits["train_full"]}


def test_unknown_split_raises(real_data):
    with pytest.raises(ValueError, match="unknown split"):
        load_redial("dev")


def test_dialogue_turns_merge_and_mentions(splits):
    d = splits["train_full"][0]
    assert d.id == "395"
    roles = [t.role for t in d.messages]
    assert roles[0] == "seeker"
    assert all(a != b for a, b in zip(roles, roles[1:])), "consecutive messages by one speaker are merged"
    assert d.messages[0].movies == ["196336"]
    assert "196336" in d.mentions


# --------------------------------------------------------------------------- titles and catalogue


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Scarface  (1983)", ("Scarface", 1983)),
        ("The Godfather ", ("The Godfather", None)),
        ("Star Wars: Episode II – Attack of the Clones (2002)", ("Star Wars: Episode II – Attack of the Clones", 2002)),
        ("Blade Runner 2049 (2017)", ("Blade Runner 2049", 2017)),
        ("2001: A Space Odyssey (1968)", ("2001: A Space Odyssey", 1968)),
        ("1917", ("1917", None)),
        ("  Up   (2009) ", ("Up", 2009)),
        ("Se7en", ("Se7en", None)),
    ],
)
def test_split_title(name, expected):
    assert split_title(name) == expected


def test_catalogue_aliases_map_several_redial_ids_to_one_item(catalog):
    assert len(catalog) == 6730
    aliased = [m for m in catalog.movies if len(m.redial_ids) > 1]
    assert aliased
    assert sum(len(m.redial_ids) - 1 for m in catalog.movies) == 6924 - 6730
    for m in aliased[:50]:
        items = {catalog.item_of(rid) for rid in m.redial_ids}
        assert items == {m.item}
        assert all(catalog.get(rid) is m for rid in m.redial_ids)
    # Dense item ids, one movie per TMDKG entity.
    assert [m.item for m in catalog.movies] == list(range(len(catalog)))
    assert len(catalog.by_entity) == len(catalog)


def test_catalogue_metadata_and_unknown_id(catalog, shining):
    assert "Stanley Kubrick" in shining.directors
    assert shining.display == "The Shining (1980)"
    assert "horror" in [g.lower() for g in shining.genres]
    assert catalog.item_of("does-not-exist") is None
    with pytest.raises(KeyError, match="unknown movie id"):
        catalog.get("does-not-exist")


# --------------------------------------------------------------------------- corrupted copies


def _train_path():
    return data_dir() / "redial" / "train.jsonl"


def test_malformed_json_line_is_skipped_and_reported_with_file_and_line(data_copy):
    data_copy({"redial/train.jsonl": replace_line(5, '{"conversationId": "426", "messages": [')})
    log = SkipLog()
    dialogues = load_redial("train_full", log)
    assert len(dialogues) == 3046
    assert "426" not in {d.id for d in dialogues}
    assert log.total == 1
    assert f"{_train_path()}:5: malformed JSON" in log.summary()


def test_malformed_json_line_in_strict_mode_raises_data_error(data_copy):
    data_copy({"redial/train.jsonl": replace_line(5, "{not json")})
    with pytest.raises(DataError) as exc:
        load_redial("train_full", SkipLog(strict=True))
    assert exc.value.path == str(_train_path())
    assert exc.value.line == 5
    assert str(exc.value).startswith(f"{_train_path()}:5:")


def test_missing_field_is_skipped_with_its_name(data_copy, real_data):
    line7 = json.loads((real_data / "redial" / "train.jsonl").read_text().split("\n")[6])
    del line7["messages"]
    data_copy({"redial/train.jsonl": replace_line(7, json.dumps(line7))})
    log = SkipLog()
    assert len(load_redial("train_full", log)) == 3046
    assert log.total == 1
    assert "train.jsonl:7: missing field: messages" in log.summary()
    with pytest.raises(DataError, match=r"train\.jsonl:7: missing field: messages"):
        load_redial("train_full", SkipLog(strict=True))


def test_message_without_sender_is_skipped(data_copy, real_data):
    obj = json.loads((real_data / "redial" / "train.jsonl").read_text().split("\n")[2])
    del obj["messages"][0]["senderWorkerId"]
    data_copy({"redial/train.jsonl": replace_line(3, json.dumps(obj))})
    log = SkipLog()
    assert len(load_redial("train_full", log)) == 3046
    assert "train.jsonl:3: malformed messages" in log.summary()


def test_triple_with_unknown_entity_is_skipped(data_copy, real_data):
    n_lines = (real_data / "tmdkg" / "triples.tsv").read_text().count("\n")
    root = data_copy({"tmdkg/triples.tsv": append_line("0\t0\t999999")})
    log = SkipLog()
    kg = load_tmdkg(log)
    assert kg.triples.shape == (295764, 3)
    assert log.total == 1
    assert f"{root / 'tmdkg' / 'triples.tsv'}:{n_lines + 1}: unknown entity id: 999999" in log.summary()
    with pytest.raises(DataError, match=rf"triples\.tsv:{n_lines + 1}: unknown entity id"):
        load_tmdkg(SkipLog(strict=True))


def test_triple_with_unknown_relation_or_bad_fields_is_skipped(data_copy):
    data_copy({"tmdkg/triples.tsv": append_line("0\t99\t1\n0\tx\t1\n0\t1")})
    log = SkipLog()
    assert load_tmdkg(log).triples.shape == (295764, 3)
    assert log.total == 3
    assert log.counts == {"triples.tsv: unknown relation id": 1, "triples.tsv: malformed triple": 2}
    assert "unknown relation id: 99" in log.summary() and "non-integer field" in log.summary()


def test_check_reports_corrupt_dataset_and_cli_exits_1(data_copy, capsys):
    data_copy({"redial/train.jsonl": replace_line(5, "{not json")})
    reports = {r.name: r for r in check_all()}
    assert not reports["redial"].ok
    errors = " ".join(reports["redial"].errors)
    assert "train dialogues: found 3046, expected 3047" in errors
    assert "sha256 differs" in errors
    assert reports["musiccaps"].ok and reports["uss"].ok
    assert main(["data", "check", "--strict", "--no-hash"]) == 1
    out = capsys.readouterr().out
    assert "redial     FAILED" in out
    assert "train.jsonl:5" in out


def test_missing_data_directory_raises_clear_error(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CRS_DATA", str(missing))
    with pytest.raises(DataDirError) as exc:
        data_dir()
    msg = str(exc.value)
    assert str(missing) in msg and "$CRS_DATA" in msg
    with pytest.raises(DataDirError):
        load_redial("train")


def test_missing_data_directory_cli_exits_2_without_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CRS_DATA", str(tmp_path / "nowhere"))
    assert main(["data", "check"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: data directory not found")
    assert "Traceback" not in captured.err + captured.out


def test_missing_dataset_folder_fails_only_that_dataset(data_copy, capsys):
    data_copy(omit=("musiccaps",))
    reports = {r.name: r for r in check_all(verify_hashes=False)}
    assert not reports["musiccaps"].ok
    assert "missing data file" in " ".join(reports["musiccaps"].errors)
    assert reports["redial"].ok and reports["uss"].ok
    assert main(["data", "check", "--no-hash"]) == 1
    assert "musiccaps  FAILED" in capsys.readouterr().out
