/* SPDX-License-Identifier: MIT */
/*
 * Architecture descriptors.
 *
 * A struct hvo_arch says everything the rest of libhvo needs to know about one
 * configuration of one architecture: level geometry, the kernel's virtual
 * layout and protections, and how to encode and decode entries bit for bit.
 * Code outside lib/arch/ reads this descriptor and never asks which arch it
 * is running; quirks are data (has_kernel_ro, needs_bbm, vmemmap_pmd_blocks).
 */
#ifndef HVO_ARCH_H
#define HVO_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvo/hvo.h"
#include "release/release.h"

typedef uint64_t pgprot_t;

/*
 * The role of a level, as Linux names them. Roles count from the bottom so
 * that a block at role PMD is "a PMD block" on every arch, whatever the depth
 * of the table. Folded levels simply do not appear in the descriptor.
 */
enum pt_role {
	PT_PTE = 0,
	PT_PMD,
	PT_PUD,
	PT_P4D,
	PT_PGD5, /* the 5th level when it is not the top (never, today) */
	PT_NR_ROLES
};

/* What a decoded entry is. */
enum pt_kind {
	PTK_NONE = 0,  /* not valid: the walk stops here */
	PTK_TABLE,     /* points at a next-level table */
	PTK_LEAF,      /* maps memory (page or block) */
	PTK_BAD,       /* valid but malformed: reserved bits or encoding */
};

/* An entry in arch-neutral terms. */
struct pt_decoded {
	enum pt_kind kind;
	uint64_t pa;      /* table address, or output address of the leaf */
	pgprot_t prot;    /* attribute bits as a 4K-page prot (arch format) */
	bool writable;
	bool global;
	const char *why;  /* for PTK_BAD: which rule the entry breaks */
};

struct arch_level {
	unsigned shift;       /* VA bit the level's index starts at */
	unsigned entries;     /* entries in one table of this level */
	enum pt_role role;
	bool leaf_ok;         /* may hold a leaf (a page, or a block) */
	const char *name;     /* Linux name: "pgd" for the top, else by role */
	/* Whose counters its reads and writes go to: the top's are the
	 * pgd's (PT_NR_ROLES - 1), the others' their role's. */
	unsigned stat;
};

struct hvo_arch;

struct arch_ops {
	/* Table entry that points at the table page at @pa (kernel tables). */
	uint64_t (*mk_table)(const struct hvo_arch *a, unsigned depth,
			     uint64_t pa);
	/* Leaf entry at @depth mapping @pa with the 4K-page prot @prot. */
	uint64_t (*mk_leaf)(const struct hvo_arch *a, unsigned depth,
			    uint64_t pa, pgprot_t prot);
	/* Decode any entry of @depth. */
	void (*decode)(const struct hvo_arch *a, unsigned depth, uint64_t e,
		       struct pt_decoded *out);
	/* Name the set bits of @e, e.g. "P RW A D G NX". */
	int (*describe_bits)(const struct hvo_arch *a, unsigned depth,
			     uint64_t e, char *buf, size_t len);
	/*
	 * Whether replacing the live valid entry @old by the valid entry @new
	 * is allowed without break-before-make; NULL where the architecture
	 * does not require it.
	 */
	bool (*bbm_change_safe)(const struct hvo_arch *a, unsigned depth,
				uint64_t old, uint64_t new_entry);
	/*
	 * decode()'s pa of a last-level entry, alone: pte_pfn(), which the
	 * remap walks call per PTE, where pte_pa_mask says nothing. An arch
	 * with no shorter way keeps arch_pte_pa_decoded().
	 */
	uint64_t (*pte_pa)(const struct hvo_arch *a, uint64_t e);
};

struct hvo_arch {
	enum hvo_arch_id id;
	const char *name;
	unsigned page_shift;
	uint64_t page_size;
	unsigned va_bits;
	unsigned levels;
	struct arch_level level[HVO_MAX_LEVELS]; /* [0] is the top */

