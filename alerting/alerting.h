/*
 * alerting.h - alarms evaluated as points arrive, with the ISA-18.2 /
 * IEC 62682 state model, journalled in RocksDB: the one public header of
 * alerting/.
 *
 * Rules watch one series each: high, high-high, low, low-low limits, rate
 * of change per minute, deviation from a paired sensor (the latest good
 * readings of both), imbalance between a line's inlet and outlet meters,
 * and stale data (no reading for N seconds: a communication fault). Every
 * rule has a deadband (an active high alarm clears only below limit -
 * deadband), an on-delay (the condition must hold that long before the
 * alarm raises) and an off-delay (the return to normal must hold that long
 * before it clears) (docs/reference/alarm-management.md, section 2). The
 * limit kinds may instead be judged on the mean of fixed windows (hourly
 * and daily means, GB 3095).
 *
 * Two classes of alarm (alert_kind_class): process alarms (the plant is
 * outside its limits: high, low, rate, deviation, imbalance) and
 * instrument alarms (an instrument cannot be trusted: stale, fault, stuck
 * at a value longer than its learned model allows, outside its physical
 * range, drifting from its neighbours, flapping communications). A
 * bad-quality reading never raises a process alarm: it raises the series'
 * instrument fault instead, which a good reading clears. Drift is judged
 * outside the engine (health/) and handed in with alert_set_condition.
 *
 * Alarm states (alarm-management.md, section 1): NORMAL, UNACK (active,
 * not acknowledged), ACKED (active, acknowledged), RTN_UNACK (returned to
 * normal, not acknowledged). Shelved (with an expiry), suppressed and out
 * of service are flags on top: the alarm keeps being evaluated and its
 * transitions journalled, but it is not annunciated.
 *
 * Every transition is journalled (time, rule, states, value, limit, user,
 * comment) and handed to the subscribers. The journal answers "all
 * transitions between T1 and T2" and "the alarms active at T" (replay),
 * and the engine restores its alarm states from it when reopened, so
 * active and unacknowledged alarms stay so across a restart.
 *
 * Ownership and threads: the engine owns its rules and journal. All calls
 * take the engine's lock, so any thread may call any function; callbacks
 * run on the calling thread with the lock held and must not call back into
 * the engine (copy what they need).
 */
#ifndef PARKWATCH_ALERTING_H
#define PARKWATCH_ALERTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum alert_kind {
    ALERT_HIGH = 0,
    ALERT_HIGH_HIGH,
    ALERT_LOW,
    ALERT_LOW_LOW,
    ALERT_RATE,      /* |change| per minute above limit */
    ALERT_STALE,     /* no reading for limit seconds */
    ALERT_FAULT,     /* bad-quality reading (made by the engine per series) */
    ALERT_DEVIATION, /* |value - paired series' value| above limit */
    /* Appended (the numbers above never change). */
    ALERT_IMBALANCE, /* (value - paired) / max(|value|, deadband) above limit: a line's inlet
                        meter (series) against its outlet meter (paired), a leak; use window_ms.
                        The deadband being the denominator's floor, an active imbalance clears
                        at or below 90 % of the limit (a fixed 10 % hysteresis) */
    ALERT_STUCK,     /* no change beyond the learned noise for longer than the series
                        normally stays flat at that value (alert_stuck_model); judged at good
                        readings only (a silent transmitter is STALE); value: the run's seconds */
    ALERT_RANGE,     /* outside the physical range [limit_low, limit] of the kind of instrument;
                        clears inside [limit_low + deadband, limit - deadband] */
    ALERT_DRIFT,     /* judged outside the engine (alert_set_condition): the reading drifts away
                        from its co-located or neighbouring sensors; readings never drive it */
    ALERT_FLAPPING,  /* communications lost (a gap longer than deadband seconds before a good or
                        bad reading) at least limit (1 .. 64) times within the last window_ms;
                        losses age out at alert_tick; value: the losses counted */
    ALERT_CONDITION, /* judged by a module outside the engine (common/condition.h: a vehicle
                        off its route, a zone over its headcount, hot work near a gas alarm, a
                        camera's fire): alert_set_condition drives it, readings never do, and
                        its series (named for the condition) gets no fault rule; a process
                        alarm; value and limit are the module's measure */
    ALERT_KIND_COUNT
} alert_kind;

/* Process alarms say the plant is outside its limits; instrument alarms say
 * an instrument cannot be trusted (stale, fault, stuck, out of range,
 * drift, flapping). Both are alarms with the same states; the class is how
 * the API, the risk view and the health figures tell them apart. */
