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

static int copy_file(const char *from, const char *to, char *err, size_t errcap) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errcap, "alerting: cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        snprintf(err, errcap, "alerting: cannot create %s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    int rc = 0;
    char buf[1 << 16];
    ssize_t n;
    while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errcap, "alerting: cannot read %s: %s", from, strerror(errno));
            rc = -1;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                snprintf(err, errcap, "alerting: cannot write %s: %s", to, strerror(errno));
                rc = -1;
                break;
            }
            off += w;
        }
    }
    if (rc == 0 && fsync(out) != 0) {
        snprintf(err, errcap, "alerting: cannot sync %s: %s", to, strerror(errno));
        rc = -1;
    }
    close(in);
    close(out);
    return rc;
}

int alert_backup_restore(const char *backup_dir, const char *journal_dir, size_t *events, char *err,
                         size_t errcap) {
    char path[4096 + 256 + 2], to[4096 + 256 + 2];
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
    if (!(d = opendir(backup_dir))) {
        snprintf(err, errcap, "alerting: cannot read %s: %s", backup_dir, strerror(errno));
        return -1;
    }
    while (rc == 0 && (e = readdir(d))) {
        snprintf(path, sizeof path, "%s/%s", backup_dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        snprintf(to, sizeof to, "%s/%s", journal_dir, e->d_name);
        rc = copy_file(path, to, err, errcap);
    }
    closedir(d);
    if (rc != 0) return -1;
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
