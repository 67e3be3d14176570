#!/usr/bin/python3
"""Plot `vtdsim pcie-bench` results against window size, with published points overlaid.

    tools/plot_pcie_bench.py OUT.png OFF.csv ON.csv [--published DIR] [--title TEXT]
                             [--compare OFF2.csv ON2.csv [--compare-label TEXT]]

OFF.csv and ON.csv are `vtdsim pcie-bench` outputs for the same op, transfer and memory with
`--iommu off` and with the IOMMU on (4k or 2m). Left: bandwidth ratio (on / off); right: mean
latency of both. DIR (default tests/data/pcie-bench) holds the published pcie-bench CSVs
(bdw-read64-bandwidth.csv, bdw-read64-latency.csv: columns iommu, window_bytes, gbit_per_s /
lat_mean_ns); their points are drawn as markers. --compare draws a second model run (e.g. the
same sweep with `--engine systemc`) dashed over the first. Uses Debian's python3-matplotlib.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def read_rows(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError as e:
        raise SystemExit(f"plot_pcie_bench.py: {path}: {e.strerror}")


def by_window(rows, column):
    return {int(r["window_bytes"]): float(r[column]) for r in rows}


def published(directory, name, iommu, column):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return {}
    return {int(r["window_bytes"]): float(r[column]) for r in read_rows(path) if r["iommu"] == iommu}


def size_label(b):
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if b >= scale:
            v = b / scale
            return f"{v:g}{unit}"
    return str(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("off_csv")
    ap.add_argument("on_csv")
    ap.add_argument("--published", default=os.path.join(HERE, "..", "tests", "data", "pcie-bench"))
    ap.add_argument("--title", default="pcie-bench, 64 B DMA reads: model vs published (Broadwell)")
    ap.add_argument("--compare", nargs=2, metavar=("OFF2", "ON2"), help="a second model run, drawn dashed")
    ap.add_argument("--compare-label", default="SystemC engine")
    a = ap.parse_args()
    off, on = read_rows(a.off_csv), read_rows(a.on_csv)
    if not off or not on:
        raise SystemExit("plot_pcie_bench.py: an input CSV has no rows")
    mode = on[0]["iommu"]
    bw_off, bw_on = by_window(off, "gbit_per_s"), by_window(on, "gbit_per_s")
    lat_off, lat_on = by_window(off, "lat_mean_ns"), by_window(on, "lat_mean_ns")
    windows = sorted(set(bw_off) & set(bw_on))
    if not windows:
        raise SystemExit("plot_pcie_bench.py: the two CSVs share no window")

    pb_off = published(a.published, "bdw-read64-bandwidth.csv", "off", "gbit_per_s")
    pb_on = published(a.published, "bdw-read64-bandwidth.csv", "4k", "gbit_per_s")
    pl_off = published(a.published, "bdw-read64-latency.csv", "off", "lat_mean_ns")
    pl_on = published(a.published, "bdw-read64-latency.csv", "4k", "lat_mean_ns")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(windows, [bw_on[w] / bw_off[w] for w in windows], "-", color="C0", label=f"model, discrete-event ({mode} / off)")
    pw = sorted(set(pb_off) & set(pb_on))
    if pw:
        ax1.plot(pw, [pb_on[w] / pb_off[w] for w in pw], "o", color="C1", label="published (4k / off)")
    ax1.set_ylabel("bandwidth ratio, IOMMU on / off")
    ax1.set_ylim(0, 1.1)
    ax2.plot(windows, [lat_off[w] for w in windows], "-", color="C2", label="model, IOMMU off")
    ax2.plot(windows, [lat_on[w] for w in windows], "-", color="C0", label=f"model, IOMMU {mode}")
    if pl_off:
        ax2.plot(sorted(pl_off), [pl_off[w] for w in sorted(pl_off)], "s", color="C2", mfc="none",
                 label="published, off")
    if pl_on:
        ax2.plot(sorted(pl_on), [pl_on[w] for w in sorted(pl_on)], "o", color="C1", label="published, 4k")
    if a.compare:
        off2, on2 = read_rows(a.compare[0]), read_rows(a.compare[1])
        bw_off2, bw_on2 = by_window(off2, "gbit_per_s"), by_window(on2, "gbit_per_s")
        lat_on2 = by_window(on2, "lat_mean_ns")
        w2 = sorted(set(bw_off2) & set(bw_on2))
        if not w2:
            raise SystemExit("plot_pcie_bench.py: the --compare CSVs share no window")
        ax1.plot(w2, [bw_on2[w] / bw_off2[w] for w in w2], "--", color="C3", label=a.compare_label)
        ax2.plot(w2, [lat_on2[w] for w in w2], "--", color="C3", label=f"{a.compare_label}, IOMMU {mode}")
    ax2.set_ylabel("mean DMA latency (ns), one in flight")
    for ax in (ax1, ax2):
        ax.set_xscale("log", base=2)
        ticks = [w for w in windows if (w & (w - 1)) == 0 and (w.bit_length() - 1) % 2 == 0]
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(w) for w in ticks])
        ax.set_xlabel("window (bytes)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(a.title)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"plot_pcie_bench.py: wrote {a.out} ({len(windows)} windows)", file=sys.stderr)


if __name__ == "__main__":
    main()
