"""The emulator's modules import each other without a cycle (issue 20, item 5).

Every import of a module of this folder counts, at the top of a file or inside
a function: app.py imports the service modules to register them, and they take
what they share from common.py, never from app.py.

Run all the emulator's tests with:
    python3 -m unittest discover -s test-support/emulator -p 'test_*.py'
"""

from __future__ import annotations

import ast
import pathlib
import unittest

HERE = pathlib.Path(__file__).parent


def local_imports() -> dict[str, set[str]]:
    """Module name -> the modules of this folder it imports (tests and testkit left out)."""
    modules = {p.stem: p for p in HERE.glob("*.py")
               if not p.stem.startswith("test_") and p.stem != "testkit"}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


class ImportsTest(unittest.TestCase):
    def test_no_module_imports_itself_back(self) -> None:
        graph = local_imports()
        self.assertEqual(find_cycle(graph), None)
        self.assertIn("codepipeline", graph["app"])
        self.assertEqual(graph["common"], set())

    def test_the_check_finds_a_cycle(self) -> None:
        self.assertEqual(find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}), ["a", "b", "c", "a"])
        self.assertEqual(find_cycle({"a": {"b"}, "b": set()}), None)


if __name__ == "__main__":
    unittest.main()
