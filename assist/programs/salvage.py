"""Read a model's answer into brief sections, section by section and item by item.

A small model's answer is rarely perfect: an enum in title case, a turn number as a string, an extra key, an
empty value, six bullets. Throwing the whole brief away for one such slip would hand the human the fallback
instead of the model's work, so every section and every list item is read on its own:

* **Find the fields** (:func:`answer_fields`), cheapest reading first, as BAML's schema-aligned parsing does:
  DSPy ``ChatAdapter`` sections (``[[ ## call_summary ## ]]``), else one JSON object: the whole reply, inside a
  code fence, or between the first ``{`` and the last ``}``, read by ``json_repair`` (quotes, commas,
  brackets, truncation). Keys are matched case-insensitively with spaces and hyphens as ``_``.
* **Type each section** (:func:`salvage_sections`). Enums are normalized (case; spaces and hyphens to ``_``;
  quotes and trailing punctuation stripped) and then looked up in a short list of synonyms
  (:data:`SYNONYMS`); turn numbers may be strings (``"7"``, ``"[7]"``, ``"turn 7"``); information may be a
  ``{key: value}`` mapping; lists may arrive as a JSON string or as bullet lines. Surplus bullets (over 5)
  and steps (over 3) are cut.
* **Drop what cannot be saved**, one item at a time: an empty value, an unknown marker type, a step without
  a confidence, a marker without a usable turn. A section with nothing usable left (or missing) is not
  returned, and the program fills it from ``rules``.

* **Bound everything.** An answer over :data:`MAX_ANSWER_CHARS` is cut; ``json_repair`` (quadratic on some
  broken input) only sees answers up to :data:`REPAIR_LIMIT` characters and nesting up to
  :data:`MAX_DEPTH` (a longer one that was cut short is closed at its last complete item instead); every text
  is cut to a length the brief can show (:data:`TEXT_LIMITS`) and lists to a count it can use
  (:data:`ITEM_LIMITS`); invisible and invalid characters (lone surrogates, control and format characters) are
  removed.

Every drop, cut and repair is a :class:`assist.programs.SalvageNote` with its section and reason (``answer`` for
how the whole answer was read: a code fence, prose around the JSON, a wrapper object, a cut), so nothing is
lost silently. Nothing here calls a model or knows the conversation; turn ranges are checked where the brief
is assembled.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

import json_repair
from pydantic import BaseModel, ConfigDict, Field

from assist.programs import BRIEF_SECTIONS, BriefSection, NoteSection, SalvageNote
from assist.schema import (
    COMPLIANCE_FAMILIES,
    MARKER_TYPES,
    SENTIMENT_LEVELS,
    ComplianceFlag,
    Confidence,
    InfoItem,
    MarkerType,
    NextStep,
    SentimentLevel,
)

__all__ = [
    "ITEM_LIMITS",
    "MARKER_DESCRIPTIONS",
    "MAX_ANSWER_CHARS",
    "MAX_BULLETS",
    "MAX_DEPTH",
    "MAX_STEPS",
    "MIN_BULLETS",
    "REPAIR_LIMIT",
    "SYNONYMS",
    "TEXT_LIMITS",
    "ModelMarker",
    "Salvaged",
    "answer_fields",
    "normalize_enum",
    "salvage_answer",
    "salvage_sections",
]

CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
#: ``docs/brief.md``: 3 to 5 summary bullets, 1 to 3 next steps.
MIN_BULLETS, MAX_BULLETS = 3, 5
MAX_STEPS = 3
UNKNOWN_CALLER = "Unknown Caller"
#: A brief's answer is a few thousand characters; anything past this is not a brief.
MAX_ANSWER_CHARS = 60_000
#: ``json_repair`` takes quadratic time on some broken input (4,000 characters: 0.4 s, 8,000: 1.5 s); past
#: this only the linear repair runs (closing an answer cut short).
REPAIR_LIMIT = 4_000
#: Nesting a brief never needs (it has three levels); deeper input is not handed to any parser.
MAX_DEPTH = 16
#: Longest text of each kind the brief keeps; longer is cut (with "…") and noted.
TEXT_LIMITS = {"name": 80, "reason": 400, "sentence": 300, "key": 80, "value": 200}
#: Most items of a list the brief keeps; more are cut and noted (bullets and steps: the contract's maximum).
ITEM_LIMITS: dict[BriefSection, int] = {
    "call_summary": MAX_BULLETS,
    "suggested_next_steps": MAX_STEPS,
    "information_collected": 20,
    "compliance_flags": 6,
    "markers": 500,
}

#: Words small models use for an enum value, after normalization. Short on purpose: a word that could mean
#: two values is not here (an ambiguous value is dropped, not guessed).
SYNONYMS: dict[str, dict[str, str]] = {
    "sentiment": {
        "neutral": "calm",
        "positive": "calm",
        "mildly_frustrated": "slightly_frustrated",
        "somewhat_frustrated": "slightly_frustrated",
        "annoyed": "slightly_frustrated",
        "irritated": "frustrated",
        "hostile": "angry",
        "furious": "angry",
        "escalating": "escalated",
    },
    "confidence": {"moderate": "medium", "med": "medium", "mid": "medium"},
    "marker": {
        "frustrated": "frustration",
        "anger": "frustration",
        "identity_verification": "identity_verified",
        "verification": "identity_verified",
        "verified": "identity_verified",
        "commitment": "ai_commitment",
        "promise": "ai_commitment",
        "ai_promise": "ai_commitment",
        "escalation": "escalation_trigger",
        "escalation_request": "escalation_trigger",
        "key_information": "key_info",
        "important_info": "key_info",
        "sentiment_change": "sentiment_shift",
        "mood_shift": "sentiment_shift",
    },
    "compliance": {
        "sensitive_data": "sensitive_data_unverified",
        "unverified_sensitive_data": "sensitive_data_unverified",
        "pii_unverified": "sensitive_data_unverified",
        "unfulfillable_promises": "unfulfillable_promise",
        "unrealistic_promise": "unfulfillable_promise",
        "regulatory": "regulatory_requirement",
        "regulatory_requirements": "regulatory_requirement",
        "regulatory_violation": "regulatory_requirement",
    },
}

#: What a marker without a description says: the product's definition of its type.
MARKER_DESCRIPTIONS: dict[MarkerType, str] = {
    "frustration": "Caller shows frustration",
    "identity_verified": "Identity verified",
    "ai_commitment": "The AI made a commitment",
    "escalation_trigger": "Escalation trigger",
    "key_info": "Key information",
    "sentiment_shift": "Sentiment shift",
}
_FLAG_DESCRIPTIONS = {
    "sensitive_data_unverified": "Sensitive data shared without identity verification",
    "unfulfillable_promise": "A promise that may not be fulfillable",
    "regulatory_requirement": "A regulatory requirement was not met",
}
_UNKNOWN_NAMES = frozenset({"unknown", "unknown_caller", "not_given", "not_stated", "none", "n/a", "na"})

#: Synonyms of the answer's top-level keys (after normalization).
_SECTION_KEYS: dict[str, BriefSection] = {
    "name": "caller_name",
    "caller": "caller_name",
    "sentiment_level": "sentiment",
    "reason": "transfer_reason",
    "summary": "call_summary",
    "information": "information_collected",
    "collected_information": "information_collected",
    "next_steps": "suggested_next_steps",
    "steps": "suggested_next_steps",
    "flags": "compliance_flags",
    "compliance": "compliance_flags",
}
_ITEM_KEYS = {
    "key": ("key", "label", "name", "field"),
    "value": ("value", "val", "detail", "answer"),
    "action": ("action", "step", "text"),
    "confidence": ("confidence",),
    "turn": ("turn", "turn_index", "index", "turn_number"),
    "type": ("type", "kind", "marker", "flag"),
    "description": ("description", "note", "reason", "detail"),
}

_CHAT_FIELD = re.compile(r"^[ \t]*\[\[\s*##\s*([A-Za-z_][\w ]*?)\s*##\s*\]\]", re.MULTILINE)
_FENCE = re.compile(r"```[\w-]*[ \t]*\n?(.*?)\n?[ \t]*```", re.DOTALL)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_TURN = re.compile(r"^\s*(?:turn\s*)?[\[#(]?\s*(\d{1,6})\s*[\])]?\s*$", re.IGNORECASE)
_NON_KEY = re.compile(r"[\s\-]+")
_TRAILING = re.compile(r"[\s.,;:!?]+$")
_QUOTES = "\"'`\u201c\u201d\u2018\u2019"


class _Drop:
    """What an item reader returns for an item it cannot save."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class ModelMarker(BaseModel):
    """A marker the model put on one turn; the turn is checked against the call where the brief is assembled."""

    model_config = ConfigDict(frozen=True)

    turn: int
    type: MarkerType
    description: str
    #: Position in the model's list, for notes about it (not part of what a demo shows a model).
    item: int = Field(default=0, exclude=True)


