/* SPDX-License-Identifier: MIT */
/*
 * The machine-spec parser, fuzzed: the input is a spec
 * ("ARCH[:key=value,...]", up to its first NUL byte).
 *
 * What must hold:
 * - hvo_config_parse() returns 0 or -EINVAL; a refusal has a reason,
 *   fits the caller's buffer whatever its size, and leaves the output
 *   untouched;
 * - a spec that parses validates again unchanged, and its canonical form
 *   (hvo_config_format()) parses to the same configuration and formats
 *   to the same text; a buffer too small for it is refused with -ENOSPC;
 * - a machine with at most FUZZ_MAX_MEM of RAM boots or is refused with a
 *   reason, and one that boots passes hvo_machine_check(), has the RAM
 *   its spec says, the configuration it was built from, and frames whose
 *   categories add up to its RAM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "fuzz.h"

/* Larger machines are parsed but not booted, so that a run stays fast. */
#define FUZZ_MAX_MEM (UINT64_C(1) << 30)
/* Longer inputs are refused by the parser anyway (it takes 511 bytes). */
#define SPEC_INPUT_MAX 2048

static bool
cfg_equal(const struct hvo_config *a, const struct hvo_config *b)
{
	if (a->arch != b->arch || a->page_shift != b->page_shift ||
	    a->va_bits != b->va_bits || a->levels != b->levels ||
	    a->nr_mem_ranges != b->nr_mem_ranges ||
	    a->struct_page_size != b->struct_page_size || a->hvo != b->hvo ||
	    a->tlb_entries != b->tlb_entries || a->tlb_check != b->tlb_check ||
	    a->bbm_check != b->bbm_check ||
	    a->deferred_init != b->deferred_init || a->pcp != b->pcp ||
	    a->check_pages != b->check_pages ||
	    a->nr_boot_hugepages != b->nr_boot_hugepages)
		return false;
	for (unsigned i = 0; i < a->nr_mem_ranges && i < HVO_MAX_MEM_RANGES; i++)
		if (a->mem[i].base != b->mem[i].base ||
		    a->mem[i].size != b->mem[i].size)
			return false;
	for (unsigned i = 0; i < a->nr_boot_hugepages &&
			     i < HVO_MAX_MEM_RANGES; i++)
		if (a->boot_hugepages[i].size != b->boot_hugepages[i].size ||
		    a->boot_hugepages[i].nr != b->boot_hugepages[i].nr)
			return false;
	return true;
}

static void
check_refusal(const char *spec, int rc, const char *err)
{
	struct hvo_config cfg;
	char small[8];

	if (rc != -EINVAL)
		fuzz_fail("spec '%s': parse returned %d, expected 0 or -EINVAL",
			  spec, rc);
	if (!err[0])
		fuzz_fail("spec '%s': refused without a reason", spec);
	/* The same refusal without a buffer, and into a small one. */
	if (hvo_config_parse(&cfg, spec, NULL, 0) != rc)
		fuzz_fail("spec '%s': parse without an error buffer returned another code",
			  spec);
	memset(small, 'x', sizeof(small));
	if (hvo_config_parse(&cfg, spec, small, sizeof(small)) != rc ||
	    !memchr(small, '\0', sizeof(small)))
		fuzz_fail("spec '%s': the reason overflows an 8-byte buffer", spec);
}

