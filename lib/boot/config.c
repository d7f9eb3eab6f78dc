/* SPDX-License-Identifier: MIT */
/*
 * Machine configuration: defaults, the text form "ARCH[:key=value,...]",
 * validation and the named presets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "base/util.h"
#include "release/release.h"

#define SPEC_MAX 512
#define MEM_MIN (UINT64_C(32) << 20)
/*
 * The largest MAX_PHYSMEM_BITS of the modeled arches' kernels (x86_64 with
 * 5-level paging, arm64 with 52-bit PAs): 4 PiB. The host reserves address
 * space, not memory, in proportion to RAM, and caps the part that grows
 * with it (lib/phys), so RAM up to here fits a 47-bit host user space.
 */
#define MEM_MAX_END (UINT64_C(1) << 52)

static const struct {
	const char *name;
	const char *spec;
} presets[] = {
	{ "x86_64-4l", "x86_64:levels=4" },
	{ "x86_64-5l", "x86_64:levels=5" },
	{ "arm64-4k-39", "arm64:granule=4K,va=39" },
	{ "arm64-4k-48", "arm64:granule=4K,va=48" },
	{ "arm64-4k-52", "arm64:granule=4K,va=52" },
	{ "arm64-16k-47", "arm64:granule=16K,va=47" },
	{ "arm64-16k-48", "arm64:granule=16K,va=48" },
	{ "arm64-16k-52", "arm64:granule=16K,va=52" },
	{ "arm64-64k-42", "arm64:granule=64K,va=42" },
	{ "arm64-64k-48", "arm64:granule=64K,va=48" },
	{ "arm64-64k-52", "arm64:granule=64K,va=52" },
	{ "riscv64-sv39", "riscv64:va=39" },
	{ "riscv64-sv48", "riscv64:va=48" },
	{ "riscv64-sv57", "riscv64:va=57" },
};

static const char *const variant_names[] = {
	[HVO_VARIANT_OFF] = "off",
	[HVO_VARIANT_KEEP2] = "keep2",
	[HVO_VARIANT_FAKEHEAD] = "fakehead",
	[HVO_VARIANT_SHAREDTAIL] = "sharedtail",
};

static const char common_keys_help[] =
	"mem=SIZE[@BASE][+SIZE[@BASE]...], struct_page=40..256 (a multiple of 8), "
	"hvo=off|keep2|fakehead|sharedtail, tlb=16..65536 (a power of two), "
	"tlbcheck=on|off, bbmcheck=on|off, deferred=on|off, pcp=on|off, "
	"checkpages=on|off, hugepages=SIZE:N[;SIZE:N...], kernel=RELEASE (e.g. 6.1, 6.12.117+deb12-amd64), "
	"hvo_default=on|off, init_on_alloc=0|1, init_on_free=0|1";

HVO_EXPORT const char *
hvo_arch_name(enum hvo_arch_id arch)
{
	const struct arch_family *f = arch_family_by_id(arch);

	return f ? f->name : NULL;
}

HVO_EXPORT const char *
hvo_variant_name(enum hvo_variant v)
{
	if ((unsigned)v >= ARRAY_SIZE(variant_names))
		return NULL;
	return variant_names[v];
}

HVO_EXPORT const char *
hvo_kernel_newest(void)
{
	return RELEASE_NEWEST;
}

HVO_EXPORT size_t
hvo_preset_count(void)
{
	return ARRAY_SIZE(presets);
}

HVO_EXPORT const char *
hvo_preset_name(size_t i)
{
	return i < ARRAY_SIZE(presets) ? presets[i].name : NULL;
}

HVO_EXPORT const char *
hvo_preset_spec(size_t i)
{
	return i < ARRAY_SIZE(presets) ? presets[i].spec : NULL;
}

HVO_EXPORT int
hvo_config_init(struct hvo_config *cfg, enum hvo_arch_id arch)
{
	const struct arch_family *f = arch_family_by_id(arch);

	if (!cfg || !f)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->arch = arch;
	f->defaults(cfg);
	cfg->struct_page_size = 64;
	cfg->hvo = HVO_VARIANT_RELEASE;
	cfg->tlb_entries = 1024;
	cfg->tlb_check = false;
	cfg->bbm_check = true;
	cfg->deferred_init = true;
	cfg->pcp = true;
	/* kpti= as the modelled CPU has it (arm64; other arches have none). */
	cfg->kpti = HVO_SWITCH_BUILD;
	return 0;
}

