/* SPDX-License-Identifier: MIT */
/*
 * HugeTLB Vmemmap Optimization by scenario: what each variant saves and
 * how it maps the vmemmap, fake heads, the kernel's reported bugs replayed
 * (rollback-corrupts-head, restore-tail-mapping, batch-split-enomem,
 * restore-needs-memory: see doc/KERNEL-BUGS.md), the callbacks' sanity
 * checks, TLB flush counts, break-before-make, boot-time pools, variant
 * switching and bad input. Every number asserted is the kernel's (see
 * doc/KERNEL-FACTS.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "mmu/mmu.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/* include/uapi/linux/kernel-page-flags.h */
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_HUGE 17
#define KPF_NOPAGE 20

#define PG_HEAD 6
#define TAIL_MAPPING UINT64_C(0xdead000000000400)
#define MAPPING_OFFSET 24

#define MAX_ZONES 8
#define MAX_POOL 64

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */
/* ---------------------------------------------------------------------- */

static struct hvo_geometry
geometry(const struct hvo_machine *m)
{
	struct hvo_geometry g;

	assert_int_equal(hvo_machine_geometry(m, &g), 0);
	return g;
}

/* The hstate of @size: its index in @hi (may be NULL) and its state. */
static struct hvo_hstate_info
hstate_of(const struct hvo_machine *m, uint64_t size, unsigned *hi)
{
	struct hvo_hstate_info h;

	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++) {
		if (h.size == size) {
			if (hi)
				*hi = i;
			return h;
		}
	}
	fail_msg("no hstate of %" PRIu64 " KiB", size / KIB);
	return h;
}

/* hvo_set_nr_hugepages() that must work; says why if not. */
static void
set_nr(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	int rc = hvo_set_nr_hugepages(m, size, nr);

	if (rc)
		fail_msg("%" PRIu64 " hugepages of %" PRIu64 " KiB: %d: %s", nr,
			 size / KIB, rc, hvo_machine_error(m));
}

/* Grow to one more hugepage and return the new one's head pfn. */
static uint64_t
grow_one(struct hvo_machine *m, uint64_t size)
{
	uint64_t before[MAX_POOL], after[MAX_POOL];
	size_t nb = tu_pool_pfns(m, size, before, MAX_POOL), na;

	set_nr(m, size,
					      hstate_of(m, size, NULL).nr + 1);
	na = tu_pool_pfns(m, size, after, MAX_POOL);
	assert_int_equal(na, nb + 1);
	for (size_t i = 0; i < na; i++) {
		bool old = false;

		for (size_t k = 0; k < nb; k++)
			old |= before[k] == after[i];
		if (!old)
			return after[i];
	}
	fail_msg("the new hugepage is not in the pool");
	return 0;
}

static uint64_t
page_va(const struct hvo_machine *m, uint64_t pfn)
{
	uint64_t va = 0;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	return va;
}

/* The distinct zones of @pfn[]: a sharedtail pool needs one tail per zone. */
static uint64_t
zones_of(const struct hvo_machine *m, const uint64_t *pfn, size_t n)
{
	bool seen[MAX_ZONES] = { false };
	uint64_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned z = tu_zone_of(m, pfn[i]);

		assert_true(z < MAX_ZONES);
		k += !seen[z];
		seen[z] = true;
	}
	return k;
}

/* Byte-compare with a pre-image. */
static void
assert_struct_pages(struct hvo_machine *m, uint64_t pfn, const uint64_t *pre,
		    uint64_t bytes, unsigned sp)
{
	uint64_t *now = tu_read_struct_pages(m, pfn, bytes);

	for (uint64_t i = 0; i < bytes / 8; i++) {
		uint64_t want = pre[i];

		if (now[i] != want)
			fail_msg("pfn 0x%" PRIx64 ": struct page %" PRIu64 " +%" PRIu64 " is 0x%" PRIx64 ", was 0x%" PRIx64,
				 pfn, i * 8 / sp, i * 8 % sp, now[i], want);
	}
	free(now);
}

static uint64_t
kpf(struct hvo_machine *m, uint64_t pfn)
{
	uint64_t f = 0;

	assert_int_equal(hvo_kpageflags(m, pfn, &f), 0);
	return f;
}

static bool
kpf_has(uint64_t f, unsigned bit)
{
	return (f >> bit) & 1;
}

/* The selftest's rule: head HEAD|HUGE, every other pfn TAIL|HUGE. */
static void
assert_compound(struct hvo_machine *m, uint64_t head, uint64_t nr)
{
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t f = kpf(m, head + i);

		if (kpf_has(f, KPF_COMPOUND_HEAD) != (i == 0) ||
		    kpf_has(f, KPF_COMPOUND_TAIL) != (i != 0) ||
		    !kpf_has(f, KPF_HUGE))
			fail_msg("pfn 0x%" PRIx64 " (+%" PRIu64 "): kpageflags 0x%" PRIx64,
				 head + i, i, f);
	}
}

static struct hvo_walk
walk(struct hvo_machine *m, uint64_t va)
{
	struct hvo_walk w;

	assert_int_equal(hvo_walk(m, va, &w), 0);
	assert_true(w.mapped);
	return w;
}

/* The walk of vmemmap page @i of the hugepage at @pfn. */
static struct hvo_walk
vmemmap_walk(struct hvo_machine *m, uint64_t pfn, uint64_t i)
{
	return walk(m, page_va(m, pfn) + i * geometry(m).page_size);
}

static void
fail_alloc(struct hvo_machine *m, uint64_t nth, bool persistent)
{
	assert_int_equal(hvo_fail_page_alloc(m, nth, persistent), 0);
}

/* ---------------------------------------------------------------------- */
/* What each variant saves                                                */
/* ---------------------------------------------------------------------- */

#define NOT_CHECKED UINT64_MAX

struct saving_row {
	const char *spec;
	uint64_t size;
	uint64_t vmemmap;     /* vmemmap pages per hugepage, or NOT_CHECKED */
	uint64_t freed;       /* per hugepage */
	bool optimizable;
	const char *reason;   /* a part of the kernel's reason, or NULL */
	uint64_t nr;          /* hugepages per grow */
};

/*
 * The sysctl documentation's "7 pages per 2MB HugeTLB page and 4095 pages
 * per 1GB HugeTLB page"; 6 and 4094 with the 5.14 two-page reserve; a 32M
 * arm64 page has 128 vmemmap pages; a 64K one has a quarter page, which
 * cannot be remapped; a struct page that is not a power of two disables HVO.
 */
static const struct saving_row savings[] = {
	{ "x86_64:mem=4G,hvo=fakehead", 2 * MIB, 8, 7, true, NULL, 4 },
	{ "x86_64:mem=8G,hvo=fakehead", GIB, 4096, 4095, true, NULL, 1 },
	{ "x86_64:mem=4G,hvo=keep2", 2 * MIB, 8, 6, true, NULL, 4 },
	{ "x86_64:mem=8G,hvo=keep2", GIB, 4096, 4094, true, NULL, 1 },
	{ "x86_64:mem=4G,hvo=sharedtail", 2 * MIB, 8, 7, true, NULL, 4 },
	{ "x86_64:mem=8G,hvo=sharedtail", GIB, 4096, 4095, true, NULL, 1 },
	{ "arm64:granule=4K,va=48,mem=1G,hvo=sharedtail", 32 * MIB, 128, 127,
	  true, NULL, 2 },
	{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead", 32 * MIB, 128, 127,
	  true, NULL, 2 },
	{ "arm64:granule=4K,va=48,mem=1G,hvo=sharedtail", 64 * KIB,
	  NOT_CHECKED, 0, false, NULL, 4 },
	{ "arm64:granule=4K,va=48,mem=1G,hvo=fakehead", 64 * KIB,
	  NOT_CHECKED, 0, false, NULL, 4 },
	{ "x86_64:mem=1G,struct_page=72", 2 * MIB, 9, 0, false,
	  "crosses page boundaries", 4 },
	{ "x86_64:mem=1G,struct_page=80,hvo=fakehead", 2 * MIB, 10, 0, false,
	  "crosses page boundaries", 4 },
	{ "x86_64:mem=4G,hvo=off", 2 * MIB, 8, 0, false, NULL, 4 },
	{ "x86_64:mem=8G,hvo=off", GIB, 4096, 0, false, NULL, 1 },
};

