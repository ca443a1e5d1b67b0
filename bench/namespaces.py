"""`make bench`, the namespaces case: resident memory per live namespace, and GET-task throughput spread over
1, 100 and 1,000 live namespaces of one `conductor-mock serve` (the default scenario).

Method: start the mock (`--max-namespaces 1100`); for each count N, make namespaces `b1..bN` (one token each,
`POST /ns/bI/api/token`), read VmRSS from /proc after a GC-quiet pause, then for `--seconds` GET
`/ns/bI/api/human/tasks/invoice-approval-1001` round-robin over the N namespaces on one keep-alive connection
(http.client, so the client costs little). Per-namespace memory = (RSS at N - RSS at 1) / (N - 1).

    .venv/bin/python bench/namespaces.py [--seconds 5] [--counts 1,100,1000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import time
from pathlib import Path

from mockserver import resources
from mockserver.contract.launcher import running_mock

TASK = "invoice-approval-1001"
KEY = {"keyId": "admin-key", "keySecret": "admin-secret"}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def token(conn: http.client.HTTPConnection, name: str) -> str:
    conn.request("POST", f"/ns/{name}/api/token", body=json.dumps(KEY), headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    body = reply.read()
    assert reply.status == 200, body
    value: str = json.loads(body)["token"]
    return value


def throughput(conn: http.client.HTTPConnection, tokens: dict[str, str], seconds: float) -> float:
    names, done, end = list(tokens), 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        name = names[done % len(names)]
        conn.request("GET", f"/ns/{name}/api/human/tasks/{TASK}", headers={"X-Authorization": tokens[name]})
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 200
        done += 1
    return done / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--counts", default="1,100,1000")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    rows, tokens = [], {}
    with running_mock(resources.default_scenario(), extra_args=("--max-namespaces", str(max(counts) + 100))) as mock:
        conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=30)
        base = None
        for count in counts:
            for i in range(len(tokens) + 1, count + 1):
                tokens[f"b{i}"] = token(conn, f"b{i}")
            time.sleep(1.0)
            rss = rss_kb(mock.process.pid)
            base = rss if base is None else base
            per = (rss - base) / (count - counts[0]) if count > counts[0] else 0.0
            rows.append((count, rss, per, throughput(conn, tokens, args.seconds)))
        conn.close()
    print("| live namespaces | RSS MB | KB per extra namespace | GET task req/s (1 conn, round-robin) |")
    print("|---:|---:|---:|---:|")
    for count, rss, per, rate in rows:
        print(f"| {count:,} | {rss / 1024:.1f} | {per:.0f} | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
