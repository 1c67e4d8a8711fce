/*
 * resources.c - the response's resources and their status (command.h):
 * the layout's resource features, each status change an event of the
 * store, the status at a time its state there.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command/internal.h"
#include "common/errmsg.h"

#define KIND "resource"

static bool is_resource(const geo_layout *g, const char *id, long *index) {
    *index = id ? geo_find(g, id) : -1;
    return *index >= 0 && geo_get(g, (size_t)*index)->kind == GEO_RESOURCE;
}

int command_resource_set(command *c, const geo_layout *g, const char *id, const char *status,
                         double available, const char *incident, const char *note, const char *user,
                         int64_t now_ms, cmd_code *code, char *err, size_t errcap) {
    if (code) *code = CMD_EINVAL;
    long idx;
    if (!g || !is_resource(g, id, &idx)) {
        if (code) *code = CMD_ENOTFOUND;
        return pw_fail(err, errcap, "no resource \"%s\" in the layout", id ? id : "");
    }
    if (!user || !*user || strlen(user) > 64)
        return pw_fail(err, errcap, "a user (1 to 64 bytes) is required");
    if (!status || (strcmp(status, "available") && strcmp(status, "deployed") &&
                    strcmp(status, "out_of_service")))
        return pw_fail(err, errcap, "status: available, deployed or out_of_service");
    double qty = geo_prop_num(g, (size_t)idx, "quantity", 1);
    if (isnan(available)) available = strcmp(status, "available") ? 0 : qty;
    if (!isfinite(available) || available < 0 || available > qty)
        return pw_fail(err, errcap, "available: 0 to the resource's quantity (%g)", qty);
    bool deployed = !strcmp(status, "deployed");
    if (deployed && (!incident || !*incident || strlen(incident) > 31))
        return pw_fail(err, errcap, "incident: the incident it is deployed to");
    if (note && strlen(note) > CMD_TEXT_MAX)
        return pw_fail(err, errcap, "note: at most %d bytes", CMD_TEXT_MAX);
    json_t *body = json_pack("{s:s, s:s, s:f, s:s?, s:s?, s:s}", "id", id, "status", status,
                             "available", available, "incident", deployed ? incident : NULL, "note",
                             note && *note ? note : NULL, "by", user);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) return pw_fail(err, errcap, "out of memory");
    char entity[EV_ENTITY_MAX + 1];
    snprintf(entity, sizeof entity, "resource:%s", id);
    const geo_feature *f = geo_get(g, (size_t)idx);
    ev_record r = {.ts_ms = now_ms,
                   .kind = KIND,
                   .enterprise = f->enterprise,
                   .entities = {entity},
                   .n_entities = 1,
                   .body = text,
                   .body_len = strlen(text),
                   .state_of_first = true};
    char e[200];
    pthread_mutex_lock(&c->mu);
    ev_status st = ev_append(c->ev, &r, 1, NULL, e, sizeof e);
    if (st == EV_OK) st = ev_sync(c->ev, e, sizeof e);
    pthread_mutex_unlock(&c->mu);
    free(text);
    if (st != EV_OK) {
        if (code) *code = CMD_EIO;
        return pw_fail(err, errcap, "event store: %s", e);
    }
    if (code) *code = CMD_OK;
    return 0;
}

json_t *command_resources(command *c, const geo_layout *g, int64_t at_ms, char *err,
                          size_t errcap) {
    ev_list l = {0};
    char e[200];
    if (ev_state_at(c->ev, "resource:", at_ms > 0 ? at_ms : INT64_MAX - 1, NULL, 0, &l, e,
                    sizeof e) != EV_OK) {
        pw_fail(err, errcap, "event store: %s", e);
        return NULL;
    }
    json_t *list = json_array();
    for (size_t i = 0; g && i < geo_count_all(g); i++) {
        const geo_feature *f = geo_get(g, i);
        if (f->kind != GEO_RESOURCE) continue;
        double qty = geo_prop_num(g, i, "quantity", 1);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:f, s:f}", "id", f->id, "name",
                              f->name, "name_zh", f->name_zh, "resource_type",
                              geo_prop_str(g, i, "resource_type"), "quantity", qty, "unit",
                              geo_prop_str(g, i, "unit"), "enterprise", f->enterprise, "lon",
                              round(f->lon * 1e7) / 1e7, "lat", round(f->lat * 1e7) / 1e7);
        json_t *last = NULL;
        int64_t ts = 0;
        char entity[EV_ENTITY_MAX + 1];
        snprintf(entity, sizeof entity, "resource:%s", f->id);
        for (size_t k = 0; k < l.n && !last; k++)
            if (l.v[k].n_entities && !strcmp(l.v[k].entities[0], entity)) {
                last = json_loadb(l.v[k].body, l.v[k].body_len, 0, NULL);
                ts = l.v[k].ts_ms;
            }
        json_object_set_new(o, "status",
                            last ? json_incref(json_object_get(last, "status"))
                                 : json_string("available"));
        json_t *av = last ? json_object_get(last, "available") : NULL;
        json_object_set_new(o, "available", av ? json_incref(av) : json_real(qty));
        const char *keys[] = {"incident", "note", "by"};
        for (int k = 0; k < 3; k++) {
            json_t *x = last ? json_object_get(last, keys[k]) : NULL;
            json_object_set_new(o, keys[k], x ? json_incref(x) : json_null());
        }
        json_object_set_new(o, "at", last ? json_integer(ts) : json_null());
        json_decref(last);
        json_array_append_new(list, o);
    }
    ev_list_free(&l);
    return json_pack("{s:o}", "resources", list);
}
