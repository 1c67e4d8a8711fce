/*
 * catalog.c - the labels of every series and the inverted index that
 * selects series by matchers (catalog.h has the contract).
 *
 * Design:
 *   - Every string is interned once (a hash table over an arena), so label
 *     names and values compare by pointer and a label array is two pointers
 *     a label. Label arrays come from the same arena: a replaced array is
 *     simply no longer referenced, and every pointer handed out stays valid
 *     until pq_catalog_free.
 *   - Series live in a two-level table indexed by id (pages of 4096), so
 *     dense ids cost an array and a stray id near 2^32 costs one page.
 *   - The index: label name -> its distinct values (an array, for regex
 *     scans and label_values) and a map value -> sorted posting list, plus
 *     per name the list of every series that has the label (what "" is the
 *     complement of) and one list of all series.
 *   - A select is set algebra on sorted id arrays: equality postings and
 *     the scope's enterprise postings are intersected smallest first, then
 *     regex matchers either union the postings of the values they match or,
 *     when the candidates are fewer than the values to scan, check each
 *     candidate's own label; matchers that match "" subtract the series they
 *     reject. Intersections gallop, so a tiny list against a huge one costs
 *     its size times a logarithm.
 *   - A label with an empty value is not stored: Prometheus treats it as
 *     absent, and so does every matcher here.
 */
#include "promql/catalog.h"

#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- id lists ---- */

void pq_idlist_free(pq_idlist *l) {
    if (!l) return;
    free(l->ids);
    memset(l, 0, sizeof *l);
}

static int idl_reserve(pq_idlist *l, size_t n) {
    if (n <= l->cap) return 0;
    size_t cap = l->cap ? l->cap : 4;
    while (cap < n) {
        if (cap > SIZE_MAX / 2 / sizeof(uint32_t)) return -1;
        cap *= 2;
    }
    uint32_t *ids = realloc(l->ids, cap * sizeof *ids);
    if (!ids) return -1;
    l->ids = ids;
    l->cap = cap;
    return 0;
}

