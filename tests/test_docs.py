"""The documentation users read: every link resolves inside the repository, nothing sends a reader to files
only the kit's developers had (the upstream spec), and every JSON example in ``docs/`` is accepted by the kit.

Links are Markdown ``[text](target)`` and ``[name]: target`` links, plus backticked repository paths
(``datasets/synthetic/README.md``), in the README, ``docs/``, the dataset and eval READMEs and NOTICEs, and the
notebooks' Markdown cells (``.ipynb`` and their jupytext ``.py`` pairs). External links are not followed
(the tests run offline). An anchor into a Markdown file must name one of its headings, slugged as GitHub does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jupytext
import pytest
from pydantic import BaseModel, ValidationError

from assist.feedback import Feedback, NewFeedback
from assist.interchange import validate_file
from assist.schema import AgentAssistPortal, Conversation, Gold
from assist.tokens import ListenerToken
from service import CallerHistory, ConversationInfo, ConversationPatch, ErrorBody, FeedbackList, Health
from tests.conftest import ROOT

#: The upstream product spec lived beside the repository, never in it: users do not have it.
FORBIDDEN = re.compile(r"shared/spec|/work/shared|\.\./shared/")
_FENCE = re.compile(r"^ {0,3}(```|~~~)([^\n]*)\n(.*?)^ {0,3}\1[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE_LINK = re.compile(r"\[(?:[^\[\]\n]|\[[^\]\n]*\])*\]\(\s*<?([^()\s<>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
#: A backticked path into the repository's own folders (``docs/api.md``, ``eval/baseline/*.json``).
_REPO_PATH = re.compile(r"(?:assist|bench|datasets|docs|eval|notebooks|tests)/[\w./*-]*")
#: An all-capitals segment or ``NN`` stands for a name the reader fills in (``eval/baseline/NAME.json``).
_PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:[A-Z]{2,}|NN)(?![a-z])")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _doc_paths() -> list[Path]:
    patterns = (
        "README.md",
        "docs/*.md",
        "datasets/**/*.md",
        "datasets/**/NOTICE*",
        "eval/**/README*",
        "notebooks/*.ipynb",
        "notebooks/*.py",
    )
    return sorted({path for pattern in patterns for path in ROOT.glob(pattern) if path.is_file()})


DOCS = _doc_paths()


def _markdown(path: Path) -> str:
    """The Markdown a reader sees: the file, or a notebook's Markdown cells (either half of a jupytext pair)."""
    if path.parent.name == "notebooks":
        notebook = jupytext.read(path)
        return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def _prose(markdown: str) -> str:
    """Markdown without its fenced code blocks: shell comments and code are not headings or links."""
    return _FENCE.sub("", markdown)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text only, lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    seen: Counter[str] = Counter()
    anchors = set()
    for heading in _HEADING.findall(_prose(markdown)):
        slug = _slug(heading)
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def _links(markdown: str) -> list[str]:
    prose = _prose(markdown)
    return [
        *_INLINE_LINK.findall(prose),
        *_REFERENCE_LINK.findall(prose),
        *_AUTOLINK.findall(prose),
    ]


