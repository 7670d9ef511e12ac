"""Is the fault checker able to see bugs? Plant each known bug in turn and run the checker.

    .venv/bin/python bench/mutants.py [--seeds 1] [--devices 4] [--ops 300]

For each mutant of bench/faultserver.py (skip the idempotency claim, apply an op twice, drop an op
from a batch, let a stale holder win, lose an attachment chunk) it runs the fault simulation of
bench/sync_faults.py with that bug planted in the server process (its own PostgreSQL cluster,
faults and kills as usual). A mutant is caught when the checker reports lost, duplicated,
diverged or unexplained > 0 (a crash of the simulation does not count as caught). JSON lines; exit 1 if any planted bug is not flagged: a checker that misses one is broken.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.faultserver import MUTANTS  # noqa: E402 - after the path is set
from bench.sync_faults import arguments, config, migrated_cluster  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    arguments(parser, seeds=1, devices=3, ops=150, pg_restarts=0)
    parser.add_argument("--only", default="", help="comma-separated mutants (default: all)")
    args = parser.parse_args()
    names = [m for m in MUTANTS if not args.only or m in args.only.split(",")]
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    cluster = migrated_cluster()
    missed = []
    try:
        from bench.sync_sim import run_simulation

        for name in names:
            started = time.monotonic()
            seeds = []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                seeds.append(run_simulation(config(args, seed, cluster, name)).figures)  # type: ignore[arg-type]
            flagged = {k: sum(f[k] for f in seeds) for k in ("lost", "duplicated", "diverged", "unexplained")}
            caught = any(flagged.values())
            if not caught:
                missed.append(name)
            print(
                json.dumps(
                    {
                        "bench": "mutants",
                        "mutant": name,
                        "caught": caught,
                        **flagged,
                        "diverged_devices": sum(f["diverged_devices"] for f in seeds),
                        "chunked_photos_checked": sum(f["chunked_photos_checked"] for f in seeds),
                        "errors": [e for f in seeds for e in f["errors"]][:2],
                        "examples": [e for f in seeds for e in f["examples"]][:4],
                        "seconds": round(time.monotonic() - started, 1),
                    },
                    ensure_ascii=False,
                    default=str,
                ),
                flush=True,
            )
    finally:
        from django.db import connections

        connections.close_all()
        cluster.stop()  # type: ignore[attr-defined]
    print(json.dumps({"bench": "mutants", "planted": len(names), "missed": missed}), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
