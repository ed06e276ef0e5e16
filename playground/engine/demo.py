"""A tiny StarCoder2 with random weights and a tokenizer built here, so every feature runs
on a laptop with no GPU and no download. Its output is noise. The tests use the same
builders with smaller settings.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from playground.engine.fim import ENDOFTEXT, STARCODER2_SPECIAL_TOKENS

DEMO_MODEL_NAME = "demo model (random weights: output is noise)"
#: Bump when the builder changes, so a stale cached demo model is rebuilt.
DEMO_BUILD_VERSION = "1"

_CORPUS = r'''
def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        self.items.append(item)

    def pop(self):
        if not self.items:
            raise IndexError("pop from empty stack")
        return self.items.pop()


import os
import sys
from pathlib import Path

if __name__ == "__main__":
    print(fibonacci(10))
    for path in Path(".").glob("*.py"):
        print(path.name, os.path.getsize(path), file=sys.stderr)

function quickSort(items) {
  if (items.length <= 1) return items;
  const [pivot, ...rest] = items;
  return [...quickSort(rest.filter(x => x < pivot)), pivot, ...quickSort(rest.filter(x => x >= pivot))];
}

fn main() {
    let numbers: Vec<i32> = (1..=10).collect();
    let total: i32 = numbers.iter().sum();
    println!("total = {}", total);
}

SELECT name, COUNT(*) AS total FROM users WHERE active = 1 GROUP BY name ORDER BY total DESC;
# Überprüfung: naïve café — 日本語のコメント — emoji 🚀 ✓
'''


def build_tokenizer(vocab_size: int = 1024) -> Any:
    """Byte-level BPE with StarCoder2's pre-tokenizer and its 38 special tokens at ids 0-37."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(STARCODER2_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(_CORPUS.splitlines(keepends=True) * 4, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=ENDOFTEXT, eos_token=ENDOFTEXT, unk_token=ENDOFTEXT,
        model_max_length=None,
    )


def build_model_dir(target: Path, *, seed: int = 0, tokenizer_vocab: int = 1024,
                    **config_overrides: Any) -> Path:
    """Write a tiny StarCoder2 (safetensors + tokenizer) into ``target``, atomically."""
    import torch
    from transformers import Starcoder2Config, Starcoder2ForCausalLM

    tokenizer = build_tokenizer(tokenizer_vocab)
    settings: dict[str, Any] = dict(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=256, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        sliding_window=128, bos_token_id=0, eos_token_id=0, use_bias=True,
        # Default init (0.02) gives flat logits and greedy loops on one token; 0.3 gives
        # varied, peaked distributions, so tests exercise top_p/min_p and greedy paths.
        initializer_range=0.3,
    )
    settings.update(config_overrides)
    config = Starcoder2Config(**settings)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Starcoder2ForCausalLM(config)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        (staging / "BUILD_VERSION").write_text(DEMO_BUILD_VERSION)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def ensure_demo_model(target: Path) -> Path:
    """The demo model's directory, built on first use (and after a builder change)."""
    stamp = target / "BUILD_VERSION"
    if not (stamp.is_file() and stamp.read_text() == DEMO_BUILD_VERSION):
        build_model_dir(target)
    return target
