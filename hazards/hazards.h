/*
 * hazards.h - the park's hidden-hazard register (隐患排查治理): the one
 * public header of hazards/.
 *
 * A hazard is reported (by park staff or the enterprise itself), assigned
 * to a person of its enterprise with a deadline and the "five in place"
 * (measures, funds, deadline, person, emergency plan), rectified, verified
 * by someone other than the rectifier, and closed (销号). A verification
 * may be rejected (back to assigned with a reason); a hazard may be
 * reassigned until it is rectified. A hazard past its deadline and not
 * closed is overdue: escalated to the park and shown to the regulator, who
 * may put it under supervision (挂牌督办) with a note. Facts and sources:
 * docs/reference/hidden-hazards.md.
 *
 *   reported --assign--> assigned --rectify--> rectified --verify--> verified --close--> closed
 *                        ^  |  (reassign)          |                     |
 *                        |  +----------------------+--reject-------------+
 *
 * Every step is an event of the journal (seq, ts, hazard, action, who, the
 * fields it changed) in RocksDB with the hazard's record, in one write; a
 * hazard or the whole register at a past time is rebuilt by replaying the
 * events up to it. Event times never go backwards (a step's time is the
 * later of now_ms and the journal's last time), so journal order is time
 * order. Evidence files are stored by their SHA-256 under
 * DIR/attachments/.
 *
 * Who may do what (hazard_actor): park staff (admin, operator) every step
 * but supervision, on every hazard; an enterprise every step but
 * supervision on its own enterprise's hazards (another's are "not found");
 * the regulator reads everything and may only supervise. A supervised
 * hazard is written off (closed) by park staff only: the enterprise cannot
 * close what the regulator supervises.
 *
 * Records cross the boundary as JSON objects (hazards_get, hazards_list's
 * page): new references the caller releases. Members: id, enterprise,
 * title, description, location, lon, lat (when given), source, alarm_rule
 * (source alarm), grade, criteria [1..20], reporter, reported_ms, state,
 * assignee, deadline_ms, measures, funds, rectifier, rectified_ms,
 * rectify_note, verifier, verified_ms, rejection, closed_ms, close_note,
 * supervised {by, ts_ms, note}, evidence [{sha256, size, type, name, by,
 * ts_ms}], and, computed at the time asked, overdue and escalated_to.
 *
 * Threads: every call may come from any thread (a read-write lock: reads
 * share it, steps take it alone). The register owns its index and files;
 * the people directory given at open is borrowed and must outlive it.
 */
#ifndef PARKWATCH_HAZARDS_H
#define PARKWATCH_HAZARDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "people/people.h"

/* Results; each maps to one HTTP status in the API. */
typedef enum hazard_status {
    HAZARD_OK = 0,
    HAZARD_EINVAL,     /* a field is wrong (400); err names it */
    HAZARD_EFORBIDDEN, /* the actor may not take this step (403) */
    HAZARD_ENOTFOUND,  /* no such hazard, or not the actor's (404) */
    HAZARD_ESTATE,     /* the step is out of order (409) */
    HAZARD_ETOOLARGE,  /* an attachment over the limit (413) */
    HAZARD_ETYPE,      /* an attachment not JPEG, PNG or PDF (415) */
    HAZARD_EIO         /* storage (500) */
} hazard_status;

typedef enum hazard_state {
    HAZARD_REPORTED = 0,
    HAZARD_ASSIGNED,
    HAZARD_RECTIFIED,
    HAZARD_VERIFIED,
    HAZARD_CLOSED,
    HAZARD_STATE_COUNT
} hazard_state;
const char *hazard_state_name(hazard_state s);
bool hazard_state_parse(const char *name, hazard_state *out);

typedef enum hazard_source {
    HAZARD_SOURCE_MANUAL = 0,
    HAZARD_SOURCE_ALARM, /* raised from an alarm rule (alarm_rule) */
    HAZARD_SOURCE_INSPECTION,
    HAZARD_SOURCE_COUNT
} hazard_source;
const char *hazard_source_name(hazard_source s);
bool hazard_source_parse(const char *name, hazard_source *out);

