/* SPDX-License-Identifier: MIT */
/*
 * The helpers every fuzz target links, in both of its builds.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "fuzz.h"

uint64_t
fuzz_rand(uint64_t *rng)
{
	uint64_t x = *rng ? *rng : UINT64_C(0x9e3779b97f4a7c15);

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*rng = x;
	return x * UINT64_C(2685821657736338717);
}

uint64_t
fuzz_below(uint64_t *rng, uint64_t n)
{
	return n ? fuzz_rand(rng) % n : 0;
}

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/*
 * Defects that are fixed: their guards stay off, so the fuzzers exercise
 * what once broke (issue 10's defects 1-6 and what the fuzzers found).
 */
static const char *const fixed_defects[] = {
	"adjacent-ranges-unaligned",
	"fakehead-restore-page3",
	"free-pfn-overflow",
	"alloc-contig-order-64",
	"keep2-rollback-null",
	"hugepage-pfn-enoent-reason",
};

bool
fuzz_known(const char *name)
{
	const char *v = getenv("HVO_FUZZ_KNOWN"), *p;
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(fixed_defects) / sizeof(fixed_defects[0]); i++)
		if (!strcmp(name, fixed_defects[i]))
			return true;
	if (!v || !*v)
		return false;
	if (!strcmp(v, "all"))
		return true;
	for (p = v; (p = strstr(p, name)); p += len)
		if ((p == v || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

bool
fuzz_known_adjacent_ranges(const struct hvo_machine *m)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_geometry g;

	if (fuzz_known("adjacent-ranges-unaligned") || !cfg ||
	    hvo_machine_geometry(m, &g))
		return false;
	for (unsigned i = 1; i < cfg->nr_mem_ranges; i++) {
		uint64_t block = (uint64_t)g.page_size << g.max_page_order;

		if (cfg->mem[i - 1].base + cfg->mem[i - 1].size ==
		    cfg->mem[i].base && cfg->mem[i].base % block)
			return true;
	}
	return false;
}

uint8_t
fuzz_u8(struct fuzz_input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

uint16_t
fuzz_u16(struct fuzz_input *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

uint64_t
fuzz_u64(struct fuzz_input *in)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)fuzz_u8(in) << (8 * i);
	return v;
}
