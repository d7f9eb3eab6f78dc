/* SPDX-License-Identifier: MIT */
/*
 * Sequences of API operations on small machines, fuzzed. The input
 * chooses a machine (an arch preset, a struct page size, an HVO variant,
 * a RAM layout of 8K to 768K frames, the boot switches), then a sequence
 * of operations: the page allocator, the hugepage pools, taking and giving
 * back hugepages, optimizing and restoring one, the variant, fault
 * injection (pages and the vmemmap PMD and PTE steps), kpageflags, walks,
 * flushes, deferred init.
 *
 * What must hold after every operation:
 * - hvo_machine_check() passes;
 * - a failed call left a reason in hvo_machine_error();
 * - each call returns what its documentation allows, and what it gives
 *   is right: an allocation is aligned, in the zones its gfp allows and
 *   overlaps nothing held; freeing what was allocated succeeds and
 *   freeing anything else is refused; a pool grow is all or nothing;
 *   a failed optimize or restore leaves the hugepage's struct pages and
 *   vmemmap mappings exactly as they were;
 * - the frames add up: "allocated" is what the sequence holds, "hugetlb"
 *   is the pools, and a failed call consumed no free page beyond what
 *   the kernel keeps for good (below).
 *
 * At the end, the leak census: everything held is freed, every pool set
 * to 0, the per-CPU lists drained, and then
 *   free(start) - free(end) == (pagetable(end) - pagetable(start)) + K
 * where the page-table pages are those of vmemmap PMD blocks split by HVO
 * (vmemmap_split_pmd() never gives its table back; exactly hvo.split_pmd
 * of them) and K are the shared tail pages of the sharedtail variant
 * (one per zone and hugepage size at most, allocated once and never freed
 * by the 2026 kernel: vmemmap_get_tail()); K must be 0 on a machine that
 * never ran sharedtail. The vmemmap frames are then exactly those the
 * vmemmap maps (the same number as at boot) plus those K tails.
 *
 * Machines are small so that the checker after every operation stays
 * cheap: the frames, not the bytes, are bounded, so 64K-page machines get
 * enough RAM for their 512M hugepages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "fuzz.h"

#define MAX_OPS 512
#define MAX_HELD 4096
#define MAX_HUGEPAGES 4096
#define MAX_HSTATES 8
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h). */
#define KPF_BUDDY (UINT64_C(1) << 10)
#define KPF_COMPOUND_HEAD (UINT64_C(1) << 15)
#define KPF_COMPOUND_TAIL (UINT64_C(1) << 16)
#define KPF_HUGE (UINT64_C(1) << 17)
#define KPF_NOPAGE (UINT64_C(1) << 20)
#define KPF_RESERVED (UINT64_C(1) << 32)
/* A failed optimize or restore compares at most this many bytes. */
#define IMAGE_HEAD_BYTES (64 * 1024)
#define IMAGE_TAIL_BYTES 4096

/* The struct page sizes: the kernel's 56 to 80 and a power of two above. */
static const unsigned struct_page_sizes[] = { 64, 64, 128, 56, 72, 80 };

/*
 * RAM layouts, in units of 256 pages (1 MiB with 4K pages): each range
 * an offset from the arch's usual start of RAM and a size.
 */
static const struct layout {
	unsigned nr;
	struct { uint64_t at, size; } r[3];
} layouts[] = {
	{ 1, { { 0, 64 } } },
	{ 1, { { 0, 32 } } },
	{ 1, { { 0, 128 } } },
	{ 1, { { 0, 256 } } },
	{ 2, { { 0, 48 }, { 128, 48 } } },
	{ 2, { { 0, 64 }, { 64, 64 } } },
	{ 3, { { 0, 40 }, { 64, 32 }, { 192, 32 } } },
	{ 1, { { 0, 96 } } },
	{ 1, { { 0, 64 } } },
	{ 1, { { 0, 128 } } },
	{ 1, { { 0, 48 } } },
	{ 1, { { 0, 256 } } },
	{ 2, { { 0, 128 }, { 1024, 64 } } },
	{ 1, { { 0, 64 } } },
	{ 1, { { 0, 160 } } },
	/* Rarely, room for a gigantic page of the 4K arches. */
	{ 1, { { 0, 3072 } } },
};

enum op {
	OP_ALLOC_PAGES,
	OP_FREE_PAGES,
	OP_FREE_BOGUS,
	OP_SPLIT_PAGE,
	OP_ALLOC_CONTIG,
	OP_FREE_CONTIG,
	OP_SET_NR,
	OP_WRITE_NR,
	OP_HP_GET,
	OP_HP_PUT,
	OP_OPTIMIZE,
	OP_RESTORE,
	OP_SET_VARIANT,
	OP_DRAIN,
	OP_FAIL_PAGE_ALLOC,
	OP_FAIL_VMEMMAP,
	OP_KPAGEFLAGS,
	OP_INIT_DEFERRED,
	OP_FLUSH,
	OP_WALK_READ,
	OP_CENSUS,
	OP_HP_PFN,
	OP_COUNTERS_RESET,
	OP_REPORT,
	OP_OVERCOMMIT,
	OP_RESERVE,
	OP_HP_FAULT_RESERVED,
	OP_DEMOTE,
	OP__COUNT
};

static const char *const op_names[OP__COUNT] = {
	"alloc_pages", "free_pages", "free (bogus)", "split_page",
	"alloc_contig", "free_contig", "set_nr_hugepages",
	"write_nr_hugepages", "hugepage_get", "hugepage_put",
	"hugepage_optimize", "hugepage_restore", "set_variant", "drain_pages",
	"fail_page_alloc", "fail_vmemmap", "kpageflags", "init_deferred",
	"flush", "walk and read", "census", "hugepage_pfn", "counters_reset",
	"report_json", "set_nr_overcommit_hugepages",
	"hugetlb_(un)reserve_pages", "alloc_hugetlb_folio (reserved)",
	"demote",
};

enum held_kind { HELD_PAGES, HELD_CONTIG };

struct held {
	uint64_t pfn;
	unsigned order;
	enum held_kind kind;
};

struct in_use {
	uint64_t pfn;
	unsigned hstate;
};

/* The frames of every category. */
struct snapshot {
	uint64_t cat[HVO_PAGES__COUNT];
};

/* A hugepage's struct pages and vmemmap mappings, to compare. */
struct image {
	uint64_t *words;
	size_t nr_words;
	uint64_t *ptes;  /* per vmemmap page: pa, | 1 if writable */
	size_t nr_pages;
};

struct run {
	struct hvo_machine *m;
	struct hvo_config cfg;
	char spec[1024];
	struct hvo_geometry g;
	unsigned nr_hstates;
	uint64_t hsize[MAX_HSTATES];
	unsigned nr_zones;
	struct hvo_zone_info zone[8];

	struct held held[MAX_HELD];
	size_t nr_held;
	uint64_t held_pages;
	struct in_use hp[MAX_HUGEPAGES];
	size_t nr_hp;

	struct snapshot start;    /* at boot */
	uint64_t split_pmd;       /* hvo.split_pmd, across counter resets */
	bool sharedtail_used;
	bool pte_armed;           /* a PTE-step failure was asked for */
	bool may_move;            /* the failed operation may move frames */
	unsigned max_ops;
	enum hvo_variant variant;

	enum op op;
	unsigned long nr_op;
	FILE *null;
};

/* Operations run since the program started; printed at exit. */
static uint64_t total_ops, total_runs;

