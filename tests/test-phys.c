/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory on its own, without a machine: zero, lazy and
 * written frames, shared read-only copies, copy_page() by description and
 * by sharing (copy-on-write), release, reclaim against the TLB and the trim
 * of an idle arena.
 *
 * The filler here writes a pattern any test can recompute: each 64-bit word
 * is payload ^ word index, and for a payload that is not shareable (odd)
 * also ^ (pfn << 32), so its bytes depend on the frame.
 */
#include <stdbool.h>
#include <string.h>

#include "testutil.h"
#include "phys/phys.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

#define MAX_PAGE (64 * KIB)
#define MAX_UNSHARE 64

static struct phys phys;

/* What the filler was asked, and which pages live() reports. */
static struct {
	uint64_t fills;
	unsigned unshares;
	uint64_t unshare_pfn[MAX_UNSHARE];
	unsigned lives;
	const void *mark[4];
	unsigned nr_mark;
	bool all_live; /* live() reports every page of the arena */
} rec;

static uint64_t zeros[MAX_PAGE / 8];
static uint64_t expect_buf[MAX_PAGE / 8];

static bool
t_shareable(void *ctx, uint64_t payload)
{
	(void)ctx;
	return !(payload & 1);
}

static void
pattern(uint64_t pfn, uint64_t payload, void *host, uint64_t size)
{
	uint64_t *w = host;
	uint64_t salt = t_shareable(NULL, payload) ? 0 : pfn << 32;

	for (uint64_t i = 0; i < size / 8; i++)
		w[i] = payload ^ salt ^ i;
}

static void
t_fill(void *ctx, uint64_t pfn, uint64_t payload, void *host)
{
	struct phys *p = ctx;

	rec.fills++;
	pattern(pfn, payload, host, p->page_size);
}

static void
t_unshare(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (rec.unshares < MAX_UNSHARE)
		rec.unshare_pfn[rec.unshares] = pfn;
	rec.unshares++;
}

static void
t_live(void *ctx)
{
	struct phys *p = ctx;

	rec.lives++;
	for (unsigned i = 0; i < rec.nr_mark; i++)
		phys_mark_live(p, rec.mark[i]);
	for (uint64_t i = 0; rec.all_live && i < p->arena_top; i++)
		phys_mark_live(p, p->arena + (i << p->page_shift));
}

/* How often unshare() was called for @pfn. */
static unsigned
unshared(uint64_t pfn)
{
	unsigned n = 0;

	assert_true(rec.unshares <= MAX_UNSHARE);
	for (unsigned i = 0; i < rec.unshares; i++)
		n += rec.unshare_pfn[i] == pfn;
	return n;
}

static void
setup_ranges(const struct hvo_mem_range *r, unsigned n, unsigned page_shift)
{
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(phys_init(&phys, r, n, page_shift), 0);
	phys.filler = (struct phys_filler){
		.fill = t_fill,
		.shareable = t_shareable,
		.unshare = t_unshare,
		.live = t_live,
		.ctx = &phys,
	};
}

static void
setup_flat(uint64_t size, unsigned page_shift)
{
	const struct hvo_mem_range r = { .base = 0, .size = size };

	setup_ranges(&r, 1, page_shift);
}

static int
teardown(void **state)
{
	(void)state;
	/* Safe on a struct phys that phys_fini() already zeroed. */
	phys_fini(&phys);
	return 0;
}

static uint64_t
pa_of(uint64_t pfn)
{
	return pfn << phys.page_shift;
}

/* Write access: the frame gets its own page. */
static uint8_t *
rw(uint64_t pfn)
{
	uint8_t *h = phys_to_host(&phys, pa_of(pfn));

	assert_non_null(h);
	return h;
}

/* A read that must see a shared copy. */
static const uint8_t *
ro_shared(uint64_t pfn)
{
	bool own = true;
	const uint8_t *h = phys_to_host_ro(&phys, pa_of(pfn), &own);

	assert_non_null(h);
	assert_false(own);
	return h;
}

/* A read that must see the frame's own page. */
static const uint8_t *
ro_owned(uint64_t pfn)
{
	bool own = false;
	const uint8_t *h = phys_to_host_ro(&phys, pa_of(pfn), &own);

	assert_non_null(h);
	assert_true(own);
	return h;
}

static bool
is_zero(const void *h)
{
	return memcmp(h, zeros, phys.page_size) == 0;
}

/* The bytes the filler writes for @payload at @pfn. */
static const void *
expect(uint64_t pfn, uint64_t payload)
{
	pattern(pfn, payload, expect_buf, phys.page_size);
	return expect_buf;
}

static bool
is_filled(const void *h, uint64_t pfn, uint64_t payload)
{
	return memcmp(h, expect(pfn, payload), phys.page_size) == 0;
}

static bool
is_lazy(uint64_t pfn, uint64_t payload)
{
	uint64_t got = ~payload;

	return phys_lazy_payload(&phys, pfn, &got) && got == payload;
}

static bool
not_lazy(uint64_t pfn)
{
	uint64_t got;

	return !phys_lazy_payload(&phys, pfn, &got);
}

/* 1. A fresh frame reads as the zero page until written. */
static void
test_zero_frame(void **state)
{
	uint64_t top;
	const uint8_t *z, *r;
	uint8_t *w, *w2;
	bool own = true;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;

	z = ro_shared(10);
	assert_true(is_zero(z));
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_int_equal(phys.arena_top, top);
	/* Every zero frame reads the one zero page, at the right offset. */
	assert_ptr_equal(ro_shared(11), z);
	assert_ptr_equal(phys_to_host_ro(&phys, pa_of(12) + 123, &own),
			 z + 123);
	assert_false(own);
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(rec.fills, 0);

	w = rw(10);
	assert_ptr_not_equal(w, z);
	assert_true(is_zero(w));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_int_equal(phys.arena_top, top + 1);
	memset(w, 0x5a, phys.page_size);

	r = ro_owned(10);
	assert_ptr_equal(r, w);
	assert_ptr_equal(phys_to_host(&phys, pa_of(10) + 8), w + 8);
	assert_ptr_equal(phys_to_host_ro(&phys, pa_of(10) + 100, NULL),
			 w + 100);
	assert_int_equal(phys_host_frames(&phys), 1);
	/* The write did not go to the zero page. */
	assert_true(is_zero(z));
	assert_true(is_zero(ro_shared(11)));

	/* Frame 10 had the zero page handed out: its translations go. */
	assert_int_equal(unshared(10), 1);
	assert_int_equal(rec.unshares, 1);
	/* A frame written without a read before has nothing to unshare. */
	w2 = rw(13);
	assert_ptr_not_equal(w2, w);
	assert_int_equal(unshared(13), 0);
	assert_int_equal(phys_host_frames(&phys), 2);
	phys_fini(&phys);
}

