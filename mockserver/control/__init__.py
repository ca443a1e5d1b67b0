"""The control plane of a running mock, under the reserved prefix `/_mock` (described in control-openapi.yaml).

    journal.py          the transition journal: a bounded ring of every task change (pure)
    faults.py           the book that arms fault rules (domain/faults.py), counts calls, decides which fires (pure)
    export.py           a world → a scenario document that loads back into the same world
    timeparse.py        ISO-8601 durations and instants for the clock controls (pure)
    plane.py            ControlPlane: reset, load, merge, export, clock, faults, journal over a MockState
    api.py              the handlers of /_mock/* (by operationId), the bearer-token guard, the wrappers of every
                        call (request id; faults on /api), handed to the web layer's router by mockserver.app
    drop.py             the ASGI wrapper that lets a `drop` fault close the client's connection under uvicorn
    client.py           a small typed urllib client of the control API (for pytest fixtures and the CLI)
    commands.py         `conductor-mock control ...`

Layering: imports the domain, `scenarios`, and the web layer's router, state and error table; the web layer
imports nothing of it. The composition root, `mockserver.app`, wires the two together.
"""
