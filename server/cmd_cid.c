/*
 * cmd_cid.c - `zkml-registry cid FILE...`: the IPFS CIDv0 of each file, as
 * `ipfs add` would print it (common/cid.c), so a user can check the model_cid
 * the registry shows against a file they hold, or pin it on IPFS.
 */
#include "common/common.h"
#include "server/commands.h"

#include <stdio.h>
#include <string.h>

static void usage_cid(FILE *f)
{
    fprintf(f, "usage: zkml-registry cid FILE...\n\n"
               "Prints the IPFS CIDv0 of each FILE, one a line, as `ipfs add` computes it\n"
               "by default (UnixFS in dag-pb, 256 KiB chunks, balanced layout of at most\n"
               "174 links, leaves not raw); with several files, 'CID  FILE'.\n"
               "Exit codes: 0 success, 2 an error (a file that cannot be read).\n");
}

int cmd_cid(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage_cid(stdout);
            return 0;
        }
    if (argc < 2) {
        usage_cid(stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char cid[ZKML_CID_MAX];
        zkml_error err = {0};
        if (zkml_cid_file(argv[i], cid, &err)) {
            fprintf(stderr, "zkml-registry cid: %s\n", err.message);
            return 2;
        }
        if (argc == 2)
            printf("%s\n", cid);
        else
            printf("%s  %s\n", cid, argv[i]);
    }
    return 0;
}
