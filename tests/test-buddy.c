/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator by hand-computed examples: which blocks a split
 * leaves, which frees merge, and that bad frees change nothing.
 */
#include <errno.h>

#include "testutil.h"
#include "base/util.h"
#include "mem/buddy.h"
#include "mem/pageblock.h"
#include "mm/page.h"
#include "mmu/mmu.h"

/* No pcp lists: frees reach the buddy at once, so merges can be counted. */
#define TINY "x86_64:mem=64M,deferred=off,pcp=off"

struct buddy_state {
	uint64_t nr_free[4][HVO_MAX_ORDERS];
};

static void
snapshot(struct hvo_machine *m, struct buddy_state *s)
{
	struct hvo_zone_info z;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < 4 && hvo_machine_zone(m, i, &z) == 0; i++)
		memcpy(s->nr_free[i], z.nr_free, sizeof(z.nr_free));
}

static void
assert_same_state(struct hvo_machine *m, const struct buddy_state *before)
{
	struct buddy_state now;

	snapshot(m, &now);
	assert_memory_equal(&now, before, sizeof(now));
}

/* Is pfn a free block of this order, as its struct page says? */
static bool
is_free_block(struct hvo_machine *m, uint64_t pfn, unsigned order)
{
	page_t page = pfn_to_page(m, pfn);
	uint32_t type = page_type(m, page);
	uint64_t priv = page_private(m, page);

	assert_int_equal(machine_oops_take(m, 0), 0);
	return page_type_is(type, PGTY_buddy) && priv == order;
}

static void
test_alloc_free_restores(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t pfn;

	(void)state;
	snapshot(m, &before);
	for (unsigned order = 0; order <= 10; order++) {
		assert_int_equal(hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &pfn), 0);
		assert_int_equal(pfn & ((UINT64_C(1) << order) - 1), 0);
		tu_assert_check(m);
		assert_int_equal(hvo_free_pages(m, pfn, order), 0);
		assert_same_state(m, &before);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Taking one page out of an order-k block leaves one free block at each
 * order below k: B+2^(k-1) at k-1, ..., B+1 at 0 (expand()).
 */
static void
test_expand_leaves_halves(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct hvo_zone_info z;
	uint64_t pfn, block = 0;
	unsigned k = 0;

	(void)state;
	/* Find the smallest non-empty order of the highest zone with memory. */
	unsigned zi = 0;

	for (unsigned i = 0; hvo_machine_zone(m, i, &z) == 0; i++)
		if (z.free_pages)
			zi = i;
	assert_int_equal(hvo_machine_zone(m, zi, &z), 0);
	while (z.nr_free[k] == 0)
		k++;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfn), 0);
	block = pfn;
	assert_int_equal(block & ((UINT64_C(1) << k) - 1), 0);
	for (unsigned o = 0; o < k; o++)
		assert_true(is_free_block(m, block + (UINT64_C(1) << o), o));
	tu_assert_check(m);
	assert_int_equal(hvo_free_pages(m, pfn, 0), 0);
	assert_true(is_free_block(m, block, k) || k == 10 ||
		    !is_free_block(m, block + 1, 0));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Split an order-2 block at P into four pages and free them out of order:
 * P+1, P+3 stay apart (their buddies P, P+2 are allocated); P merges with
 * P+1 into an order-1 block; P+2 merges with P+3, then with P's block.
 */
