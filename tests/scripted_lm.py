"""A scripted OpenAI-compatible chat-completions server for testing the dspy program without a real model.

It speaks the wire protocol (``POST /v1/chat/completions``) and answers in DSPy's ChatAdapter format, so
``ASSIST_LM=openai/scripted`` with ``ASSIST_LM_API_BASE`` pointing here exercises the real client path
(request building, HTTP, response parsing, caching) end to end. Answers are deterministic functions of
the request, never measurements of model quality.

The model name picks the behaviour:

* ``scripted``: a plausible brief: the caller's name when the transcript says "my name is ...", turn 0
  marked ``key_info``, the first caller utterance as collected information.
* ``scripted-liar``: the same plus things code must not trust: an information value absent from the
  transcript, markers at turn indices that do not exist, and a phone number in the summary.
* ``scripted-invalid``: parses, but breaks the portal contract (one summary bullet).
* ``scripted-garbage``: free text with no field markers.
* ``scripted-500``: HTTP 500.
* ``scripted-slow``: the normal answer after ``slow_seconds``.
* ``scripted-flaky``: like ``scripted-slow`` while :attr:`ScriptedLM.hanging` is true, like ``scripted`` after:
  a model that hangs, then recovers.
* ``scripted-fixable``: free text first; the normal answer once the request shows it its unreadable answer.
* ``scripted-gold``: the gold brief of a call registered with :meth:`ScriptedLM.add_gold` (found by the
  transcript's first turns), as a model would write it (markers without descriptions);
  ``scripted-gold-<slip>`` the same with one slip of :data:`SLIPS`, the everyday mistakes of small models;
  ``scripted-gold-mixed`` one slip per call, a different one from call to call (chosen by the call's opening).
* ``scripted-judge``: a judge (``eval/judge.py``) that grades by words: key-idea precision and recall are the
  shares of the response's and the ground truth's words the other one has; each ``- `` line of a brief is a
  claim; a claim is supported iff every word of four letters or more in it occurs in the transcript.
  ``scripted-judge-sloppy`` answers a precision that is not a number and leaves the last claim without a
  verdict; ``scripted-judge-slow`` answers like ``scripted-judge`` after ``slow_seconds``.
* Any other model name (e.g. ``gpt-4o-mini``, to get a JSON-schema ``response_format`` from DSPy) answers like
  ``scripted``.

The answer's format follows the request: one JSON object when the request asks for JSON (DSPy's
``JSONAdapter``), else ``[[ ## field ## ]]`` sections (``ChatAdapter``).

Any other signature (e.g. the instruction proposer of MIPROv2) gets a short string per output field.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from assist.programs.dspy_program import numbered_transcript
from assist.schema import LabelledExample

__all__ = ["LIAR_PHONE", "MADE_UP_VALUE", "SLIPS", "ScriptedLM", "apply_slip", "gold_answer"]

MADE_UP_VALUE = "ACCT-4242-NOT-SAID"
LIAR_PHONE = "+19999999999"

_OUTPUT_FIELD = re.compile(r"^\d+\. `(\w+)` \((.*?)\):", re.MULTILINE)
_TURN = re.compile(r"^\[(\d+)\] (caller|agent): (.*)$", re.MULTILINE)
_NAME = re.compile(r"\bmy name is ([a-z]+(?: [a-z]+)?)", re.IGNORECASE)


def _output_fields(system: str) -> list[tuple[str, str]]:
    """``(name, type)`` of each output field listed in a ChatAdapter system message."""
    section = system.split("Your output fields are:", 1)[1].split("All interactions", 1)[0]
    return [(m.group(1), m.group(2)) for m in _OUTPUT_FIELD.finditer(section)]


def _input_section(user: str, name: str) -> str:
    match = re.search(rf"\[\[ ## {name} ## \]\]\n(.*?)(?=\n\[\[ ## |\Z)", user, re.DOTALL)
    return match.group(1) if match else ""


def _brief_fields(transcript: str, mode: str) -> dict[str, Any]:
    turns = [(int(i), role, text) for i, role, text in _TURN.findall(transcript)]
    caller_lines = [text for _, role, text in turns if role == "caller"]
    name = _NAME.search(" ".join(caller_lines))
    first_words = next(
        (text for text in caller_lines if len(text.split()) >= 2), caller_lines[0] if caller_lines else ""
    )
    summary = [
        f"Caller opened with: {first_words}" if first_words else "Caller did not speak",
        f"The call has {len(turns)} turns",
        "The caller needs a human to finish the request",
    ]
    info = [{"key": "Opening request", "value": first_words}] if first_words else []
    markers: list[dict[str, Any]] = [{"turn": 0, "type": "key_info", "description": "Start of the call"}]
    if mode == "liar":
        summary.append(f"Call back on {LIAR_PHONE}")
        info.append({"key": "Account number", "value": MADE_UP_VALUE})
        markers += [
            {"turn": len(turns) + 5, "type": "frustration", "description": "A turn that does not exist"},
            {"turn": -1, "type": "escalation_trigger", "description": "A negative index"},
        ]
    if mode == "invalid":
        summary = summary[:1]
    return {
        "caller_name": name.group(1).title() if name else "Unknown Caller",
        "sentiment": "calm",
        "transfer_reason": "The caller asked for something the assistant could not complete",
        "call_summary": summary,
        "information_collected": info,
        "suggested_next_steps": [
            {"action": "Confirm the caller's request and complete it", "confidence": "medium"}
        ],
        "markers": markers,
        "compliance_flags": [],
    }


def _chat_adapter_answer(values: dict[str, Any], *, fenced: bool = False) -> str:
    def text(value: Any) -> str:
        if isinstance(value, str):
            return value
        return f"```json\n{json.dumps(value)}\n```" if fenced else json.dumps(value)

    parts = [f"[[ ## {name} ## ]]\n{text(value)}" for name, value in values.items()]
    return "\n\n".join([*parts, "[[ ## completed ## ]]"])


def gold_answer(gold: dict[str, Any]) -> dict[str, Any]:
    """What a model that knows the gold would answer: every section, markers without descriptions."""
    return {
        "caller_name": gold["caller_name"],
        "sentiment": gold["sentiment"],
        "transfer_reason": gold["transfer_reason"],
        "call_summary": list(gold["call_summary"]),
        "information_collected": [dict(item) for item in gold["information_collected"]],
        "suggested_next_steps": [dict(step) for step in gold["suggested_next_steps"]],
        "markers": [{"turn": marker["turn"], "type": marker["type"]} for marker in gold["markers"]],
        "compliance_flags": [dict(flag) for flag in gold["compliance_flags"]],
    }


def _first(items: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if not items:
        raise ValueError(f"this call's gold has no {what} to slip on")
    return items[0]


def _slip_fences(answer: dict[str, Any], turns: int) -> None:
    """Marked here; the fences themselves are written by the formatter."""


def _slip_title_case(answer: dict[str, Any], turns: int) -> None:
    answer["sentiment"] = answer["sentiment"].replace("_", " ").title()


def _slip_high(answer: dict[str, Any], turns: int) -> None:
    _first(answer["suggested_next_steps"], "step")["confidence"] = "High"


def _slip_marker_words(answer: dict[str, Any], turns: int) -> None:
    marker = _first(answer["markers"], "marker")
    marker["type"] = marker["type"].replace("_", " ")


def _slip_extra_key(answer: dict[str, Any], turns: int) -> None:
    _first(answer["markers"], "marker")["speaker"] = "caller"


def _slip_string_turn(answer: dict[str, Any], turns: int) -> None:
    marker = _first(answer["markers"], "marker")
    marker["turn"] = str(marker["turn"])


def _slip_empty_value(answer: dict[str, Any], turns: int) -> None:
    _first(answer["information_collected"], "information")["value"] = ""


def _slip_info_mapping(answer: dict[str, Any], turns: int) -> None:
    answer["information_collected"] = {item["key"]: item["value"] for item in answer["information_collected"]}


def _slip_six_bullets(answer: dict[str, Any], turns: int) -> None:
    bullets = answer["call_summary"]
    answer["call_summary"] = (bullets * 6)[:6]


def _slip_missing_confidence(answer: dict[str, Any], turns: int) -> None:
    del _first(answer["suggested_next_steps"], "step")["confidence"]


def _slip_missing_section(answer: dict[str, Any], turns: int) -> None:
    del answer["compliance_flags"]


def _slip_out_of_range_turn(answer: dict[str, Any], turns: int) -> None:
    answer["markers"].append({"turn": turns + 3, "type": "key_info"})


#: One realistic slip each, by name (``scripted-gold-<name>``): what it does to the gold answer.
SLIPS: dict[str, Callable[[dict[str, Any], int], None]] = {
    "title-case-enum": _slip_title_case,
    "high-confidence": _slip_high,
    "marker-words": _slip_marker_words,
    "extra-key": _slip_extra_key,
    "string-turn": _slip_string_turn,
    "empty-value": _slip_empty_value,
    "info-mapping": _slip_info_mapping,
    "six-bullets": _slip_six_bullets,
    "missing-confidence": _slip_missing_confidence,
    "fences": _slip_fences,
    "missing-section": _slip_missing_section,
    "out-of-range-turn": _slip_out_of_range_turn,
}


def apply_slip(answer: dict[str, Any], slip: str | None, turns: int) -> dict[str, Any]:
    """A copy of ``answer`` with ``slip`` (a key of :data:`SLIPS`) applied; ``None``: unchanged."""
    slipped: dict[str, Any] = json.loads(json.dumps(answer))
    if slip is not None:
        SLIPS[slip](slipped, turns)
    return slipped


def _transcript_of(messages: list[dict[str, Any]]) -> str:
    """The call being briefed: the last user message with a transcript (earlier ones are demos)."""
    for message in reversed(messages):
        if message.get("role") == "user" and "[[ ## transcript ## ]]" in str(message.get("content")):
            return _input_section(str(message["content"]), "transcript")
    return ""


def _gold_key(lines: list[str]) -> str:
    return "\n".join(lines[:3])


def _wants_json(body: dict[str, Any], system: str) -> bool:
    return "response_format" in body or "Outputs will be a JSON object" in system


_WORD = re.compile(r"[a-z0-9]+")
_CLAIM = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _judge_input(user: str, name: str) -> str:
    """An input field of a judge request, without the closing "Respond with ..." line after the last one."""
    return _input_section(user, name).split("\n\nRespond with the corresponding output fields", 1)[0]


def _key_ideas(user: str, sloppy: bool) -> dict[str, Any]:
    """SemanticF1's fields: the shares of each side's words the other side has."""
    truth, response = (
        _words(_judge_input(user, "ground_truth")),
        _words(_judge_input(user, "system_response")),
    )
    shared = truth & response
    precision = round(len(shared) / len(response), 3) if response else 0.0
    return {
        "reasoning": f"{len(shared)} words in common",
        "recall": round(len(shared) / len(truth), 3) if truth else 0.0,
        "precision": "mostly" if sloppy else precision,
    }


def _verdicts(user: str, sloppy: bool) -> list[dict[str, Any]]:
    """Supported iff every word of four letters or more occurs in the transcript; the reason names the first that
    does not."""
    heard = _words(_judge_input(user, "transcript"))
    claims = _CLAIM.findall(_judge_input(user, "claims"))
    verdicts = []
    for number, claim in claims[:-1] if sloppy else claims:
        unheard = [word for word in _WORD.findall(claim.lower()) if len(word) >= 4 and word not in heard]
        reason = (
            f"'{unheard[0]}' is never said in the call" if unheard else "every word of it is said in the call"
        )
        verdicts.append({"claim": int(number), "supported": not unheard, "reason": reason})
    return verdicts


def _judge_answer(messages: list[dict[str, Any]], names: set[str], sloppy: bool) -> str | None:
    """The answer of ``scripted-judge`` to one of the judge's signatures, or ``None`` for any other request."""
    user = str(messages[-1].get("content", ""))
    if {"precision", "recall"} <= names:
        return _chat_adapter_answer(_key_ideas(user, sloppy))
    if names == {"claims"}:
        brief = _judge_input(user, "brief")
        claims = [line[2:].strip() for line in brief.splitlines() if line.startswith("- ")]
        return _chat_adapter_answer({"claims": claims})
    if names == {"verdicts"}:
        return _chat_adapter_answer({"verdicts": _verdicts(user, sloppy)})
    return None


