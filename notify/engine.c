/*
 * engine.c - from alarm transitions to messages: the inbox notify_on_alarm
 * fills (a mutex and a copy, nothing more, so the alarm engine's lock is
 * held for microseconds), and notify_tick, which owns everything else.
 *
 * A raise (a condition transition into UNACK, annunciated) matches the
 * first policy whose priority, kind and enterprise fit; each of its steps
 * becomes a timer in a min-heap (step 0 due now, escalation steps due at
 * raise + after_s; a step falling in quiet hours waits for their end unless
 * the alarm is priority 1). An acknowledgement or the return to NORMAL
 * bumps the rule's generation: its timers still in the heap are skipped
 * when they come up (lazy deletion: cancelling is O(1), and 10,000 active
 * alarms cost a heap of their steps). A raise while the last one is still
 * unacknowledged, or an event seen twice (seq), makes no message.
 *
 * Messages then pass each channel's flood gate (see notify.h) and go to
 * the channel's worker.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/errmsg.h"
#include "notify/internal.h"

typedef struct nt_alarm {
    alert_event ev;
    alert_kind kind;
    int priority;
    char series[128], enterprise[32], unit[16], asset[64];
} nt_alarm;

typedef struct nt_rule_state {
    uint32_t gen;
    uint64_t last_seq;
    bool open; /* a raise notified, not yet acknowledged nor normal */
    nt_alarm raise;
} nt_rule_state;

typedef struct nt_timer {
    int64_t due_ms;
    uint32_t rule, gen;
    uint16_t policy, step;
} nt_timer;

struct notify {
    nt_config cfg;
    const people *people;
    notify_publish_fn publish;
    void *publish_ctx;
    nt_journal journal;
    pthread_mutex_t in_mu; /* the inbox */
    nt_alarm *in, *in_spare;
    size_t n_in;
    uint64_t in_dropped;
    nt_rule_state **rs; /* by rule id; the tick thread's */
    size_t n_rs;
    nt_timer *heap;
    size_t n_heap, heap_cap;
};

nt_journal *nt_journal_of(notify *n) {
    return &n->journal;
}

notify_publish_fn nt_publish_of(notify *n, void **ctx) {
    *ctx = n->publish_ctx;
    return n->publish;
}

/* ---- messages ---- */

void nt_msg_free(nt_msg *m) {
    if (!m) return;
    free(m->title), free(m->text), free(m);
}

nt_msg *nt_msg_clone(const nt_msg *m) {
    nt_msg *c = malloc(sizeof *c);
    if (!c) return NULL;
    *c = *m;
    c->title = strdup(m->title), c->text = strdup(m->text);
    if (!c->title || !c->text) {
        nt_msg_free(c);
        return NULL;
    }
    return c;
}

static void add_person(const person **to, size_t *n, const person *p) {
    for (size_t i = 0; i < *n; i++)
        if (to[i] == p) return;
    if (*n < NT_MAX_PEOPLE) to[(*n)++] = p;
}

/* Who a step reaches for an alarm of enterprise ent at now. */
static void step_people(const notify *n, const nt_step *st, const char *ent, int64_t now,
                        const person **to, size_t *n_to) {
    const person *buf[NT_MAX_PEOPLE];
    if (st->roster) {
        const nt_roster *r = nt_roster_find(&n->cfg, ent);
        size_t k = r ? nt_roster_oncall(r, now, n->cfg.utc_offset_min, buf, NT_MAX_PEOPLE) : 0;
        if (!k && (r = nt_roster_find(&n->cfg, ""))) /* nobody: the park's roster */
            k = nt_roster_oncall(r, now, n->cfg.utc_offset_min, buf, NT_MAX_PEOPLE);
        for (size_t i = 0; i < k && i < NT_MAX_PEOPLE; i++) add_person(to, n_to, buf[i]);
    }
    if (st->park_roster) {
        const nt_roster *r = nt_roster_find(&n->cfg, "");
        size_t k = r ? nt_roster_oncall(r, now, n->cfg.utc_offset_min, buf, NT_MAX_PEOPLE) : 0;
        for (size_t i = 0; i < k && i < NT_MAX_PEOPLE; i++) add_person(to, n_to, buf[i]);
    }
    for (size_t i = 0; st->posts && n->people && i < people_count(n->people); i++) {
        const person *p = people_at(n->people, i);
        unsigned own = p->posts & st->posts;
        /* the enterprise's own holders; the park's duty officers */
        if ((own && !strcmp(p->enterprise, ent)) ||
            ((own & 1u << PEOPLE_POST_DUTY_OFFICER) && !p->enterprise[0]))
            add_person(to, n_to, p);
    }
}

