/*
 * Mutexes that survive fork(): every one is taken before fork() and
 * released after it, in the parent and in the child, so that a child never
 * starts with a lock held by a thread it does not have.
 */
#ifndef PGV_FORKLOCK_H
#define PGV_FORKLOCK_H

#include <pthread.h>

struct pgv_fork_lock {
	pthread_mutex_t mutex;
	int registered; /* with the fork handlers; set once, under their lock */
};

#define PGV_FORK_LOCK_INITIALIZER                                              \
	{                                                                      \
		PTHREAD_MUTEX_INITIALIZER, 0                                   \
	}

/* Lock `l`, registering it with the fork handlers the first time. */
void pgv_fork_lock(struct pgv_fork_lock *l);
void pgv_fork_unlock(struct pgv_fork_lock *l);

#endif
