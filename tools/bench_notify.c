/*
 * bench_notify.c - "parkbench notify": the notification engine (notify/)
 * under a standing load and an alarm flood, against fake gateways on
 * loopback ports in this process.
 *
 *   parkbench notify [--active N=10000] [--flood N=5000] [--flood-seconds S=60]
 *                    [--p1-percent P=10] [--tick-ms MS=100] [--esc1-s S=5] [--esc2-s S=15]
 *                    [--sms-flood-per-min N=2000] [--keep]
 *
 * Three fake gateways (HTTP/1.1, keep-alive or close as the client asks;
 * each request counted, timed on arrival, its alarm (rule), step and
 * recipient read from the body): "sms" (sms_http, a JSON body template),
 * "hook" (a plain webhook, the park's incident system) and "robot" (a
 * WeCom group robot, flood_per_min 20: its documented limit). 900 people
 * in 300 enterprises (a day and a night shift leader, a safety director
 * each) and 3 park duty officers; rosters cover the whole week.
 *
 * Policies: priority 1 -> hook and robot at once, the enterprise's shift
 * leader on call by SMS after esc1 s, the safety director and the park's
 * duty officer on call by SMS after esc2 s (5 s and 15 s stand for 5 and
 * 15 min: the same timer code). Priorities 2-4 -> hook only.
 *
 * Load: --active alarms (priorities 2-4) raised at once and left active,
 * their messages drained, then --flood raises spread evenly over
 * --flood-seconds of real time on top (each at a random instant of its slot), --p1-percent of them
 * priority 1. notify_tick runs on its own thread every --tick-ms with the wall clock.
 *
 * Measured (flood alarms only): latency from notify_on_alarm to the hook's
 * receipt of the alarm's own message (every alarm goes singly there); the
 * robot's summarised alarms separately (a summary names no alarm: held
 * alarms are given to the summaries in order of raise); escalation lateness,
 * each escalation SMS's arrival minus its due time (raise + after_s). Counts:
 * per channel, requests the gateway accepted vs "sent" in the journal;
 * duplicates (the same rule, step and recipient twice); alarms and
 * escalations that never arrived. Non-zero exit if any count is off.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "notify/notify.h"
#include "people/people.h"

int bench_notify(int argc, char **argv);

#define N_ENT      300
#define N_DUTY     3
#define GW_MAXCONN 64

static double wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- the fake gateways ---- */

typedef enum gw_kind { GW_SMS, GW_HOOK, GW_ROBOT } gw_kind;

typedef struct gw_msg {
    double at_ms;
    uint32_t rule; /* 0: a summary */
    int step;
    unsigned alarms;
    char to[24];   /* the SMS's phone; "" otherwise */
    uint64_t hash; /* a summary's text (an SMS summary comes once per phone) */
} gw_msg;

typedef struct gw_conn {
    int fd;
    char *buf;
    size_t n, cap;
} gw_conn;

typedef struct gateway {
    gw_kind kind;
    const char *name;
    int fd, port;
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t mu;
    gw_msg *m;
    size_t n, cap;
    unsigned accepted, bad, conns, summaries, alarms; /* alarms: singly + in summaries */
} gateway;

