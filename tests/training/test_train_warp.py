"""`sketchstudio-train warp` end to end on the CPU: synth -> train -> eval, resume, bad data."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
import torch

from sketchstudio.training.cli import main
from sketchstudio.weights.checkpoint import load_safetensors, read_safetensors_metadata

TINY = ["--preset", "tiny", "--batch-size", "2", "--moco-k", "16", "--device", "cpu", "--quiet"]


def _events(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_synth_train_eval_end_to_end(synth_root: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    code = main(["warp", "--data", str(synth_root), "--csv", "train_pairs_ps.csv", "--val-csv",
                 "test_pairs_ps.csv", "--stage", "both", "--steps", "3", "-o", str(run), "--progress-json",
                 *TINY])
    assert code == 0
    events = _events(capsys.readouterr().out)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and "progress" in kinds and "eval" in kinds
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[-1]["step"] == 3 and progress[-1]["total"] == 3 and "eta_s" in progress[-1]
    assert {"moco", "sim", "con", "kp"} <= set(progress[-1]["losses"])
    final = Path(events[-1]["checkpoint"])
    assert final == (run / "model.safetensors").resolve() and final.is_file()
    meta = read_safetensors_metadata(final)
    assert meta["kind"] == "warp" and meta["step"] == 3 and "pck@0.10" in meta["metrics"]
    assert meta["config"]["input_size"] == 64 and "git_sha" in meta["provenance"]
    config = json.loads((run / "config.json").read_text())
    assert config["stage"] == "both" and config["run"]["steps"] == 3
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("eval/pck@0.05" in x for x in lines) and any("train/kp" in x for x in lines)
    # The trained file is a normal warp checkpoint: the warp helper's `eval` command reads it.
    code = main(["eval", "--checkpoint", str(final), "--data", str(synth_root), "--csv",
                 str(synth_root / "test_pairs_ps.csv"),
                 "--json", "--device", "cpu"])
    assert code == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0.0 <= result["pck@0.10"] <= 1.0


@pytest.mark.slow
def test_resume_continues_with_identical_optimizer_state(synth_root: Path, tmp_path: Path, capsys) -> None:
    """Cut an uninterrupted 4-step run back to its step-2 checkpoint and resume it: the optimizer
    state loaded is the one saved, and steps 3-4 reproduce the uninterrupted run exactly."""
    from sketchstudio.training.state import load_training_state, mark_latest

    full = tmp_path / "full"
    assert main(["warp", "--data", str(synth_root), "--stage", "estimator", "--optim", "adam", "--lr", "1e-3",
                 "--syn-loss-weight", "1", "--no-perceptual", "--steps", "4", "--save-every", "2", "-o",
                 str(full), *TINY]) == 0
    cut = tmp_path / "cut"
    shutil.copytree(full, cut)
    for f in [*cut.glob("step_0000004*"), cut / "model.safetensors"]:
        f.unlink()
    mark_latest(cut, 2, cut / "step_0000002.safetensors")

    from sketchstudio.training import warp_trainer

    loaded: list[dict] = []
    original = warp_trainer.WarpTask.load_training_state

    def spy(self, state):  # type: ignore[no-untyped-def]
        original(self, state)
        loaded.append(copy.deepcopy(self.optimizers["estimator"].state_dict()))  # training mutates it

    warp_trainer.WarpTask.load_training_state = spy  # type: ignore[method-assign]
    try:
        assert main(["warp", "--resume", str(cut), "--progress-json", "--quiet"]) == 0
    finally:
        warp_trainer.WarpTask.load_training_state = original  # type: ignore[method-assign]
    start = _events(capsys.readouterr().out)[0]
    assert start["event"] == "start" and start["resumed_from"] == 2
    saved = load_training_state(full / "step_0000002.safetensors").optimizers["estimator"]["state"]
    assert saved and set(loaded[0]["state"]) == set(saved)
    for index, per_param in saved.items():
        for name, tensor in per_param.items():
            assert torch.equal(torch.as_tensor(loaded[0]["state"][index][name]), torch.as_tensor(tensor))
    a, _ = load_safetensors(full / "step_0000004.safetensors")
    b, _ = load_safetensors(cut / "step_0000004.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    sa = load_training_state(full / "step_0000004.safetensors").optimizers["estimator"]["state"]
    sb = load_training_state(cut / "step_0000004.safetensors").optimizers["estimator"]["state"]
    for index in sa:
        for name in sa[index]:
            assert torch.equal(torch.as_tensor(sa[index][name]), torch.as_tensor(sb[index][name]))
    assert read_safetensors_metadata(cut / "model.safetensors")["step"] == 4


def test_an_existing_run_is_not_overwritten(synth_root: Path, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    args = ["warp", "--synthetic", "4", "--stage", "estimator", "--steps", "1", "-o", str(run), *TINY]
    assert main(args) == 0
    assert main(args) == 2
    assert "--resume" in capsys.readouterr().err


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_missing_image_stops_before_training(synth_root: Path, tmp_path: Path, capsys) -> None:
    root = tmp_path / "data"
    shutil.copytree(synth_root, root)
    victim = next((root / "rendered_256x256").rglob("*.png"))
    victim.unlink()
    run = tmp_path / "run"
    assert main(["warp", "--data", str(root), "--steps", "1", "-o", str(run), *TINY]) == 2
    line = _one_error_line(capsys)
    assert victim.name in line and "line" in line
    assert not (run / "latest.json").exists()


def test_broken_csv_row_stops_before_training(synth_root: Path, tmp_path: Path, capsys) -> None:
    csv = tmp_path / "bad.csv"
    rows = (synth_root / "train_pairs_ps.csv").read_text().splitlines()
    csv.write_text("\n".join([rows[0], rows[1], rows[2].replace(";", ";x", 1)]) + "\n")
    assert main(["warp", "--data", str(synth_root), "--csv", str(csv), "--steps", "1", "-o",
                 str(tmp_path / "run"), *TINY]) == 2
    line = _one_error_line(capsys)
    assert "bad.csv" in line and "line 3" in line


def test_empty_project_stops_before_training(tmp_path: Path, capsys) -> None:
    from sketchstudio.core.store import ProjectStore

    project = tmp_path / "empty.sketchstudio"
    ProjectStore.create(project).close()
    assert main(["warp", "--project", str(project), "--steps", "1", "-o", str(tmp_path / "run"),
                 "--progress-json", *TINY]) == 2
    captured = capsys.readouterr()
    assert "no pairs" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert _events(captured.out)[-1]["event"] == "error"


def test_project_pairs_with_keypoints_train(tmp_path: Path, synth_root: Path) -> None:
    """An annotated project is a data source: its confirmed keypoints switch the keypoint loss on."""
    from sketchstudio.core.io.psc6k import import_psc6k
    from sketchstudio.core.store import ProjectStore

    project = tmp_path / "p.sketchstudio"
    with ProjectStore.create(project, images_root=synth_root) as store:
        import_psc6k(store, synth_root / "test_pairs_ps.csv", synth_root)
        assert store.stats().annotated_pairs > 0
    from sketchstudio.training.warp_data import PairSet, project_sources

    pairs = PairSet(project_sources(project), 64)
    assert len(pairs) == 3 and pairs.annotated == 3
    run = tmp_path / "run"
    assert main(["warp", "--project", str(project), "--stage", "estimator", "--steps", "1", "-o", str(run),
                 "--no-perceptual", *TINY]) == 0
    assert (run / "model.safetensors").is_file()


@pytest.mark.slow
def test_two_process_gloo_ddp_run(tmp_path: Path, synth_root: Path) -> None:
    import subprocess
    import sys

    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "sketchstudio.training", "warp", "--data", str(synth_root), "--stage", "both",
           "--steps", "2", "--no-perceptual", "-o", str(run), "--progress-json", *TINY]
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env,
                          cwd=Path(__file__).parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = _events(proc.stdout)
    starts = [e for e in events if e["event"] == "start"]
    assert len(starts) == 1 and starts[0]["world_size"] == 2  # only rank 0 reports
    assert events[-1]["event"] == "done"
    files = sorted(p.name for p in run.glob("step_*"))
    assert files == ["step_0000002.safetensors", "step_0000002.state.json", "step_0000002.state.safetensors"]


@pytest.mark.slow
def test_estimator_stage_freezes_the_encoder_unless_told_not_to(tmp_path: Path) -> None:
    common = ["--synthetic", "4", "--stage", "estimator", "--steps", "1", "--optim", "adam", "--lr", "1e-2",
              "--no-perceptual", *TINY]
    assert main(["warp", *common, "-o", str(tmp_path / "init")]) == 0
    init = tmp_path / "init" / "model.safetensors"
    before, _ = load_safetensors(init)
    for name, extra in (("frozen", []), ("free", ["--no-freeze"])):
        assert main(["warp", *common, "--init", str(init), *extra, "-o", str(tmp_path / name)]) == 0
        after, _ = load_safetensors(tmp_path / name / "model.safetensors")
        enc = [k for k in before if k.startswith("encoder.") and k.endswith(".weight")]
        changed = [k for k in enc if not torch.equal(before[k], after[k])]
        stn_changed = [k for k in before if k.startswith("stn.") and not torch.equal(before[k], after[k])]
        assert stn_changed
        assert (not changed) if name == "frozen" else changed, name


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGTERM"), reason="POSIX signals")
def test_sigterm_saves_a_resumable_checkpoint(synth_root: Path, tmp_path: Path) -> None:
    """A scheduler's (or the app's) SIGTERM stops between steps with a checkpoint, exit 130."""
    import signal
    import subprocess
    import sys

    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sketchstudio.training", "warp", "--data", str(synth_root), "--stage",
         "estimator", "--steps", "100000", "--log-every", "1", "-o", str(run), "--progress-json",
         "--no-perceptual", *TINY],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("{") and json.loads(line)["event"] == "progress":
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert proc.wait(timeout=120) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    error = [e for e in _events(rest) if e["event"] == "error"][-1]
    checkpoint = Path(error["checkpoint"])
    assert checkpoint.is_file() and read_safetensors_metadata(checkpoint)["step"] == error["step"] >= 1
