/* SPDX-License-Identifier: MIT */
/*
 * Demote: hugepages-<size>kB/demote and demote_size (mm/hugetlb.c, 5.16
 * on). A 1G page is restored, split into 2M pages, and those are
 * optimized: one at a time up to 6.11 (demote_free_huge_page()), as two
 * batches from 6.12 (demote_free_hugetlb_folios()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

#define SZ_2M (UINT64_C(2) << 20)
#define SZ_32M (UINT64_C(32) << 20)
#define SZ_64K (UINT64_C(64) << 10)
#define SZ_1G (UINT64_C(1) << 30)

/* MemTotal and MemFree in pages (meminfo_proc_show()). */
static void
meminfo(struct hvo_machine *m, uint64_t *total, uint64_t *free)
{
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	tu_meminfo(m, total, free);
}

static struct hvo_hstate_info
hstate(struct hvo_machine *m, uint64_t size)
{
	struct hvo_hstate_info h;

	if (hvo_machine_hstate_by_size(m, size, &h))
		fail_msg("no hstate of %" PRIu64 " bytes: %s", size,
			 hvo_machine_error(m));
	return h;
}

static uint64_t
pool_pfn(struct hvo_machine *m, uint64_t size, uint64_t i)
{
	uint64_t pfn;

	if (hvo_hugepage_pfn(m, size, i, &pfn))
		fail_msg("pool slot %" PRIu64 ": %s", i, hvo_machine_error(m));
	return pfn;
}

/* What one demote of a 1G page into 2M pages changes, by release. */
struct demote_want {
	uint64_t flush_all, flush_range, flush_page, rcu;
	bool top_is_first; /* the new 2M page on top is the first piece */
	/*
	 * The boot pool slot at the head of the free list: 6.1's
	 * gather_bootmem_prealloc() enqueues the page memblock gave first
	 * last (slot 0); from 6.7 the one it gave last (slot 1) ends there.
	 */
	unsigned head_slot;
};

/*
 * Demote one of two boot 1G pages into 512 2M pages with HVO on, and
 * check the pools, the memory and the flushes against the kernel's.
 * Memory: the restore allocates every vmemmap page but the one HVO keeps
 * (alloc_vmemmap_page_list()), each 2M page then frees as many pages as
 * its variant saves, so MemFree falls by the difference; MemTotal stays.
 */
static void
check_demote_1g(const char *spec, const struct demote_want *want)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_hstate_info g, t, g2, t2;
	uint64_t total0, free0, total1, free1, done = 99, src, pfn;
	uint64_t saved2m;

	g = hstate(m, SZ_1G);
	t = hstate(m, SZ_2M);
	assert_int_equal(g.nr, 2);
	assert_int_equal(g.optimized, 2);
	assert_int_equal(t.nr, 0);
	saved2m = t.vmemmap_pages_freed_per_hugepage;
	/* demote_pool_huge_page() takes the free list's head. */
	src = pool_pfn(m, SZ_1G, want->head_slot);
	meminfo(m, &total0, &free0);
	hvo_machine_counters_reset(m);

	if (hvo_demote(m, SZ_1G, 1, &done))
		fail_msg("demote 1 of 1G (%s): %s", spec, hvo_machine_error(m));
	assert_int_equal(done, 1);

	g2 = hstate(m, SZ_1G);
	t2 = hstate(m, SZ_2M);
	assert_int_equal(g2.nr, 1);
	assert_int_equal(g2.free, 1);
	assert_int_equal(g2.optimized, 1);
	assert_int_equal(t2.nr, 512);
	assert_int_equal(t2.free, 512);
	assert_int_equal(t2.optimized, 512);
	assert_int_equal(pool_pfn(m, SZ_1G, 0) != src, true);
	/* 512 2M pages save 512 times what one saves. */
	assert_int_equal(saved2m, 7);
	assert_int_equal(t2.saved_bytes, 512 * 7 * 4096);
	assert_int_equal(g2.saved_bytes, g.saved_bytes / 2);
	meminfo(m, &total1, &free1);
	assert_int_equal(total1, total0);
	/* 4096 struct page pages per 1G, 8 per 2M; fakehead keeps one. */
	assert_int_equal(free0 - free1, 4095 - 512 * 7);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), want->flush_all);
	assert_int_equal(tu_counter(m, "tlb.flush_range"), want->flush_range);
	assert_int_equal(tu_counter(m, "tlb.flush_page"), want->flush_page);
	assert_int_equal(tu_counter(m, "hvo.synchronize_rcu"), want->rcu);
	assert_int_equal(tu_counter(m, "hvo.restore"), 1);
	assert_int_equal(tu_counter(m, "hvo.optimize"), 512);
	/* Which new page the free list's head is (enqueue_hugetlb_folio()). */
	pfn = pool_pfn(m, SZ_2M, 511);
	assert_int_equal(pfn, want->top_is_first ? src : src + 511 * 512);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t p = pool_pfn(m, SZ_2M, i);

		assert_int_equal(p >= src && p < src + (UINT64_C(1) << 18), true);
	}
	tu_assert_check(m);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);

	/* The demoted pages free as any 2M page (update_and_free_hugetlb_folio()). */
	assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * 6.1, demote_free_huge_page(): the 1G page is restored on its own: one
 * flush_tlb_kernel_range() of 4095 pages, past x86's ceiling of 33, so a
 * full flush; then each 2M page is optimized as it is prepared
 * (__prep_new_huge_page()): one range flush of the 7 pages after the head
 * page each. No synchronize_rcu() before 6.10. Each new page is enqueued
 * at the head of the free list in turn: the last piece ends on top.
 */
