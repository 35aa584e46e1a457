/*
 * binfile.c - the iden3 binary container and the streaming atomic writer
 * (contracts in binfile.h).
 */
#include "pipeline/snark/binfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

const uint8_t BN254_R_LE[32] = {
    0x01, 0x00, 0x00, 0xf0, 0x93, 0xf5, 0xe1, 0x43, 0x91, 0x70, 0xb9, 0x79, 0x48, 0xe8, 0x33, 0x28,
    0x5d, 0x58, 0x81, 0x81, 0xb6, 0x45, 0x50, 0xb8, 0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30,
};

const uint8_t BN254_P_LE[32] = {
    0x47, 0xfd, 0x7c, 0xd8, 0x16, 0x8c, 0x20, 0x3c, 0x8d, 0xca, 0x71, 0x68, 0x91, 0x6a, 0x81, 0x97,
    0x5d, 0x58, 0x81, 0x81, 0xb6, 0x45, 0x50, 0xb8, 0x29, 0xa0, 0x31, 0xe1, 0x72, 0x4e, 0x64, 0x30,
};

int bcur_bytes(bcur *c, const uint8_t **p, size_t n)
{
    if (c->left < n)
        return -1;
    *p = c->p;
    c->p += n;
    c->left -= n;
    return 0;
}

int bcur_u32(bcur *c, uint32_t *v)
{
    const uint8_t *p;
    if (bcur_bytes(c, &p, 4))
        return -1;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 0;
}

int bcur_u64(bcur *c, uint64_t *v)
{
    uint32_t lo, hi;
    if (bcur_u32(c, &lo) || bcur_u32(c, &hi))
        return -1;
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

int binfile_open(binfile *bf, const uint8_t *data, size_t len, const char magic[4],
                 const char *name, zkml_error *err)
{
    memset(bf, 0, sizeof *bf);
    bf->name = name;
    bf->data = data;
    bf->len = len;
    if (len < 12 || memcmp(data, magic, 4) != 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: not a .%.4s file (wrong magic or too short)", name,
                         magic);
    bcur c = {data + 4, len - 4};
    uint32_t n_sections;
    bcur_u32(&c, &bf->version);
    bcur_u32(&c, &n_sections);
    if (n_sections > BINFILE_MAX_SECTIONS)
        return zkml_fail(err, ZKML_EINVAL, "%s: %u sections, at most %d expected", name, n_sections,
                         BINFILE_MAX_SECTIONS);
    for (uint32_t i = 0; i < n_sections; i++) {
        uint32_t type;
        uint64_t size;
        if (bcur_u32(&c, &type) || bcur_u64(&c, &size))
            return zkml_fail(err, ZKML_EINVAL, "%s: truncated in the header of section %u", name,
                             i + 1);
        if (size > c.left)
            return zkml_fail(err, ZKML_EINVAL,
                             "%s: section %u (type %u) is %llu bytes but only %zu remain "
                             "(truncated file)",
                             name, i + 1, type, (unsigned long long)size, c.left);
        bf->sections[i].type = type;
        bf->sections[i].offset = (size_t)(c.p - data);
        bf->sections[i].size = (size_t)size;
        c.p += size;
        c.left -= (size_t)size;
    }
    bf->n_sections = n_sections;
    return 0;
}

int binfile_section(const binfile *bf, uint32_t type, int required, bcur *cur, int *found,
                    zkml_error *err)
{
    int n = 0;
    for (uint32_t i = 0; i < bf->n_sections; i++) {
        if (bf->sections[i].type != type)
            continue;
        cur->p = bf->data + bf->sections[i].offset;
        cur->left = bf->sections[i].size;
        n++;
    }
    if (n > 1)
        return zkml_fail(err, ZKML_EINVAL, "%s: section type %u appears %d times", bf->name, type,
                         n);
    if (found)
        *found = n;
    if (n == 0 && required)
        return zkml_fail(err, ZKML_EINVAL, "%s: section type %u is missing", bf->name, type);
    return 0;
}

int binfile_map(const char *path, const char magic[4], void **map, size_t *len, zkml_error *err)
{
    *map = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zkml_fail(err, ZKML_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 12) {
        close(fd);
        return zkml_fail(err, ZKML_EINVAL, "%s: not a .%.4s file (empty or unreadable)", path,
                         magic);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return zkml_fail(err, errno == ENOMEM ? ZKML_ENOMEM : ZKML_EIO, "%s: mmap: %s", path,
                         strerror(errno));
    *map = m;
    *len = (size_t)st.st_size;
    return 0;
}

void binfile_unmap(void *map, size_t len)
{
    if (map)
        munmap(map, len);
}

void binfile_release(void *map, size_t len)
{
    if (map)
        madvise(map, len, MADV_DONTNEED); /* advice only: a failure costs memory, not data */
}

int bw_open(bwriter *w, const char *path, zkml_error *err)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->path = path;
    int n = snprintf(w->tmp, sizeof w->tmp, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof w->tmp)
        return zkml_fail(err, ZKML_EINVAL, "path too long: %s", path);
    if (!(w->buf = malloc(BW_BUFFER)))
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for the write buffer", path);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (w->fd < 0) {
        free(w->buf);
        w->buf = NULL;
        return zkml_fail(err, ZKML_EIO, "%s: %s", w->tmp, strerror(errno));
    }
    return 0;
}

