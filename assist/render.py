"""HTML of a handoff brief: the one renderer behind the handoff page, the API's ``text/html`` answer and
``AgentAssistPortal._repr_html_`` in notebooks.

Every string from a brief passes through :func:`html.escape` (transcripts are untrusted caller speech). Card
numbers and SSNs read out in a call are masked on screen: the brief's own "Show" checkbox reveals them, by CSS
alone, so it works in a notebook and under the page's script policy alike (the JSON API is unchanged).
Styles are scoped under ``.aap`` so the fragment can sit inside a notebook or the page shell.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from html import escape

from assist.programs.rules.text import Secret, secret_numbers
from assist.schema import SENTIMENT_LEVELS, AgentAssistPortal, MarkerType, TranscriptTurn

__all__ = ["HANDOFF_PAGE", "HANDOFF_PAGE_CSP", "STYLESHEET", "portal_html"]

STYLESHEET = """
.aap{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--mute:#5b6470;--line:#dde1e6;--accent:#2456c7;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg);
 padding:12px;box-sizing:border-box}
.aap *{box-sizing:border-box}
.aap h1{font-size:20px;margin:0}
.aap h2{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--mute);margin:0 0 6px}
.aap a{color:var(--accent)}
.aap-header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;background:var(--card);
 border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin-bottom:10px}
