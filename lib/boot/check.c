/* SPDX-License-Identifier: MIT */
/*
 * hvo_machine_check(): the invariants, each a small walker with a named
 * failure, so a broken machine says which rule broke and where.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hugetlb/hugetlb.h"
#include "mem/buddy.h"
#include "mem/pageblock.h"
#include "mm/page.h"
#include "mm/sparse.h"
#include "mmu/mmu.h"

#define FAIL(m, ...) machine_err((m), -EUCLEAN, __VA_ARGS__)

struct free_block {
	uint64_t pfn;
	unsigned order;
	unsigned zone;
	bool pcp;       /* on a per-cpu list, not in the buddy */
};

struct free_blocks {
	struct free_block *b;
	size_t n, max;
};

static int
free_blocks_add(struct free_blocks *fb, pfn_t pfn, unsigned order,
		unsigned zone, bool pcp)
{
	if (fb->n == fb->max) {
		size_t max = fb->max ? fb->max * 2 : 256;
		struct free_block *b = realloc(fb->b, max * sizeof(*b));

		if (!b)
			return -ENOMEM;
		fb->b = b;
		fb->max = max;
	}
	fb->b[fb->n++] = (struct free_block){ pfn, order, zone, pcp };
	return 0;
}

static int
cmp_block(const void *a, const void *b)
{
	const struct free_block *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/*
 * Rule "buddy": every list is well linked, and every block on it is free,
 * PageBuddy on its first page with its order in private, aligned to that
 * order, inside its zone, and in a pageblock of its list's migratetype
 * (the kernel warns in __del_page_from_free_list() when it is not).
 * @mt is the buddy list's type; @pindex the pcp list's index, or -1.
 */
static int
check_list(struct hvo_machine *m, enum zone_type z, unsigned order,
	   enum migratetype mt, int pindex, struct free_blocks *fb)
{
	bool pcp = pindex >= 0;
	const struct free_list *area = pcp ? &m->zones[z].pcp.lists[pindex] :
					     &m->zones[z].free_area[order].free_list[mt];
	uint64_t head = pcp ? pcp_list_head_va(m, z, (unsigned)pindex) :
			      free_list_head_va(m, z, order, mt);
	uint64_t node = area->next, prev = head, n = 0;
	const char *zn = m->zones[z].name;

	if (area->head != head)
		return FAIL(m, "buddy: zone %s order %u: the list keeps head 0x%" PRIx64 ", not its own 0x%" PRIx64,
			    zn, order, area->head, head);
	while (node != head) {
		pfn_t pfn = (node - m->page_layout.lru - m->vmemmap_base) /
			    m->cfg.struct_page_size;
		page_t page = pfn_to_page(m, pfn);
		uint64_t back, next, priv, flags;
		uint32_t type, ref;

		if (node != page_lru_va(m, page))
			return FAIL(m, "buddy: zone %s order %u: link 0x%" PRIx64 " is not the lru of a struct page",
				    zn, order, node);
		if (n > m->phys.total_pages)
			return FAIL(m, "buddy: zone %s order %u: the free list loops", zn, order);
		if (!pfn_valid(&m->phys, pfn))
			return FAIL(m, "buddy: zone %s order %u: pfn 0x%" PRIx64 " on the free list is not RAM",
				    zn, order, pfn);
		next = page_lru_next(m, page);
		back = page_lru_prev(m, page);
		type = page_type(m, page);
		priv = page_private(m, page);
		flags = page_flags(m, page);
		ref = page_ref_count(m, page);
		if (machine_oopsed(m)) {
			machine_oops_take(m, 0);
			return machine_err_wrap(m, -EUCLEAN,
						"buddy: zone %s order %u: struct page of pfn 0x%" PRIx64 " unreadable",
						zn, order, pfn);
		}
		if (back != prev)
			return FAIL(m, "buddy: zone %s order %u: pfn 0x%" PRIx64 ": lru.prev is 0x%" PRIx64 ", expected 0x%" PRIx64,
				    zn, order, pfn, back, prev);
		if (pcp) {
			if (type != PAGE_TYPE_NONE || ref != 0)
				return FAIL(m, "pcp: pfn 0x%" PRIx64 " on zone %s's order-%u pcp list is not a free page (page_type 0x%08x)",
					    pfn, zn, order, type);
		} else if (!page_type_is(type, PGTY_buddy)) {
			return FAIL(m, "buddy: pfn 0x%" PRIx64 " is on the order-%u free list of zone %s but not PageBuddy (page_type 0x%08x)",
				    pfn, order, zn, type);
		} else if (priv != order) {
			return FAIL(m, "buddy: pfn 0x%" PRIx64 " is on the order-%u list but its private says order %" PRIu64,
				    pfn, order, priv);
		} else if (free_list_mt(m, pfn) != mt) {
			/*
			 * From 6.10 a free block is on its pageblock's list;
			 * before, where the strays table says.
			 */
			return FAIL(m, "buddy: pfn 0x%" PRIx64 " is on zone %s's %s order-%u list but its pageblock is %s",
				    pfn, zn, migratetype_name(mt), order,
				    migratetype_name(get_pfnblock_migratetype(m, pfn)));
		}
		if (pfn & ((UINT64_C(1) << order) - 1))
			return FAIL(m, "buddy: free block at pfn 0x%" PRIx64 " is not aligned to its order %u",
				    pfn, order);
		if (flags_zonenum(flags) != (unsigned)z || pfn < m->zones[z].zone_start_pfn ||
		    pfn + (UINT64_C(1) << order) > zone_end_pfn(&m->zones[z]))
			return FAIL(m, "buddy: free block at pfn 0x%" PRIx64 " order %u is on zone %s's list but not inside that zone",
				    pfn, order, zn);
		if (free_blocks_add(fb, pfn, order, z, pcp))
			return FAIL(m, "check: out of host memory");
		prev = node;
		node = next;
		n++;
	}
	if (area->prev != prev)
		return FAIL(m, "buddy: zone %s order %u: the list head's prev does not name the last block",
			    zn, order);
	if (n != area->nr)
		return FAIL(m, "buddy: zone %s order %u: %" PRIu64 " blocks on the list, its count says %" PRIu64,
			    zn, order, n, area->nr);
	return 0;
}

/* The lists of one order, one per migratetype, and their nr_free. */
static int
check_free_area(struct hvo_machine *m, enum zone_type z, unsigned order,
		struct free_blocks *fb)
{
	const struct free_area *area = &m->zones[z].free_area[order];
	uint64_t n = 0;

	for (unsigned t = 0; t < MIGRATE_TYPES; t++) {
		int rc = check_list(m, z, order, (enum migratetype)t, -1, fb);

		if (rc)
			return rc;
		n += area->free_list[t].nr;
	}
	if (n != area->nr_free)
		return FAIL(m, "buddy: zone %s order %u: %" PRIu64 " blocks on the lists, nr_free says %" PRIu64,
			    m->zones[z].name, order, n, area->nr_free);
	return 0;
}

/* Rule "pcp": the per-cpu lists are well linked and hold what count says. */
static int
check_pcp(struct hvo_machine *m, enum zone_type z, struct free_blocks *fb)
{
	uint64_t pages = 0;
	size_t first = fb->n;
	int rc;

	for (unsigned i = 0; i < NR_PCP_LISTS; i++) {
		rc = check_list(m, z, pindex_to_order(m, i), MIGRATE_UNMOVABLE,
				(int)i, fb);
		if (rc)
			return rc;
	}
	for (size_t i = first; i < fb->n; i++)
		pages += UINT64_C(1) << fb->b[i].order;
	if (pages != m->zones[z].pcp.count)
		return FAIL(m, "pcp: zone %s: %" PRIu64 " pages on the pcp lists, count says %" PRIu64,
			    m->zones[z].name, pages, m->zones[z].pcp.count);
	return 0;
}

/* Rule "merge": blocks do not overlap, and no free buddies are left apart. */
static int
check_merged(struct hvo_machine *m, struct free_blocks *fb)
{
	if (fb->n == 0)
		return 0;
	qsort(fb->b, fb->n, sizeof(*fb->b), cmp_block);
	for (size_t i = 0; i + 1 < fb->n; i++)
		if (fb->b[i].pfn + (UINT64_C(1) << fb->b[i].order) > fb->b[i + 1].pfn)
			return FAIL(m, "buddy: free blocks at pfn 0x%" PRIx64 " (order %u) and 0x%" PRIx64 " overlap",
				    fb->b[i].pfn, fb->b[i].order, fb->b[i + 1].pfn);
	for (size_t i = 0; i < fb->n; i++) {
		const struct free_block *b = &fb->b[i];
		struct free_block key = { b->pfn ^ (UINT64_C(1) << b->order), 0, 0 };
		const struct free_block *buddy;

		if (b->order >= m->arch.max_page_order)
			continue;
		buddy = bsearch(&key, fb->b, fb->n, sizeof(*fb->b), cmp_block);
		if (b->pcp)
			continue;
		if (buddy && b->order >= m->arch.pageblock_order) {
			/* __free_one_page() keeps isolated blocks apart. */
			enum migratetype x = get_pfnblock_migratetype(m, b->pfn);
			enum migratetype y = get_pfnblock_migratetype(m, buddy->pfn);

			if (x != y && (x >= MIGRATE_PCPTYPES || y >= MIGRATE_PCPTYPES))
				continue;
		}
		if (buddy && buddy->order == b->order && buddy->zone == b->zone &&
		    !buddy->pcp)
			return FAIL(m, "buddy: pfn 0x%" PRIx64 " and its buddy 0x%" PRIx64 " are both free at order %u but were not merged",
				    b->pfn, buddy->pfn, b->order);
	}
	return 0;
}

/*
 * Whether the PO_BLOCK entries of page_owner from @pfn (the first of a
 * block) are all @e, in a fine map: a block of pages allocated one by one
 * (the vmemmap mapped page by page), read at once.
 */
static bool
po_block_all(const struct page_owner *po, uint64_t pfn, po_entry_t e)
{
	const uint64_t want = UINT64_C(0x0101010101010101) * e;
	uint64_t i = pfn - po->base_pfn, acc = 0;
	const po_entry_t *f;

	_Static_assert(sizeof(po_entry_t) == 1, "a byte per entry");
	if ((i & (PO_BLOCK - 1)) || i + PO_BLOCK > po->nr)
		return false;
	f = po->fine[i >> PO_BLOCK_SHIFT];
	if (!f)
		return false;
	/* Eight entries a word, every difference or'ed in. */
	for (unsigned k = 0; k < PO_BLOCK; k += 8) {
		uint64_t v;

		memcpy(&v, f + k, 8);
		acc |= v ^ want;
	}
	return !acc;
}

/*
 * Rule "accounting": walking RAM, every frame is in exactly one place: an
 * allocation (page_owner), a free block, or a deferred section. The
 * per-category counts and the zones' free counts agree with the walk.
 */
static int
check_accounting(struct hvo_machine *m, const struct free_blocks *fb)
{
	uint64_t seen[HVO_PAGES__COUNT] = { 0 }, deferred = 0, zfree = 0, zdef = 0;
	uint64_t zpcp = 0, inbuddy = 0;
	const struct phys *p = &m->phys;
	size_t k = 0;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = pfn + (p->range[i].size >> p->page_shift);

		while (pfn < end) {
			po_entry_t e = page_owner_entry(&m->owner, pfn);
			struct zone *z;

			while (k < fb->n && fb->b[k].pfn < pfn)
				k++;
			/* A block of order-0 allocations of one category,
			 * no free block among them: counted at once. */
			if (po_is_head(e) && !po_order(e) &&
			    (unsigned)po_cat(e) < HVO_PAGES__COUNT &&
			    end - pfn >= PO_BLOCK &&
			    (k == fb->n || fb->b[k].pfn >= pfn + PO_BLOCK) &&
			    po_block_all(&m->owner, pfn, e)) {
				seen[po_cat(e)] += PO_BLOCK;
				pfn += PO_BLOCK;
				continue;
			}
			z = &m->zones[pfn_zone(m, pfn)];
			if (po_is_head(e)) {
				if ((unsigned)po_cat(e) >= HVO_PAGES__COUNT)
					return FAIL(m, "accounting: pfn 0x%" PRIx64 " has no valid category", pfn);
				if (k < fb->n && fb->b[k].pfn < pfn + (UINT64_C(1) << po_order(e)))
					return FAIL(m, "accounting: free block at pfn 0x%" PRIx64 " lies inside the %s allocation at pfn 0x%" PRIx64,
						    fb->b[k].pfn, hvo_page_category_name(po_cat(e)), pfn);
				seen[po_cat(e)] += UINT64_C(1) << po_order(e);
				pfn += UINT64_C(1) << po_order(e);
			} else if (k < fb->n && fb->b[k].pfn == pfn) {
				seen[HVO_PAGES_FREE] += UINT64_C(1) << fb->b[k].order;
				if (!fb->b[k].pcp)
					inbuddy += UINT64_C(1) << fb->b[k].order;
				pfn += UINT64_C(1) << fb->b[k].order;
			} else if (pfn >= z->first_deferred_pfn) {
				/*
				 * Never touched: the run up to the next
				 * allocation, free block or zone end is
				 * deferred as a whole, counted at once.
				 */
				uint64_t run = end;

				if (zone_end_pfn(z) < run)
					run = zone_end_pfn(z);
				if (k < fb->n && fb->b[k].pfn < run)
					run = fb->b[k].pfn;
				if (run <= pfn)
					run = pfn + 1;
				run = page_owner_next_head(&m->owner, pfn + 1, run);
				seen[HVO_PAGES_FREE] += run - pfn;
				deferred += run - pfn;
				pfn = run;
			} else {
				return FAIL(m, "accounting: pfn 0x%" PRIx64 " is neither allocated, free nor deferred (a leaked frame)",
					    pfn);
			}
		}
		if (pfn != end)
			return FAIL(m, "accounting: an allocation runs past the end of RAM range %u", i);
	}
	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++)
		if (seen[c] != machine_pages(m, c))
			return FAIL(m, "accounting: %" PRIu64 " frames are %s, but the count says %" PRIu64,
				    seen[c], hvo_page_category_name(c), machine_pages(m, c));
	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		zfree += m->zones[z].free_pages;
		zdef += m->zones[z].deferred_pages;
		zpcp += m->zones[z].pcp.count;
	}
	if (zdef != deferred)
		return FAIL(m, "accounting: %" PRIu64 " deferred pages found, the zones say %" PRIu64,
			    deferred, zdef);
	if (zfree != inbuddy)
		return FAIL(m, "accounting: the zones count %" PRIu64 " free pages, the free lists hold %" PRIu64,
			    zfree, inbuddy);
	if (zfree + zpcp + zdef != seen[HVO_PAGES_FREE])
		return FAIL(m, "accounting: buddy %" PRIu64 " + pcp %" PRIu64 " + deferred %" PRIu64 " pages, but %" PRIu64 " free frames",
			    zfree, zpcp, zdef, seen[HVO_PAGES_FREE]);
	return 0;
}