@dataclass
class Salvaged:
    """The sections that could be saved (typed) and everything done to get them."""

    values: dict[BriefSection, Any] = field(default_factory=dict)
    notes: list[SalvageNote] = field(default_factory=list)

    def note(self, section: NoteSection, action: str, reason: str, item: int | None = None) -> None:
        self.notes.append(SalvageNote(section=section, action=action, reason=reason, item=item))  # type: ignore[arg-type]

    def text(self, raw: Any, section: BriefSection, kind: str, item: int | None = None) -> str | None:
        """``raw`` as the brief can show it: text (a number written as text), without invisible or invalid
        characters, whitespace collapsed, quotes stripped, cut to :data:`TEXT_LIMITS` ``[kind]``; ``None`` when
        nothing is left. Every change but whitespace and quotes is noted."""
        if isinstance(raw, bool) or raw is None:
            return None
        if isinstance(raw, int | float):
            self.note(section, "repaired", "a number given where text belongs", item)
            raw = str(raw)
        if not isinstance(raw, str):
            return None
        visible = _visible(raw)
        if visible != raw:
            self.note(section, "repaired", "invisible or invalid characters removed", item)
        text = " ".join(visible.split()).strip(_QUOTES + " ")
        limit = TEXT_LIMITS[kind]
        if len(text) > limit:
            self.note(section, "cut", f"{len(text):,} characters, cut to {limit}", item)
            text = text[: limit - 1].rstrip() + "…"
        return text or None


