/* SPDX-License-Identifier: MIT */
/*
 * Regressions of particular kernel releases and distribution builds, and
 * the kernel command line as each release reads it.
 *
 * debian-6.12-restore (doc/KERNEL-BUGS.md): Debian's 6.12.115 to 6.12.118
 * carry the stable 6.12.114 backport of "mm/hugetlb: refactor code around
 * vmemmap_walk", whose restore copies the head copy into every restored
 * vmemmap page and resets no struct page. With init_on_alloc=1, Debian's
 * default, the page allocator checks every tail of a freed hugepage
 * (free_pages_prepare(), mm/page_alloc.c), finds copies of the head and of
 * page[1] to page[3] at head+64, +65, ... and never frees the hugepage.
 *
 * Every expected number is worked out here from the kernel's rules and the
 * machine's geometry, with the rule named.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define DEBIAN_117 "6.12.117+deb12-amd64"
#define NR 8
#define N(a) (sizeof(a) / sizeof((a)[0]))

static char dmesg_buf[HVO_DMESG_MAX + 1];

/* A machine from @spec, booted with the kernel command line @line. */
static struct hvo_machine *
machine_with_cmdline(const char *spec, const char *line)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	char err[512];

	if (hvo_config_parse(&cfg, spec, err, sizeof(err)))
		fail_msg("spec '%s': %s", spec, err);
	if (hvo_config_cmdline(&cfg, line, err, sizeof(err)))
		fail_msg("cmdline '%s': %s", line, err);
	if (err[0])
		fail_msg("cmdline '%s': the kernel says \"%s\"", line, err);
	if (hvo_machine_new(&cfg, &m, err, sizeof(err)))
		fail_msg("machine '%s': %s", spec, err);
	return m;
}

static const char *
dmesg(struct hvo_machine *m)
{
	if (hvo_machine_dmesg(m, dmesg_buf, sizeof(dmesg_buf)))
		fail_msg("dmesg: %s", hvo_machine_error(m));
	return dmesg_buf;
}

/* How many lines of @log start with @prefix. */
static unsigned
count_lines(const char *log, const char *prefix)
{
	unsigned n = 0;

	for (const char *l = log; *l; l = strchr(l, '\n') + 1) {
		if (!strncmp(l, prefix, strlen(prefix)))
			n++;
		if (!strchr(l, '\n'))
			break;
	}
	return n;
}

/* The @i-th line of @log (0 first), copied into @out. */
static void
line_of(const char *log, unsigned i, char *out, size_t len)
{
	const char *l = log;

	while (i-- && l && *l)
		l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL;
	if (!l || !*l)
		fail_msg("the log has no line %u:\n%s", i, log);
	snprintf(out, len, "%.*s", (int)strcspn(l, "\n"), l);
}

/*
 * The page-table pages a pool's growth costs: one per 2 MiB block of the
 * vmemmap that holds struct pages of a hugepage, split on first use and
 * never merged back (vmemmap_split_pmd(); doc/KERNEL-FACTS.md, "The remap
 * walk"). The machine boots with its vmemmap in PMD blocks.
 */
static uint64_t
pmd_blocks(struct hvo_machine *m, const uint64_t *pfn, size_t n,
	   uint64_t hugepage)
{
	uint64_t vmemmap = hugepage / tu_geometry(m).page_size *
			   tu_geometry(m).struct_page_size;
	uint64_t seen[64];
	size_t nseen = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t va;

		assert_int_equal(hvo_pfn_to_page(m, pfn[i], &va), 0);
		for (uint64_t b = va >> 21; b <= (va + vmemmap - 1) >> 21; b++) {
			size_t k;

			for (k = 0; k < nseen && seen[k] != b; k++)
				;
			if (k == nseen) {
				assert_true(nseen < 64);
				seen[nseen++] = b;
			}
		}
	}
	return nseen;
}

/* What a pool cycle did: grow to @nr hugepages of @size, then shrink to 0. */
struct cycle {
	uint64_t pfn[64];        /* the pool, in pool order */
	uint64_t free_lost;      /* free pages before the grow less after */
	uint64_t pt_added;       /* page-table pages added */
	uint64_t vmemmap_added;  /* vmemmap pages added */
	uint64_t leaked;
	uint64_t bad;            /* hvo.bad_page */
	uint64_t splits;         /* PMD blocks the pool's vmemmap spans */
	struct hvo_hstate_info after;
};

