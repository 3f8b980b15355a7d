"""textDocument/codeAction: offer Guide / Solve / Judge for the selection or the function (or
problem comment) under the cursor. No model call here: it asks the document's live tree (kept in
step with every edit) about the cursor only; the Command carries {uri, range, version} for the job."""

from __future__ import annotations

from lsprotocol import types

from server.lsp.features.commands import FIX, GUIDE, JUDGE, OPTIMIZE, SOLVE

KIND_PREFIX = "refactor.refactorcoder"
ACTIONS = (
    ("RefactorCoder: Guide", GUIDE, f"{KIND_PREFIX}.guide"),
    ("RefactorCoder: Solve with guidance", SOLVE, f"{KIND_PREFIX}.solve"),
    ("RefactorCoder: Judge", JUDGE, f"{KIND_PREFIX}.judge"),
    ("RefactorCoder: Fix with tests", FIX, f"{KIND_PREFIX}.fix"),
    ("RefactorCoder: Optimize", OPTIMIZE, f"{KIND_PREFIX}.optimize"),
    ("RefactorCoder: Optimize for…", "refactorcoder.optimizePick", f"{KIND_PREFIX}.optimize.pick"),
)
FUNCTION_ONLY = {FIX, OPTIMIZE, "refactorcoder.optimizePick"}  # run code: a function, never a bare problem
ACTION_KINDS = [kind for _, _, kind in ACTIONS]


def wanted(kind: str, only: list[str] | None) -> bool:
    """LSP `only` filtering is hierarchical: "refactor" asks for every "refactor.*" kind."""
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def code_actions(server, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    only = params.context.only if params.context else None
    if only is not None and not any(wanted(k, only) for k in ACTION_KINDS):
        return None
    doc = server.workspace.get_text_document(params.text_document.uri)
    r = params.range
    try:
        target = server.doc_cache.extract_client(doc, (r.start.line, r.start.character), (r.end.line, r.end.character))
    except OSError:  # a document neither open nor on disk
        return None
    if target is None:
        return None
    argument = {
        "uri": doc.uri,
        "range": {
            "start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character},
        },
        "version": doc.version,
    }
    what = f"`{target.name}`" if target.name else "problem"
    actions = []
    for title, command, kind in ACTIONS:
        if not wanted(kind, only) or (command in FUNCTION_ONLY and (target.code is None or target.name is None)):
            continue
        label = title if target.code is not None or command != JUDGE else "RefactorCoder: Solve and judge"
        actions.append(
            types.CodeAction(
                title=label,
                kind=kind,
                command=types.Command(title=f"{label} ({what})", command=command, arguments=[argument]),
            )
        )
    return actions


def setup(server) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=ACTION_KINDS, resolve_provider=False),
    )
    def on_code_action(ls, params: types.CodeActionParams):
        return code_actions(ls, params)
