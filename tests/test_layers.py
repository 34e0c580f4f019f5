"""The layers point one way: apps -> simulator/eval -> crs -> kg -> crs.data (README, "Architecture").

Imports are read from the source (AST), including imports inside functions, so a lazy import
cannot hide a dependency that runs the wrong way."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# package -> top-level packages (or crs sub-packages) it must never import
FORBIDDEN = {
    "crs": ("apps", "simulator", "eval"),
    "kg": ("apps", "simulator", "eval"),
    "simulator": ("apps", "eval"),
    "eval": ("apps",),
}
# kg sits below crs: only the data layer and the shared utilities of crs are allowed
KG_MAY_USE = ("crs.data", "crs.paths", "crs.config_utils", "crs.pretrained", "crs.embeddings")
# crs.data is the bottom layer
DATA_MAY_USE = ("crs.data", "crs.paths")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
    return out


def _files(package: str):
    return sorted((REPO / package).rglob("*.py"))


def _violations() -> list[str]:
    bad = []
    for package, forbidden in FORBIDDEN.items():
        for f in _files(package):
            rel = f.relative_to(REPO)
            for line, mod in _imports(f):
                top = mod.split(".")[0]
                if top in forbidden:
                    bad.append(f"{rel}:{line} imports {mod}")
                if package == "kg" and top == "crs" and not mod.startswith(KG_MAY_USE):
                    bad.append(f"{rel}:{line} imports {mod} (kg sits below crs)")
                if str(rel).startswith("crs/data/") and top in ("crs", "kg") and not mod.startswith(DATA_MAY_USE):
                    bad.append(f"{rel}:{line} imports {mod} (crs.data is the bottom layer)")
    return bad


def test_no_import_runs_up_the_layers():
    assert _violations() == []


def test_the_checker_sees_a_planted_violation(tmp_path, monkeypatch):
    pkg = tmp_path / "kg"
    pkg.mkdir()
    (pkg / "bad.py").write_text("def f():\n    from eval.metrics import uar\n    import crs.dialogue\n")
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    found = _violations()
    assert any("kg/bad.py:2 imports eval.metrics" in v for v in found)
    assert any("kg/bad.py:3 imports crs.dialogue" in v for v in found)


@pytest.mark.parametrize("package", ["crs", "kg", "simulator", "eval", "apps"])
def test_every_module_parses(package):
    for f in _files(package):
        _imports(f)
