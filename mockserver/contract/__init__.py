"""The contract kit: checks that a server (the mock, or a real Orkes cluster) honours the human-task contract.

It talks to the server over HTTP only, and never imports the mock's domain or web layers, so the same
checks run against real Orkes (docs/contract.md). Three parts, one report:

* `fuzz`         schemathesis over openapi.yaml, with the business checks of `checks` (rules in `rules`);
* `conformance`  the declarative scenarios of `scenarios/conformance/*.yaml` (expectations in `matchers`);
* `race`         concurrent claims on one fresh task.

Shared pieces: `identities` (who the kit acts as), `sessions` (a session per identity, tokens refreshed),
`target` (the server under test), `provision` (building workflows and human tasks through the public API),
`report` (progress, summary, JUnit XML). Front doors: `conductor-mock verify` (`command`, over `runner.verify`)
and the pytest plugin (`plugin`, with `launcher` and `control` for its live mock). This `__init__` imports
nothing, so the pytest plugin stays cheap.
"""