/* A key parser's answer: 1 (handled) unless it failed. */
static int
handled(int rc)
{
	return rc ? rc : 1;
}

static int
parse_bool(const char *key, const char *val, bool *out, char *err,
	   size_t errlen)
{
	if (strcmp(val, "on") == 0 || strcmp(val, "1") == 0 ||
	    strcmp(val, "yes") == 0)
		*out = true;
	else if (strcmp(val, "off") == 0 || strcmp(val, "0") == 0 ||
		 strcmp(val, "no") == 0)
		*out = false;
	else
		return errf(err, errlen, -EINVAL,
			    "%s=%s: allowed values are on and off", key, val);
	return 0;
}

/* A boot switch given in the spec: on or off, no longer the build's. */
static int
parse_switch(const char *key, const char *val, enum hvo_switch *out,
	     char *err, size_t errlen)
{
	bool b;
	int rc = parse_bool(key, val, &b, err, errlen);

	if (!rc)
		*out = b ? HVO_SWITCH_ON : HVO_SWITCH_OFF;
	return rc;
}

/*
 * mem=SIZE[@BASE][+SIZE[@BASE]...]. A range without a base starts where the
 * previous one ends; the first, at the arch's usual start of RAM.
 */
static int
parse_mem(struct hvo_config *cfg, const char *val, char *err, size_t errlen)
{
	const struct arch_family *f = arch_family_by_id(cfg->arch);
	char buf[SPEC_MAX], *save = NULL, *item;
	unsigned n = 0;
	uint64_t next = f->default_ram_base;

	if (strlen(val) >= sizeof(buf) || !*val || val[0] == '+' ||
	    val[strlen(val) - 1] == '+' || strstr(val, "++"))
		return errf(err, errlen, -EINVAL,
			    "mem=%s: expected SIZE[@BASE][+SIZE[@BASE]...], e.g. mem=8G or mem=3G@0+5G@4G",
			    val);
	strcpy(buf, val);
	for (item = strtok_r(buf, "+", &save); item;
	     item = strtok_r(NULL, "+", &save)) {
		char *at = strchr(item, '@');
		uint64_t size, base = next;

		if (n == HVO_MAX_MEM_RANGES)
			return errf(err, errlen, -EINVAL,
				    "mem=%s: at most %d ranges", val,
				    HVO_MAX_MEM_RANGES);
		if (at)
			*at = '\0';
		if (hvo_parse_size(item, &size) || size == 0)
			return errf(err, errlen, -EINVAL,
				    "mem=%s: '%s' is not a size (a number with an optional K, M, G, T, P or E)",
				    val, item);
		if (at && hvo_parse_size(at + 1, &base))
			return errf(err, errlen, -EINVAL,
				    "mem=%s: '%s' is not an address", val, at + 1);
		if (base + size < base)
			return errf(err, errlen, -EINVAL,
				    "mem=%s: range %u overflows", val, n);
		cfg->mem[n].base = base;
		cfg->mem[n].size = size;
		next = base + size;
		n++;
	}
	cfg->nr_mem_ranges = n;
	return 0;
}