static void
test_demote_1g_linux_6_1(void **state)
{
	static const struct demote_want want = {
		.flush_all = 1, .flush_range = 513, .flush_page = 512 * 7,
		.rcu = 0, .top_is_first = false, .head_slot = 0,
	};

	(void)state;
	check_demote_1g("x86_64:mem=4G,hugepages=1G:2,kernel=6.1", &want);
}

/*
 * 6.10: still one page at a time, and each optimize or restore request
 * waits for a grace period (bd225530a4c7): 1 + 512, the 513 of Yu Zhao's
 * demote batching commit message. From 6.2 each 2M page gets a new head
 * page (11aad2631bf7), so its range flush covers all 8 of its pages.
 */
static void
test_demote_1g_linux_6_10(void **state)
{
	static const struct demote_want want = {
		.flush_all = 1, .flush_range = 513, .flush_page = 512 * 8,
		.rcu = 513, .top_is_first = false, .head_slot = 1,
	};

	(void)state;
	check_demote_1g("x86_64:mem=4G,hugepages=1G:2,kernel=6.10", &want);
}

/*
 * 6.12, demote_free_hugetlb_folios(): hugetlb_vmemmap_restore_folios()
 * restores the batch with one flush_tlb_all(); prep_and_add_allocated_folios()
 * optimizes the 512 pages as one batch, two flush_tlb_all(); no range
 * flush. One grace period per batch (c2a967f6ab0e): 2. The list is
 * enqueued last piece first, so the first piece ends at the head.
 */
static void
test_demote_1g_linux_6_12(void **state)
{
	static const struct demote_want want = {
		.flush_all = 3, .flush_range = 0, .flush_page = 0,
		.rcu = 2, .top_is_first = true, .head_slot = 1,
	};

	(void)state;
	check_demote_1g("x86_64:mem=4G,hugepages=1G:2,kernel=6.12", &want);
}

/*
 * demote_store() loops until its count is done or no free page is left:
 * asked for 3 with one of 2 pages in use, it demotes 1 and succeeds. In
 * 6.12 the two pages of a request of 2 are one batch: still 3 full
 * flushes and 2 grace periods (demote_pool_huge_page()).
 */
static void
test_demote_stops_at_free(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:2,kernel=6.12");
	struct hvo_machine *b = tu_machine("x86_64:mem=4G,hugepages=1G:2,kernel=6.12");
	uint64_t pfn, done;

	(void)state;
	assert_int_equal(hvo_hugepage_get(m, SZ_1G, &pfn), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 3, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).free, 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(pool_pfn(m, SZ_1G, 0), pfn);
	/* Nothing free: the loop does not run, and that is no error. */
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 0);
	tu_assert_check(m);

	hvo_machine_counters_reset(b);
	assert_int_equal(hvo_demote(b, SZ_1G, 2, &done), 0);
	assert_int_equal(done, 2);
	assert_int_equal(hstate(b, SZ_1G).nr, 0);
	assert_int_equal(hstate(b, SZ_2M).nr, 1024);
	assert_int_equal(hstate(b, SZ_2M).optimized, 1024);
	assert_int_equal(tu_counter(b, "tlb.flush_all"), 3);
	assert_int_equal(tu_counter(b, "hvo.synchronize_rcu"), 2);
	tu_assert_check(b);
	hvo_machine_free(m);
	hvo_machine_free(b);
}

