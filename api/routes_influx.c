/*
 * routes_influx.c - InfluxDB 1.x compatibility: POST /write, GET and POST
 * /query (only what writers send at start), GET /ping.
 *
 * Telegraf's outputs.influxdb, Node-RED and any line protocol writer point
 * at parkd as at an InfluxDB 1.8. A write takes the road of POST
 * /api/v1/ingest (parkd's submit: spool, pipeline, commit), so names,
 * limits, per-reason rejection counts and durability are the same; only
 * the answers are InfluxDB's: 204, or {"error": "..."} with its codes and
 * words (Telegraf reads "partial write", "unable to parse" and "database
 * not found" out of them to decide between dropping and retrying).
 *
 * Which enterprise: an enterprise token writes its own, whatever db= says
 * unless db= names another enterprise (403). An admin token writes the
 * enterprise db= names (404 "database not found" when none is configured
 * by that name); without db= each line goes to the enterprise its
 * enterprise= tag names (a batch of a whole park, as VictoriaMetrics takes
 * it; a line naming none or an unknown one is rejected as a bad line).
 * rp= is accepted and ignored (retention is parkd's).
 */
#include "api/internal.h"

#include <zlib.h>

bool api_precision_ok(const char *p) {
    static const char *const names[] = {"ns", "n", "u", "us", "ms", "s", "m", "h"};
    for (size_t i = 0; p && i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(p, names[i])) return true;
    return false;
}

/* ---- gzip bodies ---- */

enum { INFLATE_OK = 0, INFLATE_TOO_BIG = 413, INFLATE_BAD = 400 };

/* Inflates a gzip body (several members, as gzip -c a b > c makes, too)
 * into *out (malloc'd, NUL-terminated), never past cap bytes: a bomb costs
 * cap bytes of memory and a 413, nothing more. */
static int inflate_body(const char *in, size_t len, size_t cap, char **out, size_t *out_n) {
    *out = NULL, *out_n = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return INFLATE_BAD;
    size_t have = 0, size = len <= cap / 4 ? len * 4 : cap;
    if (size < 4096) size = cap < 4096 ? cap : 4096;
    char *buf = malloc(size + 1);
    int rc = buf ? INFLATE_OK : INFLATE_TOO_BIG;
    z.next_in = (Bytef *)in;
    size_t left = len; /* avail_in is 32 bits: fed in slices */
    while (rc == INFLATE_OK) {
        if (!z.avail_in && left) {
            z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
            left -= z.avail_in;
        }
        if (have == size) {
            if (size == cap) { /* one byte more than allowed: refused */
                rc = INFLATE_TOO_BIG;
                break;
            }
            size_t ns = size > cap / 2 ? cap : size * 2;
            char *nb = realloc(buf, ns + 1);
            if (!nb) {
                rc = INFLATE_TOO_BIG;
                break;
            }
            buf = nb, size = ns;
        }
        size_t room = size - have;
        z.next_out = (Bytef *)buf + have;
        z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
        uInt before = z.avail_out;
        int zr = inflate(&z, Z_NO_FLUSH);
        have += before - z.avail_out;
        if (zr == Z_STREAM_END) {
            if (!z.avail_in && !left) break;
            if (inflateReset(&z) != Z_OK) rc = INFLATE_BAD; /* the next member */
        } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = INFLATE_BAD;
        } else if (zr == Z_BUF_ERROR && z.avail_out && !z.avail_in && !left) {
            rc = INFLATE_BAD; /* the input ended inside the stream */
        }
    }
    inflateEnd(&z);
    if (rc != INFLATE_OK) {
        free(buf);
        return rc;
    }
    buf[have] = 0;
    *out = buf, *out_n = have;
    return INFLATE_OK;
}

/* ---- which enterprise ---- */

/* Whether id is an enterprise parkd knows; true when parkd did not say
 * (the pipeline then answers unknown_enterprise itself). */
static bool enterprise_known(api_server *s, const char *id) {
    api_ingest *in = &s->o.ingest;
    if (!in->enterprises) return true;
    json_t *a = in->enterprises(in->ctx);
    bool known = false;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (json_is_string(v) && !strcmp(json_string_value(v), id)) known = true;
    }
    json_decref(a);
    return known;
}

/* Whether an enterprise token names, in db, another enterprise (403): a db=
 * that is no enterprise ("telegraf", Telegraf's default) changes nothing. */
static bool foreign_db(req *r, const char *db) {
    return r->tok.role == API_ROLE_ENTERPRISE && db && strcmp(db, r->tok.enterprise) &&
           enterprise_known(r->srv, db);
}

