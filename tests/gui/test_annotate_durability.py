"""A killed annotator loses nothing: every edit is committed when it is made."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sketchstudio.core.model import KeypointStatus
from sketchstudio.core.store import ProjectStore

N_EDITS = 7

CHILD = textwrap.dedent("""
    import sys, time
    from sketchstudio.core.model import Side
    from sketchstudio.core.store import ProjectStore
    from sketchstudio.inference.annotation import AnnotationController

    store = ProjectStore.open(sys.argv[1])
    ctl = AnnotationController(store)
    ctl.set_pair(store.pair_ids()[0])
    for k in range({n}):
        if k % 2 == 0:
            ctl.press(Side.PHOTO, (10.0 + 20 * k, 15.0))   # place: a pending keypoint
        else:
            ctl.accept()                                   # accept its suggestion
        print(k + 1, flush=True)
    time.sleep(60)  # killed here, with the project still open
""").format(n=N_EDITS)


def test_sigkill_after_edits_keeps_every_edit(tmp_path: Path) -> None:
    path = tmp_path / "kill.sketchstudio"
    with ProjectStore.create(path) as store:
        store.add_pair("a.jpg", "a.png")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(N_EDITS)]
        assert lines[-1] == str(N_EDITS)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with ProjectStore.open(path) as store:
        kps = store.keypoints(store.pair_ids()[0])
    # 7 edits = 3 keypoints placed and accepted, the 4th placed and still pending
    assert [kp.index for kp in kps] == [0, 1, 2, 3]
    assert [kp.status for kp in kps] == [KeypointStatus.CONFIRMED] * 3 + [KeypointStatus.PENDING]
    assert kps[3].photo == (130.0, 15.0) and kps[3].sketch is None
    assert all(kp.sketch == kp.photo for kp in kps[:3])  # identity suggestions, equal sizes
