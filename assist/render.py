"""HTML of a handoff brief: the one renderer behind the handoff page, the API's ``text/html`` answer and
``AgentAssistPortal._repr_html_`` in notebooks.

Every string from a brief passes through :func:`html.escape` (transcripts are untrusted caller speech).
Styles are scoped under ``.aap`` so the fragment can sit inside a notebook or the page shell.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from assist.schema import SENTIMENT_LEVELS, AgentAssistPortal, TranscriptTurn

__all__ = ["HANDOFF_PAGE", "HANDOFF_PAGE_CSP", "STYLESHEET", "portal_html"]

STYLESHEET = """
.aap{--bg:#f6f7f9;--card:#fff;--ink:#1b1f24;--mute:#5b6470;--line:#dde1e6;--accent:#2456c7;
 font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg);
 padding:12px;box-sizing:border-box}
.aap *{box-sizing:border-box}
.aap h1{font-size:20px;margin:0}
.aap h2{font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--mute);margin:0 0 6px}
.aap-header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;background:var(--card);
 border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin-bottom:10px}
.aap-meta{color:var(--mute);font-variant-numeric:tabular-nums}
.aap-badge{display:inline-block;border-radius:999px;padding:2px 10px;font-size:12px;font-weight:600}
.aap-s-calm{background:#e3f4e8;color:#17612f}.aap-s-slightly_frustrated{background:#fff4d6;color:#7a5600}
.aap-s-frustrated{background:#ffe6cc;color:#8a3d00}.aap-s-angry{background:#ffd9d9;color:#9b1c1c}
.aap-s-escalated{background:#7a1212;color:#fff}
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
.aap-transcript{max-height:calc(100vh - 120px);overflow:auto}
.aap-turn{padding:5px 0;border-top:1px solid var(--line)}
.aap-turn:first-of-type{border-top:0}
.aap-role{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;margin-right:6px}
.aap-role-user{color:#2456c7}.aap-role-assistant{color:#6b4bb8}
.aap-content{white-space:pre-wrap;overflow-wrap:anywhere}
.aap-chip{display:inline-block;margin:3px 4px 0 0;border-radius:4px;padding:0 6px;font-size:11px;
 background:#eef2fb;color:#233a73;border:1px solid #cdd8f3}
.aap-m-frustration,.aap-m-escalation_trigger{background:#fdecec;color:#8f1d1d;border-color:#f2c2c2}
.aap-m-identity_verified{background:#e3f4e8;color:#17612f;border-color:#bfe3ca}
.aap-m-ai_commitment{background:#fff4d6;color:#7a5600;border-color:#f0dc9c}
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


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "duration unknown"
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}"


def _turn(index: int, turn: TranscriptTurn) -> str:
    chips = "".join(
        f'<span class="aap-chip aap-m-{_e(m.type)}" title="{_e(m.description)}">'
        f"{_e(_MARKER_LABELS.get(m.type, m.type))}: {_e(m.description)}</span>"
        for m in turn.markers
    )
    return (
        f'<div class="aap-turn" id="turn-{index}"><span class="aap-role aap-role-{_e(turn.role)}">'
        f"{_e(_ROLE_LABELS.get(turn.role, turn.role))}</span>"
        f'<span class="aap-content">{_e(turn.content)}</span>{f"<div>{chips}</div>" if chips else ""}</div>'
    )


def portal_html(portal: AgentAssistPortal, *, standalone: bool = False) -> str:
    """The brief as one screen of HTML: a ``<div class="aap">`` fragment, or a whole document."""
    header = portal.header
    level = header.sentiment.level if header.sentiment.level in SENTIMENT_LEVELS else "calm"
    info_rows = "".join(
        f"<tr><th>{_e(item.key)}</th><td>{_e(item.value)}</td></tr>" for item in portal.information_collected
    )
    steps = "".join(
        f'<li>{_e(step.action)} <span class="aap-badge aap-c-{_e(step.confidence)}">'
        f"{_e(step.confidence)} confidence</span></li>"
        for step in portal.suggested_next_steps
    )
    flags = "".join(
        f'<li><span class="aap-flag-type">{_e(flag.type)}</span>: {_e(flag.description)}</li>'
        for flag in portal.compliance_flags
    )
    body = (
        f'<div class="aap"><style>{STYLESHEET}</style>'
        f'<header class="aap-header"><h1 class="aap-caller">{_e(header.caller_name)}</h1>'
        f'<span class="aap-meta aap-phone">{_e(header.phone_number)}</span>'
        f'<span class="aap-meta aap-duration">{_e(_duration(header.call_duration_seconds))}</span>'
        f'<span class="aap-badge aap-sentiment aap-s-{_e(level)}">{_e(header.sentiment.label)}</span></header>'
        '<div class="aap-grid"><div>'
        f'<section class="aap-card aap-transfer"><h2>Transfer reason</h2>'
        f'<p class="aap-reason">{_e(portal.transfer_reason)}</p></section>'
        f'<section class="aap-card aap-compliance{" aap-flags" if flags else ""}"><h2>Compliance flags</h2>'
        f"{f'<ul>{flags}</ul>' if flags else '<p class=aap-none>None</p>'}</section>"
        '<section class="aap-card aap-summary"><h2>Summary</h2><ul>'
        + "".join(f"<li>{_e(bullet)}</li>" for bullet in portal.call_summary)
        + "</ul></section>"
        f'<section class="aap-card aap-info"><h2>Information collected</h2>'
        f"{f'<table>{info_rows}</table>' if info_rows else '<p class=aap-none>Nothing collected</p>'}</section>"
        f'<section class="aap-card aap-next"><h2>Suggested next steps</h2><ol>{steps}</ol></section>'
        "</div>"
        f'<section class="aap-card aap-transcript"><h2>Transcript ({len(portal.transcript)} turns)</h2>'
        + "".join(_turn(i, turn) for i, turn in enumerate(portal.transcript))
        + "</section></div></div>"
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

_SCRIPT = r"""
(() => {
  const KEY = "assist.secret", ORG = "assist.org";
  const segment = location.pathname.slice(location.pathname.lastIndexOf("/") + 1);
  let number = segment;
  try { number = decodeURIComponent(segment); } catch (e) {}
  const $ = (id) => document.getElementById(id);
  const show = (id) => { for (const s of ["login", "status", "brief"]) $(s).hidden = s !== id; };
  $("number").textContent = number;
  function state(title, text) {
    $("status-title").textContent = title;
    $("status-text").textContent = text;
    document.title = title + " - Agent assist";
    show("status");
  }
  function askKey(message) {
    $("login-msg").textContent = message || "";
    $("org").value = sessionStorage.getItem(ORG) || "";
    show("login");
    $("secret").focus();
  }
  async function load() {
    const secret = sessionStorage.getItem(KEY);
    if (!secret) { askKey(""); return; }
    state("Loading\u2026", "Building a fresh brief for " + number);
    const headers = { "Authorization": "Bearer " + secret, "Accept": "text/html" };
    const org = sessionStorage.getItem(ORG);
    if (org) headers["X-Anyreach-Org"] = org;
    let response;
    try {
      response = await fetch("../core/agent-assist/" + segment, { headers, cache: "no-store" });
    } catch (e) {
      state("Service unreachable", String(e)); return;
    }
    if (response.ok) {
      $("brief").innerHTML = await response.text();
      $("program").textContent = "Brief by " + (response.headers.get("X-Assist-Program") || "unknown");
      document.title = number + " - Agent assist";
      show("brief");
      return;
    }
    let detail = "";
    try { detail = (await response.json()).detail || ""; } catch (e) {}
    if (response.status === 404) {
      state("Not Found", "No conversation found for " + number + ".");
    } else if (response.status === 401) {
      sessionStorage.removeItem(KEY);
      askKey("That key was not accepted: " + detail);
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
    load();
  });
  $("reload").addEventListener("click", load);
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); askKey("Key forgotten."); });
  load();
})();
"""

_SHELL_STYLE = """
body{margin:0;background:#f6f7f9;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24}
.bar{display:flex;gap:12px;align-items:center;padding:6px 12px;background:#1b2a4a;color:#fff;font-size:13px}
.bar b{font-weight:600}.bar .grow{flex:1}.bar button{font:inherit;font-size:12px;padding:2px 8px}
#program{opacity:.8}
.panel{max-width:440px;margin:48px auto;background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:18px 22px}
.panel h1{font-size:22px;margin:0 0 6px}.panel label{display:block;margin:10px 0 2px;color:#5b6470}
.panel input{width:100%;font:inherit;padding:6px 8px;box-sizing:border-box}
.panel button{margin-top:14px;font:inherit;padding:6px 14px}
#login-msg{color:#9b1c1c;min-height:1em}
"""

_SHELL_BODY = """<div class="bar"><b>Agent assist</b><span id="number"></span><span class="grow"></span>
<span id="program"></span><button id="reload" type="button">Refresh</button>
<button id="forget" type="button">Forget key</button></div>
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
    f"<title>Agent assist</title><style>{_SHELL_STYLE}</style></head><body>{_SHELL_BODY}"
    f"<script>{_SCRIPT}</script></body></html>"
)
HANDOFF_PAGE_CSP = (
    f"default-src 'none'; script-src 'sha256-{_SCRIPT_HASH}'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
