/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "phys/memblock.h"

void
memblock_init(struct memblock *mb)
{
	memset(mb, 0, sizeof(*mb));
	mb->memory.name = "memory";
	mb->reserved.name = "reserved";
}

void
memblock_fini(struct memblock *mb)
{
	free(mb->memory.regions);
	free(mb->reserved.regions);
	memset(mb, 0, sizeof(*mb));
}

static int
memblock_grow(struct memblock_type *t)
{
	size_t max = t->max ? t->max * 2 : 16;
	struct memblock_region *r = realloc(t->regions, max * sizeof(*r));

	if (!r)
		return -ENOMEM;
	t->regions = r;
	t->max = max;
	return 0;
}

/* First region that ends after base. */
static size_t
memblock_search(const struct memblock_type *t, uint64_t base)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct memblock_region *r = &t->regions[mid];

		if (r->base + r->size <= base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Insert [base, end) and merge it with every region it overlaps or
 * touches, keeping the list sorted and disjoint.
 */
static int
memblock_add_range(struct memblock_type *t, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;
	size_t i, j;

	if (size == 0)
		return 0;
	/* The first region that ends at or after base may touch us. */
	i = memblock_search(t, base);
	if (i > 0 && t->regions[i - 1].base + t->regions[i - 1].size == base)
		i--;
	for (j = i; j < t->cnt && t->regions[j].base <= end; j++) {
		const struct memblock_region *r = &t->regions[j];

		if (r->base < base)
			base = r->base;
		if (r->base + r->size > end)
			end = r->base + r->size;
	}
	if (j == i) {
		if (t->cnt == t->max && memblock_grow(t))
			return -ENOMEM;
		memmove(&t->regions[i + 1], &t->regions[i],
			(t->cnt - i) * sizeof(t->regions[0]));
		t->cnt++;
	} else if (j > i + 1) {
		memmove(&t->regions[i + 1], &t->regions[j],
			(t->cnt - j) * sizeof(t->regions[0]));
		t->cnt -= j - i - 1;
	}
	t->regions[i].base = base;
	t->regions[i].size = end - base;
	return 0;
}

static int
memblock_remove_range(struct memblock_type *t, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;
	size_t i = memblock_search(t, base);

	while (i < t->cnt && t->regions[i].base < end) {
		struct memblock_region *r = &t->regions[i];
		uint64_t rend = r->base + r->size;

		if (r->base < base && rend > end) {
			/* A hole in the middle: split in two. */
			if (t->cnt == t->max && memblock_grow(t))
				return -ENOMEM;
			r = &t->regions[i];
			memmove(&t->regions[i + 1], &t->regions[i],
				(t->cnt - i) * sizeof(*r));
			t->cnt++;
			t->regions[i].size = base - r->base;
			t->regions[i + 1].base = end;
			t->regions[i + 1].size = rend - end;
			return 0;
		}
		if (r->base < base) {
			r->size = base - r->base;
			i++;
		} else if (rend > end) {
			r->size = rend - end;
			r->base = end;
			i++;
		} else {
			memmove(&t->regions[i], &t->regions[i + 1],
				(t->cnt - i - 1) * sizeof(*r));
			t->cnt--;
		}
	}
	return 0;
}

int
memblock_add(struct memblock *mb, uint64_t base, uint64_t size)
{
	return memblock_add_range(&mb->memory, base, size);
}

int
memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size)
{
	return memblock_add_range(&mb->reserved, base, size);
}

int
memblock_phys_free(struct memblock *mb, uint64_t base, uint64_t size)
{
	return memblock_remove_range(&mb->reserved, base, size);
}

int
memblock_is_reserved(const struct memblock *mb, uint64_t base, uint64_t size)
{
	const struct memblock_type *t = &mb->reserved;
	size_t i = memblock_search(t, base);

	return i < t->cnt && t->regions[i].base < base + size;
}

/*
 * Top-down: walk the memory regions from the highest, and inside each the
 * gaps between reserved regions from the highest, taking the first aligned
 * fit. Reserved regions are merged, so a boot that allocates downwards keeps
 * this list short.
 */
