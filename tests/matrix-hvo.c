/* SPDX-License-Identifier: MIT */
/*
 * HVO over every preset x variant x hugepage size x struct page size.
 *
 * For each combination the pool is grown as one batch and the exact page
 * accounting is checked against what the variant frees; then hugepages
 * allocated with HVO off are optimized one by one and restored, and their
 * struct pages must come back byte for byte (doc/KERNEL-FACTS.md, "What a faithful model keeps", rule 4).
 * Struct page sizes that are not a power of two must leave HVO off with
 * the kernel's reason. The checker runs after every step.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17

/* Every preset gets 64 (HVO works) and 72 (struct page crosses pages). */
static const unsigned narrow_sizes[] = { 64, 72 };
/* A couple of presets also get the other odd sizes and a 128-byte one. */
static const unsigned wide_sizes[] = { 64, 128, 56, 72, 80 };
static const char *const wide_presets[] = { "x86_64-4l", "arm64-4k-48" };

/* A handful of hugepages is enough to see every per-hugepage effect. */
#define NR_SMALL 4
#define NR_LARGE 2
#define MAX_POOL 4

/* Hugepages above this many pfns get a sample of kpageflags, not all. */
#define KPF_FULL_LIMIT UINT64_C(8192)

#define MAX_ZONES 8

/* Shared tail pages seen so far, per hstate and zone (sharedtail only). */
struct tails {
	bool have[8][MAX_ZONES];
};

static bool
is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static unsigned
kept_pages(enum hvo_variant v)
{
	switch (v) {
	case HVO_VARIANT_KEEP2: return 2;
	case HVO_VARIANT_FAKEHEAD:
	case HVO_VARIANT_SHAREDTAIL: return 1;
	default: return 0;
	}
}

/* How many shared tail pages the hugepages @pfn[] need that do not exist yet. */
static uint64_t
new_tails(const struct hvo_machine *m, struct tails *t, unsigned hi,
	  const uint64_t *pfn, size_t n)
{
	uint64_t fresh = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned z = tu_zone_of(m, pfn[i]);

		assert_true(z < MAX_ZONES);
		if (!t->have[hi][z]) {
			t->have[hi][z] = true;
			fresh++;
		}
	}
	return fresh;
}

static void
assert_kpf(struct hvo_machine *m, uint64_t head, uint64_t i)
{
	uint64_t f = 0;

	assert_int_equal(hvo_kpageflags(m, head + i, &f), 0);
	if (i == 0) {
		if (!(f & (UINT64_C(1) << KPF_COMPOUND_HEAD)) ||
		    (f & (UINT64_C(1) << KPF_COMPOUND_TAIL)) ||
		    !(f & (UINT64_C(1) << KPF_HUGE)))
			fail_msg("head pfn 0x%" PRIx64 ": kpageflags 0x%" PRIx64,
				 head, f);
	} else if (!(f & (UINT64_C(1) << KPF_COMPOUND_TAIL)) ||
		   (f & (UINT64_C(1) << KPF_COMPOUND_HEAD)) ||
		   !(f & (UINT64_C(1) << KPF_HUGE))) {
		fail_msg("pfn 0x%" PRIx64 " (tail %" PRIu64 " of 0x%" PRIx64 "): kpageflags 0x%" PRIx64,
			 head + i, i, head, f);
	}
}

/*
 * tools/testing/selftests/mm/hugepage-vmemmap.c: the head has
 * COMPOUND_HEAD and HUGE, every other pfn COMPOUND_TAIL and HUGE. Large
 * hugepages get the first 70 pfns (the struct pages HVO cares most about
 * and the start of the second vmemmap page), 64 spread ones and the last.
 */
static void
assert_hugepage_kpf(struct hvo_machine *m, uint64_t head, uint64_t nr)
{
	if (nr <= KPF_FULL_LIMIT) {
		for (uint64_t i = 0; i < nr; i++)
			assert_kpf(m, head, i);
		return;
	}
	for (uint64_t i = 0; i < 70; i++)
		assert_kpf(m, head, i);
	for (uint64_t k = 1; k < 64; k++)
		assert_kpf(m, head, k * (nr / 64) + k);
	assert_kpf(m, head, nr - 1);
}

/*
 * Byte-compare with a pre-image: a restore gives back every struct page
 * as it was. Classic HVO resets four struct pages of each rebuilt page
 * since the hugetlb fields lie over page[3]'s ->mapping (274fe92de2c4, the
 * fix of restore-tail-mapping), so no folio field reaches a tail.
 */
