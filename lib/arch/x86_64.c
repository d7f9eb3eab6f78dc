/* SPDX-License-Identifier: MIT */
/*
 * x86-64: 4-level (PML4) and 5-level (LA57) paging with 4 KiB pages.
 *
 * Facts: doc/KERNEL-FACTS.md, "x86-64" (Intel SDM Vol. 3A ch. 4;
 * arch/x86/include/asm/pgtable_types.h, page_64_types.h, mm/tlb.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "base/util.h"

#define _PAGE_PRESENT	(UINT64_C(1) << 0)
#define _PAGE_RW	(UINT64_C(1) << 1)
#define _PAGE_USER	(UINT64_C(1) << 2)
#define _PAGE_PWT	(UINT64_C(1) << 3)
#define _PAGE_PCD	(UINT64_C(1) << 4)
#define _PAGE_ACCESSED	(UINT64_C(1) << 5)
#define _PAGE_DIRTY	(UINT64_C(1) << 6)
#define _PAGE_PSE	(UINT64_C(1) << 7) /* PS in PDE/PDPTE; PAT in a PTE */
#define _PAGE_PAT	(UINT64_C(1) << 7)
#define _PAGE_GLOBAL	(UINT64_C(1) << 8)
#define _PAGE_PAT_LARGE	(UINT64_C(1) << 12)
#define _PAGE_SAVED_DIRTY (UINT64_C(1) << 58) /* _PAGE_BIT_SOFTW5 */
#define _PAGE_NX	(UINT64_C(1) << 63)

/* Physical address bits of an entry (MAXPHYADDR taken as 52). */
#define PTE_PFN_MASK	UINT64_C(0x000ffffffffff000)

#define __PAGE_KERNEL	 (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
			  _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_NX)
#define __PAGE_KERNEL_RO (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | \
			  _PAGE_NX)
/* Until 6.6 (shadow stacks) the read-only kernel prot was also Dirty. */
#define __PAGE_KERNEL_RO_DIRTY (__PAGE_KERNEL_RO | _PAGE_DIRTY)
#define _KERNPG_TABLE	 (_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
			  _PAGE_DIRTY)

static void
x86_defaults(struct hvo_config *cfg)
{
	cfg->page_shift = 12;
	cfg->va_bits = 48;
}

static int
x86_parse_key(struct hvo_config *cfg, const char *key, const char *val,
	      char *err, size_t errlen)
{
	if (strcmp(key, "kpti") == 0)
		return errf(err, errlen, -EINVAL,
			    "x86_64: kpti=%s: only arm64 has the kpti key; libhvo's x86_64 models a CPU without PTI, whose kernel entries stay global",
			    val);
	if (strcmp(key, "levels") != 0)
		return 0;
	if (strcmp(val, "4") == 0)
		cfg->va_bits = 48;
	else if (strcmp(val, "5") == 0)
		cfg->va_bits = 57;
	else
		return errf(err, errlen, -EINVAL,
			    "x86_64: levels=%s: allowed values are 4 and 5",
			    val);
	return 1;
}

static int
x86_validate(struct hvo_config *cfg, const struct kernel_release *rel,
	     char *err, size_t errlen)
{
	(void)rel;
	if (cfg->page_shift != 12)
		return errf(err, errlen, -EINVAL,
			    "x86_64: page size %u: only 4K pages exist",
			    1u << (cfg->page_shift & 31));
	if (cfg->kpti != HVO_SWITCH_BUILD)
		return errf(err, errlen, -EINVAL,
			    "x86_64: kpti %d: only arm64 has the kpti key; leave it HVO_SWITCH_BUILD",
			    (int)cfg->kpti);
	if (cfg->va_bits == 48)
		cfg->levels = 4;
	else if (cfg->va_bits == 57)
		cfg->levels = 5;
	else
		return errf(err, errlen, -EINVAL,
			    "x86_64: va_bits %u: allowed are 48 (levels=4) and 57 (levels=5)",
			    cfg->va_bits);
	return 0;
}

static int
x86_format(const struct hvo_config *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->kpti != HVO_SWITCH_BUILD)
		return -EINVAL;
	/* From va_bits, the field the parser sets: levels is derived. */
	n = snprintf(buf, len, "levels=%u", cfg->va_bits == 57 ? 5 : 4);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static uint64_t
x86_mk_table(const struct hvo_arch *a, unsigned depth, uint64_t pa)
{
	(void)a;
	(void)depth;
	return (pa & PTE_PFN_MASK) | _KERNPG_TABLE;
}

