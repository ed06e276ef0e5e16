"""The generation engine: loading, the decode loop, sampling, detokenization and FIM.

Importing this package is free: torch and transformers are imported by the submodules
that need them (``loading`` and its steps, the decode paths, ``sampling``, ``engine``), which the UI imports
only once a model is being loaded. Nothing here imports a UI library.
"""
