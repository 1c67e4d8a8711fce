/*
 * stuck_replay - the stuck detector on a CSV file, through the real alarm
 * engine: learns each column's flat-run model (health_learn_stuck) from the
 * learning period, then feeds the judging period's readings to an alarm
 * engine (a temporary journal) with one ALERT_STUCK rule per column,
 * relearning the models as it goes (alert_rule_update, from the history
 * before the time judged only), and prints one JSON line per raise and a
 * summary. tools/stuck_score.py scores what it prints.
 *
 *   stuck-replay [options] FILE.csv
 *     --time COL                 one time column, "YYYY-MM-DD HH:MM:SS"
 *     --time-parts Y,M,D,H       year, month, day, hour columns (Beijing)
 *     --utc-offset HOURS         the file's local time (default 0)
 *     --columns A,B,...          value columns (default: every other column
 *                                whose first row is a number)
 *     --learn-days D             learning period from the first row (365)
 *     --relearn-days R           relearn every R days; 0: never (7)
 *     --history-days H           a relearning looks H days back (365)
 *     --models                   also print each model learned
 *
 * A cell that is empty or NA is a missing reading (no point). Rows dated
 * before the row above them (a clock set back: NAB's machine temperature
 * has an hour twice) are dropped and counted.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerting/alerting.h"
#include "health/health.h"

#define DAY_MS  86400000LL
#define MAXCOLS 64

typedef struct column {
    char name[64];
    int idx; /* in the CSV */
    int64_t *ts;
    double *v;
    size_t n, cap;
    uint32_t rule;
} column;

typedef struct replay {
    column cols[MAXCOLS];
    size_t ncols;
    uint32_t rule_col[4 * MAXCOLS]; /* rule id -> column + 1 */
    bool active[4 * MAXCOLS];
    size_t raises;
} replay;

static void usage(void) {
    fprintf(stderr, "usage: stuck-replay [--time COL | --time-parts Y,M,D,H] [--utc-offset H] "
                    "[--columns A,B] [--learn-days D] [--relearn-days R] [--history-days H] "
                    "[--models] FILE.csv\n");
    exit(2);
}

/* Splits a CSV line in place (no embedded commas in these files); strips quotes. */
static size_t split(char *line, char **f, size_t cap) {
    size_t n = 0;
    char *p = line;
    while (n < cap) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        char *s = p;
        size_t len = strlen(s);
        while (len && (s[len - 1] == '\r' || s[len - 1] == '\n')) s[--len] = 0;
        if (len >= 2 && s[0] == '"' && s[len - 1] == '"') s[len - 1] = 0, s++;
        f[n++] = s;
        if (!c) break;
        p = c + 1;
    }
    return n;
}

static int find_col(char **hdr, size_t nh, const char *name) {
    for (size_t i = 0; i < nh; i++)
        if (!strcmp(hdr[i], name)) return (int)i;
    return -1;
}

static bool parse_num(const char *s, double *out) {
    if (!*s || !strcmp(s, "NA") || !strcmp(s, "nan") || !strcmp(s, "NaN")) return false;
    char *end;
    double x = strtod(s, &end);
    if (*end || !isfinite(x)) return false;
    *out = x;
    return true;
}

