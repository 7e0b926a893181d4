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

Every drop, cut and repair is a :class:`assist.programs.SalvageNote` with its section and reason, so nothing
is lost silently. Nothing here calls a model or knows the conversation; turn ranges are checked where the
brief is assembled.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

import json_repair

from assist.programs import BRIEF_SECTIONS, BriefSection, SalvageNote
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
    "MAX_BULLETS",
    "MAX_STEPS",
    "MIN_BULLETS",
    "SYNONYMS",
    "ModelMarker",
    "Salvaged",
    "answer_fields",
    "normalize_enum",
    "salvage_answer",
    "salvage_sections",
]

CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
#: ``portal.md``: 3 to 5 summary bullets, 1 to 3 next steps.
MIN_BULLETS, MAX_BULLETS = 3, 5
MAX_STEPS = 3
UNKNOWN_CALLER = "Unknown Caller"

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


@dataclass(frozen=True)
class _Drop:
    """What an item reader returns for an item it cannot save."""

    reason: str


@dataclass(frozen=True)
class ModelMarker:
    """A marker the model put on one turn; the turn is checked against the call where the brief is assembled."""

    turn: int
    type: MarkerType
    description: str
    #: Position in the model's list, for notes about it.
    item: int


@dataclass
class Salvaged:
    """The sections that could be saved (typed) and everything done to get them."""

    values: dict[BriefSection, Any] = field(default_factory=dict)
    notes: list[SalvageNote] = field(default_factory=list)

    def note(self, section: BriefSection, action: str, reason: str, item: int | None = None) -> None:
        self.notes.append(SalvageNote(section=section, action=action, reason=reason, item=item))  # type: ignore[arg-type]

    @property
    def missing(self) -> list[BriefSection]:
        return [section for section in BRIEF_SECTIONS if section not in self.values]


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


def _chat_fields(text: str) -> dict[str, Any]:
    headers = list(_CHAT_FIELD.finditer(text))
    fields: dict[str, Any] = {}
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        key = _section_key(header.group(1))
        if key != "completed" and key not in fields:
            fields[key] = _unfence(text[header.end() : end])
    return fields