static void
check_machine(const char *spec, const struct hvo_config *cfg,
	      const char *canon)
{
	struct hvo_machine *m = NULL;
	struct hvo_geometry g;
	char err[512] = "", text[4096];
	uint64_t mem = 0, sum = 0;
	int rc;

	for (unsigned i = 0; i < cfg->nr_mem_ranges; i++)
		mem += cfg->mem[i].size;
	if (mem > FUZZ_MAX_MEM)
		return;
	rc = hvo_machine_new(cfg, &m, err, sizeof(err));
	if (rc) {
		if (rc != -EINVAL && rc != -ENOMEM)
			fuzz_fail("spec '%s': boot returned %d", spec, rc);
		if (!err[0])
			fuzz_fail("spec '%s': boot refused without a reason", spec);
		return;
	}
	if (hvo_machine_check(m))
		fuzz_fail("spec '%s': the machine fails its check after boot: %s",
			  spec, hvo_machine_error(m));
	if (hvo_machine_geometry(m, &g))
		fuzz_fail("spec '%s': no geometry: %s", spec, hvo_machine_error(m));
	if (g.mem_bytes != mem ||
	    hvo_machine_total_pages(m) != mem >> g.page_shift)
		fuzz_fail("spec '%s': the machine has 0x%" PRIx64 " bytes (%" PRIu64 " pages) of RAM, its spec 0x%" PRIx64,
			  spec, g.mem_bytes, hvo_machine_total_pages(m), mem);
	for (int c = 0; c < HVO_PAGES__COUNT; c++) {
		uint64_t n;

		if (hvo_machine_pages(m, (enum hvo_page_category)c, &n))
			fuzz_fail("spec '%s': no count of category %d", spec, c);
		sum += n;
	}
	if (sum != hvo_machine_total_pages(m))
		fuzz_fail("spec '%s': the categories add up to %" PRIu64 " pages of %" PRIu64,
			  spec, sum, hvo_machine_total_pages(m));
	if (hvo_config_format(hvo_machine_config(m), text, sizeof(text)) ||
	    strcmp(text, canon))
		fuzz_fail("spec '%s': the machine says it was built from '%s', not '%s'",
			  spec, text, canon);
	hvo_machine_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvo_config cfg, cfg2, untouched, copy;
	char spec[SPEC_INPUT_MAX + 1], err[512], text[4096], text2[4096];
	size_t len;
	int rc;

	if (size > SPEC_INPUT_MAX)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';

	memset(&cfg, 0xa5, sizeof(cfg));
	untouched = cfg;
	err[0] = '\0';
	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (rc) {
		if (memcmp(&cfg, &untouched, sizeof(cfg)))
			fuzz_fail("spec '%s': a refused parse changed its output",
				  spec);
		check_refusal(spec, rc, err);
		return 0;
	}

	copy = cfg;
	if (hvo_config_validate(&copy, err, sizeof(err)) ||
	    !cfg_equal(&copy, &cfg))
		fuzz_fail("spec '%s': its configuration does not validate unchanged: %s",
			  spec, err);
	rc = hvo_config_format(&cfg, text, sizeof(text));
	if (rc)
		fuzz_fail("spec '%s': format returned %d", spec, rc);
	len = strlen(text);
	if (hvo_config_parse(&cfg2, text, err, sizeof(err)))
		fuzz_fail("spec '%s': its canonical form '%s' does not parse: %s",
			  spec, text, err);
	if (!cfg_equal(&cfg, &cfg2))
		fuzz_fail("spec '%s': its canonical form '%s' parses to another configuration",
			  spec, text);
	if (hvo_config_format(&cfg2, text2, sizeof(text2)) || strcmp(text, text2))
		fuzz_fail("spec '%s': the canonical form '%s' formats again as '%s'",
			  spec, text, text2);
	/* Exactly the room the text and its NUL need, and one byte less. */
	if (hvo_config_format(&cfg, text2, len + 1) || strcmp(text, text2))
		fuzz_fail("spec '%s': format into %zu bytes fails", spec, len + 1);
	if (hvo_config_format(&cfg, text2, len) != -ENOSPC ||
	    hvo_config_format(&cfg, text2, 1) != -ENOSPC ||
	    hvo_config_format(&cfg, text2, 0) != -EINVAL)
		fuzz_fail("spec '%s': format into a short buffer is not refused",
			  spec);
	check_machine(spec, &cfg, text);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Random specs for replay --random                                       */
/* ---------------------------------------------------------------------- */

static const char *const heads[] = {
	"x86_64", "arm64", "riscv64", "x86_64-5l", "arm64-4k-39",
	"arm64-16k-47", "arm64-64k-42", "arm64-64k-52", "riscv64-sv57",
	"vax", "",
};

/* Each key with values it takes, and some it refuses. */
static const struct {
	const char *key;
	const char *values[8];
} keys[] = {
	{ "levels", { "4", "5", "6" } },
	{ "granule", { "4K", "16K", "64K", "8K" } },
	{ "va", { "39", "42", "47", "48", "52", "57", "36", "40" } },
	{ "mem", { NULL } },
	{ "struct_page", { "64", "56", "72", "80", "128", "256", "36", "65" } },
	{ "hvo", { "off", "keep2", "fakehead", "sharedtail", "on" } },
	{ "tlb", { "16", "1024", "65536", "100", "8" } },
	{ "tlbcheck", { "on", "off", "yes", "0", "2" } },
	{ "bbmcheck", { "on", "off", "1", "no" } },
	{ "deferred", { "on", "off" } },
	{ "pcp", { "on", "off", "maybe" } },
	{ "checkpages", { "on", "off" } },
	{ "hugepages", { NULL } },
	{ "bogus", { "1" } },
};

static const char *const sizes[] = {
	"32M", "33M", "48M", "64M", "96M", "128M", "256M", "512M", "1G",
	"0x2000000", "4K", "2M", "1G", "0", "18E",
};

static const char *const pools[] = {
	"2M:4", "1G:1", "32M:2", "512M:1", "64K:8", "2M:99999", "3M:1", "2M:",
};

static size_t
append(char *buf, size_t len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (len + n >= cap)
		return len;
	memcpy(buf + len, s, n + 1);
	return len + n;
}

#define PICK(rng, a) (a[fuzz_below(rng, sizeof(a) / sizeof(a[0]))])

size_t
fuzz_generate(uint64_t *rng, uint8_t *out, size_t cap)
{
	char buf[1024], num[64];
	size_t len = 0;
	unsigned nkeys = (unsigned)fuzz_below(rng, 5);

	if (cap > sizeof(buf))
		cap = sizeof(buf);
	buf[0] = '\0';
	len = append(buf, len, cap, PICK(rng, heads));
	for (unsigned k = 0; k < nkeys; k++) {
		unsigned ki = (unsigned)fuzz_below(rng, sizeof(keys) / sizeof(keys[0]));
		const char *key;

		/* Most specs get a small RAM first, so that they boot. */
		if (k == 0 && fuzz_below(rng, 4))
			ki = 3;
		key = keys[ki].key;
		len = append(buf, len, cap, k ? "," : ":");
		len = append(buf, len, cap, key);
		len = append(buf, len, cap, "=");
		if (!strcmp(key, "mem")) {
			unsigned ranges = 1 + (unsigned)fuzz_below(rng, 3);

			for (unsigned r = 0; r < ranges; r++) {
				len = append(buf, len, cap, r ? "+" : "");
				len = append(buf, len, cap, PICK(rng, sizes));
				if (fuzz_below(rng, 2)) {
					snprintf(num, sizeof(num), "@0x%" PRIx64,
						 fuzz_below(rng, 64) << 25);
					len = append(buf, len, cap, num);
				}
			}
		} else if (!strcmp(key, "hugepages")) {
			len = append(buf, len, cap, PICK(rng, pools));
			if (fuzz_below(rng, 3) == 0) {
				len = append(buf, len, cap, ";");
				len = append(buf, len, cap, PICK(rng, pools));
			}
		} else {
			unsigned n = 0;

			while (n < 8 && keys[ki].values[n])
				n++;
			len = append(buf, len, cap,
				     keys[ki].values[fuzz_below(rng, n)]);
		}
	}
	/* Now and then a byte changed, to reach the parser's edges. */
	if (len && fuzz_below(rng, 4) == 0)
		buf[fuzz_below(rng, len)] = (char)(1 + fuzz_below(rng, 127));
	memcpy(out, buf, len);
	return len;
}
