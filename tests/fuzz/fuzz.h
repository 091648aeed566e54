/*
 * What the fuzz targets share: a fixed policy and the one invariant that
 * matters.  Whatever the input, a plan that lets a connection go ahead must
 * hand libpq options that libpq itself merges into a verified connection:
 * sslmode verify-ca or verify-full with a CA bundle, for every TCP host.
 * Only a connection with no TCP host, or whose hosts all match one of
 * `exempt`, may be left alone.  A refusal must say why.
 */
#ifndef PGV_FUZZ_H
#define PGV_FUZZ_H

#include "core.h"

#include <stddef.h>
#include <stdint.h>

/* A policy file of `text`, written to a private temporary file. */
pgverify_config *fuzz_config(const char *text);

/* Abort (a finding) unless `plan` keeps the invariant above. */
void fuzz_check_plan(const pgverify_plan *plan, const char *const *exempt,
		     size_t nexempt);

/* Clear the PG* variables, so that only the input steers libpq. */
void fuzz_clear_environment(void);

#endif
