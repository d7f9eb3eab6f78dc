/* SPDX-License-Identifier: MIT */
/*
 * Machine configuration: the text form "ARCH[:key=value,...]", presets,
 * defaults, validation, formatting, and the refusal of bad input.
 *
 * A refused spec must come back as -EINVAL with the output left alone and a
 * reason that names what was wrong: the table of malformed specs gives, for
 * each, a piece of text the reason has to contain.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "base/util.h"

#define MB(x) ((uint64_t)(x) << 20)
#define GB(x) ((uint64_t)(x) << 30)
#define TB(x) ((uint64_t)(x) << 40)

#define X86 HVO_ARCH_X86_64
#define ARM HVO_ARCH_ARM64
#define RV  HVO_ARCH_RISCV64

/* Where RAM starts by default: 0 on a PC, QEMU virt's base elsewhere. */
#define X86_RAM  UINT64_C(0)
#define ARM_RAM  UINT64_C(0x40000000)
#define RV_RAM   UINT64_C(0x80000000)

#define SPEC_MAX 512

/* Field by field: padding bytes may differ between equal configs. */
static bool
config_equal(const struct hvo_config *a, const struct hvo_config *b)
{
	if (a->arch != b->arch || a->page_shift != b->page_shift ||
	    a->va_bits != b->va_bits || a->levels != b->levels ||
	    a->nr_mem_ranges != b->nr_mem_ranges ||
	    a->struct_page_size != b->struct_page_size || a->hvo != b->hvo ||
	    a->tlb_entries != b->tlb_entries ||
	    a->tlb_check != b->tlb_check || a->bbm_check != b->bbm_check ||
	    a->deferred_init != b->deferred_init || a->kpti != b->kpti)
		return false;
	for (unsigned i = 0; i < a->nr_mem_ranges && i < HVO_MAX_MEM_RANGES;
	     i++)
		if (a->mem[i].base != b->mem[i].base ||
		    a->mem[i].size != b->mem[i].size)
			return false;
	return true;
}

/* Parse or fail the test with the library's reason. */
static void
parse_ok(const char *spec, struct hvo_config *cfg)
{
	char err[512] = "";
	int rc = hvo_config_parse(cfg, spec, err, sizeof(err));

	if (rc)
		print_error("spec '%s' refused (%d): %s\n", spec, rc, err);
	assert_int_equal(rc, 0);
}

/* ---------------------------------------------------------------------- */
/* Presets and defaults                                                   */
/* ---------------------------------------------------------------------- */

static void
test_presets_parse(void **state)
{
	size_t n = hvo_preset_count();

	(void)state;
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		struct hvo_config by_name, by_spec, extra;
		char spec[SPEC_MAX];

		assert_non_null(hvo_preset_name(i));
		assert_non_null(hvo_preset_spec(i));
		parse_ok(hvo_preset_name(i), &by_name);
		parse_ok(hvo_preset_spec(i), &by_spec);
		/* A preset is a name for its spec. */
		assert_true(config_equal(&by_name, &by_spec));
		/* And takes more keys after it. */
		snprintf(spec, sizeof(spec), "%s:mem=1G", hvo_preset_name(i));
		parse_ok(spec, &extra);
		assert_int_equal(extra.nr_mem_ranges, 1);
		assert_int_equal(extra.mem[0].size, GB(1));
		assert_int_equal(extra.page_shift, by_name.page_shift);
		assert_int_equal(extra.va_bits, by_name.va_bits);
		assert_int_equal(extra.levels, by_name.levels);
		/* Names are unique. */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(hvo_preset_name(i),
						hvo_preset_name(j));
	}
	assert_null(hvo_preset_name(n));
	assert_null(hvo_preset_spec(n));
	assert_null(hvo_preset_name((size_t)-1));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(hvo_arch_name(X86), "x86_64");
	assert_string_equal(hvo_arch_name(ARM), "arm64");
	assert_string_equal(hvo_arch_name(RV), "riscv64");
	assert_null(hvo_arch_name((enum hvo_arch_id)99));
	assert_string_equal(hvo_variant_name(HVO_VARIANT_OFF), "off");
	assert_string_equal(hvo_variant_name(HVO_VARIANT_KEEP2), "keep2");
	assert_string_equal(hvo_variant_name(HVO_VARIANT_FAKEHEAD), "fakehead");
	assert_string_equal(hvo_variant_name(HVO_VARIANT_SHAREDTAIL),
			    "sharedtail");
	assert_null(hvo_variant_name((enum hvo_variant)4));
	assert_null(hvo_variant_name((enum hvo_variant)-1));
}

/*
 * The arch name alone: 64-byte struct page, the 2026 HVO, 8G of RAM at the
 * arch's base, a 1024-entry TLB, TLB checking off and BBM checking on; the
 * geometry is one of the arch's presets. hvo_config_init() followed by
 * hvo_config_validate() gives the same.
 */
