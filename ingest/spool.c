/*
 * spool.c - the journal between the MQTT network thread and the historian.
 *
 * libmosquitto 2.0 queues the PUBACK of a QoS 1 message before it calls
 * on_message (handle__publish; docs/reference/payload-formats.md), so
 * whatever on_message does, the broker will soon believe the message
 * delivered. The subscriber therefore runs libmosquitto's loop itself,
 * appends every message here from on_message, and lets PUBACKs reach the
 * socket only after that (see service.c): a message the broker believes
 * delivered is always in this file. The historian then catches up from the
 * spool on its own thread, so a slow disk under RocksDB never stalls the
 * network loop, and after a crash the spool is replayed from the last
 * checkpoint (writing a point twice is harmless: the later write wins with
 * the same value).
 *
 * Layout and thread rules are in internal.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/byteorder.h"
#include "common/clock.h"
#include "common/crc32c.h"
#include "ingest/internal.h"

#define HEADER_BYTES 8
#define BODY_FIXED   10 /* i64 recv_ms + u16 topic length */
#define MAX_BODY     ((uint32_t)64 << 20)

struct spool {
    char *dir;
    uint64_t segment_bytes;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* writer: records collect in wbuf until spool_flush writes them */
    int wfd;
    uint64_t wseg, woff; /* segment being written and its length on disk */
    uint8_t *wbuf;
    size_t wlen, wcap;
    bool dirty;
    uint64_t appended_bytes;
    /* reader: rbuf holds the file bytes [rbuf_off, rbuf_off + rbuf_len) of rseg */
    int rfd;
    uint64_t rseg, roff;
    uint8_t *rbuf;
    size_t rcap, rbuf_len;
    uint64_t rbuf_off;
    uint8_t *rec; /* the record handed out, topic NUL-terminated */
    size_t rec_cap;
    uint64_t read_bytes;
    uint64_t damaged;
    bool woken;
    atomic_bool roll_wanted; /* spool_request_roll: the reader asks the writer */
};

/* Kept for its callers; the one CRC-32C is common/crc32c.c. */
uint32_t ingest_crc32c(uint32_t crc, const void *p, size_t n) {
    return pw_crc32c(crc, p, n);
}

static void segment_path(const spool *s, uint64_t seg, char *out, size_t cap) {
    snprintf(out, cap, "%s/%016" PRIx64 ".spool", s->dir, seg);
}

static int open_segment(spool *s, uint64_t seg, int flags) {
    char path[4096];
    segment_path(s, seg, path, sizeof path);
    return open(path, flags | O_CLOEXEC, 0644);
}

static int sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Segment numbers present in the directory, sorted. */
static int list_segments(const char *dir, uint64_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t seg;
        char tail[16];
        if (strlen(e->d_name) != 22 || sscanf(e->d_name, "%16" SCNx64 ".%6s", &seg, tail) != 2 ||
            strcmp(tail, "spool") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *v = realloc(*out, cap * sizeof *v);
            if (!v) {
                closedir(d);
                return -1;
            }
            *out = v;
        }
        (*out)[(*n)++] = seg;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of segments */
        for (size_t j = i; j > 0 && (*out)[j - 1] > (*out)[j]; j--) {
            uint64_t t = (*out)[j];
            (*out)[j] = (*out)[j - 1];
            (*out)[j - 1] = t;
        }
    return 0;
}

static int read_checkpoint(const spool *s, spool_pos *pos) {
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", s->dir);
    FILE *f = fopen(path, "r");
    pos->segment = pos->offset = 0;
    if (!f) return errno == ENOENT ? 0 : -1;
    int ok = fscanf(f, "%" SCNu64 " %" SCNu64, &pos->segment, &pos->offset) == 2;
    fclose(f);
    return ok ? 0 : -1;
}

/* Length of the valid prefix of a segment: a torn last record (a crash in
 * the middle of write(2)) is cut off here. */
