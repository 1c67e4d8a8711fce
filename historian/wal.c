/*
 * wal.c - the historian's write-ahead log.
 *
 * Every hist_append batch becomes one record appended to the current
 * segment file before the points enter the in-memory head; a point is
 * acknowledged once its record is on disk (fdatasync, per the sync policy).
 * Records carry their length and a CRC-32C, so a torn tail left by a crash is
 * found and cut off at the next open; a bad record anywhere else is
 * corruption and open fails rather than silently dropping data.
 *
 * The log is short-lived: at each checkpoint the head is written to RocksDB
 * (synced), a new segment is started and older segments are deleted, so
 * replay after a crash reads at most one checkpoint's worth of points.
 * Segment files are wal/<16 hex digits>.log, numbered upwards. The record
 * layout is in historian/FORMAT.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/byteorder.h"
#include "historian/internal.h"

#define WAL_RECORD_POINTS 1
#define WAL_HEADER        8                   /* u32 length, u32 crc32c, little-endian */
#define WAL_MAX_RECORD    ((uint32_t)1 << 30) /* a sanity bound when reading */
#define WAL_POINT_MAX     (5 + 10 + 8 + 1)    /* varint id, varint ts delta, value, quality */

struct wal {
    char *dir;
    int fd;
    uint64_t segment; /* number of the segment being written */
    uint64_t first;   /* lowest segment number that may still exist */
    uint64_t bytes;   /* all segments */
    uint64_t bytes_current;
    pthread_mutex_t mu; /* fd and counters, against the interval sync thread */
    bool dirty;
    codec_buf scratch;
};

static void segment_path(const wal *w, uint64_t n, char *out, size_t cap) {
    snprintf(out, cap, "%s/%016" PRIx64 ".log", w->dir, n);
}

static hist_status open_segment(wal *w, uint64_t n, hist_error *err) {
    char path[4096];
    segment_path(w, n, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return hist_fail(err, HIST_EIO, "wal: cannot open %s: %s", path, strerror(errno));
    /* The new file's directory entry must survive a crash too. */
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    struct stat st;
    fstat(fd, &st);
    pthread_mutex_lock(&w->mu);
    int old = w->fd;
    w->fd = fd;
    w->segment = n;
    w->bytes_current = (uint64_t)st.st_size;
    pthread_mutex_unlock(&w->mu);
    if (old >= 0) {
        fdatasync(old);
        close(old);
    }
    return HIST_OK;
}

/* Segment numbers present in the directory, sorted. */
static hist_status list_segments(const char *dir, uint64_t **out, size_t *n, hist_error *err) {
    DIR *d = opendir(dir);
    if (!d) return hist_fail(err, HIST_EIO, "wal: cannot read %s: %s", dir, strerror(errno));
    uint64_t *v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t num;
        char tail[8];
        if (strlen(e->d_name) != 20 || sscanf(e->d_name, "%16" SCNx64 "%4s", &num, tail) != 2 ||
            strcmp(tail, ".log") != 0)
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            uint64_t *nv = realloc(v, cap * sizeof *v);
            if (!nv) {
                free(v);
                closedir(d);
                return hist_fail(err, HIST_ENOMEM, "wal: out of memory");
            }
            v = nv;
        }
        v[len++] = num;
    }
    closedir(d);
    for (size_t i = 1; i < len; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    *out = v;
    *n = len;
    return HIST_OK;
}

hist_status wal_open(const char *dir, wal **out, hist_error *err) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return hist_fail(err, HIST_EIO, "wal: cannot create %s: %s", dir, strerror(errno));
    wal *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = strdup(dir))) {
        free(w);
        return hist_fail(err, HIST_ENOMEM, "wal: out of memory");
    }
    w->fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    uint64_t *segs;
    size_t n;
    hist_status st = list_segments(dir, &segs, &n, err);
    if (st != HIST_OK) {
        wal_close(w);
        return st;
    }
    w->first = n ? segs[0] : 1;
    w->segment = n ? segs[n - 1] : 1;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        segment_path(w, segs[i], path, sizeof path);
        if (stat(path, &sb) == 0) w->bytes += (uint64_t)sb.st_size;
    }
    free(segs);
    *out = w;
    return HIST_OK;
}