/* pgprot_4k_2_large(): in a 2M/1G leaf, PAT moves from bit 7 to bit 12. */
static uint64_t
x86_mk_leaf(const struct hvo_arch *a, unsigned depth, uint64_t pa,
	    pgprot_t prot)
{
	if (a->level[depth].role == PT_PTE)
		return (pa & PTE_PFN_MASK) | prot;

	uint64_t large = prot & ~_PAGE_PAT;

	if (prot & _PAGE_PAT)
		large |= _PAGE_PAT_LARGE;
	return (pa & PTE_PFN_MASK & ~(arch_level_size(a, depth) - 1)) |
	       large | _PAGE_PSE;
}

static void
x86_decode(const struct hvo_arch *a, unsigned depth, uint64_t e,
	   struct pt_decoded *out)
{
	const struct arch_level *l = &a->level[depth];

	memset(out, 0, sizeof(*out));
	if (!(e & _PAGE_PRESENT)) {
		out->kind = PTK_NONE;
		return;
	}
	out->writable = e & _PAGE_RW;
	if (l->role == PT_PTE) {
		out->kind = PTK_LEAF;
		out->pa = e & PTE_PFN_MASK;
		out->prot = e & ~PTE_PFN_MASK;
		out->global = e & _PAGE_GLOBAL;
		return;
	}
	if (!(e & _PAGE_PSE)) {
		out->kind = PTK_TABLE;
		out->pa = e & PTE_PFN_MASK;
		return;
	}
	if (!l->leaf_ok) {
		out->kind = PTK_BAD;
		out->why = "PS is reserved (must be 0) at this level";
		return;
	}

	uint64_t size = arch_level_size(a, depth);
	/* Bits 12..shift-1 of a large leaf: bit 12 is PAT, the rest reserved. */
	uint64_t rsvd = e & (size - 1) & PTE_PFN_MASK & ~_PAGE_PAT_LARGE;

	if (rsvd) {
		out->kind = PTK_BAD;
		out->why = "reserved address bits set in a large leaf";
		return;
	}
	out->kind = PTK_LEAF;
	out->pa = e & PTE_PFN_MASK & ~(size - 1);
	out->prot = (e & ~PTE_PFN_MASK & ~_PAGE_PSE) |
		    ((e & _PAGE_PAT_LARGE) ? _PAGE_PAT : 0);
	out->global = e & _PAGE_GLOBAL;
}

static int
x86_describe_bits(const struct hvo_arch *a, unsigned depth, uint64_t e,
		  char *buf, size_t len)
{
	bool large = a->level[depth].role != PT_PTE && (e & _PAGE_PSE);
	bool pte = a->level[depth].role == PT_PTE;
	const struct bitname names[] = {
		{ _PAGE_PRESENT, "P" },
		{ _PAGE_RW, "RW" },
		{ _PAGE_USER, "US" },
		{ _PAGE_PWT, "PWT" },
		{ _PAGE_PCD, "PCD" },
		{ _PAGE_ACCESSED, "A" },
		{ _PAGE_DIRTY, "D" },
		{ _PAGE_PSE, pte ? "PAT" : "PS" },
		{ _PAGE_GLOBAL, "G" },
		{ large ? _PAGE_PAT_LARGE : 0, "PAT" },
		{ _PAGE_SAVED_DIRTY, "SavedDirty" },
		{ _PAGE_NX, "NX" },
	};

	return describe_bitnames(e, names, sizeof(names) / sizeof(names[0]),
				 buf, len);
}