/* Grow by r->nr and check the accounting; returns the shared tails taken. */
static uint64_t
grow_and_account(struct hvo_machine *m, const struct saving_row *r,
		 bool sharedtail, bool *zone_has_tail)
{
	struct hvo_geometry g = geometry(m);
	struct hvo_hstate_info h = hstate_of(m, r->size, NULL);
	uint64_t nr_pages = r->size >> g.page_shift, before[MAX_POOL], after[MAX_POOL];
	uint64_t fresh = 0, nb = tu_pool_pfns(m, r->size, before, MAX_POOL), na;
	struct tu_acct a0 = tu_acct(m), a1;
	int64_t dpt;

	set_nr(m, r->size, h.nr + r->nr);
	a1 = tu_acct(m);
	h = hstate_of(m, r->size, NULL);
	assert_int_equal(h.nr, nb + r->nr);
	assert_int_equal(h.optimized, r->optimizable ? h.nr : 0);
	assert_int_equal(h.saved_bytes, h.optimized * r->freed * g.page_size);
	na = tu_pool_pfns(m, r->size, after, MAX_POOL);
	assert_int_equal(na, h.nr);
	if (sharedtail && r->optimizable) {
		/* One shared tail per (zone, order), the first time only. */
		for (size_t i = 0; i < na; i++) {
			unsigned z = tu_zone_of(m, after[i]);

			if (!zone_has_tail[z]) {
				zone_has_tail[z] = true;
				fresh++;
			}
		}
		assert_true(nb > 0 || fresh >= 1);
	}
	dpt = (int64_t)(a1.pt - a0.pt);
	assert_true(dpt >= 0);
	assert_int_equal((int64_t)(a1.vm - a0.vm),
			 -(int64_t)(r->nr * r->freed) + (int64_t)fresh);
	assert_int_equal((int64_t)(a0.free - a1.free),
			 (int64_t)(r->nr * nr_pages) - (int64_t)(r->nr * r->freed) +
			 dpt + (int64_t)fresh);
	for (size_t i = 0; i < na; i++)
		/* The first 4096 pfns: 64 vmemmap pages of a 1G hugepage. */
		assert_compound(m, after[i], nr_pages > 4096 ? 4096 : nr_pages);
	tu_assert_check(m);
	return fresh;
}