/* Decodes one record payload; false when it does not parse. */
static bool decode_record(const uint8_t *p, size_t len, hist_point **pts, size_t *cap,
                          size_t *n_out) {
    const uint8_t *end = p + len;
    uint64_t n;
    if (len < 1 || p[0] != WAL_RECORD_POINTS) return false;
    p++;
    if (codec_get_uvarint(&p, end, &n) != CODEC_OK || n > len) return false;
    if (n > *cap) {
        hist_point *np = realloc(*pts, n * sizeof *np);
        if (!np) return false;
        *pts = np;
        *cap = n;
    }
    int64_t ts = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id, zz;
        if (codec_get_uvarint(&p, end, &id) != CODEC_OK || id > UINT32_MAX) return false;
        if (codec_get_uvarint(&p, end, &zz) != CODEC_OK) return false;
        if (end - p < 9) return false;
        ts += codec_unzigzag(zz);
        hist_point *pt = &(*pts)[i];
        pt->series = (uint32_t)id;
        pt->ts_ms = ts;
        memcpy(&pt->value, p, 8);
        pt->quality = p[8];
        p += 9;
    }
    *n_out = (size_t)n;
    return p == end;
}

hist_status wal_replay(wal *w, wal_replay_fn fn, void *ctx, hist_error *err) {
    uint64_t *segs;
    size_t n_segs;
    hist_status st = list_segments(w->dir, &segs, &n_segs, err);
    if (st != HIST_OK) return st;
    hist_point *pts = NULL;
    size_t cap = 0;
    uint8_t *buf = NULL;
    for (size_t s = 0; s < n_segs && st == HIST_OK; s++) {
        char path[4096];
        segment_path(w, segs[s], path, sizeof path);
        FILE *f = fopen(path, "rb");
        if (!f) {
            st = hist_fail(err, HIST_EIO, "wal: cannot open %s: %s", path, strerror(errno));
            break;
        }
        long good_end = 0;
        bool torn = false;
        for (;;) {
            uint8_t hdr[WAL_HEADER];
            size_t got = fread(hdr, 1, WAL_HEADER, f);
            if (got == 0) break;
            uint32_t len = got == WAL_HEADER ? pw_get_le32(hdr) : 0;
            uint8_t *nb =
                (got == WAL_HEADER && len <= WAL_MAX_RECORD) ? realloc(buf, len ? len : 1) : NULL;
            if (!nb) {
                torn = true;
                break;
            }
            buf = nb;
            size_t n_pts;
            if (fread(buf, 1, len, f) != len || codec_crc32c(0, buf, len) != pw_get_le32(hdr + 4) ||
                !decode_record(buf, len, &pts, &cap, &n_pts)) {
                torn = true;
                break;
            }
            fn(pts, n_pts, ctx);
            good_end = ftell(f);
        }
        fclose(f);
        if (torn) {
            if (s + 1 < n_segs) {
                st = hist_fail(err, HIST_ECORRUPT,
                               "wal: segment %s is damaged at byte %ld and later segments exist; "
                               "refusing to drop data",
                               path, good_end);
            } else if (truncate(path, good_end) != 0) {
                st = hist_fail(err, HIST_EIO, "wal: cannot cut torn tail of %s: %s", path,
                               strerror(errno));
            }
        }
    }
    free(buf);
    free(pts);
    free(segs);
    return st;
}

static hist_status write_all(int fd, const uint8_t *p, size_t n, hist_error *err) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return hist_fail(err, HIST_EIO, "wal: write failed: %s", strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
    return HIST_OK;
}

