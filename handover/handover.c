/*
 * handover.c - shift handover records (handover.h): kept in memory, every
 * version appended to a JSON-lines file and synced before the call
 * returns.
 */
#include "handover/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct handover_store {
    pthread_mutex_t mu;
    int fd;             /* the JSON-lines file, O_APPEND */
    handover_record *v; /* by id - 1 */
    size_t n, cap;
};

static const char *const state_names[] = {"open", "accepted", "refused"};

const char *handover_state_name(handover_state s) {
    return (unsigned)s <= HANDOVER_REFUSED ? state_names[s] : "unknown";
}

static bool state_parse(const char *name, handover_state *out) {
    for (int i = 0; name && i <= HANDOVER_REFUSED; i++)
        if (!strcmp(name, state_names[i])) return *out = (handover_state)i, true;
    return false;
}

static char *dup_or_empty(const char *s) {
    return strdup(s ? s : "");
}

static void record_free(handover_record *r) {
    free(r->snapshot);
    free(r->notes);
    free(r->answer);
    r->snapshot = r->notes = r->answer = NULL;
}

void handover_free(handover_record *r) {
    if (r) record_free(r);
}

static int record_copy(handover_record *to, const handover_record *from) {
    *to = *from;
    to->snapshot = dup_or_empty(from->snapshot);
    to->notes = dup_or_empty(from->notes);
    to->answer = dup_or_empty(from->answer);
    if (!to->snapshot || !to->notes || !to->answer) {
        record_free(to);
        return -1;
    }
    return 0;
}

static char *record_line(const handover_record *r) {
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)r->id,
                          "scope", r->scope, "state", handover_state_name(r->state), "signed_ms",
                          (json_int_t)r->signed_ms, "answered_ms", (json_int_t)r->answered_ms,
                          "outgoing", r->outgoing, "incoming", r->incoming, "snapshot", r->snapshot,
                          "notes", r->notes, "answer", r->answer);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return line;
}

/* Appends a record's version and syncs it. */
static int persist(handover_store *s, const handover_record *r, char *err, size_t errcap) {
    char *line = record_line(r);
    if (!line) {
        snprintf(err, errcap, "handover: out of memory");
        return -1;
    }
    size_t n = strlen(line);
    line[n++] = '\n'; /* over the NUL: the line is written by length */
    ssize_t w = write(s->fd, line, n);
    int e = errno;
    free(line);
    if (w != (ssize_t)n || fdatasync(s->fd) != 0) {
        snprintf(err, errcap, "handover: writing the record failed: %s",
                 w < 0 ? strerror(e) : "short write");
        return -1;
    }
    return 0;
}

static int grow(handover_store *s, size_t need) {
    if (need <= s->cap) return 0;
    size_t cap = s->cap ? s->cap * 2 : 64;
    while (cap < need) cap *= 2;
    handover_record *v = realloc(s->v, cap * sizeof *v);
    if (!v) return -1;
    memset(v + s->cap, 0, (cap - s->cap) * sizeof *v);
    s->v = v, s->cap = cap;
    return 0;
}

/* One line of the file: a record's version, kept if it is the newest so
 * far. A torn last line (a crash mid-write) is skipped. */
static void load_line(handover_store *s, const char *line) {
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    json_int_t id = 0, sig = 0, ans = 0;
    const char *scope, *state, *out, *in, *snap, *notes, *answer;
    handover_state st;
    if (!o ||
        json_unpack(o, "{s:I,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "id", &id, "scope", &scope,
                    "state", &state, "signed_ms", &sig, "answered_ms", &ans, "outgoing", &out,
                    "incoming", &in, "snapshot", &snap, "notes", &notes, "answer", &answer) != 0 ||
        id < 1 || id > (json_int_t)(1u << 30) || !state_parse(state, &st) ||
        grow(s, (size_t)id) != 0) {
        json_decref(o);
        return;
    }
    handover_record *r = &s->v[id - 1];
    record_free(r);
    r->id = (uint64_t)id;
    snprintf(r->scope, sizeof r->scope, "%s", scope);
    r->state = st;
    r->signed_ms = sig, r->answered_ms = ans;
    snprintf(r->outgoing, sizeof r->outgoing, "%s", out);
    snprintf(r->incoming, sizeof r->incoming, "%s", in);
    r->snapshot = strdup(snap), r->notes = strdup(notes), r->answer = strdup(answer);
    if ((size_t)id > s->n) s->n = (size_t)id;
    json_decref(o);
}

int handover_open(const char *dir, handover_store **out, char *err, size_t errcap) {
    *out = NULL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errcap, "handover: %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/handovers.jsonl", dir);
    handover_store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errcap, "handover: out of memory");
        return -1;
    }
    s->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        snprintf(err, errcap, "handover: %s: %s", path, strerror(errno));
        free(s);
        return -1;
    }
    FILE *f = fdopen(dup(s->fd), "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) load_line(s, line);
    free(line);
    if (f) fclose(f);
    pthread_mutex_init(&s->mu, NULL);
    *out = s;
    return 0;
}

void handover_close(handover_store *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) record_free(&s->v[i]);
    free(s->v);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static bool valid_name(const char *s) {
    return s && *s && strlen(s) < 64;
}

