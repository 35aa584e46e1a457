/* main.c - the zkml-registry command line: dispatch to serve, run, migrate and the steps. */
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
    {"settings", cmd_step, "step: model.onnx -> settings.json"},
    {"calibrate", cmd_step, "step: data.csv -> calibration.json"},
    {"compile", cmd_step, "step: -> network.r1cs, circuit.json"},
    {"witness", cmd_step, "step: one CSV row -> input.json, witness.wtns, output.json"},
    {"setup", cmd_step, "step: -> proving.key, verification_key.json"},
    {"prove", cmd_step, "step: -> witness, proof.json, public.json"},
    {"verify", cmd_step, "step: -> verify.json"},
    {"export", cmd_step, "step: -> Verifier.sol, Verifier.abi.json, calldata.json"},
    {"evaluate", cmd_step, "step: accuracy over data.csv -> evaluation.*, EvaluationVerifier.sol"},
    {"groth16", cmd_groth16, "groth16 setup | prove | verify, on snarkjs-compatible files"},
    {"export-verifier", cmd_export_verifier, "write Verifier.sol for a verification_key.json"},
    {"calldata", cmd_calldata, "encode proof.json + public.json as verifier calldata"},
    {"chain", cmd_chain, "chain deploy-registry | status: talk to the EVM chain"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: zkml-registry <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-16s %s\n", commands[i].name, commands[i].summary);
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
    fprintf(stderr, "zkml-registry: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