/* 2. A lazy frame is filled on first write; a written one stays. */
static void
test_set_lazy(void **state)
{
	const uint64_t payload = 0x1235; /* odd: not shareable */
	const uint64_t big = (UINT64_C(1) << 60) | 0x11;
	uint64_t top, got;
	uint8_t *w;
	const uint8_t *r;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;

	/* No leaf yet: nothing is lazy. */
	assert_true(not_lazy(5000));

	assert_true(phys_set_lazy(&phys, 20, payload));
	assert_true(is_lazy(20, payload));
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(rec.fills, 0);

	w = rw(20);
	assert_true(is_filled(w, 20, payload));
	assert_int_equal(rec.fills, 1);
	assert_true(not_lazy(20));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_ptr_equal(ro_owned(20), w);

	/* A frame with its own page is never made lazy. */
	w[7] ^= 0xee;
	assert_false(phys_set_lazy(&phys, 20, 0x999));
	assert_true(not_lazy(20));
	assert_ptr_equal(rw(20), w);
	assert_int_equal(w[7],
			 ((const uint8_t *)expect(20, payload))[7] ^ 0xee);
	w[7] ^= 0xee;
	assert_true(is_filled(w, 20, payload));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_int_equal(rec.fills, 1);

	/* A lazy frame takes a new description; all 61 bits of it. */
	assert_true(phys_set_lazy(&phys, 21, 3));
	assert_true(phys_set_lazy(&phys, 21, 5));
	assert_true(is_lazy(21, 5));
	assert_true(phys_set_lazy(&phys, 22, big));
	assert_true(phys_lazy_payload(&phys, 22, &got));
	assert_int_equal(got, big);
	assert_true(is_filled(ro_owned(22), 22, big));

	/* Zeros read through the zero page, then described: unshared. */
	assert_true(is_zero(ro_shared(23)));
	assert_int_equal(unshared(23), 0);
	assert_true(phys_set_lazy(&phys, 23, 7));
	assert_int_equal(unshared(23), 1);
	r = ro_owned(23);
	assert_true(is_filled(r, 23, 7));
	assert_int_equal(unshared(23), 1);
	assert_int_equal(phys_host_frames(&phys), 3);
	phys_fini(&phys);
}

/* 3. One read-only copy per shareable payload; a write unshares. */
static void
test_shareable(void **state)
{
	const uint64_t even = 0x100, odd = 0x101, other = 0x200;
	uint64_t top;
	const uint8_t *a, *b, *c;
	uint8_t *w;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;

	assert_true(phys_set_lazy(&phys, 30, even));
	assert_true(phys_set_lazy(&phys, 31, even));
	a = ro_shared(30);
	b = ro_shared(31);
	assert_ptr_equal(a, b);
	assert_true(is_filled(a, 30, even));
	assert_int_equal(rec.fills, 1);
	assert_int_equal(phys.arena_top, top + 1);
	assert_int_equal(phys_host_frames(&phys), 0);
	/* Still described, not materialized. */
	assert_true(is_lazy(30, even));
	assert_true(is_lazy(31, even));
	/* Another shareable payload gets a copy of its own. */
	assert_true(phys_set_lazy(&phys, 33, other));
	c = ro_shared(33);
	assert_ptr_not_equal(c, a);
	assert_true(is_filled(c, 33, other));
	assert_int_equal(phys.arena_top, top + 2);
	top = phys.arena_top;

	/* Not shareable: a read gives the frame its own page. */
	assert_true(phys_set_lazy(&phys, 32, odd));
	c = ro_owned(32);
	assert_true(is_filled(c, 32, odd));
	assert_true(not_lazy(32));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_int_equal(phys.arena_top, top + 1);
	assert_ptr_equal(rw(32), c);
	assert_int_equal(unshared(32), 0);

	/* The first write to a frame read through the shared copy. */
	w = rw(30);
	assert_ptr_not_equal(w, a);
	assert_true(is_filled(w, 30, even));
	assert_int_equal(unshared(30), 1);
	assert_int_equal(phys_host_frames(&phys), 2);
	w[0] ^= 1;
	assert_ptr_equal(rw(30), w);
	assert_ptr_equal(ro_owned(30), w);
	assert_int_equal(unshared(30), 1);
	/* The shared copy is untouched and still serves frame 31. */
	assert_true(is_filled(a, 31, even));
	assert_ptr_equal(ro_shared(31), a);
	assert_int_equal(unshared(31), 0);
	assert_int_equal(rec.unshares, 1);
	phys_fini(&phys);
}

/* 4. copy_page() of a lazy or zero frame copies its description. */
static void
test_copy_lazy(void **state)
{
	uint64_t top;
	uint8_t *w;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;

	assert_true(phys_set_lazy(&phys, 40, 0x303));
	phys_copy_frame(&phys, 41, 40, false);
	assert_true(is_lazy(41, 0x303));
	assert_true(is_lazy(40, 0x303));
	phys_copy_frame(&phys, 42, 40, true);
	assert_true(is_lazy(42, 0x303));
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(rec.fills, 0);

	/* The same description reads the same shared copy. */
	assert_true(phys_set_lazy(&phys, 43, 0x400));
	phys_copy_frame(&phys, 44, 43, false);
	assert_true(is_lazy(44, 0x400));
	assert_ptr_equal(ro_shared(44), ro_shared(43));
	assert_int_equal(phys_host_frames(&phys), 0);

	/* A zero source: zeros, also over a lazy destination. */
	phys_copy_frame(&phys, 45, 46, false);
	assert_true(not_lazy(45));
	assert_true(is_zero(ro_shared(45)));
	assert_true(phys_set_lazy(&phys, 47, 0x505));
	phys_copy_frame(&phys, 47, 46, true);
	assert_true(not_lazy(47));
	assert_true(is_zero(ro_shared(47)));
	assert_int_equal(phys_host_frames(&phys), 0);

	/* A destination read through a shared copy changes: unshared. */
	assert_true(phys_set_lazy(&phys, 48, 0x600));
	assert_true(is_filled(ro_shared(48), 48, 0x600));
	assert_int_equal(unshared(48), 0);
	phys_copy_frame(&phys, 48, 46, false);
	assert_int_equal(unshared(48), 1);
	assert_true(is_zero(ro_shared(48)));

	/* So is one that gets a description. */
	assert_true(phys_set_lazy(&phys, 49, 0x700));
	assert_true(is_filled(ro_shared(49), 49, 0x700));
	phys_copy_frame(&phys, 49, 40, false);
	assert_int_equal(unshared(49), 1);
	assert_true(is_lazy(49, 0x303));

	/* A destination with a page of its own gets the bytes in it. */
	w = rw(50);
	memset(w, 0x5a, phys.page_size);
	phys_copy_frame(&phys, 50, 40, false);
	assert_ptr_equal(ro_owned(50), w);
	assert_true(is_filled(w, 40, 0x303));
	phys_fini(&phys);
}

