"""The 3D network view as a browser draws it: for a 3-block CNN, an LSTM, a 40-layer own model and a two-branch model,
and the comparison of two of them, the rendered scene's own camera matrices project every block inside the plot area
(with a margin) at a wide and a narrow width, and no block is shrunk to a sliver. Screenshots are kept in test-output/."""
import os
from pathlib import Path

import numpy as np
import pytest

from hpo_kit.backend import import_keras
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.search.space import baseline_params
from hpo_kit.training.architecture import architecture_record
from hpo_kit.training.models import build_model
from hpo_kit.views.blocks import group_blocks
from hpo_kit.views.network import architecture_3d, compare_architectures

OUT = Path(os.environ.get("HPO_KIT_TEST_OUTPUT", Path(__file__).parent.parent / "test-output"))

# Every vertex of the block meshes (coloured and grey, of one trial or two), through the scene's model, view and
# projection matrices (column-major, as WebGL takes them), in normalized device coordinates of the scene's viewport;
# with the scene's rectangle on the page, to turn them into pixels.
PROJECT = """gd => {
  const sc = gd._fullLayout.scene._scene, cam = sc.glplot.cameraParams, s = sc.dataScale;
  const mul = (m, v) => [0, 1, 2, 3].map(r => m[r] * v[0] + m[4 + r] * v[1] + m[8 + r] * v[2] + m[12 + r] * v[3]);
  const boxes = [];
  for (const t of gd._fullData.filter(t => t.type === 'mesh3d')) {
    for (let i = 0; i < t.x.length; i += 8) {
      const box = [];
      for (let j = i; j < i + 8; j++) {
        const c = mul(cam.projection, mul(cam.view, mul(cam.model, [t.x[j] * s[0], t.y[j] * s[1], t.z[j] * s[2], 1])));
        box.push([c[0] / c[3], c[1] / c[3]]);
      }
      boxes.push(box);
    }
  }
  const r = sc.container.getBoundingClientRect();
  return {boxes, rect: [r.left, r.top, r.width, r.height]};
}"""


def _cnn():
    d = from_arrays(np.zeros((40, 8, 8, 1), "float32"), np.arange(40) % 10, np.zeros((10, 8, 8, 1), "float32"), np.arange(10) % 10, name="d")
    p = baseline_params(d, StudyConfig()) | dict(conv_blocks=3, batch_norm=True, pooling="max", dense_layers=1)
    return architecture_record(build_model(p, d), p, 1)


def _lstm():
    rng = np.random.default_rng(0)
    t = from_arrays(rng.integers(1, 50, (80, 12)), np.arange(80) % 2, rng.integers(1, 50, (20, 12)), np.arange(20) % 2, name="t")
    p = baseline_params(t, StudyConfig()) | dict(encoder="lstm", rnn_layers=2, bidirectional=True)
    return architecture_record(build_model(p, t), p, 2)


def _deep():
    L = import_keras().layers
    x = inp = import_keras().Input((16, 16, 3))
    for i in range(12):
        x = L.Activation("relu", name=f"act_{i}")(L.BatchNormalization(name=f"bn_{i}")(L.Conv2D(8, 3, padding="same", name=f"conv_{i}")(x)))
    x = L.Dense(16, activation="relu", name="hidden")(L.GlobalAveragePooling2D(name="pool")(x))
    return architecture_record(import_keras().Model(inp, L.Dense(4, activation="softmax", name="out")(x), name="deep"), {}, 3)


def _branches():
    L = import_keras().layers
    inp = import_keras().Input((8, 8, 1))
    a = L.MaxPooling2D(name="a_pool")(L.Activation("relu", name="a_act")(L.Conv2D(8, 3, padding="same", name="a")(inp)))
    b = L.MaxPooling2D(name="b_pool")(L.Activation("tanh", name="b_act")(L.Conv2D(8, 5, padding="same", name="b")(inp)))
    x = L.Flatten(name="flat")(L.Concatenate(name="join")([a, b]))
    return architecture_record(import_keras().Model(inp, L.Dense(3, activation="softmax", name="out")(x), name="two_branch"), {}, 4)


