/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator. Names follow mm/page_alloc.c so the two can be read
 * side by side: __free_one_page() merges, __rmqueue_smallest() and expand()
 * split, set_buddy_order()/page_is_buddy() mark and recognize free blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "mem/buddy.h"
#include "mem/memmap.h"
#include "mm/page.h"

/* The pfn whose struct page holds the list_head at @lru (container_of). */
static pfn_t
lru_to_pfn(const struct hvo_machine *m, kva_t lru)
{
	return page_to_pfn(m, lru_to_page(m, lru));
}

uint64_t
free_list_head_va(const struct hvo_machine *m, enum zone_type z,
		  unsigned order)
{
	/*
	 * Where struct zone would sit in the direct map: an address that is
	 * never a struct page, so a link holding it marks the end of a list.
	 */
	return m->arch.page_offset + 0x1000 +
	       ((uint64_t)z * NR_PAGE_ORDERS_MAX + order) * 16;
}

/* Write a link of the list: a struct page's lru, or the head in the zone. */
static inline void
set_link(struct hvo_machine *m, struct free_area *area, kva_t head_va,
	 kva_t node, bool prev, uint64_t val)
{
	if (node == head_va) {
		if (prev)
			area->prev = val;
		else
			area->next = val;
	} else {
		list_store(m, node, prev, val);
	}
}

uint64_t
pcp_list_head_va(const struct hvo_machine *m, enum zone_type z,
		 unsigned order)
{
	return free_list_head_va(m, MAX_NR_ZONES, 0) +
	       ((uint64_t)z * NR_PCP_ORDERS + order) * 16;
}

/* list_add() or list_add_tail() of a page's lru on a list in host memory. */
static void
list_add_page(struct hvo_machine *m, struct free_area *area, kva_t head,
	      pfn_t pfn, bool tail)
{
	page_t page = pfn_to_page(m, pfn);
	kva_t node = page_lru_va(m, page);
	uint64_t prev = tail ? area->prev : head;
	uint64_t next = tail ? head : area->next;
	struct page_ref r;

	/* After an oops the lists take in nothing more. */
	if (machine_oopsed(m))
		return;
	page_ref_init(m, &r, page);
	ref_set_lru(m, &r, next, prev);
	set_link(m, area, head, next, true, node);
	set_link(m, area, head, prev, false, node);
	area->nr_free++;
}

/* list_del() with the kernel's poison in the unlinked node. */
static void
list_del_page(struct hvo_machine *m, struct free_area *area, kva_t head,
	      pfn_t pfn)
{
	uint64_t next, prev;
	struct page_ref r;

	page_ref_init(m, &r, pfn_to_page(m, pfn));
	next = ref_lru_next(m, &r);
	prev = ref_lru_prev(m, &r);
	/* Links that could not be read must not reach the list heads. */
	if (machine_oopsed(m))
		return;
	set_link(m, area, head, next, true, prev);
	set_link(m, area, head, prev, false, next);
	ref_set_lru(m, &r, LIST_POISON1, LIST_POISON2);
	area->nr_free--;
}

/* __add_to_free_list(): at the head, or the tail for a block likely to merge. */
static void
add_to_free_list(struct hvo_machine *m, pfn_t pfn, enum zone_type z,
		 unsigned order, bool tail)
{
	list_add_page(m, &m->zones[z].free_area[order],
		      free_list_head_va(m, z, order), pfn, tail);
}

static void
del_from_free_list(struct hvo_machine *m, pfn_t pfn, enum zone_type z,
		   unsigned order)
{
	list_del_page(m, &m->zones[z].free_area[order],
		      free_list_head_va(m, z, order), pfn);
}

/* set_buddy_order(): the order in private, then PageBuddy (on no type). */
static int
set_buddy_order(struct hvo_machine *m, page_t page, unsigned order)
{
	struct page_ref r;

	page_ref_init(m, &r, page);
	ref_set_private(m, &r, order);
	return page_ref_set_type(m, &r, PGTY_buddy);
}

static void
clear_buddy(struct hvo_machine *m, page_t page)
{
	struct page_ref r;

	page_ref_init(m, &r, page);
	ref_clear_page_type(m, &r);
	ref_set_private(m, &r, 0);
}

/*
 * page_is_buddy(): the buddy is a free block of exactly this order in the
 * same zone.
 */
static bool
page_is_buddy(struct hvo_machine *m, pfn_t buddy_pfn, unsigned order,
	      enum zone_type z)
{
	struct page_ref r;