/* n bytes from p to fd at offset off, however many calls it takes: 0 or the errno. */
static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 && errno ? errno : EIO;
        p += k;
        off += (uint64_t)k;
        n -= (size_t)k;
    }
    return 0;
}

static void put_at(bwriter *w, const uint8_t *p, size_t n, uint64_t off)
{
    if (!w->failed)
        w->failed = pwrite_all(w->fd, p, n, off);
}

/* n bytes from p after those written. */
static void write_all(bwriter *w, const uint8_t *p, size_t n)
{
    put_at(w, p, n, w->written);
    w->written += n;
    if (!w->failed && w->written - w->synced >= BW_SYNC_STEP) {
        /* advice: where it fails, bw_commit's fsync writes these bytes too */
        sync_file_range(w->fd, (off_t)w->synced, (off_t)(w->written - w->synced),
                        SYNC_FILE_RANGE_WRITE);
        w->synced = w->written;
    }
}

static void flush(bwriter *w)
{
    write_all(w, w->buf, w->used);
    w->used = 0;
}

void bw_bytes(bwriter *w, const void *p, size_t n)
{
    if (w->used + n > BW_BUFFER)
        flush(w);
    if (n >= BW_BUFFER) {
        write_all(w, p, n);
        return;
    }
    memcpy(w->buf + w->used, p, n);
    w->used += n;
}

void bw_patch(bwriter *w, uint64_t off, const void *p, size_t n)
{
    flush(w);
    put_at(w, p, n, off);
}

uint64_t bw_reserve(bwriter *w, uint64_t n)
{
    flush(w);
    uint64_t off = w->written;
    w->written += n;
    return off;
}

int bw_fill(const bwriter *w, uint64_t off, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t done = 0; done < n; done += BW_SYNC_STEP) {
        size_t k = n - done < BW_SYNC_STEP ? n - done : BW_SYNC_STEP;
        int e = pwrite_all(w->fd, b + done, k, off + done);
        if (e)
            return e;
        /* advice, as in write_all */
        sync_file_range(w->fd, (off_t)(off + done), (off_t)k, SYNC_FILE_RANGE_WRITE);
    }
    return 0;
}

void bw_u32(bwriter *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    bw_bytes(w, b, 4);
}

void bw_u64(bwriter *w, uint64_t v)
{
    bw_u32(w, (uint32_t)v);
    bw_u32(w, (uint32_t)(v >> 32));
}

void bw_header(bwriter *w, const char magic[4], uint32_t version, uint32_t n_sections)
{
    bw_bytes(w, magic, 4);
    bw_u32(w, version);
    bw_u32(w, n_sections);
}

/* Flushes, fsyncs and closes the temporary, then puts it at path: renamed
 * over what is there, or (keep) linked only where nothing is, the temporary
 * removed either way. */
static int commit(bwriter *w, int keep, zkml_error *err)
{
    flush(w);
    if (!w->failed && fsync(w->fd) != 0)
        w->failed = errno ? errno : EIO;
    if (close(w->fd) != 0 && !w->failed)
        w->failed = errno ? errno : EIO;
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    if (!w->failed && !keep && rename(w->tmp, w->path) != 0)
        w->failed = errno ? errno : EIO;
    if (!w->failed && keep && link(w->tmp, w->path) != 0 && errno != EEXIST)
        w->failed = errno;
    if (w->failed || keep)
        unlink(w->tmp);
    if (w->failed)
        return zkml_fail(err, ZKML_EIO, "writing %s: %s", w->path, strerror(w->failed));
    return 0;
}

int bw_commit(bwriter *w, zkml_error *err)
{
    return commit(w, 0, err);
}

int bw_commit_new(bwriter *w, zkml_error *err)
{
    return commit(w, 1, err);
}

void bw_abort(bwriter *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    free(w->buf);
    w->buf = NULL;
    unlink(w->tmp);
}
