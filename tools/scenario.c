/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim run FILE|-: a scenario written in the syntax a Linux user already
 * types at a root shell: a kernel command line, then echo, cat, sysctl,
 * grep, ls and dmesg on the files of /proc and /sys that HugeTLB and HVO
 * show. One simple command a line: shell syntax the runner does not run is
 * refused, never half-run. The same script (its
 * machine and kpageflags lines aside) runs on a real machine, so the two can
 * be compared line by line; that is why every value is printed in the
 * kernel's own format and every refused write gets the shell's message.
 *
 * Like a shell, a failed line is reported and the scenario goes on; the exit
 * status says whether any line failed.
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "procfs.h"
#include "sim.h"
#include "simutil.h"

/* A line has at most this many words; more is reported, not truncated. */
#define MAX_WORDS 64

struct scenario {
	const char *name;    /* the file as messages name it */
	const struct scenario_opts *opts;
	unsigned long line;  /* the line being run */
	bool failed;         /* some line failed: exit status 1 */
	bool line_failed;    /* the line being run failed */
	FILE *trace_out;     /* where --trace prints, for the whole run */

	bool have_spec;      /* a machine line was read */
	unsigned long machine_line;
	struct hvo_config cfg;
	struct hvo_machine *m;
	bool boot_failed;
	unsigned long boot_line;

	/* The line's output redirection ("> PATH"), NULL for none. */
	const char *redirect;

	/* The words of the command line, for hvo_config_cmdline() at boot. */
	char cmdline[HVO_CMDLINE_LEN];

	uint64_t default_size;     /* HPAGE_SIZE, or default_hugepagesz= */

	/* The hugepages mmap_hugetlb mapped, oldest first. */
	struct mapped_hugepage *mapped;
	size_t nr_mapped, mapped_cap;
};

/* One hugepage a mmap_hugetlb line mapped and touched. */
struct mapped_hugepage {
	uint64_t pfn;
	uint64_t size;
};

static void
usage(FILE *f)
{
	fputs("Usage: " PROG " run [--trace] [--json] FILE|-\n"
		"\n"
		"Run a scenario: one statement per line, '#' starts a comment.\n"
		"Everything but the machine, kpageflags, mmap_hugetlb and\n"
		"munmap_hugetlb lines is what a root shell on a real Linux machine\n"
		"would run, with the same output; mmap_hugetlb and munmap_hugetlb\n"
		"stand for a test program that maps hugepages.\n"
		"\n"
		"Statements:\n"
		"  machine SPEC          the machine (see " PROG " --help); once,\n"
		"                        before any line that needs the machine\n"
		"  cmdline ARGS...       kernel parameters, before the machine boots\n"
		"                        (it boots at the first line that needs it):\n"
		"                          hugepagesz=SIZE hugepages=N\n"
		"                          default_hugepagesz=SIZE\n"
		"                        (SIZE as the kernel's memparse() reads it:\n"
		"                        2M, 2m, 0x200000, 04000K, ...)\n"
		"                          hugetlb_free_vmemmap[=on|off|1|0|y|n]\n"
		"                          init_on_alloc=0|1 init_on_free=0|1\n"
		"                        read as the machine's kernel= release reads\n"
		"                        them, with its messages in dmesg (a repeated\n"
		"                        hugepages= or hugepagesz= is ignored,\n"
		"                        hugepages=0:N is node 0's, pools that do not\n"
		"                        fit get what fits and a warning); others are\n"
		"                        ignored, as the kernel does\n"
		"  echo [-n] VALUE > PATH\n"
		"                        write a file (without '>', print VALUE)\n"
		"  cat PATH...           read files\n"
		"  sysctl [-n] NAME...   read sysctls as procps-ng prints them\n"
		"                        (vm.nr_hugepages = 64; -n the value only);\n"
		"                        NAME is dotted or slashed (vm/nr_hugepages)\n"
		"  sysctl [-n] -w NAME=VALUE...\n"
		"                        write them (NAME=VALUE writes without -w too)\n"
		"  grep [-qcvixFE] PATTERN FILE...\n"
		"                        lines of the files: a basic regex (-E\n"
		"                        extended, -F a fixed string); status 1 (a\n"
		"                        failed line) when nothing matched\n"
		"  ls DIR                /sys/kernel/mm/hugepages, node 0's hugepages\n"
		"                        or one hstate's directory: its entries, one\n"
		"                        a line, sorted\n"
		"  dmesg                 the kernel log, as dmesg prints it on a real\n"
		"                        machine (as dmesg -t: this one has no clock):\n"
		"                        the command line, what the kernel says of it\n"
		"                        (hugetlb's warnings too), the hugepage sizes\n"
		"                        registered with their boot pools, what HVO\n"
		"                        frees, bad pages found later\n"
		"  kpageflags PFN [COUNT]\n"
		"                        /proc/kpageflags of COUNT pfns (default 1):\n"
		"                        pfn and flags in hex, flag names\n"
		"  mmap_hugetlb N [SIZE] a test program maps N hugepages of SIZE\n"
		"                        (default: the default hugepage size;\n"
		"                        MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB) and\n"
		"                        touches each, as the kernel selftest\n"
		"                        hugepage-mmap does: the mmap reserves them\n"
		"                        (ENOMEM if the pool and the overcommit\n"
		"                        cannot), each fault takes one\n"
		"  munmap_hugetlb N [SIZE]\n"
		"                        it unmaps the newest N of them, which are\n"
		"                        freed in address order\n"
		"\n", f);
	fputs("Files:\n"
		"  /proc/sys/vm/nr_hugepages, /proc/sys/vm/nr_overcommit_hugepages\n"
		"  /proc/sys/vm/nr_hugepages_mempolicy (one node: as nr_hugepages)\n"
		"  /proc/sys/vm/hugetlb_optimize_vmemmap\n"
		"  /proc/sys/vm/min_free_kbytes, watermark_scale_factor (1..3000),\n"
		"      lowmem_reserve_ratio (one ratio per zone): the watermarks;\n"
		"      percpu_pagelist_high_fraction (0, 8..): pcp high;\n"
		"      watermark_boost_factor (kept, boosts nothing)\n"
		"  /sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages,\n"
		"      nr_hugepages_mempolicy, nr_overcommit_hugepages,\n"
		"      free_hugepages, resv_hugepages, surplus_hugepages,\n"
		"      demote_size and demote (5.16 on, sizes with a smaller one)\n"
		"  /sys/devices/system/node/node0/hugepages/hugepages-<size>kB/\n"
		"      nr_hugepages, free_hugepages, surplus_hugepages, demote_size,\n"
		"      demote: node 0's, the only node's, so the hstate's counts\n"
		"  /proc/meminfo, /proc/vmstat, /proc/buddyinfo,\n"
		"  /proc/zoneinfo (every field of 6.12's), /proc/pagetypeinfo,\n"
		"  /proc/cmdline\n"
		"  /sys/kernel/debug/fail_page_alloc/probability, interval, times,\n"
		"      space, verbose, min-order, ignore-gfp-wait, ignore-gfp-highmem:\n"
		"      the kernel's fault injection, with its meaning; probability\n"
		"      draws from a PRNG seeded with HVO_FAULT_SEED at boot, so a\n"
		"      scenario fails the same allocations every run\n"
		"\n", f);
	fputs("Shell syntax: one simple command a line. Words split as sh splits\n"
		"them ('...', \"...\" and \\ quote), '#' starts a comment, and echo\n"
		"takes one '> FILE'. Anything else sh would read as syntax (a pipe,\n"
		"&&, ;, >>, 2>, <, $, `, globs) and any other command (tee, ...) is\n"
		"refused with the line's number, so that a scenario never does\n"
		"less than the shell would without saying so. A machine line is\n"
		"libhvo's own: its SPEC may hold ';' (hugepages=2M:4;1G:1).\n"
		"\n"
		"Options:\n"
		"      --trace  print every event of the scenario's lines: entries\n"
		"               written, TLB flushes, pages allocated and freed, faults\n"
		"               (to stderr with --json)\n"
		"      --json   print one JSON object per line that holds a command\n"
		"               (JSON Lines): format_version, libhvo_version, file,\n"
		"               line, text, status (0, or 1 if it failed), output and\n"
		"               messages, as text (see man " PROG "-run)\n"
		"  -h, --help   show this help and exit\n"
		"\n"
		"A line that fails is reported with its number and the scenario goes\n"
		"on, as a shell would. Exit status: 0 if every line ran, 1 if any\n"
		"failed, 2 for a usage error.\n", f);
}