typedef enum hazard_grade { HAZARD_GENERAL = 0, HAZARD_MAJOR } hazard_grade;
bool hazard_grade_parse(const char *name, hazard_grade *out);

/* Every step, and the journal's action names. */
typedef enum hazard_action {
    HAZARD_ACT_REPORT = 0,
    HAZARD_ACT_ASSIGN,
    HAZARD_ACT_RECTIFY,
    HAZARD_ACT_VERIFY,
    HAZARD_ACT_REJECT,
    HAZARD_ACT_CLOSE,
    HAZARD_ACT_SUPERVISE,
    HAZARD_ACT_ATTACH,
    HAZARD_ACT_COUNT
} hazard_action;
const char *hazard_action_name(hazard_action a);
bool hazard_action_parse(const char *name, hazard_action *out);

/* ---- the 20 criteria of a major hidden hazard ---- */

/* 安监总管三〔2017〕121号: any one of them makes a hazard major. */
#define HAZARD_CRITERIA 20
typedef struct hazard_criterion {
    int number; /* 1..20 */
    const char *text;
} hazard_criterion;
/* The table, HAZARD_CRITERIA rows in number order. */
const hazard_criterion *hazard_criteria(void);

/* ---- who acts ---- */

typedef enum hazard_actor_kind {
    HAZARD_ACTOR_PARK = 0,   /* the park's staff (admin, operator) */
    HAZARD_ACTOR_ENTERPRISE, /* an enterprise, on its own hazards */
    HAZARD_ACTOR_REGULATOR   /* reads all, supervises */
} hazard_actor_kind;

typedef struct hazard_actor {
    hazard_actor_kind kind;
    const char *name;       /* who, as the journal names them (a token's name) */
    const char *enterprise; /* HAZARD_ACTOR_ENTERPRISE: its id */
} hazard_actor;

/* ---- the register ---- */

typedef struct hazards hazards;

#define HAZARDS_DEFAULT_MAX_ATTACHMENT (10u << 20)

typedef struct hazards_options {
    const char *dir;             /* created if missing: RocksDB and attachments/ */
    const people *people;        /* assignees are checked against it; may be NULL (none) */
    size_t max_attachment_bytes; /* 0: HAZARDS_DEFAULT_MAX_ATTACHMENT */
} hazards_options;

/* Opens the register and rebuilds its index from the records. */
hazard_status hazards_open(const hazards_options *o, hazards **out, char *err, size_t errcap);
void hazards_close(hazards *hz);
size_t hazards_count(hazards *hz);
size_t hazards_max_attachment_bytes(const hazards *hz);

/* A new hazard, as reported. Strings are copied; NULL is "". */
typedef struct hazard_report {
    const char *enterprise;             /* required; an enterprise actor's own */
    const char *title;                  /* required, 1..200 bytes */
    const char *description, *location; /* up to 4000 and 200 bytes */
    bool has_position;
    double lon, lat; /* WGS 84 degrees */
    hazard_source source;
    uint32_t alarm_rule; /* HAZARD_SOURCE_ALARM */
    hazard_grade grade;  /* raised to major when criteria cite any */
    uint32_t criteria;   /* bit n for criterion n (1..20) */
} hazard_report;

hazard_status hazards_report(hazards *hz, const hazard_actor *who, const hazard_report *rep,
                             int64_t now_ms, uint64_t *id, char *err, size_t errcap);

/* A step on a hazard; the fields the action uses (others ignored):
 *   assign    assignee (required), deadline_ms (> now; 0: none), measures, funds
 *   rectify   note, measures (the measures as taken)
 *   verify    note
 *   reject    note: the reason (required)
 *   close     note
 *   supervise note (required) */
typedef struct hazard_step {
    hazard_action action;
    const char *assignee;
    int64_t deadline_ms;
    const char *measures, *funds, *note; /* up to 4000 bytes each */
} hazard_step;

