"""A real Redis server for the tests of the shared store: Debian's `redis-server` (installed by `make test`),
started on a free loopback port in a temporary folder, with every write on disk before it is acknowledged
(`appendfsync always`, so a test can kill the mock, or Redis, and start again)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from mockserver.contract.launcher import free_port
from mockserver.replica.log import StoreUrl

INSTALL_HINT = "redis-server is not installed: `make test` installs it (apt-get install redis-server)"


@dataclass
class RedisServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]

    def url(self, prefix: str | None = None, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}" + (f"?prefix={prefix}" if prefix else "")

    def store(self, prefix: str | None = None) -> StoreUrl:
        return StoreUrl.parse(self.url(prefix))

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True, socket_timeout=5)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found is None:
        raise RuntimeError(INSTALL_HINT)
    return found


def start_redis(folder: Path, port: int | None = None) -> RedisServer:
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    with (folder / "redis.log").open("ab") as log:  # the child has its own copy of the descriptor
        process = subprocess.Popen(
            [binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=log)
    server = RedisServer(port, folder, process)
    deadline = time.monotonic() + 15
    while True:
        try:
            with server.client() as client:
                client.ping()
                return server
        except redis.RedisError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                text = (folder / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server did not start on port {port}: {text[-2000:]}") from None
            time.sleep(0.05)


@contextlib.contextmanager
def running_redis(folder: Path) -> Iterator[RedisServer]:
    server = start_redis(folder)
    try:
        yield server
    finally:
        server.stop()
