/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim: build a simulated machine from a spec, size its HugeTLB pools,
 * prove its invariants, and show everything about it: the canonical spec, the
 * page-table geometry, the RAM, where every page frame went, the zones and
 * their free lists, the hugepage pools and what HVO saved, page-table walks
 * and the work counters.
 *
 * This program uses only the public API in <hvo/hvo.h>.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libutil.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "procfs.h"
#include "sim.h"
#include "simutil.h"

#define DEFAULT_SPEC "x86_64"

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--machine SPEC] [--kernel RELEASE] [--hvo VARIANT]\n"
		"               [--hugepages SIZE=N]...\n"
		"               [--walk VA]... [--kpageflags PFN[,COUNT]]... [--trace] [--json]\n"
		"               [--no-check]\n"
		"       " PROG " run [--trace] [--json] FILE|-  (a scenario; see " PROG " run --help)\n"
		"       " PROG " show vmemmap|walk|buddy  (diagrams; see " PROG " show --help)\n"
		"       " PROG " quiz [--seed N]          (exercises; see " PROG " quiz --help)\n"
		"       " PROG " --list-presets | --help | --version\n"
		"\n"
		"Build a simulated machine, size its hugepage pools, check its\n"
		"invariants and report its geometry, RAM, page accounting, zones,\n"
		"hugepage pools, HVO state, page-table walks and counters.\n"
		"\n"
		"Options:\n"
		"  -m, --machine SPEC  the machine to build (default: " DEFAULT_SPEC ")\n"
		"      --kernel RELEASE\n"
		"                      behave as that Linux release: 6.1 (the line\n"
		"                      with its stable updates), 6.1.15, 5.14, ..., or a\n"
		"                      Debian uname -r such as 6.12.117+deb12-amd64;\n"
		"                      the spec's kernel= (default: the newest modeled)\n"
		"      --hvo VARIANT   override the release's HVO variant: off, keep2,\n"
		"                      fakehead or sharedtail; overrides the spec's hvo=\n"
		"      --hugepages SIZE=N\n"
		"                      once the machine is up, set the pool of SIZE\n"
		"                      hugepages (2M, 1G, 64K, 32M, ...) to N, as a\n"
		"                      write to nr_hugepages; may be repeated, and runs\n"
		"                      in order\n"
		"  -w, --walk VA       walk the kernel page table for VA; may be\n"
		"                      repeated. VA is one of:\n"
		"                        0x... or decimal  a kernel virtual address\n"
		"                        pfn:N             the struct page of pfn N\n"
		"                                          (pfn_to_page(N); N in a section with RAM,\n"
		"                                          decimal or 0x hex)\n"
		"                        vmemmap           the struct page of the first RAM pfn\n"
		"      --trace         print every event once the machine is up: entries\n"
		"                      written (old -> new), TLB flushes, pages\n"
		"                      allocated and freed, faults (stderr with --json)\n"
		"      --kpageflags PFN[,COUNT]\n"
		"                      print the /proc/kpageflags bits of COUNT pfns\n"
		"                      (default 1) from PFN, a number or huge:SIZE,\n"
		"                      the head of the first hugepage of that pool;\n"
		"                      may be repeated; with --json, one more JSON\n"
		"                      document on one line after the report\n"
		"  -j, --json          print the JSON report instead of text\n"
		"      --no-check      skip the check of the machine's invariants\n"
		"                      (hvo_machine_check(), slow on a large machine);\n"
		"                      the report says whether it ran\n"
		"  -l, --list-presets  list the named machine presets and exit\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n");
	/* Two parts: ISO C promises string literals of 4095 characters only. */
	fprintf(f,
		"SPEC is ARCH[:key=value,...]. ARCH is x86_64, arm64, riscv64 or a\n"
		"preset name (see --list-presets); keys override its defaults.\n"
		"Keys of one arch:\n"
		"  x86_64:  levels=4|5\n"
		"           4- or 5-level paging (default 4)\n"
		"  arm64:   granule=4K|16K|64K\n"
		"           the translation granule, i.e. the page size (default 4K)\n"
		"  arm64:   va=BITS\n"
		"           VA bits the granule allows: 39|48|52 (4K),\n"
		"           36|47|48|52 (16K), 42|48|52 (64K) (default 48)\n"
		"  riscv64: va=39|48|57\n"
		"           Sv39, Sv48 or Sv57 (default 48)\n"
		"Keys for every arch:\n"
		"  mem=SIZE[@BASE][+SIZE[@BASE]...]\n"
		"           RAM ranges, in ascending order; a range without a\n"
		"           base follows the one before it (default: 8G at the\n"
		"           arch's usual RAM base)\n"
		"  struct_page=40..256\n"
		"           bytes per struct page, a multiple of 8 (default 64)\n"
		"  hvo=off|keep2|fakehead|sharedtail\n"
		"           the HVO variant (default sharedtail)\n"
		"  tlb=16..65536\n"
		"           software TLB entries, a power of two (default 1024)\n"
		"  tlbcheck=on|off\n"
		"           report every use of a stale TLB entry (default off)\n"
		"  bbmcheck=on|off\n"
		"           report break-before-make violations (default on)\n"
		"  deferred=on|off\n"
		"           defer struct page initialization, as the kernel's\n"
		"           DEFERRED_STRUCT_PAGE_INIT (default on)\n"
		"  pcp=on|off\n"
		"           per-CPU page lists for orders up to 3 (default on)\n"
		"  checkpages=on|off\n"
		"           check the tail struct pages of every hugepage freed\n"
		"           (default off)\n"
		"  hugepages=SIZE:N[;SIZE:N...]\n"
		"           hugepages reserved at boot, as the kernel's hugepagesz=\n"
		"           and hugepages= (default none)\n"
		"The canonical spec printed first spells out every key.\n"
		"A SIZE is read as the kernel's memparse() reads it: decimal, 0x hex\n"
		"or 0 octal, with an optional K, M, G, T, P or E. Examples:\n"
		"  " PROG " --machine x86_64:levels=5,mem=64G\n"
		"  " PROG " --machine arm64:granule=16K,va=48,struct_page=80 --walk vmemmap\n"
		"  " PROG " --machine riscv64-sv39 --walk pfn:528384 --json\n"
		"  " PROG " --machine x86_64:mem=8G --hugepages 2M=512 --hugepages 1G=2\n"
		"  " PROG " --machine arm64-4k-48 --hvo fakehead --hugepages 32M=2\n"
		"\n"
		"Exit status: 0 on success; 1 if the machine could not be built,\n"
		"refused a pool size, failed its check or refused a walk; 2 for a\n"
		"usage error. See also man " PROG "(1).\n");
}

