/*
 * snapshot.c - a camera event's snapshot: base64 decoded by a checked
 * decoder of our own (cameras/ cannot use api/'s), refused above
 * CAMERAS_SNAPSHOT_MAX decoded bytes before a byte is decoded, refused
 * unless JPEG or PNG by its first bytes (never the sender's word), and
 * stored once under DIR/snapshots/ named by its SHA-256: a temporary file,
 * fsync, rename, the directory synced, so a crash leaves no half file under
 * a hash. HASH.owners lists the enterprises ("PARK" for park-level
 * cameras) whose cameras sent it, one a line: the scope of a read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cameras/internal.h"
#include "common/sha256.h"

const char *cam_sniff(const uint8_t *b, size_t n) {
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    return NULL;
}

static int b64_value(unsigned char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

int cam_snapshot_decode(const char *b64, size_t len, uint8_t **img, size_t *n, const char **type,
                        char *why, size_t whycap) {
    *img = NULL, *n = 0, *type = NULL;
    size_t pad = 0;
    while (len && b64[len - 1] == '=' && pad < 2) len--, pad++;
    if (!len) return snprintf(why, whycap, "snapshot: empty"), 1;
    if ((len + pad) % 4 && pad) return snprintf(why, whycap, "snapshot: not base64 (padding)"), 1;
    if (len % 4 == 1) return snprintf(why, whycap, "snapshot: not base64 (length)"), 1;
    /* the decoded size from the length alone: refused before decoding */
    size_t out = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (out > CAMERAS_SNAPSHOT_MAX)
        return snprintf(why, whycap, "snapshot: %zu bytes decoded, more than %u", out,
                        CAMERAS_SNAPSHOT_MAX),
               1;
    uint8_t *b = malloc(out ? out : 1);
    if (!b) return snprintf(why, whycap, "out of memory"), -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)b64[i]);
        if (v < 0) {
            free(b);
            return snprintf(why, whycap, "snapshot: not base64 (byte %zu)", i), 1;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            b[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc) { /* the last character's unused bits must be zero (RFC 4648 3.5) */
        free(b);
        return snprintf(why, whycap, "snapshot: not base64 (trailing bits)"), 1;
    }
    const char *t = cam_sniff(b, o);
    if (!t) {
        free(b);
        return snprintf(why, whycap, "snapshot: not a JPEG or PNG image (by its first bytes)"), 1;
    }
    *img = b, *n = o, *type = t;
    return 0;
}

int cam_snapshot_dirs(cameras *c, const char *dir, char *err, size_t errcap) {
    size_t n = strlen(dir) + sizeof "/snapshots";
    c->snapdir = malloc(n);
    if (!c->snapdir) return snprintf(err, errcap, "out of memory"), -1;
    snprintf(c->snapdir, n, "%s/snapshots", dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST) ||
        (mkdir(c->snapdir, 0755) != 0 && errno != EEXIST))
        return snprintf(err, errcap, "cameras: %s: %s", c->snapdir, strerror(errno)), -1;
    return 0;
}

static int sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int write_all(int fd, const void *p, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, (const uint8_t *)p + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

/* path written whole or not at all */
static int write_atomic(const char *dir, const char *path, const void *bytes, size_t len) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    int rc = write_all(fd, bytes, len) == 0 && fsync(fd) == 0 ? 0 : -1;
    if (close(fd) != 0) rc = -1;
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) unlink(tmp);
    return rc == 0 ? sync_dir(dir) : -1;
}

int cam_snapshot_store(cameras *c, const uint8_t *img, size_t n, const char *owner, char hex[65],
                       char *why, size_t whycap) {
    uint8_t d[PW_SHA256_LEN];
    pw_sha256(img, n, d);
    for (int i = 0; i < PW_SHA256_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    char path[4200], opath[4220];
    snprintf(path, sizeof path, "%s/%s", c->snapdir, hex);
    snprintf(opath, sizeof opath, "%s.owners", path);
    struct stat sb;
    if (stat(path, &sb) != 0 && write_atomic(c->snapdir, path, img, n) != 0)
        return snprintf(why, whycap, "cameras: %s: %s", path, strerror(errno)), -1;
    /* the owners: rewritten whole with the new one, when it is new */
    char owners[4096] = "";
    size_t on = 0;
    FILE *f = fopen(opath, "r");
    if (f) {
        on = fread(owners, 1, sizeof owners - 1, f);
        owners[on] = 0;
        fclose(f);
    }
    char line[40];
    snprintf(line, sizeof line, "%s\n", owner);
    for (const char *p = owners; *p;) {
        const char *nl = strchr(p, '\n');
        size_t ln = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (ln == strlen(line) && !memcmp(p, line, ln)) return 0;
        p += ln;
    }
    if (on + strlen(line) >= sizeof owners) return 0; /* 100+ owners: the park's anyway */
    memcpy(owners + on, line, strlen(line) + 1);
    if (write_atomic(c->snapdir, opath, owners, on + strlen(line)) != 0)
        return snprintf(why, whycap, "cameras: %s: %s", opath, strerror(errno)), -1;
    return 0;
}
