"""The session store: names vs paths, overwrite, one entry per session, rename/delete followed
by later saves, history layout, stale temporaries, unreadable files listed beside good ones."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from playground import locations
from playground.names import BadName
from playground.sessions.session import Session, SessionError, load_session_file
from playground.sessions.store import NameNeeded, NameTaken, SessionStore
from tests.session_records import make_run


def saved_session(store: SessionStore, name: str, *seeds: int) -> Session:
    session = Session(prompt=f"# {name}\n")
    for seed in seeds:
        store.record_run(session, make_run(seed))
    store.save(session, name)
    return session


@pytest.mark.parametrize("text, problem", [
    ("../../x", "end it in .json"), ("a/b", "end it in .json"), ("..", "cannot start with '.'"),
    (".hidden", "cannot start with '.'"), ("", "cannot be empty"), (" x", "start or end with a space"),
    ("a\\b", "cannot contain"), ("x\ny", "cannot contain"), ("n" * 101, "at most 100"),
])
def test_names_are_names(text, problem):
    with pytest.raises(BadName, match=problem) as caught:
        SessionStore().save(Session(), text)
    assert "\n" not in str(caught.value)
    assert not list(Path("/").glob("x.json")) and not locations.sessions_dir().exists()


def test_only_a_path_ending_in_json_is_a_path(tmp_path):
    store = SessionStore()
    assert store.path_for("my [x= session") == locations.sessions_dir() / "my [x= session.json"
    target = tmp_path / "elsewhere" / "shared.json"
    session = saved_session(store, str(target), 1)
    assert session.saved_path == target and session.name == "shared" and target.is_file()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_saving_over_a_different_session_is_refused_unless_forced():
    store = SessionStore()
    first = saved_session(store, "mine", 1)
    other = Session(prompt="other")
    store.record_run(other, make_run(2))
    with pytest.raises(NameTaken, match="a different session is saved under this name"):
        store.save(other, "mine")
    assert other.saved_path is None and other.name is None  # nothing changed in memory
    assert load_session_file(store.path_for("mine")).id == first.id  # nor on disk
    store.save(other, "mine", overwrite=True)
    assert load_session_file(store.path_for("mine")).id == other.id


def test_an_unreadable_file_under_the_name_is_kept_unless_forced():
    store = SessionStore()
    target = store.path_for("notes")
    target.parent.mkdir(parents=True)
    target.write_text("my notes, not a session")
    with pytest.raises(NameTaken, match="cannot be read as a session"):
        store.save(Session(prompt="x"), "notes")
    assert target.read_text() == "my notes, not a session"
    store.save(Session(prompt="x"), "notes", overwrite=True)
    assert load_session_file(target).prompt == "x"


def test_saving_again_keeps_runs_another_instance_saved_meanwhile():
    store = SessionStore()
    mine = saved_session(store, "shared", 1)
    theirs = SessionStore().open("shared")  # a second instance opens the same session
    store.record_run(mine, make_run(2))
    store.record_run(theirs, make_run(3))
    store.save(mine)
    store.save(theirs)
    assert sorted(r.params.seed for r in load_session_file(store.path_for("shared")).runs) == [1, 2, 3]
    assert sorted(r.params.seed for r in theirs.runs) == [1, 2, 3]  # the saver sees the merged runs


def test_save_as_another_name_copies_and_continues_in_the_copy():
    store = SessionStore()
    session = saved_session(store, "original", 1)
    first_id = session.id
    store.save(session, "copy")
    assert session.id != first_id and session.name == "copy"
    store.record_run(session, make_run(2))
    entries = {e.title: e for e in store.entries()}
    assert (entries["original"].runs, entries["copy"].runs) == (1, 2)


def test_a_session_and_its_history_are_one_entry_and_one_session():
    store = SessionStore()
    session = saved_session(store, "work", 1)
    store.record_run(session, make_run(2))  # autosaved, not saved under the name yet
    [entry] = store.entries()
    assert (entry.kind, entry.title, entry.runs, entry.unsaved_runs) == ("saved", "work", 2, 1)
    opened = store.open(entry)
    assert [r.params.seed for r in opened.runs] == [1, 2] and opened.saved_path == store.path_for("work")
    assert [r.params.seed for r in store.open("work").runs] == [1, 2]  # by name: the same session


def test_rename_and_delete_are_followed_by_the_next_save():
    store = SessionStore()
    session = saved_session(store, "alpha", 1)
    [entry] = store.entries()
    store.rename(entry, "beta")
    store.record_run(session, make_run(2))
    assert store.save(session) == store.path_for("beta")  # not alpha again
    assert not store.path_for("alpha").exists() and session.name == "beta"
    [entry] = store.entries()
    store.delete(entry)
    assert store.entries() == [] and not (locations.history_dir() / session.id).exists()
    with pytest.raises(NameNeeded):
        store.save(session)
    store.record_run(session, make_run(3))  # a deleted entry does not come back with its old runs
    [entry] = store.entries()
    assert (entry.kind, entry.runs) == ("recent", 1)


def test_renaming_a_recent_entry_names_it():
    store = SessionStore()
    session = Session(prompt="SELECT 1;")
    store.record_run(session, make_run(1))
    [recent] = store.entries()
    assert (recent.kind, recent.title) == ("recent", "SELECT 1;")
    store.rename(recent, "query")
    [entry] = store.entries()
    assert (entry.kind, entry.title, entry.runs, entry.session_id) == ("saved", "query", 1, session.id)
    other = Session(prompt="other")
    store.record_run(other, make_run(5))
    recent = next(e for e in store.entries() if e.kind == "recent")
    with pytest.raises(NameTaken, match="already saved under this name"):
        store.rename(recent, "query")


def test_history_is_one_private_file_per_run():
    store = SessionStore()
    session = Session(prompt="x")
    paths = [store.record_run(session, make_run(seed)) for seed in (1, 2, 3)]
    folder = locations.history_dir() / session.id
    assert sorted(folder.iterdir()) == sorted(paths)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    document = json.loads(paths[0].read_text())
    assert document["format"] == "starcoder-play-run" and document["session"]["id"] == session.id


def test_stale_temporaries_are_cleaned_on_start_and_fresh_ones_kept():
    sessions = locations.sessions_dir()
    history = locations.history_dir() / "abc123"
    for folder in (sessions, history):
        folder.mkdir(parents=True)
    stale = [sessions / ".x.json.k2j3.tmp", history / ".y.json.99.tmp"]
    fresh = sessions / ".z.json.a1.tmp"
    for path in (*stale, fresh):
        path.write_text("partial")
    an_hour_ago = time.time() - 3700
    for path in stale:
        os.utime(path, (an_hour_ago, an_hour_ago))
    SessionStore()
    assert not any(p.exists() for p in stale) and fresh.exists()


def test_unreadable_files_are_entries_with_an_error_below_the_good_ones():
    store = SessionStore()
    good = saved_session(store, "good", 1)
    store.record_run(good, make_run(2))
    store.record_run(Session(prompt="recent = 1\n"), make_run(3))  # a good recent entry: above the bad ones
    (locations.sessions_dir() / "broken.json").write_bytes(b"\x00\xff garbage")
    bad_run = locations.history_dir() / good.id / "00000000000000000001-zz.json"
    bad_run.write_text('{"format": "starcoder-play-run", "schema_version": 2, "session": 3}')
    entries = store.entries()
    assert [(e.title, e.error is None) for e in entries] == [("good", True), ("recent = 1", True),
                                                            ("broken.json", False), (bad_run.name, False)]
    assert entries[2].error == f"{locations.sessions_dir() / 'broken.json'}: is not UTF-8 text (bad byte at offset 1)"
    assert "session must be an object (got a number)" in entries[3].error
    assert [r.params.seed for r in store.open(entries[0]).runs] == [1, 2]  # the bad run file is skipped
    with pytest.raises(SessionError, match="not UTF-8"):
        store.open(entries[2])
    store.delete(entries[2])  # a broken file can be deleted from the browser
    assert not (locations.sessions_dir() / "broken.json").exists()


def test_a_history_id_that_is_not_a_plain_name_is_refused(tmp_path):
    data = json.loads((Path(__file__).parent / "data" / "session-v1.json").read_text())
    data["id"] = "../../escape"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError, match="id must be letters, digits"):
        load_session_file(path)


def test_a_version_1_history_file_and_new_runs_of_its_session_are_one_entry():
    legacy = locations.history_dir() / "20261120090000-0a1b2c3d.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text((Path(__file__).parent / "data" / "session-v1.json").read_text())
    store = SessionStore()
    [entry] = store.entries()
    assert (entry.kind, entry.runs, entry.session_id) == ("recent", 2, "0a1b2c3d")
    session = store.open(entry)
    store.record_run(session, make_run(9, started_at="2026-11-21T10:00:00+00:00"))
    [entry] = store.entries()
    assert entry.runs == 3 and [r.params.seed for r in store.open(entry).runs][-1] == 9
    store.delete(entry)
    assert store.entries() == [] and not legacy.exists()
