/* SPDX-License-Identifier: MIT */
/* memblock by hand-computed examples. */
#include "testutil.h"
#include "phys/memblock.h"

#define MB(x) ((uint64_t)(x) << 20)

static void
test_add_merges(void **state)
{
	struct memblock mb;

	(void)state;
	memblock_init(&mb);
	assert_int_equal(memblock_add(&mb, MB(0), MB(4)), 0);
	assert_int_equal(memblock_add(&mb, MB(8), MB(4)), 0);
	assert_int_equal(mb.memory.cnt, 2);
	/* Filling the hole joins all three. */
	assert_int_equal(memblock_add(&mb, MB(4), MB(4)), 0);
	assert_int_equal(mb.memory.cnt, 1);
	assert_int_equal(mb.memory.regions[0].size, MB(12));
	memblock_fini(&mb);
}

static void
test_alloc_top_down(void **state)
{
	struct memblock mb;
	uint64_t pa;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(16));
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 4096, 0, &pa), 0);
	assert_int_equal(pa, MB(16) - 4096);
	assert_int_equal(memblock_phys_alloc(&mb, MB(2), MB(2), 0, &pa), 0);
	/* The highest 2M-aligned fit below the page just taken. */
	assert_int_equal(pa, MB(12));
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 4096, 0, &pa), 0);
	assert_int_equal(pa, MB(16) - 8192);
	/* A limit keeps the allocation low. */
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 4096, MB(1), &pa), 0);
	assert_int_equal(pa, MB(1) - 4096);
	assert_int_equal(memblock_reserved_size(&mb), MB(2) + 3 * 4096);
	memblock_fini(&mb);
}

static void
test_alloc_skips_reserved_and_holes(void **state)
{
	struct memblock mb;
	uint64_t pa;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(4));
	memblock_add(&mb, MB(8), MB(1));
	memblock_reserve(&mb, MB(8), MB(1));
	/* The high range is full: fall to the low one. */
	assert_int_equal(memblock_phys_alloc(&mb, MB(1), MB(1), 0, &pa), 0);
	assert_int_equal(pa, MB(3));
	/* Nothing of 4M is left anywhere. */
	assert_int_equal(memblock_phys_alloc(&mb, MB(4), 4096, 0, &pa), -ENOMEM);
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 3, 0, &pa), -EINVAL);
	memblock_fini(&mb);
}

static void
test_free_splits(void **state)
{
	struct memblock mb;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(16));
	memblock_reserve(&mb, MB(0), MB(16));
	assert_int_equal(memblock_phys_free(&mb, MB(4), MB(4)), 0);
	assert_int_equal(mb.reserved.cnt, 2);
	assert_int_equal(memblock_is_reserved(&mb, MB(4), MB(4)), 0);
	assert_int_equal(memblock_is_reserved(&mb, MB(3), MB(2)), 1);
	assert_int_equal(memblock_reserved_size(&mb), MB(12));
	memblock_fini(&mb);
}

static int
sum_free(void *ctx, uint64_t base, uint64_t size)
{
	uint64_t *sum = ctx;

	(void)base;
	*sum += size;
	return 0;
}

static void
test_for_each_free(void **state)
{
	struct memblock mb;
	uint64_t sum = 0;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(8));
	memblock_add(&mb, MB(16), MB(8));
	memblock_reserve(&mb, MB(2), MB(1));
	memblock_reserve(&mb, MB(7), MB(10)); /* spans the hole */
	memblock_for_each_free(&mb, sum_free, &sum);
	assert_int_equal(sum, MB(16) - MB(1) - MB(1) - MB(1));
	memblock_fini(&mb);
}

/* An empty region changes nothing; one that overlaps two joins them. */
static void
test_add_empty_and_overlapping(void **state)
{
	struct memblock mb;

	(void)state;
	memblock_init(&mb);
	assert_int_equal(memblock_add(&mb, MB(4), 0), 0);
	assert_int_equal(mb.memory.cnt, 0);
	assert_int_equal(memblock_phys_mem_size(&mb), 0);
	assert_int_equal(memblock_add(&mb, MB(0), MB(2)), 0);
	assert_int_equal(memblock_add(&mb, MB(4), MB(2)), 0);
	assert_int_equal(memblock_add(&mb, MB(8), MB(2)), 0);
	assert_int_equal(memblock_add(&mb, MB(4), 0), 0);
	assert_int_equal(mb.memory.cnt, 3);
	assert_int_equal(memblock_phys_mem_size(&mb), MB(6));
	/* [1M, 5M) overlaps the first two, not the third. */
	assert_int_equal(memblock_add(&mb, MB(1), MB(4)), 0);
	assert_int_equal(mb.memory.cnt, 2);
	assert_int_equal(mb.memory.regions[0].base, MB(0));
	assert_int_equal(mb.memory.regions[0].size, MB(6));
	assert_int_equal(mb.memory.regions[1].base, MB(8));
	assert_int_equal(memblock_phys_mem_size(&mb), MB(8));
	memblock_fini(&mb);
}