static void
test_arch_defaults(void **state)
{
	static const struct {
		const char *spec;
		enum hvo_arch_id arch;
		uint64_t ram_base;
	} cases[] = {
		{ "x86_64", X86, X86_RAM },
		{ "arm64", ARM, ARM_RAM },
		{ "riscv64", RV, RV_RAM },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hvo_config cfg, init;
		char err[512] = "";
		bool preset = false;

		parse_ok(cases[i].spec, &cfg);
		assert_int_equal(cfg.arch, cases[i].arch);
		assert_int_equal(cfg.page_shift, 12);
		assert_int_equal(cfg.struct_page_size, 64);
		/* The variant of the newest release, unless hvo= says. */
		assert_int_equal(cfg.hvo, HVO_VARIANT_RELEASE);
		assert_string_equal(cfg.kernel, "");
		assert_int_equal(cfg.hvo_default, HVO_SWITCH_BUILD);
		/* KPTI as the modelled CPU has it. */
		assert_int_equal(cfg.kpti, HVO_SWITCH_BUILD);
		assert_int_equal(cfg.nr_mem_ranges, 1);
		assert_int_equal(cfg.mem[0].base, cases[i].ram_base);
		assert_int_equal(cfg.mem[0].size, GB(8));
		assert_int_equal(cfg.tlb_entries, 1024);
		assert_false(cfg.tlb_check);
		assert_true(cfg.bbm_check);
		assert_true(cfg.levels >= 2 && cfg.levels <= HVO_MAX_LEVELS);

		for (size_t p = 0; p < hvo_preset_count(); p++) {
			struct hvo_config pc;

			parse_ok(hvo_preset_name(p), &pc);
			if (pc.arch == cfg.arch &&
			    pc.page_shift == cfg.page_shift &&
			    pc.va_bits == cfg.va_bits &&
			    pc.levels == cfg.levels)
				preset = true;
		}
		if (!preset)
			print_error("%s: default geometry %u/%u is no preset\n",
				    cases[i].spec, cfg.page_shift, cfg.va_bits);
		assert_true(preset);

		assert_int_equal(hvo_config_init(&init, cases[i].arch), 0);
		assert_int_equal(hvo_config_validate(&init, err, sizeof(err)),
				 0);
		assert_true(config_equal(&init, &cfg));
	}
	assert_int_equal(hvo_config_init(NULL, X86), -EINVAL);
	{
		struct hvo_config cfg;

		assert_int_equal(hvo_config_init(&cfg, (enum hvo_arch_id)99),
				 -EINVAL);
	}
}

/* ---------------------------------------------------------------------- */
/* Specs that must parse                                                  */
/* ---------------------------------------------------------------------- */

struct valid_case {
	const char *spec;
	enum hvo_arch_id arch;
	unsigned page_shift, va_bits, levels;
	unsigned nr;
	struct hvo_mem_range mem[3];
	unsigned struct_page;
	enum hvo_variant hvo;
	unsigned tlb;
	bool tlb_check, bbm_check;
};

/* No hvo= key: the variant of the release (the newest: sharedtail). */
#define ST HVO_VARIANT_RELEASE

