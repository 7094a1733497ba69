"""The store, run once against SQLite and once against PostgreSQL: the same tests, the same answers.

The PostgreSQL half needs a server. ``XLTOOLS_TEST_PG=postgresql://user:password@host:port/db``
names a role that may create databases; every test gets a database of its own, dropped
afterwards. ``.ci/postgres start DIR`` starts a throwaway server and prints that variable.
Without it the PostgreSQL half is skipped -- except on CI, where it must run.

Test databases sort text with an ICU Chinese collation when the server has one, so any
ORDER BY that leans on the database's collation shows up as a difference from SQLite.
"""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from factory import customer, make_workbook, two_region_inbox  # noqa: E402

from xltools.checks.rules import lookup_columns  # noqa: E402
from xltools.cli import cli  # noqa: E402
from xltools.jobs.demo import StoreInUse, run_demo  # noqa: E402
from xltools.jobs.merge import Merge  # noqa: E402
from xltools.forms.model import Record, customer_key  # noqa: E402
from xltools.rollup import rollup  # noqa: E402
from xltools.sample import SampleSpec  # noqa: E402
from xltools.forms.schema import load_schema  # noqa: E402
from xltools.store import open_store  # noqa: E402
from xltools.store.base import StoreBusy, StoreUnavailable  # noqa: E402
from xltools.store.identity import identity_hash  # noqa: E402
from xltools.store.locations import is_url, mask_url, resolve_location  # noqa: E402
from xltools.store.migrations import SCHEMA_VERSION  # noqa: E402

AS_OF = dt.date(2024, 4, 1)
ALL = ("merged", "quarantined", "withdrawn")
VOLATILE = ["_id", "_first_seen", "_last_seen", "_run_id"]      # clock times and counters, not content


# --- Backends ---------------------------------------------------------------------------------------------


def pg_admin_url() -> str:
    """The server the PostgreSQL half runs against; skip without one (fail on CI)."""
    url = os.environ.get("XLTOOLS_TEST_PG")
    problem = None if url else "XLTOOLS_TEST_PG is not set"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        problem = "psycopg is not installed (pip install 'xltools[postgres]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem + " (required on CI: .ci/run starts a server)")
        pytest.skip(problem)
    return url


def _with_database(url: str, name: str) -> str:
    head, _, tail = url.partition("?")
    return head.rsplit("/", 1)[0] + "/" + name + ("?" + tail if tail else "")


@pytest.fixture
def pg_url():
    """A new, empty database on the test server; dropped after the test."""
    admin = pg_admin_url()             # skips first when psycopg (the postgres extra) is missing
    import psycopg
    name = f"xltools_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        try:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                         "LOCALE_PROVIDER icu ICU_LOCALE 'zh-Hans' LOCALE 'C.UTF-8'")
        except psycopg.Error:          # no ICU (or PostgreSQL < 15): the server's default collation
            conn.execute(f"CREATE DATABASE {name}")
    yield _with_database(admin, name)
    _drop_database(admin, name)


