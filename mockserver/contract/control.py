"""Resetting a live mock between tests, through its control API client (`mockserver.control.client`, an
HTTP client on urllib). Only the pytest plugin's `conductor_mock` fixture uses this: the kit itself never
touches `/_mock`."""

from __future__ import annotations


class ControlUnavailable(RuntimeError):
    """The server has no control API (it is not a conductor-mock, or an old one)."""


def reset(root_url: str, *, timeout: float = 30.0) -> None:
    """Rebuild the mock's world (and clock, and faults) from the scenario it started with."""
    from mockserver.control.client import ControlClient, ControlError

    try:
        ControlClient(root_url, timeout=timeout).reset()
    except ControlError as error:
        if error.status in (404, 405):
            raise ControlUnavailable(f"{root_url} has no control API (POST /_mock/reset answered {error.status})") \
                from None
        raise