def _visible(text: str) -> str:
    """``text`` without lone surrogates, control characters (but whitespace) and format characters
    (zero-width spaces, direction overrides): nothing a person would see, or could be sent as UTF-8."""
    if text.isprintable():
        return text
    return "".join(
        char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )


# --- finding the fields ---------------------------------------------------------------------------


def _unfence(text: str) -> str:
    """The inside of a code fence when the text is one, or holds one and little else."""
    text = text.strip()
    match = _FENCE.search(text)
    if match and (text.startswith("```") or len(match.group(1).strip()) >= 0.5 * len(text)):
        return match.group(1).strip()
    return text


def _section_key(raw: str) -> str:
    key = _NON_KEY.sub("_", raw.strip().strip(_QUOTES).casefold())
    return _SECTION_KEYS.get(key, key)


def _chat_fields(text: str, out: Salvaged) -> dict[str, Any]:
    headers = list(_CHAT_FIELD.finditer(text))
    fields: dict[str, Any] = {}
    fenced = False
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        key = _section_key(header.group(1))
        if key != "completed" and key not in fields:
            raw = text[header.end() : end].strip()
            fields[key] = _unfence(raw)
            fenced = fenced or fields[key] != raw
    if fenced and set(fields) & set(BRIEF_SECTIONS):
        out.note("answer", "repaired", "read from a code fence")
    return fields


def _outside_strings(text: str) -> tuple[list[tuple[int, str]], bool]:
    """The brackets and commas of ``text`` that are not inside a JSON string, with their positions, and whether
    the text ends inside a string (one linear pass)."""
    found: list[tuple[int, str]] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[]{},":
            found.append((index, char))
    return found, in_string


def _depth(text: str) -> int:
    """The deepest bracket nesting of ``text`` outside strings."""
    depth = deepest = 0
    for _, char in _outside_strings(text)[0]:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