def answer(
    messages: list[dict[str, Any]],
    model: str,
    *,
    body: dict[str, Any] | None = None,
    golds: dict[str, tuple[dict[str, Any], int]] | None = None,
) -> str:
    """The completion text for a chat request (``model`` without the provider prefix)."""
    mode = model.removeprefix("scripted").lstrip("-") if model.startswith("scripted") else ""
    mode = mode or "normal"
    if mode in ("slow", "flaky"):
        mode = "normal"
    if mode == "judge-slow":
        mode = "judge"
    if mode == "fixable":
        shown_its_answer = any(
            "could not be used" in str(m.get("content")) for m in messages if m["role"] == "user"
        )
        mode = "normal" if shown_its_answer else "garbage"
    if mode == "garbage":
        return "I'm sorry, I can't produce that format. The caller seemed fine."
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    fields = _output_fields(system) if "Your output fields are:" in system else []
    transcript = _transcript_of(messages)
    names = {name for name, _ in fields}
    if mode in ("judge", "judge-sloppy"):
        judged = _judge_answer(messages, names, sloppy=mode == "judge-sloppy")
        if judged is not None:
            return judged
    if {"caller_name", "markers"} <= names:
        slip: str | None = None
        if mode.startswith("gold"):
            slip = mode.removeprefix("gold").lstrip("-") or None
            lines = [line for line in transcript.splitlines() if _TURN.match(line)]
            gold, turns = (golds or {})[_gold_key(lines)]
            if slip == "mixed":
                digest = int(hashlib.sha256(_gold_key(lines).encode()).hexdigest(), 16)
                slip = list(SLIPS)[digest % len(SLIPS)]
            brief = apply_slip(gold_answer(gold), slip, turns)
        else:
            brief = _brief_fields(transcript, mode)
        values = {name: brief[name] for name, _ in fields if name in brief}
        if _wants_json(body or {}, system):
            text = json.dumps(values)
            return f"```json\n{text}\n```" if slip == "fences" else text
        return _chat_adapter_answer(values, fenced=slip == "fences")
    generic: dict[str, Any] = {}
    for name, type_ in fields:
        if type_.startswith(("list", "dict")):
            generic[name] = [] if type_.startswith("list") else {}
        elif type_ == "bool":
            generic[name] = "True"
        else:
            generic[name] = f"Scripted {name.replace('_', ' ')}."
    return _chat_adapter_answer(generic)