static void fmt_time(int64_t ms, char *buf, size_t cap) {
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void on_event(const alert_event *e, const alert_rule *r, void *ctx) {
    replay *rp = ctx;
    if (r->kind != ALERT_STUCK || e->action != ALERT_ACT_CONDITION) return;
    if (e->rule >= 4 * MAXCOLS || !rp->rule_col[e->rule]) return;
    bool was = rp->active[e->rule];
    rp->active[e->rule] = e->active;
    if (!e->active || was) return;
    const column *c = &rp->cols[rp->rule_col[e->rule] - 1];
    char when[32], start[32];
    int64_t start_ms = e->ts_ms - (int64_t)llround(e->value * 1000);
    fmt_time(e->ts_ms, when, sizeof when);
    fmt_time(start_ms, start, sizeof start);
    printf("{\"type\":\"raise\",\"column\":\"%s\",\"raised_ms\":%lld,\"raised\":\"%s\","
           "\"run_start_ms\":%lld,\"run_start\":\"%s\",\"run_s\":%.0f}\n",
           c->name, (long long)e->ts_ms, when, (long long)start_ms, start, e->value);
    rp->raises++;
}

/* Learns column c's model from its readings in [from, to). */
static void learn_col(const column *c, int64_t from, int64_t to, alert_stuck_model *m,
                      health_learn_info *info) {
    size_t a = 0, b = 0;
    while (a < c->n && c->ts[a] < from) a++;
    b = a;
    while (b < c->n && c->ts[b] < to) b++;
    health_learn_stuck(c->ts + a, c->v + a, b - a, m, info);
}

static void print_model(const column *c, int64_t at, const alert_stuck_model *m,
                        const health_learn_info *info) {
    printf("{\"type\":\"model\",\"column\":\"%s\",\"at_ms\":%lld,\"enough\":%s,\"points\":%zu,"
           "\"interval_ms\":%lld,\"quantum\":%.10g,\"band\":%.10g,\"edges\":[",
           c->name, (long long)at, info->enough ? "true" : "false", info->points,
           (long long)info->interval_ms, info->quantum, m->band);
    for (unsigned b = 0; b + 1 < m->n_bins; b++) printf("%s%.10g", b ? "," : "", m->edges[b]);
    printf("],\"flat_s\":[");
    for (unsigned b = 0; b < m->n_bins; b++) printf("%s%.0f", b ? "," : "", m->flat_s[b]);
    printf("]}\n");
}

static int rm_one(const char *p, const struct stat *sb, int f, struct FTW *w) {
    (void)sb, (void)f, (void)w;
    return remove(p);
}

int main(int argc, char **argv) {
    const char *time_col = NULL, *parts = NULL, *cols_opt = NULL, *file = NULL;
    double utc_off = 0, learn_days = 365, relearn_days = 7, history_days = 365;
    bool models = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (!strcmp(a, "--time") && more)
            time_col = argv[++i];
        else if (!strcmp(a, "--time-parts") && more)
            parts = argv[++i];
        else if (!strcmp(a, "--utc-offset") && more)
            utc_off = atof(argv[++i]);
        else if (!strcmp(a, "--columns") && more)
            cols_opt = argv[++i];
        else if (!strcmp(a, "--learn-days") && more)
            learn_days = atof(argv[++i]);
        else if (!strcmp(a, "--relearn-days") && more)
            relearn_days = atof(argv[++i]);
        else if (!strcmp(a, "--history-days") && more)
            history_days = atof(argv[++i]);
        else if (!strcmp(a, "--models"))
            models = true;
        else if (a[0] == '-' || file)
            usage();
        else
            file = a;
    }
    if (!file || (!time_col == !parts)) usage();

    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        return 1;
    }
    static replay rp;
    size_t rows = 0, dropped = 0, row_cap = 0;
    int64_t *row_ts = NULL;
    char *line = NULL, *hline = NULL;
    size_t lcap = 0;
    char *hdr[256], *fld[256];
    if (getline(&hline, &lcap, f) < 0) {
        fprintf(stderr, "%s: empty\n", file);
        return 1;
    }
    size_t nh = split(hline, hdr, 256);
    int tix[4] = {-1, -1, -1, -1}, ntix = 0;
    if (time_col) {
        tix[0] = find_col(hdr, nh, time_col), ntix = 1;
    } else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", parts);
        char *fp[4];
        ntix = (int)split(buf, fp, 4);
        for (int k = 0; k < ntix; k++) tix[k] = find_col(hdr, nh, fp[k]);
        if (ntix < 3) usage();
    }
    for (int k = 0; k < ntix; k++)
        if (tix[k] < 0) {
            fprintf(stderr, "%s: no time column %s\n", file, time_col ? time_col : parts);
            goto fail;
        }
    if (cols_opt) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", cols_opt);
        char *cp[MAXCOLS];
        size_t nc = split(buf, cp, MAXCOLS);
        for (size_t k = 0; k < nc; k++) {
            int ix = find_col(hdr, nh, cp[k]);
            if (ix < 0) {
                fprintf(stderr, "%s: no column %s\n", file, cp[k]);
                goto fail;
            }
            snprintf(rp.cols[rp.ncols].name, 64, "%s", cp[k]);
            rp.cols[rp.ncols++].idx = ix;
        }
    }

    while (getline(&line, &lcap, f) >= 0) {
        size_t nf = split(line, fld, 256);
        if (nf < nh) continue;
        int64_t ts;
        if (time_col) {
            struct tm tm = {0};
            const char *s = fld[tix[0]];
            if (sscanf(s, "%d-%d-%d%*c%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                       &tm.tm_min, &tm.tm_sec) < 5) {
                fprintf(stderr, "%s: bad time %s\n", file, s);
                goto fail;
            }
            tm.tm_year -= 1900, tm.tm_mon -= 1;
            ts = (int64_t)timegm(&tm) * 1000;
        } else {
            struct tm tm = {0};
            tm.tm_year = atoi(fld[tix[0]]) - 1900, tm.tm_mon = atoi(fld[tix[1]]) - 1;
            tm.tm_mday = atoi(fld[tix[2]]);
            if (ntix > 3) tm.tm_hour = atoi(fld[tix[3]]);
            ts = (int64_t)timegm(&tm) * 1000;
        }
        ts -= (int64_t)llround(utc_off * 3600000.0);
        if (rows && ts < row_ts[rows - 1]) { /* a clock set back: the engine needs time order */
            dropped++;
            continue;
        }
        if (!rows && !cols_opt) { /* every other numeric column */
            for (size_t k = 0; k < nh && rp.ncols < MAXCOLS; k++) {
                double x;
                bool is_time = false;
                for (int q = 0; q < ntix; q++) is_time |= tix[q] == (int)k;
                if (is_time || !parse_num(fld[k], &x)) continue;
                snprintf(rp.cols[rp.ncols].name, 64, "%s", hdr[k]);
                rp.cols[rp.ncols++].idx = (int)k;
            }
        }
        if (rows == row_cap) {
            row_cap = row_cap ? 2 * row_cap : 4096;
            row_ts = realloc(row_ts, row_cap * sizeof *row_ts);
            if (!row_ts) return 1;
        }
        row_ts[rows++] = ts;
        for (size_t k = 0; k < rp.ncols; k++) {
            column *c = &rp.cols[k];
            double x;
            if (!parse_num(fld[c->idx], &x)) continue;
            if (c->n == c->cap) {
                c->cap = c->cap ? 2 * c->cap : 4096;
                c->ts = realloc(c->ts, c->cap * sizeof *c->ts);
                c->v = realloc(c->v, c->cap * sizeof *c->v);
                if (!c->ts || !c->v) return 1;
            }
            c->ts[c->n] = ts, c->v[c->n] = x, c->n++;
        }
    }
    fclose(f);
    free(line);
    if (0) {
    fail:
        fclose(f);
        free(line), free(hline), free(row_ts);
        for (size_t k = 0; k < rp.ncols; k++) free(rp.cols[k].ts), free(rp.cols[k].v);
        return 1;
    }
    if (!rows || !rp.ncols) {
        fprintf(stderr, "%s: no rows or no value columns\n", file);
        free(hline), free(row_ts);
        return 1;
    }

    /* the engine, in a temporary directory */
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/stuck-replay-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char err[512];
    alert_engine *eng;
    if (alert_open(dir, &eng, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return 1;
    }
    int64_t first = row_ts[0], judge_from = first + (int64_t)(learn_days * DAY_MS);
    int64_t hist_ms = (int64_t)(history_days * DAY_MS);
    alert_rule rules[MAXCOLS];
    for (size_t k = 0; k < rp.ncols; k++) {
        column *c = &rp.cols[k];
        health_learn_info info;
        alert_rule r = {.series = (uint32_t)k + 1,
                        .series_name = c->name,
                        .enterprise = "",
                        .kind = ALERT_STUCK,
                        .priority = 3,
                        .origin = ALERT_ORIGIN_DERIVED,
                        .basis = "learned from the series' history (health_learn_stuck)"};
        learn_col(c, judge_from - hist_ms, judge_from, &r.stuck, &info);
        if (models) print_model(c, judge_from, &r.stuck, &info);
        rules[k] = r;
    }
    uint32_t ids[MAXCOLS];
    int rc = 0;
    if (alert_add_rules(eng, rules, rp.ncols, ids, err, sizeof err) != 0 ||
        alert_subscribe(eng, on_event, &rp) != 0) {
        fprintf(stderr, "%s\n", err);
        rc = 1;
        goto out;
    }
    for (size_t k = 0; k < rp.ncols; k++) {
        rp.cols[k].rule = ids[k];
        if (ids[k] < 4 * MAXCOLS) rp.rule_col[ids[k]] = (uint32_t)k + 1;
    }

    /* the judging period, row by row, relearning as due */
    int64_t relearn_ms = (int64_t)(relearn_days * DAY_MS);
    int64_t next_learn = relearn_ms > 0 ? judge_from + relearn_ms : INT64_MAX;
    size_t *pos = calloc(rp.ncols, sizeof *pos);
    alert_point pts[MAXCOLS];
    size_t judged_rows = 0;
    for (size_t k = 0; k < rp.ncols; k++)
        while (pos[k] < rp.cols[k].n && rp.cols[k].ts[pos[k]] < judge_from) pos[k]++;
    for (size_t r = 0; r < rows && rc == 0; r++) {
        int64_t ts = row_ts[r];
        if (ts < judge_from) continue;
        if (r && ts == row_ts[r - 1]) continue; /* a duplicated row: its points are fed once */
        judged_rows++;
        if (ts >= next_learn) {
            for (size_t k = 0; k < rp.ncols; k++) {
                alert_rule u;
                health_learn_info info;
                alert_rule_get(eng, rp.cols[k].rule, &u);
                learn_col(&rp.cols[k], ts - hist_ms, ts, &u.stuck, &info);
                if (models) print_model(&rp.cols[k], ts, &u.stuck, &info);
                if (alert_rule_update(eng, rp.cols[k].rule, &u, err, sizeof err) != 0) {
                    fprintf(stderr, "%s\n", err);
                    rc = 1;
                }
            }
            while (next_learn <= ts) next_learn += relearn_ms;
        }
        size_t np = 0;
        for (size_t k = 0; k < rp.ncols; k++) {
            column *c = &rp.cols[k];
            while (pos[k] < c->n && c->ts[pos[k]] == ts) {
                pts[np++] = (alert_point){
                    .series = (uint32_t)k + 1, .ts_ms = ts, .value = c->v[pos[k]], .quality = 0};
                pos[k]++;
                break;
            }
            while (pos[k] < c->n && c->ts[pos[k]] <= ts) pos[k]++;
        }
        if (np && alert_points(eng, pts, np) < 0) {
            fprintf(stderr, "alert_points: journal error\n");
            rc = 1;
        }
    }
    free(pos);
    double years = rows ? (double)(row_ts[rows - 1] - judge_from) / (365.0 * DAY_MS) : 0;
    if (years < 0) years = 0;
    printf("{\"type\":\"summary\",\"file\":\"%s\",\"columns\":%zu,\"rows\":%zu,\"judged_rows\":%zu,"
           "\"judge_from_ms\":%lld,\"judge_to_ms\":%lld,\"years\":%.4f,\"series_years\":%.4f,"
           "\"raises\":%zu,\"rows_out_of_order\":%zu}\n",
           file, rp.ncols, rows, judged_rows, (long long)judge_from, (long long)row_ts[rows - 1],
           years, years * (double)rp.ncols, rp.raises, dropped);
out:
    alert_close(eng);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t k = 0; k < rp.ncols; k++) free(rp.cols[k].ts), free(rp.cols[k].v);
    free(row_ts);
    free(hline);
    return rc;
}
