// command.js - the emergency view's command panel and threat zones (issue 22):
//  - the command of the incident shown (GET /api/v1/incidents/{id}/command,
//    at T in replay, read-only there): the plan proposed with its level and
//    why, "activate" (a drill if ticked) for tokens that can act; once
//    active the plan, the level (changed with a reason), the tasks by
//    language with their teams and states (acknowledge, done, skip with a
//    note), the counts and the timeline, newest last, and a message line.
//    Every POST /api/v1/incidents/{id}/command answers with the whole
//    command, which is drawn again;
//  - threat zones, a what-if (POST /api/v1/threat-zones, live, any token):
//    a model, a tank and the model's number; the red, orange and yellow
//    zones drawn as SVG paths (class threat-red/-orange/-yellow) and listed
//    with distance, people, buildings, other tanks and sensitive targets
//    reached. Cleared by "clear", when another incident is shown, and when
//    the view is left.
// Views (views.js) owns the panel and rebuilds it every refresh; the two
// blocks here are DOM nodes of their own, put into the panel's slots
// (mount), so half-typed inputs and the focus survive the rebuilds, and
// drawn again only when what they show changed.
import { L, escapeHtml } from './map.js';
import { t, fmtNum, fmtTime, fmtVal, errText, featureName, subst, getLang, missing } from './i18n.js';
import { WHY_KEYS, THREAT_MODELS, THREAT_PARAM } from './i18n-em.js';

const STATES = ['open', 'acknowledged', 'done', 'skipped'];
const ZONE_COLOURS = { red: '#ff1744', orange: '#ff9100', yellow: '#ffea00' };
const PARAM_DEFAULT = { mass_kg: 1000, pool_area_m2: 100, release_kg_s: 5 };
const TEXT_MAX = 1000; // command/command.h CMD_TEXT_MAX

// what a user typed, or a name the data has in the other language only:
// data, not the page's text (the language check skips it)
const raw = (s) => `<span class="raw" translate="no">${escapeHtml(String(s))}</span>`;
/** A name or text by language: the other language's as data when the page's is missing. */
function byLang(en, zh) {
  const mine = getLang() === 'zh' ? zh : en, other = getLang() === 'zh' ? en : zh;
  if (mine) return escapeHtml(mine);
  return other ? raw(other) : '—';
}
export const levelText = (l) => (l >= 1 && l <= 4 ? t(`cmd.level.${l}`) : '—');
function whyText(why) {
  const k = WHY_KEYS[String(why || '')];
  if (k) return t(k);
  if (getLang() === 'en' && why) return why;
  missing(`command why ${why}`);
  return t('cmd.why.other');
}
/** A zone's level of concern: overpressure in kPa, heat in kW/m², a gas's fraction in ppm. */
function threshold(z) {
  if (z.unit === 'Pa') return fmtVal(z.threshold / 1000, 'kPa');
  if (z.unit === 'W/m2') return fmtVal(z.threshold / 1000, 'kW/m²');
  if (z.unit === 'fraction') return fmtVal(z.threshold * 1e6, 'ppm', 0);
  return fmtVal(z.threshold, z.unit);
}
const stateText = (s) => (STATES.includes(s) ? t(`cmd.state.${s}`) : escapeHtml(String(s || '—')));

/** Replaces el's content with html, keeping (keep) what its inputs held and the focus. */
function rerender(el, html, keep) {
  const saved = new Map();
  const key = (i) => `${i.closest('form, div[data-block]')?.className || ''}|${i.name}|${i.dataset.task || ''}`;
  if (keep)
    for (const i of el.querySelectorAll('input[name], select[name]'))
      saved.set(key(i), i.type === 'checkbox' ? i.checked : i.value);
  const a = document.activeElement;
  const focus = a && el.contains(a) && a.name ? key(a) : null;
  el.innerHTML = html;
  for (const i of el.querySelectorAll('input[name], select[name]')) {
    const k = key(i);
    if (saved.has(k)) {
      if (i.type === 'checkbox') i.checked = saved.get(k);
      else if (i.tagName !== 'SELECT' || [...i.options].some((o) => o.value === saved.get(k))) i.value = saved.get(k);
    }
    if (k === focus) i.focus();
  }
}

