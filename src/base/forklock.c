/*
 * One set of pthread_atfork() handlers for every pgv_fork_lock: the
 * caches and tables that threads share (bundle.c, chain.c, shim.c in the
 * engine; copies.c, store.c in the library) each have one, and none is
 * ever taken while holding another.
 */
#include "forklock.h"

/* Written under `registry` (once per lock, when first taken) and read by
 * the fork handlers, which hold it from before fork() to after. */
#define MAX_LOCKS 8
static struct pgv_fork_lock *locks[MAX_LOCKS];
static int nlocks;
static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void before_fork(void)
{
	pthread_mutex_lock(&registry);
	for (int i = 0; i < nlocks; i++)
		pthread_mutex_lock(&locks[i]->mutex);
}

static void after_fork(void)
{
	for (int i = nlocks - 1; i >= 0; i--)
		pthread_mutex_unlock(&locks[i]->mutex);
	pthread_mutex_unlock(&registry);
}

static void install_handlers(void)
{
	pthread_atfork(before_fork, after_fork, after_fork);
}

/* The engine has three such locks and the library two, each file in a
 * registry of its own; MAX_LOCKS leaves room, and a lock past it would only
 * lose the fork guarantee, never its mutual exclusion. */
static void enlist(struct pgv_fork_lock *l)
{
	pthread_once(&handlers_once, install_handlers);
	pthread_mutex_lock(&registry);
	if (!l->registered && nlocks < MAX_LOCKS) {
		locks[nlocks++] = l;
		__atomic_store_n(&l->registered, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&registry);
}

void pgv_fork_lock(struct pgv_fork_lock *l)
{
	if (!__atomic_load_n(&l->registered, __ATOMIC_ACQUIRE))
		enlist(l);
	pthread_mutex_lock(&l->mutex);
}

void pgv_fork_unlock(struct pgv_fork_lock *l)
{
	pthread_mutex_unlock(&l->mutex);
}