static void
assert_same_struct_pages(struct hvo_machine *m, uint64_t pfn,
			 const uint64_t *pre, uint64_t bytes, enum hvo_variant v,
			 unsigned sp)
{
	uint64_t *now = tu_read_struct_pages(m, pfn, bytes);

	for (uint64_t i = 0; i < bytes / 8; i++) {
		uint64_t want = pre[i];

		if (now[i] != want)
			fail_msg("%s: struct pages of pfn 0x%" PRIx64 " differ at byte %" PRIu64 " (struct page %" PRIu64 " +%" PRIu64 "): 0x%" PRIx64 ", before 0x%" PRIx64,
				 hvo_variant_name(v), pfn, i * 8, i * 8 / sp,
				 i * 8 % sp, now[i], want);
	}
	free(now);
}

struct combo {
	enum hvo_variant v;
	bool mask;          /* compound_info is a mask: sharedtail can run */
	unsigned sp;
	uint64_t page_size;
	struct tails tails;
};

/* What a hugepage size should look like on this machine. */
struct expect {
	uint64_t nr_pages;   /* base pages per hugepage */
	uint64_t vmemmap;    /* whole vmemmap pages; 0 if a fraction */
	bool whole;
	bool opt;
	uint64_t freed;      /* per hugepage */
};

static struct expect
expect_of(const struct combo *c, const struct hvo_hstate_info *h)
{
	struct expect e = { .nr_pages = UINT64_C(1) << h->order };
	uint64_t bytes = e.nr_pages * c->sp;

	e.whole = bytes % c->page_size == 0;
	e.vmemmap = e.whole ? bytes / c->page_size : 0;
	/*
	 * sharedtail needs the mask encoding, so a vmemmap aligned to the
	 * largest folio: arm64 64K's (ARM64_MEMSTART_ALIGN, 1G) is not.
	 */
	e.opt = c->v != HVO_VARIANT_OFF && is_pow2(c->sp) && e.whole &&
		e.vmemmap > kept_pages(c->v) &&
		(c->v != HVO_VARIANT_SHAREDTAIL || c->mask);
	e.freed = e.opt ? e.vmemmap - kept_pages(c->v) : 0;
	return e;
}

/*
 * Grow as one batch: every hugepage optimized, and free memory moves by
 * exactly the hugepages, less what HVO freed, plus the page tables the
 * PMD splits took and (sharedtail) the first shared tail per zone. Then
 * shrink: everything comes back except those page tables and tails.
 */
static void
batched_grow_shrink(struct hvo_machine *m, struct combo *c, unsigned hi,
		    const struct expect *e, uint64_t n)
{
	struct hvo_hstate_info h = tu_hstate(m, hi);
	struct tu_acct a0 = tu_acct(m), a1, a2;
	uint64_t pfn[MAX_POOL], fresh = 0;
	int64_t dpt, dvm;

	assert_int_equal(hvo_set_nr_hugepages(m, h.size, n), 0);
	a1 = tu_acct(m);
	h = tu_hstate(m, hi);
	assert_int_equal(h.nr, n);
	assert_int_equal(h.free, n);
	assert_int_equal(h.optimized, e->opt ? n : 0);
	assert_int_equal(h.saved_bytes, h.optimized * e->freed * c->page_size);
	assert_int_equal(tu_pool_pfns(m, h.size, pfn, MAX_POOL), n);
	if (e->opt && c->v == HVO_VARIANT_SHAREDTAIL)
		fresh = new_tails(m, &c->tails, hi, pfn, n);
	dpt = (int64_t)(a1.pt - a0.pt);
	dvm = (int64_t)(a1.vm - a0.vm);
	assert_true(dpt >= 0);
	if (!e->opt)
		assert_int_equal(dpt, 0);
	assert_int_equal(dvm, -(int64_t)(n * e->freed) + (int64_t)fresh);
	assert_int_equal((int64_t)(a0.free - a1.free),
			 (int64_t)(n * e->nr_pages) - (int64_t)(n * e->freed) +
			 dpt + (int64_t)fresh);
	for (uint64_t i = 0; i < n; i++)
		assert_hugepage_kpf(m, pfn[i], e->nr_pages);
	tu_assert_check(m);

	/*
	 * A hugepage HVO cannot optimize is refused, untouched (the head
	 * and the first tails are where a stray write would land).
	 */
	if (!e->opt) {
		uint64_t bytes = e->nr_pages * c->sp;
		uint64_t *pre;

		if (bytes > 16 * c->page_size)
			bytes = 16 * c->page_size;
		pre = tu_read_struct_pages(m, pfn[0], bytes);

		assert_int_equal(hvo_hugepage_optimize(m, pfn[0]), -EINVAL);
		assert_int_equal(tu_hstate(m, hi).optimized, 0);
		assert_same_struct_pages(m, pfn[0], pre, bytes,
					 HVO_VARIANT_OFF, c->sp);
		assert_int_equal(tu_acct(m).free, a1.free);
		free(pre);
		tu_assert_check(m);
	}

	assert_int_equal(hvo_set_nr_hugepages(m, h.size, 0), 0);
	a2 = tu_acct(m);
	h = tu_hstate(m, hi);
	assert_int_equal(h.nr, 0);
	assert_int_equal(h.optimized, 0);
	assert_int_equal(a2.pt, a1.pt);
	assert_int_equal(a2.vm, a0.vm + fresh);
	assert_int_equal(a2.free, a0.free - (uint64_t)dpt - fresh);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
}

