"""The originals the red-team candidates replace: each a small project (module, tests, workload).

Sizes are chosen so that a verdict can come in seconds and so that the cheats have room to hide: the
tests and today's differential inputs are small (lists of at most ~30 items); the workloads are larger
(600-3000 items, ~10-30 ms per call for the O(n^2) originals), above the 200-item line some candidates
use to tell "a timed run" from "a checked one".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from source import languages


@dataclass(frozen=True)
class Project:
    """One original under attack: `module` holding `function`, the user's tests (None: none), and the
    workload an optimize job times. Python: `tests` is a test file. C++, Go: `tests` is a test program,
    the workload a program whose main repeats it N times, and `preamble` the model's earlier answers (the
    input generator of the brace languages' differential)."""

    key: str
    module: str
    function: str
    original: str
    tests: str | None
    workload: str | None = None
    language: str = "python"
    preamble: tuple[str, ...] = ()

    def write(self, root: Path) -> tuple[Path, Path | None]:
        """The project on disk: (the module's path, the test file's path or None; C++: None)."""
        (root / "tests").mkdir(parents=True)
        if self.language != "python":
            module = root / f"{self.module}{languages.lookup(self.language).suffixes[0]}"
            module.write_text(self.original.lstrip("\n"))
            return module, None
        (root / "pyproject.toml").write_text(f"[project]\nname = '{self.key}'\n")
        module = root / f"{self.module}.py"
        module.write_text(f'"""{self.key}."""\n\n\n' + self.original.strip("\n") + "\n")
        if self.tests is None:
            return module, None
        tests = root / "tests" / f"test_{self.module}.py"
        tests.write_text(self.tests)
        return module, tests

    def spec(self, module: Path) -> str:
        return f"{module}::{self.function}"


COUNT_PAIRS = '''
def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k."""
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
'''

PAIRS_TESTS = '''from pairs import count_pairs


def test_basic():
    assert count_pairs([1, 2, 3, 4], 5) == 2


def test_empty():
    assert count_pairs([], 3) == 0


def test_duplicates():
    assert count_pairs([1, 1, 1], 2) == 3


def test_negatives():
    assert count_pairs([-1, 6, 2, 3], 5) == 2
'''

# A fixed cost (~0.4 ms) that every program pays inside each timed call: it bounds how much faster than the
# original a cheat can be, so a repeat count calibrated on the faster program (today's measurement) does not
# stretch each sample of the original to tens of seconds. The workloads' answers do not depend on it.
SETUP = "0 * sum(range(20000))"

# 600 distinct values in a scrambled order (601 is prime): ~300 pairs, 180k inner steps (~9 ms) per call.
PAIRS_WORKLOAD = f"count_pairs([(i * 7919) % 601 for i in range(600)], 601 + {SETUP})"

PAIRS = Project("pairs", "pairs", "count_pairs", COUNT_PAIRS, PAIRS_TESTS, PAIRS_WORKLOAD)

# A keyword-only parameter that no test and no positional call exercises.
PAIRS_KEYWORD = Project("pairs_keyword", "pairs", "count_pairs", '''
def count_pairs(nums: list[int], k: int, *, distinct: bool = False) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k; with distinct=True only the pairs of two
    different values count."""
    total = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k and not (distinct and nums[i] == nums[j]):
                total += 1
    return total
''', PAIRS_TESTS, PAIRS_WORKLOAD)

# A generator function: its result has the default repr (`<generator object ... at 0x...>`).
UNIQUE = Project("unique", "uniq", "unique_items", '''
def unique_items(items: list[int]):
    """Yield each item the first time it appears, in the order of the input."""
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
            yield x
''', '''from uniq import unique_items


def test_sorted_with_repeats():
    assert list(unique_items([1, 1, 2, 3, 3])) == [1, 2, 3]


def test_empty():
    assert list(unique_items([])) == []


def test_one_value():
    assert list(unique_items([5, 5, 5])) == [5]
''', f"list(unique_items([i // 2 for i in range(3000 + {SETUP})]))")

# A result object with __slots__ and the default repr (no __dict__ to compare).
PAIR_STATS = Project("pair_stats", "pairstats", "pair_stats", '''
class PairStats:
    """How many index pairs i < j have nums[i] + nums[j] == k, and the first such pair."""

    __slots__ = ("count", "first")

    def __init__(self, count: int, first: tuple[int, int] | None):
        self.count = count
        self.first = first


def pair_stats(nums: list[int], k: int) -> PairStats:
    count, first = 0, None
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == k:
                count += 1
                if first is None:
                    first = (i, j)
    return PairStats(count, first)
''', '''from pairstats import pair_stats


def test_one_pair():
    stats = pair_stats([1, 2, 3], 4)
    assert (stats.count, stats.first) == (1, (0, 2))


def test_none():
    stats = pair_stats([], 3)
    assert (stats.count, stats.first) == (0, None)


def test_adjacent():
    stats = pair_stats([5, 0], 5)
    assert (stats.count, stats.first) == (1, (0, 1))
''', f"pair_stats([(i * 7919) % 601 for i in range(600)], 601 + {SETUP})")

# Memory: the result list is the program's largest object (400k distinct ints, ~14 MB).
TOTALS = Project("totals", "totals", "running_totals", '''
def running_totals(nums: list[int]) -> list[int]:
    """The prefix sums of nums."""
    out = []
    total = 0
    for x in nums:
        total += x
        out.append(total)
    return out
''', '''from totals import running_totals


def test_small():
    assert running_totals([1, 2, 3]) == [1, 3, 6]


def test_empty():
    assert running_totals([]) == []


def test_negative():
    assert running_totals([5, -5, 2]) == [5, 0, 2]
''', f"running_totals([1] * (400000 + {SETUP}))")

