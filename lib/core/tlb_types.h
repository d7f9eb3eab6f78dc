/* SPDX-License-Identifier: MIT */
/*
 * The software TLB's state, which struct hvo_machine embeds. A direct-mapped
 * array of translations from a virtual page to a host address, in the manner
 * of QEMU's softmmu; lib/mmu/ fills, checks and flushes it. Each entry
 * keeps one tag for loads and one for stores, so a read-only page never
 * matches a store and takes the slow path, which faults. A miss walks the
 * page table.
 */
#ifndef HVO_TLB_TYPES_H
#define HVO_TLB_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"

#define TLB_TAG_INVALID (~UINT64_C(0)) /* never page aligned: never matches */

/*
 * tag_write of an entry that holds a translation but no host page: the
 * frame it reaches is described (phys's lazy frames) and stays so. Its
 * tag_read is TLB_TAG_INVALID and addend_slot the page, so that no
 * access hits it inline (the hit test masks the bits a marker in a tag
 * could use); kaccess_slow() counts the hit and gives it its host page,
 * kaccess_described64() answers from the description. It is in no list
 * of tlb.pfn_head[]: it holds no host pointer to drop or rehost.
 */
#define TLB_TAG_HOSTLESS (~UINT64_C(2))

/*
 * 32 bytes, so that finding an entry is a shift: every access of
 * simulated memory does it. The physical page is aligned, which leaves
 * its bit 0 to say the page is writable but loads see a shared copy
 * (TLB_PA_COW); read it with tlb_entry_pa().
 */
struct tlb_entry {
	uint64_t tag_read;  /* va of the page if loads may hit */
	uint64_t tag_write; /* va of the page if stores may hit */
	union {
		uintptr_t addend; /* host = va + addend */
		uint64_t addend_slot; /* 32 bytes on 32-bit hosts too */
	};
	uint64_t pa;        /* physical page, | TLB_PA_COW */
};

/* In pa: writable, but loads see a shared copy; or a writable entry that
 * holds no host page (TLB_TAG_HOSTLESS). */
#define TLB_PA_COW UINT64_C(1)

/* kaccess_hit() finds an entry by its byte offset: index << this. */
#define TLB_ENTRY_SHIFT 5
_Static_assert(sizeof(struct tlb_entry) == 1u << TLB_ENTRY_SHIFT,
	       "an entry is found by a shift");

static inline uint64_t
tlb_entry_pa(const struct tlb_entry *e)
{
	return e->pa & ~TLB_PA_COW;
}

/* Whether @e holds @page without a host page (TLB_TAG_HOSTLESS). */
static inline bool
tlb_entry_hostless(const struct tlb_entry *e, uint64_t page)
{
	return e->tag_write == TLB_TAG_HOSTLESS && e->addend_slot == page;
}

/* One level of a walk: where the entry is, what it holds, what it means. */
struct pt_level_rec {
	unsigned depth;
	unsigned index;
	uint64_t table_pa;
	uint64_t entry_pa;
	uint64_t entry;
	struct pt_decoded d;
};

/*
 * The walker's memo of the levels above the last table, per 2 MiB-ish
 * region (one entry of the level above the last): a walk that finds its
 * region here reads only the last level from memory, yet counts every
 * level, as the walk it stands for. Unlike a hardware paging-structure
 * cache it is never stale: every write of an entry above the last level
 * empties it (pt_set()). It changes no result and no counter.
 */
#define PWC_ENTRIES 16
#define PWC_NO_TABLE UINT64_MAX /* never a table's (aligned) address */

struct pwc_entry {
	uint64_t key;     /* va >> the region's shift, + 1; 0: empty */
	/*
	 * The last-level table the levels cached lead to, or PWC_NO_TABLE
	 * (they end in a leaf): a miss finds it without indexing lvl[].
	 */
	uint64_t table;
	unsigned nr;      /* levels cached */
	struct pt_level_rec lvl[HVO_MAX_LEVELS];
};

#define TLB_OWN_LOG 4096

/*
 * The valid entries listed per hash of the frame they reach (pfn_head[],
 * then pfn_next[] and pfn_prev[] by entry index, TLB_PFN_NONE ending a
 * list), so that tlb_unshare_pfn() looks at the entries that may reach
 * a frame, not at all of them. Host bookkeeping only; changes no result
 * and no counter.
 */
