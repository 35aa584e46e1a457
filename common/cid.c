/*
 * cid.c - the IPFS CIDv0 of a file, as `ipfs add` computes it by default.
 *
 * It lives in common/ because it is a content hash of file bytes, like
 * zkml_sha256_file: the upload (server/), the version history (registry/) and
 * the chain record (registry/chain) all name the model by it, and common/ is
 * the one folder all of them may use.
 *
 * The defaults it reproduces: the file is cut into 262144-byte chunks (one
 * empty chunk for an empty file); each chunk becomes a dag-pb node whose Data
 * is a UnixFS File message wrapping the bytes (leaves are not raw); nodes are
 * grouped in order, at most 174 links a node, level by level (the balanced
 * layout) until one node is left; a file of one chunk is that leaf. The CID
 * is base58btc of the sha2-256 multihash (0x12 0x20 digest) of the root block.
 *
 * The protobuf encoding is ours and small. dag-pb writes a node's Links
 * (field 2) before its Data (field 1); a link has Hash (1), an empty Name (2)
 * and Tsize (3), the size of the child's block plus its children's Tsize.
 * UnixFS Data has Type (1, File = 2), Data (2, omitted when empty), filesize
 * (3) and one blocksizes (4) entry per child: the file bytes under it.
 *
 * The file is read one chunk at a time, so a large model is never held whole.
 */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    CHUNK = 262144, /* the default fixed-size chunker */
    FANOUT = 174,   /* links per node in the balanced layout */
    LEVELS = 12,    /* 174^11 chunks: far beyond any file */
    LEAF_HEAD = 16, /* room before a chunk for its node's header */
    LEAF_TAIL = 16, /* room after it for the filesize field */
    /* one link: tag, length, Hash (2 + 34), Name (2), Tsize (1 + 10) */
    LINK_MAX = 2 + 2 + 34 + 2 + 11,
    /* a parent: its links, then Data: tag, length, Type, filesize, blocksizes */
    PARENT_MAX = FANOUT * LINK_MAX + 4 + 2 + 11 + FANOUT * 11,
};

/* A node, as its parent links it. */
typedef struct cid_link {
    uint8_t digest[32];
    uint64_t tsize;    /* the block's size plus its descendants' */
    uint64_t filesize; /* the file bytes under it */
} cid_link;

/* The pending links of every level of the tree being built. */
typedef struct cid_tree {
    cid_link link[LEVELS][FANOUT];
    size_t pending[LEVELS]; /* links waiting for their parent at each level */
    uint64_t total[LEVELS]; /* links ever added at each level */
    /* a parent's block and its UnixFS Data, here rather than on the stack of
     * a server thread; a parent is hashed before its own parent is built */
    uint8_t block[PARENT_MAX], data[4 + 11 + FANOUT * 11];
} cid_tree;

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int tree_add(cid_tree *t, size_t level, const cid_link *l, zkml_error *err);

/* Hashes the node of the pending links at level and adds it one level up. */
static int tree_reduce(cid_tree *t, size_t level, zkml_error *err)
{
    uint8_t *block = t->block, *data = t->data;
    size_t n = 0, d = 0;
    cid_link up = {.tsize = 0, .filesize = 0};
    for (size_t i = 0; i < t->pending[level]; i++)
        up.filesize += t->link[level][i].filesize;
    data[d++] = 0x08;
    data[d++] = 0x02;
    data[d++] = 0x18;
    d += put_varint(data + d, up.filesize);
    for (size_t i = 0; i < t->pending[level]; i++) {
        const cid_link *c = &t->link[level][i];
        data[d++] = 0x20;
        d += put_varint(data + d, c->filesize);
        block[n++] = 0x12;
        block[n++] = (uint8_t)(2 + 34 + 2 + 1 + varint_len(c->tsize));
        memcpy(block + n, "\x0a\x22\x12\x20", 4);
        memcpy(block + n + 4, c->digest, 32);
        memcpy(block + n + 36, "\x12\x00\x18", 3);
        n += 39;
        n += put_varint(block + n, c->tsize);
        up.tsize += c->tsize;
    }
    block[n++] = 0x0a;
    n += put_varint(block + n, d);
    memcpy(block + n, data, d);
    n += d;
    ZKML_VERIFY(n <= sizeof t->block && d <= sizeof t->data);
    zkml_sha256(block, n, up.digest);
    up.tsize += n;
    t->pending[level] = 0;
    return tree_add(t, level + 1, &up, err);
}

