/*
 * proof_jobs.h - internal to server/: proofs of new inputs with a registered
 * version's key, as the HTTP routes use them (proofs.c answers
 * POST/GET /models/{task}/versions/{n}/proofs[/{id}]; other routes, such as
 * an Infernet container's, use the same calls):
 *
 *   proof_job_input_spec  what a version takes (the input's count and scale)
 *   proof_job_submit   check an input against a version and queue its proof
 *   proof_job_wait     wait (bounded) until it has ended
 *   proof_job_json     the proof's JSON answer
 *
 * The proof runs in a worker process (pipeline.h), never on an HTTP thread;
 * a thread that waits sleeps on a condition variable that the notifier
 * thread signals when a worker reports a finished proof (pipeline_notify).
 */
#ifndef ZKML_SERVER_PROOF_JOBS_H
#define ZKML_SERVER_PROOF_JOBS_H

#include "pipeline/circuit/circuit.h"
#include "server/server.h"

/* The notifier: a thread reading finished proofs' ids from done_read (the
 * read end of pipeline_notify.done_write), waking every waiting request. */
typedef struct proof_notify proof_notify;
int proof_notify_start(int done_read, proof_notify **out, zkml_error *err);
void proof_notify_stop(proof_notify *n);

/* What version (0 = latest, resolved into *version) of task takes as input
 * (count, scale, range, visibility; output count), from its circuit.json:
 * ZKML_ENOTFOUND / ZKML_ECONFLICT as below. An Infernet input's fixed-point
 * integers are at spec->scale. */
int proof_job_input_spec(const server_ctx *srv, registry_store *s, const char *task, int *version,
                         circuit_input_spec *spec, zkml_error *err);
/* Checks input (n values) and expected (n_expected values, or NULL) against
 * version (0 = latest) of task and queues the proof: ZKML_ENOTFOUND for an
 * unknown task or version, ZKML_ECONFLICT naming the version's state unless
 * its job is done, ZKML_EINVAL naming the expected shape or the index of a
 * bad value. *version receives the version resolved, id the proof's id. */
int proof_job_submit(const server_ctx *srv, registry_store *s, const char *task, int *version,
                     const double *input, size_t n, const double *expected, size_t n_expected,
                     char id[STORE_PROOF_ID_LEN + 1], zkml_error *err);
/* Waits until the proof is done or failed, at most ms, and reads it into *p
 * (whatever its state then; store_proof_free it). */
int proof_job_wait(const server_ctx *srv, registry_store *s, const char *task, int version,
                   const char *id, int64_t ms, store_proof *p, zkml_error *err);
/* {proof_id, task_id, version, state, status_url, created_at, started_at,
 *  finished_at, error, result}: result is the worker's JSON once done (null
 *  before): outputs, values, dequantized, predicted_class, scale, output_check,
 *  proof, public_signals, public_signal_names, calldata {solidity, hex},
 *  input_visibility, input_commitment, input_packed, input, input_cid. */
int proof_job_json(const store_proof *p, char **json, zkml_error *err);

/* The routes (proofs.c): POST .../proofs and GET .../proofs/{id}. */
int proofs_post(const http_request *rq, const char *task, const char *version);
int proofs_get(const http_request *rq, const char *task, const char *version, const char *id);

#endif
