"""Response formats on the host: one llguidance matcher per constrained row, advanced by each
accepted token, filling that row's token bitmask for the next step.

The mask of token k+1 depends on token k, so it is filled once token k is on the host and
before step k+1 is launched (a format turns the decode loop's look-ahead off). Filling costs
tens of microseconds for the 49,152-token vocabulary (benchmarks/format_libraries.py), well
under one percent of a 15B model's step. llguidance rather than a hand-written matcher: it
compiles JSON Schema, regexes and Lark/GBNF grammars against the tokenizer and serves vLLM,
SGLang and llama.cpp (the README has the comparison with xgrammar).
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from typing import Any

import torch

from playground.engine.sampling.mask import WORD_BITS, mask_words
from playground.response_format import FormatError, ResponseFormat, grammar_of, one_line


class FormatCompiler:
    """An engine's formats: the llguidance tokenizer (built once per set of end tokens, about
    a second for the real vocabulary) and each format's grammar, compiled once and cached by
    (type, value)."""

    def __init__(self, tokenizer: Any, vocab_size: int) -> None:
        self.hf_tokenizer = tokenizer
        self.vocab_size = vocab_size
        self._tokenizers: dict[frozenset[int], Any] = {}
        self._grammars: dict[ResponseFormat, str] = {}

    def llg_tokenizer(self, end_ids: frozenset[int]) -> Any:
        if end_ids not in self._tokenizers:
            from llguidance import LLTokenizer

            # llguidance.hf.from_tokenizer does this, but checks for a class transformers 5 renamed.
            backend = copy(self.hf_tokenizer.backend_tokenizer)
            backend.no_padding()
            backend.no_truncation()
            self._tokenizers[end_ids] = LLTokenizer(backend.to_str(), n_vocab=self.vocab_size,
                                                    eos_token=sorted(end_ids))
        return self._tokenizers[end_ids]

    def grammar(self, response_format: ResponseFormat) -> str:
        if response_format not in self._grammars:
            self._grammars[response_format] = grammar_of(response_format)
        return self._grammars[response_format]

    def matchers(self, formats: Sequence[ResponseFormat], end_ids: frozenset[int], prefix: Sequence[int] = (),
                 pinned: bool = False) -> RowMatchers | None:
        """One generation's matchers, one per row (None for a text row), advanced past a branch's
        ``prefix`` tokens; None when no row has a format (the decode loop then runs as without
        this module)."""
        if not any(f.constrained for f in formats):
            return None
        from llguidance import LLMatcher

        tokenizer = self.llg_tokenizer(end_ids)
        matchers = [LLMatcher(tokenizer, self.grammar(f), log_level=0) if f.constrained else None for f in formats]
        for matcher, response_format in zip(matchers, formats):
            if matcher is not None and matcher.is_error():  # e.g. a special token this model lacks
                message = one_line(matcher.get_error()).split("; following special tokens")[0]  # not the list
                raise FormatError(f"{response_format.label()}: {message}: this model cannot use it")
        for matcher in matchers:
            if matcher is not None and prefix:
                matcher.consume_tokens(list(prefix))  # a prefix outside the format: error, ends at once
        return RowMatchers(matchers, self.vocab_size, end_ids, pinned)


class RowMatchers:
    """The rows' matchers and the host bitmask they fill ([rows, words] int32, every bit set
    for a text row)."""

    def __init__(self, matchers: list[Any], vocab_size: int, end_ids: frozenset[int], pinned: bool) -> None:
        self.matchers = matchers
        self.bits = torch.full((len(matchers), mask_words(vocab_size)), -1, dtype=torch.int32, pin_memory=pinned)
        #: A matcher that rejected a token (one the format did not allow was forced in) lets
        #: only the end tokens through, so the row ends at once, marked incomplete.
        self.ends_only = torch.zeros(self.bits.shape[1], dtype=torch.int32)
        for token in end_ids:
            word, bit = divmod(token, WORD_BITS)
            self.ends_only[word] |= (1 << bit) if bit < WORD_BITS - 1 else -(1 << bit)

    def fill(self) -> torch.Tensor:
        """Each constrained row's mask for the next token, into the host bitmask (returned)."""
        for row, matcher in enumerate(self.matchers):
            if matcher is None:
                continue
            target = self.bits[row]
            if matcher.is_error():
                target.copy_(self.ends_only)
            else:
                matcher.unsafe_compute_mask_ptr(target.data_ptr(), target.numel() * target.element_size())
        return self.bits

    def check_forced(self, token: int, text: str, formats: Sequence[ResponseFormat]) -> None:
        """FormatError, one line, when a row's format does not allow a branch's forced ``token``
        next: forced in anyway, it would end the response at once, incomplete, and say nothing."""
        for matcher, response_format in zip(self.matchers, formats):
            if matcher is not None and not matcher.is_error() and matcher.validate_tokens([token]) < 1:
                raise FormatError(f"{response_format.label()} does not allow {text!r} here: pick another "
                                  "alternative, or set the format to text to branch with this one")

    def accept(self, tokens: Sequence[int], running: Sequence[bool]) -> None:
        """Advance each running row's matcher by its new token."""
        for matcher, token, live in zip(self.matchers, tokens, running):
            if matcher is not None and live and not matcher.is_stopped():
                matcher.consume_token(token)

    def complete(self, row: int, finish_reason: str) -> bool | None:
        """Whether row ``row``'s response is a whole instance of its format: it took an end token
        the format allowed, or it ran out of room exactly where the format is satisfied; never
        after a stop sequence cut it or a cancel. None for a text row."""
        matcher = self.matchers[row]
        if matcher is None:
            return None
        if matcher.is_error() or finish_reason not in ("eos_token", "length"):
            return False
        return bool(matcher.is_stopped() or (finish_reason == "length" and matcher.is_accepting()))
