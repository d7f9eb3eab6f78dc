/* SPDX-License-Identifier: MIT */
/*
 * HugeTLB pools as Linux 6.12 runs them (mm/hugetlb.c): pages in use,
 * surplus pages and nr_overcommit_hugepages, reservations, and what a
 * shrink does when a vmemmap restore fails, in the bulk path (6.7 on) and
 * in the single-folio path before it. Each test names the kernel function
 * whose result it pins.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define SZ (2 * MIB)

static struct hvo_hstate_info
pool(const struct hvo_machine *m)
{
	struct hvo_hstate_info h;

	assert_int_equal(hvo_machine_hstate_by_size(m, SZ, &h), 0);
	return h;
}

/* nr_huge_pages, free, resv, surplus and max_huge_pages, in one go. */
#define assert_pool(m, nr_, free_, resv_, surplus_, max_)		\
	do {								\
		struct hvo_hstate_info h_ = pool(m);			\
		assert_int_equal(h_.nr, (nr_));				\
		assert_int_equal(h_.free, (free_));			\
		assert_int_equal(h_.resv, (resv_));			\
		assert_int_equal(h_.surplus, (surplus_));		\
		assert_int_equal(h_.max_huge_pages, (max_));		\
	} while (0)

static void
fail_alloc(struct hvo_machine *m, uint64_t nth, bool persistent)
{
	assert_int_equal(hvo_fail_page_alloc(m, nth, persistent), 0);
}

/*
 * Issue 12: 4 hugepages, 3 in use, nr_hugepages set to 1. 6.12's
 * set_max_huge_pages() frees the free one and adjust_pool_surplus(1)
 * counts 2 of those in use as surplus: the sysctl reads 1
 * (max_huge_pages), sysfs 3 (nr_huge_pages), HugePages_Surp 2. Each put
 * back is freed while surplus pages remain (free_huge_folio()); the pool
 * ends with 1 page.
 */
static void
test_shrink_below_in_use(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t pfn[3], free0;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 4), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hvo_hugepage_get(m, SZ, &pfn[i]), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 1), 0);
	assert_pool(m, 3, 0, 0, 2, 1);
	assert_int_equal(pool(m).optimized, 3);
	tu_assert_check(m);

	free0 = tu_pages(m, HVO_PAGES_FREE);
	assert_int_equal(hvo_free_huge_folio(m, pfn[0]), 0);
	assert_pool(m, 2, 0, 0, 1, 1);
	/* Its 512 frames are back, less the 7 vmemmap pages its restore took. */
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), free0 + 512 - 7);
	assert_int_equal(hvo_hugepage_put(m, pfn[1]), 0);
	assert_pool(m, 1, 0, 0, 0, 1);
	/* No surplus left: the last goes back to the free list. */
	assert_int_equal(hvo_free_huge_folio(m, pfn[2]), 0);
	assert_pool(m, 1, 1, 0, 0, 1);
	/* Putting a page not in use: -EINVAL, nothing changes. */
	assert_int_equal(hvo_free_huge_folio(m, pfn[2]), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "not in use"));
	assert_pool(m, 1, 1, 0, 0, 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The strict setter never makes surplus pages: it frees what is free and
 * says -EBUSY, as libhvo always did.
 */
static void
test_strict_setter_keeps_in_use(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t pfn;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, SZ, 4), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ, &pfn), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ, 0), -EBUSY);
	assert_pool(m, 1, 0, 0, 0, 1);
	assert_int_equal(hvo_hugepage_put(m, pfn), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ, 0), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * kernel-hvo.md Part 8 item 5, measured on 6.12: a pool of 4 with
 * nr_overcommit_hugepages 8. A mapping of 13 fails at mmap with ENOMEM
 * and changes nothing (gather_surplus_pages()); one of 10 gets 6 surplus
 * pages, optimized like the others (alloc_surplus_hugetlb_folio());
 * nr_hugepages 2, then 0, turns in-use pages into surplus; unmapping
 * frees them all (free_huge_folio()).
 */