/* The category of the frame holding pa (free if no allocation holds it). */
static enum hvo_page_category
frame_category(const struct hvo_machine *m, uint64_t pa)
{
	uint64_t head;
	unsigned order;
	enum hvo_page_category c;

	if (!page_owner_lookup(&m->owner, pa >> m->arch.page_shift, &head,
			       &order, &c))
		return HVO_PAGES_FREE;
	return c;
}

struct table_walk {
	uint64_t tables;
};

/*
 * The run of leaves of a table described as words
 * (phys_words_store()), checked by its description: its first, second and
 * last entries are leaves of one prot whose pa steps evenly, and all the
 * pa they map is one range of RAM. Entries are the pa's bits placed with
 * the prot's (pt_store_run()), so the rest are as well formed. Returns 1
 * when the run is fine, 0 when it must be checked entry by entry.
 */
static int
check_words_run(struct hvo_machine *m, unsigned depth,
		const struct phys_words *w)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t n = w->hi - w->lo, lo, span;
	struct pt_decoded d0, d1, dl;

	if (n < 3 || !a->level[depth].leaf_ok)
		return 0;
	d0 = pt_decode(m, depth, phys_words_get(w, w->lo));
	d1 = pt_decode(m, depth, phys_words_get(w, w->lo + 1));
	dl = pt_decode(m, depth, phys_words_get(w, w->hi - 1));
	if (d0.kind != PTK_LEAF || d1.kind != PTK_LEAF || dl.kind != PTK_LEAF ||
	    d0.prot != d1.prot || d0.prot != dl.prot ||
	    dl.pa != d0.pa + (n - 1) * (d1.pa - d0.pa) ||
	    (w->x >= w->lo && w->x < w->hi))
		return 0;
	lo = dl.pa < d0.pa ? dl.pa : d0.pa;
	span = (dl.pa < d0.pa ? d0.pa - dl.pa : dl.pa - d0.pa) +
	       arch_level_size(a, depth);
	if (span != n * arch_level_size(a, depth) ||
	    !phys_is_ram(&m->phys, lo, span))
		return 0;
	return 1;
}

