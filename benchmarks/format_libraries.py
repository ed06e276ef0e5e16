"""xgrammar vs llguidance on this machine's CPU: compile time and token-mask time per step.

For each library and each format (a JSON Schema, any JSON, a regex, a grammar) it times
building the matcher (compiling the format against the tokenizer) and then walks a valid
response token by token, timing each step's token-mask fill for the whole vocabulary.

    python benchmarks/format_libraries.py [--tokenizer /work/shared/starcoder2-tokenizer]

Either library may be missing (xgrammar is not a dependency: it pulls triton, 286 MB); the
script says so and measures the other. The figures the README quotes came from this script.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

SCHEMA = {"type": "object", "properties": {
    "name": {"type": "string", "maxLength": 20},
    "age": {"type": "integer", "minimum": 0, "maximum": 150},
    "role": {"enum": ["admin", "user", "guest"]},
    "tags": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}, "maxItems": 4},
}, "required": ["name", "age", "role", "tags"], "additionalProperties": False}
SCHEMA_TEXT = '{"name":"Ada Lovelace","age":36,"role":"admin","tags":[[1,2],[3]]}'
JSON_TEXT = '{"items":[1,2.5,"three",null,true],"nested":{"deep":{"deeper":[{"a":1},{"b":[]}]}}}'
REGEX = r"[a-z_][a-z0-9_]{0,30}\(\d{1,3}(, \d{1,3}){0,5}\)"
REGEX_TEXT = "compute_total(12, 7, 300, 4)"
LARK = r"""start: expr
expr: term (("+" | "-") term)*
term: factor (("*" | "/") factor)*
factor: NUMBER | "(" expr ")"
NUMBER: /[0-9]+/
"""
EBNF = r"""root ::= expr
expr ::= term (("+" | "-") term)*
term ::= factor (("*" | "/") factor)*
factor ::= [0-9]+ | "(" expr ")"
"""
GRAMMAR_TEXT = "(12+4)*7-(3*(2+9))/5+100*(8-6)"
CASES = [("json_schema", SCHEMA_TEXT), ("json", JSON_TEXT), ("regex", REGEX_TEXT), ("grammar", GRAMMAR_TEXT)]


def llguidance_runner(hf_tokenizer: Any, vocab: int) -> Callable[[str], tuple[Any, Callable[[], None], Any]]:
    import llguidance
    import llguidance.hf
    import llguidance.torch

    started = time.perf_counter()
    tokenizer = llguidance.hf.from_tokenizer(hf_tokenizer, n_vocab=vocab)
    print(f"llguidance {llguidance.__name__}: tokenizer ready in {time.perf_counter() - started:.2f} s")
    bitmask = llguidance.torch.allocate_token_bitmask(1, vocab)
    options = {"whitespace_flexible": False}
    grammars = {"json_schema": lambda: llguidance.LLMatcher.grammar_from_json_schema(SCHEMA, defaults=options),
                "json": lambda: llguidance.LLMatcher.grammar_from_json_schema({}, defaults=options),
                "regex": lambda: llguidance.LLMatcher.grammar_from_regex(REGEX),
                "grammar": lambda: llguidance.LLMatcher.grammar_from_lark(LARK)}

    def build(kind: str) -> tuple[Any, Callable[[], None], Any]:
        matcher = llguidance.LLMatcher(tokenizer, grammars[kind]())
        assert not matcher.is_error(), matcher.get_error()
        return matcher, lambda: llguidance.torch.fill_next_token_bitmask(matcher, bitmask), matcher.consume_token

    return build


def xgrammar_runner(hf_tokenizer: Any, vocab: int) -> Callable[[str], tuple[Any, Callable[[], None], Any]]:
    import xgrammar

    started = time.perf_counter()
    info = xgrammar.TokenizerInfo.from_huggingface(hf_tokenizer, vocab_size=vocab)
    compiler = xgrammar.GrammarCompiler(info, cache_enabled=False)
    print(f"xgrammar: tokenizer ready in {time.perf_counter() - started:.2f} s")
    bitmask = xgrammar.allocate_token_bitmask(1, vocab)
    compile_kind = {"json_schema": lambda: compiler.compile_json_schema(
        json.dumps(SCHEMA), any_whitespace=False, separators=(",", ":")),
                    "json": lambda: compiler.compile_builtin_json_grammar(),
                    "regex": lambda: compiler.compile_regex(REGEX),
                    "grammar": lambda: compiler.compile_grammar(EBNF)}

    def build(kind: str) -> tuple[Any, Callable[[], None], Any]:
        matcher = xgrammar.GrammarMatcher(compile_kind[kind]())
        return matcher, lambda: matcher.fill_next_token_bitmask(bitmask), matcher.accept_token

    return build


def measure(name: str, build: Callable[[str], tuple[Any, Callable[[], None], Any]], hf_tokenizer: Any) -> None:
    for kind, text in CASES:
        started = time.perf_counter()
        _, fill, accept = build(kind)
        compile_ms = (time.perf_counter() - started) * 1000
        fills = []
        for token in hf_tokenizer(text, add_special_tokens=False).input_ids:
            started = time.perf_counter()
            fill()
            fills.append((time.perf_counter() - started) * 1e6)
            if not accept(token):
                raise SystemExit(f"{name} rejected token {token} of the {kind} walk")
        print(f"| {name} | {kind} | {compile_ms:.1f} ms | {statistics.median(fills):.0f} µs | "
              f"{max(fills):.0f} µs | {len(fills)} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", default="/work/shared/starcoder2-tokenizer")
    parser.add_argument("--vocab", type=int, default=49152)
    args = parser.parse_args(argv)
    from transformers import AutoTokenizer

    hf_tokenizer = AutoTokenizer.from_pretrained(args.tokenizer)
    print("| library | format | compile | mask fill, median | mask fill, max | steps |\n|---|---|---|---|---|---|")
    for name, runner in (("llguidance", llguidance_runner), ("xgrammar", xgrammar_runner)):
        try:
            build = runner(hf_tokenizer, args.vocab)
        except ImportError as error:
            print(f"| {name} | not installed ({error.name}) | | | | |")
            continue
        measure(name, build, hf_tokenizer)


if __name__ == "__main__":
    main()
