"""Unit tests that need no engine: data types, language plans, dataset adaptation, statistics."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from profiling import Profile, summarize
from sandbox import Limits, Result, RunSpec, Status
from sandbox.harness import combine, normalise_output
from sandbox.humaneval import candidate_and_test, strip_unavailable_rust_crates
from sandbox.images import LANGUAGES, image_tag, language_recipe_hash
from sandbox.languages import java_main_class, plan
from sandbox.runner import classify, payload_for, to_step


def test_runspec_aliases_and_source_shortcut():
    spec = RunSpec(language="C++", source="int main(){}")
    assert spec.language == "cpp"
    payload, has_compile = payload_for(spec)
    assert has_compile and "main.cpp" in payload["files"]
    assert payload["steps"][0]["argv"][0] == "g++"
    assert payload["steps"][1]["requires"] == 0


@pytest.mark.parametrize("name", ["../x.py", "/etc/passwd", "a/../../b", ""])
def test_runspec_rejects_unsafe_file_names(name):
    with pytest.raises(ValidationError):
        RunSpec(language="python", files={name: "print(1)"})


def test_runspec_needs_code():
    with pytest.raises(ValidationError):
        RunSpec(language="python")


def test_limits_bounds_and_loosening_is_explicit():
    with pytest.raises(ValidationError):
        Limits(memory_mb=10)
    with pytest.raises(ValidationError):
        Limits(wall_time_s=0)
    assert Limits().loosened() == []
    assert Limits(memory_mb=1024, wall_time_s=30).loosened() == ["wall_time_s", "memory_mb"]
    assert "network" not in Limits.model_fields  # there is no switch to enable networking


def test_result_and_profile_are_json_serialisable():
    profile = Profile(wall_time_s=0.2, cpu_time_s=0.1, peak_memory_bytes=10, mean_memory_bytes=5)
    result = Result(status=Status.OK, exit_code=0, stdout="hi", profile=profile)
    data = json.loads(result.model_dump_json())
    assert data["status"] == "ok"
    assert data["profile"]["cpu_utilisation"] == pytest.approx(0.5)
    assert Result.model_validate_json(result.model_dump_json()).profile.peak_memory_bytes == 10


def test_summarize_cv():
    s = summarize([1.0, 1.0, 1.0, 1.0])
    assert s.cv == 0 and s.mean == 1
    s = summarize([0.9, 1.1])
    assert s.cv == pytest.approx(0.1)


def _raw(**kw):
    base = dict(name="run", exit_code=0, signal=None, reason=None, oom_killed=False, stdout="", stderr="",
                stdout_truncated=False, stderr_truncated=False, wall_s=0.1, user_s=0.05, sys_s=0.01,
                peak_rss_bytes=1000, peak_sampled_bytes=900, mean_rss_bytes=800, samples=3)
    base.update(kw)
    return base


def test_classification_puts_limits_before_exit_status():
    assert classify(to_step(_raw())) == Status.OK
    assert classify(to_step(_raw(exit_code=1))) == Status.FAILED
    assert classify(to_step(_raw(exit_code=None, signal=9, oom_killed=True))) == Status.MEMORY_LIMIT
    assert classify(to_step(_raw(exit_code=None, signal=9, reason="timeout"))) == Status.TIMEOUT
    assert classify(to_step(_raw(exit_code=None, signal=9, reason="cpu_limit"))) == Status.TIMEOUT
    assert classify(to_step(_raw(exit_code=None, signal=9, reason="output_limit"))) == Status.OUTPUT_LIMIT
    assert classify(to_step(_raw(exit_code=1, stderr="java.lang.OutOfMemoryError: Java heap space"))) \
        == Status.MEMORY_LIMIT
    assert classify(to_step(_raw(exit_code=1)), compile_step=True) == Status.COMPILE_ERROR
    assert to_step(_raw()).profile.peak_memory_bytes == 1000


def test_java_main_class_and_file_name():
    src = "import java.util.*;\nclass Solution { int f(){return 1;} }\npublic class Main {\n" \
          " public static void main(String[] a){} }"
    assert java_main_class(src) == "Main"
    p = plan("java", {"Main.java": "public class Hello { public static void main(String[] a){} }"}, [])
    assert "Hello.java" in p.files and p.run[-1] == "Hello"


def test_language_plans_exist_for_all_languages():
    for lang in LANGUAGES:
        spec = RunSpec(language=lang, source="x")
        payload, _ = payload_for(spec)
        assert payload["steps"][-1]["argv"]
        assert image_tag(lang).startswith(f"refactorcoder-sandbox/{lang}:")
        assert len(language_recipe_hash(lang)) == 64


def test_rust_crate_stripping_only_when_unused():
    code = "use rand::Rng;\nuse regex::Regex;\nuse md5;\nfn main(){ let r = Regex::new(\"a\"); }"
    out, stripped = strip_unavailable_rust_crates(code)
    assert stripped == ["rand", "md5"]
    assert "use regex::Regex;" in out and "use rand" not in out


def test_combine_rules():
    files, mode = combine("go", {"main.go": "package main"}, "package main\nfunc TestX(t *testing.T){}")
    assert mode == "test" and "main_test.go" in files
    files, mode = combine("js", {"main.js": "const f = () => 1"}, "console.assert(f() === 1)")
    assert mode == "run" and files["main.js"].startswith("console.assert = ")
    files, mode = combine("rust", {"main.rs": "fn f(){}"}, "#[cfg(test)] mod t { #[test] fn a(){} }")
    assert mode == "test"


def test_humaneval_python_appends_check_when_missing():
    record = {"prompt": "def f():\n", "canonical_solution": "    return 1\n", "entry_point": "f",
              "test": "def check(c):\n    assert c() == 1\n"}
    source, test = candidate_and_test(record, "python")
    assert test.rstrip().endswith("check(f)")


def test_output_normalisation():
    assert normalise_output("1 \n2\n\n") == normalise_output("1\n2")


def test_go_single_file_merges_imports():
    from sandbox.humaneval import go_single_file

    setup = 'package main\n\nimport (\n    "testing"\n    "github.com/stretchr/testify/assert"\n)\n'
    code = ('import (\n    "math"\n    "strings"\n)\n\nfunc F(x float64) float64 { return math.Abs(x) }\n'
            'func TestF(t *testing.T) { assert := assert.New(t); assert.Equal(1.0, F(-1)); '
            '_ = strconv.Itoa(1) }\n')
    out = go_single_file(setup, code)
    block = out.split("import (", 1)[1].split(")", 1)[0]
    assert '"math"' in block and '"testing"' in block and '"strconv"' in block
    assert '"strings"' not in block  # unused: Go would refuse to compile
    assert out.count("import (") == 1 and out.startswith("package main")
