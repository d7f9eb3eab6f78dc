/* SPDX-License-Identifier: MIT */
/*
 * The checker's folio rules (hugetlb_check() in lib/hugetlb/hugetlb.c):
 * for each rule, break the field it guards on a pool hugepage through the
 * internal accessors, expect hvo_machine_check() to name the rule, put
 * the bytes back and expect the check to pass. Run on every variant (the
 * hugepage optimized, and not), and on a struct page too small for
 * mapping and index (the rules on those fields stand down). Then the
 * same kind of corruption met where the kernel meets it, freeing the
 * hugepage with checkpages=on, and the pool rules of "hvo".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "hugetlb/hugetlb.h"
#include "mm/folio.h"

#define MIB (UINT64_C(1) << 20)
/* Struct pages 0 to 7 hold every field a corruption below touches. */
#define SAVED_PAGES 8

struct corruption {
	const char *rule;
	bool needs_mapping; /* the field lies over mapping or index */
	void (*apply)(struct hvo_machine *m, pfn_t pfn, page_t head);
};

static void
bad_head_flags(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_flags(m, head, page_flags(m, head) | pg_mask(m, PG_dirty));
}

static void
bad_page_type(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	page_clear_type(m, head);
}

static void
bad_refcount(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_count(m, head, 1);
}

static void
bad_optimized(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	/* HPG_vmemmap_optimized the other way round. */
	set_page_private(m, head, page_private(m, head) ^ (UINT64_C(1) << 4));
	(void)pfn;
}

static void
bad_order(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_flags_1(m, head, folio_flags_1(m, head) - 1);
}

static void
bad_large_mapcount(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_large_mapcount(m, head, 0);
}

static void
bad_entire_mapcount(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_entire_mapcount(m, head, 0);
}

static void
bad_pincount(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_pincount(m, head, 1);
}

static void
bad_nr_pages_mapped(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_nr_pages_mapped(m, head, 1);
}

static void
bad_nr_pages(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_nr_pages(m, head, folio_nr_pages(m, head) / 2);
}

static void
bad_deferred_list(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_mapping(m, folio_page(m, head, 2), LIST_POISON2);
}

static void
bad_subpool(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_hugetlb_subpool(m, head, head);
}

/*
 * A charged cgroup on a free pool page. (TAIL_MAPPING, what a failed
 * fakehead restore leaves, is test_cgroup_after_restore()'s.)
 */
static void
bad_cgroup(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_hugetlb_cgroup(m, head, head);
}

static void
bad_cgroup_rsvd(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_hugetlb_cgroup_rsvd(m, head, TAIL_MAPPING);
}

static void
bad_hwpoison(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_folio_hugetlb_hwpoison(m, head, head + 8);
}

static void
bad_compound_info(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	/* Tail 5 points at the next struct page as its head. */
	set_page_compound_info(m, folio_page(m, head, 5),
			       folio_page(m, head, 6) + 1);
	(void)pfn;
}

static void
bad_tail_mapping(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_mapping(m, folio_page(m, head, 5), 0);
}

/* 6.1's hugetlb mark: the destructor, not a page type. */
static void
bad_dtor(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	FOLIO_SET(m, head, dtor, 1); /* COMPOUND_PAGE_DTOR: not hugetlb */
}

static void
bad_hugetlb_type(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	page_store32(m, head, page_layout(m)->page_type, PGTY_hugetlb << 24);
}

/* 6.1's compound_order byte. */
static void
bad_compound_order(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	FOLIO_SET(m, head, order, folio_order(m, head) - 1);
}

/*
 * A tail whose ->mapping no folio field covers: page[2] in 6.1, page[3]
 * before 6.15.
 */
static void
bad_mapping_2(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_mapping(m, folio_page(m, head, 2), 0);
}

static void
bad_mapping_3(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_mapping(m, folio_page(m, head, 3), 0);
}

static const struct corruption corruptions[] = {
	{ "folio.head_flags", false, bad_head_flags },
	{ "folio.page_type", false, bad_page_type },
	{ "folio.refcount", false, bad_refcount },
	{ "folio.vmemmap_optimized", false, bad_optimized },
	{ "folio.order", false, bad_order },
	{ "folio.mapcount", false, bad_large_mapcount },
	{ "folio.mapcount", false, bad_entire_mapcount },
	{ "folio.pincount", true, bad_pincount },
	{ "folio.pincount", true, bad_nr_pages_mapped },
	{ "folio.nr_pages", true, bad_nr_pages },
	{ "folio.deferred_list", true, bad_deferred_list },
	{ "folio.hugetlb_subpool", false, bad_subpool },
	{ "folio.hugetlb_cgroup", true, bad_cgroup },
	{ "folio.hugetlb_cgroup_rsvd", true, bad_cgroup_rsvd },
	{ "folio.hugetlb_hwpoison", false, bad_hwpoison },
	{ "folio.tail_compound_info", false, bad_compound_info },
	{ "folio.tail_mapping", true, bad_tail_mapping },
};