/*
 * Freeing trims the region it covers the end of, the one it covers the
 * start of, and drops those it covers whole.
 */
static void
test_free_trims_and_drops(void **state)
{
	struct memblock mb;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(16));
	memblock_reserve(&mb, MB(0), MB(2));
	memblock_reserve(&mb, MB(4), MB(2));
	memblock_reserve(&mb, MB(8), MB(2));
	assert_int_equal(mb.reserved.cnt, 3);
	/* The end of the first, all of the second, the start of the third. */
	assert_int_equal(memblock_phys_free(&mb, MB(1), MB(8)), 0);
	assert_int_equal(mb.reserved.cnt, 2);
	assert_int_equal(mb.reserved.regions[0].base, MB(0));
	assert_int_equal(mb.reserved.regions[0].size, MB(1));
	assert_int_equal(mb.reserved.regions[1].base, MB(9));
	assert_int_equal(mb.reserved.regions[1].size, MB(1));
	assert_int_equal(memblock_is_reserved(&mb, MB(4), MB(2)), 0);
	assert_int_equal(memblock_reserved_size(&mb), MB(2));
	/* Past the end of the last, and nothing reserved there. */
	assert_int_equal(memblock_phys_free(&mb, MB(9) + MB(1) / 2, MB(8)), 0);
	assert_int_equal(mb.reserved.cnt, 2);
	assert_int_equal(mb.reserved.regions[1].size, MB(1) / 2);
	assert_int_equal(memblock_phys_free(&mb, MB(12), MB(1)), 0);
	assert_int_equal(memblock_reserved_size(&mb), MB(1) + MB(1) / 2);
	/* Everything. */
	assert_int_equal(memblock_phys_free(&mb, 0, MB(16)), 0);
	assert_int_equal(mb.reserved.cnt, 0);
	assert_int_equal(memblock_reserved_size(&mb), 0);
	memblock_fini(&mb);
}

/*
 * A limit below a memory region skips it; a reserved region across the
 * limit lowers the top of the search to its base.
 */
static void
test_alloc_limit(void **state)
{
	struct memblock mb;
	uint64_t pa;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(4));
	memblock_add(&mb, MB(8), MB(8));
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 4096, MB(6), &pa), 0);
	assert_int_equal(pa, MB(4) - 4096);
	/* Nothing below 8M fits 4M, and the limit keeps [8M, 16M) out. */
	assert_int_equal(memblock_phys_alloc(&mb, MB(4), 4096, MB(8), &pa),
			 -ENOMEM);
	memblock_reserve(&mb, MB(10), MB(4));
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 4096, MB(12), &pa), 0);
	assert_int_equal(pa, MB(10) - 4096);
	assert_int_equal(memblock_reserved_size(&mb), MB(4) + 2 * 4096);
	memblock_fini(&mb);
}

struct visit {
	unsigned calls, stop_at;
	uint64_t last_base;
};

static int
visit_free(void *ctx, uint64_t base, uint64_t size)
{
	struct visit *v = ctx;

	(void)size;
	v->last_base = base;
	return ++v->calls == v->stop_at ? -EINTR : 0;
}

/* The callback's error ends the walk and is its result. */
static void
test_for_each_free_stops(void **state)
{
	struct memblock mb;
	struct visit v = { 0, 0, 0 };

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(16));
	memblock_reserve(&mb, MB(2), MB(2));
	memblock_reserve(&mb, MB(8), MB(2));
	assert_int_equal(memblock_for_each_free(&mb, visit_free, &v), 0);
	assert_int_equal(v.calls, 3);
	assert_int_equal(v.last_base, MB(10));

	v = (struct visit){ 0, 2, 0 };
	assert_int_equal(memblock_for_each_free(&mb, visit_free, &v), -EINTR);
	assert_int_equal(v.calls, 2);
	assert_int_equal(v.last_base, MB(4));
	memblock_fini(&mb);
}