/* 5. copy_page() sharing a written page, copy-on-write. */
static void
test_copy_share(void **state)
{
	const uint64_t pat = 0x777;
	uint64_t top, pend;
	uint8_t *w, *d, *d2, *x[3];

	(void)state;
	setup_flat(64 * MIB, 12);

	/* Copy, then write the destination. */
	w = rw(50);
	pattern(50, pat, w, phys.page_size);
	top = phys.arena_top;
	phys_copy_frame(&phys, 51, 50, true);
	assert_int_equal(phys_host_frames(&phys), 2);
	assert_int_equal(phys.arena_top, top);
	assert_ptr_equal(ro_shared(51), w);
	/* Neither frame may be written through this page now. */
	assert_ptr_equal(ro_shared(50), w);
	assert_true(is_filled(ro_shared(51), 50, pat));

	d = rw(51);
	assert_ptr_not_equal(d, w);
	assert_int_equal(phys.arena_top, top + 1);
	assert_true(is_filled(d, 50, pat));
	assert_int_equal(unshared(51), 1);
	d[5] ^= 0xab;
	assert_int_equal(memcmp(d, expect(50, pat), 5), 0);
	assert_int_equal(memcmp(d + 6, (const uint8_t *)expect(50, pat) + 6,
				phys.page_size - 6), 0);
	assert_true(is_filled(w, 50, pat));
	assert_ptr_equal(ro_owned(51), d);
	/* The source owns its page again: no copy, nothing to unshare. */
	assert_ptr_equal(ro_owned(50), w);
	assert_ptr_equal(rw(50), w);
	assert_int_equal(phys.arena_top, top + 1);
	assert_int_equal(unshared(50), 0);

	/* Copy, release the source, write the destination: no copy. */
	w = rw(60);
	pattern(60, pat, w, phys.page_size);
	top = phys.arena_top;
	phys_copy_frame(&phys, 61, 60, true);
	pend = phys.nr_pending;
	phys_release(&phys, pa_of(60), phys.page_size);
	assert_int_equal(phys.nr_pending, pend);
	assert_true(is_zero(ro_shared(60)));
	/* The destination is the page's only frame: reads own it. */
	assert_ptr_equal(ro_owned(61), w);
	assert_true(is_filled(w, 60, pat));
	d = rw(61);
	assert_ptr_equal(d, w);
	assert_int_equal(phys.arena_top, top);
	assert_true(is_filled(d, 60, pat));
	assert_ptr_equal(ro_owned(61), w);
	/* Now the page is the destination's alone: released, it is dropped. */
	assert_int_equal(phys_release(&phys, pa_of(61), phys.page_size), 1);
	assert_int_equal(phys.nr_pending, pend + 1);

	/* The other way: release the destination, the source keeps its page. */
	w = rw(62);
	pattern(62, pat, w, phys.page_size);
	top = phys.arena_top;
	phys_copy_frame(&phys, 63, 62, true);
	pend = phys.nr_pending;
	phys_release(&phys, pa_of(63), phys.page_size);
	assert_int_equal(phys.nr_pending, pend);
	assert_ptr_equal(rw(62), w);
	assert_ptr_equal(ro_owned(62), w);
	assert_int_equal(phys.arena_top, top);
	assert_true(is_filled(w, 62, pat));

	/* One page shared three ways is dropped once, by its last frame. */
	w = rw(70);
	pattern(70, pat, w, phys.page_size);
	phys_copy_frame(&phys, 71, 70, true);
	phys_copy_frame(&phys, 72, 70, true);
	assert_ptr_equal(ro_shared(71), w);
	assert_ptr_equal(ro_shared(72), w);
	d = rw(71);
	assert_ptr_not_equal(d, w);
	assert_ptr_equal(ro_shared(72), w);
	assert_ptr_equal(ro_shared(70), w);
	d2 = rw(72);
	assert_ptr_not_equal(d2, w);
	assert_ptr_not_equal(d2, d);
	assert_true(is_filled(d, 70, pat));
	assert_true(is_filled(d2, 70, pat));
	assert_ptr_equal(ro_owned(70), w);
	pend = phys.nr_pending;
	phys_release(&phys, pa_of(70), 3 * phys.page_size);
	assert_int_equal(phys.nr_pending, pend + 3);
	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_pending, 0);
	/* Every page freed once: new frames get distinct pages. */
	top = phys.arena_top;
	for (unsigned i = 0; i < 3; i++)
		x[i] = rw(80 + i);
	assert_ptr_not_equal(x[0], x[1]);
	assert_ptr_not_equal(x[0], x[2]);
	assert_ptr_not_equal(x[1], x[2]);
	assert_int_equal(phys.arena_top, top);
	phys_fini(&phys);
}

/*
 * phys_host_frames() counts frames with a page: sharing adds the
 * destination, and the copy made by its first write adds nothing more.
 */
static void
test_copy_share_host_frames(void **state)
{
	uint8_t *w;

	(void)state;
	setup_flat(64 * MIB, 12);

	w = rw(50);
	memset(w, 0x3c, phys.page_size);
	phys_copy_frame(&phys, 51, 50, true);
	assert_int_equal(phys_host_frames(&phys), 2);
	rw(51)[0] = 1;
	assert_int_equal(phys_host_frames(&phys), 2);
	phys_release(&phys, pa_of(50), 2 * phys.page_size);
	assert_int_equal(phys_host_frames(&phys), 0);
	phys_fini(&phys);
}

/* 6. copy_page() without sharing copies the bytes. */
static void
test_copy_bytes(void **state)
{
	const uint64_t pat = 0x4242;
	uint64_t top;
	uint8_t *w, *d;
	const uint8_t *r;

	(void)state;
	setup_flat(64 * MIB, 12);

	w = rw(70);
	pattern(70, pat, w, phys.page_size);
	top = phys.arena_top;
	phys_copy_frame(&phys, 71, 70, false);
	assert_int_equal(phys_host_frames(&phys), 2);
	assert_int_equal(phys.arena_top, top + 1);
	r = ro_owned(71);
	assert_ptr_not_equal(r, w);
	assert_true(is_filled(r, 70, pat));
	assert_ptr_equal(ro_owned(70), w);
	d = rw(71);
	assert_ptr_equal(d, r);
	memset(d, 0, phys.page_size);
	assert_true(is_filled(w, 70, pat));

	/* Onto a written destination: into its page, even with share. */
	d = rw(72);
	memset(d, 0xcc, phys.page_size);
	top = phys.arena_top;
	phys_copy_frame(&phys, 72, 70, true);
	assert_ptr_equal(ro_owned(72), d);
	assert_true(is_filled(d, 70, pat));
	assert_int_equal(phys.arena_top, top);
	assert_ptr_equal(ro_owned(70), w);

	/* A lazy source onto it: the filled bytes. */
	assert_true(phys_set_lazy(&phys, 73, 0x909));
	phys_copy_frame(&phys, 72, 73, false);
	assert_ptr_equal(ro_owned(72), d);
	assert_true(is_filled(d, 73, 0x909));

	/* A zero source onto it: zeros, same page. */
	phys_copy_frame(&phys, 72, 74, false);
	assert_ptr_equal(ro_owned(72), d);
	assert_true(is_zero(d));
	phys_fini(&phys);
}

/* 7. Released pages wait for the TLB, then are reused cleared, LIFO. */
static void
test_release_reuse(void **state)
{
	uint64_t top;
	uint8_t *a, *b, *c, *x, *y, *z;

	(void)state;
	setup_flat(64 * MIB, 12);

	a = rw(80);
	memset(a, 0x77, phys.page_size);
	assert_true(phys_set_lazy(&phys, 82, 0x11));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_int_equal(phys_release(&phys, pa_of(80), 3 * phys.page_size), 1);
	assert_int_equal(phys.nr_pending, 1);
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_true(is_zero(ro_shared(80)));
	assert_true(not_lazy(82));
	assert_true(is_zero(ro_shared(82)));

	/* A TLB entry may still reach it: not reused yet. */
	top = phys.arena_top;
	c = rw(90);
	assert_ptr_not_equal(c, a);
	assert_int_equal(phys.arena_top, top + 1);

	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_pending, 0);
	assert_int_equal(rec.lives, 0);
	top = phys.arena_top;
	c = rw(91);
	assert_ptr_equal(c, a);
	assert_true(is_zero(c));
	assert_int_equal(phys.arena_top, top);

	/* Last freed, first reused. */
	x = rw(100);
	y = rw(101);
	memset(x, 0x11, phys.page_size);
	memset(y, 0x22, phys.page_size);
	assert_int_equal(phys_release(&phys, pa_of(100), 2 * phys.page_size),
			 2);
	phys_reclaim(&phys, true);
	top = phys.arena_top;
	assert_ptr_equal(rw(102), y);
	assert_true(is_zero(y));
	assert_ptr_equal(rw(103), x);
	assert_true(is_zero(x));
	assert_int_equal(phys.arena_top, top);

	/* A page live() still reports stays pending. */
	z = rw(110);
	memset(z, 0x33, phys.page_size);
	assert_int_equal(phys_release(&phys, pa_of(110), phys.page_size), 1);
	rec.mark[0] = &rec; /* not in the arena: ignored */
	rec.mark[1] = z + 100;
	rec.nr_mark = 2;
	phys_reclaim(&phys, false);
	assert_int_equal(rec.lives, 1);
	assert_int_equal(phys.nr_pending, 1);
	top = phys.arena_top;
	b = rw(111);
	assert_ptr_not_equal(b, z);
	assert_int_equal(phys.arena_top, top + 1);

	/* Not live any more: free, and reused. */
	rec.nr_mark = 1;
	phys_reclaim(&phys, false);
	assert_int_equal(rec.lives, 2);
	assert_int_equal(phys.nr_pending, 0);
	top = phys.arena_top;
	assert_ptr_equal(rw(112), z);
	assert_true(is_zero(z));
	assert_int_equal(phys.arena_top, top);

	/* An empty TLB frees whatever live() would say, without asking. */
	memset(z, 0x44, phys.page_size);
	assert_int_equal(phys_release(&phys, pa_of(112), phys.page_size), 1);
	rec.mark[0] = z;
	phys_reclaim(&phys, true);
	assert_int_equal(rec.lives, 2);
	assert_int_equal(phys.nr_pending, 0);
	assert_ptr_equal(rw(113), z);
	assert_true(is_zero(z));
	phys_fini(&phys);
}