def _drop_database(admin: str, name: str) -> None:
    """Drop a test database. It fails while a connection is open: a connection the code forgot
    to close shows up here (autovacuum may hold it for a moment, hence the retries)."""
    import psycopg
    with psycopg.connect(admin, autocommit=True) as conn:
        for attempt in range(25):
            try:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                return
            except psycopg.errors.ObjectInUse:
                if attempt == 24:
                    raise
                time.sleep(0.2)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store_url(backend, tmp_path, request) -> str:
    """Where the test's store lives: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


# --- Workbooks --------------------------------------------------------------------------------------------


@pytest.fixture
def inbox(tmp_path):
    return two_region_inbox(tmp_path / "inbox")


def run(inboxes, store, tmp_path, as_of=AS_OF, lock_wait=30.0, **kw):
    return Merge(store, as_of=as_of, lock_wait=lock_wait).run(inboxes if isinstance(inboxes, list) else [inboxes], **kw)


def frame(store_url, form="customers", statuses=ALL):
    store = open_store(store_url)
    try:
        return store.frame(form, statuses)
    finally:
        store.close()


def content(store_url, form="customers"):
    """The rows of a form, without clock times or ids: (file, customer, status, row) sorted."""
    rows = frame(store_url, form)
    return sorted(zip(rows["_file"], rows["customer"], rows["_status"], rows["_row"]))


def stored_findings(store_url):
    store = open_store(store_url)
    try:
        found = store.findings()
    finally:
        store.close()
    return sorted(zip(found["file"], found["origin"], found["code"], found["row"].fillna(0)))


# --- Merging ----------------------------------------------------------------------------------------------


def test_a_second_merge_changes_nothing(inbox, tmp_path, store_url):
    first = run(inbox, store_url, tmp_path)
    before = frame(store_url).drop(columns=VOLATILE)
    findings = stored_findings(store_url)
    second = run(inbox, store_url, tmp_path)
    assert (second.files.read, second.files.unchanged) == (0, 2)
    assert second.rows.to_dict() == {"read": 0, "merged": 0, "quarantined": 0, "withdrawn": 0}
    assert frame(store_url).drop(columns=VOLATILE).equals(before)
    assert second.store_rows.to_dict() == first.store_rows.to_dict() == {"merged": 4, "quarantined": 1, "withdrawn": 0}
    assert stored_findings(store_url) == findings


def test_findings_of_unchanged_files_are_kept(inbox, tmp_path, store_url):
    first = run(inbox, store_url, tmp_path)
    make_workbook(inbox / "华南", {"customers": [customer("深圳市华络通信有限公司", "张三")]}, "张三.xlsx")
    second = run(inbox, store_url, tmp_path)
    assert (second.files.read, second.files.unchanged) == (1, 1)
    lisi = sorted((f.code, f.row) for f in first.report.findings if f.file == "华北/李四.xlsx")
    assert lisi and sorted((f.code, f.row) for f in second.report.findings if f.file == "华北/李四.xlsx") == lisi
    assert ("华北/李四.xlsx", "read", "format", 3) in stored_findings(store_url)


def test_a_changed_file_replaces_only_its_rows(inbox, tmp_path, store_url):
    run(inbox, store_url, tmp_path)
    before = frame(store_url)
    make_workbook(inbox / "华北", {"customers": [customer("北京恒通物流有限公司", "李四")]}, "李四.xlsx")
    run(inbox, store_url, tmp_path)
    after = frame(store_url)
    zhang = ["_file", "customer", "_row", "_first_seen"]
    assert after[after._file == "华南/张三.xlsx"][zhang].values.tolist() == \
        before[before._file == "华南/张三.xlsx"][zhang].values.tolist()
    assert after[after._file == "华北/李四.xlsx"].customer.tolist() == ["北京恒通物流有限公司"]
    first_seen = dict(zip(before.customer, before._first_seen))
    assert dict(zip(after.customer, after._first_seen))["北京恒通物流有限公司"] == first_seen["北京恒通物流有限公司"]


def test_a_removed_file_is_withdrawn_not_deleted(inbox, tmp_path, store_url):
    run(inbox, store_url, tmp_path)
    (inbox / "华北" / "李四.xlsx").unlink()
    result = run(inbox, store_url, tmp_path)
    assert result.withdrawn_files == ["华北/李四.xlsx"] and result.rows.withdrawn == 2
    assert [s for _, _, s, _ in content(store_url)].count("withdrawn") == 2
    assert result.store_rows.to_dict() == {"merged": 3, "quarantined": 0, "withdrawn": 2}       # 张三: two customers, a visit


def test_prune_deletes_the_rows_of_removed_files(inbox, tmp_path, store_url):
    run(inbox, store_url, tmp_path)
    (inbox / "华北" / "李四.xlsx").unlink()
    run(inbox, store_url, tmp_path, prune=True)
    assert [c for _, c, _, _ in content(store_url)] == ["广州华新科技", "深圳市华络通信有限公司"]
    assert not any(f == "华北/李四.xlsx" for f, *_ in stored_findings(store_url))


def test_quarantine_counts_and_release(inbox, tmp_path, store_url):
    result = run(inbox, store_url, tmp_path)
    assert result.rows.to_dict() == {"read": 5, "merged": 4, "quarantined": 1, "withdrawn": 0}
    assert ("华北/李四.xlsx", "天津瑞丰制造", "quarantined", 3) in content(store_url)
    make_workbook(inbox / "华北", {"customers": [customer("北京恒通物流有限公司", "李四"),
                                                customer("天津瑞丰制造", "李四")]}, "李四.xlsx")
    fixed = run(inbox, store_url, tmp_path)
    assert fixed.store_rows.to_dict() == {"merged": 5, "quarantined": 0, "withdrawn": 0}


def test_run_history_and_snapshots(inbox, tmp_path, store_url):
    make_workbook(inbox, {"pipeline": [{"project_id": "XM-1", "project": "CRM", "customer": "华络通信", "owner": "张三",
                                        "stage": "3 有资格", "amount": 25, "expected_close": dt.date(2024, 5, 1)}]},
                  "商机.xlsx")
    run(inbox, store_url, tmp_path)
    run(inbox, store_url, tmp_path, as_of=AS_OF + dt.timedelta(days=7))
    store = open_store(store_url)
    try:
        runs, snaps = store.runs(), store.snapshots()
    finally:
        store.close()
    assert list(runs.id) == [1, 2] and list(runs.as_of) == ["2024-04-01", "2024-04-08"]
    assert json.loads(runs.counts[0])["files"]["read"] == 3 and runs.finished_at.notna().all()
    assert list(snaps.run_id) == [1, 2] and list(snaps.amount) == [25.0, 25.0]
    assert list(snaps.as_of) == ["2024-04-01", "2024-04-08"]


def test_customer_keys_restrict_the_rows_loaded(inbox, tmp_path, store_url):
    run(inbox, store_url, tmp_path)
    store = open_store(store_url)
    try:
        ids = {f.path: f.id for f in store.files().values()}
        paths = {i: p for p, i in ids.items()}
        every = store.load_records(list(ids.values()), paths)
        some = store.load_records(list(ids.values()), paths, {"华络通信"})
        none = store.load_records(list(ids.values()), paths, set())
        keys = set(frame_keys(store))
    finally:
        store.close()
    assert len(every) == 5
    assert sorted((r.form, r.values["customer"]) for r in some) == [("customers", "深圳市华络通信有限公司"),
                                                                     ("visits", "华络通信")]
    assert none == []
    assert keys == {customer_key(n) for n in ("深圳市华络通信有限公司", "广州华新科技", "北京恒通物流有限公司", "天津瑞丰制造")}


def frame_keys(store):
    return store.frame("customers", ALL)["_customer_key"]


def test_text_with_a_nul_character_is_stored(tmp_path, store_url, backend):
    store = open_store(store_url)
    try:
        run_id = store.start_run(AS_OF, ["inbox"])
        file_id = store.upsert_file("inbox", "a.xlsx", "x", "张三", "active", run_id)
        store.replace_rows(file_id, [Record("customers", "a.xlsx", "客户信息", 2, {"customer": "华络\x00通信"})], run_id)
        stored = store.frame("customers").customer.tolist()
    finally:
        store.close()
    # PostgreSQL text cannot hold NUL: it keeps the replacement character in its place.
    assert stored == (["华络\x00通信"] if backend == "sqlite" else ["华络\ufffd通信"])


# --- Schema versions --------------------------------------------------------------------------------------


def _v1_statements(backend: str) -> list[str]:
    """The layout of store v1, as xltools 0.1 created it, with one file and two rows in it."""
    ident, integer, real = (("INTEGER PRIMARY KEY", "INTEGER", "REAL") if backend == "sqlite" else
                            ("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT", "DOUBLE PRECISION"))
    statements = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        "INSERT INTO meta VALUES ('schema_version', '1')",
        f"CREATE TABLE runs (id {ident}, started_at TEXT, finished_at TEXT, as_of TEXT, inboxes TEXT, counts TEXT)",
        f"""CREATE TABLE files (id {ident}, inbox TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT, rep TEXT,
            status TEXT, reason TEXT, first_seen TEXT, last_seen TEXT, last_run {integer}, UNIQUE (inbox, path))""",
        f"""CREATE TABLE findings (id {ident}, run_id {integer}, origin TEXT, file_id {integer}, form TEXT,
            sheet TEXT, row {integer}, column_letter TEXT, field TEXT, code TEXT, severity TEXT, customer TEXT,
            rep TEXT, value TEXT, message_zh TEXT, message_en TEXT)""",
        "CREATE INDEX findings_file ON findings(file_id)",
        f"""CREATE TABLE snapshots (id {ident}, run_id {integer}, as_of TEXT, project_id TEXT, project TEXT,
            customer TEXT, owner TEXT, stage TEXT, win_probability {real}, amount {real}, expected_close TEXT,
            forecast TEXT)""",
    ]
    for spec in load_schema().sheets.values():
        types = {"int": integer, "number": real, "percent": real}
        cols = ", ".join(f'"{f.key}" {types.get(f.type, "TEXT")}' for f in spec.fields)
        statements += [f"""CREATE TABLE rows_{spec.key} (_id {ident}, _file_id {integer} NOT NULL REFERENCES
            files(id), _sheet TEXT, _row {integer}, _rep TEXT, _status TEXT NOT NULL, _row_hash TEXT,
            _first_seen TEXT, _last_seen TEXT, _run_id {integer}, _columns TEXT, _unread TEXT, {cols})""",
                       f"CREATE INDEX rows_{spec.key}_file ON rows_{spec.key}(_file_id)"]
    statements += [
        "INSERT INTO runs (started_at, as_of, inboxes) VALUES ('2024-03-01 09:00:00', '2024-03-01', '[\"inbox\"]')",
        "INSERT INTO files (inbox, path, sha256, rep, status, first_seen, last_seen, last_run) VALUES "
        "('inbox', '张三.xlsx', 'old', '张三', 'active', '2024-03-01 09:00:00', '2024-03-01 09:00:00', 1)",
        "INSERT INTO rows_customers (_file_id, _sheet, _row, _rep, _status, _first_seen, _run_id, customer) "
        "VALUES (1, '客户信息', 2, '张三', 'merged', '2024-03-01 09:00:00', 1, '深圳市华络通信有限公司')",
        "INSERT INTO rows_targets (_file_id, _sheet, _row, _rep, _status, _first_seen, _run_id, rep) "
        "VALUES (1, '销售指标', 2, '张三', 'merged', '2024-03-01 09:00:00', 1, '张三')",
    ]
    return statements


def make_v1_store(store_url: str, backend: str) -> None:
    if backend == "sqlite":
        with sqlite3.connect(store_url) as db:
            for statement in _v1_statements(backend):
                db.execute(statement)
        return
    import psycopg
    with psycopg.connect(store_url, autocommit=True) as db:
        for statement in _v1_statements(backend):
            db.execute(statement)


def test_a_v1_store_is_upgraded(tmp_path, store_url, backend):
    make_v1_store(store_url, backend)
    store = open_store(store_url)
    try:
        assert store.version() == SCHEMA_VERSION == 7
        assert "row_key" in store._columns("findings")                   # v5: a finding's own row key
        assert [f.modified for f in store.files().values()] == [None]     # v6: not known until the file changes
        customers, targets = store.frame("customers"), store.frame("targets")
        assert customers._customer_key.tolist() == ["华络通信"]          # filled in from the customer field
        spec = store.schema.sheets["customers"]                         # v3: the row's identity
        assert customers._row_hash.tolist() == [identity_hash(spec, {"customer": "深圳市华络通信有限公司"})]
        assert targets._customer_key.isna().all()                       # targets have no customer
        assert {"rows_customers_customer", "rows_visits_customer"} <= store._indexes()
        assert "rows_visits_status" in store._indexes()                 # v7: the counts (look-ups: each merge)
        paths = {1: "张三.xlsx"}
        assert [r.values["customer"] for r in store.load_records([1], paths, {"华络通信"})] == ["深圳市华络通信有限公司"]
    finally:
        store.close()
    reopened = open_store(store_url)            # an upgraded store opens as it is
    assert reopened.version() == 7 and len(reopened.frame("customers")) == 1
    reopened.close()


def test_every_field_a_re_merge_looks_rows_up_by_is_indexed(store_url, tmp_path):
    """The rules declare what they look rows up by; a merge has the store index exactly that."""
    run(two_region_inbox(tmp_path / "inbox"), store_url, tmp_path)
    store = open_store(store_url)
    try:
        wanted = {f"rows_{form}_by_{column}" for form, columns in lookup_columns(store.schema).items()
                  for column in columns}
        assert {"rows_contracts_by_contract_id", "rows_customers_by_next_follow_up"} <= wanted
        assert wanted | {f"rows_{form}_status" for form in store.schema.sheets} <= store._indexes()
    finally:
        store.close()


def test_a_look_up_reads_through_its_own_index_not_the_files_one(tmp_path):
    """A re-merge looks rows up by a key's values or a date range within nearly every file. Without
    statistics SQLite would take the files' index for the longer IN list and read every row of them."""
    store = open_store(tmp_path / "store.db")
    store.index_lookups(lookup_columns(store.schema))          # as every merge does
    plans = []
    rows = store._rows

    def explained(sql, params=()):
        if sql.startswith("SELECT") and " FROM rows_" in sql:
            plans.append(" ".join(r[-1] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql, params)))
        return rows(sql, params)

    store._rows = explained
    files = list(range(1, 201))
    paths = dict.fromkeys(files, "张三.xlsx")
    try:
        store.load_matching(files, paths, "visits", "_customer_key", {f"客户{i}" for i in range(300)})
        store.load_matching(files, paths, "contracts", "contract_id", {f"HT-{i}" for i in range(300)})
        store.load_between(files, paths, "customers", "next_follow_up", AS_OF, AS_OF + dt.timedelta(days=7))
    finally:
        store.close()
    used = ["rows_visits_customer", "rows_contracts_by_contract_id", "rows_customers_by_next_follow_up"]
    assert [f"USING INDEX {index} " in plan for plan, index in zip(plans, used)] == [True] * 3, plans


