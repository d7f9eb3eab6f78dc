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

/*
 * The zone a present pfn belongs to. Inline: every page the buddy takes
 * in or hands out asks it.
 */
static inline enum zone_type
pfn_zone(const struct hvo_machine *m, pfn_t pfn)
{
	/* A zone the kernel does not have ends at pfn 0. */
	if (pfn < m->arch.zone_dma_pfn)
		return ZONE_DMA;
	if (pfn < m->arch.zone_dma32_pfn)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}

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

/*
 * zone_set_pageset_high_and_batch(): batch from zone_batchsize(); with
 * percpu_pagelist_high_fraction 0 high_min from zone_highsize() of the
 * low watermark and high_max of MIN_PERCPU_PAGELIST_HIGH_FRACTION, else
 * both of the fraction; pcp->high starts at high_min, where the kernel's
 * first clamp puts it.
 */
void
zone_pcp_init(struct hvo_machine *m, enum zone_type z);

/* zone_batchsize() */
uint64_t
zone_batchsize(const struct hvo_machine *m, const struct zone *zone);

/* MIN_PERCPU_PAGELIST_HIGH_FRACTION */
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8

/* zone_highsize(): @high_fraction 0 for the low watermark's share. */
uint64_t
zone_highsize(const struct zone *zone, uint64_t batch, unsigned high_fraction);

/*
 * gfp flags (include/linux/gfp_types.h), the ones whose effect the
 * machine models. The values are libhvo's own.
 */
typedef unsigned gfp_t;

#define __GFP_DMA            0x0001u
#define __GFP_HIGHMEM        0x0002u
#define __GFP_DMA32          0x0004u
#define __GFP_MOVABLE        0x0008u
#define __GFP_HIGH           0x0010u
#define __GFP_IO             0x0020u
#define __GFP_FS             0x0040u
#define __GFP_ZERO           0x0080u
#define __GFP_DIRECT_RECLAIM 0x0100u
#define __GFP_KSWAPD_RECLAIM 0x0200u
#define __GFP_NOWARN         0x0400u
#define __GFP_RETRY_MAYFAIL  0x0800u
#define __GFP_NORETRY        0x1000u
#define __GFP_COMP           0x2000u
#define __GFP_THISNODE       0x4000u
#define __GFP_NOMEMALLOC     0x8000u
#define __GFP_HARDWALL       0x10000u
#define __GFP_RECLAIMABLE    0x20000u

#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_USER (GFP_KERNEL | __GFP_HARDWALL)
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)
#define GFP_PGTABLE_KERNEL (GFP_KERNEL | __GFP_ZERO)

/* alloc_flags (mm/internal.h): the low bits index _watermark[]. */
#define ALLOC_WMARK_MIN      WMARK_MIN
#define ALLOC_WMARK_LOW      WMARK_LOW
#define ALLOC_WMARK_HIGH     WMARK_HIGH
#define ALLOC_NO_WATERMARKS  0x04u
#define ALLOC_WMARK_MASK     (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM            0x08u
#define ALLOC_NON_BLOCK      0x10u
#define ALLOC_MIN_RESERVE    0x20u
#define ALLOC_NOFRAGMENT     0x100u
#define ALLOC_HIGHATOMIC     0x200u
#define ALLOC_KSWAPD         0x800u
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/*
 * The gfp mask the kernel allocates a page of @cat with, @highest the
 * zone its caller allows (for hugetlb: ZONE_MOVABLE for the sizes that
 * migrate).
 */