/* 6.1's layout (L6.1 include/linux/mm_types.h:137-149). */
static const struct corruption corruptions_6_1[] = {
	{ "folio.head_flags", false, bad_head_flags },
	{ "folio.page_type", false, bad_hugetlb_type },
	{ "folio.dtor", false, bad_dtor },
	{ "folio.refcount", false, bad_refcount },
	{ "folio.vmemmap_optimized", false, bad_optimized },
	{ "folio.order", false, bad_order },
	{ "folio.order", false, bad_compound_order },
	{ "folio.mapcount", false, bad_entire_mapcount },
	{ "folio.pincount", true, bad_pincount },
	{ "folio.nr_pages", true, bad_nr_pages },
	{ "folio.hugetlb_subpool", true, bad_subpool },
	{ "folio.hugetlb_cgroup", false, bad_cgroup },
	{ "folio.hugetlb_cgroup_rsvd", false, bad_cgroup_rsvd },
	{ "folio.hugetlb_hwpoison", false, bad_hwpoison },
	{ "folio.tail_mapping", true, bad_mapping_2 },
	{ "folio.tail_compound_info", false, bad_compound_info },
	{ "folio.tail_mapping", true, bad_tail_mapping },
};

/* 6.2 to 6.14: page[1] as 6.15's, the hugetlb fields in page[2]. */
static const struct corruption corruptions_6_2[] = {
	{ "folio.order", false, bad_order },
	{ "folio.mapcount", false, bad_large_mapcount },
	{ "folio.pincount", true, bad_nr_pages_mapped },
	{ "folio.hugetlb_subpool", false, bad_subpool },
	{ "folio.hugetlb_cgroup", true, bad_cgroup },
	{ "folio.hugetlb_cgroup_rsvd", true, bad_cgroup_rsvd },
	{ "folio.hugetlb_hwpoison", false, bad_hwpoison },
	{ "folio.tail_mapping", true, bad_mapping_3 },
};

static void
put_back(struct hvo_machine *m, uint64_t pfn, const uint64_t *saved,
	 uint64_t bytes)
{
	uint64_t va;

	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	for (uint64_t i = 0; i < bytes / 8; i++)
		assert_int_equal(hvo_kwrite64(m, va + i * 8, saved[i]), 0);
}

/*
 * Every rule of @table on the first 2 MiB hugepage of @spec, optimized or
 * not.
 */
static void
check_rules_of(const char *spec, bool optimize,
	       const struct corruption *table, size_t n)
{
	struct hvo_machine *m = tu_machine(spec);
	struct hvo_geometry g = tu_geometry(m);
	bool has_mapping = g.struct_page_size >= 56;
	uint64_t bytes = SAVED_PAGES * g.struct_page_size, pfn;
	uint64_t *saved;

	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 2), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	if (!optimize)
		assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	tu_assert_check(m);
	saved = tu_read_struct_pages(m, pfn, bytes);
	for (size_t i = 0; i < n; i++) {
		const struct corruption *c = &table[i];
		int rc;

		if (c->needs_mapping && !has_mapping)
			continue;
		c->apply(m, pfn, pfn_to_page(m, pfn));
		assert_false(machine_oopsed(m));
		rc = hvo_machine_check(m);
		if (rc != -EUCLEAN ||
		    strncmp(hvo_machine_error(m), c->rule, strlen(c->rule)) ||
		    hvo_machine_error(m)[strlen(c->rule)] != ':')
			fail_msg("%s (%s): corruption %zu: expected rule %s, got %d: %s",
				 spec, optimize ? "optimized" : "not optimized",
				 i, c->rule, rc, hvo_machine_error(m));
		put_back(m, pfn, saved, bytes);
		tu_assert_check(m);
	}
	free(saved);
	hvo_machine_free(m);
}

static void
check_rules(const char *spec, bool optimize)
{
	check_rules_of(spec, optimize, corruptions, ARRAY_SIZE(corruptions));
}

