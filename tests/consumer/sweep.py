# SPDX-License-Identifier: MIT
"""The consumers' sweep in Python: what consumer.c and consumer.cpp print,
line for line, from the installed package (tests/consumer/run.sh compares
the three). The sweep is defined in consumer.c's comment."""
import sys

import hvo

ARCHES = ["x86_64", "x86_64:levels=5", "arm64:granule=16K,va=47",
          "arm64:granule=64K,va=48", "riscv64:va=39"]
STRUCT_PAGES = [56, 64]
VARIANTS = ["keep2", "fakehead", "sharedtail"]


def main():
    out = sys.stdout
    for arch in ARCHES:
        for sp in STRUCT_PAGES:
            for v in VARIANTS:
                spec = (arch + ("," if ":" in arch else ":") +
                        f"mem=1G,struct_page={sp},hvo={v}")
                with hvo.Machine(spec) as m:
                    hs = m.hstates()
                    for h in hs:
                        out.write(f"{spec} {h.name} "
                                  f"vmemmap={h.vmemmap_bytes_per_hugepage} "
                                  f"freed={h.vmemmap_bytes_freed_per_hugepage}\n")
                    with m.measure() as d:
                        m.set_nr_hugepages(hs[0].size, 2)
                    h = m.hstate(hs[0].size)
                    out.write(f"{spec} pool {h.name} nr={h.nr} "
                              f"optimized={h.optimized} saved={h.saved_bytes} "
                              f"optimize={d['hvo.optimize']}\n")
                    m.check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