def _with_health(arch):
    "Two epochs of health on every layer that can carry it, so the blocks are coloured as in a study."
    weighted = [l["name"] for l in arch["layers"] if l["params"] and l["type"] != "BatchNormalization"]
    acts = [l["name"] for l in arch["layers"] if l["type"] == "Activation" or l.get("activation") == "relu"]
    rng = np.random.default_rng(arch["trial"])
    rec = lambda e: dict(epoch=e, grad_rms={n: float(10 ** rng.uniform(-4, 0)) for n in weighted},
                         dead={n: float(rng.random()) for n in acts}, saturated={n: float(rng.random()) for n in acts})
    return dict(arch, health=[rec(1), rec(2)])


@pytest.fixture(scope="module")
def figures():
    archs = {"cnn": _cnn(), "lstm": _lstm(), "deep": _deep(), "branches": _branches()}
    archs = {k: _with_health(a) for k, a in archs.items()}
    assert len(archs["deep"]["layers"]) == 40 and len(group_blocks(archs["deep"]["layers"])) == 15
    figs = {k: architecture_3d(a, "dead") for k, a in archs.items()}
    figs["deep-layers"] = architecture_3d(archs["deep"], "gradient_rms", grouped=False)  # 40 blocks: five rows
    figs["compare"] = compare_architectures(archs["cnn"], archs["branches"])
    return figs


@pytest.mark.parametrize("width", [1280, 760])
def test_every_block_is_inside_the_plot_area(figures, tmp_path, width):
    from playwright.sync_api import sync_playwright
    OUT.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, fig in figures.items():
        page = tmp_path / f"{name}.html"
        fig.write_html(page, include_plotlyjs="directory", full_html=True)  # plotly.min.js beside it: nothing fetched
        pages[name] = page
    results, errors = {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                                                                               "--no-first-run", "--disable-background-networking"])
        ctx = browser.new_context(offline=True, viewport=dict(width=width, height=760))
        for name, page in pages.items():
            tab = ctx.new_page()
            tab.on("pageerror", lambda e: errors.append(str(e)))
            tab.goto(page.as_uri())
            tab.wait_for_function("() => { const gd = document.querySelector('.js-plotly-plot');"
                                  " return gd && gd._fullLayout && gd._fullLayout.scene && gd._fullLayout.scene._scene &&"
                                  " gd._fullLayout.scene._scene.glplot.cameraParams; }", timeout=60000)
            tab.wait_for_timeout(500)
            results[name] = tab.eval_on_selector(".js-plotly-plot", PROJECT)
            shot = OUT / f"network-{name}-{width}.png"
            tab.screenshot(path=str(shot))
            results[name]["shot"] = shot
            tab.close()
        browser.close()
    assert not errors, errors
    for name, r in results.items():
        pts = [c for box in r["boxes"] for xy in box for c in xy]
        assert r["boxes"] and max(abs(c) for c in pts) <= 0.95, (name, width, max(abs(c) for c in pts))  # inside, with a margin
        _, _, w, h = r["rect"]
        px = lambda b, i: (max(c[i] for c in b) - min(c[i] for c in b)) * (w if i == 0 else h) / 2
        sizes = [sorted((px(b, 0), px(b, 1))) for b in r["boxes"]]
        assert min(s[0] for s in sizes) >= 3 and min(s[1] for s in sizes) >= 12, (name, width, min(sizes))  # no block a sliver
        _check_drawn_where_projected(r)


def _check_drawn_where_projected(r):
    "The projection is the one the browser drew with: the pixel at the projected centre of the largest box is not background."
    from PIL import Image
    left, top, w, h = r["rect"]
    big = max(r["boxes"], key=lambda b: (max(x for x, _ in b) - min(x for x, _ in b)) * (max(y for _, y in b) - min(y for _, y in b)))
    cx, cy = sum(x for x, _ in big) / 8, sum(y for _, y in big) / 8
    px = (left + (cx + 1) / 2 * w, top + (1 - cy) / 2 * h)
    with Image.open(r["shot"]) as im:
        rgb = im.convert("RGB").getpixel((int(px[0]), int(px[1])))
    assert rgb != (255, 255, 255), (r["shot"], px, rgb)
