/*
 * handover.h - shift handover records (交接班): the outgoing officer signs a
 * record of what the shift leaves open (open alarms, shelved ones,
 * incidents, overdue hidden hazards, instrument faults: a snapshot the
 * caller composes, kept as it was signed) and the incoming officer accepts
 * it or refuses it with a reason (plant rules let the receiver refuse
 * unclear items; until someone accepts, the outgoing shift stays
 * responsible). Signatures are the names of the tokens that signed.
 *
 * A scope is an enterprise id, or "" for the park's own duty room. At most
 * one record per scope is open (signed, not yet accepted) at a time; a
 * refused record leaves the scope free for a corrected one.
 *
 * Storage: one JSON line per version of a record, appended and synced
 * (DIR/handovers.jsonl); at open the last version of each id wins, so a
 * crash loses at most the write in flight, never an accepted record.
 *
 * Ownership: handover_open's store is freed by handover_close; records
 * filled by handover_get/handover_list are the caller's (handover_free /
 * handover_list_free). Thread rules: every function may be called from
 * any thread; an internal lock serialises them.
 */
#ifndef PARKWATCH_HANDOVER_H
#define PARKWATCH_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum handover_state {
    HANDOVER_OPEN = 0, /* signed by the outgoing officer */
    HANDOVER_ACCEPTED, /* signed by the incoming officer */
    HANDOVER_REFUSED,  /* refused by the incoming officer, with a reason */
} handover_state;

const char *handover_state_name(handover_state s);

typedef struct handover_record {
    uint64_t id;
    char scope[32];
    handover_state state;
    int64_t signed_ms, answered_ms;
    char outgoing[64], incoming[64];
    char *snapshot; /* JSON object text, as signed */
    char *notes;    /* the outgoing officer's */
    char *answer;   /* the incoming officer's notes, or why refused */
} handover_record;

typedef struct handover_store handover_store;

/* Opens (creating) the store in dir. 0, or -1 with err. */
int handover_open(const char *dir, handover_store **out, char *err, size_t errcap);
void handover_close(handover_store *s);

/* Limits on what callers hand in (checked here; longer is refused). */
#define HANDOVER_MAX_SNAPSHOT (4u << 20)
#define HANDOVER_MAX_NOTES    4096

/* The outgoing officer signs: snapshot must be a JSON object. *id gets the
 * new record's id. -1 with err when the scope has an open record (its id
 * in err), the snapshot is not an object or too long, names are empty. */
int handover_sign(handover_store *s, const char *scope, const char *outgoing,
                  const char *snapshot_json, const char *notes, int64_t now_ms, uint64_t *id,
                  char *err, size_t errcap);

/* The incoming officer answers an open record: accept (notes may be "")
 * or refuse (reason required). The incoming officer must not be the
 * outgoing one. -1 with err: no such record, not open, same officer. */
int handover_answer(handover_store *s, uint64_t id, const char *incoming, bool accept,
                    const char *notes, int64_t now_ms, char *err, size_t errcap);

/* One record (0), or -1 when there is none. */
int handover_get(handover_store *s, uint64_t id, handover_record *out);
void handover_free(handover_record *r);

/* Records signed in [from_ms, to_ms) whose scope passes keep (NULL: all),
 * newest first, at most limit. Caller frees with handover_list_free. */
int handover_list(handover_store *s, int64_t from_ms, int64_t to_ms,
                  bool (*keep)(void *ctx, const char *scope), void *ctx, size_t limit,
                  handover_record **out, size_t *n);
void handover_list_free(handover_record *v, size_t n);

#endif
