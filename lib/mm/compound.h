/* SPDX-License-Identifier: MIT */
/*
 * Compound pages: the head/tail encoding and compound_head().
 */
#ifndef HVO_COMPOUND_H
#define HVO_COMPOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/folio.h"

/*
 * Does the 2026 kernel encode compound_info as a mask on this machine?
 * Inline: hugetlb_vmemmap_optimizable() asks twice an optimize.
 */
static inline bool
compound_info_has_mask(const struct hvo_machine *m)
{
	return m->compound_mask;
}

/* What a tail's compound_head / compound_info holds for this head. */
uint64_t
compound_info(const struct hvo_machine *m, page_t head, unsigned order);

/*
 * A plain tail struct page of a compound page of @order, at host memory @p:
 * prep_compound_tail()'s, or, for a gigantic page a release builds by
 * hand, without TAIL_MAPPING (folio_tail_mapping()).
 */
void
init_compound_tail(struct hvo_machine *m, uint8_t *p, unsigned order,
		   unsigned zone);

/* compound_head() for any struct page address, with the variant's rules. */
page_t
compound_head(struct hvo_machine *m, page_t page);

#endif /* HVO_COMPOUND_H */
