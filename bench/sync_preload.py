"""Preload a bench database with history: shipments, their jobs, tracking events and feed rows.

    .venv/bin/python bench/sync_preload.py [--shipments 2000000] [--events 20000000] [--stations 200]

A sustained bench on an empty table measures an index that fits in cache; production writes into
tables of tens of millions of rows. This fills the four tables a push and a pull touch, in
chunks, each chunk in its own transaction and recorded in ``bench_preload`` when it commits, so
an interrupted preload resumes where it stopped and a finished one is reused (a second run is a
no-op). Rows are generated inside PostgreSQL (``INSERT … SELECT generate_series``): no Python
loop, no round trip per row, with every index of the schema live, as the migrations made it.

What the rows look like, and why:
- shipments: serials 1..N below the server's number range (``numbering.FIRST_SERIAL``: numbers
  an import brings), valid Luhn tracking numbers, spread over ``--stations`` stations, delivered;
- one delivered job per shipment, in the past (service dates spread over 90 days);
- events: ``--events`` / ``--shipments`` per shipment (a parcel is scanned at every hand-over),
  idempotency keys shaped like the uuid7 op ids devices send, older than any new one;
- one feed row per event with one cursor each (the counter is moved past them), a third of
  them addressed to a courier (ids with no courier row: the feed has no foreign keys), so the
  courier and station indexes a pull reads are as large as the events behind them.

Needs a migrated database at DATABASE_URL. Prints one JSON line per step and a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit

CHUNK_SHIPMENTS = 250_000
CHUNK_EVENTS = 1_000_000
PRELOAD_COURIER_BASE = 50_000_000  # feed rows' courier ids: far above any real courier's id

LUHN_SQL = """
CREATE OR REPLACE FUNCTION pg_temp.pr_tracking_no(serial bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'PR' || body || ((10 - (SELECT sum(CASE WHEN (12 - i) % 2 = 1
             THEN (CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END) ELSE d END)
       FROM (SELECT i, substr(body, i, 1)::int AS d FROM generate_series(1, 11) AS i) AS digits)
       % 10) % 10)::text
  FROM (SELECT lpad(serial::text, 11, '0') AS body) AS b
$$;
"""


def _plan(cur: psycopg.Cursor[Any], args: argparse.Namespace) -> dict[str, int]:
    """The id ranges this preload owns, fixed at its first run and read back on every resume."""
    cur.execute(
        "CREATE TABLE IF NOT EXISTS bench_preload (step text PRIMARY KEY, info jsonb, done_at timestamptz)"
    )
    cur.execute("SELECT info FROM bench_preload WHERE step = 'plan'")
    row = cur.fetchone()
    if row:
        plan: dict[str, int] = row[0]
        return plan
    cur.execute("SELECT COALESCE(max(id), 0) FROM couriers_station")
    station_base = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT COALESCE(max(id), 0) FROM shipments_shipment")
    shipment_base = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT COALESCE(max(id), 0) FROM shipments_job")
    job_base = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT COALESCE(max(id), 0) FROM shipments_trackingevent")
    event_base = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT COALESCE(max(id), 0), COALESCE(max(cursor), 0) FROM shipments_feedentry")
    feed_base, cursor_base = (int(v) for v in cur.fetchone())  # type: ignore[union-attr]
    cur.execute("SELECT COALESCE(max(value), 0) FROM shipments_feedcounter")
    cursor_base = max(cursor_base, int(cur.fetchone()[0]))  # type: ignore[index]
    plan = {
        "stations": args.stations,
        "shipments": args.shipments,
        "events": args.events,
        # Ids start after a gap so rows written meanwhile by the sequences cannot collide.
        "station_base": station_base + 1000,
        "shipment_base": shipment_base + 1_000_000,
        "job_base": job_base + 1_000_000,
        "event_base": event_base + 1_000_000,
        "feed_base": feed_base + 1_000_000,
        "cursor_base": cursor_base + 1_000_000,
        # Events 10 ms apart ending a day ago: older than any op id a device will send.
        "t0_ms": int((time.time() - 86_400) * 1000) - args.events * 10,
    }
    cur.execute(
        "INSERT INTO bench_preload (step, info, done_at) VALUES ('plan', %s, now())", [json.dumps(plan)]
    )
    return plan


def _done(cur: psycopg.Cursor[Any], step: str) -> bool:
    cur.execute("SELECT 1 FROM bench_preload WHERE step = %s AND done_at IS NOT NULL", [step])
    return cur.fetchone() is not None


BULK_TABLES = ("shipments_trackingevent", "shipments_feedentry")


def _drop_indexes(cur: psycopg.Cursor[Any]) -> None:
    """Set the big tables' secondary indexes and unique constraints aside until the rows are in.

    Maintaining five B-trees row by row costs several times the insert itself (measured: 43 µs a
    row against 10 µs without them on this machine); building each once at the end is a sort. The
    definitions are kept in ``bench_preload`` so a resumed preload restores exactly the schema's.
    """
    if _done(cur, "drop_indexes"):
        return
    defs: list[str] = []
    for table in BULK_TABLES:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        for name, definition in cur.fetchall():
            defs.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
            [table],
        )
        for name, definition in cur.fetchall():
            defs.append(definition)
            cur.execute(f"DROP INDEX {name}")
    cur.execute(
        "INSERT INTO bench_preload VALUES ('drop_indexes', %s, now())", [json.dumps({"restore": defs})]
    )


def _restore_indexes(cur: psycopg.Cursor[Any]) -> None:
    if _done(cur, "indexes"):
        return
    cur.execute("SELECT info FROM bench_preload WHERE step = 'drop_indexes'")
    for definition in cur.fetchone()[0]["restore"]:  # type: ignore[index]
        t0 = time.perf_counter()
        cur.execute(definition)
        emit(step="index", sql=definition[:90], seconds=round(time.perf_counter() - t0, 1))
    cur.execute("INSERT INTO bench_preload VALUES ('indexes', '{}', now())")


def _step(conn: psycopg.Connection[Any], step: str, sql: str, params: dict[str, Any]) -> None:
    with conn.cursor() as cur:
        if _done(cur, step):
            return
    t0 = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        # The rows reference only rows this preload wrote (or its own courier ids, which the feed
        # never constrains): skip the per-row foreign-key triggers, not the constraints.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(sql, params)
        rows = cur.rowcount
        cur.execute(
            "INSERT INTO bench_preload (step, info, done_at) VALUES (%s, %s, now())",
            [step, json.dumps({"rows": rows, "seconds": round(time.perf_counter() - t0, 1)})],
        )
    emit(step=step, rows=rows, seconds=round(time.perf_counter() - t0, 1))


STATIONS_SQL = """
INSERT INTO couriers_station (id, code, name, address, lat, lng, time_zone, morning_prompt_at, phone)
SELECT %(base)s + s, 'PL' || lpad(s::text, 5, '0'), '预载站 ' || s, '浙江省杭州市', 30.2 + s / 1000.0,
       120.1 + s / 1000.0, 'Asia/Shanghai', '07:30', '0571' || lpad(s::text, 7, '0')
FROM generate_series(1, %(n)s::int) AS s
"""

SHIPMENTS_SQL = """
INSERT INTO shipments_shipment (id, tracking_no, status, station_id, service_level, sender_name, sender_phone,
  sender_address, recipient_name, recipient_phone, recipient_address, recipient_postcode, destination_region,
  declared_value_fen, cod_amount_fen, handling, weight_source, pieces, payment_method, delivery_code,
  sender_id_type, sender_id_last4, sender_real_name, created_at, updated_at, declared_weight_g)
SELECT %(base)s + s, pg_temp.pr_tracking_no(s), 'delivered', %(station_base)s + 1 + s %% %(stations)s,
  'standard', '张三', '138' || lpad((s %% 100000000)::text, 8, '0'), '文三路' || (s %% 997) || '号',
  '李四', '139' || lpad(((s * 7) %% 100000000)::text, 8, '0'), '教工路' || (s %% 1999) || '号', '310012', '',
  0, CASE WHEN s %% 10 = 0 THEN 1500 ELSE 0 END, '[]', '', 1, '', '', '', '', '',
  now() - make_interval(secs => (s %% 7776000)), now() - make_interval(secs => (s %% 7776000)),
  200 + s %% 5000
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS s
"""

JOBS_SQL = """
INSERT INTO shipments_job (id, kind, shipment_id, station_id, status, service_date, address, priority,
  attempt_count, next_step, version, plan_revision, on_hold, created_at, updated_at)
SELECT %(job_base)s + s, 'delivery', %(base)s + s, %(station_base)s + 1 + s %% %(stations)s, 'delivered',
  (now() - make_interval(secs => (s %% 7776000)))::date, '教工路' || (s %% 1999) || '号', 0, 1, '{}', 4, 0,
  false, now() - make_interval(secs => (s %% 7776000)), now() - make_interval(secs => (s %% 7776000))
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS s
"""

# Event i belongs to shipment 1 + i % N: a shipment's events are spread over the table, as a
# parcel's scans are spread over the days it travels.
EVENTS_SQL = """
INSERT INTO shipments_trackingevent (id, shipment_id, kind, status_after, station_id, actor_id, device_id,
  event_at, received_at, idempotency_key, op_hash, details)
SELECT %(event_base)s + i, %(base)s + 1 + i %% %(shipments)s,
  (ARRAY['station_in','sorted','sorted','loaded_out','sorted','station_in','sorted','loaded_out'])[1 + i %% 8],
  (ARRAY['at_station','at_station','at_station','out_for_delivery','at_station','at_station','at_station',
         'out_for_delivery'])[1 + i %% 8],
  %(station_base)s + 1 + (i %% %(shipments)s) %% %(stations)s, NULL, 'belt-pl-' || (i %% 500),
  ts, ts,
  -- a uuid7 op id from the past: 48-bit millisecond time, version 7, then random bits
  lpad(to_hex(ms), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15),
  h || h, '{}'
FROM (SELECT i, %(t0_ms)s::bigint + i * 10 AS ms,
             to_timestamp((%(t0_ms)s::bigint + i * 10) / 1000.0) AS ts, md5(i::text) AS h
      FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i) AS g
"""

FEED_SQL = """
INSERT INTO shipments_feedentry (id, cursor, kind, station_id, courier_id, prev_courier_id, shipment_id,
  job_id, payload, created_at)
SELECT %(feed_base)s + i, %(cursor_base)s + i, 'shipment.scanned',
  %(station_base)s + 1 + (i %% %(shipments)s) %% %(stations)s,
  CASE WHEN i %% 3 = 0 THEN %(courier_base)s + (i %% 30000) END, NULL, %(base)s + 1 + i %% %(shipments)s,
  NULL,
  jsonb_build_object('shipment_id', %(base)s + 1 + i %% %(shipments)s, 'status', 'at_station',
                     'scan', jsonb_build_object('kind', 'sorted', 'event_id', %(event_base)s + i)),
  to_timestamp((%(t0_ms)s::bigint + i * 10) / 1000.0)
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i
"""


def preload(url: str, args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.cursor() as cur:
            plan = _plan(cur, args)
            cur.execute(LUHN_SQL)
        n_ship, n_ev = plan["shipments"], plan["events"]
        p = {**plan, "base": plan["shipment_base"], "courier_base": PRELOAD_COURIER_BASE}
        _step(conn, "stations", STATIONS_SQL, {"base": plan["station_base"], "n": plan["stations"]})
        for lo in range(1, n_ship + 1, CHUNK_SHIPMENTS):
            hi = min(n_ship, lo + CHUNK_SHIPMENTS - 1)
            _step(conn, f"shipments:{lo}", SHIPMENTS_SQL, {**p, "lo": lo, "hi": hi})
            _step(conn, f"jobs:{lo}", JOBS_SQL, {**p, "lo": lo, "hi": hi})
        with conn.cursor() as cur:
            _drop_indexes(cur)
        for lo in range(0, n_ev, CHUNK_EVENTS):
            hi = min(n_ev - 1, lo + CHUNK_EVENTS - 1)
            _step(conn, f"events:{lo}", EVENTS_SQL, {**p, "lo": lo, "hi": hi})
            _step(conn, f"feed:{lo}", FEED_SQL, {**p, "lo": lo, "hi": hi})
        with conn.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            _restore_indexes(cur)
            # The sequences and the feed counter move past the preloaded rows, so the server's own
            # writes continue after them (a cursor below the preload's would break the feed order).
            for table, top in (
                ("couriers_station", plan["station_base"] + plan["stations"]),
                ("shipments_shipment", plan["shipment_base"] + n_ship),
                ("shipments_job", plan["job_base"] + n_ship),
                ("shipments_trackingevent", plan["event_base"] + n_ev),
                ("shipments_feedentry", plan["feed_base"] + n_ev),
            ):
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST(%s, (SELECT COALESCE(max(id), 1) FROM {table})))",
                    [top],
                )
            cur.execute(
                "INSERT INTO shipments_feedcounter (id, value) VALUES (1, %s) "
                "ON CONFLICT (id) DO UPDATE SET value = GREATEST(shipments_feedcounter.value, EXCLUDED.value)",
                [plan["cursor_base"] + n_ev],
            )
            if not _done(cur, "analyze"):
                for table in (
                    "shipments_shipment",
                    "shipments_job",
                    "shipments_trackingevent",
                    "shipments_feedentry",
                ):
                    cur.execute(f"VACUUM (ANALYZE) {table}")
                cur.execute("INSERT INTO bench_preload VALUES ('analyze', '{}', now())")
            counts = {}
            for key, table in (
                ("shipments", "shipments_shipment"),
                ("events", "shipments_trackingevent"),
                ("feed", "shipments_feedentry"),
            ):
                cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
                counts[key] = int(cur.fetchone()[0])  # type: ignore[index]
            cur.execute("SELECT pg_database_size(current_database())")
            size = int(cur.fetchone()[0])  # type: ignore[index]
    return {
        "preload": "done",
        "planned": {"shipments": n_ship, "events": n_ev, "stations": plan["stations"]},
        "estimated_rows": counts,
        "db_gb": round(size / 1e9, 2),
        "seconds_this_run": round(time.perf_counter() - t_start, 1),
    }


def preload_info(url: str) -> dict[str, Any] | None:
    """The plan of a finished preload at ``url`` (None when there is none, or it is unfinished)."""
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_preload') IS NOT NULL")
        if not cur.fetchone()[0]:  # type: ignore[index]
            return None
        cur.execute("SELECT info FROM bench_preload WHERE step = 'plan'")
        plan = cur.fetchone()
        if not _done(cur, "analyze") or plan is None:
            return None
        info: dict[str, Any] = plan[0]
        return info


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shipments", type=int, default=2_000_000)
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--stations", type=int, default=200)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("DATABASE_URL must point at a migrated PostgreSQL database", file=sys.stderr)
        return 2
    if args.shipments >= 10_000_000:
        print("--shipments must stay below numbering.FIRST_SERIAL (10,000,000)", file=sys.stderr)
        return 2
    emit(**preload(url, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
