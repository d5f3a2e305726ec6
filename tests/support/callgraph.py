"""A static, deliberately over-approximating call graph of `bloom` and `functions`, read from the source.

It answers "can this function's code reach that code?", which the import graph cannot: `bloom.api` imports the
users service, which imports `bloom.users.firebase_accounts`, so every signed-in route imports account management
although only a few call it. Here an edge is any reference from one function's body (nested functions included)
to another function or method:
- a name or `module.attribute` that resolves, through the module's imports (wherever they are written), to a
  function or class of `bloom`/`functions` (a class stands for all its methods);
- any other `.attribute` (a method on an object whose type is unknown statically): every method of that name in
  any class. That over-approximates; it never misses a call made through a name.

Calls made through values (a handler passed as an argument and called later) are covered where the value is
named: the reference itself is an edge. `Sites` records what the declarations are checked against: each
`x.emit(TOPIC, ...)` whose topic is a module constant, and each `x.emit(...)` whose topic is not (resolved by
the caller's knowledge of that site).
"""

from __future__ import annotations

import ast
import importlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bloom.core.errors import ErrorCatalogue, ErrorSpec
from bloom.platform.topics import Topic


@dataclass(frozen=True, order=True)
class Node:
    module: str
    name: str  # "function" or "Class.method"

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class _Module:
    name: str
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted module or module.symbol
    functions: set[str] = field(default_factory=set)
    classes: dict[str, set[str]] = field(default_factory=dict)


