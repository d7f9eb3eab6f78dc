/* SPDX-License-Identifier: MIT */
/*
 * What the simulation does around HVO to save host memory and time; the
 * kernel has no counterpart. lib/hugetlb/vmemmap.c calls these where
 * mm/hugetlb_vmemmap.c has a list through page->lru, a copy_page() or
 * nothing at all, so that it holds the algorithm alone and can be read
 * beside the kernel's file. Nothing here changes a counter, an entry or a
 * byte that the simulated kernel can read.
 */
#ifndef HVO_VMEMMAP_HOST_H
#define HVO_VMEMMAP_HOST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hugetlb/hugetlb.h"
#include "mm/memmap_compact.h"
#include "mm/page.h"

/*
 * A list of vmemmap pages: to free after a remap, or to map in a restore.
 * The kernel threads it through page->lru; here it is a host array.
 */
struct pfn_list {
	uint64_t *pfn;
	size_t n, max, next; /* next: the first not yet taken */
};

/* Room for one more: 0 or -ENOMEM (host memory). */
int
pfn_list_grow(struct pfn_list *l);

/* list_add(): 0 or -ENOMEM (host memory). */
static inline int
pfn_list_add(struct pfn_list *l, uint64_t pfn)
{
	if (l->n == l->max && pfn_list_grow(l))
		return -ENOMEM;
	l->pfn[l->n++] = pfn;
	return 0;
}

/* list_first_entry() and list_del(): false once every page was taken. */
static inline bool
pfn_list_take(struct pfn_list *l, uint64_t *pfn)
{
	if (l->next == l->n)
		return false;
	*pfn = l->pfn[l->next++];
	return true;
}

static inline bool
pfn_list_empty(const struct pfn_list *l)
{
	return l->next == l->n;
}

/*
 * The machine's list for a batch that collects up to @want pages, kept
 * between batches so that resizing a pool of half a million hugepages does
 * not allocate it each time (room for all is a hint); put it back when the
 * batch is done. Its host pages stay: a full pool of 1 TiB keeps 64 bytes
 * per hugepage (its eight vmemmap pages) for the next grow, which faulted
 * them in again when the list gave them back after each batch (8,000
 * faults of 4 KiB, a tenth of a second on a VM; doc/PERFORMANCE.md).
 * Past HOST_ARRAY_HUGE it is a mapping in huge pages (host_array_grow()).
 */
void
__vmemmap_batch_list_get(struct hvo_machine *m, struct pfn_list *l,
			 uint64_t want);

/* Inline where the list has the room already: one hugepage's. */
static inline void
vmemmap_batch_list_get(struct hvo_machine *m, struct pfn_list *l,
		       uint64_t want)
{
	struct hugetlb *hg = m->hugetlb;

	if (unlikely(hg->batch_pfns_max < want)) {
		__vmemmap_batch_list_get(m, l, want);
		return;
	}
	*l = (struct pfn_list){ .pfn = hg->batch_pfns, .max = hg->batch_pfns_max };
}

/* The list's room, grown by the batch or not, is the machine's again. */
static inline void
vmemmap_batch_list_put(struct hvo_machine *m, const struct pfn_list *l)
{
	struct hugetlb *hg = m->hugetlb;

	hg->batch_pfns = l->pfn;
	hg->batch_pfns_max = l->max;
}

/*
 * A safe point after the hugepage at @pfn was optimized: its new head page
 * and the old one (the first page @list took from @old on, until freed)
 * may be described instead of held (memmap_compact_note()).
 */
static inline void
vmemmap_host_optimized(struct hvo_machine *m, uint64_t pfn,
		       const struct pfn_list *l, size_t old)
{
	memmap_compact_note_alias(m, pfn_to_page(m, pfn),
				  l->n > old ? l->pfn[old] : UINT64_MAX);
}

/*
 * A safe point after the vmemmap of the hugepage at @pfn was restored, or
 * the hugepage went back to the buddy allocator: the vmemmap pages that
 * wrote may be described instead of held (memmap_compact_note_hosted()).
 */
static inline void
hugetlb_host_freed(struct hvo_machine *m, const struct hstate *h, uint64_t pfn)
{
	memmap_compact_note_hosted(m, pfn_to_page(m, pfn), h->vmemmap_pages);
}

/* Loads the next steps of a loop will make, started early. */
static inline void
prefetch_vmemmap_list(struct hvo_machine *m, const struct pfn_list *l,
		      size_t i)
{
	/* free_vmemmap_page_list() walks the list down, from its head. */
	if (i >= l->next + 8)
		prefetch_page_meta(m, l->pfn[i - 8]);
}

static inline void
prefetch_folio_to_optimize(struct hvo_machine *m, struct huge_page **pages,
			   uint64_t i, uint64_t n)
{
	if (i + 4 < n)
		prefetch_struct_page(m, pages[i + 4]->pfn);
}

/* A fakehead restore reads its whole head page. */
static inline void
prefetch_folio_to_restore(struct hvo_machine *m, struct huge_page **pages,
			  uint64_t i, uint64_t n)
{
	if (i + 4 < n && pages[i + 4]->variant == HVO_VARIANT_FAKEHEAD)
		prefetch_vmemmap_page(m, pages[i + 4]->pfn);
	else if (i + 4 < n)
		prefetch_struct_page(m, pages[i + 4]->pfn);
}

/*
 * copy_page() of the head's vmemmap page, frame @from, into frame @to.
 * @from is unmapped next and freed after the flush, so nobody writes it
 * through a translation cached now: @to shares its host page until either
 * is written.
 */
void
vmemmap_copy_head(struct hvo_machine *m, uint64_t to, uint64_t from);

/*
 * A fakehead restore rebuilds every tail page as a copy of the head page
 * with reset_struct_pages() applied. That copy is a page of plain tails
 * whenever the head page's tails from the first one not reset on are
 * plain (they are, unless something wrote them): then describe it to
 * phys, to be filled if anyone ever reads it, instead of writing it now.
 */
struct restore_tails {
	uint64_t head_pfn;       /* the hugepage being restored */
	unsigned order;
	unsigned nr_reset;       /* NR_RESET_STRUCT_PAGE of the release */
	int plain_tails;         /* whether the copies are plain: -1 unknown */
	uint8_t tail_tpl[256];   /* the plain tail compared with */
	int tail_tid;            /* memmap_tpl_id() of it */
};

static inline void
restore_tails_init(struct restore_tails *t, uint64_t head_pfn, unsigned order,
		   unsigned nr_reset)
{
	t->head_pfn = head_pfn;
	t->order = order;
	t->nr_reset = nr_reset;
	t->plain_tails = -1;
}

/*
 * Make frame @dst what copy_page() of @src and reset_struct_pages() would:
 * true if done by description, false if the caller must copy and reset.
 */
bool
restore_plain_tails(struct hvo_machine *m, uint64_t dst, uint64_t src,
		    struct restore_tails *t);

#endif /* HVO_VMEMMAP_HOST_H */
