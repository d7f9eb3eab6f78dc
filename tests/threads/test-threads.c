/* SPDX-License-Identifier: MIT */
/*
 * Machines on several threads at once (doc/ABI.md, "Threads"): each
 * thread builds its own machine, grows a pool, optimizes and restores a
 * hugepage, traces, reports and checks it, and what it measures must
 * equal what the same work measures alone. Built against the public
 * API only; tests/threads/run-tsan.sh builds it with the library again
 * under ThreadSanitizer, which reports any data race between machines.
 *
 * usage: test-threads [ROUNDS]
 */
#include <hvo/hvo.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NR_THREADS 4
#define MIB (UINT64_C(1) << 20)

static const char *const specs[NR_THREADS] = {
	"x86_64:mem=512M",
	"x86_64:levels=5,mem=512M,hvo=keep2",
	"arm64:granule=4K,va=48,mem=1G,hvo=fakehead",
	"riscv64:va=39,mem=512M,hvo=fakehead",
};

struct work {
	const char *spec;
	unsigned rounds;
	int rc;
	char why[256];
	uint64_t saved_bytes;  /* of the pool after the rounds */
	uint64_t events;       /* traced */
	uint64_t delta[64];    /* counters over the rounds */
	size_t nr_counters;
};

static void
count_event(void *ctx, const struct hvo_event *ev)
{
	uint64_t *n = ctx;

	(void)ev;
	(*n)++;
}

static int
fail(struct work *w, struct hvo_machine *m, const char *what, int rc)
{
	snprintf(w->why, sizeof(w->why), "%s: %s: %d (%s)", w->spec, what, rc,
		 m ? hvo_machine_error(m) : "");
	w->rc = rc ? rc : -1;
	hvo_machine_free(m);
	return w->rc;
}

static int
run(struct work *w)
{
	struct hvo_machine *m = NULL;
	struct hvo_geometry g;
	struct hvo_hstate_info h;
	uint64_t before[64], pfn, hsize;
	FILE *f;
	int rc;

	w->nr_counters = hvo_counter_count();
	if (w->nr_counters > 64)
		return fail(w, NULL, "more than 64 counters", -1);
	rc = hvo_machine_new_from_spec(w->spec, &m, w->why, sizeof(w->why));
	if (rc)
		return w->rc = rc;
	hvo_machine_geometry(m, &g);
	hsize = g.default_hugepage_size;
	rc = hvo_set_nr_hugepages(m, hsize, 8);
	if (rc)
		return fail(w, m, "grow the pool", rc);
	rc = hvo_set_trace(m, count_event, &w->events);
	if (!rc)
		rc = hvo_machine_counters_snapshot(m, before, w->nr_counters);
	if (rc)
		return fail(w, m, "trace, snapshot", rc);
	rc = hvo_hugepage_pfn(m, hsize, 0, &pfn);
	for (unsigned i = 0; i < w->rounds && !rc; i++) {
		rc = hvo_hugepage_restore(m, pfn);
		if (!rc)
			rc = hvo_hugepage_optimize(m, pfn);
	}
	if (rc)
		return fail(w, m, "restore and optimize", rc);
	rc = hvo_machine_counters_delta(m, before, w->delta, w->nr_counters);
	if (!rc)
		rc = hvo_machine_hstate_by_size(m, hsize, &h);
	if (rc)
		return fail(w, m, "delta, hstate", rc);
	w->saved_bytes = h.saved_bytes;
	f = fopen("/dev/null", "w");
	if (!f)
		return fail(w, m, "open /dev/null", -errno);
	rc = hvo_machine_report_json(m, NULL, 0, f);
	fclose(f);
	if (rc)
		return fail(w, m, "report", rc);
	rc = hvo_machine_check(m);
	if (rc)
		return fail(w, m, "check", rc);
	hvo_machine_free(m);
	return 0;
}

static void *
thread_main(void *arg)
{
	run(arg);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct work par[NR_THREADS], alone[NR_THREADS];
	pthread_t t[NR_THREADS];
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 4;
	int failed = 0;

	memset(par, 0, sizeof(par));
	memset(alone, 0, sizeof(alone));
	for (unsigned i = 0; i < NR_THREADS; i++) {
		par[i].spec = alone[i].spec = specs[i];
		par[i].rounds = alone[i].rounds = rounds;
		if (pthread_create(&t[i], NULL, thread_main, &par[i])) {
			fprintf(stderr, "test-threads: pthread_create failed\n");
			return 1;
		}
	}
	for (unsigned i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < NR_THREADS; i++) {
		run(&alone[i]);
		if (par[i].rc || alone[i].rc) {
			fprintf(stderr, "test-threads: %s\n",
				par[i].rc ? par[i].why : alone[i].why);
			failed = 1;
			continue;
		}
		if (par[i].saved_bytes != alone[i].saved_bytes ||
		    par[i].events != alone[i].events ||
		    memcmp(par[i].delta, alone[i].delta,
			   sizeof(par[i].delta))) {
			fprintf(stderr,
				"test-threads: %s measures differently on a "
				"thread: saved %llu/%llu bytes, %llu/%llu events\n",
				specs[i],
				(unsigned long long)par[i].saved_bytes,
				(unsigned long long)alone[i].saved_bytes,
				(unsigned long long)par[i].events,
				(unsigned long long)alone[i].events);
			failed = 1;
			continue;
		}
		if (!par[i].events ||
		    !par[i].delta[HVO_COUNTER_HVO_OPTIMIZE]) {
			fprintf(stderr, "test-threads: %s did no work\n",
				specs[i]);
			failed = 1;
			continue;
		}
		printf("test-threads: %s: %llu events, %llu optimizes, "
		       "%llu bytes saved, alike on a thread and alone\n",
		       specs[i], (unsigned long long)par[i].events,
		       (unsigned long long)par[i].delta[HVO_COUNTER_HVO_OPTIMIZE],
		       (unsigned long long)par[i].saved_bytes);
	}
	return failed;
}
