/* SPDX-License-Identifier: MIT */
/*
 * The hugetlb parameters of the kernel command line, as mm/hugetlb.c reads
 * them (hugepagesz_setup(), hugepages_setup(), default_hugepagesz_setup(),
 * hugetlb_init()) and the boot pools it allocates from them
 * (hugetlb_hstate_alloc_pages_errcheck(), report_hugepages()). 6.1 and
 * 6.12 read them alike, with the same messages: every case runs on both.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const releases[] = { "6.1", "6.12" };

static char log_buf[HVO_DMESG_MAX + 1];

/* One boot pool the line must give: a size and its count. */
struct pool {
	uint64_t size, nr;
	bool per_node;
};

struct hp_case {
	const char *line;
	const char *says;        /* what the kernel logs, "" for nothing */
	struct pool pools[3];    /* ends at a size of 0 */
	uint64_t default_size;   /* cfg->default_hugepagesz */
};

static void
check_case(const char *kernel, const struct hp_case *c)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	char spec[128], err[1024];
	unsigned n = 0;

	snprintf(spec, sizeof(spec), "x86_64:mem=4G,kernel=%s", kernel);
	if (hvo_config_parse(&cfg, spec, err, sizeof(err)))
		fail_msg("spec '%s': %s", spec, err);
	if (hvo_config_cmdline(&cfg, c->line, err, sizeof(err)))
		fail_msg("%s: cmdline '%s': %s", kernel, c->line, err);
	if (strcmp(err, c->says))
		fail_msg("%s: '%s': the kernel says\n%s\nnot\n%s", kernel,
			 c->line, err, c->says);
	for (; n < N(c->pools) && c->pools[n].size; n++) {
		unsigned k;

		for (k = 0; k < cfg.nr_boot_hugepages; k++)
			if (cfg.boot_hugepages[k].size == c->pools[n].size)
				break;
		if (k == cfg.nr_boot_hugepages ||
		    cfg.boot_hugepages[k].nr != c->pools[n].nr ||
		    cfg.boot_hugepages[k].per_node != c->pools[n].per_node)
			fail_msg("%s: '%s': no pool of %" PRIu64 " x %" PRIu64 "K",
				 kernel, c->line, c->pools[n].nr,
				 c->pools[n].size >> 10);
	}
	assert_int_equal(cfg.nr_boot_hugepages, n);
	assert_int_equal(cfg.default_hugepagesz, c->default_size);
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	/* What hvo_config_cmdline() said is in the machine's log too. */
	assert_int_equal(hvo_machine_dmesg(m, log_buf, sizeof(log_buf)), 0);
	if (c->says[0] && !strstr(log_buf, c->says))
		fail_msg("%s: '%s': the log is\n%s", kernel, c->line, log_buf);
	tu_assert_check(m);
	hvo_machine_free(m);
}

static void
check_cases(const struct hp_case *t, size_t n)
{
	for (size_t r = 0; r < N(releases); r++)
		for (size_t i = 0; i < n; i++)
			check_case(releases[r], &t[i]);
}

/*
 * hugepages_setup(): a count goes to the last hugepagesz=; a second one
 * for the same size, without a hugepagesz= between, is ignored (last_mhp).
 */
static void
test_hugepages_setup_twice(void **state)
{
	static const struct hp_case t[] = {
		{ "hugepagesz=1G hugepages=1 hugepages=3",
		  "HugeTLB: hugepages= specified twice without interleaving hugepagesz=, ignoring hugepages=3",
		  { { GIB, 1, false } }, 0 },
		{ "hugepagesz=2M hugepages=4 hugepagesz=1G hugepages=1",
		  "", { { 2 * MIB, 4, false }, { GIB, 1, false } }, 0 },
		/* Without a valid hugepagesz= before it, a count is ignored. */
		{ "hugepagesz=3M hugepages=2",
		  "HugeTLB: unsupported hugepagesz=3M\n"
		  "HugeTLB: hugepages=2 does not follow a valid hugepagesz, ignoring",
		  { { 0, 0, false } }, 0 },
		/* A value that is no number clears the size's count. */
		{ "hugepagesz=2M hugepages=many", "HugeTLB: Invalid hugepages parameter many",
		  { { 0, 0, false } }, 0 },
		/* sscanf("%lu"): digits first, the rest is not read. */
		{ "hugepagesz=2M hugepages=7pages", "",
		  { { 2 * MIB, 7, false } }, 0 },
	};

	(void)state;
	check_cases(t, N(t));
}