static void
test_savings_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(savings) / sizeof(savings[0]); i++) {
		const struct saving_row *r = &savings[i];
		char spec[256];
		struct hvo_machine *m;
		struct hvo_hstate_info h;
		struct tu_acct start, end;
		bool sharedtail = strstr(r->spec, "sharedtail") != NULL;
		bool zone_has_tail[MAX_ZONES] = { false };
		uint64_t tails = 0;

		snprintf(spec, sizeof(spec), "%s,checkpages=on", r->spec);
		m = tu_machine(spec);
		h = hstate_of(m, r->size, NULL);
		if (r->vmemmap != NOT_CHECKED)
			assert_int_equal(h.vmemmap_pages_per_hugepage, r->vmemmap);
		assert_int_equal(h.vmemmap_pages_freed_per_hugepage, r->freed);
		assert_int_equal(h.optimizable, r->optimizable);
		assert_non_null(h.reason);
		if (!r->optimizable)
			assert_true(*h.reason);
		if (r->reason)
			assert_non_null(strstr(h.reason, r->reason));

		start = tu_acct(m);
		/* Twice: the second batch finds its shared tail already there. */
		tails += grow_and_account(m, r, sharedtail, zone_has_tail);
		tails += grow_and_account(m, r, sharedtail, zone_has_tail);
		if (sharedtail && r->optimizable)
			assert_true(tails >= 1);

		set_nr(m, r->size, 0);
		end = tu_acct(m);
		assert_int_equal(hstate_of(m, r->size, NULL).nr, 0);
		assert_int_equal(end.vm, start.vm + tails);
		assert_int_equal(end.free, start.free - (end.pt - start.pt) - tails);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* A shared tail per (zone, order): a 2M and a 1G pool need one each. */
static void
test_sharedtail_per_order(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=4G,hvo=sharedtail,checkpages=on");
	struct tu_acct a0, a1;
	uint64_t first, second;

	(void)state;
	a0 = tu_acct(m);
	first = grow_one(m, 2 * MIB);
	a1 = tu_acct(m);
	assert_int_equal(a1.vm + 7, a0.vm + 1);
	/* Another order: its own tail, whatever the zone. */
	a0 = a1;
	(void)grow_one(m, GIB);
	a1 = tu_acct(m);
	assert_int_equal(a1.vm + 4095, a0.vm + 1);
	/* The first order again: a new tail only in a new zone. */
	a0 = a1;
	second = grow_one(m, 2 * MIB);
	a1 = tu_acct(m);
	assert_int_equal(a1.vm + 7,
			 a0.vm + (tu_zone_of(m, second) == tu_zone_of(m, first) ? 0 : 1));
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	set_nr(m, GIB, 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* How the vmemmap is mapped                                              */
/* ---------------------------------------------------------------------- */

/*
 * doc/KERNEL-FACTS.md, "The remap walk": sharedtail maps a new head page RW and the shared
 * tail RO for pages 1..7; fakehead maps a new copy of the head RW and
 * the same copy RO for pages 1..7; keep2 keeps pages 0 and 1 and maps
 * page 1 RO for pages 2..7. Without PAGE_KERNEL_RO (riscv) the tails stay
 * writable.
 */
static void
check_vmemmap_map(const char *spec, enum hvo_variant v)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = geometry(m);
	uint64_t pfn, before[8] = { 0 }, after[8] = { 0 }, vp;
	bool ro = g.has_kernel_ro;

	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	pfn = grow_one(m, 2 * MIB);
	vp = hstate_of(m, 2 * MIB, NULL).vmemmap_pages_per_hugepage;
	assert_int_equal(vp, 8);
	for (unsigned i = 0; i < vp; i++) {
		struct hvo_walk w = vmemmap_walk(m, pfn, i);

		before[i] = w.pa;
		assert_true(w.writable);
	}
	assert_int_equal(hvo_set_variant(m, v), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	tu_assert_check(m);

	for (unsigned i = 0; i < vp; i++) {
		struct hvo_walk w = vmemmap_walk(m, pfn, i);
		bool kept = i < (v == HVO_VARIANT_KEEP2 ? 2u : 1u);

		after[i] = w.pa;
		assert_int_equal(w.leaf_size, g.page_size); /* the PMD was split */
		if (kept)
			assert_true(w.writable);
		else if (w.writable != !ro)
			fail_msg("%s: vmemmap page %u is %s", spec, i,
				 w.writable ? "writable" : "read-only");
	}
	switch (v) {
	case HVO_VARIANT_SHAREDTAIL:
		/* A new head page; one shared tail, neither of the old pages. */
		assert_true(after[0] != before[0]);
		for (unsigned i = 1; i < vp; i++) {
			assert_int_equal(after[i], after[1]);
			assert_true(after[i] != before[i]);
		}
		assert_true(after[1] != after[0]);
		break;
	case HVO_VARIANT_FAKEHEAD:
		/* A new copy of the head, and every tail maps it. */
		assert_true(after[0] != before[0]);
		for (unsigned i = 1; i < vp; i++)
			assert_int_equal(after[i], after[0]);
		break;
	case HVO_VARIANT_KEEP2:
		assert_int_equal(after[0], before[0]);
		assert_int_equal(after[1], before[1]);
		assert_true(after[0] != after[1]);
		for (unsigned i = 2; i < vp; i++)
			assert_int_equal(after[i], after[1]);
		break;
	default:
		fail();
	}

	/*
	 * Stores into tail struct pages: pfn+100 lies in vmemmap page 1 (kept
	 * RW by keep2), pfn+200 in page 3. A store to a read-only page faults
	 * and leaves memory alone.
	 */
	for (uint64_t t = 100; t <= 200; t += 100) {
		uint64_t va = page_va(m, pfn + t) + MAPPING_OFFSET, old, now;
		uint64_t wp = tu_counter(m, "fault.write_protect");
		bool kept = t * 64 / g.page_size < (v == HVO_VARIANT_KEEP2 ? 2u : 1u);

		assert_int_equal(hvo_kread64(m, va, &old), 0);
		if (ro && !kept) {
			assert_int_equal(hvo_kwrite64(m, va, 0x1234), -EFAULT);
			assert_int_equal(tu_counter(m, "fault.write_protect"), wp + 1);
		} else {
			/* Writable: store what is there, so nothing changes. */
			assert_int_equal(hvo_kwrite64(m, va, old), 0);
			assert_int_equal(tu_counter(m, "fault.write_protect"), wp);
		}
		assert_int_equal(hvo_kread64(m, va, &now), 0);
		assert_int_equal(now, old);
	}
	tu_assert_check(m);

	/* Restored: every page RW again, none on the shared page. */
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	for (unsigned i = 0; i < vp; i++) {
		struct hvo_walk w = vmemmap_walk(m, pfn, i);

		assert_true(w.writable);
		for (unsigned k = 0; k < i; k++)
			assert_true(w.pa != vmemmap_walk(m, pfn, k).pa);
	}
	assert_compound(m, pfn, 512);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_vmemmap_map_x86(void **state)
{
	(void)state;
	check_vmemmap_map("x86_64:mem=1G,hvo=sharedtail,checkpages=on",
			  HVO_VARIANT_SHAREDTAIL);
	check_vmemmap_map("x86_64:mem=1G,hvo=fakehead,checkpages=on",
			  HVO_VARIANT_FAKEHEAD);
	check_vmemmap_map("x86_64:mem=1G,hvo=keep2,checkpages=on",
			  HVO_VARIANT_KEEP2);
	check_vmemmap_map("x86_64:levels=5,mem=1G,hvo=sharedtail,checkpages=on",
			  HVO_VARIANT_SHAREDTAIL);
}

static void
test_vmemmap_map_riscv(void **state)
{
	struct hvo_machine *m = tu_machine("riscv64:mem=1G");

	(void)state;
	assert_false(geometry(m).has_kernel_ro);
	tu_assert_check(m);
	hvo_machine_free(m);
	check_vmemmap_map("riscv64:mem=1G,hvo=sharedtail,checkpages=on",
			  HVO_VARIANT_SHAREDTAIL);
	check_vmemmap_map("riscv64:mem=1G,hvo=fakehead,checkpages=on",
			  HVO_VARIANT_FAKEHEAD);
	check_vmemmap_map("riscv64:mem=1G,hvo=keep2,checkpages=on",
			  HVO_VARIANT_KEEP2);
}

/* ---------------------------------------------------------------------- */
/* compound_head() and fake heads                                         */
/* ---------------------------------------------------------------------- */

/*
 * Classic HVO maps every tail vmemmap page to the head page, so the
 * struct page at the start of each (pfn + 64k) reads the head's flags,
 * PG_head included; compound_head() must see through it (doc/KERNEL-FACTS.md, "Compound pages and compound_head()") and
 * /proc/kpageflags report a tail. The 2026 shared tail has no PG_head.
 */
static void
check_fake_heads(const char *spec, bool fake)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t pfn = grow_one(m, 2 * MIB), flags;

	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 1);
	for (uint64_t k = 1; k < 8; k++) {
		uint64_t f = kpf(m, pfn + 64 * k);

		assert_int_equal(hvo_kread64(m, page_va(m, pfn + 64 * k), &flags), 0);
		if (((flags >> PG_HEAD) & 1) != fake)
			fail_msg("%s: pfn+%" PRIu64 " flags 0x%" PRIx64, spec,
				 64 * k, flags);
		assert_true(kpf_has(f, KPF_COMPOUND_TAIL));
		assert_false(kpf_has(f, KPF_COMPOUND_HEAD));
		assert_true(kpf_has(f, KPF_HUGE));
	}
	assert_compound(m, pfn, 512);
	tu_assert_check(m);

	/* Restored, the fake heads are gone. */
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	for (uint64_t k = 1; k < 8; k++) {
		assert_int_equal(hvo_kread64(m, page_va(m, pfn + 64 * k), &flags), 0);
		assert_false((flags >> PG_HEAD) & 1);
	}
	assert_compound(m, pfn, 512);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_fake_heads(void **state)
{
	(void)state;
	check_fake_heads("x86_64:mem=1G,hvo=fakehead,checkpages=on", true);
	check_fake_heads("x86_64:mem=1G,hvo=sharedtail,checkpages=on", false);
	check_fake_heads("x86_64:mem=1G,hvo=keep2,checkpages=on", false);
	check_fake_heads("riscv64:mem=1G,hvo=fakehead,checkpages=on", true);
}

/* ---------------------------------------------------------------------- */
/* rollback-corrupts-head: a failed optimize leaves the hugepage as it was */
/* ---------------------------------------------------------------------- */

struct snapshot {
	uint64_t *bytes;
	uint64_t pa[8];
	uint64_t leaf[8];
};

static void
assert_untouched(struct hvo_machine *m, uint64_t pfn, const struct snapshot *s,
		 uint64_t bytes, unsigned vp)
{
	assert_struct_pages(m, pfn, s->bytes, bytes, 64);
	for (unsigned i = 0; i < vp; i++) {
		struct hvo_walk w = vmemmap_walk(m, pfn, i);

		assert_int_equal(w.pa, s->pa[i]);
		assert_true(w.writable);
	}
	assert_compound(m, pfn, 512);
}

/*
 * The May 2026 fix of rollback-corrupts-head: fail the remap at PTE step k and the
 * rollback must give back the pre-image, byte for byte, with every frame
 * accounted for. Steps: the first, the second, the last one that frees
 * (vmemmap pages - kept) and the last of the walk (the walk covers all 8
 * pages, or 7 from the reuse page for keep2).
 */
static void
check_rollback(const char *spec, enum hvo_variant v)
{
	struct hvo_machine *m = tu_machine(spec);
	unsigned vp = 8, kept = v == HVO_VARIANT_KEEP2 ? 2 : 1;
	unsigned walk_steps = v == HVO_VARIANT_KEEP2 ? vp - 1 : vp;
	uint64_t steps[] = { 1, 2, vp - kept, walk_steps };
	uint64_t bytes = 512 * 64, pfn;
	struct snapshot s;
	struct tu_acct a0, a1;
	uint64_t rb;

	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	pfn = grow_one(m, 2 * MIB);
	s.bytes = tu_read_struct_pages(m, pfn, bytes);
	for (unsigned i = 0; i < vp; i++) {
		struct hvo_walk w = vmemmap_walk(m, pfn, i);

		s.pa[i] = w.pa;
		s.leaf[i] = w.leaf_size;
	}
	/* A fresh machine: the vmemmap is still one PMD block here. */
	assert_int_equal(s.leaf[0], 2 * MIB);
	assert_int_equal(hvo_set_variant(m, v), 0);

	/* The PMD split fails: nothing has been walked, nothing changes. */
	a0 = tu_acct(m);
	rb = tu_counter(m, "hvo.rollback");
	assert_int_equal(hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PMD, 1, false), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), -ENOMEM);
	assert_int_equal(hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PMD, 0, false), 0);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 0);
	assert_untouched(m, pfn, &s, bytes, vp);
	assert_int_equal(vmemmap_walk(m, pfn, 0).leaf_size, 2 * MIB);
	assert_int_equal(a1.pt, a0.pt);
	/* Only the shared tail may stay: it is a cache for later hugepages. */
	assert_int_equal(a0.free - a1.free, a1.vm - a0.vm);
	assert_true(a1.vm - a0.vm <= (v == HVO_VARIANT_SHAREDTAIL ? 1u : 0u));
	assert_int_equal(tu_counter(m, "hvo.rollback"), rb);
	tu_assert_check(m);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		uint64_t k = steps[i];

		a0 = tu_acct(m);
		rb = tu_counter(m, "hvo.rollback");
		assert_int_equal(hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PTE, k, false), 0);
		assert_int_equal(hvo_hugepage_optimize(m, pfn), -ENOMEM);
		assert_int_equal(hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PTE, 0, false), 0);
		a1 = tu_acct(m);
		assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 0);
		assert_int_equal(hstate_of(m, 2 * MIB, NULL).saved_bytes, 0);
		assert_untouched(m, pfn, &s, bytes, vp);
		/* Once some PTEs were remapped, they were rolled back. */
		if (k >= 2)
			assert_int_equal(tu_counter(m, "hvo.rollback"), rb + 1);
		/* No frame leaked; the split's page table stays (never merged). */
		assert_int_equal(a1.vm, a0.vm);
		assert_true(a1.pt - a0.pt <= (i == 0 ? 1u : 0u));
		assert_int_equal(a1.free + (a1.pt - a0.pt), a0.free);
		tu_assert_check(m);
	}

	/* And then it works. */
	a0 = tu_acct(m);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 1);
	assert_int_equal(a1.pt, a0.pt);
	assert_int_equal(a1.free, a0.free + (vp - kept));
	tu_assert_check(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_struct_pages(m, pfn, s.bytes, bytes, 64);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	free(s.bytes);
	hvo_machine_free(m);
}

static void
test_rollback_corrupts_head(void **state)
{
	(void)state;
	check_rollback("x86_64:mem=1G,hvo=sharedtail,checkpages=on",
		       HVO_VARIANT_SHAREDTAIL);
	check_rollback("x86_64:mem=1G,hvo=fakehead,checkpages=on",
		       HVO_VARIANT_FAKEHEAD);
	check_rollback("x86_64:mem=1G,hvo=keep2,checkpages=on",
		       HVO_VARIANT_KEEP2);
}

/* ---------------------------------------------------------------------- */
/* The kernel's sanity checks in the walk's callbacks                     */
/* ---------------------------------------------------------------------- */

/*
 * vmemmap_restore_pte() of 6.12 BUG_ON()s a PTE that does not map the
 * reuse page. Point the first tail PTE a restore rebuilds at another
 * vmemmap page, through the internal API: the restore stops at that step
 * with the reason, counted, and gives back every page it took; the checker
 * names the PTE. Put it back, and the restore goes through.
 */