int
memblock_phys_alloc(struct memblock *mb, uint64_t size, uint64_t align,
		    uint64_t limit, uint64_t *pa)
{
	const struct memblock_type *rsv = &mb->reserved;

	if (size == 0 || align == 0 || (align & (align - 1)))
		return -EINVAL;
	for (size_t m = mb->memory.cnt; m-- > 0;) {
		uint64_t mbase = mb->memory.regions[m].base;
		uint64_t top = mbase + mb->memory.regions[m].size;
		size_t r;

		if (limit && top > limit)
			top = limit;
		if (top <= mbase)
			continue;
		/* Reserved regions that start below top, highest first. */
		/* Regions [0, r) end at or below top; r may straddle it. */
		r = memblock_search(rsv, top);
		if (r < rsv->cnt && rsv->regions[r].base < top)
			top = rsv->regions[r].base;
		for (;;) {
			uint64_t lo = mbase;
			const struct memblock_region *below = NULL;

			if (r > 0 && rsv->regions[r - 1].base + rsv->regions[r - 1].size > mbase) {
				below = &rsv->regions[r - 1];
				lo = below->base + below->size;
			}
			if (top > lo && top - lo >= size) {
				uint64_t cand = (top - size) & ~(align - 1);

				if (cand >= lo) {
					*pa = cand;
					return memblock_reserve(mb, cand, size);
				}
			}
			if (!below)
				break;
			top = below->base;
			r--;
			if (top <= mbase)
				break;
		}
	}
	return -ENOMEM;
}

uint64_t
memblock_phys_alloc_down(struct memblock *mb, uint64_t size, uint64_t n,
			 uint64_t *pa)
{
	const struct memblock_type *rsv = &mb->reserved, *mem = &mb->memory;
	uint64_t lo = 0, k;
	size_t i;

	if (!n || memblock_phys_alloc(mb, size, size, 0, pa))
		return 0;
	/*
	 * The first went to the top of the highest free range that fits
	 * it; allocations only shrink the free ranges, so each next one
	 * goes just below, down to the free range's floor: the memory
	 * region's base, or the reserved region below.
	 */
	i = memblock_search(mem, *pa);
	if (i < mem->cnt && mem->regions[i].base <= *pa)
		lo = mem->regions[i].base;
	i = memblock_search(rsv, *pa); /* the region just reserved */
	if (i > 0 && rsv->regions[i - 1].base + rsv->regions[i - 1].size > lo)
		lo = rsv->regions[i - 1].base + rsv->regions[i - 1].size;
	if (i < rsv->cnt && rsv->regions[i].base < *pa)
		return 1; /* merged with a region below: no room */
	k = (*pa - lo) / size;
	if (k > n - 1)
		k = n - 1;
	if (k && memblock_reserve(mb, *pa - k * size, k * size))
		return 1;
	return k + 1;
}

uint64_t
memblock_reserved_run(const struct memblock *mb, uint64_t base,
		      uint64_t limit, bool *reserved)
{
	const struct memblock_type *t = &mb->reserved;
	size_t i = memblock_search(t, base);

	if (i < t->cnt && t->regions[i].base <= base) {
		uint64_t end = t->regions[i].base + t->regions[i].size;

		*reserved = true;
		return end < limit ? end : limit;
	}
	*reserved = false;
	if (i < t->cnt && t->regions[i].base < limit)
		return t->regions[i].base;
	return limit;
}

static uint64_t
memblock_type_size(const struct memblock_type *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < t->cnt; i++)
		sum += t->regions[i].size;
	return sum;
}

uint64_t
memblock_phys_mem_size(const struct memblock *mb)
{
	return memblock_type_size(&mb->memory);
}

uint64_t
memblock_reserved_size(const struct memblock *mb)
{
	return memblock_type_size(&mb->reserved);
}

int
memblock_for_each_free(const struct memblock *mb,
		       int (*fn)(void *ctx, uint64_t base, uint64_t size),
		       void *ctx)
{
	const struct memblock_type *rsv = &mb->reserved;

	for (size_t m = 0; m < mb->memory.cnt; m++) {
		uint64_t pos = mb->memory.regions[m].base;
		uint64_t end = pos + mb->memory.regions[m].size;
		size_t r = memblock_search(rsv, pos);

		while (pos < end) {
			uint64_t stop = end;
			int rc;

			if (r < rsv->cnt && rsv->regions[r].base < end)
				stop = rsv->regions[r].base > pos ?
				       rsv->regions[r].base : pos;
			if (stop > pos) {
				rc = fn(ctx, pos, stop - pos);
				if (rc)
					return rc;
			}
			if (stop == end)
				break;
			pos = rsv->regions[r].base + rsv->regions[r].size;
			r++;
		}
	}
	return 0;
}
