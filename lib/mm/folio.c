/* SPDX-License-Identifier: MIT */
/*
 * Where each release keeps a hugetlb folio's order and metadata, as data,
 * and the accessors that follow it (mm/folio.h). The facts and their
 * sources: doc/KERNEL-FACTS.md, "The folio fields in the first tail pages".
 */
#include "mm/folio.h"

#define FIELD(p, w, o, s) { .page = (p), .word = (w), .off = (o), .size = (s) }
#define TAILS(a, b, c) ((1u << (a)) | (1u << (b)) | (1u << (c)))

static const struct folio_layout layouts[] = {
	/*
	 * L6.1 include/linux/mm_types.h:137-149 (struct page's first tail),
	 * :393-401 (_private_1); include/linux/hugetlb.h:41-52, :760-783;
	 * include/linux/hugetlb_cgroup.h:100-112.
	 */
	[FOLIO_LAYOUT_V6_1] = {
		.id = FOLIO_LAYOUT_V6_1,
		.name = "6.1",
		.order = FIELD(1, PW_LRU_PREV, 1, 1),
		.dtor = FIELD(1, PW_LRU_PREV, 0, 1),
		.entire_mapcount = FIELD(1, PW_LRU_PREV, 4, 4),
		.pincount = FIELD(1, PW_MAPPING, 0, 4),
		.nr_pages = FIELD(1, PW_MAPPING, 4, 4),
		.subpool = FIELD(1, PW_INDEX, 0, 8),
		.cgroup = FIELD(2, PW_PRIVATE, 0, 8),
		.cgroup_rsvd = FIELD(3, PW_PRIVATE, 0, 8),
		.hwpoison = FIELD(4, PW_PRIVATE, 0, 8),
		.plain_mapping_from = 2,
		/* the first tail holds compound_mapcount, the second is ignored */
		.free_check_skip = (1u << 1) | (1u << 2),
		.gigantic_by_hand = true,
	},
	/*
	 * page[2]: the 6.14 struct folio as 4eeec8c89a0c found it (lore
	 * 20250303163014.1128035-5-david@redhat.com). page[1]: 6.12's, which
	 * that change left alone; 6.2 to 6.10 had other page[1] fields
	 * (doc/KERNEL-FACTS.md says which), not modeled.
	 */
	[FOLIO_LAYOUT_V6_2] = {
		.id = FOLIO_LAYOUT_V6_2,
		.name = "6.2",
		.order = FIELD(1, PW_FLAGS, 0, 1),
		.order_in_flags_1 = true,
		.large_mapcount = FIELD(1, PW_LRU_PREV, 0, 4),
		.entire_mapcount = FIELD(1, PW_LRU_PREV, 4, 4),
		.nr_pages_mapped = FIELD(1, PW_MAPPING, 0, 4),
		.pincount = FIELD(1, PW_MAPPING, 4, 4),
		.nr_pages = FIELD(1, PW_INDEX, 0, 4),
		.deferred_list = FIELD(2, PW_LRU_PREV, 0, 8),
		.subpool = FIELD(2, PW_LRU_PREV, 0, 8),
		.cgroup = FIELD(2, PW_MAPPING, 0, 8),
		.cgroup_rsvd = FIELD(2, PW_INDEX, 0, 8),
		.hwpoison = FIELD(2, PW_PRIVATE, 0, 8),
		.hugetlb_page_type = true,
		.plain_mapping_from = 3,
		.free_check_skip = (1u << 1) | (1u << 2),
		.free_check_all_counts = true,
	},
	/* L6.12 include/linux/mm_types.h:367-405 (6.12.111's backport). */
	[FOLIO_LAYOUT_V6_15] = {
		.id = FOLIO_LAYOUT_V6_15,
		.name = "6.15",
		.order = FIELD(1, PW_FLAGS, 0, 1),
		.order_in_flags_1 = true,
		.large_mapcount = FIELD(1, PW_LRU_PREV, 0, 4),
		.entire_mapcount = FIELD(1, PW_LRU_PREV, 4, 4),
		.nr_pages_mapped = FIELD(1, PW_MAPPING, 0, 4),
		.pincount = FIELD(1, PW_MAPPING, 4, 4),
		.nr_pages = FIELD(1, PW_INDEX, 0, 4),
		.deferred_list = FIELD(2, PW_LRU_PREV, 0, 8),
		.deferred_list_init = true,
		.subpool = FIELD(3, PW_LRU_PREV, 0, 8),
		.cgroup = FIELD(3, PW_MAPPING, 0, 8),
		.cgroup_rsvd = FIELD(3, PW_INDEX, 0, 8),
		.hwpoison = FIELD(3, PW_PRIVATE, 0, 8),
		.hugetlb_page_type = true,
		.plain_mapping_from = 4,
		/* case 3: hugetlb's fields lie over page[3]'s mapping */
		.free_check_skip = TAILS(1, 2, 3),
		.free_check_all_counts = true,
	},
};

