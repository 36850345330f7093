"""The packages' import graph, read from the source with `ast`: no import circle, and the layers
import only what they may. Every import counts, also inside functions; imports under
`if TYPE_CHECKING:` are checked apart, since they never run."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "sinks", "streams")
SINKS_MAY_IMPORT = {"streams.brief.render"}  # rendering a brief, reached through streams/brief/
SINKS_MAY_NAME_IN_TYPES = {"streams.settings"}  # sinks.registry builds the channels from Settings


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = modules()


def imports(path: Path, *, typing_only: bool) -> set[str]:
    """The repository modules `path` imports at run time, or only for type checking."""
    found: set[str] = set()

    def visit(node: ast.AST, in_typing: bool) -> None:
        for child in ast.iter_child_nodes(node):
            typing_block = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
            if isinstance(child, ast.Import) and in_typing == typing_only:
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and in_typing == typing_only:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child, in_typing or typing_block)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return {name for name in found if name in MODULES}


def graph(*, typing_only: bool = False) -> dict[str, set[str]]:
    return {name: imports(path, typing_only=typing_only) - {name} for name, path in MODULES.items()}


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_no_module_imports_itself_back() -> None:
    try:
        TopologicalSorter(graph()).prepare()
    except CycleError as exc:
        raise AssertionError(f"import circle: {' -> '.join(exc.args[1])}") from None


def test_the_web_pages_never_import_the_topology() -> None:
    for typing_only in (False, True):
        wrong = {m: deps for m, deps in graph(typing_only=typing_only).items()
                 if under(m, "streams.web") and "streams.topology" in deps}
        assert not wrong, f"streams.web reaches the topology (use streams.web.worker.Worker): {wrong}"


def test_sinks_import_only_brief_rendering_from_streams() -> None:
    for typing_only, allowed in ((False, SINKS_MAY_IMPORT), (True, SINKS_MAY_IMPORT | SINKS_MAY_NAME_IN_TYPES)):
        wrong = {m: bad for m, deps in graph(typing_only=typing_only).items()
                 if under(m, "sinks") and (bad := {d for d in deps if under(d, "streams")} - allowed)}
        assert not wrong, f"sinks import the worker's internals: {wrong}"


def test_brief_rendering_pulls_nothing_else_of_streams_in() -> None:
    """Importing streams.brief.render runs the packages' __init__ modules too: they must stay empty."""
    for name in ("streams", "streams.brief", "streams.brief.render"):
        assert not {d for d in graph()[name] if under(d, "streams") or under(d, "sinks")}, name


def test_models_import_neither_streams_nor_sinks() -> None:
    for typing_only in (False, True):
        wrong = {m: bad for m, deps in graph(typing_only=typing_only).items()
                 if under(m, "models") and (bad := {d for d in deps if under(d, "streams") or under(d, "sinks")})}
        assert not wrong, wrong