/* A message about the current line; a failure unless it is a note. */
__attribute__((format(printf, 3, 4)))
static void
report(struct scenario *s, bool fail, const char *fmt, ...)
{
	va_list ap;

	fprintf(s->opts->err, PROG ": %s:%lu: ", s->name, s->line);
	va_start(ap, fmt);
	vfprintf(s->opts->err, fmt, ap);
	va_end(ap);
	fputc('\n', s->opts->err);
	if (fail)
		s->failed = s->line_failed = true;
}

/* ---------------------------------------------------------------------- */
/* Numbers as the kernel parses them                                      */
/* ---------------------------------------------------------------------- */

static int
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * Digits of @p base from *@p sp, advancing it. @return 0, -EINVAL (no
 * digit) or -ERANGE (past 64 bits).
 */
static int
parse_digits(const char **sp, unsigned base, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	bool range = false;
	int d;

	if ((unsigned)digit_value(*s) >= base)
		return -EINVAL;
	for (; (unsigned)(d = digit_value(*s)) < base; s++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			range = true;
		v = v * base + (unsigned)d;
	}
	*sp = s;
	*out = v;
	return range ? -ERANGE : 0;
}

/*
 * kstrtoul(buf, 10, ...), as a sysfs store reads what echo wrote: an
 * optional '+', decimal digits and at most one trailing newline.
 */
static int
kstrtoul10(const char *s, uint64_t *out)
{
	int rc;

	if (*s == '+')
		s++;
	rc = parse_digits(&s, 10, out);
	if (rc)
		return rc;
	if (*s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

static bool
is_wspace(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * What a proc_dointvec-style sysctl handler reads: blanks, an optional
 * '-', a number in C's base 0 (0x hex, 0 octal, else decimal), then only
 * blanks. Any error is -EINVAL there, overflow included.
 */
static int
sysctl_number(const char *s, uint64_t *out, bool *neg)
{
	unsigned base = 10;

	while (is_wspace(*s))
		s++;
	*neg = *s == '-';
	if (*neg)
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    digit_value(s[2]) < 16) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	if (parse_digits(&s, base, out))
		return -EINVAL;
	while (is_wspace(*s))
		s++;
	return *s ? -EINVAL : 0;
}

/* ---------------------------------------------------------------------- */
/* The machine                                                            */
/* ---------------------------------------------------------------------- */

static bool
have_hstate(const struct hvo_machine *m, uint64_t size)
{
	struct hvo_hstate_info h;

	for (unsigned i = 0; hvo_machine_hstate(m, i, &h) == 0; i++)
		if (h.size == size)
			return true;
	return false;
}

/*
 * Boot with the command line applied. The library reads it as the
 * machine's release does (hugetlb pools included) and boots with the
 * pools that fit, warning in the log about the rest, as the kernel does.
 */
static int
boot(struct scenario *s)
{
	struct hvo_config cfg = s->cfg;
	struct hvo_geometry g;
	char err[2048];
	int rc;

	/*
	 * What its kernel says about the line is noted here, and stays in
	 * the machine's log.
	 */
	rc = hvo_config_cmdline(&cfg, s->cmdline, err, sizeof(err));
	if (rc) {
		report(s, true, "cmdline: %s", err);
		return rc;
	}
	for (char *l = err, *nl; *l; l = nl) {
		nl = l + strcspn(l, "\n");
		if (*nl)
			*nl++ = '\0';
		report(s, false, "dmesg: %s", l);
	}
	s->m = NULL;
	rc = hvo_machine_new(&cfg, &s->m, err, sizeof(err));
	if (rc) {
		report(s, true, "machine (line %lu): %s", s->machine_line, err);
		return rc;
	}
	hvo_machine_geometry(s->m, &g);
	s->default_size = g.default_hugepage_size;
	/* The kernel finishes deferred struct page init before userspace. */
	hvo_machine_init_deferred(s->m);
	/* The lines run as a script would: sh writes the files. */
	hvo_machine_set_comm(s->m, "sh");
	/* From here on the scenario's own lines act: trace them. */
	if (s->opts->trace)
		hvo_set_trace(s->m, sim_trace_print, s->trace_out);
	return 0;
}

/* The machine, booting it at the first line that needs it. */
static struct hvo_machine *
machine(struct scenario *s)
{
	if (s->m)
		return s->m;
	if (s->boot_failed) {
		report(s, true, "no machine: it failed to boot at line %lu",
		       s->boot_line);
		return NULL;
	}
	if (!s->have_spec) {
		report(s, true, "no machine: a 'machine SPEC' line must come first");
		return NULL;
	}
	s->boot_line = s->line;
	if (boot(s)) {
		s->boot_failed = true;
		return NULL;
	}
	return s->m;
}

/* ---------------------------------------------------------------------- */
/* The files                                                              */
/* ---------------------------------------------------------------------- */

enum file_kind {
	F_DIR,
	F_SYSCTL_NR,        /* /proc/sys/vm/nr_hugepages */
	F_SYSCTL_OPTIMIZE,  /* /proc/sys/vm/hugetlb_optimize_vmemmap */
	F_SYSCTL_OVERCOMMIT, /* /proc/sys/vm/nr_overcommit_hugepages */
	F_SYSCTL_MIN_FREE_KBYTES,
	F_SYSCTL_WATERMARK_SCALE_FACTOR,
	F_SYSCTL_LOWMEM_RESERVE_RATIO,
	F_SYSCTL_WATERMARK_BOOST_FACTOR,
	F_SYSCTL_PERCPU_PAGELIST_HIGH_FRACTION,
	F_HP_OVERCOMMIT,
	F_HP_NR,
	F_HP_FREE,
	F_HP_RESV,
	F_HP_SURPLUS,
	F_HP_DEMOTE,        /* write-only: demote_store() */
	F_HP_DEMOTE_SIZE,
	F_MEMINFO,
	F_BUDDYINFO,
	F_ZONEINFO,
	F_PAGETYPEINFO,
	F_CMDLINE,          /* /proc/cmdline */
	F_VMSTAT,           /* /proc/vmstat */
	/* /sys/kernel/debug/fail_page_alloc/: the kernel's fault_attr */
	F_FAIL_PROBABILITY,
	F_FAIL_INTERVAL,
	F_FAIL_TIMES,
	F_FAIL_SPACE,
	F_FAIL_VERBOSE,
	F_FAIL_MIN_ORDER,
	F_FAIL_IGNORE_WAIT,
	F_FAIL_IGNORE_HIGHMEM,
};

/* Node 0's copies of the hstate directories (per_node_hstate_attrs). */
#define NODE_HUGEPAGES "/sys/devices/system/node/node0/hugepages"

static const char *const dirs[] = {
	"/", "/proc", "/proc/sys", "/proc/sys/vm", "/sys", "/sys/kernel",
	"/sys/kernel/mm", "/sys/kernel/mm/hugepages",
	/* CONFIG_NUMA: hugetlb_register_node() of node 0, the only node. */
	"/sys/devices", "/sys/devices/system", "/sys/devices/system/node",
	"/sys/devices/system/node/node0", NODE_HUGEPAGES,
	"/sys/kernel/debug", "/sys/kernel/debug/fail_page_alloc",
};

static const struct {
	const char *path;
	enum file_kind kind;
} files[] = {
	{ "/proc/sys/vm/nr_hugepages", F_SYSCTL_NR },
	{ "/proc/sys/vm/hugetlb_optimize_vmemmap", F_SYSCTL_OPTIMIZE },
	{ "/proc/sys/vm/nr_overcommit_hugepages", F_SYSCTL_OVERCOMMIT },
	/* CONFIG_NUMA: with one node, the same pool as nr_hugepages. */
	{ "/proc/sys/vm/nr_hugepages_mempolicy", F_SYSCTL_NR },
	{ "/proc/sys/vm/min_free_kbytes", F_SYSCTL_MIN_FREE_KBYTES },
	{ "/proc/sys/vm/watermark_scale_factor", F_SYSCTL_WATERMARK_SCALE_FACTOR },
	{ "/proc/sys/vm/lowmem_reserve_ratio", F_SYSCTL_LOWMEM_RESERVE_RATIO },
	{ "/proc/sys/vm/watermark_boost_factor", F_SYSCTL_WATERMARK_BOOST_FACTOR },
	{ "/proc/sys/vm/percpu_pagelist_high_fraction",
	  F_SYSCTL_PERCPU_PAGELIST_HIGH_FRACTION },
	{ "/proc/meminfo", F_MEMINFO },
	{ "/proc/buddyinfo", F_BUDDYINFO },
	{ "/proc/zoneinfo", F_ZONEINFO },
	{ "/proc/pagetypeinfo", F_PAGETYPEINFO },
	{ "/proc/cmdline", F_CMDLINE },
	{ "/proc/vmstat", F_VMSTAT },
	{ "/sys/kernel/debug/fail_page_alloc/probability", F_FAIL_PROBABILITY },
	{ "/sys/kernel/debug/fail_page_alloc/interval", F_FAIL_INTERVAL },
	{ "/sys/kernel/debug/fail_page_alloc/times", F_FAIL_TIMES },
	{ "/sys/kernel/debug/fail_page_alloc/space", F_FAIL_SPACE },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", F_FAIL_VERBOSE },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", F_FAIL_MIN_ORDER },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", F_FAIL_IGNORE_WAIT },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", F_FAIL_IGNORE_HIGHMEM },
};

