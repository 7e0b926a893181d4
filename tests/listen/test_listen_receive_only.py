"""The listen client has no code path that publishes: checked on its syntax tree, not by trying.

Every publish path of the rtc SDK (tracks, data packets, text and byte streams, transcriptions, RPC,
metadata and attributes) is a method of ``LocalParticipant``, reached as ``room.local_participant``; local
media starts from ``AudioSource``/``VideoSource``. None of these names may appear in the client's code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import assist.cli.listen
import assist.listen

FORBIDDEN = {
    "local_participant",
    "LocalParticipant",
    "AudioSource",
    "VideoSource",
    "LocalAudioTrack",
    "LocalVideoTrack",
    "stream_text",
    "stream_bytes",
    "send_text",
    "send_file",
    "perform_rpc",
    "register_rpc_method",
    "set_metadata",
    "set_name",
    "set_attributes",
}


def client_sources() -> list[Path]:
    package = Path(assist.listen.__file__).parent
    return [*sorted(package.glob("*.py")), Path(assist.cli.listen.__file__)]


def names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            used.add(node.attr)
        elif isinstance(node, ast.Name):
            used.add(node.id)
        elif isinstance(node, ast.alias):
            used.add(node.name.rsplit(".", 1)[-1])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            used.add(node.value)  # getattr(room, "local_participant") would be caught too
    return used


def test_the_client_never_reaches_a_publish_path() -> None:
    sources = client_sources()
    assert len(sources) >= 5
    for path in sources:
        used = names_used(path)
        assert not used & FORBIDDEN, f"{path.name} uses {sorted(used & FORBIDDEN)}"
        assert not {name for name in used if name.startswith(("publish", "unpublish"))}, path.name


def test_the_check_sees_what_it_looks_for(tmp_path: Path) -> None:
    offender = tmp_path / "offender.py"
    offender.write_text(
        "async def whisper(room, track):\n"
        "    await room.local_participant.publish_track(track)\n"
        "    getattr(room, 'local_participant')\n",
        encoding="utf-8",
    )
    used = names_used(offender)
    assert {"local_participant", "publish_track"} <= used