typedef enum alert_class { ALERT_CLASS_PROCESS = 0, ALERT_CLASS_INSTRUMENT } alert_class;
alert_class alert_kind_class(alert_kind k);
const char *alert_class_name(alert_class c); /* "process", "instrument" */
/* Parses a kind's name ("high_high"); false when unknown. */
bool alert_kind_parse(const char *name, alert_kind *out);

/* Where a rule comes from, listed with it (/api/v1/alarms/rules). */
typedef enum alert_origin {
    ALERT_ORIGIN_DERIVED = 0, /* from the layout (assets/, gas_defaults) */
    ALERT_ORIGIN_CONFIG,      /* the config's alarms.rules or limits overrides */
    ALERT_ORIGIN_MANUAL,      /* set by an operator through the API */
    ALERT_ORIGIN_ENGINE       /* FAULT rules the engine makes per series */
} alert_origin;
const char *alert_origin_name(alert_origin o); /* "derived", "config", "manual", "engine" */

/* A series' learned flat-run model (ALERT_STUCK), made by health/ from the
 * series' own history. A reading within `band` of the value the current
 * flat run started at is "no change". The run may last flat_s[b] seconds,
 * where b is the value's bin: bin 0 below edges[0], bin i in
 * [edges[i-1], edges[i]), the last bin at or above edges[n_bins-2]. A
 * flat_s of 0 (or a model with n_bins 0) never raises: a value at which the
 * series is normally flat for any length of time (a detector at 0 in clean
 * air, a closed valve). */
#define ALERT_STUCK_BINS 8
typedef struct alert_stuck_model {
    double band;
    unsigned n_bins; /* 0 .. ALERT_STUCK_BINS */
    double edges[ALERT_STUCK_BINS - 1];
    double flat_s[ALERT_STUCK_BINS];
    /* The series' usual spacing (s): a reading more than three of them
     * after the one before starts a new run, as a gap is no evidence of
     * flatness (0: a gap longer than the limit does). */
    double interval_s;
} alert_stuck_model;

typedef enum alert_state {
    ALERT_NORMAL = 0,
    ALERT_UNACK,
    ALERT_ACKED,
    ALERT_RTN_UNACK
} alert_state;

const char *alert_kind_name(alert_kind k);
const char *alert_state_name(alert_state s);

typedef struct alert_rule {
    uint32_t series;         /* historian series id */
    const char *series_name; /* for notifications; copied */
    const char *enterprise;  /* copied; "" for park-level series */
    alert_kind kind;
    double limit;    /* value, per-minute rate, or stale seconds */
    double deadband; /* in the value's unit (rate: per minute) */
    int64_t on_delay_ms, off_delay_ms;
    int priority;           /* 1 (highest) .. 4 */
    uint32_t paired_series; /* ALERT_DEVIATION, ALERT_IMBALANCE: the other sensor */
    /* Added with the asset limits; zero for the old behaviour. */
    alert_origin origin;
    const char *unit;  /* engineering unit of value and limit ("%LEL", "m"); copied; NULL = "" */
    const char *asset; /* the layout feature watched ("E001-T101"); copied; NULL = "" */
    const char *basis; /* how the limit was set, one line ("90 % of the 20 m tank height,
                          API 2350 high-high"); copied; NULL = "" */
    double limit_low;  /* ALERT_RANGE: the lower bound (limit is the upper) */
    /* > 0: the condition is judged on the mean of each window
     * [k*window_ms + window_offset_ms, (k+1)*window_ms + window_offset_ms)
     * of readings (a clock hour for GB 3095's hourly limits), at the first
     * reading after the window closes (or alert_tick past its end); the
     * delays then count from the windows' ends. A window without readings
     * judges nothing; readings of a window already judged are too late and
     * are left out. For HIGH, HIGH_HIGH, LOW, LOW_LOW, DEVIATION and
     * IMBALANCE only; at most 366 days; 0 <= window_offset_ms < window_ms.
     * ALERT_FLAPPING: the sliding window the losses are counted in. */
    int64_t window_ms, window_offset_ms;
    alert_stuck_model stuck; /* ALERT_STUCK */
} alert_rule;

typedef struct alert_point {
    uint32_t series;
    int64_t ts_ms;
    double value;
    uint8_t quality; /* OPC UA top bits: 0x00 good, 0x40 uncertain, 0x80 bad */
    /* When it arrived (wall ms; 0: ts_ms). The stale watch counts from it:
     * a link that delivers a backlog or a device's history late is alive,
     * not stale, whatever the readings' own times. */
    int64_t received_ms;
} alert_point;