static inline gfp_t
page_category_gfp(enum hvo_page_category cat, enum zone_type highest)
{
	gfp_t zone_bits = highest == ZONE_DMA ? __GFP_DMA :
			  highest == ZONE_DMA32 ? __GFP_DMA32 : 0;

	switch (cat) {
	case HVO_PAGES_HUGETLB:
		/*
		 * alloc_buddy_hugetlb_folio(): htlb_alloc_mask() -- movable
		 * for the sizes that migrate, not for gigantic ones -- with
		 * __GFP_THISNODE, __GFP_RETRY_MAYFAIL and __GFP_NOWARN.
		 */
		return (highest == ZONE_MOVABLE ? GFP_HIGHUSER_MOVABLE :
			GFP_HIGHUSER) | __GFP_COMP | __GFP_NOWARN |
		       __GFP_THISNODE | __GFP_RETRY_MAYFAIL;
	case HVO_PAGES_VMEMMAP:
		/*
		 * hugetlb_vmemmap.c: the restore's pages GFP_KERNEL |
		 * __GFP_RETRY_MAYFAIL (6.1: __GFP_NORETRY | __GFP_THISNODE),
		 * a new head page GFP_KERNEL. On a machine with nothing to
		 * reclaim each drains the pcp lists once and gives up, so the
		 * retry modifier changes nothing and is left out.
		 */
		return GFP_KERNEL;
	case HVO_PAGES_PAGETABLE:
		return GFP_PGTABLE_KERNEL;
	default:
		return GFP_KERNEL | zone_bits;
	}
}

/*
 * gfp_migratetype(): the free lists an allocation of @gfp takes from.
 * The kernel reads the two mobility bits as a number (__GFP_MOVABLE 1,
 * __GFP_RECLAIMABLE 2, GFP_MOVABLE_SHIFT); both at once is a caller's bug
 * it warns about, taken here as movable. page_group_by_mobility_disabled
 * (fewer pages than pageblocks times types) never holds on a machine
 * libhvo builds.
 */
static inline enum migratetype
gfp_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* gfp_to_alloc_flags(): the slow path's alloc_flags. */
unsigned
gfp_to_alloc_flags(gfp_t gfp, unsigned order);

/* Managed pages as a booted kernel counts them (deferred memory in). */
uint64_t
zone_managed_pages(const struct zone *zone);

/* NR_FREE_PAGES of a zone: without the per-CPU lists. */
static inline uint64_t
zone_nr_free_pages(const struct zone *zone)
{
	return zone->free_pages + zone->deferred_pages;
}

static inline uint64_t
wmark_pages(const struct zone *zone, enum zone_watermarks w)
{
	return zone->_watermark[w] + zone->watermark_boost;
}

/* The vm tunables' initial values. */
void
vm_watermarks_init(struct hvo_machine *m);

/*
 * init_per_zone_wmark_min(): min_free_kbytes from lowmem, the watermarks,
 * the pcp high values and the lowmem reserves.
 */
void
init_per_zone_wmark_min(struct hvo_machine *m);

/*
 * hugepage_init() starting khugepaged, after the boot hugepages: with the
 * build's THP enabled, min_free_kbytes rises to what
 * set_recommended_min_free_kbytes() recommends, and the watermarks with it.
 */
void
khugepaged_start(struct hvo_machine *m);

/* setup_per_zone_wmarks(): watermarks and pcp high from min_free_kbytes. */
void
setup_per_zone_wmarks(struct hvo_machine *m);

/* setup_per_zone_lowmem_reserve(), with calculate_totalreserve_pages(). */
void
setup_per_zone_lowmem_reserve(struct hvo_machine *m);

bool
__zone_watermark_ok(const struct zone *zone, unsigned order, uint64_t mark,
		    enum zone_type highest, unsigned alloc_flags,
		    int64_t free_pages);

/*
 * zone_watermark_fast()'s order-0 shortcut: more free pages than @mark
 * and the protection against @highest (no CMA to leave out).
 */
static inline bool
zone_watermark_order0_ok(const struct zone *zone, uint64_t mark,
			 enum zone_type highest)
{
	return (int64_t)zone_nr_free_pages(zone) >
	       (int64_t)(mark + zone->lowmem_reserve[highest]);
}

/*
 * zone_watermark_fast(): the order-0 shortcut, then __zone_watermark_ok().
 * The boosted-watermark retry never applies: the boost stays 0. Inline:
 * every allocation asks it.
 */
static inline bool
zone_watermark_fast(const struct zone *zone, unsigned order, uint64_t mark,
		    enum zone_type highest, unsigned alloc_flags)
{
	if (!order && zone_watermark_order0_ok(zone, mark, highest))
		return true;
	return __zone_watermark_ok(zone, order, mark, highest, alloc_flags,
				   (int64_t)zone_nr_free_pages(zone));
}

/* The vm sysctl handlers: 0, or -EINVAL with a reason and no change. */
int
min_free_kbytes_sysctl_handler(struct hvo_machine *m, int64_t kbytes);

