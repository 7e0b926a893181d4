"""Inter-annotator agreement: a second annotator's labels scored like a program, on shared sections only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assist.schema import SENTIMENT_LEVELS
from eval.agreement import agreement
from eval.dataset import Dataset, load_dataset
from eval.metrics import SECTIONS
from tests.conftest import HARPER_VALLEY, ROOT, SECOND_ANNOTATOR, SYNTHETIC
from tests.eval.test_cli import invoke


@pytest.fixture(scope="module")
def synthetic() -> Dataset:
    return load_dataset(SYNTHETIC)


def _relabelled(dataset: Dataset, tmp_path: Path, change: dict[str, object] | None = None) -> Path:
    """``dataset`` written back with ``change`` applied to every gold (None values delete the key)."""
    path = tmp_path / "other" / "labels.jsonl"
    path.parent.mkdir(exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for record in dataset.records:
            gold = dict(record.get("gold") or {})
            for key, value in (change or {}).items():
                if value is None:
                    gold.pop(key, None)
                elif callable(value):
                    gold[key] = value(gold[key])
                else:
                    gold[key] = value
            handle.write(json.dumps({**record, "gold": gold}) + "\n")
    return path


def test_labels_agree_fully_with_themselves(synthetic: Dataset) -> None:
    found = agreement(synthetic, synthetic)
    assert found.section_scores() == dict.fromkeys(("overall", *SECTIONS), 1.0)
    assert found.scored_counts()["markers"] == len(synthetic) and found.unmatched == []


def test_a_one_level_sentiment_disagreement_costs_a_quarter(synthetic: Dataset, tmp_path: Path) -> None:
    def shift(level: str) -> str:
        index = SENTIMENT_LEVELS.index(level)
        return SENTIMENT_LEVELS[index + 1 if index < len(SENTIMENT_LEVELS) - 1 else index - 1]

    other = load_dataset(_relabelled(synthetic, tmp_path, {"sentiment": shift}))
    scores = agreement(synthetic, other).section_scores()
    assert scores["sentiment"] == pytest.approx(0.75)
    assert all(scores[name] == 1.0 for name in SECTIONS if name != "sentiment")


def test_only_sections_both_annotators_labelled_are_scored(tmp_path: Path) -> None:
    harper = load_dataset(HARPER_VALLEY)
    other = load_dataset(_relabelled(harper, tmp_path, {"information_collected": None}))
    found = agreement(harper, other)
    counts = found.scored_counts()
    assert counts["information_collected"] == 0 and counts["caller_name"] > 0
    assert found.section_scores()["information_collected"] is None


def test_files_that_share_no_call_or_disagree_on_a_transcript_are_refused(
    synthetic: Dataset, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="no example id in common"):
        agreement(synthetic, load_dataset(HARPER_VALLEY))
    record = dict(synthetic.records[0])
    conversation = dict(record["conversation"])
    conversation["turns"] = conversation["turns"][:-1]
    changed = tmp_path / "changed.jsonl"
    changed.write_text(json.dumps({**record, "conversation": conversation}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="different transcripts"):
        agreement(synthetic, load_dataset(changed))


def test_agree_command_prints_the_table_and_writes_json(synthetic: Dataset, tmp_path: Path) -> None:
    half = tmp_path / "half.jsonl"
    half.write_text("".join(json.dumps(r) + "\n" for r in synthetic.records[:10]), encoding="utf-8")
    out = tmp_path / "agree.json"
    printed = invoke("dataset", "agree", str(SYNTHETIC), str(half), "--json", str(out))
    assert "agreement" in printed and "(10 calls)" in printed and "not in both files" in printed
    document = json.loads(out.read_text())
    assert document["n"] == 10 and len(document["unmatched"]) == len(synthetic) - 10
    assert document["scores"]["overall"] == 1.0 and len(document["per_example"]) == 10


def test_the_shipped_second_annotator_agrees_as_the_dataset_readme_says(synthetic: Dataset) -> None:
    scores = agreement(synthetic, load_dataset(SECOND_ANNOTATOR)).section_scores()
    readme = (ROOT / "datasets" / "synthetic" / "README.md").read_text(encoding="utf-8")
    row = " | ".join(f"{scores[key]:.3f}" for key in ("overall", *SECTIONS))
    assert f"| {row} |" in readme
    # Free text is where two careful people differ most: its ceiling is far below 1.0.
    assert scores["transfer_reason"] is not None and scores["transfer_reason"] < 0.7
