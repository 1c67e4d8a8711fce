/*
 * journal.c - the delivery journal: every attempt appended as one JSON
 * object a line to DIR/deliveries.jsonl (docs/reference/notification.md
 * gives the fields), flushed per line so a crash loses at most the line
 * being written. A query reads the file from the start: notification
 * volumes are small (thousands a day, a flood being summarised), and a
 * plain text file is what an auditor can read without parkd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/errmsg.h"
#include "notify/internal.h"

int nt_journal_open(nt_journal *j, const char *dir, char *err, size_t errcap) {
    pthread_mutex_init(&j->mu, NULL);
    if (!dir || !*dir) return pw_fail(err, errcap, "notify: no journal directory");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return pw_fail(err, errcap, "notify: cannot create %s: %s", dir, strerror(errno));
    snprintf(j->path, sizeof j->path, "%s/deliveries.jsonl", dir);
    j->f = fopen(j->path, "a");
    if (!j->f) return pw_fail(err, errcap, "notify: cannot open %s: %s", j->path, strerror(errno));
    return 0;
}

void nt_journal_close(nt_journal *j) {
    if (j->f) fclose(j->f);
    j->f = NULL;
    pthread_mutex_destroy(&j->mu);
}

void nt_journal_append(nt_journal *j, const notify_delivery *d) {
    json_t *o = json_pack("{s:I,s:I,s:I,s:i,s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:I}", "ts_ms",
                          (json_int_t)d->ts_ms, "rule", (json_int_t)d->rule, "seq",
                          (json_int_t)d->seq, "step", d->step, "alarms", (int)d->alarms, "channel",
                          d->channel, "enterprise", d->enterprise, "recipient", d->recipient,
                          "result", d->result, "status", d->status, "receipt", d->receipt, "detail",
                          d->detail, "attempt", d->attempt, "due_ms", (json_int_t)d->due_ms);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    if (!line) return;
    pthread_mutex_lock(&j->mu);
    if (j->f) {
        fputs(line, j->f);
        fputc('\n', j->f);
        fflush(j->f);
    }
    pthread_mutex_unlock(&j->mu);
    free(line);
}

static void copy_str(json_t *o, const char *key, char *out, size_t cap) {
    const char *s = json_string_value(json_object_get(o, key));
    snprintf(out, cap, "%s", s ? s : "");
}

int nt_journal_query(nt_journal *j, int64_t from_ms, int64_t to_ms, const notify_filter *f,
                     size_t limit, notify_delivery **out, size_t *count, char *err, size_t errcap) {
    *out = NULL, *count = 0;
    pthread_mutex_lock(&j->mu);
    if (j->f) fflush(j->f);
    pthread_mutex_unlock(&j->mu);
    FILE *in = fopen(j->path, "r");
    if (!in) return pw_fail(err, errcap, "notify: cannot read %s: %s", j->path, strerror(errno));
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, in) > 0 && (!limit || *count < limit)) {
        json_t *o = json_loads(line, 0, NULL);
        if (!o) continue; /* a torn last line after a crash */
        notify_delivery d = {0};
        d.ts_ms = json_integer_value(json_object_get(o, "ts_ms"));
        copy_str(o, "channel", d.channel, sizeof d.channel);
        copy_str(o, "enterprise", d.enterprise, sizeof d.enterprise);
        copy_str(o, "result", d.result, sizeof d.result);
        bool keep = d.ts_ms >= from_ms && d.ts_ms < to_ms &&
                    (!f || !f->channel || !strcmp(f->channel, d.channel)) &&
                    (!f || !f->enterprise || !strcmp(f->enterprise, d.enterprise)) &&
                    (!f || !f->result || !strcmp(f->result, d.result));
        if (keep) {
            d.rule = (uint32_t)json_integer_value(json_object_get(o, "rule"));
            d.seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
            d.step = (int)json_integer_value(json_object_get(o, "step"));
            d.alarms = (unsigned)json_integer_value(json_object_get(o, "alarms"));
            d.status = (int)json_integer_value(json_object_get(o, "status"));
            d.attempt = (int)json_integer_value(json_object_get(o, "attempt"));
            d.due_ms = json_integer_value(json_object_get(o, "due_ms"));
            copy_str(o, "recipient", d.recipient, sizeof d.recipient);
            copy_str(o, "receipt", d.receipt, sizeof d.receipt);
            copy_str(o, "detail", d.detail, sizeof d.detail);
            if (*count == cap) {
                cap = cap ? cap * 2 : 256;
                notify_delivery *p = realloc(*out, cap * sizeof *p);
                if (!p) {
                    json_decref(o);
                    rc = pw_fail(err, errcap, "notify: out of memory");
                    break;
                }
                *out = p;
            }
            (*out)[(*count)++] = d;
        }
        json_decref(o);
    }
    free(line);
    fclose(in);
    if (rc) free(*out), *out = NULL, *count = 0;
    return rc;
}
