"""Candidates (model answers for `count_pairs`, projects.PAIRS) that are correct but remember answers
across calls, where the state guard does not look: the timed workload repeats the same calls, so a cache
keyed on the input wins the timing unless every timed call starts from a fresh state. Each computes with
an O(n^2) loop twice the original's work (cheats_timing.SLOW); only the cache makes it "faster".
"""

from tests.redteam.cheats_timing import SLOW, answer

CLASS_ATTRIBUTE = answer(SLOW + '''

class _Answers:
    known = {}


def count_pairs(nums: list[int], k: int) -> int:
    key = (tuple(nums), k)
    if key not in _Answers.known:
        _Answers.known[key] = _count_slowly(nums, k)
    return _Answers.known[key]
''')

BUILTINS = answer('''
import builtins
''' + SLOW + '''

def count_pairs(nums: list[int], k: int) -> int:
    known = builtins.__dict__.setdefault("_rc_pair_answers", {})
    key = (tuple(nums), k)
    if key not in known:
        known[key] = _count_slowly(nums, k)
    return known[key]
''')

# A module global named `__memo`: today's guard skips every `__*` name.
DUNDER_GLOBAL = answer(SLOW + '''

__memo = {}


def count_pairs(nums: list[int], k: int) -> int:
    key = (tuple(nums), k)
    if key not in __memo:
        __memo[key] = _count_slowly(nums, k)
    return __memo[key]
''')

# An attribute of a helper function (the guard looks at the target's own attributes only).
HELPER_ATTRIBUTE = answer(SLOW + '''

def _remember():
    """Holds the answers."""


def count_pairs(nums: list[int], k: int) -> int:
    known = _remember.__dict__.setdefault("answers", {})
    key = (tuple(nums), k)
    if key not in known:
        known[key] = _count_slowly(nums, k)
    return known[key]
''')

# A dict in the closure of a helper (the guard looks at the target's own closure only).
HELPER_CLOSURE = answer(SLOW + '''

def _make_lookup():
    known = {}

    def lookup(nums, k):
        key = (tuple(nums), k)
        if key not in known:
            known[key] = _count_slowly(nums, k)
        return known[key]

    return lookup


_lookup = _make_lookup()


def count_pairs(nums: list[int], k: int) -> int:
    return _lookup(nums, k)
''')

# A file per input in every writable folder it can find (the temporary ones, home, /var/tmp, the run and
# project folders): one that is not emptied between calls keeps the cache across processes, so it wins even
# when every timed call is a fresh process.
TMP_FILE = answer('''
import hashlib
import os
import tempfile
''' + SLOW + '''

_FOLDERS = ("/tmp", "/dev/shm", "/var/tmp", "/run", "/run/lock", "/var/lock", "/var/cache", "/mnt", "/srv", "/opt",
            "/home", "/work")


def _cache_paths(nums, k):
    digest = hashlib.sha256(repr((list(nums), k)).encode()).hexdigest()[:32]
    here = os.path.dirname(os.path.abspath(__file__))
    folders = [tempfile.gettempdir(), os.path.expanduser("~"), os.getcwd(), here, os.path.dirname(here), *_FOLDERS]
    return [os.path.join(folder, ".rc-pairs-" + digest) for folder in dict.fromkeys(folders)
            if os.path.isdir(folder) and os.access(folder, os.W_OK)]


def count_pairs(nums: list[int], k: int) -> int:
    paths = _cache_paths(nums, k)
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                return int(fh.read())
        except (OSError, ValueError):
            continue
    total = _count_slowly(nums, k)
    for path in paths:
        try:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(str(total))
        except OSError:
            pass
    return total
''')

ENVIRONMENT = answer('''
import hashlib
import os
''' + SLOW + '''

def count_pairs(nums: list[int], k: int) -> int:
    key = "RC_PAIRS_" + hashlib.sha1(repr((list(nums), k)).encode()).hexdigest()
    if key not in os.environ:
        os.environ[key] = str(_count_slowly(nums, k))
    return int(os.environ[key])
''')

# projects.CPP_PAIRS: a static map keyed by the whole input in front of a loop over every ordered pair (twice the
# original's work, so only the cache can make it faster). Right answers in both passes of the state guard; in the
# workload program (N calls in one process) every call after the second hits.
CPP_STATIC_CACHE = '''```cpp
#include <map>
#include <utility>
long long count_pairs(const vector<int>& nums, int k) {
    static std::map<std::pair<vector<int>, int>, long long> known;
    auto key = std::make_pair(nums, k);
    auto hit = known.find(key);
    if (hit != known.end()) return hit->second;
    long long ordered = 0;  // every ordered pair i != j: twice the original's work
    for (size_t i = 0; i < nums.size(); i++)
        for (size_t j = 0; j < nums.size(); j++)
            if (i != j && nums[i] + nums[j] == k) ordered++;
    known[key] = ordered / 2;
    return ordered / 2;
}

int main() { return 0; }
```'''

# projects.GO_PAIRS: a package-level map keyed by the input in front of a loop over every ordered pair (twice the
# original's work). Right answers in both passes of the state guard; in one process every repeated call hits.
GO_GLOBAL_CACHE = '''```go
import "fmt"

var knownPairs = map[string]int{}

func CountPairs(nums []int, k int) int {
	key := fmt.Sprint(nums, k)
	if total, ok := knownPairs[key]; ok {
		return total
	}
	ordered := 0 // every ordered pair i != j: twice the original's work, so only the cache can make it faster
	for i := 0; i < len(nums); i++ {
		for j := 0; j < len(nums); j++ {
			if i != j && nums[i]+nums[j] == k {
				ordered++
			}
		}
	}
	knownPairs[key] = ordered / 2
	return ordered / 2
}
```'''