/* Rule "pagetable": tables are page-table frames, reached once, well formed. */
static int
check_table(struct hvo_machine *m, struct table_walk *tw, unsigned depth,
	    uint64_t table_pa, uint64_t va_base)
{
	const struct hvo_arch *a = &m->arch;
	/* A table described as words is read from its description: checking
	 * it gives it no host page. */
	const struct phys_words *w = phys_words_of(&m->phys,
						   table_pa >> a->page_shift);
	const uint64_t *e = w ? NULL : phys_to_host_ro(&m->phys, table_pa, NULL);
	bool run_ok = w && check_words_run(m, depth, w);
	if (!phys_is_ram(&m->phys, table_pa, a->page_size))
		return FAIL(m, "pagetable: %s table at pa 0x%" PRIx64 " is not RAM",
			    a->level[depth].name, table_pa);
	if (frame_category(m, table_pa) != HVO_PAGES_PAGETABLE)
		return FAIL(m, "pagetable: %s table at pa 0x%" PRIx64 " is in a %s frame",
			    a->level[depth].name, table_pa,
			    hvo_page_category_name(frame_category(m, table_pa)));
	tw->tables++;
	for (unsigned i = 0; i < a->level[depth].entries; i++) {
		uint64_t va = va_base + ((uint64_t)i << a->level[depth].shift);
		uint64_t ei;
		struct pt_decoded d;

		if (run_ok && i == w->lo) {
			i = w->hi - 1; /* the run, checked whole */
			continue;
		}
		if (depth == 0) {
			va = arch_kernel_va(a, va);
			if (!arch_va_is_kernel(a, va))
				continue; /* the user half: not ours */
		}
		ei = w ? phys_words_get(w, i) : e[i];
		d = pt_decode(m, depth, ei);
		switch (d.kind) {
		case PTK_NONE:
			break;
		case PTK_BAD:
			return FAIL(m, "pagetable: malformed %s entry 0x%016" PRIx64 " for va 0x%" PRIx64 ": %s",
				    a->level[depth].name, ei, va, d.why);
		case PTK_TABLE: {
			int rc;

			if (depth + 1 >= a->levels)
				return FAIL(m, "pagetable: table entry at the last level for va 0x%" PRIx64,
					    va);
			rc = check_table(m, tw, depth + 1, d.pa, va);
			if (rc)
				return rc;
			break;
		}
		case PTK_LEAF:
			if (!phys_is_ram(&m->phys, d.pa, arch_level_size(a, depth)))
				return FAIL(m, "pagetable: %s leaf for va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", not RAM",
					    a->level[depth].name, va, d.pa);
			break;
		}
	}
	return 0;
}