static struct cycle
pool_cycle(struct hvo_machine *m, uint64_t size, uint64_t nr)
{
	struct cycle c = { 0 };
	struct tu_acct before = tu_acct(m), end;

	assert_true(nr <= 64);
	if (hvo_set_nr_hugepages(m, size, nr))
		fail_msg("grow to %" PRIu64 ": %s", nr, hvo_machine_error(m));
	assert_int_equal(tu_pool_pfns(m, size, c.pfn, 64), nr);
	c.splits = pmd_blocks(m, c.pfn, nr, size);
	/* echo 0: the kernel's write succeeds whatever the free path does. */
	assert_int_equal(hvo_set_nr_hugepages(m, size, 0), 0);
	end = tu_acct(m);
	c.free_lost = before.free - end.free;
	c.pt_added = end.pt - before.pt;
	c.vmemmap_added = end.vm - before.vm;
	c.leaked = tu_pages(m, HVO_PAGES_LEAKED);
	c.bad = tu_counter(m, "hvo.bad_page");
	assert_int_equal(hvo_machine_hstate_by_size(m, size, &c.after), 0);
	return c;
}

/*
 * The bad_page() reports of one freed 2 MiB hugepage on the verbatim
 * restore: each of the 7 restored vmemmap pages is a copy of the head
 * copy, so its first four struct pages are copies of the head and of
 * page[1] to page[3], and from the fifth on copies of plain tails, which
 * pass. free_tail_page_prepare() reports each of the four for its
 * ->mapping, which is not TAIL_MAPPING (the head's mapping, page[1]'s
 * _nr_pages_mapped and _pincount, page[2]'s _deferred_list.prev,
 * page[3]'s _hugetlb_cgroup). free_page_is_bad() then reports the copy
 * of the head for its _mapcount (the hugetlb page type), and the copy of
 * page[1] for its flags: the order, 9, sets PG_locked, which
 * PAGE_FLAGS_CHECK_AT_FREE refuses (only the real page[1] has
 * PAGE_FLAGS_SECOND cleared first).
 */
#define RESTORED_PAGES_2M 7
#define REPORTS_PER_RESTORED_PAGE (4 + 2)

