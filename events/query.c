/*
 * query.c - reading the store: an entity's events (one range of the 'e'
 * order), the events of a time range with filters (the 't' order), and
 * the state of every entity of a type at a time (the 's' order: one seek
 * back from the time per entity, then a jump past it).
 *
 * A stored value that does not decode is an error (EV_EIO naming its
 * sequence number), never an event made of whatever bytes were there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/internal.h"

void ev_list_free(ev_list *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) evs_event_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

bool evs_list_push(ev_list *l, size_t *cap, ev_event *e) {
    if (l->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        ev_event *v = realloc(l->v, c * sizeof *v);
        if (!v) return false;
        l->v = v, *cap = c;
    }
    l->v[l->n++] = *e;
    memset(e, 0, sizeof *e);
    return true;
}

/* The text a query names (an entity, a prefix): 1..EV_ENTITY_MAX bytes
 * without control characters, or the reason it is not. */
static const char *probe_why(const char *s, const char *what) {
    size_t n = s ? strnlen(s, EV_ENTITY_MAX + 1) : 0;
    if (n < 1 || n > EV_ENTITY_MAX) return what;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20) return what;
    return NULL;
}

/* Decodes the iterator's entry (its key's last 16 bytes: ts and seq) and
 * pushes it; EV_OK, or the error. */
static ev_status take(rocksdb_iterator_t *it, ev_list *out, size_t *cap, char *err, size_t errcap) {
    size_t kl, vl;
    const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
    const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
    if (kl < 1 + EV_TAIL) return evs_fail(err, errcap, EV_EIO, "events: a key is too short");
    const uint8_t *tail = k + kl - EV_TAIL;
    ev_event e;
    if (!evs_decode(v, vl, evs_tail_ts(tail), evs_tail_seq(tail), &e))
        return evs_fail(err, errcap, EV_EIO, "events: event %llu does not decode",
                        (unsigned long long)evs_tail_seq(tail));
    if (!evs_list_push(out, cap, &e)) {
        evs_event_clear(&e);
        return evs_fail(err, errcap, EV_ENOMEM, "events: out of memory");
    }
    return EV_OK;
}

static ev_status iter_status(rocksdb_iterator_t *it, ev_status st, char *err, size_t errcap) {
    char *rerr = NULL;
    rocksdb_iter_get_error(it, &rerr);
    if (rerr)
        return st == EV_OK ? evs_db_fail(err, errcap, "read", rerr) : (rocksdb_free(rerr), st);
    return st;
}

ev_status ev_query_entity(ev_store *s, const char *entity, int64_t from_ms, int64_t to_ms,
                          size_t limit, ev_list *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    const char *why = probe_why(entity, "entity: 1..128 bytes without control characters");
    if (!s) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    if (why) return evs_fail(err, errcap, EV_EINVAL, "%s", why);
    if (from_ms >= to_ms) return EV_OK;
    if (!limit) limit = EV_DEFAULT_LIM;
    size_t n = strlen(entity), cap = 0;
    uint8_t lo[EV_KEY_MAX], hi[EV_KEY_MAX];
    size_t ll = evs_key_entity(lo, 'e', entity, n, from_ms, 0);
    size_t hl = evs_key_entity(hi, 'e', entity, n, to_ms, 0);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, hl);
    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, ro);
    ev_status st = EV_OK;
    for (rocksdb_iter_seek(it, (const char *)lo, ll); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        if (out->n == limit) {
            out->truncated = true;
            break;
        }
        if ((st = take(it, out, &cap, err, errcap))) break;
    }
    st = iter_status(it, st, err, errcap);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (st) ev_list_free(out);
    return st;
}

static bool view_passes(const evs_view *v, const ev_filter *f) {
    if (!f) return true;
    if (f->kind && (strlen(f->kind) != v->kind_len || memcmp(f->kind, v->kind, v->kind_len)))
        return false;
    if (f->enterprise &&
        (strlen(f->enterprise) != v->ent_len || memcmp(f->enterprise, v->enterprise, v->ent_len)))
        return false;
    if (f->entity_prefix) {
        size_t pl = strlen(f->entity_prefix);
        for (size_t i = 0; i < v->n_entities; i++)
            if (v->ent_lens[i] >= pl && !memcmp(v->entities[i], f->entity_prefix, pl)) return true;
        return false;
    }
    return true;
}

