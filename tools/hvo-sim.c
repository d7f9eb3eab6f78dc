/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim: build a simulated machine from a spec, prove its invariants, and
 * show everything about it: the canonical spec, the page-table geometry, the
 * RAM, where every page frame went, page-table walks and the work counters.
 *
 * This program uses only the public API in <hvo/hvo.h>.
 */
#include <ctype.h>
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

#define PROG "hvo-sim"
#define DEFAULT_SPEC "x86_64"

/* Exit statuses: a usage error is the caller's, a runtime error the run's. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
};

/* What a --walk argument asked for; resolved once the machine exists. */
enum walk_kind {
	WALK_VA,      /* a plain address */
	WALK_PFN,     /* the struct page of a pfn */
	WALK_VMEMMAP, /* the struct page of the first RAM pfn */
};

struct walk_arg {
	const char *text; /* as given on the command line */
	enum walk_kind kind;
	uint64_t value;   /* the address, or the pfn */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--machine SPEC] [--walk VA]... [--json]\n"
		"       " PROG " --list-presets | --help | --version\n"
		"\n"
		"Build a simulated machine, check its invariants and report its\n"
		"geometry, RAM, page accounting, page-table walks and counters.\n"
		"\n"
		"Options:\n"
		"  -m, --machine SPEC  the machine to build (default: " DEFAULT_SPEC ")\n"
		"  -w, --walk VA       walk the kernel page table for VA; may be\n"
		"                      repeated. VA is one of:\n"
		"                        0x... or decimal  a kernel virtual address\n"
		"                        pfn:N             the struct page of pfn N\n"
		"                                          (vmemmap base + N * struct page size)\n"
		"                        vmemmap           the struct page of the first RAM pfn\n"
		"  -j, --json          print the JSON report instead of text\n"
		"  -l, --list-presets  list the named machine presets and exit\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
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
		"The canonical spec printed first spells out every key.\n"
		"Sizes take a K, M, G or T suffix. Examples:\n"
		"  " PROG " --machine x86_64:levels=5,mem=64G\n"
		"  " PROG " --machine arm64:granule=16K,va=48,struct_page=80 --walk vmemmap\n"
		"  " PROG " --machine riscv64-sv39 --walk pfn:4096 --json\n"
		"\n"
		"Exit status: 0 on success, 1 if the machine could not be built,\n"
		"failed its check or refused a walk, 2 for a usage error.\n");
}

static void
usage_hint(void)
{
	fprintf(stderr, "Try '" PROG " --help' for more information.\n");
}

/*
 * getopt_long() refused argv[optind - 1]: @p what is ':' (a missing
 * argument) or '?'. A short option's letter is in optopt; a long option that
 * is known but misused also leaves its letter there.
 */
static void
bad_option(int what, const char *arg)
{
	bool is_long = strncmp(arg, "--", 2) == 0;

	if (what == ':' && is_long)
		fprintf(stderr, PROG ": option '%s' needs an argument\n", arg);
	else if (what == ':')
		fprintf(stderr, PROG ": option '-%c' needs an argument\n",
			optopt);
	else if (!is_long)
		fprintf(stderr, PROG ": unknown option '-%c'\n", optopt);
	else if (optopt)
		fprintf(stderr, PROG ": option '%.*s' takes no argument\n",
			(int)strcspn(arg, "="), arg);
	else
		fprintf(stderr, PROG ": unknown option '%s'\n", arg);
	usage_hint();
}

static void
version(void)
{
	printf(PROG " (libhvo) %d.%d.%d\n", HVO_VERSION_MAJOR,
	       HVO_VERSION_MINOR, HVO_VERSION_MICRO);
}

static void
list_presets(void)
{
	size_t n = hvo_preset_count();

	for (size_t i = 0; i < n; i++)
		printf("%-14s %s\n", hvo_preset_name(i), hvo_preset_spec(i));
}

