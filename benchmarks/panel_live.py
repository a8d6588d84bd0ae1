"""What the panel's live charts cost a study, measured in one run: wall time of the same study with and without
`LiveCharts` (curves, health, the 3D network view, history, activations, table), in rotating order.

    python benchmarks/panel_live.py [trials] [max_epochs] [repeats]

Goal: the live view slows training by at most 2%. Its cost is paced (`views.live.LiveCharts.share`: drawing takes at
most 0.5% of the run's time so far, each chart's first draw free) plus a fixed ~0.15 s at the end, where the charts a saved
notebook keeps are built; so the default is a 25-second study (10 x 10 epochs), still far shorter than a real one,
and `6 6` shows the fixed part weighing on an 11-second study. The charts are built and serialized as in a notebook (each
mime bundle is turned into JSON, as the kernel does before sending it); only the browser's drawing is left out,
since it happens in another process. Same seed both ways, refit off (the final model is not watched live).
"""
import json, statistics, sys, tempfile, time
from unittest import mock

import optuna

from hpo_kit.config import StudyConfig
from hpo_kit.views.live import LiveCharts
from hpo_kit.study import run_study


def _published(*args, **kwargs):
    json.dumps(args[0], default=str)  # what the kernel does to every output it sends
    return mock.MagicMock()


def one(trials, max_epochs, live):
    config = StudyConfig(trials=trials, max_epochs=max_epochs, refit=False, seed=0, output=tempfile.mkdtemp())
    with mock.patch("IPython.display.display", side_effect=_published), mock.patch("IPython.display.clear_output"):
        t = time.perf_counter()
        run_study(config, on_event=LiveCharts(config) if live else None)
        return time.perf_counter() - t


def main(trials=10, max_epochs=10, repeats=5):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    one(1, 1, True)  # warm-up: imports, first traces
    times = {True: [], False: []}
    for r in range(repeats):
        for live in ((True, False) if r % 2 == 0 else (False, True)):
            times[live].append(one(trials, max_epochs, live))
    with_live, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"study of {trials} trials x {max_epochs} epochs on digits, median of {repeats} runs each:")
    print(f"  without the live view {without:.1f} s, with it {with_live:.1f} s: {100 * (with_live / without - 1):+.1f}% (goal <= +2%)")
    print(f"  all runs: without {[round(t, 1) for t in times[False]]}, with {[round(t, 1) for t in times[True]]}")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
