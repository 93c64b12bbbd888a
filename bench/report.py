"""Turns the JSON lines of bench/run's subjects into two tables (the canned server, then the Argon2
emulator round trips), prints them, and writes RESULTS.md.

    report.py OUT    reads OUT/canned/*.jsonl and OUT/argon2/*.jsonl

Targets (issue #17) are judged on the canned table only, and only reported: nothing asserts them.
"""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path

OPS = ["list10", "issue+delete", "rotate", "preview", "grant", "list10k", "list10k+read"]
SMALL = ["list10", "issue+delete", "rotate", "preview", "grant"]
SUBJECTS = ["c-socket", "rust-floor", "rust-core", "rust-core+zeroize", "c-abi", "go-cgo",
            "python-http.client", "python-wheel", "python-requests"]
# subject -> the subject its ratios are taken against
CANNED_VS = {
    "rust-floor": "c-socket",
    "rust-core": "rust-floor",
    "rust-core+zeroize": "rust-core",
    "c-abi": "rust-core",
    "go-cgo": "rust-core",
    "python-http.client": "c-socket",
    "python-wheel": "python-requests",
}
ARGON2_VS = {
    "rust-core": "rust-floor",
    "rust-core+zeroize": "rust-core",
    "c-abi": "rust-core",
    "go-cgo": "rust-core",
    "python-wheel": "python-http.client",
    "python-requests": "python-wheel",
}
# (subject, op) -> (measure, at most this ratio)
TARGETS: dict[tuple[str, str], tuple[str, float]] = {
    ("rust-core", "list10k"): ("wall", 3.0),
    ("c-abi", "list10k"): ("wall", 1.05),
    ("python-wheel", "list10k"): ("wall", 0.5),
    **{("rust-core", op): ("cpu", 1.05) for op in SMALL},
}
IMPORT_MS = 10.0
RSS_KIB = 100.0  # "no growth": under a byte per call over 100,000 calls


def sh(cmd: str) -> str:
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return "?"


def load(folder: Path) -> tuple[dict[tuple[str, str], dict[str, float]], dict[tuple[str, str], float]]:
    """The best of the interleaved rounds per subject and operation (each figure's minimum, the
    same rule for every subject), and the single-valued metrics."""
    best: dict[tuple[str, str], dict[str, float]] = {}
    metrics: dict[tuple[str, str], float] = {}
    for p in sorted(folder.glob("*.jsonl")):
        for line in p.read_text().splitlines():
            if not line.startswith("{"):
                continue
            row = json.loads(line)
            if "metric" in row:
                metrics[(row["subject"], row["metric"])] = row["value"]
                continue
            key = (row["subject"], row["op"])
            b = best.setdefault(key, {})
            for k in ("median_us", "p99_us", "cpu_us"):
                if k in row:
                    b[k] = min(b.get(k, float("inf")), row[k])
    return best, metrics


def fmt(v: float | None, digits: int = 0) -> str:
    return "" if v is None else f"{v:,.{digits}f}"


Result = dict[str, float]


def rows(best: dict[tuple[str, str], Result], vs_of: dict[str, str]):
    """Each measured (operation, subject, result, what it is compared with, that one's result)."""
    for op in OPS:
        for s in SUBJECTS:
            r = best.get((s, op))
            if r is not None:
                vs = vs_of.get(s, "")
                yield op, s, r, vs, best.get((vs, op))