/* hugepages=SIZE:N[;SIZE:N...], as hugepagesz= and hugepages= at boot. */
static int
parse_hugepages(struct hvo_config *cfg, const char *val, char *err,
		size_t errlen)
{
	char buf[SPEC_MAX], *save = NULL, *item;
	unsigned n = 0;

	if (strlen(val) >= sizeof(buf) || !*val || val[strlen(val) - 1] == ';' ||
	    val[0] == ';' || strstr(val, ";;"))
		return errf(err, errlen, -EINVAL,
			    "hugepages=%s: expected SIZE:N[;SIZE:N...], e.g. hugepages=1G:2;2M:512",
			    val);
	strcpy(buf, val);
	for (item = strtok_r(buf, ";", &save); item;
	     item = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(item, ':');
		uint64_t size, nr;

		if (n == HVO_MAX_MEM_RANGES)
			return errf(err, errlen, -EINVAL,
				    "hugepages=%s: at most %d sizes", val,
				    HVO_MAX_MEM_RANGES);
		if (!colon)
			return errf(err, errlen, -EINVAL,
				    "hugepages=%s: '%s' has no ':N' count", val, item);
		*colon = '\0';
		if (hvo_parse_size(item, &size) || !is_pow2(size))
			return errf(err, errlen, -EINVAL,
				    "hugepages=%s: '%s' is not a hugepage size", val, item);
		if (parse_u64(colon + 1, &nr))
			return errf(err, errlen, -EINVAL,
				    "hugepages=%s: '%s' is not a count", val, colon + 1);
		for (unsigned i = 0; i < n; i++)
			if (cfg->boot_hugepages[i].size == size)
				return errf(err, errlen, -EINVAL,
					    "hugepages=%s: size %s is given twice", val, item);
		cfg->boot_hugepages[n].size = size;
		cfg->boot_hugepages[n].nr = nr;
		n++;
	}
	cfg->nr_boot_hugepages = n;
	return 0;
}

static int
parse_common_key(struct hvo_config *cfg, const char *key, const char *val,
		 char *err, size_t errlen)
{
	int v;

	if (strcmp(key, "mem") == 0)
		return handled(parse_mem(cfg, val, err, errlen));
	if (strcmp(key, "struct_page") == 0) {
		v = parse_small_uint(val, 100000);
		if (v < 40 || v > 256 || v % 8)
			return errf(err, errlen, -EINVAL,
				    "struct_page=%s: allowed are 40..256 bytes, a multiple of 8",
				    val);
		cfg->struct_page_size = (unsigned)v;
		return 1;
	}
	if (strcmp(key, "hvo") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(variant_names); i++) {
			if (strcmp(val, variant_names[i]) == 0) {
				cfg->hvo = (enum hvo_variant)i;
				return 1;
			}
		}
		return errf(err, errlen, -EINVAL,
			    "hvo=%s: allowed values are off, keep2, fakehead and sharedtail",
			    val);
	}
	if (strcmp(key, "kernel") == 0) {
		struct kernel_release r;
		int rc = release_parse(val, &r, err, errlen);

		if (rc)
			return rc;
		strcpy(cfg->kernel, val);
		return 1;
	}
	if (strcmp(key, "hvo_default") == 0)
		return handled(parse_switch(key, val, &cfg->hvo_default,
					    err, errlen));
	if (strcmp(key, "init_on_alloc") == 0)
		return handled(parse_switch(key, val, &cfg->init_on_alloc,
					    err, errlen));
	if (strcmp(key, "init_on_free") == 0)
		return handled(parse_switch(key, val, &cfg->init_on_free,
					    err, errlen));
	if (strcmp(key, "tlb") == 0) {
		v = parse_small_uint(val, 1 << 20);
		if (v < 16 || v > 65536 || !is_pow2((uint64_t)v))
			return errf(err, errlen, -EINVAL,
				    "tlb=%s: allowed are powers of two from 16 to 65536",
				    val);
		cfg->tlb_entries = (unsigned)v;
		return 1;
	}
	if (strcmp(key, "tlbcheck") == 0)
		return handled(parse_bool(key, val, &cfg->tlb_check, err, errlen));
	if (strcmp(key, "bbmcheck") == 0)
		return handled(parse_bool(key, val, &cfg->bbm_check, err, errlen));
	if (strcmp(key, "checkpages") == 0)
		return handled(parse_bool(key, val, &cfg->check_pages, err, errlen));
	if (strcmp(key, "hugepages") == 0)
		return handled(parse_hugepages(cfg, val, err, errlen));
	if (strcmp(key, "pcp") == 0)
		return handled(parse_bool(key, val, &cfg->pcp, err, errlen));
	if (strcmp(key, "deferred") == 0)
		return handled(parse_bool(key, val, &cfg->deferred_init, err,
					  errlen));
	return 0;
}

