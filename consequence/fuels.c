/*
 * fuels.c - the fuel table of the fire models (consequence.h, cq_fuel): the
 * park's flammable substances, named as views/substances.c names them, with
 * typical handbook values. They are screening data: one value per
 * property, not a function of temperature, and a mixture's (gasoline,
 * diesel, LPG) is one representative composition.
 *
 * Sources, column by column, unless a row says otherwise:
 *   molar mass   computed from IUPAC standard atomic weights, as
 *                views/substances.c does (H 1.008, C 12.011, N 14.007,
 *                O 15.999, S 32.06, Cl 35.45).
 *   Tb, dHv      CRC Handbook of Chemistry and Physics, "Enthalpy of
 *                vaporization" table (dHv at the normal boiling point).
 *   dHc (lower)  our arithmetic from the CRC Handbook's standard enthalpies
 *                of formation at 25 C (the substance in its standard
 *                state: liquid if Tb > 25 C, else gas), products CO2
 *                -393.5, H2O (gas) -241.8, SO2 -296.8, HCl (gas) -92.3
 *                kJ/mol, N as N2. Example, benzene (l, +49.1):
 *                6(-393.5) + 3(-241.8) - 49.1 = -3135.5 kJ/mol,
 *                / 78.114 g/mol = 40.14 MJ/kg.
 *   density      Perry's Chemical Engineers' Handbook 8th ed., Table 2-32
 *                (DIPPR eq. 105), evaluated at 25 C, or at Tb where Tb is
 *                below 25 C (a liquefied gas's pool is at its boiling point).
 *   cp liquid    Perry's 8th ed., Table 2-153 (DIPPR eq. 100; eq. 114 for
 *                methane, propane and hydrogen), at the same temperature.
 *   m''_inf, kb  SFPE Handbook of Fire Protection Engineering, Babrauskas's
 *                table of large-pool burning-rate data (Babrauskas 1983):
 *                only where that table has the fuel or names it as the
 *                main component (LNG for methane, LPG for propane, liquid
 *                H2 for hydrogen). "-" for kb there (alcohols: no
 *                diameter effect) is INFINITY here.
 *   air/fuel     stoichiometric mass ratio, computed from the formula with
 *                air 20.95 % O2 by volume and 28.965 g/mol: n_O2 = C + (H -
 *                Cl)/4 + S - O/2 moles per mole of fuel.
 *   sooty        our judgement: hydrocarbons of two carbons or more,
 *                aromatics and the chlorinated and nitrile monomers burn
 *                with smoky flames, to which Mudan & Croce's large-pool
 *                SEP applies; methane, hydrogen, the alcohols, ketones,
 *                esters, ethers, ethylene oxide and carbon disulfide burn
 *                cleanly.
 * The CRC and Perry's values were read from the tables as the Chemical
 * Engineering Design Library (CalebBell/chemicals) carries them; Perry's
 * and the CRC agree to within 1 % on the densities and heat capacities
 * checked at 25 C, and to within 2 % on dHv except styrene (4 %) and vinyl
 * chloride (8 %), where the CRC's value is used.
 *
 * Substances of views/substances.c left out: hydrogen sulfide, carbon
 * monoxide, hydrogen cyanide, formaldehyde and methyl isocyanate are
 * flammable but their hazard is toxic, and propylene oxide lacks a dHv and
 * density in the tables above.
 *
 * Lookup is a linear scan of about 25 rows.
 */
#include "consequence/consequence.h"

#include <math.h>
#include <stddef.h>

#define KG(g_mol) ((g_mol) / 1000.0)
#define MJ(x)     ((x)*1e6)
#define KJ(x)     ((x)*1e3)