static void
test_overcommit_mmap(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t pfn[10], free0, start = tu_pages(m, HVO_PAGES_FREE);
	uint64_t pt = tu_pages(m, HVO_PAGES_PAGETABLE);

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 4), 0);
	assert_int_equal(hvo_set_nr_overcommit_hugepages(m, SZ, 8), 0);
	assert_int_equal(pool(m).nr_overcommit, 8);
	free0 = tu_pages(m, HVO_PAGES_FREE);
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 13), -ENOMEM);
	assert_non_null(strstr(hvo_machine_error(m), "nr_overcommit_hugepages 8"));
	assert_pool(m, 4, 4, 0, 0, 4);
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), free0);
	tu_assert_check(m);

	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 10), 0);
	assert_pool(m, 10, 10, 10, 6, 4);
	for (int i = 0; i < 10; i++)
		assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &pfn[i]), 0);
	assert_pool(m, 10, 0, 0, 6, 4);
	assert_int_equal(pool(m).optimized, 10);
	tu_assert_check(m);

	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_pool(m, 10, 0, 0, 8, 2);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	assert_pool(m, 10, 0, 0, 10, 0);
	for (int i = 9; i >= 0; i--)
		assert_int_equal(hvo_free_huge_folio(m, pfn[i]), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_HUGETLB), 0);
	/* Everything back but the page tables of the vmemmap PMD splits. */
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE) +
			 tu_pages(m, HVO_PAGES_PAGETABLE) - pt, start);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * hugetlb_acct_memory(): a reservation takes free pages first and
 * surplus pages for the rest; a fault without a reservation takes a free
 * page nobody reserved, else a surplus page (alloc_hugetlb_folio());
 * giving the reservations back frees as many free surplus pages
 * (return_unused_surplus_pages()).
 */
static void
test_reserve_unreserve(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t pfn, other;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_int_equal(hvo_set_nr_overcommit_hugepages(m, SZ, 3), 0);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &pfn), -EINVAL);
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 4), 0);
	assert_pool(m, 4, 4, 4, 2, 2);
	/* All 4 free pages are promised: a fault without one gets a surplus. */
	assert_int_equal(hvo_hugepage_get(m, SZ, &pfn), 0);
	assert_pool(m, 5, 4, 4, 3, 2);
	assert_int_equal(hvo_hugepage_get(m, SZ, &other), -ENOMEM);
	assert_non_null(strstr(hvo_machine_error(m), "SIGBUS"));
	assert_pool(m, 5, 4, 4, 3, 2);
	/* More than reserved: -EINVAL, nothing changes. */
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 5), -EINVAL);
	assert_pool(m, 5, 4, 4, 3, 2);
	tu_assert_check(m);
	/* min(4, 3 surplus) free pages leave the pool. */
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 4), 0);
	assert_pool(m, 2, 1, 0, 0, 2);
	/* No surplus left: the page in use goes back to the free list. */
	assert_int_equal(hvo_free_huge_folio(m, pfn), 0);
	assert_pool(m, 2, 2, 0, 0, 2);
	/* A resize keeps what is reserved (min_count counts resv_huge_pages). */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 1), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	assert_pool(m, 1, 1, 1, 1, 0);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 1), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Issue 12: a shrink of 8 to 0 whose 3rd page allocation fails. 6.12's
 * update_and_free_pages_bulk() frees the folios restored before the
 * failure and retries the rest (bulk_vmemmap_restore_error()): the pool
 * ends empty and the sysctl write succeeds.
 */
static void
test_restore_transient_failure_bulk(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 8), 0);
	assert_int_equal(pool(m).optimized, 8);
	fail_alloc(m, 3, false);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	fail_alloc(m, 0, false);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Every allocation from the 9th fails: the first hugepage's restore (7
 * pages) and free work; the rest cannot be restored one by one either, and
 * bulk_vmemmap_restore_error() makes each a surplus page. The sysctl
 * reads 0, sysfs 7; once memory is back, nr_hugepages 7 turns them
 * persistent (adjust_pool_surplus(-1)) without allocating, and 0 frees
 * them.
 */
