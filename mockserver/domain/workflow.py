"""Compatibility shim: the workflow code lives in `mockserver.domain.workflows` (removed at merge)."""

from mockserver.domain.workflows import *  # noqa: F403
from mockserver.domain.workflows import __all__ as __all__