/*
 * The vmemmap frames of [va, e) one leaf at a time: a leaf whose frames
 * all lie in one vmemmap allocation is checked at once, so struct pages
 * mapped by 2M (or larger) leaves and never remapped cost one walk per
 * leaf, not one per page. Reports the first page that breaks the rule, as
 * a walk page by page would.
 */
/* The vmemmap allocation the last frame checked lay in: [lo, hi). */
struct vmemmap_alloc {
	uint64_t lo, hi;
};

/*
 * Whether the @n frames from @pfn all lie in vmemmap allocations, read
 * from page_owner a block of entries at a time where every frame of the
 * block is a page of its own (the vmemmap mapped page by page).
 */
static bool
vmemmap_frames_ok(const struct hvo_machine *m, uint64_t pfn, uint64_t n)
{
	const struct page_owner *po = &m->owner;
	const po_entry_t page = (po_entry_t)HVO_PAGES_VMEMMAP; /* order 0 */
	uint64_t end = pfn + n;

	while (pfn < end) {
		enum hvo_page_category c;
		uint64_t head;
		unsigned order;
		po_entry_t e;

		if (end - pfn >= PO_BLOCK && po_block_all(po, pfn, page)) {
			pfn += PO_BLOCK;
			continue;
		}
		e = page_owner_entry(po, pfn);
		if (po_is_head(e)) {
			if (po_cat(e) != HVO_PAGES_VMEMMAP)
				return false;
			pfn += UINT64_C(1) << po_order(e);
			continue;
		}
		/* Inside an allocation: the one that covers it. */
		if (!page_owner_lookup(po, pfn, &head, &order, &c) ||
		    c != HVO_PAGES_VMEMMAP)
			return false;
		pfn = head + (UINT64_C(1) << order);
	}
	return true;
}

