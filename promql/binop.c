/*
 * binop.c - binary operators between scalars and vectors: arithmetic,
 * comparisons (filters, or 0/1 with bool), and the set operators, with
 * Prometheus's vector matching (on, ignoring, group_left, group_right).
 */
#include "promql/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_cmp(pq_bin_op op) {
    return op >= PQ_B_EQ && op <= PQ_B_LE;
}
static bool is_arith(pq_bin_op op) {
    return op <= PQ_B_POW;
}

/* vectorElemBinop: the value, and whether a comparison keeps it. */
static double elem(pq_bin_op op, double l, double r, bool *keep) {
    *keep = true;
    switch (op) {
        case PQ_B_ADD:
            return l + r;
        case PQ_B_SUB:
            return l - r;
        case PQ_B_MUL:
            return l * r;
        case PQ_B_DIV:
            return l / r;
        case PQ_B_MOD:
            return fmod(l, r);
        case PQ_B_POW:
            return pow(l, r);
        case PQ_B_EQ:
            *keep = l == r;
            return l;
        case PQ_B_NE:
            *keep = l != r;
            return l;
        case PQ_B_GT:
            *keep = l > r;
            return l;
        case PQ_B_LT:
            *keep = l < r;
            return l;
        case PQ_B_GE:
            *keep = l >= r;
            return l;
        case PQ_B_LE:
            *keep = l <= r;
            return l;
        default:
            return l;
    }
}

static int scalar_scalar(ev *x, const pq_node *n, value *l, value *r, value *out) {
    if (ev_scalar(x, out)) return -1;
    for (size_t k = 0; k < x->ns; k++) {
        bool keep;
        double v = elem(n->u.bin.op, l->sc[k], r->sc[k], &keep);
        out->sc[k] = is_cmp(n->u.bin.op) ? (keep ? 1 : 0) : v;
    }
    return 0;
}

/* vector op scalar (swap: scalar op vector) */
static int vector_scalar(ev *x, const pq_node *n, value *vec, value *sc, bool swap, value *out) {
    pq_bin_op op = n->u.bin.op;
    bool rb = n->u.bin.return_bool;
    *out = *vec;
    out->ordered = false;
    bool drop = is_arith(op) || rb;
    for (size_t i = 0; i < out->n; i++) {
        vser *s = &out->s[i];
        for (size_t k = 0; k < x->ns; k++) {
            if (!s->has[k]) continue;
            double lv = s->v[k], rv = sc->sc[k];
            if (swap) lv = sc->sc[k], rv = s->v[k];
            bool keep;
            double v = elem(op, lv, rv, &keep);
            if (is_cmp(op) && swap) v = rv; /* the vector's own value */
            if (rb) v = keep ? 1 : 0, keep = true;
            if (keep)
                s->v[k] = v;
            else
                s->has[k] = 0;
        }
    }
    /* names dropped: two series may now be one (an error where they meet) */
    return drop ? ev_drop_names(x, out) : 0;
}

/* The labels two sides match on. */
static int signature(ev *x, const pq_node *n, lset in, lset *out) {
    const char *const *ml = n->u.bin.match_labels;
    size_t nm = n->u.bin.n_match_labels;
    if (n->u.bin.on) return lset_filter(x, in, ml, nm, true, false, out);
    return lset_filter(x, in, ml, nm, false, true, out);
}

/* resultMetric */
static int result_labels(ev *x, const pq_node *n, lset l, lset r, lset *out) {
    pq_bin_op op = n->u.bin.op;
    lset m = l;
    if (is_arith(op) && lset_drop_name(x, m, &m)) return -1;
    if (n->u.bin.card == PQ_CARD_ONE_TO_ONE) {
        const char *const *ml = n->u.bin.match_labels;
        if (lset_filter(x, m, ml, n->u.bin.n_match_labels, n->u.bin.on, false, &m)) return -1;
    }
    if (n->u.bin.n_include) {
        /* group_x's labels come from the "one" side */
        pq_label *lab = pq_arena_alloc(&x->ar, (m.n + n->u.bin.n_include) * sizeof *lab);
        if (!lab) return ev_oom(x);
        size_t c = 0;
        for (size_t i = 0; i < m.n; i++) {
            bool inc = false;
            for (size_t j = 0; j < n->u.bin.n_include && !inc; j++)
                inc = !strcmp(m.l[i].name, n->u.bin.include[j]);
            if (!inc) lab[c++] = m.l[i];
        }
        for (size_t j = 0; j < n->u.bin.n_include; j++) {
            const char *v = lset_get(r, n->u.bin.include[j]);
            if (!*v) continue;
            size_t p = c++;
            while (p > 0 && strcmp(lab[p - 1].name, n->u.bin.include[j]) > 0)
                lab[p] = lab[p - 1], p--;
            lab[p] = (pq_label){n->u.bin.include[j], v};
        }
        m = (lset){lab, c};
    }
    *out = m;
    return 0;
}

