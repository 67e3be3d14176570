#!/usr/bin/env python3
"""Compares the invalidations and IOVAs a guest produced: a QEMU `-trace 'vtd_*'` log of a real
Linux guest against the native trace of `vtdsim run --trace-out` (issue 17, docs/sysc-platform.md
"Linux 6.1 guest against real logs").

    tools/guest_log_compare.py --log q72-leg-cm-strict.log.gz --trace run.trace [--json out.json]

Per device (the log's domain ids are matched to devices through the IOVAs they translate):
  * invalidation descriptors: page-selective by address mask, domain-selective, context-cache
    device-selective, global; page-selective ones split into "after map" and "after unmap"
    (CM=1: a page that is not mapped is being mapped; in the model trace the map/unmap event
    right before the flush says which);
  * the IOVA region (lowest/highest page the device used) and the distinct pages;
  * reuse: the IOVA "allocation stream" (a page used after it was invalidated, or for the first
    time) and, for each reuse, the number of distinct pages allocated since its previous use
    (a stack distance): 0 means the page freed last is handed out next (LIFO magazines).
Either input may be given alone. The log's domain ids are learned from CM=1 attach flushes or
voted from page-selective flushes; --map DOM=BDF gives them (needed for a CM=0 lazy log).
"""
import argparse
import collections
import gzip
import json
import re
import sys

PAGE = 4096


def opener(path):
    return gzip.open(path, "rt", errors="replace") if path.endswith(".gz") else open(path, errors="replace")


def bdf_norm(s):
    # QEMU prints 00:02.00, the native trace 00:02.0
    bus, rest = s.split(":")
    dev, fn = rest.split(".")
    return "%02x:%02x.%x" % (int(bus, 16), int(dev, 16), int(fn, 16))


class Events:
    """Normalized events: ('page', dom, addr, mask, cause) ('domain', dom) ('global',) ('cc_device', bdf)
    ('use', bdf, page) ('attach', bdf, dom)."""

    def __init__(self):
        self.items = []
        self.dom_dev = {}


