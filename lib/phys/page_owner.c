/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "phys/page_owner.h"

/* Host memory that costs nothing until written. */
static void *
lazy_alloc(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

_Static_assert(HVO_PAGES__COUNT <= (1 << PO_CAT_BITS),
	       "every page category must fit the page_owner entry");

/* Words of the summary for @nr entries. */
static uint64_t
summary_words(uint64_t nr)
{
	uint64_t blocks = (nr + (UINT64_C(1) << PO_SUMMARY_SHIFT) - 1) >>
			  PO_SUMMARY_SHIFT;

	return (blocks + 63) / 64;
}

static uint64_t
nr_blocks(uint64_t nr)
{
	return (nr + PO_BLOCK - 1) >> PO_BLOCK_SHIFT;
}

int
page_owner_init(struct page_owner *po, uint64_t base_pfn, uint64_t nr)
{
	uint64_t blocks = nr_blocks(nr);

	memset(po, 0, sizeof(*po));
	po->coarse = lazy_alloc(blocks * sizeof(*po->coarse));
	po->fine = lazy_alloc(blocks * sizeof(*po->fine));
	po->summary = calloc(summary_words(nr), sizeof(*po->summary));
	if (!po->coarse || !po->fine || !po->summary) {
		page_owner_fini(po);
		return -ENOMEM;
	}
	po->base_pfn = base_pfn;
	po->nr = nr;
	for (unsigned c = 0; c < (1u << PO_CAT_BITS); c++)
		memset(po->uniform[c], (int)c, PO_BLOCK); /* order 0 */
	return 0;
}

void
page_owner_fini(struct page_owner *po)
{
	uint64_t blocks = nr_blocks(po->nr);

	/* Fine maps are found through the summary: only marked blocks. */
	for (uint64_t b = 0; po->fine && po->nr_fine && b < blocks; b++) {
		uint64_t s = (b << PO_BLOCK_SHIFT) >> PO_SUMMARY_SHIFT;

		if (!(po->summary[s / 64] & (UINT64_C(1) << (s % 64)))) {
			b = (((s + 1) << PO_SUMMARY_SHIFT) >> PO_BLOCK_SHIFT) - 1;
			continue;
		}
		if (!po_is_uniform(po, po->fine[b]))
			free(po->fine[b]);
	}
	if (po->coarse)
		munmap(po->coarse, blocks * sizeof(*po->coarse));
	if (po->fine)
		munmap(po->fine, blocks * sizeof(*po->fine));
	po->coarse = NULL;
	po->fine = NULL;
	free(po->summary);
	po->summary = NULL;
}

po_entry_t *
po_slow_ref(struct page_owner *po, uint64_t i)
{
	uint64_t b = i >> PO_BLOCK_SHIFT;
	po_entry_t *shared = po->fine[b];
	po_entry_t *f = malloc(PO_BLOCK * sizeof(*f));

	/* On failure the entry is lost: the checker reports the frame. */
	if (!f)
		return NULL;
	if (shared) {
		memcpy(f, shared, PO_BLOCK * sizeof(*f));
	} else {
		memset(f, 0, PO_BLOCK * sizeof(*f));
		f[0] = po->coarse[b];
		po->coarse[b] = 0;
		po->nr_fine++;
	}
	po->fine[b] = f;
	return &f[i & (PO_BLOCK - 1)];
}

int
page_owner_free(struct page_owner *po, uint64_t pfn, unsigned order,
		unsigned *was_order)
{
	uint64_t i = pfn - po->base_pfn;
	po_entry_t e = po_get(po, i);

	if (!po_is_head(e))
		return -ENOENT;
	if (po_order(e) != order) {
		*was_order = po_order(e);
		return -EINVAL;
	}
	page_owner_forget(po, pfn, e);
	return 0;
}

void
page_owner_set_range(struct page_owner *po, uint64_t pfn, uint64_t n,
		     enum hvo_page_category c)
{
	while (n) {
		unsigned order = 0;

		/* The largest aligned piece that fits. */
		while (order < PO_ORDER_MASK &&
		       !(pfn & ((UINT64_C(2) << order) - 1)) &&
		       (UINT64_C(2) << order) <= n)
			order++;
		page_owner_alloc(po, pfn, order, c);
		pfn += UINT64_C(1) << order;
		n -= UINT64_C(1) << order;
	}
}

/* Write an entry, the counts unchanged: the pages keep their category. */
static void
po_put(struct page_owner *po, uint64_t pfn, unsigned order,
       enum hvo_page_category c)
{
	po_set(po, pfn - po->base_pfn,
	       (po_entry_t)((order << PO_ORDER_SHIFT) | (unsigned)c));
	page_owner_mark(po, pfn);
}

/* Halve the allocation covering @pfn down to the order-@order piece there. */
static void
carve(struct page_owner *po, uint64_t pfn, unsigned order)
{
	uint64_t head;
	unsigned o;
	enum hvo_page_category c;

	if (!page_owner_lookup(po, pfn, &head, &o, &c))
		return;
	while (o > order) {
		uint64_t half;

		o--;
		half = head + (UINT64_C(1) << o);
		po_put(po, head, o, c);
		po_put(po, half, o, c);
		if (pfn >= half)
			head = half;
	}
}

void
page_owner_split(struct page_owner *po, uint64_t pfn, unsigned order)
{
	enum hvo_page_category c;
	unsigned was;

	carve(po, pfn, order);
	c = po_cat(page_owner_entry(po, pfn));
	page_owner_free(po, pfn, order, &was);
	for (uint64_t i = 0; i < (UINT64_C(1) << order); i++)
		page_owner_alloc(po, pfn + i, 0, c);
}

bool
page_owner_lookup(const struct page_owner *po, uint64_t pfn, uint64_t *head,
		  unsigned *order, enum hvo_page_category *c)
{
	for (unsigned o = 0; o <= PO_ORDER_MASK; o++) {
		uint64_t cand = pfn & ~((UINT64_C(1) << o) - 1);
		po_entry_t e;

		if (cand < po->base_pfn)
			break;
		e = po_get(po, cand - po->base_pfn);
		if (po_is_head(e) && po_order(e) >= o) {
			*head = cand;
			*order = po_order(e);
			*c = po_cat(e);
			return true;
		}
	}
	return false;
}

/* The first head among the entries [@i, @end) of a marked block, or @end. */
static uint64_t
scan_entries(const struct page_owner *po, uint64_t i, uint64_t end)
{
	while (i < end) {
		uint64_t b = i >> PO_BLOCK_SHIFT;
		uint64_t bend = (b + 1) << PO_BLOCK_SHIFT;
		const po_entry_t *f = po->fine[b];

		if (bend > end)
			bend = end;
		if (!f) {
			/* Only the block's first entry may be set. */
			if (!(i & (PO_BLOCK - 1)) && po_is_head(po->coarse[b]))
				return i;
			i = bend;
			continue;
		}
		for (; i < bend; i++) {
			uint64_t w;

			/* Eight entries at a time where they are all zero. */
			if (!(i & 7) && i + 8 <= bend) {
				memcpy(&w, &f[i & (PO_BLOCK - 1)], sizeof(w));
				if (!w) {
					i += 7;
					continue;
				}
			}
			if (po_is_head(f[i & (PO_BLOCK - 1)]))
				return i;
		}
	}
	return end;
}

uint64_t
page_owner_next_head(const struct page_owner *po, uint64_t pfn, uint64_t end)
{
	uint64_t i = pfn - po->base_pfn, stop = end - po->base_pfn;

	while (i < stop) {
		uint64_t b = i >> PO_SUMMARY_SHIFT;
		uint64_t word = po->summary[b / 64] >> (b % 64);
		uint64_t block_end;

		if (!word) {
			/* No block marked up to the end of this word. */
			i = (b / 64 + 1) * 64 << PO_SUMMARY_SHIFT;
			continue;
		}
		if (!(word & 1)) {
			b += (uint64_t)__builtin_ctzll(word);
			i = b << PO_SUMMARY_SHIFT;
			continue;
		}
		block_end = (b + 1) << PO_SUMMARY_SHIFT;
		if (block_end > stop)
			block_end = stop;
		i = scan_entries(po, i, block_end);
		if (i < block_end)
			return po->base_pfn + i;
	}
	return end;
}

void
page_owner_alloc_pages(struct page_owner *po, uint64_t pfn, uint64_t n,
		       enum hvo_page_category c)
{
	const po_entry_t e = (po_entry_t)c; /* order 0 */
	uint64_t i = pfn - po->base_pfn, end = i + n;

	if (!n)
		return;
	while (i < end) {
		uint64_t next = (i | (PO_BLOCK - 1)) + 1;
		po_entry_t *f = po->fine[i >> PO_BLOCK_SHIFT];

		next = next < end ? next : end;
		/* A whole block untouched so far: the shared map. */
		if (!f && next - i == PO_BLOCK &&
		    !po->coarse[i >> PO_BLOCK_SHIFT]) {
			po->fine[i >> PO_BLOCK_SHIFT] = po->uniform[c];
			po->nr_fine++;
			i = next;
			continue;
		}
		if (f && po_is_uniform(po, f))
			f = po_slow_ref(po, i) ? po->fine[i >> PO_BLOCK_SHIFT] : NULL;
		/* More than the block's first entry: the block needs its
		 * fine map, as po_set() of the second would make it. */
		if (!f && next - i > !(i & (PO_BLOCK - 1)))
			f = po_slow_ref(po, i) ? po->fine[i >> PO_BLOCK_SHIFT] : NULL;
		if (f)
			memset(&f[i & (PO_BLOCK - 1)], e, next - i);
		else
			for (uint64_t k = i; k < next; k++)
				po_set(po, k, e);
		i = next;
	}
	for (i = pfn; i < pfn + n; i += UINT64_C(1) << PO_SUMMARY_SHIFT)
		page_owner_mark(po, i);
	page_owner_mark(po, pfn + n - 1);
	po->count[c] += n;
}