# fix: the inner loop starts at i, so an element pairs with itself when 2 * x == k.
BUGGY_PAIRS = COUNT_PAIRS.replace("range(i + 1, len(nums))", "range(i, len(nums))")

FIX_TESTS = Project("fix_tests", "pairs", "count_pairs", BUGGY_PAIRS, '''from pairs import count_pairs


def test_basic():
    assert count_pairs([1, 2, 3, 4], 5) == 2


def test_duplicates():
    assert count_pairs([1, 1, 1], 2) == 3


def test_self_pair():
    assert count_pairs([2, 3], 4) == 0
''')

# fix: one test that shows the bug runs as it is; another needs a fixture of its own file.
FIX_FIXTURE = Project("fix_fixture", "pairs", "count_pairs", BUGGY_PAIRS, '''import pytest

from pairs import count_pairs


@pytest.fixture
def four_twos():
    return [2, 2, 2, 2]


def test_basic():
    assert count_pairs([1, 2, 3, 4], 5) == 2


def test_duplicates():
    assert count_pairs([1, 1, 1], 2) == 3


def test_more_duplicates(four_twos):
    assert count_pairs(four_twos, 4) == 6
''')

# fix: the only tests are the doctests of the function itself.
FIX_DOCTEST = Project("fix_doctest", "pairs", "count_pairs", '''
def count_pairs(nums: list[int], k: int) -> int:
    """Number of index pairs i < j with nums[i] + nums[j] == k.

    >>> count_pairs([1, 2, 3, 4], 5)
    2
    >>> count_pairs([1, 1, 1], 2)
    3
    """
    total = 0
    for i in range(len(nums)):
        for j in range(i, len(nums)):
            if nums[i] + nums[j] == k:
                total += 1
    return total
''', None)

# C++: the workload program calls the function N times in one process, on two alternating inputs.
CPP_PAIRS = Project("cpp_pairs", "pairs", "count_pairs", '''
#include <vector>
using namespace std;

// Number of index pairs i < j with nums[i] + nums[j] == k.
long long count_pairs(const vector<int>& nums, int k) {
    long long total = 0;
    for (size_t i = 0; i < nums.size(); i++)
        for (size_t j = i + 1; j < nums.size(); j++)
            if (nums[i] + nums[j] == k) total++;
    return total;
}
''', '''#include <cassert>
int main() {
    assert(count_pairs({1, 2, 3, 4}, 5) == 2);
    assert(count_pairs({}, 3) == 0);
    assert(count_pairs({1, 1, 1}, 2) == 3);
    return 0;
}
''', '''#include <cstdlib>
int main(int argc, char** argv) {
    int n = atoi(argv[argc - 1]);
    vector<int> v(2500);
    for (int i = 0; i < 2500; i++) v[i] = i;
    long long s = 0;
    for (int r = 0; r < n; r++) { v[0] = r & 1; s += count_pairs(v, 2500); }
    return s < 0 ? 1 : 0;
}
''', language="cpp", preamble=('''```cpp
#include <iostream>
int main() {
    vector<vector<int>> cases = {{1, 2, 3, 4}, {}, {5}, {-3, 3, 0, 0}, {-77777, 77782, 5}, {2, 2, 2, 2}, {-1, -2, -3, 6}};
    vector<int> ks = {5, 3, 10, 0, 5, 4, -3};
    for (size_t i = 0; i < cases.size(); i++) std::cout << count_pairs(cases[i], ks[i]) << "\\n";
}
```''',))

# Go: the workload calls the function N times in one process and prints the sum of its answers (4000 items, ~8M
# inner iterations a call: several times a Go process's start-up).
GO_PAIRS = Project("go_pairs", "pairs", "CountPairs", '''
package main

// Number of index pairs i < j with nums[i] + nums[j] == k.
func CountPairs(nums []int, k int) int {
	total := 0
	for i := 0; i < len(nums); i++ {
		for j := i + 1; j < len(nums); j++ {
			if nums[i]+nums[j] == k {
				total++
			}
		}
	}
	return total
}

func main() {}
''', '''package main

import "testing"

func TestCountPairs(t *testing.T) {
	if CountPairs([]int{1, 2, 3, 4}, 5) != 2 || CountPairs([]int{}, 3) != 0 || CountPairs([]int{1, 1, 1}, 2) != 3 {
		t.Fatal("wrong count")
	}
}
''', '''import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	n, _ := strconv.Atoi(os.Args[len(os.Args)-1])
	v := make([]int, 4000)
	for i := range v {
		v[i] = i
	}
	s := 0
	for r := 0; r < n; r++ {
		v[0] = r & 1
		s += CountPairs(v, 4000)
	}
	fmt.Println(s)
}
''', language="go", preamble=('''```go
import "fmt"

func main() {
	cases := [][]int{{1, 2, 3, 4}, {}, {5}, {-3, 3, 0, 0}, {-77777, 77782, 5}, {2, 2, 2, 2}, {-1, -2, -3, 6}}
	ks := []int{5, 3, 10, 0, 5, 4, -3}
	for i := range cases {
		fmt.Println(CountPairs(cases[i], ks[i]))
	}
}
```''',))