/*
 * Before 5.16 there is no demote: hugetlb_sysfs_add_hstate() creates no
 * demote files. Every call is refused, and nothing changes.
 */
static void
test_demote_before_5_16(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:1,kernel=5.15");
	uint64_t done = 7, sz;

	(void)state;
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), -EOPNOTSUPP);
	assert_non_null(strstr(hvo_machine_error(m), "5.16"));
	assert_int_equal(done, 0);
	assert_int_equal(hvo_demote_size(m, SZ_1G, &sz), -EOPNOTSUPP);
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, SZ_2M), -EOPNOTSUPP);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_2M).nr, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * 5.16, the first release with demote (demote_free_huge_page()), runs
 * keep2: the 1G page keeps two vmemmap pages, each 2M page too (6 of 8
 * freed).
 */
static void
test_demote_linux_5_16(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:1,kernel=5.16");
	uint64_t done, total0, free0, total1, free1;

	(void)state;
	meminfo(m, &total0, &free0);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_2M).optimized, 512);
	meminfo(m, &total1, &free1);
	/* 4094 pages restored (keep2 keeps 2), 512 * 6 freed again. */
	assert_int_equal(free0 - free1, 4094 - 512 * 6);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * demote_size_show() and demote_size_store(): the default is the next
 * smaller size; a write takes a smaller hstate's size only. The smallest
 * size has no demote files (hugetlb_sysfs_add_hstate()).
 */
static void
test_demote_size(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:1,kernel=6.12");
	uint64_t sz = 0, done = 5;

	(void)state;
	assert_int_equal(hvo_demote_size(m, SZ_1G, &sz), 0);
	assert_int_equal(sz, SZ_2M);
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, SZ_2M), 0);
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, SZ_1G), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "smaller"));
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, UINT64_C(4) << 20), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not a hugepage size"));
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, 0), -EINVAL);
	assert_int_equal(hvo_demote_size(m, SZ_2M, &sz), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "cannot demote"));
	assert_int_equal(hvo_set_demote_size(m, SZ_2M, SZ_2M), -EINVAL);
	assert_int_equal(hvo_demote(m, SZ_2M, 1, &done), -EINVAL);
	assert_int_equal(done, 0);
	assert_int_equal(hvo_demote(m, UINT64_C(4) << 20, 1, &done), -EINVAL);
	assert_int_equal(hvo_demote_size(m, SZ_1G, &sz), 0);
	assert_int_equal(sz, SZ_2M);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * arm64 with 4K pages has 64K, 2M, 32M and 1G hugepages. 1G demotes to
 * 32M by default, a gigantic size (order 13): 32 pages. 2M demotes to
 * 64K by default, yet 64K cannot be written back (below
 * HUGETLB_PAGE_ORDER). 6.2 still builds arm64 HVO (060a2c92d1b6 removed
 * it in 6.3): every 32M page is optimized, one at a time.
 */
static void
test_demote_arm64(void **state)
{
	struct hvo_machine *m = tu_machine("arm64:mem=4G,hugepages=1G:1,kernel=6.2");
	uint64_t sz, done;

	(void)state;
	assert_int_equal(hvo_demote_size(m, SZ_1G, &sz), 0);
	assert_int_equal(sz, SZ_32M);
	assert_int_equal(hvo_demote_size(m, SZ_2M, &sz), 0);
	assert_int_equal(sz, SZ_64K);
	assert_int_equal(hvo_set_demote_size(m, SZ_2M, SZ_64K), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "HUGETLB_PAGE_ORDER"));
	assert_int_equal(hvo_demote_size(m, SZ_64K, &sz), -EINVAL);
	assert_int_equal(hstate(m, SZ_1G).optimized, 1);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_32M).nr, 32);
	assert_int_equal(hstate(m, SZ_32M).optimized, 32);
	tu_assert_check(m);
	/* A 32M page demotes on: to 2M, the next smaller. */
	assert_int_equal(hvo_demote(m, SZ_32M, 1, &done), 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 16);
	assert_int_equal(hstate(m, SZ_2M).optimized, 16);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * riscv64 (HVO from 6.4) on 6.12: 1G to 2M as one batch each way
 * (demote_free_hugetlb_folios()), with demote_size written first, as an
 * admin would.
 */
