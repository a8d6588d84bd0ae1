"""The quickstart as a person meets it: JupyterLab in headless Chromium (Debian's, driven by Playwright), Run All; the
rendered page must show the form and a live training chart; then the notebook is saved, the server restarted and the
notebook reopened without running anything: every chart must still be drawn (from the saved outputs alone), the file
must stay small, and the study's report must draw its charts offline. Screenshots land in test-output/."""
import json, os, shutil, socket, subprocess, sys, time, urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import sync_playwright

from hpo_kit.views.report import build_report

TUTORIALS = Path(__file__).parent.parent / "nbs" / "tutorials"
OUT = Path(os.environ.get("HPO_KIT_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--use-gl=swiftshader", "--enable-unsafe-swiftshader"]  # WebGL for the 3D view
TOKEN = "hpo-kit-test"
KEPT_CHARTS = ("training curves and health", "by block", "Optimization history", "by activation function")  # under the run


@contextmanager
def jupyterlab(root: Path):
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    # JupyterLab 4 renders only the cells in view; render them all, so outputs above the fold stay in the page to check
    settings = root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True); (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    lab = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                            f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
                            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(root / "lab.log", "a"))
    try:
        t = time.monotonic()
        while True:
            try: urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", timeout=2); break
            except OSError:
                assert lab.poll() is None and time.monotonic() - t < 120, (root / "lab.log").read_text()[-2000:]
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        lab.terminate(); lab.wait(timeout=30)


def open_notebook(browser, url, name="quickstart.ipynb"):
    page = browser.new_page(viewport=dict(width=1400, height=1000))
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=120_000)  # the kernel is up (status bar)
    return page


def test_quickstart_runs_saves_and_reopens_in_jupyterlab(tmp_path):
    shutil.copy(TUTORIALS / "quickstart.ipynb", tmp_path / "quickstart.ipynb")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        with jupyterlab(tmp_path) as url:
            page = open_notebook(browser, url)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            form = page.locator(".widget-dropdown").first
            try: form.wait_for(state="attached", timeout=180_000)
            except Exception: page.screenshot(path=str(OUT / "jupyterlab-failure.png")); raise
            page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].some(gd =>
                gd.layout && gd.layout.title && String(gd.layout.title.text || '').includes('training curves') &&
                gd.data && gd.data[0] && gd.data[0].x && gd.data[0].x.length >= 2)""", timeout=300_000)
            form.scroll_into_view_if_needed(); page.screenshot(path=str(OUT / "jupyterlab-form.png"))
            assert form.is_visible() and page.locator(".jupyter-widgets button", has_text="Run study").first.is_visible()
            chart = page.locator(".js-plotly-plot").first
            chart.scroll_into_view_if_needed(); page.screenshot(path=str(OUT / "jupyterlab-live-chart.png"))
            assert chart.is_visible()
            page.get_by_text("best trial:").first.wait_for(timeout=600_000)  # the study ended and the last cells ran
            page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=120_000)
            page.locator(".jp-Notebook").first.click()
            page.keyboard.press("Control+s")
            saved = tmp_path / "quickstart.ipynb"
            t = time.monotonic()
            while "vnd.plotly.v1+json" not in saved.read_text():
                assert time.monotonic() - t < 60, "the notebook was not saved"; time.sleep(0.5)
            page.close()

        nb = json.loads(saved.read_text())
        assert saved.stat().st_size <= 300_000, saved.stat().st_size  # small: no plotly.js in any output
        run_cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "panel.run()" in "".join(c["source"]))
        kinds = [set(o.get("data", {})) for o in run_cell["outputs"]]
        assert not any("application/vnd.jupyter.widget-view+json" in k for k in kinds), kinds  # no widget left to lose
        titles = [o["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] for o in run_cell["outputs"]
                  if "application/vnd.plotly.v1+json" in o.get("data", {}) and "text/html" in o["data"]]
        assert len(titles) == len(KEPT_CHARTS) and all(k in t for k, t in zip(KEPT_CHARTS, titles)), titles

        with jupyterlab(tmp_path) as url:  # a new server, the kernel never run: only what the file keeps
            page = open_notebook(browser, url)
            # JupyterLab's Plotly renderer shows the picture it saved of each chart, and draws the chart itself when it can
            charts = page.locator(".jp-OutputArea-output .js-plotly-plot, .jp-OutputArea-output img[src^='data:image/png']")
            page.wait_for_function(f"() => document.querySelectorAll(\".jp-OutputArea-output .js-plotly-plot, "
                                   f".jp-OutputArea-output img[src^='data:image/png']\").length >= {len(KEPT_CHARTS)}", timeout=120_000)
            for i, name in enumerate(("curves", "network", "history", "activations")):
                charts.nth(i).scroll_into_view_if_needed(); page.screenshot(path=str(OUT / f"jupyterlab-reopened-{name}.png"))
                assert charts.nth(i).bounding_box()["height"] > 250, name  # drawn at its size, not an empty box
            run_out = page.locator(".jp-CodeCell", has_text="result = panel.run()").locator(".jp-OutputArea").first.inner_text()
            assert "finished; best trial" in run_out and "Error displaying widget" not in run_out  # the run's outputs, all kept
            table = page.locator("table.trials").first
            table.scroll_into_view_if_needed(); page.screenshot(path=str(OUT / "jupyterlab-reopened-table.png"))
            assert table.locator("tbody tr").count() == 5  # every trial of the quickstart

        report = build_report(tmp_path / "runs" / "quickstart")
        page = browser.new_page(viewport=dict(width=1400, height=1000))
        page.goto(report.as_uri())  # offline: plotly.js is inside the file
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=60_000)
        page.screenshot(path=str(OUT / "report-top.png"))
        page.locator("#compare .js-plotly-plot").first.scroll_into_view_if_needed(); page.screenshot(path=str(OUT / "report-compare.png"))
        browser.close()


NETWORK = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.data && gd.data[0] &&
    gd.data[0].type === 'mesh3d' && gd.layout.sliders && gd.layout.sliders.length)"""


