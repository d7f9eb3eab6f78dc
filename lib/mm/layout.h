/* SPDX-License-Identifier: MIT */
/*
 * The layout of struct page for a given size (see mm/page.h for the story).
 */
#ifndef HVO_LAYOUT_H
#define HVO_LAYOUT_H

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

#endif /* HVO_LAYOUT_H */
