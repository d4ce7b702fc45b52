#!/usr/bin/env python3
"""Plots throughput against queue depth from jobrunner-bench's JSON lines.

    jobrunner-bench depth --engine durable --json >  bench.json
    jobrunner-bench depth --engine lite    --json >> bench.json
    scripts/plot_bench.py bench.json docs/bench_depth.png

Reads every line of the input that is a JSON object with "scenario": "depth" (other lines, such as
the figures of other scenarios, are skipped) and draws one line per engine: jobs/s on the left
axis, claim p50 in ms as dashed lines on the right. Needs matplotlib (python3-matplotlib).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402


def depth_runs(path):
    runs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            run = json.loads(line)
            if run.get("scenario") == "depth":
                runs.setdefault(run["engine"], []).append(run)
    for engine in runs:
        runs[engine].sort(key=lambda r: r["depth"])
    return runs


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_bench.py BENCH.json OUT.png")
    runs = depth_runs(sys.argv[1])
    if not runs:
        sys.exit("plot_bench.py: no depth figures in " + sys.argv[1])
    machine = next(iter(runs.values()))[0]["machine"]
    fig, jobs_axis = plt.subplots(figsize=(8, 4.5), dpi=100)
    claim_axis = jobs_axis.twinx()
    for engine, rows in sorted(runs.items()):
        depths = [r["depth"] for r in rows]
        line = jobs_axis.plot(depths, [r["jobs_per_s"] for r in rows], marker="o", label=f"{engine}: jobs/s")
        claim_axis.plot(depths, [r["claim_p50_ms"] for r in rows], linestyle="--", marker="x",
                        color=line[0].get_color(), label=f"{engine}: claim p50 (ms)")
    jobs_axis.set_xscale("log")
    jobs_axis.set_yscale("log")
    jobs_axis.set_xlabel("jobs waiting (and as many finished) in the store")
    jobs_axis.set_ylabel("no-op jobs per second (log)")
    claim_axis.set_ylabel("claim of 10 jobs, p50 (ms)")
    claim_axis.set_ylim(bottom=0)
    handles = jobs_axis.get_legend_handles_labels()[0] + claim_axis.get_legend_handles_labels()[0]
    labels = jobs_axis.get_legend_handles_labels()[1] + claim_axis.get_legend_handles_labels()[1]
    jobs_axis.legend(handles, labels, loc="center left", fontsize="small")  # between the engines' lines
    jobs_axis.set_title(f"jobrunner: throughput against queue depth "
                        f"({machine['cores']} cores, SQLite {machine['sqlite_version']})", fontsize="medium")
    jobs_axis.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