/*
 * The offset of word @w in this machine's struct page, or
 * PAGE_FIELD_ABSENT: the member of struct page_layout that holds it.
 */
static unsigned
page_word_offset(const struct page_layout *l, enum page_word w)
{
	static const uint8_t member[] = {
		[PW_FLAGS] = offsetof(struct page_layout, flags),
		[PW_LRU] = offsetof(struct page_layout, lru),
		[PW_LRU_PREV] = offsetof(struct page_layout, lru_prev),
		[PW_MAPPING] = offsetof(struct page_layout, mapping),
		[PW_INDEX] = offsetof(struct page_layout, index),
		[PW_PRIVATE] = offsetof(struct page_layout, private_),
	};
	unsigned off;

	memcpy(&off, (const char *)l + member[w], sizeof(off));
	return off;
}

static void
folio_field_resolve(const struct page_layout *l, struct folio_field *f)
{
	unsigned word;

	if (!f->size)
		return;
	word = page_word_offset(l, (enum page_word)f->word);
	if (word == PAGE_FIELD_ABSENT) {
		f->size = 0;
		return;
	}
	f->at = (uint16_t)(f->page * l->size + word + f->off);
}

void
folio_layout_resolve(struct hvo_machine *m, enum release_folio_layout id)
{
	const struct page_layout *l = page_layout(m);
	struct folio_layout *fl = &m->folio_layout;
	struct folio_field *fields[] = {
		&fl->order, &fl->dtor, &fl->large_mapcount,
		&fl->entire_mapcount, &fl->nr_pages_mapped, &fl->pincount,
		&fl->nr_pages, &fl->deferred_list, &fl->deferred_list_prev,
		&fl->subpool, &fl->cgroup, &fl->cgroup_rsvd, &fl->hwpoison,
	};

	*fl = layouts[(unsigned)id < ARRAY_SIZE(layouts) ? id : 0];
	/* The list's second word (prev): the struct page word after its first. */
	fl->deferred_list_prev = fl->deferred_list;
	fl->deferred_list_prev.word++;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		folio_field_resolve(l, fields[i]);
}

uint64_t
folio_field_get(struct hvo_machine *m, page_t head, const struct folio_field *f)
{
	kva_t va;

	if (!folio_field_present(m, f))
		return 0;
	va = folio_field_va(m, head, f);
	switch (f->size) {
	case 8:
		return page_load64(m, va, 0);
	case 4:
		return page_load32(m, va, 0);
	default:
		/* A byte: from the aligned 32 bits around it. */
		return (page_load32(m, va & ~(kva_t)3, 0) >> (8 * (va & 3))) & 0xff;
	}
}

void
folio_field_set_byte(struct hvo_machine *m, kva_t va, uint64_t v)
{
	unsigned shift = 8 * (unsigned)(va & 3);
	uint32_t w = page_load32(m, va & ~(kva_t)3, 0);

	w = (w & ~(UINT32_C(0xff) << shift)) | ((uint32_t)(v & 0xff) << shift);
	page_store32(m, va & ~(kva_t)3, 0, w);
}

bool
folio_test_hugetlb(struct hvo_machine *m, page_t head)
{
	if (folio_layout(m)->hugetlb_page_type)
		return page_type_is(page_type(m, head), PGTY_hugetlb);
	return FOLIO_GET(m, head, dtor) == HUGETLB_PAGE_DTOR;
}

uint64_t
folio_deferred_list_prev(struct hvo_machine *m, page_t head)
{
	return FOLIO_GET(m, head, deferred_list_prev);
}

uint64_t
folio_tail_mapping(const struct hvo_machine *m, unsigned order)
{
	if (folio_layout(m)->gigantic_by_hand && order > m->arch.max_page_order)
		return 0;
	return TAIL_MAPPING;
}
