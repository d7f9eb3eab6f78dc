/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim run FILE|-: a scenario written in the syntax a Linux user already
 * types at a root shell: a kernel command line, then echo and cat on the
 * files of /proc and /sys that HugeTLB and HVO show. The same script (its
 * machine and kpageflags lines aside) runs on a real machine, so the two can
 * be compared line by line; that is why every value is printed in the
 * kernel's own format and every refused write gets the shell's message.
 *
 * Like a shell, a failed line is reported and the scenario goes on; the exit
 * status says whether any line failed.
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <errno.h>
#include <inttypes.h>
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
/* cmdline hugepages= entries kept (the kernel has one per hstate). */
#define MAX_POOLS HVO_MAX_MEM_RANGES

/* One hugepages=N of the command line, resolved when the machine boots. */
struct boot_pool {
	uint64_t size;       /* bytes; 0: the default size, known at boot */
	uint64_t nr;
	unsigned long line;  /* where it was given, for messages */
};

struct scenario {
	const char *name;    /* the file as messages name it */
	const struct scenario_opts *opts;
	unsigned long line;  /* the line being run */
	bool failed;         /* some line failed: exit status 1 */

	bool have_spec;      /* a machine line was read */
	unsigned long machine_line;
	struct hvo_config cfg;
	struct hvo_machine *m;
	bool boot_failed;
	unsigned long boot_line;

	/* The kernel command line, applied at boot. */
	struct boot_pool pools[MAX_POOLS];
	unsigned nr_pools;
	uint64_t cur_hugepagesz;   /* the last hugepagesz=, 0 if none */
	uint64_t default_hugepagesz;
	unsigned long default_line;
	/* The words of the command line, for hvo_config_cmdline() at boot. */
	char cmdline[HVO_CMDLINE_LEN];

	uint64_t default_size;     /* HPAGE_SIZE, or default_hugepagesz= */
};

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " run [--trace] FILE|-\n"
		"\n"
		"Run a scenario: one statement per line, '#' starts a comment.\n"
		"Everything but the machine and kpageflags lines is what a root\n"
		"shell on a real Linux machine would run, with the same output.\n"
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
		"                        them; others are ignored, as the kernel does\n"
		"  echo VALUE > PATH     write a file (without '>', print VALUE)\n"
		"  cat PATH...           read files\n"
		"  dmesg                 the kernel log, as dmesg prints it on a real\n"
		"                        machine (as dmesg -t: this one has no clock):\n"
		"                        the command line, what the kernel says of it\n"
		"                        and of HVO at boot, bad pages found later\n"
		"  kpageflags PFN [COUNT]\n"
		"                        /proc/kpageflags of COUNT pfns (default 1):\n"
		"                        pfn and flags in hex, flag names\n"
		"\n"
		"Files:\n"
		"  /proc/sys/vm/nr_hugepages\n"
		"  /proc/sys/vm/hugetlb_optimize_vmemmap\n"
		"  /sys/kernel/mm/hugepages/hugepages-<size>kB/nr_hugepages,\n"
		"      free_hugepages, resv_hugepages, surplus_hugepages,\n"
		"      demote_size and demote (5.16 on, sizes with a smaller one)\n"
		"  /proc/meminfo (the fields the machine has), /proc/buddyinfo,\n"
		"  /proc/zoneinfo (the fields the machine has)\n"
		"\n"
		"Options:\n"
		"      --trace  print every event of the scenario's lines: entries\n"
		"               written, TLB flushes, pages allocated and freed, faults\n"
		"  -h, --help   show this help and exit\n"
		"\n"
		"A line that fails is reported with its number and the scenario goes\n"
		"on, as a shell would. Exit status: 0 if every line ran, 1 if any\n"
		"failed, 2 for a usage error.\n");
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
		s->failed = true;
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

static int
new_machine(const struct hvo_config *cfg, struct hvo_machine **m, char *err,
	    size_t errlen)
{
	*m = NULL;
	return hvo_machine_new(cfg, m, err, errlen);
}

/*
 * Boot with the command line applied. The pools' sizes can only be checked
 * against a booted machine, so a command line with pools boots twice: once
 * bare to learn the hugepage sizes, once with the pools the kernel would
 * accept. libhvo refuses a boot whose pools do not fit where the kernel
 * allocates what it can and goes on, so such pools are grown after boot
 * as far as memory allows instead.
 */