def _close_cut_answer(text: str, tries: int = 20) -> Any:
    """An answer cut short (``max_tokens``, or :data:`MAX_ANSWER_CHARS`) read as far as it goes; linear.

    One pass records, at each comma outside strings, which brackets are open. The text is tried closed where
    it ends (an open string ended), then at the last ``tries`` of those commas, until one parses.
    """
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []
    marks, in_string = _outside_strings(text)
    for index, char in marks:
        if char in "[{":
            stack.append("]" if char == "[" else "}")
        elif char in "]}":
            if stack:
                stack.pop()
        elif stack:
            cuts.append((index, "".join(reversed(stack))))
    ends = "".join(reversed(stack))
    # Cut inside a value: end it where it stops (a string closed), then at the last commas before it.
    attempts = [text + ('"' if in_string else "") + ends, *(text[:i] + c for i, c in reversed(cuts[-tries:]))]
    for attempt in attempts:
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            continue
    return None


def _load_json(text: str) -> Any:
    """``text`` as JSON: strict; else repaired (small, shallow input); else closed where it was cut short.

    ``None`` when none of these reads it. Never raises.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    if _depth(text) > MAX_DEPTH:
        return None
    if len(text) <= REPAIR_LIMIT:
        try:
            return json_repair.loads(text)
        except (ValueError, RecursionError):
            return None
    return _close_cut_answer(text)


def _brief_object(value: Any, depth: int = 0) -> dict[str, Any] | None:
    """The object holding the most brief fields, looking through wrappers (``{"brief": {...}}``,
    ``{"result": {...}, "meta": ...}``, ``[{...}]``) up to three levels down."""
    if depth > 3:
        return None
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, dict):
        return None
    best: dict[str, Any] | None = None
    count = len({_section_key(str(key)) for key in value} & set(BRIEF_SECTIONS))
    if count:
        best = value
    for inner in value.values():
        found = _brief_object(inner, depth + 1)
        if found is not None:
            found_count = len({_section_key(str(key)) for key in found} & set(BRIEF_SECTIONS))
            if found_count > count:
                best, count = found, found_count
    return best


def _strict_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _json_fields(text: str, out: Salvaged) -> dict[str, Any]:
    """The fields of the one JSON object in ``text``: the whole reply, a code fence, or the span from the first
    ``{`` to the last ``}``; read strictly first, repaired only when no strict reading finds the brief."""
    start, end = text.find("{"), text.rfind("}")
    candidates = [("", text), ("read from a code fence", _unfence(text))]
    if start != -1:
        span = text[start : end + 1] if end > start else text[start:]
        candidates.append(("JSON read from among other text", span))
    for load in (_strict_json, _load_json):
        for how, candidate in candidates:
            if not candidate or (how and candidate == text):
                continue
            parsed = load(candidate)
            found = _brief_object(parsed)
            if found is None:
                continue
            if how:
                out.note("answer", "repaired", how)
            if load is _load_json:
                out.note("answer", "repaired", "broken JSON repaired")
            if found is not parsed:
                out.note("answer", "repaired", "the fields were inside a wrapper object")
            return {_section_key(str(key)): value for key, value in found.items()}
    return {}


def answer_fields(text: str, out: Salvaged | None = None) -> dict[str, Any]:
    """The answer's fields by normalized name: raw strings (chat sections) or JSON values; ``{}`` if none.

    Chat sections are read first; when they hold no field of the brief, the answer is read as JSON.
    """
    out = out if out is not None else Salvaged()
    if len(text) > MAX_ANSWER_CHARS:
        out.note("answer", "cut", f"{len(text):,} characters, read up to {MAX_ANSWER_CHARS:,}")
        text = text[:MAX_ANSWER_CHARS]
    if _CHAT_FIELD.search(text):
        found = Salvaged()
        fields = _chat_fields(text, found)
        if set(fields) & set(BRIEF_SECTIONS):
            out.notes += found.notes
            return fields
    return _json_fields(text, out)


# --- typing each section --------------------------------------------------------------------------

_E = TypeVar("_E", bound=str)


def normalize_enum(raw: Any, allowed: tuple[_E, ...], synonyms: Mapping[str, str] | None = None) -> _E | None:
    """``raw`` as one of ``allowed``: casefolded, quotes and trailing punctuation stripped, spaces and hyphens
    as ``_``, then looked up in ``synonyms``; ``None`` when it is none of them."""
    if not isinstance(raw, str):
        return None
    key = unicodedata.normalize("NFKC", raw).strip().strip(_QUOTES).casefold()
    key = _NON_KEY.sub("_", _TRAILING.sub("", key)).strip("_")
    key = (synonyms or {}).get(key, key)
    for value in allowed:
        if value == key:
            return value
    return None


def _decoded(raw: Any) -> Any:
    """A chat section's text as JSON where it is JSON, else the text itself."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text[:1] in "[{":
        found = _load_json(text)
        return text if found is None else found
    return text


