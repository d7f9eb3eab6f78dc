/* SPDX-License-Identifier: MIT */
/*
 * The JSON writer of boot/json.h, and the public helpers every JSON
 * document libhvo or its tools write starts with (hvo_json_begin()).
 */
#include <errno.h>
#include <inttypes.h>

#include <hvo/hvo.h>

#include "base/util.h"
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

/*
 * The length of the UTF-8 sequence at @p s (RFC 3629: no overlong form,
 * no surrogate, nothing above U+10FFFF), or 0 if it is not one.
 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * @p s as a JSON string. Text that is not UTF-8 (a scenario line may be
 * any bytes) has each bad byte replaced by U+FFFD, so the document stays
 * JSON that any reader accepts.
 */
static void
json_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	while (s && *s) {
		unsigned char c = (unsigned char)*s;
		size_t len;

		if (c >= 0x80) {
			len = utf8_len((const unsigned char *)s);
			if (len)
				fwrite(s, 1, len, f);
			else
				fputs("\\ufffd", f);
			s += len ? len : 1;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
		s++;
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
/* "k": [v[0], ..., v[n - 1]] */
void
json_kv_u64_array(struct json *j, const char *k, const uint64_t *v, size_t n)
{
	json_key(j, k);
	json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		json_u64(j, v[i]);
	json_end_array(j);
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

void
json_begin_document(struct json *j)
{
	json_begin_object(j);
	json_kv_u64(j, "format_version", HVO_JSON_FORMAT_VERSION);
	json_kv_str(j, "libhvo_version", hvo_version());
}

HVO_EXPORT int
hvo_json_begin(FILE *f, unsigned flags)
{
	struct json j;

	if (!f || (flags & ~(unsigned)HVO_JSON_COMPACT))
		return -EINVAL;
	if (flags & HVO_JSON_COMPACT)
		json_init_line(&j, f);
	else
		json_init(&j, f);
	json_begin_document(&j);
	return ferror(f) ? -EIO : 0;
}

HVO_EXPORT int
hvo_json_string(FILE *f, const char *s)
{
	if (!f || !s)
		return -EINVAL;
	json_quoted(f, s);
	return ferror(f) ? -EIO : 0;
}
