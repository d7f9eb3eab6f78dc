/* SPDX-License-Identifier: MIT */
/*
 * hvo-sim's JSON writer: see simjson.h. It uses only the public API.
 */
#include <inttypes.h>

#include <hvo/hvo.h>

#include "simjson.h"

/* Before any value or key: a comma if needed, and a new line. */
static void
sj_sep(struct sj *j)
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
	if (j->line)
		return;
	fputc('\n', j->f);
	for (unsigned i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

static void
sj_open(struct sj *j, char c)
{
	sj_sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < SJ_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
sj_close(struct sj *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty && !j->line) {
		fputc('\n', j->f);
		for (unsigned i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
}

void
sj_begin_document(struct sj *j, FILE *f, bool line, const char *kind)
{
	j->f = f;
	j->line = line;
	j->after_key = false;
	/* hvo_json_begin() leaves the object open after its two members. */
	hvo_json_begin(f, line ? HVO_JSON_COMPACT : 0);
	j->depth = 1;
	j->first[1] = false;
	sj_kv_str(j, "kind", kind);
}

void
sj_begin_object(struct sj *j)
{
	sj_open(j, '{');
}

void
sj_end_object(struct sj *j)
{
	sj_close(j, '}');
}

void
sj_begin_array(struct sj *j)
{
	sj_open(j, '[');
}

void
sj_end_array(struct sj *j)
{
	sj_close(j, ']');
}

void
sj_key(struct sj *j, const char *key)
{
	sj_sep(j);
	hvo_json_string(j->f, key);
	fputs(j->line ? ":" : ": ", j->f);
	j->after_key = true;
}

void
sj_str(struct sj *j, const char *s)
{
	sj_sep(j);
	hvo_json_string(j->f, s ? s : "");
}

void
sj_u64(struct sj *j, uint64_t v)
{
	sj_sep(j);
	fprintf(j->f, "%" PRIu64, v);
}

void
sj_hex(struct sj *j, uint64_t v)
{
	sj_sep(j);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}

void
sj_hex16(struct sj *j, uint64_t v)
{
	sj_sep(j);
	fprintf(j->f, "\"0x%016" PRIx64 "\"", v);
}

void
sj_kv_str(struct sj *j, const char *k, const char *v)
{
	sj_key(j, k);
	sj_str(j, v);
}

void
sj_kv_u64(struct sj *j, const char *k, uint64_t v)
{
	sj_key(j, k);
	sj_u64(j, v);
}

void
sj_kv_bool(struct sj *j, const char *k, bool v)
{
	sj_key(j, k);
	sj_sep(j);
	fputs(v ? "true" : "false", j->f);
}

void
sj_kv_null(struct sj *j, const char *k)
{
	sj_key(j, k);
	sj_sep(j);
	fputs("null", j->f);
}

void
sj_kv_hex(struct sj *j, const char *k, uint64_t v)
{
	sj_key(j, k);
	sj_hex(j, v);
}

void
sj_kv_hex16(struct sj *j, const char *k, uint64_t v)
{
	sj_key(j, k);
	sj_hex16(j, v);
}