	unsigned cont_ptes;     /* contiguous-hint group at PTE level (0: none) */
	unsigned cont_pmds;     /* contiguous-hint group at PMD level (0: none) */

	/* Kernel virtual layout. */
	uint64_t kernel_va_start; /* lowest kernel address: the upper half on
				   * x86/riscv, all of TTBR1 on arm64 */
	uint64_t page_offset;   /* start of the direct map */
	uint64_t vmemmap_start; /* VMEMMAP_START */
	uint64_t vmemmap_size;  /* bytes of VA reserved for the vmemmap */
	uint64_t memstart_align;/* vmemmap is offset by RAM base rounded to it;
				 * 0: the vmemmap starts at pfn 0 */
	bool     vmemmap_pmd_blocks; /* the kernel maps the vmemmap with PMD blocks */
	bool     vmemmap_folio_align; /* the vmemmap is aligned to the struct
				       * pages of the largest folio */

	/* Protections, as 4K-page prots. */
	pgprot_t page_kernel;
	pgprot_t page_kernel_ro;
	bool     has_kernel_ro; /* riscv: PAGE_KERNEL_RO falls back to PAGE_KERNEL */
	/*
	 * A PAGE_KERNEL entry after ptep_set_wrprotect() (pte_wrprotect()),
	 * which is not always PAGE_KERNEL_RO: x86 from 6.6 moves Dirty to
	 * the software SavedDirty bit, riscv clears its write bit although
	 * its PAGE_KERNEL_RO is writable.
	 */
	pgprot_t page_kernel_wrprotect;
	/*
	 * The prot of the vmemmap's PMD blocks (vmemmap_set_pmd()), in the
	 * 4K-page form mk_leaf() turns into a block. It is not always
	 * PAGE_KERNEL: arm64 maps them with PROT_SECT_NORMAL, which has no
	 * PTE_DIRTY, and no PTE_WRITE before 6.5. A split keeps PAGE_KERNEL
	 * for its PTEs, as the kernel's does.
	 */
	pgprot_t sect_normal;
	/*
	 * The kernel is unmapped from user space (arm64's KPTI), so every
	 * entry it writes for itself is not global (nG).
	 */
	bool     kpti;

	unsigned tlb_flush_ceiling; /* pages; a longer range flushes everything */
	unsigned max_page_order;    /* MAX_PAGE_ORDER */
	unsigned pageblock_order;
	unsigned section_size_bits; /* SECTION_SIZE_BITS */
	unsigned max_physmem_bits;  /* MAX_PHYSMEM_BITS */
	uint64_t default_ram_base;  /* where RAM starts when mem= gives no base */
	uint64_t firmware_reserve;  /* bytes reserved from arch_ram_start() */
	uint64_t kernel_offset;     /* kernel image, from arch_ram_start() */
	bool     needs_bbm;         /* live changes need break-before-make */
	/*
	 * Kconfig selects that decide which page flags exist, and so the
	 * bits of the later ones (doc/KERNEL-FACTS.md, "Page flags and page
	 * types"): PG_uncached while the release has it, and PG_hwpoison.
	 */
	bool     pg_uncached;       /* ARCH_USES_PG_UNCACHED (x86's X86_PAT) */
	bool     memory_failure;    /* ARCH_SUPPORTS_MEMORY_FAILURE, and on */
	/* The hugepage sizes hugetlb offers here (arch_hugetlb_valid_size). */
	unsigned nr_hugetlb_sizes;
	uint64_t hugetlb_size[6];

	/* Zone limits in bytes; 0: the kernel has no such zone. */
	uint64_t zone_dma_limit;
	uint64_t zone_dma32_limit;
	/* The same in pfns (arch_init()), for pfn_zone(). */
	uint64_t zone_dma_pfn;
	uint64_t zone_dma32_pfn;
	/*
	 * swiotlb_init() at mem_init(): RAM above this address turns the
	 * bounce buffer on, and memblock_alloc_low() takes it below
	 * (x86's MAX_DMA32_PFN in pci_swiotlb_detect(), arm64's
	 * arm64_dma_phys_limit, riscv's dma32_phys_limit).
	 */
	uint64_t swiotlb_limit;

