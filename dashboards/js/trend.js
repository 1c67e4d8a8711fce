// trend.js - the trend chart of the details panel (uPlot): a feature's
// series over a window, from the historian's rollups
// (GET /api/v1/series/range?agg=all: the average as a line, min..max as a
// band), with the bucket step chosen from the window and the chart's width.
// Dragging across the chart zooms in, and the zoomed window is fetched
// again at a finer step (so the historian's raw, 1-minute or 1-hour tier
// serves it). A loader can also be given (the risk view's inventory trend).
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { t, fmtNum, fmtVal, fmtTime, errText } from './i18n.js';

const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
  .map((s) => s * 1000);
export const WINDOWS = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 86400e3], ['7d', 7 * 86400e3]];
const COLOURS = ['#4fc3f7', '#ffb74d', '#81c784', '#e57373', '#ba68c8', '#fff176', '#90a4ae'];

/** 24-hour clock labels; the date where the span passes a day. */
function timeLabels(vals) {
  const span = vals.length > 1 ? vals[vals.length - 1] - vals[0] : 0;
  const p = (n) => String(n).padStart(2, '0');
  return vals.map((v) => {
    const d = new Date(v * 1000);
    const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
    if (span > 86400) return `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
    if (span < 600) return `${hm}:${p(d.getSeconds())}`;
    return hm;
  });
}

/** The bucket width for a span drawn across px pixels: about one bucket per 2 px, a round value. */
export function chooseStep(spanMs, px) {
  const target = Math.max(60, Math.floor((px || 600) / 2));
  const raw = spanMs / target;
  for (const s of STEPS) if (s >= raw) return s;
  return STEPS[STEPS.length - 1];
}

export class Trend {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.plotEl = el.querySelector('.trend-plot');
    this.infoEl = el.querySelector('.trend-info');
    this.windowMs = 3600e3;
    this.loads = 0;
    this.lastPoints = 0;
    this.lastStep = 0;
    this.spec = null;
    el.querySelector('.trend-windows').innerHTML =
      WINDOWS.map(([l, ms]) => `<button type="button" data-ms="${ms}"${ms === this.windowMs ? ' class="on"' : ''}>${l}</button>`).join('') +
      `<button type="button" class="reset" data-i18n="trend.reset">${t('trend.reset')}</button>`;
    el.querySelector('.trend-windows').addEventListener('click', (e) => {
      const b = e.target.closest('button');
      if (!b) return;
      if (b.dataset.ms) {
        this.windowMs = Number(b.dataset.ms);
        for (const x of el.querySelectorAll('.trend-windows button')) x.classList.toggle('on', x === b);
      }
      this.zoomed = null;
      this.reload();
    });
    new ResizeObserver(() => {
      if (this.u) this.u.setSize(this._size());
    }).observe(this.plotEl);
    this._timer = setInterval(() => {
      if (this.spec && this.app.mode === 'live' && !this.zoomed && !this._inflight) this.reload(true);
    }, 5000);
  }

  _size() {
    const w = Math.max(240, this.plotEl.clientWidth || 400);
    return { width: w, height: Math.max(140, Math.min(260, Math.round(w * 0.45))) };
  }

  /**
   * spec: {key, title, unit, lines: [{label, series}] (historian series: avg line and
   * min/max band for the first), limits: [{label, value}], loader (optional):
   * async (from, to, step) -> {x: [ms], ys: [{label, values}]}}.
   */
  show(spec) {
    this.spec = spec;
    this.zoomed = null;
    if (this.u) {
      this.u.destroy();
      this.u = null;
    }
    this.el.hidden = false;
    this.reload();
  }

  hide() {
    this.spec = null;
    this.el.hidden = true;
    if (this.u) {
      this.u.destroy();
      this.u = null;
    }
  }

  /** The window's end: now when live, T in replay. */
  _end() {
    return this.app.mode === 'replay' ? this.app.at : Date.now();
  }

  reload(quiet) {
    if (!this.spec) return;
    const to = this.zoomed ? this.zoomed[1] : this._end();
    const from = this.zoomed ? this.zoomed[0] : to - this.windowMs;
    return this._load(from, to, quiet);
  }

  async _load(from, to, quiet) {
    const spec = this.spec;
    const gen = (this._gen = (this._gen || 0) + 1);
    const step = chooseStep(to - from, this._size().width);
    this._inflight = true;
    if (!quiet) this.infoEl.textContent = t('loading');
    let data;
    try {
      data = spec.loader ? await spec.loader(from, to, step) : await this._fromHistorian(spec, from, to, step);
    } catch (err) {
      if (gen === this._gen) this.infoEl.textContent = `${t('error')}: ${errText(err)}`;
      return;
    } finally {
      this._inflight = false;
    }
    if (gen !== this._gen || spec !== this.spec) return;
    this.loads++;
    this.lastStep = step;
    this.lastPoints = data.x.length;
    this._draw(spec, data, from, to);
    const stepLabel = step >= 3600e3 ? `${step / 3600e3}h` : step >= 60e3 ? `${step / 60e3}m` : `${step / 1000}s`;
    this.infoEl.textContent = data.x.length
      ? `${spec.unit ? spec.unit + ' · ' : ''}${t('trend.step')} ${stepLabel} · ${data.x.length} · ${t('trend.hint')}`
      : t('trend.nodata');
    this.el.dataset.points = data.x.length;
    this.el.dataset.step = step;
  }

  async _fromHistorian(spec, from, to, step) {
    const api = this.app.api;
    const res = await Promise.all(spec.lines.map((l) => api.get('series/range',
      { series: l.series, from: Math.floor(from), to: Math.ceil(to), step: String(step), agg: 'all' })));
    // one time axis: the union of the buckets' starts, gaps left as null
    const xs = new Set();
    for (const r of res) for (const b of r.buckets) xs.add(b.ts);
    const x = [...xs].sort((a, b) => a - b);
    const pos = new Map(x.map((v, i) => [v, i]));
    const ys = [];
    res.forEach((r, k) => {
      const avg = new Array(x.length).fill(null);
      const min = new Array(x.length).fill(null);
      const max = new Array(x.length).fill(null);
      for (const b of r.buckets) {
        const i = pos.get(b.ts);
        avg[i] = b.avg;
        min[i] = b.min;
        max[i] = b.max;
      }
      ys.push({ label: spec.lines[k].label || spec.lines[k].series, values: avg });
      if (k === 0) ys.push({ label: t('trend.min'), values: min, band: true }, { label: t('trend.max'), values: max, band: true });
    });
    // break the line where buckets are missing
    const gapped = { x: [], ys: ys.map((y) => ({ ...y, values: [] })) };
    for (let i = 0; i < x.length; i++) {
      if (i > 0 && x[i] - x[i - 1] > 1.5 * step) {
        gapped.x.push(x[i - 1] + step);
        for (const y of gapped.ys) y.values.push(null);
      }
      gapped.x.push(x[i]);
      ys.forEach((y, k) => gapped.ys[k].values.push(y.values[i]));
    }
    gapped.tier = res[0] && res[0].tier;
    gapped.unit = res[0] && res[0].unit; // the API's unit of the series (issue 19)
    return gapped;
  }

  _draw(spec, data, from, to) {
    if (data.unit) spec.unit = data.unit;
    const unit = spec.unit || '';
    const withUnit = (u, v) => (v === null || v === undefined ? '—' : fmtVal(v, unit));
    const limits = (spec.limits || []).filter((l) => Number.isFinite(l.value));
    const series = [{}];
    const cols = [data.x.map((v) => v / 1000)];
    const bands = [];
    let c = 0;
    data.ys.forEach((y) => {
      if (y.band) {
        series.push({ label: y.label, stroke: 'rgba(79,195,247,0.35)', width: 1, points: { show: false }, value: withUnit });
      } else {
        series.push({ label: y.label, stroke: COLOURS[c++ % COLOURS.length], width: 1.6, spanGaps: false, value: withUnit });
      }
      cols.push(y.values);
    });
    if (data.ys.length >= 3 && data.ys[1].band) bands.push({ series: [3, 2], fill: 'rgba(79,195,247,0.15)' });
    for (const l of limits) {
      series.push({ label: l.label, stroke: l.colour || '#ff5252', width: 1, dash: [6, 4], points: { show: false }, value: withUnit });
      cols.push(data.x.map(() => l.value));
    }
    series[0] = { label: t('details.time'), value: (u, v) => (v === null || v === undefined ? '—' : fmtTime(v * 1000, true)) };
    const key = JSON.stringify([spec.key, series.length, unit, series.map((x) => x.label || '').join('|')]);
    if (this.u && this._key === key) {
      this._setting = [from, to];
      this._loaded = [from, to];
      this.u.setData(cols, false);
      this.u.setScale('x', { min: from / 1000, max: to / 1000 });
      this._setting = null;
      this._marker();
      return;
    }
    if (this.u) this.u.destroy();
    this._key = key;
    const axis = { stroke: '#9fb3c8', grid: { stroke: 'rgba(120,144,156,0.18)' }, ticks: { stroke: 'rgba(120,144,156,0.3)' } };
    const opts = {
      ...this._size(),
      series,
      bands,
      scales: { x: { time: true } },
      axes: [{ ...axis, values: (u, vals) => timeLabels(vals) },
        { ...axis, size: unit ? 70 : 56, label: unit || undefined, labelSize: unit ? 16 : 0, values: (u, vals) => vals.map((v) => fmtNum(v)) }],
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { show: true, live: true },
      hooks: {
        setScale: [(u, k) => {
          if (k !== 'x' || this._setting) return;
          const a = u.scales.x.min * 1000, b = u.scales.x.max * 1000;
          const [f, tt] = this._loaded || [0, 0];
          if (Math.abs(a - f) < 0.01 * (tt - f) && Math.abs(b - tt) < 0.01 * (tt - f)) return;
          this.zoomed = [a, b];
          clearTimeout(this._zoomTimer);
          this._zoomTimer = setTimeout(() => this._load(a, b, true), 150);
        }],
      },
    };
    this._setting = [from, to];
    this.u = new uPlot(opts, cols, this.plotEl);
    this.u.setScale('x', { min: from / 1000, max: to / 1000 });
    this._setting = null;
    this._loaded = [from, to];
    this._marker();
  }

  _marker() {
    // the replay time as a vertical line (uPlot's cursor is free for the user)
    let m = this.plotEl.querySelector('.replay-marker');
    if (this.app.mode !== 'replay' || !this.u) {
      if (m) m.remove();
      return;
    }
    if (!m) {
      m = document.createElement('div');
      m.className = 'replay-marker';
      this.u.over.appendChild(m);
    }
    const x = this.u.valToPos(this.app.at / 1000, 'x');
    m.style.left = `${x}px`;
    m.hidden = !(x >= 0 && x <= this.u.over.clientWidth);
  }
}
