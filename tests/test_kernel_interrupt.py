"""The notebook's interrupt button, as Jupyter delivers it: a real IPython kernel (jupyter_client) runs a study in a cell,
the kernel is interrupted during training, and the cell must end within seconds without a traceback, saying once that it
stops, with the kernel alive, the trial recorded as interrupted (not failed), and the study resumable in the same kernel."""
import time

from jupyter_client.manager import start_new_kernel

from killing import counted, epochs_written, trials


def run_cell(kc, code, timeout=600):
    "Execute `code`; return (status, text output, error output)."
    msg_id = kc.execute(code)
    out, err = [], []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id: continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream": (out if content["name"] == "stdout" else err).append(content["text"])
        elif kind == "error": err.append("\n".join(content["traceback"]))
        elif kind == "execute_result": out.append(content["data"].get("text/plain", ""))
        elif kind == "status" and content["execution_state"] == "idle": break
    reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], "".join(out), "".join(err)


def test_interrupt_button_during_training(tmp_path):
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    root = tmp_path / "digits-simple"
    try:
        status, _, err = run_cell(kc, "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\n"
                                       "from hpo_kit import StudyConfig, run_study\n"
                                       f"cfg = StudyConfig(trials=4, max_epochs=6, pruner='none', refit=False, seed=0, output={str(tmp_path)!r})")
        assert status == "ok", err
        msg_id = kc.execute("result = run_study(cfg)\nprint('interrupted:', result.interrupted)")
        t = time.monotonic()
        while epochs_written(root) < 3:  # the second trial is training
            assert time.monotonic() - t < 300, "no epochs"
            time.sleep(0.05)
        km.interrupt_kernel(); t = time.monotonic()
        out, err = [], []
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id: continue
            if msg["msg_type"] == "stream": (out if msg["content"]["name"] == "stdout" else err).append(msg["content"]["text"])
            if msg["msg_type"] == "error": err.append("\n".join(msg["content"]["traceback"]))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle": break
        assert time.monotonic() - t < 20
        text = "".join(out) + "".join(err)
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-3000:]
        assert "".join(err).count("Stopping after the current step") == 1, text[-3000:]
        assert "interrupted: True" in "".join(out), text[-3000:]
        assert km.is_alive()
        states = [(t.state.name, t.user_attrs.get("reason")) for t in trials(root)]
        assert ("FAIL", "interrupted") in states and not [s for s in states if s[0] == "FAIL" and s[1] != "interrupted"], states
        status, out, err = run_cell(kc, "result = run_study(cfg)\nprint('interrupted:', result.interrupted)")
        assert status == "ok" and "interrupted: False" in out, err[-3000:]
        assert len(counted(root)) >= 4
    finally:
        kc.stop_channels(); km.shutdown_kernel(now=True)