	/*
	 * What /proc/meminfo and /proc/vmstat print that the arch's kernel
	 * decides: VMALLOC_TOTAL (VMALLOC_END - VMALLOC_START, bytes),
	 * whether arch_report_meminfo() prints the DirectMap lines and the
	 * direct-map split counters exist (x86), and the Kconfig options of
	 * the distribution build that add lines: CONFIG_CMA,
	 * CONFIG_UNACCEPTED_MEMORY, CONFIG_ZONE_DEVICE (also the zone:
	 * ZONE_DEVICE is configured, always empty, where it is set),
	 * CONFIG_IOMMU_SUPPORT, and what the arch's Kconfig selects.
	 */
	uint64_t vmalloc_total;
	bool     direct_map_report;
	bool     cfg_cma;
	bool     cfg_unaccepted_memory;
	bool     cfg_zone_device;
	bool     cfg_iommu;
	bool     cfg_thp_pud; /* HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD */

	/*
	 * Where a PTE keeps its page's address bits in place: pte_pa_mask
	 * covers them, and a PTE with its pte_present bit set maps a page.
	 * arch_pte_pa() and arch_mk_pte() then need no call, which the remap
	 * walks make per PTE. 0 where the arch moves bits about: the ops
	 * answer. Where it is set, a PTE's format is all data: present, it
	 * maps a page, its prot the bits outside pte_pa_mask, writable by
	 * pte_write and global by pte_global; no encoding of it is bad
	 * (arch_decode()).
	 */
	uint64_t pte_pa_mask;
	uint64_t pte_present;
	uint64_t pte_write;
	uint64_t pte_global;

	struct arch_ops ops;
};

/*
 * Per-arch plumbing, used by lib/boot/config.c and lib/boot/boot.c through the table
 * in lib/arch/arch.c.
 */
struct arch_family {
	enum hvo_arch_id id;
	const char *name;
	uint64_t default_ram_base; /* where RAM starts when mem= gives no base */
	/* Defaults for cfg (page_shift, va_bits). */
	void (*defaults)(struct hvo_config *cfg);
	/*
	 * Parse one arch key. Returns 1 if handled, 0 if the key is not an
	 * arch key, or -EINVAL with a reason in err.
	 */
	int (*parse_key)(struct hvo_config *cfg, const char *key,
			 const char *val, char *err, size_t errlen);
	/* The allowed arch keys, for error messages: "levels=4|5". */
	const char *keys_help;
	/*
	 * Check cfg's arch fields against its release @r and derive levels;
	 * -EINVAL with reason.
	 */
	int (*validate)(struct hvo_config *cfg, const struct kernel_release *r,
			char *err, size_t errlen);
	/*
	 * Format the arch keys of cfg ("levels=5"), canonical: 0, -ENOSPC,
	 * or -EINVAL for arch fields no spec can give.
	 */
	int (*format)(const struct hvo_config *cfg, char *buf, size_t len);
	/*
	 * Build the descriptor. cfg has been validated; @r is its release,
	 * which decides entry values that changed over time.
	 */
	void (*init)(struct hvo_arch *a, const struct hvo_config *cfg,
		     const struct kernel_release *r);
};

const struct arch_family *
arch_family_by_id(enum hvo_arch_id id);

const struct arch_family *
arch_family_by_name(const char *name);

/* Fill @a from a validated configuration and its release. */
void
arch_init(struct hvo_arch *a, const struct hvo_config *cfg,
	  const struct kernel_release *r);

/* Shared helpers for the arch files (lib/arch/arch.c). */
void
arch_set_levels(struct hvo_arch *a, unsigned levels, unsigned top_entries);

unsigned
struct_page_max_shift(unsigned struct_page_size);

