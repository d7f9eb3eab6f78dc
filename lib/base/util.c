/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* mremap() */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvo/hvo.h"
#include "base/util.h"

int
errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int
errf_null(char *err, size_t errlen, const char *fn, const char *arg)
{
	return errf(err, errlen, -EINVAL, "%s(): %s must not be NULL", fn, arg);
}

int
describe_bitnames(uint64_t v, const struct bitname *names, size_t n,
		  char *buf, size_t len)
{
	size_t used = 0;

	if (!buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!names[i].bit || (v & names[i].bit) == 0)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s",
				 used ? " " : "", names[i].name);
		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

int
parse_small_uint(const char *s, int max)
{
	long v = 0;

	if (!s || !*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	return (int)v;
}

/* The value of the digit @p c in any base up to 16; 16 for a non-digit. */
static unsigned
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/*
 * The digits of @p base at *@p sp, as the kernel's _parse_integer() takes
 * them, moving *@p sp past them all. Returns 0, -EINVAL if there is no
 * digit, or -ERANGE if the number does not fit in 64 bits.
 */
static int
parse_digits(const char **sp, unsigned base, uint64_t *out)
{
	const char *s = *sp;
	bool range = false;
	uint64_t v = 0;
	unsigned d;

	if (digit_value(*s) >= base)
		return -EINVAL;
	for (; (d = digit_value(*s)) < base; s++) {
		if (v > (UINT64_MAX - d) / base)
			range = true;
		v = v * base + d;
	}
	*sp = s;
	*out = v;
	return range ? -ERANGE : 0;
}

int
parse_u64(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v;
	int rc;

	if (!s || !out)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	rc = parse_digits(&s, base, &v);
	if (rc == -EINVAL || *s)
		return -EINVAL;
	if (rc)
		return rc;
	*out = v;
	return 0;
}

/*
 * memparse() of the kernel's lib/cmdline.c: simple_strtoull(s, &end, 0),
 * then at most one suffix K, M, G, T, P or E, in either case, each a
 * factor of 1024, stopping at the first character it cannot use.
 */
int
memparse(const char *s, const char **end, uint64_t *out)
{
	static const char suffixes[] = "KMGTPE";
	const char *sfx = NULL;
	unsigned base = 10, shift = 0;
	uint64_t v;
	int rc;

	*end = s;
	/* _parse_integer_fixup_radix(): "0x" counts only before a hex digit. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    digit_value(s[2]) < 16) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	rc = parse_digits(&s, base, &v);
	if (rc == -EINVAL)
		return rc;
	if (*s)
		sfx = strchr(suffixes, toupper((unsigned char)*s));
	if (sfx) {
		shift = 10 * (unsigned)(sfx - suffixes + 1);
		s++;
	}
	*end = s;
	if (rc || (shift && v > UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

/*
 * memparse() of the whole string: where memparse() stops at the first
 * character it cannot use and wraps a number past 64 bits, the whole
 * string must be the size here, and an overflow is -ERANGE.
 */
HVO_EXPORT int
hvo_parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int rc;

	if (!s || !out)
		return -EINVAL;
	rc = memparse(s, &end, &v);
	if (rc == -EINVAL || *end)
		return -EINVAL;
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int
kstrtobool(const char *s, bool *out)
{
	if (!s)
		return -EINVAL;
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case 'e': case 'E': case '1':
		*out = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case 'd': case 'D': case '0':
		*out = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*out = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*out = false;
			return 0;
		}
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

void
string_get_size_pow2(uint64_t size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
	};
	unsigned i = 0;

	while (size >= 1024 && i + 1 < ARRAY_SIZE(units)) {
		size >>= 10;
		i++;
	}
	/*
	 * A power of two leaves no remainder, so the digits after the point
	 * are zeros: as many as make three significant digits, none for bytes.
	 */
	if (i == 0 || size >= 100)
		snprintf(buf, len, "%u %s", (unsigned)size, units[i]);
	else
		snprintf(buf, len, "%u.%s %s", (unsigned)size,
			 size >= 10 ? "0" : "00", units[i]);
}

/* Bytes of a mapped array: whole huge pages. */
static size_t
host_array_span(size_t bytes)
{
	return (bytes + HOST_ARRAY_HUGE - 1) & ~(HOST_ARRAY_HUGE - 1);
}

static void *
host_array_map(void *p, size_t old_bytes, size_t new_bytes)
{
	size_t from = host_array_span(old_bytes), to = host_array_span(new_bytes);
	void *q;

	if (p && from == to)
		return p;
#ifdef MREMAP_MAYMOVE
	if (p) {
		/* The host moves the page tables: nothing is copied. */
		q = mremap(p, from, to, MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			return NULL;
		goto advise;
	}
#endif
	q = mmap(NULL, to, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	if (p) {
		memcpy(q, p, old_bytes);
		munmap(p, from);
	}
#ifdef MREMAP_MAYMOVE
advise:
#endif
#ifdef MADV_HUGEPAGE
	madvise(q, to, MADV_HUGEPAGE);
#endif
	return q;
}

void *
host_array_grow(void *p, size_t old_bytes, size_t new_bytes)
{
	void *q;

	if (new_bytes <= old_bytes)
		return p;
	if (new_bytes < HOST_ARRAY_HUGE)
		return realloc(p, new_bytes);
	if (old_bytes >= HOST_ARRAY_HUGE)
		return host_array_map(p, old_bytes, new_bytes);
	/* From the heap to a mapping of its own. */
	q = host_array_map(NULL, 0, new_bytes);
	if (q && p) {
		memcpy(q, p, old_bytes);
		free(p);
	}
	return q;
}

void
host_array_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < HOST_ARRAY_HUGE)
		free(p);
	else
		munmap(p, host_array_span(bytes));
}
