"""The unit tests of the modules `tools/mutation.sh` mutates, run by pytest inside mutmut's `mutants/` copy.

The tests of an nbdev module are the test cells of its notebook, but those cells test the functions the
notebook's own `#| export` cells define, not the package: a mutated `hpo_kit/**.py` would never run. So each
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
# Imported here, so that mutmut's fork server (`forkserver_warmup = "collect"`) has them loaded before it forks a worker per
# mutant: TensorFlow and the notebook shell take seconds to import, and imported without running, TensorFlow stays fork-safe.
import keras, optuna  # noqa: F401
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.test import _skip_cell
import hpo_kit.study, hpo_kit.views.report  # noqa: F401
import gc
gc.collect()
gc.freeze()  # what is loaded lives for good: each worker's collections (pytest makes two per run) skip it, 0.3 s -> 0.01 s

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {  # notebook (under nbs/) -> the module its export cells define
    "config/05_params": "config.params", "config/06_study_config": "config.study_config",
    "search/21_objectives": "search.objectives", "search/22_ranking": "search.ranking", "search/23_results": "search.results",
    "search/24_budget": "search.budget", "health/26_metrics": "health.metrics", "health/27_diagnosis": "health.diagnosis",
    "training/34_checkpoint": "training.checkpoint", "training/36_callbacks": "training.callbacks", "training/38_final": "training.final",
    "study/41_trial": "study.trial", "study/42_run": "study.run",
}
# Cells that run whole trials or studies (tens of seconds, per mutant) and test functions outside the mutation scope
# (the objective as Optuna calls it, the results after a trial, `run_study` end to end): left out here, still run by nbdev-test.
SLOW_CELLS = {"study/41_trial": {"3740ab3a", "95a9c253"},
              "study/42_run": {"d61bd0c5", "c0ed27e0", "172dafca", "4ac42ee6", "c25c3686"}}
_EXPORT = re.compile(r"^\s*#\|\s*export[is]?\s*$", re.M)


def _module_namespace(module: str) -> str:
    "Code that puts every module-level name of `hpo_kit.<module>` (private ones too) into the notebook's namespace."
    return (f"import importlib as _il; globals().update({{k: v for k, v in vars(_il.import_module('hpo_kit.{module}')).items()"
            f" if not k.startswith('__')}})")


def run_notebook(stem: str) -> tuple[bool, str]:
    "Run notebook `stem`'s test cells against the imported `hpo_kit` module; (success, traceback)."
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
