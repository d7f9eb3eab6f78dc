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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_merges),
		cmocka_unit_test(test_alloc_top_down),
		cmocka_unit_test(test_alloc_skips_reserved_and_holes),
		cmocka_unit_test(test_free_splits),
		cmocka_unit_test(test_for_each_free),
	};

	return tu_run("memblock", tests, sizeof(tests) / sizeof(tests[0]));
}