/* debian-6.12-restore: 8 hugepages leak, with the kernel's figures. */
static void
test_debian_6_12_restore(void **state)
{
	struct hvo_machine *m;
	struct cycle c;
	const char *log;
	char line[256], want[256];
	unsigned per_vm = 4096 / 64;   /* struct pages per vmemmap page */

	(void)state;
	/* Debian builds HVO off by default: the guest turned it on. */
	m = machine_with_cmdline("x86_64:mem=1G,kernel=" DEBIAN_117,
				 "hugetlb_free_vmemmap=on");
	c = pool_cycle(m, 2 * MIB, NR);

	/* The pool is gone: HugePages_Total and Hugetlb read 0. */
	assert_int_equal(c.after.nr, 0);
	assert_int_equal(c.after.optimized, 0);
	/*
	 * free_pages_prepare() returned false: no frame came back. Free
	 * memory is down by the hugepages and the PMD splits, nothing else:
	 * each hugepage's vmemmap lost 8 pages and got 1 head page and 7
	 * restored pages back, which stay behind its struct pages.
	 */
	assert_int_equal(c.leaked, NR * 512);
	assert_int_equal(c.pt_added, c.splits);
	assert_int_equal(c.vmemmap_added, 0);
	assert_int_equal(c.free_lost, NR * 512 + c.splits);
	assert_int_equal(c.bad, NR * RESTORED_PAGES_2M *
				REPORTS_PER_RESTORED_PAGE);
	assert_non_null(strstr(hvo_machine_error(m),
			       "corrupted mapping in tail page"));

	/*
	 * The log: the command line, the HVO line of each size, then the
	 * first report. The shrink takes the head of the LIFO free list
	 * first (remove_pool_hugetlb_folio()), which the grow's batch left
	 * at the oldest hugepage (prep_and_add_allocated_folios() enqueues
	 * newest first), and update_and_free_pages_bulk() frees in the
	 * order remove_pool_hugetlb_folio() took them (list_add(), then
	 * list_move() to non_hvo_folios): the first hugepage freed is the
	 * first one allocated, and its first bad struct page is the copy
	 * of the head at head+64.
	 */
	log = dmesg(m);
	line_of(log, 0, line, sizeof(line));
	assert_string_equal(line, "Kernel command line: hugetlb_free_vmemmap=on");
	line_of(log, 1, line, sizeof(line));
	assert_string_equal(line, "HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages");
	line_of(log, 2, line, sizeof(line));
	assert_string_equal(line, "HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page");
	line_of(log, 3, line, sizeof(line));
	assert_string_equal(line, "HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages");
	line_of(log, 4, line, sizeof(line));
	assert_string_equal(line, "HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB page");
	line_of(log, 5, line, sizeof(line));
	snprintf(want, sizeof(want), "BUG: Bad page state in process hvo  pfn:%05" PRIx64,
		 c.pfn[0] + per_vm);
	assert_string_equal(line, want);
	/* dump_page(): two rows of raw words for a 64-byte struct page. */
	line_of(log, 6, line, sizeof(line));
	assert_int_equal(strncmp(line, "raw: ", 5), 0);
	line_of(log, 8, line, sizeof(line));
	assert_string_equal(line, "page dumped because: corrupted mapping in tail page");
	line_of(log, 12, line, sizeof(line));
	assert_string_equal(line, "page dumped because: nonzero mapcount");
	line_of(log, 16, line, sizeof(line));
	assert_string_equal(line, "page dumped because: corrupted mapping in tail page");
	line_of(log, 20, line, sizeof(line));
	assert_string_equal(line, "page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set");
	/* bad_page()'s burst: 60 reports, the rest counted, not logged. */
	assert_int_equal(count_lines(log, "BUG: Bad page state in process "), 60);
	assert_int_equal(count_lines(log, "BUG: Bad page state: "), 0);

	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * The leaked hugepage's vmemmap stays as the restore left it: every
 * vmemmap page of it is mapped read-write to a page of its own, the head
 * copy first, the 7 restored pages after (vmemmap_restore_pte()).
 */
static void
test_debian_6_12_restore_vmemmap_stays(void **state)
{
	struct hvo_machine *m;
	uint64_t pfn, va, pa[8];

	(void)state;
	m = machine_with_cmdline("x86_64:mem=256M,kernel=" DEBIAN_117,
				 "hugetlb_free_vmemmap=on");
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
	assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED), 512);
	assert_int_equal(hvo_pfn_to_page(m, pfn, &va), 0);
	for (unsigned i = 0; i < 8; i++) {
		struct hvo_walk w;

		assert_int_equal(hvo_walk(m, va + i * 4096, &w), 0);
		assert_true(w.mapped);
		assert_true(w.writable);
		pa[i] = w.pa;
		for (unsigned k = 0; k < i; k++)
			assert_true(pa[k] != pa[i]);
	}
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * A 1 GiB hugepage leaks the same way: 4095 restored vmemmap pages, each
 * with its four copies; page[1]'s copy has the order 18 in its flags,
 * whose PG_writeback bit PAGE_FLAGS_CHECK_AT_FREE refuses too.
 */