static void
test_restore_failure_makes_surplus_bulk(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t hugetlb;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 8), 0);
	fail_alloc(m, 9, true);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	fail_alloc(m, 0, false);
	assert_pool(m, 7, 7, 0, 7, 0);
	assert_int_equal(pool(m).optimized, 7);
	tu_assert_check(m);

	hugetlb = tu_pages(m, HVO_PAGES_HUGETLB);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 7), 0);
	assert_pool(m, 7, 7, 0, 0, 7);
	assert_int_equal(tu_pages(m, HVO_PAGES_HUGETLB), hugetlb);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Before 6.7 each page is restored as it is freed; one that cannot be
 * (__update_and_free_page() of 6.1) goes back to the pool as a surplus
 * page, and the write still succeeds.
 */
static void
test_restore_failure_makes_surplus_single(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.1");

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 8), 0);
	assert_int_equal(pool(m).optimized, 8);
	fail_alloc(m, 1, true);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	fail_alloc(m, 0, false);
	assert_pool(m, 8, 8, 0, 6, 2);
	tu_assert_check(m);
	/* The strict setter says so. */
	fail_alloc(m, 1, true);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ, 0), -ENOMEM);
	fail_alloc(m, 0, false);
	assert_pool(m, 8, 8, 0, 8, 0);
	assert_non_null(strstr(hvo_machine_error(m), "surplus"));
	tu_assert_check(m);
	assert_int_equal(hvo_set_nr_hugepages(m, SZ, 0), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * free_huge_folio() of a surplus page whose restore fails: 6.12's
 * __update_and_free_hugetlb_folio() puts it back on the free list as a
 * surplus page (add_hugetlb_folio(h, folio, true)).
 */
static void
test_put_surplus_restore_fails(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t pfn;

	(void)state;
	assert_int_equal(hvo_set_nr_overcommit_hugepages(m, SZ, 1), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ, &pfn), 0);
	assert_pool(m, 1, 0, 0, 1, 0);
	assert_int_equal(pool(m).optimized, 1);
	fail_alloc(m, 1, true);
	assert_int_equal(hvo_free_huge_folio(m, pfn), 0);
	fail_alloc(m, 0, false);
	assert_pool(m, 1, 1, 0, 1, 0);
	tu_assert_check(m);
	/* A reservation's unused surplus page then leaves the pool. */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 1), 0);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 1), 0);
	assert_pool(m, 0, 0, 0, 0, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Is @pfn in the pool of SZ? */
static bool
in_pool(struct hvo_machine *m, uint64_t pfn)
{
	uint64_t p[16];
	size_t n = tu_pool_pfns(m, SZ, p, 16);

	for (size_t i = 0; i < n; i++)
		if (p[i] == pfn)
			return true;
	return false;
}

/*
 * The free list is LIFO: enqueue_hugetlb_folio() list_move()s a page to
 * its head, dequeue_hugetlb_folio_node_exact() and
 * remove_pool_hugetlb_folio() take the head. 6.12's grow list_add()s each
 * new page, so prep_and_add_allocated_folios() optimizes and enqueues the
 * newest first and the oldest ends at the head: a fault takes the oldest,
 * and a shrink frees the oldest.
 */
static void
test_freelist_order_batched(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t p[4], a, b;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 4), 0);
	assert_int_equal(tu_pool_pfns(m, SZ, p, 4), 4);
	assert_int_equal(hvo_hugepage_get(m, SZ, &a), 0);
	assert_int_equal(a, p[0]);
	assert_int_equal(hvo_hugepage_get(m, SZ, &b), 0);
	assert_int_equal(b, p[1]);
	/* Put back a, then b: b is at the head. */
	assert_int_equal(hvo_hugepage_put(m, a), 0);
	assert_int_equal(hvo_hugepage_put(m, b), 0);
	assert_int_equal(hvo_hugepage_get(m, SZ, &a), 0);
	assert_int_equal(a, p[1]);
	assert_int_equal(hvo_hugepage_put(m, a), 0);
	/* The shrink takes p[1], then p[0] (enqueued last by the grow). */
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_false(in_pool(m, p[0]));
	assert_false(in_pool(m, p[1]));
	assert_true(in_pool(m, p[2]));
	assert_true(in_pool(m, p[3]));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Before 6.7 each new page is enqueued as it is allocated
 * (alloc_pool_huge_page() puts it, free_huge_page() enqueues it): the
 * newest is at the head, the one a fault takes and a shrink frees first.
 */
