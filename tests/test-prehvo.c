/* SPDX-License-Identifier: MIT */
/*
 * Bootmem pre-HVO (Linux 6.15 on x86_64; RP_BOOTMEM_PREHVO and
 * RP_BOOTMEM_PREHVO_LATE in lib/release/release.c).
 *
 * Up to 6.14 a boot gigantic page gets a full vmemmap from memblock, in
 * PMD blocks, and HVO at hugetlb init splits the PMDs and frees the
 * memblock pages. From 6.15 an eligible page is populated already
 * optimized: vmemmap_populate_hvo() from hugetlb_vmemmap_init_early()
 * (6.15 to 7.0, the tails mirror the head page) or from
 * hugetlb_vmemmap_init_late() (7.1, the tails map the zone's shared tail
 * page); the boot batch (__hugetlb_vmemmap_optimize_folios() with boot)
 * only write-protects the mirrors and, having nothing else to optimize,
 * flushes once. Each test runs the checker after it works.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define GIB (UINT64_C(1) << 30)
#define SZ_2M (UINT64_C(2) << 20)

/* Two boot 1G pages, HVO on from boot, on release @k. */
static struct hvo_machine *
boot_1g(const char *k, const char *extra)
{
	char spec[256];

	snprintf(spec, sizeof(spec), "x86_64:mem=8G,hugepages=1G:2,hvo_default=on,kernel=%s%s",
		 k, extra);
	return tu_machine(spec);
}

/* MemTotal and MemFree in pages, deferred init done (a booted kernel). */
static void
meminfo(struct hvo_machine *m, uint64_t *total, uint64_t *free)
{
	assert_int_equal(hvo_machine_init_deferred(m), 0);
	tu_meminfo(m, total, free);
}

static uint64_t
boot_pfn(struct hvo_machine *m, uint64_t k)
{
	uint64_t pfn;

	assert_int_equal(hvo_hugepage_pfn(m, GIB, k, &pfn), 0);
	return pfn;
}

/*
 * A pre-HVO tail PTE on x86_64: vmemmap_wrprotect_hvo() write-protects
 * the PAGE_KERNEL mirrors with ptep_set_wrprotect(), whose pte_wrprotect()
 * clears RW and moves Dirty to SavedDirty (bit 58, mksaveddirty_shift(),
 * L6.12 arch/x86/include/asm/pgtable.h:404-450): NX|SavedDirty|G|A|P,
 * not PAGE_KERNEL_RO's ...121 without bit 58.
 */
#define X86_PREHVO_TAIL UINT64_C(0x8400000000000121)

/*
 * The vmemmap of a pre-HVO page: PTEs from the first page on (never a
 * PMD block), the head page RW, every other page the same frame @tail
 * read-only (X86_PREHVO_TAIL). @tail 0: the head page itself (6.15's
 * mirrors). @return the head page's frame.
 */
static uint64_t
assert_prehvo_layout(struct hvo_machine *m, uint64_t pfn, uint64_t tail)
{
	struct hvo_geometry g = tu_geometry(m);
	struct hvo_walk w = tu_vmemmap_walk(m, pfn, 0);
	uint64_t head = w.pa >> g.page_shift;

	assert_int_equal(w.leaf_size, g.page_size);
	assert_true(w.writable);
	if (!tail)
		tail = head;
	for (unsigned i = 1; i < 4096; i += 585) {
		w = tu_vmemmap_walk(m, pfn, i);
		assert_int_equal(w.leaf_size, g.page_size);
		assert_int_equal(w.pa >> g.page_shift, tail);
		assert_false(w.writable);
		assert_int_equal(w.level[w.nr_levels - 1].entry,
				 (tail << g.page_shift) | X86_PREHVO_TAIL);
	}
	return head;
}

/*
 * hugepagesz=1G hugepages=2 on 6.12, 6.15 and 7.1: 6.12 splits the 16
 * PMDs that map the two pages' struct pages (16 page-table pages from
 * the buddy allocator) and frees all 8192 memblock vmemmap pages (a new
 * head each from the buddy allocator: 6.12.114's "refactor code around
 * vmemmap_walk"); 6.15 never maps them: 16 PTE tables and 2 head pages
 * from memblock, no split, nothing freed, one flush_tlb_all(). MemFree is
 * the same (18 pages in use either way); MemTotal is 18 pages (72 kB)
 * lower on 6.15, as memblock's pages never join it. 7.1 adds the shared
 * tail page of (Normal, order 18) from memblock: one page less of each.
 */
