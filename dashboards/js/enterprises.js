// enterprises.js - the enterprises' names and the "企业/Enterprises" tab:
//  names       who is who: GET /api/v1/enterprises (name, name_zh), the
//              enterprise plots of GET /api/v1/layers/enterprise (name,
//              name_zh) and the alarm rows' enterprise_name; by the page's
//              language, falling back to the other, then the id.
//  list        GET /api/v1/enterprises: one row per enterprise with its
//              status (online / partial / offline), active alarms by
//              priority, data completeness today; sortable by alarms; a
//              click flies the map to its plot. Every 10 s and, debounced,
//              after alarm events.
//  health      GET /api/v1/health?days=7: instruments online and healthy
//              now, faults by kind, and the last days' figures.
// An endpoint that answers 404 (a parkd without it) shows "unavailable".
import { t, fmtNum, fmtPct, entLabel, alarmWord, getLang } from './i18n.js';
import { escapeHtml } from './map.js';

const REFRESH_MS = 10000;
const ALARM_DEBOUNCE_MS = 2000;

/** The names of the enterprises, from whatever told the page first (the list wins). */
export class Names {
  constructor() {
    this.byId = new Map(); // id -> {name, name_zh, rank}
  }

  /** rank: 3 the enterprises list, 2 the plots, 1 an alarm row's enterprise_name. */
  put(id, name, nameZh, rank) {
    if (!id || (!name && !nameZh)) return;
    const cur = this.byId.get(id);
    if (cur && cur.rank > rank) return;
    this.byId.set(id, { name: name || (cur && cur.name) || '', name_zh: nameZh || (cur && cur.name_zh) || '', rank });
  }

  label(id) {
    const e = this.byId.get(id);
    // the park's own pseudo-enterprise (park-level stations): its name in this language, else "园区/Park"
    if (id === 'PARK' && !(e && (getLang() === 'zh' ? e.name_zh : e.name))) return t('ent.park');
    return entLabel(e, id);
  }
}