	if (buddy_pfn < m->vmemmap_pfn_lo || buddy_pfn >= m->vmemmap_pfn_hi ||
	    !pfn_valid(&m->phys, buddy_pfn))
		return false;
	page_ref_init(m, &r, pfn_to_page(m, buddy_pfn));
	if (!page_type_is(ref_page_type(m, &r), PGTY_buddy))
		return false;
	if (ref_private(m, &r) != order)
		return false;
	return flags_zonenum(ref_flags(m, &r)) == (unsigned)z;
}

static inline uint64_t
__find_buddy_pfn(pfn_t pfn, unsigned order)
{
	return pfn ^ (UINT64_C(1) << order);
}

/* __free_one_page(): merge with free buddies as far as they go. */
static int
__free_one_page(struct hvo_machine *m, pfn_t pfn, unsigned order,
		enum zone_type z)
{
	unsigned max = m->arch.max_page_order;
	struct zone *zone = &m->zones[z];
	uint64_t nr = UINT64_C(1) << order;
	int rc;

	while (order < max) {
		uint64_t buddy = __find_buddy_pfn(pfn, order);

		if (!page_is_buddy(m, buddy, order, z))
			break;
		del_from_free_list(m, buddy, z, order);
		clear_buddy(m, pfn_to_page(m, buddy));
		pfn &= buddy;
		order++;
	}
	rc = set_buddy_order(m, pfn_to_page(m, pfn), order);
	if (rc)
		return rc;
	/*
	 * As the kernel does: a block whose next-larger buddy is free may
	 * merge soon, so it goes to the tail and is handed out last.
	 */
	bool tail = false;

	if (order < max - 1) {
		uint64_t higher = __find_buddy_pfn(pfn & ~((UINT64_C(2) << order) - 1),
						   order + 1);

		tail = page_is_buddy(m, higher, order + 1, z);
	}
	add_to_free_list(m, pfn, z, order, tail);
	zone->free_pages += nr;
	return machine_oops_rc(m, 0);
}

int
buddy_free_range(struct hvo_machine *m, pfn_t pfn, uint64_t n)
{
	unsigned max = m->arch.max_page_order;

	while (n) {
		unsigned order = 0;
		int rc;

		while (order < max && !(pfn & ((UINT64_C(2) << order) - 1)) &&
		       (UINT64_C(2) << order) <= n)
			order++;
		enum zone_type z = pfn_zone(m, pfn);

		rc = __free_one_page(m, pfn, order, z);
		if (rc)
			return rc;
		m->zones[z].managed_pages += UINT64_C(1) << order;
		pfn += UINT64_C(1) << order;
		n -= UINT64_C(1) << order;
	}
	return 0;
}

void
fail_page_alloc_init(struct hvo_machine *m)
{
	fail_attr_init(&m->fail_page_alloc);
	m->fail_page_alloc_opts.min_order = 1;
	m->fail_page_alloc_opts.ignore_gfp_reclaim = true;
	m->fail_page_alloc_opts.ignore_gfp_highmem = true;
}

bool
should_fail_alloc_page(struct hvo_machine *m, unsigned order,
		       enum hvo_page_category cat, bool contig)
{
	const struct fail_page_alloc_opts *o = &m->fail_page_alloc_opts;
	struct fail_attr *f = &m->fail_page_alloc;
	/* The gfp of each allocation the machine makes: none is atomic. */
	gfp_t gfp = page_category_gfp(cat, ZONE_NORMAL);
	bool highmem = gfp & __GFP_HIGHMEM;
	bool nowarn = gfp & __GFP_NOWARN;
	bool reclaim = gfp & __GFP_DIRECT_RECLAIM;

	/* The shortcut counts every allocation, contiguous ones too. */
	if (fail_nth(m, f))
		return true;
	if (contig)
		return false;
	if (order < o->min_order)
		return false;
	if (o->ignore_gfp_highmem && highmem)
		return false;
	if (o->ignore_gfp_reclaim && reclaim)
		return false;
	return should_fail_ex(m, f, UINT64_C(1) << order, nowarn,
			      "fail_page_alloc");
}

/* expand(): give back the halves we do not need, largest first. */
static int
expand(struct hvo_machine *m, pfn_t pfn, unsigned low, unsigned high,
       enum zone_type z)
{
	while (high > low) {
		int rc;

		high--;
		uint64_t half = pfn + (UINT64_C(1) << high);

		rc = set_buddy_order(m, pfn_to_page(m, half), high);
		if (rc)
			return rc;
		add_to_free_list(m, half, z, high, false);
	}
	return 0;
}

