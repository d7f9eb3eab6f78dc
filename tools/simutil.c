/* SPDX-License-Identifier: MIT */
/*
 * The helpers hvo-sim's subcommands share: see simutil.h.
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

#include "simjson.h"
#include "sim.h"
#include "simutil.h"

void
report_bad_option(const char *who, int what, const char *arg, int letter)
{
	bool is_long = strncmp(arg, "--", 2) == 0;

	if (what == ':' && is_long)
		fprintf(stderr, "%s: option '%s' needs an argument\n", who, arg);
	else if (what == ':')
		fprintf(stderr, "%s: option '-%c' needs an argument\n", who,
			letter);
	else if (!is_long)
		fprintf(stderr, "%s: unknown option '-%c'\n", who, letter);
	else if (letter)
		fprintf(stderr, "%s: option '%.*s' takes no argument\n", who,
			(int)strcspn(arg, "="), arg);
	else
		fprintf(stderr, "%s: unknown option '%s'\n", who, arg);
}

/*
 * The digits must all be of the base: strtoull() would also take a sign,
 * blanks, or a second "0x" after the first.
 */
int
sim_parse_number(const char *s, uint64_t max, uint64_t *out)
{
	const char *digits = "0123456789";
	unsigned long long v;
	int base = 10;

	if (!s || !out)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = "0123456789abcdefABCDEF";
		base = 16;
		s += 2;
	}
	if (!*s || s[strspn(s, digits)])
		return -EINVAL;
	errno = 0;
	v = strtoull(s, NULL, base);
	if (errno || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/*
 * The number @p s in the argument @p text, as sim_parse_number() reads
 * it. A refusal prints "WHERE TEXT: the WHAT ..." and returns -EINVAL.
 */
static int
parse_number_in(const char *where, const char *text, const char *what,
		const char *s, uint64_t max, uint64_t *out)
{
	int rc = sim_parse_number(s, max, out);

	if (rc)
		fprintf(stderr, "%s %s: the %s %s\n", where, text, what,
			rc == -ERANGE ? "is too large" :
					"must be decimal or 0x hex");
	return rc ? -EINVAL : 0;
}

int
sim_parse_pool(const char *where, const char *text, struct sim_pool *p)
{
	const char *eq = strchr(text, '=');
	char size[32];
	size_t len = eq ? (size_t)(eq - text) : 0;

	p->text = text;
	if (!eq || !len || len >= sizeof(size)) {
		fprintf(stderr, "%s %s: expected SIZE=N, e.g. 2M=512\n", where,
			text);
		return -EINVAL;
	}
	memcpy(size, text, len);
	size[len] = '\0';
	if (hvo_parse_size(size, &p->size) || !p->size) {
		fprintf(stderr, "%s %s: '%s' is not a size (" SIZE_HELP ")\n",
			where, text, size);
		return -EINVAL;
	}
	return parse_number_in(where, text, "count", eq + 1, INT64_MAX,
			       &p->nr);
}

int
sim_parse_target(const char *where, const char *text, struct sim_target *t)
{
	t->text = text;
	t->value = 0;
	if (strcmp(text, "vmemmap") == 0) {
		t->kind = SIM_TARGET_VMEMMAP;
		return 0;
	}
	if (strncmp(text, "pfn:", 4) == 0) {
		t->kind = SIM_TARGET_PFN;
		return parse_number_in(where, text, "pfn", text + 4,
				       UINT64_MAX, &t->value);
	}
	t->kind = SIM_TARGET_VA;
	if (sim_parse_number(text, UINT64_MAX, &t->value)) {
		fprintf(stderr, "%s %s: expected an address (0x... or decimal), pfn:N or vmemmap\n",
			where, text);
		return -EINVAL;
	}
	return 0;
}

int
sim_resolve_target(const char *where, const struct hvo_machine *m,
		   const struct sim_target *t, uint64_t *va)
{
	struct hvo_geometry g;
	uint64_t pfn = t->value;

	if (t->kind == SIM_TARGET_VA) {
		*va = t->value;
		return 0;
	}
	if (t->kind == SIM_TARGET_VMEMMAP) {
		if (hvo_machine_geometry(m, &g)) {
			fprintf(stderr, "%s %s: %s\n", where, t->text,
				hvo_machine_error(m));
			return -EINVAL;
		}
		pfn = g.first_pfn;
	}
	if (hvo_pfn_to_page(m, pfn, va)) {
		fprintf(stderr, "%s %s: pfn 0x%" PRIx64 " has no struct page on this machine (it is in no memory section with RAM)\n",
			where, t->text, pfn);
		return -EINVAL;
	}
	return 0;
}

int
sim_boot(const char *who, const char *spec, const enum hvo_variant *variant,
	 struct hvo_machine **m)
{
	struct hvo_config cfg;
	char err[1024];
	int rc;

	*m = NULL;
	rc = hvo_config_parse(&cfg, spec, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: --machine %s: %s\n", who, spec, err);
		return EXIT_USAGE;
	}
	/* The variant picks the compound_head encoding at boot. */
	if (variant)
		cfg.hvo = *variant;
	rc = hvo_machine_new(&cfg, m, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: cannot build %s: %s\n", who, spec, err);
		return rc == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int
parse_variant(const char *who, const char *text, enum hvo_variant *out)
{
	const char *name;
	int v;

	for (v = 0; (name = hvo_variant_name((enum hvo_variant)v)); v++) {
		if (strcmp(text, name) == 0) {
			*out = (enum hvo_variant)v;
			return 0;
		}
	}
	fprintf(stderr, "%s: --hvo %s: allowed are", who, text);
	for (v = 0; (name = hvo_variant_name((enum hvo_variant)v)); v++)
		fprintf(stderr, "%s %s", v ? "," : "", name);
	fprintf(stderr, "\n");
	return -EINVAL;
}

bool
sim_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

void
format_size(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGTPE";

	for (int i = (int)sizeof(sfx) - 2; i >= 0; i--) {
		unsigned shift = 10 * (unsigned)(i + 1);

		if (v && !(v & ((UINT64_C(1) << shift) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> shift, sfx[i]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

void
sim_trace_print(void *ctx, const struct hvo_event *ev)
{
	char line[256];

	if (hvo_event_format(ev, line, sizeof(line)) == 0)
		fprintf(ctx, "trace: %s\n", line);
}

int
sim_tracer_init(struct sim_tracer *t, FILE *out, const struct hvo_machine *m,
		bool json)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->m = m;
	t->json = json;
	return hvo_machine_geometry(m, &t->g);
}

/* The depth of the level named @p name, or -1. */
static int
tracer_depth(const struct sim_tracer *t, const char *name)
{
	for (unsigned d = 0; name && d < t->g.levels && d < HVO_MAX_LEVELS; d++)
		if (t->g.level_name[d] && !strcmp(t->g.level_name[d], name))
			return (int)d;
	return -1;
}

int
sim_entry_parse(const char *desc, struct sim_entry_desc *out)
{
	const char *p = strchr(desc, ' '), *q;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!p)
		return -EINVAL;
	p++;
	n = strcspn(p, " ");
	if (!n || n >= sizeof(out->type))
		return -EINVAL;
	memcpy(out->type, p, n);
	p += n;
	while (*p == ' ')
		p++;
	/* A malformed entry's reason, in parentheses, is not a bit. */
	if (!strcmp(out->type, "malformed") && *p == '(') {
		q = strrchr(p, ')');
		p = q ? q + 1 : p + strlen(p);
		while (*p == ' ')
			p++;
	}
	if (!strncmp(p, "pa=", 3)) {
		char num[32];

		n = strcspn(p + 3, " ");
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, p + 3, n);
		num[n] = '\0';
		if (sim_parse_number(num, UINT64_MAX, &out->pa))
			return -EINVAL;
		out->has_pa = true;
		p += 3 + n;
		while (*p == ' ')
			p++;
	}
	out->bits = p;
	return 0;
}

/* One entry as the arch decodes it, as JSON: its description's parts. */
static void
json_entry(struct sj *j, const char *key, uint64_t raw, const char *desc)
{
	struct sim_entry_desc d;
	const char *p;

	sj_key(j, key);
	sj_begin_object(j);
	sj_kv_hex16(j, "raw", raw);
	sj_kv_str(j, "decoded", desc);
	if (sim_entry_parse(desc, &d))
		snprintf(d.type, sizeof(d.type), "?");
	sj_kv_str(j, "type", d.type);
	sj_key(j, "bits");
	sj_begin_array(j);
	for (p = d.bits; p && *p;) {
		size_t n = strcspn(p, " ");
		char bit[64];

		if (n && n < sizeof(bit)) {
			memcpy(bit, p, n);
			bit[n] = '\0';
			sj_str(j, bit);
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	sj_end_array(j);
	if (d.has_pa)
		sj_kv_hex(j, "pa", d.pa);
	sj_end_object(j);
}

static const char *const event_names[] = {
	[HVO_EVENT_ENTRY_WRITE] = "entry_write",
	[HVO_EVENT_TLB_FLUSH] = "tlb_flush",
	[HVO_EVENT_PAGE_ALLOC] = "page_alloc",
	[HVO_EVENT_PAGE_FREE] = "page_free",
	[HVO_EVENT_FAULT] = "fault",
};

void
sim_tracer_print(void *ctx, const struct hvo_event *ev)
{
	struct sim_tracer *t = ctx;
	char line[256], was[192] = "", now[192] = "";
	int depth = -1;
	uint64_t span = 0;
	struct sj j;

	if (hvo_event_format(ev, line, sizeof(line)) ||
	    (size_t)ev->kind >= sizeof(event_names) / sizeof(event_names[0]))
		return;
	if (ev->kind == HVO_EVENT_ENTRY_WRITE) {
		depth = tracer_depth(t, ev->level);
		if (depth >= 0) {
			span = UINT64_C(1) << t->g.level_shift[depth];
			if (hvo_entry_describe(t->m, (unsigned)depth,
					       ev->old_entry, was, sizeof(was)))
				snprintf(was, sizeof(was), "?");
			if (hvo_entry_describe(t->m, (unsigned)depth,
					       ev->new_entry, now, sizeof(now)))
				snprintf(now, sizeof(now), "?");
		}
	}
	t->seq++;
	if (!t->json) {
		fprintf(t->out, "trace: %s\n", line);
		if (depth >= 0) {
			char sz[32];

			format_size(span, sz, sizeof(sz));
			fprintf(t->out, "trace:     maps va 0x%016" PRIx64
				"..+%s\n", ev->va, sz);
			fprintf(t->out, "trace:     was  %s\n", was);
			fprintf(t->out, "trace:     now  %s\n", now);
		}
		return;
	}

	sj_begin_document(&j, t->out, true, "trace");
	sj_kv_u64(&j, "seq", t->seq);
	sj_kv_str(&j, "event", event_names[ev->kind]);
	sj_kv_str(&j, "text", line);
	switch (ev->kind) {
	case HVO_EVENT_ENTRY_WRITE:
		sj_kv_str(&j, "level", ev->level ? ev->level : "?");
		if (depth >= 0)
			sj_kv_u64(&j, "depth", (uint64_t)depth);
		sj_kv_hex(&j, "entry_pa", ev->entry_pa);
		sj_kv_hex16(&j, "va", ev->va);
		if (depth >= 0) {
			sj_kv_hex16(&j, "va_end", ev->va + span);
			json_entry(&j, "old", ev->old_entry, was);
			json_entry(&j, "new", ev->new_entry, now);
		}
		break;
	case HVO_EVENT_TLB_FLUSH:
		sj_kv_bool(&j, "all", ev->all);
		sj_kv_hex16(&j, "start", ev->start);
		sj_kv_hex16(&j, "end", ev->end);
		break;
	case HVO_EVENT_PAGE_ALLOC:
	case HVO_EVENT_PAGE_FREE:
		sj_kv_hex(&j, "pfn", ev->pfn);
		sj_kv_u64(&j, "order", ev->order);
		sj_kv_str(&j, "why", ev->why ? ev->why : "?");
		break;
	case HVO_EVENT_FAULT:
		sj_kv_hex16(&j, "va", ev->va);
		sj_kv_str(&j, "why", ev->why ? ev->why : "?");
		break;
	}
	sj_end_object(&j);
	fputc('\n', t->out);
}
