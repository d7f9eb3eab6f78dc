/* SPDX-License-Identifier: MIT */
/*
 * The checker's machine rules (lib/boot/check.c): buddy, pcp, merge,
 * accounting, pagetable and vmemmap. For each failure a rule reports,
 * break the state it guards through the internal structures, expect
 * hvo_machine_check() to name the rule and what broke, put the state back
 * and expect the check to pass again. The folio rules are
 * test-folio-check.c's; a stale TLB entry is test-mmu.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "mem/buddy.h"
#include "mem/pageblock.h"
#include "mm/page.h"
#include "mm/sparse.h"
#include "mmu/mmu.h"
#include "phys/phys.h"

#define MIB (UINT64_C(1) << 20)

/*
 * No pcp lists and no deferred struct page init: every free frame is on a
 * buddy list, so a block the tests put there is the only odd one.
 */
#define SPEC "x86_64:mem=256M,pcp=off,deferred=off"

/* Struct pages and page_owner entries a test changes, at most. */
#define MAX_SAVED 8

/* What a test breaks, to put back before the check must pass again. */
struct snapshot {
	struct zone zones[MAX_NR_ZONES];
	uint64_t owner_count[HVO_PAGES__COUNT];
	unsigned n;
	struct {
		pfn_t pfn;
		uint64_t *bytes;
		po_entry_t po;
	} page[MAX_SAVED];
};

static void
snap_take(struct hvo_machine *m, struct snapshot *s)
{
	memcpy(s->zones, m->zones, sizeof(s->zones));
	memcpy(s->owner_count, m->owner.count, sizeof(s->owner_count));
	s->n = 0;
}

/* Save @pfn's struct page and page_owner entry too. */
static void
snap_page(struct hvo_machine *m, struct snapshot *s, pfn_t pfn)
{
	assert_true(s->n < MAX_SAVED);
	s->page[s->n].pfn = pfn;
	s->page[s->n].bytes = tu_read_struct_pages(m, pfn,
						   m->cfg.struct_page_size);
	s->page[s->n].po = page_owner_entry(&m->owner, pfn);
	s->n++;
}

/* Put everything back, the earliest saved bytes last, and check. */
static void
snap_restore(struct hvo_machine *m, struct snapshot *s)
{
	while (s->n) {
		unsigned i = --s->n;
		uint64_t va;

		assert_int_equal(hvo_pfn_to_page(m, s->page[i].pfn, &va), 0);
		for (unsigned k = 0; k < m->cfg.struct_page_size / 8; k++)
			assert_int_equal(hvo_kwrite64(m, va + k * 8,
						      s->page[i].bytes[k]), 0);
		free(s->page[i].bytes);
		po_set(&m->owner, s->page[i].pfn - m->owner.base_pfn, s->page[i].po);
	}
	memcpy(m->zones, s->zones, sizeof(s->zones));
	memcpy(m->owner.count, s->owner_count, sizeof(s->owner_count));
	tu_assert_check(m);
}

/*
 * The check must fail with -EUCLEAN, its reason starting with "@rule:"
 * and naming @what.
 */
static void
expect_broken(struct hvo_machine *m, const char *rule, const char *what)
{
	int rc = hvo_machine_check(m);
	const char *err = hvo_machine_error(m);
	size_t n = strlen(rule);

	if (rc != -EUCLEAN || strncmp(err, rule, n) || err[n] != ':' ||
	    !strstr(err, what))
		fail_msg("expected rule %s to report \"%s\", got %d: %s",
			 rule, what, rc, err);
}

static pfn_t
lru_pfn(const struct hvo_machine *m, uint64_t lru)
{
	return page_to_pfn(m, lru_to_page(m, lru));
}

/* The first block on the buddy lists of @min_order or above. */
static void
first_free_block(struct hvo_machine *m, unsigned min_order, enum zone_type *z,
		 unsigned *order, pfn_t *pfn)
{
	/* Set even when fail_msg() ends the test: the compiler cannot tell. */
	*z = ZONE_DMA;
	*order = 0;
	*pfn = 0;
	for (unsigned zi = 0; zi < MAX_NR_ZONES; zi++) {
		for (unsigned o = min_order; o <= m->arch.max_page_order; o++) {
			const struct free_area *area = &m->zones[zi].free_area[o];

			for (unsigned t = 0; t < MIGRATE_TYPES; t++) {
				if (!area->free_list[t].nr)
					continue;
				*z = (enum zone_type)zi;
				*order = o;
				*pfn = lru_pfn(m, area->free_list[t].next);
				return;
			}
		}
	}
	fail_msg("no free block of order %u or above", min_order);
}

/* The buddy list a free block at @pfn belongs on: its pageblock's type. */
static struct free_list *
block_list(struct hvo_machine *m, enum zone_type z, unsigned order, pfn_t pfn,
	   uint64_t *head)
{
	enum migratetype mt = get_pfnblock_migratetype(m, pfn);

	*head = free_list_head_va(m, z, order, mt);
	return &m->zones[z].free_area[order].free_list[mt];
}

/*
 * Put @pfn first on zone @z's order-@order free list as a PageBuddy block,
 * behind the allocator's back, as list_add() and set_buddy_order() would.
 * The struct pages it changes are saved in @s.
 */
static void
fake_free_block(struct hvo_machine *m, struct snapshot *s, enum zone_type z,
		unsigned order, pfn_t pfn)
{
	uint64_t head;
	struct free_list *area = block_list(m, z, order, pfn, &head);
	page_t page = pfn_to_page(m, pfn);
	uint64_t lru = page_lru_va(m, page);

	snap_page(m, s, pfn);
	if (area->next != head)
		snap_page(m, s, lru_pfn(m, area->next));
	set_page_lru_next(m, page, area->next);
	set_page_lru_prev(m, page, head);
	if (area->next == head)
		area->prev = lru;
	else
		list_store(m, area->next, true, lru);
	area->next = lru;
	area->nr++;
	m->zones[z].free_area[order].nr_free++;
	assert_int_equal(page_set_type(m, page, PGTY_buddy), 0);
	set_page_private(m, page, order);
	assert_false(machine_oopsed(m));
}

/* Move the order-0 allocation at @pfn to category @c in page_owner. */
static void
relabel(struct hvo_machine *m, pfn_t pfn, enum hvo_page_category c)
{
	unsigned was;

	assert_int_equal(page_owner_free(&m->owner, pfn, 0, &was), 0);
	page_owner_alloc(&m->owner, pfn, 0, c);
}

/*
 * Rule "buddy", the list itself: every link is the lru of a struct page of
 * RAM, prev links mirror next links, and the head's prev and nr_free agree
 * with the walk.
 */
