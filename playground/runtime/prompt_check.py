"""A prompt measured against the context window before any weights load.

Loading StarCoder2-15B takes minutes and tens of GB; a prompt that cannot fit is refused
first, with the model's tokenizer alone (``tokenizers``, no torch) and the context window
from its ``config.json``. When those files are not at hand yet (a hub model not downloaded),
the check is left to the engine, which makes it again after loading in any case.
"""

from __future__ import annotations

import json
from pathlib import Path

from playground import locations
from playground.engine.fim import build_prompt
from playground.engine.options import LoadOptions
from playground.errors import UserError

#: config.json is a few KB; anything far larger is not a model's config.
_CONFIG_LIMIT = 1024 * 1024


def model_files(options: LoadOptions) -> tuple[Path, Path] | None:
    """``tokenizer.json`` and ``config.json`` of the model ``options`` name, if they are on
    disk already (a local directory, the built demo model, or the hub cache); else None."""
    if options.demo:
        folder: Path | None = locations.demo_model_dir()
    else:
        local = Path(options.model).expanduser()
        folder = local if local.is_dir() else None
    if folder is not None:
        tokenizer, config = folder / "tokenizer.json", folder / "config.json"
        return (tokenizer, config) if tokenizer.is_file() and config.is_file() else None
    return _cached_hub_files(options.model, options.revision)


def _cached_hub_files(repo_id: str, revision: str | None) -> tuple[Path, Path] | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = [try_to_load_from_cache(repo_id, name, revision=revision) for name in ("tokenizer.json", "config.json")]
    except Exception:  # noqa: BLE001 - an odd id or cache: the loader reports it properly
        return None
    if all(isinstance(path, str) for path in found):
        return Path(str(found[0])), Path(str(found[1]))
    return None


def context_window(config_path: Path) -> int | None:
    try:
        with config_path.open("rb") as stream:
            config = json.loads(stream.read(_CONFIG_LIMIT))
        window = config["max_position_embeddings"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # the loader says what is wrong with the file
    return window if isinstance(window, int) and window > 0 else None


def count_prompt_tokens(tokenizer_path: Path, prompt: str, suffix: str | None) -> int | None:
    """The prompt's tokens as the engine counts them (the FIM form when there is a suffix)."""
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
    except Exception:  # noqa: BLE001 - a broken tokenizer.json: the loader reports it properly
        return None
    return max(len(tokenizer.encode(build_prompt(prompt, suffix), add_special_tokens=False).ids), 1)


def check_prompt_fits(options: LoadOptions, prompt: str, suffix: str | None = None) -> None:
    """Raise the engine's own ``UserError`` if the prompt cannot fit the model's context
    window, before the model loads; do nothing when the files are not at hand."""
    files = model_files(options)
    if files is None:
        return
    window = context_window(files[1])
    if window is None:
        return
    tokens = count_prompt_tokens(files[0], prompt, suffix)
    if tokens is not None and tokens >= window:
        raise UserError(f"the prompt is {tokens:,} tokens but the context window is {window:,}: "
                        f"shorten it to at most {window - 1:,} tokens")
