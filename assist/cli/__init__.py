"""The ``assist`` command line. Each sub-module owns a command group; this one wires them and maps errors."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import typer
from pydantic import ValidationError
from rich.console import Console
from typer import _click  # the click typer runs on (its own copy): the types of the help hooks below
from typer.core import TyperGroup

from assist.errors import AssistError, field_path
from assist.settings import Settings
from assist.store import InvalidLocation, check_location

__all__ = ["app", "command_group", "existing_db", "main", "typed_command", "typed_path"]


class _WholeHelpGroup(TyperGroup):
    """A command group whose list of commands gives each one's first sentence whole, wrapped at the terminal's
    width; click cuts it at one line with "..."."""

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=sys.maxsize)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def command_group(help_text: str) -> typer.Typer:
    """A command group (``assist keys``, ``assist runs``, …): run bare, it shows its help."""
    return typer.Typer(help=help_text, cls=_WholeHelpGroup, no_args_is_help=True)


class _OneLineUsage(_WholeHelpGroup):
    """The root command, whose usage errors (an unknown flag or command, a bad or missing value) are one line
    naming the flag, exit 2, instead of typer's boxed panel under the usage text."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        # Typer's standalone mode would print the panel; outside it, usage errors reach us as exceptions and
        # typer.Exit (a command's, or --help's) comes back as the exit code.
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.Abort:
            err_console.print("Aborted!", markup=False)
            sys.exit(1)
        except typer.TyperException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # a group run bare: its help is the answer
                typer.echo(exc.format_message())
            else:
                err_console.print(f"error: {_usage_line(exc)}", markup=False)
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    name="assist",
    cls=_OneLineUsage,
    help="Listen-only LiveKit tokens and AI handoff briefs for a voice-AI contact center.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # click's plain help: it wraps every flag and word whole at any width (rich's panels cut flags like
    # --allow-baseline-mismatch at 80 columns), and takes "[@HASH]" in a help text as text, not markup.
    rich_markup_mode=None,
)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _register() -> None:
    from assist.cli import (
        brief,
        conversations,
        demo,
        evaluate,
        feedback,
        keys,
        listen,
        optimize,
        serve,
        token,
    )

    for module in (brief, conversations, demo, evaluate, feedback, keys, listen, optimize, serve, token):
        module.register(app)


def fail(message: str, *, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    err_console.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def existing_db(db: str | None, *, default: str | None = None, option: str = "--db") -> str:
    """The database a command that only reads opens: ``--db``, else ``default`` (the store's: ``$ASSIST_DB`` or
    ``assist.duckdb``).

    A path with no file is a usage error naming ``--db``, raised before anything is opened: opening it would
    create the directory and an empty database, and show nothing. A URL is not a path; its server answers.
    """
    target = db or default or Settings().assist_db
    check_location(target)  # before quoting it: a libpq string would be "no database at …password=…"
    if "://" not in target and not Path(target).is_file():
        which = "" if db else ", the default"
        raise typer.BadParameter(
            f"no database at {target}{which} (nothing was created)", param_hint=f"'{option}'"
        )
    return target


def typed_path(path: Path) -> str:
    """``path`` as a user types it in a hint: relative to the working directory when it is under it."""
    absolute = path.absolute()
    shown = absolute.relative_to(Path.cwd()) if absolute.is_relative_to(Path.cwd()) else absolute
    return shlex.quote(str(shown))


def typed_command(name: str) -> str:
    """A command of this environment (``assist``, ``jupyter``) as a user can paste it: bare when their PATH
    finds this one, else its path (``.venv/bin/assist``, as the README's quick start runs it)."""
    installed = Path(sys.executable).parent / name
    if not installed.exists():
        return name
    on_path = shutil.which(name)
    if on_path is not None and Path(on_path).resolve() == installed.resolve():
        return name
    return typed_path(installed)


def _usage_line(exc: typer.TyperException) -> str:
    """``Invalid value for '--weight': …; see assist eval --help``: the message on one line, then where help is."""
    message = " ".join(exc.format_message().split()).rstrip(".")
    context = getattr(exc, "ctx", None)
    return f"{message}; see {context.command_path} --help" if context is not None else message


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = field_path(first["loc"], default="input")
        return f"invalid {exc.title}: {where}: {first['msg']}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def main() -> None:
    _register()
    try:
        # Usage errors are printed by the root command (one line, exit 2); everything else that escapes a
        # command is mapped to one line here.
        app(prog_name="assist")
    except InvalidLocation as exc:  # --db or ASSIST_DB that names no store: a usage mistake, exit 2 like one
        err_console.print(f"error: {exc}", markup=False)
        sys.exit(2)
    except (AssistError, ValidationError, OSError, ValueError, duckdb.Error) as exc:
        err_console.print(f"error: {_one_line(exc)}", markup=False)
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("ASSIST_DEBUG"):
            raise
        err_console.print(
            f"internal error: {type(exc).__name__}: {_one_line(exc)} (set ASSIST_DEBUG=1 for a traceback)",
            markup=False,
        )
        sys.exit(2)