def test_an_upgraded_store_keeps_merging(tmp_path, store_url, backend, inbox):
    make_v1_store(store_url, backend)
    result = run(inbox, store_url, tmp_path)
    assert result.store_rows.to_dict() == {"merged": 6, "quarantined": 1, "withdrawn": 0}   # 5 read + 2 from v1
    assert set(frame(store_url)._customer_key) == {"华络通信", "华新", "恒通物流", "瑞丰"}    # 广州, 科技, 制造 stripped


def test_a_store_from_a_newer_version_is_refused(store_url):
    open_store(store_url).close()
    store = open_store(store_url)
    store._run("UPDATE meta SET value='99' WHERE key='schema_version'")
    store.close()
    with pytest.raises(RuntimeError, match="newer xltools"):
        open_store(store_url)


# --- Two admins at once -----------------------------------------------------------------------------------


def _merge_in_process(inboxes, store, master, start, queue):
    try:
        start.wait(30)                       # both processes begin together
        merging = Merge(store, as_of=AS_OF, lock_wait=60)
        result = merging.run(inboxes)
        merging.write_master(result, master)
        queue.put(("ok", result.files.read, result.files.unchanged))
    except Exception as exc:  # noqa: BLE001 -- reported to the test
        queue.put(("error", type(exc).__name__, str(exc)))