typedef enum alert_action {
    ALERT_ACT_CONDITION = 0, /* the process raised or cleared it */
    ALERT_ACT_ACK,
    ALERT_ACT_SHELVE,
    ALERT_ACT_UNSHELVE, /* by an operator or at the shelving expiry */
    ALERT_ACT_SUPPRESS,
    ALERT_ACT_UNSUPPRESS,
    ALERT_ACT_OUT_OF_SERVICE,
    ALERT_ACT_IN_SERVICE
} alert_action;

typedef struct alert_event {
    uint64_t seq; /* journal order */
    int64_t ts_ms;
    uint32_t rule;
    alert_action action;
    alert_state from, to;
    bool active; /* the condition after the event */
    bool shelved, suppressed, out_of_service;
    int64_t shelved_until_ms; /* while shelved */
    double value, limit;
    char user[64], comment[160];
} alert_event;

typedef void (*alert_subscriber)(const alert_event *e, const alert_rule *rule, void *ctx);

typedef struct alert_engine alert_engine;

/* Opens (creating) the engine with its journal in directory dir; rules are
 * added afterwards, in the same order at every start (rule ids are their
 * index), and alarm states come back from the journal. */
int alert_open(const char *dir, alert_engine **out, char *err, size_t errcap);
void alert_close(alert_engine *e);

/* Adds rules; ids[i] receives each rule's id. A FAULT rule is added
 * automatically for each series the first time it gets a rule (origin
 * ALERT_ORIGIN_ENGINE, with that rule's unit, asset and enterprise). A
 * rule not valid for its kind is refused (-1, err says why); the rules
 * before it are added. */
int alert_add_rules(alert_engine *e, const alert_rule *rules, size_t n, uint32_t *ids, char *err,
                    size_t errcap);
/* Restores the alarm states recorded in the journal (call after the rules). */
int alert_restore(alert_engine *e, char *err, size_t errcap);
size_t alert_rule_count(alert_engine *e);
/* A rule as added (FAULT rules included); its strings belong to the engine
 * and live until alert_close (rules are never removed). 0, or -1. */
int alert_rule_get(alert_engine *e, uint32_t rule, alert_rule *out);

/* Changes a rule in place (an operator's manual limit, a relearned stuck
 * model): limit, limit_low, deadband, delays, priority, origin, basis,
 * window and stuck model are taken from *r; series, kind, paired series,
 * unit, asset and enterprise are not changed. The alarm keeps its state
 * (and a stuck rule its flat run, a flapping rule its losses) and is
 * judged against the new limit from the next reading; a changed window
 * starts empty. A replaced basis string stays valid until alert_close.
 * The engine's FAULT rules may be updated too (delays, priority). 0, or
 * -1 (no such rule, or the new values not valid for its kind) with err. */
int alert_rule_update(alert_engine *e, uint32_t rule, const alert_rule *r, char *err,
                      size_t errcap);
/* The condition of a rule judged outside the engine (ALERT_DRIFT,
 * ALERT_CONDITION; any kind
 * is accepted), through the rule's delays as a reading would be. Returns
 * the transitions (0 or 1), or -1. */
int alert_set_condition(alert_engine *e, uint32_t rule, bool active, int64_t ts_ms, double value);

/* Subscribers see every transition; at most 16. */
int alert_subscribe(alert_engine *e, alert_subscriber fn, void *ctx);
/* Removes a subscription; once it returns, fn is not running and will not
 * be called again. 0, or -1 when there was no such subscription. */
int alert_unsubscribe(alert_engine *e, alert_subscriber fn, void *ctx);

/* Evaluates points as they arrive (any order across series; per series
 * in time order). Returns the number of transitions, or -1 (journal). A
 * journal write RocksDB refuses (disk full) does not stop alarms: the
 * records wait in memory, in order (journal queries include them), and are
 * written once the disk has room (RocksDB reopened, tried at most once a
 * second by the next transition or alert_tick); -1
 * only past 100,000 waiting records. */
int alert_points(alert_engine *e, const alert_point *pts, size_t n);
/* Time passing: stale data, on/off delays that ran out, shelving expiry. */
int alert_tick(alert_engine *e, int64_t now_ms);
/* Designed suppression of stale-data alarms while the data path itself is
 * down (broker lost, a full disk holding ingest): one cause, not a flood of
 * one alarm per sensor (alarm-management.md, suppression by design). While
 * held, no stale alarm is raised (active ones stay); on release every
 * stale rule counts its period from now_ms, and readings older than the
 * newest seen (a broker's backlog) do not make a sensor look stale. Nor
 * does the outage's gap count as a flapping rule's loss. */
