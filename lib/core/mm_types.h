/* SPDX-License-Identifier: MIT */
/*
 * The struct page and folio layouts and memmap template types struct
 * hvo_machine embeds (as the kernel's mm_types.h). lib/mm/page.h tells the story and
 * holds the accessors.
 */
#ifndef HVO_MM_TYPES_H
#define HVO_MM_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "release/release.h"

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

/* The struct page word a folio field lies over. */
enum page_word {
	PW_FLAGS,
	PW_LRU,
	PW_LRU_PREV,
	PW_MAPPING,
	PW_INDEX,
	PW_PRIVATE,
};

/*
 * A folio field: @size bytes at byte @off of word @word of page[@page].
 * The machine's copy of its release's layout (folio_layout()) has each
 * field resolved at boot, as the kernel's compiler resolves
 * folio->_folio_nr_pages: @at is its byte offset from the head's struct
 * page, and @size is 0 where this struct page has no room for it.
 */
struct folio_field {
	uint8_t page;  /* struct pages after the head; 0: no such field */
	uint8_t word;  /* enum page_word */
	uint8_t off;   /* the byte in the word: 0, or 1 (a byte), 4 (32 bits) */
	uint8_t size;  /* 1, 4 or 8; 0: absent */
	uint16_t at;   /* resolved: page * struct page size + word + off */
};

/*
 * Where a release keeps a hugetlb folio's order and metadata, and what
 * its prep and its free-time checks do with them.
 */
struct folio_layout {
	enum release_folio_layout id;
	const char *name;                  /* "6.1", "6.2", "6.15" */
	struct folio_field order;          /* the folio order, one byte */
	bool order_in_flags_1;             /* ... in page[1]'s flags' low byte */
	struct folio_field dtor;           /* compound_dtor: the hugetlb mark */
	struct folio_field large_mapcount; /* -1 when prepared */
	struct folio_field entire_mapcount;/* -1 (compound_mapcount in 6.1) */
	struct folio_field nr_pages_mapped;/* 0 */
	struct folio_field pincount;       /* 0 */
	struct folio_field nr_pages;       /* 1 << order */
	struct folio_field deferred_list;  /* a list_head: its first word */
	struct folio_field deferred_list_prev; /* resolved: its second */
	bool deferred_list_init;           /* prep leaves the list empty (else
					    * the hugetlb fields lie over it) */
	struct folio_field subpool;        /* _hugetlb_subpool */
	struct folio_field cgroup;         /* _hugetlb_cgroup */
	struct folio_field cgroup_rsvd;    /* _hugetlb_cgroup_rsvd */
	struct folio_field hwpoison;       /* _hugetlb_hwpoison */
	bool hugetlb_page_type;            /* the head's page type says hugetlb
					    * (else the destructor does) */
	/*
	 * The first tail whose ->mapping no folio field covers: every tail
	 * from it on holds TAIL_MAPPING (prep_compound_tail()).
	 */
	uint8_t plain_mapping_from;
	/*
	 * Tails whose ->mapping the free-time check does not read
	 * (free_tail_page_prepare()), a bit per tail index.
	 */
	uint8_t free_check_skip;
	/*
	 * The check reads every count of page[1] (6.2 on); 6.1 reads
	 * compound_mapcount only.
	 */
	bool free_check_all_counts;
	/*
	 * A gigantic page's tails get no TAIL_MAPPING, and are not checked
	 * when freed: 6.1 builds the compound page by hand
	 * (__prep_compound_gigantic_page()) and takes it apart before
	 * freeing it page by page.
	 */
	bool gigantic_by_hand;
};

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
	/*
	 * log2 of @size where that is a power of two, else 0: a division
	 * by @size is then a shift (page_layout_div()), as the kernel's
	 * pointer arithmetic on struct page compiles to.
	 */
	unsigned shift;
	/* struct pages in a vmemmap page (set with the vmemmap) */
	uint64_t per_page;
};

/*
 * @x / @l->size. A 64-bit division costs tens of cycles, and every list
 * link the buddy allocator reads back as a page asks (page_to_pfn()).
 */
static inline uint64_t
page_layout_div(const struct page_layout *l, uint64_t x)
{
	if (__builtin_expect(l->shift != 0, 1))
		return x >> l->shift;
	return x / l->size;
}

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