static void
usage_hint(void)
{
	fprintf(stderr, "Try '" PROG " --help' for more information.\n");
}

/* The version built against, then the one loaded: they may differ. */
static void
version(void)
{
	printf(PROG " (libhvo) %d.%d.%d\n", HVO_VERSION_MAJOR,
	       HVO_VERSION_MINOR, HVO_VERSION_MICRO);
	printf("libhvo %s (built against %d.%d.%d)\n", hvo_version(),
	       HVO_VERSION_MAJOR, HVO_VERSION_MINOR, HVO_VERSION_MICRO);
	printf("JSON format_version %d\n", HVO_JSON_FORMAT_VERSION);
}

static void
list_presets(void)
{
	size_t n = hvo_preset_count();

	for (size_t i = 0; i < n; i++)
		printf("%-14s %s\n", hvo_preset_name(i), hvo_preset_spec(i));
}

/*
 * "8.0G", "512K", "100B": the way ls -h prints sizes. humanize_number()
 * scales only until the number fits its length, so give it ls's five.
 */
#define HUMAN_LEN 5

static void
format_human(uint64_t v, char *buf, size_t len)
{
	if (len < HUMAN_LEN || v > INT64_MAX ||
	    humanize_number(buf, HUMAN_LEN, (int64_t)v, "", HN_AUTOSCALE,
			    HN_B | HN_NOSPACE | HN_DECIMAL) < 0)
		snprintf(buf, len, "?");
}