static const struct valid_case valid_cases[] = {
	{ "x86_64:levels=4", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "x86_64:levels=5", X86, 12, 57, 5, 1, { { X86_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "arm64:granule=16K,va=47", ARM, 14, 47, 3, 1, { { ARM_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "arm64:granule=16k,va=36", ARM, 14, 36, 2, 1, { { ARM_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "arm64:granule=64K,va=42", ARM, 16, 42, 2, 1, { { ARM_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "arm64:va=52", ARM, 12, 52, 5, 1, { { ARM_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "riscv64:va=39", RV, 12, 39, 3, 1, { { RV_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "riscv64:va=57", RV, 12, 57, 5, 1, { { RV_RAM, GB(8) } },
	  64, ST, 1024, false, true },
	{ "x86_64:mem=64M", X86, 12, 48, 4, 1, { { 0, MB(64) } },
	  64, ST, 1024, false, true },
	/* The smallest machine. */
	{ "x86_64:mem=32M", X86, 12, 48, 4, 1, { { 0, MB(32) } },
	  64, ST, 1024, false, true },
	/* RAM with a hole. */
	{ "x86_64:mem=3G@0+5G@4G", X86, 12, 48, 4, 2,
	  { { 0, GB(3) }, { GB(4), GB(5) } },
	  64, ST, 1024, false, true },
	/* A range without a base follows the one before it. */
	{ "x86_64:mem=1G@0+2G", X86, 12, 48, 4, 2,
	  { { 0, GB(1) }, { GB(1), GB(2) } },
	  64, ST, 1024, false, true },
	{ "arm64:mem=1G+1G", ARM, 12, 48, 4, 2,
	  { { ARM_RAM, GB(1) }, { ARM_RAM + GB(1), GB(1) } },
	  64, ST, 1024, false, true },
	{ "arm64:mem=1G+1G@4G+512M", ARM, 12, 48, 4, 3,
	  { { ARM_RAM, GB(1) }, { GB(4), GB(1) }, { GB(5), MB(512) } },
	  64, ST, 1024, false, true },
	{ "riscv64:mem=4G@0x80000000+4G@0x200000000", RV, 12, 48, 4, 2,
	  { { RV_RAM, GB(4) }, { GB(8), GB(4) } },
	  64, ST, 1024, false, true },
	/* RAM that ends exactly at x86's 46-bit MAX_PHYSMEM_BITS. */
	{ "x86_64:mem=1G@0+1G@0x3fffc0000000", X86, 12, 48, 4, 2,
	  { { 0, GB(1) }, { TB(64) - GB(1), GB(1) } },
	  64, ST, 1024, false, true },
	{ "arm64:granule=64K,va=52,mem=0x40000000@0x80000000", ARM, 16, 52, 3,
	  1, { { GB(2), GB(1) } },
	  64, ST, 1024, false, true },
	{ "x86_64:struct_page=80", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  80, ST, 1024, false, true },
	{ "x86_64:struct_page=40", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  40, ST, 1024, false, true },
	{ "x86_64:struct_page=256", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  256, ST, 1024, false, true },
	{ "x86_64:hvo=keep2", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  64, HVO_VARIANT_KEEP2, 1024, false, true },
	{ "x86_64:hvo=off", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  64, HVO_VARIANT_OFF, 1024, false, true },
	{ "x86_64:hvo=fakehead", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  64, HVO_VARIANT_FAKEHEAD, 1024, false, true },
	{ "x86_64:hvo=sharedtail", X86, 12, 48, 4, 1, { { X86_RAM, GB(8) } },
	  64, HVO_VARIANT_SHAREDTAIL, 1024, false, true },
	{ "x86_64:tlb=65536,tlbcheck=yes,bbmcheck=0", X86, 12, 48, 4, 1,
	  { { X86_RAM, GB(8) } },
	  64, ST, 65536, true, false },
	/* A preset, then more keys. */
	{ "arm64-16k-48:mem=1G", ARM, 14, 48, 4, 1, { { ARM_RAM, GB(1) } },
	  64, ST, 1024, false, true },
	{ "x86_64-5l:hvo=off", X86, 12, 57, 5, 1, { { X86_RAM, GB(8) } },
	  64, HVO_VARIANT_OFF, 1024, false, true },
	{ "riscv64-sv57:struct_page=56,tlb=16,tlbcheck=on,bbmcheck=off", RV,
	  12, 57, 5, 1, { { RV_RAM, GB(8) } },
	  56, ST, 16, true, false },
	/* 52-bit VA: with 64K on any release, with 4K and 16K from 6.9. */
	{ "arm64:granule=64K,va=52,kernel=6.1", ARM, 16, 52, 3, 1,
	  { { ARM_RAM, GB(8) } }, 64, ST, 1024, false, true },
	{ "arm64:va=52,kernel=6.9", ARM, 12, 52, 5, 1,
	  { { ARM_RAM, GB(8) } }, 64, ST, 1024, false, true },
	{ "arm64:granule=16K,va=52,kernel=6.12", ARM, 14, 52, 4, 1,
	  { { ARM_RAM, GB(8) } }, 64, ST, 1024, false, true },
};

static void
test_valid_specs(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		struct hvo_config cfg;
		char err[512] = "";
		bool ok;
		int rc = hvo_config_parse(&cfg, c->spec, err, sizeof(err));

		if (rc) {
			print_error("'%s' refused: %s\n", c->spec, err);
			failed++;
			continue;
		}
		ok = cfg.arch == c->arch && cfg.page_shift == c->page_shift &&
		     cfg.va_bits == c->va_bits && cfg.levels == c->levels &&
		     cfg.nr_mem_ranges == c->nr &&
		     cfg.struct_page_size == c->struct_page &&
		     cfg.hvo == c->hvo && cfg.tlb_entries == c->tlb &&
		     cfg.tlb_check == c->tlb_check &&
		     cfg.bbm_check == c->bbm_check;
		for (unsigned r = 0; ok && r < c->nr; r++)
			ok = cfg.mem[r].base == c->mem[r].base &&
			     cfg.mem[r].size == c->mem[r].size;
		if (!ok) {
			char got[SPEC_MAX];

			hvo_config_format(&cfg, got, sizeof(got));
			print_error("'%s' parsed as '%s'\n", c->spec, got);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * The longest spec is 511 characters; one more is refused. Leading zeros
 * pad a value without changing it.
 */
static void
make_spec_of_length(char *buf, size_t len)
{
	static const char head[] = "x86_64:struct_page=";
	size_t zeros = len - (sizeof(head) - 1) - 2;

	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, '0', zeros);
	memcpy(buf + len - 2, "64", 3);
}

static void
test_spec_length(void **state)
{
	char spec[SPEC_MAX + 8], err[512] = "";
	struct hvo_config cfg;

	(void)state;
	make_spec_of_length(spec, SPEC_MAX - 1);
	assert_int_equal(strlen(spec), SPEC_MAX - 1);
	parse_ok(spec, &cfg);
	assert_int_equal(cfg.struct_page_size, 64);

	make_spec_of_length(spec, SPEC_MAX);
	assert_int_equal(strlen(spec), SPEC_MAX);
	assert_int_equal(hvo_config_parse(&cfg, spec, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "511"));
}

/* ---------------------------------------------------------------------- */
/* Format, then parse                                                     */
/* ---------------------------------------------------------------------- */

static void
roundtrip_one(const char *spec, unsigned *failed)
{
	struct hvo_config a, b;
	char fa[SPEC_MAX], fb[SPEC_MAX], err[512] = "";
	int rc;

	rc = hvo_config_parse(&a, spec, err, sizeof(err));
	if (rc) {
		print_error("'%s' refused: %s\n", spec, err);
		(*failed)++;
		return;
	}
	rc = hvo_config_format(&a, fa, sizeof(fa));
	if (rc) {
		print_error("'%s': format failed (%d)\n", spec, rc);
		(*failed)++;
		return;
	}
	rc = hvo_config_parse(&b, fa, err, sizeof(err));
	if (rc) {
		print_error("'%s' formats as '%s', which is refused: %s\n",
			    spec, fa, err);
		(*failed)++;
		return;
	}
	if (!config_equal(&a, &b)) {
		print_error("'%s' formats as '%s', which parses differently\n",
			    spec, fa);
		(*failed)++;
		return;
	}
	/* The canonical form is a fixed point. */
	assert_int_equal(hvo_config_format(&b, fb, sizeof(fb)), 0);
	if (strcmp(fa, fb) != 0) {
		print_error("'%s': '%s' then '%s'\n", spec, fa, fb);
		(*failed)++;
	}
}

static void
test_format_roundtrip(void **state)
{
	static const char *const extra[] = {
		"x86_64:levels=5,mem=3G@0+5G@4G,struct_page=80,hvo=keep2",
		"arm64:granule=64K,va=48,mem=1G+1G@8G,tlb=16,tlbcheck=on",
		"arm64:granule=16K,va=52,struct_page=128,hvo=fakehead",
		"riscv64:va=39,mem=0x2000000+96M,bbmcheck=off,hvo=off",
		"x86_64:mem=12345M@0x100000000+0x3000@0x800000000",
		"arm64-4k-39:struct_page=256,mem=2G",
		"riscv64-sv48:deferred=off",
		"x86_64:deferred=on,tlb=32768",
		"arm64:kpti=off",
		"arm64-16k-48:kpti=on,kernel=6.1",
		"arm64:granule=64K,kpti=no",
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < hvo_preset_count(); i++)
		roundtrip_one(hvo_preset_name(i), &failed);
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++)
		roundtrip_one(valid_cases[i].spec, &failed);
	for (size_t i = 0; i < ARRAY_SIZE(extra); i++)
		roundtrip_one(extra[i], &failed);
	assert_int_equal(failed, 0);
}

/* Every parameter is spelled out, so the text alone rebuilds the machine. */
static void
test_format_spells_everything(void **state)
{
	static const char *const keys[] = {
		"mem=", "kernel=", "struct_page=", "tlb=", "tlbcheck=",
		"bbmcheck=",
	};
	struct hvo_config cfg;
	char buf[SPEC_MAX];

	(void)state;
	parse_ok("arm64", &cfg);
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), 0);
	assert_true(strncmp(buf, "arm64:", 6) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strstr(buf, keys[i]))
			print_error("'%s' lacks %s\n", buf, keys[i]);
		assert_non_null(strstr(buf, keys[i]));
	}
	assert_non_null(strstr(buf, "granule="));
	assert_non_null(strstr(buf, "va="));

	/* Bad arguments and short buffers. */
	assert_int_equal(hvo_config_format(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_config_format(&cfg, NULL, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_config_format(&cfg, buf, 0), -EINVAL);
	assert_int_equal(hvo_config_format(&cfg, buf, 10), -ENOSPC);
	cfg.arch = (enum hvo_arch_id)99;
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), -EINVAL);
	/* A granule no spec gives is refused, not shifted by (UBSan). */
	parse_ok("arm64", &cfg);
	cfg.page_shift = 40;
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), -EINVAL);
}

/*
 * A configuration straight from hvo_config_init(), or built by hand, is as
 * good as a parsed one (hvo_machine_new() validates it): its text must name
 * the same machine, even before hvo_config_validate() has derived the level
 * count.
 */
static void
test_format_unvalidated(void **state)
{
	static const struct {
		enum hvo_arch_id arch;
		unsigned va_bits;
	} cases[] = {
		{ X86, 48 }, { X86, 57 },
		{ ARM, 48 }, { ARM, 39 },
		{ RV, 48 }, { RV, 57 },
	};
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hvo_config raw, want, got;
		char buf[SPEC_MAX], err[512] = "";
		int rc;

		assert_int_equal(hvo_config_init(&raw, cases[i].arch), 0);
		raw.va_bits = cases[i].va_bits;
		want = raw;
		assert_int_equal(hvo_config_validate(&want, err, sizeof(err)),
				 0);
		assert_int_equal(hvo_config_format(&raw, buf, sizeof(buf)), 0);
		rc = hvo_config_parse(&got, buf, err, sizeof(err));
		if (rc) {
			print_error("%s va_bits %u, not validated, formats as '%s', refused: %s\n",
				    hvo_arch_name(cases[i].arch),
				    cases[i].va_bits, buf, err);
			failed++;
			continue;
		}
		if (!config_equal(&got, &want)) {
			print_error("%s va_bits %u, not validated, formats as '%s': va_bits %u levels %u\n",
				    hvo_arch_name(cases[i].arch),
				    cases[i].va_bits, buf, got.va_bits,
				    got.levels);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* ---------------------------------------------------------------------- */
/* Specs that must be refused                                             */
/* ---------------------------------------------------------------------- */

struct invalid_case {
	const char *spec;
	const char *needle; /* the reason must contain this */
};

static char long_spec[SPEC_MAX + 1];

static const struct invalid_case invalid_cases[] = {
	/* The shape of the text. */
	{ "", "empty" },
	{ NULL, "spec" },
	{ long_spec, "511" },
	{ "sparc64", "sparc64" },
	{ "X86_64", "X86_64" },
	{ ":levels=4", "''" },
	{ "=", "'='" },
	{ "x86_64:", "x86_64:" },
	{ "x86_64:foo=1", "foo" },
	{ "x86_64:levels", "levels" },
	{ "x86_64:levels=", "levels" },
	{ "x86_64:=4", "=4" },
	{ "x86_64:levels=4,", "levels=4," },
	{ "x86_64:levels=4,,mem=1G", ",," },
	{ "x86_64:,levels=4", ",levels=4" },
	{ "x86_64:levels=4,levels=5", "levels" },
	{ "x86_64:mem=1G,mem=2G", "mem" },
	{ "x86_64:levels=4:mem=1G", "4:mem=1G" },
	/* Arch keys. */
	{ "x86_64:levels=3", "levels=3" },
	{ "x86_64:levels=x", "levels=x" },
	{ "x86_64-4l:levels=6", "levels=6" },
	{ "x86_64:va=48", "va" },
	{ "x86_64:granule=4K", "granule" },
	{ "arm64:granule=8K", "granule=8K" },
	{ "arm64:va=40", "va=40" },
	{ "arm64:va=abc", "va=abc" },
	{ "arm64:granule=4K,va=47", "va=47" },
	{ "arm64:granule=64K,va=39", "va=39" },
	{ "arm64:granule=16K,va=39", "va=39" },
	{ "arm64:levels=4", "levels" },
	{ "riscv64:va=40", "va=40" },
	{ "riscv64:levels=3", "levels" },
	/* kpti= is arm64's, on or off. */
	{ "arm64:kpti=maybe", "kpti=maybe" },
	{ "arm64:kpti=", "kpti" },
	{ "arm64:kpti=on,kpti=off", "kpti" },
	{ "x86_64:kpti=on", "kpti=on" },
	{ "riscv64:kpti=off", "kpti=off" },
	/*
	 * 52-bit VA with 4K or 16K pages is LPA2, from 6.9: 6.1 offers it
	 * with 64K only (L6.1 arch/arm64/Kconfig:1352-1354).
	 */
	{ "arm64:va=52,kernel=6.1", "LPA2" },
	{ "arm64-16k-52:kernel=6.8", "LPA2" },
	{ "arm64-4k-52:kernel=6.1.15", "kernel=6.9" },
	/* Common keys. */
	{ "x86_64:struct_page=36", "struct_page=36" },
	{ "x86_64:struct_page=260", "struct_page=260" },
	{ "x86_64:struct_page=65", "struct_page=65" },
	{ "x86_64:struct_page=abc", "struct_page=abc" },
	{ "x86_64:struct_page=-64", "struct_page=-64" },
	{ "x86_64:hvo=bogus", "hvo=bogus" },
	{ "x86_64:hvo=KEEP2", "hvo=KEEP2" },
	{ "x86_64:tlb=100", "tlb=100" },
	{ "x86_64:tlb=8", "tlb=8" },
	{ "x86_64:tlb=131072", "tlb=131072" },
	{ "x86_64:tlbcheck=maybe", "tlbcheck=maybe" },
	{ "x86_64:bbmcheck=2", "bbmcheck=2" },
	/* Memory. */
	{ "x86_64:mem=0", "mem=0" },
	{ "x86_64:mem=abc", "abc" },
	{ "x86_64:mem=8X", "8X" },
	{ "x86_64:mem=1G@", "mem=1G@" },
	{ "x86_64:mem=1G@zz", "zz" },
	{ "x86_64:mem=1G+", "mem=1G+" },
	{ "x86_64:mem=+1G", "mem=+1G" },
	{ "x86_64:mem=1G++1G", "mem=1G++1G" },
	{ "x86_64:mem=16M", "16 MiB" },
	{ "x86_64:mem=16M@0+32M@1G", "kernel image" },
	{ "x86_64:mem=1G@0x1001", "0x1001" },
	{ "x86_64:mem=1G@0+1001", "0x3e9" },
	{ "arm64:granule=64K,mem=1G@0x40001000", "0x40001000" },
	{ "x86_64:mem=2G@0+2G@1G", "range 1" },
	{ "x86_64:mem=1G@4G+1G@0", "range 1" },
	{ "x86_64:mem=1G@0+1G@1G+1G@1G", "range 2" },
	{ "x86_64:mem=64M@0+64M@128M+64M@256M+64M@384M+64M@512M+64M@640M"
	  "+64M@768M+64M@896M+64M@1G", "8 ranges" },
	{ "x86_64:mem=1G@0xffffffffc0000000", "overflows" },
	/* An explicit base is an address, never "the default". */
	{ "x86_64:mem=1G@0xffffffffffffffff", "0xffffffffffffffff" },
	{ "x86_64:mem=1G@0x18446744073709551616", "0x18446744073709551616" },
	/* RAM above what the arch addresses, or above libhvo's 4P. */
	{ "x86_64:mem=1G@0+1G@64T", "above the limit" },
	{ "x86_64:levels=5,mem=1G@0+1G@4P", "above the limit" },
	{ "arm64-64k-52:mem=1G@0x40000000+1G@4P", "above the limit" },
	{ "riscv64:mem=1G+1G@4P", "above the limit" },
	{ "x86_64:mem=65T", "above the limit" },
	/* struct pages that do not fit the vmemmap region. */
	{ "x86_64:struct_page=256,mem=1G@0+1G@16T", "vmemmap" },
	{ "arm64-4k-39:mem=1G+1G@300G", "vmemmap" },
};

static void
test_invalid_specs(void **state)
{
	unsigned failed = 0;

	(void)state;
	make_spec_of_length(long_spec, SPEC_MAX);
	assert_true(ARRAY_SIZE(invalid_cases) >= 30);
	for (size_t i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		const char *shown = c->spec ? c->spec : "(NULL)";
		struct hvo_config out, before;
		char err[1024] = "";
		int rc;

		if (c->spec == long_spec)
			shown = "(512 characters)";
		memset(&out, 0xa5, sizeof(out));
		before = out;
		rc = hvo_config_parse(&out, c->spec, err, sizeof(err));
		if (rc != -EINVAL) {
			char got[SPEC_MAX] = "";

			if (rc == 0)
				hvo_config_format(&out, got, sizeof(got));
			print_error("'%s': rc %d, want -EINVAL%s%s\n", shown,
				    rc, rc ? "" : "; accepted as ", got);
			failed++;
			continue;
		}
		if (memcmp(&out, &before, sizeof(out)) != 0) {
			print_error("'%s': output changed on failure\n", shown);
			failed++;
		}
		if (!*err || !strstr(err, c->needle)) {
			print_error("'%s': reason '%s' does not name '%s'\n",
				    shown, err, c->needle);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* No output struct, no error buffer, a tiny error buffer. */
static void
test_null_arguments(void **state)
{
	struct hvo_config cfg;
	char err[64];

	(void)state;
	err[0] = '\0';
	assert_int_equal(hvo_config_parse(NULL, "x86_64", err, sizeof(err)),
			 -EINVAL);
	assert_true(strlen(err) > 0);

	err[0] = '\0';
	assert_int_equal(hvo_config_parse(&cfg, NULL, err, sizeof(err)),
			 -EINVAL);
	assert_true(strlen(err) > 0);

	/* The reason is optional. */
	assert_int_equal(hvo_config_parse(&cfg, "bogus", NULL, 0), -EINVAL);
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:levels=9", NULL, 100),
			 -EINVAL);
	assert_int_equal(hvo_config_parse(&cfg, "x86_64", NULL, 0), 0);

	/* A zero-length buffer is not written; a short one is terminated. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(hvo_config_parse(&cfg, "bogus", err, 0), -EINVAL);
	assert_int_equal(err[0], 'x');
	memset(err, 'x', sizeof(err));
	assert_int_equal(hvo_config_parse(&cfg, "bogus", err, 8), -EINVAL);
	assert_true(strlen(err) == 7);
	assert_int_equal(err[8], 'x');

	err[0] = '\0';
	assert_int_equal(hvo_config_validate(NULL, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
}

/* ---------------------------------------------------------------------- */
/* Sizes: hvo_parse_size()                                                */
/* ---------------------------------------------------------------------- */

struct size_case {
	const char *text;
	int rc;         /* 0, -EINVAL or -ERANGE */
	uint64_t value; /* when rc is 0 */
};

/*
 * Run a table of sizes. A refused size must leave the output alone: it is
 * preset to a pattern no case produces.
 */
static void
check_sizes(const struct size_case *cases, size_t n)
{
	static const uint64_t poison = UINT64_C(0xa5a5a5a5a5a5a5a5);
	unsigned failed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct size_case *c = &cases[i];
		uint64_t v = poison;
		int rc = hvo_parse_size(c->text, &v);
		uint64_t want = c->rc ? poison : c->value;

		if (rc != c->rc || v != want) {
			print_error("'%s': rc %d value 0x%" PRIx64 ", want rc %d value 0x%" PRIx64 "\n",
				    c->text, rc, v, c->rc, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * The number of memparse() (lib/cmdline.c) is simple_strtoull() with base
 * 0: decimal, 0x or 0X hex, octal after a leading 0.
 */
static void
test_parse_size_bases(void **state)
{
	static const struct size_case cases[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "4096", 0, 4096 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "0x10", 0, 16 },
		{ "0X10", 0, 16 },
		{ "0xAbCdEf", 0, 0xabcdef },
		{ "0x0", 0, 0 },
		{ "0xffffffffffffffff", 0, UINT64_MAX },
		{ "0x000000000000000000000001", 0, 1 },
		{ "010", 0, 8 },
		{ "0777", 0, 511 },
		{ "00", 0, 0 },
		{ "01777777777777777777777", 0, UINT64_MAX },
		/* In hex, E is a digit, never the exa suffix. */
		{ "0x1E", 0, 30 },
		{ "0x1e", 0, 30 },
		/* "0x" needs a hex digit after it, else it is 0 and an 'x'. */
		{ "0x", -EINVAL, 0 },
		{ "0xg", -EINVAL, 0 },
		{ "0xK", -EINVAL, 0 },
		/* An octal number has no 8 or 9. */
		{ "08", -EINVAL, 0 },
		{ "019", -EINVAL, 0 },
	};

	(void)state;
	check_sizes(cases, ARRAY_SIZE(cases));
}

/* memparse()'s suffixes: K, M, G, T, P, E, either case, powers of 1024. */
static void
test_parse_size_suffixes(void **state)
{
	static const struct size_case cases[] = {
		{ "1K", 0, UINT64_C(1) << 10 },
		{ "1k", 0, UINT64_C(1) << 10 },
		{ "2M", 0, UINT64_C(2) << 20 },
		{ "2m", 0, UINT64_C(2) << 20 },
		{ "3G", 0, UINT64_C(3) << 30 },
		{ "3g", 0, UINT64_C(3) << 30 },
		{ "4T", 0, UINT64_C(4) << 40 },
		{ "4t", 0, UINT64_C(4) << 40 },
		{ "5P", 0, UINT64_C(5) << 50 },
		{ "5p", 0, UINT64_C(5) << 50 },
		{ "15E", 0, UINT64_C(15) << 60 },
		{ "15e", 0, UINT64_C(15) << 60 },
		{ "0K", 0, 0 },
		/* A suffix applies to a hex or octal number too. */
		{ "0x10M", 0, UINT64_C(16) << 20 },
		{ "0x2M", 0, UINT64_C(2) << 20 },
		{ "0x1EK", 0, UINT64_C(30) << 10 },
		{ "010K", 0, UINT64_C(8) << 10 },
		{ "17179869183G", 0, UINT64_C(17179869183) << 30 },
	};

	(void)state;
	check_sizes(cases, ARRAY_SIZE(cases));
}

/*
 * What memparse() would read in part or wrap is refused whole: -EINVAL for
 * text that is not a size, -ERANGE for a size past 64 bits.
 */
static void
test_parse_size_refused(void **state)
{
	static const struct size_case cases[] = {
		{ "", -EINVAL, 0 },
		{ "K", -EINVAL, 0 },
		{ "M1", -EINVAL, 0 },
		{ "2Q", -EINVAL, 0 },
		{ "=1", -EINVAL, 0 },
		{ "1KB", -EINVAL, 0 },
		{ "1KK", -EINVAL, 0 },
		{ "1kib", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+1", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1 K", -EINVAL, 0 },
		{ "1\n", -EINVAL, 0 },
		{ "abc", -EINVAL, 0 },
		/* Malformed wins over too large. */
		{ "99999999999999999999Q", -EINVAL, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "99999999999999999999999999", -ERANGE, 0 },
		{ "0x10000000000000000", -ERANGE, 0 },
		{ "02000000000000000000000", -ERANGE, 0 },
		{ "16E", -ERANGE, 0 },
		{ "16384P", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
		{ "0x40000000000000K", -ERANGE, 0 },
		{ "18446744073709551615K", -ERANGE, 0 },
	};

	(void)state;
	check_sizes(cases, ARRAY_SIZE(cases));
}

static void
test_parse_size_null(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(hvo_parse_size(NULL, &v), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(hvo_parse_size("2M", NULL), -EINVAL);
	assert_int_equal(hvo_parse_size(NULL, NULL), -EINVAL);
}

/* Every size of a spec is read by hvo_parse_size(): memparse()'s grammar. */
static void
test_spec_sizes(void **state)
{
	struct hvo_config cfg;
	char err[512] = "";

	(void)state;
	parse_ok("x86_64:mem=0x40000000", &cfg);
	assert_int_equal(cfg.mem[0].size, GB(1));
	parse_ok("x86_64:mem=1g", &cfg);
	assert_int_equal(cfg.mem[0].size, GB(1));
	parse_ok("x86_64:mem=0x400M", &cfg);
	assert_int_equal(cfg.mem[0].size, GB(1));
	/* A leading 0 is octal, as in the kernel's mem=. */
	parse_ok("x86_64:mem=010G", &cfg);
	assert_int_equal(cfg.mem[0].size, GB(8));
	parse_ok("x86_64:mem=1G@0+1G@04G", &cfg);
	assert_int_equal(cfg.mem[1].base, GB(4));
	parse_ok("x86_64:mem=4G,hugepages=0x200000:4;1g:1", &cfg);
	assert_int_equal(cfg.nr_boot_hugepages, 2);
	assert_int_equal(cfg.boot_hugepages[0].size, MB(2));
	assert_int_equal(cfg.boot_hugepages[1].size, GB(1));

	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=08G", err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "08G"));
	assert_int_equal(hvo_config_parse(&cfg, "x86_64:mem=16E", err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "16E"));
}

/* ---------------------------------------------------------------------- */
/* Configurations built by hand                                           */
/* ---------------------------------------------------------------------- */

enum bad_field {
	BAD_ARCH,
	BAD_PAGE_SHIFT,
	BAD_VA_BITS,
	BAD_STRUCT_PAGE,
	BAD_HVO,
	BAD_TLB,
	BAD_NR_RANGES,
	BAD_MEM_ALIGN,
	BAD_MEM_EMPTY,
	BAD_NR_HUGEPAGES,
	BAD_KPTI,
};

struct bad_config {
	enum hvo_arch_id arch;
	enum bad_field field;
	unsigned value;
	const char *needle;
};

static const struct bad_config bad_configs[] = {
	{ X86, BAD_ARCH, 99, "99" },
	{ X86, BAD_PAGE_SHIFT, 13, "page" },
	{ ARM, BAD_PAGE_SHIFT, 13, "page" },
	{ RV, BAD_PAGE_SHIFT, 13, "page" },
	{ ARM, BAD_PAGE_SHIFT, 0, "page" },
	{ X86, BAD_VA_BITS, 40, "40" },
	{ ARM, BAD_VA_BITS, 40, "40" },
	{ RV, BAD_VA_BITS, 40, "40" },
	{ X86, BAD_STRUCT_PAGE, 36, "struct_page" },
	{ ARM, BAD_STRUCT_PAGE, 0, "struct_page" },
	{ RV, BAD_STRUCT_PAGE, 100, "struct_page" },
	{ X86, BAD_HVO, 7, "hvo" },
	{ X86, BAD_TLB, 100, "tlb" },
	{ X86, BAD_TLB, 0, "tlb" },
	{ X86, BAD_NR_RANGES, 9, "mem" },
	{ X86, BAD_MEM_ALIGN, 0x1001, "mem" },
	{ ARM, BAD_MEM_EMPTY, 0, "mem" },
	/* More sizes than the array holds, each of them good (ASan). */
	{ X86, BAD_NR_HUGEPAGES, HVO_MAX_MEM_RANGES + 1, "hugepages" },
	{ X86, BAD_NR_HUGEPAGES, UINT32_MAX, "hugepages" },
	/* KPTI is an arm64 switch: elsewhere only the default. */
	{ ARM, BAD_KPTI, 3, "kpti" },
	{ X86, BAD_KPTI, HVO_SWITCH_ON, "kpti" },
	{ RV, BAD_KPTI, HVO_SWITCH_OFF, "kpti" },
};

static void
build_bad(const struct bad_config *b, struct hvo_config *cfg)
{
	assert_int_equal(hvo_config_init(cfg, b->arch), 0);
	switch (b->field) {
	case BAD_ARCH:
		cfg->arch = (enum hvo_arch_id)b->value;
		break;
	case BAD_PAGE_SHIFT:
		cfg->page_shift = b->value;
		break;
	case BAD_VA_BITS:
		cfg->va_bits = b->value;
		break;
	case BAD_STRUCT_PAGE:
		cfg->struct_page_size = b->value;
		break;
	case BAD_HVO:
		cfg->hvo = (enum hvo_variant)b->value;
		break;
	case BAD_TLB:
		cfg->tlb_entries = b->value;
		break;
	case BAD_NR_RANGES:
		cfg->nr_mem_ranges = b->value;
		for (unsigned i = 0; i < HVO_MAX_MEM_RANGES; i++) {
			cfg->mem[i].base = GB(i);
			cfg->mem[i].size = MB(512);
		}
		break;
	case BAD_MEM_ALIGN:
		cfg->nr_mem_ranges = 1;
		cfg->mem[0].base = b->value;
		cfg->mem[0].size = GB(1);
		break;
	case BAD_MEM_EMPTY:
		cfg->nr_mem_ranges = 2;
		cfg->mem[0].base = ARM_RAM;
		cfg->mem[0].size = GB(1);
		cfg->mem[1].base = GB(4);
		cfg->mem[1].size = 0;
		break;
	case BAD_NR_HUGEPAGES:
		cfg->nr_boot_hugepages = b->value;
		for (unsigned i = 0; i < HVO_MAX_MEM_RANGES; i++) {
			cfg->boot_hugepages[i].size = MB(2);
			cfg->boot_hugepages[i].nr = 1;
		}
		break;
	case BAD_KPTI:
		cfg->kpti = (enum hvo_switch)b->value;
		break;
	}
}

static void
test_validate_by_hand(void **state)
{
	unsigned failed = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		const struct bad_config *b = &bad_configs[i];
		struct hvo_config cfg;
		char err[512] = "";
		int rc;

		build_bad(b, &cfg);
		rc = hvo_config_validate(&cfg, err, sizeof(err));
		if (rc != -EINVAL || !*err || !strstr(err, b->needle)) {
			print_error("bad config %zu (field %d = %u): rc %d, reason '%s', want -EINVAL naming '%s'\n",
				    i, (int)b->field, b->value, rc, err,
				    b->needle);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * kpti= on arm64, as the kernel's own kpti= (parse_kpti(),
 * arch/arm64/kernel/cpufeature.c): on and off (with the spec's other
 * words for them) set the switch, which the canonical form spells out
 * only when given; a configuration that sets it by hand on another arch
 * has no spec.
 */
static void
test_kpti_key(void **state)
{
	static const struct {
		const char *spec;
		enum hvo_switch kpti;
		const char *formatted; /* in the canonical form, or NULL */
	} cases[] = {
		{ "arm64", HVO_SWITCH_BUILD, NULL },
		{ "arm64:kpti=on", HVO_SWITCH_ON, "granule=4K,va=48,kpti=on," },
		{ "arm64:kpti=1", HVO_SWITCH_ON, "kpti=on," },
		{ "arm64:kpti=off", HVO_SWITCH_OFF, "kpti=off," },
		{ "arm64:kpti=no", HVO_SWITCH_OFF, "kpti=off," },
		{ "arm64-64k-42:kpti=0", HVO_SWITCH_OFF,
		  "granule=64K,va=42,kpti=off," },
	};
	struct hvo_config cfg;
	char buf[SPEC_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		parse_ok(cases[i].spec, &cfg);
		assert_int_equal(cfg.kpti, cases[i].kpti);
		assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), 0);
		if (cases[i].formatted)
			assert_non_null(strstr(buf, cases[i].formatted));
		else
			assert_null(strstr(buf, "kpti"));
	}
	assert_int_equal(hvo_config_init(&cfg, X86), 0);
	cfg.kpti = HVO_SWITCH_OFF;
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_config_init(&cfg, RV), 0);
	cfg.kpti = HVO_SWITCH_ON;
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(hvo_config_init(&cfg, ARM), 0);
	cfg.kpti = (enum hvo_switch)3;
	assert_int_equal(hvo_config_format(&cfg, buf, sizeof(buf)), -EINVAL);
}

/*
 * hvo_machine_new() validates again: a bad configuration gives -EINVAL, a
 * reason, no machine, and (checked by LeakSanitizer at exit) no leak.
 */
static void
test_machine_new_refuses(void **state)
{
	struct hvo_machine *m = (struct hvo_machine *)&m;
	char err[512] = "";
	unsigned failed = 0;

	(void)state;
	assert_int_equal(hvo_machine_new(NULL, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_true(strlen(err) > 0);

	{
		struct hvo_config cfg;

		assert_int_equal(hvo_config_init(&cfg, X86), 0);
		err[0] = '\0';
		assert_int_equal(hvo_machine_new(&cfg, NULL, err, sizeof(err)),
				 -EINVAL);
		assert_true(strlen(err) > 0);
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad_configs); i++) {
		const struct bad_config *b = &bad_configs[i];
		struct hvo_config cfg;
		int rc;

		build_bad(b, &cfg);
		m = (struct hvo_machine *)&m;
		err[0] = '\0';
		rc = hvo_machine_new(&cfg, &m, err, sizeof(err));
		if (rc != -EINVAL || m != NULL || !strstr(err, b->needle)) {
			print_error("machine from bad config %zu (field %d = %u): rc %d, reason '%s'\n",
				    i, (int)b->field, b->value, rc, err);
			failed++;
			if (rc == 0)
				hvo_machine_free(m);
		}
	}
	assert_int_equal(failed, 0);
}

/*
 * The string helpers of lib/base at their edges, as sysfs/sysctl writes
 * reach them: no string or no result is -EINVAL (parse_small_uint():
 * -1), "0X" is hex as "0x", and kstrtobool() takes "on"/"off" in any case
 * but nothing else after 'o'.
 */
static void
test_util_parse_edges(void **state)
{
	uint64_t v = 7;
	bool b = false;

	(void)state;
	assert_int_equal(parse_small_uint(NULL, 10), -1);
	assert_int_equal(parse_small_uint("", 10), -1);
	assert_int_equal(parse_small_uint("9", 10), 9);
	assert_int_equal(parse_u64(NULL, &v), -EINVAL);
	assert_int_equal(parse_u64("1", NULL), -EINVAL);
	assert_int_equal(v, 7);
	assert_int_equal(parse_u64("0X1f", &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(parse_u64("0x1F", &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(kstrtobool("ON", &b), 0);
	assert_true(b);
	assert_int_equal(kstrtobool("oF", &b), 0);
	assert_false(b);
	assert_int_equal(kstrtobool("on", &b), 0);
	assert_true(b);
	assert_int_equal(kstrtobool("off", &b), 0);
	assert_false(b);
	assert_int_equal(kstrtobool("ox", &b), -EINVAL);
	assert_int_equal(kstrtobool(NULL, &b), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util_parse_edges),
		cmocka_unit_test(test_presets_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_arch_defaults),
		cmocka_unit_test(test_valid_specs),
		cmocka_unit_test(test_spec_length),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_format_spells_everything),
		cmocka_unit_test(test_format_unvalidated),
		cmocka_unit_test(test_invalid_specs),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_parse_size_bases),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_size_refused),
		cmocka_unit_test(test_parse_size_null),
		cmocka_unit_test(test_spec_sizes),
		cmocka_unit_test(test_validate_by_hand),
		cmocka_unit_test(test_kpti_key),
		cmocka_unit_test(test_machine_new_refuses),
	};

	return tu_run("config", tests, ARRAY_SIZE(tests));
}