export class Command {
  constructor(app, canAct) {
    this.app = app;
    this.canAct = canAct;
    this.incident = null; // the incident shown
    this.closed = false;
    this.cmd = null; // the command as the API gave it
    this.err = null;
    this.skipping = null; // the task whose skip note is asked for
    this.busy = false;
    this.gen = 0;
    this.shown = null; // what the command block shows (drawn again when it changes)
    this.threat = null; // the threat zones' answer
    this.threatErr = null;
    this.threatBusy = false;
    this.model = 'vce';
    this.tzVersion = 0; // counts the threat block's changes
    this.tzShown = null;
    this.el = document.createElement('div');
    this.el.className = 'em-command';
    this.tzEl = document.createElement('div');
    this.tzEl.className = 'em-threat';
    this.group = L.layerGroup().addTo(app.map.map);
    this.renderer = L.svg({ padding: 0.5 });
    for (const el of [this.el, this.tzEl]) {
      el.addEventListener('click', (e) => this._click(e));
      el.addEventListener('submit', (e) => this._submit(e));
      el.addEventListener('change', (e) => this._change(e));
    }
    window.addEventListener('lang', () => this.render(true));
  }

  get live() {
    return this.app.mode === 'live';
  }

  get acts() {
    return this.canAct && this.live && !this.closed;
  }

  /** Fetches the command of incident id (at T in replay: at = {at}); never throws. */
  async load(id, at, closed) {
    if (id !== this.incident || !this.live) this.clearThreat();
    if (id !== this.incident) {
      this.cmd = null;
      this.err = null;
      this.skipping = null;
    }
    this.incident = id;
    this.closed = !!closed;
    const gen = ++this.gen;
    if (!id) {
      this.render(true);
      return;
    }
    try {
      const c = await this.app.api.get(`incidents/${encodeURIComponent(id)}/command`, at);
      if (gen !== this.gen) return;
      this.cmd = c;
      this.err = null;
    } catch (err) {
      if (gen !== this.gen) return;
      this.cmd = null;
      this.err = err;
    }
    this.render(true);
  }

  /** Rebuilds the panel (fn) and puts the two blocks into its slots, the focus kept. */
  mount(panel, fn) {
    const a = document.activeElement;
    const focused = a && (this.el.contains(a) || this.tzEl.contains(a)) ? a : null;
    fn();
    panel.querySelector('.em-command-slot')?.replaceWith(this.el);
    panel.querySelector('.em-threat-slot')?.replaceWith(this.tzEl);
    if (focused && focused.isConnected) focused.focus();
  }

  /** The view is left: no threat drawing, nothing in flight drawn. */
  leave() {
    this.gen++;
    this.incident = null;
    this.cmd = null;
    this.clearThreat();
  }

  clearThreat() {
    if (this.threat || this.threatErr) {
      this.threat = null;
      this.threatErr = null;
      this.tzVersion++;
      this.group.clearLayers();
    }
    this.tzRun = (this.tzRun || 0) + 1; // an answer in flight is not drawn
    this._renderThreat(true);
  }

  // ---- the command ----

  render(keep) {
    const state = JSON.stringify([this.cmd, this.err && this.err.message, this.incident, this.closed, this.skipping,
      this.busy, getLang(), this.app.mode, this.app.mode === 'replay' ? this.app.at : 0]);
    if (state !== this.shown) {
      this.shown = state;
      rerender(this.el, this._html(), keep);
      this.el.dataset.state = this.cmd ? (this.cmd.active ? 'active' : 'proposed') : this.err ? 'error' : '';
    }
    this._renderThreat(keep);
  }

