/* SPDX-License-Identifier: MIT */
/*
 * Page-table pages for the kernel page table. mmu asks for them through
 * core's hook (struct machine_hooks); boot points the hook here.
 */
#include <errno.h>
#include <string.h>

#include "mem/buddy.h"

/*
 * pte_alloc_one_kernel() and friends: from memblock during boot, from the
 * buddy allocator after it. Page tables are cleared through the physical
 * address, as the kernel clears them through the direct map.
 */
int
pagetable_alloc_page(struct hvo_machine *m, uint64_t *pa)
{
	const struct hvo_arch *a = &m->arch;
	uint64_t pfn;
	int rc;

	if (m->buddy_up) {
		/* GFP_PGTABLE_KERNEL, GFP_KERNEL: unmovable. */
		rc = alloc_pages(m, 0, ZONE_NORMAL, HVO_PAGES_PAGETABLE, &pfn);
		if (rc)
			return rc;
		*pa = pfn << a->page_shift;
	} else {
		rc = memblock_phys_alloc(&m->memblock, a->page_size,
					 a->page_size, 0, pa);
		if (rc)
			return machine_err(m, -ENOMEM,
					   "out of memory for a page-table page");
		pfn = *pa >> a->page_shift;
		page_owner_alloc(&m->owner, pfn, 0, HVO_PAGES_PAGETABLE);
	}
	/* clear_page(): a table nobody wrote yet stays without host memory. */
	phys_clear_frame(&m->phys, *pa >> a->page_shift);
	count(m, CNT_PT_TABLE_ALLOC);
	return 0;
}