/* __rmqueue_smallest(): the smallest free block that fits, split down. */
static int
__rmqueue_smallest(struct hvo_machine *m, enum zone_type z, unsigned order,
		   pfn_t *pfn)
{
	struct zone *zone = &m->zones[z];
	uint64_t head;
	int rc;

	for (unsigned cur = order; cur <= m->arch.max_page_order; cur++) {
		struct free_area *area = &zone->free_area[cur];

		head = free_list_head_va(m, z, cur);
		if (area->next == head)
			continue;
		*pfn = lru_to_pfn(m, area->next);
		del_from_free_list(m, *pfn, z, cur);
		clear_buddy(m, pfn_to_page(m, *pfn));
		rc = expand(m, *pfn, order, cur, z);
		if (rc)
			return rc;
		zone->free_pages -= UINT64_C(1) << order;
		return machine_oops_rc(m, 0);
	}
	return -ENOMEM;
}

void
zone_pcp_init(struct hvo_machine *m, enum zone_type z)
{
	struct zone *zone = &m->zones[z];
	struct per_cpu_pages *pcp = &zone->pcp;
	unsigned fraction = (unsigned)m->wmark.percpu_pagelist_high_fraction;

	pcp->batch = zone_batchsize(m, zone);
	pcp->high_min = zone_highsize(zone, pcp->batch, fraction);
	pcp->high_max = fraction ? pcp->high_min :
			zone_highsize(zone, pcp->batch,
				      MIN_PERCPU_PAGELIST_HIGH_FRACTION);
	pcp->high = pcp->high_min;
}

static bool
pcp_enabled(const struct hvo_machine *m, unsigned order)
{
	return m->cfg.pcp && m->buddy_up && order <= PAGE_ALLOC_COSTLY_ORDER;
}

/* free_pcppages_bulk(): @count pages from the pcp lists back to the buddy. */
static int
free_pcppages_bulk(struct hvo_machine *m, enum zone_type z, uint64_t count)
{
	struct per_cpu_pages *pcp = &m->zones[z].pcp;

	while (count && pcp->count) {
		unsigned o = pcp->free_next;
		struct free_area *list = &pcp->lists[o];
		uint64_t head = pcp_list_head_va(m, z, o), pfn;
		int rc;

		pcp->free_next = (o + 1) % NR_PCP_ORDERS;
		if (list->prev == head)
			continue;
		/* The coldest page: the tail. */
		pfn = lru_to_pfn(m, list->prev);
		list_del_page(m, list, head, pfn);
		rc = __free_one_page(m, pfn, o, z);
		if (rc)
			return rc;
		pcp->count -= UINT64_C(1) << o;
		count = count > (UINT64_C(1) << o) ? count - (UINT64_C(1) << o) : 0;
	}
	return 0;
}

int
drain_all_pages(struct hvo_machine *m)
{
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		int rc = free_pcppages_bulk(m, (enum zone_type)z,
					    m->zones[z].pcp.count);

		if (rc)
			return rc;
	}
	return 0;
}

/* free_unref_page(): park a small free on the pcp list, drain if too many. */
static int
free_unref_page(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	enum zone_type z = pfn_zone(m, pfn);
	struct per_cpu_pages *pcp = &m->zones[z].pcp;

	list_add_page(m, &pcp->lists[order], pcp_list_head_va(m, z, order),
		      pfn, false);
	pcp->count += UINT64_C(1) << order;
	if (pcp->count >= pcp->high)
		return free_pcppages_bulk(m, z, pcp->batch);
	return machine_oops_rc(m, 0);
}

/* rmqueue_pcplist(): from the pcp list, refilled from the buddy in a batch. */
static int
rmqueue_pcplist(struct hvo_machine *m, enum zone_type z, unsigned order,
		pfn_t *pfn)
{
	struct per_cpu_pages *pcp = &m->zones[z].pcp;
	struct free_area *list = &pcp->lists[order];
	uint64_t head = pcp_list_head_va(m, z, order);
	int rc;

	if (list->next == head) {
		/* rmqueue_bulk(): a batch of blocks, or two for larger orders. */
		uint64_t n = order ? pcp->batch >> order : pcp->batch;

		if (order && n < 2)
			n = 2;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t p;

			rc = __rmqueue_smallest(m, z, order, &p);
			if (rc == -ENOMEM)
				break;
			if (rc)
				return rc;
			list_add_page(m, list, head, p, true);
			pcp->count += UINT64_C(1) << order;
		}
		if (list->next == head)
			return -ENOMEM;
	}
	*pfn = lru_to_pfn(m, list->next);
	list_del_page(m, list, head, *pfn);
	pcp->count -= UINT64_C(1) << order;
	return machine_oops_rc(m, 0);
}