static void
test_debian_6_12_restore_gigantic(void **state)
{
	struct hvo_machine *m;
	struct cycle c;

	(void)state;
	m = machine_with_cmdline("x86_64:mem=4G,kernel=" DEBIAN_117,
				 "hugetlb_free_vmemmap=on");
	c = pool_cycle(m, GIB, 1);
	assert_int_equal(c.after.nr, 0);
	assert_int_equal(c.leaked, UINT64_C(1) << 18);
	assert_int_equal(c.free_lost, (UINT64_C(1) << 18) + c.splits);
	assert_int_equal(c.bad, 4095 * REPORTS_PER_RESTORED_PAGE);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Nothing is lost where the restore resets the struct pages it copies
 * (6.12.113: 274fe92de2c4 resets four of each rebuilt page), nor where
 * the page checks are off (init_on_alloc=0: check_pages_enabled stays
 * off, mem_debugging_and_hardening_init() in mm/mm_init.c).
 */
static void
check_nothing_lost(const char *spec, const char *line)
{
	struct hvo_machine *m = machine_with_cmdline(spec, line);
	struct hvo_kernel_info k;
	struct cycle c = pool_cycle(m, 2 * MIB, NR);

	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	assert_int_equal(c.after.nr, 0);
	assert_int_equal(c.leaked, 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.free_lost, c.splits);
	assert_int_equal(c.pt_added, c.splits);
	assert_int_equal(count_lines(dmesg(m), "BUG: "), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
test_debian_6_12_restore_not_before_6_12_114(void **state)
{
	(void)state;
	/* The checks are on (Debian's build), the restore resets. */
	check_nothing_lost("x86_64:mem=1G,kernel=6.12.113+deb12-amd64",
			   "hugetlb_free_vmemmap=on");
	/* The mainline build with the checks turned on. */
	check_nothing_lost("x86_64:mem=1G,kernel=6.12.113",
			   "hugetlb_free_vmemmap=on init_on_alloc=1");
}

static void
test_debian_6_12_restore_not_without_checks(void **state)
{
	(void)state;
	check_nothing_lost("x86_64:mem=1G,kernel=" DEBIAN_117,
			   "hugetlb_free_vmemmap=on init_on_alloc=0");
}

/*
 * A restored hugepage still in the pool, on the verbatim restore: the
 * checker names the first struct page that is not what
 * prep_new_hugetlb_folio() wrote, the copy of the head at head+64.
 */
static void
test_debian_6_12_restore_checker_names_page(void **state)
{
	struct hvo_machine *m;
	uint64_t pfn;
	char want[64];

	(void)state;
	m = machine_with_cmdline("x86_64:mem=256M,kernel=" DEBIAN_117,
				 "hugetlb_free_vmemmap=on");
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 2), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	tu_assert_check(m);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	assert_int_equal(hvo_machine_check(m), -EUCLEAN);
	snprintf(want, sizeof(want), "struct page 64 (pfn 0x%" PRIx64 ")",
		 pfn + 64);
	if (!strstr(hvo_machine_error(m), want) ||
	    !strstr(hvo_machine_error(m), "folio.tail_"))
		fail_msg("the checker should name %s: %s", want,
			 hvo_machine_error(m));
	hvo_machine_free(m);

	/* 6.12.113 resets what it copies: the same restore checks clean. */
	m = machine_with_cmdline("x86_64:mem=256M,kernel=6.12.113",
				 "hugetlb_free_vmemmap=on");
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 2), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	assert_int_equal(hvo_hugepage_restore(m, pfn), 0);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/* ---------------------------------------------------------------------- */
/* The kernel command line, by release                                    */
/* ---------------------------------------------------------------------- */

struct cmdline_case {
	const char *kernel;
	const char *line;
	enum hvo_switch hvo_default;   /* what cfg->hvo_default becomes */
	const char *says;              /* what the kernel logs ("" nothing) */
};

static void
check_cmdline(const struct cmdline_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct hvo_config cfg;
		struct hvo_machine *m;
		char err[512], spec[128];

		snprintf(spec, sizeof(spec), "x86_64:mem=256M,kernel=%s",
			 t[i].kernel);
		assert_int_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)), 0);
		if (hvo_config_cmdline(&cfg, t[i].line, err, sizeof(err)))
			fail_msg("%s: '%s': %s", t[i].kernel, t[i].line, err);
		if (strcmp(err, t[i].says))
			fail_msg("%s: '%s': the kernel says \"%s\", not \"%s\"",
				 t[i].kernel, t[i].line, err, t[i].says);
		if (cfg.hvo_default != t[i].hvo_default)
			fail_msg("%s: '%s': hvo_default %d, not %d", t[i].kernel,
				 t[i].line, cfg.hvo_default, t[i].hvo_default);
		assert_string_equal(cfg.cmdline, t[i].line);
		/* The machine logs the same, after the line itself. */
		assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
		if (t[i].says[0] && !strstr(dmesg(m), t[i].says))
			fail_msg("%s: '%s': the machine's log lacks \"%s\":\n%s",
				 t[i].kernel, t[i].line, t[i].says, dmesg(m));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

