/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim quiz: generated exercises, in the manner of OSTEP's simulators.
 * A seed makes a question; every parameter it depends on is printed; -c
 * prints the worked answer, computed by hand here and then checked against
 * what the simulated machine really does. A disagreement is a bug in one of
 * the two and ends the run with status 1.
 *
 * Three kinds of question:
 *   walk     the page-table walk of a struct page's address
 *   savings  the bytes of vmemmap HVO frees for a pool of hugepages
 *   buddy    the merges of the buddy allocator and /proc/buddyinfo
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "procfs.h"
#include "sim.h"
#include "simutil.h"

enum quiz_kind {
	KIND_WALK = 0,
	KIND_SAVINGS,
	KIND_BUDDY,
	KIND__COUNT
};

static const char *const kind_names[KIND__COUNT] = {
	"walk", "savings", "buddy",
};

/* ---------------------------------------------------------------------- */
/* The random numbers: the same on every machine                          */
/* ---------------------------------------------------------------------- */

/* splitmix64: spreads a small seed (0, 1, 2...) over all 64 bits. */
static uint64_t
splitmix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/* xorshift64*: the quiz's only source of choices. */
struct rng {
	uint64_t s; /* never 0 */
};

static void
rng_seed(struct rng *r, uint64_t seed)
{
	r->s = splitmix64(seed);
	if (!r->s)
		r->s = 1;
}

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(0x2545f4914f6cdd1d);
}

/* A number in [0, n); n > 0. The high bits are the better ones. */
static uint64_t
rng_below(struct rng *r, uint64_t n)
{
	return (rng_next(r) >> 11) % n;
}

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

