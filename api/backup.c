/*
 * backup.c - backups of a running parkd and their restore into a new data
 * directory (api.h, "backups").
 *
 * A backup is one directory under parkd's backup root (the config's
 * "backup_dir"), named by the request or after the time it was taken:
 *
 *   NAME/historian/    hist_backup: a RocksDB checkpoint taken right after
 *                      the head was written, under the writer lock
 *   NAME/alarms/       alert_backup: a RocksDB checkpoint of the alarm
 *                      journal, under the engine's lock
 *   NAME/events/       ev_backup: a RocksDB checkpoint of the event store
 *                      (gate passages, badges, permits, camera events)
 *   NAME/backup.json   the manifest, written last (a directory without it
 *                      is not a backup: restore refuses it)
 *
 * Ingest goes on meanwhile: each store blocks its writers only while its
 * checkpoint is cut. Everything appended to the historian before the call
 * is in the backup; so is every transition journalled before the journal's
 * checkpoint. The checkpoints hard-link RocksDB's immutable files when the
 * backup root is on the data's file system, so a backup costs little time
 * and space there, and does not protect against losing that disk: copy it
 * elsewhere (it is a plain directory tree).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "common/clock.h"
#include "events/events.h"

#define MANIFEST        "backup.json"
#define MANIFEST_FORMAT 1

/* One backup at a time per process. */
static pthread_mutex_t backup_mu = PTHREAD_MUTEX_INITIALIZER;

bool api_backup_name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > API_BACKUP_NAME_MAX || name[0] == '.' || name[0] == '-') return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Files and bytes of the regular files in dir (not recursive). */
static void dir_size(const char *dir, json_int_t *files, json_int_t *bytes) {
    *files = *bytes = 0;
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096 + 256 + 2];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        (*files)++;
        *bytes += (json_int_t)sb.st_size;
    }
    closedir(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int sync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Writes j to dir/name durably: a temporary file, fsync, rename, fsync of dir. */
static int write_json(const char *dir, const char *name, json_t *j, char *err, size_t errcap) {
    char tmp[4096 + 64], path[4096 + 64];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *txt = json_dumps(j, JSON_INDENT(1));
    int fd = txt ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : -1;
    size_t len = txt ? strlen(txt) : 0;
    bool ok =
        fd >= 0 && write(fd, txt, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    ok = ok && rename(tmp, path) == 0 && sync_path(dir) == 0;
    if (!ok)
        snprintf(err, errcap, "cannot write %s: %s", path, txt ? strerror(errno) : "no memory");
    free(txt);
    return ok ? 0 : -1;
}

int api_backup_take(hist *h, alert_engine *alarms, struct ev_store *events, const char *root,
                    const char *name, json_t **manifest, char *err, size_t errcap) {
    *manifest = NULL;
    err[0] = 0;
    if (!h || !root || !root[0]) {
        snprintf(err, errcap, "no backup directory is configured");
        return API_BACKUP_EUNAVAILABLE;
    }
    char gen[64];
    int64_t started = pw_wall_ms(), t0 = pw_mono_ms();
    if (!name) {
        time_t s = (time_t)(started / 1000);
        struct tm tm;
        gmtime_r(&s, &tm);
        size_t n = strftime(gen, sizeof gen, "parkd-%Y%m%dT%H%M%S", &tm);
        snprintf(gen + n, sizeof gen - n, ".%03dZ", (int)(started % 1000));
        name = gen;
    }
    if (!api_backup_name_ok(name)) {
        snprintf(err, errcap,
                 "a backup name is 1 to %d letters, digits, '.', '_' or '-', not starting with '.' "
                 "or '-'",
                 API_BACKUP_NAME_MAX);
        return API_BACKUP_EINVAL;
    }
    if (pthread_mutex_trylock(&backup_mu) != 0) {
        snprintf(err, errcap, "another backup is being taken");
        return API_BACKUP_EBUSY;
    }
    char dir[4096], sub[4096 + 32];
    int rc = API_BACKUP_EIO;
    json_t *hj = NULL, *aj = NULL, *ej = NULL;
    if (mkdir(root, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "cannot create the backup directory %s: %s", root, strerror(errno));
        goto out;
    }
    char abs_root[PATH_MAX];
    if (!realpath(root, abs_root)) {
        snprintf(err, errcap, "backup directory %s: %s", root, strerror(errno));
        goto out;
    }
    if ((size_t)snprintf(dir, sizeof dir, "%s/%s", abs_root, name) >= sizeof dir) {
        snprintf(err, errcap, "the backup path is too long");
        goto out;
    }
    if (mkdir(dir, 0750) != 0) {
        if (errno == EEXIST) rc = API_BACKUP_EEXIST;
        snprintf(err, errcap, "cannot create %s: %s", dir,
                 errno == EEXIST ? "a backup of this name exists" : strerror(errno));
        goto out;
    }
    /* The historian: series registered before it began are all in it. */
    hist_error he;
    json_int_t files, bytes;
    int64_t t1 = pw_mono_ms();
    size_t series = hist_series_count(h);
    snprintf(sub, sizeof sub, "%s/historian", dir);
    if (hist_backup(h, sub, &he) != HIST_OK) {
        snprintf(err, errcap, "historian: %s", he.msg);
        goto fail;
    }
    dir_size(sub, &files, &bytes);
    hj = json_pack("{s:s,s:I,s:I,s:I,s:I}", "directory", "historian", "series", (json_int_t)series,
                   "files", files, "bytes", bytes, "duration_ms", (json_int_t)(pw_mono_ms() - t1));
    /* The alarm journal. */
    if (alarms) {
        uint64_t seq = 0;
        int64_t t2 = pw_mono_ms();
        snprintf(sub, sizeof sub, "%s/alarms", dir);
        if (alert_backup(alarms, sub, &seq, err, errcap) != 0) goto fail;
        dir_size(sub, &files, &bytes);
        aj = json_pack("{s:s,s:I,s:I,s:I,s:I}", "directory", "alarms", "last_seq", (json_int_t)seq,
                       "files", files, "bytes", bytes, "duration_ms",
                       (json_int_t)(pw_mono_ms() - t2));
    }
    /* The event store. */
    if (events) {
        int64_t t3 = pw_mono_ms();
        snprintf(sub, sizeof sub, "%s/events", dir);
        char eerr[256];
        if (ev_backup(events, sub, eerr, sizeof eerr) != EV_OK) {
            snprintf(err, errcap, "event store: %s", eerr);
            goto fail;
        }
        ev_stats es;
        ev_get_stats(events, &es);
        dir_size(sub, &files, &bytes);
        ej = json_pack("{s:s,s:I,s:I,s:I,s:I}", "directory", "events", "next_seq",
                       (json_int_t)es.next_seq, "files", files, "bytes", bytes, "duration_ms",
                       (json_int_t)(pw_mono_ms() - t3));
    }
    int64_t finished = pw_wall_ms();
    json_t *m = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o}", "format", MANIFEST_FORMAT,
                          "name", name, "directory", dir, "started_ms", (json_int_t)started,
                          "finished_ms", (json_int_t)finished, "duration_ms",
                          (json_int_t)(pw_mono_ms() - t0), "historian", hj ? hj : json_null(),
                          "alarms", aj ? aj : json_null(), "events", ej ? ej : json_null());
    hj = aj = ej = NULL; /* m owns them */
    if (!m) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    if (write_json(dir, MANIFEST, m, err, errcap) != 0 || sync_path(abs_root) != 0) {
        if (!err[0]) snprintf(err, errcap, "cannot sync %s: %s", abs_root, strerror(errno));
        json_decref(m);
        goto fail;
    }
    *manifest = m;
    rc = 0;
    goto out;
fail:
    /* Only what this call made: the directory was new. */
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
out:
    json_decref(hj);
    json_decref(aj);
    json_decref(ej);
    pthread_mutex_unlock(&backup_mu);
    return rc;
}

