/* SPDX-License-Identifier: MIT */
/*
 * The JSON writer of hvo-sim's documents (show, quiz, --trace=json): it
 * tracks commas and indentation so that callers only say what they write.
 * A document opens with hvo_json_begin(), the one place that writes
 * "format_version" and "libhvo_version", and strings are escaped by
 * hvo_json_string(), as the library's own documents are; the layout (two
 * blanks per level, or one line for JSON Lines) is the library's too.
 */
#ifndef HVO_SIMJSON_H
#define HVO_SIMJSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SJ_MAX_DEPTH 16

struct sj {
	FILE *f;
	unsigned depth;
	bool first[SJ_MAX_DEPTH]; /* nothing written yet at this depth */
	bool after_key;           /* a key was written: the value follows */
	bool line;                /* all on one line (JSON Lines) */
};

/*
 * Open a document on @p f: "{", the two version keys, and "kind" (the
 * schema it follows, doc/schema/KIND.schema.json). @p line puts it all on
 * one line. Close it with sj_end_object() and a new line.
 */
void
sj_begin_document(struct sj *j, FILE *f, bool line, const char *kind);

void sj_begin_object(struct sj *j);
void sj_end_object(struct sj *j);
void sj_begin_array(struct sj *j);
void sj_end_array(struct sj *j);
void sj_key(struct sj *j, const char *key);
void sj_str(struct sj *j, const char *s);
void sj_u64(struct sj *j, uint64_t v);
/* "0x1f", and "0x000000000000001f" for a 64-bit word: strings. */
void sj_hex(struct sj *j, uint64_t v);
void sj_hex16(struct sj *j, uint64_t v);

void sj_kv_str(struct sj *j, const char *k, const char *v);
void sj_kv_u64(struct sj *j, const char *k, uint64_t v);
void sj_kv_bool(struct sj *j, const char *k, bool v);
void sj_kv_null(struct sj *j, const char *k);
void sj_kv_hex(struct sj *j, const char *k, uint64_t v);
void sj_kv_hex16(struct sj *j, const char *k, uint64_t v);

#endif /* HVO_SIMJSON_H */
