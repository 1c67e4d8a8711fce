/*
 * parkctl - the operator's command line for a Parkwatch data directory.
 *
 *   parkctl -d DIR import [--precision ns|us|ms|s] [--enterprise E] [--interval MS] FILE|-
 *   parkctl -d DIR series [--enterprise E]
 *   parkctl -d DIR query SERIES [--from T] [--to T] [--step D --agg A] [--limit N]
 *                               [--format csv|json]
 *   parkctl -d DIR last [SERIES...] [--enterprise E] [--format csv|json]
 *   parkctl -d DIR snapshot --at T [SERIES...] [--enterprise E] [--format csv|json]
 *   parkctl -d DIR backup TARGET_DIR
 *   parkctl backup --api [http://]HOST:PORT [--name NAME] [--token-file FILE]
 *   parkctl restore BACKUP_DIR NEW_DATA_DIR
 *   parkctl -d DIR stats [--compact]
 *   parkctl layout-check FILE.geojson...
 *
 * Times (T) are milliseconds since the epoch or ISO 8601 UTC
 * ("2026-01-01T00:00:00Z", fractional seconds allowed); durations (D) are
 * milliseconds or a number with ms, s, m, h or d. It opens the data
 * directory itself, so it runs while parkd is stopped (parkd holds the lock).
 *
 * Backups: "-d DIR backup TARGET" copies a stopped historian directory;
 * "backup --api" asks a running parkd for a backup of its historian and
 * alarm journal under its configured backup_dir (POST /api/v1/admin/backup,
 * plain HTTP: for HTTPS use curl, see the README), with an admin token from
 * --token-file or $PARKWATCH_TOKEN (never the command line), and prints
 * the backup's manifest. "restore" makes NEW_DATA_DIR of either kind: from
 * a parkd backup (it has backup.json) a parkd data directory, historian/
 * and alarms/; from a historian backup, a historian directory.
 *
 * Import streams the file in blocks: a block's new series are registered in
 * one durable write, then its points are appended in one batch, so a file of
 * any size imports in bounded memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "geo/geo.h"
#include "historian/historian.h"
#include "ingest/ingest.h"

static const char *prog = "parkctl";

static _Noreturn void die_usage(void) {
    fprintf(stderr, "usage: parkctl -d DIR import [--precision ns|us|ms|s] [--enterprise E] "
                    "[--interval MS] FILE|-\n"
                    "       parkctl -d DIR series [--enterprise E]\n"
                    "       parkctl -d DIR query SERIES [--from T] [--to T] [--step D --agg "
                    "avg|min|max|first|last|count|sum]\n"
                    "                                   [--limit N] [--format csv|json]\n"
                    "       parkctl -d DIR last [SERIES...] [--enterprise E] [--format csv|json]\n"
                    "       parkctl -d DIR snapshot --at T [SERIES...] [--enterprise E] [--format "
                    "csv|json]\n"
                    "       parkctl -d DIR backup TARGET_DIR\n"
                    "       parkctl backup --api [http://]HOST:PORT [--name NAME] [--token-file "
                    "FILE]\n"
                    "       parkctl restore BACKUP_DIR NEW_DATA_DIR\n"
                    "       parkctl -d DIR stats [--compact]\n"
                    "       parkctl layout-check FILE.geojson...\n"
                    "       parkctl token create --file TOKENS --role admin|operator|regulator|"
                    "enterprise [--enterprise E] --name NAME\n"
                    "                            [--expires DURATION|TIME]\n"
                    "       parkctl token list --file TOKENS\n"
                    "       parkctl token revoke --file TOKENS ID|NAME\n"
                    "  (TOKENS is parkd's token file, by default DATA_DIR/tokens.json; --expires "
                    "takes a duration from now\n"
                    "   with its unit, e.g. 30d, 12h, 90m, 45s, 500ms, or a time: ms since 1970 or "
                    "ISO 8601 UTC;\n"
                    "   without it the token never expires)\n");
    exit(2);
}

/* ---- parsing times and durations ---- */

static bool parse_time(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s && !*end && !errno) {
        *out = v;
        return true;
    }
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return false;
    double frac = 0;
    if (*rest == '.') {
        frac = strtod(rest, &end);
        rest = end;
    }
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0 && *rest) return false;
    *out = (int64_t)timegm(&tm) * 1000 + (int64_t)llround(frac * 1000);
    return true;
}

static bool parse_duration(const char *s, int64_t *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0) return false;
    double mult = !strcmp(end, "") || !strcmp(end, "ms") ? 1
                  : !strcmp(end, "s")                    ? 1e3
                  : !strcmp(end, "m")                    ? 6e4
                  : !strcmp(end, "h")                    ? 3.6e6
                  : !strcmp(end, "d")                    ? 8.64e7
                                                         : 0;
    if (mult == 0 || v * mult > 9e15) return false;
    *out = (int64_t)llround(v * mult);
    return *out > 0;
}

