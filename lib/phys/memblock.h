/* SPDX-License-Identifier: MIT */
/*
 * memblock: the boot-time allocator, as mm/memblock.c.
 *
 * Two sorted lists of disjoint, merged regions: "memory" (all RAM) and
 * "reserved" (taken). Allocation is top-down and returns the highest free,
 * aligned range, as the kernel's default. At the end of boot the ranges in
 * memory but not in reserved go to the buddy allocator.
 */
#ifndef HVO_MEMBLOCK_H
#define HVO_MEMBLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memblock_region {
	uint64_t base;
	uint64_t size;
};

struct memblock_type {
	size_t cnt;
	size_t max;
	struct memblock_region *regions;
	const char *name;
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
};

void
memblock_init(struct memblock *mb);

void
memblock_fini(struct memblock *mb);

/* Add RAM. 0 or -ENOMEM. */
int
memblock_add(struct memblock *mb, uint64_t base, uint64_t size);

/* Mark [base, base + size) taken. 0 or -ENOMEM. */
int
memblock_reserve(struct memblock *mb, uint64_t base, uint64_t size);

/* Give a reserved range back (memblock_phys_free). 0 or -ENOMEM. */
int
memblock_phys_free(struct memblock *mb, uint64_t base, uint64_t size);

/*
 * Allocate size bytes aligned to align, top-down, below limit (0: no limit).
 * 0 and *pa, or -ENOMEM.
 */
int
memblock_phys_alloc(struct memblock *mb, uint64_t size, uint64_t align,
		    uint64_t limit, uint64_t *pa);

/*
 * @n allocations of @size bytes aligned to @size, no limit, as @n calls
 * of memblock_phys_alloc() would make them: top-down, each just below the
 * one before while the free range the first went into lasts. *@pa is the
 * first (highest); returns how many were made, from 1 to @n, the rest
 * left to the caller; 0 when not even one fits.
 */
uint64_t
memblock_phys_alloc_down(struct memblock *mb, uint64_t size, uint64_t n,
			 uint64_t *pa);

/* Whether any byte of [base, base + size) is reserved. */
int
memblock_is_reserved(const struct memblock *mb, uint64_t base, uint64_t size);

/*
 * The run of [base, limit) that starts at base and is all reserved or all
 * not: returns its end, and whether it is reserved.
 */
uint64_t
memblock_reserved_run(const struct memblock *mb, uint64_t base,
		      uint64_t limit, bool *reserved);

/* Bytes of memory, and bytes reserved. */
uint64_t
memblock_phys_mem_size(const struct memblock *mb);

uint64_t
memblock_reserved_size(const struct memblock *mb);

/*
 * Call fn for every free range (memory minus reserved), low to high, as
 * for_each_free_mem_range(). Stops early if fn returns non-zero.
 */
int
memblock_for_each_free(const struct memblock *mb,
		       int (*fn)(void *ctx, uint64_t base, uint64_t size),
		       void *ctx);

#endif /* HVO_MEMBLOCK_H */
