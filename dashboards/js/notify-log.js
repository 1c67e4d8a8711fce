// notify-log.js - the "通知/Notifications" tab: alarm notification as the
// API shows it, api/routes_notify.c:
//  - who is on call now, per enterprise and for the park,
//    GET /api/v1/notify/oncall;
//  - each channel's state (up or down) and its counts (queued, sent,
//    failed, dropped, flood summaries), GET /api/v1/notify/channels;
//  - the delivery attempts of the last 24 h, newest first (time, alarm,
//    channel, recipient, result), GET /api/v1/notify/deliveries, filtered
//    by result, 50 rows a page.
// Without a "notify" config parkd sends nothing: the lists are empty (said
// so), not an error. An enterprise token sees its own and the park's.
import { t, fmtNum, fmtTime, errText } from './i18n.js';
import { escapeHtml } from './map.js';

const PAGE = 50;
const RESULTS = ['sent', 'failed', 'no_recipient'];

export class NotifyLog {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.fResult = '';
    this.page = 0;
    this.data = null; // {oncall, channels, deliveries}
    this.errors = {};
    this.loads = 0;
    el.innerHTML = '<div class="nt-head"></div><div class="nt-oncall"></div><div class="nt-channels"></div><div class="nt-deliveries"></div>';
    el.addEventListener('click', (e) => this._click(e));
    el.addEventListener('change', (e) => this._change(e));
    window.addEventListener('lang', () => !this.el.hidden && this.render());
  }

  show() {
    this.load();
  }

  async load() {
    const api = this.app.api;
    const [o, c, d] = await Promise.allSettled([api.get('notify/oncall'), api.get('notify/channels'),
      api.get('notify/deliveries', { result: this.fResult || undefined })]);
    const v = (x) => (x.status === 'fulfilled' ? x.value : null);
    this.errors = { oncall: o.reason, channels: c.reason, deliveries: d.reason };
    const dl = v(d);
    this.data = { at: Date.now(), oncall: v(o), channels: v(c),
      deliveries: dl ? [...(dl.deliveries || [])].sort((a, b) => b.ts_ms - a.ts_ms || b.seq - a.seq) : null,
      truncated: dl && dl.truncated };
    this.page = 0;
    this.loads++;
    this.render();
    this.el.dataset.loaded = String(this.loads);
  }

  render() {
    this._head();
    if (!this.data) return;
    this._oncall();
    this._channels();
    this._deliveries();
  }

  _head() {
    this.el.querySelector('.nt-head').innerHTML = `<h3>${escapeHtml(t('nt.title'))}</h3><div class="kpi-controls">
      <button type="button" class="refresh">${escapeHtml(t('kpi.refresh'))}</button>
      <span class="hint">${this.data ? escapeHtml(t('kpi.loaded_at', { t: fmtTime(this.data.at) })) : escapeHtml(t('loading'))}</span></div>`;
  }

  _failed(where) {
    return `<p class="bad" role="alert">${escapeHtml(`${t('error')}: ${errText(this.errors[where])}`)}</p>`;
  }

  _scopeName(ent) {
    return ent ? this.app.entName(ent) : t('ent.park');
  }

  _oncall() {
    const el = this.el.querySelector('.nt-oncall');
    let h = `<h4>${escapeHtml(t('nt.oncall'))}</h4>`;
    const o = this.data.oncall;
    if (!o) {
      el.innerHTML = h + this._failed('oncall');
      return;
    }
    const r = o.rosters || [];
    if (!r.length) h += `<p class="hint none">${escapeHtml(t('nt.no_rosters'))}</p>`;
    else h += `<table class="nt-oncall-table"><tr><th>${escapeHtml(t('ho.scope'))}</th><th>${escapeHtml(t('nt.people'))}</th></tr>
      ${r.map((x) => `<tr data-enterprise="${escapeHtml(x.enterprise)}"><td>${escapeHtml(this._scopeName(x.enterprise))}</td>
        <td>${x.people.length ? x.people.map((p) => `<span class="person raw" translate="no">${escapeHtml(p)}</span>`).join(', ') : `<span class="bad">${escapeHtml(t('nt.nobody'))}</span>`}</td></tr>`).join('')}</table>`;
    el.innerHTML = h;
    el.dataset.rows = String(r.length);
  }

  _channels() {
    const el = this.el.querySelector('.nt-channels');
    let h = `<h4>${escapeHtml(t('nt.channels'))}</h4>`;
    const c = this.data.channels;
    if (!c) {
      el.innerHTML = h + this._failed('channels');
      return;
    }
    const list = c.channels || [];
    const cols = ['queued', 'sent', 'failed', 'dropped', 'summaries'];
    if (!list.length) h += `<p class="hint none">${escapeHtml(t('nt.no_channels'))}</p>`;
    else h += `<table class="nt-channels-table"><tr><th>${escapeHtml(t('nt.channel'))}</th><th>${escapeHtml(t('nt.type'))}</th><th>${escapeHtml(t('nt.state'))}</th>
      ${cols.map((k) => `<th class="num">${escapeHtml(t(`nt.n.${k}`))}</th>`).join('')}</tr>
      ${list.map((x) => `<tr data-channel="${escapeHtml(x.name)}" data-state="${escapeHtml(x.state)}"><td class="raw" translate="no">${escapeHtml(x.name)}</td>
        <td>${escapeHtml(t(`nt.type.${x.type}`) || x.type)}</td><td class="${x.state === 'up' ? 'up' : 'down'}">${escapeHtml(t(`nt.state.${x.state === 'up' ? 'up' : 'down'}`))}</td>
        ${cols.map((k) => `<td class="num">${fmtNum(x[k] || 0, 0)}</td>`).join('')}</tr>`).join('')}</table>`;
    if (c.inbox_dropped) h += `<p class="bad">${escapeHtml(t('nt.inbox_dropped', { n: c.inbox_dropped }))}</p>`;
    el.innerHTML = h;
    el.dataset.rows = String(list.length);
  }

  _deliveries() {
    const el = this.el.querySelector('.nt-deliveries');
    const d = this.data.deliveries;
    const opt = (v, label) => `<option value="${v}"${v === this.fResult ? ' selected' : ''}>${escapeHtml(label)}</option>`;
    let h = `<h4>${escapeHtml(t('nt.deliveries'))}</h4><div class="kpi-filters">
      <label>${escapeHtml(t('nt.result'))} <select name="result">${opt('', t('kpi.all'))}${RESULTS.map((r) => opt(r, t(`nt.result.${r}`))).join('')}</select></label>`;
    if (!d) {
      el.innerHTML = `${h}</div>${this._failed('deliveries')}`;
      return;
    }
    const pages = Math.max(1, Math.ceil(d.length / PAGE));
    h += `<button type="button" class="prev"${this.page ? '' : ' disabled'}>${escapeHtml(t('kpi.prev'))}</button>
      <span class="pageno">${escapeHtml(t('kpi.page', { p: this.page + 1, n: pages, c: d.length }))}</span>
      <button type="button" class="next"${this.page + 1 < pages ? '' : ' disabled'}>${escapeHtml(t('kpi.next'))}</button></div>`;
    if (this.data.truncated) h += `<p class="bad">${escapeHtml(t('nt.truncated', { n: d.length }))}</p>`;
    if (!d.length) h += `<p class="hint none">${escapeHtml(t('nt.no_deliveries'))}</p>`;
    else {
      h += `<table class="nt-list"><tr><th>${escapeHtml(t('details.time'))}</th><th>${escapeHtml(t('kpi.alarm'))}</th><th>${escapeHtml(t('nt.channel'))}</th>
        <th>${escapeHtml(t('nt.recipient'))}</th><th>${escapeHtml(t('nt.result'))}</th><th>${escapeHtml(t('nt.attempt'))}</th></tr>`;
      for (const x of d.slice(this.page * PAGE, (this.page + 1) * PAGE)) {
        const res = RESULTS.includes(x.result) ? x.result : 'failed';
        const alarm = x.alarms > 1 ? t('nt.summary', { n: x.alarms }) : `${t('nt.rule')} ${x.rule}`;
        h += `<tr class="nt-row ${res}" data-ts="${x.ts_ms}" data-result="${res}"><td>${fmtTime(x.ts_ms, true)}</td>
          <td>${escapeHtml(alarm)}${x.enterprise ? ` <small>${escapeHtml(this.app.entName(x.enterprise))}</small>` : ''}${x.step ? ` <small>${escapeHtml(t('nt.step', { n: x.step + 1 }))}</small>` : ''}</td>
          <td class="raw" translate="no">${escapeHtml(x.channel)}</td><td class="raw" translate="no">${escapeHtml(x.recipient || '—')}</td>
          <td class="result">${escapeHtml(t(`nt.result.${res}`))}${x.status ? ` <small>HTTP ${x.status}</small>` : ''}
          ${x.detail ? `<div class="raw" translate="no"><small>${escapeHtml(x.detail)}</small></div>` : ''}</td><td class="num">${x.attempt || 1}</td></tr>`;
      }
      h += '</table>';
    }
    el.innerHTML = h;
    el.dataset.rows = String(d.length);
  }

  _click(e) {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('refresh')) this.load();
    else if (b.classList.contains('prev') && this.page > 0) {
      this.page--;
      this._deliveries();
    } else if (b.classList.contains('next')) {
      this.page++;
      this._deliveries();
    }
  }

  _change(e) {
    if (e.target.name === 'result') {
      this.fResult = e.target.value;
      this.load();
    }
  }
}
