/*
 * internal.h - what the files of notify/ share; not a public header
 * (notify.h is).
 *
 *   config.c   the "notify" object checked whole: channels, rosters,
 *              policies; roster gaps as warnings; who is on call
 *   engine.c   the inbox, policies, timers (escalation, quiet hours),
 *              de-duplication and the flood gate; notify_open/close
 *   channel.c  one worker thread and bounded queue per channel; libcurl
 *              for HTTP(S) and SMTP(S); the robots' bodies and signing
 *   journal.c  the delivery journal: append and query
 *
 * The tick thread owns the engine's state (rule states, timers, the flood
 * gates); a channel's queue and counters are under the channel's lock; the
 * journal under its own. Config parts are immutable after notify_open.
 */
#ifndef PARKWATCH_NOTIFY_INTERNAL_H
#define PARKWATCH_NOTIFY_INTERNAL_H

#include <pthread.h>
#include <stdio.h>

#include "notify/notify.h"

#define NT_MAX_PEOPLE  32 /* of a shift, a holiday, a message */
#define NT_MAX_STEPS   8
#define NT_MAX_CHANS   8 /* of a step */
#define NT_INBOX_CAP   100000
#define NT_MINUTE_MS   60000
#define NT_SUMMARY_TOP 3 /* alarms named in a summary */

typedef enum nt_type { NT_SMS = 0, NT_SMTP, NT_WECOM, NT_DINGTALK, NT_WEBHOOK, NT_MQTT } nt_type;
const char *nt_type_name(nt_type t);

typedef struct nt_shift {
    unsigned days;          /* bit d: ISO weekday d (1 Monday .. 7 Sunday) */
    int start_min, end_min; /* local minutes of the day; end < start: past midnight */
    const person *p[NT_MAX_PEOPLE];
    size_t n_p;
} nt_shift;

typedef struct nt_holiday {
    int date; /* yyyymmdd, local */
    const person *p[NT_MAX_PEOPLE];
    size_t n_p;
} nt_holiday;

typedef struct nt_roster {
    char enterprise[32]; /* "" the park */
    nt_shift *shifts;
    size_t n_shifts;
    nt_holiday *holidays;
    size_t n_holidays;
} nt_roster;

typedef struct nt_step {
    int64_t after_ms; /* from the raise; step 0: 0 */
    unsigned posts;   /* people of the alarm's enterprise holding these posts (duty_officer:
                         the park's) */
    bool roster;      /* whoever is on call for the alarm's enterprise (else the park's) */
    bool park_roster; /* and whoever is on call for the park */
    size_t ch[NT_MAX_CHANS];
    size_t n_ch;
} nt_step;

typedef struct nt_policy {
    char name[64];
    unsigned priorities; /* bit p for priority p; 0: any */
    uint32_t kinds;      /* bit per alert_kind; 0: any */
    char (*enterprises)[32];
    size_t n_enterprises;        /* 0: any */
    nt_step steps[NT_MAX_STEPS]; /* [0] the first message */
    size_t n_steps;
    bool quiet;                         /* quiet hours set */
    int quiet_start_min, quiet_end_min; /* local; priority 1 is never held */
} nt_policy;

/* One message on its way to a channel; owned by whoever holds it (the
 * gate, then the channel's queue, then the worker). */
typedef struct nt_msg {
    uint32_t rule;
    uint64_t seq;
    int step; /* -1: a flood summary */
    unsigned alarms;
    int priority;
    char enterprise[32];
    char *title, *text; /* UTF-8 plain text */
    const person *to[NT_MAX_PEOPLE];
    size_t n_to;
    int64_t due_ms;
    int attempt;
} nt_msg;

void nt_msg_free(nt_msg *m);
nt_msg *nt_msg_clone(const nt_msg *m);

typedef struct nt_channel {
    char name[64];
    nt_type type;
    char *url, *method, *content_type, *body, *topic, *from, *user, *password, *secret;
    char *receipt_field;
    char **headers;
    size_t n_headers;
    bool starttls, markdown;
    unsigned flood_per_min;
    size_t queue_cap;
    int retry_min_ms, retry_max_ms, timeout_ms;
    /* the flood gate: the tick thread's */
    bool win_open, flooding;
    int64_t win_start;
    unsigned win_sent;
    unsigned pend_alarms, pend_by_prio[5];
    char pend_top[NT_SUMMARY_TOP][200];
    size_t n_pend_top;
    const person *pend_to[NT_MAX_PEOPLE];
    size_t n_pend_to;
    char pend_enterprise[32];
    int64_t pend_due;
    /* the worker */
    notify *owner;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    nt_msg **q;
    size_t head, n;
    bool up;
    uint64_t sent, failed, dropped, summaries;
} nt_channel;

typedef struct nt_journal {
    pthread_mutex_t mu;
    char path[4096];
    FILE *f;
} nt_journal;

typedef struct nt_config {
    nt_channel *ch;
    size_t n_ch;
    nt_roster *ro;
    size_t n_ro;
    nt_policy *po;
    size_t n_po;
    int utc_offset_min;
    char **warn;
    size_t n_warn;
} nt_config;

/* config.c */
int nt_config_load(const json_t *cfg, const people *pp, nt_config *c, char *err, size_t errcap);
void nt_config_free(nt_config *c);
/* Local (utc_offset_min) minute of the week (0 Monday 00:00) and yyyymmdd. */
void nt_local_time(int64_t ms, int utc_offset_min, int *week_min, int *date);
size_t nt_roster_oncall(const nt_roster *r, int64_t now_ms, int utc_offset_min, const person **out,
                        size_t cap);
const nt_roster *nt_roster_find(const nt_config *c, const char *enterprise);

/* channel.c */
int nt_channel_start(nt_channel *ch, notify *owner, char *err, size_t errcap);
void nt_channel_stop(nt_channel *ch);
/* Takes m (and frees it whatever happens). */
void nt_channel_enqueue(nt_channel *ch, nt_msg *m);

/* journal.c */
int nt_journal_open(nt_journal *j, const char *dir, char *err, size_t errcap);
void nt_journal_close(nt_journal *j);
void nt_journal_append(nt_journal *j, const notify_delivery *d);
int nt_journal_query(nt_journal *j, int64_t from_ms, int64_t to_ms, const notify_filter *f,
                     size_t limit, notify_delivery **out, size_t *count, char *err, size_t errcap);

/* engine.c: what the workers need of the engine */
nt_journal *nt_journal_of(notify *n);
notify_publish_fn nt_publish_of(notify *n, void **ctx);

#endif
