"""The structure library on real code in each language: names, exact spans, nesting, overloads,
methods, closures (not functions of their own), generics/templates, parameters and types, the
problem text, the context a function needs, and functions kept when the rest of the file is broken."""

from __future__ import annotations

from source.context import context, standalone_source
from source.document import Document


def names(text: str, language: str) -> list[tuple[str, int, int]]:
    return [(f.qualified_name, f.first_row, f.last_row) for f in Document(text, language).outline()]


PYTHON = '''import os
from typing import Callable


# Apply f twice.
def twice(f: Callable[[int], int], x: int = 0) -> int:
    """Return f(f(x))."""
    g = lambda y: f(y)
    def inner(z):
        return g(z)
    return inner(inner(x))


class Stack:
    @property
    def size(self) -> int:
        return 0

    @staticmethod
    @cache
    def make(*items, **options):
        return Stack()
'''


def test_python_functions_methods_nesting_decorators_and_types():
    assert names(PYTHON, "python") == [("twice", 5, 10), ("twice.inner", 8, 9), ("Stack.size", 14, 16), ("Stack.make", 18, 21)]
    doc = Document(PYTHON, "python")
    twice, inner, size, make = doc.outline()
    assert twice.problem == "Apply f twice.\n\nReturn f(f(x))." and twice.doc_first_row == 4
    assert [(p.name, p.type, p.default) for p in twice.params] == [("f", "Callable[[int], int]", None), ("x", "int", "0")]
    assert twice.return_type == "int" and twice.kind == "function" and inner.parent == "twice" and inner.depth == 1
    assert size.kind == "method" and size.first_row == 14 and size.name_row == 15  # decorator included
    assert [p.name for p in make.params] == ["*items", "**options"] and make.first_row == 18
    assert doc.function_at(7, 8).name == "twice"  # inside the lambda: the lambda is not a function of its own
    assert doc.function_at(9, 8).name == "inner"
    assert doc.function_at(4, 3).name == "twice"  # on the comment that states the problem
    assert context(doc, make).imports == ("import os", "from typing import Callable")
    assert standalone_source(doc, size).startswith("import os\nfrom typing import Callable\n\nclass Stack:\n    @property")


def test_python_syntax_error_elsewhere_keeps_the_other_functions():
    broken = PYTHON.replace("class Stack:", "x = = 1\nclass Stack(:").replace("return g(z)", "return g(z")
    found = [(f.name, f.first_row) for f in Document(broken, "python").outline()]
    assert found == [("twice", 5), ("inner", 8), ("size", 15), ("make", 19)]


CPP = '''#include <vector>
#include <string>
using namespace std;

// Largest of two ints.
int largest(int a, int b) { return a > b ? a : b; }
// Largest of two doubles.
double largest(double a, double b) { return a > b ? a : b; }

/// The maximum of a vector.
template <typename T>
T maxOf(const vector<T>& xs) {
    auto better = [](const T& a, const T& b) { return a < b; };
    T best = xs[0];
    for (const T& x : xs) if (better(best, x)) best = x;
    return best;
}

namespace geo {
struct Box {
    int w, h;
    Box(int w, int h) : w(w), h(h) {}
    int area() const { return w * h; }
};
int perimeter(const Box& b);
}
int geo::Box::volume(int d) { return w * h * d; }
'''


def test_cpp_overloads_templates_lambdas_methods_and_prototypes():
    assert names(CPP, "cpp") == [
        ("largest", 5, 5), ("largest", 7, 7), ("maxOf", 10, 16), ("geo.Box.Box", 21, 21), ("geo.Box.area", 22, 22),
        ("geo.Box.volume", 26, 26),
    ]
    doc = Document(CPP, "cpp")
    first, second, max_of, ctor, area, volume = doc.outline()
    assert first.comment == "Largest of two ints." and second.comment == "Largest of two doubles."
    assert [p.type for p in second.params] == ["double", "double"] and first.start_byte != second.start_byte
    assert max_of.type_parameters == "<typename T>" and max_of.first_row == 10 and max_of.doc_first_row == 9
    assert max_of.params[0].type == "const vector<T>&" and max_of.return_type == "T"
    assert ctor.kind == "constructor" and area.kind == "method" and [c.name for c in area.enclosing] == ["geo", "Box"]
    assert doc.function_at(12, 30).name == "maxOf"  # in the lambda
    assert context(doc, max_of).imports == ("#include <vector>", "#include <string>", "using namespace std;")
    assert "struct Box {\n    int area() const { return w * h; }\n};" in standalone_source(doc, area)