static void fmt_time(int64_t ms, char *buf, size_t cap) {
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", (int)(ms - (int64_t)s * 1000));
}

static const char *quality_name(uint8_t q) {
    switch (q & 0xC0) {
        case HIST_QUALITY_GOOD:
            return "good";
        case HIST_QUALITY_UNCERTAIN:
            return "uncertain";
        default:
            return "bad";
    }
}

static hist *open_or_die(const char *dir) {
    if (!dir) {
        fprintf(stderr, "%s: -d DIR (the data directory) is required\n", prog);
        exit(2);
    }
    hist *h;
    hist_error err;
    if (hist_open(dir, NULL, &h, &err) != HIST_OK) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, dir, err.msg);
        exit(1);
    }
    return h;
}

static void close_or_die(hist *h) {
    hist_error err;
    if (hist_close(h, &err) != HIST_OK) {
        fprintf(stderr, "%s: close: %s\n", prog, err.msg);
        exit(1);
    }
}

/* The shortest decimal that reads back as the same double: 0.6, not
 * 0.59999999999999998. */
typedef struct num_text {
    char s[32];
} num_text;

static num_text num(double v) {
    num_text t;
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t.s, sizeof t.s, "%.*g", prec, v);
        if (strtod(t.s, NULL) == v || v != v) break;
    }
    return t;
}

/* ---- import ---- */

typedef struct name_slot {
    char *name;
    uint32_t id;
    bool known;
    /* First block of a new series: its time span, to guess its interval. */
    int64_t min_ts, max_ts;
    size_t count;
} name_slot;

typedef struct importer {
    hist *h;
    const char *enterprise;
    name_slot *slots; /* open addressing */
    size_t cap, used;
    /* The current block's points, with the slot of their series. */
    hist_point *pts;
    size_t *pt_slot;
    size_t n, pcap;
    size_t *fresh; /* slots first seen in this block */
    size_t n_fresh, fresh_cap;
    size_t rejected, skipped_fields, points, series_created;
    int64_t now_ms;
    int64_t interval_ms; /* --interval; 0 = estimate per series */
    bool oom;
} importer;

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t slot_for(importer *im, const char *name) {
    if (im->used * 2 >= im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 4096;
        name_slot *ns = calloc(cap, sizeof *ns);
        if (!ns) {
            im->oom = true;
            return SIZE_MAX;
        }
        /* Rehash, and remap slots referenced by the block. */
        size_t *remap = malloc((im->cap ? im->cap : 1) * sizeof *remap);
        if (!remap) {
            free(ns);
            im->oom = true;
            return SIZE_MAX;
        }
        for (size_t i = 0; i < im->cap; i++) {
            if (!im->slots[i].name) continue;
            size_t j = hash_str(im->slots[i].name) & (cap - 1);
            while (ns[j].name) j = (j + 1) & (cap - 1);
            ns[j] = im->slots[i];
            remap[i] = j;
        }
        for (size_t i = 0; i < im->n; i++) im->pt_slot[i] = remap[im->pt_slot[i]];
        for (size_t i = 0; i < im->n_fresh; i++) im->fresh[i] = remap[im->fresh[i]];
        free(remap);
        free(im->slots);
        im->slots = ns;
        im->cap = cap;
    }
    size_t j = hash_str(name) & (im->cap - 1);
    while (im->slots[j].name) {
        if (!strcmp(im->slots[j].name, name)) return j;
        j = (j + 1) & (im->cap - 1);
    }
    im->slots[j].name = strdup(name);
    if (!im->slots[j].name) {
        im->oom = true;
        return SIZE_MAX;
    }
    im->used++;
    if (im->n_fresh == im->fresh_cap) {
        im->fresh_cap = im->fresh_cap ? im->fresh_cap * 2 : 1024;
        size_t *f = realloc(im->fresh, im->fresh_cap * sizeof *f);
        if (!f) {
            im->oom = true;
            return SIZE_MAX;
        }
        im->fresh = f;
    }
    im->fresh[im->n_fresh++] = j;
    return j;
}

