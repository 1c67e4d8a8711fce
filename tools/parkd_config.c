/*
 * parkd_config.c - parkd's JSON configuration (parkd_config.h): defaults,
 * loading, checks. Prints nothing: every problem is an error message.
 */
#include "tools/parkd_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS ((int64_t)86400000)

static int fail(char *err, size_t errcap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *jstr(json_t *o, const char *key, const char *dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* An integer option of section sect: dflt when absent, else an integer in
 * lo..hi. Checked before any cast or multiplication, so nothing wraps. */
static int opt_int(json_t *o, const char *sect, const char *key, long long lo, long long hi,
                   const char *unit, long long dflt, long long *out, char *err, size_t errcap) {
    json_t *v = json_object_get(o, key);
    *out = dflt;
    if (!v) return 0;
    if (!json_is_integer(v))
        return fail(err, errcap, "%s%s must be an integer (%lld to %lld%s%s)", sect, key, lo, hi,
                    unit[0] ? " " : "", unit);
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(err, errcap, "%s%s must be %lld to %lld%s%s", sect, key, lo, hi,
                    unit[0] ? " " : "", unit);
    *out = x;
    return 0;
}

/* A path from the config: relative ones are relative to the config's
 * directory. NULL when f is NULL; *too_long set when it does not fit. */
static const char *config_path_of(const char *config, const char *f, char *out, size_t cap,
                                  bool *too_long) {
    const char *slash = strrchr(config, '/');
    int n;
    if (!f) return NULL;
    if (f[0] == '/' || !slash)
        n = snprintf(out, cap, "%s", f);
    else
        n = snprintf(out, cap, "%.*s/%s", (int)(slash - config), config, f);
    if (too_long && (n < 0 || (size_t)n >= cap)) *too_long = true;
    return out;
}

/* A file holding a secret (a password, a private key) must be private to
 * its owner: refused when group or others have any access to it. */
static int check_private(const struct stat *st, const char *path, const char *what, char *err,
                         size_t errcap) {
    if (!(st->st_mode & 077)) return 0;
    return fail(err, errcap,
                "%s (%s): group or others have access to it (mode %03o); it must be private to "
                "its owner: chmod 600 %s",
                path, what, (unsigned)(st->st_mode & 0777), path);
}

/* broker.password_file: the password is its first line. */
static int read_password_file(const char *path, char *out, size_t cap, char *err, size_t errcap) {
    FILE *f = fopen(path, "r");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        int e = errno;
        if (f) fclose(f);
        return fail(err, errcap, "broker.password_file %s: %s", path, strerror(e));
    }
    if (check_private(&st, path, "broker.password_file", err, errcap) != 0) {
        fclose(f);
        return -1;
    }
    if (!fgets(out, (int)cap, f)) out[0] = 0;
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
    if (!out[0])
        return fail(err, errcap, "broker.password_file %s: empty (the password is its first line)",
                    path);
    return 0;
}

/* The broker's credentials and TLS files (README, "parkd configuration"):
 * a config holding the password inline, the password file and the TLS key
 * must not be readable by group or others. */
static int load_broker_security(const char *path, json_t *b, parkd_config *c, char *err,
                                size_t errcap) {
    struct stat st;
    json_t *pw = json_object_get(b, "password");
    const char *pw_file = jstr(b, "password_file", NULL);
    c->svc.username = jstr(b, "username", NULL);
    if (pw && pw_file)
        return fail(err, errcap, "broker: give either \"password\" or \"password_file\", not both");
    if ((pw || pw_file) && !c->svc.username)
        return fail(err, errcap, "broker: a password needs a \"username\"");
    if (pw) {
        if (!json_is_string(pw)) return fail(err, errcap, "broker.password must be a string");
        if (stat(path, &st) != 0) return fail(err, errcap, "%s: %s", path, strerror(errno));
        if (check_private(&st, path, "the config, holding broker.password", err, errcap) != 0)
            return -1;
        c->svc.password = json_string_value(pw);
    } else if (pw_file) {
        config_path_of(path, pw_file, c->password_file, sizeof c->password_file, NULL);
        if (read_password_file(c->password_file, c->password, sizeof c->password, err, errcap) != 0)
            return -1;
        c->svc.password = c->password;
    }
    c->svc.cafile =
        config_path_of(path, jstr(b, "cafile", NULL), c->cafile, sizeof c->cafile, NULL);
    c->svc.certfile =
        config_path_of(path, jstr(b, "certfile", NULL), c->certfile, sizeof c->certfile, NULL);
    c->svc.keyfile =
        config_path_of(path, jstr(b, "keyfile", NULL), c->keyfile, sizeof c->keyfile, NULL);
    if ((!c->svc.certfile != !c->svc.keyfile) || (c->svc.certfile && !c->svc.cafile))
        return fail(err, errcap,
                    "broker: \"certfile\" and \"keyfile\" go together, and with \"cafile\" (TLS)");
    const char *files[] = {c->svc.cafile, c->svc.certfile, c->svc.keyfile};
    const char *names[] = {"broker.cafile", "broker.certfile", "broker.keyfile"};
    for (int i = 0; i < 3; i++) {
        if (!files[i]) continue;
        if (stat(files[i], &st) != 0 || access(files[i], R_OK) != 0)
            return fail(err, errcap, "%s %s: %s", names[i], files[i], strerror(errno));
        if (i == 2 && check_private(&st, files[i], names[i], err, errcap) != 0) return -1;
    }
    return 0;
}

static int load_broker(const char *path, json_t *b, parkd_config *c, char *err, size_t errcap) {
    long long v;
    c->svc.host = jstr(b, "host", "127.0.0.1");
    if (opt_int(b, "broker.", "port", 1, 65535, "", 1883, &v, err, errcap) != 0) return -1;
    c->svc.port = (int)v;
    c->svc.client_id = jstr(b, "client_id", "parkd");
    if (load_broker_security(path, b, c, err, errcap) != 0) return -1;
    /* libmosquitto refuses a keepalive under 5 s; MQTT's field is 16 bits */
    if (opt_int(b, "broker.", "keepalive_s", 5, 65535, "s", 30, &v, err, errcap) != 0) return -1;
    c->svc.keepalive_s = (int)v;
    return 0;
}

static int load_ingest(json_t *in, parkd_config *c, char *err, size_t errcap) {
    const char *ack = jstr(in, "ack_after", "write");
    if (strcmp(ack, "write") && strcmp(ack, "fsync"))
        return fail(err, errcap, "ingest.ack_after must be \"write\" or \"fsync\"");
    c->svc.ack_after_fsync = !strcmp(ack, "fsync");
    json_t *gc = json_object_get(in, "group_commit");
    if (gc && !json_is_boolean(gc)) return fail(err, errcap, "ingest.group_commit: true or false");
    c->svc.group_commit = !gc || json_is_true(gc); /* HTTP writers answered at one fdatasync */
    long long v;
    if (opt_int(in, "ingest.", "sync_interval_ms", 1, 60000, "ms", 50, &v, err, errcap) != 0)
        return -1;
    c->svc.sync_interval_ms = (int)v;
    if (opt_int(in, "ingest.", "max_backlog_bytes", 1, 1ll << 40, "bytes", 256ll << 20, &v, err,
                errcap) != 0)
        return -1;
    c->svc.max_backlog_bytes = (size_t)v;
    if (opt_int(in, "ingest.", "max_payload_bytes", 1, 256ll << 20, "bytes", 1 << 20, &v, err,
                errcap) != 0)
        return -1;
    c->svc.pipeline.max_payload_bytes = (size_t)v;
    if (opt_int(in, "ingest.", "max_series_per_enterprise", 1, 10000000, "", 10000, &v, err,
                errcap) != 0)
        return -1;
    c->svc.pipeline.max_series_per_enterprise = (size_t)v;
    if (opt_int(in, "ingest.", "dead_letters", 1, 100000, "", 100, &v, err, errcap) != 0) return -1;
    c->svc.pipeline.dead_letter_capacity = (size_t)v;
    if (opt_int(in, "ingest.", "max_future_ms", 1, 366 * DAY_MS, "ms", DAY_MS, &v, err, errcap) !=
        0)
        return -1;
    c->svc.pipeline.max_future_ms = v;
    if (opt_int(in, "ingest.", "quiet_checkpoint_ms", 0, 3600000, "ms", 3000, &v, err, errcap) != 0)
        return -1;
    c->svc.quiet_checkpoint_ms = (int)v; /* idle: head compressed, logs let go; 0 never */
    return 0;
}

static int load_historian(json_t *h, parkd_config *c, char *err, size_t errcap) {
    hist_options_default(&c->hist);
    c->hist.sync = HIST_SYNC_NONE; /* the spool holds everything until hist_sync */
    /* days within 0..36,500 (a century): no overflow into a negative retention */
    const char *rk[3] = {"retention_raw_days", "retention_1m_days", "retention_1h_days"};
    int64_t *rv[3] = {&c->hist.retention_raw_ms, &c->hist.retention_1m_ms,
                      &c->hist.retention_1h_ms};
    for (int k = 0; k < 3; k++) {
        long long d;
        if (opt_int(h, "historian.", rk[k], 0, 36500, "days", 0, &d, err, errcap) != 0) return -1;
        *rv[k] = d * DAY_MS;
    }
    return 0;
}

/* The park layout's files: checked at start by parkd, so a bad file is
 * found before the command centre needs the map. */
static int load_layout(const char *path, json_t *lay, parkd_config *c, char *err, size_t errcap) {
    json_t *files = json_object_get(lay, "files");
    c->geo.source_crs = jstr(lay, "source_crs", NULL);
    c->geo.metric_crs = jstr(lay, "metric_crs", NULL);
    size_t fi;
    json_t *fv;
    json_array_foreach(files, fi, fv) {
        if (!json_is_string(fv) || c->n_layout == PARKD_MAX_LAYOUT)
            return fail(err, errcap, "layout.files must be up to 16 file names");
        bool too_long = false;
        config_path_of(path, json_string_value(fv), c->layout[c->n_layout], sizeof c->layout[0],
                       &too_long);
        if (too_long) return fail(err, errcap, "layout.files[%zu]: the path is too long", fi);
        c->n_layout++;
    }
    return 0;
}

static int load_enterprises(json_t *es, parkd_config *c, char *err, size_t errcap) {
    if (!json_is_array(es) || json_array_size(es) == 0)
        return fail(err, errcap, "the config needs an \"enterprises\" array");
    size_t i;
    json_t *e;
    json_array_foreach(es, i, e) {
        if (c->n_ents == PARKD_MAX_ENTERPRISES) return fail(err, errcap, "too many enterprises");
        ingest_enterprise *x = &c->ents[c->n_ents++];
        x->id = jstr(e, "id", NULL);
        if (!x->id) return fail(err, errcap, "enterprise %zu has no \"id\"", i);
        c->ent_names[c->n_ents - 1] =
            (api_enterprise){x->id, jstr(e, "name", ""), jstr(e, "name_zh", "")};
        if (ingest_format_parse(jstr(e, "format", "auto"), &x->format) != 0)
            return fail(err, errcap,
                        "enterprise %s: format must be auto, json, neuron or lineproto", x->id);
        char sect[96];
        snprintf(sect, sizeof sect, "enterprises[%zu].", i);
        long long v;
        if (opt_int(e, sect, "max_series", 0, 10000000, "", 0, &v, err, errcap) != 0) return -1;
        x->max_series = (size_t)v;
        if (opt_int(e, sect, "interval_ms", 0, DAY_MS, "ms", 0, &v, err, errcap) != 0) return -1;
        x->interval_ms = v;
        /* line protocol over MQTT: ms unless the enterprise says otherwise */
        const char *prec = jstr(e, "lp_precision", NULL);
        ingest_lp_precision p;
        if (prec && ingest_lp_precision_parse(prec, &p) != 0)
            return fail(err, errcap, "enterprise %s: lp_precision must be ns, u, ms, s, m or h",
                        x->id);
        x->lp_precision = prec ? (int)p + 1 : 0;
    }
    c->svc.pipeline.enterprises = c->ents;
    c->svc.pipeline.n_enterprises = c->n_ents;
    return 0;
}

/* "alarms": the margin and webhook, and the integer fields of the rules
 * (their series, kind, limit and pairing are checked as they are set up). */
static int load_alarms(json_t *a, parkd_config *c, char *err, size_t errcap) {
    long long v;
    if (opt_int(a, "alarms.", "hazard_margin_m", 0, 10000, "m", 50, &v, err, errcap) != 0)
        return -1;
    c->hazard_margin_m = (double)v;
    c->webhook = jstr(a, "webhook", NULL);
    json_t *dv = json_object_get(a, "derive");
    if (dv && !json_is_boolean(dv)) return fail(err, errcap, "alarms.derive must be true or false");
    c->derive_rules = !dv || json_is_true(dv);
    c->alarm_rules = json_object_get(a, "rules");
    if (c->alarm_rules && !json_is_array(c->alarm_rules))
        return fail(err, errcap, "alarms.rules must be an array");
    size_t k;
    json_t *r;
    json_array_foreach(c->alarm_rules, k, r) {
        char sect[64];
        snprintf(sect, sizeof sect, "alarms.rules[%zu].", k);
        if (opt_int(r, sect, "on_delay_ms", 0, DAY_MS, "ms", 0, &v, err, errcap) != 0 ||
            opt_int(r, sect, "off_delay_ms", 0, DAY_MS, "ms", 0, &v, err, errcap) != 0 ||
            opt_int(r, sect, "priority", 1, 4, "", 2, &v, err, errcap) != 0)
            return -1;
    }
    return 0;
}

/* "health": the stuck models' history, drift's neighbourhood and window,
 * the online period (health/health.h). */
static int load_health(json_t *hc, parkd_config *c, char *err, size_t errcap) {
    health_options *o = &c->health;
    health_options_default(o);
    long long v;
    if (opt_int(hc, "health.", "learn_history_days", 1, 366, "days", o->learn_history_ms / DAY_MS,
                &v, err, errcap) != 0)
        return -1;
    o->learn_history_ms = v * DAY_MS;
    if (opt_int(hc, "health.", "relearn_hours", 1, 8784, "h", o->relearn_every_ms / 3600000, &v,
                err, errcap) != 0)
        return -1;
    o->relearn_every_ms = v * 3600000;
    if (opt_int(hc, "health.", "learn_min_history_s", 60, 31622400, "s",
                o->learn_min_history_ms / 1000, &v, err, errcap) != 0)
        return -1;
    o->learn_min_history_ms = v * 1000;
    if (opt_int(hc, "health.", "drift_radius_m", 1, 10000, "m", (long long)o->drift_radius_m, &v,
                err, errcap) != 0)
        return -1;
    o->drift_radius_m = (double)v;
    if (opt_int(hc, "health.", "drift_window_s", 60, 86400, "s", o->drift_window_ms / 1000, &v, err,
                errcap) != 0)
        return -1;
    o->drift_window_ms = v * 1000;
    if (opt_int(hc, "health.", "online_s", 1, 86400, "s", o->stale_ms / 1000, &v, err, errcap) != 0)
        return -1;
    o->stale_ms = v * 1000;
    return 0;
}

static int load_views(json_t *vc, parkd_config *c, char *err, size_t errcap) {
    views_options_default(&c->views);
    long long v;
    if (opt_int(vc, "views.", "utc_offset_min", -720, 840, "min", c->views.utc_offset_min, &v, err,
                errcap) != 0)
        return -1;
    c->views.utc_offset_min = (int)v;
    if (opt_int(vc, "views.", "auto_incident_detectors", 0, 10000, "", c->views.auto_min_detectors,
                &v, err, errcap) != 0)
        return -1;
    c->views.auto_min_detectors = (int)v;
    if (opt_int(vc, "views.", "auto_incident_window_ms", 1, DAY_MS, "ms", c->views.auto_window_ms,
                &v, err, errcap) != 0)
        return -1;
    c->views.auto_window_ms = v;
    /* dispersion (issue 22): the park's terrain and the sigma set */
    static const char *const terrains[] = {"rural", "urban"};
    static const char *const sets[] = {"briggs", "pasquill_gifford", "isc3"};
    const json_t *t = json_object_get(vc, "terrain"), *sg = json_object_get(vc, "sigmas");
    int k = -1;
    for (int i = 0; t && i < 2; i++)
        if (json_is_string(t) && !strcmp(json_string_value(t), terrains[i])) k = i;
    if (t && k < 0) return fail(err, errcap, "views.terrain: \"rural\" or \"urban\"");
    c->views.urban = k == 1;
    k = -1;
    for (int i = 0; sg && i < 3; i++)
        if (json_is_string(sg) && !strcmp(json_string_value(sg), sets[i])) k = i;
    if (sg && k < 0)
        return fail(err, errcap, "views.sigmas: \"briggs\", \"pasquill_gifford\" or \"isc3\"");
    c->views.sigma_set = sg ? k : 0;
    return 0;
}

static int load_api(json_t *cfg, parkd_config *c, char *err, size_t errcap) {
    api_options *o = &c->api;
    api_options_default(o);
    c->has_api = cfg != NULL;
    if (!cfg) return 0;
    o->listen = jstr(cfg, "listen", o->listen);
    o->allow_remote_http = json_is_true(json_object_get(cfg, "allow_remote_http"));
    o->tls_cert = jstr(cfg, "tls_cert", NULL);
    o->tls_key = jstr(cfg, "tls_key", NULL);
    o->token_file = jstr(cfg, "token_file", NULL);
    o->audit_log = jstr(cfg, "audit_log", NULL);
    o->static_dir = jstr(cfg, "static_dir", NULL);
    long long v;
    if (opt_int(cfg, "api.", "threads", 1, 64, "", 2, &v, err, errcap) != 0) return -1;
    o->threads = (unsigned)v;
    if (opt_int(cfg, "api.", "max_points", 1, 100000000, "", (long long)o->max_points, &v, err,
                errcap) != 0)
        return -1;
    o->max_points = (size_t)v;
    if (opt_int(cfg, "api.", "max_span_days", 1, 36500, "", o->max_span_ms / DAY_MS, &v, err,
                errcap) != 0)
        return -1;
    o->max_span_ms = v * DAY_MS;
    if (opt_int(cfg, "api.", "max_body_bytes", 1, 1ll << 30, "bytes", (long long)o->max_body_bytes,
                &v, err, errcap) != 0)
        return -1;
    o->max_body_bytes = (size_t)v;
    /* gzip bodies of /write: at most this many bytes once inflated */
    if (opt_int(cfg, "api.", "decompress_ratio", 1, 1000, "", (long long)o->decompress_ratio, &v,
                err, errcap) != 0)
        return -1;
    o->decompress_ratio = (unsigned)v;
    if (opt_int(cfg, "api.", "max_decompressed_bytes", 0, 1ll << 30, "bytes",
                (long long)o->max_decompressed_bytes, &v, err, errcap) != 0)
        return -1;
    o->max_decompressed_bytes = (size_t)v;
    if (opt_int(cfg, "api.", "max_streams", 1, 100000, "", (long long)o->max_streams, &v, err,
                errcap) != 0)
        return -1;
    o->max_streams = (size_t)v;
    if (opt_int(cfg, "api.", "max_streams_per_token", 1, 100000, "",
                (long long)o->max_streams_per_token, &v, err, errcap) != 0)
        return -1;
    o->max_streams_per_token = (size_t)v;
    if (opt_int(cfg, "api.", "streams_reserved", 0, 100000, "", (long long)o->streams_reserved, &v,
                err, errcap) != 0)
        return -1;
    o->streams_reserved = (size_t)v;
    if (opt_int(cfg, "api.", "head_timeout_s", 1, 3600, "s", o->head_timeout_ms / 1000, &v, err,
                errcap) != 0)
        return -1;
    o->head_timeout_ms = v * 1000;
    json_t *rl = json_object_get(cfg, "rate_limit_per_s");
    o->rate_limit_per_s = json_is_number(rl) ? json_number_value(rl) : 0;
    return 0;
}

int parkd_config_load(const char *path, parkd_config *c, char *err, size_t errcap) {
    json_error_t je;
    c->root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!c->root || !json_is_object(c->root))
        return fail(err, errcap, "%s:%d: %s", path, je.line,
                    c->root ? "the config must be a JSON object" : je.text);
    json_t *r = c->root;
    c->data_dir = jstr(r, "data_dir", "/var/lib/parkwatch");
    c->stats_file = jstr(r, "stats_file", NULL);
    bool too_long = false;
    if (!config_path_of(path, jstr(r, "backup_dir", NULL), c->backup_dir, sizeof c->backup_dir,
                        &too_long))
        c->backup_dir[0] = 0;
    if (too_long) return fail(err, errcap, "backup_dir: the path is too long");
    ingest_options_default(&c->svc.pipeline);
    if (load_broker(path, json_object_get(r, "broker"), c, err, errcap) != 0 ||
        load_ingest(json_object_get(r, "ingest"), c, err, errcap) != 0 ||
        load_historian(json_object_get(r, "historian"), c, err, errcap) != 0 ||
        load_layout(path, json_object_get(r, "layout"), c, err, errcap) != 0 ||
        load_enterprises(json_object_get(r, "enterprises"), c, err, errcap) != 0 ||
        load_alarms(json_object_get(r, "alarms"), c, err, errcap) != 0 ||
        load_views(json_object_get(r, "views"), c, err, errcap) != 0 ||
        load_health(json_object_get(r, "health"), c, err, errcap) != 0 ||
        load_api(json_object_get(r, "api"), c, err, errcap) != 0)
        return -1;
    /* the park's people (people/: hazard assignees, rosters, handover) and
     * the hidden-hazard register (hazards/) */
    json_t *ppl = json_object_get(r, "people"), *hz = json_object_get(r, "hazards");
    char perr[256];
    if (ppl && !json_is_array(ppl)) return fail(err, errcap, "people must be an array");
    if (people_load(ppl, &c->people, perr, sizeof perr) != 0)
        return fail(err, errcap, "people: %s", perr);
    if (hz && !json_is_object(hz)) return fail(err, errcap, "hazards must be an object");
    long long max_attach;
    if (opt_int(hz, "hazards.", "max_attachment_bytes", 1, 1LL << 30, "bytes", 10LL << 20,
                &max_attach, err, errcap) != 0)
        return -1;
    c->hazard_max_attachment_bytes = (size_t)max_attach;
    c->limits = json_object_get(r, "limits");
    if (c->limits && !json_is_object(c->limits))
        return fail(err, errcap, "limits must be an object (see the README, \"Limits\")");
    c->units = json_object_get(r, "units");
    const char *key;
    json_t *v;
    if (c->units && !json_is_object(c->units))
        return fail(err, errcap, "units must be an object {\"series or *suffix\": \"unit\"}");
    json_object_foreach(c->units, key, v) {
        if (!json_is_string(v) || strlen(json_string_value(v)) >= 32)
            return fail(err, errcap, "units.%s: a unit is a string of at most 31 bytes", key);
    }
    /* notification (notify/): the object is checked whole by notify_open */
    c->notify = json_object_get(r, "notify");
    if (c->notify && !json_is_object(c->notify))
        return fail(err, errcap, "notify: must be an object");
    return 0;
}

void parkd_config_free(parkd_config *c) {
    if (!c) return;
    json_decref(c->root);
    c->root = NULL;
    people_free(c->people); /* the park's directory (people/) */
    c->people = NULL;
}