#define TLB_PFN_BITS 12
#define TLB_PFN_BUCKETS (1u << TLB_PFN_BITS)
#define TLB_PFN_NONE UINT32_MAX

/*
 * Pages the checker reads described frames through (tlb_scratch_begin()):
 * the frame stays described, and the entry that reached one of these is
 * dropped when the page serves another frame. Host memory only; each is
 * reused after this many other fills, longer than any host pointer into
 * one is held.
 */
#define TLB_SCRATCH_PAGES 32

struct tlb_scratch {
	uint8_t *pages;                    /* TLB_SCRATCH_PAGES pages */
	uint64_t slot[TLB_SCRATCH_PAGES];  /* the entry each was filled for */
	unsigned next;                     /* the one reused next */
	uint64_t fills;                    /* frames read this way */
};

struct tlb {
	struct tlb_entry *e;
	uint64_t mask;      /* entries - 1 */
	unsigned shift;     /* page shift */
	uint64_t page_mask; /* ~(page size - 1) */
	/*
	 * The walker's memo regions are 1 << pwc_shift bytes (the reach of
	 * an entry one level above the last); a last-level table has
	 * pte_index_mask + 1 entries. From the arch, at tlb_init().
	 */
	unsigned pwc_shift;
	uint64_t pte_index_mask;
	/*
	 * The span covered by cached pages of leaves larger than a page. A
	 * hardware TLB holds a large leaf as one entry, so invalidating any
	 * page of it drops all of it; we cache per page, and instead flush
	 * everything when a single-page flush touches this span (as QEMU
	 * does for large pages).
	 */
	uint64_t large_lo, large_hi;
	/* An entry without its host page (TLB_TAG_HOSTLESS) may be valid:
	 * set when one is made, cleared when all are flushed. */
	bool hostless;
	/* 1 when every hit must be checked against the page table: set
	 * with tlb_set_force_slow(), which points kaccess_hit() at an
	 * entry that matches nothing. */
	uint64_t force_slow;
	/*
	 * Where kaccess_hit() looks for @va: the entry at hit_base +
	 * ((va >> hit_shift) & hit_mask), tlb_slot() in bytes; with
	 * force_slow, an entry that matches nothing (tlb_entry_none).
	 */
	uintptr_t hit_base;
	uint64_t hit_mask;
	unsigned hit_shift;
	/* page_mask | (size - 1) for an access of size bytes, up to 8. */
	uint64_t hit_key[9];
	/* The machine's own entries while the checker reads through a TLB
	 * of its own: still live, restored afterwards. */
	struct tlb_entry *saved;
	/*
	 * The last TLB_OWN_LOG pages filled with a host page of the frame's
	 * own (a store, or a frame already written): the host-memory
	 * compaction looks at them once no entry reaches them
	 * (mm/memmap_compact.c). Changes no result and no counter.
	 */
	uint64_t own_log[TLB_OWN_LOG];
	uint64_t own_n;
	/*
	 * The RAM range the last miss found its page in: a page at pa is
	 * RAM if pa - ram_lo < ram_n (0 while none is known). Ranges never
	 * change after boot, so this is never stale.
	 */
	uint64_t ram_lo, ram_n;
	/* While the checker runs: how it reads described frames. */
	struct tlb_scratch *scratch;
	uint32_t pfn_head[TLB_PFN_BUCKETS];
	uint32_t *pfn_next, *pfn_prev;
	struct pwc_entry pwc[PWC_ENTRIES];
};

static inline void
tlb_log_own(struct tlb *t, uint64_t page)
{
	t->own_log[t->own_n++ & (TLB_OWN_LOG - 1)] = page;
}

/* The list of entries that may reach @pa's frame (tlb.pfn_head[]). */
static inline unsigned
tlb_pfn_bucket(const struct tlb *t, uint64_t pa)
{
	return (unsigned)((pa >> t->shift) * UINT64_C(0x9e3779b97f4a7c15) >>
			  (64 - TLB_PFN_BITS));
}

static inline struct tlb_entry *
tlb_slot(const struct tlb *t, uint64_t va)
{
	return &t->e[(va >> t->shift) & t->mask];
}

#endif /* HVO_TLB_TYPES_H */
