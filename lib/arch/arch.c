/* SPDX-License-Identifier: MIT */
/*
 * The table of architectures and the helpers their descriptors share.
 */
#include <string.h>

#include "arch/arch.h"

static const struct arch_family *const families[] = {
	&arch_x86_64,
	&arch_arm64,
	&arch_riscv64,
};

const struct arch_family *
arch_family_by_id(enum hvo_arch_id id)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (families[i]->id == id)
			return families[i];
	return NULL;
}

const struct arch_family *
arch_family_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i]->name, name) == 0)
			return families[i];
	return NULL;
}

void
arch_init(struct hvo_arch *a, const struct hvo_config *cfg,
	  const struct kernel_release *r)
{
	const struct arch_family *f = arch_family_by_id(cfg->arch);

	memset(a, 0, sizeof(*a));
	a->id = cfg->arch;
	a->name = f->name;
	a->page_shift = cfg->page_shift;
	a->page_size = UINT64_C(1) << cfg->page_shift;
	a->va_bits = cfg->va_bits;
	a->default_ram_base = f->default_ram_base;
	/*
	 * x86 and arm64 select ARCH_SUPPORTS_MEMORY_FAILURE and Debian
	 * turns MEMORY_FAILURE on; an arch without it says so in its init.
	 */
	a->memory_failure = true;
	a->ops.pte_pa = arch_pte_pa_decoded;
	f->init(a, cfg, r);
	/* The limits are page-aligned: pa < limit is pfn < limit's pfn. */
	a->zone_dma_pfn = a->zone_dma_limit >> a->page_shift;
	a->zone_dma32_pfn = a->zone_dma32_limit >> a->page_shift;
}

/*
 * Fill the level geometry for a table of @levels levels, each resolving
 * page_shift - 3 bits (8-byte entries in a page-sized table), except the top,
 * which resolves what is left of va_bits and may therefore be short.
 */
void
arch_set_levels(struct hvo_arch *a, unsigned levels, unsigned top_entries)
{
	static const char *const role_name[PT_NR_ROLES] = {
		"pte", "pmd", "pud", "p4d", "pgd",
	};
	unsigned bits = a->page_shift - 3;

	a->levels = levels;
	for (unsigned d = 0; d < levels; d++) {
		unsigned role = levels - 1 - d;
		struct arch_level *l = &a->level[d];

		l->role = (enum pt_role)role;
		l->shift = a->page_shift + bits * role;
		l->entries = d == 0 ? top_entries : 1u << bits;
		l->name = d == 0 ? "pgd" : role_name[role];
		l->stat = d == 0 ? PT_NR_ROLES - 1 : role;
	}
}

int
arch_depth_of_role(const struct hvo_arch *a, enum pt_role role)
{
	for (unsigned d = 0; d < a->levels; d++)
		if (a->level[d].role == role)
			return (int)d;
	return -1;
}

uint64_t
arch_pte_pa_decoded(const struct hvo_arch *a, uint64_t e)
{
	struct pt_decoded d;

	a->ops.decode(a, (unsigned)arch_depth_of_role(a, PT_PTE), e, &d);
	return d.pa;
}

/* order_base_2(sizeof(struct page)), as STRUCT_PAGE_MAX_SHIFT. */
unsigned
struct_page_max_shift(unsigned struct_page_size)
{
	unsigned shift = 0;

	while ((1u << shift) < struct_page_size)
		shift++;
	return shift;
}
