/* SPDX-License-Identifier: MIT */
/*
 * libhvo against real kernels: what Debian's 6.12.118 and 6.1.192 amd64
 * kernels printed in QEMU guests of 4 and 6 GiB (tests/data/guest/,
 * captured with tools/guest-capture.sh; README there), beside what the
 * same machine in libhvo prints.
 *
 * The guests' RAM is QEMU's pc layout, which the spec spells out range by
 * range: 632K from 4K (the BIOS keeps page 0 and 0x9f000-0xfffff), RAM
 * from 1M to 0xbffe0000, and the rest above 4G.
 *
 * Pinned exactly: the field names of /proc/meminfo, /proc/zoneinfo,
 * /proc/vmstat, /proc/pagetypeinfo and /proc/buddyinfo, line by line in
 * their order (every number replaced by N: the kernel's own allocations,
 * slab and page cache, which the machine has not, change the values);
 * min_free_kbytes and lowmem_reserve_ratio; each zone's start_pfn,
 * spanned and present pages, ZONE_DMA's managed pages and the empty
 * ZONE_MOVABLE's watermarks. What is not
 * pinned, and why, is in the README beside the captures.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "procfs.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *data_dir;

struct guest {
	const char *file;    /* under tests/data/guest/ */
	const char *spec;
};

#define QEMU_PC(high) "x86_64:mem=632K@4K+3144576K@1M+" high "@4G"

static const struct guest guests[] = {
	{ "debian-6.12.118-4G.txt", QEMU_PC("1G") ",kernel=6.12.118+deb12-amd64" },
	{ "debian-6.12.118-6G.txt", QEMU_PC("3G") ",kernel=6.12.118+deb12-amd64" },
	{ "debian-6.1.192-4G.txt", QEMU_PC("1G") ",kernel=6.1.0-57-amd64" },
	{ "debian-6.1.192-6G.txt", QEMU_PC("3G") ",kernel=6.1.0-57-amd64" },
};

/* The whole capture, read once per test. */
static char *
slurp(const char *name)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * The body of section "=== @step @file" of a capture: a copy, or NULL.
 * guest-capture.sh prints a header line before each file's text.
 */
static char *
section(const char *cap, const char *step, const char *file)
{
	char head[256];
	const char *p, *end;
	char *out;

	snprintf(head, sizeof(head), "=== %s %s\n", step, file);
	p = strstr(cap, head);
	if (!p)
		return NULL;
	p += strlen(head);
	end = strstr(p, "\n=== ");
	if (!end)
		end = p + strlen(p);
	else
		end++;
	out = strndup(p, (size_t)(end - p));
	assert_non_null(out);
	return out;
}

/*
 * The line's skeleton: each number, with the blanks before it, becomes
 * " N", so "MemFree:   3982828 kB" and "MemFree:  0 kB" agree.
 */
static void
skeleton(const char *line, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 3 < outlen;) {
		size_t j = i;

		while (j < len && line[j] == ' ')
			j++;
		if (j < len && (line[j] == '-' || (line[j] >= '0' && line[j] <= '9')) &&
		    (line[j] != '-' || (j + 1 < len && line[j + 1] >= '0' &&
					line[j + 1] <= '9'))) {
			j++;
			while (j < len && line[j] >= '0' && line[j] <= '9')
				j++;
			out[o++] = ' ';
			out[o++] = 'N';
			i = j;
			continue;
		}
		out[o++] = line[i++];
	}
	out[o] = '\0';
}

/* Compare two texts line by line by skeleton; say the first difference. */
static void
assert_same_fields(const char *what, const char *real, const char *sim)
{
	unsigned line = 1;

	for (;;) {
		const char *re = strchr(real, '\n'), *se = strchr(sim, '\n');
		size_t rl = re ? (size_t)(re - real) : strlen(real);
		size_t sl = se ? (size_t)(se - sim) : strlen(sim);
		char a[512], b[512];

		skeleton(real, rl, a, sizeof(a));
		skeleton(sim, sl, b, sizeof(b));
		if (strcmp(a, b))
			fail_msg("%s line %u: the kernel printed \"%s\", libhvo \"%s\"",
				 what, line, a, b);
		if (!re || !se) {
			if ((re && re[1]) || (se && se[1]))
				fail_msg("%s: one text ends at line %u, the other does not",
					 what, line);
			return;
		}
		real = re + 1;
		sim = se + 1;
		line++;
	}
}

typedef void (*printer)(FILE *f, const struct hvo_machine *m);

static char *
print_to_string(printer p, const struct hvo_machine *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	p(f, m);
	fclose(f);
	return buf;
}

static void
zoneinfo_nl(FILE *f, const struct hvo_machine *m)
{
	/* cat adds nothing: the file ends with a newline of its own */
	procfs_zoneinfo(f, m);
	fputc('\n', f);
}

static void
buddyinfo(FILE *f, const struct hvo_machine *m)
{
	procfs_buddyinfo(f, m, "", PROCFS_KERNEL);
}

/*
 * The field names of every /proc file, in order, as the real kernels
 * print them: meminfo_proc_show(), zoneinfo_show_print() with the
 * release's vmstat_text, vmstat_show() (nr_unstable last), pagetypeinfo
 * and frag_show().
 */
