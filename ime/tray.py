"""The tray icon: show/hide the pad and quit."""

from __future__ import annotations

from collections.abc import Callable

from ime.i18n import tr
from ime.qt import QColor, QFont, QIcon, QMenu, QObject, QPainter, QPixmap, QSystemTrayIcon, Qt


def app_icon() -> QIcon:
    """A drawn icon (写 on a red square), so no image file has to ship."""
    pm = QPixmap(64, 64)
    pm.fill(QColor(200, 40, 40))
    p = QPainter(pm)
    p.setPen(QColor("white"))
    f = QFont()
    f.setPixelSize(48)
    p.setFont(f)
    p.drawText(pm.rect(), int(Qt.AlignmentFlag.AlignCenter), "写")
    p.end()
    return QIcon(pm)


def make_tray(
    toggle: Callable[[], None],
    quit_app: Callable[[], None],
    language: str,
    parent: QObject | None = None,
) -> QSystemTrayIcon | None:
    """A tray icon whose menu shows/hides the pad and quits; None where the desktop has no
    tray (the window then quits when closed)."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = QSystemTrayIcon(app_icon(), parent)
    menu = QMenu()
    show = menu.addAction(tr("show_hide", language))
    show.triggered.connect(toggle)
    show.setData("show_hide")
    menu.addSeparator()
    quit_action = menu.addAction(tr("quit", language))
    quit_action.triggered.connect(quit_app)
    quit_action.setData("quit")
    tray.setContextMenu(menu)
    tray.setToolTip(tr("app_name", language))
    tray.activated.connect(
        lambda reason: toggle() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
    )
    tray._menu = menu  # type: ignore[attr-defined]  # keep the menu alive with the icon
    tray.show()
    return tray


def retranslate_tray(tray: QSystemTrayIcon, language: str) -> None:
    """The tray's tooltip and menu in ``language``."""
    tray.setToolTip(tr("app_name", language))
    menu = tray.contextMenu()
    if menu is not None:
        for action in menu.actions():
            if action.data():
                action.setText(tr(str(action.data()), language))