static void
test_freelist_order_single(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.1");
	uint64_t p[4], a;

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 4), 0);
	assert_int_equal(tu_pool_pfns(m, SZ, p, 4), 4);
	assert_int_equal(hvo_hugepage_get(m, SZ, &a), 0);
	assert_int_equal(a, p[3]);
	assert_int_equal(hvo_hugepage_put(m, a), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_true(in_pool(m, p[0]));
	assert_true(in_pool(m, p[1]));
	assert_false(in_pool(m, p[2]));
	assert_false(in_pool(m, p[3]));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Order-0 pages allocated and freed, in the order it happened. */
struct page_events {
	uint64_t alloc[64], free[64];
	unsigned nr_alloc, nr_free;
};

static void
record(void *ctx, const struct hvo_event *ev)
{
	struct page_events *e = ctx;

	if (ev->order)
		return;
	if (ev->kind == HVO_EVENT_PAGE_ALLOC && e->nr_alloc < 64)
		e->alloc[e->nr_alloc++] = ev->pfn;
	else if (ev->kind == HVO_EVENT_PAGE_FREE && e->nr_free < 64)
		e->free[e->nr_free++] = ev->pfn;
}

/*
 * The vmemmap lists as the kernel's: vmemmap_remap_pte() list_add()s each
 * old page and free_vmemmap_page_list() walks from the head, so a 2M
 * hugepage's vm[7] is freed first and vm[1] last; alloc_vmemmap_page_list()
 * list_add()s each new page and vmemmap_restore_pte() takes
 * list_first_entry(), so the restore maps vm[1] to the page allocated
 * last and vm[7] to the first. On 6.12.113: the restore of the 6.12.114
 * backport leaves the copies of the head that debian-6.12-restore is about
 * (doc/KERNEL-BUGS.md), which the checker would name.
 */
static void
test_vmemmap_list_order(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12.113");
	struct page_events e = { 0 };
	struct hvo_kernel_info ki;
	uint64_t pfn, old[8];
	unsigned k = 0, kept;

	(void)state;
	assert_int_equal(hvo_machine_kernel(m, &ki), 0);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 1), 0);
	assert_int_equal(hvo_set_variant(m, ki.variant), 0);
	assert_int_equal(hvo_hugepage_pfn(m, SZ, 0, &pfn), 0);
	for (unsigned i = 0; i < 8; i++)
		old[i] = tu_vmemmap_frame(m, pfn, i);

	assert_int_equal(hvo_set_trace(m, record, &e), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	kept = 8 - (unsigned)pool(m).vmemmap_pages_freed_per_hugepage;
	assert_true(kept >= 1 && kept < 8);
	/* The old pages of vm[kept] to vm[7] are freed, vm[7] first. */
	for (unsigned i = 0; i < e.nr_free; i++) {
		for (unsigned v = kept; v < 8; v++) {
			if (e.free[i] != old[v])
				continue;
			assert_int_equal(v, 7 - k);
			k++;
		}
	}
	assert_int_equal(k, 8 - kept);

	memset(&e, 0, sizeof(e));
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hvo_set_trace(m, NULL, NULL), 0);
	assert_int_equal(e.nr_alloc, 8 - kept);
	/* vm[kept] gets the page allocated last, vm[7] the first. */
	for (unsigned v = kept; v < 8; v++)
		assert_int_equal(tu_vmemmap_frame(m, pfn, v), e.alloc[7 - v]);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Where @pfn is in @e's frees, or -1. */