static void
test_buddy_list(void **state)
{
	struct hvo_machine *m = tu_machine(SPEC);
	struct free_list *area;
	struct snapshot s;
	enum zone_type z;
	unsigned o;
	pfn_t pfn, beyond;
	page_t page;
	uint64_t head, nr;
	const char *zn;
	char what[256];

	(void)state;
	tu_assert_check(m);
	first_free_block(m, 0, &z, &o, &pfn);
	area = block_list(m, z, o, pfn, &head);
	page = pfn_to_page(m, pfn);
	zn = m->zones[z].name;
	nr = area->nr;

	/* A link into the middle of a struct page. */
	snap_take(m, &s);
	area->next += 8;
	snprintf(what, sizeof(what),
		 "zone %s order %u: link 0x%" PRIx64 " is not the lru of a struct page",
		 zn, o, area->next);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* The lru of the struct page of a frame past the end of RAM. */
	beyond = m->phys.hi >> m->arch.page_shift;
	snap_take(m, &s);
	area->next = page_lru_va(m, pfn_to_page(m, beyond));
	snprintf(what, sizeof(what),
		 "zone %s order %u: pfn 0x%" PRIx64 " on the free list is not RAM",
		 zn, o, beyond);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* The first block's lru.prev does not name the list head. */
	snap_take(m, &s);
	snap_page(m, &s, pfn);
	set_page_lru_prev(m, page, page_lru_va(m, page));
	snprintf(what, sizeof(what),
		 "zone %s order %u: pfn 0x%" PRIx64 ": lru.prev is 0x%" PRIx64 ", expected 0x%" PRIx64,
		 zn, o, pfn, page_lru_va(m, page), head);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* The head's prev as if the list were empty. */
	snap_take(m, &s);
	area->prev = head;
	snprintf(what, sizeof(what),
		 "zone %s order %u: the list head's prev does not name the last block",
		 zn, o);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* The list's count one too many. */
	snap_take(m, &s);
	area->nr++;
	snprintf(what, sizeof(what),
		 "zone %s order %u: %" PRIu64 " blocks on the list, its count says %" PRIu64,
		 zn, o, nr, nr + 1);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* nr_free one too many over the order's lists. */
	snap_take(m, &s);
	m->zones[z].free_area[o].nr_free++;
	snprintf(what, sizeof(what),
		 "zone %s order %u: %" PRIu64 " blocks on the lists, nr_free says %" PRIu64,
		 zn, o, m->zones[z].free_area[o].nr_free - 1,
		 m->zones[z].free_area[o].nr_free);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	hvo_machine_free(m);
}

/*
 * Rule "buddy", each block: PageBuddy with its order in private, aligned
 * to that order, and inside the zone whose list it is on.
 */
static void
test_buddy_block(void **state)
{
	struct hvo_machine *m = tu_machine(SPEC);
	struct snapshot s;
	enum zone_type z, za;
	unsigned o;
	pfn_t pfn, a;
	page_t page;
	const char *zn;
	char what[256];

	(void)state;
	first_free_block(m, 1, &z, &o, &pfn);
	page = pfn_to_page(m, pfn);
	zn = m->zones[z].name;

	snap_take(m, &s);
	snap_page(m, &s, pfn);
	page_clear_type(m, page);
	snprintf(what, sizeof(what),
		 "pfn 0x%" PRIx64 " is on the order-%u free list of zone %s but not PageBuddy",
		 pfn, o, zn);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	snap_take(m, &s);
	snap_page(m, &s, pfn);
	set_page_private(m, page, o - 1);
	snprintf(what, sizeof(what),
		 "pfn 0x%" PRIx64 " is on the order-%u list but its private says order %u",
		 pfn, o, o - 1);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* page->flags names another zone. */
	snap_take(m, &s);
	snap_page(m, &s, pfn);
	set_page_flags(m, page,
		       page_flags(m, page) ^ (UINT64_C(1) << ZONES_PGSHIFT));
	snprintf(what, sizeof(what),
		 "free block at pfn 0x%" PRIx64 " order %u is on zone %s's list but not inside that zone",
		 pfn, o, zn);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* An order-1 block at an odd pfn, inside a fresh allocation. */
	assert_int_equal(hvo_alloc_pages(m, 4, HVO_GFP_KERNEL, &a), 0);
	za = pfn_zone(m, a);
	snap_take(m, &s);
	fake_free_block(m, &s, za, 1, a + 1);
	snprintf(what, sizeof(what),
		 "free block at pfn 0x%" PRIx64 " is not aligned to its order 1",
		 a + 1);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	assert_int_equal(hvo_free_pages(m, a, 4), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Rule "merge": free blocks never overlap, and free buddies are merged. */
static void
test_merge(void **state)
{
	struct hvo_machine *m = tu_machine(SPEC);
	struct snapshot s;
	enum zone_type z;
	pfn_t a;
	char what[256];

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 4, HVO_GFP_KERNEL, &a), 0);
	z = pfn_zone(m, a);

	/* [a, a + 2) and [a + 1, a + 2): each well formed on its own. */
	snap_take(m, &s);
	fake_free_block(m, &s, z, 1, a);
	fake_free_block(m, &s, z, 0, a + 1);
	snprintf(what, sizeof(what),
		 "free blocks at pfn 0x%" PRIx64 " (order 1) and 0x%" PRIx64 " overlap",
		 a, a + 1);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	/* a and a + 1 free at order 0: __free_one_page() would merge them. */
	snap_take(m, &s);
	fake_free_block(m, &s, z, 0, a);
	fake_free_block(m, &s, z, 0, a + 1);
	snprintf(what, sizeof(what),
		 "pfn 0x%" PRIx64 " and its buddy 0x%" PRIx64 " are both free at order 0 but were not merged",
		 a, a + 1);
	expect_broken(m, "buddy", what);
	snap_restore(m, &s);

	assert_int_equal(hvo_free_pages(m, a, 4), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Rule "pcp": pages on the per-cpu lists are free, untyped pages with no
 * reference, and the lists hold what pcp.count says.
 */
static void
test_pcp(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,pcp=on,deferred=off");
	struct per_cpu_pages *pcp;
	struct snapshot s;
	enum zone_type z;
	pfn_t a, pfn;
	page_t page;
	uint64_t count;
	unsigned o = 0;
	char what[256];

	(void)state;
	/* An order-0 page freed with pcp on parks on its zone's pcp list. */
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &a), 0);
	assert_int_equal(hvo_free_pages(m, a, 0), 0);
	z = pfn_zone(m, a);
	pcp = &m->zones[z].pcp;
	/* order_to_pindex(MIGRATE_UNMOVABLE, 0): list 0. */
	assert_true(pcp->lists[0].nr > 0);
	pfn = lru_pfn(m, pcp->lists[0].next);
	page = pfn_to_page(m, pfn);
	count = pcp->count;
	tu_assert_check(m);

	snap_take(m, &s);
	snap_page(m, &s, pfn);
	set_page_count(m, page, 1);
	snprintf(what, sizeof(what),
		 "pfn 0x%" PRIx64 " on zone %s's order-%u pcp list is not a free page",
		 pfn, m->zones[z].name, o);
	expect_broken(m, "pcp", what);
	snap_restore(m, &s);

	snap_take(m, &s);
	pcp->count++;
	snprintf(what, sizeof(what),
		 "zone %s: %" PRIu64 " pages on the pcp lists, count says %" PRIu64,
		 m->zones[z].name, count, count + 1);
	expect_broken(m, "pcp", what);
	snap_restore(m, &s);

	hvo_machine_free(m);
}

/*
 * Rule "accounting": walking RAM, each frame is allocated, free or
 * deferred, exactly once, and the counts agree with the walk.
 */
