/*
 * command.c - an incident's command as a journal (command.h): every
 * decision appended to the event store, the state folded from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/internal.h"
#include "common/errmsg.h"

#define KIND "command"

int command_open(ev_store *events, const char *plans_text, const char *name, command **out,
                 char *err, size_t errcap) {
    *out = NULL;
    if (!events) return pw_fail(err, errcap, "command: the event store is required");
    command *c = calloc(1, sizeof *c);
    if (!c) return pw_fail(err, errcap, "command: out of memory");
    c->ev = events;
    if (plans_text && cmd_plans_load(c, plans_text, name ? name : "plans", err, errcap) != 0) {
        free(c);
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

void command_close(command *c) {
    if (!c) return;
    json_decref(c->plans);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int fail_code(cmd_code *code, cmd_code v, char *err, size_t errcap, const char *fmt,
                     const char *a) {
    if (code) *code = v;
    pw_fail(err, errcap, fmt, a);
    return -1;
}

/* ---- the fold ------------------------------------------------------------ */

typedef struct state {
    bool active, drill;
    json_t *plan; /* {id, name, name_zh} */
    int level;
    json_t *tasks;    /* array of task objects, in step order */
    json_t *timeline; /* array */
} state;

static void state_free(state *s) {
    json_decref(s->plan);
    json_decref(s->tasks);
    json_decref(s->timeline);
}

static json_t *task_of(state *s, const char *id) {
    size_t i;
    json_t *t;
    json_array_foreach(s->tasks, i,
                       t) if (!strcmp(json_string_value(json_object_get(t, "id")), id)) return t;
    return NULL;
}

static void add_tasks(state *s, const json_t *tasks, const char *by, int64_t ts) {
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t) {
        const char *id = json_string_value(json_object_get(t, "id"));
        if (!id || task_of(s, id)) continue;
        json_t *n = json_deep_copy(t);
        json_object_set_new(n, "state", json_string("open"));
        json_object_set_new(n, "by", json_string(by));
        json_object_set_new(n, "at", json_integer(ts));
        json_object_set_new(n, "note", json_null());
        json_array_append_new(s->tasks, n);
    }
}

static void apply(state *s, const ev_event *e) {
    json_t *b = json_loadb(e->body, e->body_len, 0, NULL);
    if (!b) return;
    const char *action = json_string_value(json_object_get(b, "action"));
    const char *by = json_string_value(json_object_get(b, "by"));
    if (!action || !by) {
        json_decref(b);
        return;
    }
    json_t *line = json_pack("{s:I, s:s, s:s, s:b}", "ts", (json_int_t)e->ts_ms, "kind", action,
                             "by", by, "drill", json_is_true(json_object_get(b, "drill")));
    if (!strcmp(action, "activate")) {
        s->active = true;
        s->drill = json_is_true(json_object_get(b, "drill"));
        json_decref(s->plan);
        s->plan = json_incref(json_object_get(b, "plan"));
        s->level = (int)json_integer_value(json_object_get(b, "level"));
        add_tasks(s, json_object_get(b, "tasks"), by, e->ts_ms);
        json_object_set(line, "text", json_object_get(json_object_get(b, "plan"), "name"));
        json_object_set_new(line, "data",
                            json_pack("{s:O, s:i}", "plan",
                                      json_object_get(json_object_get(b, "plan"), "id"), "level",
                                      s->level));
    } else if (!strcmp(action, "level")) {
        s->level = (int)json_integer_value(json_object_get(b, "level"));
        add_tasks(s, json_object_get(b, "tasks"), by, e->ts_ms);
        json_object_set(line, "text", json_object_get(b, "reason"));
        json_object_set_new(line, "data", json_pack("{s:i}", "level", s->level));
    } else if (!strcmp(action, "task")) {
        json_t *t = task_of(s, json_string_value(json_object_get(b, "task")));
        if (t) {
            json_object_set(t, "state", json_object_get(b, "state"));
            json_object_set_new(t, "by", json_string(by));
            json_object_set_new(t, "at", json_integer(e->ts_ms));
            json_object_set(t, "note", json_object_get(b, "note"));
        }
        json_object_set_new(line, "text",
                            json_pack("s++", json_string_value(json_object_get(b, "task")), " ",
                                      json_string_value(json_object_get(b, "state"))));
        json_object_set_new(line, "data",
                            json_pack("{s:O, s:O, s:O?}", "task", json_object_get(b, "task"),
                                      "state", json_object_get(b, "state"), "note",
                                      json_object_get(b, "note")));
    } else { /* log: message, decision, model_run */
        json_object_set(line, "kind", json_object_get(b, "kind"));
        json_object_set(line, "text", json_object_get(b, "text"));
        json_t *d = json_object_get(b, "data");
        json_object_set(line, "data", d ? d : json_null());
    }
    if (!json_object_get(line, "text")) json_object_set_new(line, "text", json_null());
    if (!json_object_get(line, "data")) json_object_set_new(line, "data", json_null());
    json_array_append_new(s->timeline, line);
    json_decref(b);
}