/* Resolve the ARCH part: an arch name, or a preset parsed first. */
static int
parse_head(struct hvo_config *cfg, const char *head, char *err, size_t errlen)
{
	const struct arch_family *f = arch_family_by_name(head);

	if (f)
		return hvo_config_init(cfg, f->id);
	for (size_t i = 0; i < ARRAY_SIZE(presets); i++)
		if (strcmp(head, presets[i].name) == 0)
			return hvo_config_parse(cfg, presets[i].spec, err,
						errlen);

	char names[SPEC_MAX] = "";

	for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
		strncat(names, i ? ", " : "", sizeof(names) - strlen(names) - 1);
		strncat(names, presets[i].name,
			sizeof(names) - strlen(names) - 1);
	}
	return errf(err, errlen, -EINVAL,
		    "unknown arch '%s': allowed are x86_64, arm64, riscv64, or a preset (%s)",
		    head, names);
}

HVO_EXPORT int
hvo_config_parse(struct hvo_config *out, const char *spec, char *err,
		 size_t errlen)
{
	char buf[SPEC_MAX], seen[SPEC_MAX] = ",";
	char *colon, *item, *save = NULL;
	struct hvo_config cfg;
	const struct arch_family *f;
	int rc;

	if (!out)
		return errf_null(err, errlen, __func__, "cfg");
	if (!spec)
		return errf(err, errlen, -EINVAL,
			    "hvo_config_parse(): spec must not be NULL: give ARCH[:key=value,...], e.g. x86_64:mem=8G");
	if (!*spec)
		return errf(err, errlen, -EINVAL,
			    "empty spec: expected ARCH[:key=value,...], e.g. x86_64:levels=5,mem=8G");
	if (strlen(spec) >= sizeof(buf))
		return errf(err, errlen, -EINVAL,
			    "spec is longer than %d characters", SPEC_MAX - 1);
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	rc = parse_head(&cfg, buf, err, errlen);
	if (rc)
		return rc;
	f = arch_family_by_id(cfg.arch);
	if (colon) {
		char *rest = colon + 1;
		size_t len = strlen(rest);

		if (len == 0 || rest[0] == ',' || rest[len - 1] == ',' ||
		    strstr(rest, ",,"))
			return errf(err, errlen, -EINVAL,
				    "'%s': empty key=value item", spec);
		for (item = strtok_r(rest, ",", &save); item;
		     item = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(item, '=');
			char mark[80];

			if (!eq || eq == item || !eq[1])
				return errf(err, errlen, -EINVAL,
					    "'%s': expected key=value (allowed keys: %s, %s)",
					    item, f->keys_help,
					    common_keys_help);
			*eq = '\0';
			snprintf(mark, sizeof(mark), ",%s,", item);
			if (strstr(seen, mark))
				return errf(err, errlen, -EINVAL,
					    "key '%s' is given twice", item);
			strncat(seen, mark + 1,
				sizeof(seen) - strlen(seen) - 1);
			rc = f->parse_key(&cfg, item, eq + 1, err, errlen);
			if (rc == 0)
				rc = parse_common_key(&cfg, item, eq + 1, err,
						      errlen);
			if (rc < 0)
				return rc;
			if (rc == 0)
				return errf(err, errlen, -EINVAL,
					    "unknown key '%s' for %s: allowed keys are %s, %s",
					    item, f->name, f->keys_help,
					    common_keys_help);
		}
	}
	rc = hvo_config_validate(&cfg, err, errlen);
	if (rc)
		return rc;
	*out = cfg;
	return 0;
}

/* No mem= at all: 8G at the arch's usual start of RAM. */
static void
resolve_mem(struct hvo_config *cfg, const struct hvo_arch *a)
{
	if (cfg->nr_mem_ranges == 0) {
		cfg->nr_mem_ranges = 1;
		cfg->mem[0].base = a->default_ram_base;
		cfg->mem[0].size = UINT64_C(8) << 30;
	}
}