static int
freed_at(const struct page_events *e, uint64_t pfn)
{
	for (unsigned i = 0; i < e->nr_free; i++)
		if (e->free[i] == pfn)
			return (int)i;
	return -1;
}

/*
 * 6.12's set_max_huge_pages() list_add()s each page it allocates and
 * prep_and_add_allocated_folios() hands that list to
 * hugetlb_vmemmap_optimize_folios(): the newest hugepage is optimized,
 * and its old vmemmap pages collected, first. free_vmemmap_page_list()
 * then walks the list from its head: the oldest hugepage's pages are
 * freed first, vm[7] before vm[1].
 */
static void
test_batch_order(void **state)
{
	const char *spec = "x86_64:mem=256M,kernel=6.12";
	struct hvo_machine *m = tu_machine(spec);
	struct page_events e = { 0 };
	uint64_t p[2], vm1[2], vm7[2];

	(void)state;
	/* The same machine twice: the first says which pfns the grow takes. */
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_int_equal(tu_pool_pfns(m, SZ, p, 2), 2);
	hvo_machine_free(m);
	m = tu_machine(spec);
	for (int i = 0; i < 2; i++) {
		vm1[i] = tu_vmemmap_frame(m, p[i], 1);
		vm7[i] = tu_vmemmap_frame(m, p[i], 7);
	}
	assert_int_equal(hvo_set_trace(m, record, &e), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_int_equal(hvo_set_trace(m, NULL, NULL), 0);
	assert_int_equal(tu_pool_pfns(m, SZ, p, 2), 2);
	assert_true(freed_at(&e, vm7[0]) >= 0);
	assert_true(freed_at(&e, vm7[0]) < freed_at(&e, vm1[0]));
	assert_true(freed_at(&e, vm1[0]) < freed_at(&e, vm7[1]));
	assert_true(freed_at(&e, vm7[1]) < freed_at(&e, vm1[1]));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The boot pool of gigantic pages, whose order memblock (top down) and
 * the gather decide. 6.12's gather_bootmem_prealloc_node() list_add()s
 * each page of huge_boot_pages (itself list_add()ed at allocation) to a
 * list that prep_and_add_bootmem_folios() enqueues in allocation order:
 * the page allocated last, the lowest, is at the head, the one a fault
 * takes. 6.1's gather_bootmem_prealloc() enqueues straight from
 * huge_boot_pages: the page allocated first, the highest, is the head.
 */
static void
check_bootmem_freelist_order(const char *spec, unsigned head_slot)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t p[3], got;

	assert_int_equal(tu_pool_pfns(m, UINT64_C(1) << 30, p, 3), 3);
	/* memblock allocates top down: the first page is the highest. */
	assert_true(p[0] > p[1] && p[1] > p[2]);
	assert_int_equal(hvo_hugepage_get(m, UINT64_C(1) << 30, &got), 0);
	assert_int_equal(got, p[head_slot]);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_bootmem_freelist_order(void **state)
{
	(void)state;
	check_bootmem_freelist_order("x86_64:mem=8G,hugepages=1G:3,kernel=6.12", 2);
	check_bootmem_freelist_order("x86_64:mem=8G,hugepages=1G:3,kernel=6.1", 0);
}

/*
 * A private hugetlb mapping's reservations, on 6.12, through the calls a
 * scenario's mmap_hugetlb and munmap_hugetlb make: hugetlb_reserve_pages()
 * reserves the whole range at mmap (hugetlb_acct_memory()), a fault
 * consumes one (alloc_hugetlb_folio(): dequeue_hugetlb_folio_vma()
 * decrements resv_huge_pages), an unmap frees the pages touched
 * (free_huge_folio()) and hugetlb_vm_op_close() gives back those never
 * touched. No subpool: a mount without size= has none.
 */
static void
test_mapping_reservations(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,kernel=6.12");
	uint64_t a[3], b, c[3];

	(void)state;
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 4), 0);
	/* Map 3 and touch them all. */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 3), 0);
	assert_pool(m, 4, 4, 3, 0, 4);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &a[i]), 0);
	assert_pool(m, 4, 1, 0, 0, 4);
	/* Unmap them: the pages go back to the pool, nothing to unreserve. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(hvo_free_huge_folio(m, a[i]), 0);
	assert_pool(m, 4, 4, 0, 0, 4);
	tu_assert_check(m);

	/* Map 3 and touch 1: 2 stay reserved. */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 3), 0);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &b), 0);
	assert_pool(m, 4, 3, 2, 0, 4);
	/* The last page free and unreserved: a fault elsewhere takes it. */
	assert_int_equal(hvo_hugepage_get(m, SZ, &c[0]), 0);
	assert_pool(m, 4, 2, 2, 0, 4);
	assert_int_equal(hvo_hugepage_get(m, SZ, &c[1]), -ENOMEM);
	assert_int_equal(hvo_free_huge_folio(m, c[0]), 0);
	/* Unmap part: one untouched page, then the touched one. */
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 1), 0);
	assert_pool(m, 4, 3, 1, 0, 4);
	assert_int_equal(hvo_free_huge_folio(m, b), 0);
	assert_pool(m, 4, 4, 1, 0, 4);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 1), 0);
	assert_pool(m, 4, 4, 0, 0, 4);
	tu_assert_check(m);

	/*
	 * Shrink while reserved: map 3, touch 1, nr_hugepages 0. min_count
	 * is resv 2 + 1 in use: one free page goes, and
	 * adjust_pool_surplus(1) counts the 3 left as surplus.
	 */
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 3), 0);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &c[0]), 0);
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 0), 0);
	assert_pool(m, 3, 2, 2, 3, 0);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &c[1]), 0);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &c[2]), 0);
	assert_pool(m, 3, 0, 0, 3, 0);
	tu_assert_check(m);
	/* Each page unmapped is a surplus page: the buddy allocator's. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(hvo_free_huge_folio(m, c[i]), 0);
	assert_pool(m, 0, 0, 0, 0, 0);

	/*
	 * Overcommit with surplus: pool 2, overcommit 2, map 3 and touch 1.
	 * gather_surplus_pages() adds 1 surplus page; unmapping frees the
	 * touched page first (surplus: to the buddy allocator), then
	 * return_unused_surplus_pages() finds no surplus left to free.
	 */
	assert_int_equal(hvo_set_max_huge_pages(m, SZ, 2), 0);
	assert_int_equal(hvo_set_nr_overcommit_hugepages(m, SZ, 2), 0);
	assert_int_equal(hvo_hugetlb_reserve_pages(m, SZ, 3), 0);
	assert_pool(m, 3, 3, 3, 1, 2);
	assert_int_equal(hvo_alloc_hugetlb_folio(m, SZ, true, &b), 0);
	assert_pool(m, 3, 2, 2, 1, 2);
	assert_int_equal(hvo_free_huge_folio(m, b), 0);
	assert_pool(m, 2, 2, 2, 0, 2);
	assert_int_equal(hvo_hugetlb_unreserve_pages(m, SZ, 2), 0);
	assert_pool(m, 2, 2, 0, 0, 2);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrink_below_in_use),
		cmocka_unit_test(test_strict_setter_keeps_in_use),
		cmocka_unit_test(test_overcommit_mmap),
		cmocka_unit_test(test_reserve_unreserve),
		cmocka_unit_test(test_restore_transient_failure_bulk),
		cmocka_unit_test(test_restore_failure_makes_surplus_bulk),
		cmocka_unit_test(test_restore_failure_makes_surplus_single),
		cmocka_unit_test(test_put_surplus_restore_fails),
		cmocka_unit_test(test_freelist_order_batched),
		cmocka_unit_test(test_freelist_order_single),
		cmocka_unit_test(test_vmemmap_list_order),
		cmocka_unit_test(test_batch_order),
		cmocka_unit_test(test_bootmem_freelist_order),
		cmocka_unit_test(test_mapping_reservations),
	};

	return tu_run("pools", tests, sizeof(tests) / sizeof(tests[0]));
}