static void
test_merge_order(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t p;

	(void)state;
	snapshot(m, &before);
	assert_int_equal(hvo_alloc_pages(m, 2, HVO_GFP_KERNEL, &p), 0);
	assert_int_equal(hvo_split_page(m, p, 2), 0);
	tu_assert_check(m);

	assert_int_equal(hvo_free_pages(m, p + 1, 0), 0);
	assert_int_equal(hvo_free_pages(m, p + 3, 0), 0);
	assert_true(is_free_block(m, p + 1, 0));
	assert_true(is_free_block(m, p + 3, 0));
	tu_assert_check(m);

	assert_int_equal(hvo_free_pages(m, p, 0), 0);
	assert_true(is_free_block(m, p, 1));
	assert_false(is_free_block(m, p + 1, 0));
	tu_assert_check(m);

	assert_int_equal(hvo_free_pages(m, p + 2, 0), 0);
	assert_false(is_free_block(m, p, 1));
	assert_same_state(m, &before);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The calls that give pages back take only what the user allocated:
 * boot memory, a pool hugepage, the page HVO copied the head into and the
 * page table of a split vmemmap PMD are the kernel's (issue 10, the
 * fuzzer's free-kernel-allocation and split-any-allocation).
 */
static void
test_kernel_pages_refused(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=fakehead,pcp=off,"
					   "deferred=off,hugepages=2M:1");
	struct buddy_state before;
	struct hvo_walk w;
	uint64_t huge, va;
	struct held {
		const char *category;
		uint64_t pfn;
		unsigned order;
	} held[3];

	(void)state;
	assert_int_equal(hvo_hugepage_pfn(m, UINT64_C(2) << 20, 0, &huge), 0);
	assert_int_equal(hvo_pfn_to_page(m, huge, &va), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	held[0] = (struct held){ "hugetlb", huge, 9 };
	held[1] = (struct held){ "vmemmap", w.pa >> 12, 0 }; /* the head copy */
	held[2] = (struct held){ "pagetable",
				 w.level[w.nr_levels - 1].table_pa >> 12, 0 };
	snapshot(m, &before);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(hvo_free_pages(m, held[i].pfn, held[i].order),
				 -EINVAL);
		assert_non_null(strstr(hvo_machine_error(m), held[i].category));
		assert_int_equal(hvo_split_page(m, held[i].pfn, held[i].order),
				 -EINVAL);
		assert_non_null(strstr(hvo_machine_error(m), "the kernel holds"));
	}
	/* A gigantic-order free of the hugepage is refused the same way. */
	assert_int_equal(hvo_free_contig(m, huge, 18), -EINVAL);
	/* The reserved order-9 boot block a 64 MiB machine has at 0x3c00. */
	assert_int_equal(hvo_split_page(m, 0, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "reserved"));
	assert_same_state(m, &before);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_bad_frees_change_nothing(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t p, q;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 3, HVO_GFP_KERNEL, &p), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &q), 0);
	snapshot(m, &before);

	/* A wrong order, a tail, unaligned, reserved, not RAM. */
	assert_int_equal(hvo_free_pages(m, p, 2), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "order 3"));
	assert_int_equal(hvo_free_pages(m, p + 4, 2), -EINVAL);
	assert_int_equal(hvo_free_pages(m, p + 1, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "inside"));
	/*
	 * free_prepare() looks at page_owner first and takes these checks
	 * in order only for a free that is not an allocation's head: each
	 * still names its own reason.
	 */
	assert_int_equal(hvo_free_pages(m, p + 1, 3), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not aligned to order 3"));
	assert_int_equal(hvo_free_pages(m, 0, 0), -EINVAL); /* first MiB */
	assert_int_equal(hvo_free_pages(m, UINT64_C(1) << 30, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not RAM"));
	assert_int_equal(hvo_free_pages(m, p, 11), -EINVAL);
	assert_same_state(m, &before);
	tu_assert_check(m);

	/* A double free. */
	assert_int_equal(hvo_free_pages(m, q, 0), 0);
	snapshot(m, &before);
	assert_int_equal(hvo_free_pages(m, q, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "double free"));
	assert_same_state(m, &before);
	tu_assert_check(m);

	assert_int_equal(hvo_free_pages(m, p, 3), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Exhaust a tiny machine page by page, then give it all back. Each zone
 * gives pages down to its min watermark and no further
 * (__zone_watermark_ok() in the slow path, gfp_to_alloc_flags()'s
 * ALLOC_WMARK_MIN): GFP_DMA empties ZONE_DMA to its min, GFP_KERNEL
 * DMA32 to its min, and ZONE_DMA's protection against ZONE_NORMAL
 * (setup_per_zone_lowmem_reserve()) keeps GFP_KERNEL out of it.
 */
static void
test_exhaustion(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t free0, n = 0, *pfns;

	(void)state;
	snapshot(m, &before);
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &free0), 0);
	pfns = calloc(free0 + 1, sizeof(*pfns));
	assert_non_null(pfns);
	uint64_t kept = tu_kernel_min_total(m);

	while (hvo_alloc_pages(m, 0, HVO_GFP_DMA, &pfns[n]) == 0 ||
	       hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &pfns[n]) == 0)
		n++;
	assert_non_null(strstr(hvo_machine_error(m), "out of memory"));
	assert_int_equal(n, free0 - kept);
	uint64_t f;

	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &f), 0);
	assert_int_equal(f, kept);
	tu_assert_check(m);
	/* Every order is now empty, and large ones fail too. */
	assert_int_equal(hvo_alloc_pages(m, 10, HVO_GFP_KERNEL, &f), -ENOMEM);
	while (n--)
		assert_int_equal(hvo_free_pages(m, pfns[n], 0), 0);
	assert_same_state(m, &before);
	tu_assert_check(m);
	free(pfns);
	hvo_machine_free(m);
}

