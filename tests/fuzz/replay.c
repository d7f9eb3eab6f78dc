/* SPDX-License-Identifier: MIT */
/*
 * replay-<name>: a fuzz target as an ordinary program, for compilers
 * without libFuzzer and for the default test suite.
 *
 *   replay-<name> [--random N [SEED]] [--save DIR] [FILE|DIR...]
 *
 * runs the target on every FILE and on every file of every DIR (in name
 * order, dot files and README files skipped), then on N random inputs of
 * the target's own generator drawn from SEED (default 1), and prints one
 * TAP line per input. --save DIR writes each random input to DIR first,
 * so that the one that crashed can be replayed and kept. A broken promise
 * aborts the program: the last "ok" line names the input before it.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define RANDOM_MAX (64 * 1024)

static unsigned long tests;

static int
read_all(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	uint8_t *buf;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		uint8_t *more = realloc(buf, cap * 2);

		if (!more) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = more;
		cap *= 2;
	}
	if (!buf || ferror(f)) {
		free(buf);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*data = buf;
	*size = n;
	return 0;
}

static int
run_file(const char *path)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int rc = read_all(path, &data, &size);

	if (rc) {
		printf("not ok %lu - %s: %s\n", ++tests, path, strerror(-rc));
		return 1;
	}
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	printf("ok %lu - %s\n", ++tests, path);
	fflush(stdout);
	return 0;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, max = 0;
	int failed = 0;

	if (!d)
		return run_file(dir);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strncmp(e->d_name, "README", 6))
			continue;
		if (n == max) {
			char **more = realloc(names, (max = max ? 2 * max : 64) *
						     sizeof(*names));

			if (!more) {
				perror(dir);
				exit(1);
			}
			names = more;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;

		names[n] = malloc(len);
		if (!names[n]) {
			perror(dir);
			exit(1);
		}
		snprintf(names[n++], len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		failed |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return failed;
}

static void
save(const char *dir, unsigned long i, uint64_t seed, const uint8_t *buf,
     size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/random-%" PRIu64 "-%lu", dir, seed, i);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--random N [SEED]] [--save DIR] [FILE|DIR...]\n",
		prog);
}

int
main(int argc, char **argv)
{
	unsigned long random = 0;
	uint64_t seed = 1;
	const char *save_dir = NULL;
	int failed = 0, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		char *end;

		if (!strcmp(argv[i], "--random") && i + 1 < argc) {
			random = strtoul(argv[++i], &end, 0);
			if (*end)
				goto bad;
			if (i + 1 < argc && argv[i + 1][0] >= '0' &&
			    argv[i + 1][0] <= '9') {
				seed = strtoull(argv[++i], &end, 0);
				if (*end)
					goto bad;
			}
		} else if (!strcmp(argv[i], "--save") && i + 1 < argc) {
			save_dir = argv[++i];
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout, argv[0]);
			return 0;
		} else {
			goto bad;
		}
	}
	for (; i < argc; i++)
		failed |= run_dir(argv[i]);
	if (random) {
		uint8_t *buf = malloc(RANDOM_MAX);
		uint64_t rng = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;

		if (!buf) {
			perror("malloc");
			return 1;
		}
		for (unsigned long k = 0; k < random; k++) {
			size_t len = fuzz_generate(&rng, buf, RANDOM_MAX);

			if (save_dir)
				save(save_dir, k, seed, buf, len);
			LLVMFuzzerTestOneInput(buf, len);
		}
		free(buf);
		printf("ok %lu - %lu random inputs from seed %" PRIu64 "\n",
		       ++tests, random, seed);
	}
	printf("1..%lu\n", tests);
	return failed;
bad:
	usage(stderr, argv[0]);
	return 2;
}
