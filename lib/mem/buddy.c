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
#include "mem/pageblock.h"
#include "mm/page.h"
#include "release/release.h"

/*
 * trace_page() of an allocation or a free of @cat: the event is built only
 * when a trace callback listens (every page goes through here).
 */
static inline void
trace_buddy(struct hvo_machine *m, enum hvo_event_kind kind, pfn_t pfn,
	    unsigned order, enum hvo_page_category cat)
{
	if (unlikely(m->trace.fn))
		trace_page(m, kind, pfn, order, hvo_page_category_name(cat));
}

uint64_t
free_list_head_va(const struct hvo_machine *m, enum zone_type z,
		  unsigned order, enum migratetype mt)
{
	/*
	 * Where struct zone would sit in the direct map: an address that is
	 * never a struct page, so a link holding it marks the end of a list.
	 */
	return m->arch.page_offset + 0x1000 +
	       (((uint64_t)z * NR_PAGE_ORDERS_MAX + order) * MIGRATE_TYPES +
		mt) * 16;
}

uint64_t
pcp_list_head_va(const struct hvo_machine *m, enum zone_type z,
		 unsigned pindex)
{
	return free_list_head_va(m, MAX_NR_ZONES, 0, 0) +
	       ((uint64_t)z * NR_PCP_LISTS + pindex) * 16;
}

void
zone_init_free_lists(struct hvo_machine *m, enum zone_type z)
{
	struct zone *zone = &m->zones[z];

	for (unsigned o = 0; o < NR_PAGE_ORDERS_MAX; o++)
		for (unsigned t = 0; t < MIGRATE_TYPES; t++) {
			uint64_t head = free_list_head_va(m, z, o, t);

			zone->free_area[o].free_list[t] =
				(struct free_list){ head, head, 0, head };
		}
	for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
		uint64_t head = pcp_list_head_va(m, z, i);

		zone->pcp.lists[i] = (struct free_list){ head, head, 0, head };
	}
}

/* Write a link of the list: a struct page's lru, or the head in the zone. */
static inline void
set_link(struct hvo_machine *m, struct free_list *list, kva_t head_va,
	 kva_t node, bool prev, uint64_t val)
{
	if (node == head_va) {
		if (prev)
			list->prev = val;
		else
			list->next = val;
	} else {
		list_store(m, node, prev, val);
	}
}

/*
 * list_add() or list_add_tail() of the lru of @r's page on a list in host
 * memory. A translation @r holds is that of the caller's last access
 * through the TLB, a store (see page_ref_again()). Always inline: GCC's
 * early inliner weighs it by its number of callers, and left alone may
 * put it out of line in free_pcppages_bulk()'s loop when the allocation
 * side changes. @count, if not NULL, is a count the caller keeps beside
 * the list (nr_free, pcp->count): it grows by @n with the list, and only
 * then, as the kernel's count moves after its list_add(), which a struct
 * page fault stops.
 */
static HVO_ALWAYS_INLINE void
list_add_ref(struct hvo_machine *m, struct free_list *list, kva_t head,
	     struct page_ref *r, bool tail, uint64_t *count, uint64_t n)
{
	kva_t node = page_lru_va(m, r->page);
	uint64_t prev = tail ? list->prev : head;
	uint64_t next = tail ? head : list->next;

	/* After an oops the lists take in nothing more. */
	if (machine_oopsed(m))
		return;
	page_ref_again(m, r, true);
	ref_set_lru(m, r, next, prev);
	set_link(m, list, head, next, true, node);
	set_link(m, list, head, prev, false, node);
	list->nr++;
	if (count)
		*count += n;
	/* A neighbour's link, not @r's, was the last access through the TLB. */
	if (next != head || prev != head)
		page_ref_forget(r);
}

static inline void
list_add_page(struct hvo_machine *m, struct free_list *list, kva_t head,
	      pfn_t pfn, bool tail)
{
	struct page_ref r;

	page_ref_init(m, &r, pfn_to_page(m, pfn));
	list_add_ref(m, list, head, &r, tail, NULL, 0);
}

/*
 * list_del() with the kernel's poison in the unlinked node, @r's; @count,
 * if not NULL, drops by @n with the list (see list_add_ref()). On a
 * machine that has oopsed, before or on the loads of @r's links, the
 * list and @count stay as they were.
 */
static inline void
list_del_ref(struct hvo_machine *m, struct free_list *list, kva_t head,
	     struct page_ref *r, uint64_t *count, uint64_t n)
{
	uint64_t next, prev;

	next = ref_lru_next(m, r);
	prev = ref_lru_prev(m, r);
	/* Links that could not be read must not reach the list heads. */
	if (machine_oopsed(m))
		return;
	set_link(m, list, head, next, true, prev);
	set_link(m, list, head, prev, false, next);
	ref_set_lru(m, r, LIST_POISON1, LIST_POISON2);
	list->nr--;
	if (count)
		*count -= n;
}

static void
list_del_page(struct hvo_machine *m, struct free_list *list, kva_t head,
	      pfn_t pfn)
{
	struct page_ref r;

	page_ref_init(m, &r, pfn_to_page(m, pfn));
	list_del_ref(m, list, head, &r, NULL, 0);
}

static inline bool
list_empty(const struct free_list *list, kva_t head)
{
	return list->next == head;
}

/* order_to_pindex(): the pcp list of a migratetype and order. */
unsigned
order_to_pindex(const struct hvo_machine *m, enum migratetype mt,
		unsigned order)
{
	/* THP's order is HPAGE_PMD_ORDER, pageblock_order on every arch here. */
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		(void)m;
		return NR_LOWORDER_PCP_LISTS + (mt == MIGRATE_MOVABLE);
	}
	return MIGRATE_PCPTYPES * order + mt;
}

unsigned
pindex_to_order(const struct hvo_machine *m, unsigned pindex)
{
	if (pindex >= NR_LOWORDER_PCP_LISTS)
		return m->arch.pageblock_order;
	return pindex / MIGRATE_PCPTYPES;
}

/*
 * pcp_allowed_order(): the costly orders and THP's. pageblock_order is
 * HPAGE_PMD_ORDER on every modelled arch (pageblock-flags.h takes it from
 * there when THP is built in, capped at MAX_PAGE_ORDER).
 */
static bool
pcp_allowed_order(const struct hvo_machine *m, unsigned order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER ||
	       order == m->arch.pageblock_order;
}

/* The machine runs the pcp lists once boot is over, unless turned off. */
static bool
pcp_enabled(const struct hvo_machine *m, unsigned order)
{
	return m->pcp_up && pcp_allowed_order(m, order);
}

/*
 * The pageblock a run of pages looked up last (its index + 1; 0 for
 * none), its migratetype and zone: the run's next page is likely in the
 * same one. No zone ends inside a pageblock (test-arch checks every
 * arch). The pageblock bits are host state, so a hit counts nothing.
 */
struct pageblock_memo {
	uint64_t pb;
	enum migratetype mt;
	enum zone_type z;
};

/* Whether @c holds @pfn's pageblock. */
static inline bool
pageblock_memo_holds(const struct hvo_machine *m,
		     const struct pageblock_memo *c, pfn_t pfn)
{
	return c->pb == (pfn >> m->arch.pageblock_order) + 1;
}

/* @c now holds @pfn's pageblock, of type @mt in zone @z. */
static inline void
pageblock_memo_set(const struct hvo_machine *m, struct pageblock_memo *c,
		   pfn_t pfn, enum migratetype mt, enum zone_type z)
{
	c->pb = (pfn >> m->arch.pageblock_order) + 1;
	c->mt = mt;
	c->z = z;
}

/* A pageblock's type may change: @c holds none. */
static inline void
pageblock_memo_forget(struct pageblock_memo *c)
{
	c->pb = 0;
}

/* account_freepages(): NR_FREE_PAGES leaves isolated pages out. */
static void
account_freepages(struct zone *zone, int64_t nr, enum migratetype mt)
{
	if (mt == MIGRATE_ISOLATE)
		return;
	zone->free_pages += (uint64_t)nr;
}

/*
 * @p as it is, but GCC no longer knows how it was made, so it keeps the
 * address (in a register, or on the stack) rather than make it again from
 * a zone, an order and a list index at every use, several instructions
 * each time.
 */
#define keep_address(p) __asm__("" : "+r"(p))

/* The free_area of @order in zone @z. */
static inline struct free_area *
free_area_of(struct hvo_machine *m, enum zone_type z, unsigned order)
{
	struct free_area *area = &m->zones[z].free_area[order];

	keep_address(area);
	return area;
}

static inline struct free_list *
free_list_of(struct hvo_machine *m, enum zone_type z, unsigned order,
	     enum migratetype mt)
{
	return &m->zones[z].free_area[order].free_list[mt];
}

/*
 * __add_to_free_list(): at the head, or the tail for a block likely to
 * merge. @r: the block's first page, as the caller's last access through
 * the TLB left it (see list_add_ref()).
 */
static inline void
__add_to_free_list(struct hvo_machine *m, struct page_ref *r, pfn_t pfn,
		   enum zone_type z, unsigned order, enum migratetype mt,
		   bool tail)
{
	struct free_area *area = free_area_of(m, z, order);

	list_add_ref(m, &area->free_list[mt], area->free_list[mt].head, r,
		     tail, &area->nr_free, 1);
	if (unlikely(m->strays))
		free_list_strays_add(m, pfn, mt);
}

/*
 * set_buddy_order(): the order in private, then PageBuddy (on no type).
 * @r as for __add_to_free_list().
 */
static inline int
set_buddy_order(struct hvo_machine *m, struct page_ref *r, unsigned order)
{
	page_ref_again(m, r, true);
	ref_set_private(m, r, order);
	return page_ref_set_type(m, r, PGTY_buddy);
}

/*
 * __del_page_from_free_list(): off its list, PageBuddy and the order
 * cleared.
 */
static inline void
__del_ref_from_free_list(struct hvo_machine *m, struct page_ref *r,
			 enum zone_type z, unsigned order, enum migratetype mt)
{
	struct free_area *area = free_area_of(m, z, order);

	list_del_ref(m, &area->free_list[mt], area->free_list[mt].head, r,
		     &area->nr_free, 1);
	/* The poison was the last store through the TLB: the same entry. */
	page_ref_again(m, r, true);
	ref_clear_page_type(m, r);
	ref_set_private(m, r, 0);
}

static void
__del_page_from_free_list(struct hvo_machine *m, pfn_t pfn, enum zone_type z,
			  unsigned order, enum migratetype mt)
{
	struct page_ref r;

	page_ref_init(m, &r, pfn_to_page(m, pfn));
	__del_ref_from_free_list(m, &r, z, order, mt);
	if (unlikely(m->strays))
		free_list_strays_del(m, pfn);
}

static void
del_page_from_free_list(struct hvo_machine *m, pfn_t pfn, enum zone_type z,
			unsigned order, enum migratetype mt)
{
	__del_page_from_free_list(m, pfn, z, order, mt);
	account_freepages(&m->zones[z], -(int64_t)(UINT64_C(1) << order), mt);
}

/* move_to_free_list(): to the tail of another type's list, still free. */
static void
move_to_free_list(struct hvo_machine *m, pfn_t pfn, enum zone_type z,
		  unsigned order, enum migratetype old_mt,
		  enum migratetype new_mt)
{
	list_del_page(m, free_list_of(m, z, order, old_mt),
		      free_list_of(m, z, order, old_mt)->head, pfn);
	list_add_page(m, free_list_of(m, z, order, new_mt),
		      free_list_of(m, z, order, new_mt)->head, pfn, true);
	if (unlikely(m->strays))
		free_list_strays_add(m, pfn, new_mt);
	account_freepages(&m->zones[z], -(int64_t)(UINT64_C(1) << order), old_mt);
	account_freepages(&m->zones[z], (int64_t)(UINT64_C(1) << order), new_mt);
}

/*
 * page_is_buddy(): the buddy is a free block of exactly this order in the
 * same zone. @ram is the RAM range of the block that merges, likely to
 * hold the buddy too; @r takes the buddy's struct page as it was reached.
 */