static void
test_demote_riscv64(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=4G,hugepages=1G:1,kernel=6.12");
	uint64_t done;

	(void)state;
	assert_int_equal(hvo_set_demote_size(m, SZ_1G, SZ_2M), 0);
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).optimized, 512);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 3);
	assert_int_equal(tu_counter(m, "hvo.synchronize_rcu"), 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A restore that fails for memory: the kernel puts the page back
 * (demote_free_huge_page() adds it again; demote_pool_huge_page() of
 * 6.12 adds back what is left on its list) and demote_store() returns
 * the errno. The page stays optimized, and no memory is lost.
 */
static void
check_restore_fails(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t total0, free0, total1, free1, done = 9;

	meminfo(m, &total0, &free0);
	assert_int_equal(hvo_fail_page_alloc(m, 1, true), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 2, &done), -ENOMEM);
	assert_int_equal(done, 0);
	assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
	assert_int_equal(hstate(m, SZ_1G).nr, 2);
	assert_int_equal(hstate(m, SZ_1G).optimized, 2);
	assert_int_equal(hstate(m, SZ_2M).nr, 0);
	meminfo(m, &total1, &free1);
	assert_int_equal(free1, free0);
	assert_int_equal(total1, total0);
	tu_assert_check(m);
	/* Memory back: the same write demotes both. */
	assert_int_equal(hvo_demote(m, SZ_1G, 2, &done), 0);
	assert_int_equal(done, 2);
	assert_int_equal(hstate(m, SZ_2M).optimized, 1024);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_restore_fails(void **state)
{
	(void)state;
	check_restore_fails("x86_64:mem=4G,hugepages=1G:2,kernel=6.1");
	check_restore_fails("x86_64:mem=4G,hugepages=1G:2,kernel=6.12");
}

/*
 * The second restore of a request of 2 fails once. 6.1 demotes the head
 * of its boot free list first, slot 0 (gather_bootmem_prealloc()
 * enqueued it last), then fails on the other: slot 1 stays. 6.12 takes
 * slot 1 first, its head, and restores its list in the reverse of the
 * order it took the pages (hugetlb_vmemmap_restore_folios() walks the
 * list demote_pool_huge_page() built with list_add()): slot 0 is
 * demoted and slot 1 stays too. Either way demote_store() returns
 * -ENOMEM with one page demoted, and the page left is still optimized.
 */
static void
check_second_restore_fails(const char *spec, bool top_stays)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t bottom = pool_pfn(m, SZ_1G, 0), top = pool_pfn(m, SZ_1G, 1);
	uint64_t done = 9;

	/* The first restore allocates 4095 pages; the 4096th fails. */
	assert_int_equal(hvo_fail_page_alloc(m, 4096, false), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 2, &done), -ENOMEM);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).optimized, 1);
	assert_int_equal(pool_pfn(m, SZ_1G, 0), top_stays ? top : bottom);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).optimized, 512);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_second_restore_fails(void **state)
{
	(void)state;
	check_second_restore_fails("x86_64:mem=4G,hugepages=1G:2,kernel=6.1", true);
	check_second_restore_fails("x86_64:mem=4G,hugepages=1G:2,kernel=6.12", true);
}

/*
 * HVO off at run time (vm.hugetlb_optimize_vmemmap=0): the 1G page is
 * still restored (hugetlb_vmemmap_restore_folios() restores whatever is
 * optimized), and hugetlb_vmemmap_optimize_folios() leaves the 2M pages
 * as they are, with its two full flushes all the same.
 */
