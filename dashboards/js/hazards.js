// hazards.js - the "隐患/Hidden hazards" tab: the park's hidden-hazard
// register (隐患排查治理), api/routes_hazards.c and hazards/hazards.h:
//  - the statistics, GET /api/v1/hazards/stats: the park's sum and per
//    enterprise found, open, closed on time, overdue, major, supervised;
//  - the hazards, GET /api/v1/hazards, by state (all, or one of reported,
//    assigned, rectified, verified, closed), for park staff by enterprise,
//    overdue only on request, 50 a page; the server's order: overdue first
//    (marked red), then by deadline;
//  - a form to report one, POST /api/v1/hazards (park staff for any
//    enterprise, an enterprise token for its own); not for the regulator;
//  - per hazard the next steps the role may take, POST
//    /api/v1/hazards/{id}/{assign|rectify|verify|reject|close}: assign
//    (a person id of the hazard's enterprise, a deadline, measures, funds),
//    rectify, verify (not by the rectifier), reject (a reason), close
//    (a supervised hazard by the park only); the regulator may only
//    supervise (POST /api/v1/hazards/{id}/supervise, a note required).
// Server errors are shown where the step was asked, in words an officer
// acts on (the HTTP status with them).
import { t, fmtNum, fmtTime, errText } from './i18n.js';
import { escapeHtml } from './map.js';

const STATES = ['reported', 'assigned', 'rectified', 'verified', 'closed'];
const PAGE = 50;
const STEP_FIELDS = {
  assign: ['assignee', 'deadline', 'measures', 'funds'],
  rectify: ['note', 'measures'],
  verify: ['note'],
  reject: ['note'],
  close: ['note'],
  supervise: ['note'],
};

