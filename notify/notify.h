/*
 * notify.h - alarm notification that reaches people: the one public header
 * of notify/.
 *
 * Fed every alarm transition (notify_on_alarm, from parkd's alerting
 * subscriber: it only copies the event into a bounded inbox, so ingest
 * never waits), the engine matches policies (priority, kind, enterprise),
 * resolves who is on call from the rosters (people/people.h), and queues
 * messages to named channels: an HTTP SMS gateway (any provider, through a
 * body template), SMTP(S) mail, WeCom and DingTalk group robots (signed),
 * a plain JSON webhook and MQTT (through the caller's publish callback).
 * Escalation steps ("P1 unacknowledged 5 min: the shift leader") and
 * quiet hours (never for priority 1) are timers checked by notify_tick
 * with the time handed in, so tests control the clock; an acknowledgement
 * (or the alarm's return to NORMAL) cancels what is still pending.
 *
 * One message per alarm and state: a raise already notified and not yet
 * acknowledged is not notified again (a chattering alarm is one message).
 * In a flood each channel sends at most flood_per_min single messages in a
 * minute and holds the rest for one summary at the minute's end; while the
 * flood lasts (a minute ended with a summary) everything is summarised, at
 * most one summary per channel per minute (robots allow 20 messages/min,
 * docs/reference/notification.md).
 *
 * Each channel has its own worker thread and bounded queue (the oldest is
 * dropped, and counted, when full); a failed send is retried with backoff
 * (retry_min_ms doubling to retry_max_ms) without holding the other
 * channels. Every attempt is appended to the delivery journal,
 * DIR/deliveries.jsonl (one JSON object a line, docs/reference/
 * notification.md), which notify_deliveries reads back.
 *
 * The config (parkd's "notify" object) is checked whole at notify_open;
 * an error names the field ("notify.policies[2].escalation[0].after_s").
 * A roster that leaves hours of the week uncovered is not an error (the
 * park's roster may cover them): each gap is a warning, listed by
 * notify_warning for the caller to log.
 *
 * Ownership and threads: notify_open returns an engine the caller frees
 * with notify_close (after the last notify_on_alarm; it stops the
 * workers; what is still queued is lost, the alarm journal has it). The
 * people directory is borrowed and must outlive the engine.
 * notify_on_alarm is safe from any thread (alerting's callback). Only one
 * thread calls notify_tick; notify_channels, notify_oncall,
 * notify_deliveries and notify_warning are safe from any thread.
 */
#ifndef PARKWATCH_NOTIFY_H
#define PARKWATCH_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerting/alerting.h"
#include "people/people.h"

typedef struct notify notify;

/* Publishes payload on topic (parkd: ingest_service_publish); 0 on
 * success. Called from the mqtt channel's worker thread. */
typedef int (*notify_publish_fn)(void *ctx, const char *topic, const char *payload, size_t len);

typedef struct notify_options {
    const json_t *config;      /* the "notify" object; read during notify_open only */
    const people *people;      /* borrowed; outlives the engine; NULL: nobody */
    const char *dir;           /* the journal's directory (created): DATA/notify */
    notify_publish_fn publish; /* the mqtt channels; NULL: they fail */
    void *publish_ctx;
} notify_options;

int notify_open(const notify_options *o, notify **out, char *err, size_t errcap);
void notify_close(notify *n);

/* Roster gaps found at notify_open: the i-th warning, NULL past the end. */
const char *notify_warning(const notify *n, size_t i);

/* Queues a transition (copies what it needs); never blocks on the network
 * or the engine's timers. A full inbox (100,000) drops and counts. */
void notify_on_alarm(notify *n, const alert_event *e, const alert_rule *rule);
/* Handles the queued transitions and the timers due at now_ms (wall ms:
 * the events' ts_ms are on the same clock). */
void notify_tick(notify *n, int64_t now_ms);

typedef struct notify_channel_state {
    char name[64];
    char type[16];
    bool up; /* the last attempt succeeded (true before any) */
    uint64_t queued, sent, failed, dropped;
    uint64_t summaries; /* flood summaries handed to the worker */
} notify_channel_state;

size_t notify_channel_count(const notify *n);
int notify_channel_get(notify *n, size_t i, notify_channel_state *out);
/* Transitions dropped because the inbox was full. */
uint64_t notify_inbox_dropped(notify *n);

/* Who is on call at now_ms for enterprise ("" : the park's roster); ids
 * into out (at most cap), the count returned (may exceed cap). Holidays
 * replace the shifts on their dates. */
size_t notify_oncall(const notify *n, const char *enterprise, int64_t now_ms, const char **out,
                     size_t cap);
/* The enterprises with a roster ("" the park), in config order. */
size_t notify_roster_count(const notify *n);
const char *notify_roster_enterprise(const notify *n, size_t i);

/* One attempt of the delivery journal. */
typedef struct notify_delivery {
    int64_t ts_ms;
    uint32_t rule;
    uint64_t seq;
    int step;        /* 0 the first message, 1.. escalation steps; -1 a summary */
    unsigned alarms; /* alarms the message speaks for (a summary: many) */
    char channel[64], enterprise[32];
    char recipient[256]; /* a phone, emails, the robot's mentions, a topic */
    char result[16];     /* "sent", "failed", "no_recipient" */
    int status;          /* HTTP status or SMTP reply code; 0: none */
    char receipt[64];    /* the provider's message id, if it gave one */
    char detail[128];    /* why it failed */
    int attempt;         /* 1 .. */
    int64_t due_ms;      /* when the engine meant it to go */
} notify_delivery;

typedef struct notify_filter {
    const char *channel, *enterprise, *result; /* NULL: any */
} notify_filter;

/* Attempts with from_ms <= ts_ms < to_ms matching f, in journal order, at
 * most limit (0: all); *out malloc'd (caller frees). 0, or -1 with err. */
int notify_deliveries(notify *n, int64_t from_ms, int64_t to_ms, const notify_filter *f,
                      size_t limit, notify_delivery **out, size_t *count, char *err, size_t errcap);

#endif