static void
test_prehvo_boot_1g_by_release(void **state)
{
	struct hvo_machine *m12 = boot_1g("6.12", "");
	struct hvo_machine *m15 = boot_1g("6.15", "");
	struct hvo_machine *m71 = boot_1g("7.1", "");
	uint64_t t12, f12, t15, f15, t71, f71, h0, h1, tail;
	struct hvo_walk w;

	(void)state;
	assert_int_equal(tu_counter(m12, "hvo.split_pmd"), 16);
	assert_int_equal(tu_counter(m12, "hvo.vmemmap_freed"), 8192);
	assert_int_equal(tu_counter(m12, "hvo.prehvo"), 0);
	assert_int_equal(tu_counter(m12, "tlb.flush_all"), 2);
	assert_int_equal(tu_hstate(m12, 1).optimized, 2);

	for (unsigned i = 0; i < 2; i++) {
		struct hvo_machine *m = i ? m71 : m15;

		assert_int_equal(tu_counter(m, "hvo.split_pmd"), 0);
		assert_int_equal(tu_counter(m, "hvo.vmemmap_freed"), 0);
		assert_int_equal(tu_counter(m, "hvo.vmemmap_alloced"), 0);
		assert_int_equal(tu_counter(m, "hvo.optimize"), 0);
		assert_int_equal(tu_counter(m, "hvo.prehvo"), 2);
		assert_int_equal(tu_counter(m, "hvo.synchronize_rcu"), 0);
		/* nr_to_optimize 0: straight to the last flush. */
		assert_int_equal(tu_counter(m, "tlb.flush_all"), 1);
		/* 2 x 4096 PTEs populated, 2 x 4095 write-protected. */
		assert_int_equal(tu_counter(m, "pt.write.pte"), 2 * 4096 + 2 * 4095);
		assert_int_equal(tu_hstate(m, 1).nr, 2);
		assert_int_equal(tu_hstate(m, 1).optimized, 2);
		assert_int_equal(tu_hstate(m, 1).saved_bytes, 2 * 4095 * 4096);
	}
	/* 6.15: each page mirrors its own head page. */
	h0 = assert_prehvo_layout(m15, boot_pfn(m15, 0), 0);
	h1 = assert_prehvo_layout(m15, boot_pfn(m15, 1), 0);
	assert_int_not_equal(h0, h1);
	/* 7.1: one shared tail page for both, and a head page each. */
	w = tu_vmemmap_walk(m71, boot_pfn(m71, 0), 1);
	tail = w.pa >> 12;
	h0 = assert_prehvo_layout(m71, boot_pfn(m71, 0), tail);
	h1 = assert_prehvo_layout(m71, boot_pfn(m71, 1), tail);
	assert_int_not_equal(h0, h1);
	assert_int_not_equal(h0, tail);

	meminfo(m12, &t12, &f12);
	meminfo(m15, &t15, &f15);
	meminfo(m71, &t71, &f71);
	assert_int_equal(f15, f12);
	assert_int_equal(t12 - t15, 18);
	assert_int_equal(t15 - t71, 1);
	assert_int_equal(f15 - f71, 1);
	tu_assert_check(m12);
	tu_assert_check(m15);
	tu_assert_check(m71);
	hvo_machine_free(m12);
	hvo_machine_free(m15);
	hvo_machine_free(m71);
}

/*
 * Shrinking the pool to 0 restores a pre-HVO page as any optimized one
 * (__hugetlb_vmemmap_restore_folio()): 4095 pages from the buddy
 * allocator, the memblock head page kept, one flush_tlb_all() for the
 * batch; then the 1G page goes to the buddy allocator. MemTotal stays.
 */
