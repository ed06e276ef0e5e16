"""Presets: TOML files that set any subset of the sampling parameters.

Shipped presets live in ``presets/`` (inside the wheel too); a user's in the config dir
override them by name. A preset file is flat: parameter names as keys, plus an optional
``description`` (plain text: front-ends show it as text, never as markup). ``none`` (for
``max_new_tokens``) is written as the string ``"none"``: TOML has no null.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground import locations
from playground.atomic import remove_stale_temporaries, write_text_atomically
from playground.errors import UserError
from playground.names import check_name
from playground.params import ParamError, SamplingParams
from playground.user_files import SMALL_FILE_LIMIT, FileProblem, load_toml

DESCRIPTION_LIMIT = 500


class PresetError(FileProblem):
    """A preset file that cannot be used: ``path: what is wrong``."""


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
    data = load_toml(path, SMALL_FILE_LIMIT, PresetError)
    description = data.pop("description", "")
    if not isinstance(description, str) or len(description) > DESCRIPTION_LIMIT:
        raise PresetError(path, f"description must be a string of at most {DESCRIPTION_LIMIT} characters")
    try:
        checked = SamplingParams.make(data)
    except ParamError as error:
        raise PresetError(path, str(error)) from None
    values = {name: getattr(checked, name) for name in data}  # typed: "none" is None, stop a tuple
    return Preset(path.stem, " ".join(description.split()), values, path, shipped)


def _folders() -> tuple[tuple[Path, bool], ...]:
    return (locations.shipped_dir("presets"), True), (locations.user_presets_dir(), False)


def available_presets() -> tuple[dict[str, Preset], list[str]]:
    """Every preset by name (user ones override shipped ones), and one line per broken file."""
    presets: dict[str, Preset] = {}
    problems: list[str] = []
    remove_stale_temporaries(locations.user_presets_dir())
    for folder, shipped in _folders():
        try:
            paths = sorted(p for p in folder.glob("*.toml") if not p.name.startswith(".")) if folder.is_dir() else []
        except OSError:
            paths = []
        for path in paths:
            try:
                presets[path.stem] = load_preset_file(path, shipped)
            except UserError as error:
                problems.append(str(error))
    return presets, problems


def find_preset(name_or_path: str) -> Preset:
    """A preset by name (the user's first), or any file by a path ending in ``.toml``."""
    if name_or_path.endswith(".toml"):
        return load_preset_file(Path(name_or_path).expanduser())
    check_name(name_or_path, "preset")
    for folder, shipped in reversed(_folders()):
        path = folder / f"{name_or_path}.toml"
        if path.exists() or path.is_symlink():
            return load_preset_file(path, shipped)  # a broken one says what is wrong with it
    known = sorted(available_presets()[0])
    raise UserError(f"unknown preset {name_or_path!r}; available: {', '.join(known)}")


def preset_document(params: SamplingParams, description: str = "") -> dict[str, Any]:
    """The TOML table for ``params`` (seed left out: a preset is a style, not a sample)."""
    values: dict[str, Any] = {"description": " ".join(description.split())} if description.strip() else {}
    for name, value in params.to_dict().items():
        if name == "seed":
            continue
        if isinstance(value, dict):  # response_format: TOML has no null
            value = {key: item for key, item in value.items() if item is not None}
        values[name] = "none" if value is None else value
    return values


def save_user_preset(name: str, params: SamplingParams, description: str = "") -> Path:
    """Write ``params`` as the user's preset NAME (raises BadName or WriteFailed, one line each)."""
    import tomlkit  # only when saving

    check_name(name, "preset")
    path = locations.user_presets_dir() / f"{name}.toml"
    write_text_atomically(path, tomlkit.dumps(preset_document(params, description)))
    return path