HVO_EXPORT int
hvo_config_validate(struct hvo_config *cfg, char *err, size_t errlen)
{
	const struct arch_family *f;
	struct kernel_release release;
	struct hvo_arch a;
	uint64_t total = 0, end, memstart, kbase;
	bool kernel_fits = false;
	size_t nonzero;
	int rc;

	if (!cfg)
		return errf_null(err, errlen, __func__, "cfg");
	nonzero = reserved_first_set(cfg->reserved, ARRAY_SIZE(cfg->reserved));
	if (nonzero < ARRAY_SIZE(cfg->reserved))
		return errf(err, errlen, -EINVAL,
			    "reserved[%zu]: must be 0 (start from hvo_config_init(); doc/ABI.md)",
			    nonzero);
	f = arch_family_by_id(cfg->arch);
	if (!f)
		return errf(err, errlen, -EINVAL,
			    "arch %d: allowed are x86_64 (0), arm64 (1), riscv64 (2)",
			    (int)cfg->arch);
	if (!memchr(cfg->kernel, '\0', sizeof(cfg->kernel)))
		return errf(err, errlen, -EINVAL,
			    "kernel: the release string is not terminated within %d bytes",
			    HVO_KERNEL_LEN);
	rc = release_parse(cfg->kernel, &release, err, errlen);
	if (rc)
		return rc;
	/* The release first: which geometries exist depends on it. */
	rc = f->validate(cfg, &release, err, errlen);
	if (rc)
		return rc;
	if (cfg->struct_page_size < 40 || cfg->struct_page_size > 256 ||
	    cfg->struct_page_size % 8)
		return errf(err, errlen, -EINVAL,
			    "struct_page=%u: allowed are 40..256 bytes, a multiple of 8",
			    cfg->struct_page_size);
	if (cfg->hvo != HVO_VARIANT_RELEASE && !hvo_variant_name(cfg->hvo))
		return errf(err, errlen, -EINVAL,
			    "hvo=%d: allowed values are off, keep2, fakehead and sharedtail (or HVO_VARIANT_RELEASE)",
			    (int)cfg->hvo);
	if (!memchr(cfg->cmdline, '\0', sizeof(cfg->cmdline)))
		return errf(err, errlen, -EINVAL,
			    "cmdline: the command line is not terminated within %d bytes",
			    HVO_CMDLINE_LEN);
	/*
	 * An override runs the variant on a release that has the HVO code,
	 * also for an arch that release does not build it for (the what-if
	 * of the arm64 series in flight); before 5.14 there is no code.
	 */
	if (cfg->hvo != HVO_VARIANT_RELEASE && cfg->hvo != HVO_VARIANT_OFF &&
	    !release_get(&release, RP_HVO_ARCHES))
		return errf(err, errlen, -EINVAL,
			    "hvo=%s: Linux %s predates HVO (5.14), so it cannot run a variant: use hvo=off or kernel=5.14 or later",
			    hvo_variant_name(cfg->hvo), release.name);
	if ((unsigned)cfg->hvo_default > HVO_SWITCH_ON ||
	    (unsigned)cfg->init_on_alloc > HVO_SWITCH_ON ||
	    (unsigned)cfg->init_on_free > HVO_SWITCH_ON)
		return errf(err, errlen, -EINVAL,
			    "hvo_default, init_on_alloc, init_on_free: allowed are HVO_SWITCH_BUILD, HVO_SWITCH_OFF and HVO_SWITCH_ON");
	if (cfg->tlb_entries < 16 || cfg->tlb_entries > 65536 ||
	    !is_pow2(cfg->tlb_entries))
		return errf(err, errlen, -EINVAL,
			    "tlb=%u: allowed are powers of two from 16 to 65536",
			    cfg->tlb_entries);
	if (cfg->nr_mem_ranges > HVO_MAX_MEM_RANGES)
		return errf(err, errlen, -EINVAL,
			    "mem: nr_mem_ranges %u: allowed are at most %d ranges",
			    cfg->nr_mem_ranges, HVO_MAX_MEM_RANGES);
	if (cfg->nr_boot_hugepages > HVO_MAX_MEM_RANGES)
		return errf(err, errlen, -EINVAL,
			    "hugepages: nr_boot_hugepages %u: allowed are at most %d sizes",
			    cfg->nr_boot_hugepages, HVO_MAX_MEM_RANGES);

	arch_init(&a, cfg, &release);
	resolve_mem(cfg, &a);
	for (unsigned i = 0; i < cfg->nr_mem_ranges; i++) {
		const struct hvo_mem_range *r = &cfg->mem[i];

		if ((r->base | r->size) & (a.page_size - 1))
			return errf(err, errlen, -EINVAL,
				    "mem: range %u (0x%" PRIx64 "+0x%" PRIx64 ") is not aligned to the %" PRIu64 "K page",
				    i, r->base, r->size, a.page_size >> 10);
		if (r->size == 0 || r->base + r->size < r->base)
			return errf(err, errlen, -EINVAL,
				    "mem: range %u is empty or overflows", i);
		if (i && r->base < cfg->mem[i - 1].base + cfg->mem[i - 1].size)
			return errf(err, errlen, -EINVAL,
				    "mem: range %u (at 0x%" PRIx64 ") overlaps or precedes range %u: list ranges in ascending order",
				    i, r->base, i - 1);
		total += r->size;
	}
	end = cfg->mem[cfg->nr_mem_ranges - 1].base +
	      cfg->mem[cfg->nr_mem_ranges - 1].size;
	if (total < MEM_MIN)
		return errf(err, errlen, -EINVAL,
			    "mem: %" PRIu64 " MiB of RAM is too little: at least %" PRIu64 " MiB",
			    total >> 20, MEM_MIN >> 20);
	kbase = arch_ram_start(cfg->mem[0].base) + a.kernel_offset;
	for (unsigned i = 0; i < cfg->nr_mem_ranges && !kernel_fits; i++)
		kernel_fits = cfg->mem[i].base <= kbase &&
			      kbase + KERNEL_IMAGE_SIZE <=
			      cfg->mem[i].base + cfg->mem[i].size;
	if (!kernel_fits)
		return errf(err, errlen, -EINVAL,
			    "mem: no range holds the kernel image at 0x%" PRIx64 "-0x%" PRIx64,
			    kbase, kbase + KERNEL_IMAGE_SIZE - 1);
	if (end > MEM_MAX_END || end > (UINT64_C(1) << a.max_physmem_bits))
		return errf(err, errlen, -EINVAL,
			    "mem: RAM ends at 0x%" PRIx64 ", above the limit 0x%" PRIx64 " (MAX_PHYSMEM_BITS %u, libhvo at most 4P)",
			    end,
			    MEM_MAX_END < (UINT64_C(1) << a.max_physmem_bits) ?
			    MEM_MAX_END : UINT64_C(1) << a.max_physmem_bits,
			    a.max_physmem_bits);
	for (unsigned i = 0; i < cfg->nr_boot_hugepages; i++) {
		bool ok = false;
		char sizes[128] = "";

		for (unsigned k = 0; k < a.nr_hugetlb_sizes; k++) {
			size_t used = strlen(sizes);

			ok |= a.hugetlb_size[k] == cfg->boot_hugepages[i].size;
			snprintf(sizes + used, sizeof(sizes) - used, "%s%" PRIu64 "K",
				 k ? ", " : "", a.hugetlb_size[k] >> 10);
		}
		if (!ok)
			return errf(err, errlen, -EINVAL,
				    "hugepages: %" PRIu64 "K is not a hugepage size of this machine: allowed are %s",
				    cfg->boot_hugepages[i].size >> 10, sizes);
		/* The kernel's command line: what does not fit is a warning. */
		if (!cfg->boot_hugepages_partial &&
		    cfg->boot_hugepages[i].nr > total / cfg->boot_hugepages[i].size)
			return errf(err, errlen, -EINVAL,
				    "hugepages: %" PRIu64 " x %" PRIu64 "K is more than the machine's RAM",
				    cfg->boot_hugepages[i].nr,
				    cfg->boot_hugepages[i].size >> 10);
	}
	if (cfg->default_hugepagesz) {
		bool ok = false;

		for (unsigned k = 0; k < a.nr_hugetlb_sizes; k++)
			ok |= a.hugetlb_size[k] == cfg->default_hugepagesz;
		if (!ok)
			return errf(err, errlen, -EINVAL,
				    "default_hugepagesz: %" PRIu64 "K is not a hugepage size of this machine",
				    cfg->default_hugepagesz >> 10);
	}
	memstart = a.memstart_align ? round_down64(cfg->mem[0].base,
						   a.memstart_align) : 0;
	if (((end - memstart) >> a.page_shift) * cfg->struct_page_size >
	    a.vmemmap_size)
		return errf(err, errlen, -EINVAL,
			    "mem: the struct pages of RAM up to 0x%" PRIx64 " do not fit the %" PRIu64 " GiB vmemmap region",
			    end, a.vmemmap_size >> 30);
	return 0;
}