/*
 * hugepagesz_setup(): a size given twice is ignored with its count;
 * sizes are memparse()d; a size the arch has no hstate for is refused.
 */
static void
test_hugepagesz_setup(void **state)
{
	static const struct hp_case t[] = {
		{ "hugepagesz=1G hugepages=1 hugepagesz=1G hugepages=2",
		  "HugeTLB: hugepagesz=1G specified twice, ignoring\n"
		  "HugeTLB: hugepages=2 does not follow a valid hugepagesz, ignoring",
		  { { GIB, 1, false } }, 0 },
		{ "hugepagesz=0x200000 hugepages=2 hugepagesz=1048576k hugepages=1",
		  "", { { 2 * MIB, 2, false }, { GIB, 1, false } }, 0 },
		{ "hugepagesz=4M", "HugeTLB: unsupported hugepagesz=4M",
		  { { 0, 0, false } }, 0 },
		/* memparse() stops where it cannot read on: 2MB is 2M. */
		{ "hugepagesz=2MB hugepages=3 hugepagesz=1GiB hugepages=1",
		  "", { { 2 * MIB, 3, false }, { GIB, 1, false } }, 0 },
		/* No digit: memparse() reads 0, no size. */
		{ "hugepagesz=M", "HugeTLB: unsupported hugepagesz=M",
		  { { 0, 0, false } }, 0 },
		/* __setup() names match as written: '-' is not '_' there. */
		{ "hugepages-z=2M", "", { { 0, 0, false } }, 0 },
	};

	(void)state;
	check_cases(t, N(t));
}

/*
 * default_hugepagesz_setup() and hugetlb_init(): a count before any
 * hugepagesz= is the default size's; without default_hugepagesz= that is
 * HPAGE_SIZE, whose own count it replaces with two warnings.
 */
static void
test_default_hugepagesz_setup(void **state)
{
	static const struct hp_case t[] = {
		{ "hugepages=3", "", { { 2 * MIB, 3, false } }, 0 },
		{ "hugepages=2 default_hugepagesz=1G", "",
		  { { GIB, 2, false } }, GIB },
		{ "default_hugepagesz=1G hugepages=1", "",
		  { { GIB, 1, false } }, GIB },
		/* The default size may be given its count with hugepagesz= once. */
		{ "default_hugepagesz=1G hugepagesz=1G hugepages=1", "",
		  { { GIB, 1, false } }, GIB },
		{ "default_hugepagesz=1G default_hugepagesz=2M",
		  "HugeTLB: default_hugepagesz previously specified, ignoring 2M",
		  { { 0, 0, false } }, GIB },
		{ "default_hugepagesz=5M", "HugeTLB: unsupported default_hugepagesz=5M",
		  { { 0, 0, false } }, 0 },
		{ "hugepages=3 hugepagesz=2M hugepages=5",
		  "HugeTLB: Ignoring hugepages=5 associated with 2.00 MiB page size\n"
		  "HugeTLB: Using hugepages=3 for number of default huge pages",
		  { { 2 * MIB, 3, false } }, 0 },
	};

	(void)state;
	check_cases(t, N(t));
}

/*
 * hugepages_setup()'s node format on a machine of one node: node 0's
 * counts add up; any other node is not online and makes the parameter
 * invalid (hugepages_clear_pages_in_node() drops the size's count).
 */
static void
test_hugepages_setup_nodes(void **state)
{
	static const struct hp_case t[] = {
		{ "hugepagesz=2M hugepages=0:4", "", { { 2 * MIB, 4, true } }, 0 },
		{ "hugepagesz=2M hugepages=0:2,1:3",
		  "HugeTLB: Invalid hugepages parameter 1:3",
		  { { 0, 0, false } }, 0 },
		{ "hugepagesz=1G hugepages=1:1",
		  "HugeTLB: Invalid hugepages parameter 1:1",
		  { { 0, 0, false } }, 0 },
		/* A plain count after a node's is not the format either. */
		{ "hugepagesz=2M hugepages=0:1,5",
		  "HugeTLB: Invalid hugepages parameter 5",
		  { { 0, 0, false } }, 0 },
	};

	(void)state;
	check_cases(t, N(t));
}