/* The enterprise a write goes to, or the error sent. */
static int influx_enterprise(req *r, struct MHD_Connection *c, const char *db, const char **ent,
                             enum MHD_Result *sent) {
    if (foreign_db(r, db)) {
        *sent = api_send_error(r, c, 403, NULL, "this token writes database %s only",
                               r->tok.enterprise);
        return -1;
    }
    if (r->tok.role == API_ROLE_ENTERPRISE) { /* its own */
        *ent = r->tok.enterprise;
        return 0;
    }
    if (!db) { /* an admin writes the whole park: each line names its own */
        *ent = "+";
        return 0;
    }
    bool ok = strlen(db) < sizeof r->tok.enterprise;
    for (const char *p = db; ok && *p; p++)
        ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.';
    if (!ok || !enterprise_known(r->srv, db)) {
        *sent = api_send_error(r, c, 404, NULL, "database not found: \"%s\"", ok ? db : "?");
        return -1;
    }
    *ent = db;
    return 0;
}

/* ---- POST /write ---- */

/* "lines 2, 5, 9 (and 3 more)" of a submit's result. */
static void tb_bad_lines(textbuf *b, const api_submit_result *res) {
    if (!res->lines_rejected) return;
    tb_str(b, res->lines_rejected == 1 ? "line " : "lines ");
    for (size_t i = 0; i < res->n_bad_lines; i++) {
        if (i) tb_str(b, ", ");
        api_tb_int(b, (int64_t)res->bad_lines[i]);
    }
    if (res->lines_rejected > res->n_bad_lines) {
        tb_str(b, " (and ");
        api_tb_int(b, (int64_t)(res->lines_rejected - res->n_bad_lines));
        tb_str(b, " more)");
    }
    tb_str(b, ": ");
}

enum MHD_Result api_h_influx_write(req *r, struct MHD_Connection *c) {
    api_server *s = r->srv;
    api_ingest *in = &s->o.ingest;
    const char *prec = api_arg(c, "precision"), *ent = NULL;
    if (!prec) prec = "ns"; /* InfluxDB's default, and Telegraf's */
    if (!api_precision_ok(prec))
        return api_send_error(r, c, 400, NULL, "invalid precision (use n, u, ms, s, m or h)");
    enum MHD_Result sent;
    if (influx_enterprise(r, c, api_arg(c, "db"), &ent, &sent)) return sent;
    if (!in->submit) return api_send_error(r, c, 503, NULL, "ingest is not running");
    const char *enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
    const char *body = r->body ? r->body : "";
    size_t body_n = r->body_n;
    char *inflated = NULL;
    if (enc && !strcasecmp(enc, "gzip")) {
        int zr = inflate_body(body, body_n, s->o.max_decompressed_bytes, &inflated, &body_n);
        if (zr == INFLATE_TOO_BIG)
            return api_send_error(r, c, 413, NULL,
                                  "request entity too large: more than %zu bytes uncompressed",
                                  s->o.max_decompressed_bytes);
        if (zr != INFLATE_OK) return api_send_error(r, c, 400, NULL, "the body is not valid gzip");
        body = inflated;
    } else if (enc && strcasecmp(enc, "identity")) {
        return api_send_error(r, c, 400, NULL, "Content-Encoding: gzip or none");
    }
    char topic[96];
    snprintf(topic, sizeof topic, "park/%s/influx/data", ent);
    api_submit_result res;
    char err[256] = "";
    int rc = in->submit(in->ctx, topic, prec, body, body_n, &res, err, sizeof err);
    free(inflated);
    api_audit_write(s, r, "influx_write", topic, body_n, res.accepted,
                    res.rejected + (rc != 0 && !res.rejected), res.overwritten);
    if (rc != 0 && !strncmp(err, "invalid", 7)) return api_send_error(r, c, 400, NULL, "%s", err);
    if (rc != 0 && !strncmp(err, "unavailable", 11)) /* Telegraf retries a 5xx */
        return api_send_error(r, c, 503, NULL, "%s", err);
    if (rc != 0 && strstr(err, "payload_too_large"))
        return api_send_error(r, c, 413, NULL, "request entity too large: %s", err);
    if (rc != 0 && strstr(err, "foreign_series"))
        return api_send_error(r, c, 403, NULL,
                              "a line names a series of another enterprise; nothing was stored");
    if (rc != 0 || res.rejected) {
        /* InfluxDB's words: Telegraf drops the batch on them, no retry */
        textbuf b = {0};
        tb_str(&b, res.accepted ? "partial write: " : "unable to parse: ");
        tb_bad_lines(&b, &res);
        tb_str(&b, err[0] ? err : "rejected");
        tb_str(&b, " dropped=");
        api_tb_int(&b, (int64_t)(res.rejected ? res.rejected : 1));
        if (b.oom) {
            free(b.p);
            return api_send_error(r, c, 500, NULL, "out of memory");
        }
        enum MHD_Result out = api_send_error(r, c, 400, NULL, "%s", b.p);
        free(b.p);
        return out;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    char n[32];
    snprintf(n, sizeof n, "%zu", res.overwritten); /* same series and time twice in the body */
    MHD_add_response_header(resp, "X-Parkwatch-Overwritten", n);
    return api_queue_resp(r, c, 204, resp, NULL, "no-store", false);
}

/* ---- /query ---- */

/* The value of name in an application/x-www-form-urlencoded body, decoded
 * into out (cap bytes); false when absent or too long. */
static bool form_value(const char *body, size_t n, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && body[end] != '&') end++;
        if (end - i > nl && !memcmp(body + i, name, nl) && body[i + nl] == '=') {
            const char *v = body + i + nl + 1;
            size_t raw = end - (i + nl + 1);
            if (raw < cap) { /* decoding only shrinks it */
                out[api_form_unescape(out, v, raw)] = 0;
                return true;
            }
            char *tmp = malloc(raw);
            size_t k = tmp ? api_form_unescape(tmp, v, raw) : cap;
            bool fits = k < cap;
            if (fits) memcpy(out, tmp, k), out[k] = 0;
            free(tmp);
            return fits;
        }
        i = end + 1;
    }
    return false;
}

