/* test_common.c - errors, atomic writes and path joins from common/. */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/test_util.h"

static void test_errors(void)
{
    zkml_error err = {0};
    CHECK(zkml_fail(&err, ZKML_EINVAL, "line %d: bad", 7) == ZKML_EINVAL);
    CHECK(err.code == ZKML_EINVAL);
    CHECK(strcmp(err.message, "line 7: bad") == 0);
    CHECK(zkml_error_prefix(&err, "data.csv") == ZKML_EINVAL);
    CHECK(strcmp(err.message, "data.csv: line 7: bad") == 0);
    CHECK(strcmp(zkml_error_code_name(ZKML_ENOTFOUND), "not_found") == 0);

    /* A prefix longer than the buffer truncates instead of overflowing. */
    char longp[600];
    memset(longp, 'x', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    zkml_fail(&err, ZKML_EIO, "tail");
    zkml_error_prefix(&err, "%s", longp);
    CHECK(strlen(err.message) < sizeof err.message);
    CHECK(zkml_fail(NULL, ZKML_EIO, "no error struct") == ZKML_EIO);
}

static void test_files(void)
{
    char dir[128]; /* short: the paths below are built in fixed buffers */
    test_tmpdir(dir, sizeof dir, "test-common");
    char sub[256], path[256];
    zkml_error err = {0};
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    CHECK(zkml_mkdir_p(sub, 0, &err) == 0);
    CHECK(zkml_path_join(path, sizeof path, sub, "f.json", &err) == 0);
    CHECK(zkml_write_file_atomic(path, "{\"a\":1}", 7, &err) == 0);
    uint8_t *data;
    size_t len;
    CHECK(zkml_read_file(path, 0, &data, &len, &err) == 0);
    CHECK(len == 7 && memcmp(data, "{\"a\":1}", 7) == 0 && data[7] == 0);
    free(data);
    CHECK(zkml_read_file(path, 3, &data, &len, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "limit") != NULL);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    CHECK(zkml_read_file(missing, 0, &data, &len, &err) == ZKML_ENOTFOUND);
    CHECK(zkml_file_exists(path) && !zkml_file_exists(missing) && !zkml_file_exists(sub));
    char copy[300];
    snprintf(copy, sizeof copy, "%s/copy.json", sub);
    CHECK(zkml_copy_file(path, copy, &err) == 0);
    CHECK(zkml_read_file(copy, 0, &data, &len, &err) == 0);
    CHECK(len == 7 && memcmp(data, "{\"a\":1}", 7) == 0);
    free(data);
    unlink(copy);
    CHECK(zkml_copy_file(missing, copy, &err) == ZKML_ENOTFOUND && !zkml_file_exists(copy));

    char small[8];
    CHECK(zkml_path_join(small, sizeof small, "abc", "defgh", &err) == ZKML_EINVAL);

    unlink(path);
    for (int i = 0; i < 3; i++) {
        rmdir(sub);
        *strrchr(sub, '/') = 0;
    }
    rmdir(dir);
}

static void test_misc(void)
{
    setenv("ZKML_THREADS", "3", 1);
    CHECK(zkml_default_threads() == 3);
    setenv("ZKML_THREADS", "zero", 1);
    CHECK(zkml_default_threads() >= 1);
    unsetenv("ZKML_THREADS");
    uint8_t secret[16];
    memset(secret, 0xAB, sizeof secret);
    zkml_wipe(secret, sizeof secret);
    for (size_t i = 0; i < sizeof secret; i++)
        CHECK(secret[i] == 0);
    CHECK(zkml_monotonic_ms() >= 0 && zkml_now_ms() > 1600000000000LL);
}

/* In this (sanitizer) build a false ZKML_VERIFY aborts; Release compiles it out. */
static void test_verify(void)
{
#ifdef ZKML_VERIFY_CHECKS
    ZKML_VERIFY(1 + 1 == 2);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(3);
        ZKML_VERIFY(1 + 1 == 3);
        _exit(0);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
              WTERMSIG(status) == SIGABRT,
          "a false ZKML_VERIFY did not abort (status %d)", status);
#else
    printf("common: ZKML_VERIFY is compiled out in this build; not checked\n");
#endif
}

int main(void)
{
    test_errors();
    test_files();
    test_misc();
    test_verify();
    return check_exit("common");
}