static size_t lower_bound(const uint32_t *a, size_t n, uint32_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first index >= lo with a[i] >= x, by doubling steps from lo: cheap
 * when the answer is near, logarithmic when far. */
static size_t gallop(const uint32_t *a, size_t lo, size_t n, uint32_t x) {
    if (lo >= n || a[lo] >= x) return lo;
    size_t step = 1, prev = lo, hi = lo + 1;
    while (hi < n && a[hi] < x) {
        prev = hi;
        step *= 2;
        hi = step < n - prev ? prev + step : n;
    }
    return prev + 1 + lower_bound(a + prev + 1, hi - prev - 1, x);
}

static bool contains(const uint32_t *a, size_t n, uint32_t x) {
    size_t i = lower_bound(a, n, x);
    return i < n && a[i] == x;
}

/* Posting inserts and removals never fail: set reserves first. Ids mostly
 * arrive in ascending order, so an insert is usually an append. */
static void post_insert(pq_idlist *l, uint32_t id) {
    if (l->n == 0 || l->ids[l->n - 1] < id) {
        l->ids[l->n++] = id;
        return;
    }
    size_t i = lower_bound(l->ids, l->n, id);
    if (i < l->n && l->ids[i] == id) return;
    memmove(l->ids + i + 1, l->ids + i, (l->n - i) * sizeof *l->ids);
    l->ids[i] = id;
    l->n++;
}

static void post_remove(pq_idlist *l, uint32_t id) {
    size_t i = lower_bound(l->ids, l->n, id);
    if (i == l->n || l->ids[i] != id) return;
    memmove(l->ids + i, l->ids + i + 1, (l->n - i - 1) * sizeof *l->ids);
    l->n--;
}

typedef struct view {
    const uint32_t *ids;
    size_t n;
} view;

/* a := a ∩ b, in place (the write index never passes the read index). */
static void intersect_into(pq_idlist *a, view b) {
    size_t w = 0;
    if (a->n <= b.n) {
        size_t j = 0;
        for (size_t i = 0; i < a->n && j < b.n; i++) {
            j = gallop(b.ids, j, b.n, a->ids[i]);
            if (j < b.n && b.ids[j] == a->ids[i]) a->ids[w++] = a->ids[i];
        }
    } else {
        size_t i = 0;
        for (size_t j = 0; j < b.n && i < a->n; j++) {
            i = gallop(a->ids, i, a->n, b.ids[j]);
            if (i < a->n && a->ids[i] == b.ids[j]) a->ids[w++] = b.ids[j];
        }
    }
    a->n = w;
}

/* a := a \ b, in place. */
static void subtract_into(pq_idlist *a, view b) {
    size_t w = 0, j = 0;
    for (size_t i = 0; i < a->n; i++) {
        j = gallop(b.ids, j, b.n, a->ids[i]);
        if (j == b.n || b.ids[j] != a->ids[i]) a->ids[w++] = a->ids[i];
    }
    a->n = w;
}

static bool intersects(view a, view b) {
    if (a.n > b.n) {
        view t = a;
        a = b;
        b = t;
    }
    size_t j = 0;
    for (size_t i = 0; i < a.n && j < b.n; i++) {
        j = gallop(b.ids, j, b.n, a.ids[i]);
        if (j < b.n && b.ids[j] == a.ids[i]) return true;
    }
    return false;
}

static int copy_view(pq_idlist *out, view v) {
    if (idl_reserve(out, v.n) < 0) return -1;
    if (v.n) memcpy(out->ids, v.ids, v.n * sizeof *v.ids);
    out->n = v.n;
    return 0;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* out := the union of k lists: a bitmap over their id range when that is
 * dense enough, else concatenate and sort. */
static int union_views(pq_idlist *out, const view *v, size_t k) {
    out->n = 0;
    size_t total = 0;
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < k; i++) {
        if (!v[i].n) continue;
        total += v[i].n;
        if (v[i].ids[0] < lo) lo = v[i].ids[0];
        if (v[i].ids[v[i].n - 1] > hi) hi = v[i].ids[v[i].n - 1];
    }
    if (total == 0) return 0;
    if (idl_reserve(out, total) < 0) return -1;
    size_t words = ((size_t)(hi - lo) >> 6) + 1;
    if (words <= total * 2) {
        uint64_t *bits = calloc(words, sizeof *bits);
        if (!bits) return -1;
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < v[i].n; j++) {
                uint32_t x = v[i].ids[j] - lo;
                bits[x >> 6] |= (uint64_t)1 << (x & 63);
            }
        for (size_t w = 0; w < words; w++)
            for (uint64_t m = bits[w]; m; m &= m - 1)
                out->ids[out->n++] = lo + (uint32_t)(w << 6) + (uint32_t)__builtin_ctzll(m);
        free(bits);
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        if (v[i].n) memcpy(out->ids + out->n, v[i].ids, v[i].n * sizeof *v[i].ids);
        out->n += v[i].n;
    }
    qsort(out->ids, out->n, sizeof *out->ids, cmp_u32);
    size_t w = 0; /* "a|a" lists one value twice */
    for (size_t i = 0; i < out->n; i++)
        if (w == 0 || out->ids[w - 1] != out->ids[i]) out->ids[w++] = out->ids[i];
    out->n = w;
    return 0;
}

/* ---- the arena and interned strings ---- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} chunk;

enum { CHUNK_BYTES = 64 * 1024, PAGE_BITS = 12, PAGE_SIZE = 1 << PAGE_BITS };

typedef struct strtab {
    const char **slot;
    uint64_t *hash;
    size_t cap, n;
} strtab;

/* One slot of a map from an interned pointer to an index. */
typedef struct pslot {
    const char *key;
    uint32_t idx;
} pslot;

typedef struct pmap {
    pslot *s;
    size_t cap, n;
} pmap;

typedef struct vent { /* one value of one label name */
    const char *value;
    size_t len;
    pq_idlist post;
} vent;

typedef struct nent { /* one label name */
    const char *name;
    pq_idlist all; /* every series with this label */
    vent *vals;
    size_t n_vals, cap_vals;
    pmap ix; /* value -> index in vals */
} nent;

typedef struct sent { /* one series */
    const pq_label *labels;
    uint32_t n;
    bool known;
} sent;

struct pq_catalog {
    pthread_rwlock_t lock;
    chunk *arena;
    strtab strs;
    nent *names;
    size_t n_names, cap_names;
    pmap name_ix;
    sent **pages;
    size_t n_pages;
    pq_idlist all; /* every series with labels */
};

