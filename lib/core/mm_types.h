/* SPDX-License-Identifier: MIT */
/*
 * The struct page layout and memmap template types struct hvo_machine
 * embeds (as the kernel's mm_types.h). lib/mm/page.h tells the story and
 * holds the accessors.
 */
#ifndef HVO_MM_TYPES_H
#define HVO_MM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Four kinds of 64-bit number run through lib/, and C cannot tell them
 * apart; their type names do, as the kernel's phys_addr_t and struct page *
 * do there:
 *   pfn_t        a page frame number (the kernel's plain unsigned long pfn)
 *   phys_addr_t  a physical address (of a frame, or of an entry in a table)
 *   kva_t        a kernel virtual address
 *   page_t       the kernel virtual address of a struct page in the vmemmap
 *                (what the kernel holds as struct page *)
 */
typedef uint64_t pfn_t;
typedef uint64_t phys_addr_t;
typedef uint64_t kva_t;
typedef uint64_t page_t;

#define PAGE_FIELD_ABSENT 0xffffu

struct page_layout {
	unsigned size;
	unsigned flags;
	unsigned lru;        /* lru.next; compound_head in tails */
	unsigned lru_prev;   /* lru.prev */
	unsigned mapping;
	unsigned index;
	unsigned private_;
	unsigned page_type;  /* 32-bit, shares a word with _mapcount */
	unsigned refcount;   /* 32-bit */
	/*
	 * No struct page straddles two vmemmap pages: its size divides the
	 * page size and the vmemmap is aligned to it (set with the vmemmap).
	 */
	bool whole;
};

/*
 * The page flags libhvo names, as names: the kernel's enum pageflags
 * numbers them differently from one release to the next (and an arch's
 * Kconfig drops some), so a flag's bit is looked up in the machine's
 * struct page_flag_bits, resolved once at boot (mm/page.c). Never shift
 * by one of these.
 */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_reserved,
	PG_private,
	PG_hwpoison,
	/* The rest of what PAGE_FLAGS_CHECK_AT_FREE names. */
	PG_writeback,
	PG_active,
	PG_slab,          /* to 6.9 */
	PG_private_2,
	PG_unevictable,
	PG_mlocked,
	NR_PAGEFLAGS_NAMED
};

/* A flag the release or the arch does not have. */
#define PG_ABSENT 0xffu

struct page_flag_bits {
	uint8_t bit[NR_PAGEFLAGS_NAMED];   /* its bit, or PG_ABSENT */
	uint64_t mask[NR_PAGEFLAGS_NAMED]; /* 1 << bit; 0 for PG_ABSENT */
	uint64_t check_at_free;            /* PAGE_FLAGS_CHECK_AT_FREE */
	uint64_t check_at_prep;            /* PAGE_FLAGS_CHECK_AT_PREP */
	uint64_t second;                   /* PAGE_FLAGS_SECOND */
};

/*
 * A vmemmap page described, not written: one struct page repeated, with
 * per-page fix-ups (see memmap_fill_frame()).
 */
enum tpl_patch {
	TPL_PLAIN,    /* every struct page the same bytes */
	TPL_LRU_SELF, /* lru.next/prev point at the struct page itself */
	TPL_HEAD,     /* lru.next (compound_head) is the head's address + 1 */
};

struct memmap_tpl {
	uint8_t bytes[256];
	enum tpl_patch patch;
};

#define MEMMAP_MAX_TPL 64

#endif /* HVO_MM_TYPES_H */
