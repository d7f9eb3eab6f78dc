/* SPDX-License-Identifier: MIT */
/*
 * struct folio's fields beyond the head page, by name (include/linux/
 * mm_types.h of 6.12, as lib lays them over struct pages 1 to 3):
 *
 *   page[1]  _flags_1 (the folio order in its low byte), _large_mapcount
 *            and _entire_mapcount over lru.prev, _nr_pages_mapped and
 *            _pincount over mapping, _folio_nr_pages over index
 *   page[2]  _deferred_list over lru.prev and mapping
 *   page[3]  _hugetlb_subpool over lru.prev, _hugetlb_cgroup over
 *            mapping, _hugetlb_cgroup_rsvd over index, _hugetlb_hwpoison
 *            over private
 *
 * Every accessor takes the head's struct page. Loads and stores fault as
 * mm/page.h says (machine_oops()).
 */
#ifndef HVO_FOLIO_H
#define HVO_FOLIO_H

#include <stdint.h>

#include "mm/page.h"

#define FOLIO_ORDER_MASK 0xffu

/* The struct page @i pages after the head. */
static inline page_t
folio_page(const struct hvo_machine *m, page_t head, unsigned i)
{
	return head + (uint64_t)i * m->page_layout.size;
}

/* page[1]: _flags_1, whose low byte is the order (folio_set_order()). */
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

static inline uint32_t
folio_large_mapcount(struct hvo_machine *m, page_t head)
{
	return page_load32(m, folio_page(m, head, 1), page_layout(m)->lru_prev);
}

static inline void
set_folio_large_mapcount(struct hvo_machine *m, page_t head, uint32_t v)
{
	page_store32(m, folio_page(m, head, 1), page_layout(m)->lru_prev, v);
}

static inline uint32_t
folio_entire_mapcount(struct hvo_machine *m, page_t head)
{
	return page_load32(m, folio_page(m, head, 1),
			   page_layout(m)->lru_prev + 4);
}

static inline void
set_folio_entire_mapcount(struct hvo_machine *m, page_t head, uint32_t v)
{
	page_store32(m, folio_page(m, head, 1), page_layout(m)->lru_prev + 4, v);
}

/* _nr_pages_mapped and _pincount, one 64-bit word over page[1].mapping. */
static inline uint64_t
folio_mapped_and_pincount(struct hvo_machine *m, page_t head)
{
	return page_mapping(m, folio_page(m, head, 1));
}

static inline void
set_folio_mapped_and_pincount(struct hvo_machine *m, page_t head, uint64_t v)
{
	set_page_mapping(m, folio_page(m, head, 1), v);
}

/* _folio_nr_pages over page[1].index (0 without index). */
static inline uint64_t
folio_nr_pages(struct hvo_machine *m, page_t head)
{
	return page_index(m, folio_page(m, head, 1));
}

static inline void
set_folio_nr_pages(struct hvo_machine *m, page_t head, uint64_t nr)
{
	set_page_index(m, folio_page(m, head, 1), nr);
}

/* page[2]: _deferred_list, a list_head over lru.prev and mapping. */
static inline kva_t
folio_deferred_list_va(const struct hvo_machine *m, page_t head)
{
	return folio_page(m, head, 2) + m->page_layout.lru_prev;
}

/* The list's first link (next), which points at itself when it is empty. */
static inline uint64_t
folio_deferred_list_next(struct hvo_machine *m, page_t head)
{
	return page_lru_prev(m, folio_page(m, head, 2));
}

/* Its second link (prev), over page[2].mapping. */
static inline uint64_t
folio_deferred_list_prev(struct hvo_machine *m, page_t head)
{
	return page_mapping(m, folio_page(m, head, 2));
}

/* INIT_LIST_HEAD(&folio->_deferred_list); not there without mapping. */
static inline void
folio_init_deferred_list(struct hvo_machine *m, page_t head)
{
	page_t p2 = folio_page(m, head, 2);
	kva_t list = folio_deferred_list_va(m, head);

	if (page_layout(m)->mapping == PAGE_FIELD_ABSENT)
		return;
	set_page_lru_prev(m, p2, list);
	set_page_mapping(m, p2, list);
}

/* page[3]: the hugetlb fields. */
static inline uint64_t
folio_hugetlb_subpool(struct hvo_machine *m, page_t head)
{
	return page_lru_prev(m, folio_page(m, head, 3));
}

static inline void
set_folio_hugetlb_subpool(struct hvo_machine *m, page_t head, uint64_t v)
{
	set_page_lru_prev(m, folio_page(m, head, 3), v);
}

static inline uint64_t
folio_hugetlb_cgroup(struct hvo_machine *m, page_t head)
{
	return page_mapping(m, folio_page(m, head, 3));
}

static inline void
set_folio_hugetlb_cgroup(struct hvo_machine *m, page_t head, uint64_t v)
{
	set_page_mapping(m, folio_page(m, head, 3), v);
}

static inline uint64_t
folio_hugetlb_cgroup_rsvd(struct hvo_machine *m, page_t head)
{
	return page_index(m, folio_page(m, head, 3));
}

static inline void
set_folio_hugetlb_cgroup_rsvd(struct hvo_machine *m, page_t head, uint64_t v)
{
	set_page_index(m, folio_page(m, head, 3), v);
}

static inline uint64_t
folio_hugetlb_hwpoison(struct hvo_machine *m, page_t head)
{
	return page_private(m, folio_page(m, head, 3));
}

static inline void
set_folio_hugetlb_hwpoison(struct hvo_machine *m, page_t head, uint64_t v)
{
	set_page_private(m, folio_page(m, head, 3), v);
}

#endif /* HVO_FOLIO_H */