static int fold(command *c, const cmd_incident *inc, int64_t at_ms, state *s, char *err,
                size_t errcap) {
    memset(s, 0, sizeof *s);
    s->tasks = json_array();
    s->timeline = json_array();
    char entity[EV_ENTITY_MAX + 1];
    snprintf(entity, sizeof entity, "incident:%s", inc->id);
    ev_list l = {0};
    char e[200];
    if (ev_query_entity(c->ev, entity, 0, at_ms + 1, CMD_TIMELINE_MAX, &l, e, sizeof e) != EV_OK) {
        state_free(s);
        memset(s, 0, sizeof *s);
        return pw_fail(err, errcap, "event store: %s", e);
    }
    for (size_t i = 0; i < l.n; i++)
        if (!strcmp(l.v[i].kind, KIND)) apply(s, &l.v[i]);
    ev_list_free(&l);
    return 0;
}

static int append(command *c, const cmd_incident *inc, json_t *body, int64_t now_ms, char *err,
                  size_t errcap) {
    char entity[EV_ENTITY_MAX + 1];
    snprintf(entity, sizeof entity, "incident:%s", inc->id);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) return pw_fail(err, errcap, "out of memory");
    ev_record r = {.ts_ms = now_ms,
                   .kind = KIND,
                   .enterprise = inc->enterprise,
                   .entities = {entity},
                   .n_entities = 1,
                   .body = text,
                   .body_len = strlen(text)};
    char e[200];
    ev_status st = ev_append(c->ev, &r, 1, NULL, e, sizeof e);
    if (st == EV_OK) st = ev_sync(c->ev, e, sizeof e);
    free(text);
    return st == EV_OK ? 0 : pw_fail(err, errcap, "event store: %s", e);
}

/* The steps of the plan at level as tasks {id, step, text, text_zh, team}. */
static json_t *tasks_at(const json_t *plan, int level) {
    json_t *out = json_array(), *s;
    size_t i;
    json_array_foreach(json_object_get(plan, "steps"), i, s) {
        json_t *lv = json_object_get(s, "levels"), *x;
        size_t j;
        bool on = !lv;
        json_array_foreach(lv, j, x) on |= json_integer_value(x) == level;
        if (!on) continue;
        json_array_append_new(
            out, json_pack("{s:O, s:O, s:O, s:O?, s:O?}", "id", json_object_get(s, "id"), "step",
                           json_object_get(s, "id"), "text", json_object_get(s, "text"), "text_zh",
                           json_object_get(s, "text_zh"), "team", json_object_get(s, "team")));
    }
    return out;
}

static bool user_ok(const char *user) {
    return user && *user && strlen(user) <= 64;
}

/* What a writer asks of the current command: NULL (with *code and err)
 * to refuse, else the event's body. */
typedef json_t *(*decide_fn)(command *c, const state *s, const void *arg, cmd_code *code, char *err,
                             size_t errcap);

/* One writer at a time: folds the incident's command, lets decide() judge
 * it and make the event, appends it durably. */
static int write_event(command *c, const cmd_incident *inc, decide_fn decide, const void *arg,
                       int64_t now_ms, cmd_code *code, char *err, size_t errcap) {
    cmd_code k = CMD_EINVAL;
    pthread_mutex_lock(&c->mu);
    state s;
    int rc = fold(c, inc, INT64_MAX - 1, &s, err, errcap);
    if (rc != 0)
        k = CMD_EIO;
    else {
        json_t *body = decide(c, &s, arg, &k, err, errcap);
        if (!body)
            rc = -1;
        else if ((rc = append(c, inc, body, now_ms, err, errcap)) != 0)
            k = CMD_EIO;
        else
            k = CMD_OK;
        state_free(&s);
    }
    pthread_mutex_unlock(&c->mu);
    if (code) *code = k;
    return rc;
}

