/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mm/page.h"

void
page_layout_init(struct page_layout *l, unsigned size)
{
	l->size = size;
	l->flags = 0;
	l->lru = 8;
	l->lru_prev = 16;
	if (size >= 56) {
		l->mapping = 24;
		l->index = 32;
		l->private_ = 40;
		l->page_type = 48;
		l->refcount = 52;
	} else {
		/* Too small for the kernel: keep what the allocator needs. */
		l->mapping = PAGE_FIELD_ABSENT;
		l->index = PAGE_FIELD_ABSENT;
		l->private_ = 24;
		l->page_type = 32;
		l->refcount = 36;
	}
}

int
page_set_flag(struct hvo_machine *m, uint64_t page, unsigned bit, bool on)
{
	uint64_t flags;
	int rc = page_flags(m, page, &flags);

	if (rc)
		return rc;
	if (on)
		flags |= UINT64_C(1) << bit;
	else
		flags &= ~(UINT64_C(1) << bit);
	return page_write64(m, page, page_layout(m)->flags, flags);
}

int
page_get_type(struct hvo_machine *m, uint64_t page, uint32_t *type)
{
	return page_read32(m, page, page_layout(m)->page_type, type);
}

int
page_set_type(struct hvo_machine *m, uint64_t page, unsigned pgty)
{
	uint32_t type;
	int rc = page_get_type(m, page, &type);

	if (rc)
		return rc;
	if (type != PAGE_TYPE_NONE)
		return machine_err(m, -EINVAL,
				   "struct page 0x%" PRIx64 " already has type 0x%08x",
				   page, type);
	return page_write32(m, page, page_layout(m)->page_type, pgty << 24);
}

int
page_clear_type(struct hvo_machine *m, uint64_t page)
{
	return page_write32(m, page, page_layout(m)->page_type, PAGE_TYPE_NONE);
}

/* The bytes of a struct page fresh from __init_single_page(). */
void
page_template(const struct hvo_machine *m, unsigned zone, bool reserved,
	      uint32_t refcount, uint8_t *tpl)
{
	const struct page_layout *l = page_layout(m);
	uint64_t flags = ((uint64_t)zone << ZONES_PGSHIFT) |
			 (reserved ? UINT64_C(1) << PG_reserved : 0);
	uint32_t type = PAGE_TYPE_NONE;

	memset(tpl, 0, l->size);
	memcpy(tpl + l->flags, &flags, 8);
	memcpy(tpl + l->page_type, &type, 4);
	memcpy(tpl + l->refcount, &refcount, 4);
	/* INIT_LIST_HEAD(&page->lru) points at itself: filled per page. */
}

/* Write struct pages [i, end) of the span one at a time (ragged ends). */
static int
write_each(struct hvo_machine *m, uint64_t pfn, uint64_t n,
	   const uint8_t *tpl, bool lru_self)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t cur_page = UINT64_MAX;
	uint8_t *host = NULL;
	int rc = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t va = pfn_to_page(m, pfn + i);
		uint64_t lru = va + l->lru;

		for (unsigned off = 0; off < l->size;) {
			uint64_t at = va + off;
			uint64_t pg = at & ~(psize - 1);
			unsigned chunk = l->size - off;

			if (pg != cur_page) {
				host = kmap_page(m, pg, true, &rc);
				if (!host)
					return rc ? rc : -EFAULT;
				cur_page = pg;
			}
			if (at - pg + chunk > psize)
				chunk = (unsigned)(psize - (at - pg));
			memcpy(host + (at - pg), tpl + off, chunk);
			/* The lru list head points at itself. */
			for (unsigned k = 0; lru_self && k < 2; k++) {
				unsigned f = l->lru + 8 * k;

				if (f >= off && f + 8 <= off + chunk)
					memcpy(host + (at - pg) + (f - off), &lru, 8);
			}
			off += chunk;
		}
	}
	return 0;
}

static int
memmap_write(struct hvo_machine *m, uint64_t pfn, uint64_t n,
	     const uint8_t *tpl, bool lru_self)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t per_page = psize / l->size;
	uint64_t first, last, *image;
	int rc = 0;

	/*
	 * When struct pages tile a page exactly, fill whole vmemmap pages
	 * from one image of the page and patch the self-pointing lru links;
	 * the ragged ends, and sizes that straddle pages, go one by one.
	 */
	if (psize % l->size || n < 2 * per_page)
		return write_each(m, pfn, n, tpl, lru_self);
	first = round_up64(pfn, per_page);
	last = round_down64(pfn + n, per_page);
	image = malloc(psize);
	if (!image)
		return -ENOMEM;
	for (uint64_t k = 0; k < per_page; k++)
		memcpy((uint8_t *)image + k * l->size, tpl, l->size);
	rc = write_each(m, pfn, first - pfn, tpl, lru_self);
	for (uint64_t p = first; !rc && p < last; p += per_page) {
		uint64_t va = pfn_to_page(m, p);
		uint8_t *host = kmap_page(m, va, true, &rc);

		if (!host) {
			rc = rc ? rc : -EFAULT;
			break;
		}
		memcpy(host, image, psize);
		for (uint64_t k = 0; lru_self && k < per_page; k++) {
			uint64_t lru = va + k * l->size + l->lru;

			memcpy(host + k * l->size + l->lru, &lru, 8);
			memcpy(host + k * l->size + l->lru_prev, &lru, 8);
		}
	}
	if (!rc)
		rc = write_each(m, last, pfn + n - last, tpl, lru_self);
	free(image);
	return rc;
}

int
memmap_write_pages(struct hvo_machine *m, uint64_t pfn, uint64_t n,
		   const uint8_t *tpl)
{
	return memmap_write(m, pfn, n, tpl, true);
}

int
memmap_write_tails(struct hvo_machine *m, uint64_t pfn, uint64_t n,
		   const uint8_t *tpl)
{
	return memmap_write(m, pfn, n, tpl, false);
}
