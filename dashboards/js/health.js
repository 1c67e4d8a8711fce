// health.js - ingest health: enterprises online or offline (their devices'
// status, GET /api/v1/ingest/devices), messages per second (the difference
// of GET /api/v1/ingest/status's counters between two polls), rejected
// messages by reason and the latest dead letters
// (GET /api/v1/ingest/dead-letters). A summary in the footer, the table in
// the Ingest tab.
import { t, fmtNum, fmtTime, deadReason } from './i18n.js';
import { escapeHtml } from './map.js';

export class Health {
  constructor(tabEl, footEl, app) {
    this.el = tabEl;
    this.foot = footEl;
    this.app = app;
    this.prev = null; // {t, total, byEnt: Map}
    this.rates = new Map();
    this.total = 0;
    this.status = null;
    this.devices = {};
    this.dead = [];
    this.polls = 0;
    window.addEventListener('lang', () => this.render());
    new MutationObserver(() => !this.el.hidden && this.render()).observe(this.el, { attributes: true, attributeFilter: ['hidden'] });
  }

  /** A poll's result from the live worker: {status, devices: {enterprise: [online, n, gateway]}, dead}. */
  update(msg) {
    const { status } = msg;
    const now = performance.now();
    const byEnt = new Map(status.enterprises.map((e) => [e.enterprise, e.messages || 0]));
    const total = status.messages ?? [...byEnt.values()].reduce((a, b) => a + b, 0);
    if (this.prev) {
      const dt = (now - this.prev.t) / 1000;
      if (dt > 0) {
        this.total = Math.max(0, (total - this.prev.total) / dt);
        for (const [e, n] of byEnt) this.rates.set(e, Math.max(0, (n - (this.prev.byEnt.get(e) ?? n)) / dt));
      }
    }
    this.prev = { t: now, total, byEnt };
    this.status = status;
    this.devices = msg.devices;
    if (msg.dead) this.dead = msg.dead;
    this.polls++;
    this.render();
  }

  /** Per enterprise: devices online / total and whether any device is online. */
  enterprises() {
    const m = new Map();
    for (const e of this.status ? this.status.enterprises : []) m.set(e.enterprise, { id: e.enterprise, on: 0, n: 0, row: e });
    for (const [e, [on, n, gw]] of Object.entries(this.devices)) {
      const x = m.get(e) || { id: e, on: 0, n: 0, row: null };
      x.on = on;
      x.n = n;
      if (gw >= 0) x.gateway = gw === 1;
      m.set(e, x);
    }
    for (const x of m.values()) {
      const recent = x.row && x.row.last_message_ms && Date.now() - x.row.last_message_ms < 30000;
      x.online = x.gateway === false ? false : x.on > 0 || !!recent;
      x.rate = this.rates.get(x.id) || 0;
      x.rejected = x.row ? (x.row.messages_rejected || 0) + (x.row.readings_rejected || 0) : 0;
    }
    return [...m.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  render() {
    const s = this.status;
    if (!s) return;
    const ents = this.enterprises();
    const online = ents.filter((e) => e.online).length;
    const rejected = s.messages_rejected !== undefined ? s.messages_rejected + s.readings_rejected
      : ents.reduce((a, e) => a + e.rejected, 0);
    const parts = [`${t('ingest.enterprises')} <b class="ents">${online}/${ents.length}</b>`,
      `<b class="rate">${fmtNum(this.total, 0)}</b> ${t('ingest.rate')}`,
      `${t('ingest.rejected')} <b class="rejected${rejected ? ' bad' : ''}">${fmtNum(rejected, 0)}</b>`];
    if (s.connected !== undefined) parts.unshift(`${t('ingest.broker')} <b class="${s.connected ? 'ok' : 'bad'}">${t(s.connected ? 'ingest.connected' : 'ingest.disconnected')}</b>`);
    if (s.queue_depth_bytes !== undefined) parts.push(`${t('ingest.queue')} ${fmtBytes(s.queue_depth_bytes)}`);
    this.foot.innerHTML = parts.join(' · ');
    this.foot.dataset.online = online;
    this.foot.dataset.enterprises = ents.length;
    this.foot.dataset.rate = Math.round(this.total);
    if (this.el.hidden) return; // the table when its tab is shown (showTab renders it)

    let h = `<table class="ingest"><tr><th></th><th>${t('details.enterprise')}</th><th>${t('ingest.devices')}</th><th>${t('ingest.rate')}</th><th>${t('ingest.rejected')}</th><th>${t('details.time')}</th></tr>`;
    for (const e of ents) {
      h += `<tr class="${e.online ? 'on' : 'off'}" data-enterprise="${escapeHtml(e.id)}"><td><span class="dot"></span></td><td>${escapeHtml(this.app.entName(e.id))} <small>${this.app.entName(e.id) === e.id ? '' : `${escapeHtml(e.id)} `}${t(e.online ? 'ingest.online' : 'ingest.offline')}</small></td>
        <td class="num">${e.on}/${e.n}</td><td class="num">${fmtNum(e.rate, 1)}</td><td class="num${e.rejected ? ' bad' : ''}">${e.rejected}</td>
        <td>${e.row && e.row.last_message_ms ? fmtTime(e.row.last_message_ms) : '—'}</td></tr>`;
    }
    h += '</table>';
    if (s.latency_p50_ms !== undefined)
      h += `<p class="hint">${t('ingest.latency')}: ${fmtNum(s.latency_p50_ms, 0)} / ${fmtNum(s.latency_p99_ms, 0)} ms</p>`;
    h += `<h4>${t('ingest.dead')} (${this.dead.length})</h4><table class="dead"><tr><th>${t('details.time')}</th><th>${t('details.enterprise')}</th><th>${t('ingest.reason')}</th><th></th></tr>
      ${this.dead.slice(0, 20).map((d) => `<tr><td>${fmtTime(d.recv_ms)}</td><td>${escapeHtml(this.app.entName(d.enterprise))}</td><td title="${escapeHtml(`${d.reason}: ${d.message}`)}">${escapeHtml(deadReason(d.reason))}</td>
        <td class="excerpt raw" translate="no" title="${escapeHtml(d.topic + ' ' + d.message)}">${escapeHtml(d.excerpt.slice(0, 60))}</td></tr>`).join('')}</table>`;
    this.el.innerHTML = h;
  }
}

function fmtBytes(n) {
  return n >= 1 << 20 ? `${fmtNum(n / 1048576, 1)} MiB` : n >= 1024 ? `${fmtNum(n / 1024, 0)} KiB` : `${n} B`;
}