static void
print_geometry(const struct hvo_geometry *g, const struct hvo_config *cfg,
	       const struct hvo_kernel_info *k)
{
	char a[32], b[32];

	format_size(g->page_size, a, sizeof(a));
	printf("geometry\n");
	printf("  arch                %s\n", g->arch);
	printf("  page size           %u (%s, PAGE_SHIFT %u)\n", g->page_size,
	       a, g->page_shift);
	printf("  VA bits             %u\n", g->va_bits);
	printf("  levels              %u\n", g->levels);
	printf("    %-5s  %-5s  %5s  %7s  %s\n", "level", "name", "shift",
	       "entries", "leaf size");
	for (unsigned d = 0; d < g->levels && d < HVO_MAX_LEVELS; d++) {
		if (g->level_leaf_size[d])
			format_size(g->level_leaf_size[d], b, sizeof(b));
		else
			snprintf(b, sizeof(b), "- (tables only)");
		printf("    %-5u  %-5s  %5u  %7u  %s\n", d, g->level_name[d],
		       g->level_shift[d], g->level_entries[d], b);
	}
	printf("  struct page size    %u bytes\n", g->struct_page_size);
	printf("  vmemmap start       0x%016" PRIx64 "  (VMEMMAP_START)\n",
	       g->vmemmap_start);
	printf("  vmemmap base        0x%016" PRIx64 "  (struct page of pfn 0)\n",
	       g->vmemmap_base);
	printf("  PAGE_KERNEL         0x%016" PRIx64 "\n", g->page_kernel);
	printf("  PAGE_KERNEL_RO      0x%016" PRIx64 "%s\n", g->page_kernel_ro,
	       g->has_kernel_ro ? "" :
	       "  (no read-only kernel protection on this arch: same as PAGE_KERNEL)");
	printf("  break-before-make   %s\n",
	       g->needs_bbm ? "required for live entries" : "not required");
	printf("  TLB flush ceiling   %u pages (a larger range flushes the whole TLB)\n",
	       g->tlb_flush_ceiling);
	printf("  MAX_PAGE_ORDER      %u\n", g->max_page_order);
	printf("  SECTION_SIZE_BITS   %u\n", g->section_size_bits);
	printf("  kernel              %s (%s build)\n", k->release, k->build);
	printf("  hvo                 %s (%s)%s\n", hvo_variant_name(k->variant),
	       k->variant_from_release ? "the release's" : "the hvo= override",
	       k->has_hvo ? "" : "; this release builds no HVO for this arch");
	printf("  hugetlb_optimize_vmemmap at boot  %d%s\n", k->hvo_default,
	       k->has_sysctl ? "" : " (no such sysctl in this release)");
	printf("  software TLB        %u entries, stale-entry check %s, break-before-make check %s\n",
	       cfg->tlb_entries, cfg->tlb_check ? "on" : "off",
	       cfg->bbm_check ? "on" : "off");
}

static void
print_ram(const struct hvo_geometry *g, const struct hvo_config *cfg)
{
	char h[16];

	printf("\nRAM\n");
	for (unsigned i = 0; i < cfg->nr_mem_ranges && i < HVO_MAX_MEM_RANGES;
	     i++) {
		const struct hvo_mem_range *r = &cfg->mem[i];

		format_human(r->size, h, sizeof(h));
		printf("  range %u   0x%016" PRIx64 "-0x%016" PRIx64 "  %6s  pfn 0x%" PRIx64 "-0x%" PRIx64 "\n",
		       i, r->base, r->base + r->size - 1, h,
		       r->base >> g->page_shift,
		       (r->base + r->size - 1) >> g->page_shift);
	}
	format_human(g->mem_bytes, h, sizeof(h));
	printf("  total     %" PRIu64 " bytes (%s)\n", g->mem_bytes, h);
}

