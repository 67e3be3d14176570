#!/usr/bin/python3
"""Plot the translation-stage study (tools/stage-study.sh output) as two bar charts.

    tools/plot_stage_study.py STUDY.csv OUT.png

Left: walk memory reads per translation; right: mean translation latency (ns); one group per
stage (second, first, nested on 2 MiB or 4 KiB host pages), one bar per paging-structure-cache
setting. Uses Debian's python3-matplotlib.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    pscs = list(dict.fromkeys(r["psc"] for r in rows))
    value = {(r["stage"], r["psc"]): r for r in rows}
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    width = 0.8 / len(pscs)
    for ax, key, label in ((axes[0], "reads_per_translation", "walk memory reads per translation"),
                           (axes[1], "mean_latency_ns", "mean translation latency (ns)")):
        for i, psc in enumerate(pscs):
            xs = [s + (i - (len(pscs) - 1) / 2) * width for s in range(len(stages))]
            ys = [float(value[(st, psc)][key]) for st in stages]
            bars = ax.bar(xs, ys, width, label="PSC " + psc)
            ax.bar_label(bars, fmt="%.2f" if key.startswith("reads") else "%.1f", fontsize=8)
        ax.set_xticks(range(len(stages)))
        ax.set_xticklabels([s.replace("nested-", "nested\nhost ") if s.startswith("nested") else s + " stage"
                            for s in stages])
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend()
    fig.suptitle("configs/platform-default.yaml, strict: second-stage, first-stage and nested DMA domains")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)


if __name__ == "__main__":
    main()