static void
test_fault_injection(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	uint64_t p[4], inj;

	(void)state;
	assert_int_equal(hvo_fail_page_alloc(m, 3, false), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[0]), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[1]), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[2]), -ENOMEM);
	assert_non_null(strstr(hvo_machine_error(m), "fault injection"));
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[2]), 0);
	/* Every one from the 2nd on. */
	assert_int_equal(hvo_fail_page_alloc(m, 2, true), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[3]), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &inj), -ENOMEM);
	assert_int_equal(hvo_alloc_pages(m, 5, HVO_GFP_KERNEL, &inj), -ENOMEM);
	assert_int_equal(hvo_machine_counter_get(m, "fault.injected", &inj), 0);
	assert_int_equal(inj, 3);
	assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
	tu_assert_check(m);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(hvo_free_pages(m, p[i], 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_contig(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t p;

	(void)state;
	snapshot(m, &before);
	assert_int_equal(hvo_alloc_contig(m, 10, HVO_GFP_KERNEL, &p), -EINVAL);
	assert_int_equal(hvo_alloc_contig(m, 11, HVO_GFP_KERNEL, &p), 0);
	assert_int_equal(p & 2047, 0);
	tu_assert_check(m);
	assert_int_equal(hvo_free_pages(m, p, 11), -EINVAL);
	assert_int_equal(hvo_free_contig(m, p, 10), -EINVAL);
	assert_int_equal(hvo_free_contig(m, p, 11), 0);
	assert_same_state(m, &before);
	/* 64M holds no 64M-aligned free range. */
	assert_int_equal(hvo_alloc_contig(m, 14, HVO_GFP_KERNEL, &p), -ENOMEM);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Orders no allocator has, and pfns whose address does not fit in 64 bits,
 * are refused with a reason before anything is computed from them: under
 * UBSan a shift by 64 aborts the test (issue 10, defect 4), and a pfn
 * shifted to an address wraps onto RAM.
 */
static void
test_orders_and_pfns_past_64_bits(void **state)
{
	static const unsigned orders[] = { 32, 63, 64, 65, UINT32_MAX };
	struct hvo_machine *m = tu_machine(TINY);
	struct buddy_state before;
	uint64_t p, q;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &q), 0);
	snapshot(m, &before);
	for (size_t i = 0; i < ARRAY_SIZE(orders); i++) {
		assert_int_equal(hvo_alloc_contig(m, orders[i], HVO_GFP_KERNEL, &p),
				 -EINVAL);
		assert_non_null(strstr(hvo_machine_error(m), "order"));
		assert_int_equal(hvo_alloc_pages(m, orders[i], HVO_GFP_KERNEL, &p),
				 -EINVAL);
		assert_int_equal(hvo_free_contig(m, q, orders[i]), -EINVAL);
		assert_int_equal(hvo_free_pages(m, q, orders[i]), -EINVAL);
		assert_int_equal(hvo_split_page(m, q, orders[i]), -EINVAL);
		assert_non_null(strstr(hvo_machine_error(m), "order"));
	}
	/* A pfn whose address wraps to q's: 2^52 + q on a 4K machine. */
	assert_int_equal(hvo_free_pages(m, (UINT64_C(1) << 52) + q, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not RAM"));
	assert_int_equal(hvo_split_page(m, (UINT64_C(1) << 52) + q, 0), -EINVAL);
	assert_int_equal(hvo_free_pages(m, UINT64_MAX, 0), -EINVAL);
	assert_same_state(m, &before);
	assert_int_equal(hvo_free_pages(m, q, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* x86-64 zones: DMA below 16M, DMA32 below 4G, Normal above. */
static void
test_zones(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G");
	struct hvo_zone_info z;
	uint64_t p;

	(void)state;
	assert_int_equal(hvo_machine_zone(m, 0, &z), 0);
	assert_string_equal(z.name, "DMA");
	assert_int_equal(z.start_pfn, 0);
	assert_int_equal(z.spanned_pages, 4096);
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_string_equal(z.name, "DMA32");
	assert_int_equal(z.start_pfn, 4096);
	assert_int_equal(z.spanned_pages, (UINT64_C(1) << 20) - 4096);
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	assert_string_equal(z.name, "Normal");
	assert_int_equal(z.start_pfn, UINT64_C(1) << 20);
	assert_int_equal(z.present_pages, UINT64_C(1) << 19);
	/* Normal is the highest zone: most of it waits for deferred init. */
	assert_true(z.deferred_pages > 0);
	assert_int_equal(hvo_machine_zone(m, 3, &z), 0);
	assert_string_equal(z.name, "Movable");
	/* CONFIG_ZONE_DEVICE in Debian's amd64 build: always empty. */
	assert_int_equal(hvo_machine_zone(m, 4, &z), 0);
	assert_string_equal(z.name, "Device");
	assert_int_equal(z.present_pages, 0);
	assert_int_equal(hvo_machine_zone(m, 5, &z), -ENOENT);

	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_DMA, &p), 0);
	assert_true(p < 4096);
	assert_int_equal(hvo_free_pages(m, p, 0), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_DMA32, &p), 0);
	assert_true(p < (UINT64_C(1) << 20));
	assert_int_equal(hvo_free_pages(m, p, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);

	/* riscv64 has no ZONE_DMA. */
	m = tu_machine("riscv64:mem=1G");
	assert_int_equal(hvo_machine_zone(m, 0, &z), 0);
	assert_string_equal(z.name, "DMA32");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Deferred sections come online as allocations need them. */
static void
test_deferred_grow(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G");
	struct hvo_zone_info z;
	uint64_t grow0, grow1, def0, p, free_before, free_after;

	(void)state;
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	def0 = z.deferred_pages;
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &free_before), 0);
	assert_int_equal(hvo_machine_counter_get(m, "buddy.deferred_grow", &grow0), 0);
	/* Normal's first section is online; more than it needs a grow. */
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(hvo_alloc_pages(m, 10, HVO_GFP_KERNEL, &p), 0);
	assert_int_equal(hvo_machine_counter_get(m, "buddy.deferred_grow", &grow1), 0);
	assert_true(grow1 > grow0);
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	assert_true(z.deferred_pages < def0);
	/* Deferred pages were always counted free: only the 40 blocks moved. */
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &free_after), 0);
	assert_int_equal(free_before - free_after, 40 * 1024);
	tu_assert_check(m);
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	assert_int_equal(z.deferred_pages, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * deferred_free_pages() (mm/mm_init.c, 6.12; deferred_free_range() in
 * 6.1) only sets the pageblock bits of the memory it brings up: nothing
 * there is free yet, so nothing is moved and no struct page is read to
 * find free blocks. What deferred init reads is the buddy allocator
 * merging what it frees: a few loads per pageblock brought up, where a
 * scan of each pageblock's struct pages would be 512.
 */
static void
test_deferred_init_reads_no_pageblock(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=16G");
	struct hvo_zone_info z;
	const struct zone *zn;
	uint64_t hit0, miss0, hit1, miss1, blocks;

	(void)state;
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	blocks = z.deferred_pages / 512;
	assert_true(blocks > 5000);
	assert_int_equal(hvo_counter_get(m, HVO_COUNTER_TLB_HIT, &hit0), 0);
	assert_int_equal(hvo_counter_get(m, HVO_COUNTER_TLB_MISS, &miss0), 0);
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	assert_int_equal(hvo_counter_get(m, HVO_COUNTER_TLB_HIT, &hit1), 0);
	assert_int_equal(hvo_counter_get(m, HVO_COUNTER_TLB_MISS, &miss1), 0);
	/* About 5 per pageblock here; a scan would be over 512. */
	assert_true((hit1 - hit0) + (miss1 - miss0) < 16 * blocks);
	assert_int_equal(hvo_machine_zone(m, 2, &z), 0);
	assert_int_equal(z.deferred_pages, 0);
	tu_assert_check(m);
	hvo_machine_free(m);

	/*
	 * Boot hugepages optimized at boot free vmemmap pages memblock
	 * placed in deferred memory before deferred init comes (which the
	 * kernel never does): the zone keeps their span, and a pageblock
	 * deferred init brings up inside it is scanned, so that free pages
	 * in it go to the movable lists with it.
	 */
	m = tu_machine("x86_64:mem=16G,hugepages=2M:1000");
	zn = &m->zones[ZONE_NORMAL];
	assert_true(zn->early_free_lo >= zn->first_deferred_pfn);
	assert_true(zn->early_free_lo < zn->early_free_hi);
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Pages written and then freed go back to the host. */
static void
test_host_release(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	uint64_t p, rel0, rel1, va = UINT64_C(0xffffc90000000000);

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 4, HVO_GFP_KERNEL, &p), 0);
	/* Write the block through a kernel mapping of its first page. */
	assert_int_equal(hvo_map(m, va, p << 12, 4096, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_kwrite64(m, va, 0x1234), 0);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_kernel_range(m, va, va + 4096), 0);
	assert_int_equal(hvo_machine_counter_get(m, "host.release", &rel0), 0);
	assert_int_equal(hvo_free_pages(m, p, 4), 0);
	assert_int_equal(hvo_machine_counter_get(m, "host.release", &rel1), 0);
	assert_int_equal(rel1, rel0 + 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * With pcp lists (the default), small frees park on the per-cpu list and
 * the buddy lists move only in batches; a drain merges everything back.
 */
/*
 * An order-0 allocation on a machine that met a fault returns the fault,
 * as rmqueue() would, with a page on the pcp list or not: the fast path
 * leaves such a machine to the zonelist walk.
 */
static void
test_alloc_oopsed(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=8G,deferred=off");
	struct hvo_zone_info before, after;
	struct per_cpu_pages pcp;
	const struct per_cpu_pages *now;
	uint64_t p, q, r, allocs;

	(void)state;
	/*
	 * One allocation fills ZONE_NORMAL's pcp list; a free after a second
	 * one leaves free_count above 0, which an allocation would halve
	 * (pcp_alloc_seen(), as rmqueue_pcplist() does in 6.12).
	 */
	assert_int_equal(alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_ALLOCATED, &p),
			 0);
	assert_int_equal(alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_ALLOCATED, &r),
			 0);
	assert_int_equal(hvo_free_pages(m, r, 0), 0);
	assert_int_equal(hvo_machine_zone(m, ZONE_NORMAL, &before), 0);
	assert_true(before.pcp_pages > 0);
	pcp = m->zones[ZONE_NORMAL].pcp;
	assert_true(pcp.free_count > 0);
	allocs = tu_counter(m, "buddy.alloc");
	machine_oops(m, -EFAULT);
	assert_int_equal(alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_ALLOCATED, &q),
			 -EFAULT);
	/* Past the pcp orders: rmqueue() returns the fault, no list touched. */
	assert_int_equal(alloc_pages(m, 4, ZONE_NORMAL, HVO_PAGES_ALLOCATED, &q),
			 -EFAULT);
	assert_int_equal(machine_oops_take(m, 0), -EFAULT);
	/*
	 * Nothing was taken: the pcp list and its count, the buddy lists
	 * and the allocation counter are as they were.
	 */
	assert_int_equal(hvo_machine_zone(m, ZONE_NORMAL, &after), 0);
	assert_int_equal(after.pcp_pages, before.pcp_pages);
	assert_int_equal(after.free_pages, before.free_pages);
	assert_int_equal(tu_counter(m, "buddy.alloc"), allocs);
	/* Nor the pcp's own state: pcp_list_pick() takes no list. */
	now = &m->zones[ZONE_NORMAL].pcp;
	assert_int_equal(now->count, pcp.count);
	assert_int_equal(now->high, pcp.high);
	assert_int_equal(now->free_count, pcp.free_count);
	assert_int_equal(now->alloc_factor, pcp.alloc_factor);
	assert_int_equal(now->flags, pcp.flags);
	assert_int_equal(hvo_free_pages(m, p, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A machine whose ZONE_NORMAL pcp list holds a batch, one page of it (@p)
 * allocated, with the vmemmap PMD of those pages' struct pages cleared:
 * they share p's PMD, as the batch came from one buddy block.
 */
struct pcp_fault {
	struct hvo_machine *m;
	uint64_t p, va, pmdp;
	pmd_t good;
	struct hvo_zone_info before;
};

static void
pcp_fault_begin(struct pcp_fault *f)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=8G,deferred=off");

	f->m = m;
	assert_int_equal(alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_ALLOCATED,
				     &f->p), 0);
	assert_int_equal(hvo_machine_zone(m, ZONE_NORMAL, &f->before), 0);
	assert_true(f->before.pcp_pages > 0);
	f->va = pfn_to_page(m, f->p);
	f->pmdp = pmd_off_k(m, f->va);
	f->good = pt_get(m, pmd_depth(m), f->pmdp);
	assert_true(pmd_leaf(m, f->good));
	pt_set(m, pmd_depth(m), f->va, f->pmdp, 0);
	flush_tlb_all(m);
}

/* After the fault: nothing moved. Then the PMD back, and a clean check. */
static void
pcp_fault_end(struct pcp_fault *f)
{
	struct hvo_machine *m = f->m;
	struct hvo_zone_info now;

	assert_int_equal(hvo_machine_zone(m, ZONE_NORMAL, &now), 0);
	assert_int_equal(now.pcp_pages, f->before.pcp_pages);
	assert_int_equal(now.free_pages, f->before.free_pages);
	assert_int_equal(now.nr_free_pages, f->before.nr_free_pages);
	pt_set(m, pmd_depth(m), f->va, f->pmdp, f->good);
	flush_tlb_all(m);
	tu_assert_check(m);
}

/*
 * The struct page of the pcp list's first page faults when the fast path
 * takes it: the allocation fails with -EFAULT and the list keeps the
 * page and its count, so with the PMD put back the machine checks clean
 * and the page is handed out.
 */
static void
test_alloc_pcp_take_faults(void **state)
{
	struct pcp_fault f;
	struct hvo_zone_info after;
	uint64_t q;

	(void)state;
	pcp_fault_begin(&f);
	assert_int_equal(hvo_alloc_pages(f.m, 0, HVO_GFP_KERNEL, &q), -EFAULT);
	pcp_fault_end(&f);
	assert_int_equal(hvo_alloc_pages(f.m, 0, HVO_GFP_KERNEL, &q), 0);
	assert_int_equal(hvo_machine_zone(f.m, ZONE_NORMAL, &after), 0);
	assert_int_equal(after.pcp_pages, f.before.pcp_pages - 1);
	assert_int_equal(hvo_free_pages(f.m, q, 0), 0);
	assert_int_equal(hvo_free_pages(f.m, f.p, 0), 0);
	tu_assert_check(f.m);
	hvo_machine_free(f.m);
}

/*
 * The same fault in a drain (hvo_drain_pages()): the coldest pcp page's
 * struct page faults on list_del(), so it stays on its list, counted, and
 * is not merged into the buddy lists; with the PMD back the machine
 * checks clean and the drain empties the list.
 */
static void
test_drain_faults(void **state)
{
	struct pcp_fault f;
	struct hvo_zone_info after;

	(void)state;
	pcp_fault_begin(&f);
	assert_int_equal(hvo_drain_pages(f.m), -EFAULT);
	pcp_fault_end(&f);
	assert_int_equal(hvo_drain_pages(f.m), 0);
	assert_int_equal(hvo_machine_zone(f.m, ZONE_NORMAL, &after), 0);
	assert_int_equal(after.pcp_pages, 0);
	assert_int_equal(after.free_pages,
			 f.before.free_pages + f.before.pcp_pages);
	assert_int_equal(hvo_free_pages(f.m, f.p, 0), 0);
	tu_assert_check(f.m);
	hvo_machine_free(f.m);
}

static void
test_pcp(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,deferred=off");
	struct buddy_state before, mid;
	struct hvo_zone_info z;
	uint64_t p[512];

	(void)state;
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_string_equal(z.name, "DMA32");
	/* zone_batchsize(): 1 MiB of 4K pages is 256 -> 64 -> 96 -> 63. */
	assert_int_equal(z.pcp_batch, 63);
	/*
	 * zone_highsize(): the low watermark over the node's one CPU, at
	 * least four batches, is high_min; pcp->high itself stays
	 * BOOT_PAGESET_HIGH (0) until the list is first used (6.7 on).
	 */
	struct tu_wmark w;

	tu_kernel_wmarks(m, 1, &w);
	assert_int_equal(z.pcp_high_min, w.low > 4 * 63 ? w.low : 4 * 63);
	assert_int_equal(z.pcp_high, 0);
	assert_int_equal(z.pcp_pages, 0);
	snapshot(m, &before);

	/* One allocation refills the list with a batch. */
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[0]), 0);
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_int_equal(z.pcp_pages, 62);
	tu_assert_check(m);
	/* Its free parks on the list; the buddy lists do not move. */
	snapshot(m, &mid);
	assert_int_equal(hvo_free_pages(m, p[0], 0), 0);
	assert_same_state(m, &mid);
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_int_equal(z.pcp_pages, 63);
	tu_assert_check(m);

	/* Freeing past high drains a batch. */
	for (unsigned i = 0; i < 400; i++)
		assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &p[i]), 0);
	for (unsigned i = 0; i < 400; i++)
		assert_int_equal(hvo_free_pages(m, p[i], 0), 0);
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_true(z.pcp_pages < z.pcp_high);
	tu_assert_check(m);

	assert_int_equal(hvo_drain_pages(m), 0);
	assert_int_equal(hvo_machine_zone(m, 1, &z), 0);
	assert_int_equal(z.pcp_pages, 0);
	assert_same_state(m, &before);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* free_pages_n()'s accounting, not under test here. */