static int
print_memory(const struct hvo_machine *m, const struct hvo_geometry *g)
{
	uint64_t total = hvo_machine_total_pages(m), sum = 0;
	char h[16];

	printf("\nmemory (page frames by use)\n");
	for (int c = 0; c < HVO_PAGES__COUNT; c++) {
		uint64_t n;

		if (hvo_machine_pages(m, (enum hvo_page_category)c, &n))
			return -EINVAL;
		sum += n;
		format_human(n << g->page_shift, h, sizeof(h));
		printf("  %-10s %12" PRIu64 " pages  %6s\n",
		       hvo_page_category_name((enum hvo_page_category)c), n, h);
	}
	format_human(total << g->page_shift, h, sizeof(h));
	printf("  %-10s %12" PRIu64 " pages  %6s\n", "total", total, h);
	if (sum != total) {
		fprintf(stderr, PROG ": the page categories sum to %" PRIu64 " pages, not %" PRIu64 "\n",
			sum, total);
		return -EUCLEAN;
	}
	return 0;
}

/*
 * /proc/zoneinfo in brief: where each zone is and what it holds. Unlike
 * the file's start_pfn, the start pfn is in hex, as every pfn hvo-sim
 * prints itself.
 */
static void
print_zones(const struct hvo_machine *m)
{
	struct hvo_zone_info z;
	char start[24];

	printf("\nzones (pages)\n");
	printf("  %-7s %10s %10s %10s %10s %10s %10s %7s %6s %6s\n", "zone",
	       "start pfn", "spanned", "present", "managed", "free",
	       "deferred", "pcp", "high", "batch");
	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++) {
		snprintf(start, sizeof(start), "0x%" PRIx64, z.start_pfn);
		printf("  %-7s %10s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 "\n",
		       z.name, start, z.spanned_pages, z.present_pages,
		       z.managed_pages, z.free_pages, z.deferred_pages,
		       z.pcp_pages, z.pcp_high, z.pcp_batch);
	}
}

/* /proc/buddyinfo: free blocks per order, lowest order first. */
static void
print_buddyinfo(const struct hvo_machine *m)
{
	printf("\nbuddyinfo (free blocks of order 0, 1, 2, ...)\n");
	procfs_buddyinfo(stdout, m, "  ", PROCFS_REPORT);
}

/* The hugepage sizes, their pools, and what HVO saves on each. */
static void
print_hstates(const struct hvo_machine *m)
{
	struct hvo_hstate_info h;
	uint64_t saved = 0;
	char sz[32], hs[16];

	printf("\nhugepage pools\n");
	printf("  %-5s %5s %8s %8s %9s %8s %6s %6s  %s\n", "size", "order",
	       "nr", "free", "optimized", "vmemmap", "freed", "saved",
	       "optimizable");
	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		if (h.name)
			snprintf(sz, sizeof(sz), "%s", h.name);
		else
			format_size(h.size, sz, sizeof(sz));
		format_human(h.saved_bytes, hs, sizeof(hs));
		printf("  %-5s %5u %8" PRIu64 " %8" PRIu64 " %9" PRIu64 " %8" PRIu64 " %6" PRIu64 " %6s  %s%s%s\n",
		       sz, h.order, h.nr, h.free, h.optimized,
		       h.vmemmap_pages_per_hugepage,
		       h.vmemmap_pages_freed_per_hugepage, hs,
		       h.optimizable ? "yes" : "no",
		       !h.optimizable && h.reason && *h.reason ? ": " : "",
		       !h.optimizable && h.reason ? h.reason : "");
		saved += h.saved_bytes;
	}
	printf("  (vmemmap: struct page pages per hugepage; freed: how many of them\n"
	       "  HVO frees per hugepage now; saved: freed by the optimized ones)\n");
	format_human(saved, hs, sizeof(hs));
	printf("  vmemmap saved by HVO  %" PRIu64 " bytes (%s)\n", saved, hs);
}

