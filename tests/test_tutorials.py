"""The tutorials run top to bottom in a real Jupyter kernel (nbclient); their outputs hold the live charts and the
form, and a notebook saved after its 5-trial study stays small."""
import json, shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TUTORIALS = Path(__file__).parent.parent / "nbs" / "tutorials"


def execute(name, tmp_path):
    shutil.copy(TUTORIALS / name, tmp_path / name)
    nb = nbformat.read(tmp_path / name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.write(nb, tmp_path / name)
    return nb, tmp_path / name


def plotly_figures(nb):
    "Plotly figures in cell outputs and in the outputs of Output widgets (where the live charts are redrawn)."
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    outs += [o for m in state.values() if m["model_name"] == "OutputModel" for o in m["state"].get("outputs", [])]
    return [o["data"]["application/vnd.plotly.v1+json"] for o in outs if "application/vnd.plotly.v1+json" in o.get("data", {})]


def title(fig): return fig["layout"].get("title", {}).get("text", "")


def test_quickstart(tmp_path):
    nb, path = execute("quickstart.ipynb", tmp_path)
    assert "colab.research.google.com" in nb.cells[0].source  # the Open in Colab badge
    widgets = [o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "the form is displayed"
    figs = plotly_figures(nb)
    curves = [f for f in figs if "training curves" in title(f)]
    assert curves and len(curves[0]["data"][0]["x"]) >= 2  # the live training chart, with both epochs
    assert any(title(f) == "Optimization history" for f in figs) and any("health" in title(f) for f in figs)
    assert path.stat().st_size < 200_000, path.stat().st_size  # the README promises it: after a 5-trial study, the form's widget state included
    run = next(c for c in nb.cells if c.cell_type == "code" and "panel.run()" in c.source)
    kept = [o["data"] for o in run.outputs if "data" in o]
    assert not any("application/vnd.jupyter.widget-view+json" in d for d in kept)  # the live charts' widgets are gone
    titles = [title(d["application/vnd.plotly.v1+json"]) for d in kept if "application/vnd.plotly.v1+json" in d]
    expected = ["training curves and health (complete)", "by block, coloured by dead units", "Optimization history",
                "by activation function"]  # the best trial's curves with health and its network, then the study's: kept in the file
    assert len(titles) == len(expected) and all(e in t for e, t in zip(expected, titles)), titles
    assert sum('<table class="trials">' in d.get("text/html", "") for d in kept) == 1  # the trials table, as HTML
    summary = json.loads((tmp_path / "runs" / "quickstart" / "summary.json").read_text())
    assert sum(summary["trials"].values()) == 5


def test_resume_tutorial(tmp_path):
    nb, _ = execute("resume.ipynb", tmp_path)
    rows = (tmp_path / "runs" / "resume-demo" / "trials.csv").read_text()
    assert ",FAIL," in rows and "interrupted" in rows
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "continued trial 1: [('1'," in printed and "('2'," in printed and "('4'," in printed
    assert any("training curves" in title(f) for f in plotly_figures(nb))
