"""The Python subjects of bench/run: the plexctl wheel, a hand-written http.client keep-alive loop
(the pure-Python floor) and a requests session with json decoding (what a user would otherwise
write). Also the wheel's import time and RSS, and thread scaling. Prints JSON lines.

BENCH_PHASE=canned: the operations, import cost and RSS growth; argon2: the operations and thread
scaling. `bench.py --profile SECONDS` only lists the 10,000 tokens through the wheel (for perf)."""

from __future__ import annotations

import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from typing import Any, Callable

import requests

import plexctl

E = os.environ
N = int(E["BENCH_N"])
URL = E["BENCH_URL"]
PARSED = urllib.parse.urlsplit(URL)


def emit(**row: Any) -> None:
    print(json.dumps(row), flush=True)


def cpu_us() -> float:
    """The CPU time this process (every thread) has used so far, in microseconds (getrusage)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return (ru.ru_utime + ru.ru_stime) * 1e6


def measure(subject: str, op: str, n: int, f: Callable[[], object]) -> None:
    for _ in range(min(20, n)):
        f()
    samples = []
    cpu = cpu_us()
    for _ in range(n):
        t = time.perf_counter()
        f()
        samples.append((time.perf_counter() - t) * 1e6)
    cpu = (cpu_us() - cpu) / n
    samples.sort()
    emit(subject=subject, op=op, median_us=statistics.median(samples),
         p99_us=samples[round((len(samples) - 1) * 0.99)], cpu_us=cpu, n=n)


def wheel() -> None:
    c = plexctl.Client(URL, token=plexctl.Secret(E["BENCH_TOKEN"]), use_environment=False)
    big = plexctl.Client(URL, token=plexctl.Secret(E["BENCH_BIG_TOKEN"]), use_environment=False)
    secret = plexctl.Secret(E["BENCH_CLIENT_SECRET"])

    def issue_delete() -> None:
        t = c.issue_token(E["BENCH_IDENTITY"], "dev")
        c.delete_token(t.id)

    measure("python-wheel", "list10", N, c.list_tokens)
    measure("python-wheel", "issue+delete", N, issue_delete)
    measure("python-wheel", "rotate", N, lambda: c.rotate_token(E["BENCH_ROTATE_ID"]))
    measure("python-wheel", "preview", N, lambda: c.preview_node_key_rotation(E["BENCH_NODE"]))
    measure("python-wheel", "grant", N,
            lambda: c.mint_service_token(E["BENCH_CLIENT_ID"], "client_credentials", client_secret=secret))
    measure("python-wheel", "list10k", max(N // 10, 20), big.list_tokens)

    def read_all() -> None:
        for t in big.list_tokens():
            t.id, t.expires_at  # noqa: B018 (typed values: uuid.UUID, aware datetime)

    measure("python-wheel", "list10k+read", max(N // 10, 20), read_all)


def http_client_floor() -> None:
    conn = http.client.HTTPConnection(PARSED.hostname, PARSED.port)
    auth = {"Authorization": f"Bearer {E['BENCH_TOKEN']}", "Accept": "application/json"}
    big = {"Authorization": f"Bearer {E['BENCH_BIG_TOKEN']}", "Accept": "application/json"}

    def call(method: str, path: str, headers: dict[str, str], body: str | None = None) -> bytes:
        h = dict(headers)
        if body is not None:
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        assert 200 <= r.status < 300, r.status
        return data

    issue = json.dumps({"identity_ref": E["BENCH_IDENTITY"], "env_prefix": "dev"})
    grant = json.dumps({"grant_type": "client_credentials", "client_id": E["BENCH_CLIENT_ID"],
                        "client_secret": E["BENCH_CLIENT_SECRET"]})

    def issue_delete() -> None:
        data = call("POST", "/v1/auth/tokens", auth, issue)
        at = data.index(b'"id":"') + 6
        call("DELETE", f"/v1/auth/tokens/{data[at:at + 36].decode()}", auth)

    measure("python-http.client", "list10", N, lambda: call("GET", "/v1/auth/tokens", auth))
    measure("python-http.client", "issue+delete", N, issue_delete)
    measure("python-http.client", "rotate", N,
            lambda: call("POST", f"/v1/auth/tokens/{E['BENCH_ROTATE_ID']}/rotate", auth))
    measure("python-http.client", "preview", N,
            lambda: call("GET", f"/v1/nodes/{E['BENCH_NODE']}/keys/rotate/preview", auth))
    measure("python-http.client", "grant", N, lambda: call("POST", "/v1/auth/service/token", {}, grant))
    measure("python-http.client", "list10k", max(N // 10, 20), lambda: call("GET", "/v1/auth/tokens", big))


def requests_session() -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {E['BENCH_TOKEN']}"
    big = requests.Session()
    big.headers["Authorization"] = f"Bearer {E['BENCH_BIG_TOKEN']}"

    def ok(r: requests.Response) -> Any:
        r.raise_for_status()
        return r.json() if r.content else None

    def issue_delete() -> None:
        t = ok(s.post(f"{URL}/v1/auth/tokens", json={"identity_ref": E["BENCH_IDENTITY"], "env_prefix": "dev"}))
        ok(s.delete(f"{URL}/v1/auth/tokens/{t['id']}"))

    grant = {"grant_type": "client_credentials", "client_id": E["BENCH_CLIENT_ID"],
             "client_secret": E["BENCH_CLIENT_SECRET"]}
    measure("python-requests", "list10", N, lambda: ok(s.get(f"{URL}/v1/auth/tokens")))
    measure("python-requests", "issue+delete", N, issue_delete)
    measure("python-requests", "rotate", N, lambda: ok(s.post(f"{URL}/v1/auth/tokens/{E['BENCH_ROTATE_ID']}/rotate")))
    measure("python-requests", "preview", N,
            lambda: ok(s.get(f"{URL}/v1/nodes/{E['BENCH_NODE']}/keys/rotate/preview")))
    measure("python-requests", "grant", N, lambda: ok(s.post(f"{URL}/v1/auth/service/token", json=grant)))
    measure("python-requests", "list10k", max(N // 10, 20), lambda: ok(big.get(f"{URL}/v1/auth/tokens")))

    def read_all() -> None:
        for t in ok(big.get(f"{URL}/v1/auth/tokens")):
            t["id"], t["expires_at"]  # noqa: B018 (plain strings)

    measure("python-requests", "list10k+read", max(N // 10, 20), read_all)


def import_cost() -> None:
    code = ("import time, resource; t = time.perf_counter(); import plexctl; "
            "d = time.perf_counter() - t; print(d * 1e3, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(15)]
    emit(subject="python-wheel", metric="import_ms_median", value=statistics.median(float(r[0]) for r in runs))
    emit(subject="python-wheel", metric="max_rss_kib_after_import", value=statistics.median(float(r[1]) for r in runs))


def rss_growth() -> None:
    """RSS growth of the wheel over BENCH_RSS_CALLS calls, after a warm-up."""
    c = plexctl.Client(URL, token=plexctl.Secret(E["BENCH_TOKEN"]), use_environment=False)
    calls = int(E["BENCH_RSS_CALLS"])

    def rss_kib() -> float:
        with open("/proc/self/status") as f:
            return next(float(l.split()[1]) for l in f if l.startswith("VmRSS:"))

    for _ in range(1000):
        c.list_tokens()
    start = rss_kib()
    for _ in range(calls):
        c.list_tokens()
    emit(subject="python-wheel", metric=f"rss_growth_kib_over_{calls}_calls", value=rss_kib() - start)


def threads() -> None:
    c = plexctl.Client(URL, token=plexctl.Secret(E["BENCH_TOKEN"]), use_environment=False)
    for n in (1, 2, 4, 8):
        counts = [0] * n
        end = time.perf_counter() + 2.0

        def work(i: int) -> None:
            while time.perf_counter() < end:
                c.list_tokens()
                counts[i] += 1

        ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        emit(subject="python-wheel", metric=f"list10_per_s_{n}_threads", value=sum(counts) / 2.0)


def profile(seconds: float) -> None:
    big = plexctl.Client(URL, token=plexctl.Secret(E["BENCH_BIG_TOKEN"]), use_environment=False)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        assert len(big.list_tokens()) == 10_000


if __name__ == "__main__":
    if sys.argv[1:2] == ["--profile"]:
        profile(float(sys.argv[2]))
        sys.exit(0)
    for _ in range(2):
        http_client_floor()
        wheel()
        requests_session()
    if E["BENCH_PHASE"] == "canned":
        import_cost()
        rss_growth()
    else:
        threads()
