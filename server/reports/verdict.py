"""One-line verdicts of a job's results (diff titles, code lenses, toasts) and whether a stored result still
describes a function's current text. Plain functions over the report JSON: no pygls here."""

from __future__ import annotations

import re

LOWER_IS_BETTER = {"time": "faster", "cpu_time": "faster", "wall_time": "faster", "peak_memory": "less peak memory",
                   "mean_memory": "less mean memory", "cpu": "less CPU"}


def judge_scores(judgment: dict | None) -> str:
    scores = (judgment or {}).get("scores") or {}
    if not scores:
        return ""
    values = [scores.get(k) for k in ("accuracy", "clarity", "efficiency")]
    return "judge " + "/".join("?" if v is None else str(v) for v in values)


def change_text(decision: dict | None) -> str:
    """'1.8× faster, 99.2% CI 1.6–2.0' or '23% less peak memory, 99.2% CI 12–31%' from a profiling Decision (the
    interval's level is the decision's own: 1 - alpha adjusted for the job's comparisons and planned looks)."""
    if not decision or not decision.get("ratio"):
        return ""
    metric = decision.get("metric") or "time"
    level = f"{100 * decision.get('confidence', 0.95):.3g}% CI"
    ratio, low, high = decision["ratio"], decision.get("ci_low"), decision.get("ci_high")
    word = LOWER_IS_BETTER.get(metric, f"better {metric}")
    if metric in ("time", "cpu_time", "wall_time"):
        text = f"{1 / ratio:.1f}× {word}" if ratio < 1 else f"{ratio:.2f}× the time"
        if low and high:
            text += f", {level} {1 / high:.1f}–{1 / low:.1f}"
        return text
    text = f"{(1 - ratio) * 100:.0f}% {word}"
    if low is not None and high is not None:
        text += f", {level} {(1 - high) * 100:.0f}–{(1 - low) * 100:.0f}%"
    return text


def verdict_line(report: dict) -> str:
    """'tests 14/14 · 1.8× faster, 95% CI 1.6–2.0 · judge 5/4/4' (what was verified, nothing more)."""
    parts = []
    total = report.get("tests_total") or 0
    if total:
        parts.append(f"tests {report.get('tests_passed', 0)}/{total}")
    elif report.get("execution") == "not run":
        parts.append("tests not run")
    if report.get("kind") == "optimize":
        if report.get("status") == "accepted":
            # The change the user gets (the accepted code against the original), not the last step's.
            parts.append(change_text(report.get("change") or report.get("decision")) or "better")
        elif report.get("status") == "unchanged":
            parts.append("no measurable gain")
    if report.get("kind") == "fix":
        parts.append({"accepted": "fixed", "unchanged": "passes already", "failed": "not fixed"}.get(
            report.get("status", ""), report.get("status", "")))
    scores = judge_scores(report.get("judgment"))
    if scores:
        parts.append(scores)
    return " · ".join(p for p in parts if p)


def normalized(text: str | None) -> str:
    return "\n".join(line.rstrip() for line in (text or "").strip("\n").splitlines())


def still_valid(report: dict | None, code: str | None) -> bool:
    """A result describes the function only while its text is the one the result was computed on (or the
    verified proposal once applied). Reports without that record (older clients' jobs) stay valid."""
    texts = (report or {}).get("result_texts")
    if not texts or code is None:
        return True
    now = normalized(code)
    # Containment: an applied proposal may bring imports or helpers above the function itself.
    if any(normalized(t) == now for t in texts):
        return True
    # The verified proposal (texts[1:]) may bring imports or helpers above the function: once applied, the
    # function is the proposal's last definition (its text ends the proposal).
    return bool(now) and any(normalized(t).endswith(now) and len(now) > 20 for t in texts[1:])


def lens_title(report: dict | None, judgment: dict | None) -> str:
    line = verdict_line(report or {}) if (report or {}).get("kind") in ("fix", "optimize", "judge") else ""
    if line:
        return f"RefactorCoder: {line}"
    from server.reports.markdown import scores_line

    return f"RefactorCoder: {scores_line(judgment)}"


KIND_NAMES = {"fix": "Fix with tests", "optimize": "Optimize", "judge": "Judge"}


def one_line(text: str | None, limit: int = 160) -> str:
    """Plain text on one line for a diagnostic (VS Code shows its message verbatim): fenced code becomes
    "(code in the report)", backticks, bold and headings go, whitespace collapses, long text is cut at a
    sentence or word with an ellipsis."""
    text = re.sub(r"```.*?(```|$)", " (code in the report) ", text or "", flags=re.S)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text).replace("`", "")  # not `_`: identifiers have them
    text = re.sub(r"(?m)^\s*#+\s*(.*?):?\s*$", r"\1:", text)  # "## Verdict" -> "Verdict:"
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind("; "))
    if stop >= limit // 2:
        return cut[:stop + 1]
    return cut[:cut.rfind(" ")].rstrip(",;:") + "…" if " " in cut else cut + "…"


def failure_summary(detail: str | None) -> str:
    """What failed, from a test's traceback: the failing line when the traceback shows it (a bare `assert`
    says nothing else) and the exception's last line, e.g. "assert f([1, 1], 2) == 1 (AssertionError)" or
    "TypeError: unsupported operand type(s) for +: 'int' and 'str'"."""
    lines = [line.rstrip() for line in (detail or "").strip().splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1].strip()
    source = next((line.strip() for line in reversed(lines[:-1])
                   if line.startswith("    ") and not line.lstrip().startswith(("File ", "^", "~"))), "")
    if source and ":" not in last:  # a bare exception name: the failing line says what was expected
        return one_line(f"{source} ({last})", 140)
    if source and last.startswith("AssertionError"):
        return one_line(f"{last.split(':', 1)[1].strip()} at {source}", 140)
    return one_line(last, 140)


def test_diagnostics(report: dict | None) -> list[str]:
    """One line per failing test a Fix (or an executing Judge) found in the original, then the job's verdict:
    "test_duplicates fails: assert f([1, 1], 2) == 1 (AssertionError) · Fix with tests: tests 5/5 · fixed".
    Shown while the function is unchanged (the result stops showing as soon as its text changes); the
    traceback itself is in the report (the diagnostic links to it)."""
    report = report or {}
    if report.get("kind") not in ("fix", "judge") or report.get("status") == "unchanged" and report.get("kind") == "fix":
        return []
    verdict = report.get("verdict") or verdict_line(report)
    tail = f" · {KIND_NAMES.get(report['kind'], report['kind'])}: {verdict}" if verdict else ""
    out = []
    for test in report.get("failing_tests") or []:
        what = failure_summary(test.get("detail"))
        out.append(f"{test.get('name')} fails" + (f": {what}" if what else "") + tail)
    return out