static void
test_restore_sanity(void **state)
{
	static const struct {
		const char *spec;
		uint64_t first; /* the first vmemmap page a restore rebuilds */
	} rows[] = {
		{ "x86_64:mem=1G,hvo=fakehead,checkpages=on", 1 },
		{ "x86_64:mem=1G,hvo=keep2,checkpages=on", 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hvo_machine *m = tu_machine(rows[i].spec);
		uint64_t pfn[2], va, ptep, other, bugs;
		struct tu_acct a0, a1;
		pte_t good;

		set_nr(m, 2 * MIB, 2);
		assert_int_equal(tu_pool_pfns(m, 2 * MIB, pfn, 2), 2);
		va = page_va(m, pfn[0]) + rows[i].first * geometry(m).page_size;
		other = vmemmap_walk(m, pfn[1], 0).pa >> geometry(m).page_shift;
		ptep = pte_offset_kernel(m, pmd_off_k(m, va), va);
		good = ptep_get(m, ptep);
		set_pte_at(m, va, ptep, pfn_pte(m, other, m->arch.page_kernel_ro));
		assert_int_equal(hvo_flush_tlb_all(m), 0);

		a0 = tu_acct(m);
		bugs = tu_counter(m, "hvo.sanity_fail");
		assert_int_equal(hvo_hugepage_restore(m, pfn[0]), -EFAULT);
		assert_int_equal(tu_counter(m, "hvo.sanity_fail"), bugs + 1);
		assert_non_null(strstr(hvo_machine_error(m),
				       "vmemmap_restore_pte: the PTE of"));
		assert_non_null(strstr(hvo_machine_error(m),
				       "not the reuse page"));
		a1 = tu_acct(m);
		assert_int_equal(a1.free, a0.free);
		assert_int_equal(a1.vm, a0.vm);
		assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 2);
		assert_int_equal(hvo_machine_check(m), -EUCLEAN);
		assert_non_null(strstr(hvo_machine_error(m), "hvo: "));

		set_pte_at(m, va, ptep, good);
		assert_int_equal(hvo_flush_tlb_all(m), 0);
		/* The walk stopped before it wrote a struct page. */
		tu_assert_check(m);
		assert_int_equal(hvo_hugepage_restore(m, pfn[0]), 0);
		assert_int_equal(tu_counter(m, "hvo.sanity_fail"), bugs + 1);
		tu_assert_check(m);
		set_nr(m, 2 * MIB, 0);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * A restore whose first PTE is not present: the walk finds its table in
 * the walker's memo (the head's struct page was just read), sees no page
 * there, and takes the full walk, which names the address. Nothing is
 * rebuilt; with the PTE put back the restore goes through.
 */
static void
test_restore_pte_none(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hvo=keep2");
	uint64_t pfn, va, ptep;
	struct tu_acct a0, a1;
	pte_t good;

	(void)state;
	set_nr(m, 2 * MIB, 1);
	assert_int_equal(tu_pool_pfns(m, 2 * MIB, &pfn, 1), 1);
	/* keep2's walk starts at the reuse page, the 2nd. */
	va = page_va(m, pfn) + geometry(m).page_size;
	ptep = pte_offset_kernel(m, pmd_off_k(m, va), va);
	good = ptep_get(m, ptep);
	set_pte_at(m, va, ptep, 0);
	assert_int_equal(hvo_flush_tlb_all(m), 0);

	a0 = tu_acct(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), -EFAULT);
	assert_non_null(strstr(hvo_machine_error(m), "is not mapped by a PTE"));
	a1 = tu_acct(m);
	assert_int_equal(a1.free, a0.free);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 1);

	set_pte_at(m, va, ptep, good);
	assert_int_equal(hvo_flush_tlb_all(m), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* restore-needs-memory                                                   */
/* ---------------------------------------------------------------------- */

struct held {
	uint64_t *pfn;
	unsigned *order;
	size_t n;
};

/*
 * Take every free page, in blocks of @top and smaller. The kernel keeps
 * each zone's min watermark and ZONE_DMA's protection from GFP_KERNEL
 * (__zone_watermark_ok()); with vm.min_free_kbytes 0 and every
 * vm.lowmem_reserve_ratio 0 it keeps nothing, and so does the machine.
 */
static void
exhaust(struct hvo_machine *m, struct held *h, unsigned top)
{
	uint64_t free = tu_pages(m, HVO_PAGES_FREE), pfn;
	int64_t no_ratio[HVO_MAX_ZONES] = { 0 };
	int ratio[HVO_MAX_ZONES];
	unsigned nr;

	assert_int_equal(hvo_min_free_kbytes_set(m, 0), 0);
	assert_int_equal(hvo_lowmem_reserve_ratio_get(m, ratio, HVO_MAX_ZONES, &nr), 0);
	assert_int_equal(hvo_lowmem_reserve_ratio_set(m, no_ratio, nr), 0);

	/* Room for every page on its own (a block may be split later). */
	h->pfn = calloc(free + 1, sizeof(*h->pfn));
	h->order = calloc(free + 1, sizeof(*h->order));
	h->n = 0;
	assert_non_null(h->pfn);
	assert_non_null(h->order);
	for (int o = (int)top; o >= 0; o--) {
		while (hvo_alloc_pages(m, (unsigned)o, HVO_GFP_KERNEL, &pfn) == 0) {
			h->pfn[h->n] = pfn;
			h->order[h->n++] = (unsigned)o;
		}
	}
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), 0);
}

static void
release(struct hvo_machine *m, struct held *h)
{
	while (h->n--)
		assert_int_equal(hvo_free_pages(m, h->pfn[h->n], h->order[h->n]), 0);
	free(h->pfn);
	free(h->order);
	h->pfn = NULL;
	h->order = NULL;
	h->n = 0;
}