/*
 * Hugepages allocated with HVO off give a pre-image; each is then
 * optimized alone, restored alone, and must match it.
 */
static void
single_optimize_restore(struct hvo_machine *m, struct combo *c, unsigned hi,
			const struct expect *e, uint64_t n)
{
	struct hvo_hstate_info h = tu_hstate(m, hi);
	uint64_t bytes = e->nr_pages * c->sp, pfn[MAX_POOL];
	uint64_t *pre[MAX_POOL];
	struct tu_acct start = tu_acct(m);
	uint64_t pt_taken = 0, tails_taken = 0;

	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, h.size, n), 0);
	assert_int_equal(tu_hstate(m, hi).optimized, 0);
	assert_int_equal(tu_pool_pfns(m, h.size, pfn, MAX_POOL), n);
	for (uint64_t i = 0; i < n; i++)
		pre[i] = tu_read_struct_pages(m, pfn[i], bytes);
	assert_int_equal(hvo_set_variant(m, c->v), 0);
	tu_assert_check(m);

	for (uint64_t i = 0; i < n; i++) {
		struct tu_acct a0 = tu_acct(m), a1, a2;
		uint64_t fresh = 0;

		if (c->v == HVO_VARIANT_SHAREDTAIL)
			fresh = new_tails(m, &c->tails, hi, &pfn[i], 1);
		assert_int_equal(hvo_hugepage_optimize(m, pfn[i]), 0);
		a1 = tu_acct(m);
		h = tu_hstate(m, hi);
		assert_int_equal(h.optimized, 1);
		assert_int_equal(h.saved_bytes, e->freed * c->page_size);
		assert_true(a1.pt >= a0.pt);
		assert_int_equal(a1.vm + e->freed, a0.vm + fresh);
		assert_int_equal(a1.free + (a1.pt - a0.pt) + fresh,
				 a0.free + e->freed);
		pt_taken += a1.pt - a0.pt;
		tails_taken += fresh;
		assert_hugepage_kpf(m, pfn[i], e->nr_pages);
		tu_assert_check(m);

		/* Restoring takes the freed pages back, and nothing else. */
		assert_int_equal(hvo_hugepage_restore(m, pfn[i]), 0);
		a2 = tu_acct(m);
		assert_int_equal(tu_hstate(m, hi).optimized, 0);
		assert_int_equal(tu_hstate(m, hi).saved_bytes, 0);
		assert_int_equal(a2.free + e->freed, a1.free);
		assert_int_equal(a2.vm, a1.vm + e->freed);
		assert_int_equal(a2.pt, a1.pt);
		assert_same_struct_pages(m, pfn[i], pre[i], bytes, c->v, c->sp);
		assert_hugepage_kpf(m, pfn[i], e->nr_pages);
		tu_assert_check(m);
		free(pre[i]);
	}

	assert_int_equal(hvo_set_nr_hugepages(m, h.size, 0), 0);
	assert_int_equal(tu_hstate(m, hi).nr, 0);
	assert_int_equal(tu_acct(m).free, start.free - pt_taken - tails_taken);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
}

/* Four hugepages, or two of the large sizes; none over a quarter of RAM. */
static uint64_t
pool_size_for(uint64_t size, uint64_t ram)
{
	if (size > ram / 4)
		return 0;
	return size >= 512 * MIB ? NR_LARGE : NR_SMALL;
}

/*
 * 4G when a size between 256M and 1G exists (so it fits), else 1G. With
 * 16K pages 6G: sparse_buffer_init() takes section_map_size() per 128M
 * section, the 2M memmap rounded up to a 32M PMD, so a quarter of RAM
 * below the page tables, and the memmap it hands out and the page tables
 * taken meanwhile break two 1G ranges at the top. Where RAM starts above
 * 0 (arm64, riscv), 4G of it crosses 4G, so swiotlb_init() takes 64M
 * below 4G and breaks a third 1G range: 6G there too.
 */