void alert_hold_stale(alert_engine *e, bool hold, int64_t now_ms);
/* Whether journal records are waiting for the disk: the reason into msg
 * (may be NULL), how many wait, since when (wall ms). */
bool alert_journal_error(alert_engine *e, char *msg, size_t cap, size_t *waiting,
                         int64_t *since_ms);

int alert_ack(alert_engine *e, uint32_t rule, int64_t now_ms, const char *user,
              const char *comment);
int alert_shelve(alert_engine *e, uint32_t rule, int64_t now_ms, int64_t until_ms, const char *user,
                 const char *comment);
int alert_unshelve(alert_engine *e, uint32_t rule, int64_t now_ms, const char *user,
                   const char *comment);
int alert_suppress(alert_engine *e, uint32_t rule, bool on, int64_t now_ms, const char *user,
                   const char *comment);
int alert_out_of_service(alert_engine *e, uint32_t rule, bool on, int64_t now_ms, const char *user,
                         const char *comment);

typedef struct alert_status {
    uint32_t rule;
    alert_state state;
    bool active, shelved, suppressed, out_of_service;
    int64_t since_ms, shelved_until_ms;
    double value;
} alert_status;

int alert_get(alert_engine *e, uint32_t rule, alert_status *out);
/* Alarms not in NORMAL (annunciated or not); caller frees *out. */
int alert_list_active(alert_engine *e, alert_status **out, size_t *n);

/* Journal queries; caller frees *out. */
int alert_journal_range(alert_engine *e, int64_t from_ms, int64_t to_ms, alert_event **out,
                        size_t *n);
/* The state of every rule that was not NORMAL at time T, from the journal. */
int alert_active_at(alert_engine *e, int64_t at_ms, alert_status **out, size_t *n);

/* Alarm system performance over [from, to), per enterprise (NULL: all), as
 * the alarm-management guidance counts it (alarm-management.md, sections 2
 * and 3): annunciated alarms (raised while not shelved, suppressed or out
 * of service), their average and peak per 10 minutes, the 10-minute windows
 * in flood (more than 10 alarms), the ten most frequent rules, chattering
 * rules (3 or more raises within 60 s) and standing alarms (active for more
 * than 24 h at `to`). */
typedef struct alert_kpis {
    uint64_t alarms;
    double per_10min_avg;
    uint64_t per_10min_peak;
    uint64_t flood_windows, windows;
    double flood_time_pct;
    uint32_t top_rule[10];
    uint64_t top_count[10];
    size_t n_top;
    uint64_t chattering_rules;
    uint64_t standing_alarms;
} alert_kpis;

int alert_kpis_get(alert_engine *e, int64_t from_ms, int64_t to_ms, const char *enterprise,
                   alert_kpis *out);

/* Online backup of the journal into dir (which must not exist; its parent
 * must): a RocksDB checkpoint, taken under the engine's lock, holding every
 * transition journalled before the call. *last_seq (may be NULL) receives
 * the sequence number of the last of them (0: none yet). 0, or -1 with
 * err. Alarm states need nothing more: they come back from the journal
 * (alert_restore) when an engine is opened on a restored copy. */
int alert_backup(alert_engine *e, const char *dir, uint64_t *last_seq, char *err, size_t errcap);
/* Offline: makes journal_dir (which must not exist, or be empty) a copy of
 * a journal backup, then opens it read-only to check it; *events (may be
 * NULL) receives the number of transitions in it. 0, or -1 with err. */
int alert_backup_restore(const char *backup_dir, const char *journal_dir, size_t *events, char *err,
                         size_t errcap);

/* Notifications POSTed (JSON bodies, in order) to an http:// URL from a
 * thread of its own; send only queues (at most queue_cap, default 10,000:
 * the oldest is dropped and counted beyond). Failed POSTs are retried with
 * backoff from 0.5 s to 30 s. Thread-safe. */
typedef struct alert_webhook alert_webhook;
int alert_webhook_start(const char *url, size_t queue_cap, alert_webhook **out, char *err,
                        size_t errcap);
int alert_webhook_send(alert_webhook *w, const char *json);
void alert_webhook_stats(alert_webhook *w, uint64_t *delivered, uint64_t *queued, uint64_t *dropped,
                         uint64_t *failures);
void alert_webhook_stop(alert_webhook *w); /* what is still queued is lost: the journal has it */

#endif
