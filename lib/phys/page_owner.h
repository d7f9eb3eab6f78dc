/* SPDX-License-Identifier: MIT */
/*
 * page_owner: who holds each frame, recorded beside the memmap as the
 * kernel's page_owner debug feature does: one entry at the head of every
 * allocation (its category and order), none for free memory. It lives in
 * host memory, outside the simulated machine, so that the checker can prove
 * that every frame is accounted for exactly once without trusting the
 * structures it checks.
 */
#ifndef HVO_PAGE_OWNER_H
#define HVO_PAGE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"
#include "hvo/hvo.h"

/*
 * One byte per frame: the category in the low 3 bits (never "free": a
 * zero byte means no allocation starts here), the order above it.
 *
 * Stored in blocks of PO_BLOCK frames. A block in which at most its first
 * frame starts an allocation (a hugepage pool: one head per 512 frames)
 * is one byte of the coarse map; a block with more gets a fine map of its
 * own, one byte per frame, for good. So a full pool of 2M hugepages costs
 * the host a byte per hugepage, not 512 (host memory only: the kernel's
 * page_owner keeps a record per frame). A block whose every frame is a
 * one-page allocation of one category (the vmemmap of a 16K or 64K
 * machine, mapped page by page) points at that category's shared map
 * (uniform[]) until one of its entries changes.
 */
typedef uint8_t po_entry_t;

#define PO_BLOCK_SHIFT	9
#define PO_BLOCK	(1u << PO_BLOCK_SHIFT)

#define PO_CAT_BITS	3
#define PO_CAT_MASK	((1u << PO_CAT_BITS) - 1)
#define PO_ORDER_SHIFT	PO_CAT_BITS
#define PO_ORDER_MASK	0x1fu

/*
 * The map is summarized for scans over memory nothing was ever allocated
 * in: one bit per PO_SUMMARY_SHIFT-sized block of pfns, set once an entry
 * of that block was written and never cleared. A clear bit proves its
 * block holds no entry, so page_owner_next_head() steps over it whole.
 */
#define PO_SUMMARY_SHIFT 15

struct page_owner {
	po_entry_t *coarse;  /* per block: its first frame's entry, if not fine */
	po_entry_t **fine;   /* per block: NULL, or an entry per frame */
	uint64_t nr_fine;    /* blocks with a fine map */
	uint64_t base_pfn;
	uint64_t nr;
	uint64_t count[HVO_PAGES__COUNT]; /* pages held, per category */
	uint64_t *summary;   /* a bit per block of 2^PO_SUMMARY_SHIFT entries */
	/* per category: a fine map of PO_BLOCK one-page allocations, shared */
	po_entry_t uniform[1u << PO_CAT_BITS][PO_BLOCK];
};

/* Whether the fine map @f is a shared one, to be copied before a write. */
static inline bool
po_is_uniform(const struct page_owner *po, const po_entry_t *f)
{
	return (uintptr_t)f - (uintptr_t)po->uniform < sizeof(po->uniform);
}

/* The block of the entry at index @i may hold entries now. */
static inline void
po_mark(struct page_owner *po, uint64_t i)
{
	uint64_t b = i >> PO_SUMMARY_SHIFT;

	po->summary[b / 64] |= UINT64_C(1) << (b % 64);
}

/* The block of @pfn's entry may hold entries now. */
static inline void
page_owner_mark(struct page_owner *po, uint64_t pfn)
{
	po_mark(po, pfn - po->base_pfn);
}

/*
 * The entry at index @i of the map (pfn - base_pfn), and in *@ref where
 * it is stored when that is a fine map (NULL otherwise), for a write
 * after.
 */
static inline po_entry_t
po_get_ref(const struct page_owner *po, uint64_t i, po_entry_t **ref)
{
	po_entry_t *f = po->fine[i >> PO_BLOCK_SHIFT];

	if (f) {
		*ref = &f[i & (PO_BLOCK - 1)];
		return **ref;
	}
	*ref = NULL;
	return i & (PO_BLOCK - 1) ? 0 : po->coarse[i >> PO_BLOCK_SHIFT];
}

/* The entry at index @i of the map (pfn - base_pfn). */
static inline po_entry_t
po_get(const struct page_owner *po, uint64_t i)
{
	po_entry_t *ref;

	return po_get_ref(po, i, &ref);
}

/*
 * Where the entry at index @i is written, giving its block a fine map of
 * its own (a copy of the shared one it pointed at); NULL without host
 * memory.
 */
po_entry_t *
po_slow_ref(struct page_owner *po, uint64_t i);

static inline po_entry_t *
po_ref(struct page_owner *po, uint64_t i)
{
	po_entry_t *f = po->fine[i >> PO_BLOCK_SHIFT];

	if (f && !po_is_uniform(po, f))
		return &f[i & (PO_BLOCK - 1)];
	if (!f && !(i & (PO_BLOCK - 1)))
		return &po->coarse[i >> PO_BLOCK_SHIFT];
	return po_slow_ref(po, i);
}

/* Write the entry at index @i (0 clears it). */
static inline void
po_set(struct page_owner *po, uint64_t i, po_entry_t v)
{
	po_entry_t *e;

	/* A zero needs no room where there is none: it reads as zero. */
	if (!v && !po->fine[i >> PO_BLOCK_SHIFT] && (i & (PO_BLOCK - 1)))
		return;
	e = po_ref(po, i);
	if (e)
		*e = v;
}

