#ifndef HALLMARK_CPOSTGRES_SHIM_H
#define HALLMARK_CPOSTGRES_SHIM_H

/* libpq, the PostgreSQL C client library (Debian: libpq-dev). pkg-config libpq adds
   -I/usr/include/postgresql; the fallback keeps the module usable without pkg-config. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif

/* The PG_DIAG_* field codes are character-literal macros; give Swift plain constants. */
static inline int cpostgres_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int cpostgres_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int cpostgres_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }

/* A notice processor that drops NOTICE/WARNING messages instead of printing them to stderr
   (libpq's default), e.g. "relation ... already exists, skipping". */
static inline void cpostgres_ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static inline void cpostgres_silence_notices(PGconn *conn) {
    PQsetNoticeProcessor(conn, cpostgres_ignore_notice, NULL);
}

#endif
