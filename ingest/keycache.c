/*
 * keycache.c - the pipeline's cache of line protocol series keys (keycache.h):
 * open addressing over hashes, the keys' bytes in one growing buffer.
 */
#include "ingest/keycache.h"

#include <stdlib.h>
#include <string.h>

uint64_t keycache_hash(const char *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h ? h : 1; /* 0 marks an empty slot */
}

static key_slot *cache_slot(const key_cache *c, const char *k, size_t n, uint64_t h) {
    size_t j = (size_t)h & (c->cap - 1);
    for (;; j = (j + 1) & (c->cap - 1)) {
        key_slot *sl = &c->slots[j];
        if (!sl->hash || (sl->hash == h && sl->len == n && !memcmp(c->bytes + sl->off, k, n)))
            return sl;
    }
}

bool keycache_get(key_cache *c, const char *k, size_t n, uint64_t h, uint32_t *id) {
    if (!c->used) return false;
    const key_slot *sl = cache_slot(c, k, n, h);
    if (!sl->hash) return false;
    *id = sl->id;
    return true;
}

void keycache_clear(key_cache *c) {
    if (c->slots) memset(c->slots, 0, c->cap * sizeof *c->slots);
    c->used = 0;
    c->bytes_len = 0;
}

void keycache_put(key_cache *c, const char *k, size_t n, uint64_t h, uint32_t id) {
    if (!c->max_used) return;
    if (c->used >= c->max_used || c->bytes_len + n > c->bytes_max) {
        keycache_clear(c); /* full: start again from what comes next */
        c->resets++;
    }
    if ((c->used + 1) * 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        key_slot *t = calloc(cap, sizeof *t);
        if (!t) return;
        key_cache nc = *c;
        nc.slots = t, nc.cap = cap;
        for (size_t i = 0; i < c->cap; i++)
            if (c->slots[i].hash)
                *cache_slot(&nc, c->bytes + c->slots[i].off, c->slots[i].len, c->slots[i].hash) =
                    c->slots[i];
        free(c->slots);
        c->slots = t, c->cap = cap;
    }
    if (c->bytes_len + n > c->bytes_cap) {
        size_t cap = c->bytes_cap ? c->bytes_cap * 2 : 16384;
        while (cap < c->bytes_len + n) cap *= 2;
        char *b = realloc(c->bytes, cap);
        if (!b) return;
        c->bytes = b, c->bytes_cap = cap;
    }
    key_slot *sl = cache_slot(c, k, n, h);
    if (sl->hash) return; /* the same key twice in one message */
    memcpy(c->bytes + c->bytes_len, k, n);
    *sl = (key_slot){h, (uint32_t)c->bytes_len, (uint32_t)n, id};
    c->bytes_len += n;
    c->used++;
}

void keycache_free(key_cache *c) {
    free(c->slots);
    free(c->bytes);
}
