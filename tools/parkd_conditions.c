/*
 * parkd_conditions.c - conditions judged by closedpark/, specialwork/ and
 * cameras/ made alarm rules (ALERT_CONDITION), one per distinct name, the
 * names kept in order in DIR/condition-rules.jsonl so that the rules come
 * back with the same ids at the next start (parkd_conditions.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/parkd_conditions.h"

#define RULES_FILE     "condition-rules.jsonl"
#define CONDITIONS_MAX 1000000 /* rules made this way, at most (a runaway source) */

struct parkd_conditions {
    pthread_mutex_t mu;
    hist *h;
    alert_engine *al;
    char path[4096];
    json_t *ids; /* name -> rule id */
    size_t failed;
};

/* The rule of a condition, its series registered under the name. */
static int add_rule(parkd_conditions *pc, json_t *def, uint32_t *id, char *err, size_t errcap) {
    const char *name = json_string_value(json_object_get(def, "name"));
    if (!name) {
        snprintf(err, errcap, "a condition without a name");
        return -1;
    }
    const char *unit = json_string_value(json_object_get(def, "unit"));
    hist_series_def sd = {.name = name,
                          .unit = unit && *unit ? unit : NULL,
                          .description = json_string_value(json_object_get(def, "basis"))};
    uint32_t series;
    hist_error he;
    if (hist_series_ensure(pc->h, &sd, 1, &series, &he) != HIST_OK) {
        snprintf(err, errcap, "registering %s: %s", name, he.msg);
        return -1;
    }
    json_int_t prio = json_integer_value(json_object_get(def, "priority"));
    alert_rule r = {.series = series,
                    .series_name = name,
                    .enterprise = json_string_value(json_object_get(def, "enterprise")),
                    .kind = ALERT_CONDITION,
                    .limit = json_number_value(json_object_get(def, "limit")),
                    .priority = prio >= 1 && prio <= 4 ? (int)prio : 3,
                    .origin = ALERT_ORIGIN_DERIVED,
                    .unit = unit,
                    .asset = json_string_value(json_object_get(def, "asset")),
                    .basis = json_string_value(json_object_get(def, "basis"))};
    if (!r.enterprise) r.enterprise = "";
    if (alert_add_rules(pc->al, &r, 1, id, err, errcap) != 0) return -1;
    json_object_set_new(pc->ids, name, json_integer(*id));
    return 0;
}

int parkd_conditions_open(const char *dir, hist *h, alert_engine *al, parkd_conditions **out,
                          char *err, size_t errcap) {
    *out = NULL;
    parkd_conditions *pc = calloc(1, sizeof *pc);
    if (!pc || !(pc->ids = json_object())) {
        free(pc);
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    pthread_mutex_init(&pc->mu, NULL);
    pc->h = h, pc->al = al;
    snprintf(pc->path, sizeof pc->path, "%s/" RULES_FILE, dir);
    FILE *f = fopen(pc->path, "r");
    if (!f && errno != ENOENT) {
        snprintf(err, errcap, "%s: %s", pc->path, strerror(errno));
        parkd_conditions_close(pc);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t line_no = 0;
    while (f && (n = getline(&line, &cap, f)) > 0) {
        line_no++;
        json_error_t je;
        json_t *def = json_loadb(line, (size_t)n, 0, &je);
        uint32_t id;
        /* A torn last line (a crash while appending) is the one rule that
         * never got made: skipped, as the engine never had it. */
        if (!def) continue;
        const char *name = json_string_value(json_object_get(def, "name"));
        if (name && !json_object_get(pc->ids, name) && add_rule(pc, def, &id, err, errcap) != 0) {
            json_decref(def);
            free(line);
            fclose(f);
            parkd_conditions_close(pc);
            return -1;
        }
        json_decref(def);
    }
    free(line);
    if (f) fclose(f);
    *out = pc;
    return 0;
}

void parkd_conditions_close(parkd_conditions *pc) {
    if (!pc) return;
    json_decref(pc->ids);
    pthread_mutex_destroy(&pc->mu);
    free(pc);
}

/* Appends the definition to the file and syncs it, before the rule exists:
 * a rule the engine has is always in the file, in the engine's order. */
static int remember(parkd_conditions *pc, json_t *def) {
    char *txt = json_dumps(def, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!txt) return -1;
    int fd = open(pc->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    size_t len = strlen(txt);
    txt[len] = '\n'; /* json_dumps' NUL replaced; the length says where it ends */
    int rc =
        fd >= 0 && write(fd, txt, len + 1) == (ssize_t)(len + 1) && fdatasync(fd) == 0 ? 0 : -1;
    if (fd >= 0) close(fd);
    free(txt);
    return rc;
}

void parkd_conditions_set(const pw_condition *c, void *ctx) {
    parkd_conditions *pc = ctx;
    if (!c || !c->name || !*c->name) return;
    pthread_mutex_lock(&pc->mu);
    json_t *known = json_object_get(pc->ids, c->name);
    uint32_t id = 0;
    bool ok = known != NULL;
    if (known) {
        id = (uint32_t)json_integer_value(known);
    } else if (c->active && json_object_size(pc->ids) < CONDITIONS_MAX) {
        /* A condition that never was active needs no rule yet. */
        json_t *def = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:f}", "name", c->name, "kind", c->kind ? c->kind : "",
            "enterprise", c->enterprise ? c->enterprise : "", "asset", c->asset ? c->asset : "",
            "unit", c->unit ? c->unit : "", "basis", c->basis ? c->basis : "", "priority",
            c->priority, "limit", isfinite(c->limit) ? c->limit : 0.0);
        char err[256];
        ok = def && remember(pc, def) == 0 && add_rule(pc, def, &id, err, sizeof err) == 0;
        json_decref(def);
    }
    if (!ok && c->active) pc->failed++;
    pthread_mutex_unlock(&pc->mu);
    if (ok) alert_set_condition(pc->al, id, c->active, c->ts_ms, isfinite(c->value) ? c->value : 0);
}

void parkd_conditions_counts(parkd_conditions *pc, size_t *rules, size_t *failed) {
    pthread_mutex_lock(&pc->mu);
    if (rules) *rules = json_object_size(pc->ids);
    if (failed) *failed = pc->failed;
    pthread_mutex_unlock(&pc->mu);
}
