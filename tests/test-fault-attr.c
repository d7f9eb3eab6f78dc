/* SPDX-License-Identifier: MIT */
/*
 * fail_page_alloc as the kernel's: should_fail_ex() (lib/fault-inject.c)
 * with its probability, interval, times and space, and
 * should_fail_alloc_page() (mm/fail_page_alloc.c) with min-order and the
 * ignore-gfp-wait and ignore-gfp-highmem filters, through
 * hvo_fail_page_alloc_set(). Each test names the rule it follows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CALLS 12

static char log_buf[HVO_DMESG_MAX + 1];

/*
 * An attr that fails every call it reaches: probability 100, no limit,
 * order 0 allocations counted, none ignored for sleeping, quiet.
 */
static struct hvo_fault_attr
always(struct hvo_machine *m)
{
	struct hvo_fault_attr a;

	assert_int_equal(hvo_fail_page_alloc_get(m, &a), 0);
	a.probability = 100;
	a.times = -1;
	a.min_order = 0;
	a.ignore_gfp_wait = false;
	a.verbose = 0;
	return a;
}

/*
 * @calls allocations of @order; a string of the outcomes ('x' failed,
 * '.' allocated), all freed after.
 */
static void
outcomes(struct hvo_machine *m, unsigned order, unsigned calls, char *out)
{
	uint64_t pfn[64];

	assert_true(calls < N(pfn));
	for (unsigned i = 0; i < calls; i++) {
		int rc = hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &pfn[i]);

		assert_true(rc == 0 || rc == -ENOMEM);
		out[i] = rc ? 'x' : '.';
		if (rc)
			pfn[i] = UINT64_MAX;
	}
	out[calls] = '\0';
	for (unsigned i = 0; i < calls; i++)
		if (pfn[i] != UINT64_MAX)
			assert_int_equal(hvo_free_pages(m, pfn[i], order), 0);
}

/* should_fail_ex(): with interval > 1 only every interval-th call may fail. */
static void
test_should_fail_ex_interval(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	a.interval = 3;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, CALLS, got);
	assert_string_equal(got, "..x..x..x..x");
	/* Off again: probability 0 fails nothing. */
	a.probability = 0;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, CALLS, got);
	assert_string_equal(got, "............");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* should_fail_ex(): times counts failures down; at 0 nothing fails. */
static void
test_should_fail_ex_times(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	a.times = 2;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, 5, got);
	assert_string_equal(got, "xx...");
	assert_int_equal(hvo_fail_page_alloc_get(m, &a), 0);
	assert_int_equal(a.times, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * should_fail_ex(): while space is larger than a call's size (2^order
 * pages here), the call spends it and passes.
 */
static void
test_should_fail_ex_space(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	a.space = 3;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	/* 3 > 1 passes (2 left), 2 > 1 passes (1 left), 1 > 1 is not. */
	outcomes(m, 0, 4, got);
	assert_string_equal(got, "..xx");
	a.space = 5;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	/* Order 1 spends 2 a call: 5 > 2, 3 > 2, then 1 is not. */
	outcomes(m, 1, 3, got);
	assert_string_equal(got, "..x");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * should_fail_alloc_page(): below min-order nothing fails, and with
 * ignore-gfp-wait (the default) no allocation that may sleep does; every
 * allocation the machine makes may.
 */
static void
test_should_fail_alloc_page_filters(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	a.min_order = 1;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, 3, got);
	assert_string_equal(got, "...");
	outcomes(m, 1, 3, got);
	assert_string_equal(got, "xxx");
	a.ignore_gfp_wait = true;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 1, 3, got);
	assert_string_equal(got, "...");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * should_fail_alloc_page(): hugetlb pool pages are __GFP_HIGHMEM
 * (htlb_alloc_mask()), so ignore-gfp-highmem (the default) spares them;
 * cleared, the pool cannot grow, and as __GFP_NOWARN the failures are not
 * logged.
 */
static void
test_should_fail_alloc_page_highmem(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);

	(void)state;
	a.verbose = 2;
	/* HVO's vmemmap and page-table pages, order 0, are spared. */
	a.min_order = 1;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	assert_int_equal(hvo_write_nr_hugepages(m, 2 * MIB, 2), 0);
	assert_int_equal(tu_hstate(m, 0).nr, 2);
	a.ignore_gfp_highmem = false;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	hvo_write_nr_hugepages(m, 2 * MIB, 4);
	assert_int_equal(tu_hstate(m, 0).nr, 2);
	assert_int_equal(hvo_machine_dmesg(m, log_buf, sizeof(log_buf)), 0);
	assert_null(strstr(log_buf, "FAULT_INJECTION"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * fail_dump(): verbose logs each failure with the attr's values, times
 * as it was before the failure spent one.
 */
static void
test_fail_dump(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64M");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	a.verbose = 1;
	a.times = 1;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, 2, got);
	assert_string_equal(got, "x.");
	assert_int_equal(hvo_machine_dmesg(m, log_buf, sizeof(log_buf)), 0);
	assert_non_null(strstr(log_buf, "FAULT_INJECTION: forcing a failure.\n"
				"name fail_page_alloc, interval 1, probability 100, space 0, times 1\n"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * should_fail_alloc_page() before the page is taken, on the fast path
 * too: order-0 allocations a ready pcp page of ZONE_NORMAL serves (the
 * first ones fill the list) fail and count as the others.
 */
static void
test_should_fail_alloc_page_pcp(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=6G");
	struct hvo_fault_attr a = always(m);
	char got[CALLS + 1];

	(void)state;
	outcomes(m, 0, 3, got);
	assert_string_equal(got, "...");
	a.interval = 2;
	a.times = 2;
	assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
	outcomes(m, 0, 6, got);
	assert_string_equal(got, ".x.x..");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * should_fail_ex()'s probability: a seeded PRNG, so the same machine and
 * steps fail the same calls; another seed another sequence.
 */
static void
test_should_fail_ex_probability(void **state)
{
	char first[33], again[33], other[33];

	(void)state;
	for (int run = 0; run < 3; run++) {
		struct hvo_machine *m = tu_machine("x86_64:mem=64M");
		struct hvo_fault_attr a = always(m);

		a.probability = 50;
		if (run == 2)
			a.seed = 12345;
		assert_int_equal(hvo_fail_page_alloc_set(m, &a), 0);
		outcomes(m, 0, 32, run == 0 ? first : run == 1 ? again : other);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
	assert_string_equal(first, again);
	assert_string_not_equal(first, other);
	/* About half: neither none nor all. */
	assert_non_null(strchr(first, 'x'));
	assert_non_null(strchr(first, '.'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_should_fail_ex_interval),
		cmocka_unit_test(test_should_fail_ex_times),
		cmocka_unit_test(test_should_fail_ex_space),
		cmocka_unit_test(test_should_fail_alloc_page_filters),
		cmocka_unit_test(test_should_fail_alloc_page_highmem),
		cmocka_unit_test(test_should_fail_alloc_page_pcp),
		cmocka_unit_test(test_fail_dump),
		cmocka_unit_test(test_should_fail_ex_probability),
	};

	return tu_run("fault-attr", tests, N(tests));
}