def merge_at_once(jobs: list[tuple[list[Path], Path]], store_url: str) -> list[tuple]:
    """Run each (inboxes, master) merge in its own process, all starting together."""
    start, queue = multiprocessing.Event(), multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_merge_in_process, args=(inboxes, store_url, master, start, queue))
             for inboxes, master in jobs]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(180)
    return sorted(queue.get(timeout=5) for _ in procs)


def test_two_admins_merge_different_inboxes_at_once(inbox, tmp_path, store_url):
    south, north = inbox / "华南", inbox / "华北"
    outcomes = merge_at_once([([south], tmp_path / "south.xlsx"), ([north], tmp_path / "north.xlsx")], store_url)
    assert outcomes == [("ok", 1, 0), ("ok", 1, 0)]
    assert content(store_url) == [("张三.xlsx", "广州华新科技", "merged", 3), ("张三.xlsx", "深圳市华络通信有限公司", "merged", 2),
                                  ("李四.xlsx", "北京恒通物流有限公司", "merged", 2), ("李四.xlsx", "天津瑞丰制造", "quarantined", 3)]
    store = open_store(store_url)
    try:
        inboxes = {key[0] for key in store.files()}
        assert len(inboxes) == 2 and all(f.status == "active" for f in store.files().values())
        assert len(store.runs()) == 2 and store.runs().finished_at.notna().all()
    finally:
        store.close()
    assert ("李四.xlsx", "read", "format", 3) in stored_findings(store_url)       # neither run lost the other's
    again = run([south], store_url, tmp_path)                                   # nothing withdrawn across inboxes
    assert again.rows.withdrawn == 0 and again.store_rows.withdrawn == 0