/*
 * The variant in force and whether it can run. The compound_head encoding
 * is chosen at boot.
 */
static void
print_hvo(const struct hvo_machine *m)
{
	bool mask = false;
	enum hvo_variant v = HVO_VARIANT_OFF;
	const char *why = NULL, *name;
	bool enabled = false;

	printf("\nHVO\n");
	if (hvo_machine_hvo(m, &v, &enabled, &why) ||
	    hvo_machine_compound_encoding(m, &mask)) {
		printf("  (unknown: %s)\n", hvo_machine_error(m));
		return;
	}
	name = hvo_variant_name(v);
	printf("  variant             %s\n", name ? name : "?");
	if (enabled)
		printf("  state               enabled\n");
	else
		printf("  state               disabled: %s\n",
		       why && *why ? why : "(no reason given)");
	printf("  compound_info       %s (%s)\n", mask ? "mask" : "pointer",
	       mask ? "compound_head() masks the address: 2026 encoding" :
		      "compound_head() follows a pointer to the head");
}

/* Walk @p va and print every level; -EINVAL if the machine refused it. */
static int
print_walk(struct hvo_machine *m, const struct sim_target *arg, uint64_t va)
{
	struct hvo_walk w;
	char desc[256], sz[32];
	int rc;

	if (arg->kind == SIM_TARGET_VA)
		printf("\nwalk 0x%016" PRIx64 "\n", va);
	else
		printf("\nwalk 0x%016" PRIx64 "  (%s)\n", va, arg->text);
	rc = hvo_walk(m, va, &w);
	if (rc) {
		printf("  refused: %s\n", hvo_machine_error(m));
		fprintf(stderr, PROG ": --walk %s: %s\n", arg->text,
			hvo_machine_error(m));
		return rc;
	}
	for (unsigned d = 0; d < w.nr_levels && d < HVO_MAX_LEVELS; d++) {
		const struct hvo_walk_level *l = &w.level[d];

		if (hvo_entry_describe(m, d, l->entry, desc, sizeof(desc)))
			snprintf(desc, sizeof(desc), "(cannot decode)");
		printf("  %*s%-4s [%4u]  entry at pa 0x%" PRIx64 " = 0x%016" PRIx64 "  %s\n",
		       (int)(2 * d), "", l->name, l->index, l->entry_pa,
		       l->entry, desc);
	}
	if (w.mapped) {
		format_size(w.leaf_size, sz, sizeof(sz));
		printf("  -> pa 0x%" PRIx64 ", leaf size %s, prot 0x%016" PRIx64 " (%s)\n",
		       w.pa, sz, w.prot, w.writable ? "writable" : "read-only");
	} else {
		printf("  -> not mapped\n");
	}
	return 0;
}

static void
print_counters(const struct hvo_machine *m)
{
	size_t n = hvo_counter_count();
	bool any = false;

	printf("\ncounters (non-zero)\n");
	for (size_t i = 0; i < n; i++) {
		uint64_t v = hvo_machine_counter(m, i);

		if (!v)
			continue;
		printf("  %-22s %12" PRIu64 "  %s\n", hvo_counter_name(i), v,
		       hvo_counter_help(i) ? hvo_counter_help(i) : "");
		any = true;
	}
	if (!any)
		printf("  (all zero)\n");
}

