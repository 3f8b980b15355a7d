"""Unit tests with fakes: command argument validation, the version guard and edit building,
settings handling, stage planning, pipeline lifetime, report rendering."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

from server.lsp import command_args as a
from orchestrator.plans import plan_stages
from server.lsp.pipeline_holder import PipelineHolder
from server.problem_extract import Extraction, Span
from server.reports.markdown import report_markdown, scores_line
from server.lsp.features.settings_sync import merge, section_from_init_options, without_nulls
from server.lsp.solution_edit import STALE_MESSAGE, is_current, make_proposal, workspace_edit

RANGE = {"start": {"line": 1, "character": 0}, "end": {"line": 2, "character": 3}}


# -- command arguments -----------------------------------------------------------------------------------------


def test_parse_target_ok():
    t = a.parse_target([{"uri": "file:///a.py", "range": RANGE, "version": 3}], "refactorcoder.guide")
    assert t.uri == "file:///a.py" and t.span == Span((1, 0), (2, 3)) and t.version == 3


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "exactly one argument"),
        ([{"uri": "u", "range": RANGE}, {}], "exactly one argument"),
        (["file:///a.py"], "must be an object"),
        ([{"range": RANGE}], "uri"),
        ([{"uri": "", "range": RANGE}], "uri"),
        ([{"uri": "u"}], "range"),
        ([{"uri": "u", "range": {"start": {"line": 0}}}], "character"),
        ([{"uri": "u", "range": {"start": {"line": 2, "character": 0}, "end": {"line": 1, "character": 0}}}], "before"),
        ([{"uri": "u", "range": {"start": {"line": True, "character": 0}, "end": {"line": 1, "character": 0}}}], "line"),
        ([{"uri": "u", "range": RANGE, "version": "3"}], "version"),
    ],
)
def test_parse_target_rejects(args, message):
    with pytest.raises(JsonRpcInvalidParams, match=message):
        a.parse_target(args, "refactorcoder.guide")


def test_parse_apply_forms():
    assert a.parse_apply([{"jobId": "j1"}]) == "j1"
    edit = a.parse_apply([{"uri": "u", "version": 2, "range": RANGE, "newText": "x"}])
    assert edit.version == 2 and edit.new_text == "x"
    with pytest.raises(JsonRpcInvalidParams, match="version"):
        a.parse_apply([{"uri": "u", "range": RANGE, "newText": "x"}])
    with pytest.raises(JsonRpcInvalidParams, match="either"):
        a.parse_apply([{"uri": "u"}])


def test_range_must_lie_in_document():
    a.check_range_in_document(Span((0, 0), (2, 0)), ["a", "b"])
    with pytest.raises(JsonRpcInvalidParams, match="outside"):
        a.check_range_in_document(Span((0, 0), (5, 0)), ["a", "b"])


def test_plain_turns_namedtuples_into_dicts():
    from collections import namedtuple

    Obj = namedtuple("Object", ["uri", "position"])
    Pos = namedtuple("Object", ["line", "character"])
    assert a.as_dict(Obj("u", Pos(1, 2))) == {"uri": "u", "position": {"line": 1, "character": 2}}


# -- version guard and edits ----------------------------------------------------------------------------------


def test_version_guard():
    assert is_current(4, 4)
    assert not is_current(4, 5)
    assert not is_current(None, 5) and not is_current(None, None)
    assert STALE_MESSAGE == "document changed since the solution was computed"


class _Job:
    def __init__(self, target, version=7):
        self.uri, self.version, self.target = "file:///a.py", version, target


def _function_target(code="    def f(self):\n        return 1"):
    return Extraction("t", "d", code, "python", Span((3, 0), (4, 16)), 3, "f")


def test_proposal_replaces_function_and_keeps_indent():
    proposal = make_proposal(_Job(_function_target()), "def f(self):\n    return 2\n")
    assert proposal.original.startswith("    def f") and proposal.new_text.startswith("    def f(self):")
    assert proposal.version == 7 and proposal.span == Span((3, 0), (4, 16))


def test_proposal_after_comment_only_problem_and_none_without_code():
    target = Extraction("t", "d", None, "python", Span((5, 10), (5, 10)), 4)
    proposal = make_proposal(_Job(target), "def g():\n    pass\n")
    assert proposal.original == "" and proposal.new_text == "\ndef g():\n    pass\n"
    assert make_proposal(_Job(target), None) is None and make_proposal(_Job(target), "  \n") is None


def test_workspace_edit_carries_version():
    edit = workspace_edit("file:///a.py", 9, Span((1, 0), (2, 4)), "new")
    change = edit.document_changes[0]
    assert change.text_document.version == 9 and change.edits[0].new_text == "new"
    assert change.edits[0].range.end.character == 4


# -- settings ---------------------------------------------------------------------------------------------------


def test_init_options_shapes():
    assert section_from_init_options({"settings": {"guide": {"max_tokens": 5}}}) == {"guide": {"max_tokens": 5}}
    assert section_from_init_options({"guide": {}}) == {"guide": {}}
    assert section_from_init_options({"refactorcoder": {"key_file": "k"}}) == {"key_file": "k"}
    assert section_from_init_options(None) == {} and section_from_init_options("x") == {}


def test_merge_and_nulls():
    assert merge({"guide": {"model": "a", "max_tokens": 3}}, {"guide": {"max_tokens": 9}}) == {"guide": {"model": "a", "max_tokens": 9}}
    assert without_nulls({"a": None, "b": {"c": None, "d": 1}}) == {"b": {"d": 1}}


class _FakeServer:
    def __init__(self):
        self.messages = []
        self.pipelines = PipelineHolder(lambda s, n: _FakePipeline(s), notify=lambda m: None)

    def window_show_message(self, params):
        self.messages.append(params)


def test_invalid_settings_show_error_and_use_defaults():
    from models.settings import Settings
    from server.lsp.features.settings_sync import SettingsSync

    server = _FakeServer()
    sync = SettingsSync(server)
    sync.apply({"guide": {"max_tokens": -1}, "bogus": 1}, "test")
    assert server.messages and "invalid refactorcoder settings" in server.messages[0].message
    assert server.pipelines.settings == Settings()
    sync.apply({"guide": {"max_tokens": 7}}, "test")
    assert server.pipelines.settings.guide.max_tokens == 7


# -- pipelines and stage plans -----------------------------------------------------------------------------------


class _FakePipeline:
    def __init__(self, settings):
        self.settings, self.closed, self.history = settings, False, None

    def close(self):
        self.closed = True


def test_pipeline_holder_closes_old_pipeline_only_when_idle():
    from models.settings import Settings

    holder = PipelineHolder(lambda s, n: _FakePipeline(s), notify=lambda m: None)
    with holder.lease() as first:
        holder.reset(Settings())
        assert not first.closed  # a running job keeps its pipeline
        with holder.lease() as second:
            assert second is not first
    assert first.closed and not second.closed


def test_plan_stages():
    with_code = _function_target()
    without = Extraction("t", "d", None, "python", Span((0, 0), (0, 0)), 0)
    assert plan_stages("guide", with_code) == (("guide",), None)
    assert plan_stages("solve", with_code) == (("guide", "solve"), None)
    assert plan_stages("judge", with_code) == (("judge",), with_code.code)
    assert plan_stages("judge", without) == (("guide", "solve", "judge"), None)


# -- rendering ----------------------------------------------------------------------------------------------------


def test_scores_line_and_report_markdown():
    judgment = {"scores": {"accuracy": 4, "clarity": 3, "efficiency": 4}, "feedback": "ok", "raw": {"model_id": "m"}}
    assert scores_line(judgment) == "accuracy 4 · clarity 3 · efficiency 4"
    assert scores_line({"scores": None}) == "no score" and scores_line(None) == "no score"
    text = report_markdown({"problem": {"title": "T", "language": "python"}, "solution_code": "x = 1", "judgment": judgment})
    assert "```python\nx = 1\n```" in text and "accuracy 4" in text


def test_request_failed_code():
    exc = a.request_failed("nope")
    assert isinstance(exc, JsonRpcException) and exc.code == -32803
