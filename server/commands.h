/*
 * commands.h - one function per zkml-registry subcommand. Each takes the
 * arguments after the command name (argv[0] is the command) and returns the
 * process exit code: 0 success, 1 a negative answer (e.g. an invalid proof),
 * 2 an error, whose message went to stderr.
 */
#ifndef ZKML_SERVER_COMMANDS_H
#define ZKML_SERVER_COMMANDS_H

#include "common/common.h"

int cmd_serve(int argc, char **argv);           /* serve.c       */
int cmd_run(int argc, char **argv);             /* cmd_run.c     */
int cmd_migrate(int argc, char **argv);         /* cmd_run.c     */
int cmd_step(int argc, char **argv);            /* cmd_run.c: a step of pipeline_default_steps() */
int cmd_groth16(int argc, char **argv);         /* cmd_groth16.c */
int cmd_zkey(int argc, char **argv);            /* cmd_zkey.c    */
int cmd_ptau(int argc, char **argv);            /* cmd_ptau.c    */
int cmd_export_verifier(int argc, char **argv); /* cmd_evm.c     */
int cmd_calldata(int argc, char **argv);        /* cmd_evm.c     */
int cmd_chain(int argc, char **argv);           /* cmd_chain.c   */
int cmd_check(int argc, char **argv);           /* cmd_check.c   */
int cmd_cid(int argc, char **argv);             /* cmd_cid.c     */
/* The job limits on this process, for a command the server runs as a child:
 * memory as pipeline_limit_memory, CPU seconds as RLIMIT_CPU (0: none). */
int cmd_limit_self(long memory_mb, long cpu_s, zkml_error *err); /* cmd_check.c */

#endif
