"""Datasets: every bad line reported, all-or-nothing import into a real DuckDB file, idempotence, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.errors import NotFound
from assist.interchange import InvalidFile, validate_file
from assist.store import connect
from eval.dataset import (
    content_hash,
    default_name,
    export_dataset,
    import_dataset,
    list_datasets,
    load_dataset,
    load_named,
    resolve_dataset,
)
from tests.conftest import HARPER_VALLEY

LINES = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def broken_copy(tmp_path: Path) -> Path:
    """Real lines with three kinds of damage on lines 2, 4 and 5."""
    no_turns = json.loads(LINES[1])
    no_turns["conversation"]["turns"] = []
    bad_gold = json.loads(LINES[3])
    bad_gold["gold"]["sentiment"] = "meh"
    return write(
        tmp_path / "calls.jsonl",
        [LINES[0], json.dumps(no_turns), LINES[2], json.dumps(bad_gold), "{oops", LINES[5]],
    )


def test_validate_reports_every_bad_line_with_its_field(tmp_path: Path) -> None:
    found = validate_file(broken_copy(tmp_path))
    assert [(e.line, e.field) for e in found.errors] == [
        (2, "conversation.turns"),
        (4, "gold.sentiment"),
        (5, "line"),
    ]
    assert len(found.records) == len(found.examples) == 3


def test_a_duplicate_id_is_an_error_and_a_marker_past_the_last_turn_a_warning(tmp_path: Path) -> None:
    marked = json.loads(LINES[1])
    marked["gold"]["markers"] = [{"turn": 999, "type": "key_info"}]
    found = validate_file(write(tmp_path / "d.jsonl", [LINES[0], LINES[0], json.dumps(marked)]))
    assert [(e.line, e.field) for e in found.errors] == [(2, "id")]
    assert [(w.line, w.field) for w in found.warnings] == [(3, "gold.markers.0.turn")]
    assert [e.id for e in found.examples] == [json.loads(LINES[0])["id"], marked["id"]]


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    with pytest.raises(InvalidFile, match=r"line 2: conversation\.turns.*2 more problems"):
        load_dataset(broken_copy(tmp_path))
    with connect(tmp_path / "eval.duckdb") as con:
        with pytest.raises(InvalidFile):
            resolve_dataset(con, str(broken_copy(tmp_path)))
        assert list_datasets(con) == []


def test_import_is_idempotent_and_identified_by_name_and_content_hash(tmp_path: Path) -> None:
    dataset = load_dataset(HARPER_VALLEY)
    assert dataset.name == "harper_valley/dev" == default_name(HARPER_VALLEY)
    assert len(dataset) == 61
    with connect(tmp_path / "eval.duckdb") as con:
        assert import_dataset(con, dataset) is True
        assert import_dataset(con, dataset) is False
        assert con.execute("SELECT count(*) FROM eval_examples").fetchone() == (61,)
        # same content with other key order and blank lines: the same dataset
        shuffled = [json.dumps(dict(reversed(list(json.loads(line).items())))) for line in LINES]
        again = load_dataset(write(tmp_path / "dev.jsonl", ["", *shuffled, ""]), name=dataset.name)
        assert again.hash == dataset.hash
        assert import_dataset(con, again) is False
        assert [row[:3] for row in list_datasets(con)] == [("harper_valley/dev", dataset.hash, 61)]


def test_export_round_trips_including_extra_fields(tmp_path: Path) -> None:
    db = tmp_path / "eval.duckdb"
    with connect(db) as con:
        import_dataset(con, load_dataset(HARPER_VALLEY))
    out = tmp_path / "out.jsonl"
    with connect(db) as con:
        assert export_dataset(con, "harper_valley/dev", out) == 61
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert exported == [json.loads(line) for line in LINES]
    # extra fields survive: per-turn emotion, gold task_types, conversation metadata
    assert "emotion" in exported[0]["conversation"]["turns"][0]
    assert "task_types" in exported[0]["gold"]
    assert content_hash(exported) == load_dataset(HARPER_VALLEY).hash


def test_a_name_resolves_to_its_latest_version_or_a_hash_prefix(tmp_path: Path) -> None:
    first = load_dataset(write(tmp_path / "a.jsonl", LINES[:3]), name="calls")
    second = load_dataset(write(tmp_path / "b.jsonl", LINES[:5]), name="calls")
    with connect(tmp_path / "eval.duckdb") as con:
        import_dataset(con, first)
        import_dataset(con, second)
        assert load_named(con, "calls").hash == second.hash
        assert len(load_named(con, f"calls@{first.hash[:8]}")) == 3
        assert resolve_dataset(con, "calls").hash == second.hash
        with pytest.raises(NotFound, match="no dataset 'nope'"):
            resolve_dataset(con, "nope")
        with pytest.raises(FileNotFoundError):
            resolve_dataset(con, str(tmp_path / "missing.jsonl"))