/* 8. Releasing what was never written; leaves come and go. */
static void
test_release_leaves(void **state)
{
	const uint64_t leaf_bytes = (uint64_t)PHYS_LEAF_FRAMES << 12;
	const uint8_t *r;
	uint8_t *w, *v;

	(void)state;
	setup_flat(64 * MIB, 12);

	assert_int_equal(phys_release(&phys, 0, 64 * MIB), 0);
	assert_int_equal(phys_release(&phys, pa_of(7), phys.page_size), 0);
	/* A leaf of nothing but zeros read through the zero page. */
	assert_true(is_zero(ro_shared(600)));
	assert_non_null(phys.leaf[1]);
	assert_int_equal(phys_release(&phys, leaf_bytes, leaf_bytes), 0);
	assert_null(phys.leaf[1]);

	/* A whole leaf of written frames. */
	for (uint64_t pfn = 1024; pfn < 1024 + PHYS_LEAF_FRAMES; pfn++)
		rw(pfn)[0] = 1;
	assert_non_null(phys.leaf[2]);
	assert_int_equal(phys_host_frames(&phys), PHYS_LEAF_FRAMES);
	assert_int_equal(phys_release(&phys, 2 * leaf_bytes, leaf_bytes),
			 PHYS_LEAF_FRAMES);
	assert_null(phys.leaf[2]);
	assert_int_equal(phys_host_frames(&phys), 0);

	/* A leaf of one lazy frame. */
	assert_true(phys_set_lazy(&phys, 1600, 9));
	assert_int_equal(phys_release(&phys, 3 * leaf_bytes, leaf_bytes), 0);
	assert_null(phys.leaf[3]);
	assert_true(not_lazy(1600));

	/* A range across two leaves, in part. */
	for (uint64_t pfn = 2040; pfn <= 2060; pfn++)
		rw(pfn)[1] = (uint8_t)pfn;
	assert_int_equal(phys_release(&phys, pa_of(2045), 7 * phys.page_size),
			 7);
	assert_non_null(phys.leaf[3]);
	assert_non_null(phys.leaf[4]);
	for (uint64_t pfn = 2040; pfn <= 2060; pfn++) {
		if (pfn >= 2045 && pfn <= 2051) {
			assert_true(is_zero(ro_shared(pfn)));
			continue;
		}
		r = ro_owned(pfn);
		assert_int_equal(r[1], (uint8_t)pfn);
	}
	assert_int_equal(phys_release(&phys, pa_of(2040), 21 * phys.page_size),
			 14);
	assert_null(phys.leaf[3]);
	assert_null(phys.leaf[4]);
	assert_int_equal(phys_host_frames(&phys), 0);

	/*
	 * Freed leaves come back clean. The leaf reused here is the last one
	 * freed, whose first slot held the link to the one freed before.
	 */
	w = rw(1030);
	assert_non_null(phys.leaf[2]);
	assert_true(is_zero(w));
	w[0] = 9;
	assert_true(is_zero(ro_shared(1024)));
	assert_true(not_lazy(1024));
	v = rw(1024);
	assert_true(is_zero(v));
	v[0] = 8;
	/* Frame 1024 is counted: the leaf stays while it has a page. */
	assert_int_equal(phys_release(&phys, pa_of(1030), phys.page_size), 1);
	assert_non_null(phys.leaf[2]);
	assert_ptr_equal(ro_owned(1024), v);
	assert_int_equal(v[0], 8);
	assert_true(is_zero(ro_shared(1031)));
	assert_true(phys_set_lazy(&phys, 1025, 0x51));
	assert_true(is_filled(ro_owned(1025), 1025, 0x51));
	assert_int_equal(phys_release(&phys, 2 * leaf_bytes, leaf_bytes), 2);
	assert_null(phys.leaf[2]);
	phys_fini(&phys);
}

/* RAM in one range, which phys_is_ram() answers from its span. */
static void
test_is_ram_one_range(void **state)
{
	const struct hvo_mem_range r = { .base = GIB, .size = 64 * MIB };
	const uint64_t ps = 4 * KIB;

	(void)state;
	setup_ranges(&r, 1, 12);
	assert_true(phys_is_ram(&phys, GIB, ps));
	assert_true(phys_is_ram(&phys, GIB, 64 * MIB));
	assert_false(phys_is_ram(&phys, GIB, 64 * MIB + ps));
	assert_true(phys_is_ram(&phys, GIB + 64 * MIB - 1, 1));
	assert_false(phys_is_ram(&phys, GIB + 64 * MIB - ps, ps + 1));
	assert_false(phys_is_ram(&phys, GIB + 64 * MIB, ps));
	assert_false(phys_is_ram(&phys, GIB - ps, ps));
	assert_false(phys_is_ram(&phys, 0, ps));
	assert_false(phys_is_ram(&phys, UINT64_MAX & ~(ps - 1), ps));
}