/* A full, unsigned 64-bit number: "0x" hex or decimal, nothing else. */
static int
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would take a sign or blanks; an address has neither. */
	if (base == 16 ? !isxdigit((unsigned char)*s) :
			 !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_walk(const char *text, struct walk_arg *w)
{
	const char *errstr = NULL;

	w->text = text;
	if (strcmp(text, "vmemmap") == 0) {
		w->kind = WALK_VMEMMAP;
		w->value = 0;
		return 0;
	}
	if (strncmp(text, "pfn:", 4) == 0) {
		const char *num = text + 4;
		long long pfn;

		if (*num < '0' || *num > '9') {
			fprintf(stderr, PROG ": --walk %s: the pfn must be a decimal number\n",
				text);
			return -EINVAL;
		}
		pfn = strtonum(num, 0, LLONG_MAX, &errstr);
		if (errstr) {
			fprintf(stderr, PROG ": --walk %s: the pfn is %s\n",
				text, errstr);
			return -EINVAL;
		}
		w->kind = WALK_PFN;
		w->value = (uint64_t)pfn;
		return 0;
	}
	w->kind = WALK_VA;
	if (parse_u64(text, &w->value)) {
		fprintf(stderr, PROG ": --walk %s: expected an address (0x... or decimal), pfn:N or vmemmap\n",
			text);
		return -EINVAL;
	}
	return 0;
}

/* Turn a --walk argument into an address on machine @p m. */
static int
resolve_walk(const struct hvo_machine *m, const struct hvo_geometry *g,
	     const struct walk_arg *w, uint64_t *va)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	uint64_t pfn = w->value;

	switch (w->kind) {
	case WALK_VA:
		*va = w->value;
		return 0;
	case WALK_VMEMMAP:
		pfn = cfg->mem[0].base >> g->page_shift;
		break;
	case WALK_PFN:
		break;
	}
	/* vmemmap_base + pfn * struct_page_size must not wrap around. */
	if (pfn > (UINT64_MAX - g->vmemmap_base) / g->struct_page_size) {
		fprintf(stderr, PROG ": --walk %s: the struct page of pfn %" PRIu64 " is past the end of the address space\n",
			w->text, pfn);
		return -ERANGE;
	}
	*va = g->vmemmap_base + pfn * g->struct_page_size;
	return 0;
}

/* "2M" for an exact power of 1024, else the byte count. */
static void
format_exact(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGTPE";

	for (int i = (int)sizeof(sfx) - 2; i >= 0; i--) {
		unsigned shift = 10 * (unsigned)(i + 1);

		if (v && !(v & ((UINT64_C(1) << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
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
print_geometry(const struct hvo_geometry *g, const struct hvo_config *cfg)
{
	char a[32], b[32];

	format_exact(g->page_size, a, sizeof(a));
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
			format_exact(g->level_leaf_size[d], b, sizeof(b));
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
	printf("  hvo                 %s\n", hvo_variant_name(cfg->hvo));
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
		printf("  range %u   0x%016" PRIx64 "-0x%016" PRIx64 "  %6s  pfn %" PRIu64 "-%" PRIu64 "\n",
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

/* Walk @p va and print every level; -EINVAL if the machine refused it. */
static int
print_walk(struct hvo_machine *m, const struct walk_arg *arg, uint64_t va)
{
	struct hvo_walk w;
	char desc[256], sz[32];
	int rc;

	if (arg->kind == WALK_VA)
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
		format_exact(w.leaf_size, sz, sizeof(sz));
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
		printf("  %-22s %" PRIu64 "\n", hvo_counter_name(i), v);
		any = true;
	}
	if (!any)
		printf("  (all zero)\n");
}

static int
report_text(struct hvo_machine *m, const struct hvo_geometry *g,
	    const struct walk_arg *walks, const uint64_t *va, size_t nr_walks)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	char spec[1024];
	int status = EXIT_OK;

	if (hvo_config_format(cfg, spec, sizeof(spec)))
		snprintf(spec, sizeof(spec), "(cannot format the spec)");
	printf("machine  %s\n\n", spec);
	print_geometry(g, cfg);
	print_ram(g, cfg);
	if (print_memory(m, g))
		status = EXIT_RUNTIME;
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
report_json(struct hvo_machine *m, const struct walk_arg *walks,
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "walk", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "list-presets", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = DEFAULT_SPEC;
	struct walk_arg *walks = NULL;
	uint64_t *va = NULL;
	size_t nr_walks = 0;
	bool json = false;
	struct hvo_config cfg;
	struct hvo_geometry g;
	struct hvo_machine *m = NULL;
	char err[1024];
	int opt, rc, status = EXIT_USAGE;

	/* Every --walk is an argument, so argc bounds their number. */
	walks = calloc((size_t)argc, sizeof(*walks));
	va = calloc((size_t)argc, sizeof(*va));
	if (!walks || !va) {
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
		case 'w':
			if (parse_walk(optarg, &walks[nr_walks]))
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
			bad_option(opt, argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
			argv[optind]);
		usage_hint();
		goto out;
	}

	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (rc) {
		fprintf(stderr, PROG ": --machine %s: %s\n", spec, err);
		goto out;
	}
	rc = hvo_machine_new(&cfg, &m, err, sizeof(err));
	if (rc) {
		fprintf(stderr, PROG ": cannot build %s: %s\n", spec, err);
		status = rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	status = EXIT_RUNTIME;
	if (hvo_machine_check(m)) {
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
		if (resolve_walk(m, &g, &walks[i], &va[i])) {
			status = EXIT_USAGE;
			goto out;
		}
	}

	if (json)
		status = report_json(m, walks, va, nr_walks);
	else
		status = report_text(m, &g, walks, va, nr_walks);
out:
	/* Output that did not reach its file is a failure, even for --help. */
	if (fflush(stdout) || ferror(stdout)) {
		if (status == EXIT_OK)
			fprintf(stderr, PROG ": writing to standard output failed\n");
		if (status != EXIT_USAGE)
			status = EXIT_RUNTIME;
	}
	hvo_machine_free(m);
	free(va);
	free(walks);
	return status;
}
