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

/*
 * Lazy vmemmap pages. A vmemmap page wholly covered by one template is not
 * written: its frame is marked lazy with a payload naming the template and
 * the pfn its fix-ups need, and phys fills it the first time anyone touches
 * it. Vmemmap pages that HVO remaps and frees before that never cost host
 * memory. The payload: template index in bits 48..55, a pfn below.
 */
#define PAYLOAD_PFN_BITS 48

static uint64_t
payload_make(unsigned tid, uint64_t pfn)
{
	return ((uint64_t)tid << PAYLOAD_PFN_BITS) | pfn;
}

/* The template's index, registered on first use; -1 if the table is full. */
static int
memmap_tpl_id(struct hvo_machine *m, const uint8_t *tpl, enum tpl_patch patch)
{
	const struct page_layout *l = page_layout(m);
	struct memmap_tpl t;

	memcpy(t.bytes, tpl, l->size);
	/* The patched fields are not part of what is shared. */
	if (patch != TPL_PLAIN)
		memset(t.bytes + l->lru, 0, 8);
	if (patch == TPL_LRU_SELF)
		memset(t.bytes + l->lru_prev, 0, 8);
	t.patch = patch;
	for (unsigned i = 0; i < m->nr_tpl; i++)
		if (m->tpl[i].patch == patch &&
		    memcmp(m->tpl[i].bytes, t.bytes, l->size) == 0)
			return (int)i;
	if (m->nr_tpl == MEMMAP_MAX_TPL)
		return -1;
	m->tpl[m->nr_tpl] = t;
	return (int)m->nr_tpl++;
}

/* Struct pages of one vmemmap page, from the template, with the fix-ups. */
static void
fill_page(struct hvo_machine *m, const struct memmap_tpl *t, uint64_t pfn,
	  uint8_t *host)
{
	const struct page_layout *l = page_layout(m);
	uint64_t per = m->arch.page_size / l->size;
	uint64_t head_info = pfn_to_page(m, pfn) + 1;

	for (uint64_t k = 0; k < per; k++) {
		uint8_t *p = host + k * l->size;

		memcpy(p, t->bytes, l->size);
		if (t->patch == TPL_LRU_SELF) {
			uint64_t lru = pfn_to_page(m, pfn + k) + l->lru;

			memcpy(p + l->lru, &lru, 8);
			memcpy(p + l->lru_prev, &lru, 8);
		} else if (t->patch == TPL_HEAD) {
			memcpy(p + l->lru, &head_info, 8);
		}
	}
}

void
memmap_fill(void *ctx, uint64_t frame, uint64_t payload, void *host)
{
	struct hvo_machine *m = ctx;

	(void)frame;
	fill_page(m, &m->tpl[payload >> PAYLOAD_PFN_BITS],
		  payload & ((UINT64_C(1) << PAYLOAD_PFN_BITS) - 1), host);
}

bool
memmap_shareable(void *ctx, uint64_t payload)
{
	struct hvo_machine *m = ctx;

	return m->tpl[payload >> PAYLOAD_PFN_BITS].patch == TPL_PLAIN;
}

/* memmap_fill_frame() with the template's index known (-1: none). */
static void
fill_frame(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
	   enum tpl_patch patch, uint64_t pfn, int tid)
{
	if (tid >= 0 && phys_set_lazy(&m->phys, frame, payload_make((unsigned)tid, pfn)))
		return;
	if (tid >= 0) {
		fill_page(m, &m->tpl[tid], pfn,
			  phys_to_host(&m->phys, frame << m->arch.page_shift));
		return;
	}
	/* No room for another template: write it out, fix-ups and all. */
	{
		struct memmap_tpl t = { .patch = patch };

		memcpy(t.bytes, tpl, page_layout(m)->size);
		fill_page(m, &t, pfn,
			  phys_to_host(&m->phys, frame << m->arch.page_shift));
	}
}

