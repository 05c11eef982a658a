"""The one module through which the pad imports Qt (PySide6); swap bindings here only."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QLibraryInfo,
    QLocale,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    QTranslator,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QMoveEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QPointingDevice,
    QPolygonF,
    QResizeEvent,
    QShortcut,
    QTabletEvent,
    QTouchEvent,
)
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QAction",
    "QApplication",
    "QCheckBox",
    "QCloseEvent",
    "QColor",
    "QColorDialog",
    "QComboBox",
    "QCoreApplication",
    "QDialog",
    "QDialogButtonBox",
    "QElapsedTimer",
    "QEvent",
    "QFont",
    "QFontDatabase",
    "QFontMetrics",
    "QFormLayout",
    "QGuiApplication",
    "QHBoxLayout",
    "QIcon",
    "QKeyEvent",
    "QKeySequence",
    "QLabel",
    "QLibraryInfo",
    "QLocalServer",
    "QLocalSocket",
    "QLocale",
    "QMenu",
    "QMessageBox",
    "QMouseEvent",
    "QMoveEvent",
    "QObject",
    "QPaintEvent",
    "QPainter",
    "QPainterPath",
    "QPen",
    "QPixmap",
    "QPoint",
    "QPointF",
    "QPointingDevice",
    "QPolygonF",
    "QPushButton",
    "QRect",
    "QRectF",
    "QResizeEvent",
    "QRunnable",
    "QShortcut",
    "QSize",
    "QSizePolicy",
    "QSpinBox",
    "QSystemTrayIcon",
    "QTabletEvent",
    "QThreadPool",
    "QTimer",
    "QToolButton",
    "QTouchEvent",
    "QTranslator",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "Signal",
    "Slot",
]


logger = logging.getLogger(__name__)


def _guard_singletons() -> bool:
    """Work around PySide6 6.12.0's reference leak on Python < 3.12; True when applied.

    Under 3.11, PySide6 6.12.0 drops one reference to ``None`` on every call that returns it
    (every void method: ``update()``, ``setPen()``, ``lineTo()``) and to ``True`` on every
    signal ``emit()``, as if they were immortal (they are from Python 3.12 on). After a few
    thousand calls the interpreter aborts with "none_dealloc: deallocating None". 6.11.3 does
    not leak. When a probe shows the leak, make the three singletons effectively immortal by
    raising their reference count, which is what Python 3.12 does for them.
    """
    if sys.version_info >= (3, 12):
        return False
    probe = QPointF()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setX(1.0)
    if sys.getrefcount(None) >= before:
        return False
    import ctypes

    for obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(obj)).value += 1 << 40  # ob_refcnt is the first field
    logger.info("PySide6 leaks references to None/True/False here; made them immortal")
    return True


SINGLETONS_GUARDED = _guard_singletons()
