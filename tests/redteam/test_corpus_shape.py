"""The corpus itself, without Docker: every candidate reaches the sandbox whole. The loop keeps from a model's
answer only the target function, its imports and the helpers it uses; a cheat whose helper, class or
module-level hook were dropped on the way would test nothing. (Never executes a candidate: some tamper.)"""

from __future__ import annotations

import ast

import pytest

from orchestrator.prompts import candidate_from_answer
from orchestrator.target import locate
from tests.redteam.corpus import CHEATS, HONEST_CONTROL

CORPUS = CHEATS + [HONEST_CONTROL]


def _top_level_names(code: str) -> set[str]:
    names = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def test_the_corpus_is_large_and_each_id_is_unique():
    ids = [c.id for c in CORPUS]
    assert len(CHEATS) >= 15 and len(set(ids)) == len(ids)
    assert {c.job for c in CHEATS} == {"fix", "optimize"}


@pytest.mark.parametrize("candidate", CORPUS, ids=lambda c: c.id)
def test_the_loop_keeps_every_part_of_the_candidate(candidate, tmp_path):
    module, _ = candidate.project.write(tmp_path / "project")
    target = locate(candidate.project.spec(module))
    code, why = candidate_from_answer(candidate.answer, target.language, target.name, target.text)
    assert code is not None, why
    if target.language != "python":  # every line of the answer's code but its `main` reaches the module
        new_module = target.with_code(code)
        body = candidate.answer.split("\n", 1)[1].rsplit("```", 1)[0]
        kept = [line for line in body.splitlines() if line.strip() and "main(" not in line]
        assert all(line.strip() in new_module for line in kept)
        assert new_module.count("main()") == target.text.count("main()")  # the answer's own main is left out
        return
    answer_code = candidate.answer.split("```python\n", 1)[1].rsplit("```", 1)[0]
    module_names = _top_level_names(target.text)
    wanted = _top_level_names(answer_code) - module_names
    new_module = target.with_code(code)
    assert wanted <= _top_level_names(new_module), f"dropped: {wanted - _top_level_names(new_module)}"
    assert target.code not in new_module or candidate.id == "original_with_comment"
