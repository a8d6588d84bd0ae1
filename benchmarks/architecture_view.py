"""What the 3D network view costs, measured in one run: a 30-layer model with 20 epochs of per-layer health.

    python benchmarks/architecture_view.py

Goal: the figure builds in under 200 ms and its JSON stays under 300 KB per trial (the animated view, a frame an
epoch, as the report embeds it), and the single-epoch view the panel redraws is cheaper still.
"""
import statistics, time

import numpy as np

from hpo_kit.views.network import architecture_3d
from hpo_kit.training.architecture import architecture_record
from hpo_kit.backend import import_keras


def main(layers=30, epochs=20, repeats=5):
    keras = import_keras(); L = keras.layers
    x = inp = keras.Input((32, 32, 3))
    for i in range((layers - 2) // 3):  # conv, activation, pooling every other block: 3 layers a block
        x = L.Conv2D(16 * 2 ** min(i, 4), 3, padding="same", name=f"conv_{i + 1}")(x)
        x = L.Activation("relu", name=f"conv_{i + 1}_act")(x)
        x = (L.MaxPooling2D(name=f"conv_{i + 1}_pool") if i % 2 and x.shape[1] > 1 else L.Dropout(0.1, name=f"conv_{i + 1}_dropout"))(x)
    model = keras.Model(inp, L.Dense(10, activation="softmax", name="output")(L.Flatten(name="flatten")(x)))
    arch = architecture_record(model, {}, 0)
    rng = np.random.default_rng(0)
    names = [l["name"] for l in arch["layers"]]
    arch["health"] = [dict(epoch=e, dead={n: float(rng.random()) for n in names if n.endswith("_act")}, saturated={},
                           grad_rms={n: float(rng.random()) for n in names if n.startswith("conv_") and n.count("_") == 1})
                      for e in range(1, epochs + 1)]
    for animate in (True, False):
        times = []
        for _ in range(repeats):
            t = time.perf_counter(); fig = architecture_3d(arch, "dead", animate=animate); times.append(time.perf_counter() - t)
        kind = f"animated over {epochs} epochs" if animate else "one epoch (the panel's live view)"
        print(f"{len(arch['layers'])} layers, {kind}: built in {1000 * statistics.median(times):.0f} ms (median of {repeats}), "
              f"JSON {len(fig.to_json()) / 1024:.0f} KB (goals: 200 ms, 300 KB)")


if __name__ == "__main__":
    main()