static int
report_text(struct hvo_machine *m, const struct hvo_geometry *g,
	    const struct sim_target *walks, const uint64_t *va, size_t nr_walks,
	    bool checked)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_kernel_info k;
	char spec[1024];
	int status = EXIT_OK;

	if (hvo_config_format(cfg, spec, sizeof(spec)))
		snprintf(spec, sizeof(spec), "(cannot format the spec)");
	if (hvo_machine_kernel(m, &k))
		return EXIT_RUNTIME;
	printf("machine  %s\n", spec);
	printf("check    %s\n\n", checked ?
	       "passed (hvo_machine_check(): every invariant holds)" :
	       "not run (--no-check)");
	print_geometry(g, cfg, &k);
	print_ram(g, cfg);
	if (print_memory(m, g))
		status = EXIT_RUNTIME;
	print_zones(m);
	print_buddyinfo(m);
	print_hvo(m);
	print_hstates(m);
	for (size_t i = 0; i < nr_walks; i++)
		if (print_walk(m, &walks[i], va[i]))
			status = EXIT_RUNTIME;
	print_counters(m);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": writing the report failed\n");
		status = EXIT_RUNTIME;
	}
	return status;
}

static int
report_json(struct hvo_machine *m, const struct sim_target *walks,
	    const uint64_t *va, size_t nr_walks)
{
	struct hvo_walk w;
	int status = EXIT_OK;

	if (hvo_machine_report_json(m, va, nr_walks, stdout) ||
	    fflush(stdout)) {
		fprintf(stderr, PROG ": writing the report failed\n");
		return EXIT_RUNTIME;
	}
	/*
	 * A refused walk shows as an "error" member in the report; walk again
	 * (the counters are already printed) so the exit status says so too.
	 */
	for (size_t i = 0; i < nr_walks; i++) {
		if (hvo_walk(m, va[i], &w)) {
			fprintf(stderr, PROG ": --walk %s: %s\n", walks[i].text,
				hvo_machine_error(m));
			status = EXIT_RUNTIME;
		}
	}
	return status;
}

/* Grow or shrink each pool in the order asked; the library says why not. */
static int
set_pools(struct hvo_machine *m, const struct sim_pool *pools, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		if (hvo_set_nr_hugepages(m, pools[i].size, pools[i].nr)) {
			fprintf(stderr, PROG ": --hugepages %s: %s\n",
				pools[i].text, hvo_machine_error(m));
			return -EINVAL;
		}
	}
	return 0;
}

/* Long options without a short letter: past every char. */
enum {
	OPT_HVO = UCHAR_MAX + 1,
	OPT_KERNEL,
	OPT_HUGEPAGES,
	OPT_KPAGEFLAGS,
	OPT_TRACE,
	OPT_NO_CHECK,
};

/* --kpageflags PFN[,COUNT]: PFN is a number or huge:SIZE. */
#define KPF_MAX_COUNT (1u << 20)

struct kpf_arg {
	const char *text;
	uint64_t pfn;
	uint64_t huge_size; /* 0: pfn is given */
	uint64_t count;
};

static int
parse_kpageflags(const char *arg, struct kpf_arg *k)
{
	char buf[64], *comma;

	k->text = arg;
	k->count = 1;
	k->huge_size = 0;
	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strlcpy(buf, arg, sizeof(buf));
	comma = strchr(buf, ',');
	if (comma) {
		*comma = '\0';
		if (sim_parse_number(comma + 1, KPF_MAX_COUNT, &k->count) ||
		    !k->count)
			goto bad;
	}
	if (strncmp(buf, "huge:", 5) == 0) {
		uint64_t size;

		if (hvo_parse_size(buf + 5, &size))
			goto bad;
		k->huge_size = size;
		return 0;
	}
	if (sim_parse_number(buf, UINT64_MAX, &k->pfn))
		goto bad;
	return 0;
bad:
	fprintf(stderr, PROG ": --kpageflags %s: expected PFN[,COUNT] with PFN a number or huge:SIZE, COUNT 1..%u\n",
		arg, KPF_MAX_COUNT);
	usage_hint();
	return -EINVAL;
}