/* 9. RAM in two ranges with a hole, not starting at 0. */
static void
test_ranges(void **state)
{
	const struct hvo_mem_range r[] = {
		{ .base = GIB, .size = 64 * MIB },
		{ .base = GIB + 128 * MIB, .size = 64 * MIB },
	};
	struct hvo_mem_range many[HVO_MAX_MEM_RANGES + 1];
	const uint64_t ps = 4 * KIB;
	const uint64_t first = GIB / ps, hole = (GIB + 64 * MIB) / ps;
	const uint64_t second = (GIB + 128 * MIB) / ps;
	const uint64_t end = (GIB + 192 * MIB) / ps;
	uint8_t *w;

	(void)state;
	memset(many, 0, sizeof(many));
	assert_int_equal(phys_init(&phys, r, 0, 12), -EINVAL);
	phys_fini(&phys);
	assert_int_equal(phys_init(&phys, many, HVO_MAX_MEM_RANGES + 1, 12),
			 -EINVAL);
	phys_fini(&phys);

	setup_ranges(r, 2, 12);
	assert_int_equal(phys.lo, GIB);
	assert_int_equal(phys.hi, GIB + 192 * MIB);
	assert_int_equal(phys.base_pfn, first);
	assert_int_equal(phys.total_pages, 2 * 64 * MIB / ps);

	assert_true(phys_is_ram(&phys, GIB, ps));
	assert_true(phys_is_ram(&phys, GIB, 64 * MIB));
	assert_false(phys_is_ram(&phys, GIB, 64 * MIB + ps));
	assert_true(phys_is_ram(&phys, GIB + 64 * MIB - ps, ps));
	assert_false(phys_is_ram(&phys, GIB + 64 * MIB - ps, 2 * ps));
	assert_false(phys_is_ram(&phys, GIB + 64 * MIB - ps, ps + 1));
	assert_true(phys_is_ram(&phys, GIB + 64 * MIB - 1, 1));
	assert_false(phys_is_ram(&phys, GIB + 64 * MIB, ps));
	assert_false(phys_is_ram(&phys, GIB + 128 * MIB - ps, ps));
	assert_true(phys_is_ram(&phys, GIB + 128 * MIB, ps));
	assert_true(phys_is_ram(&phys, GIB + 192 * MIB - ps, ps));
	assert_false(phys_is_ram(&phys, GIB + 192 * MIB, ps));
	assert_false(phys_is_ram(&phys, GIB - ps, ps));
	assert_false(phys_is_ram(&phys, GIB - ps, 2 * ps));
	assert_false(phys_is_ram(&phys, 0, ps));

	assert_false(pfn_valid(&phys, 0));
	assert_false(pfn_valid(&phys, first - 1));
	assert_true(pfn_valid(&phys, first));
	assert_true(pfn_valid(&phys, hole - 1));
	assert_false(pfn_valid(&phys, hole));
	assert_false(pfn_valid(&phys, second - 1));
	assert_true(pfn_valid(&phys, second));
	assert_true(pfn_valid(&phys, end - 1));
	assert_false(pfn_valid(&phys, end));
	/* Shifted to an address, these wrap onto RAM: they are no frames. */
	assert_false(pfn_valid(&phys, first + (UINT64_C(1) << 52)));
	assert_false(pfn_valid(&phys, UINT64_MAX - (UINT64_MAX >> 12) + second));

	/* Frames of both ranges, at both ends. */
	assert_true(is_zero(ro_shared(first)));
	rw(first)[0] = 1;
	rw(hole - 1)[0] = 2;
	rw(second)[0] = 3;
	w = rw(end - 1);
	w[0] = 4;
	assert_true(phys_set_lazy(&phys, second + 1, 0x77));
	assert_true(is_lazy(second + 1, 0x77));
	assert_int_equal(ro_owned(first)[0], 1);
	assert_int_equal(ro_owned(hole - 1)[0], 2);
	assert_int_equal(ro_owned(second)[0], 3);
	assert_ptr_equal(ro_owned(end - 1), w);
	assert_int_equal(phys_host_frames(&phys), 4);
	assert_int_equal(phys_release(&phys, GIB + 128 * MIB, 64 * MIB), 2);
	assert_true(not_lazy(second + 1));
	assert_true(is_zero(ro_shared(end - 1)));
	assert_int_equal(ro_owned(first)[0], 1);
	assert_int_equal(phys_host_frames(&phys), 2);
	phys_fini(&phys);
}

/*
 * 10b. A trim looks at the whole free list, so the next one waits until a
 * quarter of the list is new: half the arena freed a page in two leaves
 * no whole 2 MiB piece, which kept every reclaim trimming again.
 */
static void
test_trim_waits(void **state)
{
	const uint64_t n = 120000;
	uint64_t trims;

	(void)state;
	setup_flat(512 * MIB, 12);
	for (uint64_t pfn = 0; pfn < n; pfn++)
		rw(pfn)[0] = 1;
	for (uint64_t pfn = 0; pfn < n; pfn += 2)
		assert_int_equal(phys_release(&phys, pa_of(pfn), phys.page_size), 1);
	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_free, n / 2);
	/* Trimmed as the list grew (a reclaim every PENDING_SCAN pages). */
	trims = phys.nr_trims;
	assert_true(trims >= 1 && trims <= 3);
	assert_int_equal(phys.released, 0);

	/* A few more: the list is mostly what the last trim saw. */
	for (uint64_t pfn = 1; pfn < 2001; pfn += 2)
		assert_int_equal(phys_release(&phys, pa_of(pfn), phys.page_size), 1);
	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_trims, trims);

	/* A quarter of the list new: trimmed, whole pieces handed back. */
	for (uint64_t pfn = 2001; pfn < 42001; pfn += 2)
		assert_int_equal(phys_release(&phys, pa_of(pfn), phys.page_size), 1);
	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_trims, trims + 1);
	assert_true(phys.released > 0);
	assert_int_equal(phys.released % ((2 * MIB) >> 12), 0);
	phys_fini(&phys);
}

/*
 * 9b. phys_release_frame(), one frame as an order-0 free releases it,
 * gives what phys_release() of that frame gives, on its own short path
 * and on every way off it.
 */
static void
test_release_frame(void **state)
{
	uint64_t pend, lives, pfn;
	uint8_t *w;

	(void)state;
	setup_flat(128 * MIB, 12);

	/* A leaf never written: nothing to release. */
	assert_int_equal(phys_release_frame(&phys, 600), 0);
	assert_null(phys.leaf[1]);

	for (pfn = 0; pfn < 7; pfn++)
		if (pfn != 3 && pfn != 4)
			rw(pfn)[0] = 1;
	assert_true(phys_set_lazy(&phys, 3, 0x11));
	/* The pending list has no room yet: phys_release() makes it. */
	assert_int_equal(phys.max_pending, 0);
	assert_int_equal(phys_release_frame(&phys, 2), 1);
	assert_int_equal(phys.nr_pending, 1);
	/* Now the short path: a page of its own, a description, a zero. */
	assert_int_equal(phys_release_frame(&phys, 1), 1);
	assert_int_equal(phys.nr_pending, 2);
	assert_int_equal(phys_release_frame(&phys, 3), 0);
	assert_true(not_lazy(3));
	assert_int_equal(phys_release_frame(&phys, 4), 0);
	assert_int_equal(phys_host_frames(&phys), 3);

	/* A shared page stays the other frame's, then goes with it. */
	w = rw(10);
	pattern(10, 0x22, w, phys.page_size);
	phys_copy_frame(&phys, 11, 10, true);
	assert_int_equal(phys_release_frame(&phys, 11), 0);
	assert_int_equal(phys.nr_pending, 2);
	assert_ptr_equal(ro_owned(10), w);
	assert_int_equal(phys_release_frame(&phys, 10), 1);
	assert_int_equal(phys.nr_pending, 3);

	/* The leaf's last frame: phys_release() gives the leaf back. */
	assert_int_equal(phys_release_frame(&phys, 5), 1);
	assert_int_equal(phys_release_frame(&phys, 6), 1);
	assert_int_equal(phys.leaf[0]->nonzero, 1);
	assert_int_equal(phys_release_frame(&phys, 0), 1);
	assert_null(phys.leaf[0]);
	assert_int_equal(phys_host_frames(&phys), 0);

	/*
	 * A full pending list is scanned; with every page still live it
	 * stays full, and each release after that scans it again.
	 */
	rec.all_live = true;
	for (pfn = 1024; pfn < 1024 + 20000; pfn++)
		rw(pfn)[0] = 1;
	for (pfn = 1024; !rec.lives; pfn++)
		assert_int_equal(phys_release_frame(&phys, pfn), 1);
	pend = phys.nr_pending;
	lives = rec.lives;
	assert_int_equal(phys_release_frame(&phys, pfn + 1), 1);
	assert_int_equal(phys.nr_pending, pend + 1);
	assert_int_equal(rec.lives, lives + 1);
	rec.all_live = false;
	phys_reclaim(&phys, true);
	assert_int_equal(phys.nr_pending, 0);
	phys_fini(&phys);
}