/* An empty or missing directory, made if missing. */
static int fresh_dir(const char *dir, char *err, size_t errcap) {
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errcap, "cannot read %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) rc = -1;
    closedir(d);
    if (rc) snprintf(err, errcap, "%s is not empty: restore needs a new data directory", dir);
    return rc;
}

int api_backup_restore(const char *backup_dir, const char *data_dir, json_t **summary, char *err,
                       size_t errcap) {
    *summary = NULL;
    char path[4096 + 64], to[4096 + 64];
    snprintf(path, sizeof path, "%s/%s", backup_dir, MANIFEST);
    json_error_t je;
    json_t *m = json_load_file(path, 0, &je);
    if (!m || json_integer_value(json_object_get(m, "format")) != MANIFEST_FORMAT) {
        snprintf(err, errcap, "%s is not a complete parkd backup (%s: %s)", backup_dir, path,
                 m ? "unknown format" : je.text);
        json_decref(m);
        return -1;
    }
    int rc = fresh_dir(data_dir, err, errcap);
    json_t *out = json_object();
    json_object_set_new(out, "backup", json_string(backup_dir));
    json_object_set_new(out, "data_dir", json_string(data_dir));
    json_object_set(out, "finished_ms", json_object_get(m, "finished_ms"));
    /* The historian: copied, then opened once (checks the catalogue). */
    if (rc == 0) {
        hist_error he;
        hist *h = NULL;
        snprintf(path, sizeof path, "%s/historian", backup_dir);
        snprintf(to, sizeof to, "%s/historian", data_dir);
        if (hist_restore(path, to, &he) != HIST_OK || hist_open(to, NULL, &h, &he) != HIST_OK) {
            snprintf(err, errcap, "historian: %s", he.msg);
            rc = -1;
        } else {
            json_object_set_new(out, "series", json_integer((json_int_t)hist_series_count(h)));
            if (hist_close(h, &he) != HIST_OK) {
                snprintf(err, errcap, "historian: %s", he.msg);
                rc = -1;
            }
        }
    }
    /* The alarm journal, when the backup has one. */
    if (rc == 0 && json_is_object(json_object_get(m, "alarms"))) {
        size_t events = 0;
        snprintf(path, sizeof path, "%s/alarms", backup_dir);
        snprintf(to, sizeof to, "%s/alarms", data_dir);
        if (alert_backup_restore(path, to, &events, err, errcap) != 0)
            rc = -1;
        else
            json_object_set_new(out, "alarm_transitions", json_integer((json_int_t)events));
    }
    /* The event store, when the backup has one. */
    if (rc == 0 && json_is_object(json_object_get(m, "events"))) {
        char eerr[256];
        snprintf(path, sizeof path, "%s/events", backup_dir);
        snprintf(to, sizeof to, "%s/events", data_dir);
        if (ev_restore(path, to, eerr, sizeof eerr) != EV_OK) {
            snprintf(err, errcap, "event store: %s", eerr);
            rc = -1;
        } else {
            json_object_set(out, "events_next_seq",
                            json_object_get(json_object_get(m, "events"), "next_seq"));
        }
    }
    json_decref(m);
    if (rc == 0 && sync_path(data_dir) != 0) {
        snprintf(err, errcap, "cannot sync %s: %s", data_dir, strerror(errno));
        rc = -1;
    }
    if (rc == 0)
        *summary = out;
    else
        json_decref(out);
    return rc;
}