static void
acct_none(struct hvo_machine *m, uint64_t nr, uint64_t boot)
{
	(void)m;
	(void)nr;
	(void)boot;
}

/* The per-cpu state of @m's zone @z, field by field, as @o's. */
static void
assert_same_pcp(struct hvo_machine *m, struct hvo_machine *o, enum zone_type z)
{
	const struct per_cpu_pages *a = &m->zones[z].pcp, *b = &o->zones[z].pcp;

	assert_int_equal(a->count, b->count);
	assert_int_equal(a->high, b->high);
	assert_int_equal(a->free_count, b->free_count);
	assert_int_equal(a->alloc_factor, b->alloc_factor);
	assert_int_equal(a->free_factor, b->free_factor);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(m->zones[z].below_high, o->zones[z].below_high);
	for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
		assert_int_equal(a->lists[i].nr, b->lists[i].nr);
		assert_int_equal(a->lists[i].next, b->lists[i].next);
		assert_int_equal(a->lists[i].prev, b->lists[i].prev);
	}
}

/* A machine spec and the percpu_pagelist_high_fraction to set (0: none). */
struct twin_spec {
	const char *spec;
	int64_t high_fraction;
};

/* Two machines alike, for one to do a thing one way and one the other. */
static void
twins_new(const struct twin_spec *s, struct hvo_machine *m[2])
{
	for (unsigned t = 0; t < 2; t++) {
		m[t] = tu_machine(s->spec);
		if (s->high_fraction)
			assert_int_equal(hvo_percpu_pagelist_high_fraction_set(m[t],
									       s->high_fraction), 0);
	}
}