static void lset_text(lset a, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "{");
    for (size_t i = 0; i < a.n && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s=\"%s\"", i ? ", " : "", a.l[i].name,
                              a.l[i].value);
    if (n < cap) snprintf(buf + n, cap - n, "}");
}

static int vector_vector(ev *x, const pq_node *n, value *lhs, value *rhs, value *out) {
    pq_bin_op op = n->u.bin.op;
    bool rb = n->u.bin.return_bool;
    pq_card card = n->u.bin.card;
    value *L = lhs, *R = rhs;
    if (card == PQ_CARD_ONE_TO_MANY) L = rhs, R = lhs; /* R is the "one" side */
    /* the signatures of the one side, grouped */
    outtab sig;
    if (outtab_init(x, &sig, R->n)) return -1;
    size_t *rsig = pq_arena_alloc(&x->ar, (R->n ? R->n : 1) * sizeof *rsig);
    size_t *lsig = pq_arena_alloc(&x->ar, (L->n ? L->n : 1) * sizeof *lsig);
    if (!rsig || !lsig) {
        outtab_value(&sig, NULL);
        return ev_oom(x);
    }
    for (size_t j = 0; j < R->n; j++) {
        lset s;
        vser *g;
        if (signature(x, n, R->s[j].lab, &s) || !(g = outtab_get(x, &sig, s))) goto fail;
        rsig[j] = (size_t)(g - sig.s);
    }
    for (size_t i = 0; i < L->n; i++) {
        lset s;
        vser *g;
        if (signature(x, n, L->s[i].lab, &s) || !(g = outtab_get(x, &sig, s))) goto fail;
        lsig[i] = (size_t)(g - sig.s);
    }
    /* per signature and step: which R series (index + 1), and whether an L
     * series matched already (one-to-one) */
    size_t nsig = sig.n;
    if (nsig > x->max_samples / x->ns) {
        outtab_value(&sig, NULL);
        return ev_oom(x);
    }
    uint32_t *rat = calloc(nsig * x->ns + 1, sizeof *rat);
    uint8_t *lused = calloc(nsig * x->ns + 1, 1);
    outtab res;
    bool res_init = false;
    if (!rat || !lused) {
        ev_oom(x);
        goto fail2;
    }
    for (size_t j = 0; j < R->n; j++)
        for (size_t k = 0; k < x->ns; k++) {
            if (!R->s[j].has[k]) continue;
            uint32_t *slot = &rat[rsig[j] * x->ns + k];
            if (*slot) {
                char a[256], b[256], g[256];
                lset_text(R->s[*slot - 1].lab, a, sizeof a);
                lset_text(R->s[j].lab, b, sizeof b);
                lset_text(sig.s[rsig[j]].lab, g, sizeof g);
                ev_fail(x, 422, "execution",
                        "found duplicate series for the match group %s on the %s hand-side of "
                        "the operation: [%s, %s];many-to-many matching not allowed: matching "
                        "labels must be unique on one side",
                        g, card == PQ_CARD_ONE_TO_MANY ? "left" : "right", a, b);
                goto fail2;
            }
            *slot = (uint32_t)(j + 1);
        }
    if (outtab_init(x, &res, L->n)) goto fail2;
    res_init = true;
    for (size_t i = 0; i < L->n; i++) {
        lset last_r = {0}, lab = {0};
        bool have_lab = false;
        for (size_t k = 0; k < x->ns; k++) {
            if (!L->s[i].has[k]) continue;
            uint32_t rj = rat[lsig[i] * x->ns + k];
            if (!rj) continue;
            const vser *rs = &R->s[rj - 1];
            double vl = L->s[i].v[k], vr = rs->v[k];
            if (card == PQ_CARD_ONE_TO_MANY) vl = rs->v[k], vr = L->s[i].v[k];
            bool keep;
            double v = elem(op, vl, vr, &keep);
            if (rb)
                v = keep ? 1 : 0;
            else if (!keep)
                continue;
            if (card == PQ_CARD_ONE_TO_ONE) {
                uint8_t *u = &lused[lsig[i] * x->ns + k];
                if (*u) {
                    ev_fail(x, 422, "execution",
                            "multiple matches for labels: many-to-one matching must be explicit "
                            "(group_left/group_right)");
                    goto fail2;
                }
                *u = 1;
            }
            if (!have_lab || !lset_eq(last_r, rs->lab)) {
                if (result_labels(x, n, L->s[i].lab, rs->lab, &lab)) goto fail2;
                if (rb && lset_drop_name(x, lab, &lab)) goto fail2;
                last_r = rs->lab, have_lab = true;
            }
            vser *o = outtab_get(x, &res, lab);
            if (!o) goto fail2;
            if (o->has[k]) {
                ev_fail(x, 422, "execution",
                        card == PQ_CARD_ONE_TO_ONE
                            ? "vector cannot contain metrics with the same labelset"
                            : "multiple matches for labels: grouping labels must ensure unique "
                              "results");
                goto fail2;
            }
            o->has[k] = 1, o->v[k] = v;
        }
        if (ev_tick(x)) goto fail2;
    }
    free(rat), free(lused);
    outtab_value(&sig, NULL);
    outtab_value(&res, out);
    return 0;
fail2:
    free(rat), free(lused);
    if (res_init) outtab_value(&res, NULL);
fail:
    outtab_value(&sig, NULL);
    return -1;
}

