/*
 * criteria.c - the 20 criteria of a major hidden hazard in chemical and
 * hazardous-chemical enterprises: 安监总管三〔2017〕121号 (化工和危险化学品
 * 生产经营单位重大生产安全事故隐患判定标准(试行)), reprinted unchanged in
 * 2023 and 2024. Any one of them makes a hazard major. The English is a
 * summary of each item, not the official text (docs/reference/
 * hidden-hazards.md, section 2, gives the sources and how sure they are).
 */
#include "hazards/hazards.h"

static const hazard_criterion criteria[HAZARD_CRITERIA] = {
    {1, "Principal persons and safety managers not assessed and qualified by law"},
    {2, "Special-operation workers working without certificates"},
    {3, "External safety distances of \"two key, one major\" units and storage do not meet "
        "national standards"},
    {4, "Key-supervised hazardous processes not automated, no emergency shutdown, or the "
        "DCS/ESD not in use"},
    {5, "Tier-1/2 major-hazard tank farms without emergency cut-off; toxic-gas, liquefied-gas "
        "or highly toxic liquid tier-1/2 tank farms without an independent SIS"},
    {6, "Fully pressurised liquefied-hydrocarbon tanks without water-injection measures"},
    {7, "Filling of liquefied hydrocarbons, liquid ammonia, liquid chlorine and the like not "
        "done with universal-joint loading arms"},
    {8, "Phosgene, chlorine or H2S pipelines crossing public areas outside plant or park "
        "boundaries"},
    {9, "Overhead power lines crossing the production area against national standards"},
    {10, "In-service units without formal design and without a safety design diagnosis"},
    {11, "Use of processes or equipment on the eliminated or obsolete catalogue"},
    {12, "No gas detection and alarm where combustible or toxic gas can leak; no "
         "explosion-proof electrics in hazardous areas"},
    {13, "Control room or rack room wall facing fire or explosion hazard units not meeting "
         "fire and blast requirements"},
    {14, "No dual power supply for units, or no UPS for the automation system"},
    {15, "Safety valves, rupture discs and similar devices not in normal service"},
    {16, "No all-staff safety responsibility system matched to posts, or no hidden-hazard "
         "investigation system implemented"},
    {17, "No operating procedures or process control limits"},
    {18, "No special-work rules (hot work, confined space and the like) per national "
         "standards, or rules not enforced"},
    {19, "New processes not through lab, pilot and industrial trials; first domestic use "
         "without provincial reliability review; no trial-run plan; fine-chemical firms "
         "without reaction-hazard assessment"},
    {20, "Chemicals not stored by zone and class, over quantity or range, or incompatible "
         "substances stored together"},
};

const hazard_criterion *hazard_criteria(void) {
    return criteria;
}