/*
 * The files of an hstate's directory: hstate_attrs and, where the size
 * can demote, hstate_demote_attrs. A node's directory has
 * per_node_hstate_attrs (@node) and the demote files too
 * (hugetlb_sysfs_add_hstate()). With one node, node 0's counts are the
 * hstate's: nr_hugepages_show_common() reads nr_huge_pages_node[0],
 * and set_max_huge_pages() for nid 0 adds persistent_huge_pages() less
 * node 0's persistent pages, 0, to the count written.
 */
static const struct {
	const char *name;
	enum file_kind kind;
	bool node;
} hp_files[] = {
	{ "nr_hugepages", F_HP_NR, true },
	{ "nr_overcommit_hugepages", F_HP_OVERCOMMIT, false },
	{ "nr_hugepages_mempolicy", F_HP_NR, false },
	{ "free_hugepages", F_HP_FREE, true },
	{ "resv_hugepages", F_HP_RESV, false },
	{ "surplus_hugepages", F_HP_SURPLUS, true },
	{ "demote", F_HP_DEMOTE, true },
	{ "demote_size", F_HP_DEMOTE_SIZE, true },
};

/*
 * hugetlb_optimize_vmemmap exists only if the release has it (5.19 on)
 * and some hstate can be optimized: the kernel registers it at boot when
 * HVO is built and struct page has a power-of-two size, whatever the
 * sysctl's value is later. hvo_machine_hvo()'s "enabled" also turns
 * false when the sysctl is 0, so it cannot say.
 */
static bool
can_optimize(const struct hvo_machine *m)
{
	const struct hvo_config *cfg = hvo_machine_config(m);
	struct hvo_kernel_info k;

	return cfg && !hvo_machine_kernel(m, &k) && k.has_sysctl &&
	       k.variant != HVO_VARIANT_OFF && sim_is_pow2(cfg->struct_page_size);
}

/*
 * Resolve @p path on machine @p m. @return 0 with the kind (and the
 * hugepage size of a sysfs file), or -ENOENT.
 */
static int
lookup(const struct hvo_machine *m, const char *path, enum file_kind *kind,
       uint64_t *size)
{
	static const char hp[] = "/sys/kernel/mm/hugepages/hugepages-";
	static const char node_hp[] = NODE_HUGEPAGES "/hugepages-";
	size_t len = strlen(path);
	const char *p;
	uint64_t kb;
	bool node = false;

	/* A trailing slash names a directory, as in the shell. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (strlen(dirs[i]) == len && !strncmp(path, dirs[i], len)) {
			*kind = F_DIR;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (strcmp(path, files[i].path) == 0) {
			if (files[i].kind == F_SYSCTL_OPTIMIZE &&
			    !can_optimize(m))
				return -ENOENT;
			*kind = files[i].kind;
			return 0;
		}
	}
	if (!strncmp(path, hp, sizeof(hp) - 1)) {
		p = path + sizeof(hp) - 1;
	} else if (!strncmp(path, node_hp, sizeof(node_hp) - 1)) {
		p = path + sizeof(node_hp) - 1;
		node = true;
	} else {
		return -ENOENT;
	}
	/* The kernel names the directory with "%lukB": no leading zero. */
	if (*p == '0' || parse_digits(&p, 10, &kb) || strncmp(p, "kB", 2) ||
	    kb > UINT64_MAX >> 10 || !have_hstate(m, kb << 10))
		return -ENOENT;
	*size = kb << 10;
	p += 2;
	if ((size_t)(p - path) >= len) {
		*kind = F_DIR;
		return 0;
	}
	if (*p++ != '/')
		return -ENOENT;
	for (size_t i = 0; i < sizeof(hp_files) / sizeof(hp_files[0]); i++) {
		if (strcmp(p, hp_files[i].name) == 0 &&
		    (hp_files[i].node || !node)) {
			uint64_t ds;

			/* The demote files exist where hvo_demote_size() answers. */
			if ((hp_files[i].kind == F_HP_DEMOTE ||
			     hp_files[i].kind == F_HP_DEMOTE_SIZE) &&
			    hvo_demote_size(m, *size, &ds))
				return -ENOENT;
			*kind = hp_files[i].kind;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The fault_attr files as debugfs prints them: unsigned longs and u32
 * with "%llu", atomic_t with "%d", bools as Y or N.
 */
static void
read_fault_attr(struct scenario *s, enum file_kind kind, FILE *f)
{
	struct hvo_fault_attr a;

	hvo_fail_page_alloc_get(s->m, &a);
	switch (kind) {
	case F_FAIL_PROBABILITY:
		fprintf(f, "%" PRIu64 "\n", a.probability);
		break;
	case F_FAIL_INTERVAL:
		fprintf(f, "%" PRIu64 "\n", a.interval);
		break;
	case F_FAIL_TIMES:
		fprintf(f, "%d\n", (int)a.times);
		break;
	case F_FAIL_SPACE:
		fprintf(f, "%d\n", (int)a.space);
		break;
	case F_FAIL_VERBOSE:
		fprintf(f, "%" PRIu64 "\n", a.verbose);
		break;
	case F_FAIL_MIN_ORDER:
		fprintf(f, "%" PRIu32 "\n", a.min_order);
		break;
	case F_FAIL_IGNORE_WAIT:
		fprintf(f, "%c\n", a.ignore_gfp_wait ? 'Y' : 'N');
		break;
	case F_FAIL_IGNORE_HIGHMEM:
		fprintf(f, "%c\n", a.ignore_gfp_highmem ? 'Y' : 'N');
		break;
	default:
		break;
	}
}

/*
 * kstrtoull(buf, 0, ...) and kstrtoll(buf, 0, ...), as debugfs's
 * simple_attr_write() reads a number: '+' (or '-' where @p neg may be
 * set), 0x hex, 0 octal or decimal, at most one trailing newline.
 */
static int
kstrtoull0(const char *s, uint64_t *out, bool *neg)
{
	unsigned base = 10;
	int rc;

	*neg = false;
	if (*s == '+') {
		s++;
	} else if (*s == '-') {
		*neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    digit_value(s[2]) < 16) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	rc = parse_digits(&s, base, out);
	if (rc)
		return rc;
	if (*s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

/* kstrtobool() of 6.12: the first character (or "on"/"off") decides. */
static int
kstrtobool_text(const char *s, bool *out)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case 'e': case 'E': case '1':
		*out = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case 'd': case 'D': case '0':
		*out = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*out = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*out = false;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}

/* A write of a fault_attr file; @return 0 or -errno. */
static int
write_fault_attr(struct scenario *s, enum file_kind kind, const char *value)
{
	struct hvo_fault_attr a;
	uint64_t v = 0;
	bool neg = false, b = false;
	int rc;

	hvo_fail_page_alloc_get(s->m, &a);
	if (kind == F_FAIL_IGNORE_WAIT || kind == F_FAIL_IGNORE_HIGHMEM)
		rc = kstrtobool_text(value, &b);
	else
		rc = kstrtoull0(value, &v, &neg);
	if (rc)
		return -EINVAL;
	/* Only the atomic_t files are signed. */
	if (neg && kind != F_FAIL_TIMES && kind != F_FAIL_SPACE)
		return -EINVAL;
	switch (kind) {
	case F_FAIL_PROBABILITY:
		a.probability = v;
		break;
	case F_FAIL_INTERVAL:
		a.interval = v;
		break;
	case F_FAIL_TIMES:
	case F_FAIL_SPACE:
		/* atomic_set() keeps the low 32 bits, as an int. */
		v = neg ? (uint64_t)0 - v : v;
		if (kind == F_FAIL_TIMES)
			a.times = (int32_t)(uint32_t)v;
		else
			a.space = (int32_t)(uint32_t)v;
		break;
	case F_FAIL_VERBOSE:
		a.verbose = v;
		break;
	case F_FAIL_MIN_ORDER:
		a.min_order = (uint32_t)v;
		break;
	case F_FAIL_IGNORE_WAIT:
		a.ignore_gfp_wait = b;
		break;
	case F_FAIL_IGNORE_HIGHMEM:
		a.ignore_gfp_highmem = b;
		break;
	default:
		return -EACCES;
	}
	return hvo_fail_page_alloc_set(s->m, &a) ? -EINVAL : 0;
}

/* proc_dointvec's reading: the ints separated by tabs, then a newline. */
static void
read_vm_sysctl(struct scenario *s, enum file_kind kind, FILE *f)
{
	int v[HVO_MAX_ZONES];
	unsigned nr = 1;

	if (kind == F_SYSCTL_MIN_FREE_KBYTES)
		hvo_min_free_kbytes_get(s->m, &v[0]);
	else if (kind == F_SYSCTL_WATERMARK_SCALE_FACTOR)
		hvo_watermark_scale_factor_get(s->m, &v[0]);
	else if (kind == F_SYSCTL_WATERMARK_BOOST_FACTOR)
		hvo_watermark_boost_factor_get(s->m, &v[0]);
	else if (kind == F_SYSCTL_PERCPU_PAGELIST_HIGH_FRACTION)
		hvo_percpu_pagelist_high_fraction_get(s->m, &v[0]);
	else if (hvo_lowmem_reserve_ratio_get(s->m, v, HVO_MAX_ZONES, &nr))
		nr = 0;
	for (unsigned i = 0; i < nr && i < HVO_MAX_ZONES; i++)
		fprintf(f, "%s%d", i ? "\t" : "", v[i]);
	fputc('\n', f);
}

/*
 * The int a proc_dointvec_minmax() write gives: sysctl_number(), then
 * the sign; -EINVAL outside int (do_proc_dointvec_conv()).
 */
static int
sysctl_int(const char *s, int64_t *out)
{
	uint64_t n;
	bool neg;

	if (sysctl_number(s, &n, &neg) ||
	    n > (neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX))
		return -EINVAL;
	*out = neg ? -(int64_t)n : (int64_t)n;
	return 0;
}

/*
 * lowmem_reserve_ratio_sysctl_handler(): proc_dointvec_minmax() stores
 * the ints up to the first it refuses, and the handler ignores the
 * refusal, so the write succeeds with what came before it.
 */
static int
write_lowmem_reserve_ratio(struct scenario *s, const char *value)
{
	int64_t v[HVO_MAX_ZONES];
	int cur[HVO_MAX_ZONES];
	unsigned nr, n = 0;

	if (hvo_lowmem_reserve_ratio_get(s->m, cur, HVO_MAX_ZONES, &nr))
		return -EINVAL;
	while (n < nr && n < HVO_MAX_ZONES) {
		char word[64];
		size_t len;

		while (is_wspace(*value))
			value++;
		len = strcspn(value, " \t\n");
		if (!len)
			break;
		if (len >= sizeof(word))
			break;
		memcpy(word, value, len);
		word[len] = '\0';
		value += len;
		if (sysctl_int(word, &v[n]))
			break;
		n++;
	}
	return n ? hvo_lowmem_reserve_ratio_set(s->m, v, n) : 0;
}

static void
read_file(struct scenario *s, enum file_kind kind, uint64_t size, FILE *f)
{
	struct hvo_hstate_info h;
	enum hvo_variant v = HVO_VARIANT_OFF;
	bool enabled;
	const char *reason;

	switch (kind) {
	case F_SYSCTL_MIN_FREE_KBYTES:
	case F_SYSCTL_WATERMARK_SCALE_FACTOR:
	case F_SYSCTL_LOWMEM_RESERVE_RATIO:
	case F_SYSCTL_WATERMARK_BOOST_FACTOR:
	case F_SYSCTL_PERCPU_PAGELIST_HIGH_FRACTION:
		read_vm_sysctl(s, kind, f);
		break;
	case F_SYSCTL_NR:
		/* hugetlb_sysctl_handler_common() reads max_huge_pages. */
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, s->default_size, &h) ?
			0 : h.max_huge_pages);
		break;
	case F_HP_NR:
		/* nr_hugepages_show() reads nr_huge_pages. */
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 : h.nr);
		break;
	case F_SYSCTL_OVERCOMMIT:
		size = s->default_size;
		/* fall through */
	case F_HP_OVERCOMMIT:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 :
			h.nr_overcommit);
		break;
	case F_HP_FREE:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 : h.free);
		break;
	case F_HP_RESV:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 : h.resv);
		break;
	case F_HP_SURPLUS:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 :
			h.surplus);
		break;
	case F_HP_DEMOTE_SIZE: {
		uint64_t ds = 0;

		/* demote_size_show(): "%lukB" */
		hvo_demote_size(s->m, size, &ds);
		fprintf(f, "%" PRIu64 "kB\n", ds >> 10);
		break;
	}
	case F_SYSCTL_OPTIMIZE:
		hvo_machine_hvo(s->m, &v, &enabled, &reason);
		fprintf(f, "%d\n", v != HVO_VARIANT_OFF);
		break;
	case F_MEMINFO:
		procfs_meminfo(f, s->m);
		break;
	case F_VMSTAT:
		procfs_vmstat(f, s->m);
		break;
	case F_BUDDYINFO:
		procfs_buddyinfo(f, s->m, "", PROCFS_KERNEL);
		break;
	case F_ZONEINFO:
		procfs_zoneinfo(f, s->m);
		break;
	case F_PAGETYPEINFO:
		procfs_pagetypeinfo(f, s->m);
		break;
	case F_CMDLINE:
		/* saved_command_line: the whole line, "--" and all. */
		fprintf(f, "%s\n", hvo_machine_config(s->m)->cmdline);
		break;
	case F_FAIL_PROBABILITY:
	case F_FAIL_INTERVAL:
	case F_FAIL_TIMES:
	case F_FAIL_SPACE:
	case F_FAIL_VERBOSE:
	case F_FAIL_MIN_ORDER:
	case F_FAIL_IGNORE_WAIT:
	case F_FAIL_IGNORE_HIGHMEM:
		read_fault_attr(s, kind, f);
		break;
	case F_DIR:
	default:
		break;
	}
}

