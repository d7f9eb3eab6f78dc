/* SPDX-License-Identifier: MIT */
/*
 * riscv64: Sv39, Sv48 and Sv57 with 4 KiB pages.
 *
 * Facts: doc/KERNEL-FACTS.md, "riscv64" (arch/riscv/include/asm/
 * pgtable-bits.h, pgtable-64.h, pgtable.h, page.h; arch/riscv/mm/init.c,
 * tlbflush.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "base/util.h"

#define _PAGE_PRESENT	(UINT64_C(1) << 0)
#define _PAGE_READ	(UINT64_C(1) << 1)
#define _PAGE_WRITE	(UINT64_C(1) << 2)
#define _PAGE_EXEC	(UINT64_C(1) << 3)
#define _PAGE_USER	(UINT64_C(1) << 4)
#define _PAGE_GLOBAL	(UINT64_C(1) << 5)
#define _PAGE_ACCESSED	(UINT64_C(1) << 6)
#define _PAGE_DIRTY	(UINT64_C(1) << 7)
#define _PAGE_SPECIAL	(UINT64_C(1) << 8)
#define _PAGE_DEVMAP	(UINT64_C(1) << 9)
#define _PAGE_PFN_SHIFT	10
#define _PAGE_PFN_MASK	(((UINT64_C(1) << 44) - 1) << _PAGE_PFN_SHIFT)
#define _PAGE_RSVD	(((UINT64_C(1) << 7) - 1) << 54) /* bits 60:54 */
#define _PAGE_PBMT_NC	(UINT64_C(1) << 61)
#define _PAGE_PBMT_IO	(UINT64_C(1) << 62)
#define _PAGE_NAPOT	(UINT64_C(1) << 63)
#define _PAGE_TABLE	_PAGE_PRESENT
#define _PAGE_LEAF	(_PAGE_READ | _PAGE_WRITE | _PAGE_EXEC)

#define PAGE_KERNEL	(_PAGE_READ | _PAGE_WRITE | _PAGE_PRESENT | \
			 _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL)

static void
riscv_defaults(struct hvo_config *cfg)
{
	cfg->page_shift = 12;
	cfg->va_bits = 48;
}

static int
riscv_parse_key(struct hvo_config *cfg, const char *key, const char *val,
		char *err, size_t errlen)
{
	if (strcmp(key, "kpti") == 0)
		return errf(err, errlen, -EINVAL,
			    "riscv64: kpti=%s: only arm64 has the kpti key; riscv64 has no kernel page-table isolation",
			    val);
	if (strcmp(key, "va") != 0)
		return 0;
	int v = parse_small_uint(val, 64);

	if (v != 39 && v != 48 && v != 57)
		return errf(err, errlen, -EINVAL,
			    "riscv64: va=%s: allowed values are 39 (Sv39), 48 (Sv48) and 57 (Sv57)",
			    val);
	cfg->va_bits = (unsigned)v;
	return 1;
}

static int
riscv_validate(struct hvo_config *cfg, const struct kernel_release *rel,
	       char *err, size_t errlen)
{
	(void)rel;
	if (cfg->page_shift != 12)
		return errf(err, errlen, -EINVAL,
			    "riscv64: page_shift %u: only 4K pages exist",
			    cfg->page_shift);
	if (cfg->kpti != HVO_SWITCH_BUILD)
		return errf(err, errlen, -EINVAL,
			    "riscv64: kpti %d: only arm64 has the kpti key; leave it HVO_SWITCH_BUILD",
			    (int)cfg->kpti);
	switch (cfg->va_bits) {
	case 39: cfg->levels = 3; break;
	case 48: cfg->levels = 4; break;
	case 57: cfg->levels = 5; break;
	default:
		return errf(err, errlen, -EINVAL,
			    "riscv64: va_bits %u: allowed are 39, 48 and 57",
			    cfg->va_bits);
	}
	return 0;
}