hazard_status hazards_act(hazards *hz, const hazard_actor *who, uint64_t id,
                          const hazard_step *step, int64_t now_ms, char *err, size_t errcap);

/* The hazard as it is (at_ms < 0) or as it was at at_ms (replayed from the
 * journal; not found before it was reported). now_ms decides overdue. */
hazard_status hazards_get(hazards *hz, const hazard_actor *who, uint64_t id, int64_t at_ms,
                          int64_t now_ms, json_t **out, char *err, size_t errcap);

/* ---- evidence ---- */

/* Stores len bytes as evidence of the hazard: refused (nothing stored)
 * above the limit (HAZARD_ETOOLARGE) or unless JPEG, PNG or PDF by their
 * magic bytes (HAZARD_ETYPE; a declared type, when given, must agree).
 * name: the file's name (1..127 bytes). *sha256_hex gets the hash. */
hazard_status hazards_attach(hazards *hz, const hazard_actor *who, uint64_t id, const char *name,
                             const char *declared_type, const void *bytes, size_t len,
                             int64_t now_ms, char sha256_hex[65], char *err, size_t errcap);
/* The evidence sha256_hex of hazard id: malloc'd bytes the caller frees,
 * and its type ("image/jpeg", "image/png", "application/pdf"). */
hazard_status hazards_attachment(hazards *hz, const hazard_actor *who, uint64_t id,
                                 const char *sha256_hex, void **bytes, size_t *len,
                                 const char **type, char *err, size_t errcap);

/* ---- lists ---- */

typedef struct hazard_filter {
    const char *enterprise; /* NULL: all (an enterprise actor: its own regardless) */
    int state;              /* a hazard_state, or -1: any */
    int grade;              /* a hazard_grade, or -1 */
    int overdue;            /* 1 only overdue, 0 only not, -1 either */
    int supervised;         /* likewise */
    const char *text;       /* in the title, ASCII case folded; NULL: any */
} hazard_filter;

#define HAZARDS_LIST_MAX 1000
#define HAZARDS_CURSOR   48 /* a cursor's text with its NUL */

/* Hazards matching f, overdue first, then by deadline (none last), then
 * id; up to limit (1..HAZARDS_LIST_MAX) after cursor (NULL or "": from the
 * start; else a previous answer's next_cursor) skipping offset more
 * (offset + limit <= 100,000). ids (limit room) gets the page, *n its
 * size, *total all matching, next_cursor "" when no more. at_ms >= 0: the
 * register as it was then (replayed: a full journal scan). */
hazard_status hazards_list(hazards *hz, const hazard_actor *who, const hazard_filter *f,
                           int64_t at_ms, int64_t now_ms, const char *cursor, size_t offset,
                           size_t limit, uint64_t *ids, size_t *n, size_t *total,
                           char next_cursor[HAZARDS_CURSOR], char *err, size_t errcap);

/* ---- statistics ---- */

typedef struct hazard_stats {
    char enterprise[32]; /* "" for the park's sum */
    uint64_t found, open, closed, closed_on_time, overdue, major, supervised;
} hazard_stats;

/* The park's sum (of what who sees) into *park, and per enterprise
 * (malloc'd, *n rows in id order; caller frees) into *per. Closed on time:
 * closed with no deadline or at or before it. */
hazard_status hazards_stats(hazards *hz, const hazard_actor *who, int64_t now_ms,
                            hazard_stats *park, hazard_stats **per, size_t *n, char *err,
                            size_t errcap);

/* ---- the journal ---- */

/* Events with from_ms <= ts_ms < to_ms that who sees, in order, at most
 * limit, as a JSON array of {seq, ts_ms, hazard, enterprise, action, who,
 * changes}; *more says whether some were left. */
hazard_status hazards_journal(hazards *hz, const hazard_actor *who, int64_t from_ms, int64_t to_ms,
                              size_t limit, json_t **out, bool *more, char *err, size_t errcap);

#endif
