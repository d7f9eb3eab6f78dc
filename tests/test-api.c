/* SPDX-License-Identifier: MIT */
/*
 * Every public function, called with arguments it must refuse: a NULL
 * machine, NULL outputs, enums out of range, sizes the arch lacks, orders
 * and counts at and past 64 bits, pfns past RAM. Each refusal must give
 * the errno the header documents and, on a machine, a reason in
 * hvo_machine_error() that names the argument; calls without a machine
 * fill their err buffer where they have one. The refusals change nothing:
 * the machine passes its check and its memory is as it was.
 *
 * The table has one row per public function. A row calls only its own
 * function, and the table must name every function include/hvo/hvo.h
 * declares: the header is read at run time (its path is the argument) and
 * a function missing from the table fails the test.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/util.h"

/* Two hugepages of 2M in the pool; x86-64 has no 4M hugepages or leaves. */
#define SPEC "x86_64:mem=64M,hugepages=2M:2"
#define MIB (UINT64_C(1) << 20)
#define BIG (UINT64_C(1) << 63)
/* A pfn whose address wraps onto RAM when shifted: 2^52 on 4K pages. */
#define WRAP_PFN (UINT64_C(1) << 52)

struct api_ctx {
	const char *fn;         /* the row's function */
	struct hvo_machine *m;
	char marker[256];       /* the reason before the call */
	char err[256];          /* for the calls without a machine */
	unsigned calls, failed;
};

/* The name a call's text starts with: "hvo_walk(m, ...)" gives hvo_walk. */
static void
call_name(const char *text, char *name, size_t len)
{
	size_t n = strcspn(text, "( ");

	snprintf(name, len, "%.*s", (int)n, text);
}

static void
row_fail(struct api_ctx *c, const char *text, const char *fmt, ...)
	HVO_PRINTF(3, 4);

static void
row_fail(struct api_ctx *c, const char *text, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	print_error("%s: %s: %s\n", c->fn, text, why);
	c->failed++;
}

/* Count the call, and check that it is a call of the row's function. */
static void
row_call(struct api_ctx *c, const char *text)
{
	char name[64];

	call_name(text, name, sizeof(name));
	if (strcmp(name, c->fn))
		row_fail(c, text, "the row of %s calls %s", c->fn, name);
	c->calls++;
}

/* Give the machine a reason a refusal must replace. */
static int
mark(struct api_ctx *c)
{
	uint64_t v;

	hvo_machine_counter_get(c->m, "test-api.mark", &v);
	snprintf(c->marker, sizeof(c->marker), "%s", hvo_machine_error(c->m));
	return 0;
}

static void
check_reason(struct api_ctx *c, const char *text, const char *reason,
	     const char *needle)
{
	if (!*reason || !strcmp(reason, c->marker))
		row_fail(c, text, "refused without a reason");
	else if (!strstr(reason, needle))
		row_fail(c, text, "the reason \"%s\" does not mention \"%s\"",
			 reason, needle);
}

static void
check_rc(struct api_ctx *c, const char *text, int rc, int want)
{
	row_call(c, text);
	if (rc != want)
		row_fail(c, text, "returned %d (%s), the header says %d (%s)",
			 rc, strerror(-rc), want, strerror(-want));
}

static void
check_on_machine(struct api_ctx *c, const char *text, int rc, int want,
		 const char *needle)
{
	check_rc(c, text, rc, want);
	check_reason(c, text, hvo_machine_error(c->m), needle);
}

static void
check_null_machine(struct api_ctx *c, const char *text, int rc)
{
	check_rc(c, text, rc, -EINVAL);
	check_reason(c, text, hvo_machine_error(NULL), "machine");
}

static void
check_err(struct api_ctx *c, const char *text, int rc, int want,
	  const char *needle)
{
	check_rc(c, text, rc, want);
	check_reason(c, text, c->err, needle);
}

static void
check_true(struct api_ctx *c, const char *text, bool ok, const char *want)
{
	row_call(c, text);
	if (!ok)
		row_fail(c, text, "did not give %s", want);
}

