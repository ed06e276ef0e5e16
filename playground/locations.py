"""Every path the app reads or writes, in one place (XDG dirs through platformdirs).

Functions, not constants: the XDG variables are read at call time, so tests and users can
point the app elsewhere with ``XDG_CONFIG_HOME``, ``XDG_DATA_HOME`` and ``XDG_CACHE_HOME``.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_data_path

APP_NAME = "starcoder-play"
_PACKAGE_DIR = Path(__file__).resolve().parent


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    return user_cache_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"


def user_presets_dir() -> Path:
    return config_dir() / "presets"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def sessions_dir() -> Path:
    return data_dir() / "sessions"


def history_dir() -> Path:
    return data_dir() / "history"


def repl_history_file() -> Path:
    return data_dir() / "repl_history"


def demo_model_dir() -> Path:
    return cache_dir() / "demo-model"


def shipped_dir(name: str) -> Path:
    """``presets`` or ``themes`` as shipped: inside the wheel, or at the top of a checkout."""
    bundled = _PACKAGE_DIR / "_data" / name
    return bundled if bundled.is_dir() else _PACKAGE_DIR.parent / name
