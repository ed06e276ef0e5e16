"""Presets: TOML files that set any subset of the sampling parameters.

Shipped presets live in ``presets/`` (inside the wheel too); a user's in the config dir
override them by name. A preset file is flat: parameter names as keys, plus an optional
``description``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from playground import locations
from playground.atomic import write_text_atomically
from playground.errors import UserError
from playground.params import SamplingParams

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, Any]
    path: Path
    shipped: bool

    def apply(self, params: SamplingParams) -> SamplingParams:
        return params.replace(**self.values)


def load_preset_file(path: Path, shipped: bool = False) -> Preset:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"preset file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read preset {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"preset {path} is not valid TOML: {error}") from None
    description = data.pop("description", "")
    if not isinstance(description, str):
        raise UserError(f"preset {path}: description must be a string")
    try:
        SamplingParams.make(data)
    except UserError as error:
        raise UserError(f"preset {path}: {error}") from None
    return Preset(path.stem, description, data, path, shipped)


def available_presets() -> tuple[dict[str, Preset], list[str]]:
    """Every preset by name (user ones override shipped ones), and one line per broken file."""
    presets: dict[str, Preset] = {}
    problems: list[str] = []
    for folder, shipped in ((locations.shipped_dir("presets"), True), (locations.user_presets_dir(), False)):
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                presets[path.stem] = load_preset_file(path, shipped)
            except UserError as error:
                problems.append(str(error))
    return presets, problems


def find_preset(name_or_path: str) -> Preset:
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" or path.is_file():
        return load_preset_file(path)
    presets, problems = available_presets()
    if name_or_path in presets:
        return presets[name_or_path]
    broken = [p for p in problems if f"/{name_or_path}.toml" in p]
    if broken:
        raise UserError(broken[0])
    raise UserError(f"unknown preset {name_or_path!r}; available: {', '.join(sorted(presets))}")


def save_user_preset(name: str, params: SamplingParams, description: str = "") -> Path:
    if not name or any(c in name for c in '/\\:*?"<>|') or name.startswith("."):
        raise UserError(f"{name!r} cannot be a preset name: use letters, digits, '-' and '_'")
    # TOML has no null: "none" is how a preset file says max_new_tokens = none (the rest of the context).
    values = {k: "none" if v is None else v for k, v in params.to_dict().items() if k != "seed"}
    document = {"description": description, **values} if description else values
    path = locations.user_presets_dir() / f"{name}.toml"
    write_text_atomically(path, tomli_w.dumps(document))
    return path