static inline bool
page_is_buddy(struct hvo_machine *m, pfn_t buddy_pfn, unsigned order,
	      enum zone_type z, const struct hvo_mem_range *ram,
	      struct page_ref *r)
{
	/*
	 * pfn_valid(), first in @ram: a pfn of RAM has a struct page
	 * (vmemmap_pfn_lo..hi spans every range). Unsigned, a pfn below
	 * the range wraps past its size.
	 */
	if ((buddy_pfn << m->arch.page_shift) - ram->base >= ram->size &&
	    !pfn_valid(&m->phys, buddy_pfn))
		return false;
	page_ref_init(m, r, pfn_to_page(m, buddy_pfn));
	if (!page_type_is(ref_page_type(m, r), PGTY_buddy))
		return false;
	if (ref_private(m, r) != order)
		return false;
	return flags_zonenum(ref_flags(m, r)) == (unsigned)z;
}

/* PageBuddy() and buddy_order() of a free block's first page. */
static bool
page_buddy_order(struct hvo_machine *m, pfn_t pfn, unsigned *order)
{
	struct page_ref r;

	page_ref_init(m, &r, pfn_to_page(m, pfn));
	if (!page_type_is(ref_page_type(m, &r), PGTY_buddy))
		return false;
	*order = (unsigned)ref_private(m, &r);
	return !machine_oopsed(m);
}

static inline uint64_t
__find_buddy_pfn(pfn_t pfn, unsigned order)
{
	return pfn ^ (UINT64_C(1) << order);
}

