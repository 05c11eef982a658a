"""A GTK 3 text field for the IBus tests, run by the SYSTEM's python3 (python3-gi) with
GTK_IM_MODULE=ibus: prints {"text", "focus", "active"} as a JSON line at each change; stdin
commands "state" and "quit" (the end of stdin quits too)."""

import json
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk


def main() -> int:
    window = Gtk.Window(title="ibus field")
    entry = Gtk.Entry()
    window.add(entry)
    window.set_default_size(300, 40)
    window.move(20, 20)

    def report(*_args: object) -> bool:
        state = {"text": entry.get_text(), "focus": entry.has_focus(), "active": window.is_active()}
        print(json.dumps(state, ensure_ascii=False), flush=True)
        return False

    def command(source: object, _cond: object) -> bool:
        line = sys.stdin.readline()
        if not line or line.strip() == "quit":
            Gtk.main_quit()
            return False
        if line.strip() == "state":
            report()
        return True

    entry.connect("changed", report)
    window.connect("notify::is-active", report)
    window.connect("destroy", Gtk.main_quit)
    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, command)
    window.show_all()
    window.present()
    entry.grab_focus()
    GLib.timeout_add(300, report)
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