/* The variant "1" turns on: the boot one, which fixed the encoding. */
static enum hvo_variant
variant_on(const struct hvo_machine *m)
{
	struct hvo_kernel_info k;

	return hvo_machine_kernel(m, &k) ? HVO_VARIANT_OFF : k.variant;
}

/* A write of @p value (with echo's newline); @return 0 or -errno. */
static int
write_file(struct scenario *s, enum file_kind kind, uint64_t size,
	   const char *value)
{
	uint64_t n;
	bool neg;
	int rc;

	switch (kind) {
	case F_SYSCTL_MIN_FREE_KBYTES:
	case F_SYSCTL_WATERMARK_SCALE_FACTOR:
	case F_SYSCTL_WATERMARK_BOOST_FACTOR:
	case F_SYSCTL_PERCPU_PAGELIST_HIGH_FRACTION: {
		int64_t v;

		/* proc_dointvec_minmax(): -EINVAL, and nothing changes. */
		if (sysctl_int(value, &v))
			return -EINVAL;
		if (kind == F_SYSCTL_MIN_FREE_KBYTES)
			rc = hvo_min_free_kbytes_set(s->m, v);
		else if (kind == F_SYSCTL_WATERMARK_SCALE_FACTOR)
			rc = hvo_watermark_scale_factor_set(s->m, v);
		else if (kind == F_SYSCTL_WATERMARK_BOOST_FACTOR)
			rc = hvo_watermark_boost_factor_set(s->m, v);
		else
			rc = hvo_percpu_pagelist_high_fraction_set(s->m, v);
		return rc ? -EINVAL : 0;
	}
	case F_SYSCTL_LOWMEM_RESERVE_RATIO:
		return write_lowmem_reserve_ratio(s, value);
	case F_SYSCTL_NR:
		if (sysctl_number(value, &n, &neg) || neg)
			return -EINVAL;
		return hvo_set_max_huge_pages(s->m, s->default_size, n);
	case F_HP_NR:
		rc = kstrtoul10(value, &n);
		if (rc)
			return rc;
		return hvo_set_max_huge_pages(s->m, size, n);
	case F_SYSCTL_OVERCOMMIT:
		/* hugetlb_overcommit_handler(): proc_doulongvec_minmax. */
		if (sysctl_number(value, &n, &neg) || neg)
			return -EINVAL;
		return hvo_set_nr_overcommit_hugepages(s->m, s->default_size, n) ?
		       -EINVAL : 0;
	case F_HP_OVERCOMMIT: {
		struct hvo_geometry g;
		struct hvo_hstate_info h;

		/*
		 * nr_overcommit_hugepages_store() refuses a gigantic size
		 * before it reads the number.
		 */
		hvo_machine_geometry(s->m, &g);
		if (hvo_machine_hstate_by_size(s->m, size, &h) ||
		    h.order > g.max_page_order)
			return -EINVAL;
		rc = kstrtoul10(value, &n);
		if (rc)
			return rc;
		return hvo_set_nr_overcommit_hugepages(s->m, size, n) ?
		       -EINVAL : 0;
	}
	case F_HP_DEMOTE:
		rc = kstrtoul10(value, &n);
		if (rc)
			return rc;
		return hvo_demote(s->m, size, n, NULL);
	case F_HP_DEMOTE_SIZE: {
		/*
		 * demote_size_store(): memparse() reads a number and a
		 * suffix and stops at the first character it cannot use
		 * ("2MB" is 2M, echo's newline ends it, no number is 0).
		 * The longest prefix hvo_parse_size() takes is that size.
		 */
		char buf[64];
		size_t len = strcspn(value, "\n");

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, value, len);
		n = 0;
		for (; len; len--) {
			buf[len] = '\0';
			if (!hvo_parse_size(buf, &n))
				break;
		}
		return hvo_set_demote_size(s->m, size, n) ? -EINVAL : 0;
	}
	case F_SYSCTL_OPTIMIZE:
		/* proc_dobool: an int, any non-zero value is true. */
		if (sysctl_number(value, &n, &neg) || n > INT32_MAX)
			return -EINVAL;
		return hvo_set_variant(s->m, n ? variant_on(s->m) :
				       HVO_VARIANT_OFF) ? -EINVAL : 0;
	case F_FAIL_PROBABILITY:
	case F_FAIL_INTERVAL:
	case F_FAIL_TIMES:
	case F_FAIL_SPACE:
	case F_FAIL_VERBOSE:
	case F_FAIL_MIN_ORDER:
	case F_FAIL_IGNORE_WAIT:
	case F_FAIL_IGNORE_HIGHMEM:
		return write_fault_attr(s, kind, value);
	default:
		return -EACCES;
	}
}

