/* files.c - reading whole files and writing them atomically. */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int zkml_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len, zkml_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO, "%s: %s", path,
                         strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return zkml_fail(err, ZKML_EIO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (max_bytes && size > max_bytes) {
        close(fd);
        return zkml_fail(err, ZKML_EINVAL, "%s: %zu bytes, more than the limit of %zu", path, size,
                         max_bytes);
    }
    uint8_t *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory reading %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            return zkml_fail(err, ZKML_EIO, "%s: read failed: %s", path,
                             n == 0 ? "file shrank while reading" : strerror(e));
        }
        got += (size_t)n;
    }
    close(fd);
    buf[size] = 0;
    *data = buf;
    *len = size;
    return 0;
}

static int write_file_renamed(const char *path, const void *data, size_t len, int sync,
                              zkml_error *err)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return zkml_fail(err, ZKML_EINVAL, "%s: path too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return zkml_fail(err, ZKML_EIO, "%s: %s", tmp, strerror(errno));
    const uint8_t *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return zkml_fail(err, ZKML_EIO, "%s: write failed: %s", path, strerror(e));
        }
        p += w;
        left -= (size_t)w;
    }
    if ((sync && fsync(fd) != 0) || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return zkml_fail(err, ZKML_EIO, "%s: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return zkml_fail(err, ZKML_EIO, "%s: rename failed: %s", path, strerror(e));
    }
    return 0;
}

int zkml_write_file_atomic(const char *path, const void *data, size_t len, zkml_error *err)
{
    return write_file_renamed(path, data, len, 1, err);
}

int zkml_write_file_unsynced(const char *path, const void *data, size_t len, zkml_error *err)
{
    return write_file_renamed(path, data, len, 0, err);
}

int zkml_copy_file(const char *from, const char *to, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    int rc = zkml_read_file(from, 0, &data, &len, err);
    if (rc)
        return rc;
    rc = zkml_write_file_atomic(to, data, len, err);
    free(data);
    return rc;
}

int zkml_mkdir_p(const char *path, int private_dir, zkml_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return zkml_fail(err, ZKML_EINVAL, "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    mode_t mode = private_dir ? 0700 : 0755;
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        char saved = buf[i];
        buf[i] = 0;
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return zkml_fail(err, ZKML_EIO, "mkdir %s: %s", buf, strerror(errno));
        buf[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return zkml_fail(err, ZKML_EIO, "%s: not a directory", path);
    return 0;
}

int zkml_path_join(char *out, size_t outlen, const char *dir, const char *name, zkml_error *err)
{
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outlen)
        return zkml_fail(err, ZKML_EINVAL, "path too long: %s/%s", dir, name);
    return 0;
}

int zkml_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