  _html() {
    if (!this.incident) return '';
    const c = this.cmd;
    let h = `<h4>${t('cmd.title')}${this.live ? '' : ` <small>${t('cmd.readonly')}</small>`}</h4>`;
    if (this.err) return `${h}<p class="hint">${t('cmd.unavailable')}: ${escapeHtml(errText(this.err))}</p>`;
    if (!c) return `${h}<p class="hint">${t('loading')}</p>`;
    const dis = this.busy ? ' disabled' : '';
    if (!c.active) {
      const p = c.proposal;
      if (!p) h += `<p class="hint">${t('cmd.no_plan')}</p>`;
      else {
        h += `<div class="cmd-proposal" data-plan="${escapeHtml(p.plan)}"><p>${t('cmd.proposal')}: <b class="plan-name">${byLang(p.name, p.name_zh)}</b>
          <span class="badge level level-${escapeHtml(p.level)}">${levelText(p.level)}</span></p>
          <p class="why">${t('cmd.why')}: ${escapeHtml(whyText(p.why))}</p>`;
        if (this.acts)
          h += `<div class="cmd-go" data-block="go"><label><input type="checkbox" name="drill"> ${t('cmd.drill_box')}</label>
            <button type="button" class="cmd-activate" data-cmd="activate"${dis}>${t('cmd.activate')}</button></div>`;
        h += '</div>';
      }
    } else {
      const planName = c.plan ? byLang(c.plan.name, c.plan.name_zh) : '—';
      h += `<div class="cmd-active${c.drill ? ' drill' : ''}">
        <p>${c.drill ? `<span class="badge drill">${t('cmd.drill')}</span> ` : ''}${t('cmd.plan')}: <b class="plan-name">${planName}</b>
        <span class="badge level level-${escapeHtml(c.level)}">${levelText(c.level)}</span></p>`;
      if (this.acts)
        h += `<form class="cmd-level"><select name="level">${[1, 2, 3, 4].map((l) => `<option value="${l}"${l === c.level ? ' selected' : ''}>${levelText(l)}</option>`).join('')}</select>
          <input name="reason" required maxlength="${TEXT_MAX}" placeholder="${escapeHtml(t('cmd.reason'))}">
          <button type="submit"${dis}>${t('cmd.set_level')}</button></form>`;
      const n = c.counts || {};
      h += `<p class="cmd-counts">${STATES.map((s) => `<span class="st-${s}" data-state="${s}">${t(`cmd.state.${s}`)} <b>${n[s] ?? 0}</b></span>`).join(' · ')}</p>`;
      h += `<h4>${t('cmd.tasks')}</h4><table class="cmd-tasks"><tr><th>${t('cmd.task')}</th><th>${t('cmd.team')}</th><th>${t('cmd.state')}</th><th></th></tr>
        ${c.tasks.map((x) => this._taskRow(x, dis)).join('')}</table>`;
      h += '</div>';
    }
    if (c.timeline && c.timeline.length)
      h += `<h4>${t('cmd.timeline')}</h4><ol class="cmd-timeline">${c.timeline.map((l) => `<li class="tl-${escapeHtml(l.kind)}${l.drill ? ' drill' : ''}" data-kind="${escapeHtml(l.kind)}">
        <span class="time">${fmtTime(l.ts)}</span> <span class="who">${raw(l.by)}</span> <span class="kind">${escapeHtml(t(`cmd.kind.${l.kind}`))}</span>
        <span class="text">${this._lineText(l)}</span></li>`).join('')}</ol>`;
    if (this.acts)
      h += `<form class="cmd-log"><input name="text" required maxlength="${TEXT_MAX}" placeholder="${escapeHtml(t('cmd.message'))}">
        <button type="submit"${dis}>${t('cmd.send')}</button></form>`;
    return h;
  }

  _taskRow(x, dis) {
    const id = escapeHtml(x.id);
    let acts = '';
    if (this.acts && (x.state === 'open' || x.state === 'acknowledged')) {
      if (this.skipping === x.id)
        acts = `<form class="cmd-skip" data-task="${id}"><input name="note" data-task="${id}" required maxlength="${TEXT_MAX}" placeholder="${escapeHtml(t('cmd.skip_note'))}">
          <button type="submit"${dis}>${t('cmd.confirm')}</button> <button type="button" data-cmd="skip-cancel">${t('cmd.cancel')}</button></form>`;
      else
        acts = `${x.state === 'open' ? `<button type="button" data-cmd="task" data-task="${id}" data-state="acknowledged"${dis}>${t('cmd.ack')}</button> ` : ''}
          <button type="button" data-cmd="task" data-task="${id}" data-state="done"${dis}>${t('cmd.done')}</button>
          <button type="button" data-cmd="skip" data-task="${id}"${dis}>${t('cmd.skip')}</button>`;
    }
    return `<tr data-task="${id}" data-state="${escapeHtml(x.state)}" class="st-${escapeHtml(x.state)}">
      <td><b>${escapeHtml(x.step || x.id)}</b> ${byLang(x.text, x.text_zh)}</td><td>${this._team(x.team)}</td>
      <td>${stateText(x.state)}${x.note ? `<div class="note">${raw(x.note)}</div>` : ''}</td><td class="acts">${acts}</td></tr>`;
  }

  /** A step's team: a layout resource (gate, brigade...), an enterprise, else its id (data). */
  _team(team) {
    if (!team) return '—';
    const f = this.app.map.features.get(team);
    if (f) return escapeHtml(featureName(f.props || {}, f.kind));
    if (this.app.names.byId.has(team)) return escapeHtml(this.app.entName(team));
    if (['admin', 'operator', 'regulator', 'enterprise'].includes(team)) return escapeHtml(t(`role.${team}`));
    return raw(team);
  }

