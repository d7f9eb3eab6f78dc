/* SPDX-License-Identifier: MIT */
/*
 * /proc/meminfo: meminfo_proc_show() of 6.12's fs/proc/meminfo.c, with
 * hugetlb_report_meminfo() (mm/hugetlb.c) and x86's arch_report_meminfo()
 * (arch/x86/mm/pat/set_memory.c), every line in the kernel's order and
 * format. The optional lines are those the distribution build prints
 * (Debian's 6.12 amd64 config on x86_64; struct hvo_arch says what the
 * arch's build has). What the machine has not -- page cache, swap, slab,
 * user page tables, vmalloc, per-CPU chunks, THP -- reads 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/machine.h"
#include "mem/vmstat.h"

enum meminfo_fmt {
	MF_KB,     /* show_val_kb(): pages, "%8lu kB" */
	MF_KB_RAW, /* seq_printf() of a value already in kB, "%8lu kB" */
	MF_KB5,    /* "%5lu kB" (HardwareCorrupted) */
	MF_COUNT5, /* "%5lu" (HugePages_*) */
};

struct meminfo_line {
	const char *label; /* with the kernel's padding */
	enum meminfo_fmt fmt;
	uint64_t value;
};

/*
 * vm_commit_limit() with overcommit_kbytes 0 and overcommit_ratio 50, no
 * swap. Unsigned as in the kernel: boot gigantic pages are not in
 * totalram_pages(), and a pool larger than it wraps.
 */
static uint64_t
vm_commit_limit(const struct hvo_machine *m, uint64_t hugetlb_pages)
{
	return (totalram_pages(m) - hugetlb_pages) * 50 / 100;
}

/*
 * x86's direct_pages_count[] after init_mem_mapping(), in kB per page
 * size: init_memory_mapping(0, ISA_END_ADDRESS) first, then each RAM
 * range as split_mem_range() cuts it: a 4K head up to 2M alignment, 2M
 * pages up to 1G alignment, 1G pages, 2M pages, a 4K tail.
 * adjust_range_page_size_mask() would map a piece with the larger page
 * when the aligned region around it is all RAM; a PC's e820 always has
 * the legacy hole at 640K-1M and the machine's ranges are merged, so no
 * piece qualifies. Where the model is simpler than a real boot: it maps
 * each piece once (memory_map_top_down() maps in chunks, and a chunk
 * meeting a large page already there counts it again), its RAM has no
 * other firmware holes, and nothing splits the direct map afterwards
 * (the kernel text's alias and set_memory_*() do on a real machine).
 */
static void
direct_map_count(const struct hvo_machine *m, uint64_t kb[3])
{
	const struct phys *p = &m->phys;
	const uint64_t isa_end = UINT64_C(1) << 20;
	const uint64_t pmd = UINT64_C(2) << 20, pud = UINT64_C(1) << 30;

	kb[0] = kb[1] = kb[2] = 0;
	for (unsigned r = 0; r < p->nr_ranges; r++) {
		uint64_t pos = p->range[r].base;
		uint64_t end = pos + p->range[r].size, next;

		if (pos < isa_end) {
			next = end < isa_end ? end : isa_end;
			kb[0] += (next - pos) >> 10;
			pos = next;
		}
		if (pos >= end)
			continue;
		next = round_up64(pos, pmd) < end ? round_up64(pos, pmd) : end;
		kb[0] += (next - pos) >> 10;
		pos = next;
		next = round_up64(pos, pud);
		if (next > round_down64(end, pmd))
			next = round_down64(end, pmd);
		if (pos < next) {
			kb[1] += (next - pos) >> 10;
			pos = next;
		}
		next = round_down64(end, pud);
		if (round_up64(pos, pud) == pos && pos < next) {
			kb[2] += (next - pos) >> 10;
			pos = next;
		}
		next = round_down64(end, pmd);
		if (pos < next) {
			kb[1] += (next - pos) >> 10;
			pos = next;
		}
		kb[0] += (end - pos) >> 10;
	}
}

