/* SPDX-License-Identifier: MIT */
#include <inttypes.h>

#include "boot/json.h"

void
json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
	j->line = false;
}

void
json_init_line(struct json *j, FILE *f)
{
	json_init(j, f);
	j->line = true;
}

static void
json_indent(struct json *j)
{
	if (j->line)
		return;
	fputc('\n', j->f);
	for (unsigned i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Before any value or key: a comma if needed, and a new line. */
static void
json_sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	json_indent(j);
}

static void
json_open(struct json *j, char c)
{
	json_sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
json_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		json_indent(j);
	fputc(c, j->f);
}

void
json_begin_object(struct json *j)
{
	json_open(j, '{');
}
void
json_end_object(struct json *j)
{
	json_close(j, '}');
}
void
json_begin_array(struct json *j)
{
	json_open(j, '[');
}
void
json_end_array(struct json *j)
{
	json_close(j, ']');
}

static void
json_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
json_key(struct json *j, const char *key)
{
	json_sep(j);
	json_quoted(j->f, key);
	fputs(j->line ? ":" : ": ", j->f);
	j->after_key = true;
}

void
json_str(struct json *j, const char *s)
{
	json_sep(j);
	json_quoted(j->f, s);
}
void
json_u64(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}
void
json_bool(struct json *j, bool v)
{
	json_sep(j);
	fputs(v ? "true" : "false", j->f);
}
void
json_null(struct json *j)
{
	json_sep(j);
	fputs("null", j->f);
}
void
json_hex(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}
void
json_hex16(struct json *j, uint64_t v)
{
	json_sep(j);
	fprintf(j->f, "\"0x%016" PRIx64 "\"", v);
}

void
json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}
void
json_kv_u64(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_u64(j, v);
}
void
json_kv_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}
void
json_kv_null(struct json *j, const char *k)
{
	json_key(j, k);
	json_null(j);
}
void
json_kv_hex(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_hex(j, v);
}
void
json_kv_hex16(struct json *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_hex16(j, v);
}