def _json_object(text: str) -> dict[str, Any] | None:
    candidates = [text, _unfence(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1:
        candidates.append(text[start : end + 1] if end > start else text[start:])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            try:
                value = json_repair.loads(candidate)
            except (ValueError, RecursionError):
                continue
        if isinstance(value, dict) and value:
            return value
    return None


def answer_fields(text: str) -> dict[str, Any]:
    """The answer's fields by normalized name: raw strings (chat sections) or JSON values; ``{}`` if none."""
    if _CHAT_FIELD.search(text):
        fields = _chat_fields(text)
        if fields:
            return fields
    found = _json_object(text)
    if found is None:
        return {}
    fields = {_section_key(str(key)): value for key, value in found.items()}
    if not set(fields) & set(BRIEF_SECTIONS):
        # A wrapper such as {"brief": {...}}: the one object inside holds the fields.
        inner = [value for value in found.values() if isinstance(value, dict)]
        if len(inner) == 1:
            fields = {_section_key(str(key)): value for key, value in inner[0].items()}
    return fields


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


def _scalar_text(raw: Any) -> str | None:
    """A string, or a number/bool written as one; ``None`` for anything else."""
    if isinstance(raw, str):
        return " ".join(raw.split()).strip(_QUOTES + " ") or None
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        return str(raw)
    return None


def _decoded(raw: Any) -> Any:
    """A chat section's text as JSON where it is JSON (repaired), else the text itself."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except ValueError:
            try:
                return json_repair.loads(text)
            except (ValueError, RecursionError):
                return text
    return text


def _as_list(raw: Any, section: BriefSection, out: Salvaged) -> list[Any] | None:
    """A list section's items: a list; a JSON list inside a string; bullet lines; one object holding a list."""
    value = _decoded(raw)
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        lines = [_BULLET.sub("", line).strip() for line in value.splitlines()]
        lines = [line for line in lines if line]
        if lines and section in ("call_summary",):
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
    return sorted(str(key) for key in item if _section_key(str(key)) not in used)


def _items(
    raw: Any,
    section: BriefSection,
    out: Salvaged,
    read: Callable[[Any, int], Any],
    *,
    limit: int | None = None,
) -> list[Any] | None:
    """Each item read by ``read(item, index)`` (a value, or a :class:`_Drop` with the reason); surplus cut."""
    items = _as_list(raw, section, out)
    if items is None:
        out.note(section, "dropped", f"not a list ({type(_decoded(raw)).__name__})")
        return None
    kept: list[Any] = []
    for index, item in enumerate(items):
        result = read(item, index)
        if isinstance(result, _Drop):
            out.note(section, "dropped", result.reason, index)
        else:
            kept.append(result)
    if limit is not None and len(kept) > limit:
        out.note(section, "cut", f"{len(kept)} items, the brief takes at most {limit}")
        kept = kept[:limit]
    return kept


def _caller_name(raw: Any, out: Salvaged) -> str | None:
    name = _scalar_text(raw)
    if name is None:
        out.note("caller_name", "dropped", "empty or not text")
        return None
    if _NON_KEY.sub("_", _TRAILING.sub("", name.casefold())) in _UNKNOWN_NAMES and name != UNKNOWN_CALLER:
        out.note("caller_name", "repaired", f"{name!r} read as {UNKNOWN_CALLER!r}")
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
    text = _scalar_text(value)
    if text is None:
        out.note("transfer_reason", "dropped", "empty or not text")
    return text


def _bullet(item: Any, _: int) -> str | _Drop:
    if isinstance(item, dict) and len(item) == 1:
        item = next(iter(item.values()))
    text = _scalar_text(item)
    if text is None:
        return _Drop("empty bullet" if item in ("", None) else f"a {type(item).__name__}, not a sentence")
    return _BULLET.sub("", text).strip() or _Drop("empty bullet")


def _info_item(section_notes: Salvaged) -> Callable[[Any, int], InfoItem | _Drop]:
    def read(item: Any, index: int) -> InfoItem | _Drop:
        if isinstance(item, dict) and len(item) == 1 and _pick(item, "key")[1] is None:
            ((key, value),) = item.items()  # {"Account number": "88412"}
            item = {"key": key, "value": value}
            section_notes.note("information_collected", "repaired", "an item given as {key: value}", index)
        if not isinstance(item, dict):
            return _Drop(f"a {type(item).__name__}, not a key and value")
        (raw_key, key_name), (raw_value, value_name) = _pick(item, "key"), _pick(item, "value")
        key, value = _scalar_text(raw_key), _scalar_text(raw_value)
        if key is None:
            return _Drop("no key")
        if value is None:
            return _Drop(f"empty value for {key!r}")
        extra = _extra_keys(item, {key_name, value_name})
        if extra:
            section_notes.note(
                "information_collected", "repaired", f"extra keys ignored: {', '.join(extra)}", index
            )
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
        action = _scalar_text(raw_action)
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
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        match = _TURN.match(raw)
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
        repairs = [f"turn {raw_turn!r} read as {turn}"] if raw_turn != turn else []
        repairs += [f"type {raw_type!r} read as {kind!r}"] if raw_type != kind else []
        extra = _extra_keys(item, {turn_name, type_name, description_name})
        repairs += [f"extra keys ignored: {', '.join(extra)}"] if extra else []
        for repair in repairs:
            out.note("markers", "repaired", repair, index)
        description = _scalar_text(raw_description) or MARKER_DESCRIPTIONS[kind]
        return ModelMarker(turn=turn, type=kind, description=description, item=index)

    return read


def _flag(out: Salvaged) -> Callable[[Any, int], ComplianceFlag | _Drop]:
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
        repairs = [f"type {raw_type!r} read as {kind!r}"] if raw_type != kind else []
        description = _scalar_text(raw_description)
        if description is None:
            description = _FLAG_DESCRIPTIONS[kind]
            repairs.append("no description; the type's definition used")
        extra = _extra_keys(item, {type_name, description_name})
        repairs += [f"extra keys ignored: {', '.join(extra)}"] if extra else []
        for repair in repairs:
            out.note("compliance_flags", "repaired", repair, index)
        return ComplianceFlag(type=kind, description=description)

    return read


def salvage_sections(fields: Mapping[str, Any]) -> Salvaged:
    """Every section of ``fields`` (see :func:`answer_fields`) that can be saved, typed; notes for the rest."""
    out = Salvaged()
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
            value = _items(raw, section, out, _bullet, limit=MAX_BULLETS)
            if value is not None and len(value) < MIN_BULLETS:
                out.note(
                    section,
                    "dropped",
                    f"{len(value)} usable bullets, the brief needs {MIN_BULLETS} to {MAX_BULLETS}",
                )
                value = None
        elif section == "information_collected":
            value = _information(raw, out)
        elif section == "suggested_next_steps":
            value = _items(raw, section, out, _step(out), limit=MAX_STEPS)
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
    """:func:`salvage_sections` of :func:`answer_fields` ``(text)``."""
    return salvage_sections(answer_fields(text))
