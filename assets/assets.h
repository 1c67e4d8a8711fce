/*
 * assets.h - every asset of the layout watched: the process and instrument
 * limits each kind of asset gets from its layout properties, the
 * engineering unit of every series, and the online-monitoring check of
 * major hazard sources. The one public header of assets/.
 *
 * Limits derived per kind (each documented, with the practice or standard
 * it comes from, in docs/reference/process-limits.md; the numbers are
 * copied into assets/ so it builds without that file):
 *   tank           level high, high-high and low-low from height_m and the
 *                  safe fill; temperature high and high-high; pressure high
 *                  and high-high against design_pressure_mpa when the tank
 *                  is a pressure vessel (it has one);
 *   pipeline       pressure high and high-high against design_pressure_mpa,
 *                  pressure low-low (a rupture), and the flow imbalance of
 *                  its inlet meter against its outlet meter held over a
 *                  window beyond the meters' tolerance (a leak);
 *   gas_detector   the two GB/T 50493 levels (alerting/gas_defaults.h);
 *   aq_station     the hourly (SO2, NO2, CO, O3) and daily (PM2.5, PM10)
 *                  GB 3095 Grade II limits, on the clock hour's or the
 *                  local day's mean;
 *   weather        wind speed high for outdoor work (GB 30871);
 * and for every series of a watched asset: stale data, the physical range
 * of its kind of instrument (ALERT_RANGE) and a stuck watch (ALERT_STUCK,
 * its model left empty: health/ learns it from history).
 *
 * Overrides (parkd's config "limits", JSON text given to assets_derive):
 *   {"tank": {"level_high_pct": 85, ...},                  every asset of a kind
 *    "enterprises": {"E004": {"tank": {...}}},             an enterprise's assets
 *    "assets": {"E001-T101": {"level_high_high_m": 18.2,   one asset
 *                             "off": ["temperature_high"]}}}
 * The most specific wins (asset, then enterprise, then kind, then the
 * built-in default). The parameter names, their units and defaults are the
 * table assets_params() lists; a default of NAN means none: the limit then
 * comes from a percentage of the layout's figure ("level_high_high_m") or
 * from the layout itself (a detector's "alarm1"). A rule whose limit was
 * set from an override has origin ALERT_ORIGIN_CONFIG and its basis says
 * which override; the others are ALERT_ORIGIN_DERIVED.
 * "off" lists the rules to leave out, by name: "level_high",
 * "level_high_high", "level_low_low", "temperature_high",
 * "temperature_high_high", "pressure_high", "pressure_high_high",
 * "pressure_low_low", "flow_imbalance", "alarm1", "alarm2", "SO2_1h",
 * "NO2_1h", "CO_1h", "O3_1h", "PM2_5_24h", "PM10_24h", "wind_speed_high",
 * "stale", "range", "stuck", "drift" (each only where its kind has it).
 * The most specific scope with an "off" list decides: an asset's "off": []
 * keeps every rule its kind's list would drop.
 *
 * Ownership and threads: everything here is pure (no I/O, no globals that
 * change); results belong to the caller (assets_rules_free,
 * assets_gaps_free). Safe from any thread.
 */
#ifndef PARKWATCH_ASSETS_H
#define PARKWATCH_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

#include "alerting/alerting.h"
#include "geo/geo.h"

/* ---- units ---- */

/* The engineering unit of a series of a feature, from the feature's kind
 * and the series' last name part ("E001/tankfarm-1/T101.level" on a tank:
 * "m"; ".../gd-01/lel": "%LEL"; ".../aq-1/CO": "mg/m³"); "" when not
 * known. The string is static. */
const char *assets_unit_of(const geo_feature *f, const char *series_name);

/* The quantity a series measures, in the words of the parameter table:
 * "level", "temperature", "pressure", "flow", "gas", "wind_speed",
 * "wind_dir", "humidity", "PM2_5", "PM10", "SO2", "NO2", "CO", "O3", or
 * "" when not known. Static. */
const char *assets_quantity_of(const geo_feature *f, const char *series_name);

/* ---- the parameters ---- */

typedef struct assets_param {
    const char *kind; /* geo kind name: "tank", "pipeline", ... */
    const char *name; /* "level_high_pct" */
    const char *unit; /* of the value: "%", "MPa", "°C", "s" */
    double dflt;
    const char *basis; /* where the default comes from, one line */
} assets_param;

const assets_param *assets_params(size_t *n);

/* ---- derived rules ---- */

typedef struct assets_rule {
    alert_rule rule;         /* series 0 and paired_series 0: the caller registers the series
                                (series_name, and paired_name for two-series rules) */
    const char *paired_name; /* ALERT_IMBALANCE / ALERT_DEVIATION: the other series; else NULL */
    const char *quantity;    /* static: "level", "pressure", "flow_imbalance", ... */
    size_t feature;          /* the feature index in the layout */
} assets_rule;

typedef struct assets_rules {
    assets_rule *v;
    size_t n;
    /* Strings the rules point to (series names, bases, units), owned here. */
    void *arena;
} assets_rules;

void assets_rules_free(assets_rules *r);

/* Every rule of every asset of the layout, in a stable order (features in
 * layout order, rules per feature in a fixed order: per series in layout
 * order its process rules, then stale, range, stuck and drift; a
 * pipeline's line balance last), so that rule ids are the same at every
 * start for the same layout and overrides. The line balance is an
 * ALERT_IMBALANCE on the inlet meter paired with the outlet: its limit a
 * fraction (0.02), its unit "ratio", its deadband the denominator's floor
 * in m³/h. A stale rule's unit is "s".
 * overrides_json may be NULL. A problem in the overrides (an unknown asset,
 * kind or parameter, a value out of range) fails the whole call with the
 * problem in err. */
int assets_derive(const geo_layout *g, const char *overrides_json, assets_rules *out, char *err,
                  size_t errcap);

/* ---- major hazard sources under online monitoring ---- */

/* The critical parameters a major hazard source must have under online
 * monitoring (AQ 3035-2010; docs/reference/process-limits.md): for its
 * tanks level and temperature, and pressure for a pressure vessel; gas
 * concentration (a detector within the source or guarding one of its
 * tanks). A source missing one is listed with what it misses. */
typedef struct assets_gap {
    size_t hazard_source; /* feature index */
    size_t asset;         /* the tank it is about, or the hazard source itself */
    const char *missing;  /* static: "level", "temperature", "pressure", "gas" */
} assets_gap;

typedef struct assets_gaps {
    assets_gap *v;
    size_t n;
    size_t sources_checked;
} assets_gaps;

void assets_gaps_free(assets_gaps *g);
int assets_check_monitoring(const geo_layout *g, assets_gaps *out, char *err, size_t errcap);

/* The tanks and pipelines of a hazard source (inside or touching its
 * polygon), for the risk view: feature indexes into *out (caller frees),
 * their count into *n. */
int assets_of_hazard_source(const geo_layout *g, size_t hazard_source, size_t **out, size_t *n);

#endif
