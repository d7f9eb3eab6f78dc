/* SPDX-License-Identifier: MIT */
/*
 * Compound pages: what a tail's compound_head (compound_info in the 2026
 * kernel) holds, the bytes of a plain tail, and compound_head() with the
 * fake-head fix-up classic HVO needs (include/linux/page-flags.h).
 */
#include <string.h>

#include "mm/compound.h"

/* What a tail's compound_head / compound_info holds for this head. */
uint64_t
compound_info(const struct hvo_machine *m, page_t head, unsigned order)
{
	if (compound_info_has_mask(m))
		return ~((UINT64_C(1) << (order + ilog2_u64(m->cfg.struct_page_size))) - 1) | 1;
	return head + 1;
}

/* The bytes of a plain tail struct page, written at @p (host memory). */
void
init_compound_tail(struct hvo_machine *m, uint8_t *p, unsigned order,
		   unsigned zone)
{
	const struct page_layout *l = page_layout(m);
	uint64_t flags = (uint64_t)zone << ZONES_PGSHIFT;
	uint64_t info = compound_info(m, 0, order);
	uint64_t tail_mapping = folio_tail_mapping(m, order);
	uint32_t type = PAGE_TYPE_NONE;

	memset(p, 0, l->size);
	memcpy(p + l->flags, &flags, 8);
	memcpy(p + l->lru, &info, 8);
	if (l->mapping != PAGE_FIELD_ABSENT)
		memcpy(p + l->mapping, &tail_mapping, 8);
	memcpy(p + l->page_type, &type, 4);
}

/*
 * compound_head(): a tail's head from its compound_info; any other page is
 * its own head. A fault reads as a page that is its own head (and is
 * recorded: machine_oops()).
 */
page_t
compound_head(struct hvo_machine *m, page_t page)
{
	uint64_t info = page_compound_info(m, page);

	if (info & 1)
		return compound_info_has_mask(m) ? page & (info & ~UINT64_C(1))
						 : info - 1;
	/*
	 * page_fixed_fake_head(): with classic HVO on, a page-aligned struct
	 * page in a remapped tail page reads the head's bytes, PG_head and
	 * all. Its page[1] tells the truth. As the kernel, the flags are
	 * loaded only for such a page, after the static key.
	 */
	if (m->hvo_fake_heads && is_pow2(m->cfg.struct_page_size) &&
	    !(page & (m->arch.page_size - 1)) &&
	    flag_test(m, page_flags(m, page), PG_head)) {
		uint64_t next = page_compound_info(m, page + page_layout(m)->size);

		if (next & 1)
			return next - 1;
	}
	return page;
}