/* ---------------------------------------------------------------------- */
/* Statements                                                             */
/* ---------------------------------------------------------------------- */

static void
do_machine(struct scenario *s, char **w, int n)
{
	char err[512];

	if (n != 2) {
		report(s, true, "machine: expected one SPEC, e.g. machine x86_64:mem=4G");
		return;
	}
	if (s->have_spec) {
		report(s, true, "machine: given twice (first at line %lu)",
		       s->machine_line);
		return;
	}
	if (hvo_config_parse(&s->cfg, w[1], err, sizeof(err))) {
		report(s, true, "machine %s: %s", w[1], err);
		return;
	}
	if (s->opts->max_mem) {
		uint64_t mem = 0;

		for (unsigned i = 0; i < s->cfg.nr_mem_ranges; i++)
			mem += s->cfg.mem[i].size;
		if (mem > s->opts->max_mem) {
			report(s, true, "machine %s: %" PRIu64 " MiB of RAM is more than this run allows (%" PRIu64 " MiB)",
			       w[1], mem >> 20, s->opts->max_mem >> 20);
			return;
		}
	}
	s->have_spec = true;
	s->machine_line = s->line;
}

static void
do_cmdline(struct scenario *s, char **w, int n)
{
	static const char *const known[] = {
		"hugepagesz", "hugepages", "default_hugepagesz",
		"hugetlb_free_vmemmap", "init_on_alloc", "init_on_free", "--",
	};

	if (s->m || s->boot_failed) {
		report(s, true, "cmdline: the machine has already booted (at line %lu)",
		       s->boot_line);
		return;
	}
	for (int i = 1; i < n; i++) {
		const char *key = w[i];
		size_t have = strlen(s->cmdline), klen = strcspn(key, "=");
		bool modelled = false;

		/* The whole line goes to the kernel, which reads and logs it. */
		if (have + 1 + strlen(key) >= sizeof(s->cmdline)) {
			report(s, true, "cmdline: %s: the command line is longer than %d characters",
			       key, HVO_CMDLINE_LEN - 1);
			continue;
		}
		snprintf(s->cmdline + have, sizeof(s->cmdline) - have, "%s%s",
			 have ? " " : "", key);
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			modelled |= strlen(known[k]) == klen &&
				    !strncmp(key, known[k], klen);
		if (!modelled)
			report(s, false, "note: cmdline: unknown kernel parameter '%.*s' ignored",
			       (int)klen, key);
	}
}

static const char *
errno_text(int rc)
{
	switch (rc) {
	case -ENOENT:
		return "No such file or directory";
	case -EISDIR:
		return "Is a directory";
	case -EACCES:
		return "Permission denied";
	case -ERANGE:
		return "Numerical result out of range";
	case -ENOMEM:
		return "Cannot allocate memory";
	case -EBUSY:
		return "Device or resource busy";
	default:
		return "Invalid argument";
	}
}

static void
do_echo(struct scenario *s, char **w, int n)
{
	char value[4096];
	const char *path = s->redirect;
	size_t len = 0;
	enum file_kind kind;
	uint64_t size = 0;
	bool newline = true;
	int i = 1, rc;

	/* -n: no newline, as admins write "echo -n 64 > ...". */
	if (n > 1 && !strcmp(w[1], "-n")) {
		newline = false;
		i++;
	}
	if (n > i && w[i][0] == '-' && w[i][1] && strspn(w[i] + 1, "neE") ==
	    strlen(w[i] + 1)) {
		report(s, true, "echo %s: not supported here: only -n is", w[i]);
		return;
	}
	/* echo's words joined by blanks, empty ones too. */
	for (int first = i; i < n; i++) {
		if (len + strlen(w[i]) + 2 >= sizeof(value)) {
			report(s, true, "echo: the value is too long");
			return;
		}
		len += (size_t)sprintf(value + len, "%s%s", i > first ? " " : "",
				       w[i]);
	}
	if (newline)
		value[len++] = '\n';
	value[len] = '\0';
	if (!path) {
		/* Plain echo prints, as in the shell. */
		fputs(value, s->opts->out);
		return;
	}
	if (!machine(s))
		return;
	rc = lookup(s->m, path, &kind, &size);
	if (!rc && kind == F_DIR)
		rc = -EISDIR;
	if (!rc && (kind == F_HP_FREE || kind == F_HP_RESV ||
		    kind == F_HP_SURPLUS || kind == F_MEMINFO ||
		    kind == F_BUDDYINFO || kind == F_ZONEINFO ||
		    kind == F_PAGETYPEINFO || kind == F_CMDLINE))
		rc = -EACCES;
	if (rc) {
		/* The shell's redirection failed: echo never ran. */
		report(s, true, "%s: %s", path, errno_text(rc));
		return;
	}
	rc = write_file(s, kind, size, value);
	if (rc)
		report(s, true, "echo: write error: %s", errno_text(rc));
}

static void
do_cat(struct scenario *s, char **w, int n)
{
	if (n < 2) {
		report(s, true, "cat: expected a PATH");
		return;
	}
	if (!machine(s))
		return;
	for (int i = 1; i < n; i++) {
		enum file_kind kind;
		uint64_t size = 0;
		int rc = lookup(s->m, w[i], &kind, &size);

		if (!rc && kind == F_DIR)
			rc = -EISDIR;
		/* kernfs_fop_open(): no show, so no read, even for root. */
		if (!rc && kind == F_HP_DEMOTE)
			rc = -EACCES;
		if (rc) {
			report(s, true, "cat: %s: %s", w[i], errno_text(rc));
			continue;
		}
		read_file(s, kind, size, s->opts->out);
	}
}

static void
do_dmesg(struct scenario *s, char **w, int n)
{
	static char log[HVO_DMESG_MAX + 1];

	(void)w;
	if (n > 1) {
		report(s, true, "dmesg: no options are read (the log is printed as dmesg -t prints it)");
		return;
	}
	if (!machine(s))
		return;
	if (hvo_machine_dmesg(s->m, log, sizeof(log)))
		report(s, true, "dmesg: %s", hvo_machine_error(s->m));
	fputs(log, s->opts->out);
}

static void
do_kpageflags(struct scenario *s, char **w, int n)
{
	const struct hvo_config *cfg;
	uint64_t pfn, count = 1, max_pfn = 0, bad;

	if (n < 2 || n > 3 || sim_parse_number(w[1], UINT64_MAX, &pfn) ||
	    (n == 3 && sim_parse_number(w[2], UINT64_MAX, &count))) {
		report(s, true, "kpageflags: expected PFN [COUNT], numbers");
		return;
	}
	if (!machine(s))
		return;
	/* Reading /proc/kpageflags stops at max_pfn, the end of RAM. */
	cfg = hvo_machine_config(s->m);
	for (unsigned i = 0; cfg && i < cfg->nr_mem_ranges &&
			     i < HVO_MAX_MEM_RANGES; i++) {
		uint64_t end = (cfg->mem[i].base + cfg->mem[i].size) >>
			       cfg->page_shift;

		if (end > max_pfn)
			max_pfn = end;
	}
	if (pfn >= max_pfn)
		return;
	if (count > max_pfn - pfn)
		count = max_pfn - pfn;
	if (procfs_kpageflags(s->opts->out, s->m, pfn, count, "", &bad))
		report(s, true, "kpageflags: pfn 0x%" PRIx64 ": %s", bad,
		       hvo_machine_error(s->m));
}