def test_the_same_inbox_twice_at_once_does_not_double_rows(inbox, tmp_path, store_url):
    outcomes = merge_at_once([([inbox], tmp_path / "a.xlsx"), ([inbox], tmp_path / "b.xlsx")], store_url)
    assert outcomes == [("ok", 0, 2), ("ok", 2, 0)]              # the second waited, then found nothing new
    assert len(content(store_url)) == 4
    assert len(frame(store_url, "visits")) == 1


def test_a_merge_waits_only_for_its_own_inbox(inbox, tmp_path, store_url, backend):
    south, north = inbox / "华南", inbox / "华北"
    holder = open_store(store_url)
    try:
        with holder.lock([south.resolve().as_posix()]):
            with pytest.raises(StoreBusy):
                run([south], store_url, tmp_path, lock_wait=0.5)
            if backend == "sqlite":                    # one writer: the whole file waits
                with pytest.raises(StoreBusy):
                    run([north], store_url, tmp_path, lock_wait=0.5)
            else:                                      # a server: other inboxes go ahead
                assert run([north], store_url, tmp_path, lock_wait=0.5).files.read == 1
        with holder.lock():                            # the whole store: nothing merges
            with pytest.raises(StoreBusy):
                run([north], store_url, tmp_path, lock_wait=0.5)
    finally:
        holder.close()


