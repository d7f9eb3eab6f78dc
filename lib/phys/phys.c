/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "phys.h"

int
phys_init(struct phys *p, const struct hvo_mem_range *ranges,
	  unsigned nr_ranges, unsigned page_shift)
{
	void *host;

	memset(p, 0, sizeof(*p));
	if (nr_ranges == 0 || nr_ranges > HVO_MAX_MEM_RANGES)
		return -EINVAL;
	p->page_shift = page_shift;
	p->nr_ranges = nr_ranges;
	memcpy(p->range, ranges, nr_ranges * sizeof(*ranges));
	p->lo = ranges[0].base;
	p->hi = ranges[nr_ranges - 1].base + ranges[nr_ranges - 1].size;
	for (unsigned i = 0; i < nr_ranges; i++)
		p->total_pages += ranges[i].size >> page_shift;

	/* Address space only: untouched frames cost no host memory. */
	host = mmap(NULL, p->hi - p->lo, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return -ENOMEM;
	p->host = host;
	return 0;
}

void
phys_fini(struct phys *p)
{
	if (p->host)
		munmap(p->host, p->hi - p->lo);
	p->host = NULL;
}

bool
phys_is_ram(const struct phys *p, uint64_t pa, uint64_t len)
{
	for (unsigned i = 0; i < p->nr_ranges; i++) {
		const struct hvo_mem_range *r = &p->range[i];

		if (pa >= r->base && pa - r->base < r->size)
			return len <= r->size - (pa - r->base);
	}
	return false;
}

int
phys_release(struct phys *p, uint64_t pa, uint64_t len)
{
	if (len == 0)
		return 0;
	if (madvise(phys_to_host(p, pa), len, MADV_DONTNEED) != 0)
		return -errno;
	return 0;
}

void
phys_advise_dense(struct phys *p, uint64_t pa, uint64_t len)
{
#ifdef MADV_HUGEPAGE
	const uint64_t huge = UINT64_C(2) << 20;
	uintptr_t lo = (uintptr_t)phys_to_host(p, pa);
	uintptr_t hi = lo + len;

	/* Only whole host huge pages inside the range. */
	lo = (lo + huge - 1) & ~(huge - 1);
	hi &= ~(huge - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
	(void)p;
	(void)pa;
	(void)len;
#endif
}