def _code_of(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """What runs when the function is called: its body and default values, not its decorators (what declares it)
    nor its annotations (types, not calls)."""
    defaults = [value for value in (*function.args.defaults, *function.args.kw_defaults) if value is not None]
    return [*function.body, *defaults]


def _modules(root: Path, package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


class CallGraph:
    def __init__(self, sources: Iterable[tuple[Path, str]]) -> None:
        """`sources`: (directory, package) pairs, e.g. (ROOT / "shared", "bloom"), (ROOT, "functions")."""
        self.modules: dict[str, _Module] = {}
        for root, package in sources:
            for name, path in _modules(root, package):
                self.modules[name] = _Module(name, ast.parse(path.read_text(), str(path)))
        for module in self.modules.values():
            self._index(module)
        self.methods_named: dict[str, set[Node]] = {}
        for module in self.modules.values():
            for cls, methods in module.classes.items():
                for method in methods:
                    self.methods_named.setdefault(method, set()).add(Node(module.name, f"{cls}.{method}"))
        self.edges: dict[Node, set[Node]] = {}
        self.topic_emits: dict[Node, set[str]] = {}  # x.emit(CONSTANT, ...): the topic's name
        self.dynamic_emits: set[Node] = set()  # x.emit(variable, ...)
        self.error_refs: dict[Node, set[ErrorSpec]] = {}  # module-level ErrorSpec constants a body names
        for module in self.modules.values():
            for node, body in self._bodies(module):
                self.edges[node] = set()
                for part in _code_of(body):
                    for child in ast.walk(part):
                        self._visit(module, node, child)

    # --- indexing ----------------------------------------------------------------------------------------------

    def _index(self, module: _Module) -> None:
        package = module.name if self._is_package(module.name) else module.name.rpartition(".")[0]
        for statement in ast.walk(module.tree):
            if isinstance(statement, ast.Import):
                for alias in statement.names:
                    # `import a.b as c` binds c to a.b; `import a.b` binds a to a.
                    top = alias.name.partition(".")[0]
                    module.aliases[alias.asname or top] = alias.name if alias.asname else top
            elif isinstance(statement, ast.ImportFrom):
                base = statement.module or ""
                if statement.level:
                    anchor = package.split(".")[: len(package.split(".")) - statement.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                for alias in statement.names:
                    module.aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
        for statement in module.tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                module.functions.add(statement.name)
            elif isinstance(statement, ast.ClassDef):
                module.classes[statement.name] = {
                    item.name for item in statement.body if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                }

    def _is_package(self, name: str) -> bool:
        return any(other.startswith(f"{name}.") for other in self.modules)

    def _bodies(self, module: _Module) -> Iterator[tuple[Node, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for statement in module.tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                yield Node(module.name, statement.name), statement
            elif isinstance(statement, ast.ClassDef):
                for item in statement.body:
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                        yield Node(module.name, f"{statement.name}.{item.name}"), item

    # --- resolution --------------------------------------------------------------------------------------------

    def _symbol(self, dotted: str, seen: frozenset[str] = frozenset()) -> set[Node] | str | None:
        """What a dotted name is: the nodes of a function or class, a module's name, or None (not ours)."""
        if dotted in self.modules:
            return dotted
        module_name, _, symbol = dotted.rpartition(".")
        module = self.modules.get(module_name)
        if module is None or dotted in seen:
            return None
        if symbol in module.functions:
            return {Node(module_name, symbol)}
        if symbol in module.classes:
            return {Node(module_name, f"{symbol}.{method}") for method in module.classes[symbol]}
        if symbol in module.aliases:  # re-exported
            return self._symbol(module.aliases[symbol], seen | {dotted})
        return None

    def _name(self, module: _Module, name: str) -> set[Node] | str | None:
        if name in module.functions:
            return {Node(module.name, name)}
        if name in module.classes:
            return {Node(module.name, f"{name}.{method}") for method in module.classes[name]}
        if name in module.aliases:
            return self._symbol(module.aliases[name])
        return None

    def _expression(self, module: _Module, expression: ast.expr) -> set[Node] | str | None:
        if isinstance(expression, ast.Name):
            return self._name(module, expression.id)
        if isinstance(expression, ast.Attribute):
            owner = self._expression(module, expression.value)
            if isinstance(owner, str):
                return self._symbol(f"{owner}.{expression.attr}")
            if isinstance(owner, set) and isinstance(expression.value, ast.Name):
                # Class.method: the method of that class (inherited ones are found by name below).
                wanted = {node for node in owner if node.name.endswith(f".{expression.attr}")}
                return wanted or None
        return None

    def _topic(self, module: _Module, expression: ast.expr) -> str | None:
        """The name of the Topic a module-level constant holds, or None when the expression is not one."""
        value = self._constant(module, expression)
        return value.name if isinstance(value, Topic) else None

    def _constant(self, module: _Module, expression: ast.expr) -> object:
        """The value of the module-level constant an expression names (imported, or the module's own), or None."""
        dotted: str | None = None
        if isinstance(expression, ast.Name) and expression.id in module.aliases:
            dotted = module.aliases[expression.id]
        elif isinstance(expression, ast.Attribute):
            owner = self._expression(module, expression.value)
            dotted = f"{owner}.{expression.attr}" if isinstance(owner, str) else None
        elif isinstance(expression, ast.Name):
            dotted = f"{module.name}.{expression.id}"
        if dotted is None:
            return None
        owner_name, _, attribute = dotted.rpartition(".")
        if owner_name not in self.modules:
            return None
        return getattr(importlib.import_module(owner_name), attribute, None)

    @staticmethod
    def _errors_in(value: object) -> set[ErrorSpec]:
        """The errors a constant names: an ErrorSpec, or every one of a catalogue, a tuple or a dict's values."""
        if isinstance(value, ErrorSpec):
            return {value}
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, ErrorCatalogue | tuple | list):
            return {item for item in value if isinstance(item, ErrorSpec)}
        return set()

    def _visit(self, module: _Module, node: Node, child: ast.AST) -> None:
        if isinstance(child, ast.Name | ast.Attribute) and isinstance(child.ctx, ast.Load):
            name = child.id if isinstance(child, ast.Name) else child.attr
            # Public constants are in capitals; a property named `errors` lists what a class declares, not raises.
            if name.isupper() and not name.startswith("_") and not node.name.endswith(".errors"):
                named = self._errors_in(self._constant(module, child))
                if named:
                    self.error_refs.setdefault(node, set()).update(named)
            resolved = self._expression(module, child)
            if isinstance(resolved, set):
                self.edges[node] |= resolved
            elif isinstance(child, ast.Attribute) and resolved is None:
                self.edges[node] |= self.methods_named.get(child.attr, set())
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr == "emit":
            if child.args and isinstance(child.args[0], ast.Constant):
                return  # a Socket.IO event, named by a string (an outbox topic is a module-level Topic)
            topic = self._topic(module, child.args[0]) if child.args else None
            if topic is None:
                self.dynamic_emits.add(node)
            else:
                self.topic_emits.setdefault(node, set()).add(topic)

    # --- queries -----------------------------------------------------------------------------------------------

    def reachable(self, roots: Iterable[Node]) -> set[Node]:
        """Every node reachable from `roots`, the roots included."""
        seen: set[Node] = set()
        queue = deque(roots)
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            queue.extend(self.edges.get(current, ()))
        return seen

    def has(self, node: Node) -> bool:
        return node in self.edges