static void *arena_alloc(pq_catalog *c, size_t size, size_t align) {
    chunk *k = c->arena;
    if (k) {
        size_t at = (k->used + align - 1) & ~(align - 1);
        if (at <= k->cap && size <= k->cap - at) {
            k->used = at + size;
            return k->data + at;
        }
    }
    size_t cap = size > CHUNK_BYTES ? size : CHUNK_BYTES;
    if (cap > SIZE_MAX - sizeof *k) return NULL;
    chunk *nk = malloc(sizeof *nk + cap);
    if (!nk) return NULL;
    nk->cap = cap;
    nk->used = size;
    /* a big dedicated chunk goes behind the current one, which keeps its room */
    if (k && size > CHUNK_BYTES) {
        nk->next = k->next;
        k->next = nk;
    } else {
        nk->next = k;
        c->arena = nk;
    }
    return nk->data;
}

static uint64_t str_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ? h : 1;
}

static const char *intern_find(const strtab *t, const char *s, size_t n, uint64_t h) {
    if (!t->cap) return NULL;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->slot[i]) return NULL;
        if (t->hash[i] == h && strncmp(t->slot[i], s, n) == 0 && t->slot[i][n] == 0)
            return t->slot[i];
    }
}

static const char *intern_lookup(const pq_catalog *c, const char *s) {
    size_t n = strlen(s);
    return intern_find(&c->strs, s, n, str_hash(s, n));
}

static int strtab_grow(strtab *t) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    if (cap > SIZE_MAX / sizeof(uint64_t)) return -1;
    const char **slot = calloc(cap, sizeof *slot);
    uint64_t *hash = calloc(cap, sizeof *hash);
    if (!slot || !hash) {
        free(slot);
        free(hash);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slot[i]) continue;
        size_t j = t->hash[i] & (cap - 1);
        while (slot[j]) j = (j + 1) & (cap - 1);
        slot[j] = t->slot[i];
        hash[j] = t->hash[i];
    }
    free(t->slot);
    free(t->hash);
    t->slot = slot;
    t->hash = hash;
    t->cap = cap;
    return 0;
}

static const char *intern(pq_catalog *c, const char *s) {
    size_t n = strlen(s);
    uint64_t h = str_hash(s, n);
    const char *got = intern_find(&c->strs, s, n, h);
    if (got) return got;
    strtab *t = &c->strs;
    if ((t->n + 1) * 2 > t->cap && strtab_grow(t) < 0) return NULL;
    char *copy = arena_alloc(c, n + 1, 1);
    if (!copy) return NULL;
    memcpy(copy, s, n + 1);
    size_t i = h & (t->cap - 1);
    while (t->slot[i]) i = (i + 1) & (t->cap - 1);
    t->slot[i] = copy;
    t->hash[i] = h;
    t->n++;
    return copy;
}

static size_t ptr_hash(const char *p, size_t cap) {
    uint64_t x = (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

static uint32_t pmap_get(const pmap *m, const char *key) {
    if (!m->cap) return UINT32_MAX;
    for (size_t i = ptr_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->s[i].key) return UINT32_MAX;
        if (m->s[i].key == key) return m->s[i].idx;
    }
}

static void pmap_place(pslot *s, size_t cap, const char *key, uint32_t idx) {
    size_t i = ptr_hash(key, cap);
    while (s[i].key) i = (i + 1) & (cap - 1);
    s[i] = (pslot){key, idx};
}

static int pmap_put(pmap *m, const char *key, uint32_t idx) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        if (cap > SIZE_MAX / sizeof(pslot)) return -1;
        pslot *s = calloc(cap, sizeof *s);
        if (!s) return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i].key) pmap_place(s, cap, m->s[i].key, m->s[i].idx);
        free(m->s);
        m->s = s;
        m->cap = cap;
    }
    pmap_place(m->s, m->cap, key, idx);
    m->n++;
    return 0;
}

/* ---- the catalog ---- */

