/*
 * attach.c - evidence of a hazard (photos of the rectification, signed
 * reports): the bytes stored once by their SHA-256 under DIR/attachments/
 * (two hazards citing the same photo share the file), listed on the
 * hazard with size, type, name, who and when.
 *
 * The type is the bytes' own (their magic numbers), never the client's
 * word: JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A 1A 0A), PDF ("%PDF-").
 * Anything else, or anything over the limit, is refused before a byte is
 * written. A file is written to a temporary name, synced and renamed, so
 * a crash leaves no half file under a hash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "hazards/internal.h"

static const char *sniff(const uint8_t *b, size_t n) {
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
    if (n >= 8 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return "image/png";
    if (n >= 5 && !memcmp(b, "%PDF-", 5)) return "application/pdf";
    return NULL;
}

static bool hex_ok(const char *s) {
    if (!s || strlen(s) != 64) return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static int write_file(const char *path, const void *bytes, size_t len) {
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return -1;
    const uint8_t *p = bytes;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    int rc = off == len && fsync(fd) == 0 ? 0 : -1;
    close(fd);
    if (rc == 0) rc = rename(tmp, path);
    if (rc != 0) unlink(tmp);
    return rc;
}

hazard_status hazards_attach(hazards *hz, const hazard_actor *who, uint64_t id, const char *name,
                             const char *declared_type, const void *bytes, size_t len,
                             int64_t now_ms, char sha256_hex[65], char *err, size_t errcap) {
    sha256_hex[0] = 0;
    if (who->kind == HAZARD_ACTOR_REGULATOR)
        return hz_fail(err, errcap, HAZARD_EFORBIDDEN, "the regulator does not attach evidence");
    size_t nl = name ? strlen(name) : 0;
    if (!nl || nl > 127 || strpbrk(name, "/\\"))
        return hz_fail(err, errcap, HAZARD_EINVAL, "name: 1..127 bytes, no slashes");
    for (size_t i = 0; i < nl; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return hz_fail(err, errcap, HAZARD_EINVAL, "name: control characters");
    json_t *probe = json_string(name);
    if (!probe) return hz_fail(err, errcap, HAZARD_EINVAL, "name: not UTF-8");
    json_decref(probe);
    if (len > hz->max_attach)
        return hz_fail(err, errcap, HAZARD_ETOOLARGE, "the attachment is larger than %zu bytes",
                       hz->max_attach);
    const char *type = sniff(bytes, len);
    if (!type)
        return hz_fail(err, errcap, HAZARD_ETYPE,
                       "the attachment is not JPEG, PNG or PDF (by its first bytes)");
    if (declared_type && *declared_type && strncmp(declared_type, type, strlen(type)))
        return hz_fail(err, errcap, HAZARD_ETYPE, "Content-Type: %.64s, but the bytes are %s",
                       declared_type, type);
    uint8_t d[PW_SHA256_LEN];
    pw_sha256(bytes, len, d);
    char hex[65];
    for (int i = 0; i < PW_SHA256_LEN; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    pthread_rwlock_wrlock(&hz->lock);
    json_t *rec;
    hazard_status st = hz_load_for(hz, who, id, &rec, err, errcap);
    if (!st && !strcmp(json_string_value(json_object_get(rec, "state")), "closed"))
        st = hz_fail(err, errcap, HAZARD_ESTATE, "a closed hazard takes no more evidence");
    char path[4200];
    snprintf(path, sizeof path, "%s/attachments/%s", hz->dir, hex);
    struct stat sb;
    if (!st && stat(path, &sb) != 0 && write_file(path, bytes, len) != 0)
        st = hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: %s", path, strerror(errno));
    if (!st) {
        json_t *ev = json_deep_copy(json_object_get(rec, "evidence"));
        if (!json_is_array(ev)) {
            json_decref(ev);
            ev = json_array();
        }
        json_array_append_new(ev,
                              json_pack("{s:s,s:I,s:s,s:s,s:s,s:I}", "sha256", hex, "size",
                                        (json_int_t)len, "type", type, "name", name, "by",
                                        who->name ? who->name : "", "ts_ms", (json_int_t)now_ms));
        json_t *ch = json_object();
        json_object_set_new(ch, "evidence", ev);
        st = hz_commit(hz, id, rec, HAZARD_ACT_ATTACH, who, ch, now_ms, err, errcap);
    }
    pthread_rwlock_unlock(&hz->lock);
    json_decref(rec);
    if (!st) memcpy(sha256_hex, hex, 65);
    return st;
}

hazard_status hazards_attachment(hazards *hz, const hazard_actor *who, uint64_t id,
                                 const char *sha256_hex, void **bytes, size_t *len,
                                 const char **type, char *err, size_t errcap) {
    *bytes = NULL, *len = 0, *type = NULL;
    if (!hex_ok(sha256_hex))
        return hz_fail(err, errcap, HAZARD_EINVAL, "sha256: 64 lower-case hex digits");
    pthread_rwlock_rdlock(&hz->lock);
    json_t *rec;
    hazard_status st = hz_load_for(hz, who, id, &rec, err, errcap);
    pthread_rwlock_unlock(&hz->lock);
    if (st) return st;
    /* only evidence the hazard lists: a hash is no key to another's files */
    json_t *ev = json_object_get(rec, "evidence"), *row;
    size_t i;
    const char *found = NULL;
    json_array_foreach(ev, i, row) {
        if (!strcmp(json_string_value(json_object_get(row, "sha256")), sha256_hex))
            found = json_string_value(json_object_get(row, "type"));
    }
    static const char *const types[] = {"image/jpeg", "image/png", "application/pdf"};
    for (size_t t = 0; found && t < 3; t++)
        if (!strcmp(found, types[t])) *type = types[t];
    json_decref(rec);
    if (!*type)
        return hz_fail(err, errcap, HAZARD_ENOTFOUND, "hazard %llu has no evidence %s",
                       (unsigned long long)id, sha256_hex);
    char path[4200];
    snprintf(path, sizeof path, "%s/attachments/%s", hz->dir, sha256_hex);
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0 || sb.st_size < 0) {
        if (f) fclose(f);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: %s", path, strerror(errno));
    }
    size_t n = (size_t)sb.st_size;
    void *b = malloc(n ? n : 1);
    if (!b || fread(b, 1, n, f) != n) {
        free(b);
        fclose(f);
        return hz_fail(err, errcap, HAZARD_EIO, "hazards: %s: short read", path);
    }
    fclose(f);
    *bytes = b, *len = n;
    return HAZARD_OK;
}
