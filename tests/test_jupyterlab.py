"""The quickstart as a person meets it: JupyterLab in headless Chromium (Debian's, driven by Playwright), Run All,
then the rendered page must show the form and a live training chart with at least two epochs of points."""
import os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

TUTORIALS = Path(__file__).parent.parent / "nbs" / "tutorials"
OUT = Path(os.environ.get("HPO_KIT_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def test_quickstart_runs_in_jupyterlab(tmp_path):
    shutil.copy(TUTORIALS / "quickstart.ipynb", tmp_path / "quickstart.ipynb")
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    token = "hpo-kit-test"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"), JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"))
    # JupyterLab 4 renders only the cells in view; render them all, so outputs above the fold stay in the page to check
    settings = tmp_path / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True); (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    lab = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url=",
                            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                           env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"))
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        t = time.monotonic()
        while True:
            try: urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2); break
            except OSError:
                assert lab.poll() is None and time.monotonic() - t < 120, (tmp_path / "lab.log").read_text()[-2000:]
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=dict(width=1400, height=1000))
            page.goto(f"http://127.0.0.1:{port}/lab/tree/quickstart.ipynb?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=120_000)  # the kernel is up (status bar)
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
            browser.close()
    finally:
        lab.terminate(); lab.wait(timeout=30)
