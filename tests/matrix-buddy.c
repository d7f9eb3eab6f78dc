/* SPDX-License-Identifier: MIT */
/*
 * The boot and the buddy allocator over every preset and struct page size:
 * seeded random sequences of allocations and frees of mixed orders, with
 * the checker and the accounting after each sequence.
 */
#include "testutil.h"

static const unsigned struct_page_sizes[] = { 56, 64, 72, 80, 128 };

/* A small xorshift: the same seed gives the same sequence everywhere. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct held {
	uint64_t pfn;
	unsigned order;
};

static uint64_t
free_pages_of(struct hvo_machine *m)
{
	uint64_t f;

	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &f), 0);
	return f;
}

static void
assert_accounting(struct hvo_machine *m)
{
	uint64_t sum = 0, v;

	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++) {
		assert_int_equal(hvo_machine_pages(m, (enum hvo_page_category)c, &v), 0);
		sum += v;
	}
	assert_int_equal(sum, hvo_machine_total_pages(m));
}

/* One sequence: returns after everything held was freed again. */
static void
run_sequence(struct hvo_machine *m, uint64_t seed, unsigned steps)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_geometry g;
	struct held *h = calloc(steps, sizeof(*h));
	size_t n = 0;
	uint64_t s = seed, free0 = free_pages_of(m), held_pages = 0;

	assert_non_null(h);
	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	(void)cfg;
	for (unsigned i = 0; i < steps; i++) {
		bool do_free = n && (rnd(&s) % 3 == 0);

		if (do_free) {
			size_t k = rnd(&s) % n;

			assert_int_equal(hvo_free_pages(m, h[k].pfn, h[k].order), 0);
			held_pages -= UINT64_C(1) << h[k].order;
			h[k] = h[--n];
		} else {
			/* Mostly small orders, sometimes up to MAX_PAGE_ORDER. */
			unsigned order = (unsigned)(rnd(&s) % 4 == 0 ?
				rnd(&s) % (g.max_page_order + 1) : rnd(&s) % 3);
			uint64_t pfn;
			int rc = hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &pfn);

			if (rc == -ENOMEM)
				continue; /* the tiny geometries run out: fine */
			assert_int_equal(rc, 0);
			assert_int_equal(pfn & ((UINT64_C(1) << order) - 1), 0);
			h[n].pfn = pfn;
			h[n++].order = order;
			held_pages += UINT64_C(1) << order;
		}
	}
	assert_accounting(m);
	tu_assert_check(m);
	assert_int_equal(free0 - free_pages_of(m), held_pages);
	while (n--)
		assert_int_equal(hvo_free_pages(m, h[n].pfn, h[n].order), 0);
	assert_int_equal(free_pages_of(m), free0);
	tu_assert_check(m);
	free(h);
}

static void
test_random_sequences(void **state)
{
	size_t p = tu_preset_of(state);

	for (size_t i = 0; i < sizeof(struct_page_sizes) / sizeof(struct_page_sizes[0]); i++) {
		char extra[128];
		struct hvo_machine *m;

		snprintf(extra, sizeof(extra), "mem=256M,struct_page=%u,deferred=%s",
			 struct_page_sizes[i], i % 2 ? "on" : "off");
		m = tu_preset_machine(p, extra);
		assert_accounting(m);
		tu_assert_check(m);
		run_sequence(m, 0x9e3779b97f4a7c15ULL ^ (p << 8) ^ i, 600);
		hvo_machine_free(m);
	}
}

/*
 * 64M: small enough to drain down to the watermarks, at every order.
 * Each populated zone is reached by a gfp whose highest zone it is and
 * gives pages until it is at its min watermark (__zone_watermark_ok()).
 */
static void
test_tiny_exhaustion(void **state)
{
	size_t p = tu_preset_of(state);
	struct hvo_machine *m = tu_preset_machine(p, "mem=64M,deferred=off");
	struct hvo_geometry g;
	uint64_t free0 = free_pages_of(m), got = 0, *pfns;
	size_t n = 0;

	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	pfns = calloc(free0 + 1, sizeof(*pfns));
	assert_non_null(pfns);
	/* Largest blocks first, then smaller ones until nothing is left. */
	for (int order = (int)g.max_page_order; order >= 0; order--) {
		uint64_t pfn;

		for (unsigned gfp = 0; gfp < 3; gfp++)
			while (hvo_alloc_pages(m, (unsigned)order, (enum hvo_gfp)gfp, &pfn) == 0) {
				pfns[n++] = pfn | ((uint64_t)order << 56);
				got += UINT64_C(1) << order;
			}
	}
	assert_int_equal(got, free0 - tu_kernel_min_total(m));
	assert_int_equal(free_pages_of(m), tu_kernel_min_total(m));
	tu_assert_check(m);
	while (n--)
		assert_int_equal(hvo_free_pages(m, pfns[n] & ((UINT64_C(1) << 56) - 1),
						(unsigned)(pfns[n] >> 56)), 0);
	assert_int_equal(free_pages_of(m), free0);
	tu_assert_check(m);
	free(pfns);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct tu_matrix_test tests[] = {
		{ "random_sequences", test_random_sequences },
		{ "tiny_exhaustion", test_tiny_exhaustion },
	};

	return tu_run_matrix("buddy-matrix", tests, sizeof(tests) / sizeof(tests[0]));
}
