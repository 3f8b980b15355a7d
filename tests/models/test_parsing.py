"""The judge parser and the code-block extractor, with hypothesis for the parser's promises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from models.parsing import extract_code, parse_judgment, parse_scores

VALID = st.integers(min_value=1, max_value=5)


@pytest.mark.parametrize("text, expected", [
    ("Scores: Accuracy = 5, Clarity = 5, Efficiency = 5", (5, 5, 5)),
    ("Accuracy: 4/5\n**Clarity**: 3\nEfficiency: 2 out of 5", (4, 3, 2)),
    ('{"accuracy": 4, "clarity": 3, "efficiency": 2}', (4, 3, 2)),
    ('{"scores": {"Accuracy": "4/5", "Clarity": 5, "Efficiency": 1}}', (4, 5, 1)),
    ("| Metric | Score |\n|---|---|\n| Accuracy | 4 |\n| Clarity | 5 |\n| Efficiency | 3 |", (4, 5, 3)),
    ("Accuracy (1-5): 4, Clarity (1 to 5): 3, Efficiency: 2", (4, 3, 2)),
    ("- **Accuracy:** 4\n- **Clarity:** 3\n- **Efficiency:** 5", (4, 3, 5)),
    ("Accuracy score of 4; Clarity rated 5; Efficiency is 3", (4, 5, 3)),
    ("ACCURACY=2 CLARITY=2 EFFICIENCY=2", (2, 2, 2)),
    ("Accuracy: 4, Clarity: 4, Efficency: 3", (4, 4, 3)),  # misspelled
    ("Acc.: 4  Clar.: 3  Eff.: 5", (4, 3, 5)),
    ("Accuracy: 5\nClarity: 4\nEfficiency: 4.0", (5, 4, 4)),
    # the paper's own example output (Table X)
    ("The solution is highly accurate. Clarity is excellent, with well-structured code and clear logic. "
     "Efficiency is strong. Scores: Accuracy = 5, Clarity = 5, Efficiency = 5", (5, 5, 5)),
    # the last valid mention wins (a restated final line)
    ("Accuracy: 2, Clarity: 2, Efficiency: 2\nScores: Accuracy = 4, Clarity = 3, Efficiency = 5", (4, 3, 5)),
])
def test_parses_many_spellings(text, expected):
    scores = parse_scores(text)
    assert scores is not None
    assert (scores.accuracy, scores.clarity, scores.efficiency) == expected


@pytest.mark.parametrize("text", [
    "Scores: Accuracy = N, Clarity = N, Efficiency = N",  # the template echoed back
    "Accuracy: 7, Clarity: 3, Efficiency: 4",  # out of range
    "Accuracy: 0, Clarity: 3, Efficiency: 4",
    "Accuracy: 8/10, Clarity: 3, Efficiency: 4",  # another scale: not converted
    "Accuracy: 4.5, Clarity: 3, Efficiency: 4",  # not a whole number
    "Accuracy: 4, Clarity: 3",  # one missing
    "Clarity is excellent, with 3 helper functions. Accuracy: 4. Efficiency: 4",  # prose number is no score
    "The solution looks good overall.",
    "",
    '{"accuracy": true, "clarity": 3, "efficiency": 4}',
    # SmolLM2 enumerating: the last mention is out of range, so the earlier one is not trusted either
    "Scores: Accuracy = 5, Clarity = 5, Efficiency = 5\n[6]\nScores: Accuracy = 6, Clarity = 6, Efficiency = 6",
])
def test_rejects_what_it_cannot_trust(text):
    assert parse_scores(text) is None


def test_sections_are_split():
    parsed = parse_judgment(
        "**Strengths:**\n- handles empty input\n- linear time\n\n### Weaknesses\n1. no docstring\n"
        "Feedback: add a docstring.\nScores: Accuracy = 4, Clarity = 3, Efficiency = 5")
    assert parsed.strengths == ["handles empty input", "linear time"]
    assert parsed.weaknesses == ["no docstring"]
    assert parsed.feedback == "add a docstring."
    assert parsed.scores.accuracy == 4


def test_prose_judgment_becomes_feedback():
    parsed = parse_judgment("Solid answer, a bit terse.\nScores: Accuracy = 4, Clarity = 3, Efficiency = 4")
    assert parsed.feedback == "Solid answer, a bit terse."
    assert parsed.strengths == [] and parsed.weaknesses == []


def test_json_judgment():
    parsed = parse_judgment(json.dumps({"strengths": ["a"], "weaknesses": "b", "feedback": "c",
                                        "scores": {"accuracy": 3, "clarity": 3, "efficiency": 3}}))
    assert parsed.strengths == ["a"] and parsed.weaknesses == ["b"] and parsed.feedback == "c"
    assert parsed.scores.clarity == 3


# ---- properties --------------------------------------------------------------------------------

NAMES = {
    "accuracy": st.sampled_from(["Accuracy", "accuracy", "ACCURACY", "**Accuracy**", "Accurancy", "Correctness"]),
    "clarity": st.sampled_from(["Clarity", "clarity", "CLARITY", "**Clarity**", "Clearity", "Readability"]),
    "efficiency": st.sampled_from(["Efficiency", "efficiency", "EFFICIENCY", "**Efficiency**", "Efficency"]),
}
SEPARATORS = st.sampled_from([": ", " = ", " - ", ":** ", " — ", " is ", ": score of ", " | "])
VALUE_FORMS = st.sampled_from(["{}", "{}/5", "{} out of 5", "**{}**", "{}.0", "{} / 5"])
# Filler that cannot look like a score: no digits, no metric words.
FILLER = st.text(alphabet=st.sampled_from(list("the solution works well, but needs tests. ") + ["\n"]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(a=VALID, c=VALID, e=VALID, order=st.permutations(["accuracy", "clarity", "efficiency"]),
       names=st.fixed_dictionaries(NAMES), sep=SEPARATORS, form=VALUE_FORMS, filler=st.lists(FILLER, min_size=4, max_size=4),
       joiner=st.sampled_from([", ", "\n", "; ", "\n- "]))
def test_any_valid_rendering_parses_back(a, c, e, order, names, sep, form, filler, joiner):
    values = {"accuracy": a, "clarity": c, "efficiency": e}
    parts = [f"{names[m]}{sep}{form.format(values[m])}" for m in order]
    text = filler[0] + "\n" + joiner.join(parts) + "\n" + filler[1]
    scores = parse_scores(text)
    assert scores is not None, text
    assert (scores.accuracy, scores.clarity, scores.efficiency) == (a, c, e)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_never_raises_and_never_out_of_range(text):
    parsed = parse_judgment(text)
    if parsed.scores is not None:
        assert all(1 <= v <= 5 for v in (parsed.scores.accuracy, parsed.scores.clarity, parsed.scores.efficiency))


@settings(max_examples=200, deadline=None)
@given(bad=st.one_of(st.integers(min_value=6, max_value=999), st.just(0)), c=VALID, e=VALID,
       which=st.sampled_from(["accuracy", "clarity", "efficiency"]))
def test_an_out_of_range_value_means_no_scores(bad, c, e, which):
    values = {"accuracy": c, "clarity": c, "efficiency": e, which: bad}
    text = f"Scores: Accuracy = {values['accuracy']}, Clarity = {values['clarity']}, Efficiency = {values['efficiency']}"
    assert parse_scores(text) is None


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="aAcCeElLrRyY"), max_size=300))
def test_no_metric_names_means_no_scores(text):
    assert parse_scores(text) is None


# ---- code blocks -------------------------------------------------------------------------------

def test_extract_prefers_language_block():
    text = "Run:\n```bash\npip install x\n```\nThen:\n```python\ndef f():\n    return 1\n```\n"
    assert extract_code(text, "python") == "def f():\n    return 1\n"


def test_extract_alias_and_untagged():
    assert extract_code("```py\nx = 1\n```", "python") == "x = 1\n"
    assert extract_code("```\nint main() {}\n```", "cpp") == "int main() {}\n"
    assert extract_code("```c++\nint x;\n```\n```\nother\n```", "cpp") == "int x;\n"


def test_extract_longest_when_several():
    text = "```python\nx = 1\n```\n```python\ndef g(a):\n    return a * 2\n```"
    assert extract_code(text, "python").startswith("def g")


def test_extract_unclosed_fence_and_tildes():
    assert extract_code("Here:\n```python\ndef f():\n    pass", "python") == "def f():\n    pass\n"
    assert extract_code("~~~go\nfunc main() {}\n~~~", "go") == "func main() {}\n"


def test_extract_none_without_fence():
    assert extract_code("def f(): pass", "python") is None
    assert extract_code("```python\n```", "python") is None


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=st.characters(blacklist_characters="`~\r", blacklist_categories=("Cs",)), min_size=1, max_size=200)
       .filter(lambda s: s.strip()), prose=FILLER)
def test_extract_roundtrip(body, prose):
    text = f"{prose}\n```python\n{body}\n```\n{prose}"
    assert extract_code(text, "python") == body.rstrip() + "\n"