static void
test_demote_hvo_off_at_run_time(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:1,kernel=6.12");
	uint64_t done;

	(void)state;
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(tu_counter(m, "tlb.flush_all"), 3);
	assert_int_equal(tu_counter(m, "hvo.synchronize_rcu"), 1);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).optimized, 0);
	assert_int_equal(hstate(m, SZ_2M).saved_bytes, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The free list is LIFO (enqueue_hugetlb_folio()): after two faults and
 * their frees, the page freed last is the head, although the boot pool
 * had the other at its head (slot 0 on 6.1, slot 1 on 6.12: see
 * test_bootmem_freelist_order() in test-pools.c), and
 * demote_pool_huge_page() takes it, on 6.1 and on 6.12.
 * A page in use is never demoted, and neither is a reserved one:
 * demote_store() counts free_huge_pages - resv_huge_pages as available,
 * so with every free page reserved it demotes nothing and succeeds.
 */
static void
check_demote_lifo_and_reserved(const char *spec, unsigned head_slot)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t p1, p0, done = 99;

	assert_int_equal(hvo_hugepage_get(m, SZ_1G, &p1), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ_1G, &p0), 0);
	assert_int_equal(p1, pool_pfn(m, SZ_1G, head_slot));
	assert_int_equal(p0, pool_pfn(m, SZ_1G, !head_slot));
	/* Both in use: nothing to demote. */
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 0);
	assert_int_equal(hvo_free_huge_folio(m, p1), 0);
	assert_int_equal(hvo_free_huge_folio(m, p0), 0);
	/* p0, freed last, is the head: demoted, p1 stays. */
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(pool_pfn(m, SZ_1G, 0), p1);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t p = pool_pfn(m, SZ_2M, i);

		assert_int_equal(p >= p0 && p < p0 + (UINT64_C(1) << 18), true);
	}
	tu_assert_check(m);
	/* p1 reserved: not available to demote. */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 0);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).free, 1);
	assert_int_equal(hstate(m, SZ_1G).resv, 1);
	tu_assert_check(m);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 1024);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_lifo_and_reserved(void **state)
{
	(void)state;
	check_demote_lifo_and_reserved("x86_64:mem=4G,hugepages=1G:2,kernel=6.1", 0);
	check_demote_lifo_and_reserved("x86_64:mem=4G,hugepages=1G:2,kernel=6.12", 1);
}

/*
 * 6.12's demote_store() checks only that free_huge_pages -
 * resv_huge_pages is not 0; demote_pool_huge_page() then takes up to
 * the count asked from the free list, reserved pages too
 * (demote-takes-reserved, doc/KERNEL-BUGS.md). Two free 1G pages, one
 * reserved, "echo 2 > demote": both go, resv_huge_pages 1 stays over
 * free_huge_pages 0, and the reserved fault finds no page: a gigantic
 * page is never surplus (alloc_surplus_hugetlb_folio()), so SIGBUS.
 * 6.1's demote_store() looks again before each page and stops at 1.
 */
static void
test_demote_takes_reserved(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:2,kernel=6.12");
	uint64_t done = 99, pfn;

	(void)state;
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 2, &done), 0);
	assert_int_equal(done, 2);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_1G).free, 0);
	assert_int_equal(hstate(m, SZ_1G).resv, 1);
	assert_int_equal(hstate(m, SZ_1G).max_huge_pages, 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 1024);
	assert_int_equal(hstate(m, SZ_2M).max_huge_pages, 1024);
	tu_assert_check(m);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ_1G, true, &pfn), -ENOMEM);
	assert_non_null(strstr(hvo_machine_error(m), "SIGBUS"));
	assert_int_equal(hstate(m, SZ_1G).resv, 1);
	/* More demote: free - resv wraps, but no page is left to take. */
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), -EBUSY);
	assert_int_equal(done, 0);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hstate(m, SZ_1G).resv, 0);
	tu_assert_check(m);
	hvo_machine_free(m);

	m = tu_machine("x86_64:mem=4G,hugepages=1G:2,kernel=6.1");
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 2, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).free, 1);
	assert_int_equal(hstate(m, SZ_1G).resv, 1);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ_1G, true, &pfn), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * nr_hugepages 0 while every page allocation fails: no 1G page's vmemmap
 * can be restored, so each stays in the pool as a free surplus page
 * (add_hugetlb_folio(h, folio, true)); allocations work again after.
 */
static void
shrink_1g_unrestorable(struct hvo_machine *m)
{
	assert_int_equal(hvo_fail_page_alloc(m, 1, true), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ_1G, 0), 0);
	assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
}