/* ops.pte_pa() by decode(): every arch's, unless it has a shortcut. */
uint64_t
arch_pte_pa_decoded(const struct hvo_arch *a, uint64_t e);

/*
 * The address a PTE maps, and a PTE, where the format is data: by the
 * arch's pte_present and pte_pa_mask, which a loop may hold in locals.
 */
static inline uint64_t
pte_pa_by_mask(uint64_t present, uint64_t pa_mask, uint64_t e)
{
	return e & present ? e & pa_mask : 0;
}

static inline uint64_t
mk_pte_by_mask(uint64_t pa_mask, uint64_t pa, pgprot_t prot)
{
	return (pa & pa_mask) | prot;
}

/* ops.pte_pa(), inline where the arch allows it (pte_pa_mask). */
static inline uint64_t
arch_pte_pa(const struct hvo_arch *a, uint64_t e)
{
	if (a->pte_pa_mask)
		return pte_pa_by_mask(a->pte_present, a->pte_pa_mask, e);
	return a->ops.pte_pa(a, e);
}

/* ops.mk_leaf() of a last-level entry, inline where the arch allows it. */
static inline uint64_t
arch_mk_pte(const struct hvo_arch *a, uint64_t pa, pgprot_t prot)
{
	if (a->pte_pa_mask)
		return mk_pte_by_mask(a->pte_pa_mask, pa, prot);
	return a->ops.mk_leaf(a, a->levels - 1, pa, prot);
}

/*
 * ops.decode(), inline for a last-level entry where the arch allows it
 * (pte_pa_mask): the walker decodes one per TLB miss. Field for field
 * what decode() gives, which zeroes what an entry not present leaves.
 */
static inline void
arch_decode(const struct hvo_arch *a, unsigned depth, uint64_t e,
	    struct pt_decoded *out)
{
	if (depth + 1 == a->levels && a->pte_pa_mask) {
		uint64_t v = e & a->pte_present ? e : 0;

		out->kind = v ? PTK_LEAF : PTK_NONE;
		out->pa = v & a->pte_pa_mask;
		out->prot = v & ~a->pte_pa_mask;
		out->writable = v & a->pte_write;
		out->global = v & a->pte_global;
		out->why = NULL;
		return;
	}
	a->ops.decode(a, depth, e, out);
}

/* Whether @va is a kernel address the kernel page table translates. */
static inline bool
arch_va_is_kernel(const struct hvo_arch *a, uint64_t va)
{
	return va >= a->kernel_va_start;
}

/* The kernel address whose bits below va_bits are @low. */
static inline uint64_t
arch_kernel_va(const struct hvo_arch *a, uint64_t low)
{
	return low | (a->kernel_va_start & ~((UINT64_C(1) << a->va_bits) - 1));
}

static inline uint64_t
arch_level_size(const struct hvo_arch *a, unsigned depth)
{
	return UINT64_C(1) << a->level[depth].shift;
}

static inline unsigned
arch_level_index(const struct hvo_arch *a, unsigned depth, uint64_t va)
{
	return (unsigned)((va >> a->level[depth].shift) &
			  (a->level[depth].entries - 1));
}

/* Depth of the level that plays @role, or -1 if folded. */
int
arch_depth_of_role(const struct hvo_arch *a, enum pt_role role);

extern const struct arch_family arch_x86_64;
extern const struct arch_family arch_arm64;
extern const struct arch_family arch_riscv64;

/* The kernel image libhvo reserves at boot (text, data and bss). */
#define KERNEL_IMAGE_SIZE (UINT64_C(8) << 20)

/*
 * Where firmware_reserve and kernel_offset count from: RAM's first byte
 * rounded down to 2 MiB. A PC's RAM starts at 0x1000 (the BIOS keeps
 * page 0), yet its low MiB and its kernel at 16 MiB are where they are
 * on a machine whose RAM starts at 0.
 */
static inline uint64_t
arch_ram_start(uint64_t ram0)
{
	return ram0 & ~((UINT64_C(2) << 20) - 1);
}

#endif /* HVO_ARCH_H */
