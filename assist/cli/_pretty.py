"""Terminal views (rich): a brief, for people reading ``assist demo`` and ``assist brief --format text``, and
the compact listing tables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from assist.schema import AgentAssistPortal

_LEVEL_STYLE = {
    "calm": "green",
    "slightly_frustrated": "yellow",
    "frustrated": "dark_orange",
    "angry": "red",
    "escalated": "bold red",
}
_CONFIDENCE_STYLE = {"high": "green", "medium": "yellow", "low": "dim"}


def portal_panel(portal: AgentAssistPortal, *, program: str, max_turns: int | None = None) -> Panel:
    """The brief on one screen: header, reason, summary, information, next steps, flags, transcript."""
    header = portal.header
    duration = "unknown" if header.call_duration_seconds is None else f"{header.call_duration_seconds} s"
    top = Text.assemble(
        (header.caller_name, "bold"),
        f"  {header.phone_number}  ·  {duration}  ·  ",
        (header.sentiment.label, _LEVEL_STYLE[header.sentiment.level]),
    )
    parts: list[object] = [top, Text.assemble(("Why a human: ", "bold"), portal.transfer_reason), ""]
    parts.append(Text("Summary", style="bold"))
    parts.extend(Text(f"  • {bullet}") for bullet in portal.call_summary)
    if portal.information_collected:
        info = Table(show_header=False, box=None, padding=(0, 2))
        for item in portal.information_collected:
            info.add_row(Text(item.key, style="cyan"), Text(item.value))
        parts += ["", Text("Information collected", style="bold"), info]
    parts += ["", Text("Next steps", style="bold")]
    parts.extend(
        Text.assemble("  ", (f"[{step.confidence}] ", _CONFIDENCE_STYLE[step.confidence]), step.action)
        for step in portal.suggested_next_steps
    )
    if portal.compliance_flags:
        parts += ["", Text("Compliance flags", style="bold red")]
        parts.extend(
            Text(f"  ⚑ {flag.type}: {flag.description}", style="red") for flag in portal.compliance_flags
        )
    turns = portal.transcript if max_turns is None else portal.transcript[:max_turns]
    parts += ["", Text(f"Transcript ({len(portal.transcript)} turns)", style="bold")]
    for turn in turns:
        chips = " ".join(f"[{marker.type}]" for marker in turn.markers)
        who = "caller" if turn.role == "user" else "agent "
        parts.append(
            Text.assemble(
                (f"  {who} ", "cyan" if turn.role == "user" else "magenta"),
                turn.content,
                (f"  {chips}", "yellow"),
            )
        )
    if max_turns is not None and len(portal.transcript) > max_turns:
        parts.append(Text(f"  … {len(portal.transcript) - max_turns} more turns", style="dim"))
    return Panel(Group(*parts), title=f"AgentAssistPortal ({program})", title_align="left")  # type: ignore[arg-type]


def listing(*, title: str | None = None) -> Table:
    """A table without vertical rules, two spaces between columns: the most room for whole cells at 80 columns."""
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,
    )


#: Where a path, an e-mail address or an id may break: after a separator, or at a space.
_PIECE = re.compile(r"[^\s/.@_-]*(?:[/.@_-]+\s*|\s+)|[^\s/.@_-]+")


class Folded:
    """Text for a narrow table cell that breaks only between its pieces (words, and path, address and id parts:
    ``/work/main/`` ``datasets/``, ``ana.de.la.`` ``fuente@``), never inside one, unless a piece alone is wider
    than the cell; rich would break ``softphone`` or a path anywhere. Its narrowest is its widest piece."""

    def __init__(self, text: str, *, style: str = "") -> None:
        self.text = text
        self.style = style
        self._pieces = _PIECE.findall(text)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(piece.strip()) for piece in self._pieces), default=0)
        return Measurement(min(widest, options.max_width), min(cell_len(self.text), options.max_width))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        lines: list[str] = []
        line = ""
        for piece in self._pieces:
            if line and cell_len((line + piece).rstrip()) > options.max_width:
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
        lines.append(line.rstrip())
        yield Text("\n".join(lines), style=self.style, overflow="fold")


def stamp(when: datetime, *, style: str = "") -> Text:
    """A time in a listing: the date over the time, so that its column needs ten cells."""
    return Text(f"{when:%Y-%m-%d}\n{when:%H:%M}", style=style)