static int on_line(const ingest_lp_line *line, void *ctx) {
    importer *im = ctx;
    for (size_t f = 0; f < line->n_fields; f++) {
        if (line->fields[f].type == INGEST_LP_STRING) {
            im->skipped_fields++;
            continue;
        }
        char name[HIST_SERIES_NAME_MAX + 1];
        if (ingest_lp_series_name(line, f, im->enterprise, name, sizeof name) != 0) {
            fprintf(stderr,
                    "%s: line %zu field %zu: no valid series name (missing enterprise "
                    "tag, or too long)\n",
                    prog, line->line_no, f + 1);
            im->skipped_fields++;
            continue;
        }
        size_t slot = slot_for(im, name);
        if (slot == SIZE_MAX) return 1;
        if (im->n == im->pcap) {
            im->pcap = im->pcap ? im->pcap * 2 : 65536;
            hist_point *p = realloc(im->pts, im->pcap * sizeof *p);
            size_t *s = realloc(im->pt_slot, im->pcap * sizeof *s);
            if (p) im->pts = p;
            if (s) im->pt_slot = s;
            if (!p || !s) {
                im->oom = true;
                return 1;
            }
        }
        im->pts[im->n] = (hist_point){0, HIST_QUALITY_GOOD, line->has_ts ? line->ts_ms : im->now_ms,
                                      line->fields[f].value};
        im->pt_slot[im->n++] = slot;
    }
    return 0;
}

static void on_reject(size_t line_no, const char *reason, const char *message, void *ctx) {
    importer *im = ctx;
    if (im->rejected++ < 10)
        fprintf(stderr, "%s: line %zu rejected (%s): %s\n", prog, line_no, reason, message);
}

/* Registers the block's new series in one write and appends its points. */
static int import_block(importer *im) {
    hist_error err;
    if (im->n_fresh) {
        hist_series_def *defs = calloc(im->n_fresh, sizeof *defs);
        uint32_t *ids = calloc(im->n_fresh, sizeof *ids);
        if (!defs || !ids) return -1;
        /* The interval fixes the series' chunk window, so estimate it from
         * the points this block has of each new series. */
        for (size_t i = 0; i < im->n_fresh; i++) {
            name_slot *s = &im->slots[im->fresh[i]];
            s->min_ts = INT64_MAX, s->max_ts = INT64_MIN, s->count = 0;
        }
        for (size_t i = 0; i < im->n; i++) {
            name_slot *s = &im->slots[im->pt_slot[i]];
            if (s->known) continue;
            if (im->pts[i].ts_ms < s->min_ts) s->min_ts = im->pts[i].ts_ms;
            if (im->pts[i].ts_ms > s->max_ts) s->max_ts = im->pts[i].ts_ms;
            s->count++;
        }
        for (size_t i = 0; i < im->n_fresh; i++) {
            const name_slot *s = &im->slots[im->fresh[i]];
            defs[i].name = s->name;
            defs[i].interval_ms = im->interval_ms;
            if (!im->interval_ms && s->count > 1)
                defs[i].interval_ms = (s->max_ts - s->min_ts) / (int64_t)(s->count - 1);
        }
        hist_status st = hist_series_ensure(im->h, defs, im->n_fresh, ids, &err);
        if (st != HIST_OK) {
            fprintf(stderr, "%s: registering series: %s\n", prog, err.msg);
            free(defs);
            free(ids);
            return -1;
        }
        for (size_t i = 0; i < im->n_fresh; i++) {
            im->slots[im->fresh[i]].id = ids[i];
            im->slots[im->fresh[i]].known = true;
        }
        im->series_created += im->n_fresh;
        im->n_fresh = 0;
        free(defs);
        free(ids);
    }
    for (size_t i = 0; i < im->n; i++) im->pts[i].series = im->slots[im->pt_slot[i]].id;
    if (im->n && hist_append(im->h, im->pts, im->n, &err) != HIST_OK) {
        fprintf(stderr, "%s: append: %s\n", prog, err.msg);
        return -1;
    }
    im->points += im->n;
    im->n = 0;
    return 0;
}

