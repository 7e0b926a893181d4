"""The core commands run as a user runs them: a real process, real DuckDB file, output parsed back."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from livekit.api import TokenVerifier

from assist.cli import typed_command, typed_path
from assist.schema import AgentAssistPortal, LabelledExample
from assist.store import ConversationStore
from tests.assist_process import assist
from tests.conftest import HARPER_VALLEY, ROOT

LIVEKIT_ENV = {
    "LIVEKIT_URL": "ws://127.0.0.1:7880",
    "LIVEKIT_API_KEY": "devkey",
    "LIVEKIT_API_SECRET": "x" * 40,
}


def test_import_then_token_prints_the_api_body(tmp_path: Path) -> None:
    db = str(tmp_path / "kit.duckdb")
    assist("orgs", "create", "acme", "--db", db)
    imported = assist("conversations", "import", str(HARPER_VALLEY), "--db", db, "--org", "acme")
    assert imported.returncode == 0, imported.stderr
    assert "imported 61 conversations" in imported.stdout
    with ConversationStore(db) as store:
        store.update("acme", "0002f70f7386445b", status="in_progress", room_name="call-live-1")

    minted = assist("token", "0002f70f7386445b", "--db", db, "--org", "acme", env=LIVEKIT_ENV)
    assert minted.returncode == 0, minted.stderr
    body = json.loads(minted.stdout)
    assert set(body) == {"url", "token", "room_name", "expires_at"}
    assert body["room_name"] == "call-live-1" and body["url"] == LIVEKIT_ENV["LIVEKIT_URL"]
    claims = TokenVerifier("devkey", "x" * 40).verify(body["token"])
    assert (
        claims.video is not None and claims.video.room == "call-live-1" and claims.video.can_publish is False
    )


def test_token_errors_are_one_clear_line(tmp_path: Path) -> None:
    db = str(tmp_path / "kit.duckdb")
    assist("orgs", "create", "acme", "--db", db)
    assist("conversations", "import", str(HARPER_VALLEY), "--db", db, "--org", "acme")
    cases = {
        ("0002f70f7386445b", "acme"): "is ended; only triggered, ringing or in_progress",
        ("0002f70f7386445b", "other-org"): "not found",
        ("no-such-call", "acme"): "not found",
    }
    for (conversation_id, org), message in cases.items():
        result = assist("token", conversation_id, "--db", db, "--org", org, env=LIVEKIT_ENV)
        assert result.returncode == 1
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr

    missing = assist("token", "0002f70f7386445b", "--db", db, "--org", "acme")
    assert missing.returncode == 1
    assert "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET" in missing.stderr


def test_import_of_a_bad_file_names_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = HARPER_VALLEY.read_text(encoding="utf-8").splitlines()
    broken = json.loads(lines[1])
    broken["conversation"]["turns"][0]["role"] = "supervisor"
    bad.write_text(lines[0] + "\n" + json.dumps(broken) + "\n", encoding="utf-8")
    assist("orgs", "create", "acme", "--db", str(tmp_path / "k.duckdb"))
    result = assist("conversations", "import", str(bad), "--db", str(tmp_path / "k.duckdb"), "--org", "acme")
    assert result.returncode == 1
    assert "bad.jsonl: line 2: conversation.turns.0.role" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_one_line() -> None:
    result = assist("brief", "/nonexistent/calls.jsonl")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_brief_prints_one_valid_portal_per_line_of_real_calls(harper_valley: list[LabelledExample]) -> None:
    result = assist("brief", str(HARPER_VALLEY))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(harper_valley)
    for line, example in zip(lines, harper_valley, strict=True):
        portal = AgentAssistPortal.model_validate_json(line)
        assert [(t.role, t.content) for t in portal.transcript] == [
            (t.role, t.content) for t in example.conversation.turns
        ]
        assert portal.header.call_duration_seconds == example.conversation.duration_seconds
        assert portal.header.phone_number == example.conversation.user_id


def test_brief_of_one_example_by_id_and_of_a_bare_conversation(
    tmp_path: Path, harper_valley: list[LabelledExample]
) -> None:
    chosen = harper_valley[5]
    by_id = assist("brief", str(HARPER_VALLEY), "--id", chosen.id)
    assert by_id.returncode == 0, by_id.stderr
    assert len(by_id.stdout.splitlines()) == 1
    single = tmp_path / "conversation.json"
    single.write_text(chosen.conversation.model_dump_json(), encoding="utf-8")
    bare = assist("brief", str(single))
    assert bare.returncode == 0, bare.stderr
    assert json.loads(bare.stdout) == json.loads(by_id.stdout)
    missing = assist("brief", str(HARPER_VALLEY), "--id", "no-such-example")
    assert missing.returncode == 1 and "no example with id 'no-such-example'" in missing.stderr


def test_brief_as_text_shows_the_brief_to_a_person(harper_valley: list[LabelledExample]) -> None:
    chosen = harper_valley[0]
    result = assist("brief", str(HARPER_VALLEY), "--id", chosen.id, "--format", "text")
    assert result.returncode == 0, result.stderr
    assert "Patricia Brown" in result.stdout  # the caller says "my name is patricia brown"
    assert (
        "Next steps" in result.stdout
        and f"Transcript ({len(chosen.conversation.turns)} turns)" in result.stdout
    )


def test_demo_runs_the_kit_end_to_end_offline_and_its_hints_run_as_printed(tmp_path: Path) -> None:
    result = assist("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for expected in (
        "Handoff brief",
        "listen-only token",
        "rules on harper_valley (61 examples)",
        "rules on synthetic",
    ):
        assert expected in result.stdout
    assert "canPublish and canPublishData false" in result.stdout
    assert "; not stored" in result.stdout and "stored in" not in result.stdout  # the demo keeps no run

    hints = result.stdout.split("next, to paste into a shell (the README has more):\n")[1].splitlines()
    commands = [shlex.split(line) for line in hints]
    assert [command[1:] for command in commands] == [
        ["eval", "--dataset", "synthetic"],
        ["dataset", "list"],
        ["serve", "--help"],
        ["lab", str(ROOT / "notebooks")],  # run from elsewhere, the notebooks' path is whole
    ]
    assert all(shutil.which(command[0]) is not None for command in commands), commands
    # Pasted into a shell in the same directory (not jupyter lab, which would keep running).
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ASSIST_")}
    pasted = [
        subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False, env=clean
        )
        for command in commands[:3]
    ]
    assert [run.returncode for run in pasted] == [0, 0, 0], [run.stderr for run in pasted]
    assert "rules on synthetic/calls (48 examples)" in pasted[0].stdout
    assert "stored in assist.duckdb" in " ".join(pasted[0].stdout.split())
    assert "synthetic/calls" in pasted[1].stdout and "harper_valley_heldout" in pasted[1].stdout


def test_hints_name_the_executable_as_the_readme_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """From the checkout, as the quick start runs it (``.venv/bin/assist``), unless the PATH finds it."""
    venv_bin = Path(sys.executable).parent.absolute()
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    shown = venv_bin.relative_to(ROOT) if venv_bin.is_relative_to(ROOT) else venv_bin  # .venv/bin here
    assert typed_command("assist") == f"{shown}/assist"
    assert typed_path(ROOT / "notebooks") == "notebooks"
    monkeypatch.setenv("PATH", f"{venv_bin}:/usr/bin:/bin")
    assert typed_command("assist") == "assist"
