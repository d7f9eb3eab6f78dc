/* SPDX-License-Identifier: MIT */
/*
 * Demote (mm/hugetlb.c, 5.16 on): free hugepages of one size become
 * hugepages of a smaller size. The vmemmap of each is restored first, the
 * page is split, and the new pages are optimized: one source page at a
 * time up to 6.11 (demote_free_huge_page(), and its folio successors), two
 * batches per call from 6.12 (demote_free_hugetlb_folios()).
 *
 * Demote takes the free pages from the head of the LIFO free list
 * (huge_page.lru, as dequeue_hugetlb_folio() reads it), and the new pages
 * are enqueued with enqueue_hugetlb_folio() in the order the kernel adds
 * them, so the page it enqueues last is the next one a fault takes. Pages
 * in use are never demoted; reserved and surplus ones may be, as the
 * kernel's counts allow (demote_pool_huge_page()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "hugetlb/hugetlb.h"
#include "mmu/mmu.h"

/*
 * HUGETLB_PAGE_ORDER: HPAGE_SHIFT is PMD_SHIFT on x86_64, arm64 and
 * riscv64, so it is the order of the PMD level.
 */
static unsigned
hugetlb_page_order(const struct hvo_machine *m)
{
	return m->arch.level[pmd_depth(m)].shift - m->arch.page_shift;
}

/*
 * hugetlb_init_hstates() sets the largest smaller hstate as the default.
 * It skips gigantic hstates that cannot be freed at run time and, with
 * hugetlb_cma=, the small ones; libhvo has no CMA area and every arch it
 * models frees gigantic pages at run time (CONFIG_CONTIG_ALLOC).
 */
unsigned
hstate_demote_order(const struct hvo_machine *m, const struct hstate *h)
{
	unsigned order = 0;

	if (!kernel_get(m, RP_DEMOTE))
		return 0;
	if (h->demote_order)
		return h->demote_order;
	for (unsigned i = 0; i < m->hugetlb->nr_hstates; i++) {
		const struct hstate *h2 = &m->hugetlb->hstates[i];

		if (h2->order < h->order && h2->order > order)
			order = h2->order;
	}
	return order;
}

/*
 * demote_size_store(): the size must be an hstate's, of at least
 * HUGETLB_PAGE_ORDER (an arm64 64K page can be the default, yet never be
 * written), and smaller than @h's.
 */
int
demote_size_store(struct hvo_machine *m, struct hstate *h, uint64_t size)
{
	struct hstate *dst = size_to_hstate(m, size);
	unsigned min = hugetlb_page_order(m);

	if (!dst)
		return machine_err(m, -EINVAL,
				   "demote_size %" PRIu64 ": not a hugepage size of this machine",
				   size);
	if (dst->order < min)
		return machine_err(m, -EINVAL,
				   "demote_size %s: smaller than HUGETLB_PAGE_ORDER (order %u), which demote_size_store() refuses",
				   dst->name, min);
	if (dst->order >= h->order)
		return machine_err(m, -EINVAL,
				   "demote_size %s: the %s hugepages can only demote to a smaller size",
				   dst->name, h->name);
	h->demote_order = dst->order;
	return 0;
}

/*
 * split_page_owner() and the split of demote_free_hugetlb_folios(): the
 * restored source page in slot @k leaves @src's pool, and every piece of
 * it becomes a hugepage of @dst (prep_compound_page() and
 * init_new_hugetlb_folio(), which write every struct page). The pieces'
 * pfns go to @out in ascending order; they join no pool yet.
 */
