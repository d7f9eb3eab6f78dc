/* SPDX-License-Identifier: MIT */
/*
 * The files of /proc that hvo-sim prints: see procfs.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
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

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		/* A booted kernel has run deferred struct page init. */
		memcpy(z.nr_free, z.nr_free_booted, sizeof(z.nr_free));
		procfs_buddyinfo_zone(f, &z, indent, form);
	}
}

/*
 * meminfo_proc_show() in fs/proc/meminfo.c: the library formats each
 * line as the kernel does (hvo_machine_meminfo()).
 */
void
procfs_meminfo(FILE *f, const struct hvo_machine *m)
{
	char line[128];

	for (unsigned i = 0; hvo_machine_meminfo(m, i, line, sizeof(line)) == 0;
	     i++)
		fprintf(f, "%s\n", line);
}

/* vmstat_show() in mm/vmstat.c: "%s %lu" per line. */
void
procfs_vmstat(FILE *f, const struct hvo_machine *m)
{
	const char *name;
	uint64_t v;

	for (unsigned i = 0; hvo_machine_vmstat(m, i, &name, &v) == 0; i++)
		fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/*
 * zoneinfo_show_print() in mm/vmstat.c of Linux 6.12, every line in its
 * order: the per-node stats on the node's first populated zone, the
 * watermarks, the protection against each highest zone, and for a
 * populated zone its counters and the one online CPU's pageset. "pages
 * free" is NR_FREE_PAGES, the buddy allocator's pages; the per-CPU lists
 * are apart, as "count". The promo watermark is printed where the release
 * prints it (not on 6.1).
 */
void
procfs_zoneinfo(FILE *f, const struct hvo_machine *m)
{
	struct hvo_zone_info z;
	struct hvo_kernel_info k;
	bool node_stats = false;
	const char *name;
	uint64_t v;

	if (hvo_machine_kernel(m, &k))
		return;
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		fprintf(f, "Node 0, zone %8s", z.name);
		/* is_zone_first_populated() */
		if (z.present_pages && !node_stats) {
			node_stats = true;
			fputs("\n  per-node stats", f);
			for (unsigned s = 0;
			     hvo_machine_zoneinfo_stat(m, i, true, s, &name,
						       &v) == 0; s++)
				fprintf(f, "\n      %-12s %" PRIu64, name, v);
		}
		fprintf(f, "\n  pages free     %" PRIu64
			"\n        boost    %" PRIu64
			"\n        min      %" PRIu64
			"\n        low      %" PRIu64
			"\n        high     %" PRIu64,
			z.nr_free_pages, z.watermark_boost, z.wmark_min + z.watermark_boost,
			z.wmark_low + z.watermark_boost,
			z.wmark_high + z.watermark_boost);
		if (!k.zoneinfo_no_promo)
			fprintf(f, "\n        promo    %" PRIu64,
				z.wmark_promo + z.watermark_boost);
		fprintf(f, "\n        spanned  %" PRIu64
			"\n        present  %" PRIu64
			"\n        managed  %" PRIu64
			"\n        cma      %lu",
			z.spanned_pages, z.present_pages,
			z.managed_pages + z.deferred_pages, 0ul);
		for (unsigned j = 0; j < z.nr_protection; j++)
			fprintf(f, "%s%" PRIu64, j ? ", " : "\n        protection: (",
				z.protection[j]);
		fputc(')', f);
		if (!z.present_pages) {
			fputc('\n', f);
			continue; /* unpopulated: nothing else is useful */
		}
		for (unsigned s = 0;
		     hvo_machine_zoneinfo_stat(m, i, false, s, &name, &v) == 0;
		     s++)
			fprintf(f, "\n      %-12s %" PRIu64, name, v);
		fprintf(f, "\n  pagesets"
			"\n    cpu: 0"
			"\n              count: %" PRIu64
			"\n              high:  %" PRIu64
			"\n              batch: %" PRIu64
			"\n  vm stats threshold: %u"
			"\n  node_unreclaimable:  0"
			"\n  start_pfn:           %" PRIu64 "\n",
			z.pcp_pages, z.pcp_high, z.pcp_batch, z.stat_threshold,
			z.start_pfn);
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

/*
 * pagetypeinfo_show() in mm/vmstat.c: the pageblock geometry, the free
 * blocks per zone, migratetype and order (pagetypeinfo_showfree_print(),
 * which stops counting a list at 100000 and prints ">100000"), then the
 * pageblocks per migratetype (pagetypeinfo_showblockcount_print()), each
 * for the populated zones. "Number of mixed blocks" needs page_owner=on,
 * which the machine's kernel is not booted with.
 */
void
procfs_pagetypeinfo(FILE *f, const struct hvo_machine *m)
{
	struct hvo_geometry g;
	struct hvo_zone_info z;
	unsigned nr_orders = 0;

	hvo_machine_geometry(m, &g);
	fprintf(f, "Page block order: %u\n", g.pageblock_order);
	fprintf(f, "Pages per block:  %" PRIu64 "\n\n",
		UINT64_C(1) << g.pageblock_order);
	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	if (hvo_machine_zone(m, 0, &z) == 0)
		nr_orders = z.nr_orders;
	for (unsigned o = 0; o < nr_orders; o++)
		fprintf(f, "%6u ", o);
	fputc('\n', f);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		if (!z.present_pages)
			continue;
		for (unsigned t = 0; t < HVO_MIGRATE_TYPES; t++) {
			fprintf(f, "Node %4d, zone %8s, type %12s ", 0, z.name,
				hvo_migratetype_name(t));
			for (unsigned o = 0; o < z.nr_orders && o < HVO_MAX_ORDERS; o++) {
				uint64_t n = z.nr_free_by_type[t][o];

				fprintf(f, "%s%6" PRIu64 " ", n >= 100000 ? ">" : "",
					n >= 100000 ? UINT64_C(100000) : n);
			}
			fputc('\n', f);
		}
	}
	fprintf(f, "\n%-23s", "Number of blocks type ");
	for (unsigned t = 0; t < HVO_MIGRATE_TYPES; t++)
		fprintf(f, "%12s ", hvo_migratetype_name(t));
	fputc('\n', f);
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		if (!z.present_pages)
			continue;
		fprintf(f, "Node %d, zone %8s ", 0, z.name);
		for (unsigned t = 0; t < HVO_MIGRATE_TYPES; t++)
			fprintf(f, "%12" PRIu64 " ", z.nr_pageblocks[t]);
		fputc('\n', f);
	}
}