# --- The same numbers on both -----------------------------------------------------------------------------


def test_the_demo_gives_the_same_numbers_on_both(tmp_path, pg_url):
    spec = SampleSpec(reps=3, customers_per_rep=6, months=3)
    on_file = run_demo(tmp_path / "sqlite", spec, lang="en")
    on_server = run_demo(tmp_path / "pg", spec, lang="en", store=pg_url)
    assert on_server.summary.to_dict() == on_file.summary.to_dict()
    for a, b in zip(on_server.merges, on_file.merges):
        assert (a.files, a.rows, a.store_rows) == (b.files, b.rows, b.store_rows)
        assert a.to_dict()["findings"] == b.to_dict()["findings"]
    assert on_server.outputs["store"] == mask_url(pg_url)
    for form in load_schema().sheets:
        server, local = frame(pg_url, form), frame(on_file.outputs["store"], form)
        assert server.drop(columns=VOLATILE).equals(local.drop(columns=VOLATILE)), form
    again = run_demo(tmp_path / "pg", spec, lang="en", store=pg_url)        # an earlier demo is emptied first
    assert again.summary.to_dict() == on_file.summary.to_dict()


def test_the_demo_does_not_empty_a_store_in_use(inbox, tmp_path, store_url):
    run(inbox, store_url, tmp_path)
    with pytest.raises(StoreInUse):
        run_demo(tmp_path / "demo", SampleSpec(reps=1, customers_per_rep=2, months=1), store=store_url)
    assert len(content(store_url)) == 4


def test_rollup_reads_through_the_cli(inbox, tmp_path, store_url):
    from click.testing import CliRunner
    run(inbox, store_url, tmp_path)
    printed = CliRunner().invoke(cli, ["rollup", "--store", store_url, "--json", "--as-of", AS_OF.isoformat()])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output) == json.loads(json.dumps(rollup(store_url, AS_OF).to_dict()))


