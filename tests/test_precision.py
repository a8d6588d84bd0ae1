"""The GPU branches of training, forced on this CPU: mixed precision and XLA through a whole study with a mid-trial
resume, and the training loop under MirroredStrategy across two logical CPUs (in a subprocess: logical devices
must be configured before TensorFlow starts)."""
import json, math, subprocess, sys

import pytest

from hpo_kit.config import StudyConfig
from hpo_kit.store.files import read_rows
from hpo_kit.study import run_study


@pytest.fixture(autouse=True)
def float32_afterwards():
    yield
    import keras
    keras.mixed_precision.set_dtype_policy("float32")  # the policy is global: later tests build float32 models


@pytest.mark.parametrize("options", [dict(precision="mixed_float16"), dict(precision="mixed_bfloat16"), dict(jit_compile="true")],
                         ids=["mixed_float16", "mixed_bfloat16", "xla"])
def test_forced_precision_and_xla_train_checkpoint_and_resume(tmp_path, options):
    import keras
    cfg = StudyConfig(trials=1, max_epochs=3, pruner="none", output=str(tmp_path), **options)
    def stop(e):
        if e["event"] == "epoch_end" and e["epoch"] == 2: raise KeyboardInterrupt
    first = run_study(cfg, on_event=stop)
    assert first.interrupted
    carried = read_rows(first.root / "trials" / "0" / "history.csv")[:1]  # epoch 1 was checkpointed before the interrupt
    res = run_study(cfg)
    devices = res.summary["devices"]
    assert devices["precision"] == options.get("precision", "float32") and devices["jit_compile"] == ("jit_compile" in options)
    table = read_rows(res.root / "trials.csv")
    retry = next(r for r in table if r["retry_of"] == "0")
    assert retry["state"] == "COMPLETE"
    hist = read_rows(res.root / "trials" / retry["number"] / "history.csv")
    assert [int(h["epoch"]) for h in hist] == [1, 2, 3] and hist[0]["finished_at"] == carried[0]["finished_at"]  # resumed, not retrained
    assert max(float(h["val_accuracy"]) for h in hist) > 0.8 and all(math.isfinite(float(h["loss"])) for h in hist)
    model = keras.saving.load_model(res.root / "final_model.keras", compile=False)
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"  # the output layer stays float32
    hidden = [l for l in model.layers if l.name.startswith("conv_")]
    assert hidden and hidden[0].dtype_policy.name == options.get("precision", "float32")
    assert res.test_accuracy > 0.9


MIRRORED = r"""
import json, math, os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras
from hpo_kit.config import StudyConfig
from hpo_kit.data import load_dataset
from hpo_kit.training.loop import fit
from hpo_kit.training.models import build_model, compile_model
from hpo_kit.training.pipeline import eval_dataset, predict_proba, train_dataset
from hpo_kit.search.space import baseline_params
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
data = load_dataset("digits")
p = baseline_params(data, StudyConfig()) | dict(batch_size=64)
logs = []
with strategy.scope():
    m = compile_model(build_model(p, data), p, math.ceil(len(data.y_train) / 64), 3)
    fit(m, train_dataset(data, 64, 0), 3, validation_data=eval_dataset(data),
        callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda e, l: logs.append({k: float(v) for k, v in l.items()}))])
right = float(np.mean(predict_proba(m, data.x_val).argmax(1) == data.y_val))
print(json.dumps(dict(replicas=strategy.num_replicas_in_sync, logs=logs, iterations=int(m.optimizer.iterations.value.numpy()), right=right, n=len(data.y_train))))
"""


def test_the_training_loop_under_mirrored_strategy_on_two_logical_cpus():
    r = subprocess.run([sys.executable, "-c", MIRRORED], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    assert out["iterations"] == 3 * math.ceil(out["n"] / 64)  # one optimizer step per global batch, not per replica
    logs = out["logs"]
    assert len(logs) == 3 and logs[-1]["loss"] < logs[0]["loss"] and logs[-1]["val_accuracy"] > 0.9
    assert abs(logs[-1]["val_accuracy"] - out["right"]) < 1e-6  # the replicas' sums add up to the whole validation set, once