hist_status wal_append(wal *w, const hist_point *pts, size_t n, hist_error *err) {
    if (w->fd < 0) { /* a torn write could not be cut: go on in a new segment */
        hist_status st = open_segment(w, w->segment + 1, err);
        if (st != HIST_OK) return st;
    }
    codec_buf *b = &w->scratch;
    b->len = 0;
    if (codec_buf_reserve(b, WAL_HEADER + 11 + n * WAL_POINT_MAX) != CODEC_OK)
        return hist_fail(err, HIST_ENOMEM, "wal: out of memory");
    b->len = WAL_HEADER;
    b->p[b->len++] = WAL_RECORD_POINTS;
    codec_put_uvarint(b, n);
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        codec_put_uvarint(b, pts[i].series);
        codec_put_uvarint(b, codec_zigzag(pts[i].ts_ms - prev));
        prev = pts[i].ts_ms;
        memcpy(b->p + b->len, &pts[i].value, 8);
        b->p[b->len + 8] = pts[i].quality;
        b->len += 9;
    }
    uint32_t len = (uint32_t)(b->len - WAL_HEADER);
    pw_put_le32(b->p, len);
    pw_put_le32(b->p + 4, codec_crc32c(0, b->p + WAL_HEADER, len));
    pthread_mutex_lock(&w->mu);
    hist_status st = write_all(w->fd, b->p, b->len, err);
    if (st == HIST_OK) {
        w->bytes += b->len;
        w->bytes_current += b->len;
        w->dirty = true;
    } else if (w->fd >= 0 && ftruncate(w->fd, (off_t)w->bytes_current) != 0) {
        /* A torn record may not stay in front of later ones (replay stops at
         * the first bad record): without the cut, the log takes no more. */
        close(w->fd);
        w->fd = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return st;
}

hist_status wal_sync(wal *w, hist_error *err) {
    pthread_mutex_lock(&w->mu);
    if (!w->dirty || w->fd < 0) {
        pthread_mutex_unlock(&w->mu);
        return HIST_OK;
    }
    /* Sync a duplicate so the writer is not held up by the disk. */
    int fd = dup(w->fd);
    w->dirty = false;
    pthread_mutex_unlock(&w->mu);
    if (fd < 0) return hist_fail(err, HIST_EIO, "wal: dup failed: %s", strerror(errno));
    int rc = fdatasync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) {
        pthread_mutex_lock(&w->mu);
        w->dirty = true;
        pthread_mutex_unlock(&w->mu);
        return hist_fail(err, HIST_EIO, "wal: fdatasync failed: %s", strerror(e));
    }
    return HIST_OK;
}

hist_status wal_rotate(wal *w, hist_error *err) {
    if (w->fd >= 0 && w->bytes_current == 0) return HIST_OK; /* the current segment is empty */
    return open_segment(w, w->fd >= 0 ? w->segment + 1 : w->segment + 1, err);
}

hist_status wal_trim(wal *w, hist_error *err) {
    uint64_t *segs;
    size_t n;
    hist_status st = list_segments(w->dir, &segs, &n, err);
    if (st != HIST_OK) return st;
    for (size_t i = 0; i < n; i++) {
        if (segs[i] >= w->segment) continue;
        char path[4096];
        struct stat sb;
        segment_path(w, segs[i], path, sizeof path);
        uint64_t size = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        if (unlink(path) != 0 && errno != ENOENT) {
            st = hist_fail(err, HIST_EIO, "wal: cannot delete %s: %s", path, strerror(errno));
            break;
        }
        pthread_mutex_lock(&w->mu);
        w->bytes -= size < w->bytes ? size : w->bytes;
        pthread_mutex_unlock(&w->mu);
    }
    free(segs);
    w->first = w->segment;
    return st;
}

uint64_t wal_bytes(wal *w) {
    pthread_mutex_lock(&w->mu);
    uint64_t b = w->bytes;
    pthread_mutex_unlock(&w->mu);
    return b;
}

uint64_t wal_bytes_since_rotate(wal *w) {
    return w->bytes_current;
}

void wal_close(wal *w) {
    if (!w) return;
    if (w->fd >= 0) {
        fdatasync(w->fd);
        close(w->fd);
    }
    pthread_mutex_destroy(&w->mu);
    codec_buf_free(&w->scratch);
    free(w->dir);
    free(w);
}