/*
 * demote_pool_huge_page() removes its pages with
 * remove_hugetlb_folio(src, folio, false): surplus_huge_pages stays
 * whatever page is taken (demote-keeps-surplus, doc/KERNEL-BUGS.md). A
 * 1G page that a shrink could not restore is a free surplus page; once
 * memory is back, demoting it leaves HugePages_Surp 1 over
 * nr_huge_pages 0, and max_huge_pages (0 after the shrink) minus 1
 * wraps as the kernel's unsigned long does, and so does the pool's
 * persistent count, so a grow does nothing. Both releases.
 */
static void
check_demote_keeps_surplus(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t done = 99;

	shrink_1g_unrestorable(m);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).free, 1);
	assert_int_equal(hstate(m, SZ_1G).surplus, 1);
	assert_int_equal(hstate(m, SZ_1G).max_huge_pages, 0);
	tu_assert_check(m);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_1G).surplus, 1);
	assert_int_equal(hstate(m, SZ_1G).max_huge_pages, UINT64_MAX);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).free, 512);
	tu_assert_check(m);
	/*
	 * set_max_huge_pages() then sees persistent_huge_pages() wrapped
	 * to ULONG_MAX: nr_hugepages 1 neither grows the pool nor changes
	 * the counts.
	 */
	assert_int_equal(hvo_set_max_huge_pages(m, SZ_1G, 1), 0);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_1G).surplus, 1);
	assert_int_equal(hstate(m, SZ_1G).max_huge_pages, UINT64_MAX);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_keeps_surplus(void **state)
{
	(void)state;
	check_demote_keeps_surplus("x86_64:mem=4G,hugepages=1G:1,kernel=6.1");
	check_demote_keeps_surplus("x86_64:mem=4G,hugepages=1G:1,kernel=6.12");
}

/*
 * The same wrap with a free page left: two 1G pages a shrink could not
 * restore, one demoted, leave nr_huge_pages 1 under HugePages_Surp 2.
 * set_max_huge_pages() then skips its grow and its shrink loop, while
 * (min_count < persistent_huge_pages(h)), takes every free page whatever
 * count is written, with remove_pool_hugetlb_folio(h, nodes, false):
 * "echo 1 > nr_hugepages" empties the pool, HugePages_Surp stays 2 and
 * max_huge_pages is persistent_huge_pages(), 0 - 2 wrapped. The ops
 * fuzzer found it (tests/fuzz/corpus/ops/write-nr-after-demote-wrap).
 */
static void
check_demote_wrap_frees_all(const char *spec)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t done = 99, free_before, free_after;

	shrink_1g_unrestorable(m);
	assert_int_equal(hstate(m, SZ_1G).nr, 2);
	assert_int_equal(hstate(m, SZ_1G).surplus, 2);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	assert_int_equal(hstate(m, SZ_1G).nr, 1);
	assert_int_equal(hstate(m, SZ_1G).free, 1);
	assert_int_equal(hstate(m, SZ_1G).surplus, 2);
	tu_assert_check(m);
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &free_before), 0);
	assert_int_equal(hvo_write_nr_hugepages(m, SZ_1G, 1), 0);
	assert_int_equal(hstate(m, SZ_1G).nr, 0);
	assert_int_equal(hstate(m, SZ_1G).free, 0);
	assert_int_equal(hstate(m, SZ_1G).surplus, 2);
	assert_int_equal(hstate(m, SZ_1G).max_huge_pages, UINT64_MAX - 1);
	/* The 1G page is back, less what its restored vmemmap took. */
	assert_int_equal(hvo_machine_pages(m, HVO_PAGES_FREE, &free_after), 0);
	assert_true(free_after >= free_before + SZ_1G / 4096 - 4096);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_wrap_frees_all(void **state)
{
	(void)state;
	check_demote_wrap_frees_all("x86_64:mem=4G,hugepages=1G:2,kernel=6.1");
	check_demote_wrap_frees_all("x86_64:mem=4G,hugepages=1G:2,kernel=6.12");
}

/*
 * Before 6.12, demote_free_huge_page() puts each new 2M page through
 * free_huge_page(), which frees it to the page allocator while the 2M
 * hstate counts surplus pages (demote-frees-surplus-pieces,
 * doc/KERNEL-BUGS.md): with 2 in-use 2M pages made surplus by
 * nr_hugepages 0, a demote keeps 510 of its 512 pieces, the first two
 * going back to the buddy allocator. 6.12's
 * prep_and_add_allocated_folios() enqueues all 512.
 */
