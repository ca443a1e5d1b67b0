"""The shared store: every namespace's world kept in Redis, for several server processes (`--workers N`) and
several hosts on one Redis (`serve --store redis://HOST:PORT/DB`).

What is kept is a log per namespace (a Redis stream: the base of the world, a scenario, and every change since,
in order); each process holds a copy of the world it applies the log to (`plane.ReplicatedPlane`). Reads are
answered from the copy once it has caught up (one round trip); changes are appended to the log and applied in log
order everywhere (one round trip). So Redis decides the order of concurrent changes, every process applies the
same changes in the same order, and a process killed and started again rebuilds every world from the log.

    log.py       the Redis keys and scripts (redis-py's asyncio client)
    plane.py     one namespace: catch up, propose, apply (`ReplicatedPlane`, `PinnedWall`)
    registry.py  the namespaces of the store (`SharedNamespaces`): listing, drop, eviction, timers (a lease)

Above web/ and control/ (it applies /api calls with web's `perform` and control changes with the control
plane's `execute`); below the composition root, `mockserver.app`.
"""