/* and, or, unless: many-to-many, per step */
static int set_op(ev *x, const pq_node *n, value *lhs, value *rhs, value *out) {
    pq_bin_op op = n->u.bin.op;
    outtab sig;
    if (outtab_init(x, &sig, lhs->n + rhs->n)) return -1;
    size_t *ls = pq_arena_alloc(&x->ar, (lhs->n ? lhs->n : 1) * sizeof *ls);
    size_t *rs = pq_arena_alloc(&x->ar, (rhs->n ? rhs->n : 1) * sizeof *rs);
    if (!ls || !rs) {
        outtab_value(&sig, NULL);
        return ev_oom(x);
    }
    for (size_t i = 0; i < lhs->n + rhs->n; i++) {
        bool left = i < lhs->n;
        lset s;
        vser *g;
        if (signature(x, n, left ? lhs->s[i].lab : rhs->s[i - lhs->n].lab, &s) ||
            !(g = outtab_get(x, &sig, s))) {
            outtab_value(&sig, NULL);
            return -1;
        }
        if (left)
            ls[i] = (size_t)(g - sig.s);
        else
            rs[i - lhs->n] = (size_t)(g - sig.s);
    }
    size_t nsig = sig.n;
    outtab_value(&sig, NULL);
    if (nsig > x->max_samples / x->ns) return ev_oom(x);
    uint8_t *lat = calloc(nsig * x->ns + 1, 1), *rat = calloc(nsig * x->ns + 1, 1);
    if (!lat || !rat) {
        free(lat), free(rat);
        return ev_oom(x);
    }
    for (size_t i = 0; i < lhs->n; i++)
        for (size_t k = 0; k < x->ns; k++)
            if (lhs->s[i].has[k]) lat[ls[i] * x->ns + k] = 1;
    for (size_t j = 0; j < rhs->n; j++)
        for (size_t k = 0; k < x->ns; k++)
            if (rhs->s[j].has[k]) rat[rs[j] * x->ns + k] = 1;
    size_t nout = lhs->n + (op == PQ_B_OR ? rhs->n : 0);
    *out = (value){.type = PQ_T_VECTOR, .n = 0};
    out->s = pq_arena_alloc(&x->ar, (nout ? nout : 1) * sizeof *out->s);
    if (!out->s) {
        free(lat), free(rat);
        return ev_oom(x);
    }
    for (size_t i = 0; i < lhs->n; i++) {
        vser s = lhs->s[i];
        for (size_t k = 0; k < x->ns; k++) {
            if (!s.has[k]) continue;
            bool in_r = rat[ls[i] * x->ns + k];
            if ((op == PQ_B_AND && !in_r) || (op == PQ_B_UNLESS && in_r)) s.has[k] = 0;
        }
        out->s[out->n++] = s;
    }
    if (op == PQ_B_OR)
        for (size_t j = 0; j < rhs->n; j++) {
            vser s = rhs->s[j];
            for (size_t k = 0; k < x->ns; k++)
                if (s.has[k] && lat[rs[j] * x->ns + k]) s.has[k] = 0;
            out->s[out->n++] = s;
        }
    /* for an instant query, the left side's order, then the right's */
    out->ordered = lhs->ordered;
    free(lat), free(rat);
    return 0;
}

int ev_binary(ev *x, const pq_node *n, value *out) {
    value l, r;
    if (ev_eval(x, n->u.bin.lhs, &l) || ev_eval(x, n->u.bin.rhs, &r)) return -1;
    pq_bin_op op = n->u.bin.op;
    if (l.type == PQ_T_SCALAR && r.type == PQ_T_SCALAR) return scalar_scalar(x, n, &l, &r, out);
    if (l.type == PQ_T_VECTOR && r.type == PQ_T_SCALAR)
        return vector_scalar(x, n, &l, &r, false, out);
    if (l.type == PQ_T_SCALAR && r.type == PQ_T_VECTOR)
        return vector_scalar(x, n, &r, &l, true, out);
    if (op == PQ_B_AND || op == PQ_B_OR || op == PQ_B_UNLESS) return set_op(x, n, &l, &r, out);
    return vector_vector(x, n, &l, &r, out);
}
