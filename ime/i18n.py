"""Interface strings in Chinese and English: ``tr(key, lang)``."""

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
        "无法输入文字（{mode}）。请在设置中换一种输入方式。",
        "Could not type the text ({mode}). Choose another insertion mode in Settings.",
    ),
    "settings_title": ("写字设置", "Xiezi settings"),
    "insert_mode": ("输入方式", "Insertion mode"),
    "insert_chain": ("自动时依次尝试", "Auto tries, in order"),
    "auto_commit": ("停顿后自动上屏", "Auto-commit after pause"),
    "auto_commit_off": ("关闭", "Off"),
    "ms": (" 毫秒", " ms"),
    "pad_size": ("书写区大小", "Pad size"),
    "px": (" 像素", " px"),
    "ink_colour": ("笔迹颜色", "Ink colour"),
    "language": ("界面语言", "Language"),
    "lang_zh": ("中文", "Chinese"),
    "lang_en": ("英文", "English"),
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
