"""The red-team corpus of issue 15: candidates that cheat, or are subtly wrong, delivered by a model.

Each candidate is the answer of a scripted OpenAI-compatible endpoint (tests/scripted_endpoint.py, real
HTTP through litellm) to the real `optimize` / `fix` loop, checked in the real Docker sandbox; each must
end NOT accepted, for a reason that names what it did (a different answer, state kept between calls, a
test that failed or did not run, a measurement that went wrong, a duplicate, not better). An honest
O(n) rewrite of an O(n^2) function must be accepted with a ratio below 1, so the corpus fails both ways:
a guard that is missing lets a cheat through, a guard that is too eager stops the control.

    projects.py         the originals under attack: their code, tests and workloads
    cheats_timing.py    tells timed runs from checked ones, forges the report, exits early, tampers with
                        the baseline's files, works outside CPU accounting
    cheats_state.py     correct answers cached across calls where the state guard does not look
    cheats_answers.py   wrong answers where the checks do not look (large inputs, keyword arguments,
                        generators, default-repr objects, mutation, lazy results, metric gaming)
    cheats_fix.py       fix candidates that skip or rewrite the checks instead of fixing the bug
    cheats_driver.py    candidates that rebind the driver's helpers in their own process (test runner,
                        normaliser) or write forged events to its result pipe
    corpus.py           the candidates with the outcomes that count as caught; the honest control
    harness.py          one job through the real loop (settings, endpoint, short JobLimits)

NEVER run a candidate's code on the host: some of them append to files they find (`cheats_timing.TAMPER`),
start daemons or fork. They only ever run inside the sandbox.

Set REDTEAM_OUTCOMES=FILE to append one JSON line per candidate (id, status, reason, evidence, ratio): the
table of which guards hold today.
"""
