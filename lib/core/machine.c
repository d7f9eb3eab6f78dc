/* SPDX-License-Identifier: MIT */
/*
 * The context every layer shares: the reason of a failure, counters by name,
 * the trace, fault injection, page categories and the kernel log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/machine.h"

static int HVO_PRINTF(3, 0)
machine_verr(struct hvo_machine *m, int rc, const char *fmt, va_list ap)
{
	if (!m->err_hold)
		vsnprintf(m->error, sizeof(m->error), fmt, ap);
	return rc;
}

int
machine_err(struct hvo_machine *m, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rc = machine_verr(m, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int
machine_err_const(const struct hvo_machine *m, int rc, const char *fmt, ...)
{
	va_list ap;

	/* Every machine is allocated writable: hvo_machine_new(). */
	va_start(ap, fmt);
	rc = machine_verr((struct hvo_machine *)m, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int
machine_err_null(const struct hvo_machine *m, const char *fn, const char *arg)
{
	return machine_err_const(m, -EINVAL, "%s(): %s must not be NULL", fn,
				 arg);
}

int
machine_err_wrap(struct hvo_machine *m, int rc, const char *fmt, ...)
{
	char reason[sizeof(m->error)];
	size_t n;
	va_list ap;

	if (m->err_hold)
		return rc;
	memcpy(reason, m->error, sizeof(reason));
	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	n = strlen(m->error);
	snprintf(m->error + n, sizeof(m->error) - n, ": %s", reason);
	return rc;
}

void
fail_attr_init(struct fail_attr *f)
{
	memset(f, 0, sizeof(*f));
	f->interval = 1;
	f->times = 1;
	f->verbose = 2;
	f->seed = FAIL_SEED_DEFAULT;
	f->rnd = FAIL_SEED_DEFAULT;
}

/*
 * get_random_u32_below(100) from a seeded xorshift64* generator, not the
 * kernel's entropy: the same steps fail the same calls on every run.
 */
static uint32_t
fail_random_below(struct fail_attr *f, uint32_t ceil)
{
	uint64_t x = f->rnd ? f->rnd : FAIL_SEED_DEFAULT;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	f->rnd = x;
	return (uint32_t)(((x * UINT64_C(0x2545f4914f6cdd1d)) >> 32) *
			  ceil >> 32);
}

/*
 * fail_dump(): verbose 1 and 2 log the failure (2 adds a stack dump,
 * which a machine without a stack leaves out); the kernel ratelimits to
 * 10 in 5 seconds, and a machine without a clock to its first 10.
 */
static void
fail_dump(struct hvo_machine *m, struct fail_attr *f, const char *name)
{
	if (!f->verbose || f->dumps >= 10)
		return;
	f->dumps++;
	machine_printk(m, "FAULT_INJECTION: forcing a failure.");
	machine_printk(m, "name %s, interval %" PRIu64 ", probability %" PRIu64 ", space %d, times %d",
		       name, f->interval, f->probability, (int)f->space,
		       (int)f->times);
}

bool
should_fail_ex(struct hvo_machine *m, struct fail_attr *f, uint64_t size,
	       bool nowarn, const char *name)
{
	/* In should_fail_ex()'s order; the task's fail-nth is not modelled. */
	if (f->probability == 0 || f->times == 0)
		return false;
	if (f->space > 0 && (uint64_t)f->space > size) {
		f->space -= (int32_t)size;
		return false;
	}
	if (f->interval > 1) {
		f->count++;
		if (f->count % f->interval)
			return false;
	}
	if (f->probability <= fail_random_below(f, 100))
		return false;
	if (!nowarn)
		fail_dump(m, f, name);
	if (f->times != -1)
		f->times--;
	count(m, CNT_FAULT_INJECTED);
	return true;
}

bool
__should_fail(struct hvo_machine *m, struct fail_attr *f)
{
	return fail_nth(m, f) || should_fail_ex(m, f, 1, true, "");
}

static const char *const counter_names[CNT__COUNT] = {
#define X(id, name, help) [CNT_##id] = name,
	HVO_COUNTERS(X)
#undef X
};

static const char *const counter_help[CNT__COUNT] = {
#define X(id, name, help) [CNT_##id] = help,
	HVO_COUNTERS(X)
#undef X
};

HVO_EXPORT const char *
hvo_counter_help(size_t i)
{
	return i < CNT__COUNT ? counter_help[i] : NULL;
}

HVO_EXPORT int
hvo_set_trace(struct hvo_machine *m, hvo_trace_fn fn, void *ctx)
{
	if (!m)
		return -EINVAL;
	m->trace.fn = fn;
	m->trace.ctx = ctx;
	return 0;
}

void
trace_page(struct hvo_machine *m, enum hvo_event_kind kind, uint64_t pfn,
	   unsigned order, const char *why)
{
	struct hvo_event ev = {
		.kind = kind,
		.pfn = pfn,
		.order = order,
		.why = why,
	};

	trace_event(m, &ev);
}

HVO_EXPORT int
hvo_event_format(const struct hvo_event *ev, char *buf, size_t len)
{
	int n = -1;

	if (!ev || !buf || !len)
		return -EINVAL;
	switch (ev->kind) {
	case HVO_EVENT_ENTRY_WRITE:
		n = snprintf(buf, len, "write %s @0x%" PRIx64 " va 0x%016" PRIx64 ": 0x%016" PRIx64 " -> 0x%016" PRIx64,
			     ev->level ? ev->level : "?", ev->entry_pa, ev->va,
			     ev->old_entry, ev->new_entry);
		break;
	case HVO_EVENT_TLB_FLUSH:
		if (ev->all && ev->start == ev->end)
			n = snprintf(buf, len, "flush_tlb_all");
		else
			n = snprintf(buf, len, "flush_tlb_kernel_range 0x%" PRIx64 "-0x%" PRIx64 "%s",
				     ev->start, ev->end,
				     ev->all ? " (over the ceiling: flush all)" : "");
		break;
	case HVO_EVENT_PAGE_ALLOC:
		n = snprintf(buf, len, "alloc pfn 0x%" PRIx64 " order %u (%s)",
			     ev->pfn, ev->order, ev->why ? ev->why : "?");
		break;
	case HVO_EVENT_PAGE_FREE:
		n = snprintf(buf, len, "free pfn 0x%" PRIx64 " order %u (%s)",
			     ev->pfn, ev->order, ev->why ? ev->why : "?");
		break;
	case HVO_EVENT_FAULT:
		n = snprintf(buf, len, "fault va 0x%" PRIx64 ": %s", ev->va,
			     ev->why ? ev->why : "?");
		break;
	}
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : 0;
}

HVO_EXPORT size_t
hvo_counter_count(void)
{
	return CNT__COUNT;
}

HVO_EXPORT const char *
hvo_counter_name(size_t i)
{
	return i < CNT__COUNT ? counter_names[i] : NULL;
}

HVO_EXPORT uint64_t
hvo_machine_counter(const struct hvo_machine *m, size_t i)
{
	if (!m)
		return 0;
	if (i >= CNT__COUNT) {
		machine_err_const(m, -EINVAL,
				  "counter %zu: allowed are 0..%d (hvo_counter_count())",
				  i, CNT__COUNT - 1);
		return 0;
	}
	return m->counter[i];
}

HVO_EXPORT int
hvo_machine_counter_get(const struct hvo_machine *m, const char *name,
			uint64_t *val)
{
	if (!m)
		return -EINVAL;
	if (!name)
		return machine_err_null(m, __func__, "name");
	if (!val)
		return machine_err_null(m, __func__, "val");
	for (size_t i = 0; i < CNT__COUNT; i++) {
		if (strcmp(counter_names[i], name) == 0) {
			*val = m->counter[i];
			return 0;
		}
	}
	return machine_err_const(m, -ENOENT,
				 "name \"%s\": no counter has that name (hvo_counter_name() lists them, \"tlb.hit\" ...)",
				 name);
}

/* The public numbers are the list's: hvo.h spells out what it makes. */
#define X(id, name, help) \
	_Static_assert((int)HVO_COUNTER_##id == CNT_##id, \
		       "enum hvo_counter follows HVO_COUNTERS (" name ")");
HVO_COUNTERS(X)
#undef X

HVO_EXPORT int
hvo_counter_get(const struct hvo_machine *m, enum hvo_counter c,
		uint64_t *val)
{
	if (!m)
		return -EINVAL;
	if (!val)
		return machine_err_null(m, __func__, "val");
	if ((unsigned)c >= CNT__COUNT)
		return machine_err_const(m, -EINVAL,
					 "counter %d: allowed are 0..%d (enum hvo_counter)",
					 (int)c, CNT__COUNT - 1);
	*val = m->counter[c];
	return 0;
}

/* The @n of a snapshot or a delta, refused with the reason if unusable. */
static int
counters_n(const struct hvo_machine *m, const char *fn, size_t n)
{
	if (n == 0 || n > CNT__COUNT)
		return machine_err_const(m, -EINVAL,
					 "%s(): n %zu: allowed are 1..%d (hvo_counter_count())",
					 fn, n, CNT__COUNT);
	return 0;
}

HVO_EXPORT int
hvo_machine_counters_snapshot(const struct hvo_machine *m, uint64_t *vals,
			      size_t n)
{
	if (!m)
		return -EINVAL;
	if (!vals)
		return machine_err_null(m, __func__, "vals");
	if (counters_n(m, __func__, n))
		return -EINVAL;
	memcpy(vals, m->counter, n * sizeof(*vals));
	return 0;
}

HVO_EXPORT int
hvo_machine_counters_delta(const struct hvo_machine *m,
			   const uint64_t *before, uint64_t *delta, size_t n)
{
	if (!m)
		return -EINVAL;
	if (!before)
		return machine_err_null(m, __func__, "before");
	if (!delta)
		return machine_err_null(m, __func__, "delta");
	if (counters_n(m, __func__, n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (m->counter[i] < before[i])
			return machine_err_const(m, -EINVAL,
						 "before[%zu]: %s is %" PRIu64 ", below its snapshot %" PRIu64 ": the counters were reset since",
						 i, counter_names[i], m->counter[i],
						 before[i]);
	for (size_t i = 0; i < n; i++)
		delta[i] = m->counter[i] - before[i];
	return 0;
}

HVO_EXPORT void
hvo_machine_counters_reset(struct hvo_machine *m)
{
	if (m)
		memset(m->counter, 0, sizeof(m->counter));
}

HVO_EXPORT const char *
hvo_machine_error(const struct hvo_machine *m)
{
	return m ? m->error : "no machine";
}

HVO_EXPORT const char *
hvo_page_category_name(enum hvo_page_category c)
{
	static const char *const names[HVO_PAGES__COUNT] = {
		[HVO_PAGES_FREE] = "free",
		[HVO_PAGES_RESERVED] = "reserved",
		[HVO_PAGES_PAGETABLE] = "pagetable",
		[HVO_PAGES_VMEMMAP] = "vmemmap",
		[HVO_PAGES_ALLOCATED] = "allocated",
		[HVO_PAGES_HUGETLB] = "hugetlb",
		[HVO_PAGES_LEAKED] = "leaked",
	};

	return (unsigned)c < HVO_PAGES__COUNT ? names[c] : NULL;
}

/* Free frames are whatever no allocation holds. */
uint64_t
machine_pages(const struct hvo_machine *m, enum hvo_page_category c)
{
	uint64_t held = 0;

	if (c != HVO_PAGES_FREE)
		return m->owner.count[c];
	for (unsigned i = 0; i < HVO_PAGES__COUNT; i++)
		if (i != HVO_PAGES_FREE)
			held += m->owner.count[i];
	return m->phys.total_pages - held;
}

HVO_EXPORT int
hvo_machine_pages(const struct hvo_machine *m, enum hvo_page_category c,
		  uint64_t *out)
{
	if (!m)
		return -EINVAL;
	if (!out)
		return machine_err_null(m, __func__, "out");
	if ((unsigned)c >= HVO_PAGES__COUNT)
		return machine_err_const(m, -EINVAL,
					 "category %d: allowed are HVO_PAGES_FREE (0) to HVO_PAGES_LEAKED (%d)",
					 (int)c, HVO_PAGES__COUNT - 1);
	*out = machine_pages(m, c);
	return 0;
}

HVO_EXPORT uint64_t
hvo_machine_total_pages(const struct hvo_machine *m)
{
	return m ? m->phys.total_pages : 0;
}

/*
 * Make room for @need more bytes by pushing the oldest lines out, as the
 * kernel's ring overwrites its oldest records.
 */
static void
printk_make_room(struct printk_ring *r, size_t need)
{
	size_t cut = 0;

	while (r->len - cut + need > HVO_DMESG_MAX) {
		const char *nl = memchr(r->buf + cut, '\n', r->len - cut);

		cut = nl ? (size_t)(nl - r->buf) + 1 : r->len;
		r->dropped++;
	}
	if (cut) {
		memmove(r->buf, r->buf + cut, r->len - cut);
		r->len -= cut;
	}
}

void
machine_printk(struct hvo_machine *m, const char *fmt, ...)
{
	struct printk_ring *r = &m->log;
	char line[LOG_LINE_MAX + 1];
	va_list ap;
	size_t n;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		n--;
	if (!r->buf) {
		r->buf = malloc(HVO_DMESG_MAX);
		if (!r->buf)
			return;
	}
	printk_make_room(r, n + 1);
	memcpy(r->buf + r->len, line, n);
	r->buf[r->len + n] = '\n';
	r->len += n + 1;
	r->lines++;
}

void
machine_printk_fini(struct hvo_machine *m)
{
	free(m->log.buf);
	memset(&m->log, 0, sizeof(m->log));
}

HVO_EXPORT int
hvo_machine_dmesg(const struct hvo_machine *m, char *buf, size_t len)
{
	const struct printk_ring *r;
	size_t n;

	if (!m)
		return -EINVAL;
	if (!buf)
		return machine_err_null(m, __func__, "buf");
	if (!len)
		return machine_err_const(m, -EINVAL,
					 "len 0: the buffer needs room for the log and its NUL (HVO_DMESG_MAX + 1 bytes always do)");
	r = &m->log;
	n = r->len;
	if (n >= len) {
		/* The oldest whole lines that fit. */
		n = len - 1;
		while (n && r->buf[n - 1] != '\n')
			n--;
	}
	if (n)
		memcpy(buf, r->buf, n);
	buf[n] = '\0';
	if (n < r->len)
		return machine_err_const(m, -ENOSPC,
					 "len %zu: the log holds %zu bytes, a buffer of %zu takes it",
					 len, r->len, r->len + 1);
	return 0;
}

HVO_EXPORT int
hvo_machine_set_comm(struct hvo_machine *m, const char *comm)
{
	if (!m)
		return -EINVAL;
	if (!comm)
		return machine_err_null(m, __func__, "comm");
	/* set_task_comm() keeps what fits, without a word. */
	snprintf(m->comm, sizeof(m->comm), "%s", comm);
	return 0;
}