#define MALFORMED "Malformed early option 'hugetlb_free_vmemmap'"
#define B HVO_SWITCH_BUILD
#define ON HVO_SWITCH_ON
#define OFF HVO_SWITCH_OFF

/* 5.10: no HVO, so no such parameter: init gets it (unknown_bootoption()). */
static void
test_cmdline_5_10_unknown(void **state)
{
	static const struct cmdline_case t[] = {
		{ "5.10", "hugetlb_free_vmemmap=on", B,
		  "Unknown kernel command line parameters \"hugetlb_free_vmemmap=on\", will be passed to user space." },
		/* print_unknown_bootoptions(): bare words first. */
		{ "5.10", "hugetlb_free_vmemmap=on quiet hugetlb_free_vmemmap", B,
		  "Unknown kernel command line parameters \"hugetlb_free_vmemmap hugetlb_free_vmemmap=on\", will be passed to user space." },
	};

	(void)state;
	check_cmdline(t, N(t));
}

/* 5.14: early_param, "on" or "off" and nothing else (e9fdff87e893). */
static void
test_cmdline_5_14_on_off(void **state)
{
	static const struct cmdline_case t[] = {
		{ "5.14", "hugetlb_free_vmemmap=on", ON, "" },
		{ "5.14", "hugetlb_free_vmemmap=off", OFF, "" },
		{ "5.14", "hugetlb_free_vmemmap=1", B, MALFORMED },
		{ "5.14", "hugetlb_free_vmemmap=y", B, MALFORMED },
		{ "5.14", "hugetlb_free_vmemmap", B, MALFORMED },
	};

	(void)state;
	check_cmdline(t, N(t));
}

/* 5.19: kstrtobool() (9c54c522bb76); a bare name has no value to read. */
static void
test_cmdline_5_19_kstrtobool(void **state)
{
	static const struct cmdline_case t[] = {
		{ "5.19", "hugetlb_free_vmemmap=y", ON, "" },
		{ "5.19", "hugetlb_free_vmemmap=0", OFF, "" },
		{ "5.19", "hugetlb_free_vmemmap", B, MALFORMED },
	};

	(void)state;
	check_cmdline(t, N(t));
}

/*
 * 6.1: a bool core_param (30152245c63b): param_set_bool() takes a bare
 * name as on, and parse_args() names a value it refuses.
 */
static void
test_cmdline_6_1_bare_means_on(void **state)
{
	static const struct cmdline_case t[] = {
		{ "6.1", "hugetlb_free_vmemmap", ON, "" },
		{ "6.1", "hugetlb_free_vmemmap=off", OFF, "" },
		/* parameq(): '-' and '_' are the same in a name. */
		{ "6.1", "hugetlb-free-vmemmap=on", ON, "" },
		{ "6.1", "hugetlb_free_vmemmap=maybe", B,
		  "Booting kernel: `maybe' invalid for parameter `hugetlb_free_vmemmap'" },
		/* The last one wins, as each is applied in turn. */
		{ "6.1", "hugetlb_free_vmemmap=on hugetlb_free_vmemmap=0", OFF, "" },
		/* next_arg(): the quotes go, around the value or the word. */
		{ "6.1", "hugetlb_free_vmemmap=\"off\"", OFF, "" },
		{ "6.1", "\"hugetlb_free_vmemmap=off\" quiet", OFF, "" },
		/* parse_args() stops at "--": the rest is init's. */
		{ "6.1", "quiet -- hugetlb_free_vmemmap=maybe", B, "" },
	};

	(void)state;
	check_cmdline(t, N(t));
}

/*
 * 6.15: an early_param again (lore 20250218181656.207178-8-fvdl@google.com):
 * kstrtobool() of no value refuses a bare name.
 */
static void
test_cmdline_6_15_bare_refused(void **state)
{
	static const struct cmdline_case t[] = {
		{ "6.15", "hugetlb_free_vmemmap", B, MALFORMED },
		{ "6.15", "hugetlb_free_vmemmap=on", ON, "" },
	};

	(void)state;
	check_cmdline(t, N(t));
}

