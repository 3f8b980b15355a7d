"""What a parameter's values look like (a Shape: int, str, list of X, ...), read from type hints and from
values seen, and values of a shape: small ones as hypothesis strategies, large ones (the workload's sizes)
from a seeded random generator. Used by orchestrator/verify/checks/differential.py to build differential inputs."""

from __future__ import annotations

import ast
import random
import string
from dataclasses import dataclass

_HASHABLE = {"int", "float", "str", "bool", "none", "bytes", "tuple"}


@dataclass(frozen=True)
class Shape:
    """What a parameter's values look like: kind is int, float, str, bool, none, bytes, list, tuple (fixed
    items), tuplevar (tuple of any length), set, dict, union or any (no evidence). Ranges, alphabet and size
    come from the values seen."""

    kind: str
    items: tuple = ()  # list/tuplevar/set: (element,); tuple: the items; dict: (key, value); union: options
    low: float = 0
    high: float = 0
    alphabet: str = ""  # str: the few characters seen ("" = printable)
    size: int = 0  # the largest len seen

    @property
    def key(self):
        return ("tuple", len(self.items)) if self.kind == "tuple" else self.kind

    @property
    def options(self) -> tuple:
        return self.items if self.kind == "union" else (self,)

    @property
    def sized(self) -> bool:
        """Does a large input make sense (a container or a string, or a mix that has one)?"""
        if self.kind == "union":
            return any(o.sized for o in self.items)
        return self.kind in ("list", "tuplevar", "set", "dict", "str", "bytes", "any")


INT = Shape("int", low=-10, high=25)


def shape_of_value(value) -> Shape:
    if isinstance(value, bool):
        return Shape("bool")
    if isinstance(value, int):
        return Shape("int", low=value, high=value)
    if isinstance(value, float):
        return Shape("float", low=value, high=value)
    if isinstance(value, str):
        chars = sorted(set(value))
        return Shape("str", alphabet="".join(chars) if 0 < len(chars) < 6 else "", size=len(value))
    if isinstance(value, bytes):
        return Shape("bytes", size=len(value))
    if value is None:
        return Shape("none")
    if isinstance(value, tuple) and len({type(v) for v in value}) > 1:
        return Shape("tuple", tuple(shape_of_value(v) for v in value))
    if isinstance(value, (list, tuple, set, frozenset)):
        elem = None
        for v in list(value)[:20]:
            elem = merge(elem, shape_of_value(v))
        kind = "list" if isinstance(value, list) else "tuplevar" if isinstance(value, tuple) else "set"
        return Shape(kind, (elem or INT,), size=len(value))
    if isinstance(value, dict):
        k = v = None
        for key, val in list(value.items())[:20]:
            k, v = merge(k, shape_of_value(key)), merge(v, shape_of_value(val))
        return Shape("dict", (k or Shape("str", size=4), v or INT), size=len(value))
    return Shape("any")


def merge(a: Shape | None, b: Shape | None) -> Shape | None:
    """A shape covering both (same kinds combine their ranges, sizes and items; others become a union)."""
    if a is None or a.kind == "any":
        return b if b is not None else a
    if b is None or b.kind == "any":
        return a
    options = list(a.options)
    for new in b.options:
        at = next((i for i, o in enumerate(options) if o.key == new.key), None)
        if at is None:
            options.append(new)
            continue
        old = options[at]
        items = tuple(merge(x, y) for x, y in zip(old.items, new.items))
        alphabet = "".join(sorted(set(old.alphabet) | set(new.alphabet)))
        options[at] = Shape(old.kind, items, min(old.low, new.low), max(old.high, new.high),
                            alphabet if old.alphabet and new.alphabet and len(alphabet) < 9 else "",
                            max(old.size, new.size))
    return options[0] if len(options) == 1 else Shape("union", tuple(options))


