"""The run store: atomic attribute writes, listing, delete/restore/purge moves."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

import pytest

from guildlike.context import Context
from guildlike.errors import RunStoreError
from guildlike.store import attrs, index, notes, opref, scan, store
from guildlike.store.filters import RunFilter
from guildlike.util.files import atomic_write

from guildlike.store.run import Run

MakeRun = Callable[..., Run]


def test_attr_round_trip(tmp_path: Path) -> None:
    (tmp_path / ".guild" / "attrs").mkdir(parents=True)
    values = {
        "exit_status": 0,
        "started": 1795251307038225,
        "flags": {"lr": 0.1, "fast": True, "note": "1", "n": None},
        "tags": ["a", "b c"],
        "label": "x=1 y='two words'",
        "empty": "",
        "yes_text": "yes",
        "fail": False,
    }
    for name, val in values.items():
        attrs.write(tmp_path, name, val)
    for name, val in values.items():
        assert attrs.read(tmp_path, name) == val
    assert attrs.read(tmp_path, "missing", "dflt") == "dflt"
    assert attrs.names(tmp_path) == sorted(values)


def test_attrs_are_guild_yaml_files(tmp_path: Path) -> None:
    (tmp_path / ".guild" / "attrs").mkdir(parents=True)
    attrs.write(tmp_path, "exit_status", 0)
    attrs.write(tmp_path, "flags", {"b": 2, "a": "x"})
    attrs.write(tmp_path, "fail", True)
    d = tmp_path / ".guild" / "attrs"
    assert (d / "exit_status").read_text() == "0\n"
    # Flow-style YAML that is also JSON: Guild's YAML reader and ours agree.
    assert (d / "flags").read_text() == '{"a": "x", "b": 2}\n'
    assert (d / "fail").read_text() == "true\n"
    import yaml

    assert yaml.safe_load((d / "flags").read_text()) == {"a": "x", "b": 2}
    attrs.write(tmp_path, "lr", 1e-06)
    assert yaml.safe_load((d / "lr").read_text()) == 1e-06 == attrs.read(tmp_path, "lr")


def test_attrs_written_by_guild_are_read(tmp_path: Path) -> None:
    d = tmp_path / ".guild" / "attrs"
    d.mkdir(parents=True)
    (d / "flags").write_text("lr: 1.0e-06\nname: plain words\nok: yes\n")
    (d / "label").write_text("noise=0.1 x=1\n")
    assert attrs.read(tmp_path, "flags") == {"lr": 1e-06, "name": "plain words", "ok": True}
    assert attrs.read(tmp_path, "label") == "noise=0.1 x=1"


def test_attr_write_leaves_no_temp_files(tmp_path: Path) -> None:
    (tmp_path / ".guild" / "attrs").mkdir(parents=True)
    for i in range(20):
        attrs.write(tmp_path, "label", f"label {i}")
    assert sorted(p.name for p in (tmp_path / ".guild" / "attrs").iterdir()) == ["label"]


def test_attr_writes_are_atomic(tmp_path: Path) -> None:
    """A reader never sees half a file while a writer replaces a large attribute."""
    (tmp_path / ".guild" / "attrs").mkdir(parents=True)
    big = [{f"k{i}": "v" * 200 for i in range(200)}, {f"k{i}": "w" * 300 for i in range(200)}]
    attrs.write(tmp_path, "flags", big[0])
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        i = 0
        while not stop.is_set():
            attrs.write(tmp_path, "flags", big[i % 2])
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(300):
            try:
                assert attrs.read(tmp_path, "flags") in big
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
                break
    finally:
        stop.set()
        t.join()
    assert not errors


def test_corrupt_attr_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / ".guild" / "attrs").mkdir(parents=True)
    (tmp_path / ".guild" / "attrs" / "flags").write_text("a: [1, 2\n")
    with pytest.raises(RunStoreError, match="corrupt attribute file"):
        attrs.read(tmp_path, "flags")


def test_atomic_write_into_missing_dir_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="cannot write"):
        atomic_write(tmp_path / "nope" / "x", "data")


def test_opref_round_trip() -> None:
    ref = opref.OpRef("guildfile", "/p/with space/guild.yml", "", "alpha", "emit")
    text = ref.encode()
    assert text == "guildfile:'/p/with space/guild.yml' '' alpha emit"
    assert opref.OpRef.decode(text) == ref
    assert ref.op_name == "alpha:emit"
    assert opref.OpRef.decode("guildfile:/p/guild.yml 4d6d '' train").op_name == "train"


def test_new_run_ids() -> None:
    a, b = store.new_run_id(), store.new_run_id()
    assert a != b and len(a) == 32 and int(a, 16) >= 0


def test_init_run_dir_refuses_an_existing_id(ctx: Context) -> None:
    store.init_run_dir(ctx, "abc")
    assert (ctx.runs_dir / "abc" / ".guild" / "attrs").is_dir()
    with pytest.raises(RunStoreError, match="a run with id abc already exists"):
        store.init_run_dir(ctx, "abc")


def ids(runs: list) -> list[str]:  # type: ignore[type-arg]
    return [r.id for r in runs]


def test_listing_is_newest_first(ctx: Context, make_run: MakeRun) -> None:
    make_run("aaa", started=3_000_000)
    make_run("bbb", started=1_000_000)
    make_run("ccc", started=2_000_000)
    make_run("ddd", started=None, exit_status=None)  # staged or pending: by initialized
    assert ids(store.list_runs(ctx)) == ["aaa", "ccc", "bbb", "ddd"]
    assert ids(scan.scan_runs(ctx, RunFilter())) == ["aaa", "ccc", "bbb", "ddd"]


def test_listing_filters(ctx: Context, make_run: MakeRun) -> None:
    make_run("a1", op="emit", model="alpha", started=5_000_000, label="first", tags=["x"])
    make_run("b1", op="emit", model="beta", started=4_000_000, exit_status=1, label="second")
    make_run("c1", op="weigh", started=3_000_000, exit_status=-15)
    assert ids(store.list_runs(ctx, RunFilter(ops=["emit"]))) == ["a1", "b1"]
    assert ids(store.list_runs(ctx, RunFilter(ops=["alpha:emit"]))) == ["a1"]
    assert ids(store.list_runs(ctx, RunFilter(ops=["wei"]))) == []
    assert ids(store.list_runs(ctx, RunFilter(labels=["sec"]))) == ["b1"]
    assert ids(store.list_runs(ctx, RunFilter(tags=["x"]))) == ["a1"]
    assert ids(store.list_runs(ctx, RunFilter(statuses={"error", "terminated"}))) == ["b1", "c1"]
    assert ids(store.list_runs(ctx, RunFilter(not_statuses={"completed"}))) == ["b1", "c1"]
    assert ids(store.list_runs(ctx, RunFilter(ops=["emit"], statuses={"completed"}))) == ["a1"]


def test_delete_restore_purge_move_directories(ctx: Context, make_run: MakeRun) -> None:
    make_run("r1", started=1_000_000)
    make_run("r2", started=2_000_000)
    runs = store.list_runs(ctx)
    assert store.delete_runs(ctx, [r for r in runs if r.id == "r1"]) == 1
    assert not (ctx.runs_dir / "r1").exists()
    assert (ctx.trash_dir / "r1" / ".guild" / "opref").is_file()
    assert ids(store.list_runs(ctx)) == ["r2"]
    assert ids(store.list_runs(ctx, deleted=True)) == ["r1"]

    assert store.restore_runs(ctx, store.list_runs(ctx, deleted=True)) == 1
    assert (ctx.runs_dir / "r1").is_dir()
    assert not (ctx.trash_dir / "r1").exists()
    assert ids(store.list_runs(ctx)) == ["r2", "r1"]

    store.delete_runs(ctx, store.list_runs(ctx))
    assert ids(store.list_runs(ctx)) == []
    assert ids(store.list_runs(ctx, deleted=True)) == ["r2", "r1"]
    assert store.purge_runs(ctx, store.list_runs(ctx, deleted=True)) == 2
    assert list(ctx.trash_dir.iterdir()) == []
    assert ids(store.list_runs(ctx, deleted=True)) == []


def test_a_run_keeps_its_attributes_through_delete_and_restore(ctx: Context, make_run: MakeRun) -> None:
    make_run("r1", started=1_000_000, flags={"lr": 0.1}, label="keep me", tags=["t"])
    store.delete_runs(ctx, store.list_runs(ctx))
    store.restore_runs(ctx, store.list_runs(ctx, deleted=True))
    (run,) = store.list_runs(ctx)
    assert (run.label, run.tags, run.flags, run.status) == ("keep me", ["t"], {"lr": 0.1}, "completed")


def test_listing_sees_changed_attributes(ctx: Context, make_run: MakeRun) -> None:
    run = make_run("r1", started=1_000_000, label="old")
    assert store.list_runs(ctx)[0].label == "old"
    run.set("label", "new")
    assert store.list_runs(ctx)[0].label == "new"
    assert ids(store.list_runs(ctx, RunFilter(labels=["new"]))) == ["r1"]


def test_damaged_run_is_still_listed(ctx: Context, make_run: MakeRun) -> None:
    make_run("good", started=2_000_000)
    bad = make_run("bad", started=1_000_000)
    (bad.path / ".guild" / "attrs" / "label").write_text("[unclosed\n")
    assert "good" in ids(store.list_runs(ctx))
    assert sorted(ids(store.list_runs(ctx))) == ["bad", "good"]


def test_stray_files_in_runs_are_not_runs(ctx: Context, make_run: MakeRun) -> None:
    make_run("r1", started=1_000_000)
    (ctx.runs_dir / "notes.txt").write_text("x")
    (ctx.runs_dir / ".hidden").mkdir()
    assert ids(store.list_runs(ctx)) == ["r1"]


def test_marks_and_comments_filter_in_the_index_and_the_scan(ctx: Context, make_run: MakeRun) -> None:
    a = make_run("a1", started=3_000_000)
    b = make_run("b1", started=2_000_000)
    make_run("c1", started=1_000_000)
    notes.mark_runs([a])
    notes.add_comment([a, b], {"body": "Too High", "host": "h", "time": 1, "user": "alice"})
    notes.add_comment([b], {"body": "second", "host": "h", "time": 2, "user": "bob"})
    for flt, want in [
        (RunFilter(marked=True), ["a1"]),
        (RunFilter(unmarked=True), ["b1", "c1"]),
        (RunFilter(comments=["too high"]), ["a1", "b1"]),
        (RunFilter(comments=["bob@"]), ["b1"]),
        (RunFilter(comments=["too", "second"]), ["b1"]),
        (RunFilter(comments=["none"]), []),
    ]:
        assert ids(store.list_runs(ctx, flt)) == want, flt
        assert ids(scan.scan_runs(ctx, flt)) == want, flt
    assert [r.marked for r in store.list_runs(ctx)] == [True, False, False]  # read from the index's rows
    notes.unmark_runs([a])
    assert ids(store.list_runs(ctx, RunFilter(marked=True))) == []
    # An index written before marks were indexed is rebuilt.
    conn = index.open_index(ctx)
    assert conn is not None
    conn.execute("PRAGMA user_version=3")
    conn.close()
    notes.mark_runs([b])
    assert ids(store.list_runs(ctx, RunFilter(marked=True))) == ["b1"]
    conn = index.open_index(ctx)
    assert conn is not None and conn.execute("PRAGMA user_version").fetchone()[0] == index.SCHEMA_VERSION
    conn.close()