/*
 * hugetlb_hstate_alloc_pages_errcheck(): a boot pool that does not fit is
 * allocated as far as memory allows, with a warning, and the machine
 * boots; report_hugepages() then says what each size has. A spec's
 * hugepages= still refuses, as documented.
 */
static void
test_hugetlb_hstate_alloc_pages_errcheck(void **state)
{
	(void)state;
	for (size_t r = 0; r < N(releases); r++) {
		struct hvo_config cfg;
		struct hvo_machine *m = NULL;
		struct hvo_hstate_info h;
		char spec[96], err[512], want[160];

		snprintf(spec, sizeof(spec), "x86_64:mem=1G,kernel=%s",
			 releases[r]);
		assert_int_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)), 0);
		assert_int_equal(hvo_config_cmdline(&cfg, "hugepagesz=2M hugepages=5000 hugepagesz=1G hugepages=0:2",
						    err, sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_true(cfg.boot_hugepages_partial);
		assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
		assert_int_equal(hvo_machine_hstate_by_size(m, 2 * MIB, &h), 0);
		assert_true(h.nr > 0 && h.nr < 512);
		assert_int_equal(hvo_machine_dmesg(m, log_buf, sizeof(log_buf)), 0);
		snprintf(want, sizeof(want),
			 "HugeTLB: allocating 5000 of page size 2.00 MiB failed.  Only allocated %" PRIu64 " hugepages.\n",
			 h.nr);
		if (!strstr(log_buf, want))
			fail_msg("%s: no '%s' in\n%s", releases[r], want, log_buf);
		/* Given per node, the warning names the node. */
		assert_non_null(strstr(log_buf, "HugeTLB: allocating 2 of page size 1.00 GiB failed node0.  Only allocated 0 hugepages.\n"));
		snprintf(want, sizeof(want),
			 "HugeTLB: registered 2.00 MiB page size, pre-allocated %" PRIu64 " pages\n",
			 h.nr);
		assert_non_null(strstr(log_buf, want));
		assert_non_null(strstr(log_buf, "HugeTLB: registered 1.00 GiB page size, pre-allocated 0 pages\n"));
		tu_assert_check(m);
		hvo_machine_free(m);

		/* The spec's hugepages= is all or nothing. */
		snprintf(spec, sizeof(spec),
			 "x86_64:mem=1G,kernel=%s,hugepages=2M:5000", releases[r]);
		assert_int_not_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)), 0);
	}
}

/*
 * Two calls of hvo_config_cmdline() are one command line: the second
 * hugepages= of a size is still the second, and only the new part's
 * messages are reported.
 */
static void
test_hugepages_setup_across_calls(void **state)
{
	struct hvo_config cfg;
	struct hvo_machine *m = NULL;
	char err[512];

	(void)state;
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=4G,kernel=6.12", err, sizeof(err)), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "hugepagesz=3M hugepagesz=1G hugepages=1", err, sizeof(err)), 0);
	assert_string_equal(err, "HugeTLB: unsupported hugepagesz=3M");
	assert_int_equal(hvo_config_cmdline(&cfg, "hugepages=2", err, sizeof(err)), 0);
	assert_string_equal(err, "HugeTLB: hugepages= specified twice without interleaving hugepagesz=, ignoring hugepages=2");
	assert_int_equal(cfg.nr_boot_hugepages, 1);
	assert_int_equal(cfg.boot_hugepages[0].nr, 1);
	assert_int_equal(hvo_machine_new(&cfg, &m, err, sizeof(err)), 0);
	assert_int_equal(tu_hstate(m, 1).nr, 1);
	tu_assert_check(m);
	hvo_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugepages_setup_twice),
		cmocka_unit_test(test_hugepagesz_setup),
		cmocka_unit_test(test_default_hugepagesz_setup),
		cmocka_unit_test(test_hugepages_setup_nodes),
		cmocka_unit_test(test_hugetlb_hstate_alloc_pages_errcheck),
		cmocka_unit_test(test_hugepages_setup_across_calls),
	};

	return tu_run("cmdline", tests, N(tests));
}
