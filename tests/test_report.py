"""Results people keep: optuna-dashboard reads the journal; the report renders offline in headless Chromium;
plot_mode decides the per-trial figures; exports reload and reproduce the best model's predictions."""
import json, os, re, subprocess, zipfile
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import numpy as np
import pytest

from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study

OUT = Path(os.environ.get("HPO_KIT_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    "A small health-mode study whose report keeps every trial's figures."
    root = tmp_path_factory.mktemp("report")
    return run_study(StudyConfig(trials=3, max_epochs=2, mode="health", plot_mode="all", output=str(root))).root


def test_optuna_dashboard_opens_the_journal(study):
    from optuna_dashboard import wsgi
    from optuna_dashboard._storage_url import get_storage  # the loader behind `optuna-dashboard <path>`
    app = wsgi(get_storage(str(study / "journal.log")))
    env = {}; setup_testing_defaults(env); env["PATH_INFO"] = "/api/studies"
    status = []
    body = b"".join(app(env, lambda s, h, exc_info=None: status.append(s)))
    assert status[0].startswith("200")
    (s,) = json.loads(body)["study_summaries"]
    assert s["study_name"] == "digits-health" and s["directions"] == ["maximize"]
    env["PATH_INFO"] = f"/api/studies/{s['study_id']}"
    detail = json.loads(b"".join(app(env, lambda *a: None)))
    assert len(detail["trials"]) == 3


@pytest.mark.parametrize("mode,expect", [("none", 0), ("best", 1), ("all", 3)])
def test_plot_mode_decides_per_trial_figures(study, mode, expect):
    from hpo_kit.views.report import build_report
    cfg = (study / "config.yaml").read_text()
    (study / "config.yaml").write_text(re.sub(r"plot_mode: \w+", f"plot_mode: {mode}", cfg))
    try: text = build_report(study).read_text()
    finally: (study / "config.yaml").write_text(cfg)
    assert len(re.findall(r'<section id="trial-\d+">', text)) == expect


def test_report_renders_offline_in_chromium(study):
    from playwright.sync_api import sync_playwright
    from hpo_kit.views.report import build_report
    report = build_report(study)
    OUT.mkdir(parents=True, exist_ok=True)
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        ctx = browser.new_context(offline=True, viewport=dict(width=1280, height=900))
        page = ctx.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto(report.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0 && "
                               "[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))", timeout=60000)
        sections = page.eval_on_selector_all("section", "els => els.map(e => [e.id, e.querySelectorAll('.js-plotly-plot .main-svg').length])")
        first = lambda: page.eval_on_selector("#trials tbody tr", "r => r.cells[0].textContent")
        n_rows = page.eval_on_selector_all("#trials tbody tr", "rs => rs.length")
        before = first(); page.click("#trials th >> text=trial"); up = first(); page.click("#trials th >> text=trial"); down = first()
        page.screenshot(path=str(OUT / "report.png"), full_page=False)
        page.locator("#confusion").screenshot(path=str(OUT / "report-confusion.png"))
        browser.close()
    assert not errors, errors
    assert not requests, requests  # nothing fetched from the network: the report is self-contained
    rendered = dict(sections)
    for sid in ("history", "importance", "parallel", "slices", "pareto", "confusion", "architecture", "trial-0"):
        assert rendered.get(sid, 0) >= 1, (sid, rendered)
    trials = len(read_rows(study / "trials.csv"))
    assert n_rows == trials >= 2 and (before, up, down) == ("0", "0", str(trials - 1)), (n_rows, before, up, down)  # every trial; sorts


# Through the rendered scene's own model, view and projection matrices (column-major, as WebGL takes them), in the
# page's pixels: each block's hover dot (the trace that names blocks in order), and a point on the front face of each
# block's first box, a third of the way from its centre to its top edge (away from the dot). A mesh names a box's block
# in `customdata`: per cell (12 a box) where cells are coloured, else per vertex (8 a box).
SPOTS = """gd => {
  const sc = gd._fullLayout.scene._scene, cam = sc.glplot.cameraParams, s = sc.dataScale, r = sc.container.getBoundingClientRect();
  const mul = (m, v) => [0, 1, 2, 3].map(i => m[i] * v[0] + m[4 + i] * v[1] + m[8 + i] * v[2] + m[12 + i] * v[3]);
  const px = (x, y, z) => { const c = mul(cam.projection, mul(cam.view, mul(cam.model, [x * s[0], y * s[1], z * s[2], 1])));
                            return [r.left + (c[0] / c[3] + 1) / 2 * r.width, r.top + (1 - c[1] / c[3]) / 2 * r.height]; };
  const dots = gd._fullData.find(t => t.type === 'scatter3d' && t.customdata);
  const faces = {};
  for (const t of gd._fullData.filter(t => t.type === 'mesh3d')) {
    const perCell = !!(t.intensity && t.intensity.length);
    for (let k = 0; 8 * k < t.x.length; k++) {
      const block = t.customdata[perCell ? 12 * k : 8 * k];
      if (block in faces) continue;  // its first box
      const v = [...Array(8).keys()].map(j => 8 * k + j), ymin = Math.min(...v.map(j => t.y[j]));
      const front = v.filter(j => t.y[j] === ymin), zmax = Math.max(...front.map(j => t.z[j]));
      const mean = (js, a) => js.reduce((m, j) => m + a[j], 0) / js.length, top = front.filter(j => t.z[j] === zmax);
      const cz = mean(front, t.z);
      faces[block] = px(mean(front, t.x), ymin, cz + (mean(top, t.z) - cz) / 3);
    }
  }
  return {dots: dots.x.map((x, j) => px(x, dots.y[j], dots.z[j])), faces};
}"""


def test_a_click_on_a_block_shows_its_history(study):
    "In the report, a click on a block of the 3D view picks that block in the history chart below it, as its dropdown does; its dot shows its details on hover."
    from playwright.sync_api import sync_playwright
    from hpo_kit.search.results import read_summary
    from hpo_kit.training.architecture import read_architecture
    from hpo_kit.views.blocks import describe_block, group_blocks
    from hpo_kit.views.report import build_report
    report = build_report(study)
    blocks = group_blocks(read_architecture(study / "trials" / str(read_summary(study)["best_trial"]))["layers"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-first-run", "--disable-background-networking"])
        page = browser.new_context(offline=True, viewport=dict(width=1280, height=900)).new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report.as_uri())
        page.locator("#network-blocks").scroll_into_view_if_needed()
        page.wait_for_function("() => { const gd = document.getElementById('network-blocks'); return gd && gd._fullLayout &&"
                               " gd._fullLayout.scene && gd._fullLayout.scene._scene && gd._fullLayout.scene._scene.glplot.cameraParams; }",
                               timeout=60000)
        page.wait_for_timeout(500)
        history = lambda: page.evaluate("() => { const h = document.getElementById('block-history');"
                                        " return [h.layout.updatemenus[0].active, h.layout.title.text, h.data.map(t => t.visible)]; }")
        first, spots = history()[0], page.eval_on_selector("#network-blocks", SPOTS)
        targets = [len(blocks) - 1, 0, first]  # the output block, the input's, the first shown: each click changes the pick
        assert len(set(targets)) == 3 and len(spots["faces"]) == len(spots["dots"]) == len(blocks), (targets, spots)
        picked = []
        for i in targets:
            x, y = spots["faces"][str(i)]
            page.mouse.move(x, y); page.wait_for_timeout(200)
            page.mouse.down(); page.wait_for_timeout(150); page.mouse.up()  # held a moment: the scene reads the button as it renders
            page.wait_for_function(f"() => document.getElementById('block-history').layout.updatemenus[0].active === {i}", timeout=10000)
            picked.append(history())
        page.mouse.move(*spots["dots"][first]); page.wait_for_timeout(300)
        label = page.evaluate("() => [...document.querySelectorAll('#network-blocks .hovertext')].map(e => e.textContent).join(' ')")
        page.locator("#network").screenshot(path=str(OUT / "report-network-clicked.png"))
        browser.close()
    assert not errors, errors
    for i, (active, title, visible) in zip(targets, picked):
        assert active == i and title == describe_block(blocks[i]), (i, title)
        assert [j for j, v in enumerate(visible) if v is True] == [3 * i, 3 * i + 1, 3 * i + 2], (i, visible)  # its three lines alone
    assert blocks[first]["name"] in label, label  # the dot in front of the block shows its details


@pytest.mark.parametrize("fmt", ["keras", "savedmodel", "tflite"])
def test_exports_reproduce_predictions(study, fmt):
    import keras, tensorflow as tf
    from hpo_kit.data import load_dataset
    r = subprocess.run(["hpo-kit", "export", str(study), "--format", fmt], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = study / "exports" / fmt
    x = load_dataset("digits").x_test[:32]
    expected = keras.saving.load_model(study / "final_model.keras", compile=False).predict(x, verbose=0)  # what export ships
    if fmt == "keras": got = keras.saving.load_model(out / "model.keras", compile=False).predict(x, verbose=0)
    elif fmt == "savedmodel":
        loaded = tf.saved_model.load(str(out / "savedmodel")); got = loaded.serve(tf.constant(x)).numpy()
    else:
        it = tf.lite.Interpreter(model_path=str(out / "model.tflite"))
        it.resize_tensor_input(it.get_input_details()[0]["index"], x.shape); it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x); it.invoke(); got = it.get_tensor(it.get_output_details()[0]["index"])
    np.testing.assert_allclose(got, expected, atol=1e-4)
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["input_shape"] == [8, 8, 1] and len(meta["class_names"]) == 10 and meta["hyperparameters"] and meta["versions"]


def test_bundle_command(study):
    r = subprocess.run(["hpo-kit", "bundle", str(study)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    with zipfile.ZipFile(study / f"{study.name}-bundle.zip") as z:
        names = {n.split("/", 1)[1] for n in z.namelist()}
    assert {"report.html", "best_model.keras", "best_hyperparameters.yaml", "trials.csv", "summary.json"} <= names