/* Start loading @pfn's entry, for a loop about to free it. */
static inline void
page_owner_prefetch(const struct page_owner *po, uint64_t pfn)
{
	__builtin_prefetch(&po->fine[(pfn - po->base_pfn) >> PO_BLOCK_SHIFT]);
}

int
page_owner_init(struct page_owner *po, uint64_t base_pfn, uint64_t nr);

void
page_owner_fini(struct page_owner *po);

/* An allocation of 2^order pages at pfn now belongs to category c. */
static inline void
page_owner_alloc(struct page_owner *po, uint64_t pfn, unsigned order,
		 enum hvo_page_category c)
{
	uint64_t i = pfn - po->base_pfn;
	po_entry_t v = (po_entry_t)((order << PO_ORDER_SHIFT) | (unsigned)c);
	po_entry_t *f = po->fine[i >> PO_BLOCK_SHIFT];

	/*
	 * A block with a fine map of its own is marked already (the map was
	 * made for an entry written after its mark, or copied from a shared
	 * one, whose blocks are all marked): page_owner_fini() finds the
	 * maps that way. Anything else marks first: the entry's store, a
	 * byte, could be anything's to the compiler, and @i would be
	 * computed again after it.
	 */
	if (likely(f && !po_is_uniform(po, f))) {
		f[i & (PO_BLOCK - 1)] = v;
	} else {
		po_mark(po, i);
		po_set(po, i, v);
	}
	po->count[c] += UINT64_C(1) << order;
}

/* The head entry at pfn, or 0. */
static inline po_entry_t
page_owner_entry(const struct page_owner *po, uint64_t pfn)
{
	return po_get(po, pfn - po->base_pfn);
}

static inline bool
po_is_head(po_entry_t e)
{
	return (e & PO_CAT_MASK) != 0;
}

static inline unsigned
po_order(po_entry_t e)
{
	return (e >> PO_ORDER_SHIFT) & PO_ORDER_MASK;
}

static inline enum hvo_page_category
po_cat(po_entry_t e)
{
	return (enum hvo_page_category)(e & PO_CAT_MASK);
}

/*
 * Forget the allocation at pfn. Returns 0, or -ENOENT if no allocation
 * starts there, or -EINVAL if it was made with another order (*was_order).
 */
int
page_owner_free(struct page_owner *po, uint64_t pfn, unsigned order,
		unsigned *was_order);

/*
 * page_owner_forget() with @ref from po_get_ref() of the entry: no second
 * look-up where that found one. @order: @e's, which the caller checked;
 * a free passes the order it was asked for, often a constant.
 */
static inline void
page_owner_forget_at(struct page_owner *po, uint64_t pfn, po_entry_t e,
		     unsigned order, po_entry_t *ref)
{
	po->count[po_cat(e)] -= UINT64_C(1) << order;
	if (ref && !po_is_uniform(po, ref))
		*ref = 0;
	else
		po_set(po, pfn - po->base_pfn, 0);
}

/*
 * page_owner_free() of an allocation whose head entry @e the caller has
 * read and checked already.
 */
static inline void
page_owner_forget(struct page_owner *po, uint64_t pfn, po_entry_t e)
{
	page_owner_forget_at(po, pfn, e, po_order(e), NULL);
}

/*
 * @n allocations of one page each from @pfn, all of category c: @n calls
 * of page_owner_alloc() with order 0, written a block of entries at a
 * time (the vmemmap of a petabyte mapped page by page).
 */
void
page_owner_alloc_pages(struct page_owner *po, uint64_t pfn, uint64_t n,
		       enum hvo_page_category c);

/* [pfn, pfn + n) taken for category c, as aligned power-of-two pieces. */
void
page_owner_set_range(struct page_owner *po, uint64_t pfn, uint64_t n,
		     enum hvo_page_category c);

/* The allocation at pfn now belongs to category c; its order stays. */
static inline void
page_owner_set_cat(struct page_owner *po, uint64_t pfn,
		   enum hvo_page_category c)
{
	po_entry_t e = po_get(po, pfn - po->base_pfn);
	uint64_t n = UINT64_C(1) << po_order(e);

	po->count[po_cat(e)] -= n;
	po->count[c] += n;
	po_set(po, pfn - po->base_pfn,
	       (po_entry_t)((e & ~PO_CAT_MASK) | (unsigned)c));
}

/*
 * split_page(): one order-N allocation becomes 2^N order-0 ones. If @pfn
 * lies inside a larger allocation (page_owner_set_range() of a run of
 * blocks), that one is first halved down to the order-N piece at @pfn.
 */
void
page_owner_split(struct page_owner *po, uint64_t pfn, unsigned order);

/*
 * The allocation covering pfn: its head and order; false if none (the frame
 * is free).
 */
bool
page_owner_lookup(const struct page_owner *po, uint64_t pfn, uint64_t *head,
		  unsigned *order, enum hvo_page_category *c);

/*
 * The first pfn in [@pfn, @end) where an allocation starts, or @end. Costs
 * one bit per block nothing was ever allocated in: the checker's walk over
 * never-touched memory.
 */
uint64_t
page_owner_next_head(const struct page_owner *po, uint64_t pfn, uint64_t end);

#endif /* HVO_PAGE_OWNER_H */
