/*
 * migrations.h - internal to registry/: the SQL files of migrations/, compiled
 * into the binary in number order by registry/CMakeLists.txt.
 */
#ifndef ZKML_REGISTRY_MIGRATIONS_H
#define ZKML_REGISTRY_MIGRATIONS_H

#include <stddef.h>

typedef struct registry_migration {
    int number;       /* NNNN of NNNN_name.sql; numbers increase */
    const char *name; /* the file name, recorded in schema_migrations */
    const char *sql;  /* its text, NUL-terminated */
} registry_migration;

extern const registry_migration registry_migrations[];
extern const size_t registry_migration_count;

#endif