void
memmap_fill_frame(struct hvo_machine *m, uint64_t frame, const uint8_t *tpl,
		  enum tpl_patch patch, uint64_t pfn)
{
	fill_frame(m, frame, tpl, patch, pfn, memmap_tpl_id(m, tpl, patch));
}

/* Write struct pages [i, end) of the span one at a time (ragged ends). */
static int
write_each(struct hvo_machine *m, uint64_t pfn, uint64_t n,
	   const uint8_t *tpl, enum tpl_patch patch, uint64_t head)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t cur_page = UINT64_MAX;
	uint64_t head_info = pfn_to_page(m, head) + 1;
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
			/* The lru list head points at itself, or the head. */
			for (unsigned k = 0; patch != TPL_PLAIN && k < 2; k++) {
				unsigned f = l->lru + 8 * k;
				const uint64_t *v = patch == TPL_LRU_SELF ? &lru : &head_info;

				if (patch == TPL_HEAD && k)
					break;
				if (f >= off && f + 8 <= off + chunk)
					memcpy(host + (at - pg) + (f - off), v, 8);
			}
			off += chunk;
		}
	}
	return 0;
}

static int
memmap_write(struct hvo_machine *m, uint64_t pfn, uint64_t n,
	     const uint8_t *tpl, enum tpl_patch patch, uint64_t head)
{
	const struct page_layout *l = page_layout(m);
	uint64_t psize = m->arch.page_size;
	uint64_t per_page = psize / l->size;
	uint64_t first, last, leaf_va = 1, leaf_end = 0, leaf_pa = 0;
	struct pt_walk w;
	int rc = 0, tid;

	/*
	 * When struct pages tile a page exactly, each whole vmemmap page is
	 * one template (filled now, or lazily); the ragged ends, and sizes
	 * that straddle pages, go one by one.
	 */
	if (psize % l->size || n < 2 * per_page)
		return write_each(m, pfn, n, tpl, patch, head);
	first = round_up64(pfn, per_page);
	last = round_down64(pfn + n, per_page);
	rc = write_each(m, pfn, first - pfn, tpl, patch, head);
	tid = memmap_tpl_id(m, tpl, patch);
	for (uint64_t p = first; !rc && p < last; p += per_page) {
		uint64_t va = pfn_to_page(m, p);

		/*
		 * The frame behind this vmemmap page, from the page table (no
		 * TLB fill is needed to know it, nor to leave it lazy); one
		 * walk per leaf, which is a 2 MiB block on most arches.
		 */
		if (va < leaf_va || va >= leaf_end) {
			pt_walk(m, va, &w, false);
			if (w.leaf < 0 || w.bad >= 0) {
				rc = machine_err(m, -EFAULT,
						 "struct page of pfn 0x%" PRIx64 " is not mapped", p);
				break;
			}
			leaf_va = va & ~(arch_level_size(&m->arch, (unsigned)w.leaf) - 1);
			leaf_end = leaf_va + arch_level_size(&m->arch, (unsigned)w.leaf);
			leaf_pa = w.lvl[w.leaf].d.pa;
		}
		fill_frame(m, (leaf_pa + (va - leaf_va)) >> m->arch.page_shift, tpl,
			   patch, patch == TPL_HEAD ? head : p, tid);
	}
	if (!rc)
		rc = write_each(m, last, pfn + n - last, tpl, patch, head);
	return rc;
}

int
memmap_write_pages(struct hvo_machine *m, uint64_t pfn, uint64_t n,
		   const uint8_t *tpl)
{
	return memmap_write(m, pfn, n, tpl, TPL_LRU_SELF, 0);
}

int
memmap_write_tails(struct hvo_machine *m, uint64_t pfn, uint64_t n,
		   const uint8_t *tpl, uint64_t head)
{
	return memmap_write(m, pfn, n, tpl,
			    head == MEMMAP_NO_HEAD ? TPL_PLAIN : TPL_HEAD, head);
}