static void
test_restore_needs_memory(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=3G,hvo=sharedtail,checkpages=on");
	struct held held;
	struct tu_acct a0, a1;
	uint64_t pfn;

	(void)state;
	pfn = grow_one(m, GIB);
	assert_int_equal(hstate_of(m, GIB, NULL).optimized, 1);
	exhaust(m, &held, geometry(m).max_page_order);

	/* vmemmap_remap_alloc() gets nothing: -ENOMEM, still optimized. */
	assert_int_equal(hvo_hugepage_restore(m, pfn), -ENOMEM);
	assert_int_equal(hstate_of(m, GIB, NULL).optimized, 1);
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), 0);
	tu_assert_check(m);
	/* Nor can the pool shrink: the hugepage stays, optimized. */
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 0), -ENOMEM);
	assert_int_equal(hstate_of(m, GIB, NULL).nr, 1);
	assert_int_equal(hstate_of(m, GIB, NULL).optimized, 1);
	tu_assert_check(m);

	release(m, &held);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hstate_of(m, GIB, NULL).optimized, 0);
	tu_assert_check(m);

	/* The third of the 4095 allocations fails: all given back, no change. */
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	a0 = tu_acct(m);
	fail_alloc(m, 3, false);
	assert_int_equal(hvo_hugepage_restore(m, pfn), -ENOMEM);
	fail_alloc(m, 0, false);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, GIB, NULL).optimized, 1);
	assert_int_equal(a1.free, a0.free);
	assert_int_equal(a1.vm, a0.vm);
	tu_assert_check(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	set_nr(m, GIB, 0);
	assert_int_equal(hstate_of(m, GIB, NULL).nr, 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* restore-tail-mapping: restored tails pass the free-time checks         */
/* ---------------------------------------------------------------------- */

static void
test_restore_tail_mapping_free_checks(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=8G,hvo=off,checkpages=on",
		"x86_64:mem=8G,hvo=keep2,checkpages=on",
		"x86_64:mem=8G,hvo=fakehead,checkpages=on",
		"x86_64:mem=8G,hvo=sharedtail,checkpages=on",
		"arm64:granule=4K,va=48,mem=8G,hvo=fakehead,checkpages=on",
		"riscv64:mem=8G,hvo=fakehead,checkpages=on",
		/* Resetting 3 struct pages, with 6.1's and 6.12.0's layouts. */
		"x86_64:mem=8G,kernel=6.1,checkpages=on",
		"x86_64:mem=8G,kernel=6.12.110,checkpages=on",
	};
	/* Gigantic first, while RAM still has clean 1G ranges. */
	static const uint64_t sizes[] = { GIB, 2 * MIB };

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct hvo_machine *m = tu_machine(specs[i]);
		bool off = strstr(specs[i], "hvo=off") != NULL;

		for (size_t k = 0; k < 2; k++) {
			uint64_t pfn;

			set_nr(m, sizes[k], k ? 4 : 1);
			pfn = grow_one(m, sizes[k]);
			/*
			 * optimize, restore, optimize: the dissolve restores
			 * it. page[3]'s ->mapping (_hugetlb_cgroup from 6.15,
			 * a plain tail's TAIL_MAPPING before) is as prep left
			 * it: the restore writes no folio field.
			 */
			if (!off) {
				uint64_t va = page_va(m, pfn) + 3 * 64 +
					      MAPPING_OFFSET, map0, map;

				assert_int_equal(hvo_kread64(m, va, &map0), 0);
				assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
				assert_int_equal(hvo_kread64(m, va, &map), 0);
				assert_int_equal(map, map0);
				tu_assert_check(m);
				assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
			}
			tu_assert_check(m);
		}
		for (size_t k = 0; k < 2; k++)
			set_nr(m, sizes[k], 0);
		if (tu_counter(m, "hvo.bad_page"))
			fail_msg("%s: %s", specs[i], hvo_machine_error(m));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* The checks are live: a corrupted tail is caught, only with checkpages. */
static void
test_restore_tail_mapping_checks_catch_corruption(void **state)
{
	static const struct {
		const char *spec;
		uint64_t bad;
	} rows[] = {
		{ "x86_64:mem=1G,hvo=off,checkpages=on", 1 },
		{ "x86_64:mem=1G,hvo=off,checkpages=off", 0 },
		{ "x86_64:mem=1G,hvo=sharedtail,checkpages=on", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hvo_machine *m = tu_machine(rows[i].spec);
		uint64_t pfn;

		assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
		pfn = grow_one(m, 2 * MIB);
		/* Tail 5's ->mapping should be TAIL_MAPPING. */
		assert_int_equal(hvo_kwrite64(m, page_va(m, pfn + 5) + MAPPING_OFFSET,
					      0), 0);
		(void)hvo_set_nr_hugepages(m, 2 * MIB, 0);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), rows[i].bad);
		if (rows[i].bad)
			assert_non_null(strstr(hvo_machine_error(m),
					       "corrupted mapping in tail page"));
		/* free_pages_prepare() keeps a page it found bad: never freed. */
		assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED),
				 rows[i].bad ? 512 : 0);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* ---------------------------------------------------------------------- */
/* batch-split-enomem: ENOMEM in the middle of a batch                   */
/* ---------------------------------------------------------------------- */

#define BATCH_ENOMEM_SPEC "x86_64:mem=256M,hvo=sharedtail,checkpages=on,deferred=off"
#define BATCH_ENOMEM_N 8

/*
 * The allocations of one batched grow on a fresh batch-split-enomem machine: the
 * hugepages, the page tables of the split pass, the shared tail, then one
 * head page per hugepage, in order (doc/KERNEL-FACTS.md, "The remap walk", "Batching and TLB flushes").
 */
struct batch_enomem_plan {
	uint64_t allocs, pt;
};

static struct batch_enomem_plan
batch_enomem_dry_run(void)
{
	struct hvo_machine *m = tu_machine(BATCH_ENOMEM_SPEC);
	struct tu_acct a0 = tu_acct(m), a1;
	uint64_t b0 = tu_counter(m, "buddy.alloc");
	struct batch_enomem_plan p;

	set_nr(m, 2 * MIB, BATCH_ENOMEM_N);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, BATCH_ENOMEM_N);
	p.allocs = tu_counter(m, "buddy.alloc") - b0;
	p.pt = a1.pt - a0.pt;
	assert_true(p.pt >= 1);
	assert_int_equal(p.allocs, BATCH_ENOMEM_N + p.pt + 1 + BATCH_ENOMEM_N);
	tu_assert_check(m);
	hvo_machine_free(m);
	return p;
}

/* Grow with the nth allocation failing; returns the hugepages optimized. */
static uint64_t
batch_enomem_run(uint64_t nth, bool persistent, int want_rc, uint64_t *flush_all)
{
	struct hvo_machine *m = tu_machine(BATCH_ENOMEM_SPEC);
	struct tu_acct a0 = tu_acct(m), a1, a2;
	struct hvo_hstate_info h;
	uint64_t tails;
	int rc;

	hvo_machine_counters_reset(m);
	fail_alloc(m, nth, persistent);
	rc = hvo_set_nr_hugepages(m, 2 * MIB, BATCH_ENOMEM_N);
	fail_alloc(m, 0, false);
	if (flush_all)
		*flush_all = tu_counter(m, "tlb.flush_all");
	a1 = tu_acct(m);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(rc, want_rc);
	if (rc) {
		/* A hugepage could not be allocated: all or nothing. */
		assert_int_equal(h.nr, 0);
		assert_int_equal(a1.free, a0.free);
		assert_int_equal(a1.vm, a0.vm);
		assert_int_equal(a1.pt, a0.pt);
		tu_assert_check(m);
		hvo_machine_free(m);
		return 0;
	}
	/* Best effort: the pool is complete, some hugepages maybe not optimized. */
	assert_int_equal(h.nr, BATCH_ENOMEM_N);
	assert_true(h.optimized <= BATCH_ENOMEM_N);
	assert_int_equal(h.saved_bytes, h.optimized * 7 * 4096);
	tails = a1.vm + h.optimized * 7 - a0.vm;
	assert_true(tails <= 1);
	assert_int_equal(a0.free - a1.free,
			 BATCH_ENOMEM_N * 512 - h.optimized * 7 + (a1.pt - a0.pt) + tails);
	tu_assert_check(m);

	set_nr(m, 2 * MIB, 0);
	a2 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).nr, 0);
	assert_int_equal(a2.free, a0.free - (a2.pt - a0.pt) - tails);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
	return h.optimized;
}

static void
test_batch_split_enomem(void **state)
{
	struct batch_enomem_plan p = batch_enomem_dry_run();
	uint64_t first_head = p.allocs - BATCH_ENOMEM_N + 1, flushes;
	uint64_t mid = BATCH_ENOMEM_N / 2;

	(void)state;
	/* A head page midway: the batch flushes, frees and retries once. */
	assert_int_equal(batch_enomem_run(first_head + mid - 1, false, 0, &flushes), BATCH_ENOMEM_N);
	assert_int_equal(flushes, 3);
	/* The first head: nothing collected yet to free, no retry. */
	assert_int_equal(batch_enomem_run(first_head, false, 0, NULL), BATCH_ENOMEM_N - 1);
	/* The shared tail: the first hugepage goes without, the next gets it. */
	assert_int_equal(batch_enomem_run(first_head - 1, false, 0, NULL), BATCH_ENOMEM_N - 1);
	/* Every allocation from a head midway: those before are optimized. */
	assert_int_equal(batch_enomem_run(first_head + mid - 1, true, 0, NULL), mid - 1);
	/* A page table of the split pass: splitting resumes in the remap. */
	assert_int_equal(batch_enomem_run(BATCH_ENOMEM_N + 1, false, 0, NULL), BATCH_ENOMEM_N);

	/* The sweep (batch-split-enomem): fail the M-th allocation, for every M. */
	for (uint64_t mth = 1; mth <= p.allocs + 1; mth++) {
		bool hugepage = mth <= BATCH_ENOMEM_N;
		uint64_t once = batch_enomem_run(mth, false, hugepage ? -ENOMEM : 0, NULL);
		uint64_t from = batch_enomem_run(mth, true, hugepage ? -ENOMEM : 0, NULL);

		if (hugepage)
			continue;
		assert_true(once >= BATCH_ENOMEM_N - 1);
		if (mth >= first_head)
			assert_int_equal(from, mth - first_head < BATCH_ENOMEM_N ?
					       mth - first_head : BATCH_ENOMEM_N);
		else
			assert_int_equal(from, 0);
	}
}

/*
 * Real pressure: free memory is exactly N hugepages, the page tables the
 * split pass needs and @extra pages. The shared tail exists already.
 */