  _lineText(l) {
    const d = l.data || {};
    const c = this.cmd;
    if (l.kind === 'activate') {
      const name = c.plan && c.plan.id === d.plan ? byLang(c.plan.name, c.plan.name_zh) : l.text ? raw(l.text) : '';
      return `${name} · ${levelText(d.level)}`;
    }
    if (l.kind === 'level') return `${levelText(d.level)}${l.text ? ` · ${raw(l.text)}` : ''}`;
    if (l.kind === 'task') return `${escapeHtml(d.task || '')} ${stateText(d.state)}${d.note ? ` · ${raw(d.note)}` : ''}`;
    return l.text ? raw(l.text) : '';
  }

  async _post(body) {
    const id = this.incident;
    if (!id || this.busy) return false;
    this.busy = true;
    this.render(true);
    try {
      const c = await this.app.api.post(`incidents/${encodeURIComponent(id)}/command`, body);
      if (id === this.incident) {
        this.gen++; // a GET in flight would draw the older state
        this.cmd = c;
        this.err = null;
      }
      return true;
    } catch (err) {
      this.app.toast(`${t('error')}: ${errText(err)}`);
      return false;
    } finally {
      this.busy = false;
    }
  }

  // ---- threat zones ----

  _renderThreat(keep) {
    const state = `${this.tzVersion}|${getLang()}|${this.app.mode}|${(this.app.map.byKind.tank || []).length}`;
    if (state === this.tzShown) return;
    this.tzShown = state;
    rerender(this.tzEl, this.live ? this._threatHtml() : '', keep);
  }

  _threatHtml() {
    const param = THREAT_PARAM[this.model];
    const tanks = (this.app.map.byKind.tank || []).map((f) => f.id);
    let h = `<form class="threat-form" data-model="${escapeHtml(this.model)}"><h4>${t('threat.title')}</h4>
      <label>${t('threat.model')} <select name="model">${THREAT_MODELS.map((m) => `<option value="${m}"${m === this.model ? ' selected' : ''}>${escapeHtml(t(`threat.model.${m}`))}</option>`).join('')}</select></label>
      <label>${t('threat.tank')} <select name="tank">${tanks.map((id) => `<option>${escapeHtml(id)}</option>`).join('')}</select></label>
      <label>${t(`threat.${param}`)} <input name="${param}" type="number" min="0" step="any" required value="${PARAM_DEFAULT[param]}"></label>
      ${this.threatErr ? `<p class="error">${this.threatErr}</p>` : ''}
      <div><button type="submit"${this.threatBusy ? ' disabled' : ''}>${t('threat.run')}</button>
      <button type="button" data-cmd="threat-clear">${t('threat.clear')}</button></div></form>`;
    const r = this.threat;
    if (!r) return h;
    const w = r.weather || {};
    h += `<div class="threat-result" data-model="${escapeHtml(r.model)}"><p>${escapeHtml(t(`threat.model.${r.model}`))} · ${escapeHtml(r.source.tank || `${fmtNum(r.source.lon, 4)},${fmtNum(r.source.lat, 4)}`)}
      · ${escapeHtml(subst(r.substance))} · ${t('threat.wind')} ${fmtNum(w.wind_m_s, 1)} m/s ${t('threat.from')} ${fmtNum(w.wind_from_deg, 0)}°${w.assumed ? ` (${t('threat.assumed')})` : ''}</p>`;
    if (r.flags && r.flags.length) h += `<p class="warn">${r.flags.map((f) => escapeHtml(t(`threat.flag.${f}`))).join('；')}</p>`;
    h += `<table class="threat-zones"><tr><th>${t('threat.zone')}</th><th>${t('threat.threshold')}</th><th>${t('threat.distance')}</th><th>${t('threat.occupants')}</th>
      <th>${t('threat.buildings')}</th><th>${t('threat.tanks')}</th><th>${t('threat.targets')}</th></tr>
      ${r.zones.map((z) => {
        const others = (z.tanks || []).filter((x) => x.id !== r.source.tank);
        return `<tr class="tz-${escapeHtml(z.level)}" data-level="${escapeHtml(z.level)}" data-distance="${escapeHtml(z.distance_m)}">
          <td><span class="chip" style="background:${ZONE_COLOURS[z.level] || '#fff'}"></span>${escapeHtml(t(`threat.level.${z.level}`))}</td>
          <td class="num">${escapeHtml(threshold(z))}</td><td class="num distance">${escapeHtml(fmtVal(z.distance_m, 'm', 0))}</td>
          <td class="num">${z.occupants ?? '—'}</td><td class="num">${(z.buildings || []).length}</td>
          <td>${others.length ? others.map((x) => escapeHtml(x.id)).join(', ') : '—'}</td>
          <td>${(z.sensitive_targets || []).length ? z.sensitive_targets.map((s) => escapeHtml(featureName(s, 'sensitive_target'))).join('、') : '—'}</td></tr>`;
      }).join('')}</table></div>`;
    return h;
  }

