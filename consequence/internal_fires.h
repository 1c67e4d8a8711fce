/*
 * internal_fires.h - what fire.c shares with fireball.c and nothing else
 * includes: the ambient-air check, the air's density, an error writer and
 * the threat-zone search common to the three fire models.
 */
#ifndef PARKWATCH_CONSEQUENCE_INTERNAL_FIRES_H
#define PARKWATCH_CONSEQUENCE_INTERNAL_FIRES_H

#include <stdbool.h>
#include <stddef.h>

#include "consequence/internal.h"

#define CQF_M_AIR 0.028965 /* kg/mol, dry air */

/* Checks air against consequence.h's "valid air" and copies it into out
 * with the pressure filled in; CQ_OK or CQ_EINVAL with the reason. */
int cqf_air_check(const cq_air *air, cq_air *out, char *err, size_t errlen);

/* Ideal-gas density (kg/m3) of a gas of molar mass m_kg_mol at the air's
 * pressure (filled in) and temp_k. */
double cqf_gas_density(const cq_air *air, double m_kg_mol, double temp_k);

/* A model's flux (W/m2) at a ground distance, ORing flags. */
typedef double (*cqf_flux_fn)(const void *model, double x_m, unsigned *flags);

/* Fills out with the farthest distances in [0, CQ_RANGE_MAX_M] at which
 * flux reaches the three thermal levels. x_start_m: the first distance
 * evaluated (> 0); inside_flux: the flux for distances below x_start_m
 * (a pool's SEP), or 0 when the scan itself covers them; x_tail_m: beyond
 * it the flux decreases with distance, so the scan stops there once it is
 * below the yellow level. The scan steps by 2 % and each crossing is then
 * bisected; the flags of the flux at each zone's distance are kept, and
 * CQ_FLAG_CAPPED is set where a level is still reached at CQ_RANGE_MAX_M. */
void cqf_zones(cqf_flux_fn flux, const void *model, double x_start_m, double inside_flux,
               double x_tail_m, cq_zones *out);

#endif