/* rmqueue(): the pcp for small orders, the buddy lists for the rest. */
static int
rmqueue(struct hvo_machine *m, enum zone_type z, unsigned order, pfn_t *pfn)
{
	if (pcp_enabled(m, order))
		return rmqueue_pcplist(m, z, order, pfn);
	return __rmqueue_smallest(m, z, order, pfn);
}

/*
 * get_page_from_freelist(): the zonelist from @highest down, each zone
 * with pages checked against the watermark @alloc_flags names and its
 * protection against @highest, and skipped if it fails. Zones without
 * managed pages are not on the zonelist (build_zonerefs_node()). Deferred
 * memory counts as free, as to a booted kernel, so the kernel's "grow a
 * zone that fails its watermark" never applies; a zone that passes grows
 * on demand when its lists run dry.
 */
static int
get_page_from_freelist(struct hvo_machine *m, unsigned order,
		       enum zone_type highest, unsigned alloc_flags, pfn_t *pfn)
{
	int rc = -ENOMEM;

	for (int z = (int)highest; z >= 0; z--) {
		struct zone *zone = &m->zones[z];

		if (!zone->configured || !zone_managed_pages(zone))
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order,
					 wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK),
					 highest, alloc_flags))
			continue;
		do {
			rc = rmqueue(m, (enum zone_type)z, order, pfn);
		} while (rc == -ENOMEM &&
			 deferred_grow_zone(m, (enum zone_type)z, order));
		if (rc != -ENOMEM)
			return rc;
	}
	return rc;
}

/*
 * __alloc_pages(): the fast path at the low watermark, then the slow
 * path's flags (the min watermark for every caller here). The machine
 * has nothing to reclaim or compact (no page cache, no swap, no movable
 * pages compaction could move), so of the slow path only what changes
 * the outcome is modelled: one try with gfp_to_alloc_flags(), and for a
 * caller that may reclaim, the drain of the per-CPU lists that follows a
 * failed direct reclaim and one more try. A GFP_KERNEL allocation the
 * kernel would retry and answer with the OOM killer fails here.
 */
static int
__alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	      gfp_t gfp, pfn_t *pfn)
{
	int rc = get_page_from_freelist(m, order, highest, ALLOC_WMARK_LOW, pfn);
	unsigned alloc_flags;

	if (rc != -ENOMEM || !m->buddy_up)
		return rc;
	alloc_flags = gfp_to_alloc_flags(gfp, order);
	rc = get_page_from_freelist(m, order, highest, alloc_flags, pfn);
	if (rc != -ENOMEM || !(gfp & __GFP_DIRECT_RECLAIM))
		return rc;
	rc = drain_all_pages(m);
	if (rc)
		return rc;
	return get_page_from_freelist(m, order, highest, alloc_flags, pfn);
}

int
alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	    enum hvo_page_category cat, pfn_t *pfn)
{
	int rc;

	if (order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "order %u is above MAX_PAGE_ORDER %u: use the contiguous allocator",
				   order, m->arch.max_page_order);
	if (should_fail_alloc_page(m, order, cat, false))
		return machine_err(m, -ENOMEM,
				   "page allocation failed (fault injection)");
	rc = __alloc_pages(m, order, highest, page_category_gfp(cat, highest),
			   pfn);
	if (rc == -ENOMEM)
		return machine_err(m, -ENOMEM,
				   "out of memory: no zone up to %s keeps its watermark and protection with a free block of order %u",
				   m->zones[highest].name, order);
	if (rc)
		return rc;
	/* prep_new_page(): the first page holds the reference. */
	set_page_count(m, pfn_to_page(m, *pfn), 1);
	if (machine_oopsed(m))
		return m->oops;
	page_owner_alloc(&m->owner, *pfn, order, cat);
	count(m, CNT_BUDDY_ALLOC);
	trace_page(m, HVO_EVENT_PAGE_ALLOC, *pfn, order,
		   hvo_page_category_name(cat));
	return 0;
}