static void
test_proc_files_have_the_kernels_fields(void **state)
{
	static const struct {
		const char *file;
		printer print;
	} files[] = {
		{ "/proc/meminfo", procfs_meminfo },
		{ "/proc/zoneinfo", zoneinfo_nl },
		{ "/proc/vmstat", procfs_vmstat },
		{ "/proc/pagetypeinfo", procfs_pagetypeinfo },
		{ "/proc/buddyinfo", buddyinfo },
	};

	(void)state;
	for (size_t g = 0; g < ARRAY_SIZE(guests); g++) {
		char *cap = slurp(guests[g].file);
		struct hvo_machine *m = tu_machine(guests[g].spec);

		assert_int_equal(hvo_machine_init_deferred(m), 0);
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			char *real = section(cap, "fresh", files[i].file);
			char *sim = print_to_string(files[i].print, m);
			char what[256];

			assert_non_null(real);
			snprintf(what, sizeof(what), "%s %s", guests[g].file,
				 files[i].file);
			assert_same_fields(what, real, sim);
			free(real);
			free(sim);
		}
		tu_assert_check(m);
		hvo_machine_free(m);
		free(cap);
	}
}

/* The number after @key on the line of zone @zone's block, or -1. */
static int64_t
zoneinfo_value(const char *zi, const char *zone, const char *key)
{
	char head[64];
	const char *p, *next, *k;

	snprintf(head, sizeof(head), "Node 0, zone %8s\n", zone);
	p = strstr(zi, head);
	if (!p)
		return -1;
	p += strlen(head);
	next = strstr(p, "Node 0, zone");
	k = strstr(p, key);
	if (!k || (next && k > next))
		return -1;
	k += strlen(key);
	while (*k == ' ' || *k == ':')
		k++;
	return strtoll(k, NULL, 10);
}

/*
 * The numbers that depend only on the layout and the formulas, not on
 * what the kernel allocated for itself: free_area_init() (start_pfn,
 * spanned, present; the BIOS pages and the hole below 1M are absent),
 * ZONE_DMA's managed pages (the low MiB is reserved, memblock_reserve()
 * in x86's setup_arch()), set_recommended_min_free_kbytes() (67584 on
 * three zones), __setup_per_zone_wmarks() for ZONE_MOVABLE and the
 * lowmem_reserve_ratio initializer.
 */
static void
test_layout_and_tunables_match(void **state)
{
	static const char *const zones[] = { "DMA", "DMA32", "Normal", "Movable",
					     "Device" };
	static const char *const keys[] = { "start_pfn", "spanned", "present" };

	(void)state;
	for (size_t g = 0; g < ARRAY_SIZE(guests); g++) {
		char *cap = slurp(guests[g].file);
		struct hvo_machine *m = tu_machine(guests[g].spec);
		char *real, *sim, *kb_real, *ratio_real;
		int ratio[HVO_MAX_ZONES];
		char ratio_sim[64] = "";
		unsigned nr;
		int kb;

		assert_int_equal(hvo_machine_init_deferred(m), 0);
		real = section(cap, "fresh", "/proc/zoneinfo");
		sim = print_to_string(zoneinfo_nl, m);
		for (size_t z = 0; z < ARRAY_SIZE(zones); z++)
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
				int64_t r = zoneinfo_value(real, zones[z], keys[k]);
				int64_t s = zoneinfo_value(sim, zones[z], keys[k]);

				if (r != s)
					fail_msg("%s zone %s %s: the kernel %" PRId64 ", libhvo %" PRId64,
						 guests[g].file, zones[z], keys[k], r, s);
			}
		assert_int_equal(zoneinfo_value(real, "DMA", "managed"),
				 zoneinfo_value(sim, "DMA", "managed"));
		/*
		 * The empty ZONE_MOVABLE's watermarks: 0 on 6.1 (lowmem, a
		 * share of nothing), 32 on 6.12 (clamped as highmem's).
		 */
		for (size_t k = 0; k < 3; k++) {
			static const char *const w[] = { "min", "low", "high" };

			assert_int_equal(zoneinfo_value(real, "Movable", w[k]),
					 zoneinfo_value(sim, "Movable", w[k]));
		}

		kb_real = section(cap, "fresh", "/proc/sys/vm/min_free_kbytes");
		assert_non_null(kb_real);
		assert_int_equal(hvo_min_free_kbytes_get(m, &kb), 0);
		assert_int_equal(kb, atoi(kb_real));
		assert_int_equal(kb, 67584);

		ratio_real = section(cap, "fresh", "/proc/sys/vm/lowmem_reserve_ratio");
		assert_non_null(ratio_real);
		assert_int_equal(hvo_lowmem_reserve_ratio_get(m, ratio, HVO_MAX_ZONES,
							      &nr), 0);
		for (unsigned i = 0; i < nr; i++)
			snprintf(ratio_sim + strlen(ratio_sim),
				 sizeof(ratio_sim) - strlen(ratio_sim), "%s%d",
				 i ? "\t" : "", ratio[i]);
		strcat(ratio_sim, "\n");
		assert_string_equal(ratio_real, ratio_sim);

		free(real);
		free(sim);
		free(kb_real);
		free(ratio_real);
		tu_assert_check(m);
		hvo_machine_free(m);
		free(cap);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_files_have_the_kernels_fields),
		cmocka_unit_test(test_layout_and_tunables_match),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
