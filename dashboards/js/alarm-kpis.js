// alarm-kpis.js - the "报警分析/Alarm KPIs" tab: the alarm system's history
// and performance in the manner of EEMUA 191 / ISA-18.2, over a chosen
// range (the last 24 h by default):
//  - the headline figures of GET /api/v1/alarms/kpis (alarms, mean and
//    peak per 10 minutes, time in flood, chattering and standing alarms);
//  - alarms per 10 minutes as a uPlot bar chart, the flood windows (more
//    than 10 alarms in 10 minutes) in red, and the flood periods listed;
//  - the ten most frequent alarms (the KPIs' top), the chattering alarms
//    (raised 3 times or more within 60 s) and the priority distribution,
//    counted from GET /api/v1/alarms/journal as the server counts them (a
//    raise: a condition event into unack, not shelved, suppressed or out of
//    service); the standing alarms (in alarm for 24 h or more) from
//    GET /api/v1/alarms;
//  - the journal as a table, newest first, filtered by priority and kind
//    (and, for park staff, the enterprise, which scopes the whole tab),
//    50 rows a page.
// Loaded when the tab is shown, and again at most every minute while it is.
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { t, fmtNum, fmtVal, fmtTime, fmtPct, seriesLabel, alarmWord, errText, kindWord } from './i18n.js';
import { escapeHtml } from './map.js';

const TEN_MIN = 600000;
const FLOOD = 10; // more than this many in 10 minutes
const CHATTER_N = 3;
const CHATTER_MS = 60000;
const STANDING_MS = 24 * 3600000;
const RANGES = { '1h': 3600000, '8h': 8 * 3600000, '24h': 24 * 3600000, '7d': 7 * 24 * 3600000 };
const PAGE = 50;
const STALE_MS = 60000;
const KINDS = ['high', 'high_high', 'low', 'low_low', 'rate', 'deviation', 'imbalance', 'stale', 'fault', 'stuck',
  'range', 'drift', 'flapping', 'condition'];

/** A raise as the KPIs count it: the process brought the alarm into unack, annunciated. */
export const isRaise = (e) => e.action === 'condition' && e.to === 'unack' && e.from !== 'unack' &&
  !e.shelved && !e.suppressed && !e.out_of_service;

/** Counts per 10-minute window from `from`, the flood windows, per rule, by priority, chattering. */
export function analyse(events, from, to) {
  const n = Math.max(1, Math.ceil((to - from) / TEN_MIN));
  const buckets = new Array(n).fill(0);
  const byRule = new Map(); // rule -> {rule, series, kind, priority, enterprise, times: []}
  const byP = [0, 0, 0, 0, 0];
  let raises = 0;
  for (const e of events) {
    if (!isRaise(e) || e.ts_ms < from || e.ts_ms >= to) continue;
    raises++;
    buckets[Math.floor((e.ts_ms - from) / TEN_MIN)]++;
    byP[e.priority] = (byP[e.priority] || 0) + 1;
    let r = byRule.get(e.rule);
    if (!r) byRule.set(e.rule, (r = { rule: e.rule, series: e.series, kind: e.kind, priority: e.priority,
      enterprise: e.enterprise, asset: e.asset, times: [] }));
    r.times.push(e.ts_ms);
  }
  const chattering = [];
  for (const r of byRule.values()) {
    let most = 0;
    for (let i = 0, j = 0; i < r.times.length; i++) {
      while (r.times[i] - r.times[j] > CHATTER_MS) j++;
      most = Math.max(most, i - j + 1);
    }
    if (most >= CHATTER_N) chattering.push({ ...r, count: r.times.length, most });
  }
  chattering.sort((a, b) => b.most - a.most || b.count - a.count || a.rule - b.rule);
  // flood periods: runs of consecutive flood windows
  const floods = [];
  buckets.forEach((c, i) => {
    if (c <= FLOOD) return;
    const last = floods[floods.length - 1];
    if (last && last.to === from + i * TEN_MIN) {
      last.to += TEN_MIN;
      last.count += c;
    } else floods.push({ from: from + i * TEN_MIN, to: from + (i + 1) * TEN_MIN, count: c });
  });
  return { buckets, byRule, byP, raises, chattering, floods };
}