static int cmd_import(const char *dir, int argc, char **argv) {
    ingest_lp_precision prec = INGEST_LP_NS;
    const char *file = NULL;
    importer im = {0};
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--precision") && i + 1 < argc) {
            const char *p = argv[++i];
            prec = !strcmp(p, "ns")   ? INGEST_LP_NS
                   : !strcmp(p, "us") ? INGEST_LP_US
                   : !strcmp(p, "ms") ? INGEST_LP_MS
                   : !strcmp(p, "s")  ? INGEST_LP_S
                                      : (ingest_lp_precision)-1;
            if ((int)prec < 0) die_usage();
        } else if (!strcmp(argv[i], "--enterprise") && i + 1 < argc) {
            im.enterprise = argv[++i];
        } else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
            im.interval_ms = atoll(argv[++i]);
            if (im.interval_ms <= 0) die_usage();
        } else if (!file) {
            file = argv[i];
        } else {
            die_usage();
        }
    }
    if (!file) die_usage();
    FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "%s: cannot open %s: %s\n", prog, file, strerror(errno));
        return 1;
    }
    im.h = open_or_die(dir);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    im.now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t0 = ts.tv_sec + ts.tv_nsec / 1e9;
    const size_t block = (size_t)8 << 20;
    char *buf = malloc(block + INGEST_LP_MAX_LINE + 2);
    size_t have = 0, lines = 0;
    int rc = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, block - have, f);
        have += got;
        if (have == 0) break;
        /* Parse whole lines only; keep the tail for the next block. */
        size_t upto = have;
        if (got > 0 && !feof(f)) {
            char *nl = memrchr(buf, '\n', have);
            upto = nl ? (size_t)(nl - buf) + 1 : have;
        }
        ingest_lp_stats st;
        ingest_lp_parse(buf, upto, prec, on_line, on_reject, &im, &st);
        lines += st.lines;
        if (im.oom || import_block(&im) != 0) {
            fprintf(stderr, "%s: import stopped%s\n", prog, im.oom ? ": out of memory" : "");
            rc = 1;
            break;
        }
        memmove(buf, buf + upto, have - upto);
        have -= upto;
        if (got == 0) break;
    }
    if (f != stdin) fclose(f);
    free(buf);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double secs = ts.tv_sec + ts.tv_nsec / 1e9 - t0;
    fprintf(stderr,
            "%s: %zu lines, %zu points stored in %zu series (%zu new), %zu lines rejected, %zu "
            "string or unnamed fields skipped, %.2f s (%.0f points/s)\n",
            prog, lines, im.points, im.used, im.series_created, im.rejected, im.skipped_fields,
            secs, im.points / (secs > 0 ? secs : 1));
    close_or_die(im.h);
    for (size_t i = 0; i < im.cap; i++) free(im.slots[i].name);
    free(im.slots);
    free(im.pts);
    free(im.pt_slot);
    free(im.fresh);
    return rc ? rc : im.rejected ? 3 : 0;
}

/* ---- reading ---- */

typedef struct read_args {
    const char *enterprise, *format;
    int64_t from, to, at, step;
    bool has_at, has_step;
    hist_agg agg;
    size_t limit;
    char **names;
    size_t n_names;
} read_args;

static void parse_read_args(int argc, char **argv, read_args *a) {
    memset(a, 0, sizeof *a);
    a->format = "csv";
    a->from = 0;
    a->to = HIST_MAX_TS_MS;
    a->agg = HIST_AGG_AVG;
    a->names = calloc((size_t)argc + 1, sizeof *a->names);
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (!strcmp(o, "--enterprise") && v)
            a->enterprise = v, i++;
        else if (!strcmp(o, "--format") && v)
            a->format = v, i++;
        else if (!strcmp(o, "--from") && v)
            ok = parse_time(v, &a->from), i++;
        else if (!strcmp(o, "--to") && v)
            ok = parse_time(v, &a->to), i++;
        else if (!strcmp(o, "--at") && v)
            ok = a->has_at = parse_time(v, &a->at), i++;
        else if (!strcmp(o, "--step") && v)
            ok = a->has_step = parse_duration(v, &a->step), i++;
        else if (!strcmp(o, "--agg") && v)
            ok = hist_agg_parse(v, &a->agg), i++;
        else if (!strcmp(o, "--limit") && v)
            a->limit = (size_t)strtoull(v, NULL, 10), i++;
        else if (o[0] == '-' && o[1] == '-')
            ok = false;
        else
            a->names[a->n_names++] = argv[i];
        if (!ok) {
            fprintf(stderr, "%s: bad option or value: %s %s\n", prog, o, v ? v : "");
            exit(2);
        }
    }
    if (strcmp(a->format, "csv") && strcmp(a->format, "json")) {
        fprintf(stderr, "%s: --format is csv or json\n", prog);
        exit(2);
    }
}

/* The series named on the command line, else those of --enterprise, else all. */
static hist_series_list resolve_series(hist *h, const read_args *a) {
    hist_series_list l = {0};
    hist_error err;
    if (a->n_names) {
        l.ids = calloc(a->n_names, sizeof *l.ids);
        for (size_t i = 0; i < a->n_names; i++) {
            if (hist_series_lookup(h, a->names[i], &l.ids[i], &err) != HIST_OK) {
                fprintf(stderr, "%s: %s\n", prog, err.msg);
                exit(1);
            }
        }
        l.n = l.cap = a->n_names;
    } else if (hist_series_find(h, a->enterprise, &l, &err) != HIST_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        exit(1);
    }
    return l;
}