/* "8G" when exact, else hex bytes. */
static void
format_size(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--) {
		unsigned shift = 10 * (unsigned)(i + 1);

		if (v && !(v & ((UINT64_C(1) << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "0x%" PRIx64, v);
}

/* Append ",KEY=VALUE" for a switch the spec set. */
static void
format_switch(char *buf, size_t len, const char *key, enum hvo_switch v,
	      const char *on, const char *off)
{
	size_t used = strlen(buf);

	if (v != HVO_SWITCH_BUILD)
		snprintf(buf + used, len - used, ",%s=%s", key,
			 v == HVO_SWITCH_ON ? on : off);
}

HVO_EXPORT int
hvo_config_format(const struct hvo_config *cfg, char *buf, size_t len)
{
	const struct arch_family *f;
	char archkeys[128], mem[SPEC_MAX] = "", sz[32], hp[SPEC_MAX] = "";
	char variant[32] = "", switches[96] = "";
	int n, rc;

	if (!cfg || !buf || !len)
		return -EINVAL;
	f = arch_family_by_id(cfg->arch);
	if (!f || (cfg->hvo != HVO_VARIANT_RELEASE && !hvo_variant_name(cfg->hvo)) ||
	    !memchr(cfg->kernel, '\0', sizeof(cfg->kernel)))
		return -EINVAL;
	/* The variant is spelled out only where it overrides the release's. */
	if (cfg->hvo != HVO_VARIANT_RELEASE)
		snprintf(variant, sizeof(variant), ",hvo=%s", hvo_variant_name(cfg->hvo));
	format_switch(switches, sizeof(switches), "hvo_default", cfg->hvo_default, "on", "off");
	format_switch(switches, sizeof(switches), "init_on_alloc", cfg->init_on_alloc, "1", "0");
	format_switch(switches, sizeof(switches), "init_on_free", cfg->init_on_free, "1", "0");
	rc = f->format(cfg, archkeys, sizeof(archkeys));
	if (rc)
		return rc;
	for (unsigned i = 0; i < cfg->nr_mem_ranges && i < HVO_MAX_MEM_RANGES; i++) {
		size_t used = strlen(mem);

		format_size(cfg->mem[i].size, sz, sizeof(sz));
		snprintf(mem + used, sizeof(mem) - used, "%s%s@0x%" PRIx64,
			 i ? "+" : "", sz, cfg->mem[i].base);
	}
	for (unsigned i = 0; i < cfg->nr_boot_hugepages && i < HVO_MAX_MEM_RANGES; i++) {
		size_t used = strlen(hp);

		format_size(cfg->boot_hugepages[i].size, sz, sizeof(sz));
		snprintf(hp + used, sizeof(hp) - used, "%s%s:%" PRIu64,
			 i ? ";" : "", sz, cfg->boot_hugepages[i].nr);
	}
	n = snprintf(buf, len,
		     "%s:%s%s%s,kernel=%s,struct_page=%u%s,tlb=%u,tlbcheck=%s,bbmcheck=%s,deferred=%s,pcp=%s,checkpages=%s%s%s%s",
		     f->name, archkeys, *mem ? ",mem=" : "", mem,
		     *cfg->kernel ? cfg->kernel : RELEASE_NEWEST,
		     cfg->struct_page_size, variant,
		     cfg->tlb_entries, cfg->tlb_check ? "on" : "off",
		     cfg->bbm_check ? "on" : "off",
		     cfg->deferred_init ? "on" : "off",
		     cfg->pcp ? "on" : "off",
		     cfg->check_pages ? "on" : "off",
		     switches, *hp ? ",hugepages=" : "", hp);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