static void
test_folio_rules(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=256M,hvo=fakehead",
		"x86_64:mem=256M,hvo=keep2",
		"x86_64:mem=256M,hvo=sharedtail",
		"arm64:granule=4K,va=48,mem=256M,hvo=fakehead,struct_page=48",
		"riscv64:mem=256M,hvo=sharedtail,struct_page=128",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		check_rules(specs[i], true);
		check_rules(specs[i], false);
	}
}

/* The rules follow the release's folio layout. */
static void
test_folio_rules_by_release(void **state)
{
	static const char *const specs_6_1[] = {
		"x86_64:mem=256M,kernel=6.1",
		"arm64:granule=4K,va=48,mem=256M,kernel=6.1.15",
		"x86_64:mem=256M,kernel=6.1,struct_page=48,hvo=off",
	};
	static const char *const specs_6_2[] = {
		"x86_64:mem=256M,kernel=6.12.110",
		"x86_64:mem=256M,kernel=6.2,struct_page=128",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(specs_6_1); i++) {
		for (int opt = 0; opt < 2; opt++)
			check_rules_of(specs_6_1[i], opt, corruptions_6_1,
				       ARRAY_SIZE(corruptions_6_1));
	}
	for (size_t i = 0; i < ARRAY_SIZE(specs_6_2); i++) {
		for (int opt = 0; opt < 2; opt++)
			check_rules_of(specs_6_2[i], opt, corruptions_6_2,
				       ARRAY_SIZE(corruptions_6_2));
	}
}

/*
 * _hugetlb_cgroup after a completed fakehead restore: the restore resets
 * four struct pages of each copy (274fe92de2c4, the fix of
 * restore-tail-mapping) and never writes page[3], so it reads 0, as
 * before; TAIL_MAPPING there, what a restore resetting three would have
 * copied to where it belongs, is the rule's failure before and after.
 */
static void
test_cgroup_after_restore(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=fakehead");
	uint64_t pfn;
	page_t head;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	head = pfn_to_page(m, pfn);
	set_folio_hugetlb_cgroup(m, head, TAIL_MAPPING);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), "folio.hugetlb_cgroup: the 2M hugepage"));
	assert_non_null(strstr(hvo_machine_error(m), "struct page 3"));
	set_folio_hugetlb_cgroup(m, head, 0);
	tu_assert_check(m);

	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	tu_assert_check(m);
	assert_int_equal(folio_hugetlb_cgroup(m, head), 0);
	assert_int_equal(hvo_hugepage_optimize(m, pfn), 0);
	tu_assert_check(m);
	set_folio_hugetlb_cgroup(m, head, TAIL_MAPPING);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_non_null(strstr(hvo_machine_error(m), "folio.hugetlb_cgroup:"));
	set_folio_hugetlb_cgroup(m, head, 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Issue 10's defect 2, by its reproducer: a fakehead restore whose first
 * page allocation fails returns -ENOMEM and must leave the hugepage
 * optimized and its struct pages as they were; the checker's
 * folio.hugetlb_cgroup rule would name page[3] if it changed.
 */
static void
test_failed_fakehead_restore(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=fakehead");
	uint64_t pfn;
	int rc;

	(void)state;
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	assert_int_equal(hvo_fail_page_alloc(m, 1, false), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), -ENOMEM);
	rc = hvo_machine_check(m);
	if (rc)
		fail_msg("%s", hvo_machine_error(m));
	hvo_machine_free(m);
}

/*
 * _deferred_list.next (over page[2]'s lru.prev) away from itself:
 * bad_deferred_list() breaks .prev, which the free-time check does not read.
 */
static void
bad_deferred_next(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_lru_prev(m, folio_page(m, head, 2), LIST_POISON2);
}

/* Tail 7 without bit 0 of compound_info: not a tail at all. */
static void
bad_not_tail(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_page_compound_info(m, folio_page(m, head, 7), 0);
}

/*
 * free_tail_page_prepare() with checkpages=on: a pool hugepage freed with
 * one of its struct pages broken is reported as the kernel's "BUG: Bad
 * page state" names it, with the pfn of the bad struct page, and, as
 * free_pages_prepare() returns false, never freed: it leaves the pool and
 * its frames stay out of the buddy allocator (HVO_PAGES_LEAKED).
 */