pq_catalog *pq_catalog_new(void) {
    pq_catalog *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void pq_catalog_free(pq_catalog *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_names; i++) {
        nent *ne = &c->names[i];
        for (size_t j = 0; j < ne->n_vals; j++) pq_idlist_free(&ne->vals[j].post);
        free(ne->vals);
        free(ne->ix.s);
        pq_idlist_free(&ne->all);
    }
    free(c->names);
    free(c->name_ix.s);
    for (size_t i = 0; i < c->n_pages; i++) free(c->pages[i]);
    free(c->pages);
    free(c->strs.slot);
    free(c->strs.hash);
    pq_idlist_free(&c->all);
    while (c->arena) {
        chunk *next = c->arena->next;
        free(c->arena);
        c->arena = next;
    }
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

static sent *series_at(const pq_catalog *c, uint32_t id) {
    size_t p = id >> PAGE_BITS;
    if (p >= c->n_pages || !c->pages[p]) return NULL;
    sent *e = &c->pages[p][id & (PAGE_SIZE - 1)];
    return e->known ? e : NULL;
}

static sent *series_make(pq_catalog *c, uint32_t id) {
    size_t p = id >> PAGE_BITS;
    if (p >= c->n_pages) {
        size_t n = c->n_pages ? c->n_pages : 16;
        while (n <= p) n *= 2;
        sent **pages = realloc(c->pages, n * sizeof *pages);
        if (!pages) return NULL;
        memset(pages + c->n_pages, 0, (n - c->n_pages) * sizeof *pages);
        c->pages = pages;
        c->n_pages = n;
    }
    if (!c->pages[p] && !(c->pages[p] = calloc(PAGE_SIZE, sizeof(sent)))) return NULL;
    return &c->pages[p][id & (PAGE_SIZE - 1)];
}

static nent *name_find(const pq_catalog *c, const char *iname) {
    uint32_t i = pmap_get(&c->name_ix, iname);
    return i == UINT32_MAX ? NULL : &c->names[i];
}

static vent *value_find(const nent *ne, const char *ivalue) {
    uint32_t i = pmap_get(&ne->ix, ivalue);
    return i == UINT32_MAX ? NULL : &ne->vals[i];
}

/* The index of the entry of an interned name, made when new; UINT32_MAX
 * when out of memory. */
static uint32_t name_get(pq_catalog *c, const char *iname) {
    uint32_t i = pmap_get(&c->name_ix, iname);
    if (i != UINT32_MAX) return i;
    if (c->n_names >= UINT32_MAX - 1) return UINT32_MAX;
    if (c->n_names == c->cap_names) {
        size_t cap = c->cap_names ? c->cap_names * 2 : 16;
        nent *names = realloc(c->names, cap * sizeof *names);
        if (!names) return UINT32_MAX;
        c->names = names;
        c->cap_names = cap;
    }
    i = (uint32_t)c->n_names;
    if (pmap_put(&c->name_ix, iname, i) < 0) return UINT32_MAX;
    c->names[c->n_names++] = (nent){.name = iname};
    return i;
}

static uint32_t value_get(nent *ne, const char *ivalue) {
    uint32_t i = pmap_get(&ne->ix, ivalue);
    if (i != UINT32_MAX) return i;
    if (ne->n_vals >= UINT32_MAX - 1) return UINT32_MAX;
    if (ne->n_vals == ne->cap_vals) {
        size_t cap = ne->cap_vals ? ne->cap_vals * 2 : 4;
        if (cap > SIZE_MAX / sizeof(vent)) return UINT32_MAX;
        vent *vals = realloc(ne->vals, cap * sizeof *vals);
        if (!vals) return UINT32_MAX;
        ne->vals = vals;
        ne->cap_vals = cap;
    }
    i = (uint32_t)ne->n_vals;
    if (pmap_put(&ne->ix, ivalue, i) < 0) return UINT32_MAX;
    ne->vals[ne->n_vals++] = (vent){.value = ivalue, .len = strlen(ivalue)};
    return i;
}

static int cmp_label(const void *a, const void *b) {
    return strcmp(((const pq_label *)a)->name, ((const pq_label *)b)->name);
}

/* The value of interned name iname on e, or NULL. */
static const char *label_value(const sent *e, const char *iname) {
    for (uint32_t i = 0; i < e->n; i++)
        if (e->labels[i].name == iname) return e->labels[i].value;
    return NULL;
}

static const pq_label no_labels[1];

typedef struct slot_ix {
    uint32_t name, value;
} slot_ix;

/* Under the write lock. tmp holds the n new labels, sorted and interned. */
static int set_locked(pq_catalog *c, uint32_t id, pq_label *tmp, size_t n, slot_ix *ix) {
    sent *e = series_make(c, id);
    if (!e) return -1;
    if (e->known && e->n == n) { /* the same labels again: nothing to do */
        size_t k = 0;
        while (k < n && e->labels[k].name == tmp[k].name && e->labels[k].value == tmp[k].value) k++;
        if (k == n) return 0;
    }
    /* Everything that can fail comes first (entries made, lists reserved),
     * so a failure leaves the index as it was. */
    if (!e->known && idl_reserve(&c->all, c->all.n + 1) < 0) return -1;
    for (size_t i = 0; i < n; i++) {
        ix[i].name = name_get(c, tmp[i].name);
        if (ix[i].name == UINT32_MAX) return -1;
        nent *ne = &c->names[ix[i].name];
        ix[i].value = value_get(ne, tmp[i].value);
        if (ix[i].value == UINT32_MAX) return -1;
        if (idl_reserve(&ne->all, ne->all.n + 1) < 0) return -1;
        pq_idlist *post = &ne->vals[ix[i].value].post;
        if (idl_reserve(post, post->n + 1) < 0) return -1;
    }
    const pq_label *arr = no_labels;
    if (n) {
        pq_label *copy = arena_alloc(c, n * sizeof *copy, alignof(pq_label));
        if (!copy) return -1;
        memcpy(copy, tmp, n * sizeof *copy);
        arr = copy;
    }
    /* Only what changed moves: a posting update is a memmove, and setting
     * the same labels again (a metadata refresh) must not cost one per
     * series of the name. Both arrays are sorted by name. */
    size_t i = 0, j = 0, old_n = e->known ? e->n : 0;
    while (i < old_n || j < n) {
        int cmp = i == old_n ? 1 : j == n ? -1 : strcmp(e->labels[i].name, tmp[j].name);
        if (cmp <= 0) {
            const pq_label *l = &e->labels[i];
            nent *ne = name_find(c, l->name);
            if (cmp < 0 || l->value != tmp[j].value)
                post_remove(&value_find(ne, l->value)->post, id);
            if (cmp < 0) post_remove(&ne->all, id);
        }
        if (cmp >= 0) {
            nent *ne = &c->names[ix[j].name];
            if (cmp > 0 || e->labels[i].value != tmp[j].value)
                post_insert(&ne->vals[ix[j].value].post, id);
            if (cmp > 0) post_insert(&ne->all, id);
        }
        i += cmp <= 0;
        j += cmp >= 0;
    }
    if (!e->known) post_insert(&c->all, id);
    e->labels = arr;
    e->n = (uint32_t)n;
    e->known = true;
    return 0;
}

int pq_catalog_set(pq_catalog *c, uint32_t id, const pq_label *labels, size_t n) {
    if (!c || (n && !labels) || n > UINT32_MAX ||
        n > SIZE_MAX / (sizeof(pq_label) + sizeof(slot_ix)))
        return -1;
    pq_label *tmp = malloc(n ? n * sizeof *tmp : 1);
    slot_ix *ix = malloc(n ? n * sizeof *ix : 1);
    if (!tmp || !ix) {
        free(tmp);
        free(ix);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!labels[i].name || !labels[i].value) rc = -1;
    if (rc == 0 && n) {
        memcpy(tmp, labels, n * sizeof *tmp);
        qsort(tmp, n, sizeof *tmp, cmp_label);
    }
    for (size_t i = 1; i < n && rc == 0; i++)
        if (strcmp(tmp[i - 1].name, tmp[i].name) == 0) rc = -1;
    size_t m = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (tmp[i].value[0]) tmp[m++] = tmp[i];
    if (rc == 0) {
        pthread_rwlock_wrlock(&c->lock);
        for (size_t i = 0; i < m && rc == 0; i++) {
            tmp[i].name = intern(c, tmp[i].name);
            tmp[i].value = intern(c, tmp[i].value);
            if (!tmp[i].name || !tmp[i].value) rc = -1;
        }
        if (rc == 0) rc = set_locked(c, id, tmp, m, ix);
        pthread_rwlock_unlock(&c->lock);
    }
    free(tmp);
    free(ix);
    return rc;
}

bool pq_catalog_has(pq_catalog *c, uint32_t id) {
    if (!c) return false;
    pthread_rwlock_rdlock(&c->lock);
    bool has = series_at(c, id) != NULL;
    pthread_rwlock_unlock(&c->lock);
    return has;
}

size_t pq_catalog_count(pq_catalog *c) {
    if (!c) return 0;
    pthread_rwlock_rdlock(&c->lock);
    size_t n = c->all.n;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

const pq_label *pq_catalog_labels(pq_catalog *c, uint32_t id, size_t *n) {
    size_t none;
    if (!n) n = &none;
    *n = 0;
    if (!c) return NULL;
    pthread_rwlock_rdlock(&c->lock);
    const sent *e = series_at(c, id);
    const pq_label *l = e ? e->labels : NULL;
    if (e) *n = e->n;
    pthread_rwlock_unlock(&c->lock);
    return l;
}

/* ---- select ---- */

static view post_view(const pq_idlist *l) {
    return l ? (view){l->ids, l->n} : (view){NULL, 0};
}

/* The postings of name=value (raw strings), empty when either is unknown. */
static view lookup(const pq_catalog *c, const char *name, const char *value) {
    const char *in = intern_lookup(c, name), *iv = intern_lookup(c, value);
    const nent *ne = in ? name_find(c, in) : NULL;
    const vent *ve = ne && iv ? value_find(ne, iv) : NULL;
    return ve ? post_view(&ve->post) : (view){NULL, 0};
}

/* The series of this call: all, or the scope's enterprise. */
static view universe(const pq_catalog *c, const char *scope) {
    return scope ? lookup(c, "enterprise", scope) : post_view(&c->all);
}

bool pq_matcher_matches(const pq_matcher *m, const char *v) {
    switch (m->op) {
        case PQ_M_EQ:
            return strcmp(v, m->value) == 0;
        case PQ_M_NEQ:
            return strcmp(v, m->value) != 0;
        case PQ_M_RE:
            return pq_regex_match(m->re, v, strlen(v));
        case PQ_M_NRE:
            return !pq_regex_match(m->re, v, strlen(v));
    }
    return false;
}

/* Keeps the ids of l whose own label satisfies m (a missing one is ""). */
static void filter_into(const pq_catalog *c, pq_idlist *l, const pq_matcher *m, const char *iname) {
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        const sent *e = series_at(c, l->ids[i]);
        const char *v = e && iname ? label_value(e, iname) : NULL;
        if (pq_matcher_matches(m, v ? v : "")) l->ids[w++] = l->ids[i];
    }
    l->n = w;
}

typedef struct vviews {
    view *v;
    size_t n, cap;
} vviews;

static int vv_push(vviews *vv, view v) {
    if (!v.n) return 0;
    if (vv->n == vv->cap) {
        size_t cap = vv->cap ? vv->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(view)) return -1;
        view *nv = realloc(vv->v, cap * sizeof *nv);
        if (!nv) return -1;
        vv->v = nv;
        vv->cap = cap;
    }
    vv->v[vv->n++] = v;
    return 0;
}

