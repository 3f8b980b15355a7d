"""The fix stage's rewrite prompt shows the function's signature and description, never its body."""

from __future__ import annotations

from orchestrator.prompts import rewrite_messages, signature_of

PY = '''@functools.cache
def total(xs: list[int],
          start: int = 0) -> int:
    """Sum of xs plus start."""
    return sum(xs) + start - 1
'''


def test_python_signature_keeps_decorators_and_multiline_headers_and_drops_the_body():
    sig = signature_of(PY, "python", "total")
    assert sig.startswith("@functools.cache\ndef total(xs: list[int],\n          start: int = 0) -> int:")
    assert "sum(xs)" not in sig and "Sum of xs" not in sig


def test_brace_signature_stops_at_the_opening_brace():
    sig = signature_of("int total(vector<int> xs){\n    return accumulate(xs.begin(), xs.end(), 0) - 1;\n}", "cpp",
                       "total")
    assert sig == "int total(vector<int> xs) { ... }"


def test_rewrite_prompt_carries_description_signature_and_failure_only():
    user = rewrite_messages("python", "total", signature_of(PY, "python", "total"), "Sum of xs plus start.",
                            "total([1, 2]) returned 2, expected 3")[-1]["content"]
    assert "Sum of xs plus start." in user and "def total(" in user and "expected 3" in user
    assert "- 1" not in user