static void
twins_free(struct hvo_machine *m[2])
{
	for (unsigned t = 0; t < 2; t++) {
		tu_assert_check(m[t]);
		hvo_machine_free(m[t]);
	}
}

/*
 * free_pages_n() holds back the pcp commits of frees that find the lists
 * below high and applies their sum once (pcp_defer_flush()): the machine
 * must end as free_unref_page_commit() (6.12; 6.1's rules for
 * kernel=6.1) leaves it one free at a time, in runs that stay below
 * high, that cross it and drain, between allocations that move
 * alloc_factor and free_count, and in a zone below its high watermark,
 * where every free moves high.
 */
static void
test_free_pages_n_pcp(void **state)
{
	/*
	 * With percpu_pagelist_high_fraction set, high_min = high_max: high
	 * no longer rises to hold a run, and long runs drain.
	 */
	static const struct twin_spec specs[] = {
		{ "x86_64:mem=1G,deferred=off", 0 },
		{ "x86_64:mem=1G,deferred=off", 1000 },
		{ "x86_64:mem=1G,deferred=off,kernel=6.1", 0 },
	};
	static const unsigned runs[] = { 8, 40, 8, 300, 7, 1, 500, 8, 64 };

	(void)state;
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		struct hvo_machine *m[2];
		struct buddy_state sa, sb;
		pfn_t p[2][512], big;
		bool below = false;
		unsigned types = 0;

		twins_new(&specs[k], m);

		for (unsigned pass = 0; pass < 2; pass++) {
			if (pass) {
				/*
				 * Allocations to just below the high
				 * watermark: the next one marks the zone
				 * ZONE_BELOW_HIGH (6.7 on). Runs of up to 200
				 * stay above min.
				 */
				for (unsigned t = 0; t < 2; t++) {
					struct zone *zone = &m[t]->zones[ZONE_DMA32];
					uint64_t high = wmark_pages(zone, WMARK_HIGH);

					while (zone_nr_free_pages(zone) >= high)
						assert_int_equal(alloc_pages(m[t],
									     zone_nr_free_pages(zone) >= high + 1024 ? 9 : 0,
									     ZONE_DMA32,
									     HVO_PAGES_ALLOCATED, &big), 0);
				}
			}
			for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
				unsigned n = pass ? (unsigned)min64(runs[r], 200) : runs[r];

				for (unsigned t = 0; t < 2; t++)
					for (unsigned i = 0; i < n; i++)
						assert_int_equal(alloc_pages_gfp(m[t], 0, ZONE_DMA32,
										 i % 3 ? GFP_KERNEL :
										 GFP_HIGHUSER_MOVABLE,
										 HVO_PAGES_ALLOCATED,
										 &p[t][i]), 0);
				assert_memory_equal(p[0], p[1], n * sizeof(pfn_t));
				for (unsigned i = 0; i < n; i++)
					types |= 1u << get_pfnblock_migratetype(m[0], p[0][i]);
				below |= m[0]->zones[ZONE_DMA32].below_high;
				/* In eights, as free_vmemmap_page_list() frees. */
				for (unsigned i = 0; i < n; i += 8)
					assert_int_equal(free_pages_n(m[0], &p[0][i],
								      min64(8, n - i),
								      acct_none), 0);
				for (unsigned i = 0; i < n; i += 8)
					for (unsigned j = (unsigned)min64(i + 8, n); j-- > i;)
						assert_int_equal(free_page(m[1], p[1][j]), 0);
				assert_same_pcp(m[0], m[1], ZONE_DMA32);
				snapshot(m[0], &sa);
				snapshot(m[1], &sb);
				assert_memory_equal(&sa, &sb, sizeof(sa));
			}
		}
		/* 6.1 has no ZONE_BELOW_HIGH. */
		assert_int_equal(below, !strstr(specs[k].spec, "6.1"));
		/* Batches mixed pages of unmovable and movable pageblocks. */
		assert_true(types & (1u << MIGRATE_UNMOVABLE));
		assert_true(types & (1u << MIGRATE_MOVABLE));
		/* High below the runs of 300 and 500: they drained mid-batch. */
		if (specs[k].high_fraction)
			assert_true(m[0]->zones[ZONE_DMA32].pcp.high < 300);
		twins_free(m);
	}
}