int
watermark_scale_factor_sysctl_handler(struct hvo_machine *m, int64_t factor);

void
lowmem_reserve_ratio_sysctl_handler(struct hvo_machine *m, const int *ratio,
				    unsigned n);

int
watermark_boost_factor_sysctl_handler(struct hvo_machine *m, int64_t factor);

int
percpu_pagelist_high_fraction_sysctl_handler(struct hvo_machine *m,
					     int64_t fraction);

/* drain_all_pages(): every pcp page back to the buddy lists. */
int
drain_all_pages(struct hvo_machine *m);

/*
 * alloc_pages(): 2^@order pages from @highest down, with the gfp flags the
 * kernel allocates a page of @cat with (page_category_gfp()). @cat is
 * also what they are for, for page_owner and the trace.
 */
int
alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	    enum hvo_page_category cat, pfn_t *pfn);

/*
 * The same with the caller's own @gfp: the free lists come from
 * gfp_migratetype(@gfp), the watermark flags from gfp_to_alloc_flags().
 */
int
alloc_pages_gfp(struct hvo_machine *m, unsigned order, enum zone_type highest,
		gfp_t gfp, enum hvo_page_category cat, pfn_t *pfn);

/*
 * @nr allocations of one page each, into @pfns: alloc_pages() of order 0
 * @nr times, with what does not change between two allocations from the
 * pcp list asked once. On a failure its error, and in *@nr_done the
 * pages taken before it (which the caller frees); else 0 and @nr.
 */
int
alloc_pages_n(struct hvo_machine *m, enum zone_type highest,
	      enum hvo_page_category cat, uint64_t nr, pfn_t *pfns,
	      uint64_t *nr_done);

/*
 * Free an allocation made by alloc_pages() with the same order. A pfn that
 * is not the head of such an allocation, a double free or a wrong order
 * returns -EINVAL with a reason and changes nothing.
 */
int
free_pages(struct hvo_machine *m, pfn_t pfn, unsigned order);

/* free_pages() of order 0. */
int
free_page(struct hvo_machine *m, pfn_t pfn);

/*
 * free_pages_n()'s accounting of @nr pages taken, @boot of them boot
 * memory (PageReserved()), the rest buddy pages.
 */
typedef void (*free_pages_acct_fn)(struct hvo_machine *m, uint64_t nr,
				   uint64_t boot);

/*
 * @nr frees of one page each, @pfns[@nr - 1] first (a list built by
 * list_add() is walked from its last page): PageReserved() through the
 * TLB, boot memory by free_reserved_page(), the rest by free_page(),
 * with what does not change between two frees asked once. The first
 * error stops it. @acct counts the pages taken (the one that failed
 * too): with a trace listener each page before its free, as the
 * kernel's free_vmemmap_page() does, since the listener may read the
 * counters; without one, all of them once at the end.
 */
int
free_pages_n(struct hvo_machine *m, const pfn_t *pfns, uint64_t nr,
	     free_pages_acct_fn acct);

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
 * MIGRATE_MOVABLE, which is all the kernel does. The kernel finishes
 * deferred init before anything frees boot memory; the machine may free
 * a reserved page of a deferred section first (HVO's boot vmemmap), so a
 * pageblock in the zone's early_free span, which may already hold free
 * pages, takes them along to the movable lists (and reads its struct
 * pages to find them).
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
__should_fail_alloc_page(struct hvo_machine *m, unsigned order,
			 enum hvo_page_category cat, bool contig);

/* Whether fail_page_alloc is armed: if not, asking it changes nothing. */
static inline bool
fail_page_alloc_armed(const struct hvo_machine *m)
{
	return m->fail_page_alloc.nth || m->fail_page_alloc.probability;
}

/* Inline for the common case, nothing armed. */
static inline bool
should_fail_alloc_page(struct hvo_machine *m, unsigned order,
		       enum hvo_page_category cat, bool contig)
{
	if (!fail_page_alloc_armed(m))
		return false;
	return __should_fail_alloc_page(m, order, cat, contig);
}

/* fail_page_alloc's defaults (FAULT_ATTR_INITIALIZER and its own). */
void
fail_page_alloc_init(struct hvo_machine *m);

#endif /* HVO_BUDDY_H */
