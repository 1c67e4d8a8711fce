/*
 * backup.c - restoring a backup of the alarm journal (alert_backup, in
 * alerting.c, takes it): the checkpoint's files are copied into a new
 * journal directory, which is then opened read-only and counted, so a
 * damaged backup is found at restore time and not when parkd starts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerting/alerting.h"
#include "common/fsutil.h"

int alert_backup_restore(const char *backup_dir, const char *journal_dir, size_t *events, char *err,
                         size_t errcap) {
    char path[4096 + 256 + 2];
    struct stat sb;
    snprintf(path, sizeof path, "%s/CURRENT", backup_dir);
    if (stat(path, &sb) != 0) {
        snprintf(err, errcap, "alerting: %s is not a journal backup (no CURRENT file)", backup_dir);
        return -1;
    }
    if (mkdir(journal_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "alerting: cannot create %s: %s", journal_dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(journal_dir);
    struct dirent *e;
    int rc = d ? 0 : -1;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) rc = -1;
    if (d) closedir(d);
    if (rc != 0) {
        snprintf(err, errcap, "alerting: %s must be a new or empty directory", journal_dir);
        return -1;
    }
    char why[512];
    if (fs_copy_files(backup_dir, journal_dir, why, sizeof why) != 0) {
        snprintf(err, errcap, "alerting: %s", why);
        return -1;
    }
    /* The copy must open; count its transitions (keys are time + sequence). */
    rocksdb_options_t *o = rocksdb_options_create();
    rocksdb_options_set_info_log_level(o, 2);
    char *rerr = NULL;
    rocksdb_t *db = rocksdb_open_for_read_only(o, journal_dir, 0, &rerr);
    if (rerr) {
        snprintf(err, errcap, "alerting: the restored journal %s does not open: %s", journal_dir,
                 rerr);
        rocksdb_free(rerr);
        rocksdb_options_destroy(o);
        return -1;
    }
    size_t n = 0;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it = rocksdb_create_iterator(db, ro);
    for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl;
        rocksdb_iter_key(it, &kl);
        if (kl == 16) n++;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    rocksdb_close(db);
    rocksdb_options_destroy(o);
    if (events) *events = n;
    return 0;
}
