"""The RefactorCoderQA item set-up that refactorcoderqa-mcq and refactorcoderqa-judge share
(evaluation/suites/common.py): keys, order, --limit and --domains, on hand-made records (no data needed)."""

from __future__ import annotations

from evaluation.suites.common import qa_items, qa_problem

RECORDS = [{"id": f"Q{i}", "domain": d, "instruction": f"q{i}", "input": "body" if i else None}
           for i, d in enumerate(["SE", "DS", "ML"])]


def test_items_per_model_variant_record_in_that_order():
    items = qa_items(RECORDS, {"models": ["m1", "m2"], "limit": 2}, ["direct", "guide-solve"])
    assert [i.key for i in items] == ["m1|direct|Q0", "m1|direct|Q1", "m1|guide-solve|Q0", "m1|guide-solve|Q1",
                                      "m2|direct|Q0", "m2|direct|Q1", "m2|guide-solve|Q0", "m2|guide-solve|Q1"]
    assert [i.group for i in items[:2]] == ["SE", "DS"] and items[0].payload is RECORDS[0]
    assert qa_items(RECORDS, {"models": ["m"]}, []) == []


def test_problem_is_the_instruction_and_its_body():
    assert (qa_problem(RECORDS[0]).title, qa_problem(RECORDS[0]).description) == ("q0", "")
    assert qa_problem(RECORDS[1]).description == "body"


def test_records_keep_only_the_domains_asked_for(qa_data):
    from evaluation.suites.common import qa_records

    required = ("id", "domain", "instruction", "answer")
    every = qa_records("refactorcoderqa_mcq_test.jsonl.gz", {"data": str(qa_data)}, required)
    ml = qa_records("refactorcoderqa_mcq_test.jsonl.gz", {"data": str(qa_data), "domains": ["ML"]}, required)
    assert len(every) == 262 and ml and {r["domain"] for r in ml} == {"ML"}
    assert ml == [r for r in every if r["domain"] == "ML"]