/*
 * The leaves from @va's on in the run of a table described as words
 * (phys_words_store()), when the run checks whole and its frames are all
 * vmemmap frames: the address past them (at most @e), so the caller steps
 * over them; 0 to go leaf by leaf.
 */
static uint64_t
check_vmemmap_run(struct hvo_machine *m, const struct pt_walk *w,
		  uint64_t va, uint64_t e)
{
	const struct hvo_arch *a = &m->arch;
	const struct pt_level_rec *r = &w->lvl[w->leaf];
	uint64_t size = arch_level_size(a, (unsigned)w->leaf);
	const struct phys_words *pw;
	uint64_t j = r->index, n, pa0, pa1, lo;

	pw = phys_words_of(&m->phys, r->table_pa >> a->page_shift);
	if (!pw || j < pw->lo || j >= pw->hi ||
	    !check_words_run(m, (unsigned)w->leaf, pw))
		return 0;
	n = pw->hi - j;
	if (n > (e - round_down64(va, size) + size - 1) / size)
		n = (e - round_down64(va, size) + size - 1) / size;
	pa0 = pt_decode(m, (unsigned)w->leaf, phys_words_get(pw, j)).pa;
	pa1 = pt_decode(m, (unsigned)w->leaf, phys_words_get(pw, j + n - 1)).pa;
	lo = pa0 < pa1 ? pa0 : pa1;
	if (!vmemmap_frames_ok(m, lo >> a->page_shift, n * (size >> a->page_shift)))
		return 0;
	va = round_down64(va, size) + n * size;
	return va < e ? va : e;
}