static int
riscv_format(const struct hvo_config *cfg, char *buf, size_t len)
{
	int n;

	if (cfg->kpti != HVO_SWITCH_BUILD)
		return -EINVAL;
	n = snprintf(buf, len, "va=%u", cfg->va_bits);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static uint64_t
pa_to_ppn_bits(uint64_t pa)
{
	return ((pa >> 12) << _PAGE_PFN_SHIFT) & _PAGE_PFN_MASK;
}

/* A pfn is stored as pfn << 10; a non-leaf has V=1 and R=W=X=0. */
static uint64_t
riscv_mk_table(const struct hvo_arch *a, unsigned depth, uint64_t pa)
{
	(void)a;
	(void)depth;
	return pa_to_ppn_bits(pa) | _PAGE_TABLE;
}

static uint64_t
riscv_mk_leaf(const struct hvo_arch *a, unsigned depth, uint64_t pa,
	      pgprot_t prot)
{
	return pa_to_ppn_bits(pa & ~(arch_level_size(a, depth) - 1)) | prot;
}

static void
riscv_decode(const struct hvo_arch *a, unsigned depth, uint64_t e,
	     struct pt_decoded *out)
{
	uint64_t size = arch_level_size(a, depth);
	uint64_t pa = ((e & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT) << 12;

	memset(out, 0, sizeof(*out));
	if (!(e & _PAGE_PRESENT)) {
		out->kind = PTK_NONE;
		return;
	}
	if ((e & _PAGE_WRITE) && !(e & _PAGE_READ)) {
		out->kind = PTK_BAD;
		out->why = "W=1 with R=0 is reserved";
		return;
	}
	if (e & _PAGE_RSVD) {
		out->kind = PTK_BAD;
		out->why = "reserved bits 60:54 are set";
		return;
	}
	if (!(e & _PAGE_LEAF)) {
		if (e & (_PAGE_NAPOT | _PAGE_PBMT_NC | _PAGE_PBMT_IO |
			 _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)) {
			out->kind = PTK_BAD;
			out->why = "N, PBMT, U, A and D must be 0 in a non-leaf";
			return;
		}
		out->kind = PTK_TABLE;
		out->pa = pa;
		return;
	}
	if (e & _PAGE_NAPOT) {
		/* Svnapot: only 64K (order 4) at the PTE level, ppn[3:0]=1000. */
		if (a->level[depth].role != PT_PTE ||
		    ((e >> _PAGE_PFN_SHIFT) & 0xf) != 0x8) {
			out->kind = PTK_BAD;
			out->why = "NAPOT encoding other than 64K at the PTE level";
			return;
		}
		pa &= ~((UINT64_C(1) << 16) - 1);
	} else if (pa & (size - 1)) {
		out->kind = PTK_BAD;
		out->why = "misaligned superpage: low PPN bits must be 0";
		return;
	}
	out->kind = PTK_LEAF;
	out->pa = pa;
	out->prot = e & ~_PAGE_PFN_MASK;
	out->writable = e & _PAGE_WRITE;
	out->global = e & _PAGE_GLOBAL;
}

static int
riscv_describe_bits(const struct hvo_arch *a, unsigned depth, uint64_t e,
		    char *buf, size_t len)
{
	const struct bitname names[] = {
		{ _PAGE_PRESENT, "V" },
		{ _PAGE_READ, "R" },
		{ _PAGE_WRITE, "W" },
		{ _PAGE_EXEC, "X" },
		{ _PAGE_USER, "U" },
		{ _PAGE_GLOBAL, "G" },
		{ _PAGE_ACCESSED, "A" },
		{ _PAGE_DIRTY, "D" },
		{ _PAGE_SPECIAL, "SPECIAL" },
		{ _PAGE_DEVMAP, "DEVMAP" },
		{ _PAGE_PBMT_NC, "PBMT_NC" },
		{ _PAGE_PBMT_IO, "PBMT_IO" },
		{ _PAGE_NAPOT, "N" },
	};

	(void)a;
	(void)depth;
	return describe_bitnames(e, names, sizeof(names) / sizeof(names[0]),
				 buf, len);
}

static void
riscv_init(struct hvo_arch *a, const struct hvo_config *cfg,
	   const struct kernel_release *rel)
{
	unsigned levels = cfg->levels;
	uint64_t pgdir_size, vmalloc_start;

	arch_set_levels(a, levels, 512);
	/* A leaf may sit at any level (4K, 2M, 1G, 512G, 256T pages). */
	for (unsigned d = 0; d < levels; d++)
		a->level[d].leaf_ok = true;
	a->cont_ptes = 16; /* Svnapot 64K */
	a->cont_pmds = 0;
	/* arch/riscv/include/asm/page.h: PAGE_OFFSET_L3/L4/L5 */
	a->page_offset = levels == 3 ? UINT64_C(0xffffffd600000000) :
			 levels == 4 ? UINT64_C(0xffffaf8000000000) :
				       UINT64_C(0xff60000000000000);
	/* KERN_VIRT_SIZE = PTRS_PER_PGD / 2 * PGDIR_SIZE / 2; VMALLOC_SIZE is
	 * half of it, below PAGE_OFFSET; the vmemmap ends where vmalloc
	 * starts. */
	pgdir_size = arch_level_size(a, 0);
	vmalloc_start = a->page_offset - (256 * pgdir_size / 2) / 2;
	a->vmemmap_size = UINT64_C(1) << (cfg->va_bits - 12 - 1 +
				       struct_page_max_shift(cfg->struct_page_size));
	a->vmemmap_start = vmalloc_start - a->vmemmap_size;
	/* VMEMMAP_ADDR_ALIGN: a section; the largest folio from 7.1. */
	a->memstart_align = UINT64_C(1) << 27;
	a->vmemmap_folio_align = release_get(rel, RP_VMEMMAP_FOLIO_ALIGN);
	a->kernel_va_start = -(UINT64_C(1) << (cfg->va_bits - 1));
	a->vmemmap_pmd_blocks = true;
	a->page_kernel = PAGE_KERNEL;
	a->page_kernel_ro = PAGE_KERNEL; /* no PAGE_KERNEL_RO: generic fallback */
	/* pte_wrprotect() clears _PAGE_WRITE all the same. */
	a->page_kernel_wrprotect = PAGE_KERNEL & ~_PAGE_WRITE;
	a->has_kernel_ro = false;
	/* vmemmap_set_pmd() (arch/riscv/mm/init.c): pmd_set_huge() with
	 * PAGE_KERNEL, a leaf like any other. */
	a->sect_normal = PAGE_KERNEL;
	a->kpti = false;
	a->tlb_flush_ceiling = 64; /* tlb_flush_all_threshold */
	a->max_page_order = 10;
	a->pageblock_order = 9;
	a->section_size_bits = 27;
	a->max_physmem_bits = 56;
	/* OpenSBI holds the first 2M; the image follows it. */
	a->firmware_reserve = UINT64_C(2) << 20;
	a->kernel_offset = UINT64_C(2) << 20;
	a->needs_bbm = false;
	/* riscv selects no ARCH_SUPPORTS_MEMORY_FAILURE: no PG_hwpoison. */
	a->memory_failure = false;
	/* No ZONE_DMA; ZONE_DMA32 below 4G (dma32_phys_limit). */
	/* Svnapot 64K, PMD_SIZE and PUD_SIZE. */
	a->nr_hugetlb_sizes = 3;
	a->hugetlb_size[0] = UINT64_C(64) << 10;
	a->hugetlb_size[1] = UINT64_C(2) << 20;
	a->hugetlb_size[2] = UINT64_C(1) << 30;
	a->zone_dma_limit = 0;
	a->zone_dma32_limit = UINT64_C(4) << 30;
	a->swiotlb_limit = UINT64_C(4) << 30;
	/* VMALLOC_START to VMALLOC_END (PAGE_OFFSET): VMALLOC_SIZE. */
	a->vmalloc_total = a->page_offset - vmalloc_start;
	/* No Debian riscv64 config was read here: as arm64's, no CMA. */
	a->cfg_cma = false;
	a->cfg_unaccepted_memory = false;
	a->cfg_zone_device = true;
	a->cfg_iommu = true;
	a->cfg_thp_pud = false; /* not selected in 6.12 */
	a->ops.mk_table = riscv_mk_table;
	a->ops.mk_leaf = riscv_mk_leaf;
	a->ops.decode = riscv_decode;
	a->ops.describe_bits = riscv_describe_bits;
	a->ops.bbm_change_safe = NULL;
}

const struct arch_family arch_riscv64 = {
	.id = HVO_ARCH_RISCV64,
	.name = "riscv64",
	.default_ram_base = UINT64_C(0x80000000),
	.defaults = riscv_defaults,
	.parse_key = riscv_parse_key,
	.keys_help = "va=39|48|57",
	.validate = riscv_validate,
	.format = riscv_format,
	.init = riscv_init,
};
