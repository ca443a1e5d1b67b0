"""conductor-mock: a stateful mock of the Orkes Conductor human-task API, and a contract kit for any server."""

from importlib.metadata import PackageNotFoundError, version

try:  # single source: pyproject.toml's `version`, as installed (`make` reinstalls when pyproject.toml changes)
    __version__ = version("conductor-mock")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0+unknown"