/*
 * The text of the file at @p path, as cat would print it, in a buffer
 * the caller frees. @return 0, -ENOENT or -EISDIR (with *@p text NULL),
 * or -ENOMEM.
 */
static int
file_text(struct scenario *s, const char *path, char **text, size_t *len)
{
	enum file_kind kind;
	uint64_t size = 0;
	FILE *f;
	int rc;

	*text = NULL;
	*len = 0;
	rc = lookup(s->m, path, &kind, &size);
	if (!rc && kind == F_DIR)
		rc = -EISDIR;
	if (rc)
		return rc;
	f = open_memstream(text, len);
	if (!f)
		return -ENOMEM;
	read_file(s, kind, size, f);
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* sysctl (procps-ng)                                                     */
/* ---------------------------------------------------------------------- */

/*
 * A key as sysctl reads it: "vm.nr_hugepages" or "vm/nr_hugepages" name
 * /proc/sys/vm/nr_hugepages; it prints the key with dots.
 */
static void
sysctl_paths(const char *key, char *path, size_t plen, char *name,
	     size_t nlen)
{
	bool slashed = strchr(key, '/') != NULL;
	size_t i;

	/* A key too long for the buffers is cut: it names no sysctl then. */
	if (snprintf(path, plen, "/proc/sys/%s", key) >= (int)plen ||
	    snprintf(name, nlen, "%s", key) >= (int)nlen)
		path[plen - 1] = name[nlen - 1] = '\0';
	for (i = strlen("/proc/sys/"); path[i]; i++)
		if (!slashed && path[i] == '.')
			path[i] = '/';
	for (i = 0; name[i]; i++)
		if (name[i] == '/')
			name[i] = '.';
}

static void
sysctl_read(struct scenario *s, const char *key, bool value_only)
{
	char path[512], name[512], *text;
	size_t len;
	int rc;

	sysctl_paths(key, path, sizeof(path), name, sizeof(name));
	rc = strncmp(path, "/proc/sys/", 10) ? -ENOENT :
	     file_text(s, path, &text, &len);
	if (rc == -EISDIR) {
		report(s, true, "sysctl: reading key \"%s\": Is a directory (directories are not listed here)",
		       name);
		return;
	}
	if (rc) {
		report(s, true, "sysctl: cannot stat %s: %s", path,
		       errno_text(rc));
		return;
	}
	if (value_only)
		fputs(text, s->opts->out);
	else
		fprintf(s->opts->out, "%s = %s", name, text);
	free(text);
}

static void
sysctl_write(struct scenario *s, const char *arg, bool value_only)
{
	char key[512], path[512], name[512];
	const char *value = strchr(arg, '=');
	enum file_kind kind;
	uint64_t size = 0;
	int rc;

	if (!value || value == arg) {
		report(s, true, "sysctl: \"%s\" must be of the form name=value",
		       arg);
		return;
	}
	snprintf(key, sizeof(key), "%.*s", (int)(value - arg), arg);
	value++;
	sysctl_paths(key, path, sizeof(path), name, sizeof(name));
	rc = lookup(s->m, path, &kind, &size);
	if (!rc && kind == F_DIR)
		rc = -EISDIR;
	if (rc) {
		report(s, true, "sysctl: cannot stat %s: %s", path,
		       errno_text(rc));
		return;
	}
	rc = write_file(s, kind, size, value);
	if (rc) {
		report(s, true, "sysctl: setting key \"%s\": %s", name,
		       errno_text(rc));
		return;
	}
	/* sysctl -w says what it wrote. */
	if (value_only)
		fprintf(s->opts->out, "%s\n", value);
	else
		fprintf(s->opts->out, "%s = %s\n", name, value);
}

/* sysctl [-n] [-w] NAME[=VALUE]...: a NAME=VALUE writes, -w or not. */
static void
do_sysctl(struct scenario *s, char **w, int n)
{
	bool value_only = false, write = false;
	int i = 1;

	for (; i < n && w[i][0] == '-' && w[i][1]; i++) {
		for (const char *o = w[i] + 1; *o; o++) {
			if (*o == 'n') {
				value_only = true;
			} else if (*o == 'w') {
				write = true;
			} else {
				report(s, true, "sysctl -%c: not supported here (only -n and -w)",
				       *o);
				return;
			}
		}
	}
	if (i == n) {
		report(s, true, "sysctl: expected NAME or NAME=VALUE");
		return;
	}
	if (!machine(s))
		return;
	for (; i < n; i++) {
		if (write || strchr(w[i], '='))
			sysctl_write(s, w[i], value_only);
		else
			sysctl_read(s, w[i], value_only);
	}
}

/* ---------------------------------------------------------------------- */
/* grep                                                                   */
/* ---------------------------------------------------------------------- */

/* grep -F: @p pattern in @p line, or the whole line with @p whole. */
static bool
fixed_match(const char *line, const char *pattern, bool whole, bool icase)
{
	size_t plen = strlen(pattern), llen = strlen(line);

	for (size_t at = 0; at + plen <= llen; at++) {
		size_t k = 0;

		if (whole && (at || llen != plen))
			return false;
		for (; k < plen; k++) {
			char a = line[at + k], b = pattern[k];

			if (icase) {
				a = (char)tolower((unsigned char)a);
				b = (char)tolower((unsigned char)b);
			}
			if (a != b)
				break;
		}
		if (k == plen)
			return true;
	}
	return false;
}

/*
 * grep [-qcvixFE] PATTERN FILE...: a basic regex by default (-E extended,
 * -F a fixed string), lines printed with "FILE:" when there are several
 * files. Its status: 0 a line matched, 1 none did (the line fails, as a
 * command with a non-zero status), 2 an error.
 */
static void
do_grep(struct scenario *s, char **w, int n)
{
	bool quiet = false, count = false, invert = false, icase = false;
	bool whole = false, fixed = false, ext = false, matched = false;
	const char *pattern;
	regex_t re;
	int i = 1, rc;

	for (; i < n && w[i][0] == '-' && w[i][1]; i++) {
		if (!strcmp(w[i], "--")) {
			i++;
			break;
		}
		for (const char *o = w[i] + 1; *o; o++) {
			switch (*o) {
			case 'q': quiet = true; break;
			case 'c': count = true; break;
			case 'v': invert = true; break;
			case 'i': icase = true; break;
			case 'x': whole = true; break;
			case 'F': fixed = true; break;
			case 'E': ext = true; break;
			default:
				report(s, true, "grep -%c: not supported here (only -q, -c, -v, -i, -x, -F, -E)",
				       *o);
				return;
			}
		}
	}
	if (n - i < 2) {
		report(s, true, "grep: expected PATTERN FILE... (standard input is not read here)");
		return;
	}
	pattern = w[i++];
	if (!fixed) {
		char anchored[1024];

		snprintf(anchored, sizeof(anchored), whole ? "^(%s)$" : "%s",
			 pattern);
		if (whole && !ext)
			snprintf(anchored, sizeof(anchored), "^\\(%s\\)$",
				 pattern);
		rc = regcomp(&re, anchored, (ext ? REG_EXTENDED : 0) |
			     (icase ? REG_ICASE : 0) | REG_NOSUB);
		if (rc) {
			report(s, true, "grep: %s: invalid regular expression",
			       pattern);
			return;
		}
	}
	if (!machine(s))
		goto out;
	for (int f = i; f < n; f++) {
		unsigned long hits = 0;
		char *text, *line, *next;
		size_t len;

		rc = file_text(s, w[f], &text, &len);
		if (rc) {
			report(s, true, "grep: %s: %s", w[f], errno_text(rc));
			continue;
		}
		for (line = text; *line; line = next) {
			bool hit;

			next = line + strcspn(line, "\n");
			if (*next)
				*next++ = '\0';
			if (fixed)
				hit = fixed_match(line, pattern, whole, icase);
			else
				hit = regexec(&re, line, 0, NULL, 0) == 0;
			if (hit == invert)
				continue;
			hits++;
			matched = true;
			if (quiet || count)
				continue;
			if (n - i > 1)
				fprintf(s->opts->out, "%s:", w[f]);
			fprintf(s->opts->out, "%s\n", line);
		}
		free(text);
		if (count && !quiet) {
			if (n - i > 1)
				fprintf(s->opts->out, "%s:", w[f]);
			fprintf(s->opts->out, "%lu\n", hits);
		}
	}
	if (!matched)
		report(s, true, "grep: exit status 1: no line matched");
out:
	if (!fixed)
		regfree(&re);
}

/* ---------------------------------------------------------------------- */
/* ls                                                                     */
/* ---------------------------------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * ls of /sys/kernel/mm/hugepages or node 0's hugepages (a directory per
 * hugepage size) and of one hstate's directory (the files of it this
 * runner has), one name a line, sorted, as ls prints to a pipe or a file.
 */
static void
ls_dir(struct scenario *s, const char *path)
{
	static const char top[] = "/sys/kernel/mm/hugepages";
	char names[16][32], *sorted[16];
	struct hvo_hstate_info h;
	size_t len = strlen(path), nr = 0;
	enum file_kind kind;
	uint64_t size = 0;
	int rc;

	while (len > 1 && path[len - 1] == '/')
		len--;
	rc = lookup(s->m, path, &kind, &size);
	if (rc) {
		report(s, true, "ls: cannot access '%s': %s", path,
		       errno_text(rc));
		return;
	}
	if (kind != F_DIR) {
		fprintf(s->opts->out, "%s\n", path);
		return;
	}
	if ((len == sizeof(top) - 1 && !strncmp(path, top, len)) ||
	    (len == sizeof(NODE_HUGEPAGES) - 1 &&
	     !strncmp(path, NODE_HUGEPAGES, len))) {
		for (unsigned i = 0; nr < 16 && hvo_machine_hstate(s->m, i, &h) == 0; i++)
			snprintf(names[nr++], sizeof(names[0]),
				 "hugepages-%" PRIu64 "kB", h.size >> 10);
	} else if (size) {
		for (size_t i = 0; nr < 16 && i < sizeof(hp_files) / sizeof(hp_files[0]); i++) {
			char file[256];
			enum file_kind k;
			uint64_t sz;

			snprintf(file, sizeof(file), "%.*s/%s", (int)len, path,
				 hp_files[i].name);
			if (!lookup(s->m, file, &k, &sz))
				snprintf(names[nr++], sizeof(names[0]), "%s",
					 hp_files[i].name);
		}
	} else {
		report(s, true, "ls %s: not supported here: only /sys/kernel/mm/hugepages, " NODE_HUGEPAGES " and their directories are listed",
		       path);
		return;
	}
	for (size_t i = 0; i < nr; i++)
		sorted[i] = names[i];
	qsort(sorted, nr, sizeof(sorted[0]), name_cmp);
	for (size_t i = 0; i < nr; i++)
		fprintf(s->opts->out, "%s\n", sorted[i]);
}

static void
do_ls(struct scenario *s, char **w, int n)
{
	if (n < 2) {
		report(s, true, "ls: expected a PATH (the current directory is none here)");
		return;
	}
	for (int i = 1; i < n; i++) {
		if (w[i][0] == '-') {
			report(s, true, "ls %s: not supported here: no options are read",
			       w[i]);
			return;
		}
	}
	if (!machine(s))
		return;
	for (int i = 1; i < n; i++) {
		if (n > 2)
			fprintf(s->opts->out, "%s%s:\n", i > 1 ? "\n" : "", w[i]);
		ls_dir(s, w[i]);
	}
}

/* ---------------------------------------------------------------------- */
/* Lines                                                                  */
/* ---------------------------------------------------------------------- */

/* The hugepage size of an optional SIZE word, or the default one. */
static bool
mapping_size(struct scenario *s, const char *stmt, char **w, int n,
	     uint64_t *nr, uint64_t *size)
{
	if (n < 2 || n > 3 || kstrtoul10(w[1], nr)) {
		report(s, true, "%s: expected N [SIZE]", stmt);
		return false;
	}
	if (!machine(s))
		return false;
	*size = s->default_size;
	if (n == 3 && (hvo_parse_size(w[2], size) || !have_hstate(s->m, *size))) {
		report(s, true, "%s: %s: no hugepages of that size", stmt, w[2]);
		return false;
	}
	return true;
}

/*
 * mmap_hugetlb N [SIZE]: mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB)
 * reserves N hugepages (hugetlb_reserve_pages(): chg is the whole
 * range), then one write per hugepage, lowest address first, faults each
 * in, consuming a reservation (alloc_hugetlb_folio()). The internal
 * hugetlbfs mount has no size= or min_size=, so no subpool: its counts
 * change nothing here. The selftest's memfd mapping (MAP_SHARED) gives
 * the same counts while it is mapped whole and when it is unmapped whole;
 * only a partial munmap differs there, whose pages stay in the file.
 */
static void
do_mmap_hugetlb(struct scenario *s, char **w, int n)
{
	uint64_t nr, size;
	int rc;

	if (!mapping_size(s, "mmap_hugetlb", w, n, &nr, &size))
		return;
	/* The reservation first: it bounds nr by the pool and overcommit. */
	rc = hvo_hugetlb_reserve_pages(s->m, size, nr);
	if (rc) {
		report(s, true, "mmap_hugetlb: mmap: %s", errno_text(rc));
		return;
	}
	if (s->nr_mapped + nr > s->mapped_cap) {
		size_t cap = s->nr_mapped + nr;
		struct mapped_hugepage *p;

		if (nr > SIZE_MAX / 2 / sizeof(*p) ||
		    !(p = realloc(s->mapped, cap * sizeof(*p)))) {
			hvo_hugetlb_unreserve_pages(s->m, size, nr);
			report(s, true, "mmap_hugetlb: mmap: %s", errno_text(-ENOMEM));
			return;
		}
		s->mapped = p;
		s->mapped_cap = cap;
	}
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t pfn;

		rc = hvo_alloc_hugetlb_folio(s->m, size, true, &pfn);
		if (rc) {
			report(s, true, "mmap_hugetlb: Bus error (%s)",
			       hvo_machine_error(s->m));
			/*
			 * SIGBUS kills the program that faulted: exit_mmap()
			 * frees the pages this mapping had, in address order,
			 * then hugetlb_vm_op_close() gives back the
			 * reservations left. Mappings of earlier lines stay.
			 */
			for (uint64_t k = 0; k < i; k++)
				hvo_free_huge_folio(s->m,
						    s->mapped[s->nr_mapped - i + k].pfn);
			s->nr_mapped -= i;
			hvo_hugetlb_unreserve_pages(s->m, size, nr - i);
			return;
		}
		s->mapped[s->nr_mapped++] = (struct mapped_hugepage){ pfn, size };
	}
}