/* Where the release builds no HVO for the arch, the name is unknown. */
static void
test_cmdline_no_hvo_built(void **state)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	char err[512];

	(void)state;
	/* arm64 lost HVO in 6.3 (060a2c92d1b6). */
	assert_int_equal(hvo_config_parse(&cfg, "arm64:kernel=6.12", err,
					  sizeof(err)), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "hugetlb_free_vmemmap=on",
					    err, sizeof(err)), 0);
	assert_string_equal(err, "Unknown kernel command line parameters \"hugetlb_free_vmemmap=on\", will be passed to user space.");
	assert_int_equal(cfg.hvo_default, HVO_SWITCH_BUILD);
	cfg.mem[0].size = 256 * MIB;
	cfg.nr_mem_ranges = 1;
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	assert_non_null(strstr(dmesg(m), "Kernel command line: hugetlb_free_vmemmap=on\nUnknown kernel command line parameters"));
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * init_on_alloc= and init_on_free=: early_param, kstrtobool()
 * (early_init_on_alloc() in mm/mm_init.c, since 6471384af2a6 in 5.3);
 * before 5.3 they are unknown. "--" ends the kernel's parameters.
 */
static void
test_cmdline_init_on_alloc(void **state)
{
	struct hvo_config cfg;
	struct hvo_machine *m;
	struct hvo_kernel_info k;
	char err[512];

	(void)state;
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=256M,kernel=" DEBIAN_117,
					  err, sizeof(err)), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc=0 init_on_free=off",
					    err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(cfg.init_on_alloc, HVO_SWITCH_OFF);
	assert_int_equal(cfg.init_on_free, HVO_SWITCH_OFF);
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	assert_false(k.check_pages);
	tu_assert_check(m);
	hvo_machine_free(m);

	/* A second call adds to the line; a bare name has no value. */
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc", err,
					    sizeof(err)), 0);
	assert_string_equal(err, "Malformed early option 'init_on_alloc'");
	/* Two refusals are two lines; an empty line adds nothing. */
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc=x init_on_free=maybe",
					    err, sizeof(err)), 0);
	assert_string_equal(err, "Malformed early option 'init_on_alloc'\n"
				 "Malformed early option 'init_on_free'");
	assert_int_equal(hvo_config_cmdline(&cfg, "", NULL, 0), 0);
	assert_int_equal(cfg.init_on_alloc, HVO_SWITCH_OFF);
	assert_string_equal(cfg.cmdline,
			    "init_on_alloc=0 init_on_free=off init_on_alloc init_on_alloc=x init_on_free=maybe");

	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=256M,kernel=4.19",
					  err, sizeof(err)), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc=1", err,
					    sizeof(err)), 0);
	assert_string_equal(err, "Unknown kernel command line parameters \"init_on_alloc=1\", will be passed to user space.");
	assert_int_equal(cfg.init_on_alloc, HVO_SWITCH_BUILD);
	/* Nor does the spec key turn the checks on there. */
	cfg.init_on_alloc = HVO_SWITCH_ON;
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	assert_false(k.check_pages);
	tu_assert_check(m);
	hvo_machine_free(m);

	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=256M,kernel=6.12",
					  err, sizeof(err)), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc=1 -- init_on_free=1",
					    err, sizeof(err)), 0);
	assert_int_equal(cfg.init_on_alloc, HVO_SWITCH_ON);
	assert_int_equal(cfg.init_on_free, HVO_SWITCH_BUILD);
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(hvo_machine_kernel(m, &k), 0);
	assert_true(k.check_pages);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * report_hugepages() (mm/hugetlb.c, from 6.0): every size, HVO on or off;
 * 0 KiB where HVO is not built (arm64 after 6.3). 5.19 worded it
 * otherwise and is not logged.
 */
