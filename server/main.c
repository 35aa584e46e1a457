/* main.c - the zkml-registry command line: dispatch to serve, run, migrate and
 * the steps (pipeline/steps.c's table names them). */
#include "pipeline/pipeline.h"
#include "server/commands.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"serve", cmd_serve, "start the HTTP service and its workers"},
    {"run", cmd_run, "run the whole pipeline: run MODEL.onnx --data CSV --out DIR"},
    {"check", cmd_check, "check an upload as POST /models does: check MODEL.onnx [--data CSV]"},
    {"migrate", cmd_migrate, "apply database migrations to the data dir"},
    {"groth16", cmd_groth16, "groth16 setup | prove | verify | export-zkey, on snarkjs-compatible files"},
    {"ptau", cmd_ptau, "ptau info | new-local: Powers of Tau (phase 1) files"},
    {"zkey", cmd_zkey, "zkey contribute | beacon | verify | export-vk | export-pk | check-next: phase 2"},
    {"export-verifier", cmd_export_verifier, "write Verifier.sol for a verification_key.json"},
    {"calldata", cmd_calldata, "encode proof.json + public.json as verifier calldata"},
    {"cid", cmd_cid, "print a file's IPFS CIDv0, as `ipfs add` computes it: cid FILE..."},
    {"chain", cmd_chain, "chain deploy-registry | status | versions | best-version: talk to the EVM chain"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: zkml-registry <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
    const pipeline_step_table *t = pipeline_default_steps();
    for (size_t i = 0; i < t->count; i++)
        if (t->steps[i].engine)
            fprintf(f, "  %-16s step: %s\n", t->steps[i].name, t->steps[i].summary);
    fprintf(f, "\nRun 'zkml-registry <command> --help' for a command's options.\n"
               "Exit codes: 0 success, 1 a negative answer (an invalid proof), 2 an error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    const pipeline_step *step = pipeline_find_step(argv[1]);
    if (step && step->engine)
        return cmd_step(argc - 1, argv + 1);
    fprintf(stderr, "zkml-registry: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