/*
 * The page-types view: one line per pfn, raw value and names. Under
 * @p json, one document on one line (doc/schema/kpageflags.schema.json):
 * the two keys of hvo_json_begin(), then "kpageflags", one object per
 * --kpageflags: "arg" as typed, "pfn" and "count" as resolved, "pages"
 * as procfs_kpageflags_json() writes them. It is built in memory and
 * printed whole, so a failure leaves no half document.
 */
static int
print_kpageflags(struct hvo_machine *m, const struct kpf_arg *k, size_t n,
		 bool json)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *f = stdout;
	int status = EXIT_RUNTIME;

	if (!n)
		return EXIT_OK;
	if (json) {
		f = open_memstream(&doc, &len);
		if (!f) {
			fprintf(stderr, PROG ": --kpageflags: out of memory\n");
			return EXIT_RUNTIME;
		}
		hvo_json_begin(f, HVO_JSON_COMPACT);
		fputs(",\"kpageflags\":[", f);
	} else {
		printf("\nkpageflags (/proc/kpageflags)\n");
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = k[i].pfn, bad;
		int rc;

		if (k[i].huge_size &&
		    hvo_hugepage_pfn(m, k[i].huge_size, 0, &pfn)) {
			fprintf(stderr, PROG ": --kpageflags %s: no such hugepage: %s\n",
				k[i].text, hvo_machine_error(m));
			goto out;
		}
		if (json) {
			fputs(i ? ",{\"arg\":" : "{\"arg\":", f);
			hvo_json_string(f, k[i].text);
			fprintf(f, ",\"pfn\":%" PRIu64 ",\"count\":%" PRIu64 ",\"pages\":[",
				pfn, k[i].count);
			rc = procfs_kpageflags_json(f, m, pfn, k[i].count, &bad);
			fputs("]}", f);
		} else {
			rc = procfs_kpageflags(f, m, pfn, k[i].count, "  ",
					       &bad);
		}
		if (rc) {
			fprintf(stderr, PROG ": --kpageflags %s: pfn 0x%" PRIx64 ": %s\n",
				k[i].text, bad, hvo_machine_error(m));
			goto out;
		}
	}
	status = EXIT_OK;
out:
	if (json) {
		fputs("]}\n", f);
		if (fclose(f))
			status = EXIT_RUNTIME;
		if (status == EXIT_OK)
			fwrite(doc, 1, len, stdout);
		free(doc);
	}
	return status;
}