def _as_list(raw: Any, section: BriefSection, out: Salvaged) -> list[Any] | None:
    """A list section's items: a list; a JSON list inside a string; bullet lines; one object holding a list."""
    value = _decoded(raw)
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        lines = [_BULLET.sub("", line).strip() for line in value.splitlines()]
        lines = [line for line in lines if line]
        if lines and section == "call_summary":
            out.note(section, "repaired", "given as lines of text, not a list")
            return lines
        if value.strip().casefold() in ("", "none", "[]", "n/a"):
            return []
        return None
    if isinstance(value, dict):
        lists = [item for item in value.values() if isinstance(item, list)]
        if len(lists) == 1 and len(value) == 1:
            out.note(section, "repaired", "the list was wrapped in an object")
            return lists[0]
    return None


def _pick(item: Mapping[str, Any], name: str) -> tuple[Any, str | None]:
    """``item``'s value for ``name`` or one of its synonyms, and the key it was found under."""
    keys = {_section_key(str(key)): key for key in item}
    for candidate in _ITEM_KEYS[name]:
        if candidate in keys:
            return item[keys[candidate]], candidate
    return None, None


def _extra_keys(item: Mapping[str, Any], used: set[str | None]) -> list[str]:
    return sorted(str(key)[:40] for key in item if _section_key(str(key)) not in used)


def _items(
    raw: Any, section: BriefSection, out: Salvaged, read: Callable[[Any, int], Any]
) -> list[Any] | None:
    """Each item read by ``read(item, index)`` (a value, or a :class:`_Drop` with the reason); surplus cut."""
    items = _as_list(raw, section, out)
    if items is None:
        out.note(section, "dropped", f"not a list ({type(_decoded(raw)).__name__})")
        return None
    limit = ITEM_LIMITS[section]
    kept: list[Any] = []
    for index, item in enumerate(items):
        if len(kept) == limit:
            out.note(section, "cut", f"{len(items)} items, the brief takes at most {limit}")
            break
        result = read(item, index)
        if isinstance(result, _Drop):
            out.note(section, "dropped", result.reason, index)
        else:
            kept.append(result)
    return kept


def _caller_name(raw: Any, out: Salvaged) -> str | None:
    name = out.text(raw, "caller_name", "name")
    if name is None:
        out.note("caller_name", "dropped", "empty or not text")
        return None
    if _NON_KEY.sub("_", _TRAILING.sub("", name.casefold())) in _UNKNOWN_NAMES and name != UNKNOWN_CALLER:
        out.note("caller_name", "repaired", f"{name[:40]!r} read as {UNKNOWN_CALLER!r}")
        return UNKNOWN_CALLER
    return name


def _sentiment(raw: Any, out: Salvaged) -> SentimentLevel | None:
    value = _decoded(raw) if isinstance(raw, str) and raw.lstrip().startswith("{") else raw
    if isinstance(value, dict):  # the portal's own shape: {"label": ..., "level": ...}
        value = value.get("level", value.get("label"))
    level = normalize_enum(value, SENTIMENT_LEVELS, SYNONYMS["sentiment"])
    if level is None:
        out.note("sentiment", "dropped", f"{str(value)[:40]!r} is not a sentiment level")
    elif value != level:
        out.note("sentiment", "repaired", f"{str(value)[:40]!r} read as {level!r}")
    return level


def _transfer_reason(raw: Any, out: Salvaged) -> str | None:
    value = raw  # text as written: "[Caller] wants a refund" is a sentence, not a JSON list
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        out.note("transfer_reason", "repaired", "given as a list; joined")
        value = " ".join(value)
    text = out.text(value, "transfer_reason", "reason")
    if text is None:
        out.note("transfer_reason", "dropped", "empty or not text")
    return text