/*
 * Freed frames read as zeros from now on; the host pages behind any of them
 * go back to the arena, for the next frame that is written.
 */
static void
release_frames(struct hvo_machine *m, pfn_t pfn, uint64_t n)
{
	if (phys_release(&m->phys, pfn << m->arch.page_shift,
			 n << m->arch.page_shift))
		count(m, CNT_HOST_RELEASE);
}

/*
 * free_reserved_page(): a page of boot memory (PG_reserved, from memblock)
 * joins the managed pages -- MemTotal grows -- and is freed like any other.
 */
int
free_reserved_page(struct hvo_machine *m, pfn_t pfn)
{
	page_t page = pfn_to_page(m, pfn);
	unsigned was;

	if (page_owner_free(&m->owner, pfn, 0, &was))
		return machine_err(m, -EINVAL,
				   "free_reserved_page: pfn 0x%" PRIx64 " is not a single boot page",
				   pfn);
	page_set_flag(m, page, PG_reserved, false);
	set_page_count(m, page, 0);
	if (machine_oopsed(m))
		return m->oops;
	m->zones[pfn_zone(m, pfn)].managed_pages++;
	release_frames(m, pfn, 1);
	count(m, CNT_BUDDY_FREE);
	trace_page(m, HVO_EVENT_PAGE_FREE, pfn, 0, "boot memory");
	if (pcp_enabled(m, 0))
		return free_unref_page(m, pfn, 0);
	return __free_one_page(m, pfn, 0, pfn_zone(m, pfn));
}

/* Explain why @pfn cannot be freed as an allocation of @order. */
static int
bad_free(struct hvo_machine *m, pfn_t pfn, unsigned order, int why,
	 unsigned was_order)
{
	uint64_t head;
	unsigned o;
	enum hvo_page_category c;

	if (why == -EINVAL)
		return machine_err(m, -EINVAL,
				   "free of pfn 0x%" PRIx64 " with order %u, but it was allocated with order %u",
				   pfn, order, was_order);
	if (!page_owner_lookup(&m->owner, pfn, &head, &o, &c))
		return machine_err(m, -EINVAL,
				   "pfn 0x%" PRIx64 " is already free (double free?)",
				   pfn);
	return machine_err(m, -EINVAL,
			   "pfn 0x%" PRIx64 " is not the start of an allocation: it is inside the %s block at pfn 0x%" PRIx64 " of order %u",
			   pfn, hvo_page_category_name(c), head, o);
}

/* Checks common to both free paths; changes nothing. */
static int
free_prepare(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	po_entry_t e;

	if (!pfn_range_valid(&m->phys, pfn, UINT64_C(1) << order))
		return machine_err(m, -EINVAL,
				   "pfn 0x%" PRIx64 " order %u is not RAM", pfn, order);
	if (pfn & ((UINT64_C(1) << order) - 1))
		return machine_err(m, -EINVAL,
				   "pfn 0x%" PRIx64 " is not aligned to order %u", pfn, order);
	e = page_owner_entry(&m->owner, pfn);
	if (!po_is_head(e))
		return bad_free(m, pfn, order, -ENOENT, 0);
	if (po_order(e) != order)
		return bad_free(m, pfn, order, -EINVAL, po_order(e));
	if (flag_test(m, page_flags(m, pfn_to_page(m, pfn)), PG_reserved))
		return machine_err(m, -EINVAL,
				   "pfn 0x%" PRIx64 " is reserved boot memory (%s), not a page allocation",
				   pfn, hvo_page_category_name(po_cat(e)));
	return machine_oops_rc(m, 0);
}

static int
free_block(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	enum hvo_page_category c = po_cat(page_owner_entry(&m->owner, pfn));
	unsigned was;
	int rc;

	page_owner_free(&m->owner, pfn, order, &was);
	release_frames(m, pfn, UINT64_C(1) << order);
	set_page_count(m, pfn_to_page(m, pfn), 0);
	count(m, CNT_BUDDY_FREE);
	trace_page(m, HVO_EVENT_PAGE_FREE, pfn, order, hvo_page_category_name(c));
	if (pcp_enabled(m, order))
		return free_unref_page(m, pfn, order);
	if (order <= m->arch.max_page_order)
		return __free_one_page(m, pfn, order, pfn_zone(m, pfn));
	/* A gigantic block goes back in MAX_PAGE_ORDER pieces. */
	for (uint64_t i = 0; i < (UINT64_C(1) << order);
	     i += UINT64_C(1) << m->arch.max_page_order) {
		rc = __free_one_page(m, pfn + i, m->arch.max_page_order,
				     pfn_zone(m, pfn + i));
		if (rc)
			return rc;
	}
	return 0;
}

