/*
 * parksim_incidents.c - parksim's incidents: --incident specs parsed and
 * bound to the park's devices and tags, started and ended on the run's
 * clock (each logged), and the leak's plume carried by the wind to the
 * detectors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parksim.h"

/* ---- the plume ---- */

/* Pasquill-Gifford stability class (0 = A .. 5 = F) from the 10 m wind and
 * the local time (UTC+8), after NOAA READY's table
 * (docs/reference/gaussian-plume.md section 2): by day (08-17 h)
 * moderate insolation, by night at most 4/8 cloud, D in the hour either
 * side of night; split classes taken as the more stable one (A-B -> B,
 * B-C -> C, C-D -> D), as that file's section 2 reports. */
int stability_class(double u, int64_t ts_ms) {
    int hour = (int)(((ts_ms / 1000 + 8 * 3600) % 86400) / 3600);
    if (hour == 7 || hour == 18) return 3;
    bool day = hour >= 8 && hour <= 17;
    if (day) return u < 2 ? 1 : u < 3 ? 1 : u < 5 ? 2 : 3;
    return u < 3 ? 5 : u < 5 ? 4 : 3;
}

/* Briggs (1973) rural sigmas (gaussian-plume.md section 3), x in metres,
 * plus 1 m of initial spread for the size of the release (our assumption:
 * the formulas are for x from about 100 m, and a point source would give
 * unbounded values at the tank's foot). */
static void briggs_rural(int cls, double x, double *sy, double *sz) {
    static const double ay[] = {0.22, 0.16, 0.11, 0.08, 0.06, 0.04};
    double y = ay[cls] * x / sqrt(1 + 0.0001 * x), z;
    switch (cls) {
        case 0:
            z = 0.20 * x;
            break;
        case 1:
            z = 0.12 * x;
            break;
        case 2:
            z = 0.08 * x / sqrt(1 + 0.0002 * x);
            break;
        case 3:
            z = 0.06 * x / sqrt(1 + 0.0015 * x);
            break;
        case 4:
            z = 0.03 * x / (1 + 0.0003 * x);
            break;
        default:
            z = 0.016 * x / (1 + 0.0003 * x);
            break;
    }
    *sy = sqrt(y * y + 1), *sz = sqrt(z * z + 1);
}

/* Ground-level concentration (g/m3) at (along, across) metres from a
 * ground-level continuous release of q g/s in wind u: the ground-source,
 * ground-receptor case of gaussian-plume.md section 1,
 * C = Q / (pi u sy sz) exp(-y^2 / 2 sy^2). The model breaks down below
 * about 1 m/s, so u is held at 1 m/s at least; and it ignores that
 * chlorine and cold ammonia are dense gases (same section). */
static double plume_ground(double q_gs, double u, int cls, double along, double across) {
    if (along <= 0.5) return 0;
    double sy, sz;
    briggs_rural(cls, along, &sy, &sz);
    return q_gs / (PI * fmax(u, 1.0) * sy * sz) * exp(-across * across / (2 * sy * sy));
}

/* What a detector reads on top of its baseline from the leaks going on. */
double leak_reading(double t, int64_t ts, const tag *tg) {
    double add = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || t < in->at || t >= in->at + in->dur) continue;
        const gas *sub = in->src->gas;
        /* A toxic detector sees its own gas only; a combustible one any
         * combustible gas, in %LEL of that gas (calibrated to it). */
        if (tg->kind == TK_PPM ? sub != tg->gas : sub->lel <= 0) continue;
        /* The wind blows from wind_dir: downwind points the other way. */
        double th = (wind_dir + 180) * PI / 180, ux = sin(th), uy = cos(th);
        double rx = tg->x - in->src->x, ry = tg->y - in->src->y;
        double along = rx * ux + ry * uy, across = -rx * uy + ry * ux;
        double cg = plume_ground(in->rate * 1000.0, wind_speed, stability_class(wind_speed, ts),
                                 along, across);
        double ppm = ppm_of_mg(cg * 1000.0, sub);
        add += tg->kind == TK_PPM ? ppm : ppm / (sub->lel * 1e4) * 100;
    }
    return add;
}

/* Metres a tank has lost to leaks by time t: rate / (density * area). */
double drained(double t, const tag *tg) {
    double m = 0;
    for (int i = 0; i < opt.n_inc; i++) {
        const incident *in = &opt.inc[i];
        if (in->kind != INC_LEAK || in->src != tg || t < in->at) continue;
        double secs = fmin(t, in->at + in->dur) - in->at;
        m += in->rate * secs / (tg->density * tg->area);
    }
    return m;
}

/* ---- incidents ---- */