.aap-meta{color:var(--mute);font-variant-numeric:tabular-nums}
.aap-badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600}
.aap-s-calm{background:#e3f4e8;color:#17612f}.aap-s-slightly_frustrated{background:#fff4d6;color:#7a5600}
.aap-s-frustrated{background:#ffe6cc;color:#8a3d00}.aap-s-angry{background:#ffd9d9;color:#9b1c1c}
.aap-s-escalated{background:#7a1212;color:#fff}
.aap-live{background:#c62828;color:#fff;letter-spacing:.06em}
.aap-elapsed{font-weight:600;color:#c62828}
.aap-verified{border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600;text-decoration:none}
.aap-verified-yes{background:#e3f4e8;color:#17612f!important;border:1px solid #bfe3ca}
.aap-verified-no{background:#fff4d6;color:#7a5600;border:1px solid #f0dc9c}
.aap-reveal{font-size:12px;color:var(--mute);cursor:pointer;user-select:none}
.aap-grid{display:grid;grid-template-columns:minmax(280px,5fr) minmax(300px,6fr);gap:10px;align-items:start}
@media (max-width:800px){.aap-grid{grid-template-columns:1fr}}
.aap-card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin-bottom:10px}
.aap-reason{font-size:15px;font-weight:600;margin:0}
.aap ul,.aap ol{margin:0;padding-left:20px}
.aap table{border-collapse:collapse;width:100%}
.aap th,.aap td{text-align:left;vertical-align:top;padding:3px 6px;border-top:1px solid var(--line)}
.aap th{width:38%;color:var(--mute);font-weight:500}
.aap-c-high{background:#e3f4e8;color:#17612f}.aap-c-medium{background:#fff4d6;color:#7a5600}
.aap-c-low{background:#eceef1;color:#4a525c}
.aap-flags{border-color:#e7a3a3;background:#fff7f7}
.aap-flag-type{font-weight:600;color:#9b1c1c}
.aap-none{color:var(--mute);font-style:italic}
.aap-transcript{display:flex;flex-direction:column;max-height:calc(100vh - 170px);min-height:240px}
.aap-jumps{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;font-size:12px;color:var(--mute);
 padding-bottom:6px}
.aap-jump a{display:inline-block;min-width:22px;margin-left:2px;padding:0 5px;border-radius:4px;text-align:center;
 text-decoration:none;font-variant-numeric:tabular-nums;border:1px solid #cdd8f3;background:#eef2fb}
.aap-jump.aap-m-frustration a,.aap-jump.aap-m-escalation_trigger a{background:#fdecec;color:#8f1d1d;border-color:#f2c2c2}
.aap-jump.aap-m-ai_commitment a{background:#fff4d6;color:#7a5600;border-color:#f0dc9c}
.aap-turns{overflow:auto;min-height:0;overscroll-behavior:contain;border-top:1px solid var(--line)}
.aap-turn{padding:5px 4px 5px 0;border-top:1px solid var(--line);scroll-margin-top:4px}
.aap-turn:first-child{border-top:0}
.aap-turn:target,.aap-turn.aap-at{background:#fff8e1;box-shadow:inset 3px 0 #e0a800}
.aap-n{display:inline-block;min-width:2.4em;padding-left:4px;color:var(--mute);font-size:11px;
 font-variant-numeric:tabular-nums}
.aap-role{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;margin-right:6px}
.aap-role-user{color:#2456c7}.aap-role-assistant{color:#6b4bb8}
.aap-content{white-space:pre-wrap;overflow-wrap:anywhere}
.aap-chip{display:inline-block;margin:3px 4px 0 0;border-radius:4px;padding:0 6px;font-size:11px;
 background:#eef2fb;color:#233a73;border:1px solid #cdd8f3}
.aap-m-frustration,.aap-m-escalation_trigger{background:#fdecec;color:#8f1d1d;border-color:#f2c2c2}
.aap-m-identity_verified{background:#e3f4e8;color:#17612f;border-color:#bfe3ca}
.aap-m-ai_commitment{background:#fff4d6;color:#7a5600;border-color:#f0dc9c}
.aap-mask{font-family:ui-monospace,monospace;font-size:.92em;background:#eceef1;color:#4a525c;border-radius:3px;
 padding:0 3px}
.aap-clear{display:none;background:#fff4d6;border-radius:3px;outline:1px dashed #e0a800}
.aap:has(.aap-reveal input:checked) .aap-clear{display:inline}
.aap:has(.aap-reveal input:checked) .aap-mask{display:none}
"""

_MARKER_LABELS = {
    "frustration": "Frustration",
    "identity_verified": "Identity verified",
    "ai_commitment": "AI commitment",
    "escalation_trigger": "Escalation trigger",
    "key_info": "Key info",
    "sentiment_shift": "Sentiment shift",
}
_ROLE_LABELS = {"user": "Caller", "assistant": "AI agent"}
#: The transcript's jump links, in this order: (marker, label, every turn with it or only the first).
_JUMPS: tuple[tuple[MarkerType, str, bool], ...] = (
    ("escalation_trigger", "First escalation", False),
    ("frustration", "Frustration", True),
    ("ai_commitment", "Commitment", True),
)

_SECRET_TITLES: dict[Secret, str] = {"card": "Card number hidden", "ssn": "Social Security number hidden"}


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _duration(seconds: int | None) -> str:
    return "duration unknown" if seconds is None else _clock(seconds)


def _mask(kind: Secret, digits: str) -> str:
    # A card keeps its last four (what a person confirms with "the card ending 7716"); an SSN keeps nothing, its
    # last four being a common identity check.
    return f"•••• {digits[-4:]}" if kind == "card" else "•••-••-••••"


def _text(text: str, *, context: str = "") -> str:
    """``text`` as HTML: escaped, its card numbers and SSNs masked, their digits kept for the reveal."""
    parts: list[str] = []
    done = 0
    # The brief programs' own reader of card numbers and SSNs: the page hides what a brief would mask.
    for secret in secret_numbers(text, context=context):
        parts.append(_e(text[done : secret.start]))
        parts.append(
            f'<span class="aap-secret" title="{_SECRET_TITLES[secret.kind]}"><span class="aap-mask">'
            f'{_mask(secret.kind, secret.digits)}</span><span class="aap-clear">{_e(text[secret.start : secret.end])}'
            "</span></span>"
        )
        done = secret.end
    parts.append(_e(text[done:]))
    return "".join(parts)


def _attr(text: str) -> str:
    """``text`` for an attribute (a tooltip): escaped, its card numbers and SSNs masked with no way to reveal."""
    for secret in reversed(secret_numbers(text)):
        text = f"{text[: secret.start]}{_mask(secret.kind, secret.digits)}{text[secret.end :]}"
    return _e(text)


def _turn(index: int, turn: TranscriptTurn, before: str) -> str:
    chips = "".join(
        f'<span class="aap-chip aap-m-{_e(m.type)}" title="{_attr(m.description)}">'
        f"{_e(_MARKER_LABELS.get(m.type, m.type))}: {_text(m.description)}</span>"
        for m in turn.markers
    )
    return (
        f'<div class="aap-turn" id="turn-{index}"><span class="aap-n">{index}</span>'
        f'<span class="aap-role aap-role-{_e(turn.role)}">{_e(_ROLE_LABELS.get(turn.role, turn.role))}</span>'
        f'<span class="aap-content">{_text(turn.content, context=before)}</span>'
        f"{f'<div>{chips}</div>' if chips else ''}</div>"
    )


def _turns_with(portal: AgentAssistPortal, kind: MarkerType) -> list[int]:
    return [i for i, turn in enumerate(portal.transcript) if any(m.type == kind for m in turn.markers)]


def _jumps(portal: AgentAssistPortal) -> str:
    """One-click links to the turns a person taking over looks for first, and back to the latest turn.

    Turns are numbered from 0 on the page, as the brief's own text counts them ("shared a card number (turn 7)")
    and as a model is shown them."""
    links: list[str] = []
    for kind, label, every in _JUMPS:
        turns = _turns_with(portal, kind)
        if turns:
            numbers = "".join(
                f'<a href="#turn-{i}" title="Turn {i}">{i}</a>' for i in (turns if every else turns[:1])
            )
            links.append(f'<span class="aap-jump aap-m-{kind}">{label}{numbers}</span>')
    if portal.transcript:
        links.append(f'<span class="aap-jump"><a href="#turn-{len(portal.transcript) - 1}">Latest</a></span>')
    return f'<nav class="aap-jumps" aria-label="Jump to a turn">Jump to turn {"".join(links)}</nav>'


def _verified(portal: AgentAssistPortal) -> str:
    turns = _turns_with(portal, "identity_verified")
    if not turns:
        return (
            '<span class="aap-verified aap-verified-no" title="No turn of this call is marked as verifying '
            'the caller">Identity not verified</span>'
        )
    first = turns[0]
    why = next(m.description for m in portal.transcript[first].markers if m.type == "identity_verified")
    return (
        f'<a class="aap-verified aap-verified-yes" href="#turn-{first}" title="{_attr(why)}">'
        f"✓ Identity verified · turn {first}</a>"
    )


def portal_html(
    portal: AgentAssistPortal, *, live_since: datetime | None = None, standalone: bool = False
) -> str:
    """The brief as one screen of HTML: a ``<div class="aap">`` fragment, or a whole document.

    ``live_since`` is the start of a call still going on: the header then shows LIVE and the time elapsed since
    (counted on by the handoff page) instead of a duration.
    """
    header = portal.header
    level = header.sentiment.level if header.sentiment.level in SENTIMENT_LEVELS else "calm"
    info_rows = "".join(
        f"<tr><th>{_text(item.key)}</th><td>{_text(item.value, context=item.key)}</td></tr>"
        for item in portal.information_collected
    )
    steps = "".join(
        f'<li>{_text(step.action)} <span class="aap-badge aap-c-{_e(step.confidence)}">'
        f"{_e(step.confidence)} confidence</span></li>"
        for step in portal.suggested_next_steps
    )
    flags = "".join(
        f'<li><span class="aap-flag-type">{_e(flag.type)}</span>: {_text(flag.description)}</li>'
        for flag in portal.compliance_flags
    )
    if live_since is None:
        timing = f'<span class="aap-meta aap-duration">{_e(_duration(header.call_duration_seconds))}</span>'
    else:
        elapsed = max(0, int((datetime.now(UTC) - live_since).total_seconds()))
        timing = (
            '<span class="aap-badge aap-live">● LIVE</span>'
            f'<span class="aap-meta aap-elapsed" data-elapsed="{elapsed}" title="Time since the call started">'
            f"{_clock(elapsed)}</span>"
        )
    turns = "".join(
        _turn(i, turn, portal.transcript[i - 1].content if i else "")
        for i, turn in enumerate(portal.transcript)
    )
    so_far = " so far" if live_since is not None else ""
    cards = (
        '<div class="aap-grid"><div>'
        '<section class="aap-card aap-transfer" data-section="transfer_reason"><h2>Transfer reason</h2>'
        f'<p class="aap-reason">{_text(portal.transfer_reason)}</p></section>'
        f'<section class="aap-card aap-compliance{" aap-flags" if flags else ""}" data-section="compliance_flags">'
        f"<h2>Compliance flags</h2>{f'<ul>{flags}</ul>' if flags else '<p class=aap-none>None</p>'}</section>"
        '<section class="aap-card aap-summary" data-section="call_summary"><h2>Summary</h2><ul>'
        + "".join(f"<li>{_text(bullet)}</li>" for bullet in portal.call_summary)
        + "</ul></section>"
        '<section class="aap-card aap-info" data-section="information_collected"><h2>Information collected</h2>'
        f"{f'<table>{info_rows}</table>' if info_rows else '<p class=aap-none>Nothing collected</p>'}</section>"
        '<section class="aap-card aap-next" data-section="suggested_next_steps"><h2>Suggested next steps</h2>'
        f"<ol>{steps}</ol></section>"
        "</div>"
        '<section class="aap-card aap-transcript" data-section="markers">'
        f"<h2>Transcript ({len(portal.transcript)} turns{so_far})</h2>{_jumps(portal)}"
        f'<div class="aap-turns">{turns}</div></section></div>'
    )
    hidden = cards.count('class="aap-secret"')
    reveal = (
        f'<label class="aap-reveal"><input type="checkbox"> Show {hidden} hidden card/SSN '
        f"number{'s' if hidden > 1 else ''}</label>"
        if hidden
        else ""
    )
    body = (
        f'<div class="aap"><style>{STYLESHEET}</style>'
        f'<header class="aap-header"><h1 class="aap-caller" data-section="caller_name">{_e(header.caller_name)}</h1>'
        f'<span class="aap-meta aap-phone">{_e(header.phone_number)}</span>{timing}'
        f'<span class="aap-badge aap-sentiment aap-s-{_e(level)}" data-section="sentiment">'
        f"{_e(header.sentiment.label)}</span>{_verified(portal)}{reveal}</header>{cards}</div>"
    )
    if not standalone:
        return body
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Agent assist: {_e(header.caller_name)}</title></head>"
        f'<body style="margin:0">{body}</body></html>'
    )


# --- the handoff page shell -------------------------------------------------------------------------
# The shell holds no data and no secret: it asks for a key (kept in sessionStorage, so it dies with the
# tab and never appears in a URL or a server log), then fetches the brief from the API as text/html, i.e.
# rendered by portal_html above. The script only sets textContent; the only innerHTML is the server's
# escaped fragment. A CSP pinned to this script's hash keeps any injected markup inert.
#
# A live call's brief is asked for again every POLL seconds while the tab is visible, with the ETag of the
# brief on screen: the service answers 304 without making a brief while the conversation is unchanged, so a
# page left open costs no model calls. The elapsed time counts on in the page between answers.

_SCRIPT = r"""
(() => {
  // Earlier calls: a few at first, so the brief stays on one screen; "Show older calls" brings a page more.
  const KEY = "assist.secret", ORG = "assist.org", POLL_MS = 5000, EARLIER_FIRST = 5, EARLIER_PAGE = 10;
  const SECTIONS = {
    caller_name: "Caller name", sentiment: "Sentiment", transfer_reason: "Transfer reason",
    compliance_flags: "Compliance flags", call_summary: "Summary", information_collected: "Information collected",
    suggested_next_steps: "Next steps", markers: "Transcript markers",
  };
  const segment = location.pathname.slice(location.pathname.lastIndexOf("/") + 1);
  let number = segment;
  try { number = decodeURIComponent(segment); } catch (e) {}
  const $ = (id) => document.getElementById(id);
  const show = (id) => { for (const s of ["login", "status", "brief"]) $(s).hidden = s !== id; };
  // What the brief on screen is: feedback names it by these, never by its text.
  let etag = null, live = false, timer = null, shownAt = 0, conversation = null, program = null, prompt = null;
  let waiting = false;  // "No transcript yet" is on screen
  // The caller's earlier calls ({calls, next, failed, moreFailed, current}), of the call on screen `earlierOf`
  // (undefined before any; null for a call with nothing said yet); the turn last jumped to.
  let earlier = null, earlierOf = undefined, jumpedTo = null;
  const sent = {};
  $("number").textContent = number;
  function el(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }
  function authHeaders() {
    const headers = { "Authorization": "Bearer " + sessionStorage.getItem(KEY) };
    const org = sessionStorage.getItem(ORG);
    if (org) headers["X-Anyreach-Org"] = org;
    return headers;
  }
  function state(title, text, withEarlier) {
    $("status-title").textContent = title;
    $("status-text").textContent = text;
    document.title = title + " - Agent assist";
    waiting = Boolean(withEarlier);
    show("status");
    showEarlier();
  }
  function askKey(message) {
    stopPolling();
    $("login-msg").textContent = message || "";
    $("org").value = sessionStorage.getItem(ORG) || "";
    document.title = "Sign in - Agent assist";
    show("login");
    $("secret").focus();
  }
  function stopPolling() { clearTimeout(timer); timer = null; live = false; }
  function pollLater() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (document.hidden) return;  // visibilitychange asks again when the tab is back
      // A comment being written would be lost to a new brief: wait until it is sent or dropped.
      if ($("brief").querySelector(".fb-form")) { pollLater(); return; }
      load(true);
    }, POLL_MS);
  }
  function clock(seconds) {
    const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }
  function tick() {
    const elapsed = $("brief").querySelector(".aap-elapsed");
    if (elapsed) elapsed.textContent = clock(Number(elapsed.dataset.elapsed) + Math.floor((Date.now() - shownAt) / 1000));
  }
  // --- the caller's earlier calls --------------------------------------------------------------------
  // One page of the number's calls, newest first: {calls, next}, or {failed: why}. A 404 is an answer, not a
  // failure: this organization has no call from the number.
  async function callsPage(limit, cursor) {
    let url = "../core/callers/" + segment + "/conversations?limit=" + limit;
    if (cursor) url += "&cursor=" + encodeURIComponent(cursor);
    try {
      const response = await fetch(url, { headers: authHeaders(), cache: "no-store" });
      if (response.status === 404) return { calls: [], next: null };
      if (!response.ok) return { failed: "the service answered " + response.status };
      const page = await response.json();
      return { calls: page.conversations, next: page.next_cursor };
    } catch (e) {
      return { failed: "no answer from the service" };
    }
  }
  async function loadEarlier() {
    // The call on screen is not an earlier call: known by its id, or, while nothing has been said in it, as the
    // newest call of the number (the one its brief will be of).
    const current = conversation;
    earlierOf = current;
    earlier = null;
    const page = await callsPage(EARLIER_FIRST + 1, null);
    if (earlierOf !== current) return;  // another call came on screen meanwhile
    earlier = { calls: [], next: null, failed: page.failed || "", moreFailed: "", current };
    if (!page.failed) {
      earlier.calls = page.calls.filter((call, i) => (current === null ? i > 0 : call.id !== current));
      earlier.next = page.next;
    }
    showEarlier();
  }
  function earlierAgain() {
    // Asked once for each call on screen, and again with the next answer after a failure.
    if (earlierOf !== conversation || (earlier !== null && earlier.failed)) loadEarlier();
  }
  async function moreEarlier(button) {
    button.disabled = true;
    button.textContent = "Loading\u2026";
    const shown = earlier;
    const page = await callsPage(EARLIER_PAGE, shown.next);
    if (earlier !== shown) return;
    shown.moreFailed = page.failed || "";
    if (!page.failed) {
      shown.calls.push(...page.calls.filter((call) => call.id !== shown.current));
      shown.next = page.next;
    }
    showEarlier();
  }
  function showEarlier() {
    for (const old of document.querySelectorAll(".aap-history")) old.remove();
    // After the compliance flags: what must not be missed comes first, then what this caller went through before.
    // Before anything has been said, under "No transcript yet".
    const after = $("brief").hidden ? (waiting ? $("status-text") : null) : $("brief").querySelector(".aap-compliance");
    if (!after || earlier === null) return;
    if (earlier.failed) {
      after.after(el("p", "aap-card aap-history aap-history-none aap-history-failed",
        "Earlier calls could not be loaded: " + earlier.failed + ". Refresh to try again."));
      return;
    }
    if (!earlier.calls.length && !earlier.next) {
      after.after(el("p", "aap-card aap-history aap-history-none", "Earlier calls: none from this number in this organization"));
      return;
    }
    const card = el("section", "aap-card aap-history");
    card.append(el("h2", "", "Earlier calls from this number"));
    const list = el("ul", "aap-calls");
    for (const call of earlier.calls) {
      const item = el("li");
      const when = new Date(call.created_at);
      item.append(el("span", "aap-when", when.toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" }) +
        " " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
      item.append(el("span", "aap-badge aap-status-" + (call.active ? "live" : call.status), call.active ? "live" : call.status));
      if (call.duration_seconds !== null) item.append(el("span", "aap-meta", clock(call.duration_seconds)));
      if (call.transfer_reason) item.append(el("span", "aap-why", call.transfer_reason));
      list.append(item);
    }
    card.append(list);
    if (earlier.moreFailed) {
      card.append(el("p", "aap-history-failed", "Older calls could not be loaded: " + earlier.moreFailed + "."));
    }
    if (earlier.next) {
      const more = el("button", "aap-more", earlier.moreFailed ? "Try again" : "Show older calls");
      more.type = "button";
      more.addEventListener("click", () => moreEarlier(more));
      card.append(more);
    }
    after.after(card);
  }
  // --- jumps within the transcript ---------------------------------------------------------------------
  // A jump link (or the identity chip) scrolls the transcript's own scroller, never the window, so the header
  // and the jump bar stay where they are and every jump is one click. In a side panel, where the transcript
  // sits below the brief, the window follows only when the turn would be out of sight.
  function jump(index) {
    const turns = $("brief").querySelector(".aap-turns"), turn = $("turn-" + index);
    if (!turns || !turn) return;
    for (const old of turns.querySelectorAll(".aap-at")) old.classList.remove("aap-at");
    turn.classList.add("aap-at");
    jumpedTo = index;
    turns.scrollTop += turn.getBoundingClientRect().top - turns.getBoundingClientRect().top - 4;
    const top = turn.getBoundingClientRect().top;
    if (top < 0 || top + 24 > innerHeight) $("brief").querySelector(".aap-jumps").scrollIntoView({ block: "start" });
  }
  $("brief").addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#turn-"]');
    if (!link) return;
    event.preventDefault();  // a fragment navigation would scroll every scrollable box, the window too
    jump(Number(link.getAttribute("href").slice("#turn-".length)));
  });
  // --- feedback on each section --------------------------------------------------------------------
  function feedbackFor(section, compact) {
    const box = el("div", compact ? "fb fb-compact" : "fb");
    box.dataset.for = section;
    if (sent[section]) {
      box.append(el("span", "fb-done", (compact ? SECTIONS[section] + ": " : "") + "marked " + sent[section] + ", thanks"));
      return box;
    }
    box.append(el("span", "fb-q", compact ? SECTIONS[section] : "Was this right?"));
    for (const [verdict, label] of [["helpful", "\u2713 Helpful"], ["wrong", "\u2717 Wrong"]]) {
      const button = el("button", "fb-" + verdict, compact ? label.slice(0, 1) : label);
      button.type = "button";
      button.title = SECTIONS[section] + ": " + verdict;
      button.setAttribute("aria-label", SECTIONS[section] + ": " + verdict);
      button.addEventListener("click", () => askComment(box, section, verdict));
      box.append(button);
    }
    return box;
  }
  function askComment(box, section, verdict) {
    const form = el("form", "fb-form");
    const comment = el("textarea");
    comment.maxLength = 1000;
    comment.rows = 2;
    comment.placeholder = verdict === "wrong" ? "What was wrong? (optional)" : "Comment (optional)";
    comment.setAttribute("aria-label", SECTIONS[section] + ": comment");
    const send = el("button", "fb-send", "Send: " + verdict);
    send.type = "submit";
    const cancel = el("button", "", "Cancel");
    cancel.type = "button";
    const message = el("span", "fb-error");
    message.setAttribute("role", "alert");
    form.append(comment, send, cancel, message);
    cancel.addEventListener("click", () => box.replaceWith(feedbackFor(section, box.classList.contains("fb-compact"))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      send.disabled = true;
      const body = { section, verdict, program, comment: comment.value };
      if (prompt) body.prompt_version = prompt;
      try {
        const response = await fetch("../core/conversations/" + encodeURIComponent(conversation) + "/feedback", {
          method: "POST", cache: "no-store",
          headers: { ...authHeaders(), "Content-Type": "application/json" }, body: JSON.stringify(body),
        });
        if (response.ok) {
          sent[section] = verdict;
          box.replaceWith(feedbackFor(section, box.classList.contains("fb-compact")));
          return;
        }
        let detail = "";
        try { detail = (await response.json()).detail || ""; } catch (e) {}
        message.textContent = "Not sent (" + response.status + "): " + detail;
      } catch (e) {
        message.textContent = "Not sent: service unreachable";
      }
      send.disabled = false;
    });
    box.replaceChildren(form);
    comment.focus();
  }
  function addFeedback() {
    const header = $("brief").querySelector(".aap-header");
    const row = el("div", "fb-row");
    for (const target of $("brief").querySelectorAll("[data-section]")) {
      const section = target.dataset.section;
      if (header && header.contains(target)) {
        row.append(feedbackFor(section, true));
      } else {
        target.append(feedbackFor(section, false));
      }
    }
    if (header && row.childElementCount) header.append(row);
  }
  // --- the brief -----------------------------------------------------------------------------------
  function render(html) {
    // A refreshed live brief keeps the reader where they were: at the latest turn if they were there (or this is
    // the first brief), else at the same place.
    const before = $("brief").querySelector(".aap-turns");
    const atEnd = !before || before.scrollHeight - before.scrollTop - before.clientHeight < 24;
    const kept = before ? before.scrollTop : 0;
    const revealed = $("brief").querySelector(".aap-reveal input:checked") !== null;
    $("brief").innerHTML = html;
    addFeedback();
    waiting = false;
    show("brief");  // before scrolling: a hidden element has nothing to scroll
    showEarlier();
    const turns = $("brief").querySelector(".aap-turns");
    if (turns) turns.scrollTop = atEnd ? turns.scrollHeight : kept;
    if (jumpedTo !== null && $("turn-" + jumpedTo)) $("turn-" + jumpedTo).classList.add("aap-at");
    const reveal = $("brief").querySelector(".aap-reveal input");
    if (reveal) reveal.checked = revealed;
    shownAt = Date.now();
    live = $("brief").querySelector(".aap-live") !== null;
    tick();
  }
  async function load(quiet) {
    const secret = sessionStorage.getItem(KEY);
    if (!secret) { askKey(""); return; }
    if (!quiet) state("Loading\u2026", "Building a fresh brief for " + number);
    const headers = { ...authHeaders(), "Accept": "text/html" };
    if (quiet && etag) headers["If-None-Match"] = etag;
    let response;
    try {
      response = await fetch("../core/agent-assist/" + segment, { headers, cache: "no-store" });
    } catch (e) {
      if (quiet) { $("updated").textContent = "Not updated: service unreachable"; pollLater(); return; }
      state("Service unreachable", String(e)); return;
    }
    if (response.status === 304) {
      $("updated").textContent = "Checked " + new Date().toLocaleTimeString();
      pollLater();
      return;
    }
    if (response.ok) {
      const html = await response.text();
      const was = conversation;
      etag = response.headers.get("ETag");
      conversation = response.headers.get("X-Assist-Conversation-Id");
      program = response.headers.get("X-Assist-Program") || "unknown";
      prompt = response.headers.get("X-Assist-Prompt-Version");
      if (conversation !== was) {
        for (const section in sent) delete sent[section];
        jumpedTo = null;
      }
      render(html);
      earlierAgain();
      $("program").textContent = "Brief by " + program;
      $("updated").textContent = live ? "Updated " + new Date().toLocaleTimeString() : "";
      document.title = (live ? "LIVE " : "") + number + " - Agent assist";
      if (live) pollLater(); else stopPolling();
      return;
    }
    stopPolling();
    etag = null;
    let detail = "", code = "";
    try { ({ detail = "", code = "" } = await response.json()); } catch (e) {}
    if (code === "no_transcript_yet") {
      conversation = null;  // the call on screen has no brief, so no id, yet
      state("No transcript yet", "The call from " + number + " has begun, but nothing has been said yet. " +
        "This page asks again every few seconds.", true);
      earlierAgain();
      live = true;
      pollLater();
    } else if (response.status === 404) {
      state("Not Found", "No conversation found for " + number + ".");
    } else if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      askKey("That key was not accepted: " + detail);
    } else if (response.status === 400 && ("X-Anyreach-Org" in headers || !secret.startsWith("pat_"))) {
      // The contract's only other 400 is a pat_ sent without its organization, which this request was not.
      state("Not a phone number", detail + ". Check the link you opened: it should end in the caller's number.");
    } else if (response.status === 400 || response.status === 403) {
      askKey(detail);
    } else {
      state("Could not load the brief (" + response.status + ")", detail);
    }
  }
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("secret").value.trim());
    const org = $("org").value.trim();
    if (org) sessionStorage.setItem(ORG, org); else sessionStorage.removeItem(ORG);
    $("secret").value = "";
    load(false);
  });
  $("reload").addEventListener("click", () => load(false));
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); askKey("Key forgotten."); });
  document.addEventListener("visibilitychange", () => { if (live && !document.hidden) load(true); });
  setInterval(tick, 1000);
  load(false);
})();
"""

_SHELL_STYLE = """
body{margin:0;background:#f6f7f9;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24}
.bar{display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center;padding:6px 12px;background:#1b2a4a;color:#fff;
 font-size:13px}
.bar b{font-weight:600}.bar .grow{flex:1}.bar button{font:inherit;font-size:12px;padding:2px 8px}
.bar .info{display:flex;flex-wrap:wrap;gap:0 12px;opacity:.8}.bar .actions{display:flex;gap:6px}
.panel{max-width:440px;margin:48px auto;background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:18px 22px}
.panel h1{font-size:22px;margin:0 0 6px}.panel label{display:block;margin:10px 0 2px;color:#5b6470}
.panel input{width:100%;font:inherit;padding:6px 8px;box-sizing:border-box}
.panel button{margin-top:14px;font:inherit;padding:6px 14px}
#login-msg{color:#9b1c1c;min-height:1em}
.fb{display:flex;flex-wrap:wrap;align-items:center;gap:4px 6px;margin-top:8px;font-size:12px;color:#5b6470}
.fb button{font:inherit;font-size:12px;line-height:1.4;padding:0 8px;border:1px solid #cfd5dd;border-radius:4px;
 background:#fff;color:#1b1f24;cursor:pointer}
.fb button:hover{border-color:#2456c7}
.fb-compact{margin-top:0}.fb-compact button{padding:0 6px}
.fb-done{color:#17612f}.fb-error{color:#9b1c1c}
.fb-form{display:flex;flex-wrap:wrap;align-items:center;gap:6px;width:100%}
.fb-form textarea{flex:1 1 100%;font:inherit;font-size:13px;padding:4px 6px;box-sizing:border-box}
.fb-row{flex-basis:100%;display:flex;flex-wrap:wrap;gap:2px 18px}
.aap-transcript>.fb{padding-top:6px;border-top:1px solid #dde1e6}
.aap-history h2{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:#5b6470;margin:0 0 6px}
.aap-calls,.aap .aap-calls{list-style:none;padding:0;margin:0}
.aap-calls li{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 8px;padding:3px 0;border-top:1px solid #dde1e6}
.aap-calls li:first-child{border-top:0}
.aap-history-none{padding:6px 14px;margin-top:0;color:#5b6470;font-size:13px}
.aap-when{min-width:11.5em;font-variant-numeric:tabular-nums}.aap-history .aap-meta{color:#5b6470}.aap-why{flex-basis:100%;color:#5b6470}
.aap-status-live{background:#c62828;color:#fff}.aap-status-ended{background:#eceef1;color:#4a525c}
.aap-status-failed{background:#ffd9d9;color:#9b1c1c}
.aap-history-failed{color:#9b1c1c}
.aap-more{margin-top:6px;font:inherit;font-size:12px;padding:1px 10px}
.panel .aap-history{margin:14px 0 0;padding:10px 0 0;border:0;border-top:1px solid #dde1e6;border-radius:0}
/* A side panel: the bar keeps one line, its two notes stacked at the left of the two buttons. */
@media (max-width:480px){.panel{margin:16px 10px}.bar{flex-wrap:nowrap}.bar b,.bar #number,.bar .grow{display:none}
 .bar .info{flex:1;min-width:0;font-size:12px}}
"""

_SHELL_BODY = """<div class="bar"><b>Agent assist</b><span id="number"></span><span class="grow"></span>
<span class="info"><span id="program"></span><span id="updated" aria-live="polite"></span></span>
<span class="actions"><button id="reload" type="button">Refresh</button>
<button id="forget" type="button">Forget key</button></span></div>
<form id="login" class="panel" hidden autocomplete="off"><h1>Sign in</h1>
<p>Paste an API key (ak_) or personal access token (pat_) with the conversations:read_sensitive scope.
It is kept in this tab only.</p><p id="login-msg" role="alert"></p>
<label for="secret">Key</label><input id="secret" type="password" required>
<label for="org">Organization (X-Anyreach-Org; required for pat_)</label><input id="org" type="text">
<button type="submit">Show brief</button></form>
<section id="status" class="panel" hidden><h1 id="status-title"></h1><p id="status-text"></p></section>
<main id="brief" hidden></main>"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")

#: The deep-link page at ``/agent-assist/{phone_number}``: the same bytes for every number.
HANDOFF_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">'
    # The brief's stylesheet too: the earlier calls are drawn in its badges under "No transcript yet" as well.
    f"<title>Agent assist</title><style>{STYLESHEET}{_SHELL_STYLE}</style></head><body>{_SHELL_BODY}"
    f"<script>{_SCRIPT}</script></body></html>"
)
HANDOFF_PAGE_CSP = (
    f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
