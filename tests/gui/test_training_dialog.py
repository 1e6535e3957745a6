"""The Retrain dialog drives a trainer child process: progress from JSON lines, log, cancel, done.

A fake trainer (a tiny script written per test) stands in for `sketchstudio-train warp`; it
speaks the same event protocol. One slow test runs the real trainer for 2 steps.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from sketchstudio.gui.training_dialog import TrainingDialog, format_eta
from sketchstudio.gui.training_process import (
    LineSplitter,
    TrainingProcess,
    WarpTrainingOptions,
    parse_event,
    warp_training_command,
)
from sketchstudio.inference.models_registry import discover_models

FAKE_TRAINER = r'''
import json, signal, struct, sys, time
from pathlib import Path

run_dir, mode = Path(sys.argv[1]), sys.argv[2]

def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)

def stop(signum, frame):
    emit("error", message="interrupted at step 3; resumable checkpoint x", step=3)
    sys.exit(130)

if mode == "stubborn":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.signal(signal.SIGINT, stop)
emit("start", run_dir=str(run_dir), total=4, resumed_from=None, device="cpu")
print("plain text on stdout", flush=True)
print("loading data", file=sys.stderr, flush=True)
emit("something_new", detail=42)
if mode in ("slow", "stubborn"):
    step = 0
    while True:
        step += 1
        emit("progress", step=min(step, 3), total=4, losses={"sim": 0.5}, eta_s=9.0)
        time.sleep(0.05)
for step in range(1, 5):
    emit("progress", step=step, total=4, losses={"sim": 1.0 / step, "kp": 0.25}, eta_s=float(4 - step))
if mode == "fail":
    emit("error", message="no training data: give --project FILE")
    print("sketchstudio-train: error: no training data", file=sys.stderr, flush=True)
    sys.exit(2)
run_dir.mkdir(parents=True)
meta = json.dumps({"sketchstudio": json.dumps({"kind": "warp", "name": "fine-tuned"})}).encode()
header = json.dumps({"__metadata__": json.loads(meta)}).encode()
(run_dir / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header)
sys.stdout.write(json.dumps({"event": "done", "step": 4, "checkpoint": str(run_dir / "model.safetensors"),
                             "metrics": {}}))  # no newline: the last line arrives at exit
'''


@pytest.fixture
def fake_trainer(tmp_path: Path):
    script = tmp_path / "fake_trainer.py"
    script.write_text(textwrap.dedent(FAKE_TRAINER), encoding="utf-8")

    def factory(mode: str):
        return lambda options: (sys.executable, [str(script), str(options.run_dir), mode])

    return factory


def _dialog(qtbot, context, command, **process_kw) -> TrainingDialog:
    process = TrainingProcess(**process_kw) if process_kw else None
    dialog = TrainingDialog(context, command=command, process=process)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_progress_log_and_the_new_model_in_the_picker(qtbot, context, fake_trainer) -> None:
    dialog = _dialog(qtbot, context, fake_trainer("ok"))
    dialog.steps.setValue(4)
    with qtbot.waitSignal(dialog.modelTrained, timeout=20000) as trained:
        dialog.start()
        assert dialog.is_running() or dialog.process.process.waitForStarted(5000)
    info = trained.args[0]
    assert info is not None and info.name == "fine-tuned" and info.origin == "trained"
    assert dialog.bar.maximum() == 4 and dialog.bar.value() == 4
    assert dialog.losses.text() == "sim 0.25  kp 0.25"
    assert dialog.eta.text() == ""  # cleared when done
    log = dialog.log.toPlainText()
    assert "plain text on stdout" in log and "loading data" in log
    assert "[something_new] detail=42" in log  # unknown events are logged, not fatal
    assert '"event": "progress"' not in log  # events are not echoed into the log
    assert not dialog.is_running()
    # the run lies where discovery looks, and the picker already offers it
    assert info.id in [m.id for m in discover_models("warp")]
    picker_ids = [dialog.picker.models.itemData(i).id for i in range(dialog.picker.models.count())]
    assert info.id in picker_ids
    assert dialog.use_button.isVisible()
    with qtbot.waitSignal(dialog.useModelRequested) as used:
        dialog.use_button.click()
    assert used.args[0].id == info.id and dialog.picker.current().id == info.id


def test_a_failed_run_shows_the_error_and_opens_the_log(qtbot, context, fake_trainer) -> None:
    dialog = _dialog(qtbot, context, fake_trainer("fail"))
    with qtbot.waitSignal(dialog.process.finished, timeout=20000):
        dialog.start()
    assert "no training data" in dialog.status.text()
    assert dialog.log.isVisible() and "sketchstudio-train: error" in dialog.log.toPlainText()
    assert dialog.trained is None and not dialog.use_button.isVisible()
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process is POSIX")
def test_cancel_interrupts_the_trainer_and_leaves_no_process(qtbot, context, fake_trainer) -> None:
    dialog = _dialog(qtbot, context, fake_trainer("slow"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.bar.value() >= 1, timeout=20000)
    pid = dialog.process.pid()
    with qtbot.waitSignal(dialog.process.finished, timeout=20000) as finished:
        dialog.cancel_button.click()
    assert finished.args[0] == 130  # the trainer's own "interrupted, checkpoint saved" exit
    assert "stopped" in dialog.status.text() and "--resume" in dialog.status.text()
    assert _gone(pid)


@pytest.mark.skipif(os.name != "posix", reason="signals are POSIX")
def test_a_trainer_that_ignores_signals_is_killed(qtbot, context, fake_trainer) -> None:
    dialog = _dialog(qtbot, context, fake_trainer("stubborn"), interrupt_grace_ms=200, terminate_grace_ms=200)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.bar.value() >= 1, timeout=20000)
    pid = dialog.process.pid()
    with qtbot.waitSignal(dialog.process.finished, timeout=20000):
        dialog.cancel()
    assert "killing it" in dialog.log.toPlainText()
    assert not dialog.is_running() and _gone(pid)


def test_closing_while_running_stops_the_run_first(qtbot, context, fake_trainer) -> None:
    dialog = _dialog(qtbot, context, fake_trainer("slow"))
    dialog.start()
    qtbot.waitUntil(lambda: dialog.bar.value() >= 1, timeout=20000)
    dialog.reject()
    assert dialog.isVisible()  # still open until the trainer has stopped
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20000)
    assert not dialog.is_running()


def test_the_command_line_names_the_project_run_and_options(tmp_path: Path) -> None:
    options = WarpTrainingOptions(project=tmp_path / "p.sketchstudio", run_dir=tmp_path / "run", steps=50,
                                  batch_size=2, device="cpu", init=tmp_path / "m.safetensors")
    program, args = warp_training_command(options)
    assert program == sys.executable
    assert args[:3] == ["-m", "sketchstudio.training", "warp"]
    joined = " ".join(args)
    for part in (f"--project {tmp_path / 'p.sketchstudio'}", f"-o {tmp_path / 'run'}", "--progress-json",
                 "--steps 50", "--batch-size 2", "--device cpu", f"--init {tmp_path / 'm.safetensors'}"):
        assert part in joined
    _, auto = warp_training_command(WarpTrainingOptions(project=Path("p"), run_dir=Path("r")))
    assert "--device" not in auto and "--init" not in auto and "--steps" not in auto


def test_lines_and_events_are_parsed_tolerantly() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b'{"event": "progress", "st') == []
    assert splitter.feed(b'ep": 1}\nhalf') == ['{"event": "progress", "step": 1}']
    assert splitter.flush() == ["half"]
    assert parse_event('{"event": "done", "checkpoint": "x"}') == {"event": "done", "checkpoint": "x"}
    for text in ("plain", "{not json", '{"no_event": 1}', "[1, 2]", '{"event": 3}'):
        assert parse_event(text) is None
    assert format_eta(75) == "01:15" and format_eta(3725) == "1:02:05" and format_eta(None) == "–"


@pytest.mark.slow
def test_the_real_trainer_runs_two_steps(qtbot, context, tmp_path: Path) -> None:
    """End to end: `python -m sketchstudio.training warp` on the test project, tiny model."""
    pytest.importorskip("torch")

    def command(options: WarpTrainingOptions):
        tiny = WarpTrainingOptions(project=options.project, run_dir=options.run_dir, steps=2, batch_size=1,
                                   device="cpu", init=None,
                                   extra_args=("--preset", "tiny", "--synthetic", "2", "--no-perceptual"))
        return warp_training_command(tiny)

    dialog = _dialog(qtbot, context, command)
    with qtbot.waitSignal(dialog.process.finished, timeout=300_000) as finished:
        dialog.start()
    log = dialog.log.toPlainText()
    assert finished.args[0] == 0, log
    assert dialog.final_checkpoint is not None and dialog.final_checkpoint.is_file(), log
    assert dialog.bar.value() == 2 and dialog.trained is not None
    assert json.loads((dialog.run_dir / "config.json").read_text())["run"]["steps"] == 2
