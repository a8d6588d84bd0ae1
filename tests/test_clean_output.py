"""What a person sees on the command line: `hpo-kit run` (with the leaky_relu activation whose fused form once made
TensorFlow's graph optimizer log errors), `report`, `export` and an interrupted run print no line of TensorFlow's C++
log, no absl or Python warning, and no traceback; an interrupt prints at most 3 lines."""
import re, signal, subprocess

from killing import epochs_written, wait_for

NOISE = re.compile(r"^[IWEF]\d{4} |WARNING: All log messages|Warning|warn\(|Traceback|cuInit|oneDNN|absl|tensorflow/", re.M)


def noise(text): return NOISE.findall(text)


def test_no_log_lines_reach_the_user(tmp_path):
    root = tmp_path / "digits-simple"
    r = subprocess.run(["hpo-kit", "run", "trials=2", "max_epochs=2", "activation_override=leaky_relu", f"output={tmp_path}", "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and not noise(r.stdout + r.stderr), r.stderr[-3000:]
    for args in (["report", str(root)], ["export", str(root), "--format", "savedmodel"], ["bundle", str(root)]):
        r = subprocess.run(["hpo-kit", *args], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0 and not noise(r.stdout + r.stderr), (args, r.stderr[-3000:])
        assert len((r.stdout + r.stderr).strip().splitlines()) <= 2, (args, r.stdout, r.stderr)


def test_an_interrupt_prints_at_most_three_lines(tmp_path):
    proc = subprocess.Popen(["hpo-kit", "run", "trials=3", "max_epochs=4", f"output={tmp_path}"],  # with the progress bar
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(proc, lambda: epochs_written(tmp_path / "digits-simple") >= 2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    lines = [l for l in (out + err).replace("\r", "\n").splitlines() if l.strip() and "%|" not in l]  # the bar redraws itself
    assert proc.returncode == 130 and len(lines) <= 3 and not noise(out + err), lines
