"""The house rules a reader relies on, checked: modules of at most 300 lines, functions of at most 50, exported notebook cells
of at most 40, one statement per line (a trivial guard such as `if x: return y` aside), and no import inside a function
except one that keeps TensorFlow, scikit-learn or an optional extra lazy and says so in a comment (`# lazy: ...`).

Usage: python tools/readability.py   (from the repository root; exit status 1 when a rule is broken, with each place listed)
"""
import ast, json, sys
from pathlib import Path

MODULE_LINES, FUNCTION_LINES, CELL_LINES = 300, 50, 40
TRIVIAL = (ast.Return, ast.Raise, ast.Continue, ast.Break, ast.Pass)
LAZY = ("tensorflow", "keras", "sklearn", "pydrive2", "googleapiclient", "httplib2", "google_auth_httplib2", "google.colab",
        "google.oauth2", "PIL", "kaleido", "psycopg", "scipy", "sqlalchemy")  # slow to import (TensorFlow, scikit-learn), or optional extras


def _clause_starts(tree) -> dict:
    "id(first statement of a clause body) -> (kind of clause, statements in it)."
    out = {}
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                kind = ("if" if isinstance(node, ast.If) else "block") if field == "body" else field
                out[id(body[0])] = (kind, len(body))
        if isinstance(node, ast.ExceptHandler) and node.body:
            out[id(node.body[0])] = ("except", len(node.body))
    return out


def shared_lines(tree, lines: list) -> list:
    "Lines where a statement does not start its line, trivial guards (`if x: return`, `except E: pass`) aside."
    starts, found = _clause_starts(tree), set()
    for s in ast.walk(tree):
        if not isinstance(s, ast.stmt):
            continue
        before = lines[s.lineno - 1][:s.col_offset].rstrip()
        if not before or before.endswith(("elif", "else")):
            continue
        kind, n = starts.get(id(s), ("", 0))
        if before.endswith(":") and kind in ("if", "orelse", "except") and n == 1 and isinstance(s, TRIVIAL):
            continue
        found.add(s.lineno)
    return sorted(found)


def eager_imports(tree, lines: list) -> list:
    "Lines of imports inside functions that are not a commented lazy import of a slow or optional package."
    found = []
    for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        for node in ast.walk(fn):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            lazy = all(n.split(".")[0] in LAZY or n.startswith(LAZY) for n in names) and "lazy" in lines[node.lineno - 1]
            if not lazy:
                found.append(node.lineno)
    return sorted(set(found))


def check_module(path: Path) -> list:
    text = path.read_text()
    lines, tree = text.split("\n"), ast.parse(text)
    out = [f"{path}: {len(lines)} lines (at most {MODULE_LINES})"] if len(lines) > MODULE_LINES else []
    for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        n = fn.end_lineno - fn.lineno + 1
        if n > FUNCTION_LINES:
            out.append(f"{path}:{fn.lineno}: function {fn.name} has {n} lines (at most {FUNCTION_LINES})")
    out += [f"{path}:{n}: more than one statement on the line" for n in shared_lines(tree, lines)]
    out += [f"{path}:{n}: import inside a function (only a lazy TensorFlow, scikit-learn or optional import, with a `# lazy:` comment)"
            for n in eager_imports(tree, lines)]
    return out


def check_notebook(path: Path) -> list:
    out = []
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        src = "".join(cell["source"]).split("\n")
        if cell["cell_type"] == "code" and any(l.strip().startswith("#| export") for l in src):
            code = [l for l in src if not l.startswith("#|")]
            if len(code) > CELL_LINES:
                out.append(f"{path}: exported cell {i} ({cell.get('id')}) has {len(code)} lines (at most {CELL_LINES})")
    return out


def main() -> int:
    problems = [p for f in sorted(Path("hpo_kit").rglob("*.py")) if f.name != "_modidx.py" for p in check_module(f)]
    problems += [p for f in sorted(Path("nbs").rglob("*.ipynb")) for p in check_notebook(f)]
    print("\n".join(problems) or "readability: every module, function, cell and line within the house rules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