/* 10. An idle arena is handed back in 2 MiB pieces, and still works. */
static void
test_trim(void **state)
{
	const uint64_t n = 40000, batch = 16000;
	const uint64_t chunk = (2 * MIB) >> 12;
	uint64_t top, dropped = 0;
	uint8_t *h;

	(void)state;
	setup_flat(256 * MIB, 12);

	for (uint64_t pfn = 0; pfn < n; pfn++) {
		h = rw(pfn);
		h[0] = 0xa5;
		h[phys.page_size - 1] = (uint8_t)(pfn | 1);
	}
	assert_int_equal(phys_host_frames(&phys), n);
	assert_int_equal(phys.released, 0);
	top = phys.arena_top;

	/* Released as the machine would: a flush after each batch. */
	for (uint64_t pfn = 0; pfn < n; pfn += batch) {
		uint64_t k = n - pfn < batch ? n - pfn : batch;

		dropped += phys_release(&phys, pa_of(pfn), k * phys.page_size);
		phys_reclaim(&phys, true);
	}
	assert_int_equal(dropped, n);
	assert_int_equal(phys.nr_pending, 0);
	assert_int_equal(phys_host_frames(&phys), 0);
	assert_int_equal(phys.nr_free, n);
	for (uint64_t i = 0; i < n / PHYS_LEAF_FRAMES; i++)
		assert_null(phys.leaf[i]);
	assert_true(phys.released > 0);
	assert_int_equal(phys.released % chunk, 0);
	assert_true(phys.released <= n);

	/* Every page again, trimmed or not: zeros before the write. */
	for (uint64_t pfn = 0; pfn < n; pfn++) {
		h = rw(pfn);
		assert_true(is_zero(h));
		h[0] = 0x5a;
	}
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(phys.nr_free, 0);
	assert_int_equal(phys_host_frames(&phys), n);
	assert_int_equal(ro_owned(n - 1)[0], 0x5a);

	/*
	 * The last frames got the pages handed back first: once written,
	 * freed and reused, those are cleared like any other.
	 */
	assert_int_equal(phys_release(&phys, pa_of(n - 1000),
				      1000 * phys.page_size), 1000);
	phys_reclaim(&phys, true);
	for (uint64_t pfn = n - 1000; pfn < n; pfn++)
		assert_true(is_zero(rw(pfn)));
	assert_int_equal(phys.arena_top, top);
	phys_fini(&phys);
}

/*
 * A TLB scan that finds nothing live: every pending page is free. The
 * first scan of a struct phys whose live() marks nothing has no live
 * list yet.
 */
static void
test_reclaim_none_live(void **state)
{
	uint8_t *a;

	(void)state;
	setup_flat(64 * MIB, 12);

	a = rw(1);
	memset(a, 0x66, phys.page_size);
	assert_int_equal(phys_release(&phys, pa_of(1), phys.page_size), 1);
	assert_int_equal(phys.nr_pending, 1);
	phys_reclaim(&phys, false);
	assert_int_equal(rec.lives, 1);
	assert_int_equal(phys.nr_pending, 0);
	assert_ptr_equal(rw(2), a);
	assert_true(is_zero(a));
	phys_fini(&phys);
}

/* The same machinery with 64 KiB pages. */
static void
test_64k_pages(void **state)
{
	uint64_t top;
	uint8_t *w, *d;

	(void)state;
	setup_flat(64 * MIB, 16);
	assert_int_equal(phys.page_size, 64 * KIB);
	top = phys.arena_top;

	assert_true(is_zero(ro_shared(3)));
	assert_true(phys_set_lazy(&phys, 4, 0x31));
	assert_true(phys_set_lazy(&phys, 5, 0x32));
	assert_true(is_filled(ro_owned(4), 4, 0x31));
	assert_true(is_filled(ro_shared(5), 5, 0x32));
	assert_int_equal(phys_host_frames(&phys), 1);
	assert_int_equal(phys.arena_top, top + 2);

	w = rw(6);
	pattern(6, 0x33, w, phys.page_size);
	phys_copy_frame(&phys, 7, 6, true);
	assert_ptr_equal(ro_shared(7), w);
	d = rw(7);
	assert_ptr_not_equal(d, w);
	assert_true(is_filled(d, 6, 0x33));
	assert_int_equal(unshared(7), 1);

	assert_int_equal(phys_release(&phys, pa_of(6), 2 * phys.page_size), 2);
	phys_reclaim(&phys, true);
	assert_ptr_equal(rw(8), d);
	assert_true(is_zero(d));
	assert_ptr_equal(rw(9), w);
	assert_true(is_zero(w));
	phys_fini(&phys);
}

/* A bare struct phys, no filler: described frames read as zeros. */
static void
test_no_filler(void **state)
{
	const struct hvo_mem_range r = { .base = 0, .size = 16 * MIB };
	const uint8_t *h;
	bool own = true;

	(void)state;
	assert_int_equal(phys_init(&phys, &r, 1, 12), 0);
	assert_true(phys_set_lazy(&phys, 3, 0x42));
	h = phys_to_host_ro(&phys, pa_of(3), &own);
	assert_true(own);
	assert_true(is_zero(h));
	assert_int_equal(phys_host_frames(&phys), 1);

	/*
	 * Frames read through the zero page, then written, described or
	 * copied over: with no one to tell of the unsharing, nothing is.
	 */
	for (uint64_t pfn = 10; pfn < 14; pfn++) {
		h = phys_to_host_ro(&phys, pa_of(pfn), &own);
		assert_false(own);
	}
	assert_true(is_zero(phys_to_host(&phys, pa_of(10))));
	assert_true(phys_set_lazy(&phys, 11, 0x43));
	phys_copy_frame(&phys, 12, 20, false);
	assert_true(is_zero(phys_to_host_ro(&phys, pa_of(12), NULL)));
	phys_copy_frame(&phys, 13, 10, true);
	assert_ptr_equal(phys_to_host_ro(&phys, pa_of(13), NULL),
			 phys_to_host_ro(&phys, pa_of(10), NULL));
	phys_fini(&phys);
}

/*
 * With no filler, frames whose shared zero page was read are described,
 * cleared and written after a copy by sharing as with one: the words
 * read back, the cleared frame reads zeros, the written copy gets its own
 * page and the frame it shared keeps its bytes; no one is told.
 */
static void
test_no_filler_words(void **state)
{
	const struct hvo_mem_range r = { .base = 0, .size = 16 * MIB };
	uint8_t *w;
	bool own = true;

	(void)state;
	assert_int_equal(phys_init(&phys, &r, 1, 12), 0);
	(void)phys_to_host_ro(&phys, pa_of(20), &own);
	assert_false(own);
	assert_true(phys_words_store(&phys, pa_of(20), 4, 5, 1));
	assert_non_null(phys_words_of(&phys, 20));
	assert_int_equal(phys_peek64(&phys, pa_of(20) + 24), 8);

	(void)phys_to_host_ro(&phys, pa_of(21), &own);
	assert_false(own);
	phys_clear_frame(&phys, 21);
	assert_true(is_zero(phys_to_host_ro(&phys, pa_of(21), NULL)));

	w = phys_to_host(&phys, pa_of(10));
	w[0] = 0x5a;
	phys_copy_frame(&phys, 14, 10, true);
	w = phys_to_host(&phys, pa_of(14));
	assert_int_equal(w[0], 0x5a);
	w[0] = 0xa5;
	assert_int_equal(((const uint8_t *)phys_to_host_ro(&phys, pa_of(10), NULL))[0], 0x5a);
	assert_int_equal(((const uint8_t *)phys_to_host_ro(&phys, pa_of(14), NULL))[0], 0xa5);
	phys_fini(&phys);
}

/*
 * A leaf described whole (phys_set_lazy_leaf()): every frame reads as
 * its own lazy payload, and the leaf becomes slots on the first touch;
 * freed whole it is forgotten, in part it becomes slots first.
 */
