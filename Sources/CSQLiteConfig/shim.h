#ifndef AUDITQ_CSQLITECONFIG_SHIM_H
#define AUDITQ_CSQLITECONFIG_SHIM_H
#include <sqlite3.h>

/* sqlite3_config is variadic, which Swift cannot call: one wrapper per
 * process-wide setting auditq makes. Each must run before SQLite is
 * initialised (before the first connection opens); later it returns
 * SQLITE_MISUSE and changes nothing. */

/* Memory statistics off: with them on, every SQLite allocation and free
 * takes a global mutex, a measurable share of a bulk import's writer. */
static inline int auditq_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
