"""conductor-mock: a stateful mock of the Orkes Conductor human-task API, and a contract kit for any server."""

__version__ = "0.1.0"