/*
 * munmap_hugetlb N [SIZE]: the newest N mapped hugepages of SIZE go. The
 * kernel's zap walks the range up, so they are freed oldest first
 * (free_huge_folio() of each, in address order), and the one faulted
 * last ends at the head of the free list. The pages were touched: their
 * reservations were consumed at the fault, and a private mapping's
 * hugetlb_vm_op_close() has none left to give back.
 */
static void
do_munmap_hugetlb(struct scenario *s, char **w, int n)
{
	uint64_t nr, size, have = 0;
	size_t first, kept;

	if (!mapping_size(s, "munmap_hugetlb", w, n, &nr, &size))
		return;
	for (size_t i = 0; i < s->nr_mapped; i++)
		have += s->mapped[i].size == size;
	if (nr > have) {
		report(s, true, "munmap_hugetlb: %" PRIu64 " hugepages of %" PRIu64 " kB are mapped, not %" PRIu64,
		       have, size >> 10, nr);
		return;
	}
	/* The oldest of the newest @nr of this size. */
	for (first = s->nr_mapped, have = 0; have < nr; first--)
		have += s->mapped[first - 1].size == size;
	kept = first;
	for (size_t i = first; i < s->nr_mapped; i++) {
		if (s->mapped[i].size != size) {
			s->mapped[kept++] = s->mapped[i];
			continue;
		}
		if (hvo_free_huge_folio(s->m, s->mapped[i].pfn))
			report(s, true, "munmap_hugetlb: %s",
			       hvo_machine_error(s->m));
	}
	s->nr_mapped = kept;
}

/*
 * The statements, each a function of its words. A line whose first word
 * is none of them is refused: the runner never guesses.
 */
