"""FakeDisplay: an X server's keymap, input focus and XTest input in memory, for the tests."""

from __future__ import annotations

from ime.insert.x11 import XK_BackSpace, XK_Control_L, XK_Insert, XK_Return, XK_Shift_L

#: The root window's id; a focus on it (or on None, PointerRoot) means no application has it.
ROOT_WINDOW = 0x2A5
WIDTH = 4  # keysyms per keycode, as XGetKeyboardMapping reports it (Xvfb says 7)
LAYOUT = {
    10: [ord("1"), ord("!")],
    22: [XK_BackSpace],
    36: [XK_Return],
    37: [XK_Control_L],
    38: [ord("a"), ord("A")],
    50: [XK_Shift_L],
    55: [ord("v"), ord("V")],
    65: [ord(" ")],
    118: [XK_Insert],
}


class FakeDisplay:
    """An X server's keymap and XTest input, in memory.

    ``typed`` holds, for every key press, the keysym the keymap gave it at that moment (level
    2 while Shift is down), which is what a client reading the keymap in time would see.
    """

    def __init__(self, lo: int = 8, hi: int = 255, spare: set[int] | None = None) -> None:
        self.lo, self.hi = lo, hi
        self.rows = {kc: (LAYOUT.get(kc, []) + [0] * WIDTH)[:WIDTH] for kc in range(lo, hi + 1)}
        if spare is not None:  # fill every keycode but these
            for kc in range(lo, hi + 1):
                if kc not in LAYOUT and kc not in spare:
                    self.rows[kc] = [0x1000 + kc] + [0] * (WIDTH - 1)
        self.original = {kc: list(r) for kc, r in self.rows.items()}
        self.events: list[tuple[int, bool]] = []
        self.changes: list[tuple[int, list[int]]] = []
        self.typed: list[int] = []
        self.down: set[int] = set()
        self.syncs = 0
        self.closed = False
        # An application window; 0 (None), 1 (PointerRoot) or ROOT_WINDOW: no application.
        self.focus = 0x400001
        # The window tree (issue 23): parent of each window (default: the root), list
        # properties by (window, name), override-redirect windows, interned atoms.
        self.parents: dict[int, int] = {}
        self.properties: dict[tuple[int, str], list[int]] = {}
        self.override: set[int] = set()
        self.atoms: dict[str, int] = {}

    def keycode_range(self) -> tuple[int, int]:
        return self.lo, self.hi

    def get_mapping(self, first: int, count: int) -> list[list[int]]:
        return [list(self.rows[kc]) for kc in range(first, first + count)]

    def change_mapping(self, keycode: int, row: list[int]) -> None:
        assert len(row) == WIDTH
        self.rows[keycode] = list(row)
        self.changes.append((keycode, list(row)))

    def keysym_to_keycode(self, keysym: int) -> int:
        return next((kc for kc, row in self.rows.items() if keysym in row[:2]), 0)

    def fake_key(self, keycode: int, press: bool) -> None:
        self.events.append((keycode, press))
        if press:
            self.down.add(keycode)
            shifted = any(self.rows[k][0] == XK_Shift_L for k in self.down if k != keycode)
            row = self.rows[keycode]
            self.typed.append(row[1] if shifted and row[1] else row[0])
        else:
            self.down.discard(keycode)

    def flush(self) -> None:
        pass

    def sync(self) -> None:
        self.syncs += 1

    def close(self) -> None:
        self.closed = True

    def input_focus(self) -> int:
        return self.focus

    def root_window(self) -> int:
        return ROOT_WINDOW

    def atom(self, name: str) -> int:
        return self.atoms.setdefault(name, 0x100 + len(self.atoms))

    def window_property(self, window: int, name: str) -> list[int] | None:
        value = self.properties.get((window, name))
        return None if value is None else list(value)

    def parent(self, window: int) -> int:
        return 0 if window == ROOT_WINDOW else self.parents.get(window, ROOT_WINDOW)

    def override_redirect(self, window: int) -> bool:
        return window in self.override

    @property
    def text(self) -> str:
        """The typed keysyms as text (Unicode keysyms decoded; others by a name)."""
        names = {XK_BackSpace: "⌫", XK_Return: "\n", XK_Shift_L: "", XK_Control_L: "^"}
        out = []
        for ks in self.typed:
            if ks in names:
                out.append(names[ks])
            elif ks >= 0x01000000:
                out.append(chr(ks - 0x01000000))
            else:
                out.append(chr(ks) if ks < 0x100 else f"<{ks:#x}>")
        return "".join(out)