static void print_values(hist *h, const hist_series_list *l, const hist_value *v,
                         const char *format) {
    json_t *arr = !strcmp(format, "json") ? json_array() : NULL;
    if (!arr) printf("series,time,ts_ms,value,quality\n");
    for (size_t i = 0; i < l->n; i++) {
        hist_series_info info;
        hist_error err;
        if (hist_series_get(h, l->ids[i], &info, &err) != HIST_OK) continue;
        char t[40] = "";
        if (v[i].present) fmt_time(v[i].ts_ms, t, sizeof t);
        if (arr) {
            json_t *o = json_pack("{s:s}", "series", info.name);
            if (v[i].present) {
                json_object_set_new(o, "ts_ms", json_integer(v[i].ts_ms));
                json_object_set_new(o, "time", json_string(t));
                json_object_set_new(o, "value",
                                    isfinite(v[i].value) ? json_real(v[i].value) : json_null());
                json_object_set_new(o, "quality", json_string(quality_name(v[i].quality)));
            }
            json_array_append_new(arr, o);
        } else if (v[i].present) {
            printf("%s,%s,%" PRId64 ",%s,%s\n", info.name, t, v[i].ts_ms, num(v[i].value).s,
                   quality_name(v[i].quality));
        } else {
            printf("%s,,,,\n", info.name);
        }
    }
    if (arr) {
        json_dumpf(arr, stdout, JSON_INDENT(1));
        printf("\n");
        json_decref(arr);
    }
}

static int cmd_last_or_snapshot(const char *dir, int argc, char **argv, bool snapshot) {
    read_args a;
    parse_read_args(argc, argv, &a);
    if (snapshot && !a.has_at) {
        fprintf(stderr, "%s: snapshot needs --at T\n", prog);
        return 2;
    }
    hist *h = open_or_die(dir);
    hist_series_list l = resolve_series(h, &a);
    hist_value *v = calloc(l.n ? l.n : 1, sizeof *v);
    hist_error err;
    hist_status st =
        snapshot ? hist_snapshot(h, a.at, l.ids, l.n, v, &err) : hist_last(h, l.ids, l.n, v, &err);
    if (st != HIST_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return 1;
    }
    print_values(h, &l, v, a.format);
    free(v);
    hist_series_list_free(&l);
    free(a.names);
    close_or_die(h);
    return 0;
}

static int cmd_query(const char *dir, int argc, char **argv) {
    read_args a;
    parse_read_args(argc, argv, &a);
    if (a.n_names != 1) {
        fprintf(stderr, "%s: query takes exactly one series name\n", prog);
        return 2;
    }
    hist *h = open_or_die(dir);
    hist_series_list l = resolve_series(h, &a);
    hist_error err;
    bool json = !strcmp(a.format, "json");
    json_t *arr = json ? json_array() : NULL;
    if (a.has_step && a.to == HIST_MAX_TS_MS) {
        /* No end given: end at the series' last point, so "--step 1m" alone
         * shows its recent history rather than asking for buckets up to
         * year 287,000. */
        hist_value last;
        if (hist_last(h, l.ids, 1, &last, &err) == HIST_OK && last.present) a.to = last.ts_ms + 1;
        if (a.from == 0 && a.to > 3600000) a.from = a.to - 3600000;
    }
    if (a.has_step) {
        hist_buckets b = {0};
        if (hist_query_agg(h, l.ids[0], a.from, a.to, a.step, a.limit, &b, &err) != HIST_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            return 1;
        }
        if (!json) printf("time,ts_ms,%s,count\n", hist_agg_name(a.agg));
        for (size_t i = 0; i < b.n; i++) {
            char t[40];
            fmt_time(b.v[i].ts_ms, t, sizeof t);
            double v = hist_bucket_value(&b.v[i], a.agg);
            if (json)
                json_array_append_new(arr, json_pack("{s:s,s:I,s:f,s:I}", "time", t, "ts_ms",
                                                     (json_int_t)b.v[i].ts_ms, hist_agg_name(a.agg),
                                                     v, "count", (json_int_t)b.v[i].count));
            else
                printf("%s,%" PRId64 ",%s,%u\n", t, b.v[i].ts_ms, num(v).s, b.v[i].count);
        }
        fprintf(stderr, "%s: %zu buckets (served by %s)\n", prog, b.n,
                b.tier == 2   ? "1-hour rollups"
                : b.tier == 1 ? "1-minute rollups"
                              : "raw points");
        hist_buckets_free(&b);
    } else {
        hist_samples s = {0};
        if (hist_query_raw(h, l.ids[0], a.from, a.to, a.limit, &s, &err) != HIST_OK) {
            fprintf(stderr, "%s: %s\n", prog, err.msg);
            return 1;
        }
        if (!json) printf("time,ts_ms,value,quality\n");
        for (size_t i = 0; i < s.n; i++) {
            char t[40];
            fmt_time(s.v[i].ts_ms, t, sizeof t);
            if (json) {
                json_t *o = json_pack("{s:s,s:I,s:s}", "time", t, "ts_ms", (json_int_t)s.v[i].ts_ms,
                                      "quality", quality_name(s.v[i].quality));
                json_object_set_new(o, "value",
                                    isfinite(s.v[i].value) ? json_real(s.v[i].value) : json_null());
                json_array_append_new(arr, o);
            } else {
                printf("%s,%" PRId64 ",%s,%s\n", t, s.v[i].ts_ms, num(s.v[i].value).s,
                       quality_name(s.v[i].quality));
            }
        }
        if (s.truncated) fprintf(stderr, "%s: truncated at --limit %zu\n", prog, a.limit);
        hist_samples_free(&s);
    }
    if (arr) {
        json_dumpf(arr, stdout, JSON_INDENT(1));
        printf("\n");
        json_decref(arr);
    }
    hist_series_list_free(&l);
    free(a.names);
    close_or_die(h);
    return 0;
}