int
free_pages(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	int rc;

	if (order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "order %u is above MAX_PAGE_ORDER %u", order,
				   m->arch.max_page_order);
	rc = free_prepare(m, pfn, order);
	return rc ? rc : free_block(m, pfn, order);
}

int
split_page(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	po_entry_t e = page_owner_entry(&m->owner, pfn);

	if (!po_is_head(e) || po_order(e) != order)
		return machine_err(m, -EINVAL,
				   "split_page: pfn 0x%" PRIx64 " is not an allocation of order %u",
				   pfn, order);
	/* Every page gets its own reference, as set_page_refcounted(). */
	for (uint64_t i = 1; i < (UINT64_C(1) << order); i++)
		set_page_count(m, pfn_to_page(m, pfn + i), 1);
	if (machine_oopsed(m))
		return m->oops;
	page_owner_split(&m->owner, pfn, order);
	return 0;
}

/* Is [pfn, pfn + 2^order) made only of free MAX_PAGE_ORDER blocks? */
static bool
contig_range_free(struct hvo_machine *m, pfn_t pfn, unsigned order,
		  enum zone_type z)
{
	unsigned max = m->arch.max_page_order;

	for (uint64_t i = 0; i < (UINT64_C(1) << order); i += UINT64_C(1) << max)
		if (!page_is_buddy(m, pfn + i, max, z))
			return false;
	return true;
}

/*
 * No watermark check here: alloc_contig_range() isolates and takes the
 * range whatever the zone's free pages (mm/page_isolation.c).
 */
int
alloc_contig_pages(struct hvo_machine *m, unsigned order,
		   enum zone_type highest, enum hvo_page_category cat,
		   uint64_t *out)
{
	unsigned max = m->arch.max_page_order;
	uint64_t nr;

	if (order <= max || order > PO_ORDER_MASK)
		return machine_err(m, -EINVAL,
				   "contiguous allocations are for orders %u..%u, not %u",
				   max + 1, PO_ORDER_MASK, order);
	nr = UINT64_C(1) << order;
	if (should_fail_alloc_page(m, order, cat, true))
		return machine_err(m, -ENOMEM,
				   "contiguous allocation failed (fault injection)");
	for (int zi = (int)highest; zi >= 0; zi--) {
		enum zone_type z = (enum zone_type)zi;
		struct zone *zone = &m->zones[z];
		uint64_t start = round_up64(zone->zone_start_pfn, nr);

		if (!zone->configured)
			continue;
		/* Scan upwards, as the kernel does, bringing deferred memory online. */
		for (uint64_t pfn = start; pfn + nr <= zone_end_pfn(zone); pfn += nr) {
			while (zone->first_deferred_pfn < pfn + nr &&
			       deferred_grow_zone(m, z, order))
				;
			if (!pfn_range_valid(&m->phys, pfn, nr) ||
			    !contig_range_free(m, pfn, order, z))
				continue;
			for (uint64_t i = 0; i < nr; i += UINT64_C(1) << max) {
				del_from_free_list(m, pfn + i, z, max);
				clear_buddy(m, pfn_to_page(m, pfn + i));
			}
			zone->free_pages -= nr;
			set_page_count(m, pfn_to_page(m, pfn), 1);
			if (machine_oopsed(m))
				return m->oops;
			page_owner_alloc(&m->owner, pfn, order, cat);
			count(m, CNT_BUDDY_ALLOC);
			trace_page(m, HVO_EVENT_PAGE_ALLOC, pfn, order,
				   hvo_page_category_name(cat));
			*out = pfn;
			return 0;
		}
	}
	return machine_err(m, -ENOMEM,
			   "no free, aligned range of %" PRIu64 " pages (order %u)",
			   nr, order);
}

int
free_contig_range(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	int rc;

	if (order <= m->arch.max_page_order || order > PO_ORDER_MASK)
		return machine_err(m, -EINVAL,
				   "free_contig_range: order %u is not a contiguous order",
				   order);
	rc = free_prepare(m, pfn, order);
	return rc ? rc : free_block(m, pfn, order);
}
