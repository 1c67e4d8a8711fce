/*
 * air.c - the atmosphere between a flame and a target: water's saturation
 * pressure and Bagster & Pitblado's transmissivity (reference section 2,
 * [AK10 p. 95 via fireSIM]).
 *
 * tau = 2.02 (P_w X)^-0.09 with P_w = RH p_sat(T_a) in Pa and X the path
 * from the flame's surface in m. The fit exceeds 1 for P_w X below
 * 2.02^(1/0.09) ~ 2.5e3 Pa m (short paths, dry air) and is capped at 1
 * there, as it is for a path of 0 (a target on the flame). CCPS gives
 * 1e4 < P_w X < 1e5 as its range; outside it the fit still answers and is
 * not flagged, because every zone of a small fire starts inside it and a
 * far one ends outside it.
 *
 * p_sat = 101325 exp(14.4114 - 5328/T) Pa, the reference's form (marked
 * unconfirmed there): 3188 Pa at 25 C against 3170 Pa in the steam tables,
 * 2351 Pa at 20 C against 2339 Pa, within 0.6 %.
 */
#include "consequence/consequence.h"

#include <math.h>

double cq_water_psat_pa(double temp_k) {
    if (!isfinite(temp_k) || temp_k < 150.0 || temp_k > 400.0) return NAN;
    return CQ_P_ATM * exp(14.4114 - 5328.0 / temp_k);
}

/* The same check as fire.c's for every fire model (see consequence.h,
 * "valid air"); repeated here so air.c stands on its own. */
static bool air_valid(const cq_air *air) {
    if (!air) return false;
    if (!isfinite(air->temp_k) || air->temp_k < 223.15 || air->temp_k > 333.15) return false;
    if (!isfinite(air->relative_humidity) || air->relative_humidity < 0 ||
        air->relative_humidity > 1)
        return false;
    if (!isfinite(air->pressure_pa) ||
        (air->pressure_pa != 0 && (air->pressure_pa < 5e4 || air->pressure_pa > 1.1e5)))
        return false;
    if (!isfinite(air->wind_m_s) || air->wind_m_s < 0 || air->wind_m_s > 50) return false;
    return true;
}

double cq_transmissivity(const cq_air *air, double path_m) {
    if (!air_valid(air) || isnan(path_m)) return NAN;
    if (path_m <= 0) return 1.0;
    double pw_x = air->relative_humidity * cq_water_psat_pa(air->temp_k) * path_m;
    if (!(pw_x > 0)) return 1.0; /* dry air, or an underflow */
    double tau = 2.02 * pow(pw_x, -0.09);
    return tau < 1.0 ? tau : 1.0;
}
