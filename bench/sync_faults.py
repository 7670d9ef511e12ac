"""Sync under faults at full size: JSON lines; exit 1 unless lost = duplicated = diverged = 0.

    .venv/bin/python bench/sync_faults.py [--devices 20] [--ops 10000] [--fault-rate 0.3] [--kills 3]
        [--seed 1]

Needs PostgreSQL at DATABASE_URL (migrated here). Starts daphne on the same database behind the
fault proxy (bench/faultproxy.py) and drives simulated handhelds (bench/sync_sim.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--fault-rate", type=float, default=0.3)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs-per-courier", type=int, default=60)
    parser.add_argument("--log", default="var/sync_faults_server.log")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.sync_sim import SimConfig, run_simulation

    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    result = run_simulation(
        SimConfig(
            devices=args.devices,
            ops=args.ops,
            fault_rate=args.fault_rate,
            kills=args.kills,
            seed=args.seed,
            plan_each=3,
            jobs_per_courier=args.jobs_per_courier,
            timeout_s=3.0,
            stall_s=3.5,
            log_path=args.log,
        )
    )
    f = result.figures
    print(json.dumps({"bench": "sync_faults", **f}, ensure_ascii=False), flush=True)
    print(f"lost = {f['lost']}, duplicated = {f['duplicated']}, diverged devices = {f['diverged_devices']}")
    return 0 if result.ok and not f["errors"] and f["events_equal_facts"] else 1


if __name__ == "__main__":
    sys.exit(main())
