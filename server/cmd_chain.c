/*
 * cmd_chain.c - `zkml-registry chain ...`: talk to the EVM chain configured by
 * ZKML_CHAIN / ZKML_RPC_URL / ZKML_PRIVATE_KEY_FILE / ZKML_REGISTRY_ADDRESS
 * (flags override them). deploy-registry prints the new registry's address on
 * stdout and nothing else, so scripts can capture it.
 */
#include "server/commands.h"
#include "registry/chain/chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void chain_usage(FILE *f)
{
    fprintf(f,
            "usage: zkml-registry chain deploy-registry [options]\n"
            "       zkml-registry chain status [options]\n"
            "       zkml-registry chain versions TASK_ID [options]\n"
            "       zkml-registry chain best-version TASK_ID DATASET_COMMITMENT [options]\n"
            "\n"
            "  deploy-registry  deploy ModelRegistry with the configured key; prints its address\n"
            "                   (then set ZKML_REGISTRY_ADDRESS to it)\n"
            "  status           chain id, block, account, balance, whether the registry has code\n"
            "  versions         the task's versions as the registry records them (eth_call)\n"
            "  best-version     the registry's bestVersion(TASK_ID, DATASET_COMMITMENT): the\n"
            "                   on-chain version with the best proven metric on that dataset\n"
            "                   (0 if none) and its evaluation, as JSON; the commitment in\n"
            "                   decimal as evaluation.json writes it, or 0x and 64 hex digits\n"
            "\n"
            "options (each overrides its environment variable):\n"
            "  --rpc-url URL        ZKML_RPC_URL: the node's JSON-RPC endpoint (http or https)\n"
            "  --key-file PATH      ZKML_PRIVATE_KEY_FILE: hex private key, mode 0600\n"
            "  --registry ADDRESS   ZKML_REGISTRY_ADDRESS: the ModelRegistry contract\n");
}

static int fail(const zkml_error *err)
{
    fprintf(stderr, "zkml-registry chain: %s\n", err->message);
    return 2;
}

static int set_field(char *field, size_t size, const char *value, const char *flag, zkml_error *err)
{
    if (strlen(value) >= size)
        return zkml_fail(err, ZKML_EINVAL, "%s: value longer than %zu characters", flag, size - 1);
    memcpy(field, value, strlen(value) + 1);
    return 0;
}

/* Reads flags into cfg; up to max positional arguments after the subcommand
 * go to pos[] (*n of them). */
static int parse_options(int argc, char **argv, chain_config *cfg, const char **pos, int max,
                         int *n, zkml_error *err)
{
    *n = 0;
    int rc = chain_config_from_env(cfg, err);
    for (int i = 2; rc == 0 && i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--rpc-url") && value)
            rc = set_field(cfg->rpc_url, sizeof cfg->rpc_url, argv[++i], "--rpc-url", err);
        else if (!strcmp(argv[i], "--key-file") && value)
            rc = set_field(cfg->key_file, sizeof cfg->key_file, argv[++i], "--key-file", err);
        else if (!strcmp(argv[i], "--registry") && value)
            rc = set_field(cfg->registry_address, sizeof cfg->registry_address, argv[++i],
                           "--registry", err);
        else if (argv[i][0] != '-' && *n < max)
            pos[(*n)++] = argv[i];
        else
            rc = zkml_fail(err, ZKML_EINVAL, "unexpected argument '%s' (see --help)", argv[i]);
    }
    /* A URL given on the command line means an external chain. */
    if (rc == 0 && cfg->mode == CHAIN_NONE && cfg->rpc_url[0])
        cfg->mode = CHAIN_RPC;
    if (rc == 0 && cfg->mode != CHAIN_NONE && !cfg->rpc_url[0])
        rc = zkml_fail(err, ZKML_EINVAL,
                       "no RPC URL: set ZKML_RPC_URL or pass --rpc-url (the embedded anvil "
                       "chain exists only while 'zkml-registry serve' runs)");
    return rc;
}

int cmd_chain(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        chain_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            chain_usage(stdout);
            return 0;
        }
    const char *sub = argv[1];
    zkml_error err = {0};
    chain_config cfg;
    const char *pos[2];
    int n_pos;
    int wants = !strcmp(sub, "versions") ? 1 : !strcmp(sub, "best-version") ? 2 : 0;
    if (strcmp(sub, "deploy-registry") && strcmp(sub, "status") && !wants) {
        fprintf(stderr, "zkml-registry chain: unknown subcommand '%s'\n", sub);
        chain_usage(stderr);
        return 2;
    }
    if (parse_options(argc, argv, &cfg, pos, wants, &n_pos, &err))
        return fail(&err);
    char *json = NULL;
    int rc;
    if (!strcmp(sub, "deploy-registry")) {
        if (cfg.mode == CHAIN_NONE)
            return fail(&(zkml_error){ZKML_EINVAL, "no chain configured: set ZKML_RPC_URL "
                                                   "and ZKML_PRIVATE_KEY_FILE"});
        char address[43];
        if ((rc = chain_deploy_registry(&cfg, address, &err)))
            return fail(&err);
        printf("%s\n", address);
        return 0;
    }
    if (n_pos < wants) {
        chain_usage(stderr);
        return 2;
    }
    if (wants == 2)
        rc = chain_best_versions_json(&cfg, pos[0], pos + 1, 1, &json, &err);
    else if (wants)
        rc = chain_versions_onchain_json(&cfg, pos[0], &json, &err);
    else
        rc = chain_status_json(&cfg, &json, &err);
    if (rc)
        return fail(&err);
    printf("%s\n", json);
    free(json);
    return 0;
}