def _link_problem(doc: Path, target: str) -> str | None:
    """Why ``target``, linked from ``doc``, does not resolve inside the repository (``None`` when it does)."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http(s), mailto: not followed offline
        return None
    path_part, _, anchor = target.partition("#")
    if path_part.startswith("/"):
        return "an absolute path: link relative to this file instead"
    resolved = (doc.parent / unquote(path_part)).resolve() if path_part else doc
    if not resolved.is_relative_to(ROOT):
        return "outside the repository"
    if not resolved.exists():
        return "no such file or folder"
    if anchor and resolved.suffix == ".md" and anchor not in _anchors(_markdown(resolved)):
        return f"no heading #{anchor} in {resolved.relative_to(ROOT)}"
    return None


def _repo_path_problem(span: str) -> str | None:
    """Why a backticked repository path names nothing (``None`` when it names something, or is a pattern)."""
    if "*" in span:
        return None if any(ROOT.glob(span)) else "the pattern matches nothing"
    if (ROOT / span).exists() or _PLACEHOLDER.search(span):
        return None
    return "no such file or folder"


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_documentation_is_found() -> None:
    names = {_id(path) for path in DOCS}
    assert {"README.md", "docs/api.md", "docs/brief.md", "docs/transcripts.md"} <= names
    assert {"datasets/synthetic/README.md", "datasets/harper_valley/NOTICE.md", "eval/README.md"} <= names
    assert {"notebooks/01_dataset_tour.ipynb", "notebooks/01_dataset_tour.py"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_links_resolve_inside_the_repository(doc: Path) -> None:
    markdown = _markdown(doc)
    broken = [
        f"{target}: {problem}" for target in _links(markdown) if (problem := _link_problem(doc, target))
    ]
    assert not broken, f"{_id(doc)} has broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_backticked_repository_paths_exist(doc: Path) -> None:
    spans = [
        span
        for span in _CODE_SPAN.findall(_prose(_markdown(doc)))
        if _REPO_PATH.fullmatch(span) and not span.startswith(("http", "/"))
    ]
    missing = [f"{span}: {problem}" for span in spans if (problem := _repo_path_problem(span))]
    assert not missing, f"{_id(doc)} names paths that do not exist:\n" + "\n".join(missing)


@pytest.mark.parametrize("doc", DOCS, ids=_id)
def test_no_document_points_at_the_upstream_spec(doc: Path) -> None:
    lines = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not lines, (
        f"{_id(doc)} points readers at files they do not have (use docs/ instead):\n" + "\n".join(lines)
    )


def test_no_code_points_at_the_upstream_spec() -> None:
    sources = [
        *(
            path
            for folder in ("assist", "eval", "bench", "tests")
            for path in sorted((ROOT / folder).rglob("*.py"))
        ),
        ROOT / "service.py",
    ]
    found = [
        f"{_id(path)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line) and path != Path(__file__)  # this file names what it looks for
    ]
    assert not found, "point at docs/ instead:\n" + "\n".join(found)


def test_the_link_checker_catches_what_it_should() -> None:
    """The checks above pass only if they can fail: each kind of broken link is reported."""
    doc = ROOT / "docs" / "api.md"
    assert _link_problem(doc, "brief.md#markers") is None
    assert _link_problem(doc, "../README.md#the-service") is None
    assert _link_problem(doc, "https://example.com/x") is None
    assert _link_problem(doc, "missing.md") == "no such file or folder"
    assert _link_problem(doc, "brief.md#no-such-heading") == "no heading #no-such-heading in docs/brief.md"
    assert _link_problem(doc, "../../shared/spec/api.md") == "outside the repository"
    assert _link_problem(doc, "/work/shared/spec/api.md") is not None
    assert _links("[a](x.md) `[b](y.md)`\n```\n[c](z.md)\n```\n[d]: w.md\n<https://e.org>") == [
        "x.md",
        "y.md",
        "w.md",
        "https://e.org",
    ]
    assert _anchors("# The `--json` document\n## Where\n## Where\n```sh\n# not a heading\n```") == {
        "the---json-document",
        "where",
        "where-1",
    }
    assert _repo_path_problem("eval/baseline/*.json") is None
    assert _repo_path_problem("eval/baseline/NAME.json") is None
    assert _repo_path_problem("docs/nothing.md") == "no such file or folder"
    assert FORBIDDEN.search("see `shared/spec/portal.md`") and not FORBIDDEN.search("`--shared-ids`")


# --- the examples in docs/ are what the kit accepts ---------------------------------------------------


def _blocks(name: str, *languages: str) -> list[str]:
    markdown = (ROOT / "docs" / name).read_text(encoding="utf-8")
    return [body for _, info, body in _FENCE.findall(markdown) if info.strip() in languages]


def test_the_brief_example_is_an_agent_assist_portal() -> None:
    (example,) = _blocks("brief.md", "json")
    portal = AgentAssistPortal.model_validate_json(example)
    assert len(portal.transcript) == 7 and portal.transcript[5].markers


def test_the_transcript_examples_are_valid_lines(tmp_path: Path) -> None:
    # A ```json block is one record shown across lines for reading; a ```jsonl block is lines of a file.
    records = [json.loads(block) for block in _blocks("transcripts.md", "json")] + [
        json.loads(line) for block in _blocks("transcripts.md", "jsonl") for line in block.splitlines()
    ]
    file = tmp_path / "calls.jsonl"
    file.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    found = validate_file(file)
    assert (found.errors, found.warnings) == ([], [])
    assert sorted(example.id for example in found.examples) == ["conv_456", "ex-001", "ex-002"]
    full = next(example for example in found.examples if example.id == "ex-001")
    assert full.gold is not None and full.gold.labelled() == set(Gold.model_fields)  # every section shown


#: Every body the API takes or returns, as the service itself types it.
API_SHAPES: tuple[type[BaseModel], ...] = (
    Conversation,
    ConversationPatch,
    ConversationInfo,
    CallerHistory,
    NewFeedback,
    Feedback,
    FeedbackList,
    ListenerToken,
    ErrorBody,
    Health,
)


def _fits(shape: type[BaseModel], body: Any) -> bool:
    try:
        shape.model_validate(body)
    except ValidationError:
        return False
    return True


def test_the_api_examples_are_bodies_the_service_takes_or_returns() -> None:
    bodies = [json.loads(block) for block in _blocks("api.md", "json")]
    assert len(bodies) >= 5
    unfit = [body for body in bodies if not any(_fits(shape, body) for shape in API_SHAPES)]
    assert not unfit, f"not a body of the API: {unfit}"
