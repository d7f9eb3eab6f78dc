/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer: it tracks commas and indentation so that
 * callers only say what they write.
 */
#ifndef HVO_JSON_H
#define HVO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	unsigned depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this depth */
	bool after_key;             /* a key was written: the value follows */
	bool line;                  /* all on one line (JSON Lines) */
};

void json_init(struct json *j, FILE *f);
/* A writer whose document is one line, without indentation: JSON Lines. */
void json_init_line(struct json *j, FILE *f);
/*
 * Open the document's object and write the two keys every JSON document
 * of libhvo starts with: "format_version" (HVO_JSON_FORMAT_VERSION) and
 * "libhvo_version" (hvo_version()). The one place that writes them; the
 * public hvo_json_begin() calls it too.
 */
void json_begin_document(struct json *j);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Hex as a string: "0x1f" and the 16-digit "0x000000000000001f". */
void json_hex(struct json *j, uint64_t v);
void json_hex16(struct json *j, uint64_t v);

void json_kv_str(struct json *j, const char *k, const char *v);
void json_kv_u64(struct json *j, const char *k, uint64_t v);
void json_kv_u64_array(struct json *j, const char *k, const uint64_t *v,
		       size_t n);
void json_kv_bool(struct json *j, const char *k, bool v);
void json_kv_null(struct json *j, const char *k);
void json_kv_hex(struct json *j, const char *k, uint64_t v);
void json_kv_hex16(struct json *j, const char *k, uint64_t v);

#endif /* HVO_JSON_H */