/* Every counter of @m as @o's, and the events of /proc/vmstat. */
static void
assert_same_counters(struct hvo_machine *m, struct hvo_machine *o)
{
	for (size_t i = 0; i < hvo_counter_count(); i++)
		assert_int_equal(hvo_machine_counter(m, i),
				 hvo_machine_counter(o, i));
	assert_memory_equal(m->vm_events, o->vm_events, sizeof(m->vm_events));
	for (unsigned z = 0; z < MAX_NR_ZONES; z++)
		assert_memory_equal(m->zones[z].vm_numa_event,
				    o->zones[z].vm_numa_event,
				    sizeof(m->zones[z].vm_numa_event));
}

/*
 * The order-0 fast path (pcp_list_ready(), alloc_pages_n()'s loop) takes
 * the page get_page_from_freelist()'s zonelist walk would: twin machines,
 * the second with fail_page_alloc armed for a call it never reaches, so
 * that every allocation takes the walk (should_fail_alloc_page() comes
 * first). Normal is filled between passes: to just above its high
 * watermark, so that refills in the middle of a batch take it below
 * (6.7 on the fast path then marks it, as the walk does); to above low;
 * below low, so that the walk passes it by and takes from DMA32's
 * lists. 6.1 has no high mark, and an allocation there scales
 * free_factor back (grown by the drains of the frees), not free_count.
 */
