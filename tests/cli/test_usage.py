"""The mistakes a new user makes, tried as they make them, on real DuckDB files.

Each usage mistake is one line on stderr naming the flag, exit 2; a read-only command never creates the
database it was pointed at; ``keys list`` shows whole scopes at 80 columns. The many variations run in-process
through typer's CliRunner (the same root command that ``assist`` runs); one of each through a real process.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from assist.auth import SCOPES
from assist.cli import _register, app, existing_db
from tests.cli.test_core_commands import LIVEKIT_ENV, assist
from tests.conftest import HARPER_VALLEY, ROOT

if not any(command.name == "eval" for command in app.registered_commands):
    _register()
runner = CliRunner()


def one_line(result: subprocess.CompletedProcess[str] | Result, code: int) -> str:
    """The single stderr line of a command that exited with ``code``."""
    returned = result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    assert returned == code, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Usage:" not in result.stderr and "╭" not in result.stderr and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("eval", "--datset", "synthetic"), "No such option: --datset (Possible options: --dataset)"),
        (("eval", "-d", "synthetic", "--weight", "sentiment=abc"), "Invalid value for '--weight': 'abc'"),
        (("eval", "-d", "synthetic", "--weight", "sentiment"), "Invalid value for '--weight': want NAME=W"),
        (("eval", "-d", "synthetic", "--weight", "tone=1"), "Invalid value for '--weight': unknown section"),
        (("eval", "-d", "synthetic", "--threads", "0"), "Invalid value for '--threads'"),
        (("rescore", "latest", "--weight", "judge.nope=1"), "Invalid value for '--weight': unknown judge"),
        (("keys", "create", "--org", "acme"), "Missing option '--scopes'"),
        (("brief",), "Missing argument 'file'"),
        (("brief", str(HARPER_VALLEY), "--format", "xml"), "Invalid value for '--format'"),
        (("nosuchcmd",), "No such command 'nosuchcmd'"),
        (
            ("optimize", "--trainset", str(HARPER_VALLEY), "--out", "tuned.txt"),
            "Invalid value for '--out': must end in .json, got tuned.txt",
        ),
    ],
)
def test_a_usage_mistake_is_one_line_naming_the_flag(
    args: tuple[str, ...], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line(runner.invoke(app, list(args)), 2)
    assert named in line
    assert line.endswith("--help")  # and where the command's help is
    assert not any(tmp_path.iterdir())  # refused before anything was opened


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "list"),
        ("runs", "show", "latest"),
        ("runs", "compare", "latest", "latest"),
        ("rescore", "latest"),
        ("dataset", "list"),
        ("dataset", "export", "synthetic", "--out", "out.jsonl"),
        ("keys", "list"),
        ("token", "some-call", "--org", "acme"),
        ("listen", "some-call", "--org", "acme"),
    ],
)
def test_a_read_only_command_refuses_a_db_that_does_not_exist(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line(runner.invoke(app, [*args, "--db", "typo/kit.duckdb"], env=LIVEKIT_ENV), 2)
    assert "Invalid value for '--db': no database at typo/kit.duckdb (nothing was created)" in line
    assert not any(tmp_path.iterdir())


def test_in_a_real_process_too(tmp_path: Path) -> None:
    line = one_line(assist("eval", "-d", "synthetic", "--weight", "sentiment=abc", cwd=tmp_path), 2)
    assert line == (
        "error: Invalid value for '--weight': 'abc' in 'sentiment=abc' is not a number; see assist eval --help"
    )
    line = one_line(assist("runs", "list", "--db", "typo/kit.duckdb", cwd=tmp_path), 2)
    assert line == (
        "error: Invalid value for '--db': no database at typo/kit.duckdb (nothing was created); "
        "see assist runs list --help"
    )
    line = one_line(assist("runs", "list", cwd=tmp_path), 2)
    assert "Invalid value for '--db': no database at assist.duckdb, the default (nothing was created)" in line
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--dataset", "synthtic"), "error: no dataset 'synthtic': give a JSONL file, a bundled name ("),
        (("--dataset", "synthtic", "--db", "typo.duckdb"), "error: no dataset 'synthtic'"),
        (("--dataset", "calls.jsonl"), "error: no such file: calls.jsonl"),
        (("--dataset", "synthetic", "--baseline", "nosuchrun"), "error: no run 'nosuchrun'"),
        (("--dataset", "synthetic", "--baseline", "base.json"), "error: no such file: base.json"),
        (("--dataset", "synthetic", "--program", "rulez"), "error: unknown program 'rulez'"),
    ],
)
def test_eval_refuses_what_it_cannot_find_before_making_a_database(
    args: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    """A typo in a dataset name, a baseline or a program leaves nothing behind (it used to leave a 274 KB
    database): what a new database could not hold is looked up first."""
    result = assist("eval", *args, cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(said)
    assert not any(tmp_path.iterdir())


def test_a_command_run_bare_shows_its_help_and_no_error() -> None:
    result = runner.invoke(app, ["keys"])
    assert result.exit_code == 2 and "assist keys" in result.stdout and result.stderr == ""


def test_a_database_url_is_not_taken_for_a_missing_file() -> None:
    url = "postgresql://assist@127.0.0.1:5432/assist"
    assert existing_db(url) == url


def test_a_run_compared_with_committed_baselines_needs_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    baseline = str(ROOT / "eval" / "baseline" / "synthetic.json")
    result = runner.invoke(app, ["runs", "compare", baseline, baseline])
    assert result.exit_code == 0, result.output
    assert "no example's overall score changed" in result.stdout
    assert not any(tmp_path.iterdir())


def test_keys_list_shows_whole_scopes_at_80_columns_and_as_json(tmp_path: Path) -> None:
    db = str(tmp_path / "kit.duckdb")
    user = "ana.de.la.fuente@acme.example"
    for args in (
        ("orgs", "create", "acme"),
        ("users", "create", user),
        (
            "keys",
            "create",
            "--org",
            "acme",
            "--scopes",
            ",".join(SCOPES),
            "--name",
            "softphone panel, night shift",
        ),
        ("keys", "create", "--user", user, "--scopes", "conversations:read_sensitive"),
    ):
        made = runner.invoke(app, [*args, "--db", db])
        assert made.exit_code == 0, made.output
    listed = assist("keys", "list", "--db", db, env={"COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    shown = [word for word in listed.stdout.split() if word.startswith("conversations:")]
    assert shown == [*SCOPES, "conversations:read_sensitive"]  # whole, one a line
    assert "…" not in listed.stdout
    # The name breaks between words, the address between its parts, never inside either; the dates are whole.
    words = listed.stdout.split()
    assert all(word in words for word in ("softphone", "panel,", "night", "shift"))
    assert all(part in listed.stdout for part in ("ana.", "de.", "la.", "fuente@", "acme.", "example"))
    assert f"{datetime.now(UTC):%Y-%m-%d}" in words

    keys = json.loads(runner.invoke(app, ["keys", "list", "--db", db, "--format", "json"]).stdout)
    assert [(key["kind"], key["scopes"], key["name"]) for key in keys] == [
        ("org", list(SCOPES), "softphone panel, night shift"),
        ("user", ["conversations:read_sensitive"], ""),
    ]
    assert keys[1]["user_id"] == user and keys[0]["revoked_at"] is None
    assert all(key["key_id"] in listed.stdout for key in keys)  # whole, for `assist keys revoke`

    # Revoked by its secret, the key is named by its id, never by the secret.
    secret = runner.invoke(
        app, ["keys", "create", "--org", "acme", "--scopes", "conversations:read", "--db", db]
    )
    revoked = assist("keys", "revoke", secret.stdout.strip(), "--db", db)
    key_id = secret.stdout.split("_")[1]
    assert revoked.returncode == 0 and revoked.stdout == f"revoked key {key_id}\n"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``command``, by the words that run it."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def _flat(text: str) -> str:
    """``text`` on one line, as click wrapped it: a word it broke after a hyphen (``add-`` ``member``) joined."""
    return re.sub(r"(?<=\w-) (?=\w)", "", " ".join(text.split()))


EVERY_COMMAND = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize(
    ("path", "command"), EVERY_COMMAND, ids=[" ".join(p) or "assist" for p, _ in EVERY_COMMAND]
)
def test_every_help_is_whole_at_80_columns(path: tuple[str, ...], command: Any) -> None:
    """Each line fits, and every flag, every option's help and every subcommand's first sentence is there whole
    (rich's panels cut ``--allow-baseline-mismatch`` to ``--allow-baseline-mi…`` at 80 columns)."""
    shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    flat = _flat(shown.stdout)
    for param in command.params:
        if param.param_type_name == "option":
            for flag in [*param.opts, *param.secondary_opts]:
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", shown.stdout), flag
        assert _flat(getattr(param, "help", None) or "") in flat
    for sub in getattr(command, "commands", {}).values():
        assert _flat(sub.get_short_help_str(limit=10_000)) in flat


def test_help_in_a_real_process_at_80_columns() -> None:
    shown = assist("eval", "--help", env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.stderr
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    assert "--allow-baseline-mismatch " in shown.stdout and "NAME[@HASH]" in _flat(shown.stdout)
