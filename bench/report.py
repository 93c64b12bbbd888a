"""Turns the JSON lines of bench/run's subjects into one table, prints it, and writes RESULTS.md."""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path

FLOOR = {  # subject -> the subject it is compared with
    "rust-core": "rust-floor",
    "rust-core+zeroize": "rust-core",
    "c-abi": "rust-core",
    "go-cgo": "rust-core",
    "python-wheel": "python-http.client",
    "python-requests": "python-wheel",
}
TARGET = {"rust-core": 1.10, "c-abi": 1.05, "go-cgo": 1.05, "python-wheel": 1.00}
OPS = ["list10", "issue+delete", "rotate", "preview", "grant", "list10k"]
SUBJECTS = ["rust-floor", "rust-core", "rust-core+zeroize", "c-abi", "go-cgo", "python-http.client", "python-wheel", "python-requests"]


def sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return "?"


def main(paths: list[str]) -> None:
    best: dict[tuple[str, str], dict[str, float]] = {}
    metrics: dict[tuple[str, str], float] = {}
    for p in paths:
        for line in Path(p).read_text().splitlines():
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            if "metric" in row:
                metrics[(row["subject"], row["metric"])] = row["value"]
                continue
            key = (row["subject"], row["op"])
            # Best of the interleaved rounds, the same rule for every subject.
            if key not in best or row["median_us"] < best[key]["median_us"]:
                best[key] = row
    out = []
    out.append("| operation | subject | median µs | p99 µs | ratio | compared with | target |")
    out.append("|---|---|---:|---:|---:|---|---|")
    misses = []
    for op in OPS:
        for s in SUBJECTS:
            r = best.get((s, op))
            if r is None:
                out.append(f"| {op} | {s} | not run | | | | |")
                continue
            floor = best.get((FLOOR.get(s, ""), op))
            ratio = r["median_us"] / floor["median_us"] if floor else None
            target = ""
            if s in TARGET and ratio is not None:
                hit = ratio <= TARGET[s]
                target = f"≤ {TARGET[s]:.2f}× {'met' if hit else 'MISSED'}"
                if not hit:
                    misses.append(f"{s} {op}: {ratio:.2f}× {FLOOR[s]}")
            if s == "python-requests" and ratio is not None:
                hit = ratio >= 3.0
                target = f"wheel ≥ 3× faster: {'met' if hit else 'MISSED'}"
                if not hit:
                    misses.append(f"python-wheel vs requests {op}: only {ratio:.2f}×")
            ratio_s = f"{ratio:.2f}×" if ratio is not None else ""
            out.append(f"| {op} | {s} | {r['median_us']:.0f} | {r['p99_us']:.0f} | {ratio_s} | {FLOOR.get(s, '')} | {target} |")
    out.append("")
    out.append("| measure | subject | value |")
    out.append("|---|---|---:|")
    for (s, m), v in sorted(metrics.items()):
        out.append(f"| {m} | {s} | {v:.1f} |")
    table = "\n".join(out)
    print(table)
    if misses:
        print("\nmissed targets:\n  " + "\n  ".join(misses))
    cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
    cores = sh("nproc")
    memory = sh("free -h | awk '/^Mem:/ {print $2}'")
    rustc = sh("rustc --version")
    machine = "\n".join([
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- cpu: {cpu} ({cores} cores)",
        f"- memory: {memory}",
        f"- kernel: {platform.release()}",
        f"- rustc: {rustc}; python: {platform.python_version()}",
    ])
    notes = Path(__file__).with_name("NOTES.md").read_text() if Path(__file__).with_name("NOTES.md").exists() else ""
    Path(__file__).with_name("RESULTS.md").write_text(
        "# Benchmark results\n\nWritten by `bench/run` (do not edit by hand; the notes come from "
        "bench/NOTES.md).\n\n## Machine\n\n" + machine + "\n\n## Figures\n\n" + table + "\n\n"
        + ("## Missed targets\n\n" + "\n".join(f"- {m}" for m in misses) + "\n\n" if misses else "")
        + notes
    )


if __name__ == "__main__":
    main(sys.argv[1:])