static void
test_alloc_pcp_fast_path(void **state)
{
	/* A high fraction keeps high low: the long runs' frees drain. */
	static const struct twin_spec specs[] = {
		{ "x86_64:mem=8G,deferred=off", 0 },
		{ "x86_64:mem=8G,deferred=off", 1000 },
		{ "x86_64:mem=8G,deferred=off,kernel=6.1", 1000 },
	};
	static const unsigned runs[] = { 7, 1, 64, 300, 7, 8, 500, 3 };

	(void)state;
	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		struct hvo_machine *m[2];
		static pfn_t p[2][512];
		struct buddy_state sa, sb;
		unsigned zones = 0;
		uint64_t factor = 0;
		pfn_t big;

		twins_new(&specs[k], m);
		assert_int_equal(hvo_fail_page_alloc(m[1], UINT64_MAX, false), 0);
		for (unsigned pass = 0; pass < 4; pass++) {
			for (unsigned t = 0; pass && t < 2; t++) {
				struct zone *zone = &m[t]->zones[ZONE_NORMAL];
				uint64_t to = pass == 1 ? wmark_pages(zone, WMARK_HIGH) + 64 :
					      pass == 2 ? wmark_pages(zone, WMARK_LOW) + 4096 :
					      wmark_pages(zone, WMARK_LOW);

				while (zone_nr_free_pages(zone) > to &&
				       alloc_pages(m[t],
						   zone_nr_free_pages(zone) > to + 1024 ? 9 : 0,
						   ZONE_NORMAL, HVO_PAGES_ALLOCATED,
						   &big) == 0 &&
				       pfn_zone(m[t], big) == ZONE_NORMAL)
					;
			}
			for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
				unsigned n = runs[r];
				uint64_t done[2];

				for (unsigned t = 0; t < 2; t++) {
					if (r % 2) {
						assert_int_equal(alloc_pages_n(m[t], ZONE_NORMAL,
									       HVO_PAGES_VMEMMAP, n,
									       p[t], &done[t]), 0);
						assert_int_equal(done[t], n);
					} else {
						for (unsigned i = 0; i < n; i++)
							assert_int_equal(alloc_pages(m[t], 0, ZONE_NORMAL,
										     HVO_PAGES_VMEMMAP,
										     &p[t][i]), 0);
					}
				}
				assert_memory_equal(p[0], p[1], n * sizeof(pfn_t));
				for (unsigned i = 0; i < n; i++)
					zones |= 1u << pfn_zone(m[0], p[0][i]);
				assert_same_counters(m[0], m[1]);
				assert_same_pcp(m[0], m[1], ZONE_NORMAL);
				assert_same_pcp(m[0], m[1], ZONE_DMA32);
				/*
				 * Half go back, the rest stay for the next
				 * pass; the long runs all, draining.
				 */
				for (unsigned t = 0; t < 2; t++)
					for (unsigned i = 0; i < n; i += n >= 300 ? 1 : 2)
						assert_int_equal(free_page(m[t], p[t][i]), 0);
				assert_same_pcp(m[0], m[1], ZONE_NORMAL);
				assert_same_pcp(m[0], m[1], ZONE_DMA32);
				snapshot(m[0], &sa);
				snapshot(m[1], &sb);
				assert_memory_equal(&sa, &sb, sizeof(sa));
				factor |= m[0]->zones[ZONE_NORMAL].pcp.free_factor;
			}
		}
		/* Pages from both zones: the walk passed Normal by. */
		assert_true(zones & (1u << ZONE_NORMAL));
		assert_true(zones & (1u << ZONE_DMA32));
		assert_int_equal(m[0]->zones[ZONE_NORMAL].below_high,
				 !strstr(specs[k].spec, "6.1"));
		/* 6.1's drains grew free_factor for allocations to halve. */
		if (strstr(specs[k].spec, "6.1"))
			assert_true(factor != 0);
		/*
		 * should_fail_alloc_page() comes before the walk and the
		 * lists: armed, it fails a page DMA32's list holds.
		 */
		{
			const struct free_list *l = &m[0]->zones[ZONE_DMA32].pcp.lists[
				order_to_pindex(m[0], MIGRATE_UNMOVABLE, 0)];

			assert_true(l->nr > 0);
			assert_int_equal(hvo_fail_page_alloc(m[0], 1, false), 0);
			assert_int_equal(alloc_pages(m[0], 0, ZONE_NORMAL,
						     HVO_PAGES_VMEMMAP, &big), -ENOMEM);
			assert_int_equal(hvo_machine_counter(m[0], CNT_FAULT_INJECTED), 1);
			assert_int_equal(alloc_pages(m[0], 0, ZONE_NORMAL,
						     HVO_PAGES_VMEMMAP, &big), 0);
			assert_int_equal(free_page(m[0], big), 0);
		}
		assert_int_equal(hvo_machine_counter(m[1], CNT_FAULT_INJECTED), 0);
		twins_free(m);
	}
}

