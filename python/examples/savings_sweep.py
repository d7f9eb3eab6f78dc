#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How much vmemmap HVO frees, swept over arch x struct page size x
variant, as a CSV table on stdout and a plot (matplotlib, Agg backend).

For every machine "ARCH,mem=1G,struct_page=N,hvo=V" and each of its
hugepage sizes: the bytes of struct pages of one hugepage and the bytes
HVO frees of them (hvo.HState.vmemmap_bytes_per_hugepage and
vmemmap_bytes_freed_per_hugepage). The plot shows, for 2 MiB hugepages,
the share of their vmemmap freed, one panel per arch and a line per
variant. Where a struct page size is not a power of two, the kernel
optimizes nothing (a struct page would cross a page boundary); on arm64
16K and 64K the 2 MiB hugepage's struct pages fill less than one vmemmap
page, which they share with their neighbours': nothing can be freed.

usage: savings_sweep.py --out PLOT.png
"""
import argparse
import csv
import sys

import hvo

ARCHES = [
    ("x86_64 4K", "x86_64"),
    ("arm64 4K", "arm64:granule=4K,va=48"),
    ("arm64 16K", "arm64:granule=16K,va=47"),
    ("arm64 64K", "arm64:granule=64K,va=48"),
    ("riscv64 4K", "riscv64:va=39"),
]
STRUCT_PAGES = [40, 48, 56, 64, 72, 80, 96, 128, 256]
VARIANTS = ["keep2", "fakehead", "sharedtail"]


def sweep():
    """Rows (arch, struct_page, variant, hugepage, vmemmap, freed)."""
    rows = []
    for label, arch in ARCHES:
        for sp in STRUCT_PAGES:
            for v in VARIANTS:
                spec = (arch + ("," if ":" in arch else ":") +
                        f"mem=1G,struct_page={sp},hvo={v}")
                with hvo.Machine(spec) as m:
                    for h in m.hstates():
                        rows.append((label, sp, v, h.name,
                                     h.vmemmap_bytes_per_hugepage,
                                     h.vmemmap_bytes_freed_per_hugepage))
                    m.check()
    return rows


def plot(rows, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ARCHES), figsize=(4 * len(ARCHES), 3.6),
                             sharey=True)
    for ax, (label, _) in zip(axes, ARCHES):
        for v, style in zip(VARIANTS, ["o-", "s--", "^:"]):
            pts = [(sp, 100.0 * freed / vm) for a, sp, var, name, vm, freed
                   in rows if a == label and var == v and name == "2M"]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                    label=v)
        ax.set_title(f"{label}, 2M hugepages")
        ax.set_xlabel("struct page (bytes)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(STRUCT_PAGES)
        ax.set_xticklabels([str(s) for s in STRUCT_PAGES], fontsize=7)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("vmemmap freed per hugepage (%)")
    axes[0].legend()
    fig.suptitle(f"HVO savings (libhvo {hvo.version()})")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="the plot (PNG, SVG, ...)")
    a = ap.parse_args(argv)
    rows = sweep()
    w = csv.writer(sys.stdout)
    w.writerow(["arch", "struct_page", "variant", "hugepage",
                "vmemmap_bytes", "freed_bytes"])
    w.writerows(rows)
    # What the kernel's rules say must hold, so a wrong sweep fails here.
    by = {(r[0], r[1], r[2], r[3]): r[5] for r in rows}
    assert by[("x86_64 4K", 64, "fakehead", "2M")] == 7 * 4096
    assert by[("x86_64 4K", 64, "keep2", "2M")] == 6 * 4096
    assert by[("arm64 64K", 64, "fakehead", "2M")] == 0
    assert by[("x86_64 4K", 56, "fakehead", "2M")] == 0
    plot(rows, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
