/*
 * One read of a connection's inputs.  pgverify merges a connection's
 * options with libpq's own code (the probe in merge.c), decides, and then
 * libpq merges them again when the call is forwarded.  Between the two the
 * environment may change (another thread's setenv) and a service file may
 * be gone (a FIFO is read once), so libpq's getenv() and fopen() are routed
 * here (bind.c): while a connection is being planned they are recorded, and
 * while it is forwarded libpq is given exactly what it read the first time.
 * Outside those two phases, and on other threads, both pass straight on.
 */
#ifndef PGV_REPLAY_H
#define PGV_REPLAY_H

#include <stdio.h>

struct pgv_replay_entry;

struct pgv_replay {
	int replaying; /* 0: record what libpq reads; 1: give it back */
	int failed;    /* something could not be recorded: do not forward */
	struct pgv_replay_entry *entries;
	struct pgv_replay *outer; /* a connection planned inside this one */
};

/* Start recording on this thread; every begin has one end. */
void pgv_replay_begin(struct pgv_replay *r);

/* From now on, give libpq what was recorded. */
void pgv_replay_switch(struct pgv_replay *r);

/* Stop, and wipe what was recorded (a service file may hold a password). */
void pgv_replay_end(struct pgv_replay *r);

/* What libpq's GOT points to for getenv() and fopen(). */
char *pgv_replay_getenv(const char *name);
FILE *pgv_replay_fopen(const char *path, const char *mode);

#endif
