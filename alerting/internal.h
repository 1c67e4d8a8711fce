/*
 * internal.h - the engine's structures, shared by the files of alerting/
 * and nothing else: alerting.c (rules, journal, queries) and evaluate.c
 * (readings, time and the state machine). Everything here is used with
 * the engine's lock (mu) held.
 */
#ifndef PARKWATCH_ALERTING_INTERNAL_H
#define PARKWATCH_ALERTING_INTERNAL_H

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdbool.h>
#include <stdint.h>

#include "alerting/alerting.h"

#define MAX_SUBSCRIBERS 16
#define QUALITY_BAD     0x80
/* ALERT_FLAPPING: the losses remembered per rule, so its largest limit. */
#define FLAP_RING 64
/* window_ms at most a leap year: window arithmetic stays far from overflow. */
#define WINDOW_MAX_MS (366LL * 24 * 3600 * 1000)

typedef struct waiting_record {
    uint8_t key[16];
    size_t len;
    uint8_t *val;
} waiting_record;

typedef struct rule_state {
    /* Hot first, the first 64 bytes: what a reading on the quiet path
     * (alert_points) reads and writes of its stale and stuck rules, and
     * the delays: on 140,000 rules each reading's rules are out of cache,
     * and a line is what a miss costs. Then the rule's kind, limit,
     * deadband and delays at the head of r. */
    bool active, pending, want;
    bool have_prev; /* rate, stale, flapping and stuck rules: prev_ts holds */
    bool have_run;  /* ALERT_STUCK: a flat run from anchor since run_start */
    bool shelved, suppressed, oos;
    bool timed, waking; /* listed in the engine's timed or waking list (alert_tick) */
    alert_state state;
    /* rate: the previous reading; stale and flapping: the newest one (for
     * stale, when it arrived); stuck: the previous reading */
    int64_t prev_ts;
    double anchor;
    int64_t run_start;
    double run_limit_s; /* ALERT_STUCK: the model's limit at the anchor's level (0: none) */
    /* the condition the readings ask for, waiting out a delay */
    int64_t pending_since;
    double pending_value;
    int64_t since_ms, shelved_until_ms;
    double value;
    alert_rule r; /* its strings point at the copies below */
    char *series_name, *enterprise, *unit, *asset, *basis;
    double prev_v; /* rate: the previous reading's value */
    /* window_ms > 0: the window win_k being summed; win_n == 0 once
     * alert_tick judged it (later readings of it are too late) */
    bool have_win;
    uint32_t win_n;
    int64_t win_k;
    double win_sum;
    /* ALERT_FLAPPING: the times of the latest losses, a ring of FLAP_RING
     * allocated with the rule; loss_head is the next slot written */
    int64_t *losses;
    unsigned loss_head, n_losses;
} rule_state;

typedef struct series_rules {
    uint32_t *ids;
    size_t n, cap;
    uint32_t fault;          /* its FAULT rule + 1 */
    bool have_last;          /* its latest good reading, for deviation and imbalance rules */
    unsigned process_active; /* its process-class rules whose condition holds (stuck waits) */
    /* The quiet path (alert_points): a series whose rules are all limits,
     * range, one stale and one stuck rule (simple), none of them raised or
     * waiting out a delay (n_hot 0), reading inside [quiet_lo, quiet_hi]
     * where no limit wants anything, needs only its stale and stuck rules
     * looked at: the others would do nothing. */
    bool simple;
    unsigned n_hot;                 /* its rules (fault included) active or pending */
    double quiet_lo, quiet_hi;      /* refreshed as its rules are added or updated */
    uint32_t stale_id, stuck_id;    /* + 1; 0: none */
    double stuck_band, stuck_gap_s; /* its stuck rule's band and 3 spacings (0: its limit) */
    double last;
} series_rules;

/* Keeps series_rules.process_active right when a rule's condition changes.
 * Caller holds mu. */
void alerting_set_active(alert_engine *e, rule_state *r, bool active);
/* After a rule's active or pending changed from was_hot: the series' n_hot. */
void alerting_hot_update(alert_engine *e, const rule_state *r, bool was_hot);
/* Recomputes a series' quiet path (its rules added or updated). Caller holds mu. */
void alerting_series_refresh(alert_engine *e, uint32_t series);
/* A stuck rule's run_limit_s after its anchor or its model changed. */
void alerting_stuck_limit(rule_state *r);
/* Lists a rule for alert_tick if time alone can now change it (timed:
 * stale, a window, flapping; waking: waiting out a delay, or shelved).
 * Never allocates: the lists have room for every rule. Caller holds mu. */
void alerting_tick_watch(alert_engine *e, uint32_t id);

struct alert_engine {
    pthread_mutex_t mu;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    uint64_t seq;
    rule_state *rules;
    size_t n_rules, cap_rules;
    /* What alert_tick visits instead of every rule (alerting_tick_watch),
     * each with room for cap_rules ids: the timed rules (in id order
     * unless timed_unsorted) and the others while pending or shelved. */
    uint32_t *timed, *waking;
    size_t n_timed, n_waking;
    bool timed_unsorted;
    series_rules *by_series;
    size_t n_series;
    struct {
        alert_subscriber fn;
        void *ctx;
    } subs[MAX_SUBSCRIBERS];
    size_t n_subs;
    bool journal_failed;
    bool stale_held; /* alert_hold_stale: the data path is down */
    /* After RocksDB refused a write its handle is not written again (it
     * stays in error; the C API has no Resume): the journal is reopened. */
    char *path;
    bool journal_broken;
    waiting_record *waiting;
    size_t n_waiting, cap_waiting;
    int64_t retry_ms, broken_since_ms;
    char journal_error[256];
    /* Basis strings alert_rule_update replaced: alert_rule_get promised
     * them to live until alert_close, so they are freed only then. */
    char **retired;
    size_t n_retired, cap_retired;
};

/* evaluate.c: whether a rule is valid for its kind: NULL, or why not.
 * FAULT rules are the engine's: not added by callers (update false), but
 * an update may tune them. */
const char *alerting_rule_invalid(const alert_rule *r, bool update);

/* alerting.c: journals the rule's current state as the outcome of action,
 * then tells the subscribers. 0, or -1 (journal). */
int alerting_transition(alert_engine *e, uint32_t id, alert_action action, alert_state from,
                        int64_t ts, const char *user, const char *comment);
/* alerting.c: writes the records a full disk held back, at most once a second. */
void alerting_journal_retry(alert_engine *e);

#endif