def _bullet(out: Salvaged) -> Callable[[Any, int], str | _Drop]:
    def read(item: Any, index: int) -> str | _Drop:
        if isinstance(item, dict) and len(item) == 1:
            item = next(iter(item.values()))
        text = out.text(item, "call_summary", "sentence", index)
        if text is None:
            return _Drop("empty bullet" if item in ("", None) else f"a {type(item).__name__}, not a sentence")
        return _BULLET.sub("", text).strip() or _Drop("empty bullet")

    return read


def _info_item(out: Salvaged) -> Callable[[Any, int], InfoItem | _Drop]:
    def read(item: Any, index: int) -> InfoItem | _Drop:
        if isinstance(item, dict) and len(item) == 1 and _pick(item, "key")[1] is None:
            ((key, value),) = item.items()  # {"Account number": "88412"}
            item = {"key": key, "value": value}
            out.note("information_collected", "repaired", "an item given as {key: value}", index)
        if not isinstance(item, dict):
            return _Drop(f"a {type(item).__name__}, not a key and value")
        (raw_key, key_name), (raw_value, value_name) = _pick(item, "key"), _pick(item, "value")
        key = out.text(raw_key, "information_collected", "key", index)
        value = out.text(raw_value, "information_collected", "value", index)
        if key is None:
            return _Drop("no key")
        if value is None:
            return _Drop(f"empty value for {key[:40]!r}")
        extra = _extra_keys(item, {key_name, value_name})
        if extra:
            out.note("information_collected", "repaired", f"extra keys ignored: {', '.join(extra)}", index)
        return InfoItem(key=key, value=value)

    return read


def _information(raw: Any, out: Salvaged) -> list[InfoItem] | None:
    value = _decoded(raw)
    if isinstance(value, dict) and value:
        if _pick(value, "key")[1] is not None:
            out.note("information_collected", "repaired", "one item given without a list")
            value = [value]
        elif not (len(value) == 1 and isinstance(next(iter(value.values())), list)):
            out.note("information_collected", "repaired", "given as a {key: value} mapping")
            value = [{"key": key, "value": item} for key, item in value.items()]
    return _items(value, "information_collected", out, _info_item(out))


def _step(out: Salvaged) -> Callable[[Any, int], NextStep | _Drop]:
    def read(item: Any, index: int) -> NextStep | _Drop:
        if isinstance(item, str):
            return _Drop("no confidence")
        if not isinstance(item, dict):
            return _Drop(f"a {type(item).__name__}, not an action")
        (raw_action, action_name), (raw_confidence, confidence_name) = (
            _pick(item, "action"),
            _pick(item, "confidence"),
        )
        action = out.text(raw_action, "suggested_next_steps", "sentence", index)
        if action is None:
            return _Drop("empty action")
        if raw_confidence is None:
            return _Drop(f"no confidence for {action[:40]!r}")
        confidence = normalize_enum(raw_confidence, CONFIDENCES, SYNONYMS["confidence"])
        if confidence is None:
            return _Drop(f"confidence {str(raw_confidence)[:20]!r} is not high, medium or low")
        repairs = (
            [f"confidence {raw_confidence!r} read as {confidence!r}"] if raw_confidence != confidence else []
        )
        extra = _extra_keys(item, {action_name, confidence_name})
        repairs += [f"extra keys ignored: {', '.join(extra)}"] if extra else []
        for repair in repairs:
            out.note("suggested_next_steps", "repaired", repair, index)
        return NextStep(action=action, confidence=confidence)

    return read


