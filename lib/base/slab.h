/* SPDX-License-Identifier: MIT */
/*
 * A slab of host memory: objects of a few sizes, made and dropped by the
 * ten thousand (the compaction's records), each size with a free list,
 * carved from pieces of HOST_ARRAY_HUGE bytes the host may back with
 * huge pages (host_array_grow()). malloc() gave the same objects a 4 KiB
 * fault for each new page of them: the first grow of a 1 TiB pool after
 * a shrink faulted 45 MiB of records in, 11,000 faults, a fifth of its
 * time on a VM. Host memory only; nothing here is simulated.
 */
#ifndef HVO_SLAB_H
#define HVO_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Objects larger than this are malloc()'s. */
#define HOST_SLAB_MAX 2048u

struct host_slab {
	void *free[HOST_SLAB_MAX / 8 + 1]; /* by size / 8, linked through word 0 */
	uint8_t *cur, *end;                /* what is left of the newest piece */
	void **piece;                      /* every piece, to give back */
	size_t nr_piece, max_piece;
};

/*
 * Whether an object of @size bytes comes from a slab. Not under
 * AddressSanitizer: every object is malloc()'s there, so that a use after
 * free is caught.
 */
bool
host_slab_takes(size_t size);

/*
 * @size bytes (a multiple of 8, at least 8) from @s, or malloc()'s if it
 * does not take them; NULL without host memory.
 */
void *
host_slab_alloc(struct host_slab *s, size_t size);

/* Give back @p (NULL is fine), which host_slab_alloc() gave for @size. */
void
host_slab_free(struct host_slab *s, void *p, size_t size);

/*
 * Give back @s's pieces: every object of the slab's goes with them (the
 * malloc()'s ones are the caller's to free). @s is empty again.
 */
void
host_slab_fini(struct host_slab *s);

#endif /* HVO_SLAB_H */
