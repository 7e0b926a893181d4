"""``assist`` run as a user runs it: its own process, its exit code and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

__all__ = ["assist"]

ROOT = Path(__file__).resolve().parent.parent

#: Settings of the test run's own environment that would change what the command does.
_OWN_SETTINGS = ("ASSIST_", "LIVEKIT_", "OPENAI_")


def assist(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m assist ARGS`` in ``cwd`` (the repository by default), with ``env`` added to an environment
    cleared of the kit's settings; never raises for an exit code."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_SETTINGS)}
    return subprocess.run(
        [sys.executable, "-m", "assist", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**clean, **(env or {})},
        cwd=cwd or ROOT,
    )