export class HazardBoard {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    const role = app.who.role;
    this.role = role;
    this.canReport = ['admin', 'operator', 'enterprise'].includes(role);
    this.fState = '';
    this.fEnterprise = '';
    this.fOverdue = false;
    this.page = 0;
    this.list = null; // {total, hazards}
    this.stats = null;
    this.listError = null;
    this.statsError = null;
    this.error = null; // {where: 'report' | id, text}
    this.stepping = null; // {id, action}
    this.loads = 0;
    el.innerHTML = '<div class="hz-head"></div><div class="hz-stats"></div><div class="hz-report"></div><div class="hz-board"></div>';
    el.addEventListener('click', (e) => this._click(e));
    el.addEventListener('change', (e) => this._change(e));
    el.addEventListener('submit', (e) => this._submit(e));
    window.addEventListener('lang', () => !this.el.hidden && this.render());
  }

  show() {
    this.load();
  }

  async load() {
    const api = this.app.api;
    const q = { limit: PAGE, offset: this.page * PAGE, state: this.fState || undefined,
      enterprise: this.fEnterprise || undefined, overdue: this.fOverdue ? 'true' : undefined };
    const [l, s] = await Promise.allSettled([api.get('hazards', q), api.get('hazards/stats')]);
    this.list = l.status === 'fulfilled' ? l.value : null;
    this.listError = l.status === 'fulfilled' ? null : l.reason;
    this.stats = s.status === 'fulfilled' ? s.value : null;
    this.statsError = s.status === 'fulfilled' ? null : s.reason;
    this.loads++;
    this.render();
    this.el.dataset.loaded = String(this.loads);
  }

  render() {
    this._head();
    this._stats();
    this._report();
    this._board();
  }

  _ents() {
    return [...this.app.names.byId.keys()].filter((id) => id !== 'PARK').sort();
  }

  _head() {
    const isPark = this.role !== 'enterprise';
    let h = `<h3>${escapeHtml(t('hz.title'))}</h3><div class="hz-controls hz-states">
      ${['', ...STATES].map((s) => `<button type="button" class="state${s === this.fState ? ' on' : ''}" data-state="${s}">${escapeHtml(t(s ? `hz.state.${s}` : 'hz.all'))}</button>`).join('')}</div>
      <div class="hz-filters">`;
    if (isPark)
      h += `<label>${escapeHtml(t('hz.enterprise'))} <select name="enterprise"><option value="">${escapeHtml(t('hz.all_ents'))}</option>
        ${this._ents().map((id) => `<option value="${escapeHtml(id)}"${id === this.fEnterprise ? ' selected' : ''}>${escapeHtml(this.app.entName(id))}</option>`).join('')}</select></label>`;
    h += `<label><input type="checkbox" name="overdue"${this.fOverdue ? ' checked' : ''}> ${escapeHtml(t('hz.overdue_only'))}</label>
      <button type="button" class="refresh">${escapeHtml(t('kpi.refresh'))}</button></div>`;
    this.el.querySelector('.hz-head').innerHTML = h;
  }

  _stats() {
    const el = this.el.querySelector('.hz-stats');
    if (!this.stats) {
      el.innerHTML = `<p class="hint">${escapeHtml(this.statsError ? `${t('error')}: ${errText(this.statsError)}` : t('loading'))}</p>`;
      return;
    }
    const cols = ['found', 'open', 'closed_on_time', 'overdue', 'major', 'supervised'];
    const row = (cls, name, s, ent) => `<tr class="${cls}"${ent ? ` data-enterprise="${escapeHtml(ent)}"` : ''}><td>${escapeHtml(name)}</td>
      ${cols.map((c) => `<td class="num ${c}${c === 'overdue' && s[c] ? ' bad' : ''}">${fmtNum(s[c] || 0, 0)}</td>`).join('')}</tr>`;
    const ents = this.stats.enterprises || [];
    el.innerHTML = `<h4>${escapeHtml(t('hz.stats'))}</h4><table class="hz-stats-table"><tr><th>${escapeHtml(t('hz.enterprise'))}</th>
      ${cols.map((c) => `<th class="num">${escapeHtml(t(`hz.stat.${c}`))}</th>`).join('')}</tr>
      ${ents.map((s) => row('ent', this.app.entName(s.enterprise), s, s.enterprise)).join('')}
      ${this.role === 'enterprise' ? '' : row('park', t('hz.park_total'), this.stats.park || {})}</table>
      ${ents.length ? '' : `<p class="hint none">${escapeHtml(t('hz.none'))}</p>`}`;
  }

  _report() {
    const el = this.el.querySelector('.hz-report');
    if (!this.canReport) {
      el.innerHTML = `<p class="hint readonly">${escapeHtml(t('hz.readonly'))}</p>`;
      return;
    }
    if (el.querySelector('form')) {
      // keep what is being typed; only the labels change language
      const err = this.error && this.error.where === 'report' ? this.error.text : '';
      const p = el.querySelector('.hz-error');
      p.textContent = err;
      p.hidden = !err;
      if (el.dataset.lang === document.documentElement.lang) return;
    }
    const keep = {};
    for (const x of el.querySelectorAll('input, textarea, select')) keep[x.name] = x.value;
    const err = this.error && this.error.where === 'report' ? this.error.text : '';
    const ent = this.role === 'enterprise' ? '' : `<label>${escapeHtml(t('hz.enterprise'))} <select name="enterprise" required>
      ${this._ents().map((id) => `<option value="${escapeHtml(id)}">${escapeHtml(this.app.entName(id))}</option>`).join('')}</select></label>`;
    el.innerHTML = `<details class="hz-report-box"${keep.title ? ' open' : ''}><summary>${escapeHtml(t('hz.report'))}</summary>
      <form class="hz-report-form">${ent}
      <label class="wide">${escapeHtml(t('hz.f.title'))} <input name="title" maxlength="200" required></label>
      <label>${escapeHtml(t('hz.f.location'))} <input name="location" maxlength="200"></label>
      <label>${escapeHtml(t('hz.f.grade'))} <select name="grade"><option value="general">${escapeHtml(t('hz.grade.general'))}</option><option value="major">${escapeHtml(t('hz.grade.major'))}</option></select></label>
      <label>${escapeHtml(t('hz.f.source'))} <select name="source"><option value="manual">${escapeHtml(t('hz.source.manual'))}</option><option value="inspection">${escapeHtml(t('hz.source.inspection'))}</option></select></label>
      <label class="wide">${escapeHtml(t('hz.f.description'))} <textarea name="description" rows="2" maxlength="4000"></textarea></label>
      <div class="wide"><button type="submit" class="report">${escapeHtml(t('hz.report_btn'))}</button>
      <span class="hint">${escapeHtml(t('hz.report_as', { name: this.app.who.name }))}</span></div>
      <p class="hz-error wide" role="alert"${err ? '' : ' hidden'}>${escapeHtml(err)}</p></form></details>`;
    el.dataset.lang = document.documentElement.lang;
    for (const [k, v] of Object.entries(keep)) if (el.querySelector(`[name="${k}"]`) && v) el.querySelector(`[name="${k}"]`).value = v;
  }

  /** The steps the token's role may take on a hazard now. */
  actions(h) {
    const me = this.app.who.name;
    if (this.role === 'regulator') return h.state !== 'closed' && !h.supervised ? ['supervise'] : [];
    if (!this.canReport) return [];
    switch (h.state) {
      case 'reported': return ['assign'];
      case 'assigned': return ['rectify', 'assign'];
      case 'rectified': return h.rectifier === me ? ['reject'] : ['verify', 'reject'];
      case 'verified': return (h.supervised && this.role === 'enterprise' ? [] : ['close']).concat(h.rectifier === me ? [] : ['reject']);
      default: return [];
    }
  }

  _board() {
    const el = this.el.querySelector('.hz-board');
    if (!this.list) {
      el.innerHTML = `<p class="hint">${escapeHtml(this.listError ? `${t('error')}: ${errText(this.listError)}` : t('loading'))}</p>`;
      return;
    }
    const rows = this.list.hazards || [];
    const total = this.list.total || 0;
    const pages = Math.max(1, Math.ceil(total / PAGE));
    let h = `<h4>${escapeHtml(t('hz.list'))} <small class="hint">${escapeHtml(t(this.fState ? `hz.state.${this.fState}` : 'hz.all'))}</small></h4>
      <div class="hz-filters"><button type="button" class="prev"${this.page ? '' : ' disabled'}>${escapeHtml(t('kpi.prev'))}</button>
      <span class="pageno">${escapeHtml(t('kpi.page', { p: this.page + 1, n: pages, c: total }))}</span>
      <button type="button" class="next"${this.page + 1 < pages ? '' : ' disabled'}>${escapeHtml(t('kpi.next'))}</button></div>`;
    if (!rows.length) {
      el.innerHTML = `${h}<p class="hint none">${escapeHtml(t('hz.none'))}</p>`;
      el.dataset.rows = '0';
      return;
    }
    const isPark = this.role !== 'enterprise';
    h += `<table class="hz-list"><tr><th>#</th><th>${escapeHtml(t('hz.f.title'))}</th>${isPark ? `<th>${escapeHtml(t('hz.enterprise'))}</th>` : ''}
      <th>${escapeHtml(t('hz.f.grade'))}</th><th>${escapeHtml(t('hz.state'))}</th><th>${escapeHtml(t('hz.assignee'))}</th><th>${escapeHtml(t('hz.deadline'))}</th><th>${escapeHtml(t('hz.reported'))}</th></tr>`;
    for (const z of rows) {
      const st = STATES.includes(z.state) ? z.state : 'reported';
      const marks = `${z.overdue ? `<span class="overdue-mark">${escapeHtml(t('hz.overdue'))}</span> ` : ''}${z.supervised ? `<span class="supervised" title="${escapeHtml(z.supervised.note || '')}">${escapeHtml(t('hz.supervised'))}</span> ` : ''}`;
      h += `<tr class="hz-row ${st}${z.overdue ? ' overdue' : ''}" data-id="${z.id}" data-state="${st}" data-overdue="${z.overdue ? 1 : 0}" data-enterprise="${escapeHtml(z.enterprise)}">
        <td>${z.id}</td><td>${marks}<span class="raw" translate="no">${escapeHtml(z.title)}</span></td>
        ${isPark ? `<td>${escapeHtml(this.app.entName(z.enterprise))}</td>` : ''}
        <td>${z.grade === 'major' ? `<span class="major">${escapeHtml(t('hz.grade.major'))}</span>` : escapeHtml(t('hz.grade.general'))}</td>
        <td><span class="hz-state ${st}">${escapeHtml(t(`hz.state.${st}`))}</span></td>
        <td>${z.assignee ? `<span class="raw" translate="no">${escapeHtml(z.assignee)}</span>` : '—'}</td><td${z.overdue ? ' class="bad"' : ''}>${z.deadline_ms ? fmtTime(z.deadline_ms, true) : '—'}</td>
        <td>${fmtTime(z.reported_ms, true)} <small class="raw" translate="no">${escapeHtml(z.reporter || '')}</small></td></tr>`;
      const text = [[z.location, 'hz.f.location'], [z.description, 'hz.f.description'], [z.measures, 'hz.measures'],
        [z.rectify_note, 'hz.rectify_note'], [z.rejection, 'hz.rejection'], [z.supervised && z.supervised.note, 'hz.supervise_note']]
        .filter(([x]) => x).map(([x, k]) => `<div>${escapeHtml(t(k))}: <span class="raw" translate="no">${escapeHtml(x)}</span></div>`);
      const acts = this.actions(z);
      const err = this.error && this.error.where === z.id ? this.error.text : '';
      if (text.length || acts.length || err)
        h += `<tr class="hz-more" data-id="${z.id}"><td></td><td colspan="${isPark ? 7 : 6}">${text.join('')}
          ${acts.length ? `<div class="hz-actions">${acts.map((a) => `<button type="button" class="step ${a}" data-id="${z.id}" data-action="${a}">${escapeHtml(t(`hz.act.${a}`))}</button>`).join('')}</div>` : ''}
          ${this.stepping && this.stepping.id === z.id ? this._stepForm(z, this.stepping.action) : ''}
          <p class="hz-error" role="alert"${err ? '' : ' hidden'}>${escapeHtml(err)}</p></td></tr>`;
    }
    h += '</table>';
    el.innerHTML = h;
    el.dataset.rows = String(rows.length);
  }

  _stepForm(z, a) {
    const f = STEP_FIELDS[a] || [];
    const field = (k) => {
      if (k === 'assignee') return `<label>${escapeHtml(t('hz.assignee'))} <input name="assignee" required placeholder="${escapeHtml(t('hz.assignee_ph'))}" value="${escapeHtml(z.assignee || '')}"></label>`;
      if (k === 'deadline') return `<label>${escapeHtml(t('hz.deadline'))} <input name="deadline" type="datetime-local"></label>`;
      const label = k === 'note' ? (a === 'reject' ? 'hz.reason' : a === 'supervise' ? 'hz.supervise_note' : 'hz.note') : `hz.${k}`;
      return `<label class="${k === 'funds' ? '' : 'wide'}">${escapeHtml(t(label))} <textarea name="${k}" rows="2" maxlength="4000"></textarea></label>`;
    };
    return `<form class="hz-step-form ${a}" data-id="${z.id}" data-action="${a}">${f.map(field).join('')}
      <div class="wide"><button type="submit" class="confirm">${escapeHtml(t(`hz.act.${a}`))}</button>
      <button type="button" class="cancel">${escapeHtml(t('ho.cancel'))}</button></div></form>`;
  }

  /** A server error in words an officer acts on, with its HTTP status. */
  _errText(err) {
    const msg = String((err && err.message) || '');
    const s = err && err.status;
    let k = null;
    if (s === 400 && /assignee: no person/.test(msg)) k = 'hz.err.no_person';
    else if (s === 400 && /works for/.test(msg)) k = 'hz.err.other_ent';
    else if (s === 400 && /assignee/.test(msg)) k = 'hz.err.assignee';
    else if (s === 400 && /deadline/.test(msg)) k = 'hz.err.deadline';
    else if (s === 400 && /note/.test(msg)) k = 'hz.err.note';
    else if (s === 400 && /title/.test(msg)) k = 'hz.err.title';
    else if (s === 400 && /enterprise/.test(msg)) k = 'hz.err.enterprise';
    else if (s === 403 && /rectifier/.test(msg)) k = 'hz.err.same';
    else if (s === 403 && /supervised/.test(msg)) k = 'hz.err.supervised';
    else if (s === 403) k = 'hz.err.forbidden';
    else if (s === 404) k = 'hz.err.gone';
    else if (s === 409) k = 'hz.err.state';
    else if (s === 503) k = 'hz.err.unavailable';
    return k ? `${t(k)} (HTTP ${s})` : `${t('error')}: ${errText(err)}`;
  }

  _click(e) {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('state')) {
      this.fState = b.dataset.state;
      this.page = 0;
      this.load();
    } else if (b.classList.contains('refresh')) this.load();
    else if (b.classList.contains('prev') && this.page > 0) {
      this.page--;
      this.load();
    } else if (b.classList.contains('next')) {
      this.page++;
      this.load();
    } else if (b.classList.contains('step')) {
      const id = Number(b.dataset.id);
      const action = b.dataset.action;
      this.stepping = this.stepping && this.stepping.id === id && this.stepping.action === action ? null : { id, action };
      if (this.error && this.error.where === id) this.error = null;
      this._board();
      const x = this.el.querySelector('.hz-step-form input, .hz-step-form textarea');
      if (x) x.focus();
    } else if (b.classList.contains('cancel')) {
      this.stepping = null;
      this._board();
    }
  }

  _change(e) {
    const s = e.target;
    if (s.closest('form')) return;
    if (s.name === 'enterprise') this.fEnterprise = s.value;
    else if (s.name === 'overdue') this.fOverdue = s.checked;
    else return;
    this.page = 0;
    this.load();
  }

  async _submit(e) {
    e.preventDefault();
    const form = e.target;
    const btn = form.querySelector('button[type="submit"]');
    if (form.classList.contains('hz-report-form')) {
      const body = { title: form.title.value.trim(), location: form.location.value.trim(),
        description: form.description.value.trim(), grade: form.grade.value, source: form.source.value };
      if (form.enterprise) body.enterprise = form.enterprise.value;
      btn.disabled = true;
      try {
        const r = await this.app.api.post('hazards', body);
        this.error = null;
        form.reset();
        this.app.toast(t('hz.reported_ok', { id: r.id }));
      } catch (err) {
        this.error = { where: 'report', text: this._errText(err) };
      } finally {
        btn.disabled = false;
      }
      await this.load();
      return;
    }
    if (form.classList.contains('hz-step-form')) {
      const id = Number(form.dataset.id);
      const action = form.dataset.action;
      const body = {};
      for (const k of ['assignee', 'measures', 'funds', 'note']) if (form[k] && form[k].value.trim()) body[k] = form[k].value.trim();
      if (form.deadline && form.deadline.value) body.deadline_ms = new Date(form.deadline.value).getTime();
      if ((action === 'reject' || action === 'supervise') && !body.note) return this._stepError(id, t('hz.err.note'));
      if (action === 'assign' && !body.assignee) return this._stepError(id, t('hz.err.assignee'));
      btn.disabled = true;
      try {
        await this.app.api.post(`hazards/${id}/${action}`, body);
        this.error = null;
        this.stepping = null;
        this.app.toast(t('hz.step_ok', { id, what: t(`hz.act.${action}`) }));
      } catch (err) {
        btn.disabled = false;
        return this._stepError(id, this._errText(err));
      }
      await this.load();
    }
  }

  _stepError(id, text) {
    this.error = { where: id, text };
    const p = this.el.querySelector(`tr.hz-more[data-id="${id}"] .hz-error`);
    if (p) {
      p.textContent = text;
      p.hidden = false;
    }
  }
}
