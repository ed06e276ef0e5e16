"""Prompt building: plain completion and StarCoder2's fill-in-the-middle form."""

from __future__ import annotations

from collections.abc import Iterable

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<fim_prefix>"
FIM_MIDDLE = "<fim_middle>"
FIM_SUFFIX = "<fim_suffix>"
FIM_PAD = "<fim_pad>"
FILE_SEP = "<file_sep>"

#: StarCoder2's 38 special tokens, in id order (``<|endoftext|>`` = 0 ... ``<PASSWORD>`` = 37).
STARCODER2_SPECIAL_TOKENS: tuple[str, ...] = (
    ENDOFTEXT, FIM_PREFIX, FIM_MIDDLE, FIM_SUFFIX, FIM_PAD, "<repo_name>", FILE_SEP,
    "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>", "<jupyter_text>",
    "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>",
    "<code_to_intermediate>", "<intermediate_to_code>", "<pr>", "<pr_status>", "<pr_is_merged>",
    "<pr_base>", "<pr_file>", "<pr_base_code>", "<pr_diff>", "<pr_diff_hunk>", "<pr_comment>",
    "<pr_event_id>", "<pr_review>", "<pr_review_state>", "<pr_review_comment>",
    "<pr_in_reply_to_review_id>", "<pr_in_reply_to_comment_id>", "<pr_diff_hunk_comment_line>",
    "<NAME>", "<EMAIL>", "<KEY>", "<PASSWORD>",
)

#: Tokens that end a fill: the model closes the middle with end-of-text or a file separator.
FIM_END_TOKENS = (ENDOFTEXT, FILE_SEP)


def build_prompt(prefix: str, suffix: str | None) -> str:
    """The text the model sees: the prompt itself, or the FIM form when a suffix is given."""
    if suffix is None:
        return prefix
    return f"{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}"


def special_token_warnings(texts: Iterable[str], special_tokens: Iterable[str]) -> list[str]:
    """One warning for each special-token string the user typed: it is read as that token."""
    specials = sorted(set(special_tokens), key=len, reverse=True)
    found = sorted({tok for text in texts for tok in specials if tok in text})
    return [
        f"the prompt contains {tok!r}, which the model reads as a special token, not as text"
        for tok in found
    ]