static json_t *refuse(cmd_code *code, cmd_code v, char *err, size_t errcap, const char *fmt,
                      const char *a) {
    fail_code(code, v, err, errcap, fmt, a);
    return NULL;
}

typedef struct activation {
    const json_t *plan;
    int level;
    bool drill;
    const char *user;
} activation;

static json_t *decide_activate(command *c, const state *s, const void *arg, cmd_code *code,
                               char *err, size_t errcap) {
    (void)c;
    const activation *a = arg;
    if (s->active)
        return refuse(code, CMD_ECONFLICT, err, errcap, "plan %s is active already",
                      json_string_value(json_object_get(s->plan, "id")));
    const json_t *p = a->plan;
    return json_pack("{s:s, s:s, s:b, s:{s:O, s:O, s:O?}, s:i, s:o}", "action", "activate", "by",
                     a->user, "drill", a->drill, "plan", "id", json_object_get(p, "id"), "name",
                     json_object_get(p, "name"), "name_zh", json_object_get(p, "name_zh"), "level",
                     a->level, "tasks", tasks_at(p, a->level));
}

int command_activate(command *c, const cmd_incident *inc, const char *plan, int level, bool drill,
                     const char *user, int64_t now_ms, cmd_code *code, char *err, size_t errcap) {
    if (code) *code = CMD_EINVAL;
    if (!user_ok(user)) return pw_fail(err, errcap, "a user (1 to 64 bytes) is required");
    if (level < 0 || level > 4) return pw_fail(err, errcap, "level: 1 (gravest) to 4");
    const json_t *p = NULL;
    const char *why = "";
    if (plan) {
        p = cmd_plan_find(c, plan);
        if (!p) return fail_code(code, CMD_ENOTFOUND, err, errcap, "no plan \"%s\"", plan);
    } else {
        json_t *pr = command_propose(c, inc);
        const char *id = json_string_value(json_object_get(pr, "plan"));
        p = id ? cmd_plan_find(c, id) : NULL;
        json_decref(pr);
        if (!p) return fail_code(code, CMD_ENOTFOUND, err, errcap, "%s", "no plan applies");
    }
    activation a = {p, level ? level : cmd_plan_level(p, inc, &why), drill, user};
    return write_event(c, inc, decide_activate, &a, now_ms, code, err, errcap);
}

typedef struct level_change {
    int level;
    const char *reason, *user;
} level_change;

static json_t *decide_level(command *c, const state *s, const void *arg, cmd_code *code, char *err,
                            size_t errcap) {
    const level_change *l = arg;
    if (!s->active) return refuse(code, CMD_ECONFLICT, err, errcap, "%s", "no plan is active");
    if (l->level == s->level)
        return refuse(code, CMD_ECONFLICT, err, errcap, "%s", "the level is that already");
    const json_t *p = cmd_plan_find(c, json_string_value(json_object_get(s->plan, "id")));
    return json_pack("{s:s, s:s, s:b, s:i, s:s, s:o}", "action", "level", "by", l->user, "drill",
                     s->drill, "level", l->level, "reason", l->reason, "tasks",
                     p ? tasks_at(p, l->level) : json_array());
}

int command_set_level(command *c, const cmd_incident *inc, int level, const char *reason,
                      const char *user, int64_t now_ms, cmd_code *code, char *err, size_t errcap) {
    if (code) *code = CMD_EINVAL;
    if (!user_ok(user)) return pw_fail(err, errcap, "a user (1 to 64 bytes) is required");
    if (level < 1 || level > 4) return pw_fail(err, errcap, "level: 1 (gravest) to 4");
    if (!reason || !*reason || strlen(reason) > CMD_TEXT_MAX)
        return pw_fail(err, errcap, "reason: 1 to %d bytes", CMD_TEXT_MAX);
    level_change l = {level, reason, user};
    return write_event(c, inc, decide_level, &l, now_ms, code, err, errcap);
}

typedef struct task_change {
    const char *task, *state, *note, *user;
} task_change;

static json_t *decide_task(command *c, const state *s, const void *arg, cmd_code *code, char *err,
                           size_t errcap) {
    (void)c;
    const task_change *t = arg;
    json_t *task = task_of((state *)s, t->task);
    const char *now = task ? json_string_value(json_object_get(task, "state")) : NULL;
    if (!task) return refuse(code, CMD_ENOTFOUND, err, errcap, "no task \"%s\"", t->task);
    if (!strcmp(now, "done") || !strcmp(now, "skipped") ||
        (!strcmp(t->state, "acknowledged") && strcmp(now, "open")))
        return refuse(code, CMD_ECONFLICT, err, errcap, "the task is %s", now);
    return json_pack("{s:s, s:s, s:b, s:s, s:s, s:s?}", "action", "task", "by", t->user, "drill",
                     s->drill, "task", t->task, "state", t->state, "note",
                     t->note && *t->note ? t->note : NULL);
}