class ScriptedLM:
    """Run the server on 127.0.0.1 (a free port) in a background thread; use as a context manager."""

    def __init__(self, *, slow_seconds: float = 2.0) -> None:
        self.slow_seconds = slow_seconds
        #: The last request bodies (at most 20), newest last, to check what the client sent.
        self.bodies: list[dict[str, Any]] = []
        self._golds: dict[str, tuple[dict[str, Any], int]] = {}
        #: ``scripted-flaky`` hangs (``slow_seconds``) while this is true.
        self.hanging = False
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add_gold(self, examples: Iterable[LabelledExample]) -> None:
        """Let ``scripted-gold*`` answer these calls' gold (each call must be fully labelled)."""
        for example in examples:
            assert example.gold is not None
            key = _gold_key(numbered_transcript(example.conversation).splitlines())
            gold = example.gold.model_dump(mode="json")
            if key in self._golds and self._golds[key][0] != gold:
                raise ValueError(f"{example.id}: another call opens with the same turns")
            self._golds[key] = (gold, len(example.conversation.turns))

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                model = str(body.get("model", "scripted")).split("/")[-1]
                with scripted._lock:
                    scripted.requests[model] += 1
                    scripted.bodies = [*scripted.bodies[-19:], body]
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if model == "scripted-500":
                    self._send(500, {"error": {"message": "scripted internal error", "type": "server_error"}})
                    return
                if model in ("scripted-slow", "scripted-judge-slow") or (
                    model == "scripted-flaky" and scripted.hanging
                ):
                    time.sleep(scripted.slow_seconds)
                text = answer(body.get("messages", []), model, body=body, golds=scripted._golds)
                prompt_tokens = len(json.dumps(body.get("messages", []))) // 4 + 1
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-scripted-{scripted.request_count}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": text},
                            }
                        ],
                        # Roughly four characters a token, so usage and cost figures are not all the same.
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": len(text) // 4 + 1,
                            "total_tokens": prompt_tokens + len(text) // 4 + 1,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests); nothing to answer

        return Handler