static const char *
mem_for(size_t preset)
{
	struct hvo_machine *m = tu_preset_machine(preset, "mem=1G");
	struct hvo_hstate_info h;
	struct hvo_geometry g = tu_geometry(m);
	const char *mem = "mem=1G";

	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++)
		if (h.size > 256 * MIB && h.size <= GIB)
			mem = g.page_size == 16384 ||
			      hvo_machine_config(m)->mem[0].base ?
			      "mem=6G" : "mem=4G";
	tu_assert_check(m);
	hvo_machine_free(m);
	return mem;
}

static void
run_machine(size_t preset, const char *mem, enum hvo_variant v, unsigned sp)
{
	char extra[160];
	struct hvo_machine *m;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	struct combo c = { .v = v, .sp = sp };
	enum hvo_variant cur;
	unsigned nr_hstates = 0;
	bool enabled;
	const char *why;

	snprintf(extra, sizeof(extra), "%s,hvo=%s,struct_page=%u,checkpages=on",
		 mem, hvo_variant_name(v), sp);
	m = tu_preset_machine(preset, extra);
	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	c.page_size = g.page_size;
	assert_int_equal(hvo_machine_compound_encoding(m, &c.mask), 0);
	tu_assert_check(m);

	assert_int_equal(hvo_machine_hvo(m, &cur, &enabled, &why), 0);
	assert_int_equal(cur, v);
	assert_int_equal(enabled, v != HVO_VARIANT_OFF && is_pow2(sp));
	if (v != HVO_VARIANT_OFF && !is_pow2(sp))
		assert_non_null(strstr(why, "crosses page boundaries"));

	/*
	 * Largest size first: restores and page-table pages scatter over RAM
	 * and are never given back (doc/KERNEL-FACTS.md, "The remap walk", "Accounting"), so a gigantic
	 * hugepage may find no clean aligned range after the small sizes ran.
	 */
	while (hvo_machine_hstate(m, nr_hstates, &h) == 0)
		nr_hstates++;
	assert_true(nr_hstates > 0 && nr_hstates <= 8);
	for (unsigned hi = nr_hstates; hi-- > 0;) {
		struct expect e;
		uint64_t n;

		h = tu_hstate(m, hi);
		e = expect_of(&c, &h);
		n = pool_size_for(h.size, g.mem_bytes);
		assert_int_equal(h.optimizable, e.opt);
		assert_int_equal(h.vmemmap_pages_freed_per_hugepage, e.freed);
		if (e.whole)
			assert_int_equal(h.vmemmap_pages_per_hugepage, e.vmemmap);
		if (!is_pow2(sp))
			assert_non_null(strstr(h.reason, "crosses page boundaries"));
		if (!e.opt)
			assert_true(h.reason && *h.reason);
		if (!n)
			continue; /* 16G on 64K pages: not in 4G of RAM */
		batched_grow_shrink(m, &c, hi, &e, n);
		/*
		 * Byte-comparing the struct pages of a gigantic hugepage costs
		 * millions of loads: one such hugepage is enough.
		 */
		if (e.opt)
			single_optimize_restore(m, &c, hi, &e,
						e.nr_pages * sp > MIB ? 1 : n);
	}
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
run_variant(void **state, enum hvo_variant v)
{
	size_t p = tu_preset_of(state);
	const char *mem = mem_for(p);
	const unsigned *sizes = narrow_sizes;
	size_t nsizes = sizeof(narrow_sizes) / sizeof(narrow_sizes[0]);

	for (size_t i = 0; i < sizeof(wide_presets) / sizeof(wide_presets[0]); i++) {
		if (strcmp(hvo_preset_name(p), wide_presets[i]) == 0) {
			sizes = wide_sizes;
			nsizes = sizeof(wide_sizes) / sizeof(wide_sizes[0]);
		}
	}
	for (size_t i = 0; i < nsizes; i++)
		run_machine(p, mem, v, sizes[i]);
}

static void
test_off(void **state)
{
	run_variant(state, HVO_VARIANT_OFF);
}

static void
test_keep2(void **state)
{
	run_variant(state, HVO_VARIANT_KEEP2);
}

static void
test_fakehead(void **state)
{
	run_variant(state, HVO_VARIANT_FAKEHEAD);
}

static void
test_sharedtail(void **state)
{
	run_variant(state, HVO_VARIANT_SHAREDTAIL);
}

int
main(void)
{
	const struct tu_matrix_test tests[] = {
		{ "hvo_off", test_off },
		{ "hvo_keep2", test_keep2 },
		{ "hvo_fakehead", test_fakehead },
		{ "hvo_sharedtail", test_sharedtail },
	};

	return tu_run_matrix("hvo-matrix", tests, sizeof(tests) / sizeof(tests[0]));
}