static void
test_lazy_leaf(void **state)
{
	const uint64_t L = PHYS_LEAF_FRAMES;
	uint64_t top, leaves;
	uint64_t got;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;
	leaves = phys.leaf_top;

	assert_true(phys_set_lazy_leaf(&phys, L, 0x1001, 2));
	assert_int_equal(phys.nr_runs, 1);
	assert_null(phys_slot(&phys, L));
	for (uint64_t j = 0; j < L; j += 37)
		assert_true(is_lazy(L + j, 0x1001 + 2 * j));
	assert_true(is_lazy(2 * L - 1, 0x1001 + 2 * (L - 1)));
	assert_true(not_lazy(2 * L));
	assert_int_equal(phys.leaf_top, leaves);
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(phys_host_frames(&phys), 0);

	/* Only a whole, untouched leaf, inside RAM. */
	assert_false(phys_set_lazy_leaf(&phys, L, 0x77, 0));
	assert_false(phys_set_lazy_leaf(&phys, 3 * L + 1, 0x77, 0));
	assert_true(phys_set_lazy(&phys, 4 * L + 5, 0x77));
	assert_false(phys_set_lazy_leaf(&phys, 4 * L, 0x77, 0));
	assert_false(phys_set_lazy_leaf(&phys, phys.nr_frames, 0x77, 0));

	/* The first touch: the leaf becomes slots, the rest stay lazy. */
	assert_true(is_filled(ro_owned(L + 3), L + 3, 0x1001 + 6));
	assert_int_equal(rec.fills, 1);
	assert_non_null(phys_slot(&phys, L));
	assert_int_equal(phys.nr_runs, 0);
	assert_true(not_lazy(L + 3));
	assert_true(is_lazy(L + 4, 0x1001 + 8));
	assert_int_equal(phys_host_frames(&phys), 1);

	/* One payload for the whole leaf (stride 0): one shared copy. */
	assert_true(phys_set_lazy_leaf(&phys, 5 * L, 0x100, 0));
	assert_ptr_equal(ro_shared(5 * L + 9), ro_shared(5 * L + 400));
	assert_true(is_filled(ro_shared(5 * L + 9), 5 * L + 9, 0x100));
	assert_true(is_lazy(5 * L + 9, 0x100));

	/* Freed whole: forgotten, no leaf. */
	assert_true(phys_set_lazy_leaf(&phys, 6 * L, 0x2001, 2));
	assert_true(phys_set_lazy_leaf(&phys, 7 * L, 0x4001, 2));
	leaves = phys.leaf_top;
	assert_int_equal(phys_release(&phys, pa_of(6 * L), L << phys.page_shift), 0);
	assert_int_equal(phys.nr_runs, 1);
	assert_null(phys_slot(&phys, 6 * L));
	assert_true(not_lazy(6 * L + 1));
	assert_true(is_zero(ro_shared(6 * L + 1)));
	/* In part, one frame and then a range: the rest stay described. */
	assert_int_equal(phys_release(&phys, pa_of(7 * L + 10), phys.page_size), 0);
	assert_true(not_lazy(7 * L + 10));
	assert_true(is_lazy(7 * L + 11, 0x4001 + 22));
	assert_int_equal(phys_release(&phys, pa_of(7 * L + 100), 50 << phys.page_shift), 0);
	assert_true(not_lazy(7 * L + 149));
	assert_true(is_lazy(7 * L + 150, 0x4001 + 300));
	assert_int_equal(phys.nr_runs, 0);
	assert_true(phys.leaf_top > leaves);
	/* A range of a described leaf, the leaf untouched before. */
	assert_true(phys_set_lazy_leaf(&phys, 10 * L, 0x6001, 2));
	assert_int_equal(phys_release(&phys, pa_of(10 * L + 20), 30 << phys.page_shift), 0);
	assert_true(not_lazy(10 * L + 49));
	assert_true(is_lazy(10 * L + 50, 0x6001 + 100));
	assert_true(is_lazy(10 * L + 19, 0x6001 + 38));
	assert_int_equal(phys.nr_runs, 0);

	/* copy_page() from and over a described frame. */
	assert_true(phys_set_lazy_leaf(&phys, 8 * L, 0x3001, 2));
	assert_true(phys_set_lazy_leaf(&phys, 9 * L, 0x5001, 2));
	phys_copy_frame(&phys, 40, 8 * L + 1, false);
	assert_true(phys_lazy_payload(&phys, 40, &got));
	assert_int_equal(got, 0x3003);
	assert_true(is_lazy(8 * L + 1, 0x3003));
	phys_copy_frame(&phys, 9 * L + 5, 46, false);
	assert_true(not_lazy(9 * L + 5));
	/* From a frame of a leaf never touched: zeros. */
	phys_copy_frame(&phys, 9 * L + 7, 12 * L + 3, false);
	assert_true(not_lazy(9 * L + 7));
	assert_true(is_zero(ro_shared(9 * L + 7)));
	assert_true(is_lazy(9 * L + 6, 0x5001 + 12));
	assert_int_equal(phys_host_frames(&phys), 1);
	phys_fini(&phys);
}

/* Frame @pfn's words as the description says, the host given nothing. */
static bool
words_are(uint64_t pfn, const uint64_t *want)
{
	for (uint64_t j = 0; j < phys.page_size / 8; j++)
		if (phys_peek64(&phys, pa_of(pfn) + j * 8) != want[j])
			return false;
	return true;
}

/*
 * A frame of words described as a run (a page table filled entry after
 * entry with pages allocated one after another): stored, read and
 * extended without host memory; the word the run cannot take goes apart;
 * the first host access fills the page with the same words, and from
 * then on the host holds them; a copy, a release and clear_page() see the
 * words as the bytes they stand for.
 */
static void
test_words_run(void **state)
{
	const uint64_t n = 4096 / 8;
	static uint64_t want[4096 / 8];
	const struct phys_words *w;
	uint64_t top;
	const uint64_t *h;

	(void)state;
	setup_flat(64 * MIB, 12);
	top = phys.arena_top;
	memset(want, 0, sizeof(want));

	/* Zeros over a zero frame: nothing to describe. */
	assert_true(phys_words_store(&phys, pa_of(30) + 8, 1, 0, 0));
	assert_null(phys_words_of(&phys, 30));

	/* The 64K case: entry 0, the table between, then a falling run. */
	assert_true(phys_words_store(&phys, pa_of(30), 1, 0x9000f03, 0));
	want[0] = 0x9000f03;
	w = phys_words_of(&phys, 30);
	assert_non_null(w);
	assert_true(phys_words_store(&phys, pa_of(30) + 8, 100,
				     0x8e000f03, -UINT64_C(0x1000)));
	for (uint64_t j = 1; j < 101; j++)
		want[j] = 0x8e000f03 - (j - 1) * 0x1000;
	assert_int_equal(w->x, 0);
	assert_int_equal(w->lo, 1);
	assert_int_equal(w->hi, 101);
	/* One by one, the run goes on; the next run in the same step too. */
	assert_true(phys_words_store(&phys, pa_of(30) + 101 * 8, 1,
				     want[100] - 0x1000, 0));
	want[101] = want[100] - 0x1000;
	assert_true(phys_words_store(&phys, pa_of(30) + 102 * 8, 10,
				     want[101] - 0x1000, -UINT64_C(0x1000)));
	for (uint64_t j = 102; j < 112; j++)
		want[j] = want[j - 1] - 0x1000;
	assert_int_equal(w->hi, 112);
	assert_true(words_are(30, want));
	/* Not the next in the step, the word apart taken: refused. */
	assert_false(phys_words_store(&phys, pa_of(30) + 112 * 8, 1, 5, 0));
	assert_false(phys_words_store(&phys, pa_of(30) + 50 * 8, 1, 5, 0));
	assert_false(phys_words_store(&phys, pa_of(30) + (n - 1) * 8, 2, 5, 1));
	assert_true(words_are(30, want));
	assert_int_equal(phys.arena_top, top);
	assert_int_equal(phys_host_frames(&phys), 0);

	/* Rising one by one: the step is set by the second word; then an
	 * odd first word goes apart when the third breaks its step. */
	assert_true(phys_words_store(&phys, pa_of(31), 1, 7, 0));
	assert_true(phys_words_store(&phys, pa_of(31) + 8, 1, 107, 0));
	assert_true(phys_words_store(&phys, pa_of(31) + 16, 1, 108, 0));
	assert_true(phys_words_store(&phys, pa_of(31) + 24, 1, 109, 0));
	w = phys_words_of(&phys, 31);
	assert_int_equal(w->x, 0);
	assert_int_equal(w->xval, 7);
	assert_int_equal(phys_peek64(&phys, pa_of(31) + 24), 109);
	assert_int_equal(phys_peek64(&phys, pa_of(31) + 32), 0);

	/* Not a zero or described frame: the caller writes. */
	assert_true(phys_set_lazy(&phys, 32, 0x55));
	assert_false(phys_words_store(&phys, pa_of(32), 1, 1, 0));
	rw(33)[0] = 1;
	assert_false(phys_words_store(&phys, pa_of(33) + 8, 1, 1, 0));

	/* The first host access: the page holds the words, for good. */
	h = (const uint64_t *)ro_owned(30);
	assert_memory_equal(h, want, sizeof(want));
	assert_null(phys_words_of(&phys, 30));
	assert_false(phys_words_store(&phys, pa_of(30) + 112 * 8, 1,
				      want[111] - 0x1000, 0));
	assert_int_equal(rec.fills, 0);

	/* copy_page() of described words: the bytes. */
	assert_true(phys_words_store(&phys, pa_of(34), 3, 1, 1));
	phys_copy_frame(&phys, 35, 34, false);
	assert_null(phys_words_of(&phys, 35));
	h = (const uint64_t *)ro_owned(35);
	assert_int_equal(h[0], 1);
	assert_int_equal(h[2], 3);
	assert_int_equal(h[3], 0);
	assert_non_null(phys_words_of(&phys, 34));

	/* Released or cleared: zeros, and no host page for it. */
	assert_int_equal(phys_release(&phys, pa_of(34), phys.page_size), 0);
	assert_null(phys_words_of(&phys, 34));
	assert_true(is_zero(ro_shared(34)));
	assert_non_null(phys_words_of(&phys, 31));
	phys_clear_frame(&phys, 31);
	assert_null(phys_words_of(&phys, 31));
	assert_true(is_zero(ro_shared(31)));
	/* A frame with its own page keeps it, cleared. */
	h = (const uint64_t *)ro_owned(35);
	phys_clear_frame(&phys, 35);
	assert_ptr_equal(ro_owned(35), h);
	assert_true(is_zero(h));
	phys_fini(&phys);
}