/* The series of name ne whose (non-empty) value matches m's regex == want,
 * into out: the literals looked up when the pattern is only literals,
 * otherwise the regex run over every distinct value. */
static int regex_set(const pq_catalog *c, const nent *ne, const pq_matcher *m, bool want,
                     pq_idlist *out) {
    out->n = 0;
    if (!ne) return 0;
    vviews vv = {0};
    int rc = 0;
    size_t nlit;
    if (pq_regex_literals(m->re, &nlit)) {
        for (size_t i = 0; i < nlit && rc == 0; i++) {
            const char *lit = pq_regex_literal(m->re, i);
            const char *iv = lit && *lit ? intern_lookup(c, lit) : NULL;
            const vent *ve = iv ? value_find(ne, iv) : NULL;
            if (ve) rc = vv_push(&vv, post_view(&ve->post));
        }
        if (rc == 0) rc = union_views(out, vv.v, vv.n);
        if (rc == 0 && !want) { /* the others: all of the name minus the literals' */
            pq_idlist lits = *out;
            *out = (pq_idlist){0};
            rc = copy_view(out, post_view(&ne->all));
            if (rc == 0) subtract_into(out, (view){lits.ids, lits.n});
            pq_idlist_free(&lits);
        }
    } else {
        for (size_t i = 0; i < ne->n_vals && rc == 0; i++) {
            const vent *ve = &ne->vals[i];
            if (ve->post.n && pq_regex_match(m->re, ve->value, ve->len) == want)
                rc = vv_push(&vv, post_view(&ve->post));
        }
        if (rc == 0) rc = union_views(out, vv.v, vv.n);
    }
    free(vv.v);
    return rc;
}

