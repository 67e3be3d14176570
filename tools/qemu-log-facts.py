#!/usr/bin/env python3
"""Counts the facts of the QEMU logs under traces/qemu/ (facts.csv and the README's table).

usage: tools/qemu-log-facts.py [DIR]   (default traces/qemu); writes DIR/facts.csv, prints the
markdown table. The counts come from the logs themselves: vtd_dmar_translate lines, QEMU's own
decisions (vtd_iotlb_page_hit / _update), page- and domain-selective invalidations, raw p-iotlb
descriptors. The preset is the one of the log's QEMU (docs/trace-format.md).
"""
import csv, os, re, subprocess, sys

MODES = {  # name: (intel-iommu options, kernel arguments, ACCESS_PLATFORM)
    'leg-cm-strict': ('legacy, caching-mode=on', 'iommu.strict=1', 'on'),
    'leg-cm-lazy': ('legacy, caching-mode=on', 'iommu.strict=0 (CM=1: stays strict)', 'on'),
    'leg-nocm-strict': ('legacy, caching-mode=off', 'iommu.strict=1', 'on'),
    'leg-nocm-lazy': ('legacy, caching-mode=off', 'iommu.strict=0 (DMA-FQ)', 'on'),
    'leg-aw48-cm-strict': ('legacy, caching-mode=on, aw-bits=48', 'iommu.strict=1', 'on'),
    'leg-aw39-cm-strict': ('legacy, caching-mode=on, aw-bits=39', 'iommu.strict=1', 'on'),
    'leg-pt': ('legacy, caching-mode=on', 'iommu.passthrough=1 (identity)', 'on'),
    'leg-noplat': ('legacy, caching-mode=on', 'iommu.strict=1', 'off'),
    'sm-strict': ('scalable, caching-mode=on', 'sm_on iommu.strict=1', 'on'),
    'sm-lazy': ('scalable, caching-mode=on', 'sm_on iommu.strict=0 (CM=1: strict)', 'on'),
    'sm-nocm-strict': ('scalable, caching-mode=off', 'sm_on iommu.strict=1', 'on'),
    'sm-nocm-lazy': ('scalable, caching-mode=off', 'sm_on iommu.strict=0 (DMA-FQ)', 'on'),
    'sm-pt': ('scalable, caching-mode=on', 'sm_on iommu.passthrough=1', 'on'),
    'sm-flts-strict': ('scalable, caching-mode=on, x-flts=on', 'sm_on iommu.strict=1', 'on'),
    'sm-flts-lazy': ('scalable, caching-mode=on, x-flts=on', 'sm_on iommu.strict=0 (DMA-FQ)', 'on'),
}

def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'traces', 'qemu')
    rows = []
    for name in sorted(os.listdir(d)):
        if not name.endswith('.log.zst'):
            continue
        log = name[:-len('.log.zst')]
        text = subprocess.run(['zstd', '-dcq', os.path.join(d, name)], capture_output=True, text=True, check=True).stdout
        counts = {}
        for m in re.finditer(r'(vtd_[A-Za-z0-9_]+) ', text):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
        qemu = '7.2' if log.startswith('q72') else '10.0'
        preset = 'qemu-7.2' if qemu == '7.2' else 'qemu-10.0'  # 10.0 takes x-flts from the log (auto)
        kernel = '6.12' if '-l612-' in log else '6.1'
        mode = re.sub(r'^q(72|10)-(l612-)?', '', log)
        rows.append({'log': log, 'qemu': qemu, 'preset': preset,
                     'translations': counts.get('vtd_dmar_translate', 0),
                     'qemu_hits': counts.get('vtd_iotlb_page_hit', 0),
                     'qemu_misses': counts.get('vtd_iotlb_page_update', 0),
                     'page_invalidations': counts.get('vtd_inv_desc_iotlb_pages', 0),
                     'domain_invalidations': counts.get('vtd_inv_desc_iotlb_domain', 0),
                     'p_iotlb': len(re.findall(r'type p-iotlb ', text)),
                     'lines': text.count('\n'), 'linux': kernel, 'mode': mode})
    fields = ['log', 'qemu', 'preset', 'translations', 'qemu_hits', 'qemu_misses', 'page_invalidations',
              'domain_invalidations', 'p_iotlb', 'lines', 'linux']
    with open(os.path.join(d, 'facts.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction='ignore', lineterminator='\n')
        w.writeheader()
        w.writerows(rows)
    print('| log | QEMU | Linux | intel-iommu options | kernel arguments | ACCESS_PLATFORM | preset | translations '
          '| QEMU hits / misses | page inv. | domain inv. | p-iotlb |')
    print('|---|---|---|---|---|---|---|---:|---:|---:|---:|---:|')
    for r in rows:
        opts, kargs, plat = MODES[r['mode']]
        print(f"| `{r['log']}` | {r['qemu']} | {r['linux']} | {opts} | {kargs} | {plat} | `{r['preset']}` | "
              f"{r['translations']} | {r['qemu_hits']} / {r['qemu_misses']} | {r['page_invalidations']} | "
              f"{r['domain_invalidations']} | {r['p_iotlb']} |")

if __name__ == '__main__':
    main()