def test_network_tutorial_draws_the_3d_view_and_its_slider_recolours_it(tmp_path):
    "The 3D tutorial run in JupyterLab: the view's blocks are in the page, and a click on the epoch slider changes their colours."
    shutil.copy(TUTORIALS / "network_3d.ipynb", tmp_path / "network_3d.ipynb")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p, jupyterlab(tmp_path) as url:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = open_notebook(browser, url, "network_3d.ipynb")
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        try: page.wait_for_function(f"() => ({NETWORK})().length >= 1", timeout=300_000)
        except Exception: page.screenshot(path=str(OUT / "network-failure.png")); raise
        blocks = page.evaluate(f"() => {{ const gd = ({NETWORK})()[0]; return [gd.data[0].i.length + gd.data[1].i.length, gd.layout.sliders[0].steps.length]; }}")
        assert blocks[0] > 0 and blocks[0] % 12 == 0 and blocks[1] == 3, blocks  # 12 triangles a layer; a slider step an epoch
        page.evaluate(f"() => ({NETWORK})()[0].scrollIntoView()"); page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT / "network-3d-last-epoch.png"))
        before = page.evaluate(f"() => Array.from(({NETWORK})()[0].data[0].intensity)")
        rail = page.evaluate(f"""() => {{ const r = ({NETWORK})()[0].querySelector('.slider-rail-touch-rect, .slider-rail-rect')
                                               .getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }}""")
        page.mouse.click(rail[0] + 3, rail[1] + rail[3] / 2)  # the slider's left end: epoch 1
        page.wait_for_function(f"() => ({NETWORK})()[0].layout.title.text.endsWith('epoch 1')", timeout=30_000)
        after = page.evaluate(f"() => Array.from(({NETWORK})()[0].data[0].intensity)")
        assert len(after) == len(before) and after != before  # the same blocks, recoloured by the first epoch's gradients
        page.screenshot(path=str(OUT / "network-3d-epoch-1.png"))
        browser.close()