/* What building m's set would cost, in ids or values touched; below it,
 * checking each candidate's own label is cheaper. */
static size_t regex_cost(const pq_catalog *c, const nent *ne, const pq_matcher *m) {
    if (!ne) return 0;
    size_t nlit, cost = 0;
    if (!pq_regex_literals(m->re, &nlit)) return ne->n_vals;
    for (size_t i = 0; i < nlit; i++) {
        const char *lit = pq_regex_literal(m->re, i);
        const char *iv = lit && *lit ? intern_lookup(c, lit) : NULL;
        const vent *ve = iv ? value_find(ne, iv) : NULL;
        cost += ve ? ve->post.n : 0;
    }
    return cost;
}

static int cmp_view_size(const void *a, const void *b) {
    size_t x = ((const view *)a)->n, y = ((const view *)b)->n;
    return (x > y) - (x < y);
}

/* Applies regex matcher m to out (have: out holds the candidates so far;
 * otherwise out becomes m's set). */
static int apply_regex(const pq_catalog *c, const pq_matcher *m, bool have, pq_idlist *out) {
    const char *iname = intern_lookup(c, m->name);
    const nent *ne = iname ? name_find(c, iname) : NULL;
    bool me = m->op == PQ_M_RE ? pq_regex_matches_empty(m->re) : !pq_regex_matches_empty(m->re);
    if (have && out->n <= regex_cost(c, ne, m)) {
        filter_into(c, out, m, iname);
        return 0;
    }
    /* Intersect with the series whose value m accepts, or (when m accepts
     * "") subtract those whose value it rejects. */
    bool want = (m->op == PQ_M_RE) != me;
    pq_idlist s = {0};
    if (regex_set(c, ne, m, want, &s) < 0) {
        pq_idlist_free(&s);
        return -1;
    }
    if (!have) {
        pq_idlist t = *out;
        *out = s;
        s = t;
    } else if (me) {
        subtract_into(out, (view){s.ids, s.n});
    } else {
        intersect_into(out, (view){s.ids, s.n});
    }
    pq_idlist_free(&s);
    return 0;
}

