/* SPDX-License-Identifier: MIT */
/*
 * The layout of struct page for a given size (see mm/page.h for the story).
 */
#ifndef HVO_LAYOUT_H
#define HVO_LAYOUT_H

#include <stdint.h>

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
};

void
page_layout_init(struct page_layout *l, unsigned struct_page_size);

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

#endif /* HVO_LAYOUT_H */
