"""Sessions: typed run records, their files, and the store front-ends record and open them through.

- ``records``: ``ModelRecord``, ``ResponseRecord``, ``RunRecord`` (one run, its own model).
- ``session``: ``Session`` and its JSON documents (schema version 2; version 1 still read).
- ``store``: ``SessionStore``, the one writer and reader of the sessions and history folders.
- ``export``: Markdown.
"""

from playground.sessions.export import export_markdown, fenced
from playground.names import BadName, check_name, name_problem
from playground.sessions.records import ModelRecord, ResponseRecord, RunRecord, new_id, now_iso, package_versions
from playground.sessions.session import (FORMAT, RUN_FORMAT, SCHEMA_VERSION, Session, SessionError, first_line,
                                         load_session_file)
from playground.sessions.store import NameNeeded, NameTaken, SessionEntry, SessionStore

__all__ = ["FORMAT", "RUN_FORMAT", "SCHEMA_VERSION", "BadName", "ModelRecord", "NameNeeded", "NameTaken",
           "ResponseRecord", "RunRecord", "Session", "SessionEntry", "SessionError", "SessionStore", "check_name",
           "export_markdown", "fenced", "first_line", "load_session_file", "name_problem", "new_id", "now_iso",
           "package_versions"]