export class EnterprisePanel {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.list = null; // the last answer's enterprises, or null
    this.listState = 'loading'; // loading | ok | unavailable | error
    this.health = null;
    this.healthState = 'loading';
    this.sortBy = 'alarms'; // alarms | name
    this.selected = null;
    this.loads = 0;
    el.innerHTML = '<div class="ent-body"></div><div class="health-body"></div>';
    this.body = el.querySelector('.ent-body');
    this.healthEl = el.querySelector('.health-body');
    el.addEventListener('click', (e) => this._click(e));
    window.addEventListener('lang', () => this.render());
    app.on('alarms', () => {
      if (this.app.mode !== 'live') return;
      clearTimeout(this._debounce);
      this._debounce = setTimeout(() => this.refresh(), ALARM_DEBOUNCE_MS);
    });
    setInterval(() => this.app.mode === 'live' && this.refresh(), REFRESH_MS);
    this.render();
  }

  async refresh() {
    const api = this.app.api;
    const ent = this.app.who.role === 'enterprise' ? this.app.who.enterprise : undefined;
    const [list, health] = await Promise.allSettled([
      api.get('enterprises'),
      api.get('health', { days: 7, enterprise: ent }),
    ]);
    if (list.status === 'fulfilled' && list.value && Array.isArray(list.value.enterprises)) {
      this.list = list.value.enterprises;
      this.listState = 'ok';
      for (const e of this.list) this.app.names.put(e.id, e.name, e.name_zh, 3);
    } else {
      this.listState = list.reason && list.reason.status === 404 ? 'unavailable' : 'error';
      if (this.listState === 'error') console.warn('parkwatch: enterprises', list.reason);
    }
    if (health.status === 'fulfilled' && health.value && health.value.now) {
      this.health = health.value;
      this.healthState = 'ok';
    } else {
      this.healthState = health.reason && health.reason.status === 404 ? 'unavailable' : 'error';
      if (this.healthState === 'error') console.warn('parkwatch: health', health.reason);
    }
    this.loads++;
    this.render();
    this.el.dataset.loaded = String(this.loads);
    this.app.emit('enterprises', this.list);
  }

  /** Active alarms of an enterprise by priority (process and instrument together). */
  static byPriority(e) {
    const a = e.alarms || {};
    const p = Array.isArray(a.process) ? a.process : [];
    const i = Array.isArray(a.instrument) ? a.instrument : [];
    return [0, 1, 2, 3].map((k) => (p[k] || 0) + (i[k] || 0));
  }

  _sorted() {
    const rows = [...(this.list || [])];
    const names = this.app.names;
    if (this.sortBy === 'alarms') {
      // the most urgent first: priority 1 counts, then 2, ...
      rows.sort((a, b) => {
        const x = EnterprisePanel.byPriority(a), y = EnterprisePanel.byPriority(b);
        for (let k = 0; k < 4; k++) if (x[k] !== y[k]) return y[k] - x[k];
        return a.id.localeCompare(b.id);
      });
    } else rows.sort((a, b) => names.label(a.id).localeCompare(names.label(b.id), getLang() === 'zh' ? 'zh-CN' : 'en'));
    return rows;
  }

  render() {
    this._renderList();
    this._renderHealth();
  }

  _renderList() {
    let h = `<h3>${escapeHtml(t('ent.title'))}</h3>`;
    if (this.listState !== 'ok') {
      h += `<p class="hint unavailable" data-state="${this.listState}">${escapeHtml(t(this.listState === 'loading' ? 'loading' : 'unavailable'))}</p>`;
      this.body.innerHTML = h;
      return;
    }
    const arrow = this.sortBy === 'alarms' ? ' ▼' : '';
    h += `<table class="ent-list"><tr><th></th><th><button type="button" class="link sort" data-sort="name">${escapeHtml(t('ent.name'))}</button></th>
      <th><button type="button" class="link sort" data-sort="alarms" title="${escapeHtml(t('ent.sort'))}">${escapeHtml(t('ent.alarms'))}${arrow}</button></th>
      <th class="num">${escapeHtml(t('ent.completeness'))}</th></tr>`;
    for (const e of this._sorted()) {
      const st = ['online', 'partial', 'offline'].includes(e.status) ? e.status : 'offline';
      const by = EnterprisePanel.byPriority(e);
      const inst = (e.alarms && Array.isArray(e.alarms.instrument) ? e.alarms.instrument : []).reduce((a, b) => a + (b || 0), 0);
      const chips = by.map((n, k) => `<span class="pc p${k + 1}${n ? '' : ' zero'}" data-priority="${k + 1}">${n}</span>`).join('');
      const tip = `${t(`ent.${st}`)} · ${t('ent.series')} ${fmtNum(e.online, 0)}/${fmtNum(e.series, 0)} · ${t('ent.instrument')} ${inst}`;
      h += `<tr class="ent ${st}${this.selected === e.id ? ' on' : ''}" data-enterprise="${escapeHtml(e.id)}" data-status="${st}" title="${escapeHtml(tip)}">
        <td><span class="dot ${st}"></span></td>
        <td class="name">${escapeHtml(this.app.names.label(e.id))}${this.app.names.label(e.id) === e.id ? '' : ` <small>${escapeHtml(e.id)}</small>`}</td>
        <td class="alarms">${chips}</td>
        <td class="num">${fmtPct(e.completeness_today)}</td></tr>`;
    }
    h += '</table>';
    this.body.innerHTML = h;
  }

  _renderHealth() {
    let h = `<h3>${escapeHtml(t('hl.title'))}</h3>`;
    if (this.healthState !== 'ok') {
      h += `<p class="hint unavailable" data-state="${this.healthState}">${escapeHtml(t(this.healthState === 'loading' ? 'loading' : 'unavailable'))}</p>`;
      this.healthEl.innerHTML = h;
      return;
    }
    const { now, days } = this.health;
    const faults = Object.entries(now.by_kind || {}).filter(([, n]) => n > 0)
      .map(([k, n]) => `${escapeHtml(alarmWord('akind', k))} ${fmtNum(n, 0)}`).join(' · ') || '—';
    h += `<table class="kv health-now">
      <tr><th>${t('hl.instruments')}</th><td class="num">${fmtNum(now.instruments, 0)}</td></tr>
      <tr><th>${t('hl.online_rate')}</th><td class="num">${fmtPct(now.online_rate)} <small>(${fmtNum(now.online, 0)})</small></td></tr>
      <tr><th>${t('hl.healthy_share')}</th><td class="num">${fmtPct(now.healthy_share)} <small>(${fmtNum(now.healthy, 0)})</small></td></tr>
      <tr><th>${t('hl.faults')}</th><td>${faults}</td></tr></table>`;
    if (Array.isArray(days) && days.length) {
      const last = days.slice(-7);
      h += `<h4>${escapeHtml(t('hl.days', { n: last.length }))}</h4><table class="health-days"><tr><th>${t('hl.day')}</th>
        <th class="num">${t('hl.online_rate')}</th><th class="num">${t('hl.completeness')}</th><th class="num">${t('hl.healthy_share')}</th></tr>
        ${last.map((d) => `<tr><td>${escapeHtml(String(d.day || '').slice(5))}</td><td class="num">${bar(d.online_rate)}</td>
          <td class="num">${bar(d.completeness)}</td><td class="num">${bar(d.healthy_share)}</td></tr>`).join('')}</table>`;
    }
    this.healthEl.innerHTML = h;
  }

  _click(e) {
    const sort = e.target.closest('button.sort');
    if (sort) {
      this.sortBy = sort.dataset.sort;
      this._renderList();
      return;
    }
    const row = e.target.closest('tr.ent');
    if (!row) return;
    this.select(row.dataset.enterprise);
  }

  /** Flies the map to an enterprise's bbox and outlines its plot. */
  select(id) {
    const e = (this.list || []).find((x) => x.id === id);
    this.selected = id;
    for (const r of this.body.querySelectorAll('tr.ent')) r.classList.toggle('on', r.dataset.enterprise === id);
    this.app.map.highlightEnterprise(id, e && e.bbox, e && e.centre);
  }
}

/** A share 0..1 as a percentage with a small bar behind it. */
function bar(f) {
  if (!Number.isFinite(f)) return '—';
  const w = Math.max(0, Math.min(100, f * 100));
  return `<span class="bar" style="--w:${w.toFixed(1)}%">${fmtPct(f)}</span>`;
}
