/*
 * Where the parts of an installation are relative to each other: the
 * library finds its engine here, and `pgverify check` looks there too.
 */
#ifndef PGV_LAYOUT_H
#define PGV_LAYOUT_H

/* Where the engine is, relative to the library's own directory. */
#define PGV_ENGINE_FILE "pgverify/pgverify-engine.so"
/* The engine's one entry point (src/shim/engine.h). */
#define PGV_ENGINE_OPEN "pgv_engine_open"

#endif
