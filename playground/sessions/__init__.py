"""Sessions: typed run records, their files, and the store front-ends record and open them through.

- ``records``: ``ModelRecord``, ``ResponseRecord``, ``RunRecord`` (one run, its own model).
- ``session``: ``Session`` and its JSON documents (schema version 2; version 1 still read).
- ``catalog``: reading the sessions and history folders, every file checked once.
- ``checks``: the field-by-field checks every file goes through.
- ``store``: ``SessionStore``, the one writer and reader of the sessions and history folders.
- ``export``: Markdown.

Importing this package is free and runs none of them: import what you need from its module
(``from playground.sessions.store import SessionStore``), so no module imports its own package
back. Names (``playground.names``) and bounded file reads (``playground.user_files``) are shared
with presets, themes and the config file. Nothing here imports a UI library.
"""