static int
check_vmemmap_span(struct hvo_machine *m, uint64_t va, uint64_t e,
		   uint64_t pfn, struct vmemmap_alloc *last)
{
	const struct hvo_arch *a = &m->arch;

	while (va < e) {
		struct pt_walk w;
		uint64_t size, stop, pa, head, n;
		unsigned order;
		enum hvo_page_category c;

		if (pt_walk_leaf(m, va, &w, false) || w.leaf < 0)
			return FAIL(m, "vmemmap: struct pages at va 0x%" PRIx64 " (section of pfn 0x%" PRIx64 ") are not mapped",
				    va, pfn);
		/* A described run of leaves, its frames checked at once. */
		n = check_vmemmap_run(m, &w, va, e);
		if (n) {
			va = n;
			continue;
		}
		size = arch_level_size(a, (unsigned)w.leaf);
		stop = round_down64(va, size) + size;
		if (stop > e || stop < va)
			stop = e;
		pa = w.lvl[w.leaf].d.pa + (va & (size - 1) & ~(a->page_size - 1));
		while (va < stop) {
			if (pa < last->lo || pa >= last->hi) {
				if (!page_owner_lookup(&m->owner, pa >> a->page_shift,
						       &head, &order, &c) ||
				    c != HVO_PAGES_VMEMMAP)
					return FAIL(m, "vmemmap: va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", which is not a vmemmap frame",
						    va, pa);
				last->lo = head << a->page_shift;
				last->hi = (head + (UINT64_C(1) << order)) << a->page_shift;
			}
			/* Every frame of the allocation is vmemmap. */
			va += last->hi - pa;
			pa = last->hi;
		}
		va = stop;
	}
	return 0;
}