ev_status ev_query_time(ev_store *s, int64_t from_ms, int64_t to_ms, const ev_filter *f,
                        size_t limit, ev_list *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    if (!s) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    if (from_ms >= to_ms) return EV_OK;
    if (!limit) limit = EV_DEFAULT_LIM;
    uint8_t lo[1 + EV_TAIL], hi[1 + EV_TAIL];
    lo[0] = hi[0] = 't';
    evs_key_tail(lo + 1, from_ms, 0);
    evs_key_tail(hi + 1, to_ms, 0);
    bool filtered = f && (f->kind || f->enterprise || f->entity_prefix);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, sizeof hi);
    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, ro);
    ev_status st = EV_OK;
    size_t cap = 0, seen = 0;
    for (rocksdb_iter_seek(it, (const char *)lo, sizeof lo); rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        if (filtered) {
            /* a rare kind over a long range must not become an unbounded scan */
            if (++seen > EV_SCAN_MAX) {
                out->truncated = true;
                break;
            }
            size_t vl;
            const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
            evs_view view;
            if (!evs_peek(v, vl, &view)) {
                st = evs_fail(err, errcap, EV_EIO, "events: a stored event does not decode");
                break;
            }
            if (!view_passes(&view, f)) continue;
        }
        if (out->n == limit) {
            out->truncated = true;
            break;
        }
        if ((st = take(it, out, &cap, err, errcap))) break;
    }
    st = iter_status(it, st, err, errcap);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (st) ev_list_free(out);
    return st;
}

/* The smallest key above every key starting with k[0..n) (k's bytes are
 * text: never all 0xff). Its length. */
static size_t key_successor(uint8_t *k, size_t n) {
    while (n > 0 && k[n - 1] == 0xff) n--;
    if (n) k[n - 1]++;
    return n;
}

ev_status ev_state_at(ev_store *s, const char *type_prefix, int64_t at_ms, const char *enterprise,
                      size_t limit, ev_list *out, char *err, size_t errcap) {
    memset(out, 0, sizeof *out);
    const char *why = probe_why(type_prefix, "type: 1..128 bytes without control characters");
    if (!s) return evs_fail(err, errcap, EV_EINVAL, "events: null argument");
    if (why) return evs_fail(err, errcap, EV_EINVAL, "%s", why);
    if (!limit) limit = 100000;
    size_t pl = strlen(type_prefix), cap = 0;
    uint8_t lo[1 + EV_ENTITY_MAX], hi[1 + EV_ENTITY_MAX];
    lo[0] = 's';
    memcpy(lo + 1, type_prefix, pl);
    memcpy(hi, lo, 1 + pl);
    size_t hl = key_successor(hi, 1 + pl);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lo, 1 + pl);
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)hi, hl);
    rocksdb_iterator_t *it = rocksdb_create_iterator(s->db, ro);
    ev_status st = EV_OK;
    uint8_t probe[EV_KEY_MAX];
    rocksdb_iter_seek(it, (const char *)lo, 1 + pl);
    while (rocksdb_iter_valid(it)) {
        size_t kl;
        const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &kl);
        const uint8_t *nul = kl > 1 ? memchr(k + 1, 0, kl - 1) : NULL;
        size_t el = nul ? (size_t)(nul - (k + 1)) : 0;
        if (!nul || el > EV_ENTITY_MAX || kl != 2 + el + EV_TAIL) {
            st = evs_fail(err, errcap, EV_EIO, "events: a state key does not decode");
            break;
        }
        /* this entity's last state at or before at_ms */
        size_t pkl = evs_key_entity(probe, 's', (const char *)k + 1, el, at_ms, UINT64_MAX);
        rocksdb_iter_seek_for_prev(it, (const char *)probe, pkl);
        if (rocksdb_iter_valid(it)) {
            size_t ckl;
            const uint8_t *ck = (const uint8_t *)rocksdb_iter_key(it, &ckl);
            if (ckl == pkl && !memcmp(ck, probe, 2 + el)) {
                size_t vl;
                const uint8_t *v = (const uint8_t *)rocksdb_iter_value(it, &vl);
                evs_view view;
                if (!evs_peek(v, vl, &view)) {
                    st = evs_fail(err, errcap, EV_EIO, "events: a stored event does not decode");
                    break;
                }
                ev_filter f = {NULL, enterprise, NULL};
                if (view_passes(&view, &f)) {
                    if (out->n == limit) {
                        out->truncated = true;
                        break;
                    }
                    if ((st = take(it, out, &cap, err, errcap))) break;
                }
            }
        }
        /* past every key of this entity: entity 0x01 */
        probe[1 + el] = 1;
        rocksdb_iter_seek(it, (const char *)probe, 2 + el);
    }
    st = iter_status(it, st, err, errcap);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (st) ev_list_free(out);
    return st;
}
