"""Which parameters earn a place in the default search space: importances over random-search studies of the full space.

    python benchmarks/space_importance.py [--tasks digits,distorted_digits,order_text] [--trials 40] [--max-epochs 6]

Every parameter that applies to the task is searched over the ranges of hpo-kit's first search space (21 dimensions:
every optimizer with learning rates 1e-4..1e-2, batch sizes 32-256, seven activations, up to 3 dense layers of up to
1,024 units, ...; text models may also choose their encoder), by random sampling (an unbiased sample for the
importance analysis), without pruning. For each task it prints Optuna's fANOVA importance of each parameter for
validation accuracy (a parameter that does not apply to a trial, such as dense_units without dense layers, counts at
its default value), then the mean over the tasks of each modality. The parameters searched by default are the ones
that rank high here; the evidence is quoted in `nbs/03_space.ipynb`.
"""
import argparse, os, sys, tempfile, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(__file__))
import optuna

import tasks
from hpo_kit.config.choices import ACTIVATIONS
from hpo_kit.config import StudyConfig
from hpo_kit.data import from_arrays
from hpo_kit.backend import import_keras_quietly
from hpo_kit.config.params import SPACE
from hpo_kit.store.journal import journal_storage
from hpo_kit.study import run_study


FIRST_SPACE = dict(  # the ranges of hpo-kit's first release
    conv_blocks=[1, 4], filters=[16, 64, "log"], kernel_size=[3, 5], batch_norm=[True, False], pooling=["flatten", "global_avg"],
    augment=[0.0, 0.3], encoder=["pooled", "conv", "lstm", "gru"], embedding_dim=[32, 256, "log"], units=[32, 256, "log"],
    rnn_layers=[1, 2], bidirectional=[True, False], activation=list(ACTIVATIONS), dense_layers=[0, 3], dense_units=[32, 1024, "log"],
    dropout=[0.0, 0.5], optimizer=["adam", "adamw", "sgd", "rmsprop"], learning_rate=[1e-4, 1e-2, "log"], weight_decay=[1e-6, 1e-2, "log"],
    batch_size=[32, 64, 128, 256], schedule=["constant", "cosine", "cosine_restarts"], label_smoothing=[0.0, 0.2], clipnorm=[0.5, 10.0, "log"])


def _distribution(name, entry):
    D = optuna.distributions
    if SPACE[name].kind in ("choice", "bool"): return D.CategoricalDistribution(entry)
    log = len(entry) == 3 and entry[2] == "log"
    return (D.IntDistribution if SPACE[name].kind == "int" else D.FloatDistribution)(entry[0], entry[1], log=log)


def _complete(study, modality):
    "A copy of `study`'s complete trials with every parameter of `modality` present (inactive ones at their default)."
    names = [n for n, p in SPACE.items() if p.modality in (modality, "any")]
    dists = {n: _distribution(n, FIRST_SPACE[n]) for n in names}
    out = optuna.create_study(direction="maximize")
    for t in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        p = t.user_attrs["params"]
        params = {n: p.get(n, SPACE[n].default_for(modality, {"optimizer": "adamw"})) for n in names}
        params = {n: v if n not in ("conv_blocks",) else min(v, dists[n].high) for n, v in params.items()}
        out.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=t.value))
    return out


def importances(task, trials, max_epochs, seed=0):
    data = from_arrays(*tasks.TASKS[task](seed), name=task, seed=seed)
    wide = dict(FIRST_SPACE)
    with tempfile.TemporaryDirectory() as out:
        cfg = StudyConfig(trials=trials, max_epochs=max_epochs, seed=seed, output=out, study=task, sampler="random", pruner="none",
                          health_every=0, refit=False, space=wide)
        t = time.perf_counter(); run_study(cfg, data=data); sec = time.perf_counter() - t
        study = optuna.load_study(study_name=task, storage=journal_storage(f"{out}/{task}"))
        full = _complete(study, data.modality)
        imp = optuna.importance.get_param_importances(full, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
        best = study.best_value
    return data.modality, imp, best, sec


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default=",".join(tasks.TASKS)); ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--max-epochs", type=int, default=6)
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import_keras_quietly()
    by_modality = {}
    for task in a.tasks.split(","):
        modality, imp, best, sec = importances(task, a.trials, a.max_epochs)
        by_modality.setdefault(modality, []).append(imp)
        print(f"\n{task} ({modality}): {a.trials} random trials x {a.max_epochs} epochs in {sec:.0f} s, best validation accuracy {best:.4f}")
        for name, v in imp.items(): print(f"  {name:<16} {v:.3f}{'  (searched by default)' if SPACE[name].searched else ''}")
    for modality, imps in by_modality.items():
        names = sorted({n for i in imps for n in i}, key=lambda n: -sum(i.get(n, 0) for i in imps))
        print(f"\nmean over {len(imps)} {modality} task(s):")
        for n in names: print(f"  {n:<16} {sum(i.get(n, 0) for i in imps) / len(imps):.3f}")


if __name__ == "__main__":
    main()
