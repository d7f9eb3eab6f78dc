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

bool
fuzz_known(const char *name)
{
	const char *v = getenv("HVO_FUZZ_KNOWN"), *p;
	size_t len = strlen(name);

	if (!v || !*v)
		return false;
	if (!strcmp(v, "all"))
		return true;
	for (p = v; (p = strstr(p, name)); p += len)
		if ((p == v || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
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