int parse_incident(const char *spec, incident *in) {
    memset(in, 0, sizeof *in);
    snprintf(in->spec, sizeof in->spec, "%s", spec);
    in->dur = -1;
    char copy[256], kind[16] = "";
    snprintf(copy, sizeof copy, "%s", spec);
    char *save, *part = strtok_r(copy, ":", &save);
    int pos = 0;
    bool has_value = false;
    for (; part; part = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(part, '=');
        if (eq) {
            *eq = 0;
            char *end;
            double v = strtod(eq + 1, &end);
            if (end == eq + 1 || *end || !isfinite(v)) return -1;
            if (!strcmp(part, "at") && v >= 0)
                in->at = v;
            else if (!strcmp(part, "for") && v >= 0)
                in->dur = v;
            else if (!strcmp(part, "rate") && v > 0)
                in->rate = v;
            else if (!strcmp(part, "value"))
                in->value = v, has_value = true;
            else
                return -1;
            continue;
        }
        char *dst = pos == 0 ? kind : pos == 1 ? in->ent : pos == 2 ? in->dev : in->tag;
        size_t cap = pos == 0 ? sizeof kind : pos == 1 ? sizeof in->ent : sizeof in->dev;
        if (pos > 3 || strlen(part) >= cap) return -1;
        memcpy(dst, part, strlen(part) + 1);
        pos++;
    }
    if (!strcmp(kind, "leak"))
        in->kind = INC_LEAK;
    else if (!strcmp(kind, "freeze"))
        in->kind = INC_FREEZE;
    else if (!strcmp(kind, "offline"))
        in->kind = INC_OFFLINE;
    else if (!strcmp(kind, "spike"))
        in->kind = INC_SPIKE;
    else
        return -1;
    bool needs_tag = in->kind == INC_LEAK || in->kind == INC_SPIKE;
    if (pos < 3 || (needs_tag && pos < 4) || (in->kind == INC_SPIKE && !has_value)) return -1;
    if (in->kind == INC_LEAK && in->rate <= 0) in->rate = 1;
    /* A spike is one reading high (1 s) unless told; the rest last. */
    if (in->dur < 0) in->dur = in->kind == INC_SPIKE ? 1 : 1e18;
    return 0;
}

/* Binds an incident to its enterprise, device and tag; -1 when the park
 * has no such thing (a typo would otherwise do nothing, silently). */
int bind_incident(incident *in) {
    in->c = find_client(in->ent);
    in->d = find_device(in->c, in->dev);
    if (!in->d) {
        fprintf(stderr, "parksim: incident %s: no device %s/%s in the park\n", in->spec, in->ent,
                in->dev);
        return -1;
    }
    size_t tl = strlen(in->tag);
    for (int q = 0; q < in->d->n_tags && in->tag[0]; q++) {
        tag *tg = &in->d->tags[q];
        bool match =
            !strcmp(tg->name, in->tag) ||
            (in->kind == INC_LEAK && !strncmp(tg->name, in->tag, tl) && tg->name[tl] == '.');
        if (!match) continue;
        if (in->kind != INC_LEAK) return 0;
        if (tg->kind == TK_LEVEL) {
            in->src = tg;
            return 0;
        }
    }
    if (!in->tag[0]) return 0;
    fprintf(stderr, "parksim: incident %s: no %s %s on %s/%s\n", in->spec,
            in->kind == INC_LEAK ? "tank (with a level tag)" : "tag", in->tag, in->ent, in->dev);
    return -1;
}

static const char *inc_name(inc_kind k) {
    return k == INC_LEAK      ? "leak"
           : k == INC_FREEZE  ? "freeze"
           : k == INC_OFFLINE ? "offline"
                              : "spike";
}

void run_incidents(double t, int64_t ts) {
    for (int i = 0; i < opt.n_inc; i++) {
        incident *in = &opt.inc[i];
        bool active = t >= in->at && t < in->at + in->dur;
        if (active == in->started) continue;
        device *d = in->d;
        if (in->kind == INC_OFFLINE) {
            atomic_store(&d->offline, active);
            status(in->c, d->name, active ? "offline" : "online");
        }
        for (int q = 0; q < d->n_tags; q++) {
            tag *tg = &d->tags[q];
            bool named = !in->tag[0] || !strcmp(tg->name, in->tag);
            if (in->kind == INC_FREEZE && named) tg->frozen = active;
            if (in->kind == INC_SPIKE && named) tg->spiked = active, tg->spike_value = in->value;
        }
        if (active && in->kind == INC_LEAK) {
            static const char cls[] = "ABCDEF";
            logf_("incident %s starts: %.3g kg/s of %s at %s/%s %s; wind %.1f m/s from %.0f deg, "
                  "class %c",
                  inc_name(in->kind), in->rate, in->src->gas->name, in->ent, in->dev, in->tag,
                  wind_speed, wind_dir, cls[stability_class(wind_speed, ts)]);
        } else if (active) {
            logf_("incident %s starts: %s/%s%s%s", inc_name(in->kind), in->ent, in->dev,
                  in->tag[0] ? " " : "", in->tag);
        } else {
            logf_("incident %s ends: %s/%s%s%s", inc_name(in->kind), in->ent, in->dev,
                  in->tag[0] ? " " : "", in->tag);
        }
        in->started = active;
    }
}
