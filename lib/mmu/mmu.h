/* SPDX-License-Identifier: MIT */
/*
 * The kernel page table and kernel memory access.
 *
 * pt_*: walk and edit the page table. Entries live in simulated frames and
 *       are read and written through pt_get()/pt_set(), which count every
 *       access per level and check break-before-make on arches that need it.
 *       Like set_pte_at(), nothing here flushes the TLB.
 * k*:   loads and stores at kernel virtual addresses, through the TLB. A
 *       miss walks the table; a fault is counted and reported, never applied.
 */
#ifndef HVO_MMU_H
#define HVO_MMU_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/machine.h"

struct pt_walk {
	uint64_t va;
	unsigned nr;              /* levels visited */
	struct pt_level_rec lvl[HVO_MAX_LEVELS];
	int leaf;                 /* depth of the leaf, or -1 */
	int bad;                  /* depth of a malformed entry, or -1 */
};

/* Counter slot of a depth: the top is "pgd", the rest go by role. */
static inline unsigned
pt_stat_level(const struct hvo_arch *a, unsigned depth)
{
	return depth == 0 ? PTS_PGD : (unsigned)a->level[depth].role;
}

/* Count one read of an entry at @depth. */
static inline void
pt_count_read(struct hvo_machine *m, unsigned depth)
{
	m->counter[CNT_PT_READ_PGD + (PTS_PGD - pt_stat_level(&m->arch, depth))]++;
}

/* Read the entry at entry_pa of a table at @depth (counted). */
static inline uint64_t
pt_get(struct hvo_machine *m, unsigned depth, uint64_t entry_pa)
{
	uint64_t v;

	pt_count_read(m, depth);
	memcpy(&v, phys_to_host_ro(&m->phys, entry_pa, NULL), sizeof(v));
	return v;
}

/*
 * Write an entry: set_pte_at(), set_pmd(), pmd_populate_kernel() and their
 * kin, for any level. On an arch that needs break-before-make, replacing a
 * live valid entry in a way the architecture forbids is counted
 * (check.bbm) -- and still done, as the kernel's HVO does.
 */
void
pt_set(struct hvo_machine *m, unsigned depth, uint64_t entry_pa, uint64_t val);

/*
 * Walk the table for @va. Returns 0 (see w->leaf and w->bad), or -EINVAL if
 * @va is not a kernel address. @counted: whether reads are counted (the
 * checker's own walks are not).
 */
int
pt_walk(struct hvo_machine *m, uint64_t va, struct pt_walk *w, bool counted);

/* The physical page @va translates to, or -EFAULT. Not counted. */
int
pt_lookup(struct hvo_machine *m, uint64_t va, uint64_t *pa, bool *writable);

/* The pfn @va translates to, 0 if unmapped. Not counted. */
uint64_t
pfn_of_va(struct hvo_machine *m, uint64_t va);

/*
 * Map [va, va + level size) at @depth to @pa with @prot, allocating missing
 * tables. -EINVAL, -EEXIST or -ENOMEM.
 */
int
pt_map(struct hvo_machine *m, uint64_t va, uint64_t pa, unsigned depth,
       pgprot_t prot);

/* The depth whose leaves are @size bytes, or -1. */
int
pt_depth_for_size(const struct hvo_arch *a, uint64_t size);

int
pt_unmap(struct hvo_machine *m, uint64_t va);

/*
 * Replace the block mapping @va by a table of next-level leaves with @prot,
 * or the block's own protection if @keep_prot. The table comes from
 * alloc_pagetable() (core's hook). -EINVAL, -ENOENT or -ENOMEM.
 */
int
pt_split(struct hvo_machine *m, uint64_t va, bool keep_prot, pgprot_t prot);

int
pt_protect(struct hvo_machine *m, uint64_t va, pgprot_t prot);

/* TLB maintenance, with the arch's flush ceiling. */
void
flush_tlb_kernel_range(struct hvo_machine *m, uint64_t start, uint64_t end);