def canned_table(best: dict[tuple[str, str], Result], verdicts: list[str]) -> str:
    out = ["| operation | subject | median µs | p99 µs | CPU µs/call | wall × | CPU × | compared with | target |",
           "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for op, s, r, vs, f in rows(best, CANNED_VS):
        wall = r["median_us"] / f["median_us"] if f else None
        cpu = r["cpu_us"] / f["cpu_us"] if f and f.get("cpu_us") else None
        target = ""
        if (s, op) in TARGETS and f:
            measure, limit = TARGETS[(s, op)]
            ratio = wall if measure == "wall" else cpu
            hit = ratio is not None and ratio <= limit
            target = f"{measure} ≤ {limit:.2f}×: {'met' if hit else 'MISSED'}"
            verdicts.append(f"{'met' if hit else 'MISSED'}: {s} {op}, {measure} {ratio:.2f}× {vs} "
                            f"(target ≤ {limit:.2f}×)")
        out.append(f"| {op} | {s} | {fmt(r['median_us'])} | {fmt(r['p99_us'])} | {fmt(r.get('cpu_us'), 1)} | "
                   f"{fmt(wall, 2) + '×' if wall else ''} | {fmt(cpu, 2) + '×' if cpu else ''} | {vs} | {target} |")
    return "\n".join(out)


def argon2_table(best: dict[tuple[str, str], Result]) -> str:
    out = ["| operation | subject | median µs | p99 µs | ratio | compared with |", "|---|---|---:|---:|---:|---|"]
    for op, s, r, vs, f in rows(best, ARGON2_VS):
        ratio = f"{r['median_us'] / f['median_us']:.2f}×" if f else ""
        out.append(f"| {op} | {s} | {fmt(r['median_us'])} | {fmt(r['p99_us'])} | {ratio} | {vs} |")
    return "\n".join(out)


def metrics_table(metrics: dict[tuple[str, str], float], verdicts: list[str]) -> str:
    out = ["| measure | subject | value | target |", "|---|---|---:|---|"]
    for (s, m), v in sorted(metrics.items()):
        target = ""
        if m == "import_ms_median":
            hit = v <= IMPORT_MS
            target = f"≤ {IMPORT_MS:.0f} ms: {'met' if hit else 'MISSED'}"
            verdicts.append(f"{'met' if hit else 'MISSED'}: import plexctl {v:.1f} ms (target ≤ {IMPORT_MS:.0f} ms)")
        elif m.startswith("rss_growth_kib"):
            hit = v <= RSS_KIB
            target = f"≤ {RSS_KIB:.0f} KiB: {'met' if hit else 'MISSED'}"
            verdicts.append(f"{'met' if hit else 'MISSED'}: {s} {m} = {v:.0f} KiB (target ≤ {RSS_KIB:.0f} KiB)")
        out.append(f"| {m} | {s} | {v:,.1f} | {target} |")
    return "\n".join(out)


def main(out_dir: str) -> None:
    out = Path(out_dir)
    canned, canned_metrics = load(out / "canned")
    argon2, argon2_metrics = load(out / "argon2")
    verdicts: list[str] = []
    t1 = canned_table(canned, verdicts)
    m1 = metrics_table(canned_metrics, verdicts)
    t2 = argon2_table(argon2)
    m2 = metrics_table(argon2_metrics, [])
    text = ("## Canned server (client on core 1, server on core 0)\n\n" + t1 + "\n\n" + m1
            + "\n\n## Argon2 emulator round trips (unpinned, as before)\n\n" + t2 + "\n\n" + m2)
    print(text)
    print("\ntargets:\n  " + "\n  ".join(verdicts))
    # When the run ended (its last results file), so re-writing the report keeps the run's date.
    stamps = [p.stat().st_mtime for p in out.glob("*/*.jsonl")]
    ran = datetime.datetime.fromtimestamp(max(stamps, default=0), datetime.timezone.utc)
    cpu_name = sh("lscpu | sed -n 's/^Model name: *//p'")
    memory = sh("free -h | awk '/^Mem:/ {print $2}'")
    machine = "\n".join([
        f"- date: {ran:%Y-%m-%d %H:%M} UTC",
        f"- cpu: {cpu_name} ({sh('nproc')} cores)",
        f"- memory: {memory}",
        f"- kernel: {platform.release()}",
        f"- rustc: {sh('rustc --version')}; python: {platform.python_version()}",
        f"- load before the run: {(out / 'load.txt').read_text().strip() if (out / 'load.txt').exists() else '?'}",
    ])
    here = Path(__file__).parent
    notes = (here / "NOTES.md").read_text() if (here / "NOTES.md").exists() else ""
    (here / "RESULTS.md").write_text(
        "# Benchmark results\n\nWritten by `bench/run` (do not edit by hand; the notes come from "
        "bench/NOTES.md).\n\n## Machine\n\n" + machine + "\n\n## Targets\n\n"
        + "\n".join(f"- {v}" for v in verdicts) + "\n\n"
        + "Flame graphs of `list10k` against the canned server: [core](flame-core-list10k.svg), "
        "[wheel](flame-wheel-list10k.svg).\n\n"
        + text.replace("## ", "### ").replace("### Canned", "## Figures\n\n### Canned", 1) + "\n\n" + notes
    )


if __name__ == "__main__":
    main(sys.argv[1])