static void
test_free_checks_tails(void **state)
{
	static const struct {
		void (*apply)(struct hvo_machine *m, pfn_t pfn, page_t head);
		unsigned page;
		const char *why;
	} rows[] = {
		{ bad_entire_mapcount, 1, "nonzero entire_mapcount" },
		{ bad_large_mapcount, 1, "nonzero large_mapcount" },
		{ bad_nr_pages_mapped, 1, "nonzero nr_pages_mapped" },
		{ bad_pincount, 1, "nonzero pincount" },
		{ bad_deferred_next, 2, "on deferred list" },
		{ bad_tail_mapping, 5, "corrupted mapping in tail page" },
		{ bad_compound_info, 5, "compound_head not consistent" },
		{ bad_not_tail, 7, "PageTail not set" },
	};
	struct hvo_machine *m =
		tu_machine("x86_64:mem=256M,hvo=off,checkpages=on");

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t pfn, bad = tu_counter(m, "hvo.bad_page");
		uint64_t allocated = tu_pages(m, HVO_PAGES_ALLOCATED);
		uint64_t leaked = tu_pages(m, HVO_PAGES_LEAKED);
		uint64_t hugetlb;
		char what[128];

		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
		assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
		hugetlb = tu_pages(m, HVO_PAGES_HUGETLB);
		tu_assert_check(m);
		rows[i].apply(m, pfn, pfn_to_page(m, pfn));
		assert_false(machine_oopsed(m));

		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), bad + 1);
		snprintf(what, sizeof(what),
			 "BUG: Bad page state: pfn 0x%" PRIx64 ": %s (",
			 pfn + rows[i].page, rows[i].why);
		if (strncmp(hvo_machine_error(m), what, strlen(what)))
			fail_msg("'%s' does not start with '%s'",
				 hvo_machine_error(m), what);
		assert_int_equal(tu_pages(m, HVO_PAGES_HUGETLB),
				 hugetlb - (2 * MIB >> 12));
		assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED),
				 leaked + (2 * MIB >> 12));
		assert_int_equal(tu_pages(m, HVO_PAGES_ALLOCATED), allocated);
		tu_assert_check(m);
	}
	hvo_machine_free(m);
}

/*
 * The free-time checks by release: 6.1's free_tail_pages_check() reads
 * compound_mapcount of the first tail, ignores the second and checks
 * ->mapping from the third; 6.2 to 6.14 check the third too (the hugetlb
 * fields lie over page[2]); from 6.15 the third, where they lie, is
 * spared. @why is the reason, or NULL when the kernel lets it through.
 */