static int tree_add(cid_tree *t, size_t level, const cid_link *l, zkml_error *err)
{
    if (level >= LEVELS)
        return zkml_fail(err, ZKML_EINVAL, "file too large for an IPFS CID");
    if (t->pending[level] == FANOUT) {
        int rc = tree_reduce(t, level, err);
        if (rc)
            return rc;
    }
    t->link[level][t->pending[level]++] = *l;
    t->total[level]++;
    return 0;
}

/* Hashes the leaf whose n data bytes are at buf + LEAF_HEAD (buf has room
 * around them for the header and the filesize field) and adds its link. */
static int tree_leaf(cid_tree *t, uint8_t *buf, size_t n, zkml_error *err)
{
    uint8_t head[LEAF_HEAD];
    size_t data_field = n ? 1 + varint_len(n) + n : 0;
    size_t unixfs = 2 + data_field + 1 + varint_len(n);
    size_t h = 0;
    head[h++] = 0x0a;
    h += put_varint(head + h, unixfs);
    head[h++] = 0x08;
    head[h++] = 0x02;
    if (n) {
        head[h++] = 0x12;
        h += put_varint(head + h, n);
    }
    uint8_t *block = buf + LEAF_HEAD - h, *end = buf + LEAF_HEAD + n;
    memcpy(block, head, h);
    *end++ = 0x18;
    end += put_varint(end, n);
    cid_link l = {.tsize = (uint64_t)(end - block), .filesize = n};
    zkml_sha256(block, l.tsize, l.digest);
    return tree_add(t, 0, &l, err);
}

static void base58_multihash(const uint8_t digest[32], char out[ZKML_CID_MAX])
{
    static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t mh[34] = {0x12, 0x20}, b58[64] = {0};
    memcpy(mh + 2, digest, 32);
    size_t len = 0; /* base-58 digits so far, least significant first */
    for (size_t i = 0; i < sizeof mh; i++) {
        unsigned carry = mh[i];
        for (size_t j = 0; j < len || carry; j++) {
            if (j == len)
                len++;
            carry += 256u * b58[j];
            b58[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    /* mh starts 0x12, so there are no leading zero bytes to write as '1'. */
    ZKML_VERIFY(len < ZKML_CID_MAX);
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[b58[len - 1 - i]];
    out[len] = '\0';
}

/* Reduces what is left, bottom up, to the root and writes its CID. */
static int tree_finish(cid_tree *t, char out[ZKML_CID_MAX], zkml_error *err)
{
    for (size_t level = 0; level < LEVELS; level++) {
        if (t->total[level] == 1) {
            base58_multihash(t->link[level][0].digest, out);
            return 0;
        }
        int rc = t->pending[level] ? tree_reduce(t, level, err) : 0;
        if (rc)
            return rc;
    }
    return zkml_fail(err, ZKML_EINTERNAL, "IPFS CID: the tree has no root");
}

/* Reads up to CHUNK bytes (fewer only at the end of the file). */
static int read_chunk(int fd, const char *path, uint8_t *p, size_t *n, zkml_error *err)
{
    *n = 0;
    while (*n < CHUNK) {
        ssize_t r = read(fd, p + *n, CHUNK - *n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return zkml_fail(err, ZKML_EIO, "%s: read failed: %s", path, strerror(errno));
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    return 0;
}

static int cid_fd(int fd, const char *path, char out[ZKML_CID_MAX], zkml_error *err)
{
    cid_tree *t = calloc(1, sizeof *t);
    uint8_t *buf = malloc(LEAF_HEAD + CHUNK + LEAF_TAIL);
    int rc = t && buf ? 0 : zkml_fail(err, ZKML_ENOMEM, "%s: no memory for its CID", path);
    for (size_t n = CHUNK; !rc && n == CHUNK;) {
        rc = read_chunk(fd, path, buf + LEAF_HEAD, &n, err);
        /* a file that is a whole number of chunks has no empty last one */
        if (!rc && (n || !t->total[0]))
            rc = tree_leaf(t, buf, n, err);
    }
    if (!rc)
        rc = tree_finish(t, out, err);
    free(buf);
    free(t);
    return rc;
}

int zkml_cid_file(const char *path, char out[ZKML_CID_MAX], zkml_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zkml_fail(err, errno == ENOENT ? ZKML_ENOTFOUND : ZKML_EIO, "%s: %s", path,
                         strerror(errno));
    int rc = cid_fd(fd, path, out, err);
    close(fd);
    return rc;
}