/* migratetype_is_mergeable(): only the pcp types merge with each other. */
static inline bool
migratetype_is_mergeable(enum migratetype mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* change_pageblock_range(): every pageblock of a block of @order. */
static void
change_pageblock_range(struct hvo_machine *m, pfn_t pfn, unsigned order,
		       enum migratetype mt)
{
	uint64_t nr = UINT64_C(1) << (order - m->arch.pageblock_order);

	for (uint64_t i = 0; i < nr; i++)
		set_pageblock_migratetype(m, pfn + i * pageblock_nr_pages(m), mt);
}

/* The fpi_t flags of __free_one_page() the model uses. */
#define FPI_NONE 0u
#define FPI_TO_TAIL 1u

/*
 * __free_one_page(): merge with free buddies as far as they go. From
 * pageblock_order up, a buddy in a pageblock of another migratetype merges
 * only if both types are mergeable; from 6.10 on the merged block gives
 * the freed page's type to every pageblock it covers, before (6.1, with
 * m->strays) the buddy leaves whatever list it is on and the other
 * pageblock keeps its type. @ram: the RAM range of the block (never NULL:
 * every caller frees RAM it checked or handed out).
 */
static int
__free_one_page(struct hvo_machine *m, pfn_t pfn, unsigned order,
		enum zone_type z, enum migratetype mt, unsigned fpi,
		const struct hvo_mem_range *ram)
{
	unsigned max = m->arch.max_page_order;
	uint64_t buddy = 0;
	struct page_ref head;
	bool tail;
	int rc;

	/*
	 * The kernel would have stopped at the fault; the page may still be
	 * on its pcp list (free_pcppages_bulk()).
	 */
	if (unlikely(machine_oopsed(m)))
		return m->oops;
	account_freepages(&m->zones[z], (int64_t)(UINT64_C(1) << order), mt);
	while (order < max) {
		enum migratetype buddy_mt = mt;
		struct page_ref r;

		buddy = __find_buddy_pfn(pfn, order);
		if (!page_is_buddy(m, buddy, order, z, ram, &r))
			break;
		if (order >= m->arch.pageblock_order) {
			buddy_mt = get_pfnblock_migratetype(m, buddy);
			if (mt != buddy_mt &&
			    (!migratetype_is_mergeable(mt) ||
			     !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		if (unlikely(m->strays)) {
			__del_page_from_free_list(m, buddy, z, order,
						  free_list_mt(m, buddy));
		} else {
			/* list_del() loads the lru page_is_buddy() reached. */
			page_ref_again(m, &r, false);
			__del_ref_from_free_list(m, &r, z, order, buddy_mt);
			if (buddy_mt != mt)
				change_pageblock_range(m, buddy, order, mt);
		}
		pfn &= buddy;
		order++;
	}
	page_ref_init(m, &head, pfn_to_page(m, pfn));
	rc = set_buddy_order(m, &head, order);
	if (rc)
		return rc;
	/*
	 * buddy_merge_likely(): a block whose next-larger buddy is free may
	 * merge soon, so it goes to the tail and is handed out last.
	 */
	if (fpi & FPI_TO_TAIL) {
		tail = true;
	} else if (order < max - 1) {
		pfn_t higher = buddy & pfn;
		struct page_ref r;

		tail = page_is_buddy(m, __find_buddy_pfn(higher, order + 1),
				     order + 1, z, ram, &r);
		/* Its loads, not the block's, were the last access. */
		page_ref_forget(&head);
	} else {
		tail = false;
	}
	__add_to_free_list(m, &head, pfn, z, order, mt, tail);
	return machine_oops_rc(m, 0);
}

/*
 * split_large_buddy() and free_one_page(): a block above pageblock_order
 * goes back one pageblock at a time, each with its own pageblock's type,
 * and merges from there. Before 6.10 (m->strays) there was no
 * split_large_buddy(): a buddy block goes back whole, with its first
 * pageblock's type. (A gigantic block still goes a pageblock at a time:
 * free_contig_range() frees it page by page, to the same end.)
 */
static int
free_one_page(struct hvo_machine *m, pfn_t pfn, unsigned order, unsigned fpi)
{
	pfn_t end = pfn + (UINT64_C(1) << order);
	unsigned piece = order;

	if (piece > m->arch.pageblock_order &&
	    (!m->strays || order > m->arch.max_page_order))
		piece = m->arch.pageblock_order;
	for (; pfn < end; pfn += UINT64_C(1) << piece) {
		int rc = __free_one_page(m, pfn, piece, pfn_zone(m, pfn),
					 get_pfnblock_migratetype(m, pfn), fpi,
					 phys_range_of(&m->phys,
						       pfn << m->arch.page_shift));

		if (rc)
			return rc;
	}
	return 0;
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
		/*
		 * __free_pages_core() -> __free_pages_ok() with FPI_TO_TAIL
		 * (7fef431be9c9, 5.10): memory given to the allocator at boot
		 * and by deferred init queues behind what is free already,
		 * so each list hands it out in ascending pfn order.
		 */
		rc = free_one_page(m, pfn, order, FPI_TO_TAIL);
		if (rc)
			return rc;
		/* __free_pages_core() frees through free_one_page(): PGFREE */
		count_vm_events(m, PGFREE, UINT64_C(1) << order);
		m->zones[pfn_zone(m, pfn)].managed_pages += UINT64_C(1) << order;
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
__should_fail_alloc_page(struct hvo_machine *m, unsigned order,
			 enum hvo_page_category cat, bool contig)
{
	const struct fail_page_alloc_opts *o = &m->fail_page_alloc_opts;
	struct fail_attr *f = &m->fail_page_alloc;
	gfp_t gfp;
	bool highmem, nowarn, reclaim;

	/* The shortcut counts every allocation, contiguous ones too. */
	if (fail_nth(m, f))
		return true;
	if (contig)
		return false;
	if (order < o->min_order)
		return false;
	/* The gfp of each allocation the machine makes: none is atomic. */
	gfp = page_category_gfp(cat, ZONE_NORMAL);
	highmem = gfp & __GFP_HIGHMEM;
	nowarn = gfp & __GFP_NOWARN;
	reclaim = gfp & __GFP_DIRECT_RECLAIM;
	if (o->ignore_gfp_highmem && highmem)
		return false;
	if (o->ignore_gfp_reclaim && reclaim)
		return false;
	return should_fail_ex(m, f, UINT64_C(1) << order, nowarn,
			      "fail_page_alloc");
}

/*
 * expand(): give back the halves we do not need, largest first, on the
 * lists of @mt. Returns the pages given back.
 */
static inline int
expand(struct hvo_machine *m, pfn_t pfn, unsigned low, unsigned high,
       enum zone_type z, enum migratetype mt, uint64_t *nr_added)
{
	*nr_added = 0;
	while (high > low) {
		int rc;

		high--;
		uint64_t half = pfn + (UINT64_C(1) << high);
		struct page_ref r;

		page_ref_init(m, &r, pfn_to_page(m, half));
		__add_to_free_list(m, &r, half, z, high, mt, false);
		rc = set_buddy_order(m, &r, high);
		if (rc)
			return rc;
		*nr_added += UINT64_C(1) << high;
	}
	return 0;
}

/*
 * page_del_and_expand(): take the block at @pfn, keep 2^@low of it. Always
 * inline, and the list_del() in it too: rmqueue_bulk() takes every page
 * of a pcp refill through here, and out of line the list_del() paid a
 * call that saved six registers. @r: the block's first page, fresh; it
 * holds the translation after if nothing else went through the TLB.
 */
static HVO_ALWAYS_INLINE int
page_del_and_expand(struct hvo_machine *m, struct page_ref *r, pfn_t pfn,
		    enum zone_type z, unsigned low, unsigned high,
		    enum migratetype mt)
{
	uint64_t added;
	int rc;

	__del_ref_from_free_list(m, r, z, high, mt);
	if (unlikely(m->strays))
		free_list_strays_del(m, pfn);
	rc = expand(m, pfn, low, high, z, mt, &added);
	/* The halves expand() gave back were the last access. */
	if (high > low)
		page_ref_forget(r);
	account_freepages(&m->zones[z],
			  -(int64_t)((UINT64_C(1) << high) - added), mt);
	return rc;
}

/*
 * get_page_from_free_area(): the first block of a list, its pfn in *@pfn;
 * its struct page, or 0 when the list is empty.
 */
static inline page_t
get_page_from_free_area(struct hvo_machine *m, enum zone_type z,
			unsigned order, enum migratetype mt, pfn_t *pfn)
{
	struct free_list *list = &free_area_of(m, z, order)->free_list[mt];
	page_t page;

	if (list_empty(list, list->head))
		return 0;
	page = lru_to_page(m, list->next);
	*pfn = page_to_pfn(m, page);
	return page;
}

/*
 * __rmqueue_smallest(): the smallest free block of @mt that fits, split
 * down. -ENOMEM when the type has none. @r: its first page, as
 * page_del_and_expand() left it.
 */
static inline int
__rmqueue_smallest_ref(struct hvo_machine *m, enum zone_type z,
		       unsigned order, enum migratetype mt, pfn_t *pfn,
		       struct page_ref *r)
{
	for (unsigned cur = order; cur <= m->arch.max_page_order; cur++) {
		page_t page = get_page_from_free_area(m, z, cur, mt, pfn);
		int rc;

		if (!page)
			continue;
		page_ref_init(m, r, page);
		rc = page_del_and_expand(m, r, *pfn, z, order, cur, mt);
		return rc ? rc : machine_oops_rc(m, 0);
	}
	return -ENOMEM;
}

static inline int
__rmqueue_smallest(struct hvo_machine *m, enum zone_type z, unsigned order,
		   enum migratetype mt, pfn_t *pfn)
{
	struct page_ref r;

	return __rmqueue_smallest_ref(m, z, order, mt, pfn, &r);
}

/* fallbacks[]: where each pcp type looks when its own lists are empty. */
static const enum migratetype fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

/*
 * move_freepages(): every free block starting in [@start, @end) to
 * @new_mt's lists, from the lists of @old_mt (from 6.10 every block of a
 * pageblock is on its type's list), or before 6.10 from whichever list
 * each is on. Returns the pages moved.
 */
static uint64_t
move_freepages(struct hvo_machine *m, enum zone_type z, pfn_t start,
	       pfn_t end, enum migratetype old_mt, enum migratetype new_mt)
{
	uint64_t moved = 0;

	for (pfn_t pfn = start; pfn < end && !machine_oopsed(m);) {
		unsigned order;

		if (!page_buddy_order(m, pfn, &order)) {
			pfn++;
			continue;
		}
		move_to_free_list(m, pfn, z, order,
				  m->strays ? free_list_mt(m, pfn) : old_mt,
				  new_mt);
		pfn += UINT64_C(1) << order;
		moved += UINT64_C(1) << order;
	}
	return moved;
}

/*
 * __move_freepages_block(): every free block inside the pageblock at
 * @start to @new_mt's lists, and the pageblock to @new_mt. Returns the
 * pages moved.
 */
static uint64_t
__move_freepages_block(struct hvo_machine *m, enum zone_type z, pfn_t start,
		       enum migratetype old_mt, enum migratetype new_mt)
{
	uint64_t moved = move_freepages(m, z, start,
					start + pageblock_nr_pages(m), old_mt,
					new_mt);

	set_pageblock_migratetype(m, start, new_mt);
	return moved;
}

void
deferred_init_pageblocks(struct hvo_machine *m, pfn_t pfn, uint64_t n)
{
	uint64_t nr = pageblock_nr_pages(m);

	for (pfn_t p = round_up64(pfn, nr); p < pfn + n; p += nr) {
		enum migratetype old = get_pfnblock_migratetype(m, p);
		const struct zone *zone = &m->zones[pfn_zone(m, p)];

		if (old == MIGRATE_MOVABLE)
			continue;
		/* The kernel's own case: nothing free yet, nothing read. */
		if (p + nr <= zone->early_free_lo || p >= zone->early_free_hi)
			set_pageblock_migratetype(m, p, MIGRATE_MOVABLE);
		else
			__move_freepages_block(m, pfn_zone(m, p), p, old,
					       MIGRATE_MOVABLE);
	}
}

/*
 * prep_move_freepages_block(): the pageblock of @pfn, if the zone holds
 * all of it, and its free pages. The movable pages the kernel also counts
 * (PageLRU or __PageMovable) the machine never has: it keeps no page cache,
 * no anonymous memory and no movable driver pages.
 */
static bool
prep_move_freepages_block(struct hvo_machine *m, enum zone_type z, pfn_t pfn,
			  pfn_t *start, uint64_t *num_free,
			  uint64_t *num_movable)
{
	const struct zone *zone = &m->zones[z];
	pfn_t s = pageblock_start_pfn(m, pfn);
	pfn_t e = s + pageblock_nr_pages(m);

	if (s < zone->zone_start_pfn || e > zone_end_pfn(zone))
		return false;
	*start = s;
	if (!num_free)
		return true;
	*num_free = 0;
	*num_movable = 0;
	for (pfn = s; pfn < e && !machine_oopsed(m);) {
		unsigned order;

		if (pfn_valid(&m->phys, pfn) && page_buddy_order(m, pfn, &order)) {
			*num_free += UINT64_C(1) << order;
			pfn += UINT64_C(1) << order;
			continue;
		}
		pfn++;
	}
	return true;
}

/*
 * can_steal_fallback(): a whole pageblock's worth always; half of one or
 * more, or any size for an unmovable or reclaimable allocation.
 */
static bool
can_steal_fallback(const struct hvo_machine *m, unsigned order,
		   enum migratetype start_mt)
{
	unsigned pbo = m->arch.pageblock_order;

	if (order >= pbo)
		return true;
	return order >= pbo / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/*
 * try_to_steal_block(): claim the pageblock of the free block at @pfn for
 * @start_type: a block of pageblock_order or more outright, a smaller one
 * when at least half the pageblock is free or alike. Returns 0 with the
 * allocation in *out, -ENOMEM when the pageblock stays as it is.
 * boost_watermark() is not modelled: no kswapd would clear the boost.
 */
static int
try_to_steal_block(struct hvo_machine *m, enum zone_type z, pfn_t pfn,
		   unsigned current_order, unsigned order,
		   enum migratetype start_type, pfn_t *out)
{
	enum migratetype block_type = get_pfnblock_migratetype(m, pfn);
	uint64_t free_pages, movable_pages, alike_pages, added;
	pfn_t start;
	int rc;

	if (block_type == MIGRATE_HIGHATOMIC)
		return -ENOMEM;
	if (current_order >= m->arch.pageblock_order) {
		del_page_from_free_list(m, pfn, z, current_order, block_type);
		change_pageblock_range(m, pfn, current_order, start_type);
		rc = expand(m, pfn, order, current_order, z, start_type, &added);
		account_freepages(&m->zones[z], (int64_t)added, start_type);
		*out = pfn;
		return rc ? rc : machine_oops_rc(m, 0);
	}
	if (!prep_move_freepages_block(m, z, pfn, &start, &free_pages,
				       &movable_pages))
		return -ENOMEM;
	if (start_type == MIGRATE_MOVABLE)
		alike_pages = movable_pages;
	else if (block_type == MIGRATE_MOVABLE)
		alike_pages = pageblock_nr_pages(m) - (free_pages + movable_pages);
	else
		alike_pages = 0;
	if (free_pages + alike_pages >=
	    (UINT64_C(1) << (m->arch.pageblock_order - 1))) {
		__move_freepages_block(m, z, start, block_type, start_type);
		return __rmqueue_smallest(m, z, order, start_type, out);
	}
	return -ENOMEM;
}

/* try_to_steal_block(), counted (buddy.claim) when it claims. */
static int
claim_block(struct hvo_machine *m, enum zone_type z, pfn_t pfn,
	    unsigned current_order, unsigned order, enum migratetype start_type,
	    pfn_t *out)
{
	int rc = try_to_steal_block(m, z, pfn, current_order, order,
				    start_type, out);

	if (!rc)
		count(m, CNT_BUDDY_CLAIM);
	return rc;
}

/*
 * find_suitable_fallback() with only_stealable false: the first fallback
 * type with a block of @order, and whether its pageblock may be claimed.
 */
static int
find_suitable_fallback(struct hvo_machine *m, enum zone_type z,
		       unsigned order, enum migratetype mt, bool *can_steal)
{
	if (m->zones[z].free_area[order].nr_free == 0)
		return -1;
	*can_steal = false;
	for (unsigned i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		enum migratetype fmt = fallbacks[mt][i];

		if (list_empty(free_list_of(m, z, order, fmt),
			       free_list_of(m, z, order, fmt)->head))
			continue;
		*can_steal = can_steal_fallback(m, order, mt);
		return (int)fmt;
	}
	return -1;
}

/*
 * __rmqueue_claim(): claim a whole pageblock of another type, largest
 * free block first; with ALLOC_NOFRAGMENT only blocks of pageblock_order
 * and up.
 */
static int
__rmqueue_claim(struct hvo_machine *m, enum zone_type z, unsigned order,
		enum migratetype start_mt, unsigned alloc_flags, pfn_t *out)
{
	int min_order = (int)order;

	if (order < m->arch.pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = (int)m->arch.pageblock_order;
	for (int cur = (int)m->arch.max_page_order; cur >= min_order; cur--) {
		bool can_steal;
		int fmt = find_suitable_fallback(m, z, (unsigned)cur, start_mt,
						 &can_steal);
		pfn_t pfn = 0;
		int rc;

		if (fmt < 0)
			continue;
		if (!can_steal)
			break;
		get_page_from_free_area(m, z, (unsigned)cur,
					(enum migratetype)fmt, &pfn);
		rc = claim_block(m, z, pfn, (unsigned)cur, order, start_mt,
				 out);
		if (rc != -ENOMEM)
			return rc;
	}
	return -ENOMEM;
}

/*
 * __rmqueue_steal(): the smallest block of a fallback type, its pageblock
 * left as it is.
 */
static int
__rmqueue_steal(struct hvo_machine *m, enum zone_type z, unsigned order,
		enum migratetype start_mt, pfn_t *out)
{
	for (unsigned cur = order; cur <= m->arch.max_page_order; cur++) {
		bool can_steal;
		int fmt = find_suitable_fallback(m, z, cur, start_mt, &can_steal);
		struct page_ref r;
		int rc;

		if (fmt < 0)
			continue;
		page_ref_init(m, &r,
			      get_page_from_free_area(m, z, cur,
						      (enum migratetype)fmt,
						      out));
		rc = page_del_and_expand(m, &r, *out, z, order, cur,
					 (enum migratetype)fmt);
		if (!rc)
			count(m, CNT_BUDDY_STEAL);
		return rc ? rc : machine_oops_rc(m, 0);
	}
	return -ENOMEM;
}

/*
 * move_freepages_block() as 6.1 has it: the free blocks of @pfn's
 * pageblock to @new_mt's lists, the pageblock's type left as it is.
 * A pageblock that starts below the zone is moved from @pfn on; one that
 * ends beyond it is not moved (0). Returns the pages moved; the movable
 * pages it also counts (PageLRU, __PageMovable) the machine never has.
 */
static uint64_t
move_freepages_block(struct hvo_machine *m, enum zone_type z, pfn_t pfn,
		     enum migratetype new_mt)
{
	const struct zone *zone = &m->zones[z];
	pfn_t start = pageblock_start_pfn(m, pfn);
	pfn_t end = start + pageblock_nr_pages(m);

	if (start < zone->zone_start_pfn)
		start = pfn;
	if (end > zone_end_pfn(zone))
		return 0;
	return move_freepages(m, z, start, end, new_mt, new_mt);
}

/*
 * steal_suitable_fallback() before 6.10 (6.1): the free block at @pfn, on
 * @fallback_mt's list, goes to @start_type's lists. A block of
 * pageblock_order or more takes its pageblocks along. A smaller one, when
 * @whole_block allows, brings every free block of its pageblock with it,
 * and the pageblock changes type only if those and the pages alike
 * (allocated ones, for an unmovable or reclaimable request in a movable
 * pageblock) make half of it; else the moved blocks stay on
 * @start_type's lists in a pageblock of another type. __rmqueue() then
 * takes the allocation from @start_type's lists. boost_watermark() is not
 * modelled: no kswapd would clear the boost.
 */
static void
steal_suitable_fallback(struct hvo_machine *m, enum zone_type z, pfn_t pfn,
			unsigned current_order, enum migratetype fallback_mt,
			enum migratetype start_type, bool whole_block)
{
	enum migratetype old_block_type = get_pfnblock_migratetype(m, pfn);
	uint64_t free_pages, alike_pages = 0;

	if (old_block_type == MIGRATE_HIGHATOMIC)
		goto single_page;
	if (current_order >= m->arch.pageblock_order) {
		change_pageblock_range(m, pfn, current_order, start_type);
		count(m, CNT_BUDDY_CLAIM);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	free_pages = move_freepages_block(m, z, pfn, start_type);
	if (start_type != MIGRATE_MOVABLE && old_block_type == MIGRATE_MOVABLE)
		alike_pages = pageblock_nr_pages(m) - free_pages;
	if (!free_pages)
		goto single_page;
	if (free_pages + alike_pages >=
	    (UINT64_C(1) << (m->arch.pageblock_order - 1))) {
		set_pageblock_migratetype(m, pfn, start_type);
		count(m, CNT_BUDDY_CLAIM);
	} else {
		count(m, CNT_BUDDY_STEAL);
	}
	return;
single_page:
	if (old_block_type != start_type &&
	    current_order < m->arch.pageblock_order)
		count(m, CNT_BUDDY_STEAL);
	move_to_free_list(m, pfn, z, current_order, fallback_mt, start_type);
}

/*
 * __rmqueue_fallback() before 6.15 (6.12.29): the largest block of a
 * fallback type (with ALLOC_NOFRAGMENT of pageblock_order or more), or
 * the smallest for a movable request that may not claim its pageblock.
 * 6.1 (m->strays) hands the block to steal_suitable_fallback() and
 * returns -EAGAIN for __rmqueue() to try its own lists again; 6.10's
 * hygienic form claims the pageblock as try_to_steal_block() does, or
 * takes just the block asked for off the fallback type's lists, and
 * returns 0 with it in *out. -ENOMEM: no fallback type has a block.
 */
static int
__rmqueue_fallback(struct hvo_machine *m, enum zone_type z, unsigned order,
		   enum migratetype start_mt, unsigned alloc_flags, pfn_t *out)
{
	int max = (int)m->arch.max_page_order, min_order = (int)order, cur;
	bool can_steal = false;
	int fmt = -1;
	pfn_t pfn = 0;
	struct page_ref r;
	int rc;

	if (order < m->arch.pageblock_order && (alloc_flags & ALLOC_NOFRAGMENT))
		min_order = (int)m->arch.pageblock_order;
	for (cur = max; cur >= min_order; cur--) {
		fmt = find_suitable_fallback(m, z, (unsigned)cur, start_mt,
					     &can_steal);
		if (fmt < 0)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE &&
		    cur > (int)order)
			goto find_smallest;
		goto do_steal;
	}
	return -ENOMEM;

find_smallest:
	for (cur = (int)order; cur <= max; cur++) {
		fmt = find_suitable_fallback(m, z, (unsigned)cur, start_mt,
					     &can_steal);
		if (fmt >= 0)
			break;
	}
do_steal:
	get_page_from_free_area(m, z, (unsigned)cur, (enum migratetype)fmt,
				&pfn);
	if (m->strays) {
		steal_suitable_fallback(m, z, pfn, (unsigned)cur,
					(enum migratetype)fmt, start_mt,
					can_steal);
		return machine_oops_rc(m, -EAGAIN);
	}
	/* 6.10's steal_suitable_fallback(): the claim, else single_page. */
	if (can_steal) {
		rc = claim_block(m, z, pfn, (unsigned)cur, order, start_mt, out);
		if (rc != -ENOMEM)
			return rc;
	}
	*out = pfn;
	page_ref_init(m, &r, pfn_to_page(m, pfn));
	rc = page_del_and_expand(m, &r, pfn, z, order, (unsigned)cur,
				 (enum migratetype)fmt);
	if (!rc)
		count(m, CNT_BUDDY_STEAL);
	return rc ? rc : machine_oops_rc(m, 0);
}

enum rmqueue_mode {
	RMQUEUE_NORMAL,
	RMQUEUE_CLAIM,
	RMQUEUE_STEAL,
};

/*
 * __rmqueue() past the type's own lists, or (@mode) not looking there:
 * claiming a pageblock, then stealing a block (not under
 * ALLOC_NOFRAGMENT). Before 6.15 (6.12.29) the fallback is
 * __rmqueue_fallback()'s, and 6.1's goes back to the type's own lists.
 */
static int
__rmqueue_other(struct hvo_machine *m, enum zone_type z, unsigned order,
		enum migratetype mt, unsigned alloc_flags,
		enum rmqueue_mode *mode, pfn_t *pfn)
{
	int rc = -ENOMEM;

	if (m->rmqueue_fallback != FALLBACK_CLAIM_STEAL) {
		for (;;) {
			rc = __rmqueue_fallback(m, z, order, mt, alloc_flags,
						pfn);
			if (rc != -EAGAIN)
				return rc;
			rc = __rmqueue_smallest(m, z, order, mt, pfn);
			if (rc != -ENOMEM)
				return rc;
		}
	}
	switch (*mode) {
	case RMQUEUE_NORMAL:
	case RMQUEUE_CLAIM:
		rc = __rmqueue_claim(m, z, order, mt, alloc_flags, pfn);
		if (rc != -ENOMEM) {
			*mode = RMQUEUE_NORMAL;
			return rc;
		}
		/* fall through */
	case RMQUEUE_STEAL:
		if (!(alloc_flags & ALLOC_NOFRAGMENT)) {
			rc = __rmqueue_steal(m, z, order, mt, pfn);
			if (rc != -ENOMEM) {
				*mode = RMQUEUE_STEAL;
				return rc;
			}
		}
	}
	return rc;
}

/*
 * __rmqueue(): the type's own lists, then the fallbacks. @mode remembers
 * across a batch where the last block came from, as rmqueue_bulk() keeps
 * it. No CMA: the stock config has none. Inline: rmqueue_bulk() calls it
 * for every page of a batch, and the type's own lists nearly always have
 * one.
 */
static inline int
__rmqueue(struct hvo_machine *m, enum zone_type z, unsigned order,
	  enum migratetype mt, unsigned alloc_flags, enum rmqueue_mode *mode,
	  pfn_t *pfn, struct page_ref *r)
{
	int rc;

	if (m->rmqueue_fallback != FALLBACK_CLAIM_STEAL ||
	    *mode == RMQUEUE_NORMAL) {
		rc = __rmqueue_smallest_ref(m, z, order, mt, pfn, r);
		if (rc != -ENOMEM)
			return rc;
	}
	rc = __rmqueue_other(m, z, order, mt, alloc_flags, mode, pfn);
	if (!rc)
		page_ref_init(m, r, pfn_to_page(m, *pfn));
	return rc;
}

/* CONFIG_PCP_BATCH_SCALE_MAX of Debian's 6.1.192 and 6.12.118 configs. */
#define PCP_BATCH_SCALE_MAX 5

static inline int64_t
clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * zone_pcp_init(): zone_batchsize() and zone_highsize() (lib/mem/zone.c)
 * size the lists. 6.1's zone_set_pageset_high_and_batch() sets high
 * itself (high_min and high_max here say the same); from 6.7 (51a755c56dc0)
 * it sets high_min and high_max, and high follows them as it is used and
 * as decay_pcp_high() of the vmstat worker brings it down a step a
 * second. The machine has no clock: high starts at high_min, as after a
 * boot or a sysctl write followed by an idle while, and is not decayed
 * otherwise. PCPF_FREE_HIGH_BATCH is set: zone_pcp_update_cacheinfo()
 * sets it when the CPU's share of its data cache holds more than 3
 * batches (756 KiB with batch 63), as the cores of current x86_64 and
 * arm64 machines have; libhvo models no cache sizes.
 */
void
zone_pcp_init(struct hvo_machine *m, enum zone_type z)
{
	struct zone *zone = &m->zones[z];
	struct per_cpu_pages *pcp = &zone->pcp;
	unsigned fraction = (unsigned)m->wmark.percpu_pagelist_high_fraction;

	pcp->high_auto = release_get(&m->release, RP_PCP_HIGH_AUTO);
	pcp->batch = zone_batchsize(m, zone);
	pcp->high_min = zone_highsize(zone, pcp->batch, fraction);
	pcp->high_max = !pcp->high_auto || fraction ? pcp->high_min :
			zone_highsize(zone, pcp->batch,
				      MIN_PERCPU_PAGELIST_HIGH_FRACTION);
	/*
	 * 6.1's pageset_update() sets high. From 6.7 it sets only the
	 * bounds: high stays BOOT_PAGESET_HIGH (0) until the list is first
	 * used and nr_pcp_high() or nr_pcp_alloc() clamps it (a real 6.12
	 * guest's untouched ZONE_DMA prints "high: 0"); a list in use is
	 * taken to have decayed to high_min (decay_pcp_high()).
	 */
	if (!pcp->high_auto || pcp->high)
		pcp->high = pcp->high_min;
	if (pcp->high_auto)
		pcp->flags |= PCPF_FREE_HIGH_BATCH;
}

/*
 * nr_pcp_alloc(): blocks rmqueue_bulk() takes to refill a list: a batch
 * of pages, scaled down for higher orders to no fewer than two blocks.
 * From 6.7 an order-0 refill takes batch << alloc_factor pages (the
 * factor grows with each refill in a run of allocations, up to
 * PCP_BATCH_SCALE_MAX, and is halved by each free), no more than leaves
 * a batch of room under high, and each refill first raises high by what
 * it takes, up to high_max, unless the zone is below its high watermark.
 */
static uint64_t
nr_pcp_alloc(struct per_cpu_pages *pcp, const struct zone *zone,
	     unsigned order)
{
	int64_t base_batch = (int64_t)pcp->batch, batch, high, max_nr_alloc;

	if (pcp->high_auto) {
		high = clamp64((int64_t)pcp->high, (int64_t)pcp->high_min,
			       (int64_t)pcp->high_max);
		pcp->high = (uint64_t)high;
		if (high < base_batch)
			return 1;
		batch = order ? base_batch : base_batch << pcp->alloc_factor;
		if (pcp->high_min != pcp->high_max && !zone->below_high) {
			high = high + batch < (int64_t)pcp->high_max ?
			       high + batch : (int64_t)pcp->high_max;
			pcp->high = (uint64_t)high;
		}
		if (!order) {
			max_nr_alloc = high - (int64_t)pcp->count - base_batch;
			if (max_nr_alloc < base_batch)
				max_nr_alloc = base_batch;
			if (batch <= max_nr_alloc &&
			    pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
				pcp->alloc_factor++;
			if (batch > max_nr_alloc)
				batch = max_nr_alloc;
		}
	} else {
		batch = base_batch;
	}
	if (order && batch > 1) {
		batch >>= order;
		if (batch < 2)
			batch = 2;
	}
	return (uint64_t)batch;
}

/*
 * nr_pcp_free(): pages free_pcppages_bulk() gives back past high. 6.1:
 * batch << free_factor, the factor growing with each such drain (up to
 * PCP_BATCH_SCALE_MAX, as 6.1.192 has it from the stable backport of
 * "mm: restrict the pcp batch scale factor to avoid too long latency");
 * from 6.7 the pages freed in a row (free_count). Either leaves at least
 * a batch on the lists; @free_high gives back all (6.1) or up to 32
 * batches (6.7 on).
 */
static uint64_t
nr_pcp_free(struct per_cpu_pages *pcp, uint64_t high, bool free_high)
{
	int64_t batch = (int64_t)pcp->batch, max_nr_free;

	if (free_high)
		return pcp->high_auto && pcp->count > (uint64_t)batch << PCP_BATCH_SCALE_MAX ?
		       (uint64_t)batch << PCP_BATCH_SCALE_MAX : pcp->count;
	if ((int64_t)high < batch)
		return 1;
	max_nr_free = (int64_t)high - batch;
	if (pcp->high_auto)
		return (uint64_t)clamp64((int64_t)pcp->free_count, batch,
					 max_nr_free);
	if ((batch << pcp->free_factor) < max_nr_free &&
	    pcp->free_factor < PCP_BATCH_SCALE_MAX) {
		pcp->free_factor++;
		return (uint64_t)clamp64(batch << (pcp->free_factor - 1), batch,
					 max_nr_free);
	}
	return (uint64_t)clamp64(batch << pcp->free_factor, batch, max_nr_free);
}

/*
 * nr_pcp_high() in a zone below its high watermark: high, clamped, lowered
 * by what is freed in a row (at least a batch), down to high_min.
 */
static inline void
pcp_lower_high(struct per_cpu_pages *pcp)
{
	int64_t high = (int64_t)pcp->high -
		       (int64_t)max64(pcp->free_count, pcp->batch);

	pcp->high = high > (int64_t)pcp->high_min ? (uint64_t)high :
		    pcp->high_min;
}

/*
 * nr_pcp_high(): the count at which a free drains. 6.1: high, or 0 for
 * @free_high. From 6.7, high clamped into [high_min, high_max]; a
 * @free_high run lowers it by 32 batches and drains; a zone below its
 * high watermark lowers it by what is freed in a row and drains down to
 * high_min; otherwise high rises to hold what is freed in a row plus a
 * batch. ZONE_RECLAIM_ACTIVE, set by kswapd, never is: no kswapd runs.
 */
static uint64_t
nr_pcp_high(struct per_cpu_pages *pcp, const struct zone *zone,
	    bool free_high)
{
	int64_t high, high_min, high_max, batch = (int64_t)pcp->batch;

	if (!pcp->high_auto)
		return free_high ? 0 : pcp->high;
	high_min = (int64_t)pcp->high_min;
	high_max = (int64_t)pcp->high_max;
	high = clamp64((int64_t)pcp->high, high_min, high_max);
	pcp->high = (uint64_t)high;
	if (!high)
		return 0;
	if (free_high) {
		high -= batch << PCP_BATCH_SCALE_MAX;
		pcp->high = (uint64_t)(high > high_min ? high : high_min);
		return 0;
	}
	if (high_min == high_max)
		return (uint64_t)high;
	if (zone->below_high) {
		pcp_lower_high(pcp);
		return pcp->count > (uint64_t)high_min ? pcp->count :
			(uint64_t)high_min;
	}
	if ((int64_t)pcp->count >= high &&
	    high < (int64_t)pcp->free_count + batch)
		pcp->high = (uint64_t)clamp64((int64_t)pcp->free_count + batch,
					      high_min, high_max);
	return (uint64_t)high;
}

/*
 * free_pcppages_bulk(): @count pages back to the buddy, starting with the
 * list at @pindex, each list emptied before the next in round-robin
 * order; each page goes to its pageblock's migratetype as it is now.
 */
static int
free_pcppages_bulk(struct hvo_machine *m, enum zone_type z, uint64_t count,
		   unsigned pindex)
{
	struct per_cpu_pages *pcp = &m->zones[z].pcp;
	/* The RAM range of the last page, likely the next one's. */
	const struct hvo_mem_range *ram = NULL;
	/*
	 * The last page's pageblock: a merge changes only its buddy's
	 * pageblocks, to the freed page's type.
	 */
	struct pageblock_memo pbm = { .pb = 0 };
	int64_t left;

	keep_address(pcp);
	left = (int64_t)(count < pcp->count ? count : pcp->count);
	pindex = pindex ? pindex - 1 : NR_PCP_LISTS - 1;
	while (left > 0) {
		struct free_list *list;
		uint64_t head;
		unsigned order;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
			list = &pcp->lists[pindex];
			head = pcp->lists[pindex].head;
		} while (list_empty(list, head));
		order = pindex_to_order(m, pindex);
		do {
			/* The coldest page: the tail. */
			page_t page = lru_to_page(m, list->prev);
			pfn_t pfn = page_to_pfn(m, page);
			uint64_t pa = pfn << m->arch.page_shift;
			struct page_ref r;
			int rc;

			page_ref_init(m, &r, page);
			/*
			 * After a fault the page stays on the list, and
			 * __free_one_page() frees nothing.
			 */
			list_del_ref(m, list, head, &r, &pcp->count,
				     UINT64_C(1) << order);
			left -= (int64_t)(UINT64_C(1) << order);
			if (!ram || pa - ram->base >= ram->size)
				ram = phys_range_of(&m->phys, pa);
			if (!pageblock_memo_holds(m, &pbm, pfn))
				pageblock_memo_set(m, &pbm, pfn,
						   get_pfnblock_migratetype(m, pfn),
						   z);
			rc = __free_one_page(m, pfn, order, z, pbm.mt, FPI_NONE,
					     ram);
			if (rc)
				return rc;
		} while (left > 0 && !list_empty(list, head));
	}
	return 0;
}

/* drain_pages_zone(): all of one zone's pcp pages back to the buddy. */
static int
drain_pages_zone(struct hvo_machine *m, enum zone_type z)
{
	return free_pcppages_bulk(m, z, m->zones[z].pcp.count, 0);
}

int
drain_all_pages(struct hvo_machine *m)
{
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		int rc = drain_pages_zone(m, (enum zone_type)z);

		if (rc)
			return rc;
	}
	return 0;
}

/*
 * What a free of @order tells pcp from 6.7 (free_unref_page_commit()):
 * the next refill scaled back, whether this free drains as one of a run
 * of high-order frees (returned), and the pages freed in a row.
 */
static inline bool
pcp_free_seen(struct per_cpu_pages *pcp, unsigned order)
{
	bool small = order && order <= PAGE_ALLOC_COSTLY_ORDER;
	bool free_high;

	pcp->alloc_factor >>= 1;
	free_high = small && pcp->free_count >= pcp->batch &&
		    (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
		    (!(pcp->flags & PCPF_FREE_HIGH_BATCH) ||
		     pcp->count >= pcp->batch);
	if (small)
		pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
	else
		pcp->flags &= ~PCPF_PREV_FREE_HIGH_ORDER;
	if (pcp->free_count < pcp->batch << PCP_BATCH_SCALE_MAX)
		pcp->free_count += UINT64_C(1) << order;
	return free_high;
}

/*
 * free_unref_page_commit() after the page is on its list: whether a run
 * of frees drains (6.1: free_factor set and a free of order 1..3; from
 * 6.7 a second such free in a row, with a batch freed in a row, and with
 * PCPF_FREE_HIGH_BATCH a batch on the lists), the count high sets, and
 * the drain. From 6.7 a drain that lifts the zone above its high
 * watermark ends ZONE_BELOW_HIGH.
 */
static HVO_ALWAYS_INLINE int
free_unref_page_commit(struct hvo_machine *m, struct zone *zone,
		       enum zone_type z, unsigned order, unsigned pindex)
{
	struct per_cpu_pages *pcp = &zone->pcp;
	bool small = order && order <= PAGE_ALLOC_COSTLY_ORDER;
	bool free_high;
	uint64_t high;
	int rc;

	if (!pcp->high_auto)
		free_high = pcp->free_factor && small;
	else
		free_high = pcp_free_seen(pcp, order);
	high = nr_pcp_high(pcp, zone, free_high);
	if (pcp->count < high)
		return machine_oops_rc(m, 0);
	rc = free_pcppages_bulk(m, z, nr_pcp_free(pcp, high, free_high), pindex);
	if (!rc && zone->below_high &&
	    __zone_watermark_ok(zone, 0, wmark_pages(zone, WMARK_HIGH),
				ZONE_MOVABLE, 0, (int64_t)zone_nr_free_pages(zone)))
		zone->below_high = false;
	return rc;
}

/*
 * The commits free_pages_n() holds back: order-0 frees onto the pcp lists
 * of @zone none of which drains. Such a commit changes only what
 * pcp_free_seen() and nr_pcp_high() set apart from the count (6.7 on:
 * high clamped into its bounds, and in a zone below its high watermark
 * lowered, pcp_lower_high()), so pcp_defer_flush() applies those, before
 * the next commit that may drain and at the batch's end. Nothing looks at the pcp state
 * in between: the batch runs with no listener, and only frees onto the
 * lists come before the flush.
 */
struct pcp_defer {
	struct zone *zone; /* the zone of the commits held, or NULL */
	uint64_t limit;    /* a count below it drains nothing */
	uint64_t n;        /* commits held */
	bool below;        /* nr_pcp_high()'s ZONE_BELOW_HIGH case */
	struct pageblock_memo pb; /* that of the last free held */
};

static void
pcp_defer_flush(struct pcp_defer *d)
{
	struct per_cpu_pages *pcp;

	if (!d->zone)
		return;
	pcp = &d->zone->pcp;
	if (pcp->high_auto && d->n) {
		pcp->high = (uint64_t)clamp64((int64_t)pcp->high,
					      (int64_t)pcp->high_min,
					      (int64_t)pcp->high_max);
		if (d->below) {
			/* Each lowers high by free_count as it then was. */
			for (uint64_t i = 0; i < d->n; i++) {
				pcp_free_seen(pcp, 0);
				pcp_lower_high(pcp);
			}
		} else {
			/* d->n pcp_free_seen(pcp, 0) at once. */
			uint64_t cap = pcp->batch << PCP_BATCH_SCALE_MAX;

			pcp->alloc_factor = d->n < 32 ?
					    pcp->alloc_factor >> d->n : 0;
			pcp->flags &= ~PCPF_PREV_FREE_HIGH_ORDER;
			if (pcp->free_count < cap)
				pcp->free_count = min64(pcp->free_count + d->n,
							cap);
		}
	}
	d->zone = NULL;
	d->n = 0;
}

/*
 * Whether the commit of a free of @order just added to @zone's pcp list
 * can be held in @d: true if nr_pcp_high() would leave the count below
 * what it returns. Below the high watermark, with high tuned, that is
 * the count below high_min.
 */
static HVO_ALWAYS_INLINE bool
pcp_commit_defer(struct pcp_defer *d, struct zone *zone, unsigned order)
{
	struct per_cpu_pages *pcp = &zone->pcp;

	if (order)
		return false;
	if (d->zone != zone) {
		pcp_defer_flush(d);
		d->zone = zone;
		d->below = pcp->high_auto && zone->below_high &&
			   pcp->high_min != pcp->high_max;
		d->limit = d->below ? pcp->high_min :
			   !pcp->high_auto ? pcp->high :
			   (uint64_t)clamp64((int64_t)pcp->high,
					     (int64_t)pcp->high_min,
					     (int64_t)pcp->high_max);
	}
	if (pcp->count >= d->limit)
		return false;
	d->n++;
	return true;
}

/*
 * free_unref_page(): park a free on the pcp list of its pageblock's type
 * (HighAtomic as movable; an isolated pageblock's page straight to the
 * buddy), drain past high starting with that list. @r: the page, as the
 * caller's last access through the TLB reached it. @d: free_pages_n()'s
 * held commits, or NULL to commit each free.
 */
static HVO_ALWAYS_INLINE int
free_unref_page(struct hvo_machine *m, pfn_t pfn, unsigned order,
		struct page_ref *r, struct pcp_defer *d)
{
	enum migratetype mt;
	enum zone_type z;
	struct zone *zone;
	struct free_list *list;
	unsigned pindex;

	/* Only a drain or a free past the lists changes a pageblock's type. */
	if (d && pageblock_memo_holds(m, &d->pb, pfn)) {
		mt = d->pb.mt;
		z = d->pb.z;
	} else {
		z = pfn_zone(m, pfn);
		mt = __get_pfnblock_migratetype(m, pfn);
		if (d)
			pageblock_memo_set(m, &d->pb, pfn, mt, z);
	}
	zone = &m->zones[z];
	keep_address(zone);
	if (mt >= MIGRATE_PCPTYPES) {
		if (mt == MIGRATE_ISOLATE) {
			if (d)
				pageblock_memo_forget(&d->pb);
			return free_one_page(m, pfn, order, FPI_NONE);
		}
		mt = MIGRATE_MOVABLE;
	}
	pindex = order_to_pindex(m, mt, order);
	list = &zone->pcp.lists[pindex];
	keep_address(list);
	list_add_ref(m, list, list->head, r, false, &zone->pcp.count,
		     UINT64_C(1) << order);
	if (d) {
		if (pcp_commit_defer(d, zone, order))
			return machine_oops_rc(m, 0);
		pcp_defer_flush(d);
		pageblock_memo_forget(&d->pb);
	}
	return free_unref_page_commit(m, zone, z, order, pindex);
}

/* rmqueue_bulk(): @n blocks onto the tail of a pcp list. */
static inline int
rmqueue_bulk(struct hvo_machine *m, enum zone_type z, unsigned order,
	     uint64_t n, struct free_list *list, enum migratetype mt,
	     unsigned alloc_flags)
{
	struct per_cpu_pages *pcp = &m->zones[z].pcp;
	enum rmqueue_mode mode = RMQUEUE_NORMAL;

	keep_address(pcp);

	for (uint64_t i = 0; i < n; i++) {
		struct page_ref r;
		pfn_t p;
		int rc = __rmqueue(m, z, order, mt, alloc_flags, &mode, &p, &r);

		if (rc == -ENOMEM)
			break;
		if (rc)
			return rc;
		/* @r: the block as __rmqueue() took it, maybe the last access. */
		list_add_ref(m, list, list->head, &r, true, &pcp->count,
			     UINT64_C(1) << order);
	}
	return 0;
}

/*
 * The first page of a pcp list that is not empty; @r: its struct page,
 * as list_del() left it, the last access through the TLB.
 */
static inline int
rmqueue_pcplist_take(struct hvo_machine *m, struct per_cpu_pages *pcp,
		     struct free_list *list, uint64_t head, unsigned order,
		     pfn_t *pfn, struct page_ref *r)
{
	/* The struct page from its link, not again from the pfn. */
	page_t page = lru_to_page(m, list->next);

	*pfn = page_to_pfn(m, page);
	page_ref_init(m, r, page);
	list_del_ref(m, list, head, r, &pcp->count, UINT64_C(1) << order);
	return machine_oops_rc(m, 0);
}

/* rmqueue_pcplist(): an allocation scales the next drain back (6.1: free_factor). */
static inline void
pcp_alloc_seen(struct per_cpu_pages *pcp)
{
	if (pcp->high_auto)
		pcp->free_count >>= 1;
	else
		pcp->free_factor >>= 1;
}

/* rmqueue_pcplist(): from the pcp list, refilled from the buddy in a batch. */
static inline int
rmqueue_pcplist(struct hvo_machine *m, enum zone_type z, unsigned order,
		enum migratetype mt, unsigned alloc_flags, pfn_t *pfn)
{
	struct per_cpu_pages *pcp = &m->zones[z].pcp;
	struct free_list *list = &pcp->lists[order_to_pindex(m, mt, order)];
	uint64_t head;
	struct page_ref r;

	keep_address(pcp);
	keep_address(list);
	head = list->head;
	pcp_alloc_seen(pcp);
	if (list_empty(list, head)) {
		int rc = rmqueue_bulk(m, z, order,
				      nr_pcp_alloc(pcp, &m->zones[z], order),
				      list, mt, alloc_flags);

		if (rc)
			return rc;
		if (list_empty(list, head))
			return -ENOMEM;
	}
	return rmqueue_pcplist_take(m, pcp, list, head, order, pfn, &r);
}

/* rmqueue(): the pcp for the orders it keeps, the buddy lists for the rest. */
static int
rmqueue(struct hvo_machine *m, enum zone_type z, unsigned order,
	enum migratetype mt, unsigned alloc_flags, pfn_t *pfn)
{
	enum rmqueue_mode mode = RMQUEUE_NORMAL;
	struct page_ref r;

	/*
	 * The fault the machine met is what it returns, before a list is
	 * touched: a block taken off a free list after an oops would keep
	 * its place there (list_del_ref()) and lose PageBuddy.
	 */
	if (unlikely(machine_oopsed(m)))
		return m->oops;
	if (pcp_enabled(m, order))
		return rmqueue_pcplist(m, z, order, mt, alloc_flags, pfn);
	return __rmqueue(m, z, order, mt, alloc_flags, &mode, pfn, &r);
}

/*
 * A zone on the zonelist: build_zonerefs_node() takes the populated ones
 * (present pages; deferred memory included).
 */
static bool
zone_populated(const struct zone *zone)
{
	return zone->configured && zone->present_pages;
}

/*
 * alloc_flags_nofragment(): ALLOC_KSWAPD for a caller that may wake
 * kswapd; with ZONE_DMA32 built in and one node, an allocation whose
 * preferred zone is Normal first avoids splitting pageblocks of other
 * types (ALLOC_NOFRAGMENT), and only when no zone gives it a whole
 * pageblock tries again without.
 */
static unsigned
alloc_flags_nofragment(const struct hvo_machine *m, enum zone_type preferred,
		       gfp_t gfp)
{
	unsigned alloc_flags = gfp & __GFP_KSWAPD_RECLAIM ? ALLOC_KSWAPD : 0;

	if (!m->zones[ZONE_DMA32].configured || preferred != ZONE_NORMAL)
		return alloc_flags;
	return alloc_flags | ALLOC_NOFRAGMENT;
}

/*
 * get_page_from_freelist()'s test of a zone. From 6.7 the high watermark
 * first: a zone above it is tried at once (it keeps any lower mark too),
 * one below is marked ZONE_BELOW_HIGH, which lowers pcp->high on frees
 * until a drain lifts the zone above it. Then the mark @alloc_flags
 * names, with its protection against @highest.
 */
static inline bool
zone_keeps_watermark(struct zone *zone, unsigned order, enum zone_type highest,
		     unsigned alloc_flags)
{
	if (zone->pcp.high_auto && !zone->below_high) {
		bool above_high = zone_watermark_fast(zone, order,
						      wmark_pages(zone, WMARK_HIGH),
						      highest, alloc_flags);

		zone->below_high = !above_high;
		if (above_high)
			return true;
	}
	return (alloc_flags & ALLOC_NO_WATERMARKS) ||
	       zone_watermark_fast(zone, order,
				   wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK),
				   highest, alloc_flags);
}

/*
 * get_page_from_freelist(): the zonelist from @highest down, each zone
 * checked against the watermark @alloc_flags names and its protection
 * against @highest, and skipped if it fails; then rmqueue() of @mt with
 * @alloc_flags. With ALLOC_NOFRAGMENT the whole zonelist once more
 * without it. Deferred memory counts as free, as to a booted kernel, so
 * the kernel's "grow a zone that fails its watermark" never applies; a
 * zone that passes grows on demand when its lists run dry.
 */
static int
get_page_from_freelist(struct hvo_machine *m, unsigned order,
		       enum zone_type highest, enum migratetype mt,
		       unsigned alloc_flags, pfn_t *pfn)
{
	int rc = -ENOMEM;

retry:
	for (int z = (int)highest; z >= 0; z--) {
		struct zone *zone = &m->zones[z];

		if (!zone_populated(zone) ||
		    !zone_keeps_watermark(zone, order, highest, alloc_flags))
			continue;
		do {
			rc = rmqueue(m, (enum zone_type)z, order, mt,
				     alloc_flags, pfn);
		} while (rc == -ENOMEM &&
			 deferred_grow_zone(m, (enum zone_type)z, order));
		if (rc != -ENOMEM)
			return rc;
	}
	if (alloc_flags & ALLOC_NOFRAGMENT) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return rc;
}

/*
 * get_page_from_freelist()'s zonelist walk for an order-0 page on
 * __alloc_pages()' first try (ALLOC_WMARK_LOW), up to the zone whose
 * rmqueue() it calls: the first populated zone from @highest down that
 * keeps its watermarks (zone_keeps_watermark(), which marks a zone below
 * high as the walk marks it). -1 when none does. The mark is the walk's
 * own change: the walk, if it follows, decides the same. An allocation
 * from a pcp list changes no zone's free pages, so the answer holds
 * until the slow path or a free.
 */
static __attribute__((noinline)) int
__pcp_zone_pick(struct hvo_machine *m, enum zone_type highest)
{
	for (int z = (int)highest; z >= 0; z--) {
		struct zone *zone = &m->zones[z];

		if (zone_populated(zone) &&
		    zone_keeps_watermark(zone, 0, highest, ALLOC_WMARK_LOW))
			return z;
	}
	return -1;
}

static inline int
pcp_zone_pick(struct hvo_machine *m, enum zone_type highest)
{
	const struct zone *zone = &m->zones[highest];

	/* Inline, the common answer: the first zone, above its high mark. */
	if (zone->pcp.high_auto && !zone->below_high &&
	    zone_populated(zone) &&
	    zone_watermark_order0_ok(zone, wmark_pages(zone, WMARK_HIGH),
				     highest))
		return (int)highest;
	return __pcp_zone_pick(m, highest);
}

/*
 * The pcp list @pindex of the zone pcp_zone_pick() finds (in *@z), empty
 * or not; NULL on a machine that has oopsed, without pcp lists, or with
 * no zone to take from.
 */
static inline struct free_list *
pcp_list_pick(struct hvo_machine *m, enum zone_type highest, unsigned pindex,
	      int *z)
{
	if (machine_oopsed(m) || !pcp_enabled(m, 0))
		return NULL;
	*z = pcp_zone_pick(m, highest);
	return *z < 0 ? NULL : &m->zones[*z].pcp.lists[pindex];
}

/*
 * The common case of an order-0 allocation, tried before anything else:
 * the zone pcp_zone_pick() finds has a page on its pcp list of @mt, so
 * rmqueue() would take it from there. The list (its zone in *@z), or
 * NULL; get_page_from_freelist() then walks the zones itself. An oopsed
 * machine takes that way because rmqueue() would return its fault, and
 * a -ENOMEM fault makes the zonelist walk grow the zone and go on; an
 * armed fail_page_alloc because should_fail_alloc_page() comes before
 * the walk, which marks zones.
 */
static inline struct free_list *
pcp_list_ready(struct hvo_machine *m, enum zone_type highest,
	       enum migratetype mt, int *z)
{
	struct free_list *list;

	if (fail_page_alloc_armed(m))
		return NULL;
	list = pcp_list_pick(m, highest, order_to_pindex(m, mt, 0), z);
	return list && !list_empty(list, list->head) ? list : NULL;
}

/*
 * __alloc_pages() past pcp_list_ready(): the fast path at the low
 * watermark with alloc_flags_nofragment() of the preferred zone (the
 * first populated one from @highest down), then the slow path's flags
 * (gfp_to_alloc_flags(), no ALLOC_NOFRAGMENT). The machine has nothing
 * to reclaim or compact (no page cache, no swap, no movable pages
 * compaction could move), so of the slow path only what changes the
 * outcome is modelled: one try with gfp_to_alloc_flags(), and for a
 * caller that may reclaim, the drain of the per-CPU lists that follows a
 * failed direct reclaim and one more try. A GFP_KERNEL allocation the
 * kernel would retry and answer with the OOM killer fails here.
 */
static int
__alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	      enum migratetype mt, gfp_t gfp, pfn_t *pfn)
{
	enum zone_type preferred = highest;
	unsigned alloc_flags;
	int rc;

	while (preferred > ZONE_DMA && !zone_populated(&m->zones[preferred]))
		preferred--;
	alloc_flags = ALLOC_WMARK_LOW |
		      alloc_flags_nofragment(m, preferred, gfp);
	rc = get_page_from_freelist(m, order, highest, mt, alloc_flags, pfn);
	if (rc != -ENOMEM || !m->buddy_up)
		return rc;
	alloc_flags = gfp_to_alloc_flags(gfp, order);
	rc = get_page_from_freelist(m, order, highest, mt, alloc_flags, pfn);
	if (rc != -ENOMEM || !(gfp & __GFP_DIRECT_RECLAIM))
		return rc;
	rc = drain_all_pages(m);
	if (rc)
		return rc;
	return get_page_from_freelist(m, order, highest, mt, alloc_flags, pfn);
}

/* alloc_pages_gfp()'s error @rc: an empty zonelist explained. */
static __attribute__((noinline, cold)) int
alloc_pages_failed(struct hvo_machine *m, int rc, unsigned order,
		   enum zone_type highest)
{
	if (rc == -ENOMEM)
		return machine_err(m, -ENOMEM,
				   "out of memory: no zone up to %s keeps its watermark and protection with a free block of order %u",
				   m->zones[highest].name, order);
	return rc;
}

/* The counters of @nr allocations of @order from zone @z. */
static inline void
alloc_pages_count(struct hvo_machine *m, enum zone_type z, unsigned order,
		  uint64_t nr)
{
	m->counter[CNT_BUDDY_ALLOC] += nr;
	/* rmqueue_pcplist() and rmqueue_buddy(): PGALLOC of the page's zone */
	count_vm_events(m, (enum vm_event_item)(PGALLOC_DMA + z), nr << order);
	/* zone_statistics(): one node, so a local hit per allocation */
	count_vm_events(m, NUMA_HIT, nr);
	count_vm_events(m, NUMA_LOCAL, nr);
	m->zones[z].vm_numa_event[NUMA_HIT - NUMA_HIT] += nr;
	m->zones[z].vm_numa_event[NUMA_LOCAL - NUMA_HIT] += nr;
}

/*
 * The end of alloc_pages_gfp() once a block is taken, or its error:
 * prep_new_page() and the allocation's accounting; with @batched,
 * alloc_pages_n()'s: the counters left to it, and no trace listener.
 * @r holds the first page's struct page as the fast path's list_del()
 * left it, the last access through the TLB, or nothing.
 */
static HVO_ALWAYS_INLINE int
alloc_pages_done(struct hvo_machine *m, int rc, unsigned order,
		 enum zone_type highest, enum hvo_page_category cat,
		 pfn_t *pfn, struct page_ref *r, bool from_pcp, bool batched)
{
	if (unlikely(rc))
		return alloc_pages_failed(m, rc, order, highest);
	/* prep_new_page(): the first page holds the reference. */
	if (r->host)
		page_ref_again(m, r, true);
	else
		page_ref_init(m, r, pfn_to_page(m, *pfn));
	ref_set_page_count(m, r, 1);
	if (machine_oopsed(m))
		return m->oops;
	page_owner_alloc(&m->owner, *pfn, order, cat);
	if (batched)
		return 0;
	/* A pcp list of @highest holds pages of @highest only. */
	alloc_pages_count(m, from_pcp ? highest : pfn_zone(m, *pfn), order, 1);
	trace_buddy(m, HVO_EVENT_PAGE_ALLOC, *pfn, order, cat);
	return 0;
}

/* should_fail_alloc_page(), before the allocation is tried. */
static inline int
alloc_pages_fault(struct hvo_machine *m, unsigned order,
		  enum hvo_page_category cat)
{
	if (should_fail_alloc_page(m, order, cat, false))
		return machine_err(m, -ENOMEM,
				   "page allocation failed (fault injection)");
	return 0;
}

/*
 * Without a ready pcp page. Out of line, as is alloc_pages_pcp():
 * alloc_pages_gfp() then saves no registers before it knows which way
 * it goes, and each way saves only those it uses.
 */
static __attribute__((noinline)) int
alloc_pages_slow(struct hvo_machine *m, unsigned order, enum zone_type highest,
		 gfp_t gfp, enum hvo_page_category cat, pfn_t *pfn)
{
	/* The last access of the slow path may be another page's. */
	struct page_ref r = { .host = NULL };
	int rc;

	if (order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "order %u is above MAX_PAGE_ORDER %u: use the contiguous allocator",
				   order, m->arch.max_page_order);
	rc = alloc_pages_fault(m, order, cat);
	if (rc)
		return rc;
	rc = __alloc_pages(m, order, highest, gfp_migratetype(gfp), gfp, pfn);
	return alloc_pages_done(m, rc, order, highest, cat, pfn, &r, false,
				false);
}

/*
 * The fast path's page, from @list of the pcp lists of zone @z
 * (pcp_list_ready()). fail_page_alloc is not armed. With @batched,
 * alloc_pages_n()'s: the counters are left to the caller.
 */
static HVO_ALWAYS_INLINE int
__alloc_pages_pcp(struct hvo_machine *m, enum zone_type z,
		  struct per_cpu_pages *pcp, enum hvo_page_category cat,
		  pfn_t *pfn, struct free_list *list, bool batched)
{
	struct page_ref r;
	int rc;

	pcp_alloc_seen(pcp);
	rc = rmqueue_pcplist_take(m, pcp, list, list->head, 0, pfn, &r);
	return alloc_pages_done(m, rc, 0, z, cat, pfn, &r, true, batched);
}

static __attribute__((noinline)) int
alloc_pages_pcp(struct hvo_machine *m, enum zone_type z,
		enum hvo_page_category cat, pfn_t *pfn, struct free_list *list)
{
	return __alloc_pages_pcp(m, z, &m->zones[z].pcp, cat, pfn, list, false);
}

int
alloc_pages_gfp(struct hvo_machine *m, unsigned order, enum zone_type highest,
		gfp_t gfp, enum hvo_page_category cat, pfn_t *pfn)
{
	/*
	 * prepare_alloc_pages(): the migratetype comes from the gfp alone.
	 * pcp_list_ready() is not tried with fail_page_alloc armed, so it
	 * may come before the checks; an order above MAX_PAGE_ORDER is
	 * never ready.
	 */
	int z = 0;
	struct free_list *list = order ? NULL :
				 pcp_list_ready(m, highest, gfp_migratetype(gfp),
						&z);

	if (!list)
		return alloc_pages_slow(m, order, highest, gfp, cat, pfn);
	return alloc_pages_pcp(m, (enum zone_type)z, cat, pfn, list);
}

int
alloc_pages(struct hvo_machine *m, unsigned order, enum zone_type highest,
	    enum hvo_page_category cat, pfn_t *pfn)
{
	return alloc_pages_gfp(m, order, highest, page_category_gfp(cat, highest),
			       cat, pfn);
}

int
alloc_pages_n(struct hvo_machine *m, enum zone_type highest,
	      enum hvo_page_category cat, uint64_t nr, pfn_t *pfns,
	      uint64_t *nr_done)
{
	gfp_t gfp = page_category_gfp(cat, highest);
	unsigned pindex = order_to_pindex(m, gfp_migratetype(gfp), 0);
	struct per_cpu_pages *pcp = NULL;
	struct free_list *list = NULL;
	uint64_t i, fast = 0;
	int z = -1, rc = 0;

	/*
	 * A trace listener sees the counters of each event, and may change
	 * what pcp_list_ready() asks; an armed fail_page_alloc counts its
	 * calls: one allocation at a time. Without either at the start
	 * there is none until the end (only a listener or the API arms
	 * them).
	 */
	if (unlikely(m->trace.fn || fail_page_alloc_armed(m))) {
		for (i = 0; i < nr && !rc; i++)
			rc = alloc_pages_gfp(m, 0, highest, gfp, cat, &pfns[i]);
		*nr_done = rc ? i - 1 : i;
		return rc;
	}
	for (i = 0; i < nr && !rc; i++) {
		/*
		 * pcp_list_ready() without its test of fail_page_alloc (not
		 * armed), the list picked again after the slow path.
		 */
		if (!list) {
			list = pcp_list_pick(m, highest, pindex, &z);
			if (list)
				pcp = &m->zones[z].pcp;
		}
		/*
		 * The pcp take inline: the loop keeps its registers, where
		 * a call per page saved and restored them (a restore's
		 * seven pages).
		 */
		if (list && !machine_oopsed(m) && !list_empty(list, list->head)) {
			rc = __alloc_pages_pcp(m, (enum zone_type)z, pcp, cat,
					       &pfns[i], list, true);
			fast += !rc;
			continue;
		}
		/*
		 * The fast path's counters, of zone z: nothing read them
		 * since. Then what alloc_pages_gfp() would do, the list
		 * being empty.
		 */
		if (fast)
			alloc_pages_count(m, (enum zone_type)z, 0, fast);
		fast = 0;
		rc = alloc_pages_slow(m, 0, highest, gfp, cat, &pfns[i]);
		z = -1;
		list = NULL;
	}
	*nr_done = rc ? i - 1 : i;
	if (fast)
		alloc_pages_count(m, (enum zone_type)z, 0, fast);
	return rc;
}

/*
 * Freed frames read as zeros from now on; the host pages behind any of them
 * go back to the arena, for the next frame that is written.
 */
static HVO_ALWAYS_INLINE void
release_frames(struct hvo_machine *m, pfn_t pfn, uint64_t n)
{
	uint64_t dropped = n == 1 ? phys_release_frame(&m->phys, pfn) :
			   phys_release(&m->phys, pfn << m->arch.page_shift,
					n << m->arch.page_shift);

	if (dropped)
		count(m, CNT_HOST_RELEASE);
}

/*
 * free_reserved_page(): a page of boot memory (PG_reserved, from memblock)
 * joins the managed pages -- MemTotal grows -- and is freed like any other.
 */
static int
__free_reserved_page(struct hvo_machine *m, pfn_t pfn, struct pcp_defer *d)
{
	struct page_ref r;
	struct zone *zone;
	unsigned was;

	if (page_owner_free(&m->owner, pfn, 0, &was))
		return machine_err(m, -EINVAL,
				   "free_reserved_page: pfn 0x%" PRIx64 " is not a single boot page",
				   pfn);
	/*
	 * ClearPageReserved() and set_page_count() through one reference:
	 * the store of the flags finds the entry their load looked at, and
	 * _refcount's store is a hit on the entry that store left.
	 */
	page_ref_init(m, &r, pfn_to_page(m, pfn));
	ref_set_flags(m, &r, ref_flags(m, &r) & ~pg_mask(m, PG_reserved));
	page_ref_again(m, &r, true);
	ref_set_page_count(m, &r, 0);
	if (machine_oopsed(m))
		return m->oops;
	zone = &m->zones[pfn_zone(m, pfn)];
	zone->managed_pages++;
	if (pfn >= zone->first_deferred_pfn) {
		zone->early_free_lo = min64(zone->early_free_lo, pfn);
		zone->early_free_hi = max64(zone->early_free_hi, pfn + 1);
	}
	release_frames(m, pfn, 1);
	count(m, CNT_BUDDY_FREE);
	/* __free_page(): free_unref_page_commit() or free_one_page() */
	count_vm_events(m, PGFREE, 1);
	if (unlikely(m->trace.fn)) {
		trace_page(m, HVO_EVENT_PAGE_FREE, pfn, 0, "boot memory");
		/* The listener may have gone through the TLB. */
		page_ref_forget(&r);
	}
	/* The store of _refcount is the last access through the TLB. */
	if (pcp_enabled(m, 0))
		return free_unref_page(m, pfn, 0, &r, d);
	return free_one_page(m, pfn, 0, FPI_NONE);
}

int
free_reserved_page(struct hvo_machine *m, pfn_t pfn)
{
	return __free_reserved_page(m, pfn, NULL);
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

/*
 * free_prepare()'s checks in order, the first to fail naming what is
 * wrong; *@ep: the allocation's page_owner entry.
 */
static int
free_check_allocation(struct hvo_machine *m, pfn_t pfn, unsigned order,
		      po_entry_t *ep)
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
	*ep = e;
	return 0;
}

/*
 * Checks common to both free paths; changes nothing. *@e: the
 * allocation's page_owner entry; *@ref: where it is stored, when the
 * look-up found that (see po_get_ref()), else NULL. @seen: the caller
 * has just loaded the flags, @flags, through a TLB hit; with nothing
 * through the TLB since, the load here hits that entry again and reads
 * the same word, in a register still.
 */
static inline int
free_prepare(struct hvo_machine *m, pfn_t pfn, unsigned order, po_entry_t *ep,
	     po_entry_t **ref, bool seen, uint64_t flags)
{
	const struct page_owner *po = &m->owner;
	po_entry_t e = 0;

	/*
	 * The common case first: an allocation of this order starts at
	 * @pfn, aligned. The allocators hand out only RAM, a block inside
	 * one range, so the RAM check would pass; only boot's reserved
	 * ranges (the first MiB with its hole) are recorded whole. Any
	 * other free takes all the checks.
	 */
	*ref = NULL;
	if (pfn - po->base_pfn < po->nr)
		e = po_get_ref(po, pfn - po->base_pfn, ref);
	/* A head (a category) and not reserved: after HVO_PAGES_RESERVED. */
	_Static_assert(HVO_PAGES_FREE == 0 && HVO_PAGES_RESERVED == 1,
		       "the categories after RESERVED are the allocators'");
	if (po_cat(e) <= HVO_PAGES_RESERVED || po_order(e) != order ||
	    (pfn & ((UINT64_C(1) << order) - 1))) {
		int rc = free_check_allocation(m, pfn, order, &e);

		if (rc)
			return rc;
		*ref = NULL;
	}
	/* page_owner lives in host memory: nothing went through the TLB. */
	if (seen)
		m->counter[CNT_TLB_HIT]++;
	else
		flags = page_flags(m, pfn_to_page(m, pfn));
	if (flag_test(m, flags, PG_reserved))
		return machine_err(m, -EINVAL,
				   "pfn 0x%" PRIx64 " is reserved boot memory (%s), not a page allocation",
				   pfn, hvo_page_category_name(po_cat(e)));
	*ep = e;
	return machine_oops_rc(m, 0);
}

/*
 * What every free of a checked allocation does before the block goes
 * back: page_owner and the host frames let go, _refcount zeroed, the
 * counters and the trace. @r: the page, as the store of _refcount left
 * it, the last access through the TLB.
 */
static HVO_ALWAYS_INLINE void
__free_block_start(struct hvo_machine *m, pfn_t pfn, unsigned order,
		   po_entry_t e, po_entry_t *ref, struct page_ref *r,
		   bool batched)
{
	page_owner_forget_at(&m->owner, pfn, e, order, ref);
	release_frames(m, pfn, UINT64_C(1) << order);
	page_ref_init(m, r, pfn_to_page(m, pfn));
	ref_set_page_count(m, r, 0);
	/* free_pages_n() counts its frees at the end, with no listener. */
	if (batched)
		return;
	count(m, CNT_BUDDY_FREE);
	/*
	 * PGFREE, 1 << order: free_unref_page_commit() or free_one_page();
	 * a gigantic block is free_contig_range()'s __free_page() per page.
	 */
	count_vm_events(m, PGFREE, UINT64_C(1) << order);
	if (unlikely(m->trace.fn)) {
		trace_buddy(m, HVO_EVENT_PAGE_FREE, pfn, order, po_cat(e));
		/* The listener may have gone through the TLB. */
		page_ref_forget(r);
	}
}

static HVO_ALWAYS_INLINE void
free_block_start(struct hvo_machine *m, pfn_t pfn, unsigned order,
		 po_entry_t e, po_entry_t *ref, struct page_ref *r)
{
	__free_block_start(m, pfn, order, e, ref, r, false);
}

/*
 * @seen and @flags: as free_prepare() has them. With @batched,
 * free_pages_n()'s free: no trace listener, its counters left to the
 * caller, who adds one to *@batched for a free past the checks, and its
 * pcp commit to @d.
 */
static HVO_ALWAYS_INLINE int
__free_pages_batched(struct hvo_machine *m, pfn_t pfn, unsigned order,
		     bool seen, uint64_t flags, uint64_t *batched,
		     struct pcp_defer *d)
{
	po_entry_t e = 0, *ref;
	struct page_ref r;
	int rc;

	if (order > m->arch.max_page_order)
		return machine_err(m, -EINVAL,
				   "order %u is above MAX_PAGE_ORDER %u", order,
				   m->arch.max_page_order);
	rc = free_prepare(m, pfn, order, &e, &ref, seen, flags);
	if (rc)
		return rc;
	if (batched)
		++*batched;
	__free_block_start(m, pfn, order, e, ref, &r, batched != NULL);
	if (pcp_enabled(m, order))
		return free_unref_page(m, pfn, order, &r, d);
	/* __free_pages_ok(): a pageblock at a time above pageblock_order. */
	return free_one_page(m, pfn, order, FPI_NONE);
}

int
free_pages(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	return __free_pages_batched(m, pfn, order, false, 0, NULL, NULL);
}

int
free_page(struct hvo_machine *m, pfn_t pfn)
{
	return free_pages(m, pfn, 0);
}

/*
 * One page of free_pages_n(): PageReserved() through the TLB, then boot
 * memory by free_reserved_page(), the rest by the buddy's order-0 free;
 * on a machine that has oopsed the page is not taken. Page by page
 * (@batched NULL) @acct is told of the page before its free, as the
 * kernel's free_vmemmap_page() counts it; batched, *@boot counts a boot
 * page and *@freed a buddy page for free_pages_n()'s one call of @acct
 * at the end, and @batched and @d are as __free_pages_batched() has them.
 */
static HVO_ALWAYS_INLINE int
free_pages_n_one(struct hvo_machine *m, pfn_t pfn, free_pages_acct_fn acct,
		 uint64_t *freed, uint64_t *boot, uint64_t *batched,
		 struct pcp_defer *d)
{
	const uint64_t *hit;
	uint64_t flags = page_flags_hit(m, pfn_to_page(m, pfn), &hit);

	if (machine_oopsed(m))
		return m->oops;
	if (flag_test(m, flags, PG_reserved)) {
		if (batched)
			++*boot;
		else
			acct(m, 1, 1);
		return __free_reserved_page(m, pfn, d);
	}
	if (batched)
		++*freed;
	else
		acct(m, 1, 0);
	return __free_pages_batched(m, pfn, 0, hit != NULL, flags, batched, d);
}

int
free_pages_n(struct hvo_machine *m, const pfn_t *pfns, uint64_t nr,
	     free_pages_acct_fn acct)
{
	uint64_t i = nr, freed = 0, boot = 0, buddy = 0;
	struct pcp_defer d = { .zone = NULL };
	int rc = 0;

	/*
	 * A trace listener sees the counters of each event: one free at a
	 * time. Without one at the start there is none until the end (only
	 * a listener or the API installs one, and a free calls neither).
	 */
	if (unlikely(m->trace.fn)) {
		while (i-- > 0 && !rc)
			rc = free_pages_n_one(m, pfns[i], acct, NULL, NULL,
					      NULL, NULL);
		return rc;
	}
	while (i-- > 0 && !rc)
		rc = free_pages_n_one(m, pfns[i], acct, &freed, &boot, &buddy,
				      &d);
	pcp_defer_flush(&d);
	/* The counters, all at once: nothing read them since. */
	m->counter[CNT_BUDDY_FREE] += buddy;
	count_vm_events(m, PGFREE, buddy);
	if (freed + boot)
		acct(m, freed + boot, boot);
	return rc;
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

/*
 * pfn_range_valid_contig() and has_unmovable_pages() in one walk over the
 * allocations in the range (page_owner), reading a struct page only at
 * an allocation's first page. The range is valid when it is RAM of zone
 * @z with no PageReserved and no PageHuge page (a hugetlb folio, free in
 * its pool or in use: 6.12 skips such ranges before it would migrate
 * anything). An allocated page then makes its pageblock unmovable: the
 * machine has no LRU or __PageMovable pages, so nothing else can move.
 * A high-order allocation that is not compound holds its reference on
 * its first page only, so only that page's pageblock counts, as in the
 * kernel; a contiguous allocation that is not compound holds one on every
 * page (split_free_pages()), so all its pageblocks count. *first_busy is
 * the index of the first unmovable pageblock below the last, *last_busy
 * says whether the last one is.
 */
static bool
contig_range_scan(struct hvo_machine *m, enum zone_type z, pfn_t start,
		  uint64_t nr, uint64_t *first_busy, bool *last_busy)
{
	unsigned pbo = m->arch.pageblock_order;
	uint64_t last = (nr >> pbo) - 1;
	enum hvo_page_category c;
	pfn_t pfn = start, head;
	unsigned order;

	*first_busy = UINT64_MAX;
	*last_busy = false;
	if (!pfn_range_valid(&m->phys, start, nr) || pfn_zone(m, start) != z ||
	    pfn_zone(m, start + nr - 1) != z)
		return false;
	/* Struct pages deferred init has not reached yet are not pages. */
	if (start + nr > m->zones[z].first_deferred_pfn)
		return false;
	/*
	 * An allocation from below that covers the start is one larger than
	 * the range, so larger than MAX_PAGE_ORDER: a gigantic page, or a
	 * contiguous allocation with a reference on every page.
	 */
	if (page_owner_lookup(&m->owner, start, &head, &order, &c) &&
	    head < start) {
		if (c == HVO_PAGES_HUGETLB ||
		    flag_test(m, page_flags(m, pfn_to_page(m, head)), PG_reserved))
			return false;
		*first_busy = 0;
		*last_busy = true;
		return !machine_oopsed(m);
	}
	while (pfn < start + nr) {
		po_entry_t e = page_owner_entry(&m->owner, pfn);
		uint64_t pb = (pfn - start) >> pbo, n;

		if (!po_is_head(e)) {
			pfn++;
			continue;
		}
		n = UINT64_C(1) << po_order(e);
		if (po_cat(e) == HVO_PAGES_HUGETLB)
			return false;
		if (flag_test(m, page_flags(m, pfn_to_page(m, pfn)), PG_reserved))
			return false;
		if (pb != last && *first_busy == UINT64_MAX)
			*first_busy = pb;
		if (pb == last || (po_order(e) > m->arch.max_page_order &&
				   pfn + n > start + (last << pbo)))
			*last_busy = true;
		pfn += n;
	}
	return !machine_oopsed(m);
}

/*
 * find_large_buddy(): the free block that starts at or covers @pfn, if
 * there is one.
 */
static bool
find_large_buddy(struct hvo_machine *m, pfn_t pfn, pfn_t *head,
		 unsigned *order)
{
	pfn_t p = pfn;

	for (unsigned o = 0; !page_buddy_order(m, p, order);) {
		if (++o > m->arch.max_page_order)
			return false;
		p &= ~((UINT64_C(1) << o) - 1);
	}
	*head = p;
	return p + (UINT64_C(1) << *order) > pfn;
}

/*
 * set_migratetype_isolate() followed by unset_migratetype_isolate(), as
 * a failed alloc_contig_range() leaves a pageblock it had isolated: the
 * pageblock ends MIGRATE_MOVABLE (the type alloc_contig_pages() isolates
 * with) whatever it was, its free blocks at the tail of the movable
 * lists. A free block larger than a pageblock is split by the isolation
 * and merged again when it ends; the model skips the round trip and moves
 * the whole block, every pageblock of it movable, as the merge leaves it.
 */
static void
isolate_and_undo_pageblock(struct hvo_machine *m, enum zone_type z, pfn_t pb)
{
	pfn_t head;
	unsigned order;

	if (find_large_buddy(m, pb, &head, &order) &&
	    order > m->arch.pageblock_order) {
		move_to_free_list(m, head, z, order, free_list_mt(m, head),
				  MIGRATE_MOVABLE);
		change_pageblock_range(m, head, order, MIGRATE_MOVABLE);
		return;
	}
	__move_freepages_block(m, z, pb, get_pfnblock_migratetype(m, pb),
			       MIGRATE_MOVABLE);
}

/*
 * alloc_contig_range() of an aligned range pfn_range_valid_contig()
 * accepted. start_isolate_page_range() isolates the first pageblock, the
 * last, then the rest upwards, and stops at the first with an unmovable
 * page; the pageblocks it had isolated are given back movable. With all
 * isolated, the zone's pcp lists are drained, nothing needs migrating,
 * and every page of the range is a free block: they are taken, and
 * undo_isolate_page_range() leaves the pageblocks movable. Returns 0 or
 * -EBUSY.
 */
static int
alloc_contig_range(struct hvo_machine *m, enum zone_type z, pfn_t start,
		   uint64_t nr, uint64_t first_busy, bool last_busy)
{
	uint64_t nb = nr >> m->arch.pageblock_order, fail;
	uint64_t pbn = pageblock_nr_pages(m);
	int rc;

	/* The index at which isolation stops, in the kernel's order. */
	fail = first_busy == 0 ? 0 : last_busy ? nb - 1 : first_busy;
	if (fail != UINT64_MAX) {
		if (fail == 0)
			return -EBUSY;
		isolate_and_undo_pageblock(m, z, start);
		if (fail != nb - 1) {
			for (uint64_t i = 1; i < fail; i++)
				isolate_and_undo_pageblock(m, z, start + i * pbn);
			isolate_and_undo_pageblock(m, z, start + (nb - 1) * pbn);
		}
		return machine_oops_rc(m, -EBUSY);
	}
	rc = drain_pages_zone(m, z);
	if (rc)
		return rc;
	for (pfn_t pfn = start; pfn < start + nr;) {
		unsigned order;

		if (!page_buddy_order(m, pfn, &order))
			return machine_err(m, -EFAULT,
					   "alloc_contig_range: pfn 0x%" PRIx64 " is neither allocated nor free in the buddy allocator",
					   pfn);
		del_page_from_free_list(m, pfn, z, order,
					free_list_mt(m, pfn));
		pfn += UINT64_C(1) << order;
	}
	pageblock_init_range(m, start, nr, MIGRATE_MOVABLE);
	return machine_oops_rc(m, 0);
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
			uint64_t first_busy;
			bool last_busy;
			int rc;

			while (zone->first_deferred_pfn < pfn + nr &&
			       deferred_grow_zone(m, z, order))
				;
			if (!contig_range_scan(m, z, pfn, nr, &first_busy,
					       &last_busy))
				continue;
			rc = alloc_contig_range(m, z, pfn, nr, first_busy,
						last_busy);
			if (rc == -EBUSY)
				continue;
			if (rc)
				return rc;
			set_page_count(m, pfn_to_page(m, pfn), 1);
			if (machine_oopsed(m))
				return m->oops;
			page_owner_alloc(&m->owner, pfn, order, cat);
			count(m, CNT_BUDDY_ALLOC);
			/*
			 * alloc_contig_range() takes the free blocks with
			 * isolate_freepages_range(), whose strict
			 * isolate_freepages_block() counts COMPACTISOLATED
			 * and no PGALLOC.
			 */
			count_vm_events(m, COMPACTISOLATED, nr);
			trace_buddy(m, HVO_EVENT_PAGE_ALLOC, pfn, order, cat);
			*out = pfn;
			return 0;
		}
	}
	if (machine_oopsed(m))
		return m->oops;
	return machine_err(m, -ENOMEM,
			   "no free, aligned range of %" PRIu64 " pages (order %u) without unmovable pages",
			   nr, order);
}

int
free_contig_range(struct hvo_machine *m, pfn_t pfn, unsigned order)
{
	po_entry_t e = 0, *ref;
	struct page_ref r;
	int rc;

	if (order <= m->arch.max_page_order || order > PO_ORDER_MASK)
		return machine_err(m, -EINVAL,
				   "free_contig_range: order %u is not a contiguous order",
				   order);
	rc = free_prepare(m, pfn, order, &e, &ref, false, 0);
	if (rc)
		return rc;
	/* Never the pcp lists; back a pageblock at a time. */
	free_block_start(m, pfn, order, e, ref, &r);
	return free_one_page(m, pfn, order, FPI_NONE);
}

/*
 * is_free_buddy_page(): is @pfn inside a free block? The block's first
 * page is PageBuddy with an order that reaches this far, at one of the
 * lower pfns aligned to each order. Only the first page of a block
 * carries the mark, so /proc/kpageflags asks this for the others.
 */
bool
is_free_buddy_page(struct hvo_machine *m, pfn_t pfn)
{
	for (unsigned order = 0; order <= m->arch.max_page_order; order++) {
		pfn_t head = pfn & ~((UINT64_C(1) << order) - 1);
		struct page_ref r;

		if (head < m->vmemmap_pfn_lo || !pfn_valid(&m->phys, head))
			continue;
		page_ref_init(m, &r, pfn_to_page(m, head));
		if (page_type_is(ref_page_type(m, &r), PGTY_buddy) &&
		    ref_private(m, &r) >= order)
			return true;
	}
	return false;
}
