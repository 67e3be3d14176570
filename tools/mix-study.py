#!/usr/bin/python3
"""IOTLB hit rate against the number of tenants sharing one IOMMU (docs/studies.md "Many tenants").

    tools/mix-study.py [--vtdsim build/vtdsim] [--trace traces/qemu-linux-strict.bin.zst]
                       [--entries 64,512,4096] [--ways 4,full] [--tenants 1,2,4,...,256] [--burst 1]
                       --csv OUT.csv [--plot OUT.png]

For each tenant count N: `vtdsim mix TRACE --tenants N --burst B` (round robin), then `vtdsim
replay` of the mix with configs/hw-64x4.yaml and iommu.iotlb.entries = E, iommu.iotlb.ways = W for
each E and W (LRU, paging-structure caches). One CSV row per (N, E, W): tenants,entries,ways,
translations,iotlb_hits,iotlb_hit_rate. The plot (Debian's python3-matplotlib) has one line per
IOTLB geometry.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vtdsim", default=os.path.join(root, "build", "vtdsim"))
    p.add_argument("--trace", default=os.path.join(root, "traces", "qemu-linux-strict.bin.zst"))
    p.add_argument("--config", default=os.path.join(root, "configs", "hw-64x4.yaml"))
    p.add_argument("--entries", default="64,512,4096")
    p.add_argument("--ways", default="4,full")
    p.add_argument("--tenants", default="1,2,4,8,16,32,64,128,256")
    p.add_argument("--burst", default="1")
    p.add_argument("--csv", required=True)
    p.add_argument("--plot")
    a = p.parse_args()
    entries = [int(x) for x in a.entries.split(",")]
    ways = a.ways.split(",")
    tenants = [int(x) for x in a.tenants.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in tenants:
            mix = os.path.join(tmp, f"mix{n}.bin")
            subprocess.run([a.vtdsim, "mix", a.trace, "--tenants", str(n), "--burst", a.burst, "-o", mix],
                           check=True, stderr=subprocess.DEVNULL)
            for e in entries:
                for w in ways:
                    out = os.path.join(tmp, "stats.json")
                    subprocess.run([a.vtdsim, "replay", mix, "--config", a.config, "--set", f"iommu.iotlb.entries={e}",
                                    "--set", f"iommu.iotlb.ways={w}", "--json", out, "--quiet"], check=True)
                    j = json.load(open(out))
                    hits, misses = j["iommu"]["iotlb"]["hits"], j["iommu"]["iotlb"]["misses"]
                    rows.append({"tenants": n, "entries": e, "ways": w, "translations": j["iommu"]["translations"],
                                 "iotlb_hits": hits,
                                 "iotlb_hit_rate": f"{hits / (hits + misses):.4f}" if hits + misses else "0"})
                    print(f"tenants {n:4d}  entries {e:5d}  ways {w:>4}  hit rate {rows[-1]['iotlb_hit_rate']}",
                          file=sys.stderr)
    with open(a.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    if a.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for e in entries:
            for w in ways:
                pts = [(r["tenants"], float(r["iotlb_hit_rate"])) for r in rows if r["entries"] == e and r["ways"] == w]
                label = f"{e} entries, " + ("fully associative" if w == "full" else f"{w}-way")
                ax.plot([x for x, _ in pts], [100 * y for _, y in pts], marker="o" if w == "full" else "x",
                        linestyle="-" if w == "full" else "--", label=label)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("tenants sharing the IOMMU (copies of the reference QEMU trace, round robin)")
        ax.set_ylabel("IOTLB hit rate (%)")
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(a.plot, dpi=110)


if __name__ == "__main__":
    main()
