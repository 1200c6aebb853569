"""Every module of the package imports on its own, first: no import cycle hides behind the
order in which the rest of the suite happens to import things."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import importlib, pkgutil, sys
import campaign
names = [m.name for m in pkgutil.walk_packages(campaign.__path__, "campaign.")]
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "campaign" or m.startswith("campaign.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    count, *failures = done.stdout.strip().split("\n")
    assert int(count) > 50
    assert [line for line in failures if line] == []


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle anywhere in the package, however long (the layers contract in
    pyproject.toml only forbids imports between layers)."""
    import grimp

    graph = grimp.build_graph("campaign")
    cycles = sorted(
        f"{importer} -> {' -> '.join(chain)}"
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if (chain := graph.find_shortest_chain(importer=imported, imported=importer))
    )
    assert cycles == []