static int cmd_series(const char *dir, int argc, char **argv) {
    read_args a;
    parse_read_args(argc, argv, &a);
    hist *h = open_or_die(dir);
    hist_series_list l = resolve_series(h, &a);
    printf("id,name,unit,window_ms\n");
    for (size_t i = 0; i < l.n; i++) {
        hist_series_info info;
        hist_error err;
        if (hist_series_get(h, l.ids[i], &info, &err) == HIST_OK)
            printf("%u,%s,%s,%lld\n", info.id, info.name, info.unit, (long long)info.window_ms);
    }
    hist_series_list_free(&l);
    free(a.names);
    close_or_die(h);
    return 0;
}

static int cmd_stats(const char *dir, int argc, char **argv) {
    bool compact = argc == 1 && !strcmp(argv[0], "--compact");
    if (argc && !compact) die_usage();
    hist *h = open_or_die(dir);
    hist_stats st;
    hist_error err;
    /* Compacting first shows the steady state: flushed memtables, no
     * obsolete files, retention applied. */
    if (compact && hist_compact(h, &err) != HIST_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return 1;
    }
    if (hist_get_stats(h, &st, &err) != HIST_OK) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return 1;
    }
    printf("{\"series\": %" PRIu64 ", \"points\": %" PRIu64 ", \"bytes_on_disk\": %" PRIu64
           ", \"bytes_rocksdb\": %" PRIu64 ", \"bytes_sst\": %" PRIu64 ", \"bytes_wal\": %" PRIu64
           ", \"bytes_per_point\": %.3f, \"sst_bytes_per_point\": %.3f}\n",
           st.series, st.points, st.bytes_on_disk, st.bytes_rocksdb, st.bytes_sst, st.bytes_wal,
           st.points ? (double)st.bytes_on_disk / st.points : 0.0,
           st.points ? (double)st.bytes_sst / st.points : 0.0);
    close_or_die(h);
    return 0;
}

/* Checks layout files as parkd and the API will load them: every problem,
 * then the counts by kind. Exit 0 when the layout loads, 1 otherwise. */
static int cmd_layout_check(int argc, char **argv) {
    if (argc < 1) die_usage();
    geo_layout *g;
    geo_problems p = {0};
    if (geo_load((const char *const *)argv, (size_t)argc, NULL, &g, &p) != 0) {
        for (size_t i = 0; i < p.n; i++)
            printf("%s: %s: %s\n", p.v[i].file, p.v[i].feature[0] ? p.v[i].feature : "-",
                   p.v[i].message);
        fprintf(stderr, "%s: %zu problem%s; nothing loaded\n", prog, p.n, p.n == 1 ? "" : "s");
        geo_problems_free(&p);
        return 1;
    }
    printf("ok: %zu features, projected to %s\n", geo_count_all(g), geo_metric_crs(g));
    for (int k = 0; k < GEO_KIND_COUNT; k++)
        if (geo_count(g, (geo_kind)k))
            printf("  %-16s %zu\n", geo_kind_name((geo_kind)k), geo_count(g, (geo_kind)k));
    geo_close(g);
    return 0;
}

/* --expires: a future time (ms since 1970 or ISO 8601 UTC) or a duration
 * from now_ms that carries its unit; a bare number is a time, since a bare
 * number as a duration would be milliseconds, never what was meant. */
static bool parse_expiry(const char *s, int64_t now_ms, int64_t *out) {
    int64_t v;
    if (parse_time(s, &v)) {
        *out = v;
        return v > now_ms; /* "--expires 30" meant 30 days, not 1970 */
    }
    size_t len = strlen(s);
    if (len < 2 || !(s[len - 1] >= 'a' && s[len - 1] <= 'z') || !parse_duration(s, &v))
        return false;
    *out = now_ms + v;
    return true;
}

/* API tokens (api.h): the token is printed once, on stdout, alone on its
 * line; the file keeps only its hash. */