// clang-format off
static const cq_fuel table[] = {
    /* dfH CH4 (g) -74.6 kJ/mol. Babrauskas: LNG 0.078, kb 1.1. */
    {.name = "methane", .alias = "natural gas", .molar_mass_kg_mol = KG(16.043),
     .boiling_point_k = 111.67, .heat_combustion_j_kg = MJ(50.02),
     .heat_vaporisation_j_kg = KJ(510.5), .cp_liquid_j_kg_k = 3507, .density_liquid_kg_m3 = 422.5,
     .burning_rate_inf_kg_m2_s = 0.078, .k_beta_per_m = 1.1, .air_fuel_stoich = 17.24},
    /* dfH C3H8 (g) -103.8. Babrauskas: LPG 0.099, kb 1.4. */
    {.name = "propane", .molar_mass_kg_mol = KG(44.097), .boiling_point_k = 231.05,
     .heat_combustion_j_kg = MJ(46.35), .heat_vaporisation_j_kg = KJ(431.8),
     .cp_liquid_j_kg_k = 2252, .density_liquid_kg_m3 = 582.6, .burning_rate_inf_kg_m2_s = 0.099,
     .k_beta_per_m = 1.4, .air_fuel_stoich = 15.68, .sooty = true},
    /* LPG (mostly propane): dHc 46.0 MJ/kg and density 585 from Babrauskas's
     * LPG row; Tb, dHv, cp and air/fuel propane's. */
    {.name = "liquefied petroleum gas", .alias = "LPG", .molar_mass_kg_mol = KG(44.097),
     .boiling_point_k = 231.05, .heat_combustion_j_kg = MJ(46.0),
     .heat_vaporisation_j_kg = KJ(431.8), .cp_liquid_j_kg_k = 2252, .density_liquid_kg_m3 = 585,
     .burning_rate_inf_kg_m2_s = 0.099, .k_beta_per_m = 1.4, .air_fuel_stoich = 15.68,
     .sooty = true},
    /* dfH C4H10 (g) -125.7. Babrauskas: butane 0.078, kb 2.7. */
    {.name = "butane", .alias = "n-butane", .molar_mass_kg_mol = KG(58.124),
     .boiling_point_k = 272.65, .heat_combustion_j_kg = MJ(45.72),
     .heat_vaporisation_j_kg = KJ(386.1), .cp_liquid_j_kg_k = 2292, .density_liquid_kg_m3 = 602.4,
     .burning_rate_inf_kg_m2_s = 0.078, .k_beta_per_m = 2.7, .air_fuel_stoich = 15.46,
     .sooty = true},
    /* dfH of H2 0; water as vapour. Babrauskas: liquid H2 0.017, kb 6.1. */
    {.name = "hydrogen", .molar_mass_kg_mol = KG(2.016), .boiling_point_k = 20.39,
     .heat_combustion_j_kg = MJ(119.94), .heat_vaporisation_j_kg = KJ(446.4),
     .cp_liquid_j_kg_k = 9857, .density_liquid_kg_m3 = 70.6, .burning_rate_inf_kg_m2_s = 0.017,
     .k_beta_per_m = 6.1, .air_fuel_stoich = 34.29},
    /* dfH CH3OH (l) -239.2. Babrauskas: methanol 0.017, kb "-". */
    {.name = "methanol", .molar_mass_kg_mol = KG(32.042), .boiling_point_k = 337.75,
     .heat_combustion_j_kg = MJ(19.91), .heat_vaporisation_j_kg = KJ(1098.9),
     .cp_liquid_j_kg_k = 2533, .density_liquid_kg_m3 = 789.6, .burning_rate_inf_kg_m2_s = 0.017,
     .k_beta_per_m = INFINITY, .air_fuel_stoich = 6.472},
    /* dfH C2H5OH (l) -277.6. Babrauskas: ethanol 0.015, kb "-". */
    {.name = "ethanol", .molar_mass_kg_mol = KG(46.069), .boiling_point_k = 351.44,
     .heat_combustion_j_kg = MJ(26.80), .heat_vaporisation_j_kg = KJ(837.0),
     .cp_liquid_j_kg_k = 2439, .density_liquid_kg_m3 = 785.9, .burning_rate_inf_kg_m2_s = 0.015,
     .k_beta_per_m = INFINITY, .air_fuel_stoich = 9.003},
    /* dfH C6H6 (l) +49.1. Babrauskas: benzene 0.085, kb 2.7. */
    {.name = "benzene", .molar_mass_kg_mol = KG(78.114), .boiling_point_k = 353.24,
     .heat_combustion_j_kg = MJ(40.14), .heat_vaporisation_j_kg = KJ(393.3),
     .cp_liquid_j_kg_k = 1743, .density_liquid_kg_m3 = 873.0, .burning_rate_inf_kg_m2_s = 0.085,
     .k_beta_per_m = 2.7, .air_fuel_stoich = 13.28, .sooty = true},
    /* dfH C7H8 (l) +12.4. Not in Babrauskas's table: Burgess. */
    {.name = "toluene", .molar_mass_kg_mol = KG(92.141), .boiling_point_k = 383.78,
     .heat_combustion_j_kg = MJ(40.53), .heat_vaporisation_j_kg = KJ(360.1),
     .cp_liquid_j_kg_k = 1699, .density_liquid_kg_m3 = 863.9, .air_fuel_stoich = 13.51,
     .sooty = true},
    /* Gasoline: dHc 43.7 MJ/kg, density 740, m''_inf 0.055 and kb 2.1 from
     * Babrauskas's gasoline row. Boiling range about 30-200 C: Tb 333 K,
     * molar mass 100 g/mol, dHv 350 kJ/kg, cp 2.2 kJ/kg/K and air/fuel 14.7
     * are typical values (they enter only u*'s vapour density and the jet
     * fire's W, the Babrauskas rate being used). */
    {.name = "gasoline", .alias = "petrol", .molar_mass_kg_mol = KG(100.0),
     .boiling_point_k = 333.0, .heat_combustion_j_kg = MJ(43.7),
     .heat_vaporisation_j_kg = KJ(350.0), .cp_liquid_j_kg_k = 2200, .density_liquid_kg_m3 = 740,
     .burning_rate_inf_kg_m2_s = 0.055, .k_beta_per_m = 2.1, .air_fuel_stoich = 14.7,
     .sooty = true},
    /* Diesel (EN 590 type): dHc 43.1 MJ/kg and density 832 kg/m3 from the
     * JEC Well-to-Wheels fuel-properties table. Tb 543 K (T50 about 270 C),
     * molar mass 200 g/mol, dHv 250 kJ/kg, cp 2.1 kJ/kg/K and air/fuel 14.5
     * are typical values. Not in Babrauskas's table: Burgess. */
    {.name = "diesel", .alias = "diesel oil", .molar_mass_kg_mol = KG(200.0),
     .boiling_point_k = 543.0, .heat_combustion_j_kg = MJ(43.1),
     .heat_vaporisation_j_kg = KJ(250.0), .cp_liquid_j_kg_k = 2100, .density_liquid_kg_m3 = 832,
     .air_fuel_stoich = 14.5, .sooty = true},
    /* dfH C2H4 (g) +52.4. */
    {.name = "ethylene", .alias = "ethene", .molar_mass_kg_mol = KG(28.054),
     .boiling_point_k = 169.38, .heat_combustion_j_kg = MJ(47.16),
     .heat_vaporisation_j_kg = KJ(482.3), .cp_liquid_j_kg_k = 2420, .density_liquid_kg_m3 = 568.8,
     .air_fuel_stoich = 14.79, .sooty = true},
    /* dfH C3H6 (g) +20.0. */
    {.name = "propylene", .alias = "propene", .molar_mass_kg_mol = KG(42.081),
     .boiling_point_k = 225.46, .heat_combustion_j_kg = MJ(45.77),
     .heat_vaporisation_j_kg = KJ(437.7), .cp_liquid_j_kg_k = 2188, .density_liquid_kg_m3 = 611.6,
     .air_fuel_stoich = 14.79, .sooty = true},
    /* dfH C2H2 (g) +227.4. Sublimes at 189.35 K (Yaws) at 1 atm: no
     * liquid pool (jet fire and fireball only). */
    {.name = "acetylene", .alias = "ethyne", .molar_mass_kg_mol = KG(26.038),
     .boiling_point_k = 189.35, .heat_combustion_j_kg = MJ(48.24),
     .heat_vaporisation_j_kg = NAN, .cp_liquid_j_kg_k = NAN, .density_liquid_kg_m3 = NAN,
     .air_fuel_stoich = 13.28, .sooty = true},
    /* dfH C4H6 (g) +110.0. */
    {.name = "1,3-butadiene", .alias = "butadiene", .molar_mass_kg_mol = KG(54.092),
     .boiling_point_k = 268.74, .heat_combustion_j_kg = MJ(44.54),
     .heat_vaporisation_j_kg = KJ(415.4), .cp_liquid_j_kg_k = 2144, .density_liquid_kg_m3 = 651.5,
     .air_fuel_stoich = 14.06, .sooty = true},
    /* dfH CH3OCH3 (g) -184.1. */
    {.name = "dimethyl ether", .alias = "DME", .molar_mass_kg_mol = KG(46.069),
     .boiling_point_k = 248.35, .heat_combustion_j_kg = MJ(28.83),
     .heat_vaporisation_j_kg = KJ(466.9), .cp_liquid_j_kg_k = 2235, .density_liquid_kg_m3 = 730.7,
     .air_fuel_stoich = 9.003},
    /* dfH (CH3)2CO (l) -248.4. Babrauskas: acetone 0.041, kb 1.9. */
    {.name = "acetone", .molar_mass_kg_mol = KG(58.080), .boiling_point_k = 329.2,
     .heat_combustion_j_kg = MJ(28.54), .heat_vaporisation_j_kg = KJ(501.0),
     .cp_liquid_j_kg_k = 2175, .density_liquid_kg_m3 = 786.6, .burning_rate_inf_kg_m2_s = 0.041,
     .k_beta_per_m = 1.9, .air_fuel_stoich = 9.522},
    /* dfH CH3COOC2H5 (l) -479.3. */
    {.name = "ethyl acetate", .molar_mass_kg_mol = KG(88.106), .boiling_point_k = 350.26,
     .heat_combustion_j_kg = MJ(23.40), .heat_vaporisation_j_kg = KJ(362.5),
     .cp_liquid_j_kg_k = 1939, .density_liquid_kg_m3 = 893.6, .air_fuel_stoich = 7.846},
    /* dfH C8H8 (l) +103.8. dHv: CRC 38.7 kJ/mol (Perry's 37.1). */
    {.name = "styrene", .molar_mass_kg_mol = KG(104.152), .boiling_point_k = 418.15,
     .heat_combustion_j_kg = MJ(40.51), .heat_vaporisation_j_kg = KJ(371.6),
     .cp_liquid_j_kg_k = 1748, .density_liquid_kg_m3 = 900.5, .air_fuel_stoich = 13.28,
     .sooty = true},
    /* dfH C2H3Cl (g) +37.2, chlorine to HCl (gas). dHv: CRC 20.8 kJ/mol
     * (Perry's 22.6). */
    {.name = "vinyl chloride", .alias = "VCM", .molar_mass_kg_mol = KG(62.496),
     .boiling_point_k = 259.35, .heat_combustion_j_kg = MJ(18.53),
     .heat_vaporisation_j_kg = KJ(332.8), .cp_liquid_j_kg_k = 1174, .density_liquid_kg_m3 = 966.4,
     .air_fuel_stoich = 5.531, .sooty = true},
    /* dfH C2H4O (g) -52.6. */
    {.name = "ethylene oxide", .alias = "EO", .molar_mass_kg_mol = KG(44.053),
     .boiling_point_k = 283.75, .heat_combustion_j_kg = MJ(27.65),
     .heat_vaporisation_j_kg = KJ(579.8), .cp_liquid_j_kg_k = 1973, .density_liquid_kg_m3 = 886.4,
     .air_fuel_stoich = 7.846},
    /* dfH CS2 (l) +89.0, sulphur to SO2; no water, lower = higher. */
    {.name = "carbon disulfide", .alias = "CS2", .molar_mass_kg_mol = KG(76.131),
     .boiling_point_k = 319.15, .heat_combustion_j_kg = MJ(14.14),
     .heat_vaporisation_j_kg = KJ(351.2), .cp_liquid_j_kg_k = 1004, .density_liquid_kg_m3 = 1255.5,
     .air_fuel_stoich = 5.448},
    /* dfH C3H3N (l) +147.1, nitrogen to N2. */
    {.name = "acrylonitrile", .alias = "ACN", .molar_mass_kg_mol = KG(53.064),
     .boiling_point_k = 350.45, .heat_combustion_j_kg = MJ(31.85),
     .heat_vaporisation_j_kg = KJ(614.4), .cp_liquid_j_kg_k = 2048, .density_liquid_kg_m3 = 801.1,
     .air_fuel_stoich = 9.771, .sooty = true},
    /* dfH C6H14 (l) -198.7. Babrauskas: hexane 0.074, kb 1.9. */
    {.name = "n-hexane", .alias = "hexane", .molar_mass_kg_mol = KG(86.178),
     .boiling_point_k = 341.88, .heat_combustion_j_kg = MJ(44.73),
     .heat_vaporisation_j_kg = KJ(334.8), .cp_liquid_j_kg_k = 2277, .density_liquid_kg_m3 = 656.0,
     .burning_rate_inf_kg_m2_s = 0.074, .k_beta_per_m = 1.9, .air_fuel_stoich = 15.24,
     .sooty = true},
    /* dfH C6H12 (l) -156.4. */
    {.name = "cyclohexane", .molar_mass_kg_mol = KG(84.162), .boiling_point_k = 353.88,
     .heat_combustion_j_kg = MJ(43.43), .heat_vaporisation_j_kg = KJ(356.1),
     .cp_liquid_j_kg_k = 1840, .density_liquid_kg_m3 = 773.1, .air_fuel_stoich = 14.79,
     .sooty = true},
};
// clang-format on

#define N_TABLE (sizeof table / sizeof table[0])

const cq_fuel *cq_fuels_all(size_t *n) {
    if (n) *n = N_TABLE;
    return table;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static char fold(char c) {
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s (trimmed of blanks) equals name, ASCII case-insensitively. */
static bool same_name(const char *s, size_t len, const char *name) {
    if (!name) return false;
    size_t i = 0;
    for (; i < len && name[i]; i++)
        if (fold(s[i]) != fold(name[i])) return false;
    return i == len && name[i] == '\0';
}

const cq_fuel *cq_fuel_find(const char *name) {
    if (!name) return NULL;
    while (is_blank(*name)) name++;
    size_t len = 0;
    while (name[len]) len++;
    while (len > 0 && is_blank(name[len - 1])) len--;
    if (len == 0) return NULL;
    for (size_t i = 0; i < N_TABLE; i++)
        if (same_name(name, len, table[i].name) || same_name(name, len, table[i].alias))
            return &table[i];
    return NULL;
}
