/*
 * The trust of each bundle file, per region, read once for all of
 * `pgverify rotation`'s endpoints and programs (rotation.h).
 */
#include "rotation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int trust_has(const struct trust *t, const char *id)
{
	int i = id ? pgv_rds_id_index(id) : -1;

	return t && !t->error[0] && i >= 0 && t->trusted[i];
}

const struct trust *trust_of(struct trust_cache **cache, const char *path,
			     const char *region, long long now)
{
	struct trust_cache *c;

	for (c = *cache; c; c = c->next)
		if (strcmp(c->path, path) == 0 &&
		    strcmp(c->region, region) == 0)
			return &c->t;
	if (!(c = calloc(1, sizeof(*c))) || !(c->path = strdup(path))) {
		free(c);
		return NULL;
	}
	snprintf(c->region, sizeof(c->region), "%s", region);
	if (pgv_rds_trust(path, region, now, c->t.trusted, c->t.until,
			  c->t.error, sizeof(c->t.error)) < 0 &&
	    !c->t.error[0])
		snprintf(c->t.error, sizeof(c->t.error), "cannot read %s",
			 path);
	c->next = *cache;
	*cache = c;
	return &c->t;
}

void trust_cache_free(struct trust_cache *cache)
{
	while (cache) {
		struct trust_cache *next = cache->next;
		free(cache->path);
		free(cache);
		cache = next;
	}
}
