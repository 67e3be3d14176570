#!/usr/bin/python3
"""Plot IOTLB hit rate against IOTLB size from `vtdsim sweep` and `vtdsim mrc` CSVs.

    tools/plot.py OUT.png|OUT.svg CSV... [--title TEXT] [--x-key KEY] [--log-x] [--miss]

* A miss-ratio-curve CSV (`vtdsim mrc`: entries,lookups,hits,...,hit_rate,...) becomes one line
  named after the file (or its --label).
* A sweep CSV (`vtdsim sweep`: point,<grid keys>,status,...,iotlb_hit_rate,...) becomes one line
  per configuration: the grid columns other than the x key (default iommu.iotlb.entries) name
  the line, e.g. "ways=4 policy=lru"; rows whose status is not "ok" are skipped (and counted).
The output format follows the file extension (png, svg, pdf). Uses Debian's python3-matplotlib.
"""
import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SWEEP_STATS = {"status", "translations", "iotlb_hits", "iotlb_misses", "iotlb_hit_rate", "walks",
               "walk_reads", "faults", "mean_latency_cycles", "p99_latency_cycles"}


def short(key):
    """iommu.iotlb.ways -> ways (the last component names the parameter well enough)."""
    return key.rsplit(".", 1)[-1]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
        if not rows and f.tell() == 0:
            raise SystemExit(f"plot.py: {path}: empty file")
    return rows


def lines_from_mrc(path, rows, label):
    xs, ys = [], []
    for r in rows:
        xs.append(int(r["entries"]))
        ys.append(float(r["hit_rate"]))
    return [(label or os.path.splitext(os.path.basename(path))[0] + " (one-pass LRU)", xs, ys, "-")]


def lines_from_sweep(path, rows, x_key, label):
    if not rows:
        return []
    header = list(rows[0].keys())
    grid = [k for k in header if k not in SWEEP_STATS and k != "point"]
    if x_key not in grid:
        candidates = [k for k in grid if k.endswith("." + x_key) or k == "iommu." + x_key]
        if not candidates:
            raise SystemExit(f"plot.py: {path}: no grid column {x_key!r} (columns: {', '.join(grid)})")
        x_key = candidates[0]
    others = [k for k in grid if k != x_key]
    series, skipped = {}, 0
    for r in rows:
        if r["status"] != "ok":
            skipped += 1
            continue
        name = " ".join(f"{short(k)}={r[k]}" for k in others) or "sweep"
        if label:
            name = f"{label} {name}" if others else label
        try:
            x = float(r[x_key])
        except ValueError:
            raise SystemExit(f"plot.py: {path}: {x_key} value {r[x_key]!r} is not a number")
        series.setdefault(name, []).append((x, float(r["iotlb_hit_rate"])))
    if skipped:
        print(f"plot.py: {path}: {skipped} rows with errors skipped", file=sys.stderr)
    out = []
    for name, pts in series.items():
        pts.sort()
        out.append((name, [p[0] for p in pts], [p[1] for p in pts], "o-"))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="IOTLB hit rate against IOTLB size, from sweep/mrc CSVs")
    ap.add_argument("out", help="output image (.png, .svg or .pdf)")
    ap.add_argument("csv", nargs="+", help="CSV files from `vtdsim sweep` or `vtdsim mrc`")
    ap.add_argument("--label", action="append", default=[], help="label per CSV, in order")
    ap.add_argument("--x-key", default="iommu.iotlb.entries", help="sweep column on the x axis")
    ap.add_argument("--title", default="IOTLB hit rate against IOTLB size")
    ap.add_argument("--log-x", action="store_true", help="logarithmic x axis (base 2)")
    ap.add_argument("--miss", action="store_true", help="plot the miss ratio instead of the hit rate")
    args = ap.parse_args(argv)

    lines = []
    for i, path in enumerate(args.csv):
        label = args.label[i] if i < len(args.label) else None
        rows = read_csv(path)
        header = rows[0].keys() if rows else []
        if "entries" in header and "hit_rate" in header:
            lines += lines_from_mrc(path, rows, label)
        elif "iotlb_hit_rate" in header:
            lines += lines_from_sweep(path, rows, args.x_key, label)
        else:
            raise SystemExit(f"plot.py: {path}: neither a `vtdsim mrc` nor a `vtdsim sweep` CSV")
    if not lines:
        raise SystemExit("plot.py: nothing to plot")

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, xs, ys, style in lines:
        if args.miss:
            ys = [1.0 - y for y in ys]
        ax.plot(xs, ys, style, label=name, markersize=4, linewidth=1.5)
    if args.log_x:
        ax.set_xscale("log", base=2)
    ax.set_xlabel("IOTLB entries")
    ax.set_ylabel("IOTLB miss ratio" if args.miss else "IOTLB hit rate")
    ax.set_ylim(0, 1)
    ax.set_title(args.title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"plot.py: wrote {args.out} ({len(lines)} lines)", file=sys.stderr)


if __name__ == "__main__":
    main()
