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

Any other signature (e.g. the instruction proposer of MIPROv2) gets a short string per output field.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["LIAR_PHONE", "MADE_UP_VALUE", "ScriptedLM"]

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


def _chat_adapter_answer(values: dict[str, Any]) -> str:
    parts = [
        f"[[ ## {name} ## ]]\n{v if isinstance(v, str) else json.dumps(v)}" for name, v in values.items()
    ]
    return "\n\n".join([*parts, "[[ ## completed ## ]]"])


def answer(messages: list[dict[str, Any]], model: str) -> str:
    """The completion text for a chat request (``model`` without the provider prefix)."""
    mode = model.removeprefix("scripted").lstrip("-") or "normal"
    if mode in ("slow", "flaky"):
        mode = "normal"
    if mode == "garbage":
        return "I'm sorry, I can't produce that format. The caller seemed fine."
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    fields = _output_fields(system) if "Your output fields are:" in system else []
    user = messages[-1]["content"] if messages else ""
    names = {name for name, _ in fields}
    if {"caller_name", "markers"} <= names:
        brief = _brief_fields(_input_section(user, "transcript"), mode)
        return _chat_adapter_answer({name: brief[name] for name, _ in fields})
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
        #: ``scripted-flaky`` hangs (``slow_seconds``) while this is true.
        self.hanging = False
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if model == "scripted-500":
                    self._send(500, {"error": {"message": "scripted internal error", "type": "server_error"}})
                    return
                if model == "scripted-slow" or (model == "scripted-flaky" and scripted.hanging):
                    time.sleep(scripted.slow_seconds)
                text = answer(body.get("messages", []), model)
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
                        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
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