/* Rule "vmemmap": the struct pages of every section with RAM are mapped. */
static int
check_vmemmap(struct hvo_machine *m)
{
	const struct phys *p = &m->phys;
	struct vmemmap_alloc last = { 0, 0 };

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = pfn + (p->range[i].size >> p->page_shift);

		uint64_t first = round_down64(pfn, pages_per_section(m));
		uint64_t s, e, s1, e1;

		/*
		 * The range's sections at once where their spans meet (a
		 * whole number of pages each): the same pages. A break is
		 * then looked for section by section, to name its section.
		 */
		section_memmap_span(m, first, &s, &e);
		section_memmap_span(m, round_down64(end - 1, pages_per_section(m)),
				    &s1, &e1);
		if (!((pages_per_section(m) * m->cfg.struct_page_size) &
		      (m->arch.page_size - 1)) &&
		    check_vmemmap_span(m, s, e1, first, &last) == 0)
			continue;
		for (pfn = first; pfn < end; pfn += pages_per_section(m)) {
			int rc;

			section_memmap_span(m, pfn, &s, &e);
			rc = check_vmemmap_span(m, s, e, pfn, &last);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int
machine_check(struct hvo_machine *m);

/*
 * The checker reads struct pages through the MMU like everyone else; put
 * the counters and the TLB back afterwards, so that checking a machine does
 * not change what a benchmark or a report sees.
 */
HVO_EXPORT int
hvo_machine_check(struct hvo_machine *m)
{
	uint64_t saved[CNT__COUNT];
	struct tlb_entry *tlb;
	size_t tlb_bytes;
	int rc;

	if (!m)
		return -EINVAL;
	tlb_bytes = (m->tlb.mask + 1) * sizeof(*m->tlb.e);
	tlb = malloc(tlb_bytes);
	if (!tlb)
		return machine_err(m, -ENOMEM, "check: out of host memory");
	memcpy(saved, m->counter, sizeof(saved));
	memcpy(tlb, m->tlb.e, tlb_bytes);
	uint64_t large_lo = m->tlb.large_lo, large_hi = m->tlb.large_hi;
	bool hostless = m->tlb.hostless;

	/*
	 * Stale entries first, while the TLB is as the machine left it; then
	 * the checker reads through a fresh TLB of its own, so a stale entry
	 * can neither be evicted unseen nor mislead the other rules.
	 */
	bool force_slow = m->tlb.force_slow;

	rc = tlb_check_stale(m);
	if (!rc) {
		tlb_invalidate_all(&m->tlb);
		tlb_set_force_slow(&m->tlb, false);
		m->tlb.saved = tlb;
		/*
		 * Described struct pages are read through scratch pages,
		 * so checking costs no host memory; without them (no host
		 * memory for 32 pages) they are filled as any read fills
		 * them.
		 */
		(void)tlb_scratch_begin(m);
		rc = machine_check(m);
		tlb_scratch_end(m);
		m->tlb.saved = NULL;
		tlb_set_force_slow(&m->tlb, force_slow);
	}
	memcpy(m->counter, saved, sizeof(saved));
	memcpy(m->tlb.e, tlb, tlb_bytes);
	tlb_recount(&m->tlb);
	m->tlb.large_lo = large_lo;
	m->tlb.large_hi = large_hi;
	m->tlb.hostless = hostless;
	free(tlb);
	m->last_check = rc ? -1 : 1;
	return rc;
}

static int
machine_check(struct hvo_machine *m)
{
	struct table_walk tw = { 0 };
	struct free_blocks fb = { 0 };
	int rc = 0;

	for (unsigned z = 0; z < MAX_NR_ZONES && !rc; z++) {
		for (unsigned o = 0; o <= m->arch.max_page_order && !rc; o++)
			rc = check_free_area(m, (enum zone_type)z, o, &fb);
		if (!rc)
			rc = check_pcp(m, (enum zone_type)z, &fb);
	}
	if (!rc)
		rc = check_merged(m, &fb);
	if (!rc)
		rc = check_accounting(m, &fb);
	free(fb.b);
	if (!rc)
		rc = check_table(m, &tw, 0, m->pgd_pa, 0);
	if (!rc && tw.tables != machine_pages(m, HVO_PAGES_PAGETABLE))
		rc = FAIL(m, "pagetable: %" PRIu64 " tables reachable, %" PRIu64 " frames counted as page tables",
			  tw.tables, machine_pages(m, HVO_PAGES_PAGETABLE));
	if (!rc)
		rc = check_vmemmap(m);
	if (!rc)
		rc = hugetlb_check(m);
	/* A struct page no rule could read is the check's failure too. */
	rc = machine_oops_take(m, rc);
	if (!rc)
		m->error[0] = '\0';
	return rc;
}