/* Whether q, past leading blanks, starts with the words of w (case and
 * runs of blanks ignored); *rest after them. */
static bool starts_with_words(const char *q, const char *w, const char **rest) {
    while (isspace((unsigned char)*q)) q++;
    while (*w) {
        if (*w == ' ') {
            if (!isspace((unsigned char)*q)) return false;
            while (isspace((unsigned char)*q)) q++;
            w++;
            continue;
        }
        if (tolower((unsigned char)*q) != *w) return false;
        q++, w++;
    }
    *rest = q;
    return true;
}

/* The database of CREATE DATABASE: "x", x, or "x" with \" and \\ inside. */
static bool db_ident(const char *p, char *out, size_t cap) {
    while (isspace((unsigned char)*p)) p++;
    size_t k = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) p++;
            if (k + 1 >= cap) return false;
            out[k++] = *p;
        }
        if (*p != '"') return false;
        p++;
    } else {
        for (; *p && (isalnum((unsigned char)*p) || *p == '_'); p++) {
            if (k + 1 >= cap) return false;
            out[k++] = *p;
        }
    }
    out[k] = 0;
    while (isspace((unsigned char)*p) || *p == ';') p++;
    /* WITH DURATION ... and the like: accepted, nothing to do */
    return k > 0;
}

enum MHD_Result api_h_influx_query(req *r, struct MHD_Connection *c) {
    char q[1024];
    const char *arg = api_arg(c, "q");
    bool have = arg && strlen(arg) < sizeof q;
    if (have) snprintf(q, sizeof q, "%s", arg);
    if (!arg && r->body_n) have = form_value(r->body, r->body_n, "q", q, sizeof q);
    if (!have) return api_send_error(r, c, 400, NULL, "missing required parameter \"q\"");
    const char *rest;
    if (starts_with_words(q, "show databases", &rest)) {
        /* the enterprises the token may write, as InfluxDB lists databases */
        json_t *values = json_array();
        if (r->tok.role == API_ROLE_ENTERPRISE) {
            json_array_append_new(values, json_pack("[s]", r->tok.enterprise));
        } else if (r->srv->o.ingest.enterprises) {
            json_t *a = r->srv->o.ingest.enterprises(r->srv->o.ingest.ctx);
            size_t i;
            json_t *v;
            json_array_foreach(a, i, v) json_array_append_new(values, json_pack("[O]", v));
            json_decref(a);
        }
        return api_send_json(r, c, 200,
                             json_pack("{s:[{s:i,s:[{s:s,s:[s],s:o}]}]}", "results", "statement_id",
                                       0, "series", "name", "databases", "columns", "name",
                                       "values", values));
    }
    if (starts_with_words(q, "create database", &rest)) {
        char db[64];
        if (!db_ident(rest, db, sizeof db))
            return api_send_error(r, c, 400, NULL, "error parsing query: a database name");
        /* Telegraf's start: nothing to create (enterprises are parkd's
         * config), so a writer that may write gets the answer of success */
        if (!api_cap_granted(r->tok.role, API_CAP_INGEST))
            return api_send_error(r, c, 403, NULL, "a %s token may not write",
                                  api_role_name(r->tok.role));
        if (foreign_db(r, db))
            return api_send_error(r, c, 403, NULL, "this token writes database %s only",
                                  r->tok.enterprise);
        return api_send_json(r, c, 200, json_pack("{s:[{s:i}]}", "results", "statement_id", 0));
    }
    return api_send_error(r, c, 400, NULL,
                          "Parkwatch does not run InfluxQL: read through its Prometheus API or "
                          "its own API (/api/v1, see /api/v1/openapi.json); /query answers only "
                          "CREATE DATABASE and SHOW DATABASES");
}

/* ---- GET /ping ---- */

enum MHD_Result api_h_influx_ping(req *r, struct MHD_Connection *c) {
    const char *verbose = api_arg(c, "verbose");
    if (verbose && !strcmp(verbose, "true"))
        return api_send_json(r, c, 200, json_pack("{s:s}", "version", API_INFLUX_VERSION));
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "X-Influxdb-Build", "OSS");
    return api_queue_resp(r, c, 204, resp, NULL, "no-store", false);
}