  async _runThreat(form) {
    const param = THREAT_PARAM[this.model];
    const body = { model: this.model, tank: form.elements.tank.value, [param]: Number(form.elements[param].value) };
    const run = (this.tzRun = (this.tzRun || 0) + 1);
    this.threatBusy = true;
    this.threatErr = null;
    this.tzVersion++;
    this._renderThreat(true);
    try {
      const r = await this.app.api.post('threat-zones', body);
      if (run !== this.tzRun) return;
      this.threat = r;
      this._drawThreat();
    } catch (err) {
      if (run !== this.tzRun) return;
      // a 400 says what is wrong with the input: the API's words (data) after the page's
      this.threatErr = err.status === 400 && err.message
        ? `${escapeHtml(t('threat.bad'))}: ${getLang() === 'en' ? escapeHtml(err.message) : raw(err.message)}`
        : escapeHtml(`${t('error')}: ${errText(err)}`);
    } finally {
      this.threatBusy = false;
      this.tzVersion++;
      this._renderThreat(true);
    }
  }

  _drawThreat() {
    this.group.clearLayers();
    const r = this.threat;
    if (!r) return;
    // the outermost first, so that the inner ones lie on top
    for (const lv of ['yellow', 'orange', 'red']) {
      const z = r.zones.find((x) => x.level === lv);
      const g = z && z.polygon;
      if (!g || !(g.type === 'Polygon' || g.type === 'MultiPolygon')) continue;
      const ll = L.GeoJSON.coordsToLatLngs(g.coordinates, g.type === 'Polygon' ? 1 : 2);
      const c = ZONE_COLOURS[lv];
      this.group.addLayer(L.polygon(ll, { renderer: this.renderer, className: `threat-${lv}`, interactive: false,
        color: c, weight: 2, fillColor: c, fillOpacity: 0.15 }));
    }
  }

  // ---- events ----

  _click(e) {
    const b = e.target.closest('button[data-cmd]');
    if (!b) return;
    const what = b.dataset.cmd;
    if (what === 'activate') {
      const drill = !!this.el.querySelector('input[name=drill]')?.checked;
      this._post({ action: 'activate', drill }).then(() => this.render(false));
    } else if (what === 'task') {
      this._post({ action: 'task', task: b.dataset.task, state: b.dataset.state }).then(() => this.render(true));
    } else if (what === 'skip') {
      this.skipping = b.dataset.task;
      this.render(true);
      this.el.querySelector('form.cmd-skip input[name=note]')?.focus();
    } else if (what === 'skip-cancel') {
      this.skipping = null;
      this.render(true);
    } else if (what === 'threat-clear') {
      this.clearThreat();
    }
  }

  _change(e) {
    if (e.target.name === 'model' && e.target.closest('form.threat-form')) {
      this.model = THREAT_MODELS.includes(e.target.value) ? e.target.value : 'vce';
      this.tzVersion++;
      this._renderThreat(true);
    }
  }

  _submit(e) {
    const form = e.target.closest('form');
    if (!form) return;
    e.preventDefault();
    e.stopPropagation();
    const v = (name) => form.elements[name].value.trim();
    if (form.classList.contains('threat-form')) {
      this._runThreat(form);
    } else if (form.classList.contains('cmd-level')) {
      this._post({ action: 'level', level: Number(v('level')), reason: v('reason') })
        .then((ok) => this.render(!ok));
    } else if (form.classList.contains('cmd-skip')) {
      const task = form.dataset.task;
      this._post({ action: 'task', task, state: 'skipped', note: v('note') }).then((ok) => {
        if (ok) this.skipping = null;
        this.render(true);
      });
    } else if (form.classList.contains('cmd-log')) {
      this._post({ action: 'log', kind: 'message', text: v('text') }).then((ok) => this.render(!ok));
    }
  }
}