static int cmd_token(int argc, char **argv) {
    if (argc < 1) die_usage();
    const char *sub = argv[0], *file = NULL, *role_s = NULL, *ent = NULL, *name = NULL,
               *target = NULL, *expires_s = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--file") && i + 1 < argc)
            file = argv[++i];
        else if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role_s = argv[++i];
        else if (!strcmp(argv[i], "--enterprise") && i + 1 < argc)
            ent = argv[++i];
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--expires") && i + 1 < argc)
            expires_s = argv[++i];
        else if (argv[i][0] != '-' && !target)
            target = argv[i];
        else
            die_usage();
    }
    if (!file) die_usage();
    char err[512];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (expires_s && strcmp(sub, "create")) die_usage();
    if (!strcmp(sub, "create")) {
        api_role role;
        int64_t expires = 0;
        if (!role_s || !name || !api_role_parse(role_s, &role) || target) die_usage();
        if (expires_s && !parse_expiry(expires_s, now, &expires)) {
            fprintf(stderr,
                    "%s: --expires %s: not a duration with its unit (30d, 12h, 90m, 45s, 500ms) "
                    "nor a future time (ms since 1970, ISO 8601 UTC)\n",
                    prog, expires_s);
            return 2;
        }
        char token[API_TOKEN_MAX];
        api_token_info info;
        if (api_token_create(file, role, ent ? ent : "", name, expires, token, &info, err,
                             sizeof err)) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
        char until[40] = "never expires";
        if (info.expires_ms) {
            char t[32];
            fmt_time(info.expires_ms, t, sizeof t);
            snprintf(until, sizeof until, "expires %s", t);
        }
        fprintf(stderr, "%s: token %s (%s%s%s) for %s, %s; shown once:\n", prog, info.id,
                api_role_name(info.role), info.enterprise[0] ? " of " : "", info.enterprise,
                info.name, until);
        printf("%s\n", token);
        return 0;
    }
    if (!strcmp(sub, "revoke")) {
        if (!target) die_usage();
        if (api_token_revoke(file, target, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
        return 0;
    }
    if (!strcmp(sub, "list")) {
        api_token_info *v;
        size_t n;
        if (api_token_list(file, &v, &n, err, sizeof err)) {
            fprintf(stderr, "%s: %s\n", prog, err);
            return 1;
        }
        /* id role enterprise created expiry name: the name last, as it may hold spaces */
        for (size_t i = 0; i < n; i++) {
            char expiry[32] = "never";
            if (v[i].expires_ms)
                snprintf(expiry, sizeof expiry, "%s%lld", now >= v[i].expires_ms ? "expired:" : "",
                         (long long)v[i].expires_ms);
            printf("%s %-10s %-8s %lld %-21s %s\n", v[i].id, api_role_name(v[i].role),
                   v[i].enterprise[0] ? v[i].enterprise : "-", (long long)v[i].created_ms, expiry,
                   v[i].name);
        }
        free(v);
        return 0;
    }
    die_usage();
    return 2;
}

/* ---- backups of a running parkd ---- */

/* POSTs body to path of a parkd API over plain HTTP; 0 with the status and
 * the response body (malloc'd), or -1 with a message on stderr. */
static int http_post(const char *api, const char *path, const char *token, const char *body,
                     int *status, char **resp) {
    char host[256], port[16];
    const char *hp = strncmp(api, "http://", 7) ? api : api + 7;
    if (!strncmp(api, "https://", 8)) {
        fprintf(stderr, "%s: --api speaks plain HTTP; for HTTPS use curl (README, Backups)\n",
                prog);
        return -1;
    }
    const char *colon = strrchr(hp, ':');
    if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof host ||
        snprintf(port, sizeof port, "%.*s", (int)strcspn(colon + 1, "/"), colon + 1) < 1) {
        fprintf(stderr, "%s: --api wants HOST:PORT, not %s\n", prog, api);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - hp), hp);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, host, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        fprintf(stderr, "%s: cannot connect to %s:%s: %s\n", prog, host, port, strerror(errno));
        return -1;
    }
    /* A backup of a large store takes a while; an hour is plenty. */
    struct timeval tv = {3600, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char *req = NULL;
    size_t req_len = 0;
    FILE *f = open_memstream(&req, &req_len);
    if (!f) {
        close(fd);
        return -1;
    }
    fprintf(f,
            "POST %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
            path, host, port, token, strlen(body), body);
    fclose(f);
    int rc = 0;
    for (size_t off = 0; rc == 0 && off < req_len;) {
        ssize_t w = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = -1;
        off += w > 0 ? (size_t)w : 0;
    }
    free(req);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    while (rc == 0) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = -1;
                break;
            }
            buf = nb;
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) rc = -1;
        if (r <= 0) break;
        n += (size_t)r;
    }
    close(fd);
    char *head_end = buf && rc == 0 ? (buf[n] = 0, strstr(buf, "\r\n\r\n")) : NULL;
    if (!head_end || sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
        fprintf(stderr, "%s: no HTTP answer from %s:%s%s%s\n", prog, host, port, rc ? ": " : "",
                rc ? strerror(errno) : "");
        free(buf);
        return -1;
    }
    *resp = strdup(head_end + 4);
    free(buf);
    return *resp ? 0 : -1;
}