static const struct statement {
	const char *name;
	void (*run)(struct scenario *s, char **w, int n);
	bool redirect;       /* takes "> PATH" */
} statements[] = {
	{ "machine", do_machine, false },
	{ "cmdline", do_cmdline, false },
	{ "echo", do_echo, true },
	{ "cat", do_cat, false },
	{ "dmesg", do_dmesg, false },
	{ "kpageflags", do_kpageflags, false },
	{ "sysctl", do_sysctl, false },
	{ "grep", do_grep, false },
	{ "ls", do_ls, false },
	{ "mmap_hugetlb", do_mmap_hugetlb, false },
	{ "munmap_hugetlb", do_munmap_hugetlb, false },
};

/*
 * Split @p line into words as sh does for the simple commands a scenario
 * has: blanks separate words, '...' and "..." quote (a backslash escapes
 * outside single quotes), '#' at the start of a word starts a comment,
 * and one "> PATH" redirects. Everything else the shell would treat as
 * syntax (| & ; < >> ( ) ` $ and globs) is refused with what it is:
 * running the line without it would diverge from the shell silently.
 * @return the number of words, or -1 after a report.
 */
static int
split_line(struct scenario *s, const char *line, char *out, char **w)
{
	const char *p = line;
	int n = 0;

	s->redirect = NULL;
	for (;;) {
		bool quoted = false, redirect = false;
		char *word;

		while (*p && strchr(" \t\r\n\v\f", *p))
			p++;
		if (!*p || *p == '#')
			break;
		if (*p == '>') {
			if (p[1] == '>' || p[1] == '|' || p[1] == '&') {
				report(s, true, "'>%c': not supported here (only one '> FILE' redirection)",
				       p[1]);
				return -1;
			}
			if (s->redirect) {
				report(s, true, "'>': not supported here (only one '> FILE' redirection)");
				return -1;
			}
			redirect = true;
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		}
		word = out;
		while (*p && !strchr(" \t\r\n\v\f", *p)) {
			char c = *p;

			if (c == '\'' || c == '"') {
				const char *end = strchr(p + 1, c);

				if (!end) {
					report(s, true, "unterminated quote %c", c);
					return -1;
				}
				for (p++; p < end; p++) {
					if (c == '"' && (*p == '$' || *p == '`')) {
						report(s, true, "'%c' in double quotes: not supported here (no expansion is done)",
						       *p);
						return -1;
					}
					if (c == '"' && *p == '\\' && p + 1 < end &&
					    strchr("\"\\$`", p[1]))
						p++;
					*out++ = *p;
				}
				p++;
				quoted = true;
				continue;
			}
			if (c == '\\' && p[1]) {
				*out++ = p[1];
				p += 2;
				quoted = true;
				continue;
			}
			/* A machine spec is libhvo's, not sh's: ';' lists sizes. */
			if (c == ';' && n && !strcmp(w[0], "machine")) {
				*out++ = *p++;
				continue;
			}
			if (strchr("|&;<()`$", c)) {
				report(s, true, "'%c': not supported here (no pipes, lists, subshells, input redirections or expansions: one simple command a line)",
				       c);
				return -1;
			}
			if (strchr("*?[", c)) {
				report(s, true, "'%c': not supported here (no globbing: name each file)",
				       c);
				return -1;
			}
			if (c == '>') {
				/* "2>" redirects a descriptor; "a>" ends the word. */
				if (out > word && strspn(word, "0123456789") ==
				    (size_t)(out - word)) {
					report(s, true, "'%.*s>': not supported here (only one '> FILE' redirection)",
					       (int)(out - word), word);
					return -1;
				}
				break;
			}
			*out++ = *p++;
		}
		if (redirect) {
			if (out == word && !quoted) {
				report(s, true, "syntax error: '>' without a FILE");
				return -1;
			}
			*out++ = '\0';
			s->redirect = word;
			continue;
		}
		if (out == word && !quoted)
			continue;
		if (n == MAX_WORDS) {
			report(s, true, "more than %d words", MAX_WORDS);
			return -1;
		}
		*out++ = '\0';
		w[n++] = word;
	}
	return n;
}

/* Run one command: its words, and s->redirect. */
static void
run_words(struct scenario *s, char **w, int n)
{
	size_t i;

	if (!n) {
		if (s->redirect)
			report(s, true, "'> %s' without a command: not supported here",
			       s->redirect);
		return;
	}
	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (!strcmp(w[0], statements[i].name))
			break;
	if (i == sizeof(statements) / sizeof(statements[0])) {
		report(s, true, "%.64s: not supported here: unknown command (see " PROG " run --help)",
		       w[0]);
		return;
	}
	if (s->redirect && !statements[i].redirect) {
		report(s, true, "%s > %s: not supported here (only echo writes a file)",
		       w[0], s->redirect);
		return;
	}
	statements[i].run(s, w, n);
	fflush(s->opts->out);
}

/* Returns the number of words run, or -1 if the line was refused. */
static int
run_line(struct scenario *s, char *line)
{
	/* Each word's NUL takes the place of what ended it. */
	char *w[MAX_WORDS], *words = malloc(strlen(line) + 2);
	int n;

	if (!words) {
		report(s, true, "out of host memory");
		return -1;
	}
	n = split_line(s, line, words, w);
	if (n >= 0)
		run_words(s, w, n);
	free(words);
	return n;
}

/*
 * One line under --json: what it prints and what is said of it go to
 * buffers of their own, through @p o (s->opts), in place of the caller's
 * @p opts, then written as one record of JSON Lines
 * (doc/schema/run.schema.json). A line without a command (blank, a
 * comment) that says nothing has no record.
 */
static void
run_line_json(struct scenario *s, struct scenario_opts *o,
	      const struct scenario_opts *opts, char *line)
{
	char *out = NULL, *msg = NULL;
	size_t out_len = 0, msg_len = 0, len;
	int n;

	o->out = open_memstream(&out, &out_len);
	o->err = open_memstream(&msg, &msg_len);
	if (!o->out || !o->err) {
		if (o->out)
			fclose(o->out);
		if (o->err)
			fclose(o->err);
		o->out = opts->out;
		o->err = opts->err;
		report(s, true, "out of host memory");
		return;
	}
	n = run_line(s, line);
	fclose(o->out);
	fclose(o->err);
	o->out = opts->out;
	o->err = opts->err;
	if (n == 0 && !out_len && !msg_len && !s->line_failed)
		goto out;
	len = strcspn(line, "\n");
	line[len] = '\0';
	hvo_json_begin(opts->out, HVO_JSON_COMPACT);
	fputs(",\"file\":", opts->out);
	hvo_json_string(opts->out, s->name);
	fprintf(opts->out, ",\"line\":%lu,\"text\":", s->line);
	hvo_json_string(opts->out, line);
	fprintf(opts->out, ",\"status\":%d,\"output\":",
		s->line_failed ? EXIT_RUNTIME : EXIT_OK);
	hvo_json_string(opts->out, out ? out : "");
	fputs(",\"messages\":", opts->out);
	hvo_json_string(opts->out, msg ? msg : "");
	fputs("}\n", opts->out);
	fflush(opts->out);
out:
	free(out);
	free(msg);
}

int
scenario_run(FILE *in, const char *name, const struct scenario_opts *opts)
{
	/* Under --json each line prints into buffers of its own. */
	struct scenario_opts o = *opts;
	struct scenario s = {
		.name = name,
		.opts = &o,
		.trace_out = opts->json ? opts->err : opts->out,
	};
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, in) >= 0) {
		s.line++;
		s.line_failed = false;
		if (opts->json)
			run_line_json(&s, &o, opts, line);
		else
			run_line(&s, line);
		if (opts->after_line && s.m)
			opts->after_line(opts->ctx, s.m, s.line);
	}
	if (ferror(in)) {
		fprintf(opts->err, PROG " run: %s: read error\n", s.name);
		s.failed = true;
	}
	free(line);
	free(s.mapped);
	hvo_machine_free(s.m);
	if (fflush(opts->out) || ferror(opts->out))
		s.failed = true;
	return s.failed ? EXIT_RUNTIME : EXIT_OK;
}

int
scenario_main(int argc, char **argv)
{
	struct scenario_opts opts = { .out = stdout, .err = stderr };
	const char *file = NULL;
	FILE *f;
	int status;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--trace")) {
			opts.trace = true;
			continue;
		}
		if (!strcmp(argv[i], "--json")) {
			opts.json = true;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, PROG " run: unknown option %s\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
		if (file) {
			fprintf(stderr, PROG " run: one FILE only\n");
			usage(stderr);
			return EXIT_USAGE;
		}
		file = argv[i];
	}
	if (!file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(file, "-"))
		return scenario_run(stdin, "<stdin>", &opts);
	f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, PROG " run: %s: %s\n", file, strerror(errno));
		return EXIT_RUNTIME;
	}
	status = scenario_run(f, file, &opts);
	fclose(f);
	return status;
}