int command_task(command *c, const cmd_incident *inc, const char *task, const char *st,
                 const char *note, const char *user, int64_t now_ms, cmd_code *code, char *err,
                 size_t errcap) {
    if (code) *code = CMD_EINVAL;
    if (!user_ok(user)) return pw_fail(err, errcap, "a user (1 to 64 bytes) is required");
    if (!st || (strcmp(st, "acknowledged") && strcmp(st, "done") && strcmp(st, "skipped")))
        return pw_fail(err, errcap, "state: acknowledged, done or skipped");
    if (note && strlen(note) > CMD_TEXT_MAX)
        return pw_fail(err, errcap, "note: at most %d bytes", CMD_TEXT_MAX);
    if (!strcmp(st, "skipped") && (!note || !*note))
        return pw_fail(err, errcap, "a skipped task needs a note saying why");
    if (!task || !*task) return pw_fail(err, errcap, "task: required");
    task_change t = {task, st, note, user};
    return write_event(c, inc, decide_task, &t, now_ms, code, err, errcap);
}

typedef struct log_line {
    const char *kind, *text, *user;
    const json_t *data;
} log_line;

static json_t *decide_log(command *c, const state *s, const void *arg, cmd_code *code, char *err,
                          size_t errcap) {
    (void)c, (void)code, (void)err, (void)errcap;
    const log_line *l = arg;
    json_t *body = json_pack("{s:s, s:s, s:b, s:s, s:s}", "action", "log", "by", l->user, "drill",
                             s->drill, "kind", l->kind, "text", l->text);
    if (body && l->data) json_object_set_new(body, "data", json_deep_copy(l->data));
    return body;
}

int command_log(command *c, const cmd_incident *inc, const char *kind, const char *text,
                const json_t *data, const char *user, int64_t now_ms, cmd_code *code, char *err,
                size_t errcap) {
    if (code) *code = CMD_EINVAL;
    if (!user_ok(user)) return pw_fail(err, errcap, "a user (1 to 64 bytes) is required");
    if (!kind || (strcmp(kind, "message") && strcmp(kind, "decision") && strcmp(kind, "model_run")))
        return pw_fail(err, errcap, "kind: message, decision or model_run");
    if (!text || !*text || strlen(text) > CMD_TEXT_MAX)
        return pw_fail(err, errcap, "text: 1 to %d bytes", CMD_TEXT_MAX);
    if (data && !json_is_object(data)) return pw_fail(err, errcap, "data: a JSON object");
    log_line l = {kind, text, user, data};
    return write_event(c, inc, decide_log, &l, now_ms, code, err, errcap);
}

int command_view(command *c, const cmd_incident *inc, int64_t at_ms, json_t **out, char *err,
                 size_t errcap) {
    *out = NULL;
    state s;
    if (fold(c, inc, at_ms > 0 ? at_ms : INT64_MAX - 1, &s, err, errcap) != 0) return -1;
    long n[4] = {0};
    static const char *const names[4] = {"open", "acknowledged", "done", "skipped"};
    size_t i;
    json_t *t;
    json_array_foreach(s.tasks, i, t) {
        const char *st = json_string_value(json_object_get(t, "state"));
        for (int k = 0; k < 4; k++)
            if (st && !strcmp(st, names[k])) n[k]++;
    }
    json_t *o = json_pack("{s:s, s:b, s:b, s:O?, s:o, s:o, s:{s:i, s:i, s:i, s:i}}", "incident",
                          inc->id, "active", s.active, "drill", s.drill, "plan", s.plan, "level",
                          s.level ? json_integer(s.level) : json_null(), "tasks",
                          json_incref(s.tasks), "counts", names[0], (int)n[0], names[1], (int)n[1],
                          names[2], (int)n[2], names[3], (int)n[3]);
    json_object_set(o, "timeline", s.timeline);
    if (!json_object_get(o, "plan")) json_object_set_new(o, "plan", json_null());
    state_free(&s);
    *out = o;
    return o ? 0 : pw_fail(err, errcap, "out of memory");
}