__attribute__((format(printf, 2, 3), noreturn))
static void
fail(const struct run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fuzz_fail("ops: %s: operation %lu (%s): %s", r->spec, r->nr_op,
		  r->op < OP__COUNT ? op_names[r->op] : "census", msg);
}

static uint64_t
pages(struct run *r, enum hvo_page_category c)
{
	uint64_t n;

	if (hvo_machine_pages(r->m, c, &n))
		fail(r, "no count of %s pages", hvo_page_category_name(c));
	return n;
}

static uint64_t
counter(struct run *r, const char *name)
{
	uint64_t v;

	if (hvo_machine_counter_get(r->m, name, &v))
		fail(r, "no counter %s", name);
	return v;
}

static void
hstate(struct run *r, unsigned i, struct hvo_hstate_info *h)
{
	if (hvo_machine_hstate(r->m, i, h))
		fail(r, "no hstate %u: %s", i, hvo_machine_error(r->m));
}

static uint64_t
hugepage_pages(const struct run *r, unsigned i)
{
	return r->hsize[i] >> r->g.page_shift;
}

/* ---------------------------------------------------------------------- */
/* What the sequence holds                                                */
/* ---------------------------------------------------------------------- */

static bool
overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

/* A new allocation must overlap nothing held and no pool hugepage. */
static void
check_new_range(struct run *r, uint64_t pfn, unsigned order)
{
	uint64_t n = UINT64_C(1) << order;
	bool in_ram = false;

	if (pfn & (n - 1))
		fail(r, "pfn 0x%" PRIx64 " is not aligned to its order %u", pfn,
		     order);
	for (unsigned i = 0; i < r->cfg.nr_mem_ranges; i++) {
		uint64_t base = r->cfg.mem[i].base >> r->g.page_shift;
		uint64_t size = r->cfg.mem[i].size >> r->g.page_shift;

		if (pfn >= base && pfn + n <= base + size)
			in_ram = true;
	}
	if (!in_ram)
		fail(r, "pfn 0x%" PRIx64 " order %u is not inside one RAM range",
		     pfn, order);
	for (size_t i = 0; i < r->nr_held; i++)
		if (overlaps(pfn, n, r->held[i].pfn,
			     UINT64_C(1) << r->held[i].order))
			fail(r, "pfn 0x%" PRIx64 " order %u overlaps the allocation at 0x%" PRIx64 " order %u",
			     pfn, order, r->held[i].pfn, r->held[i].order);
	for (unsigned h = 0; h < r->nr_hstates; h++) {
		uint64_t hp;

		for (uint64_t k = 0; hvo_hugepage_pfn(r->m, r->hsize[h], k, &hp) == 0; k++)
			if (overlaps(pfn, n, hp, hugepage_pages(r, h)))
				fail(r, "pfn 0x%" PRIx64 " order %u overlaps the hugepage at 0x%" PRIx64,
				     pfn, order, hp);
	}
}

/* The zone of @p pfn must be one @p gfp allows. */
static void
check_gfp_zone(struct run *r, uint64_t pfn, enum hvo_gfp gfp)
{
	for (unsigned z = 0; z < r->nr_zones; z++) {
		const struct hvo_zone_info *zi = &r->zone[z];

		if (pfn < zi->start_pfn || pfn >= zi->start_pfn + zi->spanned_pages)
			continue;
		if ((gfp == HVO_GFP_DMA && strcmp(zi->name, "DMA")) ||
		    (gfp == HVO_GFP_DMA32 && strcmp(zi->name, "DMA") &&
		     strcmp(zi->name, "DMA32")))
			fail(r, "an allocation for gfp %d came from zone %s",
			     (int)gfp, zi->name);
		return;
	}
	fail(r, "pfn 0x%" PRIx64 " is in no zone", pfn);
}

static void
hold(struct run *r, uint64_t pfn, unsigned order, enum held_kind kind)
{
	check_new_range(r, pfn, order);
	if (r->nr_held == MAX_HELD)
		fail(r, "more than %d allocations held", MAX_HELD);
	r->held[r->nr_held++] = (struct held){ pfn, order, kind };
	r->held_pages += UINT64_C(1) << order;
}

static void
unhold(struct run *r, size_t i)
{
	r->held_pages -= UINT64_C(1) << r->held[i].order;
	r->held[i] = r->held[--r->nr_held];
}

static long
find_held(const struct run *r, uint64_t pfn)
{
	for (size_t i = 0; i < r->nr_held; i++)
		if (r->held[i].pfn == pfn)
			return (long)i;
	return -1;
}

