/* SPDX-License-Identifier: MIT */
/*
 * The files of /proc that hvo-sim prints: see procfs.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <hvo/hvo.h>

#include "procfs.h"

/*
 * frag_show_print() in mm/vmstat.c: "Node %d, zone %8s ", then "%6lu "
 * per order, then a newline. A report leaves the last blank out.
 */
void
procfs_buddyinfo_zone(FILE *f, const struct hvo_zone_info *z,
		      const char *indent, enum procfs_form form)
{
	if (!z->present_pages)
		return; /* walk_zones_in_node() skips unpopulated zones */
	fprintf(f, "%sNode 0, zone %8s", indent, z->name);
	for (unsigned o = 0; o < z->nr_orders && o < HVO_MAX_ORDERS; o++)
		fprintf(f, " %6" PRIu64, z->nr_free[o]);
	fputs(form == PROCFS_KERNEL ? " \n" : "\n", f);
}

void
procfs_buddyinfo(FILE *f, const struct hvo_machine *m, const char *indent,
		 enum procfs_form form)
{
	struct hvo_zone_info z;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		procfs_buddyinfo_zone(f, &z, indent, form);
}

/* show_val_kb(): pages as "Label:   %8lu kB". */
static void
meminfo_kb(FILE *f, const char *label, uint64_t pages, unsigned page_shift)
{
	fprintf(f, "%s%8" PRIu64 " kB\n", label, pages << (page_shift - 10));
}

/*
 * meminfo_proc_show() in fs/proc/meminfo.c, the fields the simulated
 * machine has, in the kernel's order and format. The machine has no swap
 * and no user page tables, so those are honestly 0. MemAvailable is MemFree: the kernel's estimate also
 * subtracts watermarks and adds reclaimable caches, neither of which the
 * machine models.
 */
void
procfs_meminfo(FILE *f, const struct hvo_machine *m, uint64_t default_size)
{
	struct hvo_geometry g;
	struct hvo_zone_info z;
	struct hvo_hstate_info h, dh;
	uint64_t total = 0, free = 0, huge_pages = 0, huge_kb = 0, commit;
	unsigned shift;

	hvo_machine_geometry(m, &g);
	shift = g.page_shift;
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		total += z.managed_pages;
		free += z.free_pages + z.pcp_pages + z.deferred_pages;
	}
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		huge_pages += h.nr << (h.order);
		huge_kb += h.nr * (h.size >> 10);
	}
	/* vm_commit_limit() with the default overcommit_ratio of 50, no swap. */
	commit = total > huge_pages ? (total - huge_pages) * 50 / 100 : 0;
	meminfo_kb(f, "MemTotal:       ", total, shift);
	meminfo_kb(f, "MemFree:        ", free, shift);
	meminfo_kb(f, "MemAvailable:   ", free, shift);
	meminfo_kb(f, "SwapTotal:      ", 0, shift);
	meminfo_kb(f, "SwapFree:       ", 0, shift);
	meminfo_kb(f, "PageTables:     ", 0, shift);
	meminfo_kb(f, "CommitLimit:    ", commit, shift);
	/* hugetlb_report_meminfo() */
	if (hvo_machine_hstate_by_size(m, default_size, &dh) == 0)
		fprintf(f, "HugePages_Total:   %5" PRIu64 "\n"
			"HugePages_Free:    %5" PRIu64 "\n"
			"HugePages_Rsvd:    %5" PRIu64 "\n"
			"HugePages_Surp:    %5" PRIu64 "\n"
			"Hugepagesize:   %8" PRIu64 " kB\n",
			dh.nr, dh.free, dh.resv, dh.surplus, dh.size >> 10);
	fprintf(f, "Hugetlb:        %8" PRIu64 " kB\n", huge_kb);
}

/*
 * zoneinfo_show_print() in mm/vmstat.c, the lines the machine has: one
 * CPU's pageset. "pages free" is NR_FREE_PAGES, the buddy allocator's
 * pages; the kernel counts the per-CPU lists apart, as "count".
 */
void
procfs_zoneinfo(FILE *f, const struct hvo_machine *m)
{
	struct hvo_zone_info z;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		fprintf(f, "Node 0, zone %8s\n"
			"  pages free     %" PRIu64 "\n"
			"        spanned  %" PRIu64 "\n"
			"        present  %" PRIu64 "\n"
			"        managed  %" PRIu64 "\n",
			z.name, z.free_pages + z.deferred_pages,
			z.spanned_pages, z.present_pages, z.managed_pages);
		if (!z.present_pages)
			continue; /* the kernel stops here for empty zones */
		fprintf(f, "  pagesets\n"
			"    cpu: 0\n"
			"              count: %" PRIu64 "\n"
			"              high:  %" PRIu64 "\n"
			"              batch: %" PRIu64 "\n"
			"  start_pfn:           %" PRIu64 "\n",
			z.pcp_pages, z.pcp_high, z.pcp_batch, z.start_pfn);
	}
}

/* The flags of @p pfn and their names, as page-types names the bits. */
static int
kpageflags_one(struct hvo_machine *m, uint64_t pfn, uint64_t *flags,
	       char *names, size_t len)
{
	int rc = hvo_kpageflags(m, pfn, flags);

	if (!rc)
		rc = hvo_kpageflags_describe(*flags, names, len);
	return rc;
}

/* As page-types names the bits: the pfn, the raw value, the names. */
int
procfs_kpageflags(FILE *f, struct hvo_machine *m, uint64_t pfn,
		  uint64_t count, const char *indent, uint64_t *bad)
{
	for (uint64_t c = 0; c < count; c++) {
		uint64_t flags;
		char names[512];
		int rc = kpageflags_one(m, pfn + c, &flags, names,
					sizeof(names));

		if (rc) {
			*bad = pfn + c;
			return rc;
		}
		fprintf(f, "%spfn 0x%-10" PRIx64 " 0x%016" PRIx64 "%s%s\n",
			indent, pfn + c, flags, names[0] ? "  " : "", names);
	}
	return 0;
}

int
procfs_kpageflags_json(FILE *f, struct hvo_machine *m, uint64_t pfn,
		       uint64_t count, uint64_t *bad)
{
	for (uint64_t c = 0; c < count; c++) {
		uint64_t flags;
		char names[512], *save = NULL;
		const char *sep = "";
		int rc = kpageflags_one(m, pfn + c, &flags, names,
					sizeof(names));

		if (rc) {
			*bad = pfn + c;
			return rc;
		}
		fprintf(f, "%s{\"pfn\":%" PRIu64 ",\"flags\":\"0x%016" PRIx64 "\",\"names\":[",
			c ? "," : "", pfn + c, flags);
		for (char *w = strtok_r(names, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			fputs(sep, f);
			hvo_json_string(f, w);
			sep = ",";
		}
		fputs("]}", f);
	}
	return 0;
}