static void
test_boot_log_vmemmap_report(void **state)
{
	static const struct {
		const char *spec, *says;
	} t[] = {
		{ "x86_64:mem=256M,kernel=6.1",
		  "HugeTLB: registered 2.00 MiB page size, pre-allocated 0 pages\n"
		  "HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page\n"
		  "HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages\n"
		  "HugeTLB: 16380 KiB vmemmap can be freed for a 1.00 GiB page\n" },
		/* HVO off by default on Debian: the line is there all the same. */
		{ "x86_64:mem=256M,kernel=" DEBIAN_117,
		  "HugeTLB: 28 KiB vmemmap can be freed for a 2.00 MiB page\n" },
		{ "arm64:mem=256M,kernel=6.12",
		  "HugeTLB: 0 KiB vmemmap can be freed for a 2.00 MiB page\n" },
		/* arm64 16K: 32 MiB hugepages, 128 KiB of struct pages. */
		{ "arm64:granule=16K,mem=256M,kernel=6.1.15",
		  "HugeTLB: 112 KiB vmemmap can be freed for a 32.0 MiB page\n" },
		/* 72-byte struct pages are no power of two: nothing to free. */
		{ "x86_64:mem=256M,kernel=6.12,struct_page=72",
		  "HugeTLB: 0 KiB vmemmap can be freed for a 2.00 MiB page\n" },
		{ "x86_64:mem=256M,kernel=5.19", NULL },
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct hvo_machine *m = tu_machine(t[i].spec);

		if (t[i].says ? !strstr(dmesg(m), t[i].says) :
				count_lines(dmesg(m), "HugeTLB: ") != 0)
			fail_msg("%s: the log is:\n%s", t[i].spec, dmesg(m));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/* The log as dmesg reads it: whole lines, the oldest that fit. */
static void
test_dmesg_reader(void **state)
{
	struct hvo_machine *m;
	char small[40];

	(void)state;
	m = tu_machine("x86_64:mem=256M,kernel=6.12");
	assert_int_equal(hvo_machine_dmesg(m, small, sizeof(small)), -ENOSPC);
	/* "Kernel command line: \n" fits, the next line does not. */
	assert_string_equal(small, "Kernel command line: \n");
	assert_int_equal(hvo_machine_dmesg(m, small, 5), -ENOSPC);
	assert_string_equal(small, "");
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * bad_page() names current->comm, which set_task_comm() cuts to 15
 * characters. A tail whose ->mapping is broken by hand is reported once
 * (free_tail_page_prepare()), and the hugepage is not freed.
 */
static void
test_bad_page_names_the_process(void **state)
{
	struct hvo_machine *m;
	uint64_t pfn, va;
	char want[96];

	(void)state;
	m = tu_machine("x86_64:mem=256M,hvo=off,checkpages=on");
	assert_int_equal(hvo_machine_set_comm(m, "a-name-longer-than-fifteen"), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
	assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
	/* Tail 5's ->mapping (offset 24) should be TAIL_MAPPING. */
	assert_int_equal(hvo_pfn_to_page(m, pfn + 5, &va), 0);
	assert_int_equal(hvo_kwrite64(m, va + 24, 0), 0);
	assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
	snprintf(want, sizeof(want), "BUG: Bad page state in process a-name-longer-t  pfn:%05" PRIx64 "\n",
		 pfn + 5);
	if (!strstr(dmesg(m), want))
		fail_msg("the log lacks \"%s\":\n%s", want, dmesg(m));
	assert_int_equal(count_lines(dmesg(m), "BUG: "), 1);
	assert_int_equal(tu_counter(m, "hvo.bad_page"), 1);
	assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED), 512);
	tu_assert_check(m);
	hvo_machine_free(m);
}

/*
 * Each rule of free_pages_prepare() (mm/page_alloc.c of 6.12), broken by
 * hand in one struct page of a 2M hugepage that was never optimized, is
 * one bad_page() report with the kernel's reason, and the hugepage is not
 * freed. Offsets are those of a 64-byte struct page (doc/KERNEL-FACTS.md,
 * "Field offsets"): flags 0, compound_head 8, lru.prev 16, mapping 24,
 * _mapcount 48 and _refcount 52.
 */
static void
test_free_pages_prepare_rules(void **state)
{
	static const struct {
		unsigned page, off;
		uint64_t val;
		const char *why;
	} t[] = {
		/* free_tail_page_prepare(): page[1]'s folio fields. */
		{ 1, 16, UINT64_C(0x00000000ffffffff), "nonzero entire_mapcount" },
		{ 1, 16, UINT64_C(0xffffffff00000000), "nonzero large_mapcount" },
		{ 1, 24, 1, "nonzero nr_pages_mapped" },
		{ 1, 24, UINT64_C(1) << 32, "nonzero pincount" },
		/* page[2]'s deferred list, not empty. */
		{ 2, 16, 0x1000, "on deferred list" },
		/* A tail that is no tail, or the tail of another head. */
		{ 5, 8, 0, "PageTail not set" },
		{ 5, 8, 0x1001, "compound_head not consistent" },
		/* free_page_is_bad() of a tail, then of the head. */
		{ 5, 48, 0, "nonzero mapcount" },
		{ 5, 48, UINT64_C(0x00000001ffffffff), "nonzero _refcount" },
		{ 0, 24, 0x2000, "non-NULL mapping" },
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct hvo_machine *m = tu_machine("x86_64:mem=256M,hvo=off,checkpages=on");
		uint64_t pfn, va;
		char want[96];

		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
		assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
		assert_int_equal(hvo_pfn_to_page(m, pfn + t[i].page, &va), 0);
		assert_int_equal(hvo_kwrite64(m, va + t[i].off, t[i].val), 0);
		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
		snprintf(want, sizeof(want), "page dumped because: %s\n", t[i].why);
		if (tu_counter(m, "hvo.bad_page") != 1 || !strstr(dmesg(m), want))
			fail_msg("%s: %" PRIu64 " reports:\n%s", t[i].why,
				 tu_counter(m, "hvo.bad_page"), dmesg(m));
		assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED), 512);
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

/*
 * A tail with a page flag PAGE_FLAGS_CHECK_AT_FREE refuses fails
 * free_page_is_bad(); without page checks nothing is looked at and the
 * hugepage is freed.
 */
static void
test_free_pages_prepare_flags(void **state)
{
	static const char *const specs[] = {
		"x86_64:mem=256M,hvo=off,checkpages=on",
		"x86_64:mem=256M,hvo=off,checkpages=off",
	};

	(void)state;
	for (size_t i = 0; i < N(specs); i++) {
		struct hvo_machine *m = tu_machine(specs[i]);
		bool checks = i == 0;
		uint64_t pfn, va, flags;

		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 1), 0);
		assert_int_equal(hvo_hugepage_pfn(m, 2 * MIB, 0, &pfn), 0);
		assert_int_equal(hvo_pfn_to_page(m, pfn + 100, &va), 0);
		assert_int_equal(hvo_kread64(m, va, &flags), 0);
		/* PG_lru, bit 5. */
		assert_int_equal(hvo_kwrite64(m, va, flags | 0x20), 0);
		assert_int_equal(hvo_set_nr_hugepages(m, 2 * MIB, 0), 0);
		assert_int_equal(tu_counter(m, "hvo.bad_page"), checks);
		assert_int_equal(tu_pages(m, HVO_PAGES_LEAKED), checks ? 512 : 0);
		if (checks)
			assert_non_null(strstr(dmesg(m), "page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set\n"));
		tu_assert_check(m);
		hvo_machine_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_6_12_restore),
		cmocka_unit_test(test_debian_6_12_restore_vmemmap_stays),
		cmocka_unit_test(test_debian_6_12_restore_gigantic),
		cmocka_unit_test(test_debian_6_12_restore_not_before_6_12_114),
		cmocka_unit_test(test_debian_6_12_restore_not_without_checks),
		cmocka_unit_test(test_debian_6_12_restore_checker_names_page),
		cmocka_unit_test(test_cmdline_5_10_unknown),
		cmocka_unit_test(test_cmdline_5_14_on_off),
		cmocka_unit_test(test_cmdline_5_19_kstrtobool),
		cmocka_unit_test(test_cmdline_6_1_bare_means_on),
		cmocka_unit_test(test_cmdline_6_15_bare_refused),
		cmocka_unit_test(test_cmdline_no_hvo_built),
		cmocka_unit_test(test_cmdline_init_on_alloc),
		cmocka_unit_test(test_boot_log_vmemmap_report),
		cmocka_unit_test(test_dmesg_reader),
		cmocka_unit_test(test_bad_page_names_the_process),
		cmocka_unit_test(test_free_pages_prepare_rules),
		cmocka_unit_test(test_free_pages_prepare_flags),
	};

	return tu_run("release-bugs", tests, N(tests));
}