# --- Credentials ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, shown", [
    ("postgresql://bob:secret@h/db", "postgresql://bob:***@h/db"),
    ("postgresql://bob:s%40cr:et@db.example.com:5433/sales?sslmode=require",
     "postgresql://bob:***@db.example.com:5433/sales?sslmode=require"),
    ("postgresql://bob@h/db", "postgresql://bob@h/db"),
    ("postgresql://h:5432/db", "postgresql://h:5432/db"),
    ("postgresql://h/db?user=bob&password=secret", "postgresql://h/db?user=bob&password=***"),
    ("postgres://bob:pa/ss@w@h/db?password=x", "postgres://bob:***@h/db?password=***"),    # unescaped / and @
])
def test_mask_url(url, shown):
    assert mask_url(url) == shown


def test_locations_in_settings(tmp_path):
    assert is_url("postgresql://bob@h/db") and not is_url("C:\\销售\\xltools.db") and not is_url(tmp_path)
    assert resolve_location(" postgresql://bob@h/db ", tmp_path) == "postgresql://bob@h/db"
    assert resolve_location("库/xltools.db", tmp_path) == tmp_path / "库" / "xltools.db"


def test_store_urls(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/by-url.db")
    assert store.path == tmp_path / "by-url.db" and store.version() == SCHEMA_VERSION
    store.close()
    with pytest.raises(ValueError, match=r"mysql://bob:\*\*\*@h/db"):
        open_store("mysql://bob:secret@h/db")


def test_the_password_never_shows(inbox, tmp_path, pg_url):
    from click.testing import CliRunner
    password = pg_url.split("://", 1)[1].split("@", 1)[0].partition(":")[2]
    assert password, "the test server's URL carries a password"
    result = CliRunner().invoke(cli, ["merge", str(inbox), "--store", pg_url, "--master", str(tmp_path / "m.xlsx"),
                                      "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 1, result.output          # the inbox's planted errors: rows quarantined
    assert password not in result.output and mask_url(pg_url) in result.output
    as_json = CliRunner().invoke(cli, ["merge", str(inbox), "--store", pg_url, "--no-master", "--json"])
    assert password not in as_json.output and json.loads(as_json.output)["store"] == mask_url(pg_url)
    import zipfile
    with zipfile.ZipFile(tmp_path / "m.xlsx") as book:
        assert not any(password.encode() in book.read(name) for name in book.namelist())
    store = open_store(pg_url)
    try:
        assert password not in repr(store) and password not in str(store.path)
        assert not any(password in str(v) for v in store.runs().to_numpy().ravel())
        with store.lock(), pytest.raises(StoreBusy) as busy:
            run(inbox, pg_url, tmp_path, lock_wait=0.2)
    finally:
        store.close()
    assert busy.value.store == mask_url(pg_url) and mask_url(pg_url) in str(busy.value)   # the sentence names it
    wrong = pg_url.replace(":" + password + "@", ":wrong-" + password + "@")
    with pytest.raises(StoreUnavailable) as refused:
        open_store(wrong)
    assert password not in str(refused.value) and "***" in str(refused.value)


def test_a_read_only_session_can_roll_up(inbox, tmp_path, pg_url):
    """Managers may read with a role that cannot write: opening an up-to-date store writes nothing."""
    run(inbox, pg_url, tmp_path)
    sep = "&" if "?" in pg_url else "?"
    read_only = pg_url + sep + "options=-c%20default_transaction_read_only%3Don"
    assert rollup(read_only, AS_OF).to_dict() == rollup(pg_url, AS_OF).to_dict()


def test_a_new_day_re_runs_the_time_dependent_rules_in_place(inbox, tmp_path, store_url):
    """Days later, with no file changed, the findings are those of a fresh merge of that day."""
    def codes(result):
        return sorted((f.code, f.file, f.cell, f.message("en")) for f in result.report.findings if f.code != "entry-late")

    run(inbox, store_url, tmp_path)
    overdue = {}
    for days in (7, 24, 3):                 # the next visit passes, then the follow-ups; then the day goes back
        day = AS_OF + dt.timedelta(days=days)
        again = run(inbox, store_url, tmp_path, as_of=day)
        fresh = run(inbox, tmp_path / f"fresh{days}.db", tmp_path, as_of=day)
        assert again.files.read == 0 and codes(again) == codes(fresh)
        overdue[days] = sum(f.code == "follow-up-overdue" for f in again.report.findings)
    assert overdue == {7: 1, 24: 5, 3: 0}      # the visit; then it and the four customers