static void
batch_enomem_little_memory(uint64_t extra, uint64_t want_optimized)
{
	struct hvo_machine *m = tu_machine(BATCH_ENOMEM_SPEC);
	struct held held;
	uint64_t warm[BATCH_ENOMEM_N], kept_free = 0, pmd[BATCH_ENOMEM_N], unsplit = 0;
	unsigned zone;
	struct hvo_hstate_info h;

	/* Make the shared tail (and split some PMDs), then give it all back. */
	set_nr(m, 2 * MIB, BATCH_ENOMEM_N);
	assert_int_equal(tu_pool_pfns(m, 2 * MIB, warm, BATCH_ENOMEM_N), BATCH_ENOMEM_N);
	zone = tu_zone_of(m, warm[0]);
	assert_int_equal(zones_of(m, warm, BATCH_ENOMEM_N), 1);
	set_nr(m, 2 * MIB, 0);

	exhaust(m, &held, 9);
	/* Give back BATCH_ENOMEM_N order-9 blocks of the tail's zone. */
	for (size_t i = held.n, got = 0; i-- > 0 && got < BATCH_ENOMEM_N;) {
		struct hvo_walk w;

		if (held.order[i] != 9 || tu_zone_of(m, held.pfn[i]) != zone)
			continue;
		assert_int_equal(hvo_free_pages(m, held.pfn[i], 9), 0);
		held.order[i] = 99; /* freed */
		w = vmemmap_walk(m, held.pfn[i], 0);
		/* A PMD-mapped vmemmap block will need a page table. */
		if (w.leaf_size == 2 * MIB) {
			bool seen = false;

			for (uint64_t k = 0; k < unsplit; k++)
				seen |= pmd[k] == w.level[w.nr_levels - 1].entry_pa;
			if (!seen)
				pmd[unsplit++] = w.level[w.nr_levels - 1].entry_pa;
		}
		got++;
		kept_free += 512;
	}
	assert_int_equal(kept_free, BATCH_ENOMEM_N * 512);
	/* Single pages: split a held block into order-0 allocations. */
	for (size_t i = 0; i < held.n; i++) {
		if (held.order[i] >= 2 && held.order[i] <= 9) {
			uint64_t nr = UINT64_C(1) << held.order[i];

			assert_int_equal(hvo_split_page(m, held.pfn[i], held.order[i]), 0);
			held.order[i] = 0;
			for (uint64_t k = 1; k < nr; k++) {
				held.pfn[held.n] = held.pfn[i] + k;
				held.order[held.n++] = 0;
			}
			break;
		}
	}
	for (size_t i = held.n, got = 0; i-- > 0 && got < unsplit + extra;) {
		if (held.order[i] == 0) {
			assert_int_equal(hvo_free_pages(m, held.pfn[i], 0), 0);
			held.order[i] = 99;
			got++;
			kept_free++;
		}
	}
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), kept_free);
	assert_int_equal(kept_free, BATCH_ENOMEM_N * 512 + unsplit + extra);

	set_nr(m, 2 * MIB, BATCH_ENOMEM_N);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.nr, BATCH_ENOMEM_N);
	assert_int_equal(h.optimized, want_optimized);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), kept_free - unsplit);
	tu_assert_check(m);

	for (size_t i = 0; i < held.n; i++)
		if (held.order[i] != 99)
			assert_int_equal(hvo_free_pages(m, held.pfn[i], held.order[i]), 0);
	free(held.pfn);
	free(held.order);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_batch_split_enomem_little_memory(void **state)
{
	(void)state;
	/* No page for a head: HVO is skipped, the pool grows anyway. */
	batch_enomem_little_memory(0, 0);
	/* One page: the first head; the retry lives on what that freed. */
	batch_enomem_little_memory(1, BATCH_ENOMEM_N);
}

/* ---------------------------------------------------------------------- */
/* TLB flushes (doc/KERNEL-FACTS.md, "Batching and TLB flushes")         */
/* ---------------------------------------------------------------------- */

struct flushes {
	uint64_t all, range, page;
};

static struct flushes
flushes(const struct hvo_machine *m)
{
	struct flushes f = {
		.all = tu_counter(m, "tlb.flush_all"),
		.range = tu_counter(m, "tlb.flush_range"),
		.page = tu_counter(m, "tlb.flush_page"),
	};

	return f;
}

static void
assert_flushes(const struct hvo_machine *m, uint64_t all, uint64_t range,
	       uint64_t page)
{
	struct flushes f = flushes(m);

	if (f.all != all || f.range != range || f.page != page)
		fail_msg("flush_all %" PRIu64 " flush_range %" PRIu64 " flush_page %" PRIu64 ", want %" PRIu64 " %" PRIu64 " %" PRIu64,
			 f.all, f.range, f.page, all, range, page);
}

static void
test_tlb_flushes(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hvo=sharedtail,checkpages=on");
	struct tu_acct a0;
	uint64_t pfn, n = 8;

	(void)state;
	assert_int_equal(geometry(m).tlb_flush_ceiling, 33);

	/* A batch in fresh PMDs: splits without flushes, then two flush_all. */
	a0 = tu_acct(m);
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, n);
	assert_true(tu_acct(m).pt > a0.pt);
	assert_flushes(m, 2, 0, 0);
	tu_assert_check(m);

	/* A batched restore: one flush_all. */
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, 0);
	assert_flushes(m, 1, 0, 0);
	tu_assert_check(m);

	/* Again, inside the PMDs already split. */
	a0 = tu_acct(m);
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, n);
	assert_int_equal(tu_acct(m).pt, a0.pt);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, n);
	assert_flushes(m, 2, 0, 0);
	tu_assert_check(m);
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, 0);
	assert_flushes(m, 1, 0, 0);

	/* One hugepage in a split PMD: its 8 pages, one at a time. */
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	pfn = grow_one(m, 2 * MIB);
	assert_int_equal(vmemmap_walk(m, pfn, 0).leaf_size, 4096);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL), 0);
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_flushes(m, 0, 1, 8);
	tu_assert_check(m);
	/* Its restore: the 7 pages after the head. */
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_flushes(m, 0, 1, 7);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	hvo_machine_free(m);

	/* One hugepage that splits a PMD: the 2M range is above the ceiling. */
	m = tu_machine("x86_64:mem=1G,hvo=sharedtail,checkpages=on");
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	pfn = grow_one(m, 2 * MIB);
	assert_int_equal(vmemmap_walk(m, pfn, 0).leaf_size, 2 * MIB);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL), 0);
	hvo_machine_counters_reset(m);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_flushes(m, 1, 2, 8);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* Break-before-make                                                      */
/* ---------------------------------------------------------------------- */

/*
 * arm64 needs break-before-make to change a live PTE's output address
 * (arm64-bbm, doc/KERNEL-BUGS.md): HVO does it for every remapped vmemmap page and for the
 * PMD split; x86 does not care.
 */
