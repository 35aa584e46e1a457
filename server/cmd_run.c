/* cmd_run.c - not yet landed: the commands say so instead of pretending. */
#include "server/commands.h"
#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "zkml-registry: command '%s' is not available in this build\n", argv[0]);
    return 2;
}

int cmd_migrate(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "zkml-registry: command '%s' is not available in this build\n", argv[0]);
    return 2;
}

int cmd_step(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "zkml-registry: command '%s' is not available in this build\n", argv[0]);
    return 2;
}