static nt_msg *alarm_message(const nt_alarm *a, int step, int64_t due, int64_t now) {
    nt_msg *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rule = a->ev.rule, m->seq = a->ev.seq, m->step = step, m->alarms = 1;
    m->priority = a->priority, m->due_ms = due;
    snprintf(m->enterprise, sizeof m->enterprise, "%s", a->enterprise);
    char title[256], text[768];
    snprintf(title, sizeof title, "[P%d] %s %s %s%s", a->priority,
             a->enterprise[0] ? a->enterprise : "PARK", a->series, alert_kind_name(a->kind),
             step > 0 ? " (unacknowledged)" : "");
    int64_t age_s = (now - a->ev.ts_ms) / 1000;
    snprintf(text, sizeof text, "%s: %g %s, limit %g %s%s%s. Rule %u. %s", alert_kind_name(a->kind),
             a->ev.value, a->unit, a->ev.limit, a->unit, a->asset[0] ? ", asset " : "", a->asset,
             a->ev.rule, "");
    if (step > 0) {
        size_t l = strlen(text);
        snprintf(text + l, sizeof text - l, "Unacknowledged for %lld min (escalation step %d).",
                 (long long)(age_s / 60), step);
    }
    m->title = strdup(title), m->text = strdup(text);
    if (!m->title || !m->text) {
        nt_msg_free(m);
        return NULL;
    }
    return m;
}

/* ---- the flood gate ---- */

static void send_summary(notify *n, nt_channel *ch, int64_t now) {
    (void)n;
    nt_msg *m = calloc(1, sizeof *m);
    if (!m) return;
    m->step = -1, m->alarms = ch->pend_alarms, m->due_ms = ch->pend_due;
    m->priority = 4;
    for (int p = 4; p >= 1; p--)
        if (ch->pend_by_prio[p]) m->priority = p;
    snprintf(m->enterprise, sizeof m->enterprise, "%s", ch->pend_enterprise);
    char title[128], text[1024];
    snprintf(title, sizeof title, "[flood] %u alarms in the last minute", ch->pend_alarms);
    int l = snprintf(text, sizeof text, "%u alarms held in a flood (P1 %u, P2 %u, P3 %u, P4 %u)",
                     ch->pend_alarms, ch->pend_by_prio[1], ch->pend_by_prio[2], ch->pend_by_prio[3],
                     ch->pend_by_prio[4]);
    for (size_t i = 0; i < ch->n_pend_top && l > 0 && (size_t)l < sizeof text; i++)
        l += snprintf(text + l, sizeof text - (size_t)l, "%s %s", i ? ";" : ":", ch->pend_top[i]);
    m->title = strdup(title), m->text = strdup(text);
    memcpy(m->to, ch->pend_to, sizeof m->to);
    m->n_to = ch->n_pend_to;
    ch->pend_alarms = 0, ch->n_pend_top = 0, ch->n_pend_to = 0;
    memset(ch->pend_by_prio, 0, sizeof ch->pend_by_prio);
    ch->flooding = true;
    ch->win_start = now, ch->win_sent = 0;
    pthread_mutex_lock(&ch->mu);
    ch->summaries++;
    pthread_mutex_unlock(&ch->mu);
    if (!m->title || !m->text) {
        nt_msg_free(m);
        return;
    }
    nt_channel_enqueue(ch, m);
}

/* A minute past the window's start: the held alarms go as one summary
 * (and the flood goes on), or the window closes. */
static void gate_tick(notify *n, nt_channel *ch, int64_t now) {
    if (!ch->win_open || now < ch->win_start + NT_MINUTE_MS) return;
    if (ch->pend_alarms)
        send_summary(n, ch, now);
    else
        ch->win_open = ch->flooding = false;
}

