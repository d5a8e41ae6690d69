"""The import graph between quizapp's top-level packages and modules: no cycles, and common/ knows no domain.

The graph is read from the source with ``ast`` (every ``import`` and ``from …
import``, including those inside functions), so an import hidden in a
function to dodge a cycle still counts. Nodes are the names directly under
``quizapp/`` (``accounts``, ``bank``, ``extensions``, …) plus ``quizapp``
itself, the app factory that wires them all.
"""
import ast
from pathlib import Path

import quizapp

ROOT = Path(quizapp.__file__).parent
APP = "quizapp"


def _nodes(root=ROOT):
    packages = {path.parent.name for path in root.glob("*/__init__.py")}
    modules = {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    return packages, modules


def _module_parts(path, root):
    parts = [APP, *path.relative_to(root).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_modules(node, parts, is_package):
    """Dotted names an import statement brings in (``from quizapp import x`` names quizapp.x)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = parts if is_package else parts[:-1]
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module == APP:
        return [f"{module}.{alias.name}" for alias in node.names]
    return [module]


def import_graph(root=ROOT):
    """{node: {imported node: [file:line, …]}} for imports between different top-level names."""
    packages, modules = _nodes(root)
    known = packages | modules
    graph = {name: {} for name in known | {APP}}
    for path in sorted(root.rglob("*.py")):
        parts = _module_parts(path, root)
        source = parts[1] if len(parts) > 1 else APP
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in _imported_modules(node, parts, path.name == "__init__.py"):
                pieces = name.split(".")
                if pieces[0] != APP:
                    continue
                target = pieces[1] if len(pieces) > 1 and pieces[1] in known else APP
                if target != source:
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    graph[source].setdefault(target, [])
                    if where not in graph[source][target]:
                        graph[source][target].append(where)
    return graph


def find_cycle(edges):
    """One cycle as a list of nodes [a, b, …, a], or None; ``edges`` maps a node to the nodes it imports."""
    state = {}  # node -> "open" while on the DFS stack, "done" after

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def reachable(edges, start):
    seen, todo = set(), [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _describe(graph, cycle):
    return "\n".join(f"  {a} -> {b}: {', '.join(graph[a][b])}" for a, b in zip(cycle, cycle[1:]))


def test_no_import_cycle_between_top_level_packages():
    """Can every quizapp package be understood (and imported) without the packages that import it?"""
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle " + " -> ".join(cycle) + "\n" + _describe(graph, cycle)


def test_common_imports_no_domain_package():
    """Does common/ stay below every domain, even through a top-level module such as quizapp.models?"""
    graph = import_graph()
    packages, _ = _nodes()
    domains = packages - {"common"}
    reached = reachable(graph, "common") & (domains | {APP})
    assert not reached, "common/ reaches " + ", ".join(sorted(reached)) + ":\n" + "\n".join(
        f"  common -> {target}: {', '.join(where)}" for target, where in graph["common"].items())


def test_graph_sees_relative_absolute_and_function_level_imports(tmp_path):
    """Would the graph notice a cycle made by an import inside a function, relative or absolute?"""
    app = tmp_path / APP
    for package in ("lower", "upper", "other"):
        (app / package).mkdir(parents=True)
        (app / package / "__init__.py").write_text("")
    (app / "__init__.py").write_text("")
    (app / "extensions.py").write_text("")
    (app / "upper" / "views.py").write_text("from ..lower.models import Thing\nfrom ..extensions import db\n")
    (app / "lower" / "models.py").write_text("def later():\n    from quizapp.upper import views\n")
    (app / "other" / "a.py").write_text("from .. import lower\nimport json\n")

    graph = import_graph(app)

    assert graph["upper"] == {"lower": ["quizapp/upper/views.py:1"], "extensions": ["quizapp/upper/views.py:2"]}
    assert graph["lower"] == {"upper": ["quizapp/lower/models.py:2"]}
    assert graph["other"] == {"lower": ["quizapp/other/a.py:1"]}
    assert find_cycle(graph) == ["lower", "upper", "lower"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
