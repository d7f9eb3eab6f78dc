/* SPDX-License-Identifier: MIT */
/*
 * HVO's host-side shortcuts (vmemmap_host.h): what the simulation does to
 * save host memory and time; the kernel has no counterpart.
 */
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "hugetlb/vmemmap_host.h"

int
pfn_list_grow(struct pfn_list *l)
{
	size_t max = l->max ? l->max * 2 : 64;
	uint64_t *p = host_array_grow(l->pfn, l->max * sizeof(*p),
				      max * sizeof(*p));

	if (!p)
		return -ENOMEM;
	l->pfn = p;
	l->max = max;
	return 0;
}

void
__vmemmap_batch_list_get(struct hvo_machine *m, struct pfn_list *l,
			 uint64_t want)
{
	struct hugetlb *hg = m->hugetlb;

	*l = (struct pfn_list){ .pfn = hg->batch_pfns, .max = hg->batch_pfns_max };
	if (l->max < want) {
		uint64_t *p = host_array_grow(l->pfn, l->max * sizeof(*p),
					      want * sizeof(*p));

		if (p) {
			hg->batch_pfns = l->pfn = p;
			hg->batch_pfns_max = l->max = want;
		}
	}
}

void
vmemmap_copy_head(struct hvo_machine *m, uint64_t to, uint64_t from)
{
	phys_copy_frame(&m->phys, to, from, true);
	memmap_compact_copied(m, to, from, true);
}

bool
restore_plain_tails(struct hvo_machine *m, uint64_t dst, uint64_t src,
		    struct restore_tails *t)
{
	const struct page_layout *l = page_layout(m);
	uint64_t per = m->arch.page_size / l->size, n = t->nr_reset;
	uint64_t info = pfn_to_page(m, t->head_pfn) + 1;
	uint8_t *tpl = t->tail_tpl;

	if (per < 2 * n || m->arch.page_size % l->size)
		return false;
	/* Every page of the walk is rebuilt from the same head page. */
	if (t->plain_tails < 0) {
		const uint8_t *h = phys_to_host_ro(&m->phys,
						   src << m->arch.page_shift, NULL);

		init_compound_tail(m, tpl, t->order, pfn_zone(m, t->head_pfn));
		memcpy(tpl + l->lru, &info, 8);

		/*
		 * Tail n is plain, and each after it equals the one before:
		 * then the reset copies n of them over the first n too.
		 */
		t->plain_tails =
			memcmp(h + n * l->size, tpl, l->size) == 0 &&
			memcmp(h + (n + 1) * l->size, h + n * l->size,
			       (per - n - 1) * l->size) == 0;
		t->tail_tid = memmap_tpl_id(m, tpl, TPL_HEAD);
	}
	if (!t->plain_tails)
		return false;
	memmap_fill_frame_id(m, dst, tpl, TPL_HEAD, t->head_pfn, t->tail_tid);
	return true;
}
