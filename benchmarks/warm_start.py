"""Does a warm start from a finished study on related data find a good model in fewer trials, and does one from
unrelated data do no harm? Measured in one run on this machine.

    python benchmarks/warm_start.py [--pairs digits:distorted_digits,order_text_small:order_text,...]
                                    [--seeds 0,1,2] [--trials 12] [--max-epochs 8] [--source-offset 500]

For each pair SOURCE:TARGET and seed: a study on SOURCE (with seed + `--source-offset`), then on TARGET a cold study
and a study with `warm_start` at the SOURCE study (the cold study's trials, epochs and seed). By default the source's
seed differs from the targets': with the same seed and space, the cold study's sampler draws the source's first random
configurations again. `--source-offset 0` measures that case, which is what a user who keeps the default seed gets.

Prints, per pair, the mean over the seeds of the cold study's best validation accuracy after all its trials, the
trials the warm study needed to reach it (goal for related data: at most half), both studies' best validation
accuracy at the end (goal for unrelated data: warm no worse than cold), and both studies' best after half the trials
(a less noisy reading of the first goal: the warm study's mean there against the cold study's mean at the end). For
reference, the trials a second cold study (another seed, the same data) needed to reach the first one's best: what
reaching the best of `trials` noisy draws costs without a warm start.
"""
import argparse, os, statistics, sys, tempfile, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
import optuna

import tasks
from hpo_kit.backend import import_keras_quietly
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.search.results import trial_records
from hpo_kit.study import run_study


def best_so_far(root) -> list[float]:
    "The study's best validation accuracy after each of its trials that counts toward its budget, in the order they ran."
    best, out = float("-inf"), []
    for r in sorted(trial_records(root), key=lambda r: r["number"]):
        if r["state"] in ("SKIPPED", "OUT_OF_TIME"): continue  # spent nothing of the budget (a model too large, time up)
        if r["state"] == "COMPLETE" and isinstance(r.get("value"), (int, float)): best = max(best, r["value"])
        out.append(best)
    return out


def reached(best:list[float], goal:float):
    "The trials a study with `best` so far needed to reach `goal`, or None."
    return next((i + 1 for i, v in enumerate(best) if v >= goal), None)


def one(source, target, seed, trials, max_epochs, folder, offset):
    """(cold's final best, trials warm needed to reach it, warm's final best, trials a second cold study needed, warm's
    and cold's best after half the trials) on one seed."""
    def study(name, task, run_seed=seed, **kw):
        data = from_arrays(*tasks.TASKS[task](seed), name=task, seed=seed)  # the same split for every study of a seed
        cfg = StudyConfig(trials=trials, max_epochs=max_epochs, seed=run_seed, output=folder, study=name, **kw)
        return run_study(cfg, data=data).root
    src = study("source", source, run_seed=seed + offset)  # 0: the cold study draws the source's first configurations again
    cold, warm = best_so_far(study("cold", target)), best_so_far(study("warm", target, warm_start=str(src)))
    other = best_so_far(study("other", target, run_seed=seed + 1000))
    half = lambda best: best[min(max(trials // 2, 1), len(best)) - 1]
    return cold[-1], reached(warm, cold[-1]), warm[-1], reached(other, cold[-1]), half(warm), half(cold)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", default="digits:distorted_digits,order_text_small:order_text,order_text:order_text_small,order_text:noisy_text")
    ap.add_argument("--seeds", default="0,1,2"); ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--max-epochs", type=int, default=8); ap.add_argument("--source-offset", type=int, default=500)
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    print(f"{'source -> target':<34} {'cold best':>9} {'warm trials to reach it':>24} {'warm best':>9} {'a second cold study':>20} "
          f"{'at half: warm':>14} {'cold':>6}", flush=True)
    for pair in a.pairs.split(","):
        source, target = pair.split(":")
        runs = []
        for seed in map(int, a.seeds.split(",")):
            with tempfile.TemporaryDirectory() as d:
                runs.append(one(source, target, seed, a.trials, a.max_epochs, d, a.source_offset))
            print(f"  seed {seed}: cold {runs[-1][0]:.4f}, warm reached it in {runs[-1][1]} trials, warm {runs[-1][2]:.4f}, "
                  f"a second cold study in {runs[-1][3]}, after half the trials warm {runs[-1][4]:.4f} and cold {runs[-1][5]:.4f}", flush=True)
        needed = lambda i: statistics.mean(r[i] if r[i] is not None else a.trials + 1 for r in runs)  # never: past the budget
        mean = lambda i: statistics.mean(r[i] for r in runs)
        print(f"{source + ' -> ' + target:<34} {mean(0):>9.4f} {needed(1):>24.1f} {mean(2):>9.4f} {needed(3):>20.1f} "
              f"{mean(4):>14.4f} {mean(5):>6.4f}", flush=True)


if __name__ == "__main__":
    main()