static int
boot(struct scenario *s)
{
	struct hvo_config cfg = s->cfg;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	char err[512];
	bool late = false;
	int rc;

	/*
	 * The command line as the machine's release reads it; what its
	 * kernel says about it is noted here, and stays in its log.
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
	cfg.nr_boot_hugepages = 0;
	rc = new_machine(&cfg, &s->m, err, sizeof(err));
	if (rc) {
		report(s, true, "machine (line %lu): %s", s->machine_line, err);
		return rc;
	}
	hvo_machine_geometry(s->m, &g);
	s->default_size = g.default_hugepage_size;
	if (s->default_hugepagesz) {
		if (have_hstate(s->m, s->default_hugepagesz)) {
			s->default_size = s->default_hugepagesz;
		} else {
			unsigned long line = s->line;

			s->line = s->default_line;
			report(s, true, "cmdline: unsupported default_hugepagesz=%" PRIu64 "K, keeping %" PRIu64 "K",
			       s->default_hugepagesz >> 10, s->default_size >> 10);
			s->line = line;
		}
	}

	/* The pools this machine has, each size once (the last one wins). */
	for (unsigned i = 0; i < s->nr_pools; i++) {
		struct boot_pool *p = &s->pools[i];
		uint64_t size = p->size ? p->size : s->default_size;
		unsigned k;

		if (!have_hstate(s->m, size)) {
			unsigned long line = s->line;

			s->line = p->line;
			report(s, true, "cmdline: unsupported hugepagesz=%" PRIu64 "K, its hugepages= ignored",
			       size >> 10);
			s->line = line;
			continue;
		}
		for (k = 0; k < cfg.nr_boot_hugepages; k++)
			if (cfg.boot_hugepages[k].size == size)
				break;
		if (k == cfg.nr_boot_hugepages)
			cfg.nr_boot_hugepages++;
		cfg.boot_hugepages[k].size = size;
		/* More than RAM is a failed allocation, not a bad value. */
		cfg.boot_hugepages[k].nr = p->nr > g.mem_bytes / size ?
					   g.mem_bytes / size : p->nr;
	}
	if (cfg.nr_boot_hugepages) {
		struct hvo_machine *m2;

		if (new_machine(&cfg, &m2, err, sizeof(err)) == 0) {
			hvo_machine_free(s->m);
			s->m = m2;
		} else {
			report(s, false, "note: the boot pools: %s; growing them after boot instead",
			       err);
			late = true;
		}
	}
	/* The kernel finishes deferred struct page init before userspace. */
	hvo_machine_init_deferred(s->m);
	/* The lines run as a script would: sh writes the files. */
	hvo_machine_set_comm(s->m, "sh");
	/* From here on the scenario's own lines act: trace them. */
	if (s->opts->trace)
		hvo_set_trace(s->m, sim_trace_print, s->opts->out);

	for (unsigned k = 0; k < cfg.nr_boot_hugepages; k++) {
		uint64_t size = cfg.boot_hugepages[k].size;
		uint64_t want = cfg.boot_hugepages[k].nr;

		for (unsigned i = 0; i < s->nr_pools; i++)
			if ((s->pools[i].size ? s->pools[i].size :
			     s->default_size) == size)
				want = s->pools[i].nr;
		if (late)
			hvo_write_nr_hugepages(s->m, size,
					       cfg.boot_hugepages[k].nr);
		for (unsigned i = 0; hvo_machine_hstate(s->m, i, &h) == 0; i++)
			if (h.size == size && h.nr < want)
				report(s, false, "note: HugeTLB: allocating %" PRIu64 " of page size %s failed.  Only allocated %" PRIu64 " hugepages.",
				       want, h.name, h.nr);
	}
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
	F_HP_NR,
	F_HP_FREE,
	F_HP_RESV,
	F_HP_SURPLUS,
	F_HP_DEMOTE,        /* write-only: demote_store() */
	F_HP_DEMOTE_SIZE,
	F_MEMINFO,
	F_BUDDYINFO,
	F_ZONEINFO,
};

static const char *const dirs[] = {
	"/", "/proc", "/proc/sys", "/proc/sys/vm", "/sys", "/sys/kernel",
	"/sys/kernel/mm", "/sys/kernel/mm/hugepages",
};

static const struct {
	const char *path;
	enum file_kind kind;
} files[] = {
	{ "/proc/sys/vm/nr_hugepages", F_SYSCTL_NR },
	{ "/proc/sys/vm/hugetlb_optimize_vmemmap", F_SYSCTL_OPTIMIZE },
	{ "/proc/meminfo", F_MEMINFO },
	{ "/proc/buddyinfo", F_BUDDYINFO },
	{ "/proc/zoneinfo", F_ZONEINFO },
};

