/*
 * binfile.h - internal: the iden3 binary container (.r1cs, .wtns) and a
 * streaming atomic file writer.
 *
 * Reading: the whole file is in memory; binfile_open checks the magic and the
 * section table (every section inside the file) and records where each
 * section lies. A cursor reads little-endian integers and fails on truncation
 * instead of reading past the end.
 *
 * Writing: bw_open writes to "<path>.tmp.<pid>"; bw_commit flushes, fsyncs and
 * renames, so a crash never leaves half a file; bw_abort removes the temporary.
 * bw_commit_new does the same but keeps a file another process put at the
 * path meanwhile (a cache both made: readers of the first must keep seeing it).
 */
#ifndef ZKML_SNARK_BINFILE_H
#define ZKML_SNARK_BINFILE_H

#include "pipeline/snark/snark.h"

#define BINFILE_MAX_SECTIONS 16

typedef struct binfile {
    const char *name; /* for messages: the file path */
    const uint8_t *data;
    size_t len;
    uint32_t version, n_sections;
    struct {
        uint32_t type;
        size_t offset, size;
    } sections[BINFILE_MAX_SECTIONS];
} binfile;

typedef struct bcur {
    const uint8_t *p;
    size_t left;
} bcur;

/* The prime r (the BN254 scalar field) as 32 bytes little-endian. */
extern const uint8_t BN254_R_LE[32];
/* The prime p (the BN254 base field), likewise. */
extern const uint8_t BN254_P_LE[32];

int binfile_open(binfile *bf, const uint8_t *data, size_t len, const char magic[4],
                 const char *name, zkml_error *err);
/* The one section of this type: ZKML_EINVAL if missing (when required) or repeated.
 * *found is set to 0 when an optional section is missing. */
int binfile_section(const binfile *bf, uint32_t type, int required, bcur *cur, int *found,
                    zkml_error *err);

/* Maps a whole file read-only (large .ptau and .zkey files are not copied). */
int binfile_map(const char *path, const char magic[4], void **map, size_t *len, zkml_error *err);
void binfile_unmap(void *map, size_t len);
/* Drops the mapping's pages from the process's memory: they stay in the page
 * cache and a later read brings them back. */
void binfile_release(void *map, size_t len);

int bcur_u32(bcur *c, uint32_t *v);
int bcur_u64(bcur *c, uint64_t *v);
int bcur_bytes(bcur *c, const uint8_t **p, size_t n);

/* Writes go through the writer's own buffer (stdio's locked fwrite of each
 * 36-byte r1cs term was a third of writing the CIFAR CNN's 142 MB circuit),
 * and the kernel is asked to start writing each BW_SYNC_STEP bytes back as
 * soon as they are handed over, so that bw_commit's fsync waits for the
 * last of them only. failed: the errno of the first failure, 0 while none. */
enum { BW_BUFFER = 1 << 20, BW_SYNC_STEP = 8 << 20 };

typedef struct bwriter {
    int fd;
    const char *path;
    char tmp[4200];
    uint8_t *buf; /* BW_BUFFER bytes, used of them waiting */
    size_t used;
    uint64_t written, synced; /* bytes handed to the kernel; their writeback started */
    int failed;
} bwriter;

int bw_open(bwriter *w, const char *path, zkml_error *err);
void bw_u32(bwriter *w, uint32_t v);
void bw_u64(bwriter *w, uint64_t v);
void bw_bytes(bwriter *w, const void *p, size_t n);
/* Overwrites n bytes at offset off of those written (a header whose fields
 * are known at the end only). */
void bw_patch(bwriter *w, uint64_t off, const void *p, size_t n);
/* Leaves the next n bytes of the file to bw_fill and returns their offset:
 * sections whose contents several threads write at once. Every reserved
 * byte must be filled before bw_commit. */
uint64_t bw_reserve(bwriter *w, uint64_t n);
/* Writes n bytes at offset off, inside a reserved stretch. It touches no
 * state of the writer, so threads may fill their parts at once. Returns 0
 * or the errno of the failure (the caller then calls bw_abort). */
int bw_fill(const bwriter *w, uint64_t off, const void *p, size_t n);
/* Writes the container header: magic, version, section count. */
void bw_header(bwriter *w, const char magic[4], uint32_t version, uint32_t n_sections);
int bw_commit(bwriter *w, zkml_error *err);
int bw_commit_new(bwriter *w, zkml_error *err);
void bw_abort(bwriter *w);

#endif