def _turn(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e9:
        return int(raw)
    if isinstance(raw, str):
        match = _TURN.match(raw[:40])
        return int(match.group(1)) if match else None
    return None


def _marker(out: Salvaged) -> Callable[[Any, int], ModelMarker | _Drop]:
    def read(item: Any, index: int) -> ModelMarker | _Drop:
        if not isinstance(item, dict):
            return _Drop(f"a {type(item).__name__}, not a marker")
        (raw_turn, turn_name), (raw_type, type_name) = _pick(item, "turn"), _pick(item, "type")
        raw_description, description_name = _pick(item, "description")
        turn = _turn(raw_turn)
        if turn is None:
            return _Drop(f"turn {str(raw_turn)[:20]!r} is not a turn number")
        kind: MarkerType | None = normalize_enum(raw_type, MARKER_TYPES, SYNONYMS["marker"])
        if kind is None:
            return _Drop(f"{str(raw_type)[:30]!r} is not a marker type")
        repairs = [f"turn {str(raw_turn)[:20]!r} read as {turn}"] if raw_turn != turn else []
        repairs += [f"type {str(raw_type)[:30]!r} read as {kind!r}"] if raw_type != kind else []
        extra = _extra_keys(item, {turn_name, type_name, description_name})
        repairs += [f"extra keys ignored: {', '.join(extra)}"] if extra else []
        for repair in repairs:
            out.note("markers", "repaired", repair, index)
        description = out.text(raw_description, "markers", "sentence", index) or MARKER_DESCRIPTIONS[kind]
        return ModelMarker(turn=turn, type=kind, description=description, item=index)

    return read


def _flag(out: Salvaged) -> Callable[[Any, int], ComplianceFlag | _Drop]:
    seen: set[tuple[str, str]] = set()

    def read(item: Any, index: int) -> ComplianceFlag | _Drop:
        if not isinstance(item, dict):
            return _Drop(f"a {type(item).__name__}, not a flag")
        (raw_type, type_name), (raw_description, description_name) = (
            _pick(item, "type"),
            _pick(item, "description"),
        )
        kind = normalize_enum(raw_type, COMPLIANCE_FAMILIES, SYNONYMS["compliance"])
        if kind is None:
            return _Drop(f"{str(raw_type)[:40]!r} is not a compliance flag type")
        description = out.text(raw_description, "compliance_flags", "sentence", index)
        if (kind, (description or "").casefold()) in seen:
            return _Drop(f"the same {kind} flag again")
        seen.add((kind, (description or "").casefold()))
        repairs = [f"type {str(raw_type)[:40]!r} read as {kind!r}"] if raw_type != kind else []
        if description is None:
            description = _FLAG_DESCRIPTIONS[kind]
            repairs.append("no description; the type's definition used")
        extra = _extra_keys(item, {type_name, description_name})
        repairs += [f"extra keys ignored: {', '.join(extra)}"] if extra else []
        for repair in repairs:
            out.note("compliance_flags", "repaired", repair, index)
        return ComplianceFlag(type=kind, description=description)

    return read


def salvage_sections(fields: Mapping[str, Any], out: Salvaged | None = None) -> Salvaged:
    """Every section of ``fields`` (see :func:`answer_fields`) that can be saved, typed; notes for the rest."""
    out = out if out is not None else Salvaged()
    for section in BRIEF_SECTIONS:
        if section not in fields or fields[section] is None:
            out.note(section, "dropped", "missing from the answer")
            continue
        raw = fields[section]
        value: Any
        if section == "caller_name":
            value = _caller_name(raw, out)
        elif section == "sentiment":
            value = _sentiment(raw, out)
        elif section == "transfer_reason":
            value = _transfer_reason(raw, out)
        elif section == "call_summary":
            value = _items(raw, section, out, _bullet(out))
            if value is not None and len(value) < MIN_BULLETS:
                usable = f"{len(value)} usable bullets, the brief needs {MIN_BULLETS} to {MAX_BULLETS}"
                out.note(section, "dropped", usable)
                value = None
        elif section == "information_collected":
            value = _information(raw, out)
        elif section == "suggested_next_steps":
            value = _items(raw, section, out, _step(out))
            if value == []:
                out.note(section, "dropped", "no usable step, the brief needs 1 to 3")
                value = None
        elif section == "markers":
            value = _items(raw, section, out, _marker(out))
        else:
            value = _items(raw, section, out, _flag(out))
        if value is not None:
            out.values[section] = value
    return out


def salvage_answer(text: str) -> Salvaged:
    """Read a model's whole answer: :func:`answer_fields`, then :func:`salvage_sections`. Never raises."""
    out = Salvaged()
    return salvage_sections(answer_fields(text, out), out)
