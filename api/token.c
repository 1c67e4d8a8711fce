/*
 * token.c - API tokens: creating and revoking them in the token file, and
 * the in-memory store parkd checks each request's bearer token against.
 *
 * A token is "pw_" + id + "_" + secret: the id is 8 random bytes as 16 hex
 * digits (public, it names the token), the secret 32 random bytes from
 * getrandom(2) as 64 hex digits; all lowercase, 84 characters.
 *
 * The token file is JSON:
 *   {"version": 1, "tokens": [{"id": "...", "sha256": "<hex SHA-256 of the
 *    whole token text>", "role": "operator", "enterprise": "", "name": "...",
 *    "created_ms": ..., "expires_ms": ...}, ...]}
 * in creation order; "expires_ms" (ms since 1970) is written only for
 * tokens that expire (absent or 0: never), so files without it read as
 * before. It never holds a token. Writers (parkctl) hold an flock on
 * PATH.lock for the whole read-modify-write, write PATH.tmp with mode 0600,
 * fsync it, rename it over PATH and fsync the directory, so readers see the
 * old file or the new one, never a mix, and need no lock. A file that group
 * or others may access is refused by every reader.
 *
 * The store keeps the entries sorted by id. A check parses the id out of
 * the token, hashes the token, finds the entry, compares the hashes in
 * constant time and refuses an expired token (wall clock); a validity
 * check by id (event streams) is one bsearch. At most once a second one
 * request also stat()s the file and, when it changed, rereads it (a
 * reread that fails keeps the tokens loaded before and is retried every
 * second); so does a token whose id is not known, at once (it may have
 * been created a moment ago: revocation waits for the second, creation
 * does not).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"

#include "common/clock.h"
#include "common/errmsg.h"
#include "common/sha256.h"

#define TOKEN_PREFIX     "pw_"
#define PREFIX_LEN       3
#define ID_BYTES         8
#define ID_HEX           (2 * ID_BYTES)
#define SECRET_BYTES     32
#define TOKEN_LEN        (PREFIX_LEN + ID_HEX + 1 + 2 * SECRET_BYTES) /* 84 */
#define FILE_VERSION     1
#define MAX_FILE_BYTES   (16 << 20)
#define RECHECK_MS       1000
#define ENTERPRISE_MAX   ((int)sizeof(((api_token_info *)0)->enterprise) - 1)
#define NAME_MAX_LEN     ((int)sizeof(((api_token_info *)0)->name) - 1)
#define AMBIGUOUS_LISTED 8

_Static_assert(TOKEN_LEN < API_TOKEN_MAX, "a token and its NUL fit API_TOKEN_MAX");
_Static_assert(ID_HEX + 1 == sizeof(((api_token_info *)0)->id), "api_token_info.id holds an id");

typedef struct tok_entry {
    api_token_info info;
    uint8_t hash[PW_SHA256_LEN];
} tok_entry;

typedef struct tok_set {
    tok_entry *v;
    size_t n, cap;
} tok_set;

/* ---- roles ---- */

static const char *const role_names[API_ROLE_COUNT] = {"admin", "operator", "regulator",
                                                       "enterprise"};

const char *api_role_name(api_role r) {
    return (unsigned)r < API_ROLE_COUNT ? role_names[r] : "?";
}

bool api_role_parse(const char *name, api_role *out) {
    if (!name) return false;
    for (int r = 0; r < API_ROLE_COUNT; r++)
        if (!strcmp(name, role_names[r])) {
            if (out) *out = (api_role)r;
            return true;
        }
    return false;
}

/* ---- small helpers ---- */

static void to_hex(const uint8_t *b, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* s is exactly n lowercase hex digits. */
static bool is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (hex_value(s[i]) < 0) return false;
    return s[n] == '\0';
}

static void from_hex(const char *s, size_t nbytes, uint8_t *out) {
    for (size_t i = 0; i < nbytes; i++)
        out[i] = (uint8_t)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
}

/* No early exit: the time taken does not depend on where a and b differ. */
static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n) {
    volatile uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= a[i] ^ b[i];
    return d == 0;
}

static bool expired(const api_token_info *t, int64_t now_ms) {
    return t->expires_ms != 0 && now_ms >= t->expires_ms;
}