JAVA = '''import java.util.*;

class Solution {
    /** Sum of a list. */
    public int sum(List<Integer> xs) {
        return xs.stream().mapToInt(x -> x).sum();
    }

    /** Sum of an array. */
    @SuppressWarnings("unchecked")
    public <T extends Number> long sum(T[] xs, int... more) {
        Comparator<T> c = new Comparator<T>() {
            public int compare(T a, T b) { return 0; }
        };
        return 0L;
    }

    Solution() { }

    interface Shape { double area(); }
}
'''


def test_java_overloads_generics_annotations_anonymous_classes():
    doc = Document(JAVA, "java")
    found = doc.outline()
    assert [(f.qualified_name, f.first_row, f.last_row) for f in found] == [
        ("Solution.sum", 4, 6), ("Solution.sum", 9, 15), ("Solution.sum.compare", 12, 12), ("Solution.Solution", 17, 17),
    ]
    assert found[1].comment == "Sum of an array." and found[1].name_row == 10  # annotation in the span
    assert found[1].type_parameters == "<T extends Number>" and [p.type for p in found[1].params] == ["T[]", "int..."]
    assert found[3].kind == "constructor" and found[0].kind == "method"
    assert doc.function_at(5, 40).name == "sum"  # in the lambda x -> x
    assert context(doc, found[0]).imports == ("import java.util.*;",)


GO = '''package stack

import (
	"errors"
	"fmt"
)

// Stack of ints.
type Stack struct{ items []int }

// Pop the top.
func (s *Stack) Pop() (int, error) {
	if len(s.items) == 0 {
		return 0, errors.New("empty")
	}
	top := func() int { return s.items[len(s.items)-1] }
	return top(), nil
}

// Map applies f to each x.
func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	fmt.Println(len(out))
	return out
}
'''


def test_go_methods_generics_and_func_literals():
    assert names(GO, "go") == [("Pop", 11, 17), ("Map", 20, 27)]
    doc = Document(GO, "go")
    pop, map_ = doc.outline()
    assert pop.kind == "method" and pop.comment == "Pop the top." and pop.return_type == "(int, error)"
    assert map_.type_parameters == "[T, U any]" and [(p.name, p.type) for p in map_.params] == [("xs", "[]T"), ("f", "func(T) U")]
    assert doc.function_at(15, 30).name == "Pop"  # in the func literal
    assert context(doc, pop).imports[0] == "package stack" and '"errors"' in context(doc, pop).imports[1]


RUST = '''use std::collections::HashMap;

/// Counts each word.
#[inline]
#[must_use]
pub fn count<'a>(words: &[&'a str]) -> HashMap<&'a str, usize> {
    let mut m = HashMap::new();
    words.iter().for_each(|w| *m.entry(*w).or_insert(0) += 1);
    m
}

struct Counter<T> { items: Vec<T> }

impl<T: Clone> Counter<T> {
    /// A new counter.
    pub fn new() -> Self { Counter { items: Vec::new() } }
    fn push(&mut self, x: T) { self.items.push(x); }
}

trait Named { fn name(&self) -> String; fn greet(&self) -> String { format!("hi {}", self.name()) } }
'''


