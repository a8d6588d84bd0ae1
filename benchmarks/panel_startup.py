"""Time from a fresh interpreter to a displayed StudyPanel: `import hpo_kit`, create the panel, display it.

    python benchmarks/panel_startup.py [repeats]

Goal: under 1 s, with TensorFlow imported only when training starts. Each repeat is a new process (a cold import,
as a notebook kernel has); prints the median and whether TensorFlow was loaded.
"""
import json, statistics, subprocess, sys

CODE = r"""
import time, sys, json
t = time.perf_counter()
import hpo_kit
from IPython.display import display
panel = hpo_kit.StudyPanel()
display(panel)
print(json.dumps(dict(seconds=time.perf_counter() - t, tensorflow="tensorflow" in sys.modules, keras="keras" in sys.modules)))
"""


def main(repeats=5):
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    med = statistics.median(r["seconds"] for r in runs)
    print(f"import hpo_kit + StudyPanel() + display: median {med:.3f} s over {repeats} fresh processes (goal < 1 s)")
    print(f"TensorFlow imported: {any(r['tensorflow'] for r in runs)}; Keras imported: {any(r['keras'] for r in runs)}")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:2]))
