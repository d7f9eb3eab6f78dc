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
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
 * taken to @cfg (if not NULL); tell @out what the kernel logs.
 */
static void
cmdline_apply(const char *line, const struct cmdline_kernel *k,
	      struct hvo_config *cfg, const struct cmdline_sink *out,
	      bool banner)
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
	struct text_sink text = { err, errlen, 0 };
	struct cmdline_sink out = { text_emit, &text };
	struct cmdline_kernel k;
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
	if (err && errlen)
		err[0] = '\0';
	cmdline_apply(cmdline, &k, cfg, &out, false);
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

	k.hvo_built = m->hvo_variant != HVO_VARIANT_OFF;
	cmdline_apply(m->cfg.cmdline, &k, NULL, &out, true);
}