static void gate(notify *n, nt_channel *ch, nt_msg *m, int64_t now) {
    gate_tick(n, ch, now);
    if (!ch->win_open) ch->win_open = true, ch->win_start = now, ch->win_sent = 0;
    if (!ch->flooding && ch->win_sent < ch->flood_per_min) {
        ch->win_sent++;
        nt_channel_enqueue(ch, m);
        return;
    }
    /* A summary holds at most NT_MAX_PEOPLE recipients: one that would
     * leave someone of this message out goes now, and a new one starts,
     * so that a flood never drops a person an escalation was for. */
    size_t fresh = 0;
    for (size_t i = 0; i < m->n_to; i++) {
        size_t k = 0;
        while (k < ch->n_pend_to && ch->pend_to[k] != m->to[i]) k++;
        fresh += k == ch->n_pend_to;
    }
    if (ch->pend_alarms && ch->n_pend_to + fresh > NT_MAX_PEOPLE) send_summary(n, ch, now);
    if (!ch->pend_alarms) {
        ch->pend_due = m->due_ms;
        snprintf(ch->pend_enterprise, sizeof ch->pend_enterprise, "%s", m->enterprise);
    } else if (strcmp(ch->pend_enterprise, m->enterprise))
        ch->pend_enterprise[0] = 0; /* several: the park's */
    ch->pend_alarms += m->alarms;
    if (m->priority >= 1 && m->priority <= 4) ch->pend_by_prio[m->priority] += m->alarms;
    if (ch->n_pend_top < NT_SUMMARY_TOP)
        snprintf(ch->pend_top[ch->n_pend_top++], sizeof ch->pend_top[0], "%s", m->title);
    for (size_t i = 0; i < m->n_to; i++) add_person(ch->pend_to, &ch->n_pend_to, m->to[i]);
    nt_msg_free(m);
}

/* ---- timers ---- */

static void heap_push(notify *n, nt_timer t) {
    if (n->n_heap == n->heap_cap) {
        size_t cap = n->heap_cap ? n->heap_cap * 2 : 1024;
        nt_timer *h = realloc(n->heap, cap * sizeof *h);
        if (!h) return; /* out of memory: the step is lost (the journal shows no attempt) */
        n->heap = h, n->heap_cap = cap;
    }
    size_t i = n->n_heap++;
    while (i && n->heap[(i - 1) / 2].due_ms > t.due_ms) {
        n->heap[i] = n->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    n->heap[i] = t;
}

static nt_timer heap_pop(notify *n) {
    nt_timer top = n->heap[0], last = n->heap[--n->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n->n_heap) break;
        if (c + 1 < n->n_heap && n->heap[c + 1].due_ms < n->heap[c].due_ms) c++;
        if (n->heap[c].due_ms >= last.due_ms) break;
        n->heap[i] = n->heap[c];
        i = c;
    }
    if (n->n_heap) n->heap[i] = last;
    return top;
}

/* The end of the quiet hours holding a message due at t, or t itself. */
static int64_t quiet_release(const notify *n, const nt_policy *p, int priority, int64_t t) {
    if (!p->quiet || priority <= 1) return t; /* priority 1 is never held */
    int wm;
    nt_local_time(t, n->cfg.utc_offset_min, &wm, NULL);
    int m = wm % 1440, s = p->quiet_start_min, e = p->quiet_end_min;
    bool in = s < e ? m >= s && m < e : m >= s || m < e;
    if (!in) return t;
    int wait_min = (e - m + 1440) % 1440;
    return (t / 60000 + wait_min) * 60000;
}

static nt_rule_state *rule_state(notify *n, uint32_t rule) {
    if (rule >= n->n_rs) {
        size_t cap = n->n_rs ? n->n_rs : 1024;
        while (cap <= rule) cap *= 2;
        nt_rule_state **rs = realloc(n->rs, cap * sizeof *rs);
        if (!rs) return NULL;
        memset(rs + n->n_rs, 0, (cap - n->n_rs) * sizeof *rs);
        n->rs = rs, n->n_rs = cap;
    }
    if (!n->rs[rule]) n->rs[rule] = calloc(1, sizeof **n->rs);
    return n->rs[rule];
}