static void
check_bbm(const char *spec, bool needs)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_hstate_info h;
	uint64_t n = 2, bbm, split;

	assert_int_equal(geometry(m).needs_bbm, needs);
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, n);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.optimized, n);
	bbm = tu_counter(m, "check.bbm");
	split = tu_counter(m, "hvo.split_pmd");
	if (needs)
		assert_true(bbm >= n * h.vmemmap_pages_freed_per_hugepage + split);
	else
		assert_int_equal(bbm, 0);
	tu_assert_check(m);

	/* The restore changes them back. */
	hvo_machine_counters_reset(m);
	set_nr(m, 2 * MIB, 0);
	bbm = tu_counter(m, "check.bbm");
	if (needs)
		assert_true(bbm >= n * h.vmemmap_pages_freed_per_hugepage);
	else
		assert_int_equal(bbm, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_bbm(void **state)
{
	(void)state;
	check_bbm("arm64:granule=4K,va=48,mem=1G,hvo=sharedtail,checkpages=on", true);
	check_bbm("arm64:granule=4K,va=48,mem=1G,hvo=fakehead,checkpages=on", true);
	check_bbm("arm64:granule=4K,va=48,mem=1G,hvo=keep2,checkpages=on", true);
	check_bbm("x86_64:mem=1G,hvo=sharedtail,checkpages=on", false);
	check_bbm("x86_64:mem=1G,hvo=fakehead,checkpages=on", false);
}

/* ---------------------------------------------------------------------- */
/* Boot-time pools                                                        */
/* ---------------------------------------------------------------------- */

static uint64_t
managed_pages(const struct hvo_machine *m)
{
	uint64_t total, free;

	tu_meminfo(m, &total, &free);
	return total;
}

/*
 * hugepages= pools are optimized at boot. Their vmemmap came from memblock,
 * so every page HVO frees joins the managed memory (MemTotal rises,
 * doc/KERNEL-FACTS.md, "Accounting"): with sharedtail that is all 8 (4096) old vmemmap pages
 * of each 2M (1G) hugepage, the new head coming from the buddy allocator.
 * That is a kernel before bootmem pre-HVO (6.14 and older: 6.12 here);
 * from 6.15 a boot 1G page never gets that vmemmap (tests/test-prehvo.c).
 */
static void
test_boot_pools(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=8G,hugepages=1G:2;2M:16,kernel=6.12,hvo=sharedtail,checkpages=on");
	struct hvo_machine *off = tu_machine("x86_64:mem=8G,hugepages=1G:2;2M:16,kernel=6.12,hvo=off,checkpages=on");
	struct hvo_hstate_info h2 = hstate_of(m, 2 * MIB, NULL);
	struct hvo_hstate_info h1 = hstate_of(m, GIB, NULL);
	uint64_t managed;

	(void)state;
	assert_int_equal(h2.nr, 16);
	assert_int_equal(h2.free, 16);
	assert_int_equal(h2.optimized, 16);
	assert_int_equal(h1.nr, 2);
	assert_int_equal(h1.optimized, 2);
	assert_int_equal(h1.saved_bytes, 2 * 4095 * 4096);
	assert_int_equal(h2.saved_bytes, 16 * 7 * 4096);
	tu_assert_check(m);
	assert_int_equal(hstate_of(off, 2 * MIB, NULL).nr, 16);
	assert_int_equal(hstate_of(off, GIB, NULL).nr, 2);
	assert_int_equal(hstate_of(off, 2 * MIB, NULL).optimized, 0);
	assert_int_equal(hstate_of(off, GIB, NULL).optimized, 0);
	tu_assert_check(off);

	managed = managed_pages(m);
	assert_int_equal(managed - managed_pages(off), 2 * 4096 + 16 * 8);

	/* The restore takes buddy pages: MemTotal does not come down. */
	set_nr(m, 2 * MIB, 0);
	set_nr(m, GIB, 0);
	assert_int_equal(managed_pages(m), managed);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(off);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* Switching variants                                                     */
/* ---------------------------------------------------------------------- */

static void
check_switch(const char *spec, const enum hvo_variant *ok, size_t nok,
	     const enum hvo_variant *bad, size_t nbad)
{
	struct hvo_machine *m = tu_machine(spec);
	enum hvo_variant cur;

	for (size_t i = 0; i < nok; i++) {
		if (hvo_set_variant(m, ok[i]) != 0)
			fail_msg("%s: to %s: %s", spec, hvo_variant_name(ok[i]),
				 hvo_machine_error(m));
		assert_int_equal(hvo_machine_hvo(m, &cur, NULL, NULL), 0);
		assert_int_equal(cur, ok[i]);
	}
	for (size_t i = 0; i < nbad; i++) {
		assert_int_equal(hvo_set_variant(m, bad[i]), -EINVAL);
		assert_non_null(strstr(hvo_machine_error(m), "encoding"));
		assert_int_equal(hvo_machine_hvo(m, &cur, NULL, NULL), 0);
		assert_int_equal(cur, ok[nok - 1]);
	}
	assert_int_equal(hvo_set_variant(m, (enum hvo_variant)9), -EINVAL);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_variant_switching(void **state)
{
	static const enum hvo_variant st_ok[] = {
		HVO_VARIANT_OFF, HVO_VARIANT_SHAREDTAIL, HVO_VARIANT_OFF,
		HVO_VARIANT_SHAREDTAIL,
	};
	static const enum hvo_variant st_bad[] = {
		HVO_VARIANT_FAKEHEAD, HVO_VARIANT_KEEP2,
	};
	static const enum hvo_variant classic_ok[] = {
		HVO_VARIANT_KEEP2, HVO_VARIANT_OFF, HVO_VARIANT_FAKEHEAD,
		HVO_VARIANT_KEEP2, HVO_VARIANT_FAKEHEAD,
	};
	static const enum hvo_variant classic_bad[] = {
		HVO_VARIANT_SHAREDTAIL,
	};

	(void)state;
	check_switch("x86_64:mem=1G,hvo=sharedtail", st_ok, 4, st_bad, 2);
	check_switch("x86_64:mem=1G,hvo=fakehead", classic_ok, 5, classic_bad, 1);
	check_switch("x86_64:mem=1G,hvo=keep2", classic_ok, 5, classic_bad, 1);
	check_switch("x86_64:mem=1G,hvo=off", classic_ok, 5, classic_bad, 1);
}

/* The API: "a machine booted with sharedtail can switch between sharedtail and off". */
static void
test_variant_switching_odd_struct_page(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hvo=sharedtail,struct_page=72");
	char why[512];
	int rc;

	(void)state;
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	rc = hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL);
	snprintf(why, sizeof(why), "%s", hvo_machine_error(m));
	tu_assert_check(m);
	hvo_machine_free(m);
	/* Freed first, so a failure does not also report a leak. */
	if (rc)
		fail_msg("booted sharedtail, cannot switch back: %s", why);
}

/* Hugepages keep the variant they were optimized with (doc/KERNEL-FACTS.md, "Accounting"). */
static void
test_variant_kept_per_hugepage(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hvo=fakehead,checkpages=on");
	struct hvo_hstate_info h;
	struct tu_acct a0 = tu_acct(m), a1;

	(void)state;
	set_nr(m, 2 * MIB, 4);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.optimized, 4);
	assert_int_equal(h.saved_bytes, 4 * 7 * 4096);

	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_KEEP2), 0);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.vmemmap_pages_freed_per_hugepage, 6);
	assert_int_equal(h.saved_bytes, 4 * 7 * 4096);
	set_nr(m, 2 * MIB, 8);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.optimized, 8);
	assert_int_equal(h.saved_bytes, (4 * 7 + 4 * 6) * 4096);
	a1 = tu_acct(m);
	assert_int_equal(a0.free - a1.free, 8 * 512 - (4 * 7 + 4 * 6) + (a1.pt - a0.pt));
	tu_assert_check(m);

	/* Off: two more, not optimized; the others stay as they are. */
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	set_nr(m, 2 * MIB, 10);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.optimized, 8);
	assert_int_equal(h.saved_bytes, (4 * 7 + 4 * 6) * 4096);
	tu_assert_check(m);

	/* Each is restored the way it was optimized. */
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_FAKEHEAD), 0);
	set_nr(m, 2 * MIB, 0);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).nr, 0);
	assert_int_equal(a1.free, a0.free - (a1.pt - a0.pt));
	assert_int_equal(a1.vm, a0.vm);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* The same across sharedtail and off. */