static int
demote_split(struct hvo_machine *m, struct hstate *src, struct hstate *dst,
	     uint64_t k, pfn_t *out)
{
	pfn_t pfn = src->pages[k].pfn;
	uint64_t n = UINT64_C(1) << (src->order - dst->order);
	unsigned was;
	int rc;

	src->free--;
	pool_remove(m, src, k);
	page_owner_free(&m->owner, pfn, src->order, &was);
	for (uint64_t i = 0; i < n; i++) {
		out[i] = pfn + (i << dst->order);
		page_owner_alloc(&m->owner, out[i], dst->order,
				 HVO_PAGES_HUGETLB);
		rc = prep_new_hugetlb_folio(m, dst, out[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* The slot of the pool page at @pfn: slots move when a page leaves. */
static uint64_t
slot_of(struct hvo_machine *m, struct hstate *h, pfn_t pfn)
{
	return (uint64_t)(find_huge_page(m, pfn, NULL) - h->pages);
}

/*
 * demote_free_huge_page() (5.16-6.11): restore one page on its own (its
 * own flushes, and a synchronize_rcu() per request in 6.10 and 6.11),
 * split it, and prepare, optimize and enqueue each new page in turn
 * (prep_new_huge_page(), then free_huge_page() enqueues it), so the last
 * piece ends at the head of the free list; free_huge_page() frees a
 * piece instead while the smaller size counts surplus pages, one piece
 * per surplus page (demote-frees-surplus-pieces, doc/KERNEL-BUGS.md). A restore that fails puts the page
 * back (add_hugetlb_page(): at the head, where it was): it stays in the
 * pool, optimized, and the errno ends demote_store().
 */
static int
demote_one(struct hvo_machine *m, struct hstate *src, struct hstate *dst,
	   pfn_t src_pfn, pfn_t *pfns, uint64_t *done)
{
	uint64_t n = UINT64_C(1) << (src->order - dst->order);
	uint64_t k = slot_of(m, src, src_pfn);
	int rc = hugetlb_restore_folio(m, src, &src->pages[k]);

	if (rc) {
		enqueue_hugetlb_folio(src, &src->pages[k]);
		return rc;
	}
	*done = 1;
	rc = demote_split(m, src, dst, k, pfns);
	for (uint64_t i = 0; i < n && !rc; i++) {
		struct huge_page *hp;

		rc = pool_add(m, dst, pfns[i], false);
		if (rc)
			break;
		hp = &dst->pages[dst->nr - 1];
		hugetlb_vmemmap_optimize_folio(m, dst, hp);
		/*
		 * free_huge_folio() of the new page: while @dst counts
		 * surplus pages, it is taken for one of them and goes to
		 * the page allocator (restored first), not to the pool.
		 */
		if (dst->surplus) {
			hp->in_use = true;
			dst->free--;
			rc = free_huge_folio(m, dst, hp);
		}
	}
	return rc;
}

/*
 * demote_free_hugetlb_folios() (6.12): restore every source page as one
 * batch (one flush_tlb_all()), in the order of the kernel's list, which
 * is the reverse of the order they were taken off the free list in
 * (list_add()). The batch stops at the first page it cannot restore: that
 * page and the optimized ones after it go back to the pool
 * (add_hugetlb_folio(), enqueued in the list's order), the rest are split
 * in the list's order, each piece list_add()ed to dst_list. The new pages
 * are optimized as one batch (two flush_tlb_all()) and enqueued walking
 * dst_list, newest piece first (prep_and_add_allocated_folios()): the
 * first piece of the page taken last ends at the head of the free list.
 * @pick holds the pfns taken, in the order taken. @return the restore's
 * errno, or 0; *@done the pages demoted.
 */
static int
demote_batch(struct hvo_machine *m, struct hstate *src, struct hstate *dst,
	     const pfn_t *pick, uint64_t n, pfn_t *pfns, uint64_t *done)
{
	uint64_t per = UINT64_C(1) << (src->order - dst->order), first;
	struct huge_page **list = batch_list(m, n + 1);
	uint64_t nr_new = 0, stuck = 0;
	long restored;
	int rc = 0;

	if (!list)
		return machine_err(m, -ENOMEM, "out of host memory");
	for (uint64_t i = 0; i < n; i++)
		list[i] = find_huge_page(m, pick[n - 1 - i], NULL);
	restored = hugetlb_vmemmap_restore_folios(m, src, list, n);
	for (uint64_t i = 0; i < n; i++)
		stuck += list[i]->variant != HVO_VARIANT_OFF;
	if (stuck)
		rc = restored < 0 ? (int)restored : -ENOMEM;
	/* The list's order; a slot is looked up as each page leaves. */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = slot_of(m, src, pick[n - 1 - i]);
		int err;

		if (src->pages[k].variant != HVO_VARIANT_OFF)
			continue;
		err = demote_split(m, src, dst, k, pfns + nr_new);
		if (err)
			return err;
		nr_new += per;
		(*done)++;
	}
	/* add_hugetlb_folio() for those the batch could not restore. */
	for (uint64_t i = 0; i < n && stuck; i++) {
		struct huge_page *hp = find_huge_page(m, pick[n - 1 - i], NULL);

		if (hp && hp->variant != HVO_VARIANT_OFF)
			enqueue_hugetlb_folio(src, hp);
	}
	first = dst->nr;
	for (uint64_t j = nr_new; j-- > 0;) {
		int err = pool_add(m, dst, pfns[j], false);

		if (err)
			return err;
	}
	list = batch_list(m, nr_new + 1);
	if (!list)
		return machine_err(m, -ENOMEM, "out of host memory");
	for (uint64_t j = 0; j < nr_new; j++)
		list[j] = &dst->pages[first + j];
	hugetlb_vmemmap_optimize_folios(m, dst, list, nr_new);
	return rc;
}

/*
 * The pfns of the first @nr free pages of @h from the head of its free
 * list (list_for_each_entry_safe() over hugepage_freelists), in @pick.
 * @return how many, or -ENOMEM (host memory).
 */
static int64_t
take_from_freelist(struct hvo_machine *m, struct hstate *h, uint64_t nr,
		   pfn_t *pick)
{
	struct huge_page **fl, *best = NULL;
	uint64_t f = 0;

	if (nr == 1) {
		/* One page: a scan for the head, no sort. */
		for (uint64_t k = 0; k < h->nr; k++) {
			struct huge_page *hp = &h->pages[k];

			if (!hp->in_use && !hp->freed &&
			    (!best || hp->lru > best->lru))
				best = hp;
		}
		if (!best)
			return 0;
		pick[0] = best->pfn;
		return 1;
	}
	fl = malloc((h->free + 1) * sizeof(*fl));
	if (!fl)
		return machine_err(m, -ENOMEM, "out of host memory");
	for (uint64_t k = 0; k < h->nr && f < h->free; k++)
		if (!h->pages[k].in_use && !h->pages[k].freed)
			fl[f++] = &h->pages[k];
	sort_newest_first(fl, f);
	if (nr > f)
		nr = f;
	for (uint64_t i = 0; i < nr; i++)
		pick[i] = fl[i]->pfn;
	free(fl);
	return (int64_t)nr;
}

/*
 * demote_pool_huge_page(): take free pages of @src from the head of its
 * free list and demote them; max_huge_pages follows, as the kernel
 * updates it. 6.12 takes up to @nr at once, whatever is reserved: only
 * demote_store() looks at resv_huge_pages, and only to see that some
 * free page is not reserved, so a batch may take reserved pages too
 * (demote-takes-reserved, doc/KERNEL-BUGS.md). Before 6.12 it takes one,
 * and demote_store() looks again before the next. Neither looks at
 * surplus_huge_pages: remove_hugetlb_folio(src, folio, false) leaves the
 * count as it was, also when the page taken is the last that count
 * stood for (demote-keeps-surplus). @return 0 or the errno; *@done the
 * pages demoted.
 */
static int
demote_pool_huge_page(struct hvo_machine *m, struct hstate *src,
		      uint64_t nr, uint64_t *done)
{
	struct hstate *dst = size_to_hstate(m, UINT64_C(1) <<
					    (hstate_demote_order(m, src) +
					     m->arch.page_shift));
	bool batched = kernel_get(m, RP_DEMOTE_BATCHED);
	uint64_t per = UINT64_C(1) << (src->order - dst->order);
	int64_t n;
	pfn_t *pick, *pfns;
	int rc;

	*done = 0;
	if (!batched)
		nr = 1;
	else if (nr > src->free)
		nr = src->free;
	pick = malloc((nr + 1) * sizeof(*pick));
	pfns = malloc((nr * per + 1) * sizeof(*pfns));
	if (!pick || !pfns) {
		free(pick);
		free(pfns);
		return machine_err(m, -ENOMEM, "out of host memory");
	}
	n = nr ? take_from_freelist(m, src, nr, pick) : 0;
	if (n < 0) {
		rc = (int)n;
	} else if (!n) {
		rc = -EBUSY; /* only hwpoisoned pages in the kernel */
	} else if (batched) {
		rc = demote_batch(m, src, dst, pick, (uint64_t)n, pfns, done);
	} else {
		rc = demote_one(m, src, dst, pick[0], pfns, done);
	}
	src->max_huge_pages -= *done;
	dst->max_huge_pages += *done * per;
	/* The kernel's own rules of the counts no longer hold: say why. */
	if (src->resv > src->free || src->surplus > src->nr)
		src->counts_broken = true;
	free(pick);
	free(pfns);
	return rc;
}

/*
 * demote_store(): demote until @nr pages are done or no free page is
 * left that nobody reserved. The kernel reads free_huge_pages -
 * resv_huge_pages as an unsigned long and stops only at 0, so after a
 * batch took reserved pages the difference wraps and it goes on while
 * free pages remain. A failure ends the loop with its errno; what was
 * demoted before stays demoted.
 */
int
demote_store(struct hvo_machine *m, struct hstate *h, uint64_t nr,
	     uint64_t *done)
{
	*done = 0;
	while (nr && h->free - h->resv) {
		uint64_t n = 0;
		int rc = demote_pool_huge_page(m, h, nr, &n);

		*done += n;
		if (rc)
			return rc;
		nr -= n;
	}
	return 0;
}