static unsigned
log2_u64(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* The low @p bits bits of @p v in binary, most significant first. */
static void
binary(uint64_t v, unsigned bits, char *buf, size_t len)
{
	size_t n = 0;

	for (unsigned b = bits; b-- > 0 && n + 1 < len;)
		buf[n++] = (v >> b) & 1 ? '1' : '0';
	buf[n] = '\0';
}

/* The last word on every run: the machine's invariants hold. */
static int
finish(struct hvo_machine *m, int status)
{
	if (hvo_machine_check(m)) {
		fprintf(stderr, PROG " quiz: machine check failed: %s\n",
			hvo_machine_error(m));
		status = EXIT_RUNTIME;
	}
	hvo_machine_free(m);
	return status;
}

static void
print_machine(const struct hvo_machine *m)
{
	char spec[1024];

	if (hvo_config_format(hvo_machine_config(m), spec, sizeof(spec)))
		snprintf(spec, sizeof(spec), "?");
	printf("  machine       %s\n", spec);
}

static void
mismatch(const char *what, uint64_t hand, uint64_t machine)
{
	fprintf(stderr, PROG " quiz: BUG: %s: worked out %" PRIu64
		" (0x%" PRIx64 "), the machine says %" PRIu64 " (0x%" PRIx64 ")\n",
		what, hand, hand, machine, machine);
}

/* ---------------------------------------------------------------------- */
/* walk: which entry of each level, and where the walk ends               */
/* ---------------------------------------------------------------------- */

static const char *const walk_mem[] = { "128M", "256M", "512M", "1G", "2G" };

static int
quiz_walk(struct rng *r, bool solve)
{
	size_t preset = (size_t)rng_below(r, hvo_preset_count());
	const char *mem = walk_mem[rng_below(r, sizeof(walk_mem) /
					       sizeof(walk_mem[0]))];
	const struct hvo_config *cfg;
	struct hvo_geometry g;
	struct hvo_machine *m;
	struct hvo_walk w;
	uint64_t pfn, va, first, pages;
	char spec[256], sz[32];
	int status = EXIT_OK;

	snprintf(spec, sizeof(spec), "%s:mem=%s", hvo_preset_name(preset), mem);
	/*
	 * The quiz makes its specs, so one the library refuses is the
	 * quiz's bug: status 1, not the 2 sim_boot() gives a bad spec.
	 */
	if (sim_boot(PROG " quiz", spec, NULL, &m))
		return EXIT_RUNTIME;
	cfg = hvo_machine_config(m);
	if (hvo_machine_geometry(m, &g) || !cfg->nr_mem_ranges) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	first = cfg->mem[0].base >> g.page_shift;
	pages = cfg->mem[0].size >> g.page_shift;
	pfn = first + rng_below(r, pages);
	if (hvo_pfn_to_page(m, pfn, &va)) {
		fprintf(stderr, PROG " quiz: pfn 0x%" PRIx64 ": %s\n", pfn,
			hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}

	format_size(g.page_size, sz, sizeof(sz));
	printf("Question (walk)\n");
	print_machine(m);
	printf("  arch          %s\n", g.arch);
	printf("  page size     %u (%s)\n", g.page_size, sz);
	printf("  VA bits       %u\n", g.va_bits);
	printf("  levels        %u\n", g.levels);
	for (unsigned d = 0; d < g.levels && d < HVO_MAX_LEVELS; d++)
		printf("    %-4s  shift %2u  entries %5u\n", g.level_name[d],
		       g.level_shift[d], g.level_entries[d]);
	printf("  struct page   %u bytes; the struct page of pfn 0 is at 0x%016"
	       PRIx64 "\n", g.struct_page_size, g.vmemmap_base);
	printf("  VA            0x%016" PRIx64 "  (pfn_to_page(0x%" PRIx64 "))\n",
	       va, pfn);
	printf("\nWhich entry of each level does the walk of VA use, and where "
	       "does it end?\n");
	if (!solve) {
		printf("(run with -c to see the answer)\n");
		return finish(m, status);
	}

	printf("\nAnswer\n");
	printf("  VA = 0x%016" PRIx64 " + 0x%" PRIx64 " * 0x%x = 0x%016" PRIx64 "\n",
	       g.vmemmap_base, pfn, g.struct_page_size,
	       g.vmemmap_base + pfn * g.struct_page_size);
	if (g.vmemmap_base + pfn * g.struct_page_size != va) {
		mismatch("pfn_to_page()", g.vmemmap_base + pfn * g.struct_page_size, va);
		status = EXIT_RUNTIME;
	}
	if (hvo_walk(m, va, &w)) {
		fprintf(stderr, PROG " quiz: walk: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	printf("  index = (VA >> shift) & (entries - 1), level by level:\n");
	for (unsigned d = 0; d < w.nr_levels && d < g.levels; d++) {
		const struct hvo_walk_level *l = &w.level[d];
		unsigned bits = log2_u64(g.level_entries[d]);
		uint64_t idx = (va >> g.level_shift[d]) &
			       (g.level_entries[d] - 1);
		char bin[72], desc[256];

		binary(idx, bits ? bits : 1, bin, sizeof(bin));
		if (bits)
			printf("  %-4s  VA bits %2u..%-2u = (0x%016" PRIx64
			       " >> %u) & 0x%x = 0b%s = %" PRIu64 "\n",
			       g.level_name[d], g.level_shift[d] + bits - 1,
			       g.level_shift[d], va, g.level_shift[d],
			       g.level_entries[d] - 1, bin, idx);
		else
			printf("  %-4s  a table of one entry: index 0\n",
			       g.level_name[d]);
		if (idx != l->index) {
			mismatch("walk index", idx, l->index);
			status = EXIT_RUNTIME;
		}
		if (hvo_entry_describe(m, d, l->entry, desc, sizeof(desc)))
			snprintf(desc, sizeof(desc), "(cannot decode)");
		printf("        entry %" PRIu64 " of the table at pa 0x%" PRIx64
		       " (entry pa 0x%" PRIx64 ") = 0x%016" PRIx64 "\n",
		       idx, l->table_pa, l->entry_pa, l->entry);
		printf("        %s%s\n", desc,
		       l->leaf ? "  <- a leaf: the walk ends here" : "");
	}
	if (w.mapped) {
		uint64_t off = va & (w.leaf_size - 1);

		format_size(w.leaf_size, sz, sizeof(sz));
		printf("  leaf size     %s (the %s level)\n", sz,
		       w.nr_levels ? w.level[w.nr_levels - 1].name : "?");
		printf("  offset        VA & (%s - 1) = 0x%" PRIx64 "\n", sz, off);
		printf("  pa            leaf base 0x%" PRIx64 " + offset 0x%" PRIx64
		       " = 0x%" PRIx64 "\n", w.pa - off, off, w.pa);
		if ((w.pa - off) & (w.leaf_size - 1)) {
			mismatch("leaf base alignment", 0, (w.pa - off) &
				 (w.leaf_size - 1));
			status = EXIT_RUNTIME;
		}
	} else {
		printf("  not mapped: the walk stops at an invalid entry\n");
		fprintf(stderr, PROG " quiz: BUG: the struct page of a RAM pfn "
			"is not mapped\n");
		status = EXIT_RUNTIME;
	}
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* savings: what HVO frees for a pool of hugepages                        */
/* ---------------------------------------------------------------------- */

/* The largest hugepage a question uses: larger ones need too much RAM. */
#define SAVINGS_MAX_SIZE (UINT64_C(1) << 30)

static unsigned
kept_pages(enum hvo_variant v)
{
	switch (v) {
	case HVO_VARIANT_KEEP2: return 2;
	case HVO_VARIANT_FAKEHEAD:
	case HVO_VARIANT_SHAREDTAIL: return 1;
	case HVO_VARIANT_RELEASE:
	case HVO_VARIANT_OFF: break;
	}
	return 0;
}

static int
quiz_savings(struct rng *r, bool solve)
{
	static const unsigned sps_choices[] = { 64, 64, 64, 64, 64, 72, 80 };
	size_t preset = (size_t)rng_below(r, hvo_preset_count());
	struct hvo_hstate_info hs[16], h;
	unsigned nr_hs = 0, pick;
	enum hvo_variant v = (enum hvo_variant)rng_below(r, 4);
	unsigned sps = sps_choices[rng_below(r, sizeof(sps_choices) /
						sizeof(sps_choices[0]))];
	uint64_t n = 1 + rng_below(r, 4), mem, pages, bytes, vp = 0, kept, freed;
	uint64_t total;
	struct hvo_machine *m;
	struct hvo_geometry g;
	char spec[256], sz[32], memsz[32];
	const char *why = NULL;
	bool mask = false;
	int status = EXIT_OK;

	/* A first, small machine tells the hugepage sizes of the preset. */
	snprintf(spec, sizeof(spec), "%s:mem=256M", hvo_preset_name(preset));
	if (sim_boot(PROG " quiz", spec, NULL, &m))
		return EXIT_RUNTIME;
	while (nr_hs < 16 && hvo_machine_hstate(m, nr_hs, &hs[nr_hs]) == 0 &&
	       hs[nr_hs].size <= SAVINGS_MAX_SIZE)
		nr_hs++;
	hvo_machine_free(m);
	if (!nr_hs) {
		fprintf(stderr, PROG " quiz: %s has no hugepage size\n", spec);
		return EXIT_RUNTIME;
	}
	pick = (unsigned)rng_below(r, nr_hs);
	if (hs[pick].size >= (UINT64_C(256) << 20))
		n = 1 + rng_below(r, 2);
	/* Room for the pool, the kernel and a naturally aligned start. */
	mem = (n + 2) * hs[pick].size;
	if (mem < (UINT64_C(256) << 20))
		mem = UINT64_C(256) << 20;
	format_size(mem, memsz, sizeof(memsz));
	snprintf(spec, sizeof(spec), "%s:mem=%s,struct_page=%u,hvo=%s",
		 hvo_preset_name(preset), memsz, sps, hvo_variant_name(v));
	if (sim_boot(PROG " quiz", spec, NULL, &m))
		return EXIT_RUNTIME;
	if (hvo_machine_geometry(m, &g) ||
	    hvo_machine_compound_encoding(m, &mask) ||
	    hvo_machine_hstate(m, pick, &h)) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}

	format_size(h.size, sz, sizeof(sz));
	printf("Question (savings)\n");
	print_machine(m);
	printf("  arch          %s\n", g.arch);
	printf("  page size     %u\n", g.page_size);
	printf("  hugepage      %s (%" PRIu64 " bytes)\n", sz, h.size);
	printf("  struct page   %u bytes\n", sps);
	printf("  HVO variant   %s\n", hvo_variant_name(v));
	if (v == HVO_VARIANT_SHAREDTAIL)
		printf("  compound_info %s\n", mask ?
		       "mask encoding (vmemmap aligned to the largest folio)" :
		       "pointer encoding (vmemmap not aligned to the largest folio)");
	printf("  N             %" PRIu64 "\n", n);
	printf("\nHow many bytes of vmemmap does HVO free for %" PRIu64
	       " such hugepage%s?\n", n, n == 1 ? "" : "s");
	if (!solve) {
		printf("(run with -c to see the answer)\n");
		return finish(m, status);
	}

	pages = h.size / g.page_size;
	bytes = pages * sps;
	printf("\nAnswer\n");
	printf("  pages per hugepage  %" PRIu64 " / %u = %" PRIu64 "\n",
	       h.size, g.page_size, pages);
	printf("  struct page bytes   %" PRIu64 " * %u = %" PRIu64 "\n",
	       pages, sps, bytes);
	if (bytes % g.page_size)
		printf("  vmemmap pages       %" PRIu64 " / %u is not whole: "
		       "a part of a page cannot be remapped, so 0\n",
		       bytes, g.page_size);
	else
		vp = bytes / g.page_size;
	if (vp)
		printf("  vmemmap pages       %" PRIu64 " / %u = %" PRIu64 "\n",
		       bytes, g.page_size, vp);
	kept = kept_pages(v);
	printf("  kept by %-11s %" PRIu64 " page%s%s\n", hvo_variant_name(v),
	       kept, kept == 1 ? "" : "s",
	       v == HVO_VARIANT_SHAREDTAIL ?
	       " (its own head page; tails map one shared read-only page)" : "");
	if (!sim_is_pow2(sps))
		why = "a struct page of a size that is not a power of two "
		      "straddles page boundaries";
	else if (v == HVO_VARIANT_SHAREDTAIL && !mask)
		why = "sharedtail needs the mask encoding of compound_info";
	else if (vp <= 1 || (v == HVO_VARIANT_KEEP2 && vp <= 2))
		why = "all of its struct pages fit in the pages HVO keeps";
	else if (v == HVO_VARIANT_OFF)
		why = "HVO is off";
	freed = why ? 0 : vp - kept;
	total = n * freed * g.page_size;
	if (why)
		printf("  not optimizable     %s: 0 pages freed\n", why);
	else
		printf("  freed per hugepage  %" PRIu64 " - %" PRIu64 " = %"
		       PRIu64 " pages\n", vp, kept, freed);
	printf("  freed for N = %" PRIu64 "   %" PRIu64 " * %" PRIu64 " * %u = %"
	       PRIu64 " bytes\n", n, n, freed, g.page_size, total);
	if (!why && v == HVO_VARIANT_SHAREDTAIL)
		printf("  (the shared tail page is allocated once per zone and "
		       "order, not per hugepage)\n");

	/* Now do it on the machine. */
	if (hvo_set_nr_hugepages(m, h.size, n)) {
		fprintf(stderr, PROG " quiz: nr_hugepages %s=%" PRIu64 ": %s\n",
			sz, n, hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	if (hvo_machine_hstate(m, pick, &h)) {
		fprintf(stderr, PROG " quiz: %s\n", hvo_machine_error(m));
		return finish(m, EXIT_RUNTIME);
	}
	printf("\nThe machine, after nr_hugepages %s = %" PRIu64 ":\n", sz, n);
	printf("  nr %" PRIu64 ", optimized %" PRIu64 ", vmemmap pages %" PRIu64
	       ", freed per hugepage %" PRIu64 ", saved %" PRIu64 " bytes%s%s\n",
	       h.nr, h.optimized, h.vmemmap_pages_per_hugepage,
	       h.vmemmap_pages_freed_per_hugepage, h.saved_bytes,
	       h.optimizable ? "" : "; not optimizable: ",
	       h.optimizable ? "" : h.reason);
	if (h.nr != n) {
		mismatch("nr_hugepages", n, h.nr);
		status = EXIT_RUNTIME;
	}
	if (h.vmemmap_pages_per_hugepage != vp) {
		mismatch("vmemmap pages per hugepage", vp,
			 h.vmemmap_pages_per_hugepage);
		status = EXIT_RUNTIME;
	}
	if (h.vmemmap_pages_freed_per_hugepage != freed) {
		mismatch("vmemmap pages freed per hugepage", freed,
			 h.vmemmap_pages_freed_per_hugepage);
		status = EXIT_RUNTIME;
	}
	if (h.saved_bytes != total) {
		mismatch("saved bytes", total, h.saved_bytes);
		status = EXIT_RUNTIME;
	}
	if (status == EXIT_OK)
		printf("  agrees with the worked answer\n");
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* buddy: merges and /proc/buddyinfo                                      */
/* ---------------------------------------------------------------------- */

/* Orders of the arena the question plays in: 2^ARENA_ORDER pages. */
#define ARENA_ORDER 4
#define ARENA_PAGES (1u << ARENA_ORDER)
#define MAX_ZONES 8
#define MAX_BLOCKS (2 * ARENA_PAGES + 32)

/* A block of pages: allocated by the quiz, or free in the arena. */
struct block {
	uint64_t pfn;
	unsigned order;
};

struct buddy_state {
	struct hvo_zone_info zone[MAX_ZONES];
	uint64_t nr_free[MAX_ZONES][HVO_MAX_ORDERS]; /* the prediction */
	uint64_t nr_unmovable[MAX_ZONES][HVO_MAX_ORDERS]; /* its unmovable part */
	unsigned nr_zones;
	uint64_t arena;
	unsigned anchor;                 /* arena page never freed */
	struct block owned[MAX_BLOCKS];  /* allocations in the arena */
	unsigned nr_owned;
	struct block free[MAX_BLOCKS];   /* free blocks in the arena */
	unsigned nr_free_blocks;
};

static int
zone_of(const struct buddy_state *s, uint64_t pfn)
{
	for (unsigned i = 0; i < s->nr_zones; i++)
		if (pfn >= s->zone[i].start_pfn &&
		    pfn < s->zone[i].start_pfn + s->zone[i].spanned_pages)
			return (int)i;
	return -1;
}

static int
read_zones(const struct hvo_machine *m, struct hvo_zone_info *z, unsigned *n)
{
	*n = 0;
	while (*n < MAX_ZONES && hvo_machine_zone(m, *n, &z[*n]) == 0)
		(*n)++;
	return *n ? 0 : -ENOENT;
}

/* /proc/buddyinfo of @p z, with the free counts of @p counts if given. */
static void
print_buddyinfo(const struct hvo_zone_info *z, unsigned nz,
		uint64_t (*counts)[HVO_MAX_ORDERS], const char *indent)
{
	for (unsigned i = 0; i < nz; i++) {
		struct hvo_zone_info zi = z[i];

		if (counts)
			memcpy(zi.nr_free, counts[i], sizeof(zi.nr_free));
		procfs_buddyinfo_zone(stdout, &zi, indent, PROCFS_REPORT);
	}
}

static int
find_free(const struct buddy_state *s, uint64_t pfn, unsigned order)
{
	for (unsigned i = 0; i < s->nr_free_blocks; i++)
		if (s->free[i].pfn == pfn && s->free[i].order == order)
			return (int)i;
	return -1;
}

static void
drop_free(struct buddy_state *s, unsigned i)
{
	s->free[i] = s->free[--s->nr_free_blocks];
}

/*
 * Free (pfn, order) by hand: merge with the buddy while it is free, and
 * count the blocks in the predicted buddyinfo. Prints the steps when @p solve.
 */
static void
hand_free(struct buddy_state *s, int z, uint64_t pfn, unsigned order,
	  bool solve)
{
	unsigned max = s->zone[z].nr_orders - 1;

	while (order < max) {
		uint64_t buddy = pfn ^ (UINT64_C(1) << order);
		int i = find_free(s, buddy, order);

		if (solve)
			printf("      order %u: buddy = 0x%" PRIx64 " ^ 0x%" PRIx64
			       " = 0x%" PRIx64 ": %s\n", order, pfn,
			       UINT64_C(1) << order, buddy,
			       i < 0 ? "not free, stop" : "free, merge");
		if (i < 0)
			break;
		drop_free(s, (unsigned)i);
		s->nr_free[z][order]--;
		s->nr_unmovable[z][order]--;
		pfn &= buddy;
		order++;
		if (solve)
			printf("               combined block: pfn 0x%" PRIx64
			       ", order %u\n", pfn, order);
	}
	s->free[s->nr_free_blocks++] = (struct block){ pfn, order };
	s->nr_free[z][order]++;
	s->nr_unmovable[z][order]++;
	if (solve)
		printf("      result: free block (pfn 0x%" PRIx64 ", order %u)\n",
		       pfn, order);
}

static int
quiz_buddy(struct rng *r, bool solve)
{
	static const char *const archs[] = { "x86_64", "arm64", "riscv64" };
	const char *arch = archs[rng_below(r, 3)];
	struct buddy_state *s;
	struct hvo_machine *m;
	struct hvo_zone_info after[MAX_ZONES];
	unsigned nr_after, nr_ops = 6 + (unsigned)rng_below(r, 5);
	int za, status = EXIT_OK;
	char spec[128];

	s = calloc(1, sizeof(*s));
	if (!s) {
		fprintf(stderr, PROG " quiz: out of memory\n");
		return EXIT_RUNTIME;
	}
	snprintf(spec, sizeof(spec), "%s:mem=64M,pcp=off,deferred=off", arch);
	if (sim_boot(PROG " quiz", spec, NULL, &m)) {
		free(s);
		return EXIT_RUNTIME;
	}

	/*
	 * The arena: one block of 2^ARENA_ORDER pages, split into single
	 * pages owned by the quiz. One page (the anchor) stays allocated,
	 * so no merge ever leaves the arena and every answer can be worked
	 * out from the operations alone.
	 */
	if (hvo_alloc_pages(m, ARENA_ORDER, HVO_GFP_KERNEL, &s->arena) ||
	    hvo_split_page(m, s->arena, ARENA_ORDER) ||
	    read_zones(m, s->zone, &s->nr_zones)) {
		fprintf(stderr, PROG " quiz: arena: %s\n", hvo_machine_error(m));
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	za = zone_of(s, s->arena);
	if (za < 0) {
		fprintf(stderr, PROG " quiz: arena pfn 0x%" PRIx64 " in no zone\n",
			s->arena);
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	s->anchor = (unsigned)rng_below(r, ARENA_PAGES);
	for (unsigned i = 0; i < ARENA_PAGES; i++)
		if (i != s->anchor)
			s->owned[s->nr_owned++] =
				(struct block){ s->arena + i, 0 };
	for (unsigned i = 0; i < s->nr_zones; i++) {
		memcpy(s->nr_free[i], s->zone[i].nr_free, sizeof(s->nr_free[i]));
		memcpy(s->nr_unmovable[i], s->zone[i].nr_free_by_type[0],
		       sizeof(s->nr_unmovable[i]));
	}

	printf("Question (buddy)\n");
	print_machine(m);
	printf("  zones         ");
	for (unsigned i = 0; i < s->nr_zones; i++)
		printf("%s%s [0x%" PRIx64 ", 0x%" PRIx64 ")", i ? ", " : "",
		       s->zone[i].name, s->zone[i].start_pfn,
		       s->zone[i].start_pfn + s->zone[i].spanned_pages);
	printf("\n  pcp=off and deferred=off: every free goes straight to the "
	       "buddy lists\n");
	printf("  alloc_pages() here is GFP_KERNEL, MIGRATE_UNMOVABLE: it takes "
	       "the smallest free block\n  on the unmovable lists that fits "
	       "(/proc/pagetypeinfo counts them) and splits it;\n  the "
	       "arena's pageblock is unmovable, so its frees go back there\n");
	printf("  unmovable free blocks now (order 0, 1, 2, ...):\n");
	print_buddyinfo(s->zone, s->nr_zones, s->nr_unmovable, "    ");
	printf("  arena         pfns 0x%" PRIx64 "..0x%" PRIx64
	       " (order %u), split into single pages;\n"
	       "                pfn 0x%" PRIx64 " stays allocated, the others "
	       "are ours\n", s->arena, s->arena + ARENA_PAGES - 1,
	       ARENA_ORDER, s->arena + s->anchor);
	printf("  buddyinfo now (free blocks of order 0, 1, 2, ...):\n");
	print_buddyinfo(s->zone, s->nr_zones, NULL, "    ");
	printf("  operations:\n");

	/* Print the operations first, then the question. */
	struct {
		bool alloc;
		uint64_t pfn;
		unsigned order;
	} ops[16];
	bool have_last = false;
	uint64_t last = 0;

	for (unsigned k = 0; k < nr_ops; k++) {
		bool alloc = s->nr_owned == 0 || rng_below(r, 4) == 0;

		if (alloc) {
			unsigned order = (unsigned)rng_below(r, ARENA_ORDER);
			uint64_t pfn;

			if (hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &pfn)) {
				fprintf(stderr, PROG " quiz: alloc order %u: %s\n",
					order, hvo_machine_error(m));
				free(s);
				return finish(m, EXIT_RUNTIME);
			}
			ops[k].alloc = true;
			ops[k].pfn = pfn;
			ops[k].order = order;
			printf("    %u. alloc_pages(order %u) -> pfn 0x%" PRIx64 "\n",
			       k + 1, order, pfn);
		} else {
			unsigned i = (unsigned)rng_below(r, s->nr_owned);
			struct block b;

			/* Often a neighbour of the last free: merges. */
			if (have_last && rng_below(r, 3)) {
				uint64_t best = UINT64_MAX;

				for (unsigned c = 0; c < s->nr_owned; c++) {
					uint64_t p = s->owned[c].pfn, d;

					d = p > last ? p - last : last - p;
					if (d < best) {
						best = d;
						i = c;
					}
				}
			}
			b = s->owned[i];
			last = b.pfn;
			have_last = true;

			s->owned[i] = s->owned[--s->nr_owned];
			if (hvo_free_pages(m, b.pfn, b.order)) {
				fprintf(stderr, PROG " quiz: free pfn 0x%" PRIx64
					": %s\n", b.pfn, hvo_machine_error(m));
				free(s);
				return finish(m, EXIT_RUNTIME);
			}
			ops[k].alloc = false;
			ops[k].pfn = b.pfn;
			ops[k].order = b.order;
			printf("    %u. free_pages(pfn 0x%" PRIx64 ", order %u)\n",
			       k + 1, b.pfn, b.order);
		}
		/*
		 * The model follows along now, so that frees can pick the
		 * arena blocks allocations return; it prints later.
		 */
		if (ops[k].alloc && ops[k].pfn >= s->arena &&
		    ops[k].pfn < s->arena + ARENA_PAGES &&
		    s->nr_owned < MAX_BLOCKS)
			s->owned[s->nr_owned++] =
				(struct block){ ops[k].pfn, ops[k].order };
	}
	printf("\nFor each free: which free blocks does it merge with, and "
	       "what block results?\nWhat does /proc/buddyinfo show after "
	       "these operations?\n");
	if (!solve) {
		printf("(run with -c to see the answer)\n");
		free(s);
		return finish(m, status);
	}

	/* Replay by hand. */
	printf("\nAnswer\n");
	printf("  buddy of (pfn, order) = pfn ^ (1 << order); two free "
	       "buddies merge into pfn & ~(1 << order)\n");
	s->nr_free_blocks = 0;
	for (unsigned k = 0; k < nr_ops; k++) {
		int z = zone_of(s, ops[k].pfn);

		if (z < 0) {
			fprintf(stderr, PROG " quiz: pfn 0x%" PRIx64
				" in no zone\n", ops[k].pfn);
			status = EXIT_RUNTIME;
			break;
		}
		if (!ops[k].alloc) {
			printf("  %u. free pfn 0x%" PRIx64 ", order %u\n", k + 1,
			       ops[k].pfn, ops[k].order);
			hand_free(s, z, ops[k].pfn, ops[k].order, true);
			continue;
		}
		/*
		 * __rmqueue_smallest(): the lowest order with a block on the
		 * unmovable lists.
		 */
		unsigned j = ops[k].order, max = s->zone[z].nr_orders;

		while (j < max && !s->nr_unmovable[z][j])
			j++;
		printf("  %u. alloc order %u from zone %s: the smallest free "
		       "unmovable block has order %u", k + 1, ops[k].order,
		       s->zone[z].name, j);
		if (j >= max) {
			printf("\n");
			mismatch("a free block for the allocation", 0, ops[k].pfn);
			status = EXIT_RUNTIME;
			break;
		}
		s->nr_free[z][j]--;
		s->nr_unmovable[z][j]--;
		if (ops[k].pfn >= s->arena && ops[k].pfn < s->arena + ARENA_PAGES) {
			int i = find_free(s, ops[k].pfn, j);

			printf(", our pfn 0x%" PRIx64 "\n", ops[k].pfn);
			if (i < 0) {
				mismatch("the arena block the allocation split",
					 ops[k].pfn, ops[k].pfn);
				status = EXIT_RUNTIME;
				break;
			}
			drop_free(s, (unsigned)i);
		} else {
			printf(", outside the arena\n");
		}
		for (unsigned o = j; o-- > ops[k].order;) {
			uint64_t half = ops[k].pfn + (UINT64_C(1) << o);

			printf("      split: the upper half (pfn 0x%" PRIx64
			       ", order %u) goes back free\n", half, o);
			s->nr_free[z][o]++;
			s->nr_unmovable[z][o]++;
			if (ops[k].pfn >= s->arena &&
			    ops[k].pfn < s->arena + ARENA_PAGES)
				s->free[s->nr_free_blocks++] =
					(struct block){ half, o };
		}
	}

	printf("  buddyinfo, worked out:\n");
	print_buddyinfo(s->zone, s->nr_zones, s->nr_free, "    ");
	if (read_zones(m, after, &nr_after) || nr_after != s->nr_zones) {
		fprintf(stderr, PROG " quiz: zones: %s\n", hvo_machine_error(m));
		free(s);
		return finish(m, EXIT_RUNTIME);
	}
	printf("  buddyinfo, from the machine:\n");
	print_buddyinfo(after, nr_after, NULL, "    ");
	for (unsigned i = 0; i < nr_after; i++)
		for (unsigned o = 0; o < after[i].nr_orders && o < HVO_MAX_ORDERS; o++)
			if (after[i].nr_free[o] != s->nr_free[i][o]) {
				char what[64];

				snprintf(what, sizeof(what),
					 "zone %s, free blocks of order %u",
					 after[i].name, o);
				mismatch(what, s->nr_free[i][o],
					 after[i].nr_free[o]);
				status = EXIT_RUNTIME;
			}
	if (status == EXIT_OK)
		printf("  agrees with the worked answer\n");
	free(s);
	return finish(m, status);
}

/* ---------------------------------------------------------------------- */
/* The subcommand                                                         */
/* ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " quiz [--seed N] [--kind walk|savings|buddy] [-c]\n"
		"\n"
		"Make a question about a simulated machine, in the manner of\n"
		"OSTEP's simulators: the seed decides everything, and every\n"
		"parameter the answer depends on is printed. With -c the worked\n"
		"answer follows, computed by hand and checked against the machine.\n"
		"\n"
		"Options:\n"
		"  -s, --seed N     the question's seed (default 0)\n"
		"  -k, --kind KIND  walk (a page-table walk), savings (what HVO\n"
		"                   frees for N hugepages) or buddy (merges and\n"
		"                   /proc/buddyinfo); default: chosen by the seed\n"
		"  -c, --solve      print the worked answer too\n"
		"  -h, --help       show this help and exit\n"
		"\n"
		"Exit status: 0 on success; 1 if the worked answer and the machine\n"
		"disagree or the machine fails its check; 2 for a usage error.\n");
}

int
quiz_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "solve", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed = 0;
	int kind = -1, opt, status;
	bool solve = false;
	struct rng r;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":s:k:ch", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (sim_parse_number(optarg, UINT64_MAX, &seed)) {
				fprintf(stderr, PROG " quiz: bad seed '%s': "
					"want a number\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'k':
			kind = -1;
			for (int k = 0; k < KIND__COUNT; k++)
				if (!strcmp(optarg, kind_names[k]))
					kind = k;
			if (kind < 0) {
				fprintf(stderr, PROG " quiz: bad kind '%s': "
					"want walk, savings or buddy\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'c':
			solve = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			fprintf(stderr, PROG " quiz: option '%s' needs an "
				"argument\n", argv[optind - 1]);
			fprintf(stderr, "Try '" PROG " quiz --help'.\n");
			return EXIT_USAGE;
		default:
			fprintf(stderr, PROG " quiz: unknown option '%s'\n",
				argv[optind - 1]);
			fprintf(stderr, "Try '" PROG " quiz --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG " quiz: unexpected argument '%s'\n",
			argv[optind]);
		fprintf(stderr, "Try '" PROG " quiz --help'.\n");
		return EXIT_USAGE;
	}
	/* The kind the seed picks does not depend on the other choices. */
	if (kind < 0)
		kind = (int)(splitmix64(seed ^ UINT64_C(0x5155495a)) % KIND__COUNT);
	rng_seed(&r, seed);

	printf(PROG " quiz: seed %" PRIu64 ", kind %s\n\n", seed,
	       kind_names[kind]);
	switch (kind) {
	case KIND_WALK:
		status = quiz_walk(&r, solve);
		break;
	case KIND_SAVINGS:
		status = quiz_savings(&r, solve);
		break;
	default:
		status = quiz_buddy(&r, solve);
		break;
	}
	fflush(stdout);
	return status;
}
