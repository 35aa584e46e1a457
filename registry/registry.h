/*
 * registry.h - public face of registry/: the sqlite store and its migrations,
 * the libgit2 version history, and the EVM client (keccak, RLP, ABI, signed
 * transactions over JSON-RPC). The registry knows files and hashes, not how
 * they were made.
 */
#ifndef ZKML_REGISTRY_H
#define ZKML_REGISTRY_H

#include "common/common.h"

/* ==== store: sqlite + migrations (store.c, migrate.c) ==================== */

/* ==== version history: libgit2 (history.c) =============================== */

/* ==== chain: keccak, RLP, ABI, transactions, JSON-RPC (chain*.c) ========== */

#endif
