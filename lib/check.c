/* SPDX-License-Identifier: MIT */
/*
 * hvo_machine_check(): the invariants, each a small walker with a named
 * failure, so a broken machine says which rule broke and where.
 */
#include <errno.h>
#include <inttypes.h>

#include "mm/sparse.h"
#include "mmu/mmu.h"

#define FAIL(m, ...) machine_err((m), -EUCLEAN, __VA_ARGS__)

/* Rule "accounting": the owner map agrees with its counts and with RAM. */
static int
check_accounting(struct hvo_machine *m)
{
	uint64_t seen[HVO_PAGES__COUNT] = { 0 }, sum = 0;
	const struct phys *p = &m->phys;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = pfn + (p->range[i].size >> p->page_shift);

		for (; pfn < end; pfn++) {
			enum hvo_page_category c = page_owner_get(&m->owner, pfn);

			if ((unsigned)c >= HVO_PAGES__COUNT)
				return FAIL(m, "accounting: pfn 0x%" PRIx64 " has no valid category (%u)",
					    pfn, (unsigned)c);
			seen[c]++;
		}
	}
	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++) {
		if (seen[c] != m->owner.count[c])
			return FAIL(m, "accounting: %" PRIu64 " frames are %s but the count says %" PRIu64,
				    seen[c], hvo_page_category_name(c),
				    m->owner.count[c]);
		sum += seen[c];
	}
	if (sum != p->total_pages)
		return FAIL(m, "accounting: categories sum to %" PRIu64 ", RAM has %" PRIu64 " pages",
			    sum, p->total_pages);
	return 0;
}

struct free_walk {
	struct hvo_machine *m;
	uint64_t pages;
	int rc;
};

static int
check_free_range(void *ctx, uint64_t base, uint64_t size)
{
	struct free_walk *fw = ctx;
	struct hvo_machine *m = fw->m;
	uint64_t pfn = base >> m->arch.page_shift;
	uint64_t n = size >> m->arch.page_shift;

	for (uint64_t i = 0; i < n; i++) {
		enum hvo_page_category c = page_owner_get(&m->owner, pfn + i);

		if (c != HVO_PAGES_FREE) {
			fw->rc = FAIL(m, "memblock: pfn 0x%" PRIx64 " is free in memblock but %s",
				      pfn + i, hvo_page_category_name(c));
			return 1;
		}
	}
	fw->pages += n;
	return 0;
}

/* Rule "memblock": free in memblock exactly when free in the owner map. */
static int
check_memblock(struct hvo_machine *m)
{
	struct free_walk fw = { .m = m };

	memblock_for_each_free(&m->memblock, check_free_range, &fw);
	if (fw.rc)
		return fw.rc;
	if (fw.pages != m->owner.count[HVO_PAGES_FREE])
		return FAIL(m, "memblock: %" PRIu64 " pages free in memblock, %" PRIu64 " counted free",
			    fw.pages, m->owner.count[HVO_PAGES_FREE]);
	return 0;
}

struct table_walk {
	uint64_t tables;
};

/* Rule "pagetable": tables are page-table frames, reached once, well formed. */
static int
check_table(struct hvo_machine *m, struct table_walk *tw, unsigned depth,
	    uint64_t table_pa, uint64_t va_base)
{
	const struct hvo_arch *a = &m->arch;
	const uint64_t *e = phys_to_host(&m->phys, table_pa);
	uint64_t pfn = table_pa >> a->page_shift;

	if (!phys_is_ram(&m->phys, table_pa, a->page_size))
		return FAIL(m, "pagetable: %s table at pa 0x%" PRIx64 " is not RAM",
			    a->level[depth].name, table_pa);
	if (page_owner_get(&m->owner, pfn) != HVO_PAGES_PAGETABLE)
		return FAIL(m, "pagetable: %s table at pa 0x%" PRIx64 " is in a %s frame",
			    a->level[depth].name, table_pa,
			    hvo_page_category_name(page_owner_get(&m->owner, pfn)));
	tw->tables++;
	for (unsigned i = 0; i < a->level[depth].entries; i++) {
		uint64_t va = va_base + ((uint64_t)i << a->level[depth].shift);
		struct pt_decoded d;

		if (depth == 0) {
			va = arch_kernel_va(a, va);
			if (!arch_va_is_kernel(a, va))
				continue; /* the user half: not ours */
		}
		a->ops.decode(a, depth, e[i], &d);
		switch (d.kind) {
		case PTK_NONE:
			break;
		case PTK_BAD:
			return FAIL(m, "pagetable: malformed %s entry 0x%016" PRIx64 " for va 0x%" PRIx64 ": %s",
				    a->level[depth].name, e[i], va, d.why);
		case PTK_TABLE: {
			int rc;

			if (depth + 1 >= a->levels)
				return FAIL(m, "pagetable: table entry at the last level for va 0x%" PRIx64,
					    va);
			rc = check_table(m, tw, depth + 1, d.pa, va);
			if (rc)
				return rc;
			break;
		}
		case PTK_LEAF:
			if (!phys_is_ram(&m->phys, d.pa, arch_level_size(a, depth)))
				return FAIL(m, "pagetable: %s leaf for va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", not RAM",
					    a->level[depth].name, va, d.pa);
			break;
		}
	}
	return 0;
}

/* Rule "vmemmap": the struct pages of every section with RAM are mapped. */
static int
check_vmemmap(struct hvo_machine *m)
{
	const struct hvo_arch *a = &m->arch;
	const struct phys *p = &m->phys;

	for (unsigned i = 0; i < p->nr_ranges; i++) {
		uint64_t pfn = p->range[i].base >> p->page_shift;
		uint64_t end = pfn + (p->range[i].size >> p->page_shift);

		for (pfn = round_down64(pfn, pages_per_section(m)); pfn < end;
		     pfn += pages_per_section(m)) {
			uint64_t s, e;

			section_memmap_span(m, pfn, &s, &e);
			for (uint64_t va = s; va < e; va += a->page_size) {
				uint64_t pa;
				bool w;

				if (pt_lookup(m, va, &pa, &w))
					return FAIL(m, "vmemmap: struct pages at va 0x%" PRIx64 " (section of pfn 0x%" PRIx64 ") are not mapped",
						    va, pfn);
				if (page_owner_get(&m->owner, pa >> a->page_shift) !=
				    HVO_PAGES_VMEMMAP)
					return FAIL(m, "vmemmap: va 0x%" PRIx64 " maps pa 0x%" PRIx64 ", which is not a vmemmap frame",
						    va, pa);
			}
		}
	}
	return 0;
}

HVO_EXPORT int
hvo_machine_check(struct hvo_machine *m)
{
	struct table_walk tw = { 0 };
	int rc;

	if (!m)
		return -EINVAL;
	rc = check_accounting(m);
	if (!rc)
		rc = check_memblock(m);
	if (!rc)
		rc = check_table(m, &tw, 0, m->pgd_pa, 0);
	if (!rc && tw.tables != m->owner.count[HVO_PAGES_PAGETABLE])
		rc = FAIL(m, "pagetable: %" PRIu64 " tables reachable, %" PRIu64 " frames counted as page tables",
			  tw.tables, m->owner.count[HVO_PAGES_PAGETABLE]);
	if (!rc)
		rc = check_vmemmap(m);
	if (!rc)
		rc = tlb_check_stale(m);
	if (!rc)
		m->error[0] = '\0';
	return rc;
}
