/* SPDX-License-Identifier: MIT */
/*
 * The page allocator's checks of the struct pages of a page being freed,
 * and what it does with a page that fails them (mm/page_alloc.c of 6.12:
 * free_pages_prepare(), free_tail_page_prepare(), free_page_is_bad(),
 * bad_page()). The kernel runs them when check_pages_enabled is on, which
 * init_on_alloc=1, init_on_free=1 and the page debugging options turn on
 * (mem_debugging_and_hardening_init() in mm/mm_init.c); the machine's
 * check_pages says so. Facts: doc/KERNEL-FACTS.md, "What the free-time
 * checks look at".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "mem/buddy.h"
#include "mm/compound.h"
#include "mm/folio.h"
#include "mm/page.h"

/*
 * bad_page() reports at most this many in a burst, then keeps quiet until
 * a minute has passed since the burst began.
 */
#define BAD_PAGE_BURST 60

/*
 * print_hex_dump() of a struct page with 32 bytes a row in 8-byte groups,
 * as dump_page() prints it ("raw: ..."): the words as they read now.
 */
static void
dump_page_raw(struct hvo_machine *m, page_t page)
{
	unsigned size = page_layout(m)->size;

	for (unsigned row = 0; row < size; row += 32) {
		char line[5 + 4 * 17 + 1];
		size_t n = 0;

		for (unsigned off = row; off < row + 32 && off < size; off += 8)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      "%s%016" PRIx64, n ? " " : "",
					      page_load64(m, page, off));
		machine_printk(m, "raw: %s", line);
	}
}

/*
 * bad_page(): report @pfn's struct page, unless the burst is spent. The
 * machine has no clock, so the minute after a burst never ends: past the
 * first BAD_PAGE_BURST reports each is counted, not logged, as the kernel
 * keeps quiet in the first minute, and the "messages suppressed" line a
 * later report would print never comes. The kernel's report also decodes
 * the struct page (dump_page()'s other lines), lists the modules and dumps
 * the stack; the log here has the first line, the raw words and the
 * reason. The page's fields are left as they are, for the debugger.
 */
void
bad_page(struct hvo_machine *m, pfn_t pfn, const char *reason)
{
	count(m, CNT_HVO_BAD_PAGE);
	if (m->bad_page_shown == BAD_PAGE_BURST) {
		m->bad_page_unshown++;
		return;
	}
	m->bad_page_shown++;
	machine_printk(m, "BUG: Bad page state in process %s  pfn:%05" PRIx64,
		       m->comm, pfn);
	dump_page_raw(m, pfn_to_page(m, pfn));
	machine_printk(m, "page dumped because: %s", reason);
}

/*
 * page_expected_state() and page_bad_reason(): what a page being freed
 * must look like -- no mapcount or type (_mapcount -1), no mapping, no
 * reference, none of PAGE_FLAGS_CHECK_AT_FREE (at the release's bits:
 * page_flags_check_at_free()). memcg_data and the page
 * pool's signature are not modeled: nothing here sets them. The reason is
 * the last that applies, as the kernel's chain of ifs gives it. A tail
 * comes here after free_tail_page_prepare() cleared its mapping
 * (@mapping false: it cannot be what fails).
 */
static const char *
page_bad_reason(struct hvo_machine *m, page_t page, bool mapping)
{
	const char *why = NULL;

	if (page_type(m, page) != PAGE_TYPE_NONE)
		why = "nonzero mapcount";
	if (mapping && page_mapping(m, page) != 0)
		why = "non-NULL mapping";
	if (page_ref_count(m, page) != 0)
		why = "nonzero _refcount";
	if (page_flags(m, page) & page_flags_check_at_free(m))
		why = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return why;
}

/*
 * free_tail_page_prepare() (free_tail_pages_check() in 6.1): the rules of
 * tail @i of the compound page at @head, as the machine's folio layout has
 * them (mm/folio.h). Page[1] holds the folio's mapcounts and pincount (6.1
 * reads compound_mapcount only), page[2] its deferred list where the
 * layout has one, and the tails fl->free_check_skip names (page[1] and
 * page[2]; page[3] too where the hugetlb fields lie over its ->mapping)
 * are spared the mapping rule; every other tail must have TAIL_MAPPING in
 * ->mapping. Then every tail must be a tail, and a tail of this head.
 * Returns the reason of the first rule broken.
 */
