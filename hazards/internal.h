/*
 * internal.h - what the files of hazards/ share; not a public header.
 *
 * RocksDB keys (docs/reference/hidden-hazards.md, "storage"):
 *   'h' id(be64)           the hazard's record as it is now (JSON)
 *   'j' ts(be64) seq(be64) an event of the journal (JSON), time order
 *   'e' id(be64) seq(be64) the same event, under its hazard (replay of one)
 * The index: one hz_entry per hazard (ids are dense from 1: entry id-1),
 * 32 bytes, plus the title's text (ASCII lower-cased) in one arena.
 */
#ifndef PARKWATCH_HAZARDS_INTERNAL_H
#define PARKWATCH_HAZARDS_INTERNAL_H

#include <pthread.h>
#include <rocksdb/c.h>

/* the register's block cache: a million records' hot pages */
#define HZ_CACHE_BYTES ((size_t)128 << 20)

#include "hazards/hazards.h"

#define HZ_MAJOR      1u
#define HZ_SUPERVISED 2u
#define HZ_TITLE_MAX  200
#define HZ_TEXT_MAX   4000
#define HZ_LAST_MS    4102444800000LL /* 2100-01-01: no deadline beyond */

typedef struct hz_entry {
    int64_t deadline_ms; /* 0: none */
    int64_t closed_ms;   /* 0: not closed */
    uint32_t title_off;  /* into the index's titles */
    uint16_t ent;        /* into hazards.ent_ids */
    uint8_t title_len, state, flags;
} hz_entry;

typedef struct hz_index {
    hz_entry *e;
    size_t n, cap;
    char *titles;
    size_t titles_n, titles_cap;
} hz_index;

struct hazards {
    pthread_rwlock_t lock;
    char *dir;
    const people *people;
    size_t max_attach;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    /* point reads of a page's records: a bloom filter a file and the
     * index and filter blocks in a cache of their own, so a read at a
     * million hazards is one data block, not one a level */
    rocksdb_block_based_table_options_t *table;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    hz_index ix;
    char (*ent_ids)[32]; /* interned enterprise ids */
    size_t n_ents, cap_ents;
    uint64_t next_seq;
    int64_t last_ts;
};

/* hazards.c, for attach.c: an error into err, returning st */
hazard_status hz_fail(char *err, size_t errcap, hazard_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The record of id (new reference) after the scope check; write lock held. */
hazard_status hz_load_for(hazards *hz, const hazard_actor *who, uint64_t id, json_t **rec,
                          char *err, size_t errcap);
/* Applies changes (stolen) to rec as one journalled step; write lock held. */
hazard_status hz_commit(hazards *hz, uint64_t id, json_t *rec, hazard_action a,
                        const hazard_actor *who, json_t *changes, int64_t now_ms, char *err,
                        size_t errcap);

#endif
