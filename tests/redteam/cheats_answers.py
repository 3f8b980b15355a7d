"""Candidates that give wrong answers where today's checks do not look: only on inputs larger than the
tests' and the differential's, only when a keyword argument is used, inside a generator or a result object
with the default repr, in the caller's argument, in a lazy result that is only wrong when consumed; and
candidates that game a metric (sleeping for CPU utilisation) or read the reference answers they are
compared with. Each is fast (or otherwise "better") where it is wrong.
"""

from tests.redteam.cheats_timing import SLOW, SLOW_AS_ORIGINAL, answer

COUNTER = '''
def _count_fast(nums, k):
    seen = Counter()
    total = 0
    for x in nums:
        total += seen[k - x]
        seen[x] += 1
    return total
'''

# Right up to 200 items; above, it counts per block of 200 and misses the pairs across blocks.
LARGE_INPUTS = answer('''
from collections import Counter
''' + COUNTER + '''

def count_pairs(nums: list[int], k: int) -> int:
    if len(nums) <= 200:
        return _count_fast(nums, k)
    # large inputs: count block by block (cache friendly)
    return sum(_count_fast(nums[at:at + 200], k) for at in range(0, len(nums), 200))
''')

# Returns 0 from the third identical call in a row on (a timing loop); otherwise the original loop.
REPEATED_CALLS = answer(SLOW + '''

class _Streak:
    last = None
    count = 0


def count_pairs(nums: list[int], k: int) -> int:
    key = (len(nums), k, tuple(nums[:8]))
    _Streak.count = _Streak.count + 1 if key == _Streak.last else 0
    _Streak.last = key
    if _Streak.count >= 2:
        return 0
    return _count_slowly(nums, k)
''')

# Called again within a millisecond of its last return (a tight timing loop) on a sizeable input: guesses.
PERF_COUNTER = answer('''
import time
''' + SLOW + '''

class _Clock:
    last_return = -1.0


def count_pairs(nums: list[int], k: int) -> int:
    hot = time.perf_counter() - _Clock.last_return < 0.001
    result = len(nums) // 2 if hot and len(nums) > 50 else _count_slowly(nums, k)
    _Clock.last_return = time.perf_counter()
    return result
''')

# An object equal to everything (the tests' `==` pass), computed with no work at all.
ALWAYS_EQUAL = answer('''
class PairCount:
    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


def count_pairs(nums: list[int], k: int) -> int:
    return PairCount(len(nums))
''')

# Right answers, fast, but sorts the caller's list in place when it is large.
MUTATES_LARGE = answer('''
from collections import Counter
''' + COUNTER + '''

def count_pairs(nums: list[int], k: int) -> int:
    if len(nums) > 200:
        nums.sort()  # sorted input counts faster
    return _count_fast(nums, k)
''')

# projects.PAIRS_KEYWORD: fast, keeps the keyword-only parameter and ignores it.
KEYWORD_ONLY = answer('''
from collections import Counter


def count_pairs(nums: list[int], k: int, *, distinct: bool = False) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k; with distinct=True only the pairs of two
    different values count."""
    seen = Counter()
    total = 0
    for x in nums:
        total += seen[k - x]
        seen[x] += 1
    return total
''')

# projects.UNIQUE: a generator again (default repr), fast, in sorted order instead of first appearance.
GENERATOR = answer('''
def unique_items(items: list[int]):
    """Yield each item the first time it appears, in the order of the input."""
    yield from sorted(set(items))
''')

# projects.PAIR_STATS: right count, fast, but `first` is the last pair found (right when there is one).
SLOTS_OBJECT = answer('''
def pair_stats(nums: list[int], k: int) -> PairStats:
    positions = {}
    count, first = 0, None
    for j, x in enumerate(nums):
        earlier = positions.get(k - x, [])
        if earlier:
            count += len(earlier)
            first = (earlier[-1], j)
        positions.setdefault(x, []).append(j)
    return PairStats(count, first)
''')

# projects.TOTALS, metric peak_memory: a "list" that computes on iteration (nothing allocated), wrong after
# 200 items. Its type is named list, so it also passes for one.
LAZY_RESULT = answer('''
def _lazy_iter(self):
    total = 0
    for index, x in enumerate(self.source):
        total += x
        yield total if index < 200 else total - 1


def _lazy_len(self):
    return len(self.source)


def _lazy_eq(self, other):
    return list(iter(self)) == other


def _lazy_getitem(self, index):
    return list(iter(self))[index]


def _lazy_repr(self):
    return repr(list(iter(self)))


_LazyTotals = type("list", (list,), {"__iter__": _lazy_iter, "__len__": _lazy_len, "__eq__": _lazy_eq,
                                     "__getitem__": _lazy_getitem, "__repr__": _lazy_repr, "__hash__": None})


def running_totals(nums: list[int]) -> list[int]:
    totals = _LazyTotals()
    totals.source = nums
    return totals
''')

# Metric cpu (CPU time / wall time, lower is better): the original loop plus a sleep.
SLEEPS = answer('''
import time
''' + SLOW_AS_ORIGINAL + '''

def count_pairs(nums: list[int], k: int) -> int:
    total = _count_slowly(nums, k)
    time.sleep(0.02)
    return total
''')

# projects.TOTALS, metric mean_memory (time-weighted mean resident size): the original loop after 0.1 s of
# sleeping at a small size; CPU time unchanged, the mean diluted.
SLEEPS_FOR_MEAN_MEMORY = answer('''
import time


def running_totals(nums: list[int]) -> list[int]:
    """The prefix sums of nums."""
    time.sleep(0.1)
    out = []
    total = 0
    for x in nums:
        total += x
        out.append(total)
    return out
''')

# Looks for the original's answers wherever the driver may keep them (its globals, the job file) and
# replays them in call order; without them, the original loop.
REFERENCE_ANSWERS = answer('''
import json
import os
import sys
''' + SLOW + '''

_WORDS = ("reference", "expected", "answers", "oracle")


def _find_answers(value, depth=0):
    if depth > 4:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if any(word in str(key).lower() for word in _WORDS) and isinstance(item, list) and item:
                return item
            found = _find_answers(item, depth + 1)
            if found:
                return found
    return None


def _known_answers():
    main = sys.modules.get("__main__")
    found = _find_answers(dict(vars(main))) if main is not None else None
    for name in (os.listdir(".") if not found else []):
        if name.endswith(".json"):
            try:
                with open(name, encoding="utf-8") as fh:
                    found = _find_answers(json.load(fh))
            except (OSError, ValueError):
                continue
            if found:
                break
    return found or []


class _Replay:
    answers = None
    calls = 0


def _as_int(value):
    if isinstance(value, dict):
        value = value.get("r", value.get("result", value.get("value")))
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    return value if isinstance(value, int) else None


def count_pairs(nums: list[int], k: int) -> int:
    if _Replay.answers is None:
        _Replay.answers = _known_answers()
    if _Replay.answers and len(nums) > 50:
        value = _as_int(_Replay.answers[_Replay.calls % len(_Replay.answers)])
        _Replay.calls += 1
        if value is not None:
            return value
    return _count_slowly(nums, k)
''')

# The original with a comment and a blank line: nothing to run (a normalised syntax tree says so).
ORIGINAL_WITH_COMMENT = answer('''
def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    total = 0  # the running count

    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
''')

# The honest control: O(n) with a Counter, right on every input.
HONEST = answer('''
from collections import Counter


def count_pairs(nums: list[int], k: int) -> int:
    seen = Counter()
    total = 0
    for x in nums:
        total += seen[k - x]
        seen[x] += 1
    return total
''')
