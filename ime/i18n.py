"""Interface strings in Chinese (simplified) and English: ``tr(key, lang)``; the system's
language (``resolve_language``) and Qt's own translations (``install_qt_translator``)."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

#: key -> (Chinese, English)
STRINGS: dict[str, tuple[str, str]] = {
    "app_name": ("写字", "Xiezi"),
    "undo": ("撤销", "Undo"),
    "clear": ("清除", "Clear"),
    "settings": ("设置", "Settings"),
    "space": ("空格", "Space"),
    "backspace": ("退格", "Backspace"),
    "enter": ("回车", "Enter"),
    "show_hide": ("显示/隐藏", "Show/Hide"),
    "quit": ("退出", "Quit"),
    "loading_model": ("正在加载识别模型…", "Loading the recognition model…"),
    "model_failed": (
        "无法加载识别模型：{reason}\n可用 --model 指定模型文件，或重新安装写字。",
        (
            "Cannot load the recognition model: {reason}\n"
            "Pass a model file with --model PATH, or reinstall Xiezi."
        ),
    ),
    "recognize_failed": ("识别失败：{reason}", "Recognition failed: {reason}"),
    "insert_failed": (
        "无法输入“{text}”（{mode}）：已放到剪贴板，可用 Ctrl+V 粘贴；也可在设置中换一种输入方式。",
        (
            "Could not type “{text}” ({mode}): it is on the clipboard, paste it with Ctrl+V, or "
            "choose another insertion mode in Settings."
        ),
    ),
    "key_failed": (
        "无法发送按键（{mode}）。请在设置中换一种输入方式。",
        "Could not send the key ({mode}). Choose another insertion mode in Settings.",
    ),
    "on_clipboard": (
        "“{text}”已放到剪贴板，请用 Ctrl+V 粘贴。",
        "“{text}” is on the clipboard: paste it with Ctrl+V.",
    ),
    "clipboard_notice": (
        "文字会放到剪贴板上，请用 Ctrl+V 粘贴。",
        "The text goes to the clipboard: paste it with Ctrl+V.",
    ),
    "wayland_notice": (
        (
            "此 Wayland 桌面不允许程序向其他窗口输入（wlroots 桌面如 Sway 可安装 wtype）："
            "文字会放到剪贴板上，请用 Ctrl+V 粘贴。"
        ),
        (
            "This Wayland desktop lets no program type into other windows (install wtype on "
            "wlroots compositors such as Sway): the text goes to the clipboard, paste it with "
            "Ctrl+V."
        ),
    ),
    "settings_bad": (
        "设置文件有误，以下项已改用默认值：{what}。原文件已另存为 {bak}。",
        (
            "The settings file had bad values; using the defaults for: {what}. "
            "The original is kept as {bak}."
        ),
    ),
    # Issue 22: what happened to the settings file, said as it happened.
    # Issue 23: no Python error text in a notice (it is English); the log has the detail.
    "settings_corrupt": (
        "设置文件 {path} 已损坏，现使用默认设置。原文件已移至 {bak}。",
        (
            "The settings file {path} is corrupt; using the default settings. "
            "The file was moved to {bak}."
        ),
    ),
    "settings_not_kept": (
        (
            "设置文件 {path} 有误（{what}），这些项现使用默认值。无法保留原文件的副本，"
            "因此它保持原样，写字不会覆盖它。"
        ),
        (
            "The settings file {path} has problems ({what}); using the defaults for them. Keeping "
            "a copy of it failed, so it is left as it is and Xiezi will not save over it."
        ),
    ),
    "settings_unreadable": (
        "无法读取设置文件 {path}，现使用默认设置。该文件保持原样，写字不会覆盖它。",
        (
            "Cannot read the settings file {path}; using the default settings. The file "
            "is left as it is and Xiezi will not save over it."
        ),
    ),
    "settings_not_file": (
        (
            "设置路径 {path} 是{kind}，不是普通文件：现使用默认设置，写字不会读取、移动或写入它。"
            "可用 --settings 指定另一个文件。"
        ),
        (
            "The settings path {path} is {kind}, not a regular file: using the default settings; "
            "Xiezi will not read, move or write it. Choose another file with --settings."
        ),
    ),
    "settings_not_saved": ("设置未保存。{why}", "Settings not saved. {why}"),
    "settings_save_failed": (
        "设置未保存：无法写入 {path}。",
        "Settings not saved: cannot write {path}.",
    ),
    "what_everything": ("全部设置", "all settings"),
    "what_corrupt": ("文件已损坏", "the file is corrupt"),
    "what_auto_commit_ms": ("固定停顿时长", "the fixed pause"),
    "what_geometry": ("窗口位置", "the window place"),
    "what_pauses_ms": ("学到的停顿", "the learned pauses"),
    "file_kind_folder": ("文件夹", "a folder"),
    "file_kind_fifo": ("命名管道（FIFO）", "a named pipe (FIFO)"),
    "file_kind_char_device": ("字符设备", "a character device"),
    "file_kind_block_device": ("块设备", "a block device"),
    "file_kind_socket": ("套接字", "a socket"),
    "file_kind_other": ("特殊文件", "a special file"),
    # Start-up checks (ime/preflight.py; issue 23: in the user's language).
    "no_display": (
        (
            "写字需要图形桌面：DISPLAY（X11）和 WAYLAND_DISPLAY（Wayland）都没有设置。请在桌面会话"
            "中启动它（桌面的终端或菜单），或指向一个正在运行的 X 服务器，例如 DISPLAY=:0 xiezi。"
        ),
        (
            "xiezi needs a graphical desktop: neither DISPLAY (X11) nor WAYLAND_DISPLAY (Wayland) "
            "is set. Start it from a desktop session (a terminal or the menu of your desktop), or "
            "point it at a running X server, e.g. DISPLAY=:0 xiezi."
        ),
    ),
    "xcb_missing": (
        "写字无法打开窗口：Qt 的 X11 支持需要尚未安装的系统库（{libs}）。请安装后再启动写字：",
        (
            "xiezi cannot open its window: Qt's X11 support needs system libraries that are not "
            "installed ({libs}). Install them, then start xiezi again:"
        ),
    ),
    "no_font": (
        "写字找不到含中文字符的字体：每个候选字都会显示成空方框。请安装一种字体，再启动写字：",
        (
            "xiezi found no font with Chinese characters: every candidate would be an empty box. "
            "Install one, then start xiezi again:"
        ),
    ),
    "font_or": ("或 {command}（5 MB）", "or {command} (5 MB)"),
    "font_other_os": (
        "（Windows 和 macOS 自带中文字体。）",
        "(Windows and macOS ship Chinese fonts.)",
    ),
    "start_failed_title": ("写字无法启动", "Xiezi cannot start"),
    # xiezi --help (ime/app.py)
    "cli_description": (
        "离线中文手写输入：一块手写板，把字输入到有焦点的窗口。",
        ("Offline Chinese handwriting input: a writing pad that types into the focused window."),
    ),
    "cli_epilog": (
        (
            "在手写板上写一个字；点击候选字把它输入到你正在写的程序里，或者停一下，最好的候选字会\n"
            "自动输入（停顿多长从你的书写中学习，见设置）。手写板下方的按钮提供标点、空格、退格和\n"
            "回车；右键点击手写板或按“撤销”收回一笔。手写板不接收按键：键盘一直属于你的程序。\n\n"
            "设置：用户配置文件夹中的 settings.json（Linux 上为 ~/.config/xiezi）。\n"
        ),
        (
            "Write a character on the pad; click a candidate to type it into the application you "
            "are\nwriting in, or pause and the best candidate is typed for you (the pause is "
            "learned from\nyour writing; see Settings). The buttons under the pad give "
            "punctuation, space, backspace\nand enter; right-click the pad or press Undo to take "
            "back a stroke. The pad takes no keys:\nthe keyboard stays with your application.\n\n"
            "Settings: settings.json in the user config folder (~/.config/xiezi on Linux).\n"
        ),
    ),
    "already_running": (
        "写字已在运行：已把它的手写板带到前面。",
        "Xiezi is already running: its pad was brought to the front.",
    ),
    "cli_usage": ("用法：", "usage: "),
    "cli_options": ("选项", "options"),
    "cli_help": ("显示此帮助并退出", "show this help message and exit"),
    "cli_model": (
        "模型包（.xiezi）；默认为自带的模型",
        "model package (.xiezi); default: the bundled one",
    ),
    "cli_settings": (
        "设置文件（默认为用户配置文件夹中的 settings.json）；指定时笔迹记忆也保存在它旁边",
        (
            "settings file (default: settings.json in the user config folder); one given here "
            "keeps the memory of your handwriting beside it"
        ),
    ),
    "cli_insert": ("文字的输入方式（优先于设置）", "how text is typed (overrides the settings)"),
    "cli_verbose": ("记录更多日志", "log more"),
    "cli_no_tray": ("不显示托盘图标", "no tray icon"),
    "cli_install_ibus": (
        "为当前用户把写字注册为 IBus 输入法，然后退出",
        "register Xiezi with IBus for this user, then exit",
    ),
    "cli_uninstall_ibus": (
        "删除 --install-ibus 写入的文件，然后退出",
        "remove what --install-ibus wrote, then exit",
    ),
    "cli_system": (
        "与 --install-ibus/--uninstall-ibus 一起用：为所有用户（需要 root）",
        "with --install-ibus/--uninstall-ibus: for all users (root)",
    ),
    "cli_error": (
        "{prog}：错误：{message}\n（xiezi --help 显示用法）",
        "{prog}: error: {message}\n(xiezi --help shows the usage)",
    ),
    "settings_title": ("写字设置", "Xiezi settings"),
    "insert_mode": ("输入方式", "Insertion mode"),
    "insert_chain": ("自动时依次尝试", "Auto tries, in order"),
    "auto_commit": ("停顿后自动上屏", "Auto-commit after a pause"),
    "auto_commit_learn": ("按我的停顿习惯（自动学习）", "Learned from my pauses"),
    "auto_commit_fixed": ("固定停顿时长", "After a fixed pause"),
    "auto_commit_off": ("关闭", "Off"),
    "auto_commit_ms": ("固定停顿", "Fixed pause"),
    "ms": (" 毫秒", " ms"),
    "pad_size": ("书写区大小", "Pad size"),
    "px": (" 像素", " px"),
    "ink_colour": ("笔迹颜色", "Ink colour"),
    "language": ("界面语言", "Language"),
    "lang_auto": ("跟随系统", "System language"),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
    "ok": ("确定", "OK"),
    "cancel": ("取消", "Cancel"),
    "mode_auto": ("自动", "Automatic"),
    "mode_x11": ("X11 按键模拟（XTest）", "X11 key events (XTest)"),
    "mode_x11-paste": ("X11 粘贴（剪贴板 + Ctrl+V）", "X11 paste (clipboard + Ctrl+V)"),
    "mode_windows": ("Windows 按键模拟（SendInput）", "Windows key events (SendInput)"),
    "mode_macos": ("macOS 按键模拟（CGEvent）", "macOS key events (CGEvent)"),
    "mode_wayland": ("Wayland 按键模拟（wtype）", "Wayland key events (wtype)"),
    "mode_clipboard": ("剪贴板", "Clipboard"),
    "chain_then_clipboard": ("{first} → 剪贴板（失败时）", "{first} → clipboard (on failure)"),
    "chain_unavailable": ("{label}（不可用：{why}）", "{label} (unavailable: {why})"),
    "chain_clipboard_only": ("仅剪贴板（用 Ctrl+V 粘贴）", "clipboard only (paste with Ctrl+V)"),
    # Issue 28: the user's memory of corrections (ime/memory_store.py).
    "learn_handwriting": ("学习我的笔迹", "Learn my handwriting"),
    "memory_knows": ("已记住 {n} 个字的写法", "Knows how you write {n} characters"),
    "memory_off": ("已关闭：不学习、不读取、不保存", "Off: nothing is learned, read or saved"),
    "memory_waiting": ("识别模型加载后读取", "Read once the recognition model has loaded"),
    "memory_no_embedding": (
        "此识别模型不能学习笔迹（它没有比较笔迹用的 embedding 输出）：请用新版写字导出的模型。",
        (
            "This recognition model cannot learn handwriting (it has no embedding output to "
            "compare inks by): use a model exported by a newer Xiezi."
        ),
    ),
    "memory_no_model": (
        "识别模型未加载，无法学习笔迹",
        "No recognition model loaded: nothing to learn with",
    ),
    "memory_failed": (
        "无法读取笔迹记忆文件（详情见日志）",
        "The memory file could not be read (the log says why)",
    ),
    "memory_where": ("保存在本机：{path}", "Kept on this computer only: {path}"),
    "forget_all": ("全部忘记…", "Forget everything…"),
    "forget_title": ("忘记我的笔迹", "Forget my handwriting"),
    "forget_confirm": (
        "删除写字学到的你的全部笔迹和常用字词？此操作无法撤销。",
        "Delete everything Xiezi learned of your handwriting and words? This cannot be undone.",
    ),
    "memory_damaged": (
        "笔迹记忆文件 {path} 已损坏：已另存为 {aside}，记忆重新开始。",
        (
            "The memory of your handwriting {path} was damaged: it is kept as {aside}, and a "
            "new one started."
        ),
    ),
    "memory_restarted": (
        (
            "识别模型已更换，记住的笔迹无法重新读取：笔迹记忆重新开始（旧的另存为 {aside}），"
            "常用字词保留。"
        ),
        (
            "The recognition model changed and the remembered inks could not be re-read: the "
            "memory of your handwriting starts over (the old one is kept as {aside}); your words "
            "are kept."
        ),
    ),
    "memory_reread": (
        "识别模型已更换：已用新模型重新读取记住的 {n} 个笔迹。",
        "The recognition model changed: {n} remembered inks were re-read with the new model.",
    ),
    "memory_unreadable": (
        "无法读取笔迹记忆文件 {path}（详情见日志）：记忆重新开始。",
        (
            "The memory of your handwriting {path} could not be read (the log says why): a new "
            "one started."
        ),
    ),
    "memory_save_failed": (
        "学到的笔迹未保存：无法写入 {path}。",
        "What Xiezi learned of your handwriting is not saved: cannot write {path}.",
    ),
}


def tr(key: str, lang: str = "zh", **kwargs: object) -> str:
    """The string ``key`` in ``lang`` ("zh" or "en"), formatted with kwargs.

    An unknown language falls back to English; an unknown key returns the key itself, so a
    missing string shows up on screen instead of crashing.
    """
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "zh" else pair[1]
    return text.format(**kwargs) if kwargs else text


def resolve_language(choice: str) -> str:
    """ "zh" or "en" for a settings value: "auto" follows the system locale (Chinese of any
    region gives "zh"; anything else "en")."""
    if choice in LANGUAGES:
        return choice
    from ime.qt import QLocale

    return "zh" if QLocale.system().language() == QLocale.Language.Chinese else "en"


_translators: list[object] = []


def install_qt_translator(lang: str) -> bool:
    """Qt's own texts (standard buttons, the colour dialog) in ``lang``: loads qtbase_zh_CN
    from Qt's translations for "zh", removes it for "en". True when Qt's texts are in lang."""
    from ime.qt import QCoreApplication, QLibraryInfo, QTranslator

    app = QCoreApplication.instance()
    if app is None:
        return False
    while _translators:
        app.removeTranslator(_translators.pop())  # type: ignore[arg-type]
    if lang != "zh":
        return True
    t = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not t.load("qtbase_zh_CN", folder):
        return False
    app.installTranslator(t)
    _translators.append(t)
    return True
