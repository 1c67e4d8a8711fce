/*
 * ops.c - operating the historian: statistics, online backup and restore.
 *
 * A backup is a RocksDB checkpoint taken right after the head has been
 * written and synced, under the writer lock: it holds every point
 * acknowledged before hist_backup was called and needs no write-ahead log.
 * The checkpoint hard-links SST files when the target is on the same file
 * system, so it costs little space and time even for a large store.
 * Restoring copies the checkpoint into a new data directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "historian/internal.h"

/* Bytes of the regular files in dir; info logs (LOG*) are diagnostics, not data. */
static uint64_t dir_bytes(const char *dir, bool skip_info_logs, const char *suffix) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (skip_info_logs && strncmp(e->d_name, "LOG", 3) == 0) continue;
        size_t len = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;
        if (suffix && (len < sl || strcmp(e->d_name + len - sl, suffix) != 0)) continue;
        char path[4096 + 256 + 2];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) total += (uint64_t)sb.st_size;
    }
    closedir(d);
    return total;
}

hist_status hist_get_stats(hist *h, hist_stats *out, hist_error *err) {
    if (!h || !out) return hist_fail(err, HIST_EINVAL, "null argument");
    memset(out, 0, sizeof *out);
    /* Writing the head first makes the chunk scan count every point once. */
    hist_status st = hist_flush(h, err);
    if (st == HIST_OK) st = db_read_begin(h, err);
    if (st != HIST_OK) return st;
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(h->db, h->ropts, h->cf[CF_CHUNKS]);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t vlen, n;
        const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
        if (codec_chunk_count(v, vlen, &n) != CODEC_OK) {
            st = hist_fail(err, HIST_ECORRUPT, "a chunk header does not decode");
            break;
        }
        out->points += n;
    }
    rocksdb_iter_destroy(it);
    db_read_end(h);
    pthread_rwlock_rdlock(&h->head_lock);
    out->series = h->n_series;
    for (size_t i = 0; i < h->n_series; i++)
        for (const head_window *w = h->series[i].windows; w; w = w->next) out->head_points += w->n;
    pthread_rwlock_unlock(&h->head_lock);
    char path[4096];
    snprintf(path, sizeof path, "%s/rocksdb", h->dir);
    out->bytes_rocksdb = dir_bytes(path, true, NULL);
    out->bytes_sst = dir_bytes(path, true, ".sst");
    out->bytes_wal = wal_bytes(h->log);
    out->bytes_on_disk = out->bytes_rocksdb + out->bytes_wal;
    out->chunks_written = atomic_load(&h->chunks_written);
    out->late_merges = atomic_load(&h->late_merges);
    return st;
}

void hist_get_gauges(hist *h, hist_stats *out) {
    memset(out, 0, sizeof *out);
    pthread_rwlock_rdlock(&h->head_lock);
    out->series = h->n_series;
    for (size_t i = 0; i < h->n_series; i++)
        for (const head_window *w = h->series[i].windows; w; w = w->next) out->head_points += w->n;
    pthread_rwlock_unlock(&h->head_lock);
    char path[4096];
    snprintf(path, sizeof path, "%s/rocksdb", h->dir);
    out->bytes_rocksdb = dir_bytes(path, true, NULL);
    out->bytes_sst = dir_bytes(path, true, ".sst");
    out->bytes_wal = wal_bytes(h->log);
    out->bytes_on_disk = out->bytes_rocksdb + out->bytes_wal;
    out->chunks_written = atomic_load(&h->chunks_written);
    out->late_merges = atomic_load(&h->late_merges);
}

hist_status hist_backup(hist *h, const char *dir, hist_error *err) {
    if (!h || !dir) return hist_fail(err, HIST_EINVAL, "null argument");
    struct stat sb;
    if (stat(dir, &sb) == 0)
        return hist_fail(err, HIST_EINVAL, "backup target %s exists already", dir);
    char *e = NULL;
    /* The head goes to RocksDB first so the checkpoint needs no WAL of ours. */
    pthread_mutex_lock(&h->write_mu);
    hist_status st = head_checkpoint(h, err);
    if (st != HIST_OK) {
        pthread_mutex_unlock(&h->write_mu);
        return st;
    }
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(h->db, &e);
    if (!e) rocksdb_checkpoint_create(cp, dir, 0 /* flush memtables first */, &e);
    if (cp) rocksdb_checkpoint_object_destroy(cp);
    pthread_mutex_unlock(&h->write_mu);
    if (e) {
        st = hist_fail(err, HIST_EIO, "backup to %s failed: %s", dir, e);
        rocksdb_free(e);
    }
    return st;
}

hist_status hist_restore(const char *backup_dir, const char *data_dir, hist_error *err) {
    if (!backup_dir || !data_dir) return hist_fail(err, HIST_EINVAL, "null argument");
    char check[4096];
    struct stat sb;
    snprintf(check, sizeof check, "%s/CURRENT", backup_dir);
    if (stat(check, &sb) != 0)
        return hist_fail(err, HIST_EINVAL, "%s is not a Parkwatch backup (no CURRENT file)",
                         backup_dir);
    if (mkdir(data_dir, 0755) != 0 && errno != EEXIST)
        return hist_fail(err, HIST_EIO, "cannot create %s: %s", data_dir, strerror(errno));
    char target[4096];
    snprintf(target, sizeof target, "%s/rocksdb", data_dir);
    if (mkdir(target, 0755) != 0)
        return hist_fail(err, HIST_EINVAL, "%s: %s (restore needs an empty data directory)", target,
                         strerror(errno));
    char why[sizeof err->msg];
    if (fs_copy_files(backup_dir, target, why, sizeof why) != 0)
        return hist_fail(err, HIST_EIO, "%s", why);
    return HIST_OK;
}