/* Two memblocks alike: the same regions, both lists. */
static void
assert_same(const struct memblock *a, const struct memblock *b)
{
	assert_int_equal(a->memory.cnt, b->memory.cnt);
	assert_int_equal(a->reserved.cnt, b->reserved.cnt);
	assert_memory_equal(a->memory.regions, b->memory.regions,
			    a->memory.cnt * sizeof(*a->memory.regions));
	assert_memory_equal(a->reserved.regions, b->reserved.regions,
			    a->reserved.cnt * sizeof(*a->reserved.regions));
}

/*
 * memblock_phys_alloc_down() of up to @n pages on @run, and as many
 * memblock_phys_alloc() of one page on @one: the same pages, falling from
 * *@pa, and the same tables after. Returns how many.
 */
static uint64_t
alloc_down_as_singles(struct memblock *one, struct memblock *run, uint64_t n,
		      uint64_t *pa)
{
	uint64_t got = memblock_phys_alloc_down(run, 4096, n, pa), pb;

	for (uint64_t k = 0; k < got; k++) {
		assert_int_equal(memblock_phys_alloc(one, 4096, 4096, 0, &pb), 0);
		assert_int_equal(pb, *pa - k * 4096);
	}
	assert_same(one, run);
	return got;
}

/*
 * memblock_phys_alloc_down() makes what that many memblock_phys_alloc()
 * calls of one page would, as sparse_init() makes them for a vmemmap
 * mapped page by page: each just below the one before, until the free
 * range ends (a reserved region, the memory region's base); then the
 * caller goes on, and the next call starts over at the next free range.
 */
static void
test_alloc_down_as_single_allocs(void **state)
{
	struct memblock one, run;
	uint64_t pa, pb, got;

	(void)state;
	memblock_init(&one);
	memblock_init(&run);
	for (struct memblock *mb = &one; mb; mb = mb == &one ? &run : NULL) {
		memblock_add(mb, MB(0), MB(4));
		memblock_add(mb, MB(8), MB(8));
		memblock_reserve(mb, MB(15), MB(1) - 8192);
		memblock_reserve(mb, MB(12), 4096 * 3);
	}
	/* Above [15M, 16M - 8K): two pages free, then it is in the way. */
	got = alloc_down_as_singles(&one, &run, 100, &pa);
	assert_int_equal(got, 2);
	assert_int_equal(pa, MB(16) - 4096);
	/* Below 15M down to the reserved pages at 12M: 765 pages. */
	got = alloc_down_as_singles(&one, &run, 10000, &pa);
	assert_int_equal(got, (MB(3) - 3 * 4096) / 4096);
	assert_int_equal(pa, MB(15) - 4096);
	/* Fewer than fit: exactly that many. */
	got = memblock_phys_alloc_down(&run, 4096, 10, &pa);
	assert_int_equal(got, 10);
	for (uint64_t k = 0; k < got; k++)
		assert_int_equal(memblock_phys_alloc(&one, 4096, 4096, 0, &pb), 0);
	assert_int_equal(pb, pa - 9 * 4096);
	assert_same(&one, &run);
	/* Down to the base of the lower memory region, then nothing. */
	got = memblock_phys_alloc_down(&run, 4096, UINT64_MAX, &pa);
	while (memblock_phys_alloc(&one, 4096, 4096, 0, &pb) == 0 && pb >= MB(8))
		;
	assert_int_equal(pa - (got - 1) * 4096, MB(8));
	got = memblock_phys_alloc_down(&run, 4096, UINT64_MAX, &pa);
	assert_int_equal(pa, MB(4) - 4096);
	assert_int_equal(got, MB(4) / 4096);
	while (memblock_phys_alloc(&one, 4096, 4096, 0, &pb) == 0)
		;
	assert_same(&one, &run);
	assert_int_equal(memblock_phys_alloc_down(&run, 4096, 1, &pa), 0);
	assert_int_equal(memblock_phys_alloc_down(&run, 4096, 0, &pa), 0);
	memblock_fini(&one);
	memblock_fini(&run);
}

/*
 * memblock_phys_alloc_down() when the first page lands just above a
 * reserved region: memblock_reserve() merges it into that region
 * (memblock_merge_regions()), so there is no room below it and it hands
 * out that one page, as memblock_phys_alloc() would; the next call starts
 * below the reserved region. RAM that starts above 0 is the floor.
 */
