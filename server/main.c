/* main.c - the zkml-registry command line: dispatch to serve, run, migrate and the steps. */
#include "common/common.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zkml-registry <command> [options]\n"
            "\n"
            "commands:\n"
            "  serve      start the HTTP service and its workers\n"
            "  run        run the whole pipeline on a model: run MODEL.onnx --data CSV --out DIR\n"
            "  migrate    apply database migrations\n"
            "\n"
            "Run 'zkml-registry <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    fprintf(stderr, "zkml-registry: command '%s' is not available in this build\n", argv[1]);
    return 2;
}