static const char *
tail_bad_reason(struct hvo_machine *m, page_t head, page_t page, uint64_t i)
{
	const struct folio_layout *fl = folio_layout(m);
	bool has_mapping = page_layout(m)->mapping != PAGE_FIELD_ABSENT;

	if (i == 1 && !fl->free_check_all_counts) {
		/* 6.1 reads compound_mapcount, nothing else. */
		if (folio_entire_mapcount(m, head) != UINT32_MAX)
			return "nonzero compound_mapcount";
	} else if (i == 1) {
		if (folio_entire_mapcount(m, head) != UINT32_MAX)
			return "nonzero entire_mapcount";
		if (folio_large_mapcount(m, head) != UINT32_MAX)
			return "nonzero large_mapcount";
		if (folio_nr_pages_mapped(m, head) != 0)
			return "nonzero nr_pages_mapped";
		if (folio_pincount(m, head) != 0)
			return "nonzero pincount";
	} else if (i == 2 && folio_has_deferred_list(m)) {
		if (folio_deferred_list_next(m, head) !=
		    folio_deferred_list_va(m, head))
			return "on deferred list";
	} else if (i >= 8 || !(fl->free_check_skip & (1u << i))) {
		if (has_mapping && page_mapping(m, page) != TAIL_MAPPING)
			return "corrupted mapping in tail page";
	}
	if (!(page_compound_info(m, page) & 1))
		return "PageTail not set";
	if (compound_head(m, page) != head)
		return "compound_head not consistent";
	return NULL;
}

/*
 * What free_tail_page_prepare() writes into every tail whatever it found:
 * no mapping (the folio fields over it in page[1] to page[3] included)
 * and no compound_head.
 */
static void
tail_page_clear(struct hvo_machine *m, page_t page)
{
	set_page_mapping(m, page, 0);
	set_page_compound_info(m, page, 0);
}

/* One bad_page() report, the first of them remembered. */
static void
report(struct hvo_machine *m, pfn_t pfn, const char *why,
       struct free_check *fc)
{
	if (!fc->bad++) {
		fc->first_pfn = pfn;
		fc->first_why = why;
	}
	bad_page(m, pfn, why);
}

int
free_pages_check(struct hvo_machine *m, pfn_t pfn, unsigned order,
		 struct free_check *fc)
{
	page_t head = pfn_to_page(m, pfn);
	uint64_t nr = UINT64_C(1) << order;
	unsigned sz = page_layout(m)->size;
	bool tails_checked = folio_tail_mapping(m, order) == TAIL_MAPPING;
	const char *why;

	*fc = (struct free_check){ 0 };
	/*
	 * Where the hugetlb fields lie over the deferred list (6.2 to 6.14),
	 * __update_and_free_hugetlb_folio() makes it an empty list again
	 * before the folio is freed.
	 */
	if (nr > 1 && !folio_layout(m)->deferred_list_init)
		folio_init_deferred_list(m, head);
	/*
	 * page[1]'s own bits overlap the flags the check refuses: the order
	 * byte, where the layout keeps it in page[1]'s flags (6.2 on).
	 */
	if (nr > 1 && page_flags_second(m))
		set_folio_flags_1(m, head, folio_flags_1(m, head) &
					   ~page_flags_second(m));
	for (uint64_t i = 1; i < nr; i++) {
		page_t page = head + i * sz;

		/*
		 * Reported as it is, then cleared: free_tail_page_prepare().
		 * 6.1 takes a gigantic page apart
		 * (__destroy_compound_gigantic_page()) and frees it page by
		 * page: no tail rule applies, only free_page_is_bad().
		 */
		why = tails_checked ? tail_bad_reason(m, head, page, i) : NULL;
		if (machine_oopsed(m))
			return m->oops;
		if (why)
			report(m, pfn + i, why, fc);
		/*
		 * free_page_is_bad() of the cleared tail. A tail that passes
		 * both is cleared only if the page is kept (below): a page
		 * that is freed is written whole by the caller anyway.
		 */
		why = page_bad_reason(m, page, false);
		if (why) {
			tail_page_clear(m, page);
			report(m, pfn + i, why, fc);
		}
		if (machine_oopsed(m))
			return m->oops;
	}
	why = page_bad_reason(m, head, true);
	if (why)
		report(m, pfn, why, fc);
	if (!fc->bad)
		return machine_oops_rc(m, 0);
	/*
	 * The page stays as the kernel leaves it: every tail without mapping
	 * or compound_head, and the tails that passed free_page_is_bad()
	 * without their page flags.
	 */
	for (uint64_t i = 1; i < nr; i++) {
		page_t page = head + i * sz;

		tail_page_clear(m, page);
		if (!page_bad_reason(m, page, false))
			set_page_flags(m, page, page_flags(m, page) &
						~page_flags_check_at_prep(m));
	}
	return machine_oops_rc(m, 0);
}

void
leak_pages(struct hvo_machine *m, pfn_t pfn)
{
	page_owner_set_cat(&m->owner, pfn, HVO_PAGES_LEAKED);
}
