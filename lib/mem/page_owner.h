/* SPDX-License-Identifier: MIT */
/*
 * page_owner: what each frame is used for, as the kernel's page_owner debug
 * feature records it beside the memmap. It lives in host memory, outside the
 * simulated machine, and exists so the checker can prove that every frame is
 * accounted for exactly once.
 */
#ifndef HVO_PAGE_OWNER_H
#define HVO_PAGE_OWNER_H

#include <stdint.h>

#include "hvo/hvo.h"

struct page_owner {
	uint8_t *cat;        /* one byte per pfn in [base_pfn, base_pfn + nr) */
	uint64_t base_pfn;
	uint64_t nr;
	uint64_t count[HVO_PAGES__COUNT];
};

/* Every RAM frame starts free; holes are never counted. */
int
page_owner_init(struct page_owner *po, uint64_t base_pfn, uint64_t nr,
		uint64_t ram_pages);

void
page_owner_fini(struct page_owner *po);

static inline enum hvo_page_category
page_owner_get(const struct page_owner *po, uint64_t pfn)
{
	return (enum hvo_page_category)po->cat[pfn - po->base_pfn];
}

/* Move [pfn, pfn + n) to category c, keeping the counts. */
void
page_owner_set(struct page_owner *po, uint64_t pfn, uint64_t n,
	       enum hvo_page_category c);

#endif /* HVO_PAGE_OWNER_H */
