/* SPDX-License-Identifier: MIT */
/*
 * The scenario runner of hvo-sim run (tools/scenario.c), fuzzed in
 * process: the input is a scenario file.
 *
 * What must hold: the run ends with exit status 0 or 1 (2 is a usage
 * error, which a scenario cannot cause), with no sanitizer report, and
 * the machine passes hvo_machine_check() after every line once it has
 * booted. Half the inputs run with the JSON Lines output of --json.
 * Machines above SCENARIO_MAX_MEM of RAM are refused by the
 * runner (a failed line), so that a run stays fast.
 *
 * The random scenarios of replay-scenario --random mix valid statements
 * with random values, mutated copies of them, random bytes, long lines
 * and huge numbers, on small machines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "fuzz.h"
#include "sim.h"

#define SCENARIO_MAX_MEM (UINT64_C(256) << 20)

static void
check_line(void *ctx, struct hvo_machine *m, unsigned long line)
{
	(void)ctx;
	if (hvo_machine_check(m))
		fuzz_fail("scenario line %lu: the machine fails its check: %s",
			  line, hvo_machine_error(m));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct scenario_opts opts = {
		.max_mem = SCENARIO_MAX_MEM,
		.after_line = check_line,
	};
	FILE *in;
	int status;

	if (!size)
		return 0;
	if (!null && !(null = fopen("/dev/null", "w")))
		fuzz_fail("cannot open /dev/null: %s", strerror(errno));
	opts.out = opts.err = null;
	/* Half the inputs (by their last byte) run as hvo-sim run --json. */
	opts.json = data[size - 1] & 1;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		fuzz_fail("fmemopen: %s", strerror(errno));
	status = scenario_run(in, "<fuzz>", &opts);
	fclose(in);
	if (status != EXIT_OK && status != EXIT_RUNTIME)
		fuzz_fail("the scenario ended with exit status %d", status);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Random scenarios for replay --random                                   */
/* ---------------------------------------------------------------------- */

static unsigned
below(uint64_t *rng, unsigned n)
{
	return (unsigned)fuzz_below(rng, n);
}

static const char *const specs[] = {
	"x86_64:mem=64M",
	"x86_64:mem=64M",
	"x86_64:mem=32M,hvo=fakehead",
	"x86_64:mem=64M,hvo=keep2,pcp=off",
	"x86_64:mem=48M,hvo=off",
	"x86_64:mem=64M,deferred=off,checkpages=on",
	"x86_64:mem=16M@0+48M@4G",
	"arm64:mem=64M",
	"riscv64:mem=64M",
	"x86_64:mem=64M,struct_page=72",
};

static const char *const paths[] = {
	"/proc/sys/vm/nr_hugepages",
	"/proc/sys/vm/hugetlb_optimize_vmemmap",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-1048576kB/demote",
	"/sys/kernel/mm/hugepages/hugepages-1048576kB/demote_size",
	"/sys/kernel/mm/hugepages/hugepages-32768kB/demote",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/demote_size",
	"/sys/kernel/mm/hugepages/hugepages-2048kB",
	"/sys/kernel/mm/hugepages/hugepages-64kB/nr_hugepages",
	"/proc/meminfo",
	"/proc/buddyinfo",
	"/proc/zoneinfo",
	"/proc/kpageflags",
	"/proc/sys/vm/nr_overcommit_hugepages",
	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_overcommit_hugepages",
	"/proc/nothing",
	"/",
	"/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
	"/sys/devices/system/node/node0/hugepages/hugepages-32768kB/demote",
	"/sys/devices/system/node/node0/hugepages",
};

static const char *const params[] = {
	"hugepagesz=2M", "hugepagesz=1G", "hugepagesz=3M", "hugepages=4",
	"hugepages=99999999999999999999", "default_hugepagesz=2M",
	"default_hugepagesz=1G", "hugetlb_free_vmemmap=on",
	"hugetlb_free_vmemmap=off", "hugetlb_free_vmemmap=maybe",
	"hugetlb_free_vmemmap", "hugepages=", "quiet", "=", "hugepagesz=0",
};

/* A number that tends to the edges: small, huge, hex, signed, empty. */
static void
number(uint64_t *rng, char *buf, size_t len)
{
	switch (below(rng, 8)) {
	case 0:
		snprintf(buf, len, "%" PRIu64, fuzz_rand(rng));
		break;
	case 1:
		snprintf(buf, len, "99999999999999999999999");
		break;
	case 2:
		snprintf(buf, len, "0x%" PRIx64, fuzz_rand(rng) >> below(rng, 64));
		break;
	case 3:
		snprintf(buf, len, "-%u", below(rng, 100));
		break;
	case 4:
		snprintf(buf, len, "+%u", below(rng, 100));
		break;
	default:
		snprintf(buf, len, "%u", below(rng, 40));
		break;
	}
}

