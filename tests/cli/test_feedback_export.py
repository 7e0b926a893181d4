"""``assist feedback export`` as a user runs it, and the README's DuckDB join of its rows to an eval run."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb

from assist.feedback import EXPORT_COLUMNS, Feedback, NewFeedback
from assist.store import ConversationStore
from tests.cli.test_core_commands import assist
from tests.conftest import ROOT, SYNTHETIC


def readme_join() -> str:
    """The join the README shows analysts, run here as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- feedback-join -->\n```sql\n(.*?)```", readme, re.DOTALL)
    assert found, "README: the feedback join's SQL block"
    return found.group(1)


def test_export_writes_what_joins_to_an_eval_run_and_only_the_organizations_own(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text("".join(SYNTHETIC.read_text(encoding="utf-8").splitlines(keepends=True)[:5]))
    # The store keeps a call by its conversation's id; a dataset names it by the example's ("syn-001").
    lines = [json.loads(line) for line in calls.read_text().splitlines()]
    ids = [line["conversation"]["id"] for line in lines]
    db = str(tmp_path / "kit.duckdb")
    for org in ("acme", "other"):
        assert assist("orgs", "create", org, "--db", db).returncode == 0
    assert assist("conversations", "import", str(calls), "--db", db, "--org", "acme").returncode == 0
    assert assist("conversations", "import", str(calls), "--db", db, "--org", "other").returncode == 0
    with ConversationStore(db) as store:  # as the service keeps what the handoff page posts
        for conversation_id, section, verdict, comment in [
            (ids[0], "transfer_reason", "wrong", "The charge was disputed, not refunded"),
            (ids[1], "markers", "helpful", None),
            (ids[2], "call_summary", "wrong", None),
        ]:
            new = NewFeedback(section=section, verdict=verdict, comment=comment, program="rules")
            store.add_feedback("acme", Feedback.received(new, conversation_id=conversation_id))

    exported = assist("feedback", "export", "--org", "acme", "--db", db)
    assert exported.returncode == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [list(row) for row in rows] == [list(EXPORT_COLUMNS)] * 3
    assert [(r["conversation_id"], r["section"], r["verdict"]) for r in rows] == [
        (ids[0], "transfer_reason", "wrong"),
        (ids[1], "markers", "helpful"),
        (ids[2], "call_summary", "wrong"),
    ]
    as_csv = tmp_path / "feedback.csv"
    written = assist(
        "feedback", "export", "--org", "acme", "--db", db, "--format", "csv", "--out", str(as_csv)
    )
    assert written.returncode == 0 and written.stderr.strip() == f"wrote 3 verdicts to {as_csv}"
    with as_csv.open(encoding="utf-8", newline="") as read:
        assert [row["comment"] for row in csv.DictReader(read)] == [rows[0]["comment"], "", ""]

    other = assist("feedback", "export", "--org", "other", "--db", db)
    assert other.returncode == 0 and other.stdout == ""  # the same calls in another organization: none of it
    unknown = assist("feedback", "export", "--org", "nobody", "--db", db)
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: no organization 'nobody'")

    runs = tmp_path / "runs.duckdb"
    evaluated = assist("eval", "--dataset", str(calls), "--program", "rules", "--db", str(runs))
    assert evaluated.returncode == 0, evaluated.stderr
    (tmp_path / "feedback.jsonl").write_text(exported.stdout, encoding="utf-8")
    with duckdb.connect(str(runs)) as con:
        con.execute(f"SET file_search_path = '{tmp_path}'")
        wrong = con.execute(readme_join()).fetchall()
    assert [(row[0], row[1]) for row in wrong] == [(ids[0], "transfer_reason"), (ids[2], "call_summary")]
    assert [row[3] for row in wrong] == [lines[0]["id"], lines[2]["id"]]  # the examples of those calls
    assert all(row[5] is not None for row in wrong)  # each with the run's score of that section


def test_export_counts_what_it_wrote_in_words(tmp_path: Path) -> None:
    calls = tmp_path / "calls.jsonl"
    calls.write_text(SYNTHETIC.read_text(encoding="utf-8").splitlines(keepends=True)[0])
    conversation_id = json.loads(calls.read_text())["conversation"]["id"]
    db = str(tmp_path / "kit.duckdb")
    assert assist("orgs", "create", "acme", "--db", db).returncode == 0
    assert assist("conversations", "import", str(calls), "--db", db, "--org", "acme").returncode == 0
    out = tmp_path / "feedback.jsonl"
    for count, said in [(0, "wrote 0 verdicts"), (1, "wrote 1 verdict"), (2, "wrote 2 verdicts")]:
        if count:
            with ConversationStore(db) as store:
                new = NewFeedback(section="call_summary", verdict="helpful", program="rules")
                store.add_feedback("acme", Feedback.received(new, conversation_id=conversation_id))
        written = assist("feedback", "export", "--org", "acme", "--db", db, "--out", str(out))
        assert written.returncode == 0 and written.stderr == f"{said} to {out}\n"
        assert len(out.read_text().splitlines()) == count
