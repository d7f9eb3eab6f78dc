/* SPDX-License-Identifier: MIT */
/*
 * The slab of host memory: see slab.h.
 */
#include <stdlib.h>
#include <string.h>

#include "base/slab.h"
#include "base/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_ASAN 1
#endif
#endif
#ifndef SLAB_ASAN
#define SLAB_ASAN 0
#endif

bool
host_slab_takes(size_t size)
{
	return size <= HOST_SLAB_MAX && !SLAB_ASAN;
}

/* A new piece to carve from; false without host memory. */
static bool
slab_piece(struct host_slab *s)
{
	uint8_t *p;

	if (s->nr_piece == s->max_piece) {
		size_t max = s->max_piece ? 2 * s->max_piece : 16;
		void **v = realloc(s->piece, max * sizeof(*v));

		if (!v)
			return false;
		s->piece = v;
		s->max_piece = max;
	}
	p = host_array_grow(NULL, 0, HOST_ARRAY_HUGE);
	if (!p)
		return false;
	/* What was left of the last piece stays unused: under 2 KiB. */
	s->cur = p;
	s->end = p + HOST_ARRAY_HUGE;
	s->piece[s->nr_piece++] = p;
	return true;
}

void *
host_slab_alloc(struct host_slab *s, size_t size)
{
	void **head, *p;

	if (!host_slab_takes(size))
		return malloc(size);
	head = &s->free[size / 8];
	if (*head) {
		p = *head;
		memcpy(head, p, sizeof(p));
		return p;
	}
	if ((!s->cur || (size_t)(s->end - s->cur) < size) && !slab_piece(s))
		return NULL;
	p = s->cur;
	s->cur += size;
	return p;
}

void
host_slab_free(struct host_slab *s, void *p, size_t size)
{
	void **head;

	if (!p)
		return;
	if (!host_slab_takes(size)) {
		free(p);
		return;
	}
	head = &s->free[size / 8];
	memcpy(p, head, sizeof(*head));
	*head = p;
}

void
host_slab_fini(struct host_slab *s)
{
	for (size_t i = 0; i < s->nr_piece; i++)
		host_array_free(s->piece[i], HOST_ARRAY_HUGE);
	free(s->piece);
	memset(s, 0, sizeof(*s));
}