/* One statement that hvo-sim knows, with random arguments. */
static void
valid_line(uint64_t *rng, char *buf, size_t len)
{
	char n1[64], n2[64];

	number(rng, n1, sizeof(n1));
	number(rng, n2, sizeof(n2));
	switch (below(rng, 9)) {
	case 0:
		snprintf(buf, len, "echo %s > %s", n1,
			 paths[below(rng, sizeof(paths) / sizeof(paths[0]))]);
		break;
	case 1:
		snprintf(buf, len, "echo %s >%s", below(rng, 2) ? "0" : "1",
			 paths[below(rng, 3)]);
		break;
	case 2:
		snprintf(buf, len, "cat %s",
			 paths[below(rng, sizeof(paths) / sizeof(paths[0]))]);
		break;
	case 3:
		snprintf(buf, len, "cmdline %s %s",
			 params[below(rng, sizeof(params) / sizeof(params[0]))],
			 params[below(rng, sizeof(params) / sizeof(params[0]))]);
		break;
	case 4:
		snprintf(buf, len, "kpageflags %u %u", below(rng, 20000),
			 below(rng, 64));
		break;
	case 5:
		snprintf(buf, len, "kpageflags %s %s", n1, n2);
		break;
	case 6:
		snprintf(buf, len, "%smmap_hugetlb %u%s", below(rng, 2) ? "" : "mun",
			 below(rng, 40), below(rng, 4) ? "" : " 1G");
		break;
	case 7:
		snprintf(buf, len, "%smmap_hugetlb %s %s", below(rng, 2) ? "" : "mun",
			 n1, n2);
		break;
	default:
		snprintf(buf, len, "machine %s",
			 specs[below(rng, sizeof(specs) / sizeof(specs[0]))]);
		break;
	}
}

/* Flip, insert, delete and truncate bytes of @p buf. */
static void
mutate(uint64_t *rng, char *buf, size_t cap)
{
	size_t len = strlen(buf);
	unsigned edits = 1 + below(rng, 4);

	for (unsigned e = 0; e < edits; e++) {
		size_t at = len ? below(rng, (unsigned)len) : 0;

		switch (below(rng, 4)) {
		case 0:
			if (len)
				buf[at] = (char)(1 + below(rng, 255));
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at + 1);
				buf[at] = "0123456789 >#=/xkKMG\t'\""[below(rng, 23)];
				len++;
			}
			break;
		case 2:
			if (len) {
				memmove(buf + at, buf + at + 1, len - at);
				len--;
			}
			break;
		default:
			buf[at] = '\0';
			len = at;
			break;
		}
	}
}

static void
write_scenario(uint64_t *rng, FILE *f)
{
	static char buf[70000];
	unsigned lines = 3 + below(rng, 25);

	if (below(rng, 10))
		fprintf(f, "machine %s\n",
			specs[below(rng, sizeof(specs) / sizeof(specs[0]))]);
	for (unsigned i = 0; i < lines; i++) {
		size_t len;

		switch (below(rng, 10)) {
		case 0:
			/* Random bytes, NUL and newlines included. */
			len = below(rng, 200);
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)below(rng, 256);
			fwrite(buf, 1, len, f);
			fputc('\n', f);
			continue;
		case 1:
			/* A long line: one word, or very many. */
			len = 1000 + below(rng, 60000);
			for (size_t k = 0; k < len; k++)
				buf[k] = below(rng, 3) ? "echo 1>cat "[below(rng, 11)] :
						    (char)('a' + below(rng, 26));
			buf[len] = '\0';
			break;
		case 2:
		case 3:
		case 4:
			valid_line(rng, buf, 4096);
			mutate(rng, buf, 4096);
			break;
		default:
			valid_line(rng, buf, 4096);
			break;
		}
		fprintf(f, "%s\n", buf);
	}
	/* Sometimes no newline at the end. */
	if (below(rng, 4) == 0)
		fputs("cat /proc/meminfo", f);
}

size_t
fuzz_generate(uint64_t *rng, uint8_t *buf, size_t cap)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		fuzz_fail("open_memstream: %s", strerror(errno));
	write_scenario(rng, f);
	if (fclose(f))
		fuzz_fail("open_memstream: %s", strerror(errno));
	if (len > cap)
		len = cap;
	memcpy(buf, text, len);
	free(text);
	return len;
}
