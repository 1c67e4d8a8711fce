/*
 * ops.c - operating the event store: retention in bounded steps, online
 * backup (a RocksDB checkpoint) and restore, statistics.
 *
 * Retention deletes the oldest events first, each with its entity and
 * state entries, one write batch per step. Deleted keys stay as
 * tombstones until compaction; so that each step (and the statistics'
 * oldest time) does not walk again over what earlier steps deleted, the
 * store remembers the time up to which everything is gone (lowered again
 * by an append older than it).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "events/internal.h"

#define RETAIN_BATCH 4096 /* deletes of one write */

static ev_status flush_batch(ev_store *s, rocksdb_writebatch_t *b, char *err, size_t errcap) {
    if (!rocksdb_writebatch_count(b)) return EV_OK;
    char *rerr = NULL;
    rocksdb_write(s->db, s->wopts, b, &rerr);
    rocksdb_writebatch_clear(b);
    return rerr ? evs_db_fail(err, errcap, "retention", rerr) : EV_OK;
}

ev_status ev_retain(ev_store *s, int64_t before_ms, size_t max_events, size_t *deleted, char *err,
                    size_t errcap) {
    if (deleted) *deleted = 0;
    if (!s) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    if (!max_events) return EV_OK;
    pthread_mutex_lock(&s->retain_mu);
    uint8_t lo[1 + EV_TAIL], hi[1 + EV_TAIL];
    /* Appends after the exchange are counted for the next step. */
    int64_t floor_ts = atomic_load(&s->gone_before);
    int64_t late = atomic_exchange(&s->min_appended, INT64_MAX);
    if (late < floor_ts) floor_ts = late;
    lo[0] = hi[0] = 't';
    evs_key_tail(lo + 1, floor_ts, 0);
    evs_key_tail(hi + 1, before_ms, 0);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, ro);
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    ev_status st = EV_OK;
    size_t n = 0;
    bool all = true; /* every event before before_ms is gone */
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof lo); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        if (n == max_events) {
            all = false;
            break;
        }
        size_t kl, vl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
        evs_view view;
        if (kl != 1 + EV_TAIL || !evs_peek(v, vl, &view)) {
            st = evs_fail(err, errcap, EV_EIO, "events: a stored event does not decode");
            break;
        }
        int64_t ts = evs_tail_ts(k + 1);
        uint64_t seq = evs_tail_seq(k + 1);
        rocksdb_writebatch_delete(b, (const char *)k, kl);
        uint8_t ek[EV_KEY_MAX];
        for (size_t i = 0; i < view.n_entities; i++) {
            size_t el = evs_key_entity(ek, 'e', view.entities[i], view.ent_lens[i], ts, seq);
            rocksdb_writebatch_delete(b, (const char *)ek, el);
        }
        if (view.state_of_first) {
            size_t el = evs_key_entity(ek, 's', view.entities[0], view.ent_lens[0], ts, seq);
            rocksdb_writebatch_delete(b, (const char *)ek, el);
        }
        n++;
        if (n % RETAIN_BATCH == 0 && (st = flush_batch(s, b, err, errcap))) break;
    }
    if (!st) {
        char *rerr = NULL;
        rocksdb_iter_get_error(it, &rerr);
        if (rerr) st = evs_db_fail(err, errcap, "retention", rerr), all = false;
    }
    if (!st) st = flush_batch(s, b, err, errcap);
    rocksdb_writebatch_destroy(b);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    atomic_store(&s->gone_before, !st && all && before_ms > floor_ts ? before_ms : floor_ts);
    pthread_mutex_unlock(&s->retain_mu);
    atomic_fetch_add(&s->retained, n);
    if (deleted) *deleted = n;
    return st;
}

ev_status ev_backup(ev_store *s, const char *dir, char *err, size_t errcap) {
    if (!s || !dir || !*dir) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return evs_fail(err, errcap, EV_EINVAL, "events: backup target %s exists already", dir);
    char *rerr = NULL;
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(s->db, &rerr);
    if (!rerr) rocksdb_checkpoint_create(cp, dir, 0 /* flush memtables first */, &rerr);
    if (cp) rocksdb_checkpoint_object_destroy(cp);
    return rerr ? evs_db_fail(err, errcap, "backup", rerr) : EV_OK;
}

static bool dir_empty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
    closedir(d);
    return empty;
}

ev_status ev_restore(const char *backup_dir, const char *data_dir, char *err, size_t errcap) {
    if (!backup_dir || !data_dir || !*data_dir)
        return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    char check[4096];
    struct stat sb;
    snprintf(check, sizeof check, "%s/CURRENT", backup_dir);
    if (stat(check, &sb) != 0)
        return evs_fail(err, errcap, EV_EINVAL, "events: %s is not a backup (no CURRENT file)",
                        backup_dir);
    if (mkdir(data_dir, 0750) != 0) {
        if (errno != EEXIST)
            return evs_fail(err, errcap, EV_EIO, "events: %s: %s", data_dir, strerror(errno));
        if (!dir_empty(data_dir))
            return evs_fail(err, errcap, EV_EINVAL, "events: %s is not empty", data_dir);
    }
    char why[512];
    if (fs_copy_files(backup_dir, data_dir, why, sizeof why) != 0)
        return evs_fail(err, errcap, EV_EIO, "events: restore: %s", why);
    return EV_OK;
}

/* Bytes of the regular files in dir; info logs (LOG*) are diagnostics, not data. */
static uint64_t dir_bytes(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, "LOG", 3)) continue;
        char path[4096 + 256 + 2];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) total += (uint64_t)sb.st_size;
    }
    closedir(d);
    return total;
}

void ev_get_stats(ev_store *s, ev_stats *out) {
    memset(out, 0, sizeof *out);
    if (!s) return;
    out->appended = atomic_load(&s->appended);
    out->rejected = atomic_load(&s->rejected);
    out->retained = atomic_load(&s->retained);
    out->next_seq = atomic_load(&s->next_seq_seen);
    out->disk_bytes = dir_bytes(s->dir);
    uint8_t lo[1 + EV_TAIL], hi[1 + EV_TAIL];
    lo[0] = 't';
    int64_t floor_ts = atomic_load(&s->gone_before), late = atomic_load(&s->min_appended);
    evs_key_tail(lo + 1, late < floor_ts ? late : floor_ts, 0);
    memset(hi, 0xff, sizeof hi);
    hi[0] = 't';
    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, s->ropts);
    rocksdb_iter_seek(it, (const char *)lo, sizeof lo);
    size_t kl;
    const uint8_t *k;
    if (rocksdb_iter_valid(it) && (k = (const uint8_t *)rocksdb_iter_key(it, &kl)) &&
        kl == 1 + EV_TAIL && k[0] == 't') {
        out->oldest_ms = evs_tail_ts(k + 1);
        rocksdb_iter_seek_for_prev(it, (const char *)hi, sizeof hi);
        if (rocksdb_iter_valid(it) && (k = (const uint8_t *)rocksdb_iter_key(it, &kl)) &&
            kl == 1 + EV_TAIL && k[0] == 't')
            out->newest_ms = evs_tail_ts(k + 1);
    }
    rocksdb_iter_destroy(it);
}