static void
free_check_of(const char *spec,
	      void (*apply)(struct hvo_machine *m, pfn_t pfn, page_t head),
	      unsigned page, const char *why)
{
	struct hvo_machine *m = tu_machine(spec);
	uint64_t pfn, leaked = tu_pages(m, HVO_PAGES_LEAKED);
	char what[128];

	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	apply(m, pfn, pfn_to_page(m, pfn));
	assert_false(machine_oopsed(m));
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), why ? 1 : 0);
	/* A hugepage that fails the checks is never freed (bad_page()). */
	assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED),
			 leaked + (why ? 2 * MIB >> 12 : 0));
	if (why) {
		snprintf(what, sizeof(what),
			 "BUG: Bad page state: pfn 0x%" PRIx64 ": %s (",
			 pfn + page, why);
		if (strncmp(hvo_machine_error(m), what, strlen(what)))
			fail_msg("%s: '%s' does not start with '%s'", spec,
				 hvo_machine_error(m), what);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* Bit @bit of page->flags of tail 5, whatever flag the release has there. */
static void
set_tail5_bit(struct hvo_machine *m, page_t head, unsigned bit)
{
	page_t page = folio_page(m, head, 5);

	set_page_flags(m, page, page_flags(m, page) | UINT64_C(1) << bit);
}

/* 6.1's PG_lru, 6.6 on PG_dirty. */
static void
bad_bit4(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_tail5_bit(m, head, 4);
}

/* 6.1's PG_active, 6.6 on PG_lru. */
static void
bad_bit5(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_tail5_bit(m, head, 5);
}

/* 6.1's PG_slab, 6.12's PG_workingset. */
static void
bad_bit9(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	(void)pfn;
	set_tail5_bit(m, head, 9);
}

/*
 * Bit 0 of page[1]'s flags: PG_locked on 6.1, which keeps the order in a
 * byte of its own; part of the order byte (PAGE_FLAGS_SECOND, cleared
 * before the check) where the layout keeps it in the flags.
 */
static void
bad_flags_1_bit0(struct hvo_machine *m, pfn_t pfn, page_t head)
{
	page_t page = folio_page(m, head, 1);

	(void)pfn;
	set_page_flags(m, page, page_flags(m, page) | 1);
}

static void
test_free_checks_by_release(void **state)
{
	const char *v61 = "x86_64:mem=256M,kernel=6.1,hvo=off,checkpages=on";
	const char *v62 =
		"x86_64:mem=256M,kernel=6.12.110,hvo=off,checkpages=on";
	const char *v615 =
		"x86_64:mem=256M,kernel=6.12.111,hvo=off,checkpages=on";
	const char *flags_why = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";

	(void)state;
	free_check_of(v61, bad_entire_mapcount, 1, "nonzero compound_mapcount");
	free_check_of(v61, bad_pincount, 1, NULL);
	free_check_of(v61, bad_mapping_2, 2, NULL);
	free_check_of(v61, bad_mapping_3, 3, "corrupted mapping in tail page");
	free_check_of(v62, bad_mapping_3, 3, "corrupted mapping in tail page");
	free_check_of(v62, bad_pincount, 1, "nonzero pincount");
	free_check_of(v615, bad_cgroup, 3, NULL);
	free_check_of(v615, bad_tail_mapping, 5,
		      "corrupted mapping in tail page");

	/* PAGE_FLAGS_CHECK_AT_FREE at the release's bits. */
	free_check_of(v61, bad_bit4, 5, flags_why);
	free_check_of(v62, bad_bit4, 5, NULL);
	free_check_of(v61, bad_bit5, 5, flags_why);
	free_check_of(v62, bad_bit5, 5, flags_why);
	free_check_of(v615, bad_bit5, 5, flags_why);
	free_check_of(v61, bad_bit9, 5, flags_why);
	free_check_of(v615, bad_bit9, 5, NULL);
	/* PAGE_FLAGS_SECOND only where page[1]'s flags hold the order. */
	free_check_of(v61, bad_flags_1_bit0, 1, flags_why);
	free_check_of(v62, bad_flags_1_bit0, 1, NULL);
	free_check_of(v615, bad_flags_1_bit0, 1, NULL);
}

/*
 * 6.1 frees a gigantic hugepage page by page after taking it apart: no
 * tail rule applies (a tail that is no tail passes), free_page_is_bad()
 * does (a tail with 6.1's PG_lru fails and the hugepage leaks); 6.12
 * applies both.
 */
static void
test_free_checks_gigantic_by_release(void **state)
{
	static const struct {
		const char *spec;
		void (*apply)(struct hvo_machine *m, pfn_t pfn, page_t head);
		const char *why;
	} rows[] = {
		{ "x86_64:mem=4G,kernel=6.1,hvo=off,checkpages=on",
		  bad_not_tail, NULL },
		{ "x86_64:mem=4G,kernel=6.12.110,hvo=off,checkpages=on",
		  bad_not_tail, "PageTail not set" },
		{ "x86_64:mem=4G,kernel=6.1,hvo=off,checkpages=on",
		  bad_bit4, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hvo_machine *m = tu_machine(rows[i].spec);
		uint64_t pfn, leaked = tu_pages(m, HVO_PAGES_LEAKED);

		assert_int_equal(hvo_set_nr_hugepages(m, 1024 * MIB, 1), 0);
		assert_int_equal(hvo_hugepage_pfn(m, 1024 * MIB, 0, &pfn), 0);
		rows[i].apply(m, pfn, pfn_to_page(m, pfn));
		assert_false(machine_oopsed(m));
		assert_int_equal(hvo_set_nr_hugepages(m, 1024 * MIB, 0), 0);
		if (tu_counter(m, "hvo.bad_page") != (rows[i].why ? 1u : 0u))
			fail_msg("%s: %" PRIu64 " bad page reports: %s",
				 rows[i].spec, tu_counter(m, "hvo.bad_page"),
				 hvo_machine_error(m));
		assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED),
				 leaked + (rows[i].why ? 1024 * MIB >> 12 : 0));
		if (rows[i].why)
			assert_non_null(strstr(hvo_machine_error(m),
					       rows[i].why));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * The pool rules of "hvo": the pools and the pfn index agree, each pool
 * page is a hugetlb allocation of its order, the free and optimized counts
 * are the pages', and every struct page resolves to its head (beyond the
 * tails the folio rules read). Pointer-encoded compound heads (fakehead),
 * so that a tail can name another head.
 */
static void
test_pool_rules(void **state)
{
	struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=fakehead");
	struct hstate *h = size_to_hstate(m, 2 * MIB);
	uint64_t pfn[2], count[HVO_PAGES__COUNT], save, per_page, *bytes;
	po_entry_t po;
	page_t tail;
	char what[256];

	(void)state;
	assert_non_null(h);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 2), 0);
	assert_int_equal(tu_pool_pfns(m, 2 * MIB, pfn, 2), 2);
	/* Not optimized: every struct page of it is its own, writable. */
	assert_int_equal(hvo_hugepage_restore(m, pfn[0]), 0);
	assert_int_equal(h->nr, 2);
	assert_int_equal(h->free, 2);
	assert_int_equal(h->optimized, 1);
	tu_assert_check(m);

	/* The first tail past the head's vmemmap page names the other head. */
	per_page = m->arch.page_size / m->cfg.struct_page_size;
	tail = folio_page(m, pfn_to_page(m, pfn[0]), (unsigned)per_page);
	bytes = tu_read_struct_pages(m, pfn[0] + per_page,
				     m->cfg.struct_page_size);
	set_page_compound_info(m, tail, pfn_to_page(m, pfn[1]) + 1);
	/* The folio rules read every tail of a hugepage not optimized. */
	snprintf(what, sizeof(what),
		 "folio.tail_compound_info: the 2M hugepage at pfn 0x%" PRIx64 ": struct page %" PRIu64 " (pfn 0x%" PRIx64 ") compound_info is 0x%" PRIx64 ", expected 0x%" PRIx64,
		 pfn[0], per_page, pfn[0] + per_page,
		 pfn_to_page(m, pfn[1]) + 1, pfn_to_page(m, pfn[0]) + 1);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_string_equal(hvo_machine_error(m), what);
	put_back(m, pfn[0] + per_page, bytes, m->cfg.struct_page_size);
	free(bytes);
	tu_assert_check(m);

	/* The pfn index counts a hugepage the pools do not hold. */
	m->hugetlb->hp_index.n++;
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_string_equal(hvo_machine_error(m),
			    "hvo: 2 hugepages in the pools, 3 in the pfn index");
	m->hugetlb->hp_index.n--;
	tu_assert_check(m);

	/* page_owner says a user allocated the second (counts still agree). */
	po = page_owner_entry(&m->owner, pfn[1]);
	memcpy(count, m->owner.count, sizeof(count));
	po_set(&m->owner, pfn[1] - m->owner.base_pfn,
	       (po_entry_t)((h->order << PO_ORDER_SHIFT) | HVO_PAGES_ALLOCATED));
	m->owner.count[HVO_PAGES_HUGETLB] -= UINT64_C(1) << h->order;
	m->owner.count[HVO_PAGES_ALLOCATED] += UINT64_C(1) << h->order;
	snprintf(what, sizeof(what),
		 "hvo: the 2M hugepage at pfn 0x%" PRIx64 " is not a hugetlb allocation of order %u",
		 pfn[1], h->order);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_string_equal(hvo_machine_error(m), what);
	po_set(&m->owner, pfn[1] - m->owner.base_pfn, po);
	memcpy(m->owner.count, count, sizeof(count));
	tu_assert_check(m);

	/* The pool's counts off by one, each. */
	save = h->free;
	h->free = save + 1;
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_string_equal(hvo_machine_error(m),
			    "hvo: 2M pool counts 3 free and 1 optimized, the pages say 2 and 1");
	h->free = save;
	save = h->optimized;
	h->optimized = 0;
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	assert_string_equal(hvo_machine_error(m),
			    "hvo: 2M pool counts 2 free and 0 optimized, the pages say 2 and 1");
	h->optimized = save;
	tu_assert_check(m);

	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folio_rules),
		cmocka_unit_test(test_folio_rules_by_release),
		cmocka_unit_test(test_cgroup_after_restore),
		cmocka_unit_test(test_failed_fakehead_restore),
		cmocka_unit_test(test_free_checks_tails),
		cmocka_unit_test(test_free_checks_by_release),
		cmocka_unit_test(test_free_checks_gigantic_by_release),
		cmocka_unit_test(test_pool_rules),
	};

	return tu_run("folio-check", tests, sizeof(tests) / sizeof(tests[0]));
}
