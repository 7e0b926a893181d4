"""The ``assist`` command line. Each sub-module owns a command group; this one wires them and maps errors."""

from __future__ import annotations

import os
import sys

import duckdb
import typer
from pydantic import ValidationError
from rich.console import Console

from assist.errors import AssistError, field_path

__all__ = ["app", "main"]

app = typer.Typer(
    name="assist",
    help="Listen-only LiveKit tokens and AI handoff briefs for a voice-AI contact center.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _register() -> None:
    from assist.cli import brief, conversations, demo, evaluate, keys, listen, optimize, serve, token

    for module in (brief, conversations, demo, evaluate, keys, listen, optimize, serve, token):
        module.register(app)


def fail(message: str, *, code: int = 1) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    err_console.print(f"error: {message}", markup=False)
    return typer.Exit(code)


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
        # Standalone mode: click itself prints usage errors (exit 2), turns typer.Exit into the exit code and
        # Ctrl-C into "Aborted!"; everything else that escapes a command is mapped to one line here.
        app(prog_name="assist")
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
