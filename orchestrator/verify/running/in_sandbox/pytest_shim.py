"""A small stand-in for `pytest`, shipped into the sandbox as pytest.py, for the driver's own runner: a project that
does not use pytest (no pytest configuration, conftest.py or test file importing pytest; one that does runs its
tests under real pytest, driver_pytest.py, and never sees this module).

Enough for plain test functions: raises, approx, mark.parametrize (expanded by the driver), skip,
importorskip, mark.skip / mark.skipif, fixture (a no-op decorator). A test that takes fixtures, is skipped
or marked skip is reported "not run" by the driver (orchestrator/verify/running/in_sandbox/driver_tests.py), never passed.
Standard library only.
"""

import math
import re
import unittest


class _Raises:
    def __init__(self, expected, match=None):
        self.expected, self.match, self.value = expected, match, None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            raise AssertionError(f"DID NOT RAISE {self.expected}")
        if not issubclass(exc_type, self.expected):
            return False
        if self.match is not None and not re.search(self.match, str(exc)):
            raise AssertionError(f"{str(exc)!r} does not match {self.match!r}")
        self.value = exc
        return True


def raises(expected, *args, match=None, **kwargs):
    if args:
        with _Raises(expected, match):
            args[0](*args[1:], **kwargs)
        return None
    return _Raises(expected, match)


class approx:
    def __init__(self, expected, rel=1e-6, abs=1e-12):
        self.expected, self.rel, self.abs = expected, rel, abs

    def _close(self, a, b):
        if isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(self._close(x, y) for x, y in zip(a, b))
        if isinstance(b, dict):
            return a.keys() == b.keys() and all(self._close(a[k], b[k]) for k in b)
        return math.isclose(a, b, rel_tol=self.rel, abs_tol=self.abs)

    def __eq__(self, other):
        try:
            return self._close(other, self.expected)
        except TypeError:
            return False

    def __repr__(self):
        return f"approx({self.expected!r})"


def skip(reason=""):
    raise unittest.SkipTest(reason)


def importorskip(name, *args, **kwargs):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise unittest.SkipTest(f"could not import {name!r}") from None


def fail(reason=""):
    raise AssertionError(reason)


def fixture(*args, **kwargs):
    if args and callable(args[0]):
        return args[0]
    return lambda fn: fn


class _Mark:
    def parametrize(self, names, values, **kwargs):
        def deco(fn):
            fn._rc_parametrize = [*getattr(fn, "_rc_parametrize", []), (names, list(values))]
            return fn
        return deco

    def skip(self, *args, reason="", **kwargs):
        if args and callable(args[0]):  # bare @pytest.mark.skip
            args[0]._rc_skip = reason
            return args[0]

        def deco(fn):
            fn._rc_skip = reason or (args[0] if args else "")
            return fn
        return deco

    def skipif(self, condition, *args, reason="", **kwargs):
        def deco(fn):
            if condition:
                fn._rc_skip = reason or "skipif"
            return fn
        return deco

    def __getattr__(self, name):  # skip, slow, xfail, ...: recorded as no-ops
        def mark(*args, **kwargs):
            if args and callable(args[0]) and len(args) == 1 and not kwargs:
                return args[0]
            return lambda fn: fn
        return mark


mark = _Mark()
