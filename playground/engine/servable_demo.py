"""The demo model in a shape vLLM's CPU backend serves, to try ``--server`` without a GPU.

The in-process demo model's attention heads are 16 wide; vLLM's CPU attention takes 32 or
more, so this one is wider (hidden 256, 8 heads) and has no sliding window. Its output is
noise, like the demo model's. README ("Against a server (vLLM)") shows how to serve it;
the integration tests serve the same shape.

    python -m playground.engine.servable_demo DIR
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

#: vLLM's CPU attention rejects a head size of 16: 256 / 8 heads = 32.
SERVABLE_DEMO_CONFIG: dict[str, Any] = dict(
    hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=8,
    num_key_value_heads=4, max_position_embeddings=1024, sliding_window=None)


def build_servable_demo(target: Path) -> Path:
    """Write the servable demo model (safetensors, config, tokenizer) into ``target``."""
    from playground.engine.demo import build_model_dir

    return build_model_dir(target, **SERVABLE_DEMO_CONFIG)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python -m playground.engine.servable_demo DIR", file=sys.stderr)
        return 2
    target = Path(argv[0]).expanduser()
    build_servable_demo(target)
    print(f"built {target}: serve it with --model {target} (README: Against a server)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
