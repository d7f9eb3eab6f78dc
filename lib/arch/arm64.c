/* SPDX-License-Identifier: MIT */
/*
 * arm64: VMSAv8-64 stage 1, 4K/16K/64K granules, 36- to 52-bit VA.
 *
 * Facts: doc/KERNEL-FACTS.md, "arm64" (Arm ARM D8;
 * arch/arm64/include/asm/pgtable-hwdef.h, pgtable-prot.h, memory.h,
 * pgalloc.h, tlbflush.h; arch/arm64/mm/mmu.c, init.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "base/util.h"

#define PTE_VALID	(UINT64_C(1) << 0)
#define PTE_TABLE_BIT	(UINT64_C(1) << 1)
#define PTE_TYPE_MASK	UINT64_C(3)
#define PTE_TYPE_PAGE	UINT64_C(3)
#define PMD_TYPE_TABLE	UINT64_C(3)
#define PMD_TYPE_SECT	UINT64_C(1)
#define PTE_ATTRINDX(t)	((uint64_t)(t) << 2)
#define PTE_ATTRINDX_MASK (UINT64_C(7) << 2)
#define PTE_USER	(UINT64_C(1) << 6)  /* AP[1] */
#define PTE_RDONLY	(UINT64_C(1) << 7)  /* AP[2] */
#define PTE_SHARED	(UINT64_C(3) << 8)  /* SH[1:0]; OA[51:50] with LPA2 */
#define PTE_AF		(UINT64_C(1) << 10)
#define PTE_NG		(UINT64_C(1) << 11)
#define PTE_NT		(UINT64_C(1) << 16) /* block only (FEAT_BBM) */
#define PTE_GP		(UINT64_C(1) << 50)
#define PTE_DBM		(UINT64_C(1) << 51)
#define PTE_WRITE	PTE_DBM
#define PTE_CONT	(UINT64_C(1) << 52)
#define PTE_PXN		(UINT64_C(1) << 53)
#define PTE_UXN		(UINT64_C(1) << 54)
#define PTE_DIRTY	(UINT64_C(1) << 55) /* software */
#define PTE_SPECIAL	(UINT64_C(1) << 56) /* software */
#define PTE_SWBITS_MASK	((UINT64_C(0xf) << 55) | (UINT64_C(1) << 63))
#define PMD_TABLE_UXN	(UINT64_C(1) << 60)

#define MT_NORMAL	 0
#define MT_NORMAL_TAGGED 1

/* Is this configuration using LPA2 (52-bit with 4K or 16K granules)? */
static bool
arm64_lpa2(const struct hvo_arch *a)
{
	return a->va_bits == 52 && a->page_shift != 16;
}

/* FEAT_LPA: 52-bit PA with the 64K granule, OA[51:48] in bits [15:12]. */
static bool
arm64_lpa64k(const struct hvo_arch *a)
{
	return a->va_bits == 52 && a->page_shift == 16;
}

static uint64_t
genmask(unsigned hi, unsigned lo)
{
	return (~UINT64_C(0) >> (63 - hi)) & ~((UINT64_C(1) << lo) - 1);
}

/* __phys_to_pte_val(): the OA field for a page, table or block. */
static uint64_t
phys_to_pte(const struct hvo_arch *a, uint64_t pa)
{
	if (arm64_lpa2(a))
		return (pa & genmask(49, a->page_shift)) |
		       (((pa >> 50) & 3) << 8);
	if (arm64_lpa64k(a))
		return (pa & genmask(47, 16)) | (((pa >> 48) & 0xf) << 12);
	return pa & genmask(47, a->page_shift);
}

/* The bits of an entry that hold the output address. */
static uint64_t
oa_bits(const struct hvo_arch *a)
{
	if (arm64_lpa2(a))
		return genmask(49, a->page_shift) | genmask(9, 8);
	if (arm64_lpa64k(a))
		return genmask(47, 16) | genmask(15, 12);
	return genmask(47, a->page_shift);
}

