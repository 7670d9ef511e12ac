"""Sync under faults, checked against the simulation's own log and a reference model: JSON lines;
exit 1 unless lost = duplicated = diverged = unexplained = 0 for every seed.

    .venv/bin/python bench/sync_faults.py [--seeds 20] [--first-seed 1] [--devices 3] [--ops 150]
        [--fault-rate 0.3] [--kills 1] [--precise-kills 2] [--handheld-kills 2] [--pg-restarts 1]

Runs on a PostgreSQL cluster of its own (bench/pgcluster.py: initdb into a temp dir, its own
port), restarted with ``pg_ctl restart -m immediate`` mid-run; never the machine's cluster. Starts
daphne (with the bench's kill hooks, bench/faultserver.py) behind the fault proxy
(bench/faultproxy.py) and drives simulated handhelds (bench/sync_sim.py); the checker is
bench/fault_check.py with bench/fault_model.py. ``--mutant NAME`` plants one bug (bench/mutants.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def migrated_cluster() -> object:
    """A bench cluster of our own, migrated, with Django set up on it."""
    from bench.pgcluster import BenchCluster

    cluster = BenchCluster()
    # SIGTERM ends the run through ``finally`` (the cluster is stopped and removed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cluster.start()
    os.environ["DATABASE_URL"] = cluster.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ.setdefault("FAST_PASSWORD_HASHER", "True")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, check=True, env=os.environ
    )
    import django

    django.setup()
    return cluster


def config(args: argparse.Namespace, seed: int, cluster: object, mutant: str = "") -> object:
    from bench.sync_sim import SimConfig

    return SimConfig(
        devices=args.devices,
        ops=args.ops,
        fault_rate=args.fault_rate,
        kills=args.kills,
        precise_kills=args.precise_kills,
        handheld_kills=args.handheld_kills,
        pg_restarts=args.pg_restarts,
        cluster=cluster,
        mutant=mutant,
        seed=seed,
        plan_each=1,
        jobs_per_courier=args.jobs_per_courier,
        timeout_s=3.0,
        stall_s=3.5,
        log_path=args.log,
    )


def arguments(
    parser: argparse.ArgumentParser, *, seeds: int, devices: int, ops: int, pg_restarts: int
) -> None:
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--devices", type=int, default=devices)
    parser.add_argument("--ops", type=int, default=ops)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--kills", type=int, default=1, help="timed SIGKILLs of the server mid-batch")
    parser.add_argument("--precise-kills", type=int, default=2, help="after the claim / after commit")
    parser.add_argument("--handheld-kills", type=int, default=2)
    parser.add_argument("--pg-restarts", type=int, default=pg_restarts)
    parser.add_argument("--jobs-per-courier", type=int, default=10)
    parser.add_argument("--log", default="var/sync_faults_server.log")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    arguments(parser, seeds=20, devices=3, ops=150, pg_restarts=1)
    parser.add_argument("--mutant", default="")
    args = parser.parse_args()
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    cluster = migrated_cluster()
    try:
        from bench.sync_sim import run_simulation

        failed = 0
        totals = {"lost": 0, "duplicated": 0, "diverged": 0, "unexplained": 0, "diverged_devices": 0}
        started = time.monotonic()
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            result = run_simulation(config(args, seed, cluster, args.mutant))  # type: ignore[arg-type]
            f = result.figures
            ok = result.ok and not f["errors"]
            failed += int(not ok)
            for k in totals:
                totals[k] += f[k]
            print(
                json.dumps({"bench": "sync_faults", "ok": ok, **f}, ensure_ascii=False, default=str),
                flush=True,
            )
        summary = {
            "bench": "sync_faults",
            "summary": True,
            "seeds": args.seeds,
            "failed_seeds": failed,
            **totals,
            "pg_restarts": cluster.restarts,  # type: ignore[attr-defined]
            "seconds": round(time.monotonic() - started, 1),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        }
        print(json.dumps(summary), flush=True)
        return 0 if failed == 0 else 1
    finally:
        from django.db import connections

        connections.close_all()
        cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