static bool regex_op(const pq_matcher *m) {
    return m->op == PQ_M_RE || m->op == PQ_M_NRE;
}

bool pq_matcher_matches_empty(const pq_matcher *m) {
    switch (m->op) {
        case PQ_M_EQ:
            return m->value[0] == 0;
        case PQ_M_NEQ:
            return m->value[0] != 0;
        case PQ_M_RE:
            return pq_regex_matches_empty(m->re);
        case PQ_M_NRE:
            return !pq_regex_matches_empty(m->re);
    }
    return false;
}

/* The set a direct (=, !=) matcher intersects with (accepts "": false) or
 * subtracts (true). */
static view direct_set(const pq_catalog *c, const pq_matcher *m) {
    if (m->value[0]) return lookup(c, m->name, m->value);
    const char *in = intern_lookup(c, m->name);
    const nent *ne = in ? name_find(c, in) : NULL;
    return ne ? post_view(&ne->all) : (view){NULL, 0};
}

static int select_locked(const pq_catalog *c, const pq_matcher *m, size_t n, const char *scope,
                         pq_idlist *out) {
    view *pos = malloc((n + 1) * sizeof *pos);
    if (!pos) return -1;
    size_t np = 0;
    if (scope) pos[np++] = universe(c, scope);
    for (size_t i = 0; i < n; i++)
        if (!regex_op(&m[i]) && !pq_matcher_matches_empty(&m[i])) pos[np++] = direct_set(c, &m[i]);
    /* Smallest first: each intersection costs at most the smaller list
     * times a logarithm, and the candidates only shrink. */
    qsort(pos, np, sizeof *pos, cmp_view_size);
    bool have = np > 0;
    int rc = have ? copy_view(out, pos[0]) : 0;
    for (size_t i = 1; i < np && rc == 0 && out->n; i++) intersect_into(out, pos[i]);
    free(pos);
    for (size_t i = 0; i < n && rc == 0 && (!have || out->n); i++)
        if (regex_op(&m[i]) && !pq_matcher_matches_empty(&m[i])) {
            rc = apply_regex(c, &m[i], have, out);
            have = true;
        }
    if (rc == 0 && !have) rc = copy_view(out, universe(c, scope));
    for (size_t i = 0; i < n && rc == 0 && out->n; i++) {
        if (!pq_matcher_matches_empty(&m[i])) continue;
        if (regex_op(&m[i]))
            rc = apply_regex(c, &m[i], true, out);
        else
            subtract_into(out, direct_set(c, &m[i]));
    }
    return rc;
}