export class AlarmKpis {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.range = '24h';
    this.enterprise = app.who.role === 'enterprise' ? app.who.enterprise : '';
    this.fPriority = '';
    this.fKind = '';
    this.page = 0;
    this.data = null; // {from, to, kpis, events, truncated, active, a}
    this.state = 'idle'; // idle | loading | ok | error
    this.loads = 0;
    this.u = null;
    el.innerHTML = `<div class="kpi-head"></div><div class="kpi-figures"></div>
      <h4 class="kpi-chart-title"></h4><div class="kpi-chart"></div><p class="hint kpi-flood-def"></p><div class="kpi-floods"></div>
      <div class="kpi-grid"><div class="kpi-top"></div><div class="kpi-prio"></div><div class="kpi-chatter"></div><div class="kpi-standing"></div></div>
      <div class="kpi-journal"></div>`;
    this.chartEl = el.querySelector('.kpi-chart');
    el.addEventListener('click', (e) => this._click(e));
    el.addEventListener('change', (e) => this._change(e));
    window.addEventListener('lang', () => !this.el.hidden && this.render(true));
    this.render();
  }

  /** The tab is shown: loads when never loaded or older than a minute. */
  show() {
    if (!this.data || Date.now() - this.data.at > STALE_MS) this.load();
    else this.render(true);
  }

  async load() {
    const api = this.app.api;
    const to = Date.now();
    const from = to - RANGES[this.range];
    const enterprise = this.enterprise || undefined;
    this.state = 'loading';
    this._head();
    const [k, j, a] = await Promise.allSettled([
      api.get('alarms/kpis', { from, to, enterprise }),
      api.get('alarms/journal', { from, to, enterprise }),
      api.get('alarms'),
    ]);
    if (k.status !== 'fulfilled' || j.status !== 'fulfilled') {
      this.state = 'error';
      this.error = k.reason || j.reason;
      this.render();
      return;
    }
    const events = j.value.events || [];
    const active = a.status === 'fulfilled' ? (a.value.alarms || []) : [];
    this.data = { at: to, from, to, kpis: k.value, events, truncated: j.value.truncated, count: j.value.count,
      active: active.filter((x) => !this.enterprise || x.enterprise === this.enterprise),
      a: analyse(events, from, to) };
    this.state = 'ok';
    this.page = 0;
    this.loads++;
    this.render(true);
    this.el.dataset.loaded = String(this.loads);
  }

  _name(series, asset) {
    const m = this.app.map;
    const f = (asset && m.features.get(asset)) || m.seriesToFeature.get(series);
    return f ? f.id : asset || series;
  }

  _alarmCell(r) {
    const ent = r.enterprise || String(r.series).split('/')[0];
    return `<b>${escapeHtml(this._name(r.series, r.asset))}</b> <span class="quantity" title="${escapeHtml(r.series)}">${escapeHtml(seriesLabel(r.series))}</span>
      ${this.app.who.role === 'enterprise' ? '' : `<small class="company">${escapeHtml(this.app.entName(ent))}</small>`}`;
  }

  _head() {
    const isPark = this.app.who.role !== 'enterprise';
    const ents = isPark ? [...this.app.names.byId.keys()].filter((id) => id !== 'PARK').sort() : [];
    let h = `<h3>${escapeHtml(t('kpi.title'))}</h3><div class="kpi-controls"><span>${escapeHtml(t('kpi.range'))}</span>
      ${Object.keys(RANGES).map((r) => `<button type="button" class="range${r === this.range ? ' on' : ''}" data-range="${r}">${escapeHtml(t(`kpi.range.${r}`))}</button>`).join('')}`;
    if (isPark)
      h += `<label>${escapeHtml(t('kpi.scope'))} <select name="enterprise"><option value="">${escapeHtml(t('kpi.park'))}</option>
        ${ents.map((id) => `<option value="${escapeHtml(id)}"${id === this.enterprise ? ' selected' : ''}>${escapeHtml(this.app.entName(id))}</option>`).join('')}</select></label>`;
    h += `<button type="button" class="refresh"${this.state === 'loading' ? ' disabled' : ''}>${escapeHtml(t('kpi.refresh'))}</button>
      <span class="hint">${this.state === 'loading' ? escapeHtml(t('loading')) : this.data ? escapeHtml(t('kpi.loaded_at', { t: fmtTime(this.data.at) })) : ''}</span></div>`;
    if (this.state === 'error') h += `<p class="bad" role="alert">${escapeHtml(`${t('error')}: ${errText(this.error)}`)}</p>`;
    if (this.data && this.data.truncated) h += `<p class="bad">${escapeHtml(t('kpi.truncated', { n: this.data.count }))}</p>`;
    this.el.querySelector('.kpi-head').innerHTML = h;
  }

  render(chart) {
    this._head();
    const d = this.data;
    this.el.querySelector('.kpi-chart-title').textContent = t('kpi.chart');
    this.el.querySelector('.kpi-flood-def').textContent = t('kpi.flood_def');
    if (!d) return;
    const k = d.kpis;
    const fig = (cls, label, value, def) => `<div class="fig ${cls}"${def ? ` title="${escapeHtml(t(def))}"` : ''}><span>${escapeHtml(t(label))}</span><b>${value}</b></div>`;
    this.el.querySelector('.kpi-figures').innerHTML = [
      fig('alarms', 'kpi.alarms', fmtNum(k.alarms, 0)),
      fig('avg', 'kpi.avg', fmtNum(k.per_10min_avg, 1)),
      fig(`peak${k.per_10min_peak > FLOOD ? ' bad' : ''}`, 'kpi.peak', fmtNum(k.per_10min_peak, 0)),
      fig(`flood${k.flood_windows ? ' bad' : ''}`, 'kpi.flood_time', `${fmtPct(k.flood_time_pct / 100)} <small>(${k.flood_windows}/${k.windows})</small>`, 'kpi.flood_def'),
      fig(`chatter${k.chattering_rules ? ' bad' : ''}`, 'kpi.chattering', fmtNum(k.chattering_rules, 0), 'kpi.chatter_def'),
      fig(`standing${k.standing_alarms ? ' bad' : ''}`, 'kpi.standing', fmtNum(k.standing_alarms, 0), 'kpi.standing_def'),
    ].join('');
    if (chart || !this.u) this._chart();
    this._floods();
    this._top();
    this._prio();
    this._chatter();
    this._standing();
    this._journal();
  }

  _chart() {
    const d = this.data;
    const b = d.a.buckets;
    const xs = b.map((_, i) => (d.from + i * TEN_MIN) / 1000);
    const normal = b.map((c) => (c > FLOOD ? null : c));
    const flood = b.map((c) => (c > FLOOD ? c : null));
    const limit = b.map(() => FLOOD);
    if (this.u) this.u.destroy();
    this.u = null;
    this.chartEl.innerHTML = '';
    const width = Math.max(320, this.chartEl.clientWidth || this.el.clientWidth - 20);
    const bars = uPlot.paths.bars({ size: [0.85, 40], align: 1 });
    const axis = { stroke: '#9fb3c8', grid: { stroke: 'rgba(120,144,156,0.18)' }, ticks: { stroke: 'rgba(120,144,156,0.3)' } };
    const count = (u, v) => (v === null || v === undefined ? '—' : fmtNum(v, 0));
    this.u = new uPlot({
      width, height: 220,
      series: [
        { label: t('kpi.window'), value: (u, v) => (v === null || v === undefined ? '—' : `${fmtTime(v * 1000, true)}`) },
        { label: t('kpi.series.alarms'), stroke: '#4fc3f7', fill: 'rgba(79,195,247,0.55)', paths: bars, points: { show: false }, value: count },
        { label: t('kpi.series.flood'), stroke: '#ff1744', fill: 'rgba(255,23,68,0.8)', paths: bars, points: { show: false }, value: count },
        { label: t('kpi.series.limit'), stroke: '#ff8a80', width: 1, dash: [6, 4], points: { show: false }, value: count },
      ],
      // the whole range shown: the last window's bar (drawn right of its start) inside the plot
      scales: { x: { time: true, range: () => [d.from / 1000, (d.from + b.length * TEN_MIN) / 1000] },
        y: { range: (u, min, max) => [0, Math.max(FLOOD + 2, max + 1)] } },
      axes: [{ ...axis }, { ...axis, size: 44, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        values: (u, vals) => vals.map((v) => fmtNum(v, 0)) }],
      legend: { show: true, live: true },
    }, [xs, normal, flood, limit], this.chartEl);
    this.chartEl.dataset.bars = String(b.filter((c) => c > 0).length);
    this.chartEl.dataset.total = String(b.reduce((s, c) => s + c, 0));
    this.chartEl.dataset.floods = String(b.filter((c) => c > FLOOD).length);
  }

  _floods() {
    const f = this.data.a.floods;
    this.el.querySelector('.kpi-floods').innerHTML = `<h4>${escapeHtml(t('kpi.floods'))} (${f.length})</h4>` + (f.length
      ? `<table class="kpi-flood-list"><tr><th>${t('kpi.window')}</th><th class="num">${t('kpi.alarms')}</th></tr>
        ${f.map((x) => `<tr class="flood"><td>${fmtTime(x.from, true)} – ${fmtTime(x.to)}</td><td class="num">${x.count}</td></tr>`).join('')}</table>`
      : `<p class="hint">${escapeHtml(t('kpi.none'))}</p>`);
  }

  _top() {
    const top = this.data.kpis.top || [];
    const total = this.data.kpis.alarms || 1;
    const byRule = this.data.a.byRule;
    let h = `<h4>${escapeHtml(t('kpi.top'))}</h4>`;
    if (!top.length) h += `<p class="hint">${escapeHtml(t('kpi.none'))}</p>`;
    else h += `<table class="kpi-top-table"><tr><th>#</th><th>${t('kpi.alarm')}</th><th>${t('kpi.kind')}</th><th class="num">${t('kpi.count')}</th><th class="num">${t('kpi.share')}</th></tr>
      ${top.map((r, i) => {
        const j = byRule.get(r.rule) || {};
        return `<tr class="top-row" data-rule="${r.rule}" data-series="${escapeHtml(r.series)}"><td>${i + 1}</td><td>${this._alarmCell({ ...j, ...r })}</td>
          <td>${j.priority ? `<span class="badge p${j.priority}">P${j.priority}</span> ` : ''}${escapeHtml(kindWord(r))}</td>
          <td class="num">${r.count}</td><td class="num">${fmtPct(r.count / total)}</td></tr>`;
      }).join('')}</table>`;
    this.el.querySelector('.kpi-top').innerHTML = h;
  }

  _prio() {
    const p = this.data.a.byP;
    const total = p.reduce((s, n) => s + n, 0) || 1;
    this.el.querySelector('.kpi-prio').innerHTML = `<h4>${escapeHtml(t('kpi.priority'))}</h4><table class="kpi-prio-table">
      ${[1, 2, 3, 4].map((k) => `<tr data-priority="${k}"><td><span class="badge p${k}">P${k}</span></td>
        <td class="pbar"><i class="p${k}" style="width:${((100 * p[k]) / total).toFixed(1)}%"></i></td>
        <td class="num">${p[k]}</td><td class="num">${fmtPct(p[k] / total)}</td></tr>`).join('')}</table>`;
  }

  _chatter() {
    const c = this.data.a.chattering;
    let h = `<h4 title="${escapeHtml(t('kpi.chatter_def'))}">${escapeHtml(t('kpi.chattering'))} (${c.length})</h4><p class="hint">${escapeHtml(t('kpi.chatter_def'))}</p>`;
    if (c.length) h += `<table class="kpi-chatter-table"><tr><th>${t('kpi.alarm')}</th><th>${t('kpi.kind')}</th><th class="num">${t('kpi.max1m')}</th><th class="num">${t('kpi.raises')}</th></tr>
      ${c.slice(0, 20).map((r) => `<tr data-rule="${r.rule}"><td>${this._alarmCell(r)}</td><td>${escapeHtml(kindWord(r))}</td>
        <td class="num">${r.most}</td><td class="num">${r.count}</td></tr>`).join('')}</table>`;
    this.el.querySelector('.kpi-chatter').innerHTML = h;
  }

  _standing() {
    const now = this.data.to;
    const s = this.data.active.filter((a) => a.active && a.since_ms > 0 && now - a.since_ms >= STANDING_MS)
      .sort((a, b) => a.since_ms - b.since_ms);
    let h = `<h4>${escapeHtml(t('kpi.standing'))} (${s.length})</h4><p class="hint">${escapeHtml(t('kpi.standing_def'))}</p>`;
    if (s.length) h += `<table class="kpi-standing-table"><tr><th>${t('kpi.alarm')}</th><th>${t('kpi.kind')}</th><th>${t('alarms.since')}</th><th class="num">${t('kpi.for')}</th></tr>
      ${s.slice(0, 30).map((a) => `<tr data-rule="${a.rule}"><td>${this._alarmCell(a)}</td><td><span class="badge p${a.priority}">P${a.priority}</span> ${escapeHtml(kindWord(a))}</td>
        <td>${fmtTime(a.since_ms, true)}</td><td class="num">${escapeHtml(t('kpi.hours', { n: fmtNum((now - a.since_ms) / 3600000, 0) }))}</td></tr>`).join('')}</table>`;
    this.el.querySelector('.kpi-standing').innerHTML = h;
  }

  _rows() {
    const ev = this.data.events;
    const out = [];
    for (let i = ev.length - 1; i >= 0; i--) {
      const e = ev[i];
      if (this.fPriority && String(e.priority) !== this.fPriority) continue;
      if (this.fKind && e.kind !== this.fKind) continue;
      out.push(e);
    }
    return out;
  }

  _journal() {
    const rows = this._rows();
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    this.page = Math.min(this.page, pages - 1);
    const opt = (v, label, cur) => `<option value="${escapeHtml(v)}"${v === cur ? ' selected' : ''}>${escapeHtml(label)}</option>`;
    let h = `<h4>${escapeHtml(t('kpi.journal'))}</h4><div class="kpi-filters">
      <label>${escapeHtml(t('kpi.prio'))} <select name="priority">${opt('', t('kpi.all'), this.fPriority)}${[1, 2, 3, 4].map((p) => opt(String(p), `P${p}`, this.fPriority)).join('')}</select></label>
      <label>${escapeHtml(t('kpi.kind'))} <select name="kind">${opt('', t('kpi.all'), this.fKind)}${KINDS.map((k) => opt(k, alarmWord('akind', k), this.fKind)).join('')}</select></label>
      <button type="button" class="prev"${this.page ? '' : ' disabled'}>${escapeHtml(t('kpi.prev'))}</button>
      <span class="pageno">${escapeHtml(t('kpi.page', { p: this.page + 1, n: pages, c: rows.length }))}</span>
      <button type="button" class="next"${this.page + 1 < pages ? '' : ' disabled'}>${escapeHtml(t('kpi.next'))}</button></div>
      <table class="kpi-journal-table"><tr><th>${t('details.time')}</th><th>${t('kpi.alarm')}</th><th>${t('kpi.kind')}</th><th>${t('kpi.action')}</th><th>${t('kpi.state')}</th><th class="num">${t('kpi.value')}</th><th>${t('kpi.user')}</th></tr>`;
    for (const e of rows.slice(this.page * PAGE, (this.page + 1) * PAGE)) {
      const unit = e.kind === 'stale' ? 's' : e.kind === 'flapping' ? t('unit.times') : e.unit;
      h += `<tr class="ev${isRaise(e) ? ' raise' : ''}" data-priority="${e.priority}" data-kind="${escapeHtml(e.kind)}" data-rule="${e.rule}">
        <td>${fmtTime(e.ts_ms, true)}</td><td>${this._alarmCell(e)}</td>
        <td><span class="badge p${e.priority}">P${e.priority}</span> ${escapeHtml(kindWord(e))}</td>
        <td>${escapeHtml(alarmWord('act', e.action))}</td>
        <td>${escapeHtml(alarmWord('state', e.from))} → ${escapeHtml(alarmWord('state', e.to))}</td>
        <td class="num">${escapeHtml(fmtVal(e.value, unit))}</td><td>${escapeHtml(e.user || '')}</td></tr>`;
    }
    h += '</table>';
    const el = this.el.querySelector('.kpi-journal');
    el.innerHTML = h;
    el.dataset.rows = String(rows.length);
  }

  _click(e) {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.range) {
      this.range = b.dataset.range;
      this.load();
    } else if (b.classList.contains('refresh')) this.load();
    else if (b.classList.contains('prev') && this.page > 0) {
      this.page--;
      this._journal();
    } else if (b.classList.contains('next')) {
      this.page++;
      this._journal();
    }
  }

  _change(e) {
    const s = e.target;
    if (s.name === 'enterprise') {
      this.enterprise = s.value;
      this.load();
    } else if (s.name === 'priority' || s.name === 'kind') {
      if (s.name === 'priority') this.fPriority = s.value;
      else this.fKind = s.value;
      this.page = 0;
      this._journal();
    }
  }
}
