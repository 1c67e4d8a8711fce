/*
 * keycache.h - line protocol series keys -> series ids (internal to
 * ingest/: the pipeline keeps one cache per enterprise, keycache.c holds
 * it). Ingest thread only: no locking.
 */
#ifndef PARKWATCH_INGEST_KEYCACHE_H
#define PARKWATCH_INGEST_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Line protocol series keys -> series ids, one per enterprise: a line
 * whose key bytes were seen before skips building, checking and looking
 * up its name. Series ids never change once given, so an entry is never
 * stale; it only costs memory, so a full cache (entries or key bytes) is
 * emptied and refilled by the misses that follow. A key is the bytes
 * that decide the name: the topic's device (only for a line without a
 * device tag), the measurement and tag set and the field key, exactly as
 * in the line, each with its length before it. */
typedef struct key_slot {
    uint64_t hash;     /* 0: empty */
    uint32_t off, len; /* the key in bytes */
    uint32_t id;
} key_slot;

typedef struct key_cache {
    key_slot *slots;
    size_t cap, used, max_used; /* cap a power of two; used <= cap / 2 */
    char *bytes;
    size_t bytes_len, bytes_cap, bytes_max;
    uint64_t hits, misses, resets;
} key_cache;

/* A key's hash (never 0: 0 marks an empty slot). */
uint64_t keycache_hash(const char *p, size_t n);
/* The id remembered for key k (n bytes, hash h): true and *id, or false. */
bool keycache_get(key_cache *c, const char *k, size_t n, uint64_t h, uint32_t *id);
void keycache_clear(key_cache *c);
/* Remembers k -> id; a full cache is emptied first (resets counts it).
 * Out of memory it simply remembers nothing. */
void keycache_put(key_cache *c, const char *k, size_t n, uint64_t h, uint32_t id);
void keycache_free(key_cache *c);

#endif
