/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory.
 *
 * All RAM of a machine is one host reservation made with MAP_NORESERVE, so a
 * frame costs host memory only once it is written: host = base + (pa - lo).
 * Only the simulated kernel's metadata is ever written (page tables, struct
 * pages); hugepage contents never are.
 */
#ifndef HVO_PHYS_H
#define HVO_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvo/hvo.h"

struct phys {
	uint8_t *host;      /* host address of pa == lo */
	uint64_t lo, hi;    /* span of the reservation: [lo, hi) */
	unsigned page_shift;
	unsigned nr_ranges;
	struct hvo_mem_range range[HVO_MAX_MEM_RANGES]; /* sorted, disjoint */
	uint64_t total_pages;
};

/* Reserve host address space for the ranges. 0 or -ENOMEM. */
int
phys_init(struct phys *p, const struct hvo_mem_range *ranges,
	  unsigned nr_ranges, unsigned page_shift);

void
phys_fini(struct phys *p);

/* Whether [pa, pa + len) is RAM (inside one range). */
bool
phys_is_ram(const struct phys *p, uint64_t pa, uint64_t len);

static inline bool
pfn_valid(const struct phys *p, uint64_t pfn)
{
	return phys_is_ram(p, pfn << p->page_shift, UINT64_C(1) << p->page_shift);
}

/* Host pointer for a pa known to be RAM. */
static inline void *
phys_to_host(const struct phys *p, uint64_t pa)
{
	return p->host + (pa - p->lo);
}

/*
 * Give the host memory behind [pa, pa + len) back (MADV_DONTNEED): it reads
 * as zeros afterwards. Page aligned. Returns 0 or a negative errno.
 */
int
phys_release(struct phys *p, uint64_t pa, uint64_t len);

/*
 * Hint that [pa, pa + len) will be written densely (the vmemmap): the host
 * may back it with huge pages, so filling it costs one fault per 2 MiB.
 * Only a hint; nothing depends on it.
 */
void
phys_advise_dense(struct phys *p, uint64_t pa, uint64_t len);

#endif /* HVO_PHYS_H */