static bool policy_matches(const nt_policy *p, const nt_alarm *a) {
    if (p->priorities && !(p->priorities >> a->priority & 1)) return false;
    if (p->kinds && !(p->kinds >> a->kind & 1)) return false;
    if (!p->n_enterprises) return true;
    for (size_t i = 0; i < p->n_enterprises; i++)
        if (!strcmp(p->enterprises[i], a->enterprise)) return true;
    return false;
}

static void handle(notify *n, const nt_alarm *a, int64_t now) {
    const alert_event *ev = &a->ev;
    nt_rule_state *rs = rule_state(n, ev->rule);
    if (!rs) return;
    if (ev->seq && ev->seq <= rs->last_seq) return; /* seen already */
    rs->last_seq = ev->seq;
    if (ev->action == ALERT_ACT_ACK || ev->to == ALERT_NORMAL || ev->to == ALERT_ACKED) {
        if (rs->open) rs->gen++, rs->open = false; /* pending escalation cancelled */
        return;
    }
    bool raise = ev->action == ALERT_ACT_CONDITION && ev->to == ALERT_UNACK && ev->active &&
                 !ev->shelved && !ev->suppressed && !ev->out_of_service;
    if (!raise || rs->open) return; /* one message until acknowledged */
    size_t pi = 0;
    while (pi < n->cfg.n_po && !policy_matches(&n->cfg.po[pi], a)) pi++;
    if (pi == n->cfg.n_po) return;
    rs->open = true, rs->gen++, rs->raise = *a;
    const nt_policy *p = &n->cfg.po[pi];
    for (size_t s = 0; s < p->n_steps; s++) {
        int64_t due = s ? ev->ts_ms + p->steps[s].after_ms : now;
        heap_push(n, (nt_timer){quiet_release(n, p, a->priority, due), ev->rule, rs->gen,
                                (uint16_t)pi, (uint16_t)s});
    }
}

static void fire(notify *n, const nt_timer *t, int64_t now) {
    nt_rule_state *rs = t->rule < n->n_rs ? n->rs[t->rule] : NULL;
    if (!rs || rs->gen != t->gen || !rs->open) return; /* acknowledged meanwhile */
    const nt_policy *p = &n->cfg.po[t->policy];
    const nt_step *st = &p->steps[t->step];
    nt_msg *m = alarm_message(&rs->raise, t->step, t->due_ms, now);
    if (!m) return;
    step_people(n, st, rs->raise.enterprise, now, m->to, &m->n_to);
    for (size_t i = 0; i < st->n_ch; i++) {
        nt_msg *c = i + 1 < st->n_ch ? nt_msg_clone(m) : m;
        if (c) gate(n, &n->cfg.ch[st->ch[i]], c, now);
    }
}

/* ---- the public face ---- */

void notify_on_alarm(notify *n, const alert_event *e, const alert_rule *r) {
    pthread_mutex_lock(&n->in_mu);
    if (n->n_in == NT_INBOX_CAP) {
        n->in_dropped++;
        pthread_mutex_unlock(&n->in_mu);
        return;
    }
    nt_alarm *a = &n->in[n->n_in++];
    a->ev = *e, a->kind = r->kind, a->priority = r->priority;
    snprintf(a->series, sizeof a->series, "%s", r->series_name ? r->series_name : "");
    snprintf(a->enterprise, sizeof a->enterprise, "%s", r->enterprise ? r->enterprise : "");
    snprintf(a->unit, sizeof a->unit, "%s", r->unit ? r->unit : "");
    snprintf(a->asset, sizeof a->asset, "%s", r->asset ? r->asset : "");
    pthread_mutex_unlock(&n->in_mu);
}

void notify_tick(notify *n, int64_t now_ms) {
    pthread_mutex_lock(&n->in_mu);
    nt_alarm *batch = n->in;
    size_t k = n->n_in;
    n->in = n->in_spare, n->in_spare = batch, n->n_in = 0;
    pthread_mutex_unlock(&n->in_mu);
    for (size_t i = 0; i < k; i++) handle(n, &batch[i], now_ms);
    while (n->n_heap && n->heap[0].due_ms <= now_ms) {
        nt_timer t = heap_pop(n);
        fire(n, &t, now_ms);
    }
    for (size_t i = 0; i < n->cfg.n_ch; i++) gate_tick(n, &n->cfg.ch[i], now_ms);
}