static uint64_t
pte_to_phys(const struct hvo_arch *a, uint64_t e)
{
	if (arm64_lpa2(a))
		return (e & genmask(49, a->page_shift)) |
		       (((e >> 8) & 3) << 50);
	if (arm64_lpa64k(a))
		return (e & genmask(47, 16)) | (((e >> 12) & 0xf) << 48);
	return e & genmask(47, a->page_shift);
}

static void
arm64_defaults(struct hvo_config *cfg)
{
	cfg->page_shift = 12;
	cfg->va_bits = 48;
}

static int
arm64_parse_key(struct hvo_config *cfg, const char *key, const char *val,
		char *err, size_t errlen)
{
	if (strcmp(key, "granule") == 0) {
		if (strcmp(val, "4K") == 0 || strcmp(val, "4k") == 0)
			cfg->page_shift = 12;
		else if (strcmp(val, "16K") == 0 || strcmp(val, "16k") == 0)
			cfg->page_shift = 14;
		else if (strcmp(val, "64K") == 0 || strcmp(val, "64k") == 0)
			cfg->page_shift = 16;
		else
			return errf(err, errlen, -EINVAL,
				    "arm64: granule=%s: allowed values are 4K, 16K and 64K",
				    val);
		return 1;
	}
	if (strcmp(key, "va") == 0) {
		int v = parse_small_uint(val, 64);

		if (v < 0)
			return errf(err, errlen, -EINVAL,
				    "arm64: va=%s: expected a number of bits (36, 39, 42, 47, 48 or 52)",
				    val);
		cfg->va_bits = (unsigned)v;
		return 1;
	}
	if (strcmp(key, "kpti") == 0) {
		/* The words the spec's other switches take. */
		if (!strcmp(val, "on") || !strcmp(val, "1") ||
		    !strcmp(val, "yes"))
			cfg->kpti = HVO_SWITCH_ON;
		else if (!strcmp(val, "off") || !strcmp(val, "0") ||
			 !strcmp(val, "no"))
			cfg->kpti = HVO_SWITCH_OFF;
		else
			return errf(err, errlen, -EINVAL,
				    "arm64: kpti=%s: allowed values are on and off",
				    val);
		return 1;
	}
	return 0;
}

/* The VA sizes arch/arm64/Kconfig offers for each granule. */
static const char *
arm64_va_allowed(unsigned page_shift)
{
	switch (page_shift) {
	case 12: return "39, 48, 52";
	case 14: return "36, 47, 48, 52";
	case 16: return "42, 48, 52";
	}
	return "";
}

static bool
arm64_va_ok(unsigned page_shift, unsigned va)
{
	switch (page_shift) {
	case 12: return va == 39 || va == 48 || va == 52;
	case 14: return va == 36 || va == 47 || va == 48 || va == 52;
	case 16: return va == 42 || va == 48 || va == 52;
	}
	return false;
}

static bool
arm64_granule_ok(unsigned page_shift)
{
	return page_shift == 12 || page_shift == 14 || page_shift == 16;
}

static int
arm64_validate(struct hvo_config *cfg, const struct kernel_release *rel,
	       char *err, size_t errlen)
{
	if (!arm64_granule_ok(cfg->page_shift))
		return errf(err, errlen, -EINVAL,
			    "arm64: page_shift %u: allowed granules are 4K (12), 16K (14) and 64K (16)",
			    cfg->page_shift);
	if (!arm64_va_ok(cfg->page_shift, cfg->va_bits))
		return errf(err, errlen, -EINVAL,
			    "arm64: va=%u is not offered with the %uK granule: allowed are %s",
			    cfg->va_bits, (1u << cfg->page_shift) >> 10,
			    arm64_va_allowed(cfg->page_shift));
	/* Before LPA2, 52-bit VA needs the 64K granule (FEAT_LPA). */
	if (cfg->va_bits == 52 && cfg->page_shift != 16 &&
	    !release_get(rel, RP_ARM64_LPA2))
		return errf(err, errlen, -EINVAL,
			    "arm64: va=52 with the %uK granule needs LPA2, which Linux %s does not have (it came in 6.9): use va=48, granule=64K, or kernel=6.9 or later",
			    (1u << cfg->page_shift) >> 10, rel->name);
	if ((unsigned)cfg->kpti > HVO_SWITCH_ON)
		return errf(err, errlen, -EINVAL,
			    "arm64: kpti %d: allowed are HVO_SWITCH_BUILD (the CPU's default), HVO_SWITCH_OFF and HVO_SWITCH_ON",
			    (int)cfg->kpti);
	/* ARM64_HW_PGTABLE_LEVELS(va_bits) */
	cfg->levels = (cfg->va_bits - 4) / (cfg->page_shift - 3);
	return 0;
}

