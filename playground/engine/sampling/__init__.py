"""Sampling: logits -> penalties -> temperature -> top_k -> top_p -> min_p -> a token.

- ``rows``: the per-row parameters and penalty counts, as device tensors.
- ``chain``: penalties and temperature, and ``next_tokens``, one step of the whole chain.
- ``sorted_chain``: the filters and the draw on one sort of the vocabulary (the compiled step's).
- ``prefilter``: the eager path's exact shortcut through the best candidates.
- ``noise``: the counter-based noise the draws use.
- ``token_info``: what the model thought of each drawn token (raw logprob, rank, entropy, the
  best alternatives, and the drawn-from distribution's logprob), packed with the token ids.
"""