def shape_of_hint(node: ast.expr | None) -> Shape | None:
    """The shape of simple hints (int, float, str, bool, bytes, None, list[X], tuple[...], dict[K, V],
    set[X], Sequence/Iterable[X], Optional[X], Union[...], X | Y); None when the hint says nothing usable."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # "list[int]" as a string
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.Constant) and node.value is None:
        return Shape("none")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return merge(shape_of_hint(node.left), shape_of_hint(node.right))
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
    simple = {"int": INT, "float": Shape("float", low=-1e3, high=1e3), "str": Shape("str"), "bool": Shape("bool"),
              "bytes": Shape("bytes"), "None": Shape("none"), "list": Shape("list", (INT,)),
              "List": Shape("list", (INT,)), "tuple": Shape("tuplevar", (INT,)), "set": Shape("set", (INT,)),
              "dict": Shape("dict", (Shape("str"), INT))}
    if name in simple:
        return simple[name]
    if not isinstance(node, ast.Subscript):
        return None
    outer = node.value.id if isinstance(node.value, ast.Name) else getattr(node.value, "attr", "")
    inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    subs = [shape_of_hint(i) for i in inner]
    if outer in ("list", "List", "Sequence", "MutableSequence", "Iterable", "Collection") and subs[0]:
        return Shape("list", (subs[0],))
    if outer in ("set", "Set", "frozenset", "FrozenSet", "AbstractSet") and subs[0]:
        return Shape("set", (subs[0],))
    if outer in ("tuple", "Tuple") and all(subs[:1]):
        if len(inner) == 2 and isinstance(inner[1], ast.Constant) and inner[1].value is Ellipsis:
            return Shape("tuplevar", (subs[0],))
        return Shape("tuple", tuple(subs)) if all(subs) else None
    if outer in ("dict", "Dict", "Mapping", "MutableMapping") and len(subs) == 2 and all(subs):
        return Shape("dict", tuple(subs))
    if outer == "Optional" and subs[0]:
        return merge(Shape("none"), subs[0])
    if outer == "Union":
        found = None
        for s in subs:
            found = merge(found, s)
        return found
    return None



# -- small inputs: hypothesis strategies -------------------------------------------------------------------


def _mixed(st):
    """For a parameter nothing says anything about: several types, not ints only."""
    ints = st.one_of(st.integers(-4, 6), st.integers(-10, 25))
    text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10)
    return st.one_of(ints, text, st.lists(ints, max_size=10), st.floats(-100, 100, allow_nan=False),
                     st.booleans(), st.none(), st.lists(text, max_size=5), st.tuples(ints, ints))


def strategy(shape: Shape | None, st):
    """A hypothesis strategy of small values of `shape` (the mix when None or any)."""
    if shape is None or shape.kind == "any":
        return _mixed(st)
    kind = shape.kind
    if kind == "union":
        return st.one_of(*[strategy(o, st) for o in shape.items])
    if kind == "int":
        # A narrow range too, so that equal values and sums that match (collisions) actually occur.
        low, high = int(min(-10, shape.low)), int(max(25, shape.high))
        return st.one_of(st.integers(-4, 6), st.integers(-10, 25), st.integers(low, high))
    if kind == "float":
        return st.floats(min(-1e3, shape.low), max(1e3, shape.high), allow_nan=False, allow_infinity=False)
    if kind == "str":
        chars = st.sampled_from(shape.alphabet) if shape.alphabet else st.characters(min_codepoint=32,
                                                                                      max_codepoint=126)
        return st.text(chars, max_size=max(12, min(30, shape.size + 4)))
    if kind == "bool":
        return st.booleans()
    if kind == "none":
        return st.none()
    if kind == "bytes":
        return st.binary(max_size=16)
    size = max(8, min(30, shape.size + 5))
    if kind in ("list", "tuplevar"):
        lists = st.lists(strategy(shape.items[0], st), max_size=size)
        return lists.map(tuple) if kind == "tuplevar" else lists
    if kind == "tuple":
        return st.tuples(*[strategy(s, st) for s in shape.items])
    if kind == "set":
        return st.sets(strategy(_hashable(shape.items[0]), st), max_size=min(size, 12))
    if kind == "dict":
        return st.dictionaries(strategy(_hashable(shape.items[0]), st), strategy(shape.items[1], st), max_size=8)
    return _mixed(st)


def _hashable(shape: Shape | None) -> Shape:
    options = [o for o in (shape.options if shape else ()) if o.kind in _HASHABLE]
    return Shape("union", tuple(options)) if len(options) > 1 else options[0] if options else INT


# -- large inputs: the workload's sizes --------------------------------------------------------------------


def large_value(shape: Shape | None, rng: random.Random, size: int, narrow: bool):
    """A value of `shape` with `size` items (a container or string), elements drawn from a narrow range
    (many equal values) or a wide one (mostly distinct)."""
    if shape is None or shape.kind == "any":
        shape = Shape("list", (INT,))
    if shape.kind == "union":
        sized = [o for o in shape.items if o.sized]
        return large_value(sized[0] if sized else shape.items[0], rng, size, narrow)
    kind = shape.kind
    if kind == "str":
        alphabet = shape.alphabet or (string.ascii_lowercase[:4] + " " if narrow else string.ascii_lowercase + " ")
        return "".join(rng.choice(alphabet) for _ in range(size))
    if kind == "bytes":
        return bytes(rng.randrange(4 if narrow else 256) for _ in range(size))
    if kind in ("list", "tuplevar", "set"):
        elem = shape.items[0] if kind != "set" else _hashable(shape.items[0])
        items = [small_value(elem, rng, size, narrow) for _ in range(size)]
        return tuple(items) if kind == "tuplevar" else set(items) if kind == "set" else items
    if kind == "dict":
        key, value = _hashable(shape.items[0]), shape.items[1]
        return {small_value(key, rng, size, False): small_value(value, rng, size, narrow) for _ in range(size)}
    return small_value(shape, rng, size, narrow)


def small_value(shape: Shape | None, rng: random.Random, scale: int, narrow: bool):
    """An element of a large input: numbers within ±scale (or the narrow range the tests use), short strings
    and containers."""
    if shape is None or shape.kind == "any":
        shape = INT
    if shape.kind == "union":
        return small_value(rng.choice(shape.items), rng, scale, narrow)
    kind = shape.kind
    if kind in ("int", "float"):
        low, high = (min(shape.low, 0), max(shape.high, 9)) if narrow else (
            0 if shape.low >= 0 else -scale, max(scale, shape.high))
        return rng.randint(int(low), int(high)) if kind == "int" else round(rng.uniform(low, high), 3)
    if kind == "str":
        alphabet = shape.alphabet or string.ascii_lowercase
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "bytes":
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))
    if kind == "tuple":
        return tuple(small_value(s, rng, scale, narrow) for s in shape.items)
    return large_value(shape, rng, rng.randint(0, 5), narrow)
