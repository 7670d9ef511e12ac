"""The real server (daphne) with bench-only hooks, patched in at start-up: never imported by the backend.

    python -m bench.faultserver -b 127.0.0.1 -p PORT backend.asgi:application

Production code has no hook: this module wraps a few backend functions in the server process the
fault bench starts (bench/syncserver.ServerProcess with ``hooks=True``), then runs daphne's own CLI.

``PARCELRUN_BENCH_CONTROL`` (a directory): a file appearing there arms one precise kill, consumed by
the first push that reaches the point (the file is renamed away atomically, so one file = one kill):
- ``kill_after_claim``: SIGKILL right after the push claimed its op ids, before its commit;
- ``kill_after_commit``: SIGKILL after the push committed, before the answer is written.
A kill leaves ``killed_<point>_<pid>`` behind so the bench counts kills that really happened.

``PARCELRUN_BENCH_MUTANT``: one planted bug (bench/mutants.py checks the fault checker flags it):
- ``skip_claim``: job steps, calls and locations are applied without claiming their op id;
- ``apply_twice``: some scans are recorded a second time (a second event, another key);
- ``drop_op``: one op of some batches is answered ``applied`` and never applied;
- ``stale_wins``: a courier's step on a job taken from them is applied (the holder check skipped);
- ``lose_chunk``: a chunk after the first of a multi-chunk upload is acknowledged and not stored.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

MUTANTS = ("skip_claim", "apply_twice", "drop_op", "stale_wins", "lose_chunk")


def _consume(point: str) -> bool:
    control = os.environ.get("PARCELRUN_BENCH_CONTROL")
    if not control:
        return False
    armed = Path(control) / point
    taken = Path(control) / f"taken_{point}_{os.getpid()}_{uuid.uuid4().hex}"
    try:
        os.rename(armed, taken)  # atomic: two pushes cannot both take one kill
    except FileNotFoundError:
        return False
    taken.rename(Path(control) / f"killed_{point}_{os.getpid()}_{uuid.uuid4().hex[:6]}")
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install_kill_hooks() -> None:
    from backend.sync import oplog, services

    claim = oplog.claim

    def claim_then_maybe_die(*args: Any, **kwargs: Any) -> Any:
        out = claim(*args, **kwargs)
        if _consume("kill_after_claim"):
            _die()  # inside the push's transaction: nothing may survive
        return out

    oplog.claim = claim_then_maybe_die  # type: ignore[assignment]

    from backend.sync.api import views

    apply_ops = services.apply_ops

    def apply_then_maybe_die(**kwargs: Any) -> Any:
        out = apply_ops(**kwargs)
        if _consume("kill_after_commit"):
            _die()  # committed: the device never hears, and must get "duplicate" on its retry
        return out

    views.apply_ops = apply_then_maybe_die  # type: ignore[assignment]


def install_mutant(name: str) -> None:
    rng = random.Random()
    from backend.sync import oplog
    from backend.sync.services import push  # where the push binds the names the mutants replace

    if name == "skip_claim":
        claim = oplog.claim

        def no_claim(ops: list[Any], **kwargs: Any) -> Any:
            scans = [o for o in ops if o.kind in oplog.FACT_KINDS]
            claimed, stored = claim(scans, **kwargs)
            return claimed | {o.op_id for o in ops if o.kind not in oplog.FACT_KINDS}, stored

        oplog.claim = no_claim  # type: ignore[assignment]
    elif name == "apply_twice":
        from backend.shipments.services import scans_bulk

        record = push.scans_record_bulk

        def twice(*, scans: list[Any], **kwargs: Any) -> Any:
            out = record(scans=scans, **kwargs)
            if rng.random() < 0.3:
                import dataclasses

                again = [dataclasses.replace(s, key=str(uuid.uuid4())) for s in scans[:1]]
                scans_bulk.scans_record_bulk(scans=again, **kwargs)
            return out

        push.scans_record_bulk = twice  # type: ignore[assignment]
    elif name == "drop_op":
        apply = push._apply

        def dropping(principal: Any, device_id: str, parsed: list[Any], *args: Any) -> Any:
            if len(parsed) < 3 or rng.random() > 0.3:
                return apply(principal, device_id, parsed, *args)
            victim = rng.randrange(len(parsed))
            kept = [p for i, p in enumerate(parsed) if i != victim]
            for i, p in enumerate(kept):
                object.__setattr__(p, "index", i)
            out = apply(principal, device_id, kept, *args)
            for i, p in enumerate(kept):
                object.__setattr__(p, "index", i if i < victim else i + 1)
            out.results.insert(victim, {"op_id": parsed[victim].op_id, "outcome": "applied"})
            return out

        push._apply = dropping  # type: ignore[assignment]
    elif name == "stale_wins":
        from backend.shipments.services import jobs, offline, recording

        def anyone(ctx: Any, job: Any) -> None:
            return None

        recording.require_own_job = anyone  # type: ignore[assignment]
        jobs.require_own_job = anyone  # type: ignore[assignment]
        original = offline._held_by_actor

        def held(job_id: int, ctx: Any, judged_at: Any) -> Any:
            try:
                return original(job_id, ctx, judged_at)
            except Exception:
                return offline.lock_job(job_id)

        offline._held_by_actor = held  # type: ignore[assignment]
        from backend.shipments.services import completion

        if hasattr(completion, "require_own_job"):
            completion.require_own_job = anyone  # type: ignore[attr-defined]
    elif name == "lose_chunk":
        from backend.sync.models import AttachmentChunk

        create = AttachmentChunk.objects.create

        def forgetful(**kwargs: Any) -> Any:
            if kwargs.get("offset", 0) > 0:
                return None  # acknowledged by the caller, never stored
            return create(**kwargs)

        AttachmentChunk.objects.create = forgetful  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown mutant {name!r}; one of {', '.join(MUTANTS)}")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    install_kill_hooks()
    mutant = os.environ.get("PARCELRUN_BENCH_MUTANT")
    if mutant:
        install_mutant(mutant)
    from daphne.cli import CommandLineInterface

    sys.argv = ["daphne", *sys.argv[1:]]
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
