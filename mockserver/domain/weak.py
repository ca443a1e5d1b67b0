"""Callbacks that do not keep their object alive.

An object that holds a store (or a state) and listens to it makes a reference cycle through the bound method it
subscribes. A cycle is freed only by a collection of the garbage collector, and never once it is frozen (a serving
process freezes each new world, `mockserver.web.collector`). So the long-lived parts of a world subscribe weakly:
a discarded world, or a dropped namespace, is then freed at once by reference counting.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import ParamSpec

P = ParamSpec("P")


def weak_method(method: Callable[P, None]) -> Callable[P, None]:
    """`method` (a bound method) as a callback that does nothing once its object is gone."""
    ref = weakref.WeakMethod(method)

    def callback(*args: P.args, **kwargs: P.kwargs) -> None:
        target = ref()
        if target is not None:
            target(*args, **kwargs)
    return callback
