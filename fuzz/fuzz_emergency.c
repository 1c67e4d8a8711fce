/*
 * fuzz_emergency.c - libFuzzer target of what enters issue 22's modules
 * from outside: a contingency plans file (command_open, parkd's
 * emergency.plans) and the numbers of a threat-zone request as they reach
 * the consequence models (consequence.h).
 *
 * The first byte chooses: even, the rest is a plans file: refused with a
 * reason, or loaded and a proposal made for a few incidents without a
 * crash; odd, the next byte picks a model and the rest are its numbers
 * (8 bytes a double, any bits: NaN, infinities, denormals): each model
 * answers CQ_OK or CQ_EINVAL with a reason, and when it answers, its
 * zones are finite, not negative, and the red one is not farther than
 * the yellow one.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command/command.h"
#include "consequence/consequence.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stdout, "fuzz_emergency: property failed: %s (line %d)\n", #cond, __LINE__);   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static ev_store *store;
static char dir[3072];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *base = getenv("PARKWATCH_TMP");
    snprintf(dir, sizeof dir, "%.3000s/parkwatch-fuzz-emergency.XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) abort();
    char err[256];
    if (ev_open(dir, NULL, &store, err, sizeof err) != EV_OK) abort();
    return 0;
}

static void plans(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text) return;
    memcpy(text, data, size);
    text[size] = 0;
    command *c = NULL;
    char err[512] = "";
    if (command_open(store, text, "fuzz", &c, err, sizeof err) != 0) {
        CHECK(c == NULL && err[0]);
    } else {
        static const cmd_incident incs[] = {
            {.id = "INC-1",
             .hazard_source = "HS1",
             .substance = "chlorine",
             .scenario = "release",
             .people = 120,
             .sensitive_targets = 1},
            {.id = "INC-2", .substance = "propane", .scenario = "fire"},
            {.id = "INC-3"},
        };
        for (size_t i = 0; i < sizeof incs / sizeof *incs; i++) {
            json_t *p = command_propose(c, &incs[i]);
            CHECK(p != NULL);
            if (!json_is_null(p)) {
                json_int_t lv = json_integer_value(json_object_get(p, "level"));
                CHECK(lv >= 1 && lv <= 4);
            }
            json_decref(p);
        }
        json_t *all = command_plans(c);
        CHECK(json_is_array(json_object_get(all, "plans")));
        json_decref(all);
        command_close(c);
    }
    free(text);
}

static double num(const uint8_t *data, size_t size, size_t k) {
    double v = 0;
    if ((k + 1) * 8 <= size) memcpy(&v, data + k * 8, 8);
    return v;
}

static void check_zones(const cq_zones *z) {
    CHECK(isfinite(z->red_m) && isfinite(z->orange_m) && isfinite(z->yellow_m));
    CHECK(z->red_m >= 0 && z->orange_m >= 0 && z->yellow_m >= 0);
    CHECK(z->red_m <= z->yellow_m * (1 + 1e-9) + 1e-9);
}

static void models(uint8_t pick, const uint8_t *d, size_t n) {
    char err[256] = "";
    cq_zones z;
    cq_air air = {.temp_k = num(d, n, 0),
                  .pressure_pa = num(d, n, 1),
                  .relative_humidity = num(d, n, 2),
                  .wind_m_s = num(d, n, 3)};
    const cq_fuel *fuel = cq_fuel_find(pick & 16 ? "propane" : "gasoline");
    int rc = CQ_EINVAL;
    switch (pick % 5) {
        case 0: {
            double w;
            rc = cq_tnt_mass(num(d, n, 4), num(d, n, 5), num(d, n, 6), &w, err, sizeof err);
            if (rc == CQ_OK)
                rc = cq_tnt_zones(pick & 8 ? CQ_BLAST_FREE_AIR_KG : CQ_BLAST_SURFACE_KB, w,
                                  num(d, n, 1), &z, err, sizeof err);
            break;
        }
        case 1: {
            cq_pool_fire_in in = {.fuel = fuel,
                                  .diameter_m = num(d, n, 4),
                                  .dike_area_m2 = num(d, n, 5),
                                  .spill_volume_m3 = num(d, n, 6)};
            cq_pool_fire pf;
            rc = cq_pool_fire_model(&in, &air, &pf, err, sizeof err);
            if (rc == CQ_OK) CHECK(cq_pool_fire_zones(&pf, &z) == CQ_OK);
            break;
        }
        case 2: {
            cq_jet_fire_in in = {
                .fuel = fuel, .mass_rate_kg_s = num(d, n, 4), .exit_velocity_m_s = num(d, n, 5)};
            cq_jet_fire jf;
            rc = cq_jet_fire_model(&in, &air, &jf, err, sizeof err);
            if (rc == CQ_OK) CHECK(cq_jet_fire_zones(&jf, &z) == CQ_OK);
            break;
        }
        case 3: {
            cq_fireball_in in = {
                .fuel = fuel, .mass_kg = num(d, n, 4), .vessel_pressure_pa = num(d, n, 5)};
            cq_fireball fb;
            rc = cq_fireball_model(&in, &air, &fb, err, sizeof err);
            if (rc == CQ_OK) CHECK(cq_fireball_zones(&fb, &z) == CQ_OK);
            break;
        }
        default: {
            cq_bm_release rel = {.density_kg_m3 = num(d, n, 4),
                                 .temp_k = num(d, n, 5),
                                 .rate_m3_s = num(d, n, 6),
                                 .volume_m3 = num(d, n, 6)};
            rc = cq_bm_zones(&rel, &air, pick & 8, num(d, n, 7), num(d, n, 8), num(d, n, 9), &z,
                             err, sizeof err);
            break;
        }
    }
    if (rc == CQ_OK)
        check_zones(&z);
    else
        CHECK(rc == CQ_EINVAL && err[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2 || size > (1u << 20)) return 0;
    if (data[0] % 2 == 0)
        plans(data + 1, size - 1);
    else
        models(data[1], data + 2, size - 2);
    return 0;
}
