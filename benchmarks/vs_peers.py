"""hpo-kit against KerasTuner and plain Optuna at equal compute, measured in one run on this machine.

    python benchmarks/vs_peers.py [--tasks digits,distorted_digits,order_text] [--seeds 0,1,2] [--tools ...]
                                  [--trials 12] [--max-epochs 8]

Every run is a fresh process (timed from after its imports). Every tool gets the same data, the same stratified
train/validation split (hpo-kit's, per seed), the same budget (`trials` x `max_epochs` epochs; KerasTuner
Hyperband at its nearest equal-epoch setting) and scores its final model once on the test split. Prints mean +- sd of test accuracy, wall seconds and epochs trained per tool and task, then
hpo-kit's accuracy difference and wall-time ratio against the best peer of each task. Needs `pip install -e .[dev]`
(keras-tuner). Tasks are described in `benchmarks/tasks.py`, the peers' search spaces in `benchmarks/peers.py`.
"""
import argparse, json, os, subprocess, sys, tempfile, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
import numpy as np
import optuna

import peers, tasks
from hpo_kit.config import StudyConfig, parse_options
from hpo_kit.data import from_arrays
from hpo_kit.backend import import_keras_quietly
from hpo_kit.study import run_study

TOOLS = ("hpo-kit", "kt-random", "kt-bayesian", "kt-hyperband", "optuna-tpe")


def run_tool(tool, data, trials, max_epochs, seed, folder):
    "(test accuracy, wall seconds, epochs trained) of one tool on one task and seed."
    if tool.startswith("hpo-kit"):  # hpo-kit:key=value,key=value runs a variant, e.g. hpo-kit:sampler=random
        options = parse_options(tool.partition(":")[2].split(",")) if ":" in tool else {}
        cfg = StudyConfig(trials=trials, max_epochs=max_epochs, seed=seed, output=folder, study="bench", **options)
        sec, res = peers.timed(run_study, cfg, data=data)
        return res.summary["test_accuracy"], sec, res.summary["epochs_trained"]
    if tool == "optuna-tpe": sec, (acc, ep) = peers.timed(peers.optuna_tpe, data, trials, max_epochs, seed, folder)
    else: sec, (acc, ep) = peers.timed(peers.keras_tuner, tool[3:], data, trials, max_epochs, seed, folder)
    return acc, sec, ep


def run_one(task, seed, tool, trials, max_epochs):
    "One tool on one task and seed in a fresh process, so that no run inherits another's TensorFlow state or memory."
    cmd = [sys.executable, __file__, "--one", json.dumps([task, seed, tool]), "--trials", str(trials), "--max-epochs", str(max_epochs)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: raise RuntimeError(f"{tool} on {task} seed {seed} failed:\n{r.stderr[-3000:]}")
    return tuple(json.loads(r.stdout.strip().splitlines()[-1]))


def one(spec, trials, max_epochs):
    task, seed, tool = json.loads(spec)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    data = from_arrays(*tasks.TASKS[task](seed), name=task, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        acc, sec, epochs = run_tool(tool, data, trials, max_epochs, seed, folder)
    print(json.dumps([float(acc), float(sec), int(epochs)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: one run, in its own process
    ap.add_argument("--tasks", default=",".join(tasks.TASKS)); ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--tools", default=";".join(TOOLS), help="tools separated by ';', e.g. 'hpo-kit;hpo-kit:sampler=random;kt-hyperband'"); ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--max-epochs", type=int, default=8)
    a = ap.parse_args()
    if a.one: return one(a.one, a.trials, a.max_epochs)
    seeds, tools = [int(s) for s in a.seeds.split(",")], a.tools.split(";")
    results = {}  # (task, tool) -> list of (acc, sec, epochs)
    t_start = time.perf_counter()
    for task in a.tasks.split(","):
        for seed in seeds:
            for tool in tools:
                r = run_one(task, seed, tool, a.trials, a.max_epochs)
                results.setdefault((task, tool), []).append(r)
                print(f"  {task:<17} seed {seed} {tool:<13} test acc {r[0]:.4f}  {r[1]:6.1f} s  {r[2]:3d} epochs", flush=True)
    print(f"\n{a.trials} trials x {a.max_epochs} epochs, seeds {a.seeds}; {time.perf_counter() - t_start:.0f} s in all")
    print(f"{'task':<17} {'tool':<13} {'test accuracy':>16} {'wall s':>13} {'epochs':>8}")
    for task in a.tasks.split(","):
        for tool in tools:
            r = np.array(results[(task, tool)], float)
            print(f"{task:<17} {tool:<13} {r[:, 0].mean():8.4f} +- {r[:, 0].std():.4f} {r[:, 1].mean():7.1f} +- {r[:, 1].std():4.1f} {r[:, 2].mean():8.1f}")
        if "hpo-kit" in tools and any(not t.startswith("hpo-kit") for t in tools):
            mean = {t: np.array(results[(task, t)], float).mean(0) for t in tools}
            best = max((t for t in tools if not t.startswith("hpo-kit")), key=lambda t: mean[t][0])
            h = mean["hpo-kit"]
            print(f"{task:<17} hpo-kit vs best peer {best}: accuracy {h[0] - mean[best][0]:+.4f} (goal >= +0.01), "
                  f"wall time {h[1] / mean[best][1]:.2f}x (goal <= 0.70x)")


if __name__ == "__main__":
    main()
