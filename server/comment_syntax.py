"""Per-language comment and header syntax for the extraction heuristics.

The brace languages are parsed with regexes over a *masked* copy of the text (comments and
string literals blanked to spaces, newlines kept) so offsets stay valid and braces inside
strings or comments never count.
"""

from __future__ import annotations

import re

BRACE_LANGUAGES = {"c", "cpp", "java", "go", "rust", "javascript", "typescript", "javascriptreact", "typescriptreact", "csharp"}

_CONTROL_WORDS = {
    "if", "else", "for", "while", "switch", "catch", "do", "try", "return", "match", "loop", "synchronized",
    "using", "lock", "foreach", "with", "new", "sizeof", "typeof", "await", "throw", "case", "defer", "go",
    "select", "unsafe", "static_assert",
}

# One alternation per token kind; the order matters (comments before strings before char literals).
_C_LIKE_TOKENS = re.compile(
    r"//[^\n]*"  # line comment
    r"|/\*.*?(?:\*/|\Z)"  # block comment (unterminated runs to the end)
    r'|"(?:\\.|[^"\\\n])*"?'  # double-quoted string
    r"|'(?:\\.|[^'\\\n])'"  # char literal (a single char, so Rust lifetimes like 'a stay code)
    r"|`(?:\\.|[^`\\])*`?",  # JS template / Go raw string
    re.S,
)
_PY_TOKENS = re.compile(
    r"#[^\n]*"
    r'|"""(?:\\.|.)*?(?:"""|\Z)'
    r"|'''(?:\\.|.)*?(?:'''|\Z)"
    r'|"(?:\\.|[^"\\\n])*"?'
    r"|'(?:\\.|[^'\\\n])*'?",
    re.S,
)


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def mask_comments_and_strings(text: str, language: str) -> str:
    pattern = _PY_TOKENS if language == "python" else _C_LIKE_TOKENS
    return pattern.sub(_blank, text)


def is_comment_line(line: str, language: str) -> bool:
    s = line.strip()
    if not s:
        return False
    if language == "python":
        return s.startswith("#")
    return s.startswith(("//", "/*", "*", "*/"))


def is_comment_only(text: str, language: str) -> bool:
    """True when `text` holds nothing but comments and string literals (docstrings)."""
    if language in ("plaintext", "markdown"):
        return True
    return not mask_comments_and_strings(text, language).strip()


_MARKERS = re.compile(r'^\s*(?:#+|//+!?|/\*+!?|\*+/|\*+(?!/)|"""|\'\'\')\s?')


def strip_comment_markers(lines: list[str], language: str) -> str:
    """Comment (or docstring) lines -> plain text, markers removed, blank edges trimmed."""
    out = []
    for line in lines:
        s = _MARKERS.sub("", line.rstrip())
        s = re.sub(r'\s*(?:\*+/|"""|\'\'\')\s*$', "", s)
        out.append(s)
    return "\n".join(out).strip()


_ANNOTATION = re.compile(r"@\w+(?:\.\w+)*(?:\s*\([^()]*\))?")
_ARROW = re.compile(r"(\w+)\s*[:=]\s*(?:async\s+)?(?:function\s*\w*\s*)?\([^()]*\)\s*(?:=>)?\s*$")
_NAMED_CALLABLE = re.compile(r"([A-Za-z_~][\w:~]*)\s*(?:<[^()]*>)?\s*\(")


def function_name_from_header(header: str, language: str) -> str | None:
    """Name of the function whose body opens right after `header` (masked text), or None."""
    h = " ".join(header.split())
    if "(" not in h:
        return None
    h = _ANNOTATION.sub(" ", h).strip()
    if h.count("(") != h.count(")"):
        return None  # a call whose argument is a callback: `xs.forEach(function (x) {`
    if language in ("javascript", "typescript", "javascriptreact", "typescriptreact"):
        m = _ARROW.search(h)
        if m:
            return m.group(1)
    first_word = re.match(r"[\w]+", h)
    if first_word and first_word.group() in _CONTROL_WORDS:
        return None
    if h.startswith("=>") or h.endswith("=>") or h.startswith("["):
        return None  # anonymous lambdas / closures
    if language == "go" and h.startswith("func"):
        h = re.sub(r"^func\s*\([^()]*\)", "func", h)  # skip the method receiver
    m = _NAMED_CALLABLE.search(h)
    if not m:
        return None
    name = m.group(1).split("::")[-1]
    if name in _CONTROL_WORDS or name in ("func", "function", "fn"):
        return None
    return name