int
main(int argc, char **argv)
{
	/* Subcommands first: each parses its own options. */
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return scenario_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return show_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "quiz") == 0)
		return quiz_main(argc - 1, argv + 1);

	static const struct option longopts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "hvo", required_argument, NULL, OPT_HVO },
		{ "kernel", required_argument, NULL, OPT_KERNEL },
		{ "hugepages", required_argument, NULL, OPT_HUGEPAGES },
		{ "kpageflags", required_argument, NULL, OPT_KPAGEFLAGS },
		{ "trace", no_argument, NULL, OPT_TRACE },
		{ "no-check", no_argument, NULL, OPT_NO_CHECK },
		{ "walk", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "list-presets", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = DEFAULT_SPEC;
	struct sim_target *walks = NULL;
	struct sim_pool *pools = NULL;
	struct kpf_arg *kpf = NULL;
	uint64_t *va = NULL;
	size_t nr_walks = 0, nr_pools = 0, nr_kpf = 0;
	enum hvo_variant variant = HVO_VARIANT_OFF;
	bool json = false, set_variant = false, trace = false, check = true;
	const char *kernel = NULL;
	char spec_buf[1024];
	struct hvo_geometry g;
	struct hvo_machine *m = NULL;
	int opt, status = EXIT_USAGE;

	/* Every --walk and --hugepages is an argument: argc bounds them. */
	walks = calloc((size_t)argc, sizeof(*walks));
	pools = calloc((size_t)argc, sizeof(*pools));
	va = calloc((size_t)argc, sizeof(*va));
	kpf = calloc((size_t)argc, sizeof(*kpf));
	if (!walks || !pools || !va || !kpf) {
		fprintf(stderr, PROG ": out of memory\n");
		status = EXIT_RUNTIME;
		goto out;
	}
	/* Report option errors here, under one program name. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":m:w:jlhV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'm':
			spec = optarg;
			break;
		case OPT_HVO:
			if (parse_variant(PROG, optarg, &variant))
				goto out;
			set_variant = true;
			break;
		case OPT_KERNEL:
			kernel = optarg;
			break;
		case OPT_HUGEPAGES:
			if (sim_parse_pool(PROG ": --hugepages", optarg,
					   &pools[nr_pools]))
				goto out;
			nr_pools++;
			break;
		case OPT_TRACE:
			trace = true;
			break;
		case OPT_NO_CHECK:
			check = false;
			break;
		case OPT_KPAGEFLAGS:
			if (parse_kpageflags(optarg, &kpf[nr_kpf]))
				goto out;
			nr_kpf++;
			break;
		case 'w':
			if (sim_parse_target(PROG ": --walk", optarg,
					     &walks[nr_walks]))
				goto out;
			nr_walks++;
			break;
		case 'j':
			json = true;
			break;
		case 'l':
			list_presets();
			status = EXIT_OK;
			goto out;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		case 'V':
			version();
			status = EXIT_OK;
			goto out;
		default:
			report_bad_option(PROG, opt, argv[optind - 1], optopt);
			usage_hint();
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		usage_hint();
		goto out;
	}

	/* --kernel is the spec's kernel=, which the spec parser checks. */
	if (kernel) {
		if (strstr(spec, "kernel=")) {
			fprintf(stderr, PROG ": --kernel %s: the spec already has kernel=\n",
				kernel);
			goto out;
		}
		snprintf(spec_buf, sizeof(spec_buf), "%s%skernel=%s", spec,
			 strchr(spec, ':') ? "," : ":", kernel);
		spec = spec_buf;
	}
	/* --hvo wins over the spec's hvo=. */
	status = sim_boot(PROG, spec, set_variant ? &variant : NULL, &m);
	if (status)
		goto out;
	status = EXIT_RUNTIME;
	/* Events go where they do not spoil the output: stderr under --json. */
	if (trace)
		hvo_set_trace(m, sim_trace_print, json ? stderr : stdout);
	/* The pools first, so the check and the report see them. */
	if (set_pools(m, pools, nr_pools))
		goto out;
	if (check && hvo_machine_check(m)) {
		fprintf(stderr, PROG ": the machine failed its check: %s\n",
			hvo_machine_error(m));
		goto out;
	}
	if (hvo_machine_geometry(m, &g) || !g.struct_page_size) {
		fprintf(stderr, PROG ": cannot read the geometry: %s\n",
			hvo_machine_error(m));
		goto out;
	}
	for (size_t i = 0; i < nr_walks; i++) {
		if (sim_resolve_target(PROG ": --walk", m, &walks[i],
				       &va[i])) {
			status = EXIT_USAGE;
			goto out;
		}
	}

	if (json)
		status = report_json(m, walks, va, nr_walks);
	else
		status = report_text(m, &g, walks, va, nr_walks, check);
	if (status == EXIT_OK)
		status = print_kpageflags(m, kpf, nr_kpf, json);
out:
	/* Output that did not reach its file is a failure, even for --help. */
	if (fflush(stdout) || ferror(stdout)) {
		if (status == EXIT_OK)
			fprintf(stderr, PROG ": writing to standard output failed\n");
		if (status != EXIT_USAGE)
			status = EXIT_RUNTIME;
	}
	hvo_machine_free(m);
	free(kpf);
	free(va);
	free(pools);
	free(walks);
	return status;
}