static void
test_prehvo_restore(void **state)
{
	const char *rel[] = { "6.15", "7.1" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct hvo_machine *m = boot_1g(rel[i], "");
		uint64_t pfn = boot_pfn(m, 0), t0, f0, t1, f1, head, fa;
		struct hvo_walk w;

		head = tu_vmemmap_walk(m, pfn, 0).pa >> 12;
		meminfo(m, &t0, &f0);
		fa = tu_counter(m, "tlb.flush_all");
		assert_int_equal(hvo_set_nr_hugepages(m, GIB, 0), 0);
		assert_int_equal(tu_counter(m, "hvo.restore"), 2);
		assert_int_equal(tu_counter(m, "hvo.vmemmap_alloced"), 2 * 4095);
		assert_int_equal(tu_counter(m, "tlb.flush_all") - fa, 1);
		assert_int_equal(tu_hstate(m, 1).nr, 0);
		assert_int_equal(tu_hstate(m, 1).optimized, 0);
		/* Every vmemmap page is its own again, RW; the head stays. */
		w = tu_vmemmap_walk(m, pfn, 0);
		assert_int_equal(w.pa >> 12, head);
		w = tu_vmemmap_walk(m, pfn, 4095);
		assert_true(w.writable);
		assert_int_not_equal(w.pa >> 12, head);
		meminfo(m, &t1, &f1);
		assert_int_equal(t1, t0);
		assert_int_equal(f1 - f0, 2 * (GIB >> 12) - 2 * 4095);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * Demoting a pre-HVO page (demote_free_hugetlb_folios(), 6.12's batches):
 * its vmemmap is restored as any optimized 1G page's (one batch, one
 * flush_tlb_all()), then the 512 new 2M pages are optimized as one batch;
 * their PMDs are PTE tables already, so nothing is split.
 */
static void
test_prehvo_demote(void **state)
{
	const char *rel[] = { "6.15", "7.1" };

	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		struct hvo_machine *m = boot_1g(rel[i], "");
		uint64_t done = 0;

		assert_int_equal(hvo_demote(m, GIB, 1, &done), 0);
		assert_int_equal(done, 1);
		assert_int_equal(tu_hstate(m, 1).nr, 1);
		assert_int_equal(tu_hstate(m, 1).optimized, 1);
		assert_int_equal(tu_hstate(m, 0).nr, 512);
		assert_int_equal(tu_hstate(m, 0).optimized, 512);
		assert_int_equal(tu_counter(m, "hvo.split_pmd"), 0);
		assert_int_equal(tu_counter(m, "hvo.restore"), 1);
		assert_int_equal(tu_counter(m, "hvo.optimize"), 512);
		tu_assert_check(m);
		/* And back to the buddy allocator. */
		assert_int_equal(hvo_set_nr_hugepages(m, SZ_2M, 0), 0);
		assert_int_equal(hvo_set_nr_hugepages(m, GIB, 0), 0);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), 0);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * Where the kernel does not pre-optimize, boot is as 6.12's: HVO off at
 * boot (vmemmap_optimize_enabled: DEFAULT_ON unset, hugetlb_free_vmemmap=
 * off), a struct page HVO cannot serve, an override whose machinery
 * predates 6.15 (keep2, 5.17's), 6.14, and arches that do not select
 * ARCH_WANT_HUGETLB_VMEMMAP_PREINIT (riscv on 7.1 optimizes by splitting).
 */
static void
test_prehvo_fallbacks(void **state)
{
	static const struct {
		const char *spec;
		uint64_t optimized, splits;
	} cases[] = {
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=6.15,hvo_default=off", 0, 0 },
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=7.1,hvo_default=off", 0, 0 },
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=6.15.3+deb13-amd64", 0, 0 },
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=7.1,struct_page=56", 0, 0 },
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=6.15,hvo=keep2", 2, 16 },
		{ "x86_64:mem=8G,hugepages=1G:2,kernel=6.14,hvo_default=on", 2, 16 },
		{ "riscv64:mem=8G,hugepages=1G:2,kernel=7.1,hvo_default=on", 2, 16 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hvo_machine *m = tu_machine(cases[i].spec);
		struct hvo_hstate_info h = { 0 };

		for (unsigned k = 0; hvo_machine_hstate(m, k, &h) == 0 &&
				     h.size != GIB; k++)
			;
		assert_int_equal(h.size, GIB);
		assert_int_equal(h.nr, 2);
		assert_int_equal(tu_counter(m, "hvo.prehvo"), 0);
		assert_int_equal(h.optimized, cases[i].optimized);
		assert_int_equal(tu_counter(m, "hvo.split_pmd"), cases[i].splits);
		/* A batch with pages to optimize (or not): two full flushes. */
		assert_int_equal(tu_counter(m, "tlb.flush_all"), 2);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * The command line decides, as it is read before the boot pages are
 * taken: a Debian build (DEFAULT_ON unset) pre-optimizes with
 * hugetlb_free_vmemmap=on, and a default-on build does not with =off.
 */
static void
test_prehvo_cmdline(void **state)
{
	static const struct {
		const char *spec, *cmdline;
		uint64_t prehvo;
	} cases[] = {
		{ "x86_64:mem=8G,kernel=6.15.3+deb13-amd64",
		  "hugepagesz=1G hugepages=2 hugetlb_free_vmemmap=on", 2 },
		{ "x86_64:mem=8G,kernel=7.1",
		  "hugepagesz=1G hugepages=2 hugetlb_free_vmemmap=off", 0 },
		{ "x86_64:mem=8G,kernel=7.1",
		  "hugepagesz=1G hugepages=2", 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hvo_config cfg;
		struct hvo_machine *m = NULL;
		char err[256];

		assert_int_equal(hvo_config_parse(&cfg, cases[i].spec, err, sizeof(err)), 0);
		assert_int_equal(hvo_config_cmdline(&cfg, cases[i].cmdline, err, sizeof(err)), 0);
		assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
		assert_int_equal(tu_counter(m, "hvo.prehvo"), cases[i].prehvo);
		assert_int_equal(tu_hstate(m, 1).optimized, cases[i].prehvo);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * 2M boot pools come from the buddy allocator after memmap_init(): no
 * pre-HVO on any release; 6.12, 6.15 and 7.1 split and free alike.
 */
static void
test_prehvo_2m_boot_pool(void **state)
{
	const char *rel[] = { "6.12", "6.15", "7.1" };
	uint64_t total[3], free[3];

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		char spec[128];
		struct hvo_machine *m;

		snprintf(spec, sizeof(spec), "x86_64:mem=8G,hugepages=2M:512,hvo_default=on,kernel=%s",
			 rel[i]);
		m = tu_machine(spec);
		assert_int_equal(tu_counter(m, "hvo.prehvo"), 0);
		assert_int_equal(tu_counter(m, "hvo.optimize"), 512);
		assert_int_equal(tu_counter(m, "hvo.split_pmd"), 8);
		assert_int_equal(tu_counter(m, "hvo.vmemmap_freed"), 512 * 8);
		assert_int_equal(tu_counter(m, "tlb.flush_all"), 2);
		meminfo(m, &total[i], &free[i]);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
	assert_int_equal(total[0], total[1]);
	assert_int_equal(free[0], free[1]);
	assert_int_equal(total[1], total[2]);
	/* 7.1's shared tail page of (Normal, order 9), from the buddy. */
	assert_int_equal(free[1] - free[2], 1);
}

/*
 * A pool grow whose first allocation fails leaves an empty batch: 6.7 to
 * 6.14 flush all twice all the same; from 6.15 nr_to_optimize is 0 and
 * only the last flush comes.
 */
static void
test_prehvo_empty_batch(void **state)
{
	const char *rel[] = { "6.12", "6.14", "6.15", "7.1" };
	const uint64_t want[] = { 2, 2, 1, 1 };

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		char spec[64];
		struct hvo_machine *m;
		uint64_t fa;

		snprintf(spec, sizeof(spec), "x86_64:mem=1G,kernel=%s", rel[i]);
		m = tu_machine(spec);
		fa = tu_counter(m, "tlb.flush_all");
		assert_int_equal(hvo_fail_page_alloc(m, 1, true), 0);
		assert_int_equal(hvo_write_nr_hugepages(m, SZ_2M, 4), 0);
		assert_int_equal(hvo_fail_page_alloc(m, 0, false), 0);
		assert_int_equal(tu_hstate(m, 0).nr, 0);
		assert_int_equal(tu_counter(m, "tlb.flush_all") - fa, want[i]);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prehvo_boot_1g_by_release),
		cmocka_unit_test(test_prehvo_restore),
		cmocka_unit_test(test_prehvo_demote),
		cmocka_unit_test(test_prehvo_fallbacks),
		cmocka_unit_test(test_prehvo_cmdline),
		cmocka_unit_test(test_prehvo_2m_boot_pool),
		cmocka_unit_test(test_prehvo_empty_batch),
	};

	return tu_run("prehvo", tests, sizeof(tests) / sizeof(tests[0]));
}
