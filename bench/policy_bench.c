/*
 * The cost of pgverify's per-connection work, in process: for typical
 * connection options, the time of one pass through the pipeline the shim
 * runs (libpq's option merge, the policy, the cached bundle check, the
 * rewrite), and whether the heap grows over a million passes.
 *
 *   policy_bench CONFIG [ITERATIONS [HEAP_PASSES]]
 *
 * Prints one line per input: median ns per pass over 5 batches, and a last
 * line with the heap in use before and after HEAP_PASSES (default
 * 1,000,000) more passes.
 */
#include "plan.h"
#include "request.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct input {
	const char *name;
	const char *conninfo; /* NULL: the keyword arrays below */
	const char *const *kw, *const *val;
};

static const char *const kw[] = {"host", "port", "dbname", "user",
				  "application_name", NULL};
static const char *const val[] = {
    "db1.abc123.us-east-1.rds.amazonaws.com", "5432", "app", "app",
    "bench", NULL};

static const struct input inputs[] = {
    {"conninfo string", "host=db1.abc123.us-east-1.rds.amazonaws.com "
			"port=5432 dbname=app user=app",
     NULL, NULL},
    {"conninfo, sslmode=disable",
     "host=db1.abc123.us-east-1.rds.amazonaws.com dbname=app sslmode=disable",
     NULL, NULL},
    {"URI", "postgresql://app@db1.abc123.us-east-1.rds.amazonaws.com:5432/"
	    "app?sslmode=prefer&application_name=bench",
     NULL, NULL},
    {"keyword arrays", NULL, kw, val},
    {"multi-host URI", "postgresql://a.abc123.us-east-1.rds.amazonaws.com,"
		       "b.abc123.us-east-1.rds.amazonaws.com/app",
     NULL, NULL},
};

static void one_pass(const pgverify_config *cfg, const struct input *in)
{
	struct pgv_request req;
	pgverify_plan plan;

	if (in->conninfo)
		pgv_request_conninfo(&req, pgv_libpq_linked(), in->conninfo);
	else
		pgv_request_params(&req, pgv_libpq_linked(), in->kw, in->val, 0);
	if (pgv_plan(cfg, &req, &plan) != PGVERIFY_ENFORCE) {
		fprintf(stderr, "%s: not enforced: %s\n", in->name,
			plan.reason);
		exit(1);
	}
	pgverify_plan_clear(&plan);
	pgv_request_free(&req);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char err[1024];
	long iterations = argc > 2 ? atol(argv[2]) : 20000;
	long heap_passes = argc > 3 ? atol(argv[3]) : 1000000;
	pgverify_config *cfg =
	    argc > 1 ? pgverify_config_load(argv[1], err, sizeof(err)) : NULL;

	if (!cfg) {
		fprintf(stderr, "usage: policy_bench CONFIG [ITERATIONS]%s%s\n",
			argc > 1 ? ": " : "", argc > 1 ? err : "");
		return 2;
	}
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		double batch[5];
		for (int b = 0; b < 5; b++) {
			double t0 = now_ns();
			for (long k = 0; k < iterations; k++)
				one_pass(cfg, &inputs[i]);
			batch[b] = (now_ns() - t0) / (double)iterations;
		}
		qsort(batch, 5, sizeof(*batch), by_value);
		printf("%-28s %8.0f ns per connection (median of 5 x %ld)\n",
		       inputs[i].name, batch[2], iterations);
	}
	struct mallinfo2 before = mallinfo2();
	for (long k = 0; k < heap_passes; k++)
		one_pass(cfg, &inputs[k % 5]);
	struct mallinfo2 after = mallinfo2();
	printf("heap in use: %zu bytes before, %zu after %ld passes\n",
	       before.uordblks, after.uordblks, heap_passes);
	pgverify_config_free(cfg);
	return 0;
}
