"""Reading model output: the judge's verdict and the solver's code block.

Small local models follow output formats loosely, so the judge parser accepts many spellings
("Scores: Accuracy = 4, ...", "Accuracy: 4/5", "**Clarity**: 3", "Efficency - 4 out of 5", JSON, tables)
but never guesses: a value outside 1..5, a fraction not out of 5, or a non-integer is rejected, and
a verdict missing any of the three ratings has no scores at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from models.types import JudgeScores
from source import languages

_METRIC_PATTERNS = {
    "accuracy": r"a?c{1,2}u?r{1,2}[ae]n?c[yi]\w*|accuracy|correctness|\bacc\b\.?",
    "clarity": r"cl(?:a|ea)rit\w*|clearness|readability|\bclar\b\.?",
    "efficiency": r"ef{1,2}[ie]{1,2}c[ie]{0,2}n\w*|efficien\w*|\beff\b\.?",
}
_NAME = "|".join(f"(?P<{k}>{v})" for k, v in _METRIC_PATTERNS.items())
# Between the name and the number: markdown, quotes, separators and a few linking words, nothing else,
# so prose like "Clarity is excellent, with 3 helpers" does not yield a score.
_SEP = r"(?:[\s*_\"'`:=|>\-–—()\[\]]|\bscore\b|\brating\b|\bis\b|\bof\b|\brated\b|\bat\b|\bgets\b){0,10}?"
_NUM = r"(?P<num>\d+(?:\.\d+)?)(?:\s*(?:/|out\s+of)\s*(?P<den>\d+(?:\.\d+)?))?(?![\d.]*\d)(?!\s*(?:-|–|to)\s*\d)"
_SCORE_RE = re.compile(rf"(?:{_NAME}){_SEP}{_NUM}", re.IGNORECASE)
_RANGE_HINT = re.compile(r"\(\s*(?:on\s+a\s+scale\s+of\s+)?1\s*(?:-|–|to)\s*5\s*\)|\bon\s+a\s+scale\s+of\s+1\s*(?:-|–|to)\s*5\b", re.I)

_HEADINGS = {
    "strengths": re.compile(r"^\W*(?:key\s+)?strengths?\W*?(?::|$)(.*)$", re.I),
    "weaknesses": re.compile(
        r"^\W*(?:key\s+)?(?:weakness(?:es)?|areas?\s+(?:for|needing)\s+improvement|improvements?)\W*?(?::|$)(.*)$", re.I),
    "feedback": re.compile(r"^\W*(?:constructive\s+)?feedback\W*?(?::|$)(.*)$", re.I),
    "scores": re.compile(r"^\W*(?:scores?|ratings?)\W*?(?::|$)", re.I),
}
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")


@dataclass
class ParsedJudgment:
    scores: JudgeScores | None
    strengths: list[str] = field(default_factory=list)
    weaknesses: list[str] = field(default_factory=list)
    feedback: str = ""


def _valid_score(num: str, den: str | None) -> int | None:
    try:
        value = float(num)
        if den is not None and float(den) != 5:
            return None  # "8/10" is another scale; converting it would be inventing a score
    except ValueError:
        return None
    if value != int(value) or not 1 <= value <= 5:
        return None
    return int(value)


def parse_scores(text: str) -> JudgeScores | None:
    """The three ratings, or None unless all three are present and valid. The last numeric mention of a
    metric decides: a model that ends by enumerating "Accuracy = 6, ..." after "Accuracy = 5" is not
    trusted for an earlier value."""
    found: dict[str, int | None] = {}
    from_json = _scores_from_json(text)
    if from_json:
        found.update(from_json)
    cleaned = _RANGE_HINT.sub(" ", text)
    for match in _SCORE_RE.finditer(cleaned):
        metric = next(k for k in _METRIC_PATTERNS if match.group(k))
        found[metric] = _valid_score(match.group("num"), match.group("den"))
    if len(found) < 3 or any(v is None for v in found.values()):
        return None
    return JudgeScores(**found)


def _json_object(text: str) -> dict | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _scores_from_json(text: str) -> dict[str, int]:
    data = _json_object(text)
    if not data:
        return {}
    nested = data.get("scores") or data.get("ratings")
    source = nested if isinstance(nested, dict) else data
    found = {}
    for key, value in source.items():
        for metric, pattern in _METRIC_PATTERNS.items():
            if re.fullmatch(pattern, str(key).strip(), re.I) and isinstance(value, (int, float, str)):
                score = _valid_score(str(value).split("/")[0].strip(), None if "/" not in str(value) else str(value).split("/")[1])
                if score is not None and not isinstance(value, bool):
                    found[metric] = score
    return found


def parse_judgment(text: str) -> ParsedJudgment:
    data = _json_object(text)
    if data and any(k in data for k in ("strengths", "weaknesses", "feedback")):
        return ParsedJudgment(
            scores=parse_scores(text),
            strengths=_as_list(data.get("strengths")),
            weaknesses=_as_list(data.get("weaknesses")),
            feedback=str(data.get("feedback") or "").strip(),
        )
    sections: dict[str, list[str]] = {"strengths": [], "weaknesses": [], "feedback": [], "other": []}
    current = "other"
    for line in text.splitlines():
        heading = None
        for name, pattern in _HEADINGS.items():
            m = pattern.match(line)
            if m:
                heading = name
                rest = m.group(1).strip(" *_") if m.groups() else ""
                break
        if heading == "scores":
            current = "scores_done"
            continue
        if heading:
            current = heading
            if rest:
                sections[current].append(rest)
            continue
        if current == "scores_done" or not line.strip() or _SCORE_RE.search(line) and len(line) < 80:
            continue
        sections[current].append(line)
    strengths = [_BULLET.sub("", s).strip(" *_") for s in sections["strengths"] if s.strip()]
    weaknesses = [_BULLET.sub("", s).strip(" *_") for s in sections["weaknesses"] if s.strip()]
    feedback_lines = sections["feedback"] or ([] if strengths or weaknesses else sections["other"])
    return ParsedJudgment(
        scores=parse_scores(text),
        strengths=[s for s in strengths if s],
        weaknesses=[w for w in weaknesses if w],
        feedback="\n".join(l.strip() for l in feedback_lines).strip(),
    )


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


# ---- code blocks -------------------------------------------------------------------------------

_FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[\w+#.\-]*)[^\n]*\n(?P<body>.*?)(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
                       re.S | re.M)
def _wanted_tags(language: str) -> set[str]:
    """Fence tags that mean `language` (from the language table; any other language: its own name)."""
    known = languages.lookup(language)
    return set(known.fence_tags) | {known.id} if known is not None else {language.lower()}
_NOT_CODE_TAGS = {"text", "txt", "output", "console", "shell", "bash", "sh", "plaintext", "json", "yaml"}


def extract_code(text: str, language: str | None = None) -> str | None:
    """The best fenced code block: one tagged with `language` (or an alias) if any, else an untagged or
    other code block, preferring the longest; a final unclosed fence (truncated output) counts too.
    None when the text has no fenced block."""
    blocks = [(m.group("tag").lower(), _dedent(m.group("body"), m.group("indent"))) for m in _FENCE_RE.finditer(text)]
    blocks = [(tag, body) for tag, body in blocks if body.strip()]
    if not blocks:
        return None
    wanted = _wanted_tags(language) if language else set()

    def rank(item):
        tag, body = item
        return (tag in wanted, tag not in _NOT_CODE_TAGS, tag == "", len(body))

    return max(blocks, key=rank)[1].rstrip() + "\n"


def _dedent(body: str, indent: str) -> str:
    if not indent:
        return body
    return "\n".join(line[len(indent):] if line.startswith(indent) else line for line in body.split("\n"))
