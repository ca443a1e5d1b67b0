"""The control plane of a running mock, under the reserved prefix `/_mock` (described in control-openapi.yaml).

    journal.py          the transition journal: a bounded ring of every task change (pure)
    faults.py           the book that arms fault rules (domain/faults.py), counts calls, decides which fires (pure)
    export.py           a world → a scenario document that loads back into the same world
    timeparse.py        ISO-8601 durations and instants for the clock controls (pure)
    plane.py            ControlPlane: reset, load, merge, export, clock, faults, journal over a MockState
    api.py              the HTTP endpoints of /_mock/*, the bearer-token check, the per-request hook
    drop.py             the ASGI wrapper that lets a `drop` fault close the client's connection under uvicorn
    client.py           a small typed urllib client of the control API (for pytest fixtures and the CLI)
    cli.py              `conductor-mock control ...`

Layering: imports the domain, `scenarios`, and the web layer's state and error body; the web layer reaches it
only through `MockState.hook`, and `web.app.create_app` mounts its routes.
"""
