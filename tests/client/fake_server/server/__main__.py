"""python -m server lsp — the fake RefactorCoder server (see __init__.py)."""

from __future__ import annotations

import json
import logging
import sys
import uuid

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

server = LanguageServer("refactorcoder-fake", "0.0.1")
jobs: dict[str, dict] = {}
judged: dict[str, set[str]] = {}  # uri -> header lines of judged functions (they get a result lens)
STAGES = ("guide", "solve", "judge")


def _whole_function(uri: str, line: int) -> types.Range:
    doc = server.workspace.get_text_document(uri)
    lines = doc.lines
    start = line
    while start > 0 and not lines[start].startswith("def "):
        start -= 1
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1
    return types.Range(types.Position(start, 0), types.Position(end, 0))


@server.feature(types.INITIALIZE)
def initialize(ls: LanguageServer, params: types.InitializeParams):
    logging.info("initializationOptions: %s", json.dumps(params.initialization_options, sort_keys=True))


@server.feature(types.INITIALIZED)
async def initialized(ls: LanguageServer, params):
    config = await ls.workspace_configuration_async(
        types.ConfigurationParams(items=[types.ConfigurationItem(section="refactorcoder")])
    )
    logging.info("workspace/configuration: %s", json.dumps(config, sort_keys=True))


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
def did_change_configuration(ls: LanguageServer, params):
    logging.info("settings pushed: %s", params.settings)


@server.feature(types.TEXT_DOCUMENT_CODE_LENS)
def code_lens(ls: LanguageServer, params: types.CodeLensParams):
    doc = ls.workspace.get_text_document(params.text_document.uri)
    lenses = []
    for i, line in enumerate(doc.lines):
        if line.startswith("def ") and line in judged.get(doc.uri, set()):
            lenses.append(
                types.CodeLens(
                    range=types.Range(types.Position(i, 0), types.Position(i, 0)),
                    command=types.Command(
                        title="RefactorCoder: accuracy 4 · clarity 3 · efficiency 4",
                        command="refactorcoder.openReport",
                        arguments=[{"uri": doc.uri, "position": {"line": i, "character": 0}, "jobId": None, "runId": 1}],
                    ),
                )
            )
        if line.startswith("def "):
            args = {"uri": doc.uri, "range": _whole_function(doc.uri, i), "version": doc.version}
            for kind in STAGES:
                lenses.append(
                    types.CodeLens(
                        range=types.Range(types.Position(i, 0), types.Position(i, 0)),
                        command=types.Command(title=f"RefactorCoder: {kind.title()}", command=f"refactorcoder.{kind}", arguments=[args]),
                    )
                )
    return lenses


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION)
def code_action(ls: LanguageServer, params: types.CodeActionParams):
    doc = ls.workspace.get_text_document(params.text_document.uri)
    args = {"uri": doc.uri, "range": params.range, "version": doc.version}
    return [
        types.CodeAction(
            title=f"RefactorCoder: {kind.title()}",
            kind=f"refactor.refactorcoder.{kind}",
            command=types.Command(title=f"RefactorCoder: {kind.title()}", command=f"refactorcoder.{kind}", arguments=[args]),
        )
        for kind in STAGES
    ]


def _stage(ls: LanguageServer, kind: str, arg: dict):
    uri, version = arg["uri"], arg["version"]
    rng = _whole_function(uri, arg["range"]["start"]["line"])
    doc = ls.workspace.get_text_document(uri)
    original = "".join(doc.lines[rng.start.line : rng.end.line])
    job_id = uuid.uuid4().hex[:8]
    jobs[job_id] = {"uri": uri, "version": version, "range": rng, "original": original, "kind": kind}
    ls.protocol.notify(
        "refactorcoder/jobStarted",
        {"jobId": job_id, "kind": kind, "uri": uri, "version": version, "token": None, "title": f"RefactorCoder: {kind}"},
    )
    if kind == "solve":
        proposed = original.replace("for j in range(len(nums)):", "for j in range(i + 1, len(nums)):").replace(
            "if i != j and ", "if "
        )
        proposed = "# solved by the fake RefactorCoder server\n" + proposed
        jobs[job_id]["proposed"] = proposed
        ls.protocol.notify(
            "refactorcoder/solutionReady",
            {"jobId": job_id, "uri": uri, "version": version, "range": rng, "original": original, "proposed": proposed},
        )
    if kind == "judge":
        judged.setdefault(uri, set()).add(doc.lines[rng.start.line])
        ls.workspace_code_lens_refresh(None)
    ls.window_show_message(types.ShowMessageParams(types.MessageType.Info, f"RefactorCoder {kind}: fake hint for {uri.rsplit('/', 1)[-1]}"))
    ls.protocol.notify("refactorcoder/jobFinished", {"jobId": job_id, "kind": kind, "uri": uri, "status": "done", "runId": 1})
    return {"jobId": job_id, "runId": 1, "status": "done"}


@server.command("refactorcoder.guide")
def guide(ls: LanguageServer, arg: dict):
    return _stage(ls, "guide", arg)


@server.command("refactorcoder.solve")
def solve(ls: LanguageServer, arg: dict):
    return _stage(ls, "solve", arg)


@server.command("refactorcoder.judge")
def judge(ls: LanguageServer, arg: dict):
    return _stage(ls, "judge", arg)


@server.command("refactorcoder.applySolution")
async def apply_solution(ls: LanguageServer, arg: dict):
    job = jobs[arg["jobId"]]
    doc = ls.workspace.get_text_document(job["uri"])
    rng = job["range"]
    # As the real server: refused only when the function's text changed (an undone edit applies again).
    now = "".join(doc.lines[rng.start.line : rng.end.line])
    if now != job["original"]:
        logging.info("apply refused: the function is now %r, the proposal was computed on %r", now, job["original"])
        raise JsonRpcException(message="document changed since the solution was computed: the function was edited", code=-32803)
    edit = types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=job["uri"], version=doc.version),
        edits=[types.TextEdit(range=job["range"], new_text=job["proposed"])],
    )
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit=types.WorkspaceEdit(document_changes=[edit])))
    return {"applied": result.applied, "failureReason": result.failure_reason}


@server.feature("refactorcoder/report")
def report(ls: LanguageServer, params):
    return {"markdown": "# RefactorCoder report (fake)\n\n| stage | status |\n|---|---|\n| guide | done |\n| judge | 3/3 tests passed |\n"}


@server.feature("refactorcoder/jobReport")
def job_report(ls: LanguageServer, params):
    # The report view's data (what the real server's jobReport answers, canned): a judged guide with a fix's tests.
    return {"runId": 1, "jobId": "fake", "kind": "judge", "status": "done", "function": "two_sum",
            "report": {"verdict": "tests 3/3 · judge 4/3/4", "summary": "fake report", "tests_total": 3, "tests_passed": 3,
                       "suites": ["tests/test_two_sum.py"], "guidance": {"text": "Use a dict of seen values.", "model_id": "fake"},
                       "judgment": {"scores": {"accuracy": 4, "clarity": 3, "efficiency": 4}, "feedback": "Quadratic loop."}}}


if __name__ == "__main__":
    if sys.argv[1:2] != ["lsp"]:
        sys.exit("usage: python -m server lsp")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="fake-server %(levelname)s %(message)s")
    logging.getLogger("pygls").setLevel(logging.WARNING)
    server.start_io()