/*
 * A struct page store that faults is what the kernel oopses on. Here it is
 * a sticky fault: the operation stops before host state takes in anything
 * it read, reports the fault's own reason at its edge, and the next
 * operation starts clean (split_page() of a block whose struct pages were
 * made read-only under it).
 */
static void
test_struct_page_fault_is_sticky(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);
	uint64_t pfn, faults;
	page_t tail;

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 1, HVO_GFP_KERNEL, &pfn), 0);
	tail = pfn_to_page(m, pfn + 1);
	faults = tu_counter(m, "fault.write_protect");
	assert_int_equal(pt_protect(m, tail, m->arch.page_kernel_ro), 0);
	flush_tlb_all(m);

	assert_int_equal(hvo_split_page(m, pfn, 1), -EFAULT);
	assert_non_null(strstr(hvo_machine_error(m), "fault at va"));
	assert_true(tu_counter(m, "fault.write_protect") > faults);
	assert_false(machine_oopsed(m));

	/* The next failure has its own reason: nothing is held any more. */
	assert_int_equal(hvo_free_pages(m, pfn + 1, 0), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not the start of an allocation"));

	assert_int_equal(pt_protect(m, tail, m->arch.page_kernel), 0);
	flush_tlb_all(m);
	assert_int_equal(hvo_free_pages(m, pfn, 1), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* machine_err_wrap() puts a reason in context; a held reason stays. */
static void
test_error_reason_kept_in_one_place(void **state)
{
	struct hvo_machine *m = tu_machine(TINY);

	(void)state;
	assert_int_equal(machine_err(m, -ENOMEM, "first"), -ENOMEM);
	machine_err_hold(m);
	assert_int_equal(machine_err(m, -EINVAL, "second"), -EINVAL);
	machine_err_release(m);
	assert_string_equal(hvo_machine_error(m), "first");
	assert_int_equal(machine_err_wrap(m, -EIO, "while doing %s", "it"), -EIO);
	assert_string_equal(hvo_machine_error(m), "while doing it: first");
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_page_fault_is_sticky),
		cmocka_unit_test(test_error_reason_kept_in_one_place),
		cmocka_unit_test(test_alloc_free_restores),
		cmocka_unit_test(test_expand_leaves_halves),
		cmocka_unit_test(test_merge_order),
		cmocka_unit_test(test_bad_frees_change_nothing),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_contig),
		cmocka_unit_test(test_orders_and_pfns_past_64_bits),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_deferred_grow),
		cmocka_unit_test(test_deferred_init_reads_no_pageblock),
		cmocka_unit_test(test_host_release),
		cmocka_unit_test(test_pcp),
		cmocka_unit_test(test_alloc_oopsed),
		cmocka_unit_test(test_alloc_pcp_take_faults),
		cmocka_unit_test(test_drain_faults),
		cmocka_unit_test(test_free_pages_n_pcp),
		cmocka_unit_test(test_alloc_pcp_fast_path),
		cmocka_unit_test(test_kernel_pages_refused),
	};

	return tu_run("buddy", tests, sizeof(tests) / sizeof(tests[0]));
}
