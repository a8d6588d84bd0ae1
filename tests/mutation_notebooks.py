"""The unit tests of the modules `tools/mutation.sh` mutates, run by pytest inside mutmut's `mutants/` copy.

The tests of an nbdev module are the test cells of its notebook, but those cells test the functions the
notebook's own `#| export` cells define, not the package: a mutated `hpo_kit/*.py` would never run. So each
notebook is run here as `nbdev-test` runs it (same skip flags, same shell, in its folder) except that every
export cell is replaced by the module's namespace, imported from `hpo_kit` - which, inside `mutants/`, is the
mutated copy mutmut put first on `sys.path`.

Cells in `SLOW_CELLS` are left out (see there).

The file name does not start with `test_`, so a plain `pytest` (CI) does not collect it; mutmut passes it
explicitly (`[tool.mutmut] pytest_add_cli_args_test_selection` in pyproject.toml). By hand:
`pytest tests/mutation_notebooks.py`.
"""
import importlib, os, re, traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {"00_config": "config", "07_diagnosis": "diagnosis", "08_objectives": "objectives",
             "10_checkpoint": "checkpoint", "12_results": "results"}
# Cells that train Keras models (seconds each, per mutant) and test only functions outside the mutation scope
# (load_state, save_checkpoint, restore, restore_best): left out here, still run by nbdev-test.
SLOW_CELLS = {"10_checkpoint": {"1b8e3e9b", "4b8f1c2a", "1622d8f7"}}
_EXPORT = re.compile(r"^\s*#\|\s*export[is]?\s*$", re.M)


def _module_namespace(module: str) -> str:
    "Code that puts every module-level name of `hpo_kit.<module>` (private ones too) into the notebook's namespace."
    return (f"import importlib as _il; globals().update({{k: v for k, v in vars(_il.import_module('hpo_kit.{module}')).items()"
            f" if not k.startswith('__')}})")


def run_notebook(stem: str) -> tuple[bool, str]:
    "Run notebook `stem`'s test cells against the imported `hpo_kit` module; (success, traceback)."
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory

    fn = ROOT / "nbs" / f"{stem}.ipynb"
    module = importlib.import_module(f"hpo_kit.{NOTEBOOKS[stem]}")
    assert Path(module.__file__).resolve().is_relative_to(ROOT / "hpo_kit"), f"{module.__file__} is not this tree's"
    nb = NBProcessor(fn, rm_directives=False, process=True).nb
    skip = _skip_cell(nb, get_config(fn.parent).tst_flags.split(), None)
    slow = SLOW_CELLS.get(stem, set())
    assert slow <= {c.get("id") for c in nb.cells}, f"{stem}: SLOW_CELLS names cells it no longer has"
    nb.cells = [c for c in nb.cells if c.get("id") not in slow]
    for cell in nb.cells:
        if cell.cell_type == "code" and _EXPORT.search(cell.source): cell.source = _module_namespace(NOTEBOOKS[stem])
    prev = os.environ.get("IN_TEST")
    os.environ["IN_TEST"] = "1"
    shell = CaptureShell(fn, profile=False)
    try:
        with working_directory(fn.parent): shell.run_all(nb, exc_stop=True, preproc=skip, cell_timeout=600)
        return True, ""
    except BaseException:
        return False, (shell.prettytb(fname=fn) or traceback.format_exc())
    finally:
        if prev is None: os.environ.pop("IN_TEST", None)
        else: os.environ["IN_TEST"] = prev


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_notebook(stem):
    ok, tb = run_notebook(stem)
    assert ok, tb