static void
test_alloc_down_above_reserved(void **state)
{
	struct memblock one, run;
	uint64_t pa, got;

	(void)state;
	memblock_init(&one);
	memblock_init(&run);
	for (struct memblock *mb = &one; mb; mb = mb == &one ? &run : NULL) {
		memblock_add(mb, MB(2), MB(4));
		memblock_reserve(mb, MB(3), MB(3) - 4096);
	}
	got = alloc_down_as_singles(&one, &run, 50, &pa);
	assert_int_equal(got, 1);
	assert_int_equal(pa, MB(6) - 4096);
	assert_int_equal(run.reserved.cnt, 1);
	/* Below it: [2M, 3M), 256 pages, down to the base of RAM. */
	got = alloc_down_as_singles(&one, &run, 1000, &pa);
	assert_int_equal(got, 256);
	assert_int_equal(pa, MB(3) - 4096);
	assert_int_equal(memblock_phys_alloc_down(&run, 4096, 1, &pa), 0);
	memblock_fini(&one);
	memblock_fini(&run);
}

/*
 * The edges of the region tables: an allocation of nothing or at no
 * alignment is refused (memblock_alloc_range_nid() warns and returns
 * NULL); a free that splits a region of a full table grows it
 * (memblock_double_array()); a question about addresses above every
 * reserved region; a reserved region past the memory region being walked.
 */
static void
test_region_edges(void **state)
{
	struct memblock mb;
	uint64_t pa, sum = 0;
	bool reserved = true;
	size_t cnt;

	(void)state;
	memblock_init(&mb);
	memblock_add(&mb, MB(0), MB(64));
	memblock_add(&mb, MB(128), MB(64));
	assert_int_equal(memblock_phys_alloc(&mb, 0, 4096, 0, &pa), -EINVAL);
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 0, 0, &pa), -EINVAL);
	assert_int_equal(memblock_phys_alloc(&mb, 4096, 3, 0, &pa), -EINVAL);

	/* Reserved regions apart until the table is full. */
	assert_int_equal(memblock_reserve(&mb, MB(0), MB(1)), 0);
	for (uint64_t i = 1; mb.reserved.cnt < mb.reserved.max; i++)
		assert_int_equal(memblock_reserve(&mb, MB(2 * i), MB(1)), 0);
	assert_true(mb.reserved.cnt >= 2 && mb.reserved.cnt < 32);
	cnt = mb.reserved.cnt;
	assert_int_equal(memblock_phys_free(&mb, MB(2) + 4096, 4096), 0);
	assert_int_equal(mb.reserved.cnt, cnt + 1);
	assert_true(mb.reserved.max > cnt);
	assert_int_equal(mb.reserved.regions[1].base, MB(2));
	assert_int_equal(mb.reserved.regions[1].size, 4096);
	assert_int_equal(mb.reserved.regions[2].base, MB(2) + 8192);
	assert_int_equal(memblock_reserved_size(&mb), cnt * MB(1) - 4096);

	/* Above every reserved region: free up to the limit. */
	assert_false(memblock_is_reserved(&mb, MB(100), 4096));
	assert_int_equal(memblock_reserved_run(&mb, MB(100), MB(110), &reserved),
			 MB(110));
	assert_false(reserved);

	/* A reserved region in the upper memory region only. */
	memblock_reserve(&mb, MB(130), MB(2));
	assert_int_equal(memblock_for_each_free(&mb, sum_free, &sum), 0);
	assert_int_equal(sum, MB(128) - memblock_reserved_size(&mb));
	memblock_fini(&mb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges),
		cmocka_unit_test(test_alloc_top_down),
		cmocka_unit_test(test_alloc_skips_reserved_and_holes),
		cmocka_unit_test(test_free_splits),
		cmocka_unit_test(test_for_each_free),
		cmocka_unit_test(test_add_empty_and_overlapping),
		cmocka_unit_test(test_free_trims_and_drops),
		cmocka_unit_test(test_alloc_limit),
		cmocka_unit_test(test_for_each_free_stops),
		cmocka_unit_test(test_alloc_down_as_single_allocs),
		cmocka_unit_test(test_alloc_down_above_reserved),
		cmocka_unit_test(test_region_edges),
	};

	return tu_run("memblock", tests, sizeof(tests) / sizeof(tests[0]));
}