static long
find_in_use(const struct run *r, uint64_t pfn)
{
	for (size_t i = 0; i < r->nr_hp; i++)
		if (r->hp[i].pfn == pfn)
			return (long)i;
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Hugepage images                                                        */
/* ---------------------------------------------------------------------- */

static void
image_take(struct run *r, uint64_t pfn, unsigned h, struct image *img)
{
	uint64_t va, bytes = hugepage_pages(r, h) * r->g.struct_page_size;
	uint64_t page = r->g.page_size, first;
	size_t k = 0;

	if (hvo_pfn_to_page(r->m, pfn, &va))
		fail(r, "hugepage 0x%" PRIx64 " has no struct page", pfn);
	first = va & ~(page - 1);
	img->nr_pages = (size_t)((va + bytes - first + page - 1) / page);
	img->nr_words = bytes > IMAGE_HEAD_BYTES + IMAGE_TAIL_BYTES ?
			(IMAGE_HEAD_BYTES + IMAGE_TAIL_BYTES) / 8 : bytes / 8;
	img->words = malloc(img->nr_words * 8);
	img->ptes = malloc(img->nr_pages * 8);
	if (!img->words || !img->ptes)
		fail(r, "out of host memory");
	for (uint64_t off = 0; off < bytes; off += 8) {
		if (bytes > IMAGE_HEAD_BYTES + IMAGE_TAIL_BYTES &&
		    off == IMAGE_HEAD_BYTES)
			off = bytes - IMAGE_TAIL_BYTES;
		if (hvo_kread64(r->m, va + off, &img->words[k++]))
			fail(r, "cannot read the struct pages of hugepage 0x%" PRIx64 ": %s",
			     pfn, hvo_machine_error(r->m));
	}
	for (size_t i = 0; i < img->nr_pages; i++) {
		struct hvo_walk w;

		if (hvo_walk(r->m, first + i * page, &w) || !w.mapped)
			fail(r, "the vmemmap of hugepage 0x%" PRIx64 " is not mapped", pfn);
		img->ptes[i] = (w.pa & ~(page - 1)) | w.writable;
	}
}

static void
image_free(struct image *img)
{
	free(img->words);
	free(img->ptes);
}

static void
image_compare(struct run *r, uint64_t pfn, unsigned h,
	      const struct image *before)
{
	struct image now;

	image_take(r, pfn, h, &now);
	for (size_t i = 0; i < now.nr_pages; i++)
		if (now.ptes[i] != before->ptes[i])
			fail(r, "failed, and the vmemmap page %zu of hugepage 0x%" PRIx64 " now maps 0x%" PRIx64 " (%s), not 0x%" PRIx64 " (%s)",
			     i, pfn, now.ptes[i] & ~UINT64_C(1),
			     now.ptes[i] & 1 ? "rw" : "ro",
			     before->ptes[i] & ~UINT64_C(1),
			     before->ptes[i] & 1 ? "rw" : "ro");
	for (size_t k = 0; k < now.nr_words; k++)
		if (now.words[k] != before->words[k])
			fail(r, "failed, and word %zu of the struct pages of hugepage 0x%" PRIx64 " went from 0x%" PRIx64 " to 0x%" PRIx64,
			     k, pfn, before->words[k], now.words[k]);
	image_free(&now);
}

/* ---------------------------------------------------------------------- */
/* The vmemmap census                                                     */
/* ---------------------------------------------------------------------- */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The distinct frames the vmemmap of every section with RAM maps: all the
 * frames of each leaf, those of a PMD block past the section's last
 * struct page too (sparse_init() allocated them).
 */
static uint64_t
vmemmap_mapped_frames(struct run *r)
{
	uint64_t sec = UINT64_C(1) << (r->g.section_size_bits - r->g.page_shift);
	uint64_t page = r->g.page_size, last_sec = UINT64_MAX, n = 0, max = 0;
	uint64_t *frames = NULL, distinct = 0;

	for (unsigned i = 0; i < r->cfg.nr_mem_ranges; i++) {
		uint64_t base = r->cfg.mem[i].base >> r->g.page_shift;
		uint64_t end = base + (r->cfg.mem[i].size >> r->g.page_shift);

		for (uint64_t pfn = base & ~(sec - 1); pfn < end; pfn += sec) {
			uint64_t va, va_end;

			if (pfn == last_sec)
				continue;
			last_sec = pfn;
			if (hvo_pfn_to_page(r->m, pfn, &va))
				fail(r, "section at pfn 0x%" PRIx64 " has no struct pages", pfn);
			va_end = va + sec * r->g.struct_page_size;
			for (uint64_t a = va & ~(page - 1); a < va_end;) {
				struct hvo_walk w;
				uint64_t leaf;

				if (hvo_walk(r->m, a, &w) || !w.mapped)
					fail(r, "vmemmap 0x%" PRIx64 " is not mapped", a);
				/* A block maps all its frames, used or not. */
				leaf = w.leaf_size / page;
				if (n + leaf > max) {
					uint64_t *more;

					max = 2 * (n + leaf) + 4096;
					more = realloc(frames, max * sizeof(*frames));
					if (!more)
						fail(r, "out of host memory");
					frames = more;
				}
				for (uint64_t k = 0; k < leaf; k++)
					frames[n++] = (w.pa & ~(w.leaf_size - 1)) / page + k;
				a = (a & ~(w.leaf_size - 1)) + w.leaf_size;
			}
		}
	}
	qsort(frames, n, sizeof(*frames), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		if (!i || frames[i] != frames[i - 1])
			distinct++;
	free(frames);
	return distinct;
}

/* Shared tail pages the 2026 kernel may keep: one per zone and size. */
static uint64_t
max_kept_tails(const struct run *r)
{
	return r->sharedtail_used ? (uint64_t)r->nr_zones * r->nr_hstates : 0;
}

/* The vmemmap frames are what the vmemmap maps, and the kept tails. */
static void
census_vmemmap(struct run *r, uint64_t *mapped)
{
	uint64_t vm = pages(r, HVO_PAGES_VMEMMAP);

	*mapped = vmemmap_mapped_frames(r);
	if (vm < *mapped || vm - *mapped > max_kept_tails(r))
		fail(r, "%" PRIu64 " vmemmap frames, the vmemmap maps %" PRIu64 " (at most %" PRIu64 " kept shared tails allowed)",
		     vm, *mapped, max_kept_tails(r));
}

/* ---------------------------------------------------------------------- */
/* After every operation                                                  */
/* ---------------------------------------------------------------------- */

static void
snap(struct run *r, struct snapshot *s)
{
	for (int c = 0; c < HVO_PAGES__COUNT; c++)
		s->cat[c] = pages(r, (enum hvo_page_category)c);
}

static void
check_model(struct run *r)
{
	uint64_t hugetlb = 0;

	if (pages(r, HVO_PAGES_ALLOCATED) != r->held_pages)
		fail(r, "%" PRIu64 " pages allocated, the sequence holds %" PRIu64,
		     pages(r, HVO_PAGES_ALLOCATED), r->held_pages);
	for (unsigned i = 0; i < r->nr_hstates; i++) {
		struct hvo_hstate_info h;
		uint64_t used = 0;

		hstate(r, i, &h);
		for (size_t k = 0; k < r->nr_hp; k++)
			used += r->hp[k].hstate == i;
		if (h.free > h.nr || h.optimized > h.nr || h.nr - h.free != used)
			fail(r, "%s pool: %" PRIu64 " hugepages, %" PRIu64 " free, %" PRIu64 " optimized; the sequence holds %" PRIu64,
			     h.name, h.nr, h.free, h.optimized, used);
		hugetlb += h.nr * hugepage_pages(r, i);
	}
	if (pages(r, HVO_PAGES_HUGETLB) != hugetlb)
		fail(r, "%" PRIu64 " hugetlb pages, the pools hold %" PRIu64,
		     pages(r, HVO_PAGES_HUGETLB), hugetlb);
}

/*
 * A failed call consumed nothing but what the kernel keeps for good:
 * page tables of split vmemmap PMDs and shared tail pages.
 */
static void
check_nothing_lost(struct run *r, const struct snapshot *before)
{
	struct snapshot now;
	uint64_t pt, vm;

	snap(r, &now);
	pt = now.cat[HVO_PAGES_PAGETABLE] - before->cat[HVO_PAGES_PAGETABLE];
	vm = now.cat[HVO_PAGES_VMEMMAP] - before->cat[HVO_PAGES_VMEMMAP];
	if (now.cat[HVO_PAGES_PAGETABLE] < before->cat[HVO_PAGES_PAGETABLE] ||
	    now.cat[HVO_PAGES_VMEMMAP] < before->cat[HVO_PAGES_VMEMMAP] ||
	    vm > max_kept_tails(r) ||
	    now.cat[HVO_PAGES_ALLOCATED] != before->cat[HVO_PAGES_ALLOCATED] ||
	    now.cat[HVO_PAGES_HUGETLB] != before->cat[HVO_PAGES_HUGETLB] ||
	    now.cat[HVO_PAGES_RESERVED] != before->cat[HVO_PAGES_RESERVED] ||
	    before->cat[HVO_PAGES_FREE] - now.cat[HVO_PAGES_FREE] != pt + vm)
		fail(r, "failed, and the frames moved: free %" PRIu64 " -> %" PRIu64 ", pagetable %" PRIu64 " -> %" PRIu64 ", vmemmap %" PRIu64 " -> %" PRIu64 ", allocated %" PRIu64 " -> %" PRIu64 ", hugetlb %" PRIu64 " -> %" PRIu64,
		     before->cat[HVO_PAGES_FREE], now.cat[HVO_PAGES_FREE],
		     before->cat[HVO_PAGES_PAGETABLE], now.cat[HVO_PAGES_PAGETABLE],
		     before->cat[HVO_PAGES_VMEMMAP], now.cat[HVO_PAGES_VMEMMAP],
		     before->cat[HVO_PAGES_ALLOCATED], now.cat[HVO_PAGES_ALLOCATED],
		     before->cat[HVO_PAGES_HUGETLB], now.cat[HVO_PAGES_HUGETLB]);
}

static void
check_reason(struct run *r, int rc)
{
	if (rc < 0 && !hvo_machine_error(r->m)[0])
		fail(r, "returned %d without a reason", rc);
}

static void
check_machine(struct run *r)
{
	if (hvo_machine_check(r->m))
		fail(r, "the machine fails its check: %s", hvo_machine_error(r->m));
	check_model(r);
}

static void
expect(struct run *r, int rc, bool ok, const char *what)
{
	if (!ok)
		fail(r, "returned %d (%s), which it may not: %s", rc,
		     rc ? strerror(-rc) : "success", what);
}

/* ---------------------------------------------------------------------- */
/* The operations                                                         */
/* ---------------------------------------------------------------------- */

static unsigned
pick_hstate(struct run *r, struct fuzz_input *in, uint64_t *size)
{
	unsigned i = fuzz_u8(in) % (r->nr_hstates + 1);

	/* One past the sizes: a size the machine lacks. */
	*size = i < r->nr_hstates ? r->hsize[i] : UINT64_C(3) << 20;
	return i;
}

static uint64_t
pick_count(struct fuzz_input *in)
{
	uint8_t b = fuzz_u8(in);

	if (b < 200)
		return b % 9;
	if (b < 250)
		return fuzz_u8(in);
	return b == 250 ? UINT64_MAX : fuzz_u16(in) * UINT64_C(1000);
}

/* A pfn for a call that must refuse it, or not: RAM, kernel, anywhere. */
static uint64_t
pick_pfn(struct run *r, struct fuzz_input *in)
{
	uint64_t first = r->g.first_pfn;
	uint64_t span = (r->cfg.mem[r->cfg.nr_mem_ranges - 1].base +
			 r->cfg.mem[r->cfg.nr_mem_ranges - 1].size) >>
			r->g.page_shift;
	uint8_t how = fuzz_u8(in);
	uint64_t pfn = 0, va;
	struct hvo_walk w;

	switch (how % 6) {
	case 0:
		if (r->nr_held)
			return r->held[fuzz_u16(in) % r->nr_held].pfn +
			       (how & 0x80 ? 1 : 0);
		break;
	case 1: {
		unsigned h = fuzz_u8(in) % (r->nr_hstates ? r->nr_hstates : 1);
		uint64_t k = fuzz_u8(in) % 4;

		if (r->nr_hstates &&
		    hvo_hugepage_pfn(r->m, r->hsize[h], k, &pfn) == 0)
			return pfn + (how & 0x80 ? 1 : 0);
		break;
	}
	case 2:
		/* A vmemmap frame: the frame of some struct page. */
		pfn = first + fuzz_u64(in) % (span - first);
		if (hvo_pfn_to_page(r->m, pfn, &va) == 0 &&
		    hvo_walk(r->m, va, &w) == 0 && w.mapped)
			return w.pa >> r->g.page_shift;
		break;
	case 3:
		/* A page-table frame. */
		if (hvo_pfn_to_page(r->m, first, &va) == 0 &&
		    hvo_walk(r->m, va, &w) == 0 && w.nr_levels)
			return w.level[fuzz_u8(in) % w.nr_levels].table_pa >>
			       r->g.page_shift;
		break;
	case 4:
		return fuzz_u64(in);
	default:
		break;
	}
	return first + fuzz_u64(in) % (span - first);
}

static int
op_alloc_pages(struct run *r, struct fuzz_input *in)
{
	unsigned order = fuzz_u8(in) % (r->g.max_page_order + 3);
	enum hvo_gfp gfp = (enum hvo_gfp)(fuzz_u8(in) % 4);
	uint64_t pfn;
	int rc;

	if (fuzz_u8(in) == 0xff)
		order = 64 + fuzz_u8(in);
	rc = hvo_alloc_pages(r->m, order, gfp, &pfn);
	if (order > r->g.max_page_order || (unsigned)gfp > HVO_GFP_DMA)
		expect(r, rc, rc == -EINVAL, "a bad order or gfp is -EINVAL");
	else
		expect(r, rc, rc == 0 || rc == -ENOMEM, "0 or -ENOMEM");
	if (!rc) {
		check_gfp_zone(r, pfn, gfp);
		hold(r, pfn, order, HELD_PAGES);
	}
	return rc;
}

static int
op_free_pages(struct run *r, struct fuzz_input *in)
{
	size_t i;
	int rc;

	if (!r->nr_held)
		return 0;
	i = fuzz_u16(in) % r->nr_held;
	if (r->held[i].kind == HELD_CONTIG) {
		rc = hvo_free_contig(r->m, r->held[i].pfn, r->held[i].order);
		expect(r, rc, rc == 0, "freeing a contiguous allocation succeeds");
	} else {
		rc = hvo_free_pages(r->m, r->held[i].pfn, r->held[i].order);
		expect(r, rc, rc == 0, "freeing an allocation succeeds");
	}
	unhold(r, i);
	return rc;
}

/* Free, split or free_contig what is not such an allocation: refused. */
static int
op_free_bogus(struct run *r, struct fuzz_input *in)
{
	static const char *const calls[] = {
		"hvo_free_pages", "hvo_split_page", "hvo_free_contig"
	};
	uint64_t pfn = pick_pfn(r, in);
	unsigned how = fuzz_u8(in), order = fuzz_u8(in) % 40;
	long i = find_held(r, pfn);
	int rc;

	if (i >= 0 && r->held[i].order == order)
		order++;
	switch (how % 3) {
	case 0:
		rc = hvo_free_pages(r->m, pfn, order);
		break;
	case 1:
		rc = hvo_split_page(r->m, pfn, order);
		break;
	default:
		rc = hvo_free_contig(r->m, pfn, order);
		break;
	}
	if (rc != -EINVAL) {
		uint64_t flags = 0;

		hvo_kpageflags(r->m, pfn, &flags);
		fail(r, "%s(pfn 0x%" PRIx64 ", order %u) returned %d, but that is no allocation of this order (kpageflags 0x%" PRIx64 ", %s)",
		     calls[how % 3], pfn, order, rc, flags,
		     i >= 0 ? "an allocation of another order" : "not allocated");
	}
	return rc;
}

static int
op_split_page(struct run *r, struct fuzz_input *in)
{
	struct held h;
	size_t i;
	int rc;

	if (!r->nr_held)
		return 0;
	i = fuzz_u16(in) % r->nr_held;
	h = r->held[i];
	if (h.kind != HELD_PAGES || !h.order ||
	    r->nr_held + (UINT64_C(1) << h.order) > MAX_HELD)
		return 0;
	rc = hvo_split_page(r->m, h.pfn, h.order);
	expect(r, rc, rc == 0, "splitting an allocation succeeds");
	unhold(r, i);
	for (uint64_t k = 0; k < UINT64_C(1) << h.order; k++)
		hold(r, h.pfn + k, 0, HELD_PAGES);
	return rc;
}

static int
op_alloc_contig(struct run *r, struct fuzz_input *in)
{
	unsigned max = r->g.max_page_order;
	unsigned order = max + 1 + fuzz_u8(in) % 8;
	enum hvo_gfp gfp = (enum hvo_gfp)(fuzz_u8(in) % 4);
	uint8_t odd = fuzz_u8(in);
	uint64_t pfn;
	int rc;

	if (odd >= 0xf0)
		order = odd == 0xff ? 64 + fuzz_u8(in) : fuzz_u8(in) % 64;
	if (fuzz_u8(in) & 1)
		gfp = HVO_GFP_KERNEL;
	rc = hvo_alloc_contig(r->m, order, gfp, &pfn);
	if (order <= max || order > 31 || (unsigned)gfp > HVO_GFP_DMA)
		expect(r, rc, rc == -EINVAL, "a bad order or gfp is -EINVAL");
	else
		expect(r, rc, rc == 0 || rc == -ENOMEM, "0 or -ENOMEM");
	if (!rc) {
		check_gfp_zone(r, pfn, gfp);
		hold(r, pfn, order, HELD_CONTIG);
	}
	return rc;
}

static int
op_free_contig(struct run *r, struct fuzz_input *in)
{
	size_t n = 0, pick;

	for (size_t i = 0; i < r->nr_held; i++)
		n += r->held[i].kind == HELD_CONTIG;
	if (!n)
		return op_free_pages(r, in);
	pick = fuzz_u8(in) % n;
	for (size_t i = 0; i < r->nr_held; i++) {
		int rc;

		if (r->held[i].kind != HELD_CONTIG || pick--)
			continue;
		rc = hvo_free_contig(r->m, r->held[i].pfn, r->held[i].order);
		expect(r, rc, rc == 0, "freeing a contiguous allocation succeeds");
		unhold(r, i);
		return rc;
	}
	return 0;
}

static uint64_t
pool_nr(struct run *r, unsigned i)
{
	struct hvo_hstate_info h;

	if (i >= r->nr_hstates)
		return 0;
	hstate(r, i, &h);
	return h.nr;
}

static void
note_variant_in_use(struct run *r)
{
	if (r->variant == HVO_VARIANT_SHAREDTAIL)
		r->sharedtail_used = true;
}

static int
op_set_nr(struct run *r, struct fuzz_input *in, bool kernel)
{
	uint64_t size, nr, before, after;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info h = { 0 };
	bool wrapped;
	int rc;

	nr = pick_count(in);
	if (i < r->nr_hstates)
		hstate(r, i, &h);
	before = h.nr;
	/*
	 * demote-keeps-surplus (doc/KERNEL-BUGS.md): a demoted free surplus
	 * page leaves surplus_huge_pages over nr_huge_pages, and
	 * persistent_huge_pages() wraps. set_max_huge_pages() then never
	 * grows, and its shrink loop frees every free page whatever @nr.
	 */
	wrapped = h.surplus > h.nr;
	note_variant_in_use(r);
	rc = kernel ? hvo_write_nr_hugepages(r->m, size, nr) :
		      hvo_set_nr_hugepages(r->m, size, nr);
	after = pool_nr(r, i);
	if (i == r->nr_hstates) {
		expect(r, rc, rc == -EINVAL, "a size the machine lacks is -EINVAL");
		return rc;
	}
	if (kernel) {
		expect(r, rc, rc == 0, "a write to nr_hugepages succeeds");
		if (wrapped && (after > before || after < h.nr - h.free))
			fail(r, "with its counts wrapped, the pool went from %" PRIu64 " (%" PRIu64 " in use) to %" PRIu64,
			     before, h.nr - h.free, after);
		else if (wrapped)
			return rc;
		if (nr >= before ? after < before || after > nr :
				   after < nr || after > before)
			fail(r, "the pool went from %" PRIu64 " to %" PRIu64 " for %" PRIu64,
			     before, after, nr);
		return rc;
	}
	expect(r, rc, rc == 0 || rc == -ENOMEM || rc == -EBUSY,
	       "0, -ENOMEM or -EBUSY");
	if (rc == 0 && after != nr)
		fail(r, "the pool is %" PRIu64 ", not %" PRIu64, after, nr);
	if (rc && nr > before && after != before)
		fail(r, "a failed grow changed the pool from %" PRIu64 " to %" PRIu64,
		     before, after);
	/* A shrink frees what it restored before it failed. */
	r->may_move = after != before;
	if (rc && nr < before && (after < nr || after > before))
		fail(r, "a failed shrink to %" PRIu64 " took the pool from %" PRIu64 " to %" PRIu64,
		     nr, before, after);
	return rc;
}

static int
op_hp_get(struct run *r, struct fuzz_input *in)
{
	uint64_t size, pfn;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info h = { 0 };
	int rc;

	if (i < r->nr_hstates)
		hstate(r, i, &h);
	/* A surplus page is optimized as it comes. */
	note_variant_in_use(r);
	rc = hvo_hugepage_get(r->m, size, &pfn);
	if (i == r->nr_hstates)
		expect(r, rc, rc == -EINVAL, "a size the machine lacks is -EINVAL");
	else if (h.free && h.free != h.resv)
		/* available_huge_pages(): free - resv, wrapped after a demote. */
		expect(r, rc, rc == 0,
		       "a hugepage while the pool has a free one nobody reserved");
	else if (h.surplus >= h.nr_overcommit)
		expect(r, rc, rc == -ENOMEM,
		       "-ENOMEM with nothing free and no surplus page allowed");
	else
		expect(r, rc, rc == 0 || rc == -ENOMEM,
		       "a surplus page, or -ENOMEM");
	if (rc)
		return rc;
	if (find_in_use(r, pfn) >= 0 || pfn & (hugepage_pages(r, i) - 1))
		fail(r, "gave hugepage 0x%" PRIx64 ", which is in use or not aligned",
		     pfn);
	if (r->nr_hp == MAX_HUGEPAGES)
		fail(r, "more than %d hugepages in use", MAX_HUGEPAGES);
	r->hp[r->nr_hp++] = (struct in_use){ pfn, i };
	return rc;
}

/* nr_overcommit_hugepages: refused for gigantic sizes and absent ones. */
static int
op_overcommit(struct run *r, struct fuzz_input *in)
{
	uint64_t size, nr = fuzz_u8(in) % 9;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info h = { 0 };
	int rc;

	if (i < r->nr_hstates)
		hstate(r, i, &h);
	rc = hvo_set_nr_overcommit_hugepages(r->m, size, nr);
	if (i == r->nr_hstates)
		expect(r, rc, rc == -EINVAL, "a size the machine lacks is -EINVAL");
	else if (h.order > r->g.max_page_order)
		expect(r, rc, rc == -EINVAL, "a gigantic size is -EINVAL");
	else
		expect(r, rc, rc == 0, "an overcommit for a size the buddy serves");
	return rc;
}

/*
 * hugetlb_acct_memory() both ways: a reservation is met or changes
 * nothing; giving back more than is reserved is refused.
 */
static int
op_reserve(struct run *r, struct fuzz_input *in)
{
	uint64_t size, nr = fuzz_u8(in) % 9;
	bool give_back = fuzz_u8(in) & 1;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info b = { 0 }, a = { 0 };
	int rc;

	if (i < r->nr_hstates)
		hstate(r, i, &b);
	note_variant_in_use(r);
	rc = give_back ? hvo_hugetlb_unreserve_pages(r->m, size, nr) :
			 hvo_hugetlb_reserve_pages(r->m, size, nr);
	if (i == r->nr_hstates) {
		expect(r, rc, rc == -EINVAL, "a size the machine lacks is -EINVAL");
		return rc;
	}
	hstate(r, i, &a);
	r->may_move = true;
	if (give_back) {
		expect(r, rc, nr > b.resv ? rc == -EINVAL : rc == 0,
		       "giving back what is reserved, or -EINVAL");
		if (!rc && a.resv != b.resv - nr)
			fail(r, "unreserving %" PRIu64 " of %" PRIu64 " left %" PRIu64,
			     nr, b.resv, a.resv);
	} else {
		expect(r, rc, rc == 0 || rc == -ENOMEM, "0 or -ENOMEM");
		if (!rc && a.resv != b.resv + nr)
			fail(r, "reserving %" PRIu64 " more than %" PRIu64 " gave %" PRIu64,
			     nr, b.resv, a.resv);
		if (rc && a.resv != b.resv)
			fail(r, "a failed reservation changed resv from %" PRIu64 " to %" PRIu64,
			     b.resv, a.resv);
	}
	return rc;
}

/* A fault that consumes a reservation: never fails while one is left. */
static int
op_hp_fault_reserved(struct run *r, struct fuzz_input *in)
{
	uint64_t size, pfn;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info h = { 0 };
	int rc;

	if (i < r->nr_hstates)
		hstate(r, i, &h);
	rc = hvo_alloc_hugetlb_folio(r->m, size, true, &pfn);
	if (i == r->nr_hstates || !h.resv) {
		expect(r, rc, rc == -EINVAL, "no reservation: -EINVAL");
		return rc;
	}
	/* A 6.12 demote may have taken it (demote-takes-reserved). */
	expect(r, rc, rc == 0 || (!h.free && rc == -ENOMEM),
	       "a reserved page is there");
	if (rc)
		return rc;
	if (r->nr_hp == MAX_HUGEPAGES)
		fail(r, "more than %d hugepages in use", MAX_HUGEPAGES);
	r->hp[r->nr_hp++] = (struct in_use){ pfn, i };
	return rc;
}

/*
 * demote_store(): refused without the demote files; else the pages
 * demoted leave the pool, never more than asked, and the errors are a
 * restore's -ENOMEM or, with only reserved pages left after a 6.12
 * batch, -EBUSY.
 */
static int
op_demote(struct run *r, struct fuzz_input *in)
{
	uint64_t size, ds, nr = fuzz_u8(in) % 4, done = 0;
	unsigned i = pick_hstate(r, in, &size);
	struct hvo_hstate_info b = { 0 }, a = { 0 };
	int rc;

	if (i < r->nr_hstates)
		hstate(r, i, &b);
	note_variant_in_use(r);
	rc = hvo_demote(r->m, size, nr, &done);
	if (i == r->nr_hstates || hvo_demote_size(r->m, size, &ds)) {
		expect(r, rc, rc == -EINVAL || rc == -EOPNOTSUPP,
		       "no demote files: refused");
		return rc;
	}
	hstate(r, i, &a);
	r->may_move = true;
	expect(r, rc, rc == 0 || rc == -ENOMEM || rc == -EBUSY,
	       "0, a restore's -ENOMEM or -EBUSY");
	if (done > nr || a.nr != b.nr - done)
		fail(r, "demote of %" PRIu64 " said %" PRIu64 " and left %" PRIu64 " of %" PRIu64,
		     nr, done, a.nr, b.nr);
	return rc;
}

static int
op_hp_put(struct run *r, struct fuzz_input *in)
{
	uint8_t b = fuzz_u8(in);
	uint64_t pfn;
	int rc;

	if (!r->nr_hp || b >= 0xf0) {
		pfn = pick_pfn(r, in);
		if (find_in_use(r, pfn) >= 0)
			return 0;
		rc = hvo_hugepage_put(r->m, pfn);
		expect(r, rc, rc == -EINVAL, "a pfn not in use is refused");
		return rc;
	}
	b %= r->nr_hp;
	rc = hvo_hugepage_put(r->m, r->hp[b].pfn);
	expect(r, rc, rc == 0, "giving back a hugepage in use succeeds");
	r->hp[b] = r->hp[--r->nr_hp];
	return rc;
}

static bool
pick_hugepage(struct run *r, struct fuzz_input *in, uint64_t *pfn,
	      unsigned *h)
{
	uint64_t size;

	if (!r->nr_hstates)
		return false;
	*h = fuzz_u8(in) % r->nr_hstates;
	size = r->hsize[*h];
	return hvo_hugepage_pfn(r->m, size, fuzz_u8(in) % 8, pfn) == 0;
}

static int
op_vmemmap(struct run *r, struct fuzz_input *in, bool optimize)
{
	struct image before;
	uint64_t pfn;
	unsigned h;
	int rc;

	if (!pick_hugepage(r, in, &pfn, &h)) {
		/* A pfn that is no pool hugepage is refused. */
		pfn = pick_pfn(r, in);
		for (unsigned k = 0; k < r->nr_hstates; k++) {
			uint64_t hp;

			for (uint64_t i = 0; hvo_hugepage_pfn(r->m, r->hsize[k], i, &hp) == 0; i++)
				if (hp == pfn)
					return 0;
		}
		rc = optimize ? hvo_hugepage_optimize(r->m, pfn) :
				hvo_hugepage_restore(r->m, pfn);
		expect(r, rc, rc == -EINVAL, "a pfn that is no hugepage is refused");
		return rc;
	}
	if (optimize)
		note_variant_in_use(r);
	image_take(r, pfn, h, &before);
	rc = optimize ? hvo_hugepage_optimize(r->m, pfn) :
			hvo_hugepage_restore(r->m, pfn);
	if (find_in_use(r, pfn) >= 0)
		expect(r, rc, rc == -EBUSY, "a hugepage in use is -EBUSY");
	else
		expect(r, rc, rc == 0 || rc == -ENOMEM || rc == -EINVAL,
		       "0, -ENOMEM or -EINVAL");
	if (rc) {
		check_reason(r, rc);
		image_compare(r, pfn, h, &before);
	}
	image_free(&before);
	return rc;
}

static int
op_set_variant(struct run *r, struct fuzz_input *in)
{
	enum hvo_variant v = (enum hvo_variant)(fuzz_u8(in) % 5);
	bool ok;
	int rc;

	rc = hvo_set_variant(r->m, v);
	if (r->cfg.hvo == HVO_VARIANT_SHAREDTAIL)
		ok = v == HVO_VARIANT_OFF || v == HVO_VARIANT_SHAREDTAIL;
	else
		ok = v == HVO_VARIANT_OFF || v == HVO_VARIANT_KEEP2 ||
		     v == HVO_VARIANT_FAKEHEAD;
	expect(r, rc, ok ? rc == 0 : rc == -EINVAL,
	       "the variants of the kernel booted, -EINVAL for the others");
	if (!rc)
		r->variant = v;
	return rc;
}

static int
op_fail_vmemmap(struct run *r, struct fuzz_input *in)
{
	unsigned point = fuzz_u8(in) % 3;
	uint64_t nth = fuzz_u8(in) % 24;
	bool persistent = fuzz_u8(in) & 1;
	int rc;

	rc = hvo_fail_vmemmap(r->m, (enum hvo_fail_point)point, nth, persistent);
	expect(r, rc, point < 2 ? rc == 0 : rc == -EINVAL, "0, -EINVAL for no such point");
	if (point == HVO_FAIL_VMEMMAP_PTE)
		r->pte_armed = nth != 0;
	return rc;
}

static int
op_kpageflags(struct run *r, struct fuzz_input *in)
{
	uint64_t pfn = pick_pfn(r, in), flags;
	long held = find_held(r, pfn);
	unsigned h;
	int rc;

	if (fuzz_u8(in) & 1 && pick_hugepage(r, in, &pfn, &h)) {
		uint64_t off = fuzz_u8(in) % 3;

		rc = hvo_kpageflags(r->m, pfn + off, &flags);
		expect(r, rc, rc == 0, "kpageflags of a hugepage");
		if (!(flags & KPF_HUGE) ||
		    !(flags & (off ? KPF_COMPOUND_TAIL : KPF_COMPOUND_HEAD)))
			fail(r, "kpageflags of hugepage 0x%" PRIx64 " + %" PRIu64 ": 0x%" PRIx64,
			     pfn, off, flags);
		return rc;
	}
	rc = hvo_kpageflags(r->m, pfn, &flags);
	if (rc)
		fail(r, "kpageflags of pfn 0x%" PRIx64 " returned %d: %s", pfn,
		     rc, hvo_machine_error(r->m));
	if (held >= 0 && flags & (KPF_BUDDY | KPF_HUGE))
		fail(r, "kpageflags of allocated pfn 0x%" PRIx64 ": 0x%" PRIx64,
		     pfn, flags);
	return rc;
}

static int
op_walk_read(struct run *r, struct fuzz_input *in)
{
	uint64_t pfn = pick_pfn(r, in), va, val;
	struct hvo_walk w;
	int rc;

	if (hvo_pfn_to_page(r->m, pfn, &va))
		return 0;
	va += (fuzz_u8(in) % (r->g.struct_page_size / 8)) * 8;
	rc = hvo_walk(r->m, va, &w);
	expect(r, rc, rc == 0, "a walk of the vmemmap");
	if (!w.mapped)
		fail(r, "the struct page of pfn 0x%" PRIx64 " is not mapped", pfn);
	rc = hvo_kread64(r->m, va, &val);
	expect(r, rc, rc == 0, "a struct page can be read");
	return rc;
}

static int
op_flush(struct run *r, struct fuzz_input *in)
{
	uint64_t va, pfn = pick_pfn(r, in);
	int rc;

	if (fuzz_u8(in) & 1 || hvo_pfn_to_page(r->m, pfn, &va)) {
		rc = hvo_flush_tlb_all(r->m);
	} else {
		uint64_t len = (uint64_t)(1 + fuzz_u8(in)) * r->g.page_size;

		va &= ~(uint64_t)(r->g.page_size - 1);
		rc = hvo_flush_tlb_kernel_range(r->m, va, va + len);
	}
	expect(r, rc, rc == 0, "a flush succeeds");
	return rc;
}

static int
op_hp_pfn(struct run *r, struct fuzz_input *in)
{
	uint64_t size, pfn;
	unsigned i = pick_hstate(r, in, &size);
	uint64_t k = fuzz_u8(in) % 8, nr = pool_nr(r, i);
	int rc = hvo_hugepage_pfn(r->m, size, k, &pfn);

	if (i == r->nr_hstates)
		expect(r, rc, rc == -EINVAL, "a size the machine lacks is -EINVAL");
	else
		expect(r, rc, k < nr ? rc == 0 : rc == -ENOENT,
		       "a hugepage up to the pool's size, then -ENOENT");
	return rc;
}

static int
run_op(struct run *r, struct fuzz_input *in)
{
	int rc = 0;

	switch (r->op) {
	case OP_ALLOC_PAGES:
		return op_alloc_pages(r, in);
	case OP_FREE_PAGES:
		return op_free_pages(r, in);
	case OP_FREE_BOGUS:
		return op_free_bogus(r, in);
	case OP_SPLIT_PAGE:
		return op_split_page(r, in);
	case OP_ALLOC_CONTIG:
		return op_alloc_contig(r, in);
	case OP_FREE_CONTIG:
		return op_free_contig(r, in);
	case OP_SET_NR:
		return op_set_nr(r, in, false);
	case OP_WRITE_NR:
		return op_set_nr(r, in, true);
	case OP_HP_GET:
		return op_hp_get(r, in);
	case OP_HP_PUT:
		return op_hp_put(r, in);
	case OP_OPTIMIZE:
		return op_vmemmap(r, in, true);
	case OP_RESTORE:
		return op_vmemmap(r, in, false);
	case OP_SET_VARIANT:
		return op_set_variant(r, in);
	case OP_DRAIN:
		rc = hvo_drain_pages(r->m);
		expect(r, rc, rc == 0, "a drain succeeds");
		return rc;
	case OP_FAIL_PAGE_ALLOC: {
		/* One read per statement: the order is the input's. */
		uint64_t nth = fuzz_u8(in) % 24;
		bool persistent = fuzz_u8(in) & 1;

		rc = hvo_fail_page_alloc(r->m, nth, persistent);
		expect(r, rc, rc == 0, "arming fault injection succeeds");
		return rc;
	}
	case OP_FAIL_VMEMMAP:
		return op_fail_vmemmap(r, in);
	case OP_KPAGEFLAGS:
		return op_kpageflags(r, in);
	case OP_INIT_DEFERRED:
		rc = hvo_machine_init_deferred(r->m);
		expect(r, rc, rc == 0, "deferred init succeeds");
		return rc;
	case OP_FLUSH:
		return op_flush(r, in);
	case OP_WALK_READ:
		return op_walk_read(r, in);
	case OP_CENSUS: {
		uint64_t mapped;

		census_vmemmap(r, &mapped);
		return 0;
	}
	case OP_HP_PFN:
		return op_hp_pfn(r, in);
	case OP_COUNTERS_RESET:
		r->split_pmd += counter(r, "hvo.split_pmd");
		hvo_machine_counters_reset(r->m);
		return 0;
	case OP_REPORT:
		/* The report walks what it is given: keep it to one address. */
		rc = hvo_machine_report_json(r->m, &r->g.vmemmap_base, 1, r->null);
		expect(r, rc, rc == 0, "a report to /dev/null");
		return rc;
	case OP_OVERCOMMIT:
		return op_overcommit(r, in);
	case OP_RESERVE:
		return op_reserve(r, in);
	case OP_HP_FAULT_RESERVED:
		return op_hp_fault_reserved(r, in);
	case OP_DEMOTE:
		return op_demote(r, in);
	case OP__COUNT:
		break;
	}
	return rc;
}

/* ---------------------------------------------------------------------- */
/* The machine, and the census at the end                                 */
/* ---------------------------------------------------------------------- */

static bool
build_config(struct run *r, struct fuzz_input *in)
{
	const char *preset = hvo_preset_name(fuzz_u8(in) % hvo_preset_count());
	unsigned sp = struct_page_sizes[fuzz_u8(in) % 6];
	enum hvo_variant v = (enum hvo_variant)(fuzz_u8(in) % 4);
	uint8_t li = fuzz_u8(in) % ARRAY_SIZE(layouts), flags = fuzz_u8(in);
	const struct layout *l;
	struct hvo_config cfg;
	uint64_t unit, base;

	if (hvo_config_parse(&cfg, preset, NULL, 0))
		fuzz_fail("ops: preset %s does not parse", preset);
	/* The last layout is slow to check: one input in 64, fewer operations. */
	if (li == ARRAY_SIZE(layouts) - 1 && (flags & 0xc0) != 0xc0)
		li = 0;
	l = &layouts[li];
	r->max_ops = li == ARRAY_SIZE(layouts) - 1 ? MAX_OPS / 8 : MAX_OPS;
	unit = UINT64_C(256) << cfg.page_shift;
	base = cfg.mem[0].base;
	cfg.nr_mem_ranges = l->nr;
	for (unsigned i = 0; i < l->nr; i++) {
		cfg.mem[i].base = base + l->r[i].at * unit;
		cfg.mem[i].size = l->r[i].size * unit;
	}
	cfg.struct_page_size = sp;
	cfg.hvo = v;
	cfg.deferred_init = flags & 1;
	cfg.pcp = !(flags & 2);
	cfg.check_pages = flags & 4;
	cfg.tlb_check = flags & 8;
	cfg.bbm_check = !(flags & 16);
	cfg.tlb_entries = flags & 32 ? 16 : 1024;
	if (hvo_config_validate(&cfg, NULL, 0))
		return false;
	r->cfg = cfg;
	if (hvo_config_format(&cfg, r->spec, sizeof(r->spec)))
		fuzz_fail("ops: a validated configuration does not format");
	return true;
}

static bool
boot(struct run *r)
{
	char err[512];
	int rc;

	rc = hvo_machine_new(&r->cfg, &r->m, err, sizeof(err));
	if (rc == -ENOMEM)
		return false;
	if (rc)
		fuzz_fail("ops: %s does not boot: %s", r->spec, err);
	if (hvo_machine_geometry(r->m, &r->g))
		fail(r, "no geometry");
	for (r->nr_hstates = 0; r->nr_hstates < MAX_HSTATES; r->nr_hstates++) {
		struct hvo_hstate_info h;

		if (hvo_machine_hstate(r->m, r->nr_hstates, &h))
			break;
		r->hsize[r->nr_hstates] = h.size;
	}
	for (r->nr_zones = 0; r->nr_zones < 8; r->nr_zones++)
		if (hvo_machine_zone(r->m, r->nr_zones, &r->zone[r->nr_zones]))
			break;
	r->variant = r->cfg.hvo;
	return true;
}

/* Give everything back; the pools may need a few tries to shrink. */
static void
empty(struct run *r)
{
	int rc;

	if (hvo_fail_page_alloc(r->m, 0, false) ||
	    hvo_fail_vmemmap(r->m, HVO_FAIL_VMEMMAP_PMD, 0, false) ||
	    hvo_fail_vmemmap(r->m, HVO_FAIL_VMEMMAP_PTE, 0, false))
		fail(r, "cannot turn fault injection off");
	while (r->nr_hp) {
		rc = hvo_hugepage_put(r->m, r->hp[r->nr_hp - 1].pfn);
		if (rc)
			fail(r, "cannot give back hugepage 0x%" PRIx64 ": %s",
			     r->hp[r->nr_hp - 1].pfn, hvo_machine_error(r->m));
		r->nr_hp--;
	}
	while (r->nr_held) {
		struct held *h = &r->held[r->nr_held - 1];

		rc = h->kind == HELD_CONTIG ?
		     hvo_free_contig(r->m, h->pfn, h->order) :
		     hvo_free_pages(r->m, h->pfn, h->order);
		if (rc)
			fail(r, "cannot free 0x%" PRIx64 " order %u: %s", h->pfn,
			     h->order, hvo_machine_error(r->m));
		unhold(r, r->nr_held - 1);
	}
	for (unsigned i = 0; i < r->nr_hstates; i++) {
		uint64_t last = UINT64_MAX;
		struct hvo_hstate_info h;

		/* What the mappings reserved goes with them. */
		hstate(r, i, &h);
		if (h.resv && hvo_hugetlb_unreserve_pages(r->m, r->hsize[i], h.resv))
			fail(r, "cannot give back %" PRIu64 " reservations: %s",
			     h.resv, hvo_machine_error(r->m));

		/* A batch restore stops at its first -ENOMEM; go on while it gains. */
		while (pool_nr(r, i) && pool_nr(r, i) < last) {
			last = pool_nr(r, i);
			rc = hvo_set_nr_hugepages(r->m, r->hsize[i], 0);
			if (rc && rc != -ENOMEM)
				fail(r, "cannot empty the pool of %" PRIu64 ": %s",
				     r->hsize[i], hvo_machine_error(r->m));
		}
		if (pool_nr(r, i))
			fail(r, "the pool of %" PRIu64 " keeps %" PRIu64 " hugepages with everything else free: %s",
			     r->hsize[i], pool_nr(r, i), hvo_machine_error(r->m));
	}
	if (hvo_drain_pages(r->m))
		fail(r, "cannot drain: %s", hvo_machine_error(r->m));
	check_machine(r);
}

static void
census(struct run *r)
{
	struct snapshot end;
	uint64_t mapped, pt, kept, split;

	r->op = OP__COUNT;
	empty(r);
	snap(r, &end);
	census_vmemmap(r, &mapped);
	split = r->split_pmd + counter(r, "hvo.split_pmd");
	pt = end.cat[HVO_PAGES_PAGETABLE] - r->start.cat[HVO_PAGES_PAGETABLE];
	kept = end.cat[HVO_PAGES_VMEMMAP] - mapped;
	if (end.cat[HVO_PAGES_PAGETABLE] < r->start.cat[HVO_PAGES_PAGETABLE] ||
	    pt != split)
		fail(r, "census: %" PRIu64 " page-table frames at the end, %" PRIu64 " at boot, and %" PRIu64 " vmemmap PMDs were split",
		     end.cat[HVO_PAGES_PAGETABLE], r->start.cat[HVO_PAGES_PAGETABLE],
		     split);
	if (mapped != r->start.cat[HVO_PAGES_VMEMMAP])
		fail(r, "census: the vmemmap maps %" PRIu64 " frames, %" PRIu64 " at boot",
		     mapped, r->start.cat[HVO_PAGES_VMEMMAP]);
	if (end.cat[HVO_PAGES_ALLOCATED] || end.cat[HVO_PAGES_HUGETLB] ||
	    end.cat[HVO_PAGES_RESERVED] != r->start.cat[HVO_PAGES_RESERVED] ||
	    end.cat[HVO_PAGES_FREE] + pt + kept != r->start.cat[HVO_PAGES_FREE])
		fail(r, "census: free %" PRIu64 " (at boot %" PRIu64 "), %" PRIu64 " page-table pages kept, %" PRIu64 " shared tails kept, allocated %" PRIu64 ", hugetlb %" PRIu64 ", reserved %" PRIu64 " (at boot %" PRIu64 ")",
		     end.cat[HVO_PAGES_FREE], r->start.cat[HVO_PAGES_FREE], pt, kept,
		     end.cat[HVO_PAGES_ALLOCATED], end.cat[HVO_PAGES_HUGETLB],
		     end.cat[HVO_PAGES_RESERVED], r->start.cat[HVO_PAGES_RESERVED]);
}

static void
print_totals(void)
{
	fprintf(stderr, "fuzz-ops: %" PRIu64 " operations in %" PRIu64 " runs, each followed by hvo_machine_check()\n",
		total_ops, total_runs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	static FILE *null;
	struct fuzz_input in = { data, size };
	uint64_t mapped;

	if (!null) {
		null = fopen("/dev/null", "w");
		if (!null)
			fuzz_fail("cannot open /dev/null");
		atexit(print_totals);
	}
	memset(&r, 0, sizeof(r));
	r.null = null;
	if (!build_config(&r, &in) || !boot(&r))
		return 0;
	total_runs++;
	r.op = OP__COUNT;
	check_machine(&r);
	snap(&r, &r.start);
	census_vmemmap(&r, &mapped);
	if (mapped != r.start.cat[HVO_PAGES_VMEMMAP])
		fail(&r, "at boot the vmemmap maps %" PRIu64 " frames, and %" PRIu64 " are vmemmap",
		     mapped, r.start.cat[HVO_PAGES_VMEMMAP]);
	while (in.left && r.nr_op < r.max_ops) {
		struct snapshot before;
		int rc;

		r.op = (enum op)(fuzz_u8(&in) % OP__COUNT);
		r.nr_op++;
		r.may_move = false;
		snap(&r, &before);
		rc = run_op(&r, &in);
		check_reason(&r, rc);
		check_machine(&r);
		if (rc < 0 && !r.may_move)
			check_nothing_lost(&r, &before);
		total_ops++;
	}
	census(&r);
	hvo_machine_free(r.m);
	return 0;
}

/* Random operation sequences for replay --random: random bytes. */
size_t
fuzz_generate(uint64_t *rng, uint8_t *buf, size_t cap)
{
	size_t len = 8 + fuzz_below(rng, 600);

	if (len > cap)
		len = cap;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)fuzz_rand(rng);
	return len;
}