static const struct {
	const char *name;
	enum file_kind kind;
} hp_files[] = {
	{ "nr_hugepages", F_HP_NR },
	{ "free_hugepages", F_HP_FREE },
	{ "resv_hugepages", F_HP_RESV },
	{ "surplus_hugepages", F_HP_SURPLUS },
	{ "demote", F_HP_DEMOTE },
	{ "demote_size", F_HP_DEMOTE_SIZE },
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
	size_t len = strlen(path);
	const char *p;
	uint64_t kb;

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
	if (strncmp(path, hp, sizeof(hp) - 1))
		return -ENOENT;
	p = path + sizeof(hp) - 1;
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
		if (strcmp(p, hp_files[i].name) == 0) {
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

static void
read_file(struct scenario *s, enum file_kind kind, uint64_t size, FILE *f)
{
	struct hvo_hstate_info h;
	enum hvo_variant v = HVO_VARIANT_OFF;
	bool enabled;
	const char *reason;

	switch (kind) {
	case F_SYSCTL_NR:
		size = s->default_size;
		/* fall through */
	case F_HP_NR:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 : h.nr);
		break;
	case F_HP_FREE:
		fprintf(f, "%" PRIu64 "\n",
			hvo_machine_hstate_by_size(s->m, size, &h) ? 0 : h.free);
		break;
	case F_HP_RESV:
	case F_HP_SURPLUS:
		/* libhvo has no reservations and no surplus pages. */
		fprintf(f, "0\n");
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
		procfs_meminfo(f, s->m, s->default_size);
		break;
	case F_BUDDYINFO:
		procfs_buddyinfo(f, s->m, "", PROCFS_KERNEL);
		break;
	case F_ZONEINFO:
		procfs_zoneinfo(f, s->m);
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
	case F_SYSCTL_NR:
		if (sysctl_number(value, &n, &neg) || neg)
			return -EINVAL;
		return hvo_write_nr_hugepages(s->m, s->default_size, n);
	case F_HP_NR:
		rc = kstrtoul10(value, &n);
		if (rc)
			return rc;
		return hvo_write_nr_hugepages(s->m, size, n);
	case F_HP_DEMOTE:
		rc = kstrtoul10(value, &n);
		if (rc)
			return rc;
		return hvo_demote(s->m, size, n, NULL);
	case F_HP_DEMOTE_SIZE: {
		/* memparse(): the number and its suffix; echo's newline ends it. */
		char buf[64];
		size_t len = strcspn(value, "\n");

		if (len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, value, len);
		buf[len] = '\0';
		if (hvo_parse_size(buf, &n))
			return -EINVAL;
		return hvo_set_demote_size(s->m, size, n);
	}
	case F_SYSCTL_OPTIMIZE:
		/* proc_dobool: an int, any non-zero value is true. */
		if (sysctl_number(value, &n, &neg) || n > INT32_MAX)
			return -EINVAL;
		return hvo_set_variant(s->m, n ? variant_on(s->m) :
				       HVO_VARIANT_OFF) ? -EINVAL : 0;
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
	if (s->m || s->boot_failed) {
		report(s, true, "cmdline: the machine has already booted (at line %lu)",
		       s->boot_line);
		return;
	}
	for (int i = 1; i < n; i++) {
		char *key = w[i], *val = strchr(key, '=');
		size_t have = strlen(s->cmdline);
		uint64_t v;

		/* The whole line goes to the kernel, which logs it. */
		if (have + 1 + strlen(key) >= sizeof(s->cmdline)) {
			report(s, true, "cmdline: %s: the command line is longer than %d characters",
			       key, HVO_CMDLINE_LEN - 1);
			continue;
		}
		snprintf(s->cmdline + have, sizeof(s->cmdline) - have, "%s%s",
			 have ? " " : "", key);
		if (val)
			*val++ = '\0';
		if (!strcmp(key, "hugepagesz") || !strcmp(key, "default_hugepagesz")) {
			if (!val || hvo_parse_size(val, &v) || !v) {
				report(s, true, "cmdline: %s=%s: expected a size such as 2M or 1G",
				       key, val ? val : "");
				continue;
			}
			if (key[0] == 'h') {
				s->cur_hugepagesz = v;
			} else {
				s->default_hugepagesz = v;
				s->default_line = s->line;
			}
		} else if (!strcmp(key, "hugepages")) {
			if (!val || sim_parse_number(val, UINT64_MAX, &v)) {
				report(s, true, "cmdline: hugepages=%s: expected a number",
				       val ? val : "");
				continue;
			}
			if (s->nr_pools == MAX_POOLS) {
				report(s, true, "cmdline: hugepages=%s: more than %d pools",
				       val, MAX_POOLS);
				continue;
			}
			s->pools[s->nr_pools].size = s->cur_hugepagesz;
			s->pools[s->nr_pools].nr = v;
			s->pools[s->nr_pools].line = s->line;
			s->nr_pools++;
		} else if (!strcmp(key, "hugetlb_free_vmemmap") ||
			   !strcmp(key, "init_on_alloc") ||
			   !strcmp(key, "init_on_free") || !strcmp(key, "--")) {
			/* hvo_config_cmdline() reads them at boot. */
		} else {
			report(s, false, "note: cmdline: unknown kernel parameter '%s' ignored",
			       key);
		}
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
	const char *path = NULL;
	bool redirect = false;
	size_t len = 0;
	enum file_kind kind;
	uint64_t size = 0;
	int rc;

	/* echo's words, wherever the redirection sits, joined by blanks. */
	for (int i = 1; i < n; i++) {
		const char *word = w[i];

		if (word[0] == '>') {
			redirect = true;
			word += word[1] == '>' ? 2 : 1;
			if (!*word) {
				if (i + 1 == n)
					break;
				word = w[++i];
			}
			path = word;
			continue;
		}
		if (len + strlen(word) + 2 >= sizeof(value)) {
			report(s, true, "echo: the value is too long");
			return;
		}
		len += (size_t)sprintf(value + len, "%s%s", len ? " " : "",
				       word);
	}
	value[len++] = '\n';
	value[len] = '\0';
	if (!redirect) {
		/* Plain echo prints, as in the shell. */
		fputs(value, s->opts->out);
		return;
	}
	if (!path) {
		report(s, true, "echo: syntax error: '>' without a PATH");
		return;
	}
	if (!machine(s))
		return;
	rc = lookup(s->m, path, &kind, &size);
	if (!rc && kind == F_DIR)
		rc = -EISDIR;
	if (!rc && (kind == F_HP_FREE || kind == F_HP_RESV ||
		    kind == F_HP_SURPLUS || kind == F_MEMINFO ||
		    kind == F_BUDDYINFO || kind == F_ZONEINFO))
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

/* Strip one pair of quotes, as the shell would for a simple word. */
static char *
unquote(char *word)
{
	size_t len = strlen(word);

	if (len >= 2 && (word[0] == '\'' || word[0] == '"') &&
	    word[len - 1] == word[0]) {
		word[len - 1] = '\0';
		return word + 1;
	}
	return word;
}

static void
run_line(struct scenario *s, char *line)
{
	char *w[MAX_WORDS];
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' ||
		       *p == '\v' || *p == '\f')
			p++;
		if (!*p || *p == '#')
			break; /* a '#' that starts a word starts a comment */
		if (n == MAX_WORDS) {
			report(s, true, "more than %d words", MAX_WORDS);
			return;
		}
		w[n++] = p;
		while (*p && !strchr(" \t\r\n\v\f", *p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (!n)
		return;
	for (int i = 0; i < n; i++)
		w[i] = unquote(w[i]);
	if (!strcmp(w[0], "machine"))
		do_machine(s, w, n);
	else if (!strcmp(w[0], "cmdline"))
		do_cmdline(s, w, n);
	else if (!strcmp(w[0], "echo"))
		do_echo(s, w, n);
	else if (!strcmp(w[0], "cat"))
		do_cat(s, w, n);
	else if (!strcmp(w[0], "dmesg"))
		do_dmesg(s, w, n);
	else if (!strcmp(w[0], "kpageflags"))
		do_kpageflags(s, w, n);
	else
		report(s, true, "%.64s: unknown statement (machine, cmdline, echo, cat, dmesg or kpageflags)",
		       w[0]);
	fflush(s->opts->out);
}

int
scenario_run(FILE *in, const char *name, const struct scenario_opts *opts)
{
	struct scenario s = { .name = name, .opts = opts };
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, in) >= 0) {
		s.line++;
		run_line(&s, line);
		if (opts->after_line && s.m)
			opts->after_line(opts->ctx, s.m, s.line);
	}
	if (ferror(in)) {
		fprintf(opts->err, PROG " run: %s: read error\n", s.name);
		s.failed = true;
	}
	free(line);
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
