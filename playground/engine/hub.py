"""From ``--model`` and ``--revision`` to a model directory on disk: a local directory as it is,
a hub id through the Hugging Face cache (downloading what is missing).

Every hub failure a user can fix (gated, not found, offline, bad revision) is one ``UserError`` line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playground.engine.checkpoint import ModelDir, Warn
from playground.engine.options import LoadProgress, ProgressCallback
from playground.errors import UserError

#: What a model needs from a hub repository: configs, tokenizer files, safetensors weights.
HUB_FILES = ["*.json", "*.safetensors", "tokenizer*", "*.txt"]


def resolve_model_dir(model: str, revision: str | None, report: ProgressCallback, warn: Warn) -> ModelDir:
    """A local directory as is (a revision does not apply to it: said, then ignored); a hub id
    through the hub cache."""
    local = Path(model).expanduser()
    if local.is_dir():
        if revision is not None:
            warn(f"--revision {revision} is ignored: {model} is a local directory (a revision applies to hub ids)")
        return ModelDir(local, model)
    if local.exists() or model.startswith((".", "/", "~")) or model.count("/") > 1:
        raise UserError(f"model not found: {model} is not a directory in transformers format; "
                        "pass a local model directory or a hub id like bigcode/starcoder2-15b", 1)
    refetch = f"remove it from the hub cache (`hf cache rm model/{model}`) and load it again"
    return ModelDir(download(model, revision, report), model, revision, refetch)


def download(repo_id: str, revision: str | None, report: ProgressCallback) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    report(LoadProgress(f"fetching {repo_id}"))
    try:
        path = snapshot_download(repo_id, revision=revision, allow_patterns=HUB_FILES,
                                 tqdm_class=_progress_tqdm(report, f"downloading {repo_id}"))
    except GatedRepoError:
        raise UserError(f"{repo_id} is gated: accept its license on https://huggingface.co/{repo_id}, "
                        "then run `hf auth login`", 1) from None
    except RevisionNotFoundError:
        raise UserError(f"revision {revision!r} not found for {repo_id}: check --revision", 1) from None
    except RepositoryNotFoundError:
        raise UserError(f"model not found on the Hugging Face Hub: {repo_id} (check the name, "
                        "run `hf auth login` if it is private, or pass a local directory)", 1) from None
    except HFValidationError:
        raise UserError(f"model not found: {repo_id!r} is neither a local directory "
                        "nor a valid hub id", 1) from None
    except (LocalEntryNotFoundError, ConnectionError, OSError):
        raise UserError(f"cannot reach the Hugging Face Hub and {repo_id} is not in the local cache: "
                        "connect once to download it, or pass a local directory with --model", 1) from None
    return Path(path)


def _progress_tqdm(report: ProgressCallback, stage: str) -> type:
    """A silent tqdm for ``snapshot_download`` (its public ``tqdm_class`` argument) that reports bytes."""
    from tqdm.auto import tqdm

    class ReportingTqdm(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.done = 0  # a disabled tqdm does not count: ``self.n`` stays 0

        def update(self, n: float | None = 1) -> bool | None:
            result: bool | None = super().update(n)
            self.done += int(n or 0)
            report(LoadProgress(stage, self.done, int(self.total) if self.total else None))
            return result

    return ReportingTqdm