static void
x86_init(struct hvo_arch *a, const struct hvo_config *cfg,
	 const struct kernel_release *rel)
{
	bool la57 = cfg->va_bits == 57;

	arch_set_levels(a, la57 ? 5 : 4, 512);
	for (unsigned d = 0; d < a->levels; d++) {
		enum pt_role r = a->level[d].role;

		/* 4K PTEs, 2M PDEs and 1G PDPTEs (GBPAGES). */
		a->level[d].leaf_ok = r == PT_PTE || r == PT_PMD || r == PT_PUD;
	}
	a->cont_ptes = 0;
	a->cont_pmds = 0;
	/* arch/x86 page_64_types.h / pgtable_64_types.h, un-randomized. */
	a->page_offset = la57 ? UINT64_C(0xff11000000000000)
			      : UINT64_C(0xffff888000000000);
	a->vmemmap_start = la57 ? UINT64_C(0xffd4000000000000)
				: UINT64_C(0xffffea0000000000);
	a->vmemmap_size = la57 ? UINT64_C(1) << 49 : UINT64_C(1) << 40;
	a->memstart_align = 0;
	a->kernel_va_start = -(UINT64_C(1) << (cfg->va_bits - 1));
	a->vmemmap_pmd_blocks = true;
	a->page_kernel = __PAGE_KERNEL;
	a->page_kernel_ro = release_get(rel, RP_X86_RO_DIRTY) ?
			    __PAGE_KERNEL_RO_DIRTY : __PAGE_KERNEL_RO;
	/*
	 * pte_wrprotect() clears RW; from 6.6 (the shadow-stack merge that
	 * also took Dirty out of __PAGE_KERNEL_RO) mksaveddirty_shift() then
	 * moves Dirty to SavedDirty, as Write=0,Dirty=1 is a shadow stack
	 * (L6.12 arch/x86/include/asm/pgtable.h:404-450, :1345-1359).
	 */
	a->page_kernel_wrprotect = release_get(rel, RP_X86_RO_DIRTY) ?
		__PAGE_KERNEL & ~_PAGE_RW :
		(__PAGE_KERNEL & ~(_PAGE_RW | _PAGE_DIRTY)) | _PAGE_SAVED_DIRTY;
	a->has_kernel_ro = true;
	/*
	 * vmemmap_set_pmd() (arch/x86/mm/init_64.c) writes PAGE_KERNEL_LARGE,
	 * which is __PAGE_KERNEL with PSE: mk_leaf() adds PSE.
	 */
	a->sect_normal = __PAGE_KERNEL;
	a->kpti = false;
	a->tlb_flush_ceiling = 33; /* tlb_single_page_flush_ceiling */
	a->max_page_order = 10;
	a->pageblock_order = 9;
	a->section_size_bits = 27;
	a->max_physmem_bits = la57 ? 52 : 46;
	/* The first MiB (BIOS, real-mode trampolines); the image at 16M
	 * (CONFIG_PHYSICAL_START). */
	a->firmware_reserve = UINT64_C(1) << 20;
	a->kernel_offset = UINT64_C(16) << 20;
	a->needs_bbm = false;
	/* X86_PAT (default y) selects ARCH_USES_PG_UNCACHED up to 6.11. */
	a->pg_uncached = true;
	/* ZONE_DMA below 16M (ISA), ZONE_DMA32 below 4G. */
	/* PMD_SIZE, and PUD_SIZE with GBPAGES. */
	a->nr_hugetlb_sizes = 2;
	a->hugetlb_size[0] = UINT64_C(2) << 20;
	a->hugetlb_size[1] = UINT64_C(1) << 30;
	a->zone_dma_limit = UINT64_C(16) << 20;
	a->zone_dma32_limit = UINT64_C(4) << 30;
	a->swiotlb_limit = UINT64_C(4) << 30;
	/*
	 * VMALLOC_SIZE_TB_L4 or _L5 terabytes, less the byte VMALLOC_END
	 * leaves out (arch/x86/include/asm/pgtable_64_types.h, 6.12).
	 */
	a->vmalloc_total = ((la57 ? UINT64_C(12800) : UINT64_C(32)) << 40) - 1;
	a->direct_map_report = true;
	/* Debian's 6.12 amd64 config (config.amd64_none_amd64). */
	a->cfg_cma = false;
	a->cfg_unaccepted_memory = true;
	a->cfg_zone_device = true;
	a->cfg_iommu = true;
	a->cfg_thp_pud = true; /* arch/x86/Kconfig, 6.12 */
	a->ops.mk_table = x86_mk_table;
	a->ops.mk_leaf = x86_mk_leaf;
	a->ops.decode = x86_decode;
	a->ops.describe_bits = x86_describe_bits;
	a->ops.bbm_change_safe = NULL;
	/* pte_pfn(), x86_mk_leaf() and x86_decode() at the PTE level, inline. */
	a->pte_pa_mask = PTE_PFN_MASK;
	a->pte_present = _PAGE_PRESENT;
	a->pte_write = _PAGE_RW;
	a->pte_global = _PAGE_GLOBAL;
}

const struct arch_family arch_x86_64 = {
	.id = HVO_ARCH_X86_64,
	.name = "x86_64",
	.default_ram_base = 0,
	.defaults = x86_defaults,
	.parse_key = x86_parse_key,
	.keys_help = "levels=4|5",
	.validate = x86_validate,
	.format = x86_format,
	.init = x86_init,
};
