// i18n-check.mjs [REPO] - the page's translations without a browser:
// dashboards/js/i18n.js imported in node and asked for every label, alarm
// word, property, series, substance and risk reason the demo park and the
// API give, in both languages. Chinese text must hold no English word (4
// letters or more, but for the allow-list), English text no CJK character,
// and the two tables the same keys. run.mjs runs it first; alone:
// `node tests/browser/i18n-check.mjs .` (exit 0 when clean).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// The words the Chinese page may show: units, terms of art, the product's name.
export const ALLOW = new Set(['Parkwatch', 'EEMUA', 'AEGL', 'ERPG', 'IDLH', 'IAQI', 'HTTP', 'JSON']);
const EN_WORD = /[A-Za-z]{4,}/g;
const CJK = /[\u4e00-\u9fff]/;

/** The English words of a Chinese string that are not allowed. */
export function englishIn(s, extra = new Set()) {
  return (String(s).replace(/\{\w+\}/g, '').match(EN_WORD) || []).filter((w) => !ALLOW.has(w) && !extra.has(w));
}

export async function checkI18n(repo) {
  // i18n.js touches these only when the language changes
  globalThis.localStorage ??= { getItem: () => null, setItem: () => {} };
  globalThis.document ??= { documentElement: {}, querySelectorAll: () => [] };
  globalThis.window ??= { dispatchEvent: () => {} };
  const warn = console.warn;
  console.warn = () => {};
  const m = await import(pathToFileURL(path.join(repo, 'dashboards', 'js', 'i18n.js')).href);
  const cp = await import(pathToFileURL(path.join(repo, 'dashboards', 'js', 'i18n-cp.js')).href);
  const bad = [];
  try {
    const { TABLE } = m;
    const zhKeys = Object.keys(TABLE.zh), enKeys = Object.keys(TABLE.en);
    for (const k of zhKeys) if (!(k in TABLE.en)) bad.push(`en lacks ${k}`);
    for (const k of enKeys) if (!(k in TABLE.zh)) bad.push(`zh lacks ${k}`);
    for (const [k, v] of Object.entries(TABLE.zh)) {
      if (k === 'login.prompt' || k === 'app.subtitle') continue; // a command line; the product's name
      const w = englishIn(v);
      if (w.length) bad.push(`zh ${k}: ${w.join(' ')} in "${v}"`);
    }
    // the language switch names the other language in its own words
    for (const [k, v] of Object.entries(TABLE.en)) if (k !== 'lang.switch' && CJK.test(v)) bad.push(`en ${k}: CJK in "${v}"`);

    // what the API and the layout send, through the page's translators
    const park = JSON.parse(fs.readFileSync(path.join(repo, 'geo', 'demo-park.geojson'), 'utf8'));
    const akinds = ['high', 'high_high', 'low', 'low_low', 'stale', 'fault', 'stuck', 'range', 'drift', 'flapping',
      'imbalance', 'rate', 'deviation'];
    const reasons = ['2 priority-1 gas alarms', '1 priority-2 gas alarm', '1 instrument fault', '3 instrument faults',
      '3 stale detectors', '1 stale detector', '3 of 4 detectors blind', '2 detectors blind', 'grade 1 major hazard',
      '2 substances not classified', '1 substance not classified', '1 priority-1 process alarm',
      '4 priority-3 process alarms', 'level transmitter frozen', 'pressure transmitter stuck', '2 process alarms',
      '1 instrument alarm', '2 stuck instruments', '1 drifting sensor',
      // a risk unit's live level (GET /api/v1/risk-units/map)
      '2 active priority-1 alarms: at least large', '1 active priority-2 alarm: at least general',
      '1 open major hidden hazard: at least large', '3 overdue hidden hazards: one level up, to major',
      '4 active priority-3/4 alarms: listed, no raise', 'E001-T101: E001/tankfarm-1/T101.level high_high (P1)',
      'E001-GD3: E001/gd-03/lel high (P2)', 'E002-P1:  stale (P3)'];
    for (const lang of ['zh', 'en']) {
      m.setLang(lang);
      const other = lang === 'zh' ? (s) => englishIn(s).length > 0 : (s) => CJK.test(s);
      const say = (what, s) => {
        if (other(s)) bad.push(`${lang} ${what}: "${s}"`);
      };
      for (const k of akinds) say(`akind ${k}`, m.alarmWord('akind', k));
      // issue 21: condition alarms in the park's words (the kind, and each condition's kind from its series)
      for (const k of ['condition', ...cp.CONDITION_KINDS]) {
        say(`akind ${k}`, m.alarmWord('akind', k));
        const series = `PARK/vehicles/A12345/${k}`; // a plate is data (沪 on the English page too)
        say(`condition ${series}`, m.kindWord({ kind: 'condition', series }));
        say(`series ${series}`, m.seriesLabel(series));
        if (m.kindWord({ kind: 'condition', series }) !== m.alarmWord('akind', k)) bad.push(`${lang} condition ${k} not named by its kind`);
      }
      for (const k of ['process', 'instrument']) say(`aclass ${k}`, m.alarmWord('aclass', k));
      for (const k of ['derived', 'config', 'manual', 'engine']) say(`origin ${k}`, m.alarmWord('origin', k));
      for (const k of ['unack', 'acked', 'rtn_unack', 'normal']) say(`state ${k}`, m.alarmWord('state', k));
      for (const r of reasons) {
        const s = m.reasonText(r);
        say(`reason ${r}`, s);
        if (lang === 'zh' && s.startsWith(m.t('reason.unknown'))) bad.push(`zh reason not matched: "${r}"`);
      }
      // an unknown reason: the generic label and its numbers, never the English line
      const unk = m.reasonText('7 widgets confabulated since 3');
      say('an unknown reason', unk);
      if (lang === 'zh' && unk !== `${m.t('reason.unknown')} (7/3)`) bad.push(`zh unknown reason shown as "${unk}"`);
      for (let l = 1; l <= 6; l++) say(`aqi ${l}`, m.t(`aqi.${l}`));
      for (const f of park.features) {
        const p = f.properties;
        for (const [label, text] of m.propRows(p, p.kind)) say(`${p.id} ${label}`, `${label} ${text}`);
        for (const s of p.series || []) say(`series ${s}`, m.seriesLabel(s));
        if (p.name) say(`${p.id} name`, m.featureName(p, p.kind));
        if (p.kind === 'enterprise' && /^Enterprise \d+$/.test(m.featureName(p, p.kind))) bad.push(`${lang} ${p.id} named "${m.featureName(p, p.kind)}"`);
      }
    }
    // units: a detector's value and a tank level
    m.setLang('zh');
    const u = [[m.fmtVal(100, m.unitOf('E001/gd-01/lel')), /^100 %LEL$/], [m.fmtVal(12.5, m.unitOf('E001/tankfarm-1/T101.level')), /^12\.5 m$/],
      [m.fmtVal(1.2, m.unitOf('E001/pipeline-1/PT01.pressure')), / MPa$/], [m.fmtVal(3, m.unitOf('E001/pipeline-1/FT01.flow')), / m³\/h$/],
      [m.fmtVal(35, m.unitOf('PARK/aq-1/PM2_5')), / µg\/m³$/], [m.fmtVal(1.1, m.unitOf('PARK/aq-1/CO')), / mg\/m³$/],
      [m.fmtVal(7, ''), /^7$/], [m.fmtVal(7, undefined), /^7$/]];
    for (const [s, re] of u) if (!re.test(s)) bad.push(`unit: "${s}" is not ${re}`);
  } finally {
    console.warn = warn;
  }
  return bad;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const repo = path.resolve(process.argv[2] || path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..'));
  const bad = await checkI18n(repo);
  for (const b of bad) console.log(`FAIL ${b}`);
  console.log(bad.length ? `${bad.length} problems` : 'i18n: every label and API string translated');
  process.exit(bad.length ? 1 : 0);
}