static void
check_demote_surplus_pieces(const char *spec, uint64_t kept)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t p[2], done = 99, src = pool_pfn(m, SZ_1G, 0), pfn;
	struct hvo_hstate_info t;

	assert_int_equal(hvo_set_max_huge_pages(m, SZ_2M, 2), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ_2M, &p[0]), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ_2M, &p[1]), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ_2M, 0), 0);
	assert_int_equal(hstate(m, SZ_2M).surplus, 2);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(done, 1);
	t = hstate(m, SZ_2M);
	assert_int_equal(t.nr, 2 + kept);
	assert_int_equal(t.free, kept);
	assert_int_equal(t.surplus, 2 - (512 - kept));
	assert_int_equal(t.max_huge_pages, 512);
	assert_int_equal(t.optimized, 2 + kept);
	for (uint64_t i = 0; i < t.nr; i++) {
		pfn = pool_pfn(m, SZ_2M, i);
		if (kept < 512)
			assert_true(pfn != src && pfn != src + 512);
	}
	tu_assert_check(m);
	assert_int_equal(hvo_free_huge_folio(m, p[0]), 0);
	assert_int_equal(hvo_free_huge_folio(m, p[1]), 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).surplus, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The same on 6.1 with every allocation after the 1G page's restore
 * failing: each piece free_huge_page() frees cannot be restored
 * (__update_and_free_page()), so add_hugetlb_page(h, page, true) puts it
 * back as a free surplus page, and the next piece meets the same
 * surplus count. All 512 pieces stay, optimized; HugePages_Surp stays 2.
 */
static void
test_demote_surplus_pieces_restore_fails(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hugepages=1G:1,kernel=6.1");
	uint64_t p[2], done = 99;
	struct hvo_hstate_info t;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ_2M, 2), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ_2M, &p[0]), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ_2M, &p[1]), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ_2M, 0), 0);
	/* The 1G restore takes 4095 pages; everything after fails. */
	assert_int_equal(hvo_fail_page_alloc(m, 4096, true), 0);
	assert_int_equal(hvo_demote(m, SZ_1G, 1, &done), 0);
	assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
	assert_int_equal(done, 1);
	t = hstate(m, SZ_2M);
	assert_int_equal(t.nr, 514);
	assert_int_equal(t.free, 512);
	assert_int_equal(t.surplus, 2);
	assert_int_equal(t.optimized, 514);
	tu_assert_check(m);
	/* Memory back: the surplus pages in use leave when put. */
	assert_int_equal(hvo_free_huge_folio(m, p[0]), 0);
	assert_int_equal(hvo_free_huge_folio(m, p[1]), 0);
	assert_int_equal(hstate(m, SZ_2M).nr, 512);
	assert_int_equal(hstate(m, SZ_2M).surplus, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_demote_surplus_pieces(void **state)
{
	(void)state;
	check_demote_surplus_pieces("x86_64:mem=4G,hugepages=1G:1,kernel=6.1", 510);
	check_demote_surplus_pieces("x86_64:mem=4G,hugepages=1G:1,kernel=6.12", 512);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demote_1g_linux_6_1),
		cmocka_unit_test(test_demote_1g_linux_6_10),
		cmocka_unit_test(test_demote_1g_linux_6_12),
		cmocka_unit_test(test_demote_stops_at_free),
		cmocka_unit_test(test_demote_before_5_16),
		cmocka_unit_test(test_demote_linux_5_16),
		cmocka_unit_test(test_demote_size),
		cmocka_unit_test(test_demote_arm64),
		cmocka_unit_test(test_demote_riscv64),
		cmocka_unit_test(test_demote_restore_fails),
		cmocka_unit_test(test_demote_second_restore_fails),
		cmocka_unit_test(test_demote_hvo_off_at_run_time),
		cmocka_unit_test(test_demote_lifo_and_reserved),
		cmocka_unit_test(test_demote_takes_reserved),
		cmocka_unit_test(test_demote_keeps_surplus),
		cmocka_unit_test(test_demote_wrap_frees_all),
		cmocka_unit_test(test_demote_surplus_pieces),
		cmocka_unit_test(test_demote_surplus_pieces_restore_fails),
	};

	return tu_run("demote", tests, sizeof(tests) / sizeof(tests[0]));
}