int pq_catalog_select(pq_catalog *c, const pq_matcher *m, size_t n, const char *scope, size_t max,
                      pq_idlist *out, char *err, size_t errcap) {
    if (err && errcap) err[0] = 0;
    if (!out) return -1;
    out->n = 0;
    bool ok = c && (m || n == 0) && n < SIZE_MAX / sizeof(view) - 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = m[i].name && m[i].value && (!regex_op(&m[i]) || m[i].re);
    if (!ok) {
        if (err && errcap) snprintf(err, errcap, "invalid matcher");
        return -1;
    }
    pthread_rwlock_rdlock(&c->lock);
    int rc = select_locked(c, m, n, scope, out);
    pthread_rwlock_unlock(&c->lock);
    if (rc < 0) {
        out->n = 0;
        if (err && errcap) snprintf(err, errcap, "out of memory");
        return -1;
    }
    /* out holds only the scope's series, so the limit counts only those */
    if (max && out->n > max) {
        out->n = 0;
        if (err && errcap)
            snprintf(err, errcap, "too many series: the selector matches more than %zu", max);
        return -1;
    }
    return 0;
}

/* ---- label names and values ---- */

typedef struct strv {
    const char **s;
    size_t n, cap;
} strv;

static int sv_push(strv *v, const char *s) {
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(char *)) return -1;
        const char **ns = realloc(v->s, cap * sizeof *ns);
        if (!ns) return -1;
        v->s = ns;
        v->cap = cap;
    }
    v->s[v->n++] = s;
    return 0;
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (const char *const *)a, y = (uintptr_t) * (const char *const *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts bytewise, dropping repeats (interned: equal strings are one pointer). */
static long sv_finish(strv *v, int rc, const char ***res) {
    *res = NULL;
    if (rc < 0 || v->n > (size_t)LONG_MAX) {
        free(v->s);
        return -1;
    }
    if (v->n == 0) return 0;
    qsort(v->s, v->n, sizeof *v->s, cmp_ptr);
    size_t w = 0;
    for (size_t i = 0; i < v->n; i++)
        if (w == 0 || v->s[w - 1] != v->s[i]) v->s[w++] = v->s[i];
    qsort(v->s, w, sizeof *v->s, cmp_str);
    *res = v->s;
    return (long)w;
}

/* The series of ids that exist for this call. */
static const sent *visible(const pq_catalog *c, uint32_t id, const char *scope, view uni) {
    const sent *e = series_at(c, id);
    return e && (!scope || contains(uni.ids, uni.n, id)) ? e : NULL;
}

long pq_catalog_label_names(pq_catalog *c, const pq_idlist *ids, const char *scope,
                            const char ***names) {
    if (!names) return -1;
    *names = NULL;
    if (!c) return -1;
    strv v = {0};
    int rc = 0;
    pthread_rwlock_rdlock(&c->lock);
    view uni = universe(c, scope);
    if (ids) {
        for (size_t i = 0; i < ids->n && rc == 0; i++) {
            const sent *e = visible(c, ids->ids[i], scope, uni);
            for (uint32_t j = 0; e && j < e->n && rc == 0; j++) rc = sv_push(&v, e->labels[j].name);
        }
    } else {
        for (size_t i = 0; i < c->n_names && rc == 0; i++) {
            const nent *ne = &c->names[i];
            if (ne->all.n && (!scope || intersects(post_view(&ne->all), uni)))
                rc = sv_push(&v, ne->name);
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return sv_finish(&v, rc, names);
}

long pq_catalog_label_values(pq_catalog *c, const char *name, const pq_idlist *ids,
                             const char *scope, const char ***values) {
    if (!values) return -1;
    *values = NULL;
    if (!c || !name) return -1;
    strv v = {0};
    int rc = 0;
    pthread_rwlock_rdlock(&c->lock);
    view uni = universe(c, scope);
    const char *iname = intern_lookup(c, name);
    const nent *ne = iname ? name_find(c, iname) : NULL;
    if (ne && ids) {
        for (size_t i = 0; i < ids->n && rc == 0; i++) {
            const sent *e = visible(c, ids->ids[i], scope, uni);
            const char *val = e ? label_value(e, iname) : NULL;
            if (val) rc = sv_push(&v, val);
        }
    } else if (ne && scope && uni.n < ne->n_vals) {
        /* a small scope: its own series are fewer than the values to test */
        for (size_t i = 0; i < uni.n && rc == 0; i++) {
            const sent *e = series_at(c, uni.ids[i]);
            const char *val = e ? label_value(e, iname) : NULL;
            if (val) rc = sv_push(&v, val);
        }
    } else if (ne) {
        for (size_t i = 0; i < ne->n_vals && rc == 0; i++) {
            const vent *ve = &ne->vals[i];
            if (ve->post.n && (!scope || intersects(post_view(&ve->post), uni)))
                rc = sv_push(&v, ve->value);
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return sv_finish(&v, rc, values);
}