static int
arm64_format(const struct hvo_config *cfg, char *buf, size_t len)
{
	int n;

	/* An unchecked configuration may hold any page_shift. */
	if (!arm64_granule_ok(cfg->page_shift) ||
	    (unsigned)cfg->kpti > HVO_SWITCH_ON)
		return -EINVAL;
	/* kpti= is spelled out only where it overrides the CPU's default. */
	n = snprintf(buf, len, "granule=%uK,va=%u%s",
		     (1u << cfg->page_shift) >> 10, cfg->va_bits,
		     cfg->kpti == HVO_SWITCH_ON ? ",kpti=on" :
		     cfg->kpti == HVO_SWITCH_OFF ? ",kpti=off" : "");

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

/* pmd_populate_kernel() and friends: PMD_TYPE_TABLE | PMD_TABLE_UXN. */
static uint64_t
arm64_mk_table(const struct hvo_arch *a, unsigned depth, uint64_t pa)
{
	(void)depth;
	return phys_to_pte(a, pa) | PMD_TYPE_TABLE | PMD_TABLE_UXN;
}

/* A page at level 3 keeps type 0b11; a block clears the table bit. */
static uint64_t
arm64_mk_leaf(const struct hvo_arch *a, unsigned depth, uint64_t pa,
	      pgprot_t prot)
{
	if (a->level[depth].role == PT_PTE)
		return phys_to_pte(a, pa) | prot;
	return phys_to_pte(a, pa & ~(arch_level_size(a, depth) - 1)) |
	       (prot & ~PTE_TABLE_BIT);
}

static void
arm64_decode(const struct hvo_arch *a, unsigned depth, uint64_t e,
	     struct pt_decoded *out)
{
	const struct arch_level *l = &a->level[depth];
	uint64_t type = e & PTE_TYPE_MASK;

	memset(out, 0, sizeof(*out));
	if (!(e & PTE_VALID)) {
		out->kind = PTK_NONE;
		return;
	}
	if (l->role == PT_PTE) {
		if (type != PTE_TYPE_PAGE) {
			out->kind = PTK_BAD;
			out->why = "descriptor type 0b01 is reserved at level 3";
			return;
		}
		out->kind = PTK_LEAF;
		out->pa = pte_to_phys(a, e);
	} else if (type == PMD_TYPE_TABLE) {
		out->kind = PTK_TABLE;
		out->pa = pte_to_phys(a, e);
		return;
	} else if (!l->leaf_ok) {
		out->kind = PTK_BAD;
		out->why = "a block descriptor is not allowed at this level";
		return;
	} else {
		uint64_t size = arch_level_size(a, depth);
		/* OA bits below the block size, and RES0 bits [shift-1:17]. */
		uint64_t low = e & oa_bits(a) & (size - 1) & genmask(47, 12);

		if (low & ~genmask(16, 12)) {
			out->kind = PTK_BAD;
			out->why = "RES0 bits set below the block's output address";
			return;
		}
		out->kind = PTK_LEAF;
		out->pa = pte_to_phys(a, e) & ~(size - 1);
	}
	out->prot = (e & ~oa_bits(a)) | PTE_TABLE_BIT;
	out->writable = !(e & PTE_RDONLY);
	out->global = !(e & PTE_NG);
}

static int
arm64_describe_bits(const struct hvo_arch *a, unsigned depth, uint64_t e,
		    char *buf, size_t len)
{
	bool leaf = a->level[depth].role == PT_PTE ||
		    (e & PTE_TYPE_MASK) == PMD_TYPE_SECT;
	char attr[16];

	if (!leaf) {
		const struct bitname tbl[] = {
			{ PTE_VALID, "V" },
			{ PTE_TABLE_BIT, "TABLE" },
			{ UINT64_C(1) << 59, "PXNTable" },
			{ UINT64_C(1) << 60, "UXNTable" },
			{ UINT64_C(3) << 61, "APTable" },
			{ UINT64_C(1) << 63, "NSTable" },
		};
		return describe_bitnames(e, tbl, sizeof(tbl) / sizeof(tbl[0]),
					 buf, len);
	}

	snprintf(attr, sizeof(attr), "AttrIndx=%u",
		 (unsigned)((e & PTE_ATTRINDX_MASK) >> 2));
	const struct bitname leafb[] = {
		{ PTE_VALID, "V" },
		{ PTE_TABLE_BIT, "PAGE" },
		{ PTE_USER, "USER" },
		{ PTE_RDONLY, "RDONLY" },
		{ arm64_lpa2(a) ? 0 : PTE_SHARED, "SH" },
		{ PTE_AF, "AF" },
		{ PTE_NG, "nG" },
		{ PTE_GP, "GP" },
		{ PTE_DBM, "DBM/WRITE" },
		{ PTE_CONT, "CONT" },
		{ PTE_PXN, "PXN" },
		{ PTE_UXN, "UXN" },
		{ PTE_DIRTY, "DIRTY" },
		{ PTE_SPECIAL, "SPECIAL" },
	};
	int rc = describe_bitnames(e, leafb, sizeof(leafb) / sizeof(leafb[0]),
				   buf, len);
	if (rc)
		return rc;
	size_t used = strlen(buf);
	int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", attr);

	return n < 0 || (size_t)n >= len - used ? -ENOSPC : 0;
}

/* pgattr_change_is_safe() of arch/arm64/mm/mmu.c, in our words. */
static bool
arm64_bbm_change_safe(const struct hvo_arch *a, unsigned depth, uint64_t old,
		      uint64_t new_entry)
{
	uint64_t mask = PTE_PXN | PTE_RDONLY | PTE_WRITE | PTE_NG |
			PTE_SWBITS_MASK;
	uint64_t oattr = old & PTE_ATTRINDX_MASK;
	uint64_t nattr = new_entry & PTE_ATTRINDX_MASK;

	(void)depth;
	if (!(old & PTE_VALID) || !(new_entry & PTE_VALID))
		return true;
	/* The output address of a live entry must not change. */
	if (pte_to_phys(a, old) != pte_to_phys(a, new_entry))
		return false;
	if ((old | new_entry) & PTE_CONT)
		return false;
	if (old & ~new_entry & PTE_NG)
		return false;
	if ((oattr == PTE_ATTRINDX(MT_NORMAL) ||
	     oattr == PTE_ATTRINDX(MT_NORMAL_TAGGED)) &&
	    (nattr == PTE_ATTRINDX(MT_NORMAL) ||
	     nattr == PTE_ATTRINDX(MT_NORMAL_TAGGED)))
		mask |= PTE_ATTRINDX_MASK;
	/* A table replaced by a block or back is a change of block size. */
	return ((old ^ new_entry) & ~mask) == 0;
}

/*
 * arm64_use_ng_mappings: whether the kernel runs unmapped at EL0. Left to
 * the CPU, the release decides: from 4.16 a seeded KASLR forces KPTI on
 * the Cortex-A57/A72 libhvo models, which has no E0PD (doc/KERNEL-FACTS.md,
 * "arm64", "KPTI and nG").
 */
static bool
arm64_kpti(const struct hvo_config *cfg, const struct kernel_release *rel)
{
	if (cfg->kpti == HVO_SWITCH_BUILD)
		return release_get(rel, RP_ARM64_KPTI);
	return cfg->kpti == HVO_SWITCH_ON;
}

static void
arm64_init(struct hvo_arch *a, const struct hvo_config *cfg,
	   const struct kernel_release *rel)
{
	unsigned ps = cfg->page_shift;
	unsigned levels = cfg->levels;
	unsigned bits = ps - 3;
	unsigned top_shift = ps + bits * (levels - 1);
	bool lpa2 = cfg->va_bits == 52 && ps != 16;
	unsigned va_min;
	uint64_t range, shared = lpa2 ? 0 : PTE_SHARED;
	/* PTE_MAYBE_NG and PMD_MAYBE_NG, both bit 11. */
	uint64_t maybe_ng = arm64_kpti(cfg, rel) ? PTE_NG : 0;
	/* PROT_DEFAULT and PROT_SECT_DEFAULT: the same bits but the type. */
	uint64_t prot_default = PTE_TYPE_PAGE | shared | PTE_AF | maybe_ng;
	uint64_t prot_normal = prot_default | PTE_PXN | PTE_UXN | PTE_WRITE |
			       PTE_ATTRINDX(MT_NORMAL);

	arch_set_levels(a, levels, 1u << (cfg->va_bits - top_shift));
	for (unsigned d = 0; d < levels; d++) {
		enum pt_role r = a->level[d].role;

		/*
		 * Pages at level 3, blocks at level 2 for every granule, and
		 * at level 1 with 4K (1G), or with 52-bit output addresses
		 * (16K: 64G with LPA2; 64K: 4T with FEAT_LPA), and at level 0
		 * with 4K and LPA2 (512G). Linux creates none of the last
		 * three; the hardware allows them.
		 */
		a->level[d].leaf_ok = r == PT_PTE || r == PT_PMD ||
				      (r == PT_PUD &&
				       (ps == 12 || cfg->va_bits == 52)) ||
				      (r == PT_P4D && ps == 12 &&
				       cfg->va_bits == 52);
	}
	a->cont_ptes = ps == 12 ? 16 : ps == 14 ? 128 : 32;
	a->cont_pmds = ps == 12 ? 16 : 32;

	/* arch/arm64/include/asm/memory.h */
	a->page_offset = -(UINT64_C(1) << cfg->va_bits);
	va_min = cfg->va_bits > 48 ? (ps == 14 ? 47 : 48) : cfg->va_bits;
	range = -(UINT64_C(1) << (va_min - 1)) - a->page_offset;
	a->vmemmap_size = (range >> ps) * cfg->struct_page_size;
	a->vmemmap_start = -(UINT64_C(1) << 30) - a->vmemmap_size;
	/* ARM64_MEMSTART_ALIGN: PUD (4K), CONT_PMD (16K) or PMD (64K) size,
	 * and at least a section. */
	a->memstart_align = ps == 16 ? UINT64_C(1) << 29 : UINT64_C(1) << 30;
	/* Only 4K with full sections gets PMD blocks (arch/arm64/mm/mmu.c). */
	a->kernel_va_start = -(UINT64_C(1) << cfg->va_bits);
	a->vmemmap_pmd_blocks = ps == 12;

	a->page_kernel = prot_normal | PTE_DIRTY;
	a->page_kernel_ro = (prot_normal & ~PTE_WRITE) | PTE_RDONLY | PTE_DIRTY;
	/* pte_wrprotect(): hardware-dirty becomes PTE_DIRTY, then RDONLY. */
	a->page_kernel_wrprotect = a->page_kernel_ro;
	a->has_kernel_ro = true;
	/*
	 * PROT_SECT_NORMAL, which vmemmap_populate() (6.1) and
	 * vmemmap_set_pmd() (6.12) give the vmemmap's blocks: never
	 * PTE_DIRTY, and PTE_WRITE only from 6.5. Kept in page form (type
	 * 0b11); mk_leaf() makes it a section.
	 */
	a->sect_normal = prot_default | PTE_PXN | PTE_UXN |
			 PTE_ATTRINDX(MT_NORMAL);
	if (release_get(rel, RP_ARM64_SECT_WRITE))
		a->sect_normal |= PTE_WRITE;
	a->kpti = maybe_ng != 0;
	a->tlb_flush_ceiling = 1u << bits; /* MAX_DVM_OPS = PTRS_PER_PTE */
	a->max_page_order = ps == 12 ? 10 : ps == 14 ? 11 : 13;
	a->pageblock_order = ps == 12 ? 9 : ps == 14 ? 11 : 13;
	a->section_size_bits = ps == 16 ? 29 : 27;
	a->max_physmem_bits = cfg->va_bits == 52 ? 52 : 48;
	/* The image 2M into RAM, as firmware usually loads it. */
	a->firmware_reserve = 0;
	a->kernel_offset = UINT64_C(2) << 20;
	a->needs_bbm = true;
	/* zone_dma_limit defaults to 32 bits, so ZONE_DMA takes all
	 * memory below 4G and ZONE_DMA32 is left empty. */
	/*
	 * CONT_PTE, PMD and CONT_PMD sizes for every granule, and PUD_SIZE
	 * with 4K only (pud_sect_supported()).
	 */
	{
		uint64_t pmd = UINT64_C(1) << (ps + bits);

		a->nr_hugetlb_sizes = 0;
		a->hugetlb_size[a->nr_hugetlb_sizes++] = (uint64_t)a->cont_ptes << ps;
		a->hugetlb_size[a->nr_hugetlb_sizes++] = pmd;
		a->hugetlb_size[a->nr_hugetlb_sizes++] = a->cont_pmds * pmd;
		if (ps == 12)
			a->hugetlb_size[a->nr_hugetlb_sizes++] = UINT64_C(1) << 30;
	}
	a->zone_dma_limit = UINT64_C(4) << 30;
	a->zone_dma32_limit = UINT64_C(4) << 30;
	a->swiotlb_limit = UINT64_C(4) << 30;
	/*
	 * VMALLOC_START is MODULES_END, 2G above _PAGE_END(VA_BITS_MIN);
	 * VMALLOC_END is 8M below VMEMMAP_START (with 52-bit VA on a CPU
	 * that has it, VMEMMAP_UNUSED_NPAGES is 0: the same).
	 */
	a->vmalloc_total = a->vmemmap_start - (UINT64_C(8) << 20) -
			   (-(UINT64_C(1) << (va_min - 1)) + (UINT64_C(2) << 30));
	/*
	 * No Debian arm64 config was read here: CMA, ZONE_DEVICE and the
	 * IOMMU as generic arm64 distribution builds have them, no
	 * unaccepted memory (an x86 TDX/SEV feature in 6.12).
	 */
	a->cfg_cma = true;
	a->cfg_unaccepted_memory = false;
	a->cfg_zone_device = true;
	a->cfg_iommu = true;
	a->cfg_thp_pud = false; /* not selected in 6.12 */
	a->ops.mk_table = arm64_mk_table;
	a->ops.mk_leaf = arm64_mk_leaf;
	a->ops.decode = arm64_decode;
	a->ops.describe_bits = arm64_describe_bits;
	a->ops.bbm_change_safe = arm64_bbm_change_safe;
}

const struct arch_family arch_arm64 = {
	.id = HVO_ARCH_ARM64,
	.name = "arm64",
	.default_ram_base = UINT64_C(0x40000000),
	.defaults = arm64_defaults,
	.parse_key = arm64_parse_key,
	.keys_help = "granule=4K|16K|64K, va=36|39|42|47|48|52 (as the granule allows), kpti=on|off",
	.validate = arm64_validate,
	.format = arm64_format,
	.init = arm64_init,
};
