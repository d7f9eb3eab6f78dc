/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "page_owner.h"

int
page_owner_init(struct page_owner *po, uint64_t base_pfn, uint64_t nr,
		uint64_t ram_pages)
{
	void *p;

	memset(po, 0, sizeof(*po));
	/* Lazily backed like the frames: a large machine costs little. */
	p = mmap(NULL, nr, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	po->cat = p;
	po->base_pfn = base_pfn;
	po->nr = nr;
	po->count[HVO_PAGES_FREE] = ram_pages;
	return 0;
}

void
page_owner_fini(struct page_owner *po)
{
	if (po->cat)
		munmap(po->cat, po->nr);
	po->cat = NULL;
}

void
page_owner_set(struct page_owner *po, uint64_t pfn, uint64_t n,
	       enum hvo_page_category c)
{
	uint8_t *p = &po->cat[pfn - po->base_pfn];

	for (uint64_t i = 0; i < n; i++) {
		po->count[p[i]]--;
		p[i] = (uint8_t)c;
	}
	po->count[c] += n;
}