/* Fill @l with the lines of /proc/meminfo; returns how many. */
static unsigned
meminfo_lines(const struct hvo_machine *m, struct meminfo_line *l)
{
	const struct hvo_arch *a = &m->arch;
	struct hvo_hstate_info h, dh;
	struct hvo_geometry g;
	uint64_t hugetlb_pages = 0, hugetlb_bytes = 0, dm[3];
	bool have_default;
	unsigned n = 0;

#define LINE(lab, f, v) l[n++] = (struct meminfo_line){ lab, f, v }
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		hugetlb_pages += h.nr << h.order;
		hugetlb_bytes += h.nr * h.size;
	}
	hvo_machine_geometry(m, &g);
	have_default = hvo_machine_hstate_by_size(m, g.default_hugepage_size,
						  &dh) == 0;

	LINE("MemTotal:       ", MF_KB, totalram_pages(m));
	LINE("MemFree:        ", MF_KB, global_free_pages(m));
	LINE("MemAvailable:   ", MF_KB, si_mem_available(m));
	LINE("Buffers:        ", MF_KB, 0);
	LINE("Cached:         ", MF_KB, 0);
	LINE("SwapCached:     ", MF_KB, 0);
	LINE("Active:         ", MF_KB, 0);
	LINE("Inactive:       ", MF_KB, 0);
	LINE("Active(anon):   ", MF_KB, 0);
	LINE("Inactive(anon): ", MF_KB, 0);
	LINE("Active(file):   ", MF_KB, 0);
	LINE("Inactive(file): ", MF_KB, 0);
	LINE("Unevictable:    ", MF_KB, 0);
	LINE("Mlocked:        ", MF_KB, 0);
	LINE("SwapTotal:      ", MF_KB, 0);
	LINE("SwapFree:       ", MF_KB, 0);
	/* CONFIG_ZSWAP */
	LINE("Zswap:          ", MF_KB, 0);
	LINE("Zswapped:       ", MF_KB, 0);
	LINE("Dirty:          ", MF_KB, 0);
	LINE("Writeback:      ", MF_KB, 0);
	LINE("AnonPages:      ", MF_KB, 0);
	LINE("Mapped:         ", MF_KB, 0);
	LINE("Shmem:          ", MF_KB, 0);
	LINE("KReclaimable:   ", MF_KB, 0);
	LINE("Slab:           ", MF_KB, 0);
	LINE("SReclaimable:   ", MF_KB, 0);
	LINE("SUnreclaim:     ", MF_KB, 0);
	LINE("KernelStack:    ", MF_KB_RAW, 0);
	/*
	 * NR_PAGETABLE counts what pagetable_pte_ctor() and its kin account;
	 * init_mm's tables (the vmemmap's among them) come from
	 * pte_alloc_one_kernel(), which has no ctor, so they are not here.
	 */
	LINE("PageTables:     ", MF_KB, 0);
	LINE("SecPageTables:  ", MF_KB, 0);
	LINE("NFS_Unstable:   ", MF_KB, 0);
	LINE("Bounce:         ", MF_KB, 0);
	LINE("WritebackTmp:   ", MF_KB, 0);
	LINE("CommitLimit:    ", MF_KB, vm_commit_limit(m, hugetlb_pages));
	LINE("Committed_AS:   ", MF_KB, 0);
	LINE("VmallocTotal:   ", MF_KB_RAW, a->vmalloc_total >> 10);
	LINE("VmallocUsed:    ", MF_KB, 0);
	LINE("VmallocChunk:   ", MF_KB, 0);
	LINE("Percpu:         ", MF_KB, 0);
	/* memtest_report_meminfo(): silent unless memtest= ran. */
	if (a->memory_failure)
		LINE("HardwareCorrupted: ", MF_KB5, 0);
	/* CONFIG_TRANSPARENT_HUGEPAGE */
	LINE("AnonHugePages:  ", MF_KB, 0);
	LINE("ShmemHugePages: ", MF_KB, 0);
	LINE("ShmemPmdMapped: ", MF_KB, 0);
	LINE("FileHugePages:  ", MF_KB, 0);
	LINE("FilePmdMapped:  ", MF_KB, 0);
	if (a->cfg_cma) {
		LINE("CmaTotal:       ", MF_KB, 0);
		LINE("CmaFree:        ", MF_KB, 0);
	}
	if (a->cfg_unaccepted_memory && kernel_get(m, RP_UNACCEPTED_MEMORY))
		LINE("Unaccepted:     ", MF_KB, 0);
	/* hugetlb_report_meminfo(): the default hstate, then all of them. */
	if (have_default) {
		LINE("HugePages_Total:   ", MF_COUNT5, dh.nr);
		LINE("HugePages_Free:    ", MF_COUNT5, dh.free);
		LINE("HugePages_Rsvd:    ", MF_COUNT5, dh.resv);
		LINE("HugePages_Surp:    ", MF_COUNT5, dh.surplus);
		LINE("Hugepagesize:   ", MF_KB_RAW, dh.size >> 10);
	}
	LINE("Hugetlb:        ", MF_KB_RAW, hugetlb_bytes >> 10);
	if (a->direct_map_report) {
		direct_map_count(m, dm);
		LINE("DirectMap4k:    ", MF_KB_RAW, dm[0]);
		LINE("DirectMap2M:    ", MF_KB_RAW, dm[1]);
		/* direct_gbpages: Debian's GBPAGES, a CPU with pdpe1gb */
		LINE("DirectMap1G:    ", MF_KB_RAW, dm[2]);
	}
#undef LINE
	return n;
}

#define MEMINFO_MAX_LINES 64

HVO_EXPORT int
hvo_machine_meminfo(const struct hvo_machine *m, unsigned i, char *buf,
		    size_t len)
{
	struct meminfo_line l[MEMINFO_MAX_LINES];
	unsigned n, shift;
	uint64_t v;
	int w;

	if (!m)
		return -EINVAL;
	if (!buf || !len)
		return machine_err_null(m, __func__, "buf");
	n = meminfo_lines(m, l);
	if (i >= n)
		return machine_err_const(m, -ENOENT,
					 "meminfo line %u: /proc/meminfo has %u lines here, 0..%u",
					 i, n, n - 1);
	shift = m->arch.page_shift - 10;
	v = l[i].value;
	switch (l[i].fmt) {
	case MF_KB:
		w = snprintf(buf, len, "%s%8" PRIu64 " kB", l[i].label, v << shift);
		break;
	case MF_KB_RAW:
		w = snprintf(buf, len, "%s%8" PRIu64 " kB", l[i].label, v);
		break;
	case MF_KB5:
		w = snprintf(buf, len, "%s%5" PRIu64 " kB", l[i].label, v << shift);
		break;
	default:
		w = snprintf(buf, len, "%s%5" PRIu64, l[i].label, v);
		break;
	}
	if (w < 0 || (size_t)w >= len)
		return machine_err_const(m, -ENOSPC,
					 "meminfo line %u needs %d bytes, the buffer has %zu",
					 i, w + 1, len);
	return 0;
}
