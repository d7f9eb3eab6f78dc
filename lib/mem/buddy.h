/* SPDX-License-Identifier: MIT */
/*
 * Zones and the buddy allocator, as mm/page_alloc.c.
 *
 * Every piece of allocator state that the kernel keeps in struct pages is
 * kept there: a free block is marked PageBuddy on its first page with its
 * order in page->private, and it is linked into its zone's free_area list
 * through page->lru. Those fields are read and written through the vmemmap,
 * so when HVO remaps it, the allocator sees the remapped struct pages.
 *
 * The list heads live in struct zone, which is host memory here (the kernel
 * keeps it in the direct map). A head has a kernel address of its own,
 * free_list_head_va(), which is stored in the first and last pages' lru
 * links but never dereferenced, so list_add()/list_del() know where a list
 * ends.
 */
#ifndef HVO_BUDDY_H
#define HVO_BUDDY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/machine.h"

/* Lay out the zones over RAM from the arch's zone limits. */
void
zones_init(struct hvo_machine *m);

/* The zone a present pfn belongs to. */
enum zone_type
pfn_zone(const struct hvo_machine *m, pfn_t pfn);

/* The kernel address of a free list's head (never a struct page). */
uint64_t
free_list_head_va(const struct hvo_machine *m, enum zone_type z,
		  unsigned order, enum migratetype mt);

/* The same for pcp list @pindex (order_to_pindex()). */
uint64_t
pcp_list_head_va(const struct hvo_machine *m, enum zone_type z,
		 unsigned pindex);

/* Every free list and pcp list of @z empty (free_area_init_core()). */
void
zone_init_free_lists(struct hvo_machine *m, enum zone_type z);

/*
 * order_to_pindex() and pindex_to_order(): the pcp list of a migratetype
 * below MIGRATE_PCPTYPES and an order up to PAGE_ALLOC_COSTLY_ORDER, or
 * THP's order (pageblock_order here).
 */
unsigned
order_to_pindex(const struct hvo_machine *m, enum migratetype mt,
		unsigned order);

unsigned
pindex_to_order(const struct hvo_machine *m, unsigned pindex);

/* Set a zone's pcp batch and high from its managed pages (zone_batchsize). */
void
zone_pcp_init(struct hvo_machine *m, enum zone_type z);

/* drain_all_pages(): every pcp page back to the buddy lists. */
int
drain_all_pages(struct hvo_machine *m);

/*
 * alloc_pages(): 2^@order pages from @highest down, of migratetype @mt
 * (gfp_migratetype() of the caller's gfp flags: a pcp type). @cat is what
 * they are for, for page_owner and the trace.
 */
int
alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	    enum migratetype mt, enum hvo_page_category cat, pfn_t *pfn);

/*
 * Free an allocation made by alloc_pages() with the same order. A pfn that
 * is not the head of such an allocation, a double free or a wrong order
 * returns -EINVAL with a reason and changes nothing.
 */
int
free_pages(struct hvo_machine *m, pfn_t pfn, unsigned order);

/* Make an order-N allocation 2^N independent order-0 allocations. */
int
split_page(struct hvo_machine *m, pfn_t pfn, unsigned order);

/*
 * alloc_contig_pages(): 2^order contiguous pages, aligned, for orders above
 * MAX_PAGE_ORDER (gigantic pages): the first range, zone by zone from
 * @highest down and upwards in each, that pfn_range_valid_contig() and
 * the isolation of its pageblocks accept (lib/mem/buddy.c says how).
 */
int
alloc_contig_pages(struct hvo_machine *m, unsigned order,
		   enum zone_type highest, enum hvo_page_category cat,
		   pfn_t *pfn);

/* free_contig_range() of an alloc_contig_pages() allocation. */
int
free_contig_range(struct hvo_machine *m, pfn_t pfn, unsigned order);

/*
 * Give a free range of frames (memblock_free_all(), or a deferred section
 * coming online) to the buddy allocator in the largest aligned blocks.
 */
int
buddy_free_range(struct hvo_machine *m, pfn_t pfn, uint64_t n);

/*
 * deferred_grow_zone(): initialize the next deferred sections of @z until
 * at least 2^order pages were added. Returns true if it added any.
 */
bool
deferred_grow_zone(struct hvo_machine *m, enum zone_type z, unsigned order);

/*
 * deferred_free_pages()'s marking of [@pfn, @pfn + @n): its pageblocks
 * MIGRATE_MOVABLE. The kernel finishes deferred init before anything
 * frees boot memory; the machine may free a reserved page of a deferred
 * section first (HVO's boot vmemmap), so a pageblock that already holds
 * free pages takes them along to the movable lists.
 */
void
deferred_init_pageblocks(struct hvo_machine *m, pfn_t pfn, uint64_t n);

/* free_reserved_page(): boot memory joins the buddy (MemTotal grows). */
int
free_reserved_page(struct hvo_machine *m, pfn_t pfn);

/*
 * is_free_buddy_page(): whether @pfn lies in a free block of the buddy
 * lists (any page of it, not only the PageBuddy first one).
 */
bool
is_free_buddy_page(struct hvo_machine *m, pfn_t pfn);

/*
 * One zeroed page for a kernel page table: from memblock during boot, from
 * the buddy allocator after it. Boot sets it as core's alloc_pagetable hook.
 */
int
pagetable_alloc_page(struct hvo_machine *m, uint64_t *pa);

/*
 * bad_page(): a struct page failed a check of the page allocator. Counted
 * (hvo.bad_page) and logged in the kernel's words, rate limited as the
 * kernel limits it (lib/mem/free_check.c).
 */
void
bad_page(struct hvo_machine *m, pfn_t pfn, const char *reason);

/* What free_pages_check() found. */
struct free_check {
	uint64_t bad;            /* bad_page() reports */
	pfn_t first_pfn;         /* the first struct page reported */
	const char *first_why;   /* and why */
};

/*
 * free_pages_prepare() with page checks on, for the compound page of
 * @order at @pfn whose head no longer has a type: every tail through
 * free_tail_page_prepare() and free_page_is_bad(), then the head through
 * free_page_is_bad(), each failure a bad_page() report. With no report
 * (@fc->bad 0) the page may be freed; with one the kernel keeps it
 * (leak_pages()), its struct pages as free_pages_prepare() leaves them.
 * Returns 0, or the fault of an unreadable struct page.
 */
int
free_pages_check(struct hvo_machine *m, pfn_t pfn, unsigned order,
		 struct free_check *fc);

/*
 * A page free_pages_check() found bad is never freed: its frames stay
 * held, as HVO_PAGES_LEAKED, and still managed (MemTotal keeps them).
 */
void
leak_pages(struct hvo_machine *m, pfn_t pfn);

/*
 * Fault injection: should this page allocation of @order fail?
 * should_fail_alloc_page() (mm/fail_page_alloc.c) with the gfp flags the
 * kernel allocates a page of @cat with; @contig for alloc_contig_pages(),
 * which no kernel fault point covers (only libhvo's shortcut fails it).
 */
bool
should_fail_alloc_page(struct hvo_machine *m, unsigned order,
		       enum hvo_page_category cat, bool contig);

/* fail_page_alloc's defaults (FAULT_ATTR_INITIALIZER and its own). */
void
fail_page_alloc_init(struct hvo_machine *m);

#endif /* HVO_BUDDY_H */