static int64_t valid_length(int fd) {
    uint8_t h[HEADER_BYTES];
    uint8_t *body = NULL;
    size_t cap = 0;
    int64_t off = 0;
    for (;;) {
        if (pread(fd, h, HEADER_BYTES, off) != HEADER_BYTES) break;
        uint32_t len = pw_get_le32(h);
        if (len < BODY_FIXED || len > MAX_BODY) break;
        if (len > cap) {
            uint8_t *b = realloc(body, len);
            if (!b) break;
            body = b;
            cap = len;
        }
        if (pread(fd, body, len, off + HEADER_BYTES) != (ssize_t)len) break;
        if (ingest_crc32c(0, body, len) != pw_get_le32(h + 4)) break;
        off += HEADER_BYTES + len;
    }
    free(body);
    return off;
}

int spool_open(const char *dir, uint64_t segment_bytes, spool **out, char *err, size_t errcap) {
    *out = NULL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "spool: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    spool *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        free(s);
        snprintf(err, errcap, "spool: out of memory");
        return -1;
    }
    s->segment_bytes = segment_bytes ? segment_bytes : (uint64_t)64 << 20;
    s->wfd = s->rfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    spool_pos cp;
    uint64_t *segs = NULL;
    size_t n = 0;
    if (read_checkpoint(s, &cp) != 0 || list_segments(dir, &segs, &n) != 0) {
        snprintf(err, errcap, "spool: cannot read %s: %s", dir, strerror(errno));
        free(segs);
        spool_close(s);
        return -1;
    }
    /* Cut torn tails; segments wholly before the checkpoint are done with. */
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        segment_path(s, segs[i], path, sizeof path);
        if (segs[i] < cp.segment) {
            unlink(path);
            continue;
        }
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) continue;
        int64_t valid = valid_length(fd);
        struct stat sb;
        if (fstat(fd, &sb) == 0 && sb.st_size > valid) {
            if (ftruncate(fd, valid) != 0 || fdatasync(fd) != 0) {
                snprintf(err, errcap, "spool: cannot repair %s: %s", path, strerror(errno));
                close(fd);
                free(segs);
                spool_close(s);
                return -1;
            }
            s->damaged++;
        }
        close(fd);
    }
    /* The reader starts at the checkpoint (or the oldest segment); the
     * writer always starts a fresh segment after the newest. */
    uint64_t newest = n ? segs[n - 1] : 0;
    if (n && segs[0] > cp.segment) cp = (spool_pos){segs[0], 0};
    if (!n) cp = (spool_pos){1, 0};
    free(segs);
    s->rseg = cp.segment;
    s->roff = cp.offset;
    s->wseg = (newest > cp.segment ? newest : cp.segment) + 1;
    s->wfd = open_segment(s, s->wseg, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    if (s->wfd < 0 || sync_dir(dir) != 0) {
        snprintf(err, errcap, "spool: cannot create a segment in %s: %s", dir, strerror(errno));
        spool_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int spool_append(spool *s, int64_t recv_ms, const char *topic, const void *payload, size_t len) {
    size_t tlen = strlen(topic);
    if (tlen > UINT16_MAX || len > MAX_BODY - BODY_FIXED - tlen) {
        errno = EMSGSIZE;
        return -1;
    }
    size_t body = BODY_FIXED + tlen + len, total = HEADER_BYTES + body;
    if (s->wlen + total > s->wcap) {
        size_t cap = s->wcap ? s->wcap : 65536;
        while (cap < s->wlen + total) cap *= 2;
        uint8_t *b = realloc(s->wbuf, cap);
        if (!b) return -1;
        s->wbuf = b;
        s->wcap = cap;
    }
    uint8_t *p = s->wbuf + s->wlen;
    uint64_t t = (uint64_t)recv_ms;
    for (int i = 0; i < 8; i++) p[HEADER_BYTES + i] = (uint8_t)(t >> (8 * i));
    p[HEADER_BYTES + 8] = (uint8_t)tlen;
    p[HEADER_BYTES + 9] = (uint8_t)(tlen >> 8);
    memcpy(p + HEADER_BYTES + BODY_FIXED, topic, tlen);
    if (len) memcpy(p + HEADER_BYTES + BODY_FIXED + tlen, payload, len);
    pw_put_le32(p, (uint32_t)body);
    pw_put_le32(p + 4, ingest_crc32c(0, p + HEADER_BYTES, body));
    s->wlen += total;
    return 0;
}

/* Writer: the next records go to a new segment. The old one is synced so
 * the reader may trust it whole. */
static int rotate(spool *s) {
    if (fdatasync(s->wfd) != 0) return -1;
    int fd = open_segment(s, s->wseg + 1, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
    if (fd < 0) return -1;
    sync_dir(s->dir);
    pthread_mutex_lock(&s->mu);
    close(s->wfd);
    s->wfd = fd;
    s->wseg++;
    s->woff = 0;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void spool_request_roll(spool *s) {
    atomic_store(&s->roll_wanted, true);
}

int spool_roll_if_wanted(spool *s) {
    if (!atomic_load_explicit(&s->roll_wanted, memory_order_relaxed)) return 0;
    atomic_store(&s->roll_wanted, false);
    if (!s->woff || s->wlen) return 0; /* empty, or more comes now: nothing to let go */
    return rotate(s);
}

spool_pos spool_read_pos(spool *s) {
    return (spool_pos){s->rseg, s->roff};
}

int spool_flush(spool *s) {
    if (!s->wlen) return 0;
    if (s->woff >= s->segment_bytes && rotate(s) != 0) return -1;
    if (write_all(s->wfd, s->wbuf, s->wlen) != 0) {
        /* Cut a partial write now; the caller drops these messages (no PUBACK). */
        int e = errno;
        if (ftruncate(s->wfd, (off_t)s->woff) != 0) {
        }
        s->wlen = 0;
        errno = e;
        return -1;
    }
    pthread_mutex_lock(&s->mu);
    s->woff += s->wlen;
    s->appended_bytes += s->wlen;
    s->dirty = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    s->wlen = 0;
    return 0;
}

int spool_sync(spool *s) {
    pthread_mutex_lock(&s->mu);
    bool dirty = s->dirty;
    s->dirty = false;
    int fd = dirty ? dup(s->wfd) : -1;
    pthread_mutex_unlock(&s->mu);
    if (!dirty) return 0;
    if (fd < 0) return -1;
    int rc = fdatasync(fd);
    close(fd);
    if (rc != 0) {
        pthread_mutex_lock(&s->mu);
        s->dirty = true;
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

static int reserve(uint8_t **p, size_t *cap, size_t n) {
    if (n <= *cap) return 0;
    size_t c = *cap ? *cap : 1 << 20;
    while (c < n) c *= 2;
    uint8_t *b = realloc(*p, c);
    if (!b) return -1;
    *p = b;
    *cap = c;
    return 0;
}

/* Makes file bytes [off, off + n) of the reader's segment available in
 * rbuf, reading ahead up to end; returns a pointer to them or NULL. */
static const uint8_t *window(spool *s, uint64_t off, size_t n, uint64_t end) {
    if (off >= s->rbuf_off && off + n <= s->rbuf_off + s->rbuf_len)
        return s->rbuf + (off - s->rbuf_off);
    size_t want = end - off > ((uint64_t)1 << 20) ? (size_t)1 << 20 : (size_t)(end - off);
    if (want < n) want = n;
    if (reserve(&s->rbuf, &s->rcap, want) != 0) return NULL;
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(s->rfd, s->rbuf + got, want - got, (off_t)(off + got));
        if (r <= 0) break;
        got += (size_t)r;
    }
    s->rbuf_off = off;
    s->rbuf_len = got;
    return got >= n ? s->rbuf : NULL;
}

static void next_segment(spool *s) {
    if (s->rfd >= 0) close(s->rfd);
    s->rfd = -1;
    s->rseg++, s->roff = 0;
    s->rbuf_len = 0;
}

int spool_read(spool *s, spool_record *rec, int timeout_ms) {
    struct timespec until;
    pw_deadline_in(CLOCK_REALTIME, timeout_ms, &until);
    for (;;) {
        pthread_mutex_lock(&s->mu);
        /* The end the reader may go to in its segment: the writer's length
         * for the segment being written, the file's length otherwise. */
        bool current = s->rseg == s->wseg;
        uint64_t end = s->woff;
        while (current && s->roff >= end && !s->woken) {
            if (timeout_ms <= 0 || pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT) {
                pthread_mutex_unlock(&s->mu);
                return 0;
            }
            current = s->rseg == s->wseg;
            end = s->woff;
        }
        if (s->woken) {
            s->woken = false;
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
        pthread_mutex_unlock(&s->mu);
        if (s->rfd < 0) {
            s->rfd = open_segment(s, s->rseg, O_RDONLY);
            s->rbuf_len = 0;
            if (s->rfd < 0) {
                if (errno != ENOENT) return -1;
                next_segment(s); /* a gap left by a failed rotation */
                continue;
            }
        }
        if (!current) {
            struct stat sb;
            if (fstat(s->rfd, &sb) != 0) return -1;
            end = (uint64_t)sb.st_size;
        }
        const uint8_t *h = NULL, *body = NULL;
        uint32_t len = 0;
        if (s->roff + HEADER_BYTES <= end && (h = window(s, s->roff, HEADER_BYTES, end))) {
            len = pw_get_le32(h);
            uint32_t crc = pw_get_le32(h + 4);
            if (len >= BODY_FIXED && len <= MAX_BODY && s->roff + HEADER_BYTES + len <= end &&
                (body = window(s, s->roff + HEADER_BYTES, len, end)) &&
                ingest_crc32c(0, body, len) != crc)
                body = NULL;
        }
        if (!body) {
            if (s->roff < end) s->damaged++; /* the rest of this segment is unreadable */
            if (current) {
                pthread_mutex_lock(&s->mu);
                bool still = s->rseg == s->wseg;
                pthread_mutex_unlock(&s->mu);
                if (still) return -1; /* the live segment cannot be damaged */
            }
            next_segment(s);
            continue;
        }
        uint64_t t = 0;
        for (int i = 0; i < 8; i++) t |= (uint64_t)body[i] << (8 * i);
        size_t tlen = (size_t)body[8] | (size_t)body[9] << 8;
        if (BODY_FIXED + tlen > len) {
            s->damaged++;
            s->roff += HEADER_BYTES + len;
            continue;
        }
        /* A copy with the topic NUL-terminated, independent of read-ahead. */
        if (reserve(&s->rec, &s->rec_cap, (size_t)len + 1) != 0) return -1;
        memcpy(s->rec, body + BODY_FIXED, tlen);
        s->rec[tlen] = 0;
        memcpy(s->rec + tlen + 1, body + BODY_FIXED + tlen, len - BODY_FIXED - tlen);
        rec->recv_ms = (int64_t)t;
        rec->topic = (const char *)s->rec;
        rec->topic_len = tlen;
        rec->payload = s->rec + tlen + 1;
        rec->len = len - BODY_FIXED - tlen;
        s->roff += HEADER_BYTES + len;
        rec->next = (spool_pos){s->rseg, s->roff};
        pthread_mutex_lock(&s->mu);
        s->read_bytes += HEADER_BYTES + len;
        pthread_mutex_unlock(&s->mu);
        return 1;
    }
}

int spool_commit(spool *s, spool_pos pos) {
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/checkpoint", s->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    fprintf(f, "%" PRIu64 " %" PRIu64 "\n", pos.segment, pos.offset);
    if (fflush(f) != 0 || fdatasync(fileno(f)) != 0) {
        fclose(f);
        return -1;
    }
    fclose(f);
    if (rename(tmp, path) != 0 || sync_dir(s->dir) != 0) return -1;
    /* Segments before the checkpoint's will never be read again. */
    uint64_t *segs;
    size_t n;
    if (list_segments(s->dir, &segs, &n) == 0) {
        for (size_t i = 0; i < n && segs[i] < pos.segment; i++) {
            char p[4096];
            segment_path(s, segs[i], p, sizeof p);
            unlink(p);
        }
        free(segs);
    }
    return 0;
}

uint64_t spool_backlog_bytes(spool *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t b = s->appended_bytes > s->read_bytes ? s->appended_bytes - s->read_bytes : 0;
    pthread_mutex_unlock(&s->mu);
    return b;
}

uint64_t spool_damaged(spool *s) {
    return s->damaged;
}

void spool_wake(spool *s) {
    pthread_mutex_lock(&s->mu);
    s->woken = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void spool_close(spool *s) {
    if (!s) return;
    if (s->wfd >= 0) {
        if (spool_flush(s) != 0 || fdatasync(s->wfd) != 0) {
        }
        close(s->wfd);
    }
    if (s->rfd >= 0) close(s->rfd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->wbuf);
    free(s->rbuf);
    free(s->rec);
    free(s->dir);
    free(s);
}