static void
test_accounting(void **state)
{
	struct hvo_machine *m = tu_machine(SPEC);
	const struct phys *p = &m->phys;
	const struct hvo_mem_range *last = &p->range[p->nr_ranges - 1];
	pfn_t a, end = (last->base + last->size) >> m->arch.page_shift;
	uint64_t head, zfree = 0, reserved;
	enum hvo_page_category c;
	struct snapshot s;
	enum zone_type z;
	unsigned order;
	char what[256];

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 4, HVO_GFP_KERNEL, &a), 0);
	z = pfn_zone(m, a);

	/* A page_owner entry whose category is none of them. */
	snap_take(m, &s);
	snap_page(m, &s, a);
	po_set(&m->owner, a - m->owner.base_pfn,
	       (po_entry_t)((4u << PO_ORDER_SHIFT) | PO_CAT_MASK));
	snprintf(what, sizeof(what), "pfn 0x%" PRIx64 " has no valid category", a);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	/* A well-formed free block inside the allocation. */
	snap_take(m, &s);
	fake_free_block(m, &s, z, 0, a + 1);
	snprintf(what, sizeof(what),
		 "free block at pfn 0x%" PRIx64 " lies inside the allocated allocation at pfn 0x%" PRIx64,
		 a + 1, a);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	/* The allocation forgotten by page_owner: 16 leaked frames. */
	snap_take(m, &s);
	snap_page(m, &s, a);
	po_set(&m->owner, a - m->owner.base_pfn, 0);
	snprintf(what, sizeof(what),
		 "pfn 0x%" PRIx64 " is neither allocated, free nor deferred (a leaked frame)",
		 a);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	/*
	 * Boot allocates memblock top-down, so the last frame of RAM is
	 * held; twice its allocation's order runs past the range.
	 */
	assert_true(page_owner_lookup(&m->owner, end - 1, &head, &order, &c));
	assert_int_equal(head + (UINT64_C(1) << order), end);
	snap_take(m, &s);
	snap_page(m, &s, head);
	po_set(&m->owner, head - m->owner.base_pfn,
	       (po_entry_t)(((order + 1) << PO_ORDER_SHIFT) | c));
	snprintf(what, sizeof(what),
		 "an allocation runs past the end of RAM range %u",
		 p->nr_ranges - 1);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	/* A frame counted in the wrong category: the sum still agrees. */
	reserved = m->owner.count[HVO_PAGES_RESERVED];
	snap_take(m, &s);
	m->owner.count[HVO_PAGES_RESERVED]--;
	m->owner.count[HVO_PAGES_ALLOCATED]++;
	snprintf(what, sizeof(what),
		 "%" PRIu64 " frames are reserved, but the count says %" PRIu64,
		 reserved, reserved - 1);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	/* Deferred pages a zone counts, with deferred init off. */
	snap_take(m, &s);
	m->zones[z].deferred_pages = 1;
	expect_broken(m, "accounting",
		      "0 deferred pages found, the zones say 1");
	snap_restore(m, &s);

	for (unsigned i = 0; i < MAX_NR_ZONES; i++)
		zfree += m->zones[i].free_pages;
	snap_take(m, &s);
	m->zones[z].free_pages++;
	snprintf(what, sizeof(what),
		 "the zones count %" PRIu64 " free pages, the free lists hold %" PRIu64,
		 zfree + 1, zfree);
	expect_broken(m, "accounting", what);
	snap_restore(m, &s);

	assert_int_equal(hvo_free_pages(m, a, 4), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Write the entry at @ep of @depth (which maps @va) and flush, as a kernel
 * edit would. */
static void
set_entry(struct hvo_machine *m, unsigned depth, uint64_t va, uint64_t ep,
	  uint64_t e)
{
	pt_set(m, depth, va, ep, e);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
}

/* A load at @va faults with -EFAULT, counted in @counter, saying @what. */
static void
expect_fault(struct hvo_machine *m, uint64_t va, const char *counter,
	     const char *what)
{
	uint64_t before = tu_counter(m, counter), v = 1;

	assert_int_equal(hvo_kread64(m, va, &v), -EFAULT);
	assert_int_equal(v, 0);
	assert_int_equal(tu_counter(m, counter), before + 1);
	if (!strstr(hvo_machine_error(m), what))
		fail_msg("expected a fault saying \"%s\", got: %s", what,
			 hvo_machine_error(m));
}

/*
 * Rule "pagetable": tables are page-table frames of RAM, entries are well
 * formed, leaves map RAM, and every page-table frame is reachable. The
 * loads through each broken entry fault as the walk finds it.
 */
static void
test_pagetable(void **state)
{
	/* RAM with a hole at 128M: a physical address that is not RAM. */
	struct hvo_machine *m =
		tu_machine("x86_64:mem=128M@0+128M@0x10000000,pcp=off,deferred=off");
	const struct hvo_arch *ar = &m->arch;
	unsigned pmd = pmd_depth(m), pte = pte_depth(m);
	const char *pmd_name = ar->level[pmd].name, *pte_name = ar->level[pte].name;
	uint64_t hole = 128 * MIB, va, va_2m, table, pmd_ep, pmd_e, pte_ep, pte_e;
	uint64_t tables, bad;
	struct snapshot s;
	struct hvo_walk w;
	enum zone_type z;
	unsigned o;
	pfn_t a, f;
	char what[256];

	(void)state;
	assert_false(phys_is_ram(&m->phys, hole, ar->page_size));
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &a), 0);
	va = tu_free_kernel_va(m, pte);
	va_2m = va & ~(arch_level_size(ar, pmd) - 1);
	assert_int_equal(hvo_map(m, va, a << ar->page_shift, ar->page_size,
				 HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	pmd_ep = w.level[pmd].entry_pa;
	pmd_e = w.level[pmd].entry;
	pte_ep = w.level[pte].entry_pa;
	pte_e = w.level[pte].entry;
	table = w.level[pte].table_pa;
	tables = tu_pages(m, HVO_PAGES_PAGETABLE);
	tu_assert_check(m);

	/* The PTE table's frame held as a user allocation. */
	snap_take(m, &s);
	snap_page(m, &s, table >> ar->page_shift);
	relabel(m, table >> ar->page_shift, HVO_PAGES_ALLOCATED);
	snprintf(what, sizeof(what),
		 "%s table at pa 0x%" PRIx64 " is in a allocated frame",
		 pte_name, table);
	expect_broken(m, "pagetable", what);
	snap_restore(m, &s);

	/* A page-table frame no entry reaches. */
	snap_take(m, &s);
	snap_page(m, &s, a);
	relabel(m, a, HVO_PAGES_PAGETABLE);
	snprintf(what, sizeof(what),
		 "%" PRIu64 " tables reachable, %" PRIu64 " frames counted as page tables",
		 tables, tables + 1);
	expect_broken(m, "pagetable", what);
	snap_restore(m, &s);

	/* The PMD points at a free frame as its table. */
	first_free_block(m, 0, &z, &o, &f);
	set_entry(m, pmd, va, pmd_ep, ar->ops.mk_table(ar, pmd, f << ar->page_shift));
	snprintf(what, sizeof(what), "%s table at pa 0x%" PRIx64 " is in a free frame",
		 pte_name, f << ar->page_shift);
	expect_broken(m, "pagetable", what);
	set_entry(m, pmd, va, pmd_ep, pmd_e);
	tu_assert_check(m);

	/* ...and at the hole. */
	bad = ar->ops.mk_table(ar, pmd, hole);
	set_entry(m, pmd, va, pmd_ep, bad);
	snprintf(what, sizeof(what), "%s table at pa 0x%" PRIx64 " is not RAM",
		 pte_name, hole);
	expect_broken(m, "pagetable", what);
	snprintf(what, sizeof(what),
		 "fault at va 0x%" PRIx64 ": malformed %s entry 0x%016" PRIx64 " (a table entry that points outside RAM)",
		 va, pmd_name, bad);
	expect_fault(m, va, "fault.bad_entry", what);
	set_entry(m, pmd, va, pmd_ep, pmd_e);
	tu_assert_check(m);

	/* A 2M leaf with a reserved address bit (13) set. */
	bad = ar->ops.mk_leaf(ar, pmd, 0, ar->page_kernel) | (UINT64_C(1) << 13);
	set_entry(m, pmd, va, pmd_ep, bad);
	snprintf(what, sizeof(what),
		 "malformed %s entry 0x%016" PRIx64 " for va 0x%" PRIx64 ": reserved address bits set in a large leaf",
		 pmd_name, bad, va_2m);
	expect_broken(m, "pagetable", what);
	snprintf(what, sizeof(what),
		 "fault at va 0x%" PRIx64 ": malformed %s entry 0x%016" PRIx64 " (reserved address bits set in a large leaf)",
		 va, pmd_name, bad);
	expect_fault(m, va, "fault.bad_entry", what);
	set_entry(m, pmd, va, pmd_ep, pmd_e);
	tu_assert_check(m);

	/* A page mapping the hole. */
	set_entry(m, pte, va, pte_ep, pfn_pte(m, hole >> ar->page_shift,
					  ar->page_kernel));
	snprintf(what, sizeof(what),
		 "%s leaf for va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", not RAM",
		 pte_name, va, hole);
	expect_broken(m, "pagetable", what);
	snprintf(what, sizeof(what),
		 "fault at va 0x%" PRIx64 ": mapped to a physical address that is not RAM",
		 va);
	expect_fault(m, va, "fault.not_present", what);
	set_entry(m, pte, va, pte_ep, pte_e);
	tu_assert_check(m);

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_free_pages(m, a, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * On RISC-V a non-leaf entry (R=W=X=0) is a table pointer at any level;
 * at the last level the hardware faults on it, and the checker names it.
 */
static void
test_pagetable_last_level(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=256M");
	const struct hvo_arch *ar = &m->arch;
	unsigned pte = pte_depth(m);
	uint64_t va, pte_ep, pte_e, bad;
	struct hvo_walk w;
	pfn_t a;
	char what[256];

	(void)state;
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &a), 0);
	va = tu_free_kernel_va(m, pte);
	assert_int_equal(hvo_map(m, va, a << ar->page_shift, ar->page_size,
				 HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_walk(m, va, &w), 0);
	pte_ep = w.level[pte].entry_pa;
	pte_e = w.level[pte].entry;
	tu_assert_check(m);

	bad = ar->ops.mk_table(ar, pte, a << ar->page_shift);
	set_entry(m, pte, va, pte_ep, bad);
	snprintf(what, sizeof(what),
		 "table entry at the last level for va 0x%" PRIx64, va);
	expect_broken(m, "pagetable", what);
	snprintf(what, sizeof(what),
		 "fault at va 0x%" PRIx64 ": malformed %s entry 0x%016" PRIx64 " (a table entry at the last level)",
		 va, ar->level[pte].name, bad);
	expect_fault(m, va, "fault.bad_entry", what);
	set_entry(m, pte, va, pte_ep, pte_e);
	tu_assert_check(m);

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_free_pages(m, a, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Map the vmemmap at @va with pages, splitting the leaves above them, and
 * return the frame that backs @va's page.
 */
static uint64_t
vmemmap_page_pa(struct hvo_machine *m, uint64_t va)
{
	struct hvo_walk w;

	for (;;) {
		assert_int_equal(hvo_walk(m, va, &w), 0);
		assert_true(w.mapped);
		if (w.leaf_size == m->arch.page_size)
			break;
		assert_int_equal(hvo_split(m, va & ~(w.leaf_size - 1)), 0);
		assert_int_equal(hvo_flush_tlb_all(m), 0);
	}
	tu_assert_check(m);
	return w.pa & ~(m->arch.page_size - 1);
}

/*
 * The vmemmap page at @va (backed by @pa, mapped by a page) unmapped,
 * then mapped by frame @b a user allocated: rule "vmemmap" names each.
 * Put back, the check passes. @section: the first pfn of its section.
 */
static void
break_vmemmap_page(struct hvo_machine *m, uint64_t va, uint64_t pa, pfn_t b,
		   pfn_t section)
{
	uint64_t page_size = m->arch.page_size;
	char what[256];

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	snprintf(what, sizeof(what),
		 "struct pages at va 0x%" PRIx64 " (section of pfn 0x%" PRIx64 ") are not mapped",
		 va, section);
	expect_broken(m, "vmemmap", what);

	/* Mapped again, by a frame a user allocated. */
	assert_int_equal(hvo_map(m, va, b << m->arch.page_shift, page_size,
				 HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	snprintf(what, sizeof(what),
		 "va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", which is not a vmemmap frame",
		 va, b << m->arch.page_shift);
	expect_broken(m, "vmemmap", what);

	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_map(m, va, pa, page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
}

/*
 * Rule "vmemmap": every struct page of a section with RAM is mapped, by a
 * vmemmap frame. And a struct page on a free list that cannot be read is
 * the "buddy" rule's failure, with the fault as its reason.
 */
static void
test_vmemmap(void **state)
{
	struct hvo_machine *m = tu_machine(SPEC);
	struct hvo_geometry g = tu_geometry(m);
	uint64_t per_page = g.page_size / g.struct_page_size;
	uint64_t section = UINT64_C(1) << (g.section_size_bits - g.page_shift);
	uint64_t va, pa;
	enum zone_type z, z2;
	unsigned o, o2, order = 0;
	pfn_t a, b, f, f2;
	char what[256];

	(void)state;
	/* An allocation whose struct pages fill one vmemmap page. */
	while ((UINT64_C(1) << order) < per_page)
		order++;
	assert_int_equal(hvo_alloc_pages(m, order, HVO_GFP_KERNEL, &a), 0);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &b), 0);
	va = pfn_to_page(m, a);
	assert_int_equal(va % g.page_size, 0);
	pa = vmemmap_page_pa(m, va);

	break_vmemmap_page(m, va, pa, b, a & ~(section - 1));

	/*
	 * The struct page of a free block unmapped: its list cannot be
	 * walked. The block's other struct pages on that vmemmap page are
	 * its own tails, on no list.
	 */
	first_free_block(m, order, &z, &o, &f);
	va = pfn_to_page(m, f);
	assert_int_equal(va % g.page_size, 0);
	pa = vmemmap_page_pa(m, va);
	/* The split's page table came from elsewhere: f is still first. */
	first_free_block(m, order, &z2, &o2, &f2);
	assert_true(z2 == z && o2 == o && f2 == f);
	assert_int_equal(hvo_unmap(m, va), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	snprintf(what, sizeof(what),
		 "zone %s order %u: struct page of pfn 0x%" PRIx64 " unreadable: fault at va 0x%" PRIx64 ": not mapped",
		 m->zones[z].name, o, f, page_lru_va(m, va));
	expect_broken(m, "buddy", what);
	assert_int_equal(hvo_map(m, va, pa, g.page_size, HVO_PROT_KERNEL), 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);

	assert_int_equal(hvo_free_pages(m, a, order), 0);
	assert_int_equal(hvo_free_pages(m, b, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Never-touched memory is checked by its description, in bulk: the
 * deferred runs of a 1 TiB machine (deferred_init_memmap() has not reached
 * them) and the 2M vmemmap leaves that map their struct pages. A rule
 * broken deep inside such a run is still found and named.
 */
static void
test_described(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1T");
	struct hvo_geometry g = tu_geometry(m);
	uint64_t section = UINT64_C(1) << (g.section_size_bits - g.page_shift);
	struct zone *zn = &m->zones[ZONE_NORMAL];
	uint64_t zdef = 0, va, pa;
	pfn_t mid, b;
	char what[256];
	unsigned was;

	(void)state;
	tu_assert_check(m);
	for (unsigned i = 0; i < MAX_NR_ZONES; i++)
		zdef += m->zones[i].deferred_pages;
	/* A pfn in the middle of RAM, well inside the deferred run. */
	mid = (m->phys.total_pages / 2) | 7;
	assert_true(zn->first_deferred_pfn != UINT64_MAX);
	assert_true(mid > zn->first_deferred_pfn + section);

	/* An allocation the deferred run does not know of. */
	page_owner_alloc(&m->owner, mid, 0, HVO_PAGES_ALLOCATED);
	snprintf(what, sizeof(what),
		 "%" PRIu64 " deferred pages found, the zones say %" PRIu64,
		 zdef - 1, zdef);
	expect_broken(m, "accounting", what);
	assert_int_equal(page_owner_free(&m->owner, mid, 0, &was), 0);
	tu_assert_check(m);

	/*
	 * One vmemmap page of the run, inside its 2M leaf, split out and
	 * unmapped, then mapped by a frame a user allocated.
	 */
	va = round_down64(pfn_to_page(m, mid), g.page_size) + 5 * g.page_size;
	pa = vmemmap_page_pa(m, va);
	assert_int_equal(hvo_alloc_pages(m, 0, HVO_GFP_KERNEL, &b), 0);
	break_vmemmap_page(m, va, pa, b, mid & ~(section - 1));

	assert_int_equal(hvo_free_pages(m, b, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * page_owner_alloc_pages() records what as many page_owner_alloc() calls
 * of order 0 would: the entries, the counts, the summary, across blocks
 * with and without a fine map, and a block whose first entry was there.
 */
static void
test_page_owner_alloc_pages(void **state)
{
	struct page_owner one, run;
	const uint64_t base = 100, nr = 70000;
	uint64_t blk;
	unsigned was;
	const uint64_t words = ((nr >> PO_SUMMARY_SHIFT) + 1 + 63) / 64;

	(void)state;
	assert_int_equal(page_owner_init(&one, base, nr), 0);
	assert_int_equal(page_owner_init(&run, base, nr), 0);
	page_owner_alloc(&one, base + 1024, 3, HVO_PAGES_RESERVED);
	page_owner_alloc(&run, base + 1024, 3, HVO_PAGES_RESERVED);
	for (uint64_t pfn = base + 130; pfn < base + 1024; pfn++)
		page_owner_alloc(&one, pfn, 0, HVO_PAGES_VMEMMAP);
	page_owner_alloc_pages(&run, base + 130, 1024 - 130, HVO_PAGES_VMEMMAP);
	for (uint64_t pfn = base + 1032; pfn < base + 66000; pfn++)
		page_owner_alloc(&one, pfn, 0, HVO_PAGES_VMEMMAP);
	page_owner_alloc_pages(&run, base + 1032, 66000 - 1032, HVO_PAGES_VMEMMAP);
	page_owner_alloc(&one, base + 66001, 0, HVO_PAGES_PAGETABLE);
	page_owner_alloc_pages(&run, base + 66001, 1, HVO_PAGES_PAGETABLE);
	page_owner_alloc_pages(&run, base + 66005, 0, HVO_PAGES_PAGETABLE);
	for (uint64_t i = 0; i < nr; i++)
		if (po_get(&one, i) != po_get(&run, i))
			fail_msg("entry %" PRIu64 ": 0x%x, not 0x%x", i,
				 po_get(&run, i), po_get(&one, i));
	assert_memory_equal(one.count, run.count, sizeof(one.count));
	assert_memory_equal(one.summary, run.summary, words * sizeof(*one.summary));
	assert_int_equal(one.nr_fine, run.nr_fine);

	/*
	 * Whole blocks of the run share their category's map; a free in one
	 * gives that block a map of its own, and so does a run of new
	 * entries inside one. The entries stay the same as one by one.
	 */
	blk = (base + 4096 - base) >> PO_BLOCK_SHIFT;
	assert_true(po_is_uniform(&run, run.fine[blk]));
	assert_false(po_is_uniform(&one, one.fine[blk]));
	assert_int_equal(page_owner_free(&one, base + 4100, 0, &was), 0);
	assert_int_equal(page_owner_free(&run, base + 4100, 0, &was), 0);
	assert_false(po_is_uniform(&run, run.fine[blk]));
	assert_true(po_is_uniform(&run, run.fine[blk + 1]));
	/*
	 * page_owner_forget_at() where po_get_ref() found the entry: in a
	 * shared map it takes page_owner_forget(), which copies the map.
	 */
	{
		uint64_t i = ((blk + 1) << PO_BLOCK_SHIFT) + 4;
		po_entry_t *ref, e = po_get_ref(&run, i, &ref);

		assert_non_null(ref);
		assert_true(po_is_uniform(&run, ref));
		page_owner_forget_at(&run, base + i, e, 0, ref);
		assert_int_equal(page_owner_free(&one, base + i, 0, &was), 0);
		assert_false(po_is_uniform(&run, run.fine[blk + 1]));
		e = po_get_ref(&run, i + 1, &ref);
		assert_ptr_equal(ref, &run.fine[blk + 1][5]);
		page_owner_forget_at(&run, base + i + 1, e, 0, ref);
		assert_int_equal(page_owner_free(&one, base + i + 1, 0, &was), 0);
	}
	for (uint64_t pfn = base + 5120; pfn < base + 5130; pfn++)
		page_owner_alloc(&one, pfn, 0, HVO_PAGES_PAGETABLE);
	page_owner_alloc_pages(&run, base + 5120, 10, HVO_PAGES_PAGETABLE);
	assert_false(po_is_uniform(&run, run.fine[(5120) >> PO_BLOCK_SHIFT]));
	for (uint64_t i = 0; i < nr; i++)
		if (po_get(&one, i) != po_get(&run, i))
			fail_msg("entry %" PRIu64 ": 0x%x, not 0x%x", i,
				 po_get(&run, i), po_get(&one, i));
	assert_memory_equal(one.count, run.count, sizeof(one.count));
	page_owner_fini(&one);
	page_owner_fini(&run);
}

/*
 * page_owner_alloc_pages() over blocks whose first entry was allocated
 * and freed, a single page at the start of an untouched block, and two
 * blocks at once: what page_owner_alloc() of order 0 page by page
 * records, entries and counts.
 */
static void
test_page_owner_alloc_pages_coarse(void **state)
{
	struct page_owner one, run;
	const uint64_t base = 0, nr = 8 * PO_BLOCK;
	unsigned was;

	(void)state;
	assert_int_equal(page_owner_init(&one, base, nr), 0);
	assert_int_equal(page_owner_init(&run, base, nr), 0);
	for (struct page_owner *po = &one; po; po = po == &one ? &run : NULL) {
		page_owner_alloc(po, base + PO_BLOCK, 0, HVO_PAGES_RESERVED);
		assert_int_equal(page_owner_free(po, base + PO_BLOCK, 0, &was), 0);
		page_owner_alloc(po, base + 2 * PO_BLOCK, 0, HVO_PAGES_RESERVED);
		page_owner_alloc(po, base + 4 * PO_BLOCK, 0, HVO_PAGES_RESERVED);
	}
	/* Block 2 whole, over its coarse first entry. */
	for (uint64_t k = 0; k < PO_BLOCK; k++) {
		if (k == 0)
			assert_int_equal(page_owner_free(&one, base + 2 * PO_BLOCK,
							 0, &was), 0);
		page_owner_alloc(&one, base + 2 * PO_BLOCK + k, 0,
				 HVO_PAGES_VMEMMAP);
	}
	assert_int_equal(page_owner_free(&run, base + 2 * PO_BLOCK, 0, &was), 0);
	page_owner_alloc_pages(&run, base + 2 * PO_BLOCK, PO_BLOCK,
			       HVO_PAGES_VMEMMAP);
	/* One page at the start of untouched block 6. */
	page_owner_alloc(&one, base + 6 * PO_BLOCK, 0, HVO_PAGES_VMEMMAP);
	page_owner_alloc_pages(&run, base + 6 * PO_BLOCK, 1, HVO_PAGES_VMEMMAP);
	/* Blocks 3 and 4, the first entry of 4 there. */
	assert_int_equal(page_owner_free(&one, base + 4 * PO_BLOCK, 0, &was), 0);
	assert_int_equal(page_owner_free(&run, base + 4 * PO_BLOCK, 0, &was), 0);
	for (uint64_t k = 0; k < 2 * PO_BLOCK; k++)
		page_owner_alloc(&one, base + 3 * PO_BLOCK + k, 0,
				 HVO_PAGES_PAGETABLE);
	page_owner_alloc_pages(&run, base + 3 * PO_BLOCK, 2 * PO_BLOCK,
			       HVO_PAGES_PAGETABLE);
	for (uint64_t i = 0; i < nr; i++)
		if (po_get(&one, i) != po_get(&run, i))
			fail_msg("entry %" PRIu64 ": 0x%x, not 0x%x", i,
				 po_get(&run, i), po_get(&one, i));
	assert_memory_equal(one.count, run.count, sizeof(one.count));
	assert_int_equal(one.count[HVO_PAGES_VMEMMAP], PO_BLOCK + 1);
	assert_int_equal(one.count[HVO_PAGES_PAGETABLE], 2 * PO_BLOCK);
	page_owner_fini(&one);
	page_owner_fini(&run);
}

/*
 * page_owner_set_range() of a run larger than the largest order an entry
 * holds (PO_ORDER_MASK): pieces of that order, one after another, each
 * found as the allocation that covers its pfns.
 */
static void
test_page_owner_set_range_huge(void **state)
{
	struct page_owner po;
	const uint64_t top = UINT64_C(1) << PO_ORDER_MASK, nr = 2 * top + 8;
	enum hvo_page_category c;
	uint64_t head;
	unsigned order;

	(void)state;
	assert_int_equal(page_owner_init(&po, 0, nr), 0);
	page_owner_set_range(&po, 0, nr, HVO_PAGES_RESERVED);
	assert_true(page_owner_lookup(&po, 5, &head, &order, &c));
	assert_int_equal(head, 0);
	assert_int_equal(order, PO_ORDER_MASK);
	assert_int_equal(c, HVO_PAGES_RESERVED);
	assert_true(page_owner_lookup(&po, top + 12345, &head, &order, &c));
	assert_int_equal(head, top);
	assert_int_equal(order, PO_ORDER_MASK);
	assert_true(page_owner_lookup(&po, 2 * top + 5, &head, &order, &c));
	assert_int_equal(head, 2 * top);
	assert_int_equal(order, 3);
	assert_int_equal(po.count[HVO_PAGES_RESERVED], nr);
	page_owner_fini(&po);
}

/* The table whose leaf maps @va (the walk not counted). */
static uint64_t
leaf_table_of(struct hvo_machine *m, uint64_t va)
{
	struct pt_walk w;

	assert_int_equal(pt_walk(m, va, &w, false), 0);
	assert_true(w.leaf >= 0);
	return w.lvl[w.leaf].table_pa;
}

static void
count_events(void *ctx, const struct hvo_event *ev)
{
	(void)ev;
	(*(unsigned *)ctx)++;
}

/*
 * pt_cursor_map_run() against the same leaves mapped page by page with
 * pt_cursor_get() and pt_cursor_map() (vmemmap_populate_basepages()'s
 * loop) on a twin machine: the same translations, every counter the same,
 * both machines checked. Before it, what pt_cursor_run_none() and
 * pt_cursor_map_run() refuse: a run over a mapped entry, off the table,
 * past its end, unaligned, in a step that is no leaf size, beyond RAM;
 * and any run while a trace is on (it wants every write); pt_map() of a
 * leaf below the last level and pt_lookup() of a user address. After it, an
 * entry of the described table unmapped (a write of a word apart) and the
 * rest still read back; with a host page, the table's entries are read
 * from it.
 */
static void
check_map_run(const char *spec)
{
	struct hvo_machine *a = tu_machine(spec), *b = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(a);
	const unsigned pte = g.levels - 1;
	const uint64_t n = 16, P = g.page_size;
	const pgprot_t pk = a->arch.page_kernel;
	uint64_t va = tu_free_kernel_va(a, pte), pa, vb, events = 0;
	phys_addr_t pb;
	struct pt_cursor ca, cb;
	pfn_t fa, fb;
	unsigned traced = 0;

	vb = tu_free_kernel_va(b, pte);
	assert_int_equal(va, vb);
	assert_int_equal(hvo_alloc_pages(a, 4, HVO_GFP_KERNEL, &fa), 0);
	assert_int_equal(hvo_alloc_pages(b, 4, HVO_GFP_KERNEL, &fb), 0);
	assert_int_equal(fa, fb);
	pa = fa << g.page_shift;
	assert_int_equal(pt_map(a, va, pa, pte, pk), 0);
	assert_int_equal(pt_map(b, va, pa, pte, pk), 0);
	pt_cursor_remember(a, &ca, va, pte);
	pt_cursor_remember(b, &cb, va, pte);
	/* A leaf further on, the table's word apart. */
	assert_int_equal(pt_map(a, va + (n + 2) * P, pa, pte, pk), 0);
	assert_int_equal(pt_map(b, va + (n + 2) * P, pa, pte, pk), 0);
	assert_non_null(phys_words_of(&a->phys, ca.table >> g.page_shift));

	/* Refused runs. */
	assert_false(pt_cursor_run_none(a, &ca, ca.lo - P, 2));
	assert_false(pt_cursor_run_none(a, &ca, va + P, n + 4));
	assert_true(pt_cursor_run_none(a, &ca, va + (n + 3) * P, 4));
	assert_false(pt_cursor_run_none(a, &ca, va, n));
	assert_false(pt_cursor_run_none(a, &ca, ca.hi, 2));
	assert_false(pt_cursor_run_none(a, &ca, ca.hi - P, 2));
	assert_true(pt_cursor_run_none(a, &ca, va + P, n - 1));
	assert_int_equal(hvo_set_trace(a, count_events, &traced), 0);
	assert_false(pt_cursor_run_none(a, &ca, va + P, n - 1));
	assert_int_equal(hvo_set_trace(a, NULL, NULL), 0);
	assert_int_equal(pt_cursor_map_run(a, &ca, va + P, 0, pa, P, pk), 0);
	assert_int_equal(pt_cursor_map_run(a, &ca, va + P, 2, pa + 8, P, pk),
			 -EINVAL);
	assert_int_equal(pt_cursor_map_run(a, &ca, va + P, 2, pa, P / 2, pk),
			 -EINVAL);
	assert_non_null(strstr(hvo_machine_error(a), "not aligned RAM in one table"));
	assert_int_equal(pt_cursor_map_run(a, &ca, ca.hi - P, 2, pa, P, pk),
			 -EINVAL);
	assert_int_equal(pt_cursor_map_run(a, &ca, va + P, 2, pa,
					   g.mem_bytes * 2, pk), -EINVAL);
	assert_int_equal(traced, 0);
	/* No level below the last; a user address has no kernel leaf. */
	assert_int_equal(pt_map(a, va + P, pa, g.levels, pk), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(a), "no leaf can sit at depth"));
	assert_int_equal(pt_lookup(a, UINT64_C(0x1000), &pb, NULL), -EFAULT);

	/* Pages 1..n-1 map frames n-1..1: falling, as from memblock. */
	assert_int_equal(pt_cursor_map_run(a, &ca, va + P, n - 1,
					   pa + (n - 1) * P, -P, pk), 0);
	for (uint64_t k = 1; k < n; k++) {
		struct pt_decoded d;

		assert_true(pt_cursor_get(b, &cb, va + k * P, &d));
		assert_int_equal(d.kind, PTK_NONE);
		assert_int_equal(pt_cursor_map(b, &cb, va + k * P,
					       pa + (n - k) * P, pk), 0);
	}
	for (size_t i = 0; i < hvo_counter_count(); i++) {
		uint64_t x, y;

		assert_int_equal(hvo_counter_get(a, i, &x), 0);
		assert_int_equal(hvo_counter_get(b, i, &y), 0);
		if (x != y)
			fail_msg("%s: counter %s: %" PRIu64 " by the run, %" PRIu64 " page by page",
				 spec, hvo_counter_name(i), x, y);
	}
	for (uint64_t k = 0; k < n; k++) {
		phys_addr_t x, y;

		assert_int_equal(pt_lookup(a, va + k * P, &x, NULL), 0);
		assert_int_equal(pt_lookup(b, va + k * P, &y, NULL), 0);
		assert_int_equal(x, y);
		assert_int_equal(x, k ? pa + (n - k) * P : pa);
	}
	tu_assert_check(a);
	tu_assert_check(b);

	/* One entry unmapped: the others read back the same. */
	assert_int_equal(pt_unmap(a, va + 3 * P), 0);
	assert_int_equal(hvo_flush_tlb_all(a), 0);
	for (uint64_t k = 1; k < n; k++) {
		phys_addr_t x;

		if (k == 3) {
			assert_int_equal(pt_lookup(a, va + k * P, &x, NULL), -EFAULT);
			continue;
		}
		assert_int_equal(pt_lookup(a, va + k * P, &x, NULL), 0);
		assert_int_equal(x, pa + (n - k) * P);
		events++;
	}
	assert_int_equal(events, n - 2);
	/* The table with a host page: its entries read from there. */
	assert_non_null(phys_to_host(&a->phys, ca.table));
	assert_null(phys_words_of(&a->phys, ca.table >> g.page_shift));
	assert_false(pt_cursor_run_none(a, &ca, va + P, 4));
	assert_true(pt_cursor_run_none(a, &ca, va + 3 * P, 1));
	assert_false(pt_cursor_run_none(a, &ca, va + 3 * P, 2));
	assert_true(pt_cursor_run_none(a, &ca, va + (n + 3) * P, 8));
	tu_assert_check(a);
	hvo_machine_free(a);
	hvo_machine_free(b);
}

static void
test_map_run(void **state)
{
	(void)state;
	check_map_run("x86_64:mem=256M");
	check_map_run("arm64-16k-48:mem=256M,bbmcheck=on");
	check_map_run("arm64-64k-52:mem=512M,bbmcheck=on,tlbcheck=on");
	check_map_run("riscv64-sv57:mem=256M");
}

/*
 * The vmemmap's PMD blocks of a 4K-page machine, one PMD table of them,
 * are a described run too: checked whole, and an allocation among its
 * frames that page_owner gives to another category is still found.
 */
static void
test_described_blocks(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=64G");
	const uint64_t pfn = m->vmemmap_pfn_lo + (UINT64_C(5) << 20) + 3;
	const uint64_t va = pfn_to_page(m, pfn);
	uint64_t table = leaf_table_of(m, va), held, pa, head;
	const struct phys_words *w;
	enum hvo_page_category c;
	unsigned order;

	(void)state;
	w = phys_words_of(&m->phys, table >> m->arch.page_shift);
	assert_non_null(w);
	assert_true(w->hi - w->lo > 100);
	held = phys_host_frames(&m->phys);
	tu_assert_check(m);
	assert_int_equal(phys_host_frames(&m->phys), held);
	assert_int_equal(pt_lookup(m, va, &pa, NULL), 0);
	assert_true(page_owner_lookup(&m->owner, pa >> m->arch.page_shift,
				      &head, &order, &c));
	assert_int_equal(c, HVO_PAGES_VMEMMAP);
	page_owner_set_cat(&m->owner, head, HVO_PAGES_RESERVED);
	expect_broken(m, "vmemmap", "which is not a vmemmap frame");
	page_owner_set_cat(&m->owner, head, HVO_PAGES_VMEMMAP);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The vmemmap of an arm64 machine with 16K pages is mapped page by page
 * (vmemmap_populate_basepages()) into PTE tables described as runs of
 * entries: the checker reads them from their description and checks
 * their frames a run at a time, giving them no host page, and still finds
 * a run that maps frames the vmemmap does not own. Reads through the TLB
 * keep the table described; a write gives it its page, with the same
 * entries.
 */
static void
test_described_tables(void **state)
{
	struct hvo_machine *m = tu_machine("arm64:granule=16K,va=52,mem=8G");
	const uint64_t pfn = m->vmemmap_pfn_lo + (UINT64_C(1) << 18) + 5;
	const uint64_t va = pfn_to_page(m, pfn);
	uint64_t table = leaf_table_of(m, va), held, v, pa, pa2, first;
	struct phys_words *w;
	char msg[128];

	(void)state;
	w = (struct phys_words *)phys_words_of(&m->phys, table >> m->arch.page_shift);
	assert_non_null(w);
	assert_true(w->hi - w->lo > 1000);
	held = phys_host_frames(&m->phys);
	tu_assert_check(m);
	assert_int_equal(phys_host_frames(&m->phys), held);
	assert_ptr_equal(phys_words_of(&m->phys, table >> m->arch.page_shift), w);

	/* A frame of the run page_owner gives to another: each is checked. */
	assert_int_equal(pt_lookup(m, va + 7 * m->arch.page_size, &pa, NULL), 0);
	page_owner_set_cat(&m->owner, pa >> m->arch.page_shift,
			   HVO_PAGES_RESERVED);
	snprintf(msg, sizeof(msg), "maps pa 0x%" PRIx64 ", which is not a vmemmap frame",
		 pa);
	expect_broken(m, "vmemmap", msg);
	page_owner_set_cat(&m->owner, pa >> m->arch.page_shift,
			   HVO_PAGES_VMEMMAP);
	tu_assert_check(m);

	/* Loads walk through the description. */
	assert_int_equal(hvo_kread64(m, va, &v), 0);
	assert_int_equal(pt_lookup(m, va, &pa, NULL), 0);
	assert_ptr_equal(phys_words_of(&m->phys, table >> m->arch.page_shift), w);

	/* A write through the host: the table gets its page, same entries. */
	assert_int_equal(pt_protect(m, va + m->arch.page_size,
				    m->arch.page_kernel), 0);
	assert_null(phys_words_of(&m->phys, table >> m->arch.page_shift));
	assert_int_equal(pt_lookup(m, va, &pa2, NULL), 0);
	assert_int_equal(pa2, pa);
	assert_int_equal(hvo_kread64(m, va, &first), 0);
	assert_int_equal(first, v);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A described table whose description is corrupted is no longer checked
 * whole (check_words_run() refuses it) but entry by entry, and the entry
 * that breaks a rule is found: a malformed entry put apart inside the
 * run, a run whose pa steps by two pages (struct pages then read wrong:
 * the buddy rule sees it first), a run whose first entry is no leaf. Put back, the table checks whole again, with no host page.
 */
static void
test_described_corrupt(void **state)
{
	struct hvo_machine *m = tu_machine("arm64:granule=16K,va=48,mem=2G");
	const uint64_t pfn = m->vmemmap_pfn_lo + (UINT64_C(1) << 16) + 5;
	const uint64_t va = pfn_to_page(m, pfn);
	uint64_t table = leaf_table_of(m, va), held;
	struct phys_words *w, saved;
	const uint64_t span = m->arch.page_size *
			      m->arch.level[m->arch.levels - 1].entries;
	char msg[128];
	uint32_t mid;

	(void)state;
	w = (struct phys_words *)phys_words_of(&m->phys,
					       table >> m->arch.page_shift);
	assert_non_null(w);
	assert_true(w->hi - w->lo > 100);
	saved = *w;
	mid = w->lo + (w->hi - w->lo) / 2;
	held = phys_host_frames(&m->phys);
	tu_assert_check(m);

	/* A malformed entry in the middle of the run (arm64: type 0b01 at
	 * the last level is reserved). */
	w->x = mid;
	w->xval = 0x1;
	expect_broken(m, "pagetable", "malformed");
	*w = saved;
	tu_assert_check(m);

	/* The entry apart inside the run, a good leaf of the same frame:
	 * the run is checked entry by entry, and passes. */
	w->x = mid;
	w->xval = phys_words_get(&saved, mid);
	tu_assert_check(m);
	*w = saved;

	/* The pa stepping by two pages. */
	w->step = 2 * saved.step;
	w->first = phys_words_get(&saved, saved.lo) - (uint64_t)saved.lo * w->step;
	/* The TLB holds the old translations: the tlb rule would see them
	 * first (a flush is missing). */
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	*w = saved;
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);

	/* The second or the last entry zero: the run is no run of leaves;
	 * the struct pages they mapped are not mapped. */
	for (unsigned k = 0; k < 2; k++) {
		uint32_t j = k ? saved.hi - 1 : saved.lo + 1;

		w->x = j;
		w->xval = 0;
		assert_int_equal(hvo_flush_tlb_all(m), 0);
		snprintf(msg, sizeof(msg), "struct pages at va 0x%" PRIx64 " ",
			 round_down64(va, span) + (uint64_t)j * m->arch.page_size);
		expect_broken(m, "vmemmap", msg);
	}
	/* The second entry read-only; the last one mapping the first's
	 * frame again (no even step): checked one by one, each is well
	 * formed (HVO maps tails read-only, many to one frame). */
	w->x = saved.lo + 1;
	w->xval = phys_words_get(&saved, w->x) | (UINT64_C(1) << 7);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	w->x = saved.hi - 1;
	w->xval = phys_words_get(&saved, saved.lo);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	/* The last entry read-only (arm64's AP[2]): the run has no one prot,
	 * its entries are checked one by one, and a read-only vmemmap page
	 * is well formed (HVO maps tails so). */
	w->xval = phys_words_get(&saved, w->hi - 1) | (UINT64_C(1) << 7);
	assert_int_not_equal(w->xval, phys_words_get(&saved, w->hi - 1));
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	*w = saved;
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);

	/* A zero first entry: not a run of leaves; the struct pages it
	 * mapped (a free block's) cannot be read. */
	w->x = w->lo;
	w->xval = 0;
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	expect_broken(m, "buddy", "unreadable: fault at va");
	*w = saved;
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	tu_assert_check(m);
	assert_int_equal(phys_host_frames(&m->phys), held);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buddy_list),
		cmocka_unit_test(test_buddy_block),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_pcp),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_pagetable),
		cmocka_unit_test(test_pagetable_last_level),
		cmocka_unit_test(test_vmemmap),
		cmocka_unit_test(test_described),
		cmocka_unit_test(test_described_tables),
		cmocka_unit_test(test_described_blocks),
		cmocka_unit_test(test_described_corrupt),
		cmocka_unit_test(test_page_owner_alloc_pages),
		cmocka_unit_test(test_map_run),
		cmocka_unit_test(test_page_owner_alloc_pages_coarse),
		cmocka_unit_test(test_page_owner_set_range_huge),
	};

	return tu_run("check", tests, sizeof(tests) / sizeof(tests[0]));
}
