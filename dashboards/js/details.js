// details.js - the details panel: what was clicked on the map, its
// properties, its series' values (GET /api/v1/last, or the replay state at
// T) with their alarms, and the trend chart of one series. Views may add
// their own part (a hazard source's risk figures, a station's air quality).
import { t, fmtTime, fmtVal, propRows, seriesLabel, unitOf, kindWord } from './i18n.js';
import { escapeHtml } from './map.js';

export class Details {
  constructor(el, app, trend) {
    this.el = el;
    this.app = app;
    this.trend = trend;
    this.body = el.querySelector('.details-body');
    this.f = null;
    this.extra = null;
    this.values = new Map();
    this.seriesIdx = 0;
    this.body.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-series-idx]');
      if (b) {
        this.seriesIdx = Number(b.dataset.seriesIdx);
        this._render();
        this._trend();
      }
    });
    setInterval(() => {
      if (this.f && this.app.mode === 'live') this.refresh();
    }, 2000);
    window.addEventListener('lang', () => {
      this._render();
      if (this.f) this._trend(); // the chart's labels too
    });
    app.on('alarms', () => this.f && this._render());
    this._render();
  }

  /** f: a map feature (or null); extra: {html(), trend: spec} from a view. */
  show(f, extra) {
    this.f = f;
    this.extra = extra || null;
    this.seriesIdx = 0;
    this.values = new Map();
    this._render();
    this._trend();
    this.refresh();
  }

  async refresh() {
    const f = this.f;
    const series = (f && f.props.series) || [];
    if (!series.length) return;
    try {
      let vals;
      if (this.app.mode === 'replay') {
        vals = (await this.app.api.get('replay/state', { at: this.app.at, series: series.join(',') })).values;
      } else {
        vals = (await this.app.api.get('last', { series: series.join(',') })).values;
      }
      if (f !== this.f) return;
      this.values = new Map(vals.map((v) => [v.series, v]));
      this._render();
    } catch (err) {
      if (f === this.f && err.status === 404) {
        this.values = new Map();
        this._render();
      }
    }
  }

  _trend() {
    const f = this.f;
    if (this.extra && this.extra.trend) {
      this.trend.show(this.extra.trend);
      return;
    }
    const series = (f && f.props.series) || [];
    if (!series.length) {
      this.trend.hide();
      return;
    }
    const s = series[Math.min(this.seriesIdx, series.length - 1)];
    const limits = [];
    if (f.kind === 'gas_detector') {
      const comb = f.props.type !== 'toxic';
      const a1 = Number.isFinite(f.props.alarm1) ? f.props.alarm1 : comb ? 25 : null;
      const a2 = Number.isFinite(f.props.alarm2) ? f.props.alarm2 : comb ? 50 : null;
      limits.push({ label: t('trend.l1'), value: a1, colour: '#ffd600' }, { label: t('trend.l2'), value: a2, colour: '#ff1744' });
    }
    const v = this.values.get(s);
    this.trend.show({ key: s, title: s, unit: (v && v.unit) || unitOf(s, f.props), lines: [{ series: s, label: seriesLabel(s) }], limits });
  }

  _render() {
    const f = this.f;
    this.el.dataset.feature = f ? f.id : '';
    if (!f) {
      this.body.innerHTML = `<p class="hint">${escapeHtml(t('details.none'))}</p>`;
      return;
    }
    const p = f.props;
    const panel = this.app.alarmPanel;
    const alarms = !panel ? [] : this.app.mode === 'replay' && panel.replay ? panel.replay : panel.liveList();
    let html = `<h3><span class="kind">${escapeHtml(t(`kind.${f.kind}`))}</span> ${escapeHtml(f.id)}</h3>`;
    const rows = [];
    if (p.enterprise) {
      const name = this.app.entName(p.enterprise);
      rows.push([t('details.enterprise'), name === p.enterprise ? name : `${name} (${p.enterprise})`]);
    }
    rows.push(...propRows(f.kind === 'enterprise' ? { ...p, name: this.app.entName(f.id), name_zh: undefined } : p, f.kind));
    html += `<table class="props">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
    if (this.extra && this.extra.html) html += this.extra.html();
    const series = p.series || [];
    if (series.length) {
      html += `<table class="series"><tr><th>${t('details.series')}</th><th>${t('details.value')}</th><th>${t('details.time')}</th><th>${t('details.alarm')}</th></tr>`;
      series.forEach((s, i) => {
        const v = this.values.get(s);
        const a = alarms.filter((x) => x.series === s && x.state !== 'normal');
        const al = a.map((x) => `<span class="badge p${x.priority}">P${x.priority} ${escapeHtml(kindWord(x))}</span>`).join(' ');
        const unit = v && v.unit ? v.unit : unitOf(s, p);
        html += `<tr class="${i === this.seriesIdx ? 'on' : ''}" data-series="${escapeHtml(s)}"><td><button type="button" data-series-idx="${i}" title="${escapeHtml(s)}">${escapeHtml(seriesLabel(s))}</button></td>
          <td class="num value">${v ? escapeHtml(fmtVal(v.value, unit)) : '—'}${v && v.quality >= 128 ? ' ⚠' : ''}</td><td>${v ? fmtTime(v.ts) : '—'}</td><td>${al}</td></tr>`;
      });
      html += '</table>';
    }
    this.body.innerHTML = html;
  }
}