/* parkctl backup --api HOST:PORT [--name NAME] [--token-file FILE] */
static int cmd_backup_api(int argc, char **argv) {
    const char *api = NULL, *name = NULL, *token_file = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--api") && i + 1 < argc)
            api = argv[++i];
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strcmp(argv[i], "--token-file") && i + 1 < argc)
            token_file = argv[++i];
        else
            die_usage();
    }
    if (!api) die_usage();
    if (name && !api_backup_name_ok(name)) {
        fprintf(stderr, "%s: --name: 1 to %d letters, digits, '.', '_' or '-'\n", prog,
                API_BACKUP_NAME_MAX);
        return 2;
    }
    char token[API_TOKEN_MAX + 2] = "";
    if (token_file) {
        FILE *f = fopen(token_file, "r");
        if (!f || !fgets(token, sizeof token, f)) {
            fprintf(stderr, "%s: %s: %s\n", prog, token_file, f ? "empty" : strerror(errno));
            if (f) fclose(f);
            return 1;
        }
        fclose(f);
    } else if (getenv("PARKWATCH_TOKEN")) {
        snprintf(token, sizeof token, "%s", getenv("PARKWATCH_TOKEN"));
    }
    token[strcspn(token, "\r\n")] = 0;
    if (!token[0]) {
        fprintf(stderr, "%s: an admin token is needed: --token-file FILE or $PARKWATCH_TOKEN\n",
                prog);
        return 2;
    }
    json_t *b = name ? json_pack("{s:s}", "name", name) : json_object();
    char *body = json_dumps(b, JSON_COMPACT), *resp = NULL;
    json_decref(b);
    int status = 0;
    int rc = body ? http_post(api, "/api/v1/admin/backup", token, body, &status, &resp) : -1;
    free(body);
    if (rc != 0) return 1;
    json_t *j = json_loads(resp, 0, NULL);
    if (status == 200 && j) {
        json_dumpf(j, stdout, JSON_INDENT(1));
        printf("\n");
    } else {
        const char *msg =
            json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        fprintf(stderr, "%s: backup: HTTP %d: %s\n", prog, status, msg ? msg : resp);
        rc = 1;
    }
    json_decref(j);
    free(resp);
    return rc;
}

/* parkctl restore BACKUP NEW: a parkd backup (backup.json) or a historian one. */
static int cmd_restore(const char *backup, const char *target) {
    char manifest[4096];
    struct stat sb;
    snprintf(manifest, sizeof manifest, "%s/backup.json", backup);
    if (stat(manifest, &sb) == 0) {
        json_t *summary;
        char err[1024];
        if (api_backup_restore(backup, target, &summary, err, sizeof err) != 0) {
            fprintf(stderr, "%s: restore: %s\n", prog, err);
            return 1;
        }
        json_dumpf(summary, stdout, JSON_INDENT(1));
        printf("\n");
        json_decref(summary);
        return 0;
    }
    hist_error err;
    if (hist_restore(backup, target, &err) != HIST_OK) {
        fprintf(stderr, "%s: restore: %s\n", prog, err.msg);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = getenv("PARKWATCH_DATA");
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--data")) && i + 1 < argc)
            dir = argv[i + 1], i += 2;
        else
            die_usage();
    }
    if (i >= argc) die_usage();
    const char *cmd = argv[i++];
    int n = argc - i;
    char **rest = argv + i;
    if (!strcmp(cmd, "import")) return cmd_import(dir, n, rest);
    if (!strcmp(cmd, "layout-check")) return cmd_layout_check(n, rest);
    if (!strcmp(cmd, "token")) return cmd_token(n, rest);
    if (!strcmp(cmd, "query")) return cmd_query(dir, n, rest);
    if (!strcmp(cmd, "last")) return cmd_last_or_snapshot(dir, n, rest, false);
    if (!strcmp(cmd, "snapshot")) return cmd_last_or_snapshot(dir, n, rest, true);
    if (!strcmp(cmd, "series")) return cmd_series(dir, n, rest);
    if (!strcmp(cmd, "stats")) return cmd_stats(dir, n, rest);
    if (!strcmp(cmd, "backup")) {
        if (n >= 1 && !strncmp(rest[0], "--", 2)) return cmd_backup_api(n, rest);
        if (n != 1) die_usage();
        hist *h = open_or_die(dir);
        hist_error err;
        hist_status st = hist_backup(h, rest[0], &err);
        if (st != HIST_OK) fprintf(stderr, "%s: backup: %s\n", prog, err.msg);
        close_or_die(h);
        return st == HIST_OK ? 0 : 1;
    }
    if (!strcmp(cmd, "restore")) {
        if (n != 2) die_usage();
        return cmd_restore(rest[0], rest[1]);
    }
    die_usage();
}
