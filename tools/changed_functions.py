"""The mutmut names of the functions and methods of `hpo_kit` that a change touched, for `tools/mutation.sh --changed`.

Usage: python tools/changed_functions.py BASE   (prints one glob a line, e.g. hpo_kit.search.budget.x_next_trial__mutmut_*)

A function counts as touched when a line of it (decorators and signature included) was added or changed between the commit
BASE and the working tree, as `git diff -U0 BASE` shows; a module that is new since BASE has all its functions touched.
"""
import ast, re, subprocess, sys
from pathlib import Path


def changed_lines(base: str) -> dict:
    "{path: set of changed line numbers in the new version} of the Python files under hpo_kit/."
    diff = subprocess.run(["git", "diff", "-U0", base, "--", "hpo_kit"], capture_output=True, text=True, check=True).stdout
    out, path = {}, None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
        elif line.startswith("@@") and path and path.endswith(".py"):
            start, _, count = re.match(r"@@ -\S+ \+(\d+)(,(\d+))? @@", line).groups()
            n = int(count) if count is not None else 1
            out.setdefault(path, set()).update(range(int(start), int(start) + n))
    return out


def functions(path: str):
    "(mutmut name prefix, first line, last line) of each function and method of the module at `path`."
    tree = ast.parse(Path(path).read_text())
    module = ".".join(Path(path).with_suffix("").parts)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{module}.x_{node.name}", min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno
        elif isinstance(node, ast.ClassDef):
            for m in node.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{module}.xǁ{node.name}ǁ{m.name}", min([m.lineno] + [d.lineno for d in m.decorator_list]), m.end_lineno


def main(base: str) -> int:
    for path, lines in sorted(changed_lines(base).items()):
        if path.endswith("_modidx.py") or not Path(path).exists(): continue
        for name, first, last in functions(path):
            if any(first <= n <= last for n in lines): print(f"{name}__mutmut_*")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