uint64_t notify_inbox_dropped(notify *n) {
    pthread_mutex_lock(&n->in_mu);
    uint64_t d = n->in_dropped;
    pthread_mutex_unlock(&n->in_mu);
    return d;
}

int notify_open(const notify_options *o, notify **out, char *err, size_t errcap) {
    *out = NULL;
    notify *n = calloc(1, sizeof *n);
    if (!n) return pw_fail(err, errcap, "notify: out of memory");
    n->people = o->people, n->publish = o->publish, n->publish_ctx = o->publish_ctx;
    pthread_mutex_init(&n->in_mu, NULL);
    n->in = malloc(NT_INBOX_CAP * sizeof *n->in);
    n->in_spare = malloc(NT_INBOX_CAP * sizeof *n->in);
    if (!n->in || !n->in_spare) {
        notify_close(n);
        return pw_fail(err, errcap, "notify: out of memory");
    }
    if (nt_config_load(o->config, o->people, &n->cfg, err, errcap) != 0 ||
        nt_journal_open(&n->journal, o->dir, err, errcap) != 0) {
        notify_close(n);
        return -1;
    }
    for (size_t i = 0; i < n->cfg.n_ch; i++)
        if (nt_channel_start(&n->cfg.ch[i], n, err, errcap) != 0) {
            notify_close(n);
            return -1;
        }
    *out = n;
    return 0;
}

void notify_close(notify *n) {
    if (!n) return;
    for (size_t i = 0; i < n->cfg.n_ch; i++) nt_channel_stop(&n->cfg.ch[i]);
    nt_journal_close(&n->journal);
    nt_config_free(&n->cfg);
    for (size_t i = 0; i < n->n_rs; i++) free(n->rs[i]);
    free(n->rs), free(n->heap), free(n->in), free(n->in_spare);
    pthread_mutex_destroy(&n->in_mu);
    free(n);
}

const char *notify_warning(const notify *n, size_t i) {
    return i < n->cfg.n_warn ? n->cfg.warn[i] : NULL;
}

size_t notify_channel_count(const notify *n) {
    return n->cfg.n_ch;
}

int notify_channel_get(notify *n, size_t i, notify_channel_state *out) {
    if (i >= n->cfg.n_ch) return -1;
    nt_channel *ch = &n->cfg.ch[i];
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", ch->name);
    snprintf(out->type, sizeof out->type, "%s", nt_type_name(ch->type));
    pthread_mutex_lock(&ch->mu);
    out->up = ch->up, out->queued = ch->n, out->sent = ch->sent, out->failed = ch->failed;
    out->dropped = ch->dropped, out->summaries = ch->summaries;
    pthread_mutex_unlock(&ch->mu);
    return 0;
}

size_t notify_oncall(const notify *n, const char *enterprise, int64_t now_ms, const char **out,
                     size_t cap) {
    const nt_roster *r = nt_roster_find(&n->cfg, enterprise);
    if (!r) return 0;
    const person *p[NT_MAX_PEOPLE];
    size_t k = nt_roster_oncall(r, now_ms, n->cfg.utc_offset_min, p, NT_MAX_PEOPLE);
    for (size_t i = 0; i < k && i < cap && i < NT_MAX_PEOPLE; i++) out[i] = p[i]->id;
    return k;
}

size_t notify_roster_count(const notify *n) {
    return n->cfg.n_ro;
}

const char *notify_roster_enterprise(const notify *n, size_t i) {
    return i < n->cfg.n_ro ? n->cfg.ro[i].enterprise : NULL;
}

int notify_deliveries(notify *n, int64_t from_ms, int64_t to_ms, const notify_filter *f,
                      size_t limit, notify_delivery **out, size_t *count, char *err,
                      size_t errcap) {
    return nt_journal_query(&n->journal, from_ms, to_ms, f, limit, out, count, err, errcap);
}