void
flush_tlb_all(struct hvo_machine *m);

/* phys_filler callbacks: forget every translation of a frame that now
 * has a page of its own; say which host pages the TLB can still reach. */
void
tlb_unshare_pfn(void *ctx, uint64_t pfn);

void
tlb_mark_live(void *ctx);

int
tlb_init(struct tlb *t, unsigned entries, unsigned page_shift);

void
tlb_fini(struct tlb *t);

/* Drop every TLB entry without counting (a machine reset, not a flush). */
void
tlb_invalidate_all(struct tlb *t);

/*
 * The slow path of every access: a miss, a misaligned access, a store to a
 * read-only page or a checked hit. Returns the host address, or NULL with a
 * fault counted and *rc set (-EINVAL or -EFAULT).
 */
void *
kaccess_slow(struct hvo_machine *m, uint64_t va, unsigned size, bool write,
	     int *rc);

/* Host address for @size bytes at @va (size-aligned, within one page). */
static inline void *
kaccess(struct hvo_machine *m, uint64_t va, unsigned size, bool write,
	int *rc)
{
	struct tlb_entry *e = tlb_slot(&m->tlb, va);
	uint64_t key = (va | m->tlb.force_slow) &
		       (m->tlb.page_mask | (uint64_t)(size - 1));

	if (likely((write ? e->tag_write : e->tag_read) == key)) {
		m->counter[CNT_TLB_HIT]++;
		return (void *)(uintptr_t)(va + e->addend);
	}
	return kaccess_slow(m, va, size, write, rc);
}

static inline int
kread64(struct hvo_machine *m, uint64_t va, uint64_t *val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 8, false, &rc);

	if (unlikely(!p)) {
		*val = 0;
		return rc ? rc : -EFAULT;
	}
	memcpy(val, p, 8);
	return 0;
}

static inline int
kwrite64(struct hvo_machine *m, uint64_t va, uint64_t val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 8, true, &rc);

	if (unlikely(!p))
		return rc ? rc : -EFAULT;
	memcpy(p, &val, 8);
	return 0;
}

static inline int
kread32(struct hvo_machine *m, uint64_t va, uint32_t *val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 4, false, &rc);

	if (unlikely(!p)) {
		*val = 0;
		return rc ? rc : -EFAULT;
	}
	memcpy(val, p, 4);
	return 0;
}

static inline int
kwrite32(struct hvo_machine *m, uint64_t va, uint32_t val)
{
	int rc = -EFAULT;
	void *p = kaccess(m, va, 4, true, &rc);

	if (unlikely(!p))
		return rc ? rc : -EFAULT;
	memcpy(p, &val, 4);
	return 0;
}

/*
 * A hint, not an access: the host bytes at @va if the TLB translates it
 * for loads, else those an uncounted walk finds if the frame already has
 * a host page; NULL otherwise. Nothing is filled, counted or cached.
 */
static inline const uint8_t *
kaddr_hint(struct hvo_machine *m, uint64_t va)
{
	const struct tlb_entry *e = tlb_slot(&m->tlb, va);
	uint64_t pa;

	if (e->tag_read == (va & m->tlb.page_mask))
		return (const uint8_t *)(uintptr_t)(va + e->addend);
	if (pt_lookup(m, va, &pa, NULL))
		return NULL;
	return phys_host_hint(&m->phys, pa + (va & (m->arch.page_size - 1)));
}

/*
 * The host address of the whole page holding @va, for page-sized work such
 * as copy_page() and clear_page(): one translation, as the kernel's loads of
 * that page would take. NULL with *rc on a fault.
 */
void *
kmap_page(struct hvo_machine *m, uint64_t va, bool write, int *rc);

/* Check that no cached translation differs from the page table. */
int
tlb_check_stale(struct hvo_machine *m);

#endif /* HVO_MMU_H */
