"""The mistakes a new user makes, tried as they make them, on real DuckDB files.

Each usage mistake is one line on stderr naming the flag, exit 2; a read-only command never creates the
database it was pointed at; ``keys list`` shows whole scopes at 80 columns. The many variations run in-process
through typer's CliRunner (the same root command that ``assist`` runs); one of each through a real process.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
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
        ("keys", "create", "--org", "acme", "--scopes", ",".join(SCOPES), "--name", "ops console"),
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

    keys = json.loads(runner.invoke(app, ["keys", "list", "--db", db, "--format", "json"]).stdout)
    assert [(key["kind"], key["scopes"], key["name"]) for key in keys] == [
        ("org", list(SCOPES), "ops console"),
        ("user", ["conversations:read_sensitive"], ""),
    ]
    assert keys[1]["user_id"] == user and keys[0]["revoked_at"] is None
    assert all(key["key_id"] in listed.stdout for key in keys)  # whole, for `assist keys revoke`