def test_rust_attributes_doc_comments_impls_closures_traits():
    assert names(RUST, "rust") == [("count", 3, 9), ("Counter<T>.new", 15, 15), ("Counter<T>.push", 16, 16), ("Named.greet", 19, 19)]
    doc = Document(RUST, "rust")
    count, new, push, greet = doc.outline()
    assert count.comment == "Counts each word." and count.doc_first_row == 2 and count.name_row == 5  # attributes in span
    assert count.type_parameters == "<'a>" and count.params[0].type == "&[&'a str]"
    assert new.comment == "A new counter." and push.params[0].name == "&mut self" and push.kind == "method"
    assert doc.function_at(7, 40).name == "count"  # in the closure
    assert standalone_source(doc, push).startswith("use std::collections::HashMap;\n\nimpl<T: Clone> Counter<T> {\n")


JS = '''const fs = require("fs");
import { join } from "path";

// Add two numbers.
const add = (a, b = 0) => {
  return a + b;
};

/** Greets. */
function greet(name, ...rest) {
  [1, 2].forEach(function (x) { console.log(x); });
  return `hi ${name}`;
}

class Shelf {
  constructor(items) { this.items = items; }
  count() { return this.items.length; }
  static empty = () => new Shelf([]);
}

module.exports.total = function (xs) { return xs.reduce((s, x) => s + x, 0); };
'''


def test_javascript_arrows_classes_callbacks_and_exports():
    assert names(JS, "javascript") == [
        ("add", 4, 6), ("greet", 9, 12), ("Shelf.constructor", 15, 15), ("Shelf.count", 16, 16),
        ("Shelf.empty", 17, 17), ("total", 20, 20),
    ]
    doc = Document(JS, "javascript")
    add, greet = doc.outline()[:2]
    assert add.comment == "Add two numbers." and [(p.name, p.default) for p in add.params] == [("a", None), ("b", "0")]
    assert greet.comment == "Greets." and doc.function_at(10, 30).name == "greet"  # in the anonymous callback
    assert doc.outline()[2].kind == "constructor"
    assert context(doc, add).imports == ('const fs = require("fs");', 'import { join } from "path";')


def test_brace_syntax_errors_elsewhere_keep_the_functions_that_parse():
    broken_cpp = CPP.replace("int perimeter(const Box& b);", "int perimeter(const Box& b {{ ;")
    assert {"largest", "maxOf", "area"} <= {f.name for f in Document(broken_cpp, "cpp").outline()}
    broken_java = JAVA.replace("Solution() { }", "Solution( { int = ; }")
    assert [f.name for f in Document(broken_java, "java").outline()][:2] == ["sum", "sum"]
    broken_go = GO.replace("type Stack struct{ items []int }", "type Stack struct{ items []int")
    assert "Map" in {f.name for f in Document(broken_go, "go").outline()}
    broken_rust = RUST.replace("struct Counter<T> { items: Vec<T> }", "struct Counter<T> { items: Vec<T> ")
    assert "count" in {f.name for f in Document(broken_rust, "rust").outline()}
    broken_js = JS.replace("const fs = require(\"fs\");", "const fs = require(\"fs\";;{")
    assert {"greet", "count"} <= {f.name for f in Document(broken_js, "javascript").outline()}


def test_cursor_on_doc_comments_and_attributes_gives_the_function_below():
    def at(text, language, *positions):
        doc = Document(text, language)
        return [getattr(doc.function_at(row, col), "name", None) for row, col in positions]

    assert at(RUST, "rust", (2, 3), (3, 2), (4, 5), (14, 6), (0, 3)) == ["count", "count", "count", "new", None]
    assert at(JAVA, "java", (3, 8), (8, 10), (9, 6)) == ["sum", "sum", "sum"]
    assert at(CPP, "cpp", (4, 3), (9, 3), (10, 3), (0, 3)) == ["largest", "maxOf", "maxOf", None]
    assert at(GO, "go", (10, 3), (7, 3)) == ["Pop", None]  # the comment above a type is not a function's
    assert at(JS, "javascript", (3, 3), (8, 3)) == ["add", "greet"]
