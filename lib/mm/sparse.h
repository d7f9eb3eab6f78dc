/* SPDX-License-Identifier: MIT */
/*
 * The sparse vmemmap: struct pages at vmemmap_base + pfn * struct_page_size,
 * mapped per memory section, as mm/sparse-vmemmap.c does.
 */
#ifndef HVO_SPARSE_H
#define HVO_SPARSE_H

#include <stdint.h>

#include "core/machine.h"

/* pfn_to_page() and page_to_pfn(): pure arithmetic on the vmemmap. */
static inline page_t
pfn_to_page(const struct hvo_machine *m, pfn_t pfn)
{
	return m->vmemmap_base + pfn * m->cfg.struct_page_size;
}

static inline pfn_t
page_to_pfn(const struct hvo_machine *m, page_t page)
{
	return page_layout_div(&m->page_layout, page - m->vmemmap_base);
}

static inline uint64_t
pages_per_section(const struct hvo_machine *m)
{
	return UINT64_C(1) << (m->arch.section_size_bits - m->arch.page_shift);
}

/*
 * Place the vmemmap (vmemmap_base, the pfns with a struct page) and settle
 * the compound_info encoding it allows.
 */
int
vmemmap_base_init(struct hvo_machine *m);

/*
 * Populate the vmemmap of every section that holds RAM: PMD blocks where
 * the arch's kernel uses them (falling back to pages when no block can be
 * had), base pages elsewhere. Memory comes from memblock.
 */
int
sparse_init(struct hvo_machine *m);

/*
 * vmemmap_populate_hvo(): map [start, end) of the vmemmap HVO-style, with
 * base pages: the first @headsize bytes get pages of their own from
 * memblock; every later page maps @tail_pfn, or, with VMEMMAP_TAIL_LAST,
 * the last of those head pages (6.15's mirrors). Read-write, as the
 * kernel maps them until vmemmap_wrprotect_hvo(). *@head_pfn: the first
 * head page.
 */
#define VMEMMAP_TAIL_LAST UINT64_MAX
int
vmemmap_populate_hvo(struct hvo_machine *m, kva_t start, kva_t end,
		     uint64_t headsize, uint64_t tail_pfn, uint64_t *head_pfn);

/*
 * vmemmap_alloc_block_zero(): one zeroed vmemmap page from memblock (the
 * shared tail of 7.1's pre-HVO).
 */
int
vmemmap_alloc_page(struct hvo_machine *m, uint64_t *pfn);

/*
 * vmemmap_wrprotect_hvo(): write-protect the mirrors, [start + headsize,
 * end). No flush: the caller owes it.
 */
int
vmemmap_wrprotect_hvo(struct hvo_machine *m, kva_t start, kva_t end,
		      uint64_t headsize);

/* The VA span [start, end) of the struct pages of the section of @pfn. */
void
section_memmap_span(const struct hvo_machine *m, pfn_t pfn, kva_t *start,
		    kva_t *end);

#endif /* HVO_SPARSE_H */
