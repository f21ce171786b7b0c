/*
 * postgres_dl.h - libpq, loaded with dlopen() when a PostgreSQL URL is
 * first used.  Linking libpq would load it and its dozen dependencies
 * (TLS, Kerberos, LDAP) at every start, which costs more than a whole
 * no-op run on SQLite; a program that never talks to PostgreSQL now never
 * pays for it.  The engine's files call PQ functions as usual: the macros
 * below route each call through the table filled by pq_load().
 */
#ifndef STRATA_POSTGRES_DL_H
#define STRATA_POSTGRES_DL_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "strata.h"

/* X(name) for every libpq function the engine uses. */
#define PQ_FUNCTIONS(X)         \
	X(PQclear)              \
	X(PQcmdStatus)          \
	X(PQconnectdbParams)    \
	X(PQconninfo)           \
	X(PQconninfoFree)       \
	X(PQerrorMessage)       \
	X(PQexec)               \
	X(PQexecParams)         \
	X(PQfinish)             \
	X(PQfreemem)            \
	X(PQgetCopyData)        \
	X(PQgetResult)          \
	X(PQgetisnull)          \
	X(PQgetvalue)           \
	X(PQnfields)            \
	X(PQntuples)            \
	X(PQparameterStatus)    \
	X(PQputCopyEnd)         \
	X(PQresultErrorField)   \
	X(PQresultErrorMessage) \
	X(PQresultStatus)       \
	X(PQsendQuery)          \
	X(PQserverVersion)      \
	X(PQsetNoticeReceiver)  \
	X(PQstatus)             \
	X(PQtransactionStatus)

/*
 * Optional (libpq 14+): pipeline mode.  Without them the engine sends the
 * same statements one round trip each.
 */
#define PQ_PIPELINE_FUNCTIONS(X) \
	X(PQenterPipelineMode)   \
	X(PQexitPipelineMode)    \
	X(PQpipelineSync)        \
	X(PQsendQueryParams)

struct pq_api {
#define PQ_FIELD(f) __typeof__(f) *f;
	PQ_FUNCTIONS(PQ_FIELD)
	PQ_PIPELINE_FUNCTIONS(PQ_FIELD)
#undef PQ_FIELD
};

extern struct pq_api pq_api;

/*
 * Load libpq once per process.  Returns STRATA_OK, or STRATA_EUNSUPPORTED
 * with a message saying which library to install.
 */
int pq_load(strata *ctx);
/* After pq_load: does the library have pipeline mode? */
bool pq_has_pipeline(void);

#ifndef PQ_DL_LOADER
/* A macro does not expand inside itself, so each name becomes the field. */
#define PQclear              pq_api.PQclear
#define PQcmdStatus          pq_api.PQcmdStatus
#define PQconnectdbParams    pq_api.PQconnectdbParams
#define PQconninfo           pq_api.PQconninfo
#define PQconninfoFree       pq_api.PQconninfoFree
#define PQerrorMessage       pq_api.PQerrorMessage
#define PQexec               pq_api.PQexec
#define PQexecParams         pq_api.PQexecParams
#define PQfinish             pq_api.PQfinish
#define PQfreemem            pq_api.PQfreemem
#define PQgetCopyData        pq_api.PQgetCopyData
#define PQgetResult          pq_api.PQgetResult
#define PQgetisnull          pq_api.PQgetisnull
#define PQgetvalue           pq_api.PQgetvalue
#define PQnfields            pq_api.PQnfields
#define PQntuples            pq_api.PQntuples
#define PQparameterStatus    pq_api.PQparameterStatus
#define PQputCopyEnd         pq_api.PQputCopyEnd
#define PQresultErrorField   pq_api.PQresultErrorField
#define PQresultErrorMessage pq_api.PQresultErrorMessage
#define PQresultStatus       pq_api.PQresultStatus
#define PQsendQuery          pq_api.PQsendQuery
#define PQserverVersion      pq_api.PQserverVersion
#define PQsetNoticeReceiver  pq_api.PQsetNoticeReceiver
#define PQstatus             pq_api.PQstatus
#define PQtransactionStatus  pq_api.PQtransactionStatus
#define PQenterPipelineMode  pq_api.PQenterPipelineMode
#define PQexitPipelineMode   pq_api.PQexitPipelineMode
#define PQpipelineSync       pq_api.PQpipelineSync
#define PQsendQueryParams    pq_api.PQsendQueryParams
#endif

#endif
