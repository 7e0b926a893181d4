"""Labelled datasets: read and check interchange JSONL, identify it (name + content hash), keep it in DuckDB.

A dataset is content-addressed: its hash covers every record (keys sorted), so re-importing the same
content is a no-op, whatever the key order or blank lines of the file. Records are stored exactly as
read (extra fields included), so ``export`` writes back the same JSONL modulo key order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from assist.errors import NotFound
from assist.interchange import InvalidFile, validate_file
from assist.schema import LabelledExample
from assist.store import Store
from eval._duck import insert_rows

__all__ = [
    "Dataset",
    "content_hash",
    "default_name",
    "export_dataset",
    "from_store",
    "import_dataset",
    "list_datasets",
    "load_by_hash",
    "load_dataset",
    "load_named",
    "resolve_dataset",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS eval_datasets (
    name         VARCHAR NOT NULL,
    hash         VARCHAR NOT NULL,   -- sha256 of the canonical records, see content_hash()
    n            INTEGER NOT NULL,
    source       VARCHAR,            -- the file it was first imported from
    imported_at  TIMESTAMP NOT NULL, -- UTC
    PRIMARY KEY (name, hash)
);
CREATE TABLE IF NOT EXISTS eval_examples (
    dataset_hash  VARCHAR NOT NULL,
    position      INTEGER NOT NULL,  -- 0-based order in the file
    id            VARCHAR NOT NULL,
    record        JSON NOT NULL,     -- the line as read, extra fields included
    PRIMARY KEY (dataset_hash, id)
);
"""


@dataclass(frozen=True)
class Dataset:
    name: str
    hash: str
    examples: list[LabelledExample]
    #: The JSON objects as read, in file order (what ``export`` writes).
    records: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.examples)


def default_name(path: Path) -> str:
    """``parent/stem`` (``datasets/harper_valley/dev.jsonl`` -> ``harper_valley/dev``), or the stem alone."""
    parent = path.resolve().parent.name
    return f"{parent}/{path.stem}" if parent else path.stem


def content_hash(records: list[dict[str, Any]]) -> str:
    """sha256 over the records as canonical JSON (sorted keys, compact), one per line, in order."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def load_dataset(path: Path, *, name: str | None = None) -> Dataset:
    """The dataset in ``path``; :class:`InvalidFile` (first problem and the count) if any line is bad."""
    found = validate_file(path)
    found.raise_first(path)
    if not found.examples:
        raise InvalidFile(f"{path}: no examples")
    return Dataset(
        name=name or default_name(path),
        hash=content_hash(found.records),
        examples=found.examples,
        records=found.records,
    )


@dataclass(frozen=True)
class StoreSnapshot:
    """What :func:`from_store` took: the dataset, and the calls left out because nothing was said in them yet."""

    dataset: Dataset
    without_turns: int


def from_store(store: Store, org_id: str, *, name: str, limit: int = 500) -> StoreSnapshot:
    """The newest ``limit`` conversations of ``org_id`` in the conversation store (DuckDB or PostgreSQL), as an
    unlabelled dataset named ``name``: production calls, evaluated with what needs no gold.

    A call with no turns yet (still ringing) is no example: it is left out and counted. ``NotFound`` when the
    organization has no call with turns. Records are the bare-conversation lines an exported file would hold,
    so the same calls give the same hash whichever store they came from.
    """
    conversations = store.list_conversations(org_id, limit=limit)
    said = [conversation for conversation in conversations if conversation.turns]
    if not said:
        raise NotFound(
            f"organization {org_id!r} has no conversation with turns in the store"
            + (f" ({len(conversations)} without turns yet)" if conversations else "")
        )
    records = [
        {"id": conversation.id, "conversation": conversation.model_dump(mode="json", exclude_none=True)}
        for conversation in reversed(said)  # oldest first, as a file of calls would be written
    ]
    dataset = Dataset(
        name=name,
        hash=content_hash(records),
        examples=[LabelledExample.model_validate(record) for record in records],
        records=records,
    )
    return StoreSnapshot(dataset=dataset, without_turns=len(conversations) - len(said))


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables once; a database that has them is left alone (it may be read-only)."""
    present = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'eval_examples' AND schema_name = 'main'"
    ).fetchone()
    if not present or not present[0]:
        con.execute(_SCHEMA)