def parse_qemu(path, known=None):
    ev = Events()
    ev.dom_dev.update(known or {})
    pat_page = re.compile(r"vtd_inv_desc_iotlb_pages iotlb invalidate domain (0x[0-9a-f]+) addr (0x[0-9a-f]+) mask (0x[0-9a-f]+)")
    pat_dom = re.compile(r"vtd_inv_desc_iotlb_domain iotlb invalidate whole domain (0x[0-9a-f]+)")
    pat_xlat = re.compile(r"vtd_dmar_translate dev ([0-9a-f:.]+) iova (0x[0-9a-f]+)")
    pat_cc = re.compile(r"vtd_inv_desc_cc_device context invalidate device ([0-9a-f:.]+)")
    votes = collections.defaultdict(collections.Counter)
    last_dev_of_page = {}
    with opener(path) as f:
        for line in f:
            if "vtd_inv_desc_iotlb_pages" in line:
                m = pat_page.search(line)
                if m:
                    dom, addr, mask = int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)
                    ev.items.append(("page", dom, addr, mask, None))
                    dev = last_dev_of_page.get(addr // PAGE)
                    if dev:
                        votes[dom][dev] += 1
            elif "vtd_inv_desc_iotlb_domain" in line:
                m = pat_dom.search(line)
                if m:
                    ev.items.append(("domain", int(m.group(1), 16)))
            elif "vtd_inv_desc_iotlb_global" in line:
                ev.items.append(("global",))
            elif "vtd_inv_desc_cc_device " in line:
                m = pat_cc.search(line)
                if m:
                    ev.items.append(("cc_device", bdf_norm(m.group(1))))
            elif "vtd_dmar_translate" in line:
                m = pat_xlat.search(line)
                if m:
                    dev, page = bdf_norm(m.group(1)), int(m.group(2), 16) // PAGE
                    ev.items.append(("use", dev, page))
                    last_dev_of_page[page] = dev
    # Which device a domain id belongs to: in CM=1 logs the attach sequence says it (a
    # device-selective context flush, then that domain's flush). Otherwise each page-selective
    # flush votes for the device that used its page last, and domains and devices are paired one
    # to one, the strongest vote first (devices share IOVA values, so votes alone are ambiguous).
    pending_cc = None
    for it in ev.items:
        if it[0] == "cc_device":
            pending_cc = it[1]
        elif it[0] == "domain" and pending_cc is not None:
            ev.dom_dev.setdefault(it[1], pending_cc)
            pending_cc = None
    taken = set(ev.dom_dev.values())
    pairs = sorted(((n, dom, dev) for dom, c in votes.items() for dev, n in c.items()), reverse=True)
    for n, dom, dev in pairs:
        if dom not in ev.dom_dev and dev not in taken:
            ev.dom_dev[dom] = dev
            taken.add(dev)
    # Classify page-selective flushes: with CM=1 (context flushes on attach) a page that is not
    # mapped yet is being mapped; with CM=0 Linux never flushes after a map.
    cm = any(it[0] == "cc_device" for it in ev.items)
    mapped = collections.defaultdict(set)
    out = []
    for it in ev.items:
        if it[0] == "page":
            dom, addr, mask = it[1], it[2], it[3]
            if cm and addr not in mapped[dom]:
                mapped[dom].add(addr)
                cause = "map"
            else:
                mapped[dom].discard(addr)
                cause = "unmap"
            out.append(("page", dom, addr, mask, cause))
        else:
            out.append(it)
    ev.items = out
    return ev


def parse_trace(path):
    ev = Events()
    last = None  # the map/unmap event before a flush
    with opener(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            t = line.split()
            if len(t) < 2:
                continue
            kind = t[1]
            if kind == "dma":
                ev.items.append(("use", bdf_norm(t[2]), int(t[4], 16) // PAGE))
            elif kind == "map":
                last = "map"
            elif kind == "unmap":
                last = "unmap"
            elif kind == "context":
                ev.dom_dev[int(t[3])] = bdf_norm(t[2])
            elif kind == "inv":
                keys = dict(x.split("=", 1) for x in t[4:] if "=" in x)
                if t[2] == "iotlb" and t[3] == "page":
                    ev.items.append(("page", int(keys["did"]), int(keys["addr"], 16), int(keys.get("am", "0")),
                                     last or "unmap"))
                elif t[2] == "iotlb" and t[3] == "domain":
                    ev.items.append(("domain", int(keys["did"])))
                elif t[2] == "iotlb" and t[3] == "global":
                    ev.items.append(("global",))
                elif t[2] == "context" and t[3] == "device":
                    ev.items.append(("cc_device", bdf_norm(keys["sid"])))
                last = None
    return ev


def summarize(ev):
    devs = collections.defaultdict(lambda: {
        "page_by_mask": collections.Counter(), "page_after_map": 0, "page_after_unmap": 0,
        "domain": 0, "context_device": 0, "uses": []})
    glob = 0
    # Allocation stream: a page used for the first time or after an invalidation that covered it.
    invalid = collections.defaultdict(set)  # device -> pages invalidated since their last use
    seen = collections.defaultdict(set)
    for it in ev.items:
        if it[0] == "page":
            dev = ev.dom_dev.get(it[1], "dom%d" % it[1])
            d = devs[dev]
            d["page_by_mask"][it[3]] += 1
            d["page_after_" + it[4]] += 1
            first = it[2] // PAGE
            for p in range(first, first + (1 << it[3])):
                invalid[dev].add(p)
        elif it[0] == "domain":
            dev = ev.dom_dev.get(it[1], "dom%d" % it[1])
            devs[dev]["domain"] += 1
            invalid[dev] = set(seen[dev])
        elif it[0] == "global":
            glob += 1
            for dev in seen:
                invalid[dev] = set(seen[dev])
        elif it[0] == "cc_device":
            devs[it[1]]["context_device"] += 1
        elif it[0] == "use":
            dev, page = it[1], it[2]
            if page not in seen[dev] or page in invalid[dev]:
                devs[dev]["uses"].append(page)
                seen[dev].add(page)
                invalid[dev].discard(page)
    result = {"global": glob, "devices": {}}
    for dev, d in sorted(devs.items()):
        uses = d["uses"]
        stack = collections.OrderedDict()
        dist = collections.Counter()
        for p in uses:
            if p in stack:
                keys = list(stack.keys())
                k = len(keys) - 1 - keys.index(p)
                bucket = "0" if k == 0 else "1-3" if k <= 3 else "4-15" if k <= 15 else "16-63" if k <= 63 else "64+"
                dist[bucket] += 1
                del stack[p]
            else:
                dist["new"] += 1
            stack[p] = True
        result["devices"][dev] = {
            "page": sum(d["page_by_mask"].values()),
            "page_by_mask": {str(k): v for k, v in sorted(d["page_by_mask"].items())},
            "page_after_map": d["page_after_map"], "page_after_unmap": d["page_after_unmap"],
            "domain": d["domain"], "context_device": d["context_device"],
            "iova_low": hex(min(uses) * PAGE) if uses else None,
            "iova_high": hex(max(uses) * PAGE + PAGE - 1) if uses else None,
            "distinct_pages": len(set(uses)), "fresh_uses": len(uses),
            "reuse_distance": {k: dist[k] for k in ["new", "0", "1-3", "4-15", "16-63", "64+"] if dist[k]},
        }
    return result


def print_side_by_side(named):
    names = list(named)
    # Devices that did DMA somewhere (the log's other devices only show their attach flushes).
    devices = sorted(set(d for r in named.values() for d, v in r["devices"].items() if v["fresh_uses"] or v["page"]))
    for n in names:
        quiet = {d: v for d, v in named[n]["devices"].items() if d not in devices}
        if quiet:
            print("%s: other devices: %d domain and %d context-device invalidations (attach)" % (
                n, sum(v["domain"] for v in quiet.values()), sum(v["context_device"] for v in quiet.values())))
    rows = ["page", "page_by_mask", "page_after_map", "page_after_unmap", "domain", "context_device",
            "iova_low", "iova_high", "distinct_pages", "fresh_uses", "reuse_distance"]
    w = 40
    print("%-18s" % "" + "".join("%-*s" % (w, n) for n in names))
    print("%-18s" % "global" + "".join("%-*s" % (w, named[n]["global"]) for n in names))
    for dev in devices:
        print("-- " + dev)
        for r in rows:
            cells = []
            for n in names:
                v = named[n]["devices"].get(dev, {}).get(r, "-")
                if isinstance(v, dict):
                    v = " ".join("%s:%s" % kv for kv in v.items())
                cells.append("%-*s" % (w, v))
            print("  %-16s " % r + "".join(cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", action="append", default=[], help="QEMU vtd_* trace log (.gz ok)")
    ap.add_argument("--trace", action="append", default=[], help="vtdsim run --trace-out file")
    ap.add_argument("--map", action="append", default=[], metavar="DOM=BDF",
                    help="the log's domain id DOM belongs to device BDF (e.g. 4=00:02.0), for logs "
                         "without CM=1 attach flushes or page-selective flushes to learn it from")
    ap.add_argument("--json", help="write the summaries here")
    a = ap.parse_args()
    if not a.log and not a.trace:
        ap.error("give --log and/or --trace")
    named = collections.OrderedDict()
    known = {}
    for m in a.map:
        dom, dev = m.split("=")
        known[int(dom, 0)] = bdf_norm(dev)
    for p in a.log:
        named["log:" + p.split("/")[-1]] = summarize(parse_qemu(p, known))
    for p in a.trace:
        named["model:" + p.split("/")[-1]] = summarize(parse_trace(p))
    print_side_by_side(named)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(named, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
