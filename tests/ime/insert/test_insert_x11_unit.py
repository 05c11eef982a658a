"""X11Inserter against a faked X display: keysyms, spare-keycode remapping and its restore."""

from __future__ import annotations

from collections.abc import Callable

from ime.insert import FallbackInserter, InsertConfig
from ime.insert.x11 import X11Inserter, XK_Control_L, keysym_for
from ime.insert.xlib import XlibError
from tests.support.fake_display import ROOT_WINDOW, FakeDisplay

NO_DELAY = InsertConfig(key_delay_s=0, restore_after_s=0)


class Later:
    """Records scheduled calls instead of running them."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, fn: Callable[[], None]) -> None:
        self.calls.append((delay, fn))

    def run_all(self) -> None:
        calls, self.calls = self.calls, []
        for _, fn in calls:
            fn()


def make(dpy: FakeDisplay, later: Later | None = None, config: InsertConfig = NO_DELAY):
    return X11Inserter(config, display=":9", schedule=later or Later(), open_display=lambda _: dpy)


def test_keysyms_of_latin1_unicode_and_control_characters() -> None:
    assert keysym_for("a") == 0x61
    assert keysym_for("é") == 0xE9
    assert keysym_for("中") == 0x01004E2D
    assert keysym_for("，") == 0x0100FF0C
    assert keysym_for("𠀀") == 0x01020000
    assert keysym_for("\n") == 0xFF0D
    assert keysym_for("\x07") == 0


def test_chinese_is_typed_through_remapped_spare_keycodes(fake_display: FakeDisplay) -> None:
    later = Later()
    ins = make(fake_display, later, InsertConfig(key_delay_s=0, restore_after_s=0.25))
    assert ins.insert("中文，你好")
    assert fake_display.text == "中文，你好"
    remapped = ins.remapped
    assert sorted(remapped.values()) == sorted(keysym_for(c) for c in "中文，你好")
    assert all(fake_display.original[kc] == [0, 0, 0, 0] for kc in remapped)
    # The restore waits restore_after_s, then gives the spare keycodes their empty rows back.
    assert [d for d, _ in later.calls] == [0.25]
    later.run_all()
    assert ins.remapped == {}
    assert fake_display.rows == fake_display.original


def test_keymap_characters_use_their_keys_with_shift_and_no_remap(fake_display) -> None:
    ins = make(fake_display)
    assert ins.insert("aA1! a")
    assert fake_display.text == "aA1! a"
    assert fake_display.changes == []
    assert (50, True) in fake_display.events  # Shift for "A" and "!"


def test_repeated_characters_share_one_keycode(fake_display: FakeDisplay) -> None:
    ins = make(fake_display)
    assert ins.insert("好好好")
    assert ins.insert("好")
    assert fake_display.text == "好好好好"
    assert len(fake_display.changes) == 1


def test_more_distinct_characters_than_spare_keycodes() -> None:
    dpy = FakeDisplay(spare={200, 201})
    ins = make(dpy)
    text = "一二三四五六七"
    assert ins.insert(text)
    assert dpy.text == text
    assert set(ins.remapped) <= {200, 201}


def test_a_newer_insertion_postpones_the_restore(fake_display: FakeDisplay) -> None:
    later = Later()
    ins = make(fake_display, later)
    assert ins.insert("中")
    first_restore = later.calls[0][1]
    assert ins.insert("文")
    first_restore()  # stale: the keysyms may still be read by the application
    assert len(ins.remapped) == 2
    later.calls[1][1]()
    assert ins.remapped == {}


def test_keys_of_the_pad_row(fake_display: FakeDisplay) -> None:
    ins = make(fake_display)
    assert ins.key("BackSpace") and ins.key("Return") and ins.key("space")
    assert [kc for kc, down in fake_display.events if down] == [22, 36, 65]
    assert not ins.key("Escape")  # type: ignore[arg-type]


def test_paste_combination_presses_and_releases_in_order(fake_display: FakeDisplay) -> None:
    ins = make(fake_display)
    assert ins.press_combo([XK_Control_L, ord("v")])
    assert fake_display.events == [(37, True), (55, True), (55, False), (37, False)]


def test_no_display_returns_false_and_never_raises() -> None:
    def broken(_: str | None) -> FakeDisplay:
        raise XlibError("cannot open X display :9")

    ins = X11Inserter(NO_DELAY, display=":9", schedule=Later(), open_display=broken)
    assert ins.insert("中") is False
    assert ins.key("space") is False
    # A bad text is refused at the chain's entry; the back end trusts what it gets.
    assert FallbackInserter(ins).insert(42) is False  # type: ignore[arg-type]


def test_close_restores_and_closes(fake_display: FakeDisplay) -> None:
    ins = make(fake_display)
    ins.insert("中\x07")
    assert fake_display.text == "中"
    ins.close()
    assert fake_display.rows == fake_display.original and fake_display.closed


def test_paste_mode_sets_pastes_and_restores_the_clipboard(fake_display: FakeDisplay) -> None:
    from ime.insert import MemoryClipboard
    from ime.insert.x11_paste import X11PasteInserter

    later = Later()
    clip = MemoryClipboard(text="before")
    paste = X11PasteInserter(make(fake_display), clip, NO_DELAY, schedule=later)
    assert paste.insert("中文，你好")
    assert clip.text == "中文，你好"
    assert fake_display.events == [(37, True), (55, True), (55, False), (37, False)]
    later.run_all()
    assert clip.text == "before"
    shift_insert = InsertConfig(key_delay_s=0, restore_after_s=0, paste_keys="shift+insert")
    term = X11PasteInserter(make(fake_display), clip, shift_insert, schedule=later)
    assert term.insert("好") and fake_display.events[-4:] == [
        (50, True),
        (118, True),
        (118, False),
        (50, False),
    ]
    clip.text = "copied by the user meanwhile"
    later.run_all()
    assert clip.text == "copied by the user meanwhile"


def test_key_delay_falls_between_keys_only(fake_display: FakeDisplay, monkeypatch) -> None:
    from ime.insert import x11

    slept: list[float] = []
    monkeypatch.setattr(x11.time, "sleep", slept.append)
    ins = make(fake_display, config=InsertConfig(key_delay_s=0.008, restore_after_s=0))
    assert ins.insert("中文，你好")
    assert slept == [0.008] * 4


def test_keys_taken_by_a_new_layout_are_left_alone(fake_display: FakeDisplay) -> None:
    later = Later()
    ins = make(fake_display, later)
    assert ins.insert("中")
    (kc,) = ins.remapped
    fake_display.rows[kc] = [0x6C1, 0x6E1, 0, 0]  # e.g. setxkbmap ru put Cyrillic there
    later.run_all()
    assert fake_display.rows[kc] == [0x6C1, 0x6E1, 0, 0]
    assert ins.insert("文") and fake_display.text == "中文"
    assert kc not in ins.remapped


def test_no_focused_window_types_nothing_so_the_chain_uses_the_clipboard() -> None:
    """After the focus fell to the root window (issue 15) keys would go nowhere, or under
    PointerRoot to the window below the pointer: the pad itself."""
    from ime.insert import ClipboardInserter, MemoryClipboard

    for focus in (0, 1, ROOT_WINDOW):
        dpy = FakeDisplay()
        dpy.focus = focus
        clip = MemoryClipboard()
        chain = FallbackInserter(make(dpy), ClipboardInserter(clip))
        assert chain.insert("中") is False
        assert dpy.events == [] and clip.text == "中"
        assert make(dpy).press_combo([XK_Control_L]) is False and dpy.events == []


def test_the_focus_keeper_gives_the_focus_back() -> None:
    from ime.insert.focus import FocusKeeper

    class Dpy(FakeDisplay):
        def set_input_focus(self, window: int) -> None:
            self.focus = window

    dpy = Dpy()
    keeper = FocusKeeper({"DISPLAY": ":9"}, open_display=lambda _: dpy)
    assert keeper.remember() == 0x400001
    dpy.focus = ROOT_WINDOW  # the dialog closed; the focus reverted to its parent
    assert keeper.restore() and dpy.focus == 0x400001
    dpy.focus = ROOT_WINDOW
    assert keeper.remember() is None and not keeper.restore()  # nothing to give back
    assert (
        FocusKeeper(
            {"DISPLAY": ":9", "WAYLAND_DISPLAY": "w"}, open_display=lambda _: dpy
        ).remember()
        is None
    )


def test_the_focus_keeper_tells_which_window_is_written_into() -> None:
    """focused() names the application window with the focus (the pad forgets the text typed
    before when it changes, issue 24); a display that cannot be opened is not asked again."""
    from ime.insert.focus import FocusKeeper
    from ime.insert.xlib import XlibError

    dpy = FakeDisplay()
    keeper = FocusKeeper({"DISPLAY": ":9"}, open_display=lambda _: dpy)
    assert keeper.focused() == 0x400001 and keeper.window is None  # remembers nothing
    dpy.focus = 0x500002
    assert keeper.focused() == 0x500002
    dpy.focus = ROOT_WINDOW
    assert keeper.focused() is None
    opened: list[str | None] = []

    def refuse(name: str | None) -> FakeDisplay:
        opened.append(name)
        raise XlibError("cannot open X display :9")

    keeper = FocusKeeper({"DISPLAY": ":9"}, open_display=refuse)
    assert keeper.focused() is None and keeper.focused() is None and opened == [":9"]
    assert FocusKeeper({}).focused() is None


def test_a_window_that_is_no_application_counts_as_no_focus() -> None:
    """Issue 23: openbox focuses a window of its own when the desktop is clicked; keys sent
    there are lost. The window manager's windows, desktops, panels and override-redirect
    windows are "no focus": the text goes to the clipboard."""
    from ime.insert import ClipboardInserter, MemoryClipboard
    from ime.insert.x11_clients import focused_application

    app, frame, wm_own, desktop = 0x400001, 0x200010, 0x200001, 0x600001
    dpy = FakeDisplay()
    dpy.parents = {app: frame}  # a reparenting window manager: the client inside its frame
    dpy.properties[(ROOT_WINDOW, "_NET_CLIENT_LIST")] = [app, desktop]
    dpy.properties[(desktop, "_NET_WM_WINDOW_TYPE")] = [dpy.atom("_NET_WM_WINDOW_TYPE_DESKTOP")]
    cases = {app: app, 0x400005: app, frame: None, wm_own: None, desktop: None}
    dpy.parents[0x400005] = app  # a child window of the client (a toolkit's focus proxy)
    for focus, expected in cases.items():
        dpy.focus = focus
        assert focused_application(dpy) == (None if expected is None else focus), hex(focus)
        clip = MemoryClipboard()
        dpy.events.clear()
        assert FallbackInserter(make(dpy), ClipboardInserter(clip)).insert("中") is (
            expected is not None
        )
        assert (clip.text is None) is (expected is not None), hex(focus)
        assert bool(dpy.events) is (expected is not None), hex(focus)

    bare = FakeDisplay()  # no window manager: no client list; override-redirect is no client
    bare.override = {0x700001}
    bare.focus = 0x700001
    assert focused_application(bare) is None
    bare.focus = 0x400001
    assert focused_application(bare) == 0x400001
