"""Is the fault checker able to see bugs? Plant each known bug in turn and run the checker.

    .venv/bin/python bench/mutants.py [--seeds 1] [--devices 4] [--ops 300]

For each mutant of bench/faultserver.py (skip the idempotency claim, apply an op twice, drop an op
from a batch, let a stale holder win, lose an attachment chunk) it runs bench/sync_faults.py with
``--mutant`` (its own PostgreSQL cluster, faults and kills as usual) and reads its JSON lines. A
mutant is caught when some seed reports lost, duplicated, diverged or unexplained > 0 (or the run
fails). JSON lines; exit 1 if any planted bug is not flagged: a checker that misses one is broken.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.faultserver import MUTANTS  # noqa: E402 - after the path is set


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--only", default="", help="comma-separated mutants (default: all)")
    args = parser.parse_args()
    names = [m for m in MUTANTS if not args.only or m in args.only.split(",")]
    missed = []
    for name in names:
        started = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "bench/sync_faults.py",
                "--mutant",
                name,
                "--seeds",
                str(args.seeds),
                "--devices",
                str(args.devices),
                "--ops",
                str(args.ops),
                "--pg-restarts",
                "0",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        seeds = [r for r in runs if not r.get("summary")]
        flagged = {
            k: sum(r.get(k, 0) for r in seeds) for k in ("lost", "duplicated", "diverged", "unexplained")
        }
        caught = proc.returncode != 0 and (any(flagged.values()) or any(r.get("errors") for r in seeds))
        if not caught:
            missed.append(name)
        examples = [e for r in seeds for e in r.get("examples", [])][:3]
        print(
            json.dumps(
                {
                    "bench": "mutants",
                    "mutant": name,
                    "caught": caught,
                    "exit": proc.returncode,
                    **flagged,
                    "examples": examples,
                    "stderr_tail": proc.stderr[-300:] if not seeds else "",
                    "seconds": round(time.monotonic() - started, 1),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )
    print(json.dumps({"bench": "mutants", "planted": len(names), "missed": missed}), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
