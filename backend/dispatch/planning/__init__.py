"""Pure route-planning core of dispatch: no Django, no I/O, no network.

The Django side (services, tasks) turns database rows into :mod:`.model` objects, calls
:func:`.solver.solve`, :func:`.insertion.cheapest_insertion` or :func:`.replan.repair_route`, and
writes the result back. Everything here is deterministic for given inputs and seed.
"""