/*
 * The edges of a described frame: a run that grows over its word apart
 * (the new words win), a two-word run whose next store is more than one
 * word in another step (refused: the caller writes through the host), a
 * run of zeros over a zero frame (nothing to describe), nothing stored,
 * and a zero frame whose shared zero page was handed out: describing it
 * or clearing it again tells the filler, whose copy is stale (the same
 * unshare() a write through the host gives).
 */
static void
test_words_edges(void **state)
{
	const struct phys_words *w;

	(void)state;
	setup_flat(64 * MIB, 12);

	/* [0, 3) = 10, 11, 12 and word 5 apart; then [3, 6) from 13. */
	assert_true(phys_words_store(&phys, pa_of(40), 3, 10, 1));
	assert_true(phys_words_store(&phys, pa_of(40) + 5 * 8, 1, 99, 0));
	w = phys_words_of(&phys, 40);
	assert_non_null(w);
	assert_int_equal(w->x, 5);
	assert_int_equal(phys_peek64(&phys, pa_of(40) + 5 * 8), 99);
	assert_true(phys_words_store(&phys, pa_of(40) + 3 * 8, 3, 13, 1));
	assert_int_equal(w->x, PHYS_WORDS_NONE);
	assert_int_equal(w->lo, 0);
	assert_int_equal(w->hi, 6);
	for (uint64_t j = 0; j < 6; j++)
		assert_int_equal(phys_peek64(&phys, pa_of(40) + j * 8), 10 + j);
	assert_int_equal(phys_peek64(&phys, pa_of(40) + 6 * 8), 0);

	/* Two words (step 100), then two more in step 1: no room apart
	 * for both, refused, and the frame unchanged. */
	assert_true(phys_words_store(&phys, pa_of(41), 1, 7, 0));
	assert_true(phys_words_store(&phys, pa_of(41) + 8, 1, 107, 0));
	assert_false(phys_words_store(&phys, pa_of(41) + 16, 2, 108, 1));
	assert_int_equal(phys_peek64(&phys, pa_of(41) + 8), 107);
	assert_int_equal(phys_peek64(&phys, pa_of(41) + 16), 0);
	/* The word apart taken, the odd third cannot go apart: refused. */
	assert_true(phys_words_store(&phys, pa_of(41) + 64, 1, 5, 0));
	assert_false(phys_words_store(&phys, pa_of(41) + 16, 1, 500, 0));
	assert_int_equal(phys_peek64(&phys, pa_of(41) + 64), 5);

	/* Nothing, or zeros in step 0 over a zero frame: true, no frame
	 * described; zeros in a rising step are a run. */
	assert_false(phys_words_store(&phys, pa_of(42), 0, 1, 1));
	assert_true(phys_words_store(&phys, pa_of(42), 8, 0, 0));
	assert_null(phys_words_of(&phys, 42));
	assert_true(phys_words_store(&phys, pa_of(42), 4, 0, 8));
	assert_non_null(phys_words_of(&phys, 42));
	assert_int_equal(phys_peek64(&phys, pa_of(42) + 24), 24);
	assert_int_equal(phys_host_frames(&phys), 0);

	/* The zero page was read shared: describing the frame unshares. */
	assert_true(is_zero(ro_shared(43)));
	assert_int_equal(unshared(43), 0);
	assert_true(phys_words_store(&phys, pa_of(43), 2, 1, 1));
	assert_int_equal(unshared(43), 1);
	assert_int_equal(phys_peek64(&phys, pa_of(43) + 8), 2);
	/* Read shared again, then cleared: unshared again. Frame 42 in the
	 * same leaf keeps its words. */
	assert_true(is_zero(ro_shared(44)));
	phys_clear_frame(&phys, 44);
	assert_int_equal(unshared(44), 1);
	phys_clear_frame(&phys, 43);
	assert_null(phys_words_of(&phys, 43));
	assert_int_equal(phys_peek64(&phys, pa_of(42) + 24), 24);
	phys_fini(&phys);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_zero_frame, teardown),
		cmocka_unit_test_teardown(test_set_lazy, teardown),
		cmocka_unit_test_teardown(test_shareable, teardown),
		cmocka_unit_test_teardown(test_copy_lazy, teardown),
		cmocka_unit_test_teardown(test_copy_share, teardown),
		cmocka_unit_test_teardown(test_copy_share_host_frames, teardown),
		cmocka_unit_test_teardown(test_copy_bytes, teardown),
		cmocka_unit_test_teardown(test_release_reuse, teardown),
		cmocka_unit_test_teardown(test_release_leaves, teardown),
		cmocka_unit_test_teardown(test_release_frame, teardown),
		cmocka_unit_test_teardown(test_is_ram_one_range, teardown),
		cmocka_unit_test_teardown(test_ranges, teardown),
		cmocka_unit_test_teardown(test_trim, teardown),
		cmocka_unit_test_teardown(test_trim_waits, teardown),
		cmocka_unit_test_teardown(test_64k_pages, teardown),
		cmocka_unit_test_teardown(test_reclaim_none_live, teardown),
		cmocka_unit_test_teardown(test_no_filler, teardown),
		cmocka_unit_test_teardown(test_no_filler_words, teardown),
		cmocka_unit_test_teardown(test_lazy_leaf, teardown),
		cmocka_unit_test_teardown(test_words_run, teardown),
		cmocka_unit_test_teardown(test_words_edges, teardown),
	};

	return tu_run("phys", tests, sizeof(tests) / sizeof(tests[0]));
}
