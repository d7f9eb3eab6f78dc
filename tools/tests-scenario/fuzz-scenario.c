/* SPDX-License-Identifier: MIT */
/*
 * fuzz-scenario HVO_SIM [N [SEED]]: run hvo-sim run on N random scenarios
 * made from SEED and fail if any run ends with anything but exit status 0
 * or 1 (a signal is a crash, 2 a usage error the scenario cannot cause).
 *
 * A scenario mixes valid statements with random values, mutated copies of
 * them, random bytes, long lines and huge numbers. The machines are small,
 * so that hundreds of runs fit in a minute under ASan. A failing scenario
 * is kept and its path printed, to replay it by hand.
 *
 * Only libc and POSIX: the test must not depend on what it tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t rng_state;

/* xorshift64*: reproducible from the seed on every libc. */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static unsigned
below(unsigned n)
{
	return (unsigned)(rnd() % n);
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
	"/sys/kernel/mm/hugepages/hugepages-2048kB",
	"/sys/kernel/mm/hugepages/hugepages-64kB/nr_hugepages",
	"/proc/meminfo",
	"/proc/buddyinfo",
	"/proc/zoneinfo",
	"/proc/kpageflags",
	"/proc/nothing",
	"/",
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
number(char *buf, size_t len)
{
	switch (below(8)) {
	case 0:
		snprintf(buf, len, "%" PRIu64, rnd());
		break;
	case 1:
		snprintf(buf, len, "99999999999999999999999");
		break;
	case 2:
		snprintf(buf, len, "0x%" PRIx64, rnd() >> below(64));
		break;
	case 3:
		snprintf(buf, len, "-%u", below(100));
		break;
	case 4:
		snprintf(buf, len, "+%u", below(100));
		break;
	default:
		snprintf(buf, len, "%u", below(40));
		break;
	}
}

/* One statement that hvo-sim knows, with random arguments. */
static void
valid_line(char *buf, size_t len)
{
	char n1[64], n2[64];

	number(n1, sizeof(n1));
	number(n2, sizeof(n2));
	switch (below(7)) {
	case 0:
		snprintf(buf, len, "echo %s > %s", n1,
			 paths[below(sizeof(paths) / sizeof(paths[0]))]);
		break;
	case 1:
		snprintf(buf, len, "echo %s >%s", below(2) ? "0" : "1",
			 paths[below(3)]);
		break;
	case 2:
		snprintf(buf, len, "cat %s",
			 paths[below(sizeof(paths) / sizeof(paths[0]))]);
		break;
	case 3:
		snprintf(buf, len, "cmdline %s %s",
			 params[below(sizeof(params) / sizeof(params[0]))],
			 params[below(sizeof(params) / sizeof(params[0]))]);
		break;
	case 4:
		snprintf(buf, len, "kpageflags %u %u", below(20000),
			 below(64));
		break;
	case 5:
		snprintf(buf, len, "kpageflags %s %s", n1, n2);
		break;
	default:
		snprintf(buf, len, "machine %s",
			 specs[below(sizeof(specs) / sizeof(specs[0]))]);
		break;
	}
}

/* Flip, insert, delete and truncate bytes of @p buf. */
static void
mutate(char *buf, size_t cap)
{
	size_t len = strlen(buf);
	unsigned edits = 1 + below(4);

	for (unsigned e = 0; e < edits; e++) {
		size_t at = len ? below((unsigned)len) : 0;

		switch (below(4)) {
		case 0:
			if (len)
				buf[at] = (char)(1 + below(255));
			break;
		case 1:
			if (len + 1 < cap) {
				memmove(buf + at + 1, buf + at, len - at + 1);
				buf[at] = "0123456789 >#=/xkKMG\t'\""[below(23)];
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
write_scenario(FILE *f)
{
	static char buf[70000];
	unsigned lines = 3 + below(25);

	if (below(10))
		fprintf(f, "machine %s\n",
			specs[below(sizeof(specs) / sizeof(specs[0]))]);
	for (unsigned i = 0; i < lines; i++) {
		size_t len;

		switch (below(10)) {
		case 0:
			/* Random bytes, NUL and newlines included. */
			len = below(200);
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)below(256);
			fwrite(buf, 1, len, f);
			fputc('\n', f);
			continue;
		case 1:
			/* A long line: one word, or very many. */
			len = 1000 + below(60000);
			for (size_t k = 0; k < len; k++)
				buf[k] = below(3) ? "echo 1>cat "[below(11)] :
						    (char)('a' + below(26));
			buf[len] = '\0';
			break;
		case 2:
		case 3:
		case 4:
			valid_line(buf, 4096);
			mutate(buf, 4096);
			break;
		default:
			valid_line(buf, 4096);
			break;
		}
		fprintf(f, "%s\n", buf);
	}
	/* Sometimes no newline at the end. */
	if (below(4) == 0)
		fputs("cat /proc/meminfo", f);
}

/* Run hvo-sim on @p path, from the file or from stdin; @return wait status. */
static int
run(const char *hvo_sim, const char *path, int use_stdin)
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0)
			_exit(127);
		dup2(null, 1);
		dup2(null, 2);
		if (use_stdin) {
			int in = open(path, O_RDONLY);

			if (in < 0)
				_exit(127);
			dup2(in, 0);
			execl(hvo_sim, hvo_sim, "run", "-", (char *)NULL);
		} else {
			execl(hvo_sim, hvo_sim, "run", path, (char *)NULL);
		}
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			exit(1);
		}
	}
	return status;
}

int
main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	unsigned long n = 300, seed = 1;
	char path[4096];

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: fuzz-scenario HVO_SIM [N [SEED]]\n");
		return 2;
	}
	if (argc > 2)
		n = strtoul(argv[2], NULL, 0);
	if (argc > 3)
		seed = strtoul(argv[3], NULL, 0);
	rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	for (unsigned long i = 0; i < n; i++) {
		FILE *f;
		int fd, status;

		snprintf(path, sizeof(path), "%s/fuzz-scenario-XXXXXX", tmp);
		fd = mkstemp(path);
		if (fd < 0 || !(f = fdopen(fd, "w"))) {
			perror(path);
			return 1;
		}
		write_scenario(f);
		if (fclose(f)) {
			perror(path);
			return 1;
		}
		status = run(argv[1], path, below(5) == 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
			if (WIFSIGNALED(status))
				fprintf(stderr, "scenario %lu (seed %lu): signal %d; kept in %s\n",
					i, seed, WTERMSIG(status), path);
			else
				fprintf(stderr, "scenario %lu (seed %lu): exit status %d; kept in %s\n",
					i, seed, WEXITSTATUS(status), path);
			return 1;
		}
		unlink(path);
	}
	printf("%lu scenarios, seed %lu: no crash\n", n, seed);
	return 0;
}