int handover_sign(handover_store *s, const char *scope, const char *outgoing,
                  const char *snapshot_json, const char *notes, int64_t now_ms, uint64_t *id,
                  char *err, size_t errcap) {
    if (!scope || strlen(scope) >= 32) return snprintf(err, errcap, "handover: bad scope"), -1;
    if (!valid_name(outgoing))
        return snprintf(err, errcap, "handover: the outgoing officer's name is needed"), -1;
    if (notes && strlen(notes) > HANDOVER_MAX_NOTES)
        return snprintf(err, errcap, "handover: notes longer than %u bytes", HANDOVER_MAX_NOTES),
               -1;
    if (!snapshot_json || strlen(snapshot_json) > HANDOVER_MAX_SNAPSHOT)
        return snprintf(err, errcap, "handover: no snapshot, or one over %u bytes",
                        HANDOVER_MAX_SNAPSHOT),
               -1;
    json_error_t je;
    json_t *snap = json_loads(snapshot_json, 0, &je);
    bool object = json_is_object(snap);
    json_decref(snap);
    if (!object) return snprintf(err, errcap, "handover: the snapshot must be a JSON object"), -1;
    pthread_mutex_lock(&s->mu);
    int rc = -1;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id && s->v[i].state == HANDOVER_OPEN && !strcmp(s->v[i].scope, scope)) {
            snprintf(err, errcap,
                     "handover: record %llu of this scope is still open: it is answered first",
                     (unsigned long long)s->v[i].id);
            goto out;
        }
    if (grow(s, s->n + 1) != 0) {
        snprintf(err, errcap, "handover: out of memory");
        goto out;
    }
    handover_record r = {.id = s->n + 1, .state = HANDOVER_OPEN, .signed_ms = now_ms};
    snprintf(r.scope, sizeof r.scope, "%s", scope);
    snprintf(r.outgoing, sizeof r.outgoing, "%s", outgoing);
    r.snapshot = strdup(snapshot_json), r.notes = dup_or_empty(notes), r.answer = strdup("");
    if (!r.snapshot || !r.notes || !r.answer) {
        record_free(&r);
        snprintf(err, errcap, "handover: out of memory");
        goto out;
    }
    if (persist(s, &r, err, errcap) != 0) {
        record_free(&r);
        goto out;
    }
    s->v[s->n++] = r;
    *id = r.id;
    rc = 0;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int handover_answer(handover_store *s, uint64_t id, const char *incoming, bool accept,
                    const char *notes, int64_t now_ms, char *err, size_t errcap) {
    if (!valid_name(incoming))
        return snprintf(err, errcap, "handover: the incoming officer's name is needed"), -1;
    if (notes && strlen(notes) > HANDOVER_MAX_NOTES)
        return snprintf(err, errcap, "handover: notes longer than %u bytes", HANDOVER_MAX_NOTES),
               -1;
    if (!accept && (!notes || !*notes))
        return snprintf(err, errcap, "handover: a refusal needs its reason"), -1;
    pthread_mutex_lock(&s->mu);
    int rc = -1;
    handover_record *r = id >= 1 && id <= s->n && s->v[id - 1].id ? &s->v[id - 1] : NULL;
    if (!r)
        snprintf(err, errcap, "handover: no record %llu", (unsigned long long)id);
    else if (r->state != HANDOVER_OPEN)
        snprintf(err, errcap, "handover: record %llu is already %s", (unsigned long long)id,
                 handover_state_name(r->state));
    else if (!strcmp(r->outgoing, incoming))
        snprintf(err, errcap, "handover: the incoming officer must not be the outgoing one (%s)",
                 incoming);
    else {
        handover_record next;
        if (record_copy(&next, r) != 0) {
            snprintf(err, errcap, "handover: out of memory");
            goto out;
        }
        next.state = accept ? HANDOVER_ACCEPTED : HANDOVER_REFUSED;
        next.answered_ms = now_ms;
        snprintf(next.incoming, sizeof next.incoming, "%s", incoming);
        free(next.answer);
        next.answer = dup_or_empty(notes);
        if (!next.answer || persist(s, &next, err, errcap) != 0) {
            if (!next.answer) snprintf(err, errcap, "handover: out of memory");
            record_free(&next);
            goto out;
        }
        record_free(r);
        *r = next;
        rc = 0;
    }
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int handover_get(handover_store *s, uint64_t id, handover_record *out) {
    pthread_mutex_lock(&s->mu);
    int rc = id >= 1 && id <= s->n && s->v[id - 1].id ? record_copy(out, &s->v[id - 1]) : -1;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int handover_list(handover_store *s, int64_t from_ms, int64_t to_ms,
                  bool (*keep)(void *ctx, const char *scope), void *ctx, size_t limit,
                  handover_record **out, size_t *n) {
    *out = NULL, *n = 0;
    pthread_mutex_lock(&s->mu);
    size_t cap = limit < s->n ? limit : s->n;
    handover_record *v = cap ? calloc(cap, sizeof *v) : NULL;
    int rc = cap && !v ? -1 : 0;
    for (size_t i = s->n; rc == 0 && i-- > 0 && *n < cap;) {
        const handover_record *r = &s->v[i];
        if (!r->id || r->signed_ms < from_ms || r->signed_ms >= to_ms) continue;
        if (keep && !keep(ctx, r->scope)) continue;
        if (record_copy(&v[*n], r) != 0)
            rc = -1;
        else
            (*n)++;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc != 0) {
        handover_list_free(v, *n);
        *n = 0;
        return -1;
    }
    *out = v;
    return 0;
}

void handover_list_free(handover_record *v, size_t n) {
    for (size_t i = 0; i < n; i++) record_free(&v[i]);
    free(v);
}