static void
test_sharedtail_off_on(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,hvo=sharedtail,checkpages=on");
	struct hvo_hstate_info h;

	(void)state;
	set_nr(m, 2 * MIB, 2);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_false(h.optimizable);
	assert_int_equal(h.vmemmap_pages_freed_per_hugepage, 0);
	set_nr(m, 2 * MIB, 4);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 2);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL), 0);
	set_nr(m, 2 * MIB, 6);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.optimized, 4);
	assert_int_equal(h.saved_bytes, 4 * 7 * 4096);
	tu_assert_check(m);
	set_nr(m, 2 * MIB, 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* Bad input                                                              */
/* ---------------------------------------------------------------------- */

static void
test_bad_input(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=1G,checkpages=on");
	struct hvo_hstate_info h;
	struct tu_acct a0, a1;
	uint64_t pfn[4], got[2], v, f;
	enum hvo_variant var;
	bool enabled;
	const char *why;

	(void)state;
	/* No 4M hugepages on x86: the error lists what there is. */
	assert_int_equal(hvo_set_nr_hugepages(m, 4 * MIB, 1), -EINVAL);
	assert_non_null(strstr(hvo_machine_error(m), "2M"));
	assert_non_null(strstr(hvo_machine_error(m), "1G"));
	assert_int_equal(hvo_hugepage_get(m, 4 * MIB, &v), -EINVAL);

	/* More than memory: nothing changes. */
	a0 = tu_acct(m);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1000), -ENOMEM);
	assert_int_equal(hvo_set_nr_hugepages(m, GIB, 2), -ENOMEM);
	a1 = tu_acct(m);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).nr, 0);
	assert_int_equal(hstate_of(m, GIB, NULL).nr, 0);
	assert_int_equal(a1.free, a0.free);
	assert_int_equal(a1.pt, a0.pt);
	assert_int_equal(a1.vm, a0.vm);
	tu_assert_check(m);

	/* A grow that cannot complete is undone (all or nothing). */
	fail_alloc(m, 3, false);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 4), -ENOMEM);
	fail_alloc(m, 0, false);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).nr, 0);
	assert_int_equal(tu_acct(m).free, a0.free);
	tu_assert_check(m);

	assert_int_equal(hvo_hugepage_get(m, 2 * MIB, &v), -ENOMEM);
	set_nr(m, 2 * MIB, 4);
	assert_int_equal(tu_pool_pfns(m, 2 * MIB, pfn, 4), 4);

	/* Put what is not in use; optimize and restore what is no hugepage. */
	assert_int_equal(hvo_hugepage_put(m, pfn[0]), -EINVAL);
	assert_int_equal(hvo_hugepage_put(m, pfn[0] + 1), -EINVAL);
	assert_int_equal(hvo_hugepage_optimize(m, pfn[0] + 1), -EINVAL);
	assert_int_equal(hvo_hugepage_optimize(m, 0x100), -EINVAL);
	assert_int_equal(hvo_hugepage_restore(m, pfn[0] + 1), -EINVAL);
	assert_int_equal(hvo_hugepage_restore(m, UINT64_MAX), -EINVAL);
	/* With HVO off there is nothing to optimize with. */
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn[0]), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn[0]), -EINVAL);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).optimized, 3);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn[0]), 0);
	tu_assert_check(m);

	/* Two in use: the pool cannot shrink below them. */
	assert_int_equal(hvo_hugepage_get(m, 2 * MIB, &got[0]), 0);
	assert_int_equal(hvo_hugepage_get(m, 2 * MIB, &got[1]), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), -EBUSY);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.nr, 2);
	assert_int_equal(h.free, 0);
	assert_int_equal(hvo_hugepage_put(m, got[0]), 0);
	assert_int_equal(hvo_hugepage_put(m, got[0]), -EINVAL);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), -EBUSY);
	h = hstate_of(m, 2 * MIB, NULL);
	assert_int_equal(h.nr, 1);
	assert_int_equal(h.free, 0);
	tu_assert_check(m);
	assert_int_equal(hvo_hugepage_put(m, got[1]), 0);
	set_nr(m, 2 * MIB, 0);
	assert_int_equal(hstate_of(m, 2 * MIB, NULL).nr, 0);
	tu_assert_check(m);

	/* A pfn with no struct page. */
	assert_int_equal(hvo_kpageflags(m, UINT64_C(1) << 40, &f), 0);
	assert_true(kpf_has(f, KPF_NOPAGE));

	/* Out of range. */
	assert_int_equal(hvo_machine_hstate(m, 99, &h), -ENOENT);
	assert_int_equal(hvo_fail_vmemmap(m, (enum hvo_fail_point)7, 1, false), -EINVAL);

	/* NULL, everywhere. */
	assert_int_equal(hvo_machine_hstate(NULL, 0, &h), -EINVAL);
	assert_int_equal(hvo_machine_hstate(m, 0, NULL), -EINVAL);
	assert_int_equal(hvo_set_nr_hugepages(NULL, 2 * MIB, 1), -EINVAL);
	assert_int_equal(hvo_hugepage_get(NULL, 2 * MIB, &v), -EINVAL);
	assert_int_equal(hvo_hugepage_get(m, 2 * MIB, NULL), -EINVAL);
	assert_int_equal(hvo_hugepage_put(NULL, pfn[0]), -EINVAL);
	assert_int_equal(hvo_hugepage_optimize(NULL, pfn[0]), -EINVAL);
	assert_int_equal(hvo_hugepage_restore(NULL, pfn[0]), -EINVAL);
	assert_int_equal(hvo_set_variant(NULL, HVO_VARIANT_OFF), -EINVAL);
	assert_int_equal(hvo_machine_hvo(NULL, &var, &enabled, &why), -EINVAL);
	assert_int_equal(hvo_machine_hvo(m, NULL, NULL, NULL), 0);
	assert_int_equal(hvo_kpageflags(NULL, 0x1000, &f), -EINVAL);
	assert_int_equal(hvo_kpageflags(m, 0x1000, NULL), -EINVAL);
	assert_int_equal(hvo_fail_vmemmap(NULL, HVO_FAIL_VMEMMAP_PTE, 1, false), -EINVAL);
	assert_int_equal(hvo_fail_page_alloc(NULL, 1, false), -EINVAL);
	assert_int_equal(hvo_pfn_to_page(NULL, 0x1000, &v), -EINVAL);
	assert_int_equal(hvo_pfn_to_page(m, 0x1000, NULL), -EINVAL);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* Failures that must change nothing (issue 10's defects 2, 3 and 5)       */
/* ---------------------------------------------------------------------- */

/*
 * A fakehead restore that fails for memory leaves every struct page as it
 * was: the reset of page[3]'s _hugetlb_cgroup waits until every page is
 * allocated (vmemmap_remap_alloc() allocates all first). Every allocation
 * point of the restore, once and persistently.
 */
static void
test_failed_restore_changes_nothing(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=256M,hvo=fakehead",
		"arm64:granule=16K,va=48,mem=256M,hvo=fakehead",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
		for (unsigned nth = 1; nth <= 8; nth++) {
			for (int persistent = 0; persistent < 2; persistent++) {
				struct hvo_machine *m = tu_machine(specs[i]);
				uint64_t size = tu_geometry(m).default_hugepage_size;
				uint64_t bytes = (size >> tu_geometry(m).page_shift) *
						 tu_geometry(m).struct_page_size;
				uint64_t pfn, *before, *after;
				int rc;

				assert_int_equal(hvo_set_nr_hugepages(m, size, 1), 0);
				assert_int_equal(hvo_hugepage_pfn(m, size, 0, &pfn), 0);
				before = tu_read_struct_pages(m, pfn, bytes);
				assert_int_equal(hvo_fail_page_alloc(m, nth, persistent), 0);
				rc = hvo_hugepage_restore(m, pfn);
				hvo_fail_page_alloc(m, 0, false);
				after = tu_read_struct_pages(m, pfn, bytes);
				if (rc) {
					assert_int_equal(rc, -ENOMEM);
					if (memcmp(before, after, bytes))
						fail_msg("%s: restore failing at allocation %u%s changed a struct page",
							 specs[i], nth, persistent ? " (persistent)" : "");
				}
				free(before);
				free(after);
				tu_assert_check(m);
				hvo_machine_free(m);
			}
		}
	}
}

/*
 * keep2 walks from the second vmemmap page, which it keeps: a failure at
 * the 2nd PTE step rolls back a walk that has put nothing on the list yet
 * (an optimize of a hugepage grown with HVO off, so nothing else has).
 * Under UBSan this once added an offset to a NULL list.
 */
static void
test_keep2_rollback_first_step(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=keep2");
	uint64_t size = UINT64_C(2) << 20, pfn, bytes = 512 * 64;
	uint64_t *before, *after;

	(void)state;
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, size, 1), 0);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_KEEP2), 0);
	assert_int_equal(hvo_hugepage_pfn(m, size, 0, &pfn), 0);
	before = tu_read_struct_pages(m, pfn, bytes);
	for (unsigned nth = 1; nth <= 3; nth++) {
		assert_int_equal(hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PTE, nth, false), 0);
		assert_int_equal(hvo_hugepage_optimize(m, pfn), -ENOMEM);
		after = tu_read_struct_pages(m, pfn, bytes);
		assert_memory_equal(before, after, bytes);
		free(after);
		tu_assert_check(m);
	}
	hvo_fail_vmemmap(m, HVO_FAIL_VMEMMAP_PTE, 0, false);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	free(before);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A sharedtail optimize that fails at its head-page allocation keeps the
 * shared tail page it allocated first, as the 2026 kernel does
 * (vmemmap_get_tail() keeps the page of a (zone, order) for good); the
 * next optimize of that zone and order uses it and allocates no other.
 */
static void
test_sharedtail_failed_optimize_keeps_tail(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=sharedtail");
	uint64_t size = UINT64_C(2) << 20, pfn;
	uint64_t vm0, free0;

	(void)state;
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_OFF), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, size, 1), 0);
	assert_int_equal(hvo_set_variant(m, HVO_VARIANT_SHAREDTAIL), 0);
	assert_int_equal(hvo_hugepage_pfn(m, size, 0, &pfn), 0);
	vm0 = tu_pages(m, HVO_PAGES_VMEMMAP);
	free0 = tu_pages(m, HVO_PAGES_FREE);
	/* The 1st allocation is the shared tail, the 2nd the new head. */
	assert_int_equal(hvo_fail_page_alloc(m, 2, false), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), -ENOMEM);
	hvo_fail_page_alloc(m, 0, false);
	assert_int_equal(tu_pages(m, HVO_PAGES_VMEMMAP), vm0 + 1);
	assert_int_equal(tu_pages(m, HVO_PAGES_FREE), free0 - 1);
	tu_assert_check(m);
	/* The retry reuses it: one new head page, 8 old pages freed. */
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_VMEMMAP), vm0 + 1 + 1 - 8);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_savings_table),
		cmocka_unit_test(test_sharedtail_per_order),
		cmocka_unit_test(test_vmemmap_map_x86),
		cmocka_unit_test(test_vmemmap_map_riscv),
		cmocka_unit_test(test_fake_heads),
		cmocka_unit_test(test_rollback_corrupts_head),
		cmocka_unit_test(test_restore_sanity),
		cmocka_unit_test(test_restore_pte_none),
		cmocka_unit_test(test_restore_needs_memory),
		cmocka_unit_test(test_failed_restore_changes_nothing),
		cmocka_unit_test(test_keep2_rollback_first_step),
		cmocka_unit_test(test_sharedtail_failed_optimize_keeps_tail),
		cmocka_unit_test(test_restore_tail_mapping_free_checks),
		cmocka_unit_test(test_restore_tail_mapping_checks_catch_corruption),
		cmocka_unit_test(test_batch_split_enomem),
		cmocka_unit_test(test_batch_split_enomem_little_memory),
		cmocka_unit_test(test_tlb_flushes),
		cmocka_unit_test(test_bbm),
		cmocka_unit_test(test_boot_pools),
		cmocka_unit_test(test_variant_switching),
		cmocka_unit_test(test_variant_switching_odd_struct_page),
		cmocka_unit_test(test_variant_kept_per_hugepage),
		cmocka_unit_test(test_sharedtail_off_on),
		cmocka_unit_test(test_bad_input),
	};

	return tu_run("hvo", tests, sizeof(tests) / sizeof(tests[0]));
}