static int fill_random(void *buf, size_t n, char *err, size_t errcap) {
    uint8_t *p = buf;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return pw_fail(err, errcap, "getrandom: %s", strerror(errno));
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* NULL when valid, else why not. */
static const char *enterprise_problem(api_role role, const char *ent) {
    if (role != API_ROLE_ENTERPRISE)
        return *ent ? "only the enterprise role takes an enterprise" : NULL;
    size_t len = strlen(ent);
    if (len == 0) return "the enterprise role needs an enterprise id";
    if (len > (size_t)ENTERPRISE_MAX) return "enterprise id longer than 31 characters";
    for (const char *c = ent; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            return "enterprise id may hold only letters, digits, '_' and '-'";
    return NULL;
}

static const char *name_problem(const char *name) {
    size_t len = strlen(name);
    if (len == 0) return "a token needs a name (who or what holds it)";
    if (len > (size_t)NAME_MAX_LEN) return "name longer than 63 characters";
    for (const char *c = name; *c; c++)
        if (*c < 0x20 || *c > 0x7e) return "name may hold only printable ASCII characters";
    if (name[0] == ' ' || name[len - 1] == ' ') return "name begins or ends with a space";
    return NULL;
}

static int id_cmp(const void *a, const void *b) {
    return strcmp(((const tok_entry *)a)->info.id, ((const tok_entry *)b)->info.id);
}

static char *path_with(const char *path, const char *suffix) {
    size_t n = strlen(path), m = strlen(suffix);
    char *p = malloc(n + m + 1);
    if (!p) return NULL;
    memcpy(p, path, n);
    memcpy(p + n, suffix, m + 1);
    return p;
}

static int set_push(tok_set *s, const tok_entry *e) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        tok_entry *v = realloc(s->v, cap * sizeof *v);
        if (!v) return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *e;
    return 0;
}

static void set_free(tok_set *s) {
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

/* ---- reading the file ---- */

static int bad(const char **why, const char *msg) {
    *why = msg;
    return -1;
}

static int parse_entry(json_t *j, tok_entry *e, const char **why) {
    memset(e, 0, sizeof *e);
    if (!json_is_object(j)) return bad(why, "not an object");
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *hash = json_string_value(json_object_get(j, "sha256"));
    const char *role = json_string_value(json_object_get(j, "role"));
    json_t *jent = json_object_get(j, "enterprise");
    const char *ent = jent ? json_string_value(jent) : "";
    const char *name = json_string_value(json_object_get(j, "name"));
    json_t *created = json_object_get(j, "created_ms");
    json_t *expires = json_object_get(j, "expires_ms");
    if (!id || !is_hex(id, ID_HEX)) return bad(why, "\"id\" is not 16 lowercase hex digits");
    if (!hash || !is_hex(hash, 2 * PW_SHA256_LEN))
        return bad(why, "\"sha256\" is not 64 lowercase hex digits");
    if (!role || !api_role_parse(role, &e->info.role))
        return bad(why, "\"role\" is not admin, operator, regulator or enterprise");
    if (!ent) return bad(why, "\"enterprise\" is not a string");
    if (!name) return bad(why, "\"name\" is missing or not a string");
    if (!json_is_integer(created) || json_integer_value(created) < 0)
        return bad(why, "\"created_ms\" is missing or not a non-negative integer");
    if (expires && (!json_is_integer(expires) || json_integer_value(expires) < 0))
        return bad(why, "\"expires_ms\" is not a non-negative integer (0 or absent: never)");
    if ((*why = enterprise_problem(e->info.role, ent)) || (*why = name_problem(name))) return -1;
    memcpy(e->info.id, id, ID_HEX + 1);
    from_hex(hash, PW_SHA256_LEN, e->hash);
    memcpy(e->info.enterprise, ent, strlen(ent) + 1);
    memcpy(e->info.name, name, strlen(name) + 1);
    e->info.created_ms = json_integer_value(created);
    e->info.expires_ms = expires ? json_integer_value(expires) : 0;
    return 0;
}

static int parse_doc(const char *path, json_t *root, tok_set *out, char *err, size_t errcap) {
    if (!json_is_object(root)) return pw_fail(err, errcap, "%s: not a JSON object", path);
    json_t *ver = json_object_get(root, "version");
    if (!json_is_integer(ver))
        return pw_fail(err, errcap, "%s: \"version\" is missing or not an integer", path);
    if (json_integer_value(ver) != FILE_VERSION)
        return pw_fail(err, errcap,
                       "%s: version %lld is not supported (this build reads version %d)", path,
                       (long long)json_integer_value(ver), FILE_VERSION);
    json_t *arr = json_object_get(root, "tokens");
    if (!json_is_array(arr))
        return pw_fail(err, errcap, "%s: \"tokens\" is missing or not an array", path);
    tok_set s = {0};
    size_t i;
    json_t *j;
    json_array_foreach(arr, i, j) {
        tok_entry e;
        const char *why;
        if (parse_entry(j, &e, &why) != 0) {
            set_free(&s);
            return pw_fail(err, errcap, "%s: tokens[%zu]: %s", path, i, why);
        }
        if (set_push(&s, &e) != 0) {
            set_free(&s);
            return pw_fail(err, errcap, "%s: out of memory", path);
        }
    }
    /* ids must be unique: check on a sorted copy, the file order is kept */
    if (s.n > 1) {
        tok_entry *sorted = malloc(s.n * sizeof *sorted);
        if (!sorted) {
            set_free(&s);
            return pw_fail(err, errcap, "%s: out of memory", path);
        }
        memcpy(sorted, s.v, s.n * sizeof *sorted);
        qsort(sorted, s.n, sizeof *sorted, id_cmp);
        for (size_t k = 1; k < s.n; k++)
            if (!strcmp(sorted[k - 1].info.id, sorted[k].info.id)) {
                pw_fail(err, errcap, "%s: token id %s appears more than once", path,
                        sorted[k].info.id);
                free(sorted);
                set_free(&s);
                return -1;
            }
        free(sorted);
    }
    *out = s;
    return 0;
}

/* Reads the token file into *out (file order). A missing file is an empty
 * set with *present false. *st gets the file's identity when present. */
static int load_file(const char *path, tok_set *out, bool *present, struct stat *st, char *err,
                     size_t errcap) {
    memset(out, 0, sizeof *out);
    memset(st, 0, sizeof *st);
    *present = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return pw_fail(err, errcap, "%s: %s", path, strerror(errno));
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        close(fd);
        return pw_fail(err, errcap, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return pw_fail(err, errcap, "%s: not a regular file", path);
    }
    if (st->st_mode & 077) {
        close(fd);
        return pw_fail(err, errcap,
                       "%s: group or others may access it (mode %03o); it must be private to its "
                       "owner: chmod 600 %s",
                       path, (unsigned)(st->st_mode & 0777), path);
    }
    if (st->st_size > MAX_FILE_BYTES) {
        close(fd);
        return pw_fail(err, errcap, "%s: larger than %d bytes", path, MAX_FILE_BYTES);
    }
    size_t cap = (size_t)st->st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return pw_fail(err, errcap, "%s: out of memory", path);
    }
    for (;;) {
        if (len == cap) { /* it grew while we read it (edited in place) */
            if (cap > MAX_FILE_BYTES) {
                free(buf);
                close(fd);
                return pw_fail(err, errcap, "%s: larger than %d bytes", path, MAX_FILE_BYTES);
            }
            char *nb = realloc(buf, 2 * cap);
            if (!nb) {
                free(buf);
                close(fd);
                return pw_fail(err, errcap, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(buf);
            close(fd);
            return pw_fail(err, errcap, "%s: %s", path, strerror(e));
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (!root) return pw_fail(err, errcap, "%s: line %d: %s", path, jerr.line, jerr.text);
    int rc = parse_doc(path, root, out, err, errcap);
    json_decref(root);
    if (rc == 0) *present = true;
    return rc;
}

/* ---- writing the file ---- */

static json_t *set_to_json(const tok_set *s) {
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr || json_object_set_new(root, "version", json_integer(FILE_VERSION)) != 0 ||
        json_object_set(root, "tokens", arr) != 0) {
        json_decref(root);
        json_decref(arr);
        return NULL;
    }
    json_decref(arr); /* root holds it */
    for (size_t i = 0; i < s->n; i++) {
        const tok_entry *e = &s->v[i];
        char hex[2 * PW_SHA256_LEN + 1];
        to_hex(e->hash, PW_SHA256_LEN, hex);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "id", e->info.id, "sha256", hex,
                              "role", api_role_name(e->info.role), "enterprise", e->info.enterprise,
                              "name", e->info.name, "created_ms", (json_int_t)e->info.created_ms);
        /* only when set: files of tokens that never expire keep the old form */
        if (o && e->info.expires_ms &&
            json_object_set_new(o, "expires_ms", json_integer(e->info.expires_ms)) != 0) {
            json_decref(o);
            o = NULL;
        }
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

static int write_all(int fd, const char *p, size_t len) {
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int sync_dir_of(const char *path, char *err, size_t errcap) {
    char *d = strdup(path);
    if (!d) return pw_fail(err, errcap, "%s: out of memory", path);
    char *slash = strrchr(d, '/');
    const char *dir = ".";
    if (slash == d)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = d;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || fsync(fd) != 0)
        rc = pw_fail(err, errcap, "%s: replaced, but syncing its directory %s failed: %s", path,
                     dir, strerror(errno));
    if (fd >= 0) close(fd);
    free(d);
    return rc;
}

/* Replaces the file with s: PATH.tmp (0600), fsync, rename, fsync of the
 * directory. old is the replaced file's stat (NULL when there was none):
 * its owner is kept, so parkd can still read a file root rewrote. -1 when
 * the file is as it was, -2 when it was replaced but may not be durable. */
static int write_file(const char *path, const tok_set *s, const struct stat *old, char *err,
                      size_t errcap) {
    json_t *doc = set_to_json(s);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    char *tmp = path_with(path, ".tmp");
    if (!text || !tmp) {
        free(text);
        free(tmp);
        return pw_fail(err, errcap, "%s: out of memory", path);
    }
    int rc = -1, fd = -1;
    /* a stale PATH.tmp is a writer that died; we hold the lock */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        pw_fail(err, errcap, "%s: cannot remove the stale %s: %s", path, tmp, strerror(errno));
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        pw_fail(err, errcap, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        goto out;
    }
    struct stat nst;
    if (fchmod(fd, 0600) != 0 || fstat(fd, &nst) != 0) { /* 0600 whatever the umask */
        pw_fail(err, errcap, "%s: %s: %s", path, tmp, strerror(errno));
        goto fail_tmp;
    }
    if (old && old->st_uid != nst.st_uid && fchown(fd, old->st_uid, (gid_t)-1) != 0) {
        pw_fail(err, errcap, "%s: cannot give %s the owner (uid %u) of the file it replaces: %s",
                path, tmp, (unsigned)old->st_uid, strerror(errno));
        goto fail_tmp;
    }
    if (write_all(fd, text, strlen(text)) != 0 || write_all(fd, "\n", 1) != 0) {
        pw_fail(err, errcap, "%s: writing %s: %s", path, tmp, strerror(errno));
        goto fail_tmp;
    }
    if (fsync(fd) != 0) {
        pw_fail(err, errcap, "%s: syncing %s: %s", path, tmp, strerror(errno));
        goto fail_tmp;
    }
    int c = close(fd);
    fd = -1;
    if (c != 0) {
        pw_fail(err, errcap, "%s: closing %s: %s", path, tmp, strerror(errno));
        goto fail_tmp;
    }
    if (rename(tmp, path) != 0) {
        pw_fail(err, errcap, "%s: renaming %s over it: %s", path, tmp, strerror(errno));
        goto fail_tmp;
    }
    rc = sync_dir_of(path, err, errcap) == 0 ? 0 : -2;
    goto out;
fail_tmp:
    if (fd >= 0) close(fd);
    unlink(tmp);
out:
    free(text);
    free(tmp);
    return rc;
}

/* flock on PATH.lock, held for a read-modify-write; released by close. */
static int lock_file(const char *path, char *err, size_t errcap) {
    char *lp = path_with(path, ".lock");
    if (!lp) return pw_fail(err, errcap, "%s: out of memory", path);
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        pw_fail(err, errcap, "%s: cannot open the lock file %s: %s", path, lp, strerror(errno));
        free(lp);
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        pw_fail(err, errcap, "%s: cannot lock %s: %s", path, lp, strerror(errno));
        close(fd);
        free(lp);
        return -1;
    }
    free(lp);
    return fd;
}

/* ---- create, revoke, list ---- */

int api_token_create(const char *path, api_role role, const char *enterprise, const char *name,
                     int64_t expires_ms, char token[API_TOKEN_MAX], api_token_info *info, char *err,
                     size_t errcap) {
    if (token) token[0] = '\0';
    if (!path || !*path) return pw_fail(err, errcap, "no token file given");
    if (!token) return pw_fail(err, errcap, "%s: no buffer for the new token", path);
    if ((unsigned)role >= API_ROLE_COUNT)
        return pw_fail(err, errcap, "%s: unknown role %d", path, (int)role);
    if (!enterprise) enterprise = "";
    if (!name) name = "";
    const char *why = enterprise_problem(role, enterprise);
    if (why) return pw_fail(err, errcap, "%s: %s", path, why);
    if ((why = name_problem(name))) return pw_fail(err, errcap, "%s: %s", path, why);
    int64_t now = pw_wall_ms();
    if (expires_ms < 0)
        return pw_fail(err, errcap, "%s: expiry %lld is negative (0: never expires)", path,
                       (long long)expires_ms);
    /* it would be refused from the start */
    if (expires_ms && expires_ms <= now)
        return pw_fail(err, errcap, "%s: expiry %lld is in the past (now is %lld)", path,
                       (long long)expires_ms, (long long)now);

    int lk = lock_file(path, err, errcap);
    if (lk < 0) return -1;
    tok_set s;
    bool present;
    struct stat st;
    if (load_file(path, &s, &present, &st, err, errcap) != 0) {
        close(lk);
        return -1;
    }
    tok_entry e = {.info = {.role = role, .created_ms = now, .expires_ms = expires_ms}};
    memcpy(e.info.enterprise, enterprise, strlen(enterprise) + 1);
    memcpy(e.info.name, name, strlen(name) + 1);
    uint8_t idb[ID_BYTES], secret[SECRET_BYTES];
    char text[API_TOKEN_MAX];
    int rc = -1;
    for (bool unique = false; !unique;) {
        if (fill_random(idb, sizeof idb, err, errcap) != 0) goto out;
        to_hex(idb, sizeof idb, e.info.id);
        unique = true;
        for (size_t i = 0; i < s.n && unique; i++)
            if (!strcmp(s.v[i].info.id, e.info.id)) unique = false;
    }
    if (fill_random(secret, sizeof secret, err, errcap) != 0) goto out;
    memcpy(text, TOKEN_PREFIX, PREFIX_LEN);
    memcpy(text + PREFIX_LEN, e.info.id, ID_HEX);
    text[PREFIX_LEN + ID_HEX] = '_';
    to_hex(secret, sizeof secret, text + PREFIX_LEN + ID_HEX + 1);
    pw_sha256(text, TOKEN_LEN, e.hash);
    if (set_push(&s, &e) != 0) {
        pw_fail(err, errcap, "%s: out of memory", path);
        goto out;
    }
    int wrc = write_file(path, &s, present ? &st : NULL, err, errcap);
    if (wrc == -2 && err) { /* in the file, but its secret is lost with this failure */
        size_t used = strnlen(err, errcap);
        snprintf(err + used, errcap - used, "; revoke the token %s it may hold", e.info.id);
    }
    if (wrc != 0) goto out;
    memcpy(token, text, TOKEN_LEN + 1);
    if (info) *info = e.info;
    rc = 0;
out:
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(text, sizeof text);
    set_free(&s);
    close(lk);
    return rc;
}

int api_token_revoke(const char *path, const char *id_or_name, char *err, size_t errcap) {
    if (!path || !*path) return pw_fail(err, errcap, "no token file given");
    if (!id_or_name || !*id_or_name)
        return pw_fail(err, errcap, "%s: no token id or name given", path);
    int lk = lock_file(path, err, errcap);
    if (lk < 0) return -1;
    tok_set s;
    bool present;
    struct stat st;
    if (load_file(path, &s, &present, &st, err, errcap) != 0) {
        close(lk);
        return -1;
    }
    int rc = -1;
    size_t matches = 0, at = 0;
    char ids[AMBIGUOUS_LISTED * (ID_HEX + 2) + 8] = "";
    size_t used = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (strcmp(s.v[i].info.id, id_or_name) && strcmp(s.v[i].info.name, id_or_name)) continue;
        if (matches < AMBIGUOUS_LISTED)
            used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s", matches ? ", " : "",
                                     s.v[i].info.id);
        else if (matches == AMBIGUOUS_LISTED)
            used += (size_t)snprintf(ids + used, sizeof ids - used, ", ...");
        matches++;
        at = i;
    }
    if (matches == 0) {
        pw_fail(err, errcap, "%s: no token has the id or name \"%s\"", path, id_or_name);
    } else if (matches > 1) {
        pw_fail(err, errcap, "%s: \"%s\" is ambiguous: it names %zu tokens (ids %s); revoke by id",
                path, id_or_name, matches, ids);
    } else {
        memmove(&s.v[at], &s.v[at + 1], (s.n - at - 1) * sizeof *s.v);
        s.n--;
        rc = write_file(path, &s, &st, err, errcap) == 0 ? 0 : -1;
    }
    set_free(&s);
    close(lk);
    return rc;
}

int api_token_list(const char *path, api_token_info **out, size_t *n, char *err, size_t errcap) {
    *out = NULL;
    *n = 0;
    if (!path || !*path) return pw_fail(err, errcap, "no token file given");
    tok_set s;
    bool present;
    struct stat st;
    if (load_file(path, &s, &present, &st, err, errcap) != 0) return -1;
    if (s.n) {
        api_token_info *v = malloc(s.n * sizeof *v);
        if (!v) {
            set_free(&s);
            return pw_fail(err, errcap, "%s: out of memory", path);
        }
        for (size_t i = 0; i < s.n; i++) v[i] = s.v[i].info;
        *out = v;
        *n = s.n;
    }
    set_free(&s);
    return 0;
}

/* ---- the store ---- */

struct api_token_store {
    char *path;
    pthread_mutex_t mu; /* guards tok and ntok; held only to look up or swap */
    tok_entry *tok;     /* sorted by id */
    size_t ntok;
    atomic_llong next_check_ms; /* monotonic; the next stat() is due */
    pthread_mutex_t reload_mu;  /* one reloader at a time; guards what follows */
    bool present, failing;      /* the file existed at the last load; the last reload failed */
    struct stat seen;           /* the file loaded last */
    char last_err[256];         /* the failure last logged, to log each only once */
    api_log_fn log;             /* where reload problems are said; NULL: nowhere */
    void *log_ctx;
};

/* A library does not print: the server's owner says where lines go. */
__attribute__((format(printf, 2, 3))) static void say(api_token_store *s, const char *fmt, ...) {
    if (!s->log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, line);
}

void api_token_store_set_log(api_token_store *s, api_log_fn log, void *ctx) {
    pthread_mutex_lock(&s->reload_mu);
    s->log = log, s->log_ctx = ctx;
    pthread_mutex_unlock(&s->reload_mu);
}

static bool same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void install(api_token_store *s, tok_set *set) {
    if (set->n > 1) qsort(set->v, set->n, sizeof *set->v, id_cmp);
    pthread_mutex_lock(&s->mu);
    tok_entry *old = s->tok;
    size_t nold = s->ntok;
    s->tok = set->v;
    s->ntok = set->n;
    pthread_mutex_unlock(&s->mu);
    if (old) explicit_bzero(old, nold * sizeof *old);
    free(old);
    set->v = NULL;
    set->n = set->cap = 0;
}

/* Under reload_mu: rereads the file if it changed, or if the last reread
 * failed. Failures keep the tokens loaded before; each is logged once. */
static void reload(api_token_store *s) {
    struct stat st;
    char err[sizeof s->last_err];
    if (stat(s->path, &st) != 0) {
        if (errno == ENOENT) {
            if (s->present || s->failing) {
                tok_set none = {0};
                install(s, &none);
                if (s->failing) say(s, "token file %s: removed", s->path);
                s->present = s->failing = false;
                s->last_err[0] = '\0';
            }
            return;
        }
        snprintf(err, sizeof err, "%s: %s", s->path, strerror(errno));
    } else {
        if (!s->failing && s->present && same_file(&st, &s->seen)) return;
        tok_set set;
        bool present;
        if (load_file(s->path, &set, &present, &st, err, sizeof err) == 0) {
            install(s, &set);
            if (s->failing) say(s, "token file %s: read again after the failure", s->path);
            s->present = present;
            s->seen = st;
            s->failing = false;
            s->last_err[0] = '\0';
            return;
        }
    }
    s->failing = true;
    if (strcmp(err, s->last_err)) {
        size_t n;
        pthread_mutex_lock(&s->mu);
        n = s->ntok;
        pthread_mutex_unlock(&s->mu);
        say(s, "%s; keeping the %zu token(s) read before, retrying", err, n);
        memcpy(s->last_err, err, sizeof err);
    }
}

int api_token_store_open(const char *path, api_token_store **out, char *err, size_t errcap) {
    *out = NULL;
    if (!path || !*path) return pw_fail(err, errcap, "no token file given");
    api_token_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return pw_fail(err, errcap, "%s: out of memory", path);
    }
    tok_set set;
    if (load_file(path, &set, &s->present, &s->seen, err, errcap) != 0) {
        free(s->path);
        free(s);
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->reload_mu, NULL);
    install(s, &set);
    atomic_init(&s->next_check_ms, pw_mono_ms() + RECHECK_MS);
    *out = s;
    return 0;
}

static void maybe_reload(api_token_store *s) {
    long long now = pw_mono_ms();
    if (now < atomic_load_explicit(&s->next_check_ms, memory_order_relaxed)) return;
    /* another thread is at it: go on with the tokens we have */
    if (pthread_mutex_trylock(&s->reload_mu) != 0) return;
    if (now >= atomic_load_explicit(&s->next_check_ms, memory_order_relaxed)) {
        atomic_store_explicit(&s->next_check_ms, now + RECHECK_MS, memory_order_relaxed);
        reload(s);
    }
    pthread_mutex_unlock(&s->reload_mu);
}

int api_token_store_check(api_token_store *s, const char *token, api_token_info *out) {
    if (out) memset(out, 0, sizeof *out);
    if (!s || !token) return -1;
    maybe_reload(s);
    /* the format is public: checking it may exit early */
    if (strnlen(token, TOKEN_LEN + 1) != TOKEN_LEN || memcmp(token, TOKEN_PREFIX, PREFIX_LEN) ||
        token[PREFIX_LEN + ID_HEX] != '_')
        return -1;
    for (size_t i = PREFIX_LEN; i < TOKEN_LEN; i++)
        if (i != PREFIX_LEN + ID_HEX && hex_value(token[i]) < 0) return -1;
    tok_entry key;
    memcpy(key.info.id, token + PREFIX_LEN, ID_HEX);
    key.info.id[ID_HEX] = '\0';
    uint8_t hash[PW_SHA256_LEN];
    pw_sha256(token, TOKEN_LEN, hash);

    api_token_info info;
    bool match = false;
    for (int pass = 0; pass < 2; pass++) {
        pthread_mutex_lock(&s->mu);
        const tok_entry *e =
            s->ntok ? bsearch(&key, s->tok, s->ntok, sizeof *s->tok, id_cmp) : NULL;
        match = e && ct_equal(e->hash, hash, PW_SHA256_LEN);
        if (match) info = e->info;
        pthread_mutex_unlock(&s->mu);
        if (e || pass) break;
        /* An id we do not know may be a token created a moment ago: the
         * file is looked at now (a stat; read only if it changed), not at
         * the next once-a-second check, so that a token works as soon as
         * parkctl has printed it. */
        pthread_mutex_lock(&s->reload_mu);
        if (!s->failing) reload(s); /* a failing file: once a second, as below */
        pthread_mutex_unlock(&s->reload_mu);
    }
    explicit_bzero(hash, sizeof hash);
    /* an expired token is refused like an unknown one */
    if (!match || expired(&info, pw_wall_ms())) return -1;
    if (out) *out = info;
    return 0;
}

bool api_token_store_valid(api_token_store *s, const char *id, int64_t now_ms) {
    if (!s || !id || strnlen(id, ID_HEX + 1) != ID_HEX) return false;
    maybe_reload(s);
    tok_entry key;
    memcpy(key.info.id, id, ID_HEX + 1);
    pthread_mutex_lock(&s->mu);
    const tok_entry *e = s->ntok ? bsearch(&key, s->tok, s->ntok, sizeof *s->tok, id_cmp) : NULL;
    bool ok = e && !expired(&e->info, now_ms);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void api_token_store_close(api_token_store *s) {
    if (!s) return;
    pthread_mutex_destroy(&s->reload_mu);
    pthread_mutex_destroy(&s->mu);
    if (s->tok) explicit_bzero(s->tok, s->ntok * sizeof *s->tok);
    free(s->tok);
    free(s->path);
    free(s);
}