def import_dataset(con: duckdb.DuckDBPyConnection, dataset: Dataset, *, source: str | None = None) -> bool:
    """Store ``dataset`` (all or nothing). Returns False when this name and content were already there."""
    _ensure_schema(con)
    exists = con.execute(
        "SELECT 1 FROM eval_datasets WHERE name = ? AND hash = ?", [dataset.name, dataset.hash]
    ).fetchone()
    if exists:
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM eval_examples WHERE dataset_hash = ?", [dataset.hash])
        insert_rows(
            con,
            "eval_examples",
            ("dataset_hash", "position", "id", "record"),
            [
                [dataset.hash, position, example.id, json.dumps(record, ensure_ascii=False)]
                for position, (example, record) in enumerate(
                    zip(dataset.examples, dataset.records, strict=True)
                )
            ],
        )
        con.execute(
            "INSERT INTO eval_datasets VALUES (?, ?, ?, ?, ?)",
            [dataset.name, dataset.hash, len(dataset), source, datetime.now(UTC).replace(tzinfo=None)],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def load_named(
    con: duckdb.DuckDBPyConnection, spec: str, *, short_names: Mapping[str, Path] | None = None
) -> Dataset:
    """``NAME`` (its most recently imported version) or ``NAME@HASH`` (a hash prefix) from the database.

    A short name of ``short_names`` (name -> file) that is not itself stored stands for the name its file is
    stored under (``synthetic`` -> ``synthetic/calls``).
    """
    _ensure_schema(con)
    name, _, prefix = spec.partition("@")
    found = _latest_hash(con, name, prefix)
    if found is None and short_names and name in short_names:
        name = default_name(short_names[name])
        found = _latest_hash(con, name, prefix)
    if found is None:
        raise NotFound(_unknown(con, spec, short_names or {}))
    return _load_by_hash(con, name, found)


def _latest_hash(con: duckdb.DuckDBPyConnection, name: str, prefix: str) -> str | None:
    row = con.execute(
        "SELECT hash FROM eval_datasets WHERE name = ? AND starts_with(hash, ?) "
        "ORDER BY imported_at DESC LIMIT 1",
        [name, prefix],
    ).fetchone()
    return None if row is None else str(row[0])


def _unknown(con: duckdb.DuckDBPyConnection, spec: str, short_names: Mapping[str, Path]) -> str:
    """One line: what ``spec`` could have been, with every valid name."""
    stored = [
        str(name)
        for (name,) in con.execute("SELECT DISTINCT name FROM eval_datasets ORDER BY name").fetchall()
    ]
    bundled = f"a bundled name ({', '.join(short_names)}), " if short_names else ""
    names = ", ".join(stored) if stored else "none stored yet"
    return (
        f"no dataset {spec!r}: give a JSONL file, {bundled}or a stored name ({names}); "
        "`assist dataset list` lists them"
    )


def _load_by_hash(con: duckdb.DuckDBPyConnection, name: str, hash_: str) -> Dataset:
    rows = con.execute(
        "SELECT record FROM eval_examples WHERE dataset_hash = ? ORDER BY position", [hash_]
    ).fetchall()
    records = [json.loads(record) for (record,) in rows]
    return Dataset(
        name=name, hash=hash_, examples=[LabelledExample.model_validate(r) for r in records], records=records
    )


def load_by_hash(con: duckdb.DuckDBPyConnection, name: str, hash_: str) -> Dataset:
    """The exact version a run was made on (what ``rescore`` scores against)."""
    _ensure_schema(con)
    dataset = _load_by_hash(con, name, hash_)
    if not dataset.examples:
        raise NotFound(f"dataset {name}@{hash_[:12]} is not in the database")
    return dataset


def resolve_dataset(
    con: duckdb.DuckDBPyConnection,
    spec: str,
    *,
    name: str | None = None,
    short_names: Mapping[str, Path] | None = None,
) -> Dataset:
    """A file (validated, then imported so runs on it can be re-scored), the name of an imported dataset, or a
    short name of ``short_names`` (name -> file): its file, read now, under the file's name.

    A stored name wins over a short name of the same spelling; a short name reads its file rather than the
    stored copy, so a run is made on the file as it is.
    """
    path = Path(spec)
    if path.is_file():
        dataset = load_dataset(path, name=name)
        import_dataset(con, dataset, source=str(path))
        return dataset
    if path.suffix in {".jsonl", ".json"}:
        raise FileNotFoundError(2, "No such file", spec)
    _ensure_schema(con)
    if short_names and spec in short_names and _latest_hash(con, spec, "") is None:
        return resolve_dataset(con, str(short_names[spec]), name=name)
    return load_named(con, spec, short_names=short_names)


def export_dataset(
    con: duckdb.DuckDBPyConnection, spec: str, out: Path, *, short_names: Mapping[str, Path] | None = None
) -> int:
    """Write stored dataset ``spec`` (see :func:`load_named`) as interchange JSONL to ``out``; returns the number
    of examples."""
    dataset = load_named(con, spec, short_names=short_names)
    with open(out, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in dataset.records)
    return len(dataset)


def list_datasets(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, str | None, datetime]]:
    """``(name, hash, n, source, imported_at)`` of every stored dataset version, newest first."""
    _ensure_schema(con)
    return [
        (str(name), str(hash_), int(n), source, imported_at)
        for name, hash_, n, source, imported_at in con.execute(
            "SELECT name, hash, n, source, imported_at FROM eval_datasets ORDER BY imported_at DESC, name"
        ).fetchall()
    ]
