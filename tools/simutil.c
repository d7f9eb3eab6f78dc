/* SPDX-License-Identifier: MIT */
/*
 * The helpers hvo-sim's subcommands share: see simutil.h.
 *
 * This file uses only the public API in <hvo/hvo.h>.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hvo/hvo.h>

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

/* A full, unsigned 64-bit number: "0x" hex or decimal, nothing else. */
int
parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull() would take a sign or blanks; an address has neither. */
	if (base == 16 ? !isxdigit((unsigned char)*s) :
			 !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
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
