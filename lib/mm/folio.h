/* SPDX-License-Identifier: MIT */
/*
 * struct folio's fields beyond the head page, by name, where the machine's
 * release lays them (struct folio in include/linux/mm_types.h;
 * doc/KERNEL-FACTS.md, "The folio fields in the first tail pages"):
 *
 *   6.1    page[1]: compound_dtor and compound_order bytes and
 *          compound_mapcount over lru.prev, compound_pincount and
 *          compound_nr over mapping, the subpool (_private_1) over index;
 *          page[2], [3], [4]: the cgroup, the reserved cgroup and the
 *          hwpoison list in .private
 *   6.2    page[1]: the order in _flags_1's low byte, _large_mapcount and
 *          _entire_mapcount over lru.prev, _nr_pages_mapped and _pincount
 *          over mapping, _folio_nr_pages over index; page[2]: the subpool,
 *          the cgroups and the hwpoison list over lru.prev, mapping,
 *          index and private, where the deferred list also lies
 *   6.15   page[1] as 6.2's; page[2]: _deferred_list over lru.prev and
 *          mapping; page[3]: the hugetlb fields as 6.2's page[2]
 *
 * Each field is a struct folio_field of the machine's struct folio_layout,
 * copied at boot from the release's (RP_FOLIO_LAYOUT) and resolved there
 * to a byte offset from the head (core/mm_types.h); the accessors below
 * take the head's struct page and a field, and load or store it through
 * the vmemmap. A field over mapping or index is absent from a struct page
 * too small for them: a load gives 0 and a store does nothing. Loads and
 * stores fault as mm/page.h says (machine_oops()).
 */
#ifndef HVO_FOLIO_H
#define HVO_FOLIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mm/page.h"

/* HUGETLB_PAGE_DTOR (enum compound_dtor_id, 6.1 include/linux/mm.h). */
#define HUGETLB_PAGE_DTOR 2u

static inline const struct folio_layout *
folio_layout(const struct hvo_machine *m)
{
	return &m->folio_layout;
}

/*
 * The machine's copy of its release's layout, each field resolved for its
 * struct page (struct folio_field). After page_layout_init().
 */
void
folio_layout_resolve(struct hvo_machine *m, enum release_folio_layout id);

/* The struct page @i pages after the head. */
static inline page_t
folio_page(const struct hvo_machine *m, page_t head, unsigned i)
{
	return head + (uint64_t)i * m->page_layout.size;
}

/*
 * Whether @f, a field of folio_layout(), exists on this machine (its
 * release, its struct page size).
 */
static inline bool
folio_field_present(const struct hvo_machine *m, const struct folio_field *f)
{
	(void)m;
	return f->size != 0;
}

/* The address of @f of the folio at @head; only for a present field. */
static inline kva_t
folio_field_va(const struct hvo_machine *m, page_t head,
	       const struct folio_field *f)
{
	(void)m;
	return head + f->at;
}

/* Load @f (zero-extended); 0 for an absent field. */
uint64_t
folio_field_get(struct hvo_machine *m, page_t head,
		const struct folio_field *f);

/* folio_field_set() of a byte: the aligned 32 bits around it, rewritten. */
void
folio_field_set_byte(struct hvo_machine *m, kva_t va, uint64_t v);

/*
 * Store the low @f->size bytes of @v; nothing for an absent field. Inline:
 * prep sets a dozen fields of each hugepage.
 */
static inline void
folio_field_set(struct hvo_machine *m, page_t head,
		const struct folio_field *f, uint64_t v)
{
	kva_t va;

	if (!folio_field_present(m, f))
		return;
	va = folio_field_va(m, head, f);
	if (f->size == 8)
		page_store64(m, va, 0, v);
	else if (f->size == 4)
		page_store32(m, va, 0, (uint32_t)v);
	else
		folio_field_set_byte(m, va, v);
}

/* The fields by name. */
#define FOLIO_GET(m, head, name) \
	folio_field_get((m), (head), &folio_layout(m)->name)
#define FOLIO_SET(m, head, name, v) \
	folio_field_set((m), (head), &folio_layout(m)->name, (v))
#define FOLIO_HAS(m, name) \
	folio_field_present((m), &folio_layout(m)->name)

/* page[1]'s flags word (_flags_1 from 6.6). */
static inline uint64_t
folio_flags_1(struct hvo_machine *m, page_t head)
{
	return page_flags(m, folio_page(m, head, 1));
}

static inline void
set_folio_flags_1(struct hvo_machine *m, page_t head, uint64_t flags)
{
	set_page_flags(m, folio_page(m, head, 1), flags);
}

/* folio_order(). */
static inline unsigned
folio_order(struct hvo_machine *m, page_t head)
{
	return (unsigned)FOLIO_GET(m, head, order);
}

/*
 * The hugetlb mark: __folio_set_hugetlb() (a page type, 6.9 on) or
 * set_compound_page_dtor(HUGETLB_PAGE_DTOR) (6.1), and its test.
 */
