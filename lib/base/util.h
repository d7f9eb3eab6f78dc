/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every layer uses: error text, bit names, number parsing.
 */
#ifndef HVO_UTIL_H
#define HVO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HVO_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#else
#define HVO_PRINTF(a, b)
#define likely(x)   (x)
#define unlikely(x) (x)
#endif

/*
 * A hot helper inlined into each caller in every optimized build,
 * whatever the compiler's own weighing says. Unoptimized (the debug and
 * coverage builds) it stays a plain inline function the compiler need
 * not copy: each function's lines and branches are then counted once,
 * as the source has them, not once per caller it was copied into.
 */
#if defined(__GNUC__) && defined(__OPTIMIZE__)
#define HVO_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define HVO_ALWAYS_INLINE inline
#endif

/* Marks the definitions that make up the public ABI. */
#if defined(__GNUC__)
#define HVO_EXPORT __attribute__((visibility("default")))
#else
#define HVO_EXPORT
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Format a reason into err (which may be NULL) and return rc, so that an
 * error path is one line: return errf(err, len, -EINVAL, "...", ...).
 */
int
errf(char *err, size_t errlen, int rc, const char *fmt, ...) HVO_PRINTF(4, 5);

/* A public call @fn without a machine refuses a NULL @arg: -EINVAL. */
int
errf_null(char *err, size_t errlen, const char *fn, const char *arg);

struct bitname {
	uint64_t bit;     /* mask of the field; 0 skips the entry */
	const char *name;
};

/* Write the names of the fields set in v, separated by spaces. */
int
describe_bitnames(uint64_t v, const struct bitname *names, size_t n,
		  char *buf, size_t len);

/* A decimal number in [0, max], or -1. */
int
parse_small_uint(const char *s, int max);

/*
 * An unsigned number in decimal or 0x hex, the whole string. Returns 0, or
 * -EINVAL (malformed) or -ERANGE. Sizes are read by hvo_parse_size().
 */
int
parse_u64(const char *s, uint64_t *out);

/*
 * memparse(): a size with an optional suffix (K to E), read up to the
 * first character that is none of it; *@p end points there. Returns 0,
 * -EINVAL (no digit: the kernel reads 0) or -ERANGE (past 64 bits, where
 * the kernel wraps).
 */
int
memparse(const char *s, const char **end, uint64_t *out);

/*
 * kstrtobool() (lib/kstrtox.c of 6.12): the first character decides --
 * y, Y, t, T, e, E or 1 is true; n, N, f, F, d, D or 0 is false; "on" and
 * "off" by their first two, in either case. Anything else, or NULL (a
 * parameter given without '='), is -EINVAL.
 */
int
kstrtobool(const char *s, bool *out);

/*
 * string_get_size() (lib/string_helpers.c) in binary units for a size
 * that is a power of two: three significant digits and the unit, "2.00
 * MiB", "32.0 MiB", "512 MiB", "1.00 GiB", as the kernel names hugepage
 * sizes in its log.
 */
void
string_get_size_pow2(uint64_t size, char *buf, size_t len);

static inline bool
is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/*
 * floor(log2(v)), 0 for v <= 1: the highest set bit, without a loop
 * (compound_info() asks it for every hugepage prep writes).
 */
static inline unsigned
ilog2_u64(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v | 1);
}

/*
 * The index of the first non-zero word of a public struct's reserved
 * space (doc/ABI.md), or @n when all are zero.
 */
static inline size_t
reserved_first_set(const uint64_t *reserved, size_t n)
{
	size_t i = 0;

	while (i < n && !reserved[i])
		i++;
	return i;
}

static inline uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t
round_down64(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

static inline uint64_t
round_up64(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

/* qsort() and bsearch() order of uint64_t. */
static inline int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The size from which a host array is a mapping of its own, in whole
 * 2 MiB pieces the host may back with transparent huge pages: the arrays
 * of one entry per hugepage of a big pool. Their first touch faults 2 MiB
 * at a time instead of 4 KiB. On a VM a 4 KiB fault cost 10 to 13 us;
 * with these, the first grow of a 1 TiB pool took 2,655 faults instead
 * of 17,594 (bench-hvo's host page faults).
 */
#define HOST_ARRAY_HUGE ((size_t)2 << 20)

/*
 * realloc() for an array that only grows: @p (NULL, or what this
 * returned for @old_bytes) with room for @new_bytes, its first
 * @old_bytes kept; NULL without host memory, @p then unchanged. From
 * HOST_ARRAY_HUGE bytes on it is mapped (the new bytes read as zeros);
 * below, it is malloc()'s. Asked for less than @old_bytes, it returns @p.
 */
void *
host_array_grow(void *p, size_t old_bytes, size_t new_bytes);

/* Give back what host_array_grow() returned for @bytes (NULL is fine). */
void
host_array_free(void *p, size_t bytes);

#endif /* HVO_UTIL_H */
