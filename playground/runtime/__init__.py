"""The application layer: what the three front-ends (``tui``, ``repl``, ``cli``) share, with no UI.

- ``engines``: ``PlaygroundEngine``, the engine as a front-end sees it (the real ``Engine`` and
  the tests' scripted engines both satisfy it), and ``EngineLoader``.
- ``opening``: opening an engine with progress, and describing the loaded model.
- ``running``: one generation, run in a thread, cancelled and steered (live changes).
- ``describe``: the one-line texts every front-end shows: the status line, errors, presets.
- ``prompts``: the fill-in-the-middle marker and the highlighting languages.
- ``parameters``: presets applied to the parameters.
- ``keeper``: the open session: runs recorded and autosaved, saved, reopened, replayed, exported,
  through the data layer's ``sessions.SessionStore``.

Data flows one way: a front-end turns input into ``SamplingParams`` and a ``GenerationRequest``;
``running`` hands it to the engine; the engine's events and result come back to the front-end,
which shows them with ``describe``. Nothing here imports a front-end or a UI library.
"""
