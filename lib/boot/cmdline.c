/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line: the parameters libhvo models, read as the
 * machine's release reads them (init/main.c, kernel/params.c,
 * mm/hugetlb_vmemmap.c, mm/mm_init.c), and what the kernel logs about
 * them. hvo_config_cmdline() applies a line to a configuration; the
 * machine built from it logs the line at boot (cmdline_log_boot()).
 * Facts: doc/KERNEL-FACTS.md, "The kernel command line and the boot log".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "boot/cmdline.h"

/* Where the kernel's messages about the line go. */
struct cmdline_sink {
	void (*emit)(void *ctx, const char *line);
	void *ctx;
};

static void HVO_PRINTF(2, 3)
say(const struct cmdline_sink *out, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out->emit(out->ctx, line);
}

/* parameq(): parameter names match with '-' and '_' the same. */
static bool
parameq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
				  (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

/*
 * next_arg(): the next parameter of @args (modified in place), its value
 * after the first '=' (NULL without one), with the double quotes the
 * kernel strips. Returns where the rest of the line starts.
 */
static char *
next_arg(char *args, char **param, char **val)
{
	bool in_quote = false, quoted = false;
	char *next, *eq = NULL;
	size_t i;

	if (*args == '"') {
		args++;
		in_quote = quoted = true;
	}
	for (i = 0; args[i]; i++) {
		if (isspace((unsigned char)args[i]) && !in_quote)
			break;
		if (!eq && i && args[i] == '=')
			eq = args + i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	*val = NULL;
	if (eq) {
		*eq = '\0';
		*val = eq + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i && args[i - 1] == '"')
		args[i - 1] = '\0';
	next = args + i;
	if (*next)
		*next++ = '\0';
	while (isspace((unsigned char)*next))
		next++;
	return next;
}

/* What a configuration's kernel is, for its command line. */
struct cmdline_kernel {
	struct kernel_release r;
	bool hvo_built;   /* CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP for this arch */
};

static int
cmdline_kernel(const struct hvo_config *cfg, struct cmdline_kernel *k,
	       char *err, size_t errlen)
{
	int rc;

	if (!memchr(cfg->kernel, '\0', sizeof(cfg->kernel)))
		return errf(err, errlen, -EINVAL,
			    "cfg->kernel: the release string is not terminated within %d bytes",
			    HVO_KERNEL_LEN);
	rc = release_parse(cfg->kernel, &k->r, err, errlen);
	if (rc)
		return rc;
	/* An hvo= override builds its variant in, or none. */
	k->hvo_built = cfg->hvo == HVO_VARIANT_RELEASE ?
		       release_has_hvo(&k->r, cfg->arch) :
		       cfg->hvo != HVO_VARIANT_OFF;
	return 0;
}

static enum hvo_switch
to_switch(bool on)
{
	return on ? HVO_SWITCH_ON : HVO_SWITCH_OFF;
}

/*
 * The hugetlb parameters as mm/hugetlb.c reads them while the command
 * line is parsed (6.1 and 6.12 alike): its static state, one slot per
 * hstate the line adds, in the order it adds them.
 */
struct hp_cmdline {
	const struct hvo_arch *a;       /* arch_hugetlb_valid_size() */
	uint64_t hpage_size;            /* HPAGE_SIZE */
	struct {
		uint64_t size;
		uint64_t max;           /* max_huge_pages */
		bool per_node;          /* max_huge_pages_node[0] given */
	} hs[HVO_MAX_MEM_RANGES];
	unsigned nr;                    /* hugetlb_max_hstate */
	int parsed;                     /* parsed_hstate; -1: none */
	bool parsed_valid;              /* parsed_valid_hugepagesz */
	bool parsed_default;            /* parsed_default_hugepagesz */
	unsigned default_idx;           /* default_hstate_idx */
	uint64_t default_max;           /* default_hstate_max_huge_pages */
	bool default_per_node;          /* default_hugepages_in_node[0] */
	int last;                       /* last_mhp: -2 none, -1 default_max */
};

static void
hp_init(struct hp_cmdline *hp, const struct hvo_arch *a)
{
	memset(hp, 0, sizeof(*hp));
	hp->a = a;
	hp->hpage_size = arch_level_size(a, (unsigned)arch_depth_of_role(a, PT_PMD));
	hp->parsed = -1;
	hp->parsed_valid = true;
	hp->last = -2;
}

/*
 * memparse(): a size up to the first character it cannot use ("2MB" is
 * 2M), and 0 for what is none, which no arch accepts.
 */
static bool
hp_valid_size(const struct hp_cmdline *hp, const char *s, uint64_t *size)
{
	const char *end;

	if (memparse(s, &end, size))
		*size = 0;
	for (unsigned k = 0; k < hp->a->nr_hugetlb_sizes; k++)
		if (hp->a->hugetlb_size[k] == *size)
			return true;
	return false;
}

static int
hp_find(const struct hp_cmdline *hp, uint64_t size)
{
	for (unsigned i = 0; i < hp->nr; i++)
		if (hp->hs[i].size == size)
			return (int)i;
	return -1;
}

/* hugetlb_add_hstate(): an existing size is left alone. */
static void
hp_add_hstate(struct hp_cmdline *hp, uint64_t size)
{
	if (hp_find(hp, size) >= 0 || hp->nr == ARRAY_SIZE(hp->hs))
		return;
	hp->hs[hp->nr].size = size;
	hp->parsed = (int)hp->nr++;
}

/* hugepagesz_setup() */
static void
hp_hugepagesz(struct hp_cmdline *hp, const char *s,
	      const struct cmdline_sink *out)
{
	uint64_t size;
	int h;

	hp->parsed_valid = false;
	if (!hp_valid_size(hp, s, &size)) {
		say(out, "HugeTLB: unsupported hugepagesz=%s", s);
		return;
	}
	h = hp_find(hp, size);
	if (h >= 0) {
		/* Only the default size's, given before its count. */
		if (!hp->parsed_default || (unsigned)h != hp->default_idx ||
		    hp->hs[h].max) {
			say(out, "HugeTLB: hugepagesz=%s specified twice, ignoring", s);
			return;
		}
		hp->parsed = h;
		hp->parsed_valid = true;
		return;
	}
	hp_add_hstate(hp, size);
	hp->parsed_valid = true;
}

/* default_hugepagesz_setup() */
static void
hp_default_hugepagesz(struct hp_cmdline *hp, const char *s,
		      const struct cmdline_sink *out)
{
	uint64_t size;

	hp->parsed_valid = false;
	if (hp->parsed_default) {
		say(out, "HugeTLB: default_hugepagesz previously specified, ignoring %s", s);
		return;
	}
	if (!hp_valid_size(hp, s, &size)) {
		say(out, "HugeTLB: unsupported default_hugepagesz=%s", s);
		return;
	}
	hp_add_hstate(hp, size);
	if (hp_find(hp, size) < 0)
		return;
	hp->parsed_valid = true;
	hp->parsed_default = true;
	hp->default_idx = (unsigned)hp_find(hp, size);
	/* A hugepages= before any hugepagesz= was this size's. */
	if (hp->default_max) {
		hp->hs[hp->default_idx].max = hp->default_max;
		hp->hs[hp->default_idx].per_node = hp->default_per_node;
		hp->default_max = 0;
	}
}

/* sscanf("%lu%n"): blanks, an optional sign, decimal digits. */
static bool
hp_scan_ulong(const char *p, uint64_t *v, size_t *count)
{
	const char *s = p;
	bool neg;

	while (isspace((unsigned char)*s))
		s++;
	neg = *s == '-';
	if (*s == '+' || *s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (*v = 0; isdigit((unsigned char)*s); s++)
		*v = *v * 10 + (uint64_t)(*s - '0');
	if (neg)
		*v = -*v;
	*count = (size_t)(s - p);
	return true;
}

/* hugepages_setup(), on a machine of one node, node 0. */
static void
hp_hugepages(struct hp_cmdline *hp, const char *s,
	     const struct cmdline_sink *out)
{
	const char *p = s;
	uint64_t *mhp, tmp;
	bool *per_node;
	size_t count;
	int which;

	if (!hp->parsed_valid) {
		say(out, "HugeTLB: hugepages=%s does not follow a valid hugepagesz, ignoring", s);
		hp->parsed_valid = true;
		return;
	}
	/* No hstate yet: the count is the default size's, known later. */
	which = hp->nr ? hp->parsed : -1;
	mhp = which < 0 ? &hp->default_max : &hp->hs[which].max;
	per_node = which < 0 ? &hp->default_per_node :
		   &hp->hs[which].per_node;
	if (which == hp->last) {
		say(out, "HugeTLB: hugepages= specified twice without interleaving hugepagesz=, ignoring hugepages=%s", s);
		return;
	}
	while (*p) {
		if (!hp_scan_ulong(p, &tmp, &count))
			goto invalid;
		if (p[count] == ':') {
			/* node_online(): node 0 is the only one. */
			if (tmp != 0)
				goto invalid;
			p += count + 1;
			if (!hp_scan_ulong(p, &tmp, &count))
				goto invalid;
			*per_node = true;
			*mhp += tmp;
			if (p[count] != ',')
				break;
			p += count + 1;
		} else {
			if (p != s)
				goto invalid;
			*mhp = tmp;
			break;
		}
	}
	hp->last = which;
	return;

invalid:
	say(out, "HugeTLB: Invalid hugepages parameter %s", p);
	/* hugepages_clear_pages_in_node() */
	*mhp = 0;
	*per_node = false;
}

/*
 * hugetlb_init(): without default_hugepagesz=, HPAGE_SIZE is the default
 * size and takes a count given before any hugepagesz=, over its own.
 * Then the pools go to @cfg (if not NULL): a size the line gives a count
 * replaces the configuration's, and is allocated as far as memory allows.
 */
static void
hp_finish(struct hp_cmdline *hp, struct hvo_config *cfg,
	  const struct cmdline_sink *out)
{
	bool any = false;

	if (!hp->parsed_default) {
		hp_add_hstate(hp, hp->hpage_size);
		hp->default_idx = (unsigned)hp_find(hp, hp->hpage_size);
		if (hp->default_max) {
			unsigned d = hp->default_idx;

			if (hp->hs[d].max) {
				char size[32];

				string_get_size_pow2(hp->hs[d].size, size,
						     sizeof(size));
				say(out, "HugeTLB: Ignoring hugepages=%" PRIu64 " associated with %s page size",
				    hp->hs[d].max, size);
				say(out, "HugeTLB: Using hugepages=%" PRIu64 " for number of default huge pages",
				    hp->default_max);
			}
			hp->hs[d].max = hp->default_max;
			hp->hs[d].per_node = hp->default_per_node;
		}
	}
	if (!cfg)
		return;
	for (unsigned i = 0; i < hp->nr; i++) {
		unsigned k;

		if (!hp->hs[i].max)
			continue;
		for (k = 0; k < cfg->nr_boot_hugepages; k++)
			if (cfg->boot_hugepages[k].size == hp->hs[i].size)
				break;
		if (k == HVO_MAX_MEM_RANGES)
			continue;
		if (k == cfg->nr_boot_hugepages)
			cfg->nr_boot_hugepages++;
		cfg->boot_hugepages[k].size = hp->hs[i].size;
		cfg->boot_hugepages[k].nr = hp->hs[i].max;
		cfg->boot_hugepages[k].per_node = hp->hs[i].per_node;
		any = true;
	}
	if (any)
		cfg->boot_hugepages_partial = true;
	if (hp->parsed_default)
		cfg->default_hugepagesz = hp->hs[hp->default_idx].size;
}

/* The hugetlb parameters are __setup(): matched as written, with '='. */
static bool
hp_param(struct hp_cmdline *hp, const char *param, const char *val,
	 const struct cmdline_sink *out)
{
	if (!val || !hp)
		return false;
	if (!strcmp(param, "hugepagesz"))
		hp_hugepagesz(hp, val, out);
	else if (!strcmp(param, "hugepages"))
		hp_hugepages(hp, val, out);
	else if (!strcmp(param, "default_hugepagesz"))
		hp_default_hugepagesz(hp, val, out);
	else
		return false;
	return true;
}

/* The line's words, unknown to the release, as init will get them. */
struct unknown {
	char argv[HVO_CMDLINE_LEN];  /* bare words */
	char envp[HVO_CMDLINE_LEN];  /* key=value */
};

static void
unknown_add(struct unknown *u, const char *param, const char *val)
{
	char *list = val ? u->envp : u->argv;
	size_t n = strlen(list);

	snprintf(list + n, HVO_CMDLINE_LEN - n, " %s%s%s", param,
		 val ? "=" : "", val ? val : "");
}

/*
 * Read @line as the kernel of @k does, in its order: early parameters
 * while setup_arch() runs (a refused value: "Malformed early option"),
 * then, after "Kernel command line: ..." (@banner), the rest in
 * parse_args("Booting kernel"), whose refusals name the value, and last
 * the words no part of the kernel claims, which go to init. Apply what is
 * taken to @cfg (if not NULL); tell @out what the kernel logs. The
 * hugetlb parameters go to @hp, to be finished with hp_finish().
 */
static void
cmdline_apply(const char *line, const struct cmdline_kernel *k,
	      struct hvo_config *cfg, const struct cmdline_sink *out,
	      bool banner, struct hp_cmdline *hp)
{
	enum release_boot_param rule = release_get(&k->r, RP_BOOT_PARAM);
	bool init_on = release_get(&k->r, RP_INIT_ON_ALLOC);
	char buf[HVO_CMDLINE_LEN], *args, *param, *val;
	struct unknown u = { "", "" };
	bool b;

	/* parse_early_param(): in setup_arch(), before anything is said. */
	snprintf(buf, sizeof(buf), "%s", line);
	for (args = buf; isspace((unsigned char)*args); args++)
		;
	while (*args) {
		args = next_arg(args, &param, &val);
		if (!val && !strcmp(param, "--"))
			break;
		if (init_on && (parameq(param, "init_on_alloc") ||
				parameq(param, "init_on_free"))) {
			/* early_init_on_alloc(), early_init_on_free() */
			if (kstrtobool(val, &b)) {
				say(out, "Malformed early option '%s'", param);
			} else if (cfg) {
				if (parameq(param, "init_on_alloc"))
					cfg->init_on_alloc = to_switch(b);
				else
					cfg->init_on_free = to_switch(b);
			}
			continue;
		}
		if (!k->hvo_built || !parameq(param, "hugetlb_free_vmemmap"))
			continue;
		if (rule == BOOT_PARAM_ON_OFF) {
			/* Only the two words, and a value is needed. */
			if (!val || (strcmp(val, "on") && strcmp(val, "off")))
				say(out, "Malformed early option '%s'", param);
			else if (cfg)
				cfg->hvo_default = to_switch(!strcmp(val, "on"));
		} else if (rule == BOOT_PARAM_KSTRTOBOOL ||
			   rule == BOOT_PARAM_EARLY_BOOL) {
			/* kstrtobool() of no value refuses: a bare name too. */
			if (kstrtobool(val, &b))
				say(out, "Malformed early option '%s'", param);
			else if (cfg)
				cfg->hvo_default = to_switch(b);
		}
	}

	if (banner)
		say(out, "Kernel command line: %s", line);

	/* parse_args("Booting kernel", ...) and unknown_bootoption(). */
	snprintf(buf, sizeof(buf), "%s", line);
	for (args = buf; isspace((unsigned char)*args); args++)
		;
	while (*args) {
		args = next_arg(args, &param, &val);
		if (!val && !strcmp(param, "--"))
			break; /* the rest is init's */
		if (parameq(param, "init_on_alloc") ||
		    parameq(param, "init_on_free")) {
			if (!init_on)
				unknown_add(&u, param, val);
			continue;
		}
		if (hp_param(hp, param, val, out))
			continue;
		if (!parameq(param, "hugetlb_free_vmemmap"))
			continue; /* known to the kernel, or not libhvo's */
		if (!k->hvo_built || rule == BOOT_PARAM_NONE) {
			unknown_add(&u, param, val);
		} else if (rule == BOOT_PARAM_BOOL) {
			/* param_set_bool(): no value means "set". */
			if (kstrtobool(val ? val : "1", &b))
				say(out, "Booting kernel: `%s' invalid for parameter `%s'",
				    val, param);
			else if (cfg)
				cfg->hvo_default = to_switch(b);
		}
	}
	/* print_unknown_bootoptions(): bare words first, then key=value. */
	if (u.argv[0] || u.envp[0]) {
		char list[2 * HVO_CMDLINE_LEN];

		snprintf(list, sizeof(list), "%s%s", u.argv, u.envp);
		say(out, "Unknown kernel command line parameters \"%s\", will be passed to user space.",
		    list + 1);
	}
}

/* The kernel's messages about a line, one a line, into a buffer. */
struct text_sink {
	char *buf;
	size_t len, used;
};

static void
text_emit(void *ctx, const char *line)
{
	struct text_sink *t = ctx;
	int n;

	if (!t->buf || t->used + 1 >= t->len)
		return;
	n = snprintf(t->buf + t->used, t->len - t->used, "%s%s",
		     t->used ? "\n" : "", line);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n :
			   t->len - t->used - 1;
}

HVO_EXPORT int
hvo_config_cmdline(struct hvo_config *cfg, const char *cmdline, char *err,
		   size_t errlen)
{
	struct text_sink text = { err, errlen, 0 }, none = { NULL, 0, 0 };
	struct cmdline_sink out = { text_emit, &text };
	struct cmdline_sink quiet = { text_emit, &none };
	struct cmdline_kernel k;
	struct hp_cmdline hp;
	struct hvo_config c;
	struct hvo_arch a;
	size_t have, add;
	int rc;

	if (!cfg)
		return errf_null(err, errlen, __func__, "cfg");
	if (!cmdline)
		return errf_null(err, errlen, __func__, "cmdline");
	rc = cmdline_kernel(cfg, &k, err, errlen);
	if (rc)
		return rc;
	have = strnlen(cfg->cmdline, sizeof(cfg->cmdline));
	if (have == sizeof(cfg->cmdline))
		return errf(err, errlen, -EINVAL,
			    "cfg->cmdline: the command line kept is not terminated within %d bytes",
			    HVO_CMDLINE_LEN);
	while (isspace((unsigned char)*cmdline))
		cmdline++;
	add = strlen(cmdline);
	if (have + (have && add) + add >= sizeof(cfg->cmdline))
		return errf(err, errlen, -EINVAL,
			    "cmdline: %zu characters, with the %zu kept already, are more than a command line here holds (%d)",
			    add, have, HVO_CMDLINE_LEN - 1);
	/* The hugepage sizes are the arch's, as the configuration has it. */
	c = *cfg;
	rc = hvo_config_validate(&c, err, errlen);
	if (rc)
		return rc;
	arch_init(&a, &c, &k.r);
	if (err && errlen)
		err[0] = '\0';
	hp_init(&hp, &a);
	/* The line kept is one command line with this one: read it quietly. */
	if (have)
		cmdline_apply(cfg->cmdline, &k, NULL, &quiet, false, &hp);
	cmdline_apply(cmdline, &k, cfg, &out, false, &hp);
	hp_finish(&hp, cfg, &out);
	if (add)
		snprintf(cfg->cmdline + have, sizeof(cfg->cmdline) - have,
			 "%s%s", have ? " " : "", cmdline);
	return 0;
}

static void
printk_emit(void *ctx, const char *line)
{
	machine_printk(ctx, "%s", line);
}

void
cmdline_log_boot(struct hvo_machine *m)
{
	struct cmdline_sink out = { printk_emit, m };
	struct cmdline_kernel k = { .r = m->release };

	struct hp_cmdline hp;

	k.hvo_built = m->hvo_variant != HVO_VARIANT_OFF;
	hp_init(&hp, &m->arch);
	cmdline_apply(m->cfg.cmdline, &k, NULL, &out, true, &hp);
	/* hugetlb_init() says its part later, at subsys_initcall. */
	hp_finish(&hp, NULL, &out);
}