static unsigned num_after(const char *s, const char *key) {
    const char *p = s ? strstr(s, key) : NULL;
    return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

/* The alarm, step and recipient a request carries; false if unreadable. */
static bool gw_parse(gw_kind kind, const char *body, gw_msg *m) {
    json_t *j = json_loads(body, 0, NULL);
    if (!j) return false;
    bool ok = true;
    if (kind == GW_HOOK) {
        m->rule = (uint32_t)json_integer_value(json_object_get(j, "rule"));
        m->step = (int)json_integer_value(json_object_get(j, "step"));
        m->alarms = (unsigned)json_integer_value(json_object_get(j, "alarms"));
        if (json_is_true(json_object_get(j, "summary"))) m->rule = 0, m->step = -1;
    } else {
        /* sms: our template {"to","rule","title","text"}; robot: markdown
         * "### title\n> text" */
        const char *title, *text;
        if (kind == GW_SMS) {
            title = json_string_value(json_object_get(j, "title"));
            text = json_string_value(json_object_get(j, "text"));
            const char *to = json_string_value(json_object_get(j, "to"));
            snprintf(m->to, sizeof m->to, "%s", to ? to : "");
        } else
            title = text =
                json_string_value(json_object_get(json_object_get(j, "markdown"), "content"));
        if (!title || !text)
            ok = false;
        else if (strstr(title, "[flood] ")) {
            m->rule = 0, m->step = -1, m->alarms = num_after(title, "[flood] ");
            m->hash = 1469598103934665603ULL; /* FNV-1a */
            for (const char *p = text; *p; p++)
                m->hash = (m->hash ^ (uint8_t)*p) * 1099511628211ULL;
        } else {
            m->rule = num_after(text, "Rule "), m->alarms = 1;
            m->step = (int)num_after(text, "(escalation step ");
            ok = m->rule != 0;
        }
    }
    json_decref(j);
    return ok;
}

static const char gw_reply[] = "{\"errcode\":0,\"errmsg\":\"ok\",\"BizId\":\"bench-1\"}";

/* Serves the complete requests in c's buffer; false: close the connection. */
static bool gw_serve(gateway *g, gw_conn *c) {
    for (;;) {
        c->buf[c->n] = 0;
        char *end = strstr(c->buf, "\r\n\r\n");
        if (!end) return true; /* gw_main grows the buffer */
        *end = 0;
        const char *cl = strcasestr(c->buf, "Content-Length:");
        size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
        bool close_after = strcasestr(c->buf, "Connection: close") != NULL;
        size_t head = (size_t)(end + 4 - c->buf);
        if (c->n < head + want) {
            *end = '\r';
            if (head + want + 1 > c->cap) {
                char *b = realloc(c->buf, head + want + 1);
                if (!b) return false;
                c->buf = b, c->cap = head + want + 1;
            }
            return true;
        }
        gw_msg m = {.at_ms = wall_ms()};
        char saved = c->buf[head + want];
        c->buf[head + want] = 0;
        bool ok = gw_parse(g->kind, c->buf + head, &m);
        c->buf[head + want] = saved;
        pthread_mutex_lock(&g->mu);
        g->accepted++;
        if (!ok)
            g->bad++;
        else {
            g->alarms += m.alarms;
            g->summaries += !m.rule;
            if (g->n == g->cap) {
                size_t cap = g->cap ? g->cap * 2 : 4096;
                gw_msg *p = realloc(g->m, cap * sizeof *p);
                if (p) g->m = p, g->cap = cap;
            }
            if (g->n < g->cap) g->m[g->n++] = m;
        }
        pthread_mutex_unlock(&g->mu);
        char resp[256];
        int l = snprintf(resp, sizeof resp,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n%s\r\n%s",
                         strlen(gw_reply), close_after ? "Connection: close\r\n" : "", gw_reply);
        if (send(c->fd, resp, (size_t)l, MSG_NOSIGNAL) != l || close_after) return false;
        memmove(c->buf, c->buf + head + want, c->n - head - want);
        c->n -= head + want;
    }
}

static void *gw_main(void *arg) {
    gateway *g = arg;
    gw_conn conns[GW_MAXCONN];
    size_t nc = 0;
    struct pollfd pf[GW_MAXCONN + 1];
    while (!atomic_load(&g->stop)) {
        pf[0] = (struct pollfd){g->fd, POLLIN, 0};
        for (size_t i = 0; i < nc; i++) pf[i + 1] = (struct pollfd){conns[i].fd, POLLIN, 0};
        if (poll(pf, nc + 1, 50) <= 0) continue;
        for (size_t i = nc; i-- > 0;) {
            if (!pf[i + 1].revents) continue;
            gw_conn *c = &conns[i];
            if (c->n + 4096 > c->cap) {
                char *b = realloc(c->buf, c->cap * 2);
                if (b) c->buf = b, c->cap *= 2;
            }
            ssize_t r = recv(c->fd, c->buf + c->n, c->cap - 1 - c->n, 0);
            if (r > 0) c->n += (size_t)r;
            if (r <= 0 || !gw_serve(g, c)) {
                close(c->fd), free(c->buf);
                conns[i] = conns[--nc];
            }
        }
        if ((pf[0].revents & POLLIN) && nc < GW_MAXCONN) {
            int fd = accept(g->fd, NULL, NULL);
            if (fd >= 0) {
                conns[nc] = (gw_conn){fd, malloc(16384), 0, 16384};
                if (!conns[nc].buf)
                    close(fd);
                else
                    nc++, g->conns++;
            }
        }
    }
    for (size_t i = 0; i < nc; i++) close(conns[i].fd), free(conns[i].buf);
    return NULL;
}

static int gw_start(gateway *g, gw_kind kind, const char *name) {
    memset(g, 0, sizeof *g);
    g->kind = kind, g->name = name;
    pthread_mutex_init(&g->mu, NULL);
    g->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (g->fd < 0 || bind(g->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(g->fd, 128) != 0 ||
        getsockname(g->fd, (struct sockaddr *)&a, &al) != 0) {
        fprintf(stderr, "parkbench: gateway %s: %s\n", name, strerror(errno));
        return -1;
    }
    g->port = ntohs(a.sin_port);
    return pthread_create(&g->th, NULL, gw_main, g) == 0 ? 0 : -1;
}

static unsigned gw_get(gateway *g, unsigned *field) {
    pthread_mutex_lock(&g->mu);
    unsigned v = *field;
    pthread_mutex_unlock(&g->mu);
    return v;
}

/* ---- the park ---- */

static char *people_json(void) {
    json_t *a = json_array();
    for (int e = 1; e <= N_ENT; e++) {
        static const char *role[] = {"lead-d", "lead-n", "safety"};
        for (int r = 0; r < 3; r++) {
            char id[64], ent[16], phone[24];
            snprintf(id, sizeof id, "E%03d-%s", e, role[r]);
            snprintf(ent, sizeof ent, "E%03d", e);
            snprintf(phone, sizeof phone, "+86139%05d%03d", e, r);
            json_array_append_new(
                a, json_pack("{s:s,s:s,s:s,s:[s],s:s}", "id", id, "name", id, "enterprise", ent,
                             "posts", r < 2 ? "shift_leader" : "safety_director", "phone", phone));
        }
    }
    for (int d = 1; d <= N_DUTY; d++) {
        char id[32], phone[24];
        snprintf(id, sizeof id, "duty-%d", d);
        snprintf(phone, sizeof phone, "+86138%08d", d);
        json_array_append_new(a, json_pack("{s:s,s:s,s:[s],s:s}", "id", id, "name", id, "posts",
                                           "duty_officer", "phone", phone));
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static json_t *shift(const char *start, const char *end, const char *who) {
    return json_pack("{s:s,s:s,s:[s]}", "start", start, "end", end, "people", who);
}

static json_t *notify_config(const gateway *sms, const gateway *hook, const gateway *robot,
                             int sms_fpm, int esc1_s, int esc2_s) {
    char url[3][160];
    snprintf(url[0], sizeof url[0], "http://127.0.0.1:%d/sms/send", sms->port);
    snprintf(url[1], sizeof url[1], "http://127.0.0.1:%d/incidents", hook->port);
    snprintf(url[2], sizeof url[2], "http://127.0.0.1:%d/cgi-bin/webhook/send?key=K", robot->port);
    json_t *ch = json_pack(
        "{s:{s:s,s:s,s:s,s:s,s:i,s:i},s:{s:s,s:s,s:i,s:i},s:{s:s,s:s,s:i}}", "sms", "type",
        "sms_http", "url", url[0], "body",
        "{\"to\":\"{phone}\",\"rule\":\"{rule}\",\"title\":\"{title}\",\"text\":\"{text}\"}",
        "receipt_field", "BizId", "flood_per_min", sms_fpm, "queue", 100000, "hook", "type",
        "webhook", "url", url[1], "flood_per_min", 1000000, "queue", 100000, "robot", "type",
        "wecom", "url", url[2], "flood_per_min", 20);
    json_t *ro = json_array();
    for (int e = 1; e <= N_ENT; e++) {
        char ent[16], d[64], n[64];
        snprintf(ent, sizeof ent, "E%03d", e);
        snprintf(d, sizeof d, "%s-lead-d", ent);
        snprintf(n, sizeof n, "%s-lead-n", ent);
        json_array_append_new(ro,
                              json_pack("{s:s,s:[o,o]}", "enterprise", ent, "shifts",
                                        shift("08:00", "20:00", d), shift("20:00", "08:00", n)));
    }
    json_array_append_new(ro, json_pack("{s:s,s:[o,o,o]}", "enterprise", "", "shifts",
                                        shift("00:00", "08:00", "duty-1"),
                                        shift("08:00", "16:00", "duty-2"),
                                        shift("16:00", "24:00", "duty-3")));
    json_t *po =
        json_pack("[{s:s,s:[i],s:{s:[s,s]},s:[{s:i,s:s,s:[s]},{s:i,s:[s],s:s,s:[s]}]},"
                  "{s:s,s:[i,i,i],s:{s:[s]}}]",
                  "name", "p1", "priorities", 1, "notify", "channels", "hook", "robot",
                  "escalation", "after_s", esc1_s, "roster", "enterprise", "channels", "sms",
                  "after_s", esc2_s, "posts", "safety_director", "roster", "park", "channels",
                  "sms", "name", "other", "priorities", 2, 3, 4, "notify", "channels", "hook");
    return json_pack("{s:o,s:o,s:o}", "channels", ch, "rosters", ro, "policies", po);
}

/* ---- the load ---- */

typedef struct bn_alarm {
    double raised_ms; /* wall, when notify_on_alarm was called */
    int64_t ts_ms;
    int priority;
} bn_alarm;

typedef struct ticker {
    notify *n;
    int tick_ms;
    atomic_bool stop;
    double max_ms, sum_ms;
    unsigned ticks;
} ticker;

static void *tick_main(void *arg) {
    ticker *t = arg;
    while (!atomic_load(&t->stop)) {
        double a = pw_mono_s();
        notify_tick(t->n, pw_wall_ms());
        double d = (pw_mono_s() - a) * 1e3;
        t->sum_ms += d, t->ticks++;
        if (d > t->max_ms) t->max_ms = d;
        pw_sleep_ms(t->tick_ms);
    }
    return NULL;
}

static uint64_t g_seq;

static void raise_alarm(notify *n, bn_alarm *al, uint32_t rule, int priority) {
    char ent[16], series[64];
    snprintf(ent, sizeof ent, "E%03u", rule % N_ENT + 1);
    snprintf(series, sizeof series, "%s/T%u/level", ent, rule);
    alert_rule r = {.series = rule,
                    .series_name = series,
                    .enterprise = ent,
                    .kind = ALERT_HIGH_HIGH,
                    .priority = priority,
                    .unit = "m"};
    al->raised_ms = wall_ms();
    al->ts_ms = (int64_t)al->raised_ms;
    al->priority = priority;
    alert_event e = {.seq = ++g_seq,
                     .ts_ms = al->ts_ms,
                     .rule = rule,
                     .action = ALERT_ACT_CONDITION,
                     .from = ALERT_NORMAL,
                     .to = ALERT_UNACK,
                     .active = true,
                     .value = 18.5,
                     .limit = 18};
    notify_on_alarm(n, &e, &r);
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double pct(double *v, size_t n, double q) {
    if (!n) return 0;
    qsort(v, n, sizeof *v, cmpd);
    size_t k = (size_t)ceil(q * (double)n);
    return v[k ? k - 1 : 0];
}

static int cmp_msg(const void *a, const void *b) {
    const gw_msg *x = a, *y = b;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    return strcmp(x->to, y->to);
}

/* Singles carrying the same rule, step and recipient more than once. */
static unsigned duplicates(gateway *g) {
    qsort(g->m, g->n, sizeof *g->m, cmp_msg);
    unsigned d = 0;
    for (size_t i = 1; i < g->n; i++)
        if (g->m[i].rule && !cmp_msg(&g->m[i], &g->m[i - 1])) d++;
    return d;
}

static int cmp_at(const void *a, const void *b) {
    const gw_msg *x = a, *y = b;
    return (x->at_ms > y->at_ms) - (x->at_ms < y->at_ms);
}

int bench_notify(int argc, char **argv) {
    int active = 10000, flood = 5000, p1_pct = 10, tick_ms = 100, esc1 = 5, esc2 = 15;
    int sms_fpm = 2000;
    double flood_s = 60;
    bool keep = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep"))
            keep = true;
        else if (v && !strcmp(a, "--active"))
            active = atoi(v), i++;
        else if (v && !strcmp(a, "--flood"))
            flood = atoi(v), i++;
        else if (v && !strcmp(a, "--flood-seconds"))
            flood_s = atof(v), i++;
        else if (v && !strcmp(a, "--p1-percent"))
            p1_pct = atoi(v), i++;
        else if (v && !strcmp(a, "--tick-ms"))
            tick_ms = atoi(v), i++;
        else if (v && !strcmp(a, "--esc1-s"))
            esc1 = atoi(v), i++;
        else if (v && !strcmp(a, "--esc2-s"))
            esc2 = atoi(v), i++;
        else if (v && !strcmp(a, "--sms-flood-per-min"))
            sms_fpm = atoi(v), i++;
        else {
            fprintf(stderr, "usage: parkbench notify [--active N] [--flood N] [--flood-seconds S] "
                            "[--p1-percent P] [--tick-ms MS] [--esc1-s S] [--esc2-s S] "
                            "[--sms-flood-per-min N] [--keep]\n");
            return 2;
        }
    }
    if (active < 0 || flood < 1 || flood_s <= 0 || p1_pct < 0 || p1_pct > 100 || tick_ms < 1 ||
        esc1 < 1 || esc2 <= esc1 || sms_fpm < 1) {
        fprintf(stderr, "parkbench notify: bad arguments\n");
        return 2;
    }

    gateway gw[3];
    gateway *sms = &gw[0], *hook = &gw[1], *robot = &gw[2];
    if (gw_start(sms, GW_SMS, "sms") || gw_start(hook, GW_HOOK, "hook") ||
        gw_start(robot, GW_ROBOT, "robot"))
        return 1;
    char err[512], dir[] = "/tmp/parkbench-notify.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("parkbench: mkdtemp");
        return 1;
    }
    char *pj_text = people_json();
    json_t *pj = json_loads(pj_text, 0, NULL);
    free(pj_text);
    people *pp = NULL;
    if (people_load(pj, &pp, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench: people: %s\n", err);
        return 1;
    }
    json_decref(pj);
    json_t *cfg = notify_config(sms, hook, robot, sms_fpm, esc1, esc2);
    notify *n = NULL;
    notify_options o = {.config = cfg, .people = pp, .dir = dir};
    if (notify_open(&o, &n, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench: notify_open: %s\n", err);
        return 1;
    }
    json_decref(cfg);
    size_t warnings = 0;
    while (notify_warning(n, warnings)) warnings++;

    size_t total = (size_t)active + (size_t)flood;
    bn_alarm *al = calloc(total + 1, sizeof *al); /* by rule: 1..active, then the flood */
    if (!al) return 1;
    ticker tk = {.n = n, .tick_ms = tick_ms};
    pthread_t tth;
    pthread_create(&tth, NULL, tick_main, &tk);

    /* the standing alarms: raised at once, left active; their messages drain */
    double t0 = pw_mono_s();
    for (int i = 1; i <= active; i++) raise_alarm(n, &al[i], (uint32_t)i, 2 + i % 3);
    while (gw_get(hook, &hook->alarms) < (unsigned)active && pw_mono_s() - t0 < 300)
        pw_sleep_ms(50);
    double active_drain_s = pw_mono_s() - t0;
    fprintf(stderr,
            "parkbench notify: %d active alarms notified in %.1f s; flood of %d over %g s\n",
            active, active_drain_s, flood, flood_s);

    /* the flood: evenly spread, p1_pct of them priority 1 */
    unsigned p1 = 0;
    uint64_t rng = 42;
    double f0 = pw_mono_s();
    for (int i = 0; i < flood; i++) {
        /* a random instant within the alarm's slot: no phase lock with the ticks */
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = (double)(rng >> 11) / 9007199254740992.0;
        double due = f0 + flood_s * (i + u) / flood, now = pw_mono_s();
        if (due > now) pw_sleep_ms((int64_t)((due - now) * 1e3));
        bool is_p1 = (i + 1) * p1_pct / 100 != i * p1_pct / 100;
        p1 += is_p1;
        uint32_t rule = (uint32_t)(active + 1 + i);
        raise_alarm(n, &al[rule], rule, is_p1 ? 1 : 2 + i % 3);
    }
    double flood_real_s = pw_mono_s() - f0;

    /* everything due has arrived: every alarm at the hook, every P1 at the
     * robot (singly or summarised), three escalation SMS per P1 */
    double w0 = pw_mono_s(), limit_s = esc2 + 150;
    while (pw_mono_s() - w0 < limit_s &&
           (gw_get(hook, &hook->alarms) < total || gw_get(robot, &robot->alarms) < p1 ||
            (gw_get(sms, &sms->accepted) < 3 * p1 &&
             /* escalations held in SMS summaries: two more minutes */
             !(gw_get(sms, &sms->summaries) && pw_mono_s() - w0 > esc2 + 125))))
        pw_sleep_ms(100);
    pw_sleep_ms(2000); /* and nothing more comes */
    atomic_store(&tk.stop, true);
    pthread_join(tth, NULL);

    /* the journal's view */
    notify_delivery *d = NULL;
    size_t nd = 0;
    if (notify_deliveries(n, 0, INT64_MAX, NULL, 0, &d, &nd, err, sizeof err) != 0) {
        fprintf(stderr, "parkbench: notify_deliveries: %s\n", err);
        return 1;
    }
    unsigned jsent[3] = {0}, jfailed = 0, jnorcpt = 0;
    for (size_t i = 0; i < nd; i++) {
        for (int k = 0; k < 3; k++)
            if (!strcmp(d[i].channel, gw[k].name) && !strcmp(d[i].result, "sent")) jsent[k]++;
        jfailed += !strcmp(d[i].result, "failed");
        jnorcpt += !strcmp(d[i].result, "no_recipient");
    }
    free(d);
    uint64_t dropped = notify_inbox_dropped(n);
    for (size_t i = 0; i < notify_channel_count(n); i++) {
        notify_channel_state cs;
        if (notify_channel_get(n, i, &cs) == 0) dropped += cs.dropped;
    }
    notify_close(n);
    for (int k = 0; k < 3; k++) atomic_store(&gw[k].stop, true);
    for (int k = 0; k < 3; k++) pthread_join(gw[k].th, NULL);

    /* latency: the flood's alarms at the hook (each singly there) */
    uint32_t first_flood = (uint32_t)active + 1;
    double *lat = calloc(hook->n + 1, sizeof *lat);
    size_t nlat = 0;
    unsigned char *seen = calloc(total + 1, 1);
    for (size_t i = 0; i < hook->n; i++) {
        const gw_msg *m = &hook->m[i];
        if (!m->rule || m->rule > total || m->step != 0) continue;
        seen[m->rule] = 1;
        if (m->rule >= first_flood) lat[nlat++] = m->at_ms - al[m->rule].raised_ms;
    }
    unsigned missing = 0;
    for (size_t r = 1; r <= total; r++) missing += !seen[r];
    double lat50 = pct(lat, nlat, 0.50), lat99 = pct(lat, nlat, 0.99), latmax = pct(lat, nlat, 1);

    /* the robot: singles, and the rest given to the summaries in order */
    qsort(robot->m, robot->n, sizeof *robot->m, cmp_at);
    memset(seen, 0, total + 1);
    unsigned robot_single = 0, robot_summaries = 0;
    double *rlat = calloc(p1 + 1, sizeof *rlat);
    size_t nrlat = 0;
    for (size_t i = 0; i < robot->n; i++)
        if (robot->m[i].rule && robot->m[i].rule <= total)
            seen[robot->m[i].rule] = 1, robot_single++;
    uint32_t next = first_flood;
    for (size_t i = 0; i < robot->n; i++) {
        if (robot->m[i].rule) continue;
        robot_summaries++;
        for (unsigned k = 0; k < robot->m[i].alarms; k++) {
            while (next <= total && (al[next].priority != 1 || seen[next])) next++;
            if (next > total) break;
            seen[next] = 1;
            rlat[nrlat++] = robot->m[i].at_ms - al[next].raised_ms;
        }
    }
    double rlat50 = pct(rlat, nrlat, 0.5), rlat99 = pct(rlat, nrlat, 0.99);

    /* escalation lateness: each escalation SMS's arrival minus its due time */
    qsort(sms->m, sms->n, sizeof *sms->m, cmp_at);
    double *late = calloc(sms->n + 1, sizeof *late);
    size_t nlate = 0;
    unsigned sms_summary_sms = 0, esc_missing = 0, escalations = 0;
    unsigned char *esc = calloc(total + 1, 1); /* bit step */
    for (size_t i = 0; i < sms->n; i++) {
        const gw_msg *m = &sms->m[i];
        sms_summary_sms += !m->rule;
        if (!m->rule || m->rule > total || m->step < 1 || m->step > 2) continue;
        esc[m->rule] |= (unsigned char)(1u << m->step);
        double due = (double)al[m->rule].ts_ms + (m->step == 1 ? esc1 : esc2) * 1e3;
        late[nlate++] = m->at_ms - due;
    }
    /* escalations held in SMS summaries (sms_flood_per_min exceeded): given
     * to the distinct summaries in order of due time */
    double *held = calloc(2 * (size_t)p1 + 1, sizeof *held);
    size_t nheld = 0;
    for (size_t r = 1; r <= total; r++)
        if (al[r].priority == 1) {
            escalations += (esc[r] >> 1 & 1) + (esc[r] >> 2 & 1);
            for (int st = 1; st <= 2; st++)
                if (!(esc[r] >> st & 1))
                    held[nheld++] = (double)al[r].ts_ms + (st == 1 ? esc1 : esc2) * 1e3;
        }
    qsort(held, nheld, sizeof *held, cmpd);
    double *hlate = calloc(nheld + 1, sizeof *hlate);
    size_t nhlate = 0, hnext = 0;
    unsigned sms_summaries = 0, summary_excess = 0;
    for (size_t i = 0; i < sms->n; i++) {
        const gw_msg *m = &sms->m[i];
        bool first = !m->rule;
        for (size_t k = 0; first && k < i; k++) first = sms->m[k].rule || sms->m[k].hash != m->hash;
        if (!first) continue;
        sms_summaries++;
        for (unsigned k = 0; k < m->alarms; k++) {
            if (hnext == nheld) {
                summary_excess++;
                continue;
            }
            hlate[nhlate++] = m->at_ms - held[hnext++];
        }
    }
    escalations += (unsigned)nhlate;
    esc_missing = (unsigned)(nheld - hnext);
    double late50 = pct(late, nlate, 0.5), late99 = pct(late, nlate, 0.99);
    double latemax = pct(late, nlate, 1);
    double hlate50 = pct(hlate, nhlate, 0.5), hlate99 = pct(hlate, nhlate, 0.99);

    unsigned gwmsgs = 0, jsucc = 0, dups = 0, bad = 0;
    bool equal = true;
    for (int k = 0; k < 3; k++) {
        gwmsgs += gw[k].accepted, jsucc += jsent[k], bad += gw[k].bad;
        equal = equal && gw[k].accepted == jsent[k];
        dups += duplicates(&gw[k]);
    }
    printf("{\"bench\": \"notify\", \"active_alarms\": %d, \"active_drain_s\": %.1f, "
           "\"flood_alarms\": %d, \"flood_seconds\": %.1f, \"flood_p1\": %u, \"tick_ms\": %d, "
           "\"latency_measured\": \"notify_on_alarm to the webhook gateway's receipt of the "
           "alarm's own message\", \"latency_p50_ms\": %.1f, \"latency_p99_ms\": %.1f, "
           "\"latency_max_ms\": %.1f, \"robot_single\": %u, \"robot_summaries\": %u, "
           "\"robot_summarised_alarms\": %zu, \"robot_summarised_latency_p50_ms\": %.0f, "
           "\"robot_summarised_latency_p99_ms\": %.0f, \"escalation_delays_s\": [%d, %d], "
           "\"escalation_delays_note\": \"stand for 5 and 15 min, same timer code\", "
           "\"escalations\": %u, \"escalation_sms\": %zu, \"escalation_late_p50_ms\": %.1f, "
           "\"escalation_late_p99_ms\": %.1f, \"escalation_late_max_ms\": %.1f, "
           "\"escalations_summarised\": %zu, \"escalation_summarised_late_p50_ms\": %.0f, "
           "\"escalation_summarised_late_p99_ms\": %.0f, \"sms_summaries\": %u, "
           "\"sms_summary_messages\": %u, \"sms_flood_per_min\": %d, "
           "\"gateway_messages\": {\"sms\": %u, \"hook\": %u, \"robot\": %u, \"total\": %u}, "
           "\"journal_successes\": {\"sms\": %u, \"hook\": %u, \"robot\": %u, \"total\": %u}, "
           "\"journal_failed\": %u, \"journal_no_recipient\": %u, \"dropped\": %llu, "
           "\"unreadable\": %u, \"duplicates\": %u, \"alarms_missing\": %u, "
           "\"escalations_missing\": %u, \"gateway_connections\": %u, \"tick_max_ms\": %.1f, "
           "\"tick_mean_ms\": %.2f, \"roster_warnings\": %zu}\n",
           active, active_drain_s, flood, flood_real_s, p1, tick_ms, lat50, lat99, latmax,
           robot_single, robot_summaries, nrlat, rlat50, rlat99, esc1, esc2, escalations, nlate,
           late50, late99, latemax, nhlate, hlate50, hlate99, sms_summaries, sms_summary_sms,
           sms_fpm, sms->accepted, hook->accepted, robot->accepted, gwmsgs, jsent[0], jsent[1],
           jsent[2], jsucc, jfailed, jnorcpt, (unsigned long long)dropped, bad, dups, missing,
           esc_missing, sms->conns + hook->conns + robot->conns, tk.max_ms,
           tk.ticks ? tk.sum_ms / tk.ticks : 0, warnings);
    bool fail =
        !equal || dups || missing || esc_missing || dropped || bad || nrlat + robot_single < p1;
    if (fail) fprintf(stderr, "parkbench notify: counts differ (see the JSON line)\n");

    for (int k = 0; k < 3; k++) close(gw[k].fd), free(gw[k].m);
    free(lat), free(rlat), free(late), free(held), free(hlate), free(seen), free(esc), free(al);
    people_free(pp);
    if (!keep) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "parkbench: could not remove %s\n", dir);
    } else
        fprintf(stderr, "parkbench notify: journal kept in %s/deliveries.jsonl\n", dir);
    return fail ? 1 : 0;
}