static inline void
folio_set_hugetlb(struct hvo_machine *m, page_t head)
{
	if (folio_layout(m)->hugetlb_page_type)
		page_store32(m, head, page_layout(m)->page_type, PGTY_hugetlb << 24);
	else
		FOLIO_SET(m, head, dtor, HUGETLB_PAGE_DTOR);
}

bool
folio_test_hugetlb(struct hvo_machine *m, page_t head);

/* The mapcounts and pincount (UINT32_MAX is -1). */
static inline uint32_t
folio_large_mapcount(struct hvo_machine *m, page_t head)
{
	return (uint32_t)FOLIO_GET(m, head, large_mapcount);
}

static inline void
set_folio_large_mapcount(struct hvo_machine *m, page_t head, uint32_t v)
{
	FOLIO_SET(m, head, large_mapcount, v);
}

static inline uint32_t
folio_entire_mapcount(struct hvo_machine *m, page_t head)
{
	return (uint32_t)FOLIO_GET(m, head, entire_mapcount);
}

static inline void
set_folio_entire_mapcount(struct hvo_machine *m, page_t head, uint32_t v)
{
	FOLIO_SET(m, head, entire_mapcount, v);
}

static inline uint32_t
folio_nr_pages_mapped(struct hvo_machine *m, page_t head)
{
	return (uint32_t)FOLIO_GET(m, head, nr_pages_mapped);
}

static inline void
set_folio_nr_pages_mapped(struct hvo_machine *m, page_t head, uint32_t v)
{
	FOLIO_SET(m, head, nr_pages_mapped, v);
}

static inline uint32_t
folio_pincount(struct hvo_machine *m, page_t head)
{
	return (uint32_t)FOLIO_GET(m, head, pincount);
}

static inline void
set_folio_pincount(struct hvo_machine *m, page_t head, uint32_t v)
{
	FOLIO_SET(m, head, pincount, v);
}

/* _folio_nr_pages (compound_nr in 6.1); 0 where it is absent. */
static inline uint64_t
folio_nr_pages(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, nr_pages);
}

static inline void
set_folio_nr_pages(struct hvo_machine *m, page_t head, uint64_t nr)
{
	FOLIO_SET(m, head, nr_pages, nr);
}

/*
 * _deferred_list, a list_head: whether the machine has one (both its
 * words: not in 6.1, nor below 56 bytes, which have no ->mapping), its
 * address (what an empty list's links point at) and its links.
 */
static inline bool
folio_has_deferred_list(const struct hvo_machine *m)
{
	return folio_field_present(m, &folio_layout(m)->deferred_list) &&
	       folio_field_present(m, &folio_layout(m)->deferred_list_prev);
}

static inline kva_t
folio_deferred_list_va(const struct hvo_machine *m, page_t head)
{
	return folio_field_va(m, head, &folio_layout(m)->deferred_list);
}

static inline uint64_t
folio_deferred_list_next(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, deferred_list);
}

uint64_t
folio_deferred_list_prev(struct hvo_machine *m, page_t head);

/*
 * INIT_LIST_HEAD(&folio->_deferred_list); nothing where there is none.
 * Both links are pointers: two 64-bit stores, as the kernel's.
 */
static inline void
folio_init_deferred_list(struct hvo_machine *m, page_t head)
{
	kva_t list;

	if (!folio_has_deferred_list(m))
		return;
	list = folio_deferred_list_va(m, head);
	page_store64(m, list, 0, list);
	page_store64(m, folio_field_va(m, head,
				       &folio_layout(m)->deferred_list_prev),
		     0, list);
}

/* The hugetlb fields. */
static inline uint64_t
folio_hugetlb_subpool(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, subpool);
}

static inline void
set_folio_hugetlb_subpool(struct hvo_machine *m, page_t head, uint64_t v)
{
	FOLIO_SET(m, head, subpool, v);
}

static inline uint64_t
folio_hugetlb_cgroup(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, cgroup);
}

static inline void
set_folio_hugetlb_cgroup(struct hvo_machine *m, page_t head, uint64_t v)
{
	FOLIO_SET(m, head, cgroup, v);
}

static inline uint64_t
folio_hugetlb_cgroup_rsvd(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, cgroup_rsvd);
}

static inline void
set_folio_hugetlb_cgroup_rsvd(struct hvo_machine *m, page_t head, uint64_t v)
{
	FOLIO_SET(m, head, cgroup_rsvd, v);
}

static inline uint64_t
folio_hugetlb_hwpoison(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, hwpoison);
}

static inline void
set_folio_hugetlb_hwpoison(struct hvo_machine *m, page_t head, uint64_t v)
{
	FOLIO_SET(m, head, hwpoison, v);
}

/*
 * What a plain tail of a folio of @order holds in ->mapping: TAIL_MAPPING
 * (prep_compound_tail()), or nothing for a gigantic page the release
 * builds by hand.
 */
uint64_t
folio_tail_mapping(const struct hvo_machine *m, unsigned order);

#endif /* HVO_FOLIO_H */
