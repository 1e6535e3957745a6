"""Every frequent action, its default shortcut, and the user's overrides from the settings.

Actions are declared once here (id, text, default keys, group); the main window and the views
ask the `ActionRegistry` for the QAction by id, so the cheat sheet, the settings file and the
menus can never disagree. Overrides live in `Settings.shortcuts` as `QKeySequence` portable text.

An action's `scope` says where its keys work: "" everywhere in the window; a view id ("draw",
"annotate") only while that view is shown, so the same key may mean different things in two
views (F fits the canvas in Draw and both images in Annotate) without being a conflict. Views
that want actions of their own (destroyed with them) ask `ActionRegistry.local_action`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from sketchstudio.gui.icons import icon
from sketchstudio.gui.settings import Settings


@dataclass(frozen=True, slots=True)
class ActionSpec:
    id: str
    text: str
    keys: tuple[str, ...] = ()
    group: str = "General"
    icon: str = ""
    tip: str = ""
    scope: str = ""  # "" = the whole window; a view id = only while that view is shown


ACTION_SPECS: tuple[ActionSpec, ...] = (
    # project
    ActionSpec("project.new", "&New Project…", ("Ctrl+N",), "Project", "new"),
    ActionSpec("project.open", "&Open Project…", ("Ctrl+O",), "Project", "open"),
    ActionSpec("project.demo", "Open &Demo Project", (), "Project", "demo"),
    ActionSpec("project.import", "&Import…", ("Ctrl+I",), "Project", "import"),
    ActionSpec("project.export", "&Export…", ("Ctrl+E",), "Project", "export"),
    ActionSpec("project.close", "&Close Project", ("Ctrl+W",), "Project"),
    ActionSpec("app.quit", "&Quit", ("Ctrl+Q",), "Project"),
    # edit
    ActionSpec("edit.undo", "&Undo", ("Ctrl+Z",), "Edit", "undo"),
    ActionSpec("edit.redo", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Edit", "redo"),
    ActionSpec("edit.shortcuts", "&Keyboard Shortcuts…", ("?",), "Help", "keyboard"),
    ActionSpec("edit.preferences", "&Preferences…", ("Ctrl+,",), "Edit", "",
               "Models, device and keyboard shortcuts"),
    # views
    ActionSpec("view.draw", "&Draw", ("Ctrl+1",), "Views", "draw", "Draw a sketch of the photo"),
    ActionSpec("view.annotate", "&Annotate", ("Ctrl+2",), "Views", "annotate",
               "Place photo–sketch keypoint correspondences"),
    ActionSpec("view.render", "&Render", ("Ctrl+3",), "Views", "render", "Render an image from the sketch"),
    ActionSpec("view.browser", "Pair &Browser", ("Ctrl+B",), "Views"),
    # pairs
    ActionSpec("pair.next", "&Next Pair", ("PgDown", "Alt+Right"), "Pairs", "next"),
    ActionSpec("pair.prev", "&Previous Pair", ("PgUp", "Alt+Left"), "Pairs", "prev"),
    ActionSpec("pair.next_unfinished", "Next &Unfinished Pair", ("Ctrl+PgDown",), "Pairs"),
    ActionSpec("pair.search", "&Find Pair…", ("Ctrl+F",), "Pairs", "search"),
    ActionSpec("pair.status.todo", "Mark To Do", ("Ctrl+Alt+0",), "Pairs"),
    ActionSpec("pair.status.in_progress", "Mark In Progress", ("Ctrl+Alt+1",), "Pairs"),
    ActionSpec("pair.status.done", "Mark Done", ("Ctrl+Alt+2",), "Pairs"),
    ActionSpec("pair.status.skipped", "Mark Skipped", ("Ctrl+Alt+3",), "Pairs"),
    ActionSpec("pair.status.flagged", "Mark Flagged", ("Ctrl+Alt+4",), "Pairs"),
    # draw
    ActionSpec("draw.pen", "&Pen", ("B",), "Draw", "pen", "Pen (pressure from a tablet)", scope="draw"),
    ActionSpec("draw.eraser", "Pixel &Eraser", ("E",), "Draw", "eraser", "Erase pixels (an eraser stroke)",
               scope="draw"),
    ActionSpec("draw.stroke_eraser", "&Stroke Eraser", ("Shift+E",), "Draw", "stroke-eraser",
               "Remove whole strokes it touches", scope="draw"),
    ActionSpec("draw.smaller", "Smaller Brush", ("[",), "Draw", scope="draw"),
    ActionSpec("draw.bigger", "Bigger Brush", ("]",), "Draw", scope="draw"),
    ActionSpec("draw.colour", "Brush &Colour…", ("C",), "Draw", scope="draw"),
    ActionSpec("draw.clear", "C&lear Sketch", ("Ctrl+Shift+Backspace",), "Draw", "clear",
               "Remove every stroke (undoable)", scope="draw"),
    ActionSpec("draw.underlay", "Photo &Underlay", ("T",), "Draw", "underlay",
               "Show the photo under the sketch (trace mode)", scope="draw"),
    ActionSpec("draw.new_sketch", "&New Sketch for This Photo", ("Ctrl+Shift+N",), "Draw", "new-sketch",
               scope="draw"),
    ActionSpec("draw.export_png", "Export Sketch as &PNG…", ("Ctrl+Shift+P",), "Draw", scope="draw"),
    ActionSpec("draw.export_svg", "Export Sketch as &SVG…", ("Ctrl+Shift+S",), "Draw", scope="draw"),
    ActionSpec("zoom.in", "Zoom &In", ("Ctrl+=", "Ctrl++", "+"), "Zoom", "zoom-in", scope="draw"),
    ActionSpec("zoom.out", "Zoom &Out", ("Ctrl+-", "-"), "Zoom", "zoom-out", scope="draw"),
    ActionSpec("zoom.fit", "&Fit to Window", ("Ctrl+0", "F"), "Zoom", "fit", scope="draw"),
    ActionSpec("zoom.actual", "Actual &Size", ("1",), "Zoom", scope="draw"),
    # annotate (keys work while the Annotate view is shown)
    ActionSpec("annotate.accept", "&Accept Suggestion", ("Return", "Enter"), "Annotate", scope="annotate"),
    ActionSpec("annotate.delete", "&Delete Keypoint", ("Delete", "Backspace"), "Annotate", scope="annotate"),
    ActionSpec("annotate.toggle_visible", "Toggle Not &Visible (side under the mouse)", ("V",), "Annotate",
               scope="annotate"),
    ActionSpec("annotate.next_keypoint", "&Next Keypoint", ("Tab",), "Annotate", scope="annotate"),
    ActionSpec("annotate.prev_keypoint", "&Previous Keypoint", ("Shift+Tab",), "Annotate", scope="annotate"),
    ActionSpec("annotate.overlay", "Toggle Warp &Overlay", ("O",), "Annotate", scope="annotate"),
    ActionSpec("annotate.fit", "&Fit Images", ("F",), "Annotate", scope="annotate"),
    *(ActionSpec(f"annotate.select_{k}", f"Select Keypoint {k}", (str(k),), "Annotate", scope="annotate")
      for k in range(1, 10)),
    ActionSpec("annotate.retrain", "&Retrain Warp Model…", ("Ctrl+Shift+R",), "Annotate", "",
               "Fine-tune the warp model on this project's keypoints"),
)

FIXED_HINTS: tuple[tuple[str, str, str], ...] = (
    ("Canvas", "Pan", "Space + drag, or middle mouse button"),
    ("Canvas", "Zoom at the cursor", "Mouse wheel"),
    ("Canvas", "Cancel the stroke in progress", "Esc"),
    ("Pair browser", "Move through pairs", "↑ / ↓, Home / End"),
)


class ActionRegistry:
    """Creates each QAction once, with its shortcuts (user override or default)."""

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        self.settings = settings
        self.parent = parent
        self._specs = {spec.id: spec for spec in ACTION_SPECS}
        self._actions: dict[str, QAction] = {}
        self._local: dict[str, weakref.WeakSet[QAction]] = {}

    def specs(self) -> list[ActionSpec]:
        return list(self._specs.values())

    def spec(self, action_id: str) -> ActionSpec:
        return self._specs[action_id]

    def action(self, action_id: str, slot: Callable[..., object] | None = None, *,
               checkable: bool = False) -> QAction:
        """The QAction for `action_id`, created on first use; `slot` connects `triggered`."""
        action = self._actions.get(action_id)
        if action is None:
            spec = self._specs[action_id]
            action = QAction(spec.text, self.parent)
            action.setObjectName(action_id)
            if spec.icon:
                action.setIcon(icon(spec.icon))
            action.setCheckable(checkable)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self._actions[action_id] = action
            self._apply(action_id)
        if slot is not None:
            action.triggered.connect(slot)
        return action

    def local_action(self, action_id: str, parent: QObject, slot: Callable[..., object] | None = None, *,
                     context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut) -> QAction:
        """A new QAction for `action_id` owned by `parent` (a view): it dies with the view, so a
        reopened project never triggers a closed view's slots, and shortcut edits still reach it."""
        spec = self._specs[action_id]
        action = QAction(spec.text.replace("&", ""), parent)
        action.setObjectName(action_id)
        if spec.icon:
            action.setIcon(icon(spec.icon))
        action.setShortcutContext(context)
        if slot is not None:
            action.triggered.connect(lambda _=False: slot())
        self._local.setdefault(action_id, weakref.WeakSet()).add(action)
        self._apply_to(action, action_id)
        return action

    def keys(self, action_id: str) -> list[QKeySequence]:
        override = self.settings.shortcuts.get(action_id)
        texts = override if override is not None else list(self._specs[action_id].keys)
        return [QKeySequence.fromString(t, QKeySequence.SequenceFormat.PortableText) for t in texts if t]

    def set_keys(self, action_id: str, texts: list[str]) -> None:
        """Override the shortcuts of `action_id` (an empty list removes them) and remember it."""
        spec = self._specs[action_id]
        if tuple(texts) == spec.keys:
            self.settings.shortcuts.pop(action_id, None)
        else:
            self.settings.shortcuts[action_id] = list(texts)
        self._apply(action_id)

    def conflicts(self) -> dict[str, list[str]]:
        """Shortcut text -> action ids that share it where both can fire: two window-wide
        actions, a window-wide and a view action, or two actions of the same view."""
        seen: dict[str, list[str]] = {}
        for action_id in self._specs:
            for seq in self.keys(action_id):
                seen.setdefault(seq.toString(QKeySequence.SequenceFormat.PortableText), []).append(action_id)
        out = {}
        for text, ids in seen.items():
            clashing = [a for a in ids if any(b != a and self._overlap(a, b) for b in ids)]
            if clashing:
                out[text] = clashing
        return out

    def _overlap(self, a: str, b: str) -> bool:
        scope_a, scope_b = self._specs[a].scope, self._specs[b].scope
        return not scope_a or not scope_b or scope_a == scope_b

    def _apply(self, action_id: str) -> None:
        action = self._actions.get(action_id)
        if action is not None:
            self._apply_to(action, action_id)
        for local in list(self._local.get(action_id, ())):
            try:
                self._apply_to(local, action_id)
            except RuntimeError:  # its view is gone (C++ object deleted)
                self._local[action_id].discard(local)

    def _apply_to(self, action: QAction, action_id: str) -> None:
        keys = self.keys(action_id)
        action.setShortcuts(keys)
        spec = self._specs[action_id]
        tip = spec.tip or spec.text.replace("&", "").rstrip("…")
        if keys:
            tip += f"  ({keys[0].toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