/* Refused on the row's machine with errno @want, the reason naming @needle. */
#define ON_M(c, want, needle, call) \
	check_on_machine(c, #call, (mark(c), (int)(call)), want, needle)
/* Refused for its NULL machine: -EINVAL, and nowhere to say more. */
#define NO_M(c, call) check_null_machine(c, #call, (int)(call))
/* Refused with the reason in c->err, naming @needle. */
#define ERR(c, want, needle, call) \
	check_err(c, #call, ((c)->err[0] = '\0', (int)(call)), want, needle)
/* A call without a machine or buffer: the errno is all it gives. */
#define CODE(c, want, call) check_rc(c, #call, (int)(call), want)
/* Lookups and calls that return a value or nothing. */
#define IS_NULL(c, call) check_true(c, #call, (call) == NULL, "NULL")
#define NOT_NULL(c, call) check_true(c, #call, (call) != NULL, "a value")
#define IS_ZERO(c, call) check_true(c, #call, (call) == 0, "0")
#define RUNS(c, call) ((call), check_true(c, #call, true, ""))

static const unsigned bad_orders[] = { 63, 64, 65, UINT_MAX };

/* ---------------------------------------------------------------------- */
/* Configuration                                                          */
/* ---------------------------------------------------------------------- */

static void
row_config_init(struct api_ctx *c)
{
	struct hvo_config cfg;

	CODE(c, -EINVAL, hvo_config_init(NULL, HVO_ARCH_X86_64));
	CODE(c, -EINVAL, hvo_config_init(&cfg, (enum hvo_arch_id)3));
	CODE(c, -EINVAL, hvo_config_init(&cfg, (enum hvo_arch_id)-1));
}

static void
row_parse_size(struct api_ctx *c)
{
	uint64_t v;

	CODE(c, -EINVAL, hvo_parse_size(NULL, &v));
	CODE(c, -EINVAL, hvo_parse_size("2M", NULL));
	CODE(c, -EINVAL, hvo_parse_size("2Q", &v));
	CODE(c, -ERANGE, hvo_parse_size("16E", &v));
	CODE(c, -ERANGE, hvo_parse_size("18446744073709551616", &v));
}

static void
row_config_parse(struct api_ctx *c)
{
	struct hvo_config cfg;

	ERR(c, -EINVAL, "cfg", hvo_config_parse(NULL, "x86_64", c->err,
						 sizeof(c->err)));
	ERR(c, -EINVAL, "spec", hvo_config_parse(&cfg, NULL, c->err,
						  sizeof(c->err)));
	ERR(c, -EINVAL, "x86_64", hvo_config_parse(&cfg, "x86_65", c->err,
						    sizeof(c->err)));
	ERR(c, -EINVAL, "hvo", hvo_config_parse(&cfg, "x86_64:hvo=99", c->err,
						 sizeof(c->err)));
	ERR(c, -EINVAL, "hugepages",
	    hvo_config_parse(&cfg, "x86_64:hugepages=4M:1", c->err,
			     sizeof(c->err)));
	ERR(c, -EINVAL, "mem", hvo_config_parse(&cfg, "x86_64:mem=16E", c->err,
						 sizeof(c->err)));
}

/* A configuration that validates, with one field made bad by @bad. */
static struct hvo_config
config_with(enum hvo_arch_id arch, void (*bad)(struct hvo_config *))
{
	struct hvo_config cfg;

	assert_int_equal(hvo_config_init(&cfg, arch), 0);
	bad(&cfg);
	return cfg;
}

static void
bad_page_shift(struct hvo_config *cfg)
{
	cfg->page_shift = 64;
}

static void
bad_variant(struct hvo_config *cfg)
{
	cfg->hvo = (enum hvo_variant)99;
}

static void
bad_ranges(struct hvo_config *cfg)
{
	cfg->nr_mem_ranges = UINT_MAX;
}

static void
bad_boot_sizes(struct hvo_config *cfg)
{
	cfg->nr_boot_hugepages = UINT_MAX;
}

/* A hugepage size x86-64 lacks. */
static void
bad_boot_size(struct hvo_config *cfg)
{
	cfg->nr_boot_hugepages = 1;
	cfg->boot_hugepages[0].size = 4 * MIB;
	cfg->boot_hugepages[0].nr = 1;
}

/* More hugepages than 2^63: more than any RAM holds. */
static void
bad_boot_count(struct hvo_config *cfg)
{
	cfg->nr_boot_hugepages = 1;
	cfg->boot_hugepages[0].size = 2 * MIB;
	cfg->boot_hugepages[0].nr = BIG + 1;
}

/* A release string that is not one, and one not terminated. */
static void
bad_kernel(struct hvo_config *cfg)
{
	strcpy(cfg->kernel, "six.one");
}

static void
bad_kernel_unterminated(struct hvo_config *cfg)
{
	memset(cfg->kernel, '6', sizeof(cfg->kernel));
}

static void
bad_cmdline_unterminated(struct hvo_config *cfg)
{
	memset(cfg->cmdline, 'q', sizeof(cfg->cmdline));
}

/* A variant on a release before HVO. */
static void
bad_kernel_variant(struct hvo_config *cfg)
{
	strcpy(cfg->kernel, "5.10");
	cfg->hvo = HVO_VARIANT_FAKEHEAD;
}

static void
bad_switch(struct hvo_config *cfg)
{
	cfg->hvo_default = (enum hvo_switch)7;
}

static void
bad_arch(struct hvo_config *cfg)
{
	cfg->arch = (enum hvo_arch_id)99;
}

static void
row_config_validate(struct api_ctx *c)
{
	struct hvo_config cfg;

	ERR(c, -EINVAL, "cfg", hvo_config_validate(NULL, c->err,
						    sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_arch);
	ERR(c, -EINVAL, "arch", hvo_config_validate(&cfg, c->err,
						     sizeof(c->err)));
	cfg = config_with(HVO_ARCH_ARM64, bad_page_shift);
	ERR(c, -EINVAL, "page_shift", hvo_config_validate(&cfg, c->err,
							   sizeof(c->err)));
	cfg = config_with(HVO_ARCH_RISCV64, bad_variant);
	ERR(c, -EINVAL, "hvo", hvo_config_validate(&cfg, c->err,
						    sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_ranges);
	ERR(c, -EINVAL, "mem", hvo_config_validate(&cfg, c->err,
						    sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_boot_sizes);
	ERR(c, -EINVAL, "hugepages", hvo_config_validate(&cfg, c->err,
							  sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_boot_size);
	ERR(c, -EINVAL, "hugepages", hvo_config_validate(&cfg, c->err,
							  sizeof(c->err)));
	/* Room for later fields must be zero (doc/ABI.md). */
	hvo_config_init(&cfg, HVO_ARCH_X86_64);
	cfg.reserved[15] = 1;
	ERR(c, -EINVAL, "reserved[15]", hvo_config_validate(&cfg, c->err,
							     sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_boot_count);
	ERR(c, -EINVAL, "hugepages", hvo_config_validate(&cfg, c->err,
							  sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_kernel);
	ERR(c, -EINVAL, "kernel=six.one", hvo_config_validate(&cfg, c->err,
							       sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_kernel_unterminated);
	ERR(c, -EINVAL, "terminated", hvo_config_validate(&cfg, c->err,
							   sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_kernel_variant);
	ERR(c, -EINVAL, "predates HVO", hvo_config_validate(&cfg, c->err,
							     sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_switch);
	ERR(c, -EINVAL, "hvo_default", hvo_config_validate(&cfg, c->err,
							    sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_cmdline_unterminated);
	ERR(c, -EINVAL, "cmdline", hvo_config_validate(&cfg, c->err,
							sizeof(c->err)));
}

static void
row_config_cmdline(struct api_ctx *c)
{
	struct hvo_config cfg, before;
	char line[HVO_CMDLINE_LEN + 1];

	assert_int_equal(hvo_config_init(&cfg, HVO_ARCH_X86_64), 0);
	ERR(c, -EINVAL, "cfg", hvo_config_cmdline(NULL, "quiet", c->err,
						   sizeof(c->err)));
	ERR(c, -EINVAL, "cmdline", hvo_config_cmdline(&cfg, NULL, c->err,
						       sizeof(c->err)));
	memset(line, 'q', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	ERR(c, -EINVAL, "cmdline", hvo_config_cmdline(&cfg, line, c->err,
						       sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_kernel);
	ERR(c, -EINVAL, "kernel=six.one",
	    hvo_config_cmdline(&cfg, "quiet", c->err, sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_kernel_unterminated);
	ERR(c, -EINVAL, "kernel", hvo_config_cmdline(&cfg, "quiet", c->err,
						      sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_cmdline_unterminated);
	ERR(c, -EINVAL, "cmdline", hvo_config_cmdline(&cfg, "quiet", c->err,
						       sizeof(c->err)));
	/* A line too long for what is kept: nothing changes. */
	assert_int_equal(hvo_config_init(&cfg, HVO_ARCH_X86_64), 0);
	assert_int_equal(hvo_config_cmdline(&cfg, "init_on_alloc=0", NULL, 0),
			 0);
	before = cfg;
	line[HVO_CMDLINE_LEN - 16] = '\0';
	ERR(c, -EINVAL, "kept", hvo_config_cmdline(&cfg, line, c->err,
						    sizeof(c->err)));
	if (memcmp(&before, &cfg, sizeof(cfg)))
		row_fail(c, "hvo_config_cmdline(&cfg, line, ...)",
			 "changed the configuration it refused");
}

static void
row_config_format(struct api_ctx *c)
{
	struct hvo_config cfg;
	char buf[16];

	cfg = config_with(HVO_ARCH_X86_64, bad_arch);
	CODE(c, -EINVAL, hvo_config_format(NULL, buf, sizeof(buf)));
	CODE(c, -EINVAL, hvo_config_format(&cfg, buf, sizeof(buf)));
	cfg = config_with(HVO_ARCH_ARM64, bad_page_shift);
	CODE(c, -EINVAL, hvo_config_format(&cfg, buf, sizeof(buf)));
	cfg = config_with(HVO_ARCH_X86_64, bad_variant);
	CODE(c, -EINVAL, hvo_config_format(&cfg, buf, sizeof(buf)));
	cfg = config_with(HVO_ARCH_X86_64, bad_ranges);
	CODE(c, -EINVAL, hvo_config_format(&cfg, NULL, sizeof(buf)));
	CODE(c, -EINVAL, hvo_config_format(&cfg, buf, 0));
	CODE(c, -ENOSPC, hvo_config_format(&cfg, buf, sizeof(buf)));
}

static void
row_version(struct api_ctx *c)
{
	NOT_NULL(c, hvo_version());
}

static void
row_kernel_newest(struct api_ctx *c)
{
	NOT_NULL(c, hvo_kernel_newest());
}

static void
row_machine_kernel(struct api_ctx *c)
{
	struct hvo_kernel_info k;

	NO_M(c, hvo_machine_kernel(NULL, &k));
	ON_M(c, -EINVAL, "out", hvo_machine_kernel(c->m, NULL));
}

static void
row_arch_name(struct api_ctx *c)
{
	IS_NULL(c, hvo_arch_name((enum hvo_arch_id)3));
	IS_NULL(c, hvo_arch_name((enum hvo_arch_id)-1));
}

static void
row_variant_name(struct api_ctx *c)
{
	IS_NULL(c, hvo_variant_name((enum hvo_variant)4));
	IS_NULL(c, hvo_variant_name((enum hvo_variant)-1));
}

static void
row_preset_count(struct api_ctx *c)
{
	check_true(c, "hvo_preset_count()", hvo_preset_count() > 0,
		   "presets");
}

/* A lookup by index, @name, gives NULL from @count, its first bad index. */
static void
check_past_end(struct api_ctx *c, const char *name,
	       const char *(*lookup)(size_t), size_t count)
{
	const size_t bad[] = { count, SIZE_MAX };
	char text[96];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "%s(%zu)", name, bad[i]);
		check_true(c, text, lookup(bad[i]) == NULL, "NULL");
	}
}

static void
row_preset_name(struct api_ctx *c)
{
	check_past_end(c, "hvo_preset_name", hvo_preset_name,
		       hvo_preset_count());
}

static void
row_preset_spec(struct api_ctx *c)
{
	check_past_end(c, "hvo_preset_spec", hvo_preset_spec,
		       hvo_preset_count());
}

/* ---------------------------------------------------------------------- */
/* Machines                                                               */
/* ---------------------------------------------------------------------- */

static void
row_machine_new(struct api_ctx *c)
{
	struct hvo_machine *m = NULL;
	struct hvo_config cfg;

	assert_int_equal(hvo_config_init(&cfg, HVO_ARCH_X86_64), 0);
	ERR(c, -EINVAL, "out", hvo_machine_new(&cfg, NULL, c->err,
						sizeof(c->err)));
	ERR(c, -EINVAL, "cfg", hvo_machine_new(NULL, &m, c->err,
						sizeof(c->err)));
	cfg = config_with(HVO_ARCH_X86_64, bad_boot_sizes);
	ERR(c, -EINVAL, "hugepages", hvo_machine_new(&cfg, &m, c->err,
						      sizeof(c->err)));
	cfg = config_with(HVO_ARCH_ARM64, bad_page_shift);
	ERR(c, -EINVAL, "page_shift", hvo_machine_new(&cfg, &m, c->err,
						       sizeof(c->err)));
	assert_null(m);
}

static void
row_machine_new_from_spec(struct api_ctx *c)
{
	struct hvo_machine *m = NULL;

	ERR(c, -EINVAL, "out", hvo_machine_new_from_spec("x86_64", NULL,
							  c->err,
							  sizeof(c->err)));
	ERR(c, -EINVAL, "spec", hvo_machine_new_from_spec(NULL, &m, c->err,
							   sizeof(c->err)));
	ERR(c, -EINVAL, "levels", hvo_machine_new_from_spec("x86_64:levels=6",
							     &m, c->err,
							     sizeof(c->err)));
	/* A spec that parses but cannot boot: the boot's reason. */
	ERR(c, -ENOMEM, "hugepages",
	    hvo_machine_new_from_spec("x86_64:mem=64M,hugepages=2M:30", &m,
				      c->err, sizeof(c->err)));
	assert_null(m);
}

static void
row_machine_free(struct api_ctx *c)
{
	RUNS(c, hvo_machine_free(NULL));
}

static void
row_machine_error(struct api_ctx *c)
{
	check_true(c, "hvo_machine_error(NULL)",
		   strstr(hvo_machine_error(NULL), "machine") != NULL,
		   "a reason that names the machine");
}

static void
row_machine_config(struct api_ctx *c)
{
	IS_NULL(c, hvo_machine_config(NULL));
}

static void
row_machine_check(struct api_ctx *c)
{
	NO_M(c, hvo_machine_check(NULL));
}

static void
row_machine_dmesg(struct api_ctx *c)
{
	char buf[8];

	NO_M(c, hvo_machine_dmesg(NULL, buf, sizeof(buf)));
	ON_M(c, -EINVAL, "buf", hvo_machine_dmesg(c->m, NULL, sizeof(buf)));
	ON_M(c, -EINVAL, "len", hvo_machine_dmesg(c->m, buf, 0));
	/* Every machine has said something at boot: more than fits. */
	ON_M(c, -ENOSPC, "len", hvo_machine_dmesg(c->m, buf, sizeof(buf)));
}

static void
row_machine_set_comm(struct api_ctx *c)
{
	NO_M(c, hvo_machine_set_comm(NULL, "sh"));
	ON_M(c, -EINVAL, "comm", hvo_machine_set_comm(c->m, NULL));
}

static void
row_pfn_to_page(struct api_ctx *c)
{
	uint64_t va;

	NO_M(c, hvo_pfn_to_page(NULL, 0x100, &va));
	ON_M(c, -EINVAL, "va", hvo_pfn_to_page(c->m, 0x100, NULL));
	ON_M(c, -EINVAL, "pfn", hvo_pfn_to_page(c->m, WRAP_PFN, &va));
	ON_M(c, -EINVAL, "pfn", hvo_pfn_to_page(c->m, UINT64_MAX, &va));
}

static void
row_machine_geometry(struct api_ctx *c)
{
	struct hvo_geometry g;

	NO_M(c, hvo_machine_geometry(NULL, &g));
	ON_M(c, -EINVAL, "out", hvo_machine_geometry(c->m, NULL));
}

static void
row_page_category_name(struct api_ctx *c)
{
	IS_NULL(c, hvo_page_category_name(HVO_PAGES__COUNT));
	IS_NULL(c, hvo_page_category_name((enum hvo_page_category)-1));
}

static void
row_migratetype_name(struct api_ctx *c)
{
	IS_NULL(c, hvo_migratetype_name(HVO_MIGRATE_TYPES));
	IS_NULL(c, hvo_migratetype_name(UINT_MAX));
}

static void
row_machine_pages(struct api_ctx *c)
{
	uint64_t v;

	NO_M(c, hvo_machine_pages(NULL, HVO_PAGES_FREE, &v));
	ON_M(c, -EINVAL, "out", hvo_machine_pages(c->m, HVO_PAGES_FREE, NULL));
	ON_M(c, -EINVAL, "category",
	     hvo_machine_pages(c->m, HVO_PAGES__COUNT, &v));
	ON_M(c, -EINVAL, "category",
	     hvo_machine_pages(c->m, (enum hvo_page_category)-1, &v));
}

static void
row_machine_total_pages(struct api_ctx *c)
{
	IS_ZERO(c, hvo_machine_total_pages(NULL));
}

/* ---------------------------------------------------------------------- */
/* The page allocator                                                     */
/* ---------------------------------------------------------------------- */

/*
 * A pfn the buddy allocator holds free: no allocation starts there. The
 * pcp lists are drained after the free, as test_row() drains them before
 * it looks: the per-migratetype lists keep a freed unmovable page apart
 * from the pages already parked (free_unref_page()), and high (from the
 * low watermark, zone_highsize()) leaves it there.
 */
static uint64_t
free_pfn(struct api_ctx *c)
{
	uint64_t pfn;

	assert_int_equal(hvo_alloc_pages(c->m, 0, HVO_GFP_KERNEL, &pfn), 0);
	assert_int_equal(hvo_free_pages(c->m, pfn, 0), 0);
	assert_int_equal(hvo_drain_pages(c->m), 0);
	return pfn;
}

static void
row_alloc_pages(struct api_ctx *c)
{
	uint64_t pfn;

	NO_M(c, hvo_alloc_pages(NULL, 0, HVO_GFP_KERNEL, &pfn));
	ON_M(c, -EINVAL, "pfn", hvo_alloc_pages(c->m, 0, HVO_GFP_KERNEL, NULL));
	ON_M(c, -EINVAL, "gfp", hvo_alloc_pages(c->m, 0, (enum hvo_gfp)3, &pfn));
	ON_M(c, -EINVAL, "gfp",
	     hvo_alloc_pages(c->m, 0, (enum hvo_gfp)-1, &pfn));
	ON_M(c, -EINVAL, "order", hvo_alloc_pages(c->m, 11, HVO_GFP_KERNEL, &pfn));
	for (size_t i = 0; i < ARRAY_SIZE(bad_orders); i++)
		ON_M(c, -EINVAL, "order",
		     hvo_alloc_pages(c->m, bad_orders[i], HVO_GFP_KERNEL, &pfn));
}

static void
row_free_pages(struct api_ctx *c)
{
	uint64_t pfn = free_pfn(c);

	NO_M(c, hvo_free_pages(NULL, pfn, 0));
	ON_M(c, -EINVAL, "free", hvo_free_pages(c->m, pfn, 0));
	ON_M(c, -EINVAL, "pfn", hvo_free_pages(c->m, WRAP_PFN + pfn, 0));
	ON_M(c, -EINVAL, "pfn", hvo_free_pages(c->m, UINT64_MAX, 0));
	for (size_t i = 0; i < ARRAY_SIZE(bad_orders); i++)
		ON_M(c, -EINVAL, "order",
		     hvo_free_pages(c->m, pfn, bad_orders[i]));
}

static void
row_split_page(struct api_ctx *c)
{
	uint64_t pfn = free_pfn(c);

	NO_M(c, hvo_split_page(NULL, pfn, 0));
	ON_M(c, -EINVAL, "pfn", hvo_split_page(c->m, pfn, 0));
	ON_M(c, -EINVAL, "pfn", hvo_split_page(c->m, WRAP_PFN + pfn, 0));
	ON_M(c, -EINVAL, "pfn", hvo_split_page(c->m, UINT64_MAX, 0));
	for (size_t i = 0; i < ARRAY_SIZE(bad_orders); i++)
		ON_M(c, -EINVAL, "order",
		     hvo_split_page(c->m, pfn, bad_orders[i]));
}

static void
row_alloc_contig(struct api_ctx *c)
{
	uint64_t pfn;

	NO_M(c, hvo_alloc_contig(NULL, 11, HVO_GFP_KERNEL, &pfn));
	ON_M(c, -EINVAL, "pfn",
	     hvo_alloc_contig(c->m, 11, HVO_GFP_KERNEL, NULL));
	ON_M(c, -EINVAL, "gfp",
	     hvo_alloc_contig(c->m, 11, (enum hvo_gfp)3, &pfn));
	ON_M(c, -EINVAL, "order",
	     hvo_alloc_contig(c->m, 10, HVO_GFP_KERNEL, &pfn));
	ON_M(c, -EINVAL, "order",
	     hvo_alloc_contig(c->m, 32, HVO_GFP_KERNEL, &pfn));
	for (size_t i = 0; i < ARRAY_SIZE(bad_orders); i++)
		ON_M(c, -EINVAL, "order",
		     hvo_alloc_contig(c->m, bad_orders[i], HVO_GFP_KERNEL,
				      &pfn));
}

static void
row_free_contig(struct api_ctx *c)
{
	uint64_t pfn = free_pfn(c) & ~UINT64_C(2047);

	NO_M(c, hvo_free_contig(NULL, pfn, 11));
	ON_M(c, -EINVAL, "pfn", hvo_free_contig(c->m, pfn, 11));
	ON_M(c, -EINVAL, "pfn", hvo_free_contig(c->m, WRAP_PFN + pfn, 11));
	ON_M(c, -EINVAL, "order", hvo_free_contig(c->m, pfn, 10));
	for (size_t i = 0; i < ARRAY_SIZE(bad_orders); i++)
		ON_M(c, -EINVAL, "order",
		     hvo_free_contig(c->m, pfn, bad_orders[i]));
}

static void
row_fail_page_alloc(struct api_ctx *c)
{
	NO_M(c, hvo_fail_page_alloc(NULL, 1, false));
	/* Any count is a count: past 2^63 it is accepted, then turned off. */
	CODE(c, 0, hvo_fail_page_alloc(c->m, BIG + 1, true));
	CODE(c, 0, hvo_fail_page_alloc(c->m, 0, false));
}

static void
row_fail_page_alloc_get(struct api_ctx *c)
{
	struct hvo_fault_attr a;

	NO_M(c, hvo_fail_page_alloc_get(NULL, &a));
	ON_M(c, -EINVAL, "attr", hvo_fail_page_alloc_get(c->m, NULL));
	/* FAULT_ATTR_INITIALIZER and fail_page_alloc's own defaults. */
	CODE(c, 0, hvo_fail_page_alloc_get(c->m, &a));
	assert_int_equal(a.probability, 0);
	assert_int_equal(a.space, 0);
	assert_int_equal(a.interval, 1);
	assert_int_equal(a.times, 1);
	assert_int_equal(a.verbose, 2);
	assert_int_equal(a.min_order, 1);
	assert_true(a.ignore_gfp_wait && a.ignore_gfp_highmem);
	assert_true(a.seed == HVO_FAULT_SEED);
}

static void
row_fail_page_alloc_set(struct api_ctx *c)
{
	struct hvo_fault_attr a;

	hvo_fail_page_alloc_get(c->m, &a);
	NO_M(c, hvo_fail_page_alloc_set(NULL, &a));
	ON_M(c, -EINVAL, "attr", hvo_fail_page_alloc_set(c->m, NULL));
	a.times = -2;
	ON_M(c, -EINVAL, "times", hvo_fail_page_alloc_set(c->m, &a));
	a.times = -1;
	a.space = -1;
	ON_M(c, -EINVAL, "space", hvo_fail_page_alloc_set(c->m, &a));
	/* Room for later fields must be zero (doc/ABI.md). */
	a.space = 0;
	a.reserved[3] = 1;
	ON_M(c, -EINVAL, "reserved[3]", hvo_fail_page_alloc_set(c->m, &a));
}

static void
row_drain_pages(struct api_ctx *c)
{
	NO_M(c, hvo_drain_pages(NULL));
}

static void
row_machine_init_deferred(struct api_ctx *c)
{
	NO_M(c, hvo_machine_init_deferred(NULL));
}

static void
row_machine_zone(struct api_ctx *c)
{
	struct hvo_zone_info z;

	NO_M(c, hvo_machine_zone(NULL, 0, &z));
	ON_M(c, -EINVAL, "out", hvo_machine_zone(c->m, 0, NULL));
	ON_M(c, -ENOENT, "zone", hvo_machine_zone(c->m, 5, &z));
	ON_M(c, -ENOENT, "zone", hvo_machine_zone(c->m, UINT_MAX, &z));
}

static void
row_mem_available(struct api_ctx *c)
{
	struct hvo_mem_available a;

	NO_M(c, hvo_mem_available(NULL, &a));
	ON_M(c, -EINVAL, "out", hvo_mem_available(c->m, NULL));
}

static void
row_min_free_kbytes_get(struct api_ctx *c)
{
	int v;

	NO_M(c, hvo_min_free_kbytes_get(NULL, &v));
	ON_M(c, -EINVAL, "kbytes", hvo_min_free_kbytes_get(c->m, NULL));
}

static void
row_min_free_kbytes_set(struct api_ctx *c)
{
	NO_M(c, hvo_min_free_kbytes_set(NULL, 1024));
	ON_M(c, -EINVAL, "min_free_kbytes", hvo_min_free_kbytes_set(c->m, -1));
	ON_M(c, -EINVAL, "min_free_kbytes",
	     hvo_min_free_kbytes_set(c->m, (int64_t)INT_MAX + 1));
	ON_M(c, -EINVAL, "min_free_kbytes", hvo_min_free_kbytes_set(c->m, INT64_MIN));
}

static void
row_watermark_scale_factor_get(struct api_ctx *c)
{
	int v;

	NO_M(c, hvo_watermark_scale_factor_get(NULL, &v));
	ON_M(c, -EINVAL, "factor", hvo_watermark_scale_factor_get(c->m, NULL));
}

static void
row_watermark_scale_factor_set(struct api_ctx *c)
{
	NO_M(c, hvo_watermark_scale_factor_set(NULL, 10));
	ON_M(c, -EINVAL, "watermark_scale_factor",
	     hvo_watermark_scale_factor_set(c->m, 0));
	ON_M(c, -EINVAL, "watermark_scale_factor",
	     hvo_watermark_scale_factor_set(c->m, 3001));
	ON_M(c, -EINVAL, "watermark_scale_factor",
	     hvo_watermark_scale_factor_set(c->m, INT64_MIN));
}

static void
row_watermark_boost_factor_get(struct api_ctx *c)
{
	int v;

	NO_M(c, hvo_watermark_boost_factor_get(NULL, &v));
	ON_M(c, -EINVAL, "factor", hvo_watermark_boost_factor_get(c->m, NULL));
}

static void
row_watermark_boost_factor_set(struct api_ctx *c)
{
	NO_M(c, hvo_watermark_boost_factor_set(NULL, 0));
	ON_M(c, -EINVAL, "watermark_boost_factor",
	     hvo_watermark_boost_factor_set(c->m, -1));
	ON_M(c, -EINVAL, "watermark_boost_factor",
	     hvo_watermark_boost_factor_set(c->m, (int64_t)INT_MAX + 1));
}

static void
row_percpu_pagelist_high_fraction_get(struct api_ctx *c)
{
	int v;

	NO_M(c, hvo_percpu_pagelist_high_fraction_get(NULL, &v));
	ON_M(c, -EINVAL, "fraction",
	     hvo_percpu_pagelist_high_fraction_get(c->m, NULL));
}

static void
row_percpu_pagelist_high_fraction_set(struct api_ctx *c)
{
	NO_M(c, hvo_percpu_pagelist_high_fraction_set(NULL, 0));
	ON_M(c, -EINVAL, "percpu_pagelist_high_fraction",
	     hvo_percpu_pagelist_high_fraction_set(c->m, 1));
	ON_M(c, -EINVAL, "percpu_pagelist_high_fraction",
	     hvo_percpu_pagelist_high_fraction_set(c->m, 7));
	ON_M(c, -EINVAL, "percpu_pagelist_high_fraction",
	     hvo_percpu_pagelist_high_fraction_set(c->m, -8));
	ON_M(c, -EINVAL, "percpu_pagelist_high_fraction",
	     hvo_percpu_pagelist_high_fraction_set(c->m, INT64_MAX));
}

static void
row_lowmem_reserve_ratio_get(struct api_ctx *c)
{
	int r[HVO_MAX_ZONES];
	unsigned nr;

	NO_M(c, hvo_lowmem_reserve_ratio_get(NULL, r, HVO_MAX_ZONES, &nr));
	ON_M(c, -EINVAL, "ratio",
	     hvo_lowmem_reserve_ratio_get(c->m, NULL, HVO_MAX_ZONES, &nr));
	ON_M(c, -EINVAL, "nr",
	     hvo_lowmem_reserve_ratio_get(c->m, r, HVO_MAX_ZONES, NULL));
}

static void
row_lowmem_reserve_ratio_set(struct api_ctx *c)
{
	int64_t r[HVO_MAX_ZONES + 1] = { 256, 256, 32, 0 };

	NO_M(c, hvo_lowmem_reserve_ratio_set(NULL, r, 4));
	ON_M(c, -EINVAL, "ratio", hvo_lowmem_reserve_ratio_set(c->m, NULL, 4));
	ON_M(c, -EINVAL, "ratios", hvo_lowmem_reserve_ratio_set(c->m, r, 0));
	ON_M(c, -EINVAL, "ratios",
	     hvo_lowmem_reserve_ratio_set(c->m, r, HVO_MAX_ZONES + 1));
	ON_M(c, -EINVAL, "ratios", hvo_lowmem_reserve_ratio_set(c->m, r, UINT_MAX));
	r[1] = (int64_t)INT_MAX + 1;
	ON_M(c, -EINVAL, "lowmem_reserve_ratio[1]",
	     hvo_lowmem_reserve_ratio_set(c->m, r, 4));
	r[1] = INT64_MIN;
	ON_M(c, -EINVAL, "lowmem_reserve_ratio[1]",
	     hvo_lowmem_reserve_ratio_set(c->m, r, 4));
}

static void
row_machine_vmstat(struct api_ctx *c)
{
	const char *name;
	uint64_t v;

	NO_M(c, hvo_machine_vmstat(NULL, 0, &name, &v));
	ON_M(c, -EINVAL, "name", hvo_machine_vmstat(c->m, 0, NULL, &v));
	ON_M(c, -EINVAL, "value", hvo_machine_vmstat(c->m, 0, &name, NULL));
	ON_M(c, -ENOENT, "vmstat", hvo_machine_vmstat(c->m, UINT_MAX, &name, &v));
}

static void
row_machine_zoneinfo_stat(struct api_ctx *c)
{
	const char *name;
	uint64_t v;

	NO_M(c, hvo_machine_zoneinfo_stat(NULL, 0, false, 0, &name, &v));
	ON_M(c, -EINVAL, "name",
	     hvo_machine_zoneinfo_stat(c->m, 0, false, 0, NULL, &v));
	ON_M(c, -EINVAL, "value",
	     hvo_machine_zoneinfo_stat(c->m, 0, true, 0, &name, NULL));
	ON_M(c, -ENOENT, "zone",
	     hvo_machine_zoneinfo_stat(c->m, UINT_MAX, false, 0, &name, &v));
	ON_M(c, -ENOENT, "zoneinfo",
	     hvo_machine_zoneinfo_stat(c->m, 0, false, UINT_MAX, &name, &v));
	ON_M(c, -ENOENT, "zoneinfo",
	     hvo_machine_zoneinfo_stat(c->m, 0, true, UINT_MAX, &name, &v));
}

static void
row_machine_meminfo(struct api_ctx *c)
{
	char buf[128];

	NO_M(c, hvo_machine_meminfo(NULL, 0, buf, sizeof(buf)));
	ON_M(c, -EINVAL, "buf", hvo_machine_meminfo(c->m, 0, NULL, sizeof(buf)));
	ON_M(c, -EINVAL, "buf", hvo_machine_meminfo(c->m, 0, buf, 0));
	ON_M(c, -ENOSPC, "bytes", hvo_machine_meminfo(c->m, 0, buf, 8));
	ON_M(c, -ENOENT, "meminfo", hvo_machine_meminfo(c->m, UINT_MAX, buf, sizeof(buf)));
}

/* ---------------------------------------------------------------------- */
/* HugeTLB and HVO                                                        */
/* ---------------------------------------------------------------------- */

static uint64_t
pool_pfn(struct api_ctx *c)
{
	uint64_t pfn;

	assert_int_equal(hvo_hugepage_pfn(c->m, 2 * MIB, 0, &pfn), 0);
	return pfn;
}

static void
row_machine_hstate(struct api_ctx *c)
{
	struct hvo_hstate_info h;

	NO_M(c, hvo_machine_hstate(NULL, 0, &h));
	ON_M(c, -EINVAL, "out", hvo_machine_hstate(c->m, 0, NULL));
	ON_M(c, -ENOENT, "hstate", hvo_machine_hstate(c->m, 2, &h));
	ON_M(c, -ENOENT, "hstate", hvo_machine_hstate(c->m, UINT_MAX, &h));
}

static void
row_machine_hstate_by_size(struct api_ctx *c)
{
	struct hvo_hstate_info h;

	NO_M(c, hvo_machine_hstate_by_size(NULL, 2 * MIB, &h));
	ON_M(c, -EINVAL, "out", hvo_machine_hstate_by_size(c->m, 2 * MIB, NULL));
	ON_M(c, -ENOENT, "size", hvo_machine_hstate_by_size(c->m, 4 * MIB, &h));
	ON_M(c, -ENOENT, "size", hvo_machine_hstate_by_size(c->m, 0, &h));
	ON_M(c, -ENOENT, "size",
	     hvo_machine_hstate_by_size(c->m, UINT64_MAX, &h));
}

static void
row_set_nr_hugepages(struct api_ctx *c)
{
	NO_M(c, hvo_set_nr_hugepages(NULL, 2 * MIB, 2));
	ON_M(c, -EINVAL, "size", hvo_set_nr_hugepages(c->m, 4 * MIB, 2));
	ON_M(c, -EINVAL, "size", hvo_set_nr_hugepages(c->m, 0, 2));
	ON_M(c, -ENOMEM, "nr", hvo_set_nr_hugepages(c->m, 2 * MIB, BIG + 1));
	ON_M(c, -ENOMEM, "nr",
	     hvo_set_nr_hugepages(c->m, 2 * MIB, UINT64_MAX));
}

/* A count past memory is no refusal: the kernel grows as far as it can. */
static void
row_write_nr_hugepages(struct api_ctx *c)
{
	NO_M(c, hvo_write_nr_hugepages(NULL, 2 * MIB, 2));
	ON_M(c, -EINVAL, "size", hvo_write_nr_hugepages(c->m, 4 * MIB, 2));
	ON_M(c, -EINVAL, "size",
	     hvo_write_nr_hugepages(c->m, UINT64_MAX, 2));
}

/* The kernel's resize: only a size it lacks is refused. */
static void
row_set_max_huge_pages(struct api_ctx *c)
{
	NO_M(c, hvo_set_max_huge_pages(NULL, 2 * MIB, 2));
	ON_M(c, -EINVAL, "size", hvo_set_max_huge_pages(c->m, 4 * MIB, 2));
	ON_M(c, -EINVAL, "size",
	     hvo_set_max_huge_pages(c->m, UINT64_MAX, 2));
}

/* nr_overcommit_hugepages_store(): -EINVAL for a gigantic size. */
static void
row_set_nr_overcommit_hugepages(struct api_ctx *c)
{
	NO_M(c, hvo_set_nr_overcommit_hugepages(NULL, 2 * MIB, 2));
	ON_M(c, -EINVAL, "size",
	     hvo_set_nr_overcommit_hugepages(c->m, 4 * MIB, 2));
	ON_M(c, -EINVAL, "gigantic",
	     hvo_set_nr_overcommit_hugepages(c->m, 1024 * MIB, 2));
}

/*
 * hugetlb_acct_memory(): a reservation larger than the pool and the
 * overcommit is -ENOMEM (gather_surplus_pages()).
 */
static void
row_hugetlb_reserve_pages(struct api_ctx *c)
{
	NO_M(c, hvo_hugetlb_reserve_pages(NULL, 2 * MIB, 1));
	ON_M(c, -EINVAL, "size", hvo_hugetlb_reserve_pages(c->m, 4 * MIB, 1));
	ON_M(c, -ENOMEM, "nr_overcommit_hugepages",
	     hvo_hugetlb_reserve_pages(c->m, 2 * MIB, 3));
	ON_M(c, -EINVAL, "too many",
	     hvo_hugetlb_reserve_pages(c->m, 2 * MIB, BIG));
	ON_M(c, -ENOMEM, "gigantic",
	     hvo_hugetlb_reserve_pages(c->m, 1024 * MIB, 1));
}

static void
row_hugetlb_unreserve_pages(struct api_ctx *c)
{
	NO_M(c, hvo_hugetlb_unreserve_pages(NULL, 2 * MIB, 1));
	ON_M(c, -EINVAL, "size",
	     hvo_hugetlb_unreserve_pages(c->m, 4 * MIB, 1));
	ON_M(c, -EINVAL, "reserved",
	     hvo_hugetlb_unreserve_pages(c->m, 2 * MIB, 1));
}

/* alloc_hugetlb_folio(): a fault that consumes a reservation needs one. */
static void
row_alloc_hugetlb_folio(struct api_ctx *c)
{
	uint64_t pfn;

	NO_M(c, hvo_alloc_hugetlb_folio(NULL, 2 * MIB, false, &pfn));
	ON_M(c, -EINVAL, "pfn", hvo_alloc_hugetlb_folio(c->m, 2 * MIB, false, NULL));
	ON_M(c, -EINVAL, "size",
	     hvo_alloc_hugetlb_folio(c->m, 4 * MIB, false, &pfn));
	ON_M(c, -EINVAL, "reserve",
	     hvo_alloc_hugetlb_folio(c->m, 2 * MIB, true, &pfn));
}

static void
row_free_huge_folio(struct api_ctx *c)
{
	uint64_t pfn = pool_pfn(c);

	NO_M(c, hvo_free_huge_folio(NULL, pfn));
	ON_M(c, -EINVAL, "in use", hvo_free_huge_folio(c->m, pfn));
	ON_M(c, -EINVAL, "pfn", hvo_free_huge_folio(c->m, pfn + 1));
	ON_M(c, -EINVAL, "pfn", hvo_free_huge_folio(c->m, UINT64_MAX));
}

static void
row_hugepage_get(struct api_ctx *c)
{
	uint64_t pfn;

	NO_M(c, hvo_hugepage_get(NULL, 2 * MIB, &pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_get(c->m, 2 * MIB, NULL));
	ON_M(c, -EINVAL, "size", hvo_hugepage_get(c->m, 4 * MIB, &pfn));
}

static void
row_hugepage_put(struct api_ctx *c)
{
	uint64_t pfn = pool_pfn(c);

	NO_M(c, hvo_hugepage_put(NULL, pfn));
	ON_M(c, -EINVAL, "in use", hvo_hugepage_put(c->m, pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_put(c->m, pfn + 1));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_put(c->m, UINT64_MAX));
}

static void
row_hugepage_optimize(struct api_ctx *c)
{
	uint64_t pfn = pool_pfn(c), got;

	NO_M(c, hvo_hugepage_optimize(NULL, pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_optimize(c->m, pfn + 1));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_optimize(c->m, WRAP_PFN + pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_optimize(c->m, UINT64_MAX));
	assert_int_equal(hvo_hugepage_get(c->m, 2 * MIB, &got), 0);
	ON_M(c, -EBUSY, "in use", hvo_hugepage_optimize(c->m, got));
	assert_int_equal(hvo_hugepage_put(c->m, got), 0);
}

static void
row_hugepage_restore(struct api_ctx *c)
{
	uint64_t pfn = pool_pfn(c), got;

	NO_M(c, hvo_hugepage_restore(NULL, pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_restore(c->m, pfn + 1));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_restore(c->m, WRAP_PFN + pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_restore(c->m, UINT64_MAX));
	assert_int_equal(hvo_hugepage_get(c->m, 2 * MIB, &got), 0);
	ON_M(c, -EBUSY, "in use", hvo_hugepage_restore(c->m, got));
	assert_int_equal(hvo_hugepage_put(c->m, got), 0);
}

static void
row_set_variant(struct api_ctx *c)
{
	NO_M(c, hvo_set_variant(NULL, HVO_VARIANT_OFF));
	ON_M(c, -EINVAL, "variant",
	     hvo_set_variant(c->m, (enum hvo_variant)4));
	ON_M(c, -EINVAL, "variant",
	     hvo_set_variant(c->m, (enum hvo_variant)-1));
	/* The machine booted the 2026 kernel: no older variant. */
	ON_M(c, -EINVAL, "keep2", hvo_set_variant(c->m, HVO_VARIANT_KEEP2));
}

static void
row_machine_hvo(struct api_ctx *c)
{
	NO_M(c, hvo_machine_hvo(NULL, NULL, NULL, NULL));
	/* Every output is optional. */
	CODE(c, 0, hvo_machine_hvo(c->m, NULL, NULL, NULL));
}

static void
row_machine_compound_encoding(struct api_ctx *c)
{
	bool mask;

	NO_M(c, hvo_machine_compound_encoding(NULL, &mask));
	ON_M(c, -EINVAL, "mask", hvo_machine_compound_encoding(c->m, NULL));
}

static void
row_kpageflags(struct api_ctx *c)
{
	uint64_t flags = 0;

	NO_M(c, hvo_kpageflags(NULL, 0x100, &flags));
	ON_M(c, -EINVAL, "flags", hvo_kpageflags(c->m, 0x100, NULL));
	/* A pfn past RAM has no struct page: KPF_NOPAGE (bit 20), no error. */
	CODE(c, 0, hvo_kpageflags(c->m, WRAP_PFN + 0x100, &flags));
	assert_int_equal(flags, UINT64_C(1) << 20);
	CODE(c, 0, hvo_kpageflags(c->m, UINT64_MAX, &flags));
	assert_int_equal(flags, UINT64_C(1) << 20);
}

static void
row_kpageflags_describe(struct api_ctx *c)
{
	char buf[8];

	CODE(c, -EINVAL, hvo_kpageflags_describe(0, NULL, sizeof(buf)));
	CODE(c, -EINVAL, hvo_kpageflags_describe(0, buf, 0));
	CODE(c, -ENOSPC, hvo_kpageflags_describe(UINT64_MAX, buf, sizeof(buf)));
}

static void
row_hugepage_pfn(struct api_ctx *c)
{
	uint64_t pfn;

	NO_M(c, hvo_hugepage_pfn(NULL, 2 * MIB, 0, &pfn));
	ON_M(c, -EINVAL, "pfn", hvo_hugepage_pfn(c->m, 2 * MIB, 0, NULL));
	ON_M(c, -EINVAL, "size", hvo_hugepage_pfn(c->m, 4 * MIB, 0, &pfn));
	ON_M(c, -ENOENT, "i", hvo_hugepage_pfn(c->m, 2 * MIB, 2, &pfn));
	ON_M(c, -ENOENT, "i", hvo_hugepage_pfn(c->m, 2 * MIB, BIG + 1, &pfn));
	ON_M(c, -ENOENT, "i",
	     hvo_hugepage_pfn(c->m, UINT64_C(1) << 30, 0, &pfn));
}

static void
row_demote(struct api_ctx *c)
{
	uint64_t done;

	NO_M(c, hvo_demote(NULL, 2 * MIB, 1, &done));
	ON_M(c, -EINVAL, "size", hvo_demote(c->m, 4 * MIB, 1, &done));
	ON_M(c, -EINVAL, "size", hvo_demote(c->m, UINT64_MAX, 1, &done));
	/* demote_store() exists only for an hstate with a smaller one. */
	ON_M(c, -EINVAL, "demote", hvo_demote(c->m, 2 * MIB, 1, &done));
	ON_M(c, -EINVAL, "demote", hvo_demote(c->m, 2 * MIB, UINT64_MAX, NULL));
}

static void
row_demote_size(struct api_ctx *c)
{
	uint64_t sz;

	NO_M(c, hvo_demote_size(NULL, 1 << 30, &sz));
	ON_M(c, -EINVAL, "demote_size", hvo_demote_size(c->m, 1 << 30, NULL));
	ON_M(c, -EINVAL, "size", hvo_demote_size(c->m, 4 * MIB, &sz));
	ON_M(c, -EINVAL, "demote", hvo_demote_size(c->m, 2 * MIB, &sz));
}

static void
row_set_demote_size(struct api_ctx *c)
{
	NO_M(c, hvo_set_demote_size(NULL, 1 << 30, 2 * MIB));
	ON_M(c, -EINVAL, "size", hvo_set_demote_size(c->m, 4 * MIB, 2 * MIB));
	ON_M(c, -EINVAL, "demote", hvo_set_demote_size(c->m, 2 * MIB, 2 * MIB));
	/* demote_size_store(): a smaller hstate's size only. */
	ON_M(c, -EINVAL, "demote_size",
	     hvo_set_demote_size(c->m, 1 << 30, 1 << 30));
	ON_M(c, -EINVAL, "demote_size",
	     hvo_set_demote_size(c->m, 1 << 30, 4 * MIB));
	ON_M(c, -EINVAL, "demote_size",
	     hvo_set_demote_size(c->m, 1 << 30, UINT64_MAX));
}

static void
row_fail_vmemmap(struct api_ctx *c)
{
	NO_M(c, hvo_fail_vmemmap(NULL, HVO_FAIL_VMEMMAP_PMD, 1, false));
	ON_M(c, -EINVAL, "point",
	     hvo_fail_vmemmap(c->m, (enum hvo_fail_point)2, 1, false));
	ON_M(c, -EINVAL, "point",
	     hvo_fail_vmemmap(c->m, (enum hvo_fail_point)-1, 1, false));
}

/* ---------------------------------------------------------------------- */
/* Page tables, kernel memory and the TLB                                 */
/* ---------------------------------------------------------------------- */

/* Below every x86-64 kernel address: not canonical for the kernel. */
#define USER_VA UINT64_C(0x1000)

static void
row_walk(struct api_ctx *c)
{
	struct hvo_walk w;

	NO_M(c, hvo_walk(NULL, USER_VA, &w));
	ON_M(c, -EINVAL, "out", hvo_walk(c->m, tu_geometry(c->m).vmemmap_base,
					 NULL));
	ON_M(c, -EINVAL, "va", hvo_walk(c->m, USER_VA, &w));
	ON_M(c, -EINVAL, "va", hvo_walk(c->m, UINT64_C(1) << 63, &w));
}

static void
row_entry_describe(struct api_ctx *c)
{
	char buf[8];

	NO_M(c, hvo_entry_describe(NULL, 0, 0, buf, sizeof(buf)));
	ON_M(c, -EINVAL, "buf", hvo_entry_describe(c->m, 0, 0, NULL, 8));
	ON_M(c, -EINVAL, "len", hvo_entry_describe(c->m, 0, 0, buf, 0));
	ON_M(c, -EINVAL, "level", hvo_entry_describe(c->m, 4, 0, buf, 8));
	ON_M(c, -EINVAL, "level",
	     hvo_entry_describe(c->m, UINT_MAX, 0, buf, 8));
	ON_M(c, -ENOSPC, "len",
	     hvo_entry_describe(c->m, 0, UINT64_MAX, buf, sizeof(buf)));
}

static void
row_map(struct api_ctx *c)
{
	uint64_t va = tu_free_kernel_va(c->m, 3), pa = 32 * MIB;

	NO_M(c, hvo_map(NULL, va, pa, 4096, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "prot",
	     hvo_map(c->m, va, pa, 4096, (enum hvo_prot)2));
	ON_M(c, -EINVAL, "prot",
	     hvo_map(c->m, va, pa, 4096, (enum hvo_prot)-1));
	ON_M(c, -EINVAL, "size",
	     hvo_map(c->m, va, pa, 4 * MIB, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "size",
	     hvo_map(c->m, va, pa, UINT64_MAX, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "aligned",
	     hvo_map(c->m, va + 8, pa, 4096, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "RAM",
	     hvo_map(c->m, va, UINT64_C(1) << 40, 4096, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "RAM",
	     hvo_map(c->m, va, UINT64_MAX & ~UINT64_C(4095), 4096,
		     HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "va",
	     hvo_map(c->m, USER_VA, pa, 4096, HVO_PROT_KERNEL));
}

static void
row_unmap(struct api_ctx *c)
{
	uint64_t va = tu_free_kernel_va(c->m, 3);

	NO_M(c, hvo_unmap(NULL, va));
	ON_M(c, -ENOENT, "va", hvo_unmap(c->m, va));
	ON_M(c, -EINVAL, "va", hvo_unmap(c->m, USER_VA));
	/* Inside a leaf of the vmemmap, not at its start. */
	ON_M(c, -EINVAL, "va", hvo_unmap(c->m, tu_geometry(c->m).vmemmap_base + 8));
}

static void
row_split(struct api_ctx *c)
{
	uint64_t va = tu_free_kernel_va(c->m, 3);

	NO_M(c, hvo_split(NULL, va));
	ON_M(c, -ENOENT, "va", hvo_split(c->m, va));
	ON_M(c, -EINVAL, "va", hvo_split(c->m, USER_VA));
}

static void
row_protect(struct api_ctx *c)
{
	uint64_t va = tu_free_kernel_va(c->m, 3);

	NO_M(c, hvo_protect(NULL, va, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "prot", hvo_protect(c->m, va, (enum hvo_prot)2));
	ON_M(c, -ENOENT, "va", hvo_protect(c->m, va, HVO_PROT_KERNEL));
	ON_M(c, -EINVAL, "va", hvo_protect(c->m, USER_VA, HVO_PROT_KERNEL));
}

static void
row_kread64(struct api_ctx *c)
{
	uint64_t base = tu_geometry(c->m).vmemmap_base, v;

	NO_M(c, hvo_kread64(NULL, base, &v));
	ON_M(c, -EINVAL, "val", hvo_kread64(c->m, base, NULL));
	ON_M(c, -EINVAL, "va", hvo_kread64(c->m, base + 1, &v));
	ON_M(c, -EFAULT, "va",
	     hvo_kread64(c->m, tu_free_kernel_va(c->m, 3), &v));
	ON_M(c, -EFAULT, "va", hvo_kread64(c->m, USER_VA, &v));
}

static void
row_kwrite64(struct api_ctx *c)
{
	uint64_t base = tu_geometry(c->m).vmemmap_base;

	NO_M(c, hvo_kwrite64(NULL, base, 0));
	ON_M(c, -EINVAL, "va", hvo_kwrite64(c->m, base + 1, 0));
	ON_M(c, -EFAULT, "va",
	     hvo_kwrite64(c->m, tu_free_kernel_va(c->m, 3), 0));
	ON_M(c, -EFAULT, "va", hvo_kwrite64(c->m, USER_VA, 0));
}

static void
row_flush_tlb_kernel_range(struct api_ctx *c)
{
	NO_M(c, hvo_flush_tlb_kernel_range(NULL, 0, 4096));
	ON_M(c, -EINVAL, "end", hvo_flush_tlb_kernel_range(c->m, 8192, 4096));
	ON_M(c, -EINVAL, "end",
	     hvo_flush_tlb_kernel_range(c->m, UINT64_MAX, 0));
}

static void
row_flush_tlb_all(struct api_ctx *c)
{
	NO_M(c, hvo_flush_tlb_all(NULL));
}

/* ---------------------------------------------------------------------- */
/* Tracing, counters and reports                                          */
/* ---------------------------------------------------------------------- */

static void
row_set_trace(struct api_ctx *c)
{
	NO_M(c, hvo_set_trace(NULL, NULL, NULL));
}

static void
row_event_format(struct api_ctx *c)
{
	struct hvo_event ev = { .kind = HVO_EVENT_TLB_FLUSH, .all = true };
	struct hvo_event bad = { .kind = (enum hvo_event_kind)99 };
	char buf[8];

	CODE(c, -EINVAL, hvo_event_format(NULL, buf, sizeof(buf)));
	CODE(c, -EINVAL, hvo_event_format(&ev, NULL, sizeof(buf)));
	CODE(c, -EINVAL, hvo_event_format(&ev, buf, 0));
	CODE(c, -EINVAL, hvo_event_format(&bad, buf, sizeof(buf)));
	CODE(c, -ENOSPC, hvo_event_format(&ev, buf, sizeof(buf)));
}

static void
row_counter_count(struct api_ctx *c)
{
	check_true(c, "hvo_counter_count()", hvo_counter_count() > 0,
		   "counters");
}

static void
row_counter_name(struct api_ctx *c)
{
	check_past_end(c, "hvo_counter_name", hvo_counter_name,
		       hvo_counter_count());
}

static void
row_counter_help(struct api_ctx *c)
{
	check_past_end(c, "hvo_counter_help", hvo_counter_help,
		       hvo_counter_count());
}

static void
row_machine_counter(struct api_ctx *c)
{
	IS_ZERO(c, hvo_machine_counter(NULL, 0));
	/* 0 is the value; the reason says it stands for a refusal. */
	ON_M(c, 0, "counter", hvo_machine_counter(c->m, hvo_counter_count()));
	ON_M(c, 0, "counter", hvo_machine_counter(c->m, SIZE_MAX));
}

static void
row_machine_counter_get(struct api_ctx *c)
{
	uint64_t v;

	NO_M(c, hvo_machine_counter_get(NULL, "tlb.hit", &v));
	ON_M(c, -EINVAL, "name", hvo_machine_counter_get(c->m, NULL, &v));
	ON_M(c, -EINVAL, "val", hvo_machine_counter_get(c->m, "tlb.hit", NULL));
	ON_M(c, -ENOENT, "name", hvo_machine_counter_get(c->m, "tlb.hits", &v));
	ON_M(c, -ENOENT, "name", hvo_machine_counter_get(c->m, "", &v));
}

static void
row_counter_get(struct api_ctx *c)
{
	uint64_t v;

	NO_M(c, hvo_counter_get(NULL, HVO_COUNTER_TLB_HIT, &v));
	ON_M(c, -EINVAL, "val", hvo_counter_get(c->m, HVO_COUNTER_TLB_HIT,
						NULL));
	ON_M(c, -EINVAL, "counter",
	     hvo_counter_get(c->m, (enum hvo_counter)hvo_counter_count(), &v));
	ON_M(c, -EINVAL, "counter",
	     hvo_counter_get(c->m, (enum hvo_counter)-1, &v));
}

static void
row_machine_counters_snapshot(struct api_ctx *c)
{
	uint64_t v[64];

	NO_M(c, hvo_machine_counters_snapshot(NULL, v, 1));
	ON_M(c, -EINVAL, "vals", hvo_machine_counters_snapshot(c->m, NULL, 1));
	ON_M(c, -EINVAL, "n 0", hvo_machine_counters_snapshot(c->m, v, 0));
	ON_M(c, -EINVAL, "hvo_counter_count",
	     hvo_machine_counters_snapshot(c->m, v, hvo_counter_count() + 1));
}

static void
row_machine_counters_delta(struct api_ctx *c)
{
	uint64_t before[64], d[64];
	size_t n = hvo_counter_count();

	assert_true(n < 64);
	hvo_machine_counters_snapshot(c->m, before, n);
	NO_M(c, hvo_machine_counters_delta(NULL, before, d, n));
	ON_M(c, -EINVAL, "before", hvo_machine_counters_delta(c->m, NULL, d, n));
	ON_M(c, -EINVAL, "delta",
	     hvo_machine_counters_delta(c->m, before, NULL, n));
	ON_M(c, -EINVAL, "n 0", hvo_machine_counters_delta(c->m, before, d, 0));
	ON_M(c, -EINVAL, "hvo_counter_count",
	     hvo_machine_counters_delta(c->m, before, d, n + 1));
	/* A snapshot above the counters: they were reset in between. */
	before[HVO_COUNTER_TLB_MISS] = UINT64_MAX;
	ON_M(c, -EINVAL, "reset",
	     hvo_machine_counters_delta(c->m, before, d, n));
}

static void
row_machine_counters_reset(struct api_ctx *c)
{
	RUNS(c, hvo_machine_counters_reset(NULL));
}

static void
row_machine_report_json(struct api_ctx *c)
{
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	NO_M(c, hvo_machine_report_json(NULL, NULL, 0, f));
	ON_M(c, -EINVAL, "f", hvo_machine_report_json(c->m, NULL, 0, NULL));
	ON_M(c, -EINVAL, "walk_va",
	     hvo_machine_report_json(c->m, NULL, 1, f));
	ON_M(c, -EINVAL, "walk_va",
	     hvo_machine_report_json(c->m, NULL, SIZE_MAX, f));
	fclose(f);
}

static void
row_json_begin(struct api_ctx *c)
{
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	CODE(c, -EINVAL, hvo_json_begin(NULL, 0));
	CODE(c, -EINVAL, hvo_json_begin(f, 1u << 7));
	fclose(f);
}

static void
row_json_string(struct api_ctx *c)
{
	FILE *f = fopen("/dev/null", "w");

	assert_non_null(f);
	CODE(c, -EINVAL, hvo_json_string(NULL, "x"));
	CODE(c, -EINVAL, hvo_json_string(f, NULL));
	fclose(f);
}

/* ---------------------------------------------------------------------- */
/* The table                                                              */
/* ---------------------------------------------------------------------- */

struct api_row {
	const char *fn;
	void (*run)(struct api_ctx *c);
};

#define ROW(name) { "hvo_" #name, row_##name }

static const struct api_row rows[] = {
	ROW(config_init),
	ROW(parse_size),
	ROW(config_parse),
	ROW(config_validate),
	ROW(config_cmdline),
	ROW(config_format),
	ROW(version),
	ROW(kernel_newest),
	ROW(machine_kernel),
	ROW(arch_name),
	ROW(variant_name),
	ROW(preset_count),
	ROW(preset_name),
	ROW(preset_spec),
	ROW(machine_new),
	ROW(machine_new_from_spec),
	ROW(machine_free),
	ROW(machine_error),
	ROW(machine_config),
	ROW(machine_check),
	ROW(machine_dmesg),
	ROW(machine_set_comm),
	ROW(pfn_to_page),
	ROW(machine_geometry),
	ROW(page_category_name),
	ROW(migratetype_name),
	ROW(machine_pages),
	ROW(machine_total_pages),
	ROW(alloc_pages),
	ROW(free_pages),
	ROW(split_page),
	ROW(alloc_contig),
	ROW(free_contig),
	ROW(fail_page_alloc),
	ROW(fail_page_alloc_get),
	ROW(fail_page_alloc_set),
	ROW(mem_available),
	ROW(min_free_kbytes_get),
	ROW(min_free_kbytes_set),
	ROW(watermark_scale_factor_get),
	ROW(watermark_scale_factor_set),
	ROW(watermark_boost_factor_get),
	ROW(watermark_boost_factor_set),
	ROW(percpu_pagelist_high_fraction_get),
	ROW(percpu_pagelist_high_fraction_set),
	ROW(lowmem_reserve_ratio_get),
	ROW(lowmem_reserve_ratio_set),
	ROW(drain_pages),
	ROW(machine_init_deferred),
	ROW(machine_zone),
	ROW(machine_vmstat),
	ROW(machine_zoneinfo_stat),
	ROW(machine_meminfo),
	ROW(machine_hstate),
	ROW(machine_hstate_by_size),
	ROW(set_nr_hugepages),
	ROW(write_nr_hugepages),
	ROW(set_max_huge_pages),
	ROW(set_nr_overcommit_hugepages),
	ROW(hugetlb_reserve_pages),
	ROW(hugetlb_unreserve_pages),
	ROW(alloc_hugetlb_folio),
	ROW(free_huge_folio),
	ROW(hugepage_get),
	ROW(hugepage_put),
	ROW(hugepage_optimize),
	ROW(hugepage_restore),
	ROW(set_variant),
	ROW(machine_hvo),
	ROW(machine_compound_encoding),
	ROW(kpageflags),
	ROW(kpageflags_describe),
	ROW(hugepage_pfn),
	ROW(fail_vmemmap),
	ROW(demote),
	ROW(demote_size),
	ROW(set_demote_size),
	ROW(walk),
	ROW(entry_describe),
	ROW(map),
	ROW(unmap),
	ROW(split),
	ROW(protect),
	ROW(kread64),
	ROW(kwrite64),
	ROW(flush_tlb_kernel_range),
	ROW(flush_tlb_all),
	ROW(set_trace),
	ROW(event_format),
	ROW(counter_count),
	ROW(counter_name),
	ROW(counter_help),
	ROW(machine_counter),
	ROW(machine_counter_get),
	ROW(counter_get),
	ROW(machine_counters_snapshot),
	ROW(machine_counters_delta),
	ROW(machine_counters_reset),
	ROW(machine_report_json),
	ROW(json_begin),
	ROW(json_string),
};

/* What a refusal must not change: memory by use, zones and pools. */
struct memory_state {
	uint64_t pages[HVO_PAGES__COUNT];
	struct hvo_zone_info zone[4];
	struct hvo_hstate_info hstate[2];
};

static void
memory_state(struct hvo_machine *m, struct memory_state *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned c = 0; c < HVO_PAGES__COUNT; c++)
		s->pages[c] = tu_pages(m, c);
	/*
	 * From 6.7 every refill of a pcp list raises pcp->high
	 * (nr_pcp_alloc()): free_pfn()'s own allocation moves it, no
	 * refusal does.
	 */
	for (unsigned i = 0; i < 4 && hvo_machine_zone(m, i, &s->zone[i]) == 0;
	     i++)
		s->zone[i].pcp_high = 0;
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(hvo_machine_hstate(m, i, &s->hstate[i]), 0);
}

/* One row: its refusals on a fresh machine, which must end as it began. */
static void
test_row(void **state)
{
	const struct api_row *row = *state;
	struct api_ctx c = { .fn = row->fn, .m = tu_machine(SPEC) };
	struct memory_state before, after;

	/* free_pfn() drains the pcp lists: start from drained ones. */
	assert_int_equal(hvo_drain_pages(c.m), 0);
	memory_state(c.m, &before);
	row->run(&c);
	if (c.calls == 0)
		row_fail(&c, "the row", "calls nothing");
	tu_assert_check(c.m);
	memory_state(c.m, &after);
	if (memcmp(&before, &after, sizeof(before)))
		row_fail(&c, "the row", "changed the machine's memory");
	hvo_machine_free(c.m);
	assert_int_equal(c.failed, 0);
}

static const char *header_path;

/* Does the table have a row for @name? */
static bool
in_table(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		if (!strcmp(rows[i].fn, name))
			return true;
	return false;
}

/*
 * Every function the public header declares (a line that starts with its
 * name and a parenthesis, as the style writes declarations) has a row, and
 * every row a declaration.
 */
static void
test_table_covers_header(void **state)
{
	char line[512], name[64];
	unsigned declared = 0, missing = 0;
	FILE *f;

	(void)state;
	if (!header_path)
		fail_msg("give the path of include/hvo/hvo.h as the argument");
	f = fopen(header_path, "r");
	if (!f)
		fail_msg("cannot read %s", header_path);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz0123456789_");

		if (strncmp(line, "hvo_", 4) || line[n] != '(')
			continue;
		call_name(line, name, sizeof(name));
		declared++;
		if (!in_table(name)) {
			print_error("%s: %s has no row in tests/test-api.c\n",
				    header_path, name);
			missing++;
		}
	}
	fclose(f);
	if (declared != ARRAY_SIZE(rows))
		print_error("%s declares %u functions, the table has %zu rows\n",
			    header_path, declared, ARRAY_SIZE(rows));
	assert_int_equal(missing, 0);
	assert_int_equal(declared, ARRAY_SIZE(rows));
}

int
main(int argc, char **argv)
{
	struct CMUnitTest tests[ARRAY_SIZE(rows) + 1];

	header_path = argc > 1 ? argv[1] : NULL;
	tests[0] = (struct CMUnitTest)cmocka_unit_test(test_table_covers_header);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		tests[i + 1] = (struct CMUnitTest){
			.name = rows[i].fn,
			.test_func = test_row,
			.initial_state = (void *)&rows[i],
		};
	return tu_run("api", tests, ARRAY_SIZE(tests));
}
