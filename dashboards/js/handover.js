// handover.js - the "交接班/Handover" tab: the shift handover of the
// token's scope (the park's duty room for park staff, its own enterprise
// for an enterprise token), api/routes_handover.c:
//  - the draft, GET /api/v1/handovers/draft: what the shift leaves open
//    (open alarms, shelved alarms, instrument faults, open incidents,
//    overdue hidden hazards);
//  - the outgoing officer's signature, POST /api/v1/handovers {notes}: the
//    signature is the token's name; 409 while the scope has an open record;
//  - the records, GET /api/v1/handovers, newest first, with their state;
//    an open record signed by someone else is accepted (notes) or refused
//    (a reason, required) by POST /api/v1/handovers/{id}/accept|refuse;
//    400 when the incoming officer is the outgoing one.
// The regulator reads: no sign, accept or refuse.
import { t, fmtTime, seriesLabel, alarmWord, errText, kindWord } from './i18n.js';
import { escapeHtml } from './map.js';

const GROUPS = ['open_alarms', 'shelved_alarms', 'instrument_faults', 'open_incidents', 'overdue_hazards'];
const STATES = ['open', 'accepted', 'refused'];

export class HandoverPanel {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    const role = app.who.role;
    this.canSign = ['admin', 'operator', 'enterprise'].includes(role);
    this.scope = role === 'enterprise' ? app.who.enterprise : 'PARK';
    this.draft = null;
    this.records = null;
    this.error = null; // {where: 'sign' | id, text}
    this.note = '';
    this.answering = null; // {id, action}
    this.loads = 0;
    el.innerHTML = '<div class="ho-draft"></div><div class="ho-sign"></div><div class="ho-records"></div>';
    el.addEventListener('click', (e) => this._click(e));
    el.addEventListener('submit', (e) => this._submit(e));
    window.addEventListener('lang', () => !this.el.hidden && this.render());
  }

  show() {
    this.load();
  }

  async load() {
    const api = this.app.api;
    const [d, l] = await Promise.allSettled([
      api.get('handovers/draft', { scope: this.scope }),
      api.get('handovers', { limit: 50 }),
    ]);
    this.draft = d.status === 'fulfilled' ? d.value : null;
    this.draftError = d.status === 'fulfilled' ? null : d.reason;
    this.records = l.status === 'fulfilled' ? l.value.handovers || [] : null;
    this.listError = l.status === 'fulfilled' ? null : l.reason;
    this.loads++;
    this.render();
    this.el.dataset.loaded = String(this.loads);
  }

  render() {
    this._draft();
    this._sign();
    this._records();
  }

  _scopeName(scope) {
    return scope === 'PARK' || !scope ? t('ent.park') : this.app.entName(scope);
  }

  _item(group, x) {
    if (group === 'open_incidents') {
      const p = x.properties || x;
      const ent = p.enterprise ? ` <small>${escapeHtml(this.app.entName(p.enterprise))}</small>` : '';
      return `<li>${escapeHtml(t('ho.incident'))} <b>${escapeHtml(String(p.id ?? ''))}</b>${ent}${p.opened_ms ? ` · ${fmtTime(p.opened_ms, true)}` : ''}</li>`;
    }
    if (group === 'overdue_hazards') {
      const due = x.due_ms || x.deadline_ms;
      return `<li>${escapeHtml(t('ho.hazard'))} <b>${escapeHtml(String(x.id ?? ''))}</b>${x.enterprise ? ` <small>${escapeHtml(this.app.entName(x.enterprise))}</small>` : ''}${due ? ` · ${t('ho.due')} ${fmtTime(due, true)}` : ''}</li>`;
    }
    const m = this.app.map;
    const f = (x.asset && m.features.get(x.asset)) || m.seriesToFeature.get(x.series);
    return `<li data-rule="${x.rule}"><span class="badge p${x.priority}">P${x.priority}</span> <b>${escapeHtml(f ? f.id : x.asset || x.series)}</b>
      <span title="${escapeHtml(x.series)}">${escapeHtml(seriesLabel(x.series))}</span> · ${escapeHtml(kindWord(x))}
      · ${escapeHtml(alarmWord('state', x.state))}${x.since_ms ? ` · ${t('alarms.since')} ${fmtTime(x.since_ms, true)}` : ''}
      ${this.app.who.role === 'enterprise' ? '' : ` <small>${escapeHtml(this.app.entName(x.enterprise))}</small>`}</li>`;
  }

  _draft() {
    const el = this.el.querySelector('.ho-draft');
    let h = `<h3>${escapeHtml(t('ho.title'))} <small class="hint">${escapeHtml(t('ho.scope'))}: ${escapeHtml(this._scopeName(this.scope))}</small></h3>`;
    if (!this.draft) {
      h += `<p class="hint">${escapeHtml(this.draftError ? `${t('error')}: ${errText(this.draftError)}` : t('loading'))}</p>`;
      el.innerHTML = h;
      return;
    }
    const d = this.draft;
    h += `<h4>${escapeHtml(t('ho.draft', { t: fmtTime(d.at_ms, true) }))}</h4>`;
    for (const g of GROUPS) {
      const list = Array.isArray(d[g]) ? d[g] : [];
      h += `<details class="ho-group" data-group="${g}" data-count="${list.length}"${list.length && list.length <= 8 ? ' open' : ''}>
        <summary><span class="n${list.length ? ' some' : ''}">${list.length}</span> ${escapeHtml(t(`ho.${g}`))}</summary>
        ${list.length ? `<ul>${list.slice(0, 100).map((x) => this._item(g, x)).join('')}</ul>` : `<p class="hint">${escapeHtml(t('ho.nothing'))}</p>`}</details>`;
    }
    el.innerHTML = h;
  }

  _sign() {
    const el = this.el.querySelector('.ho-sign');
    if (!this.canSign) {
      el.innerHTML = `<p class="hint readonly">${escapeHtml(t('ho.readonly'))}</p>`;
      return;
    }
    const err = this.error && this.error.where === 'sign' ? this.error.text : '';
    const keep = el.querySelector('textarea');
    if (keep) this.note = keep.value;
    el.innerHTML = `<form class="ho-sign-form"><label>${escapeHtml(t('ho.notes'))}
      <textarea name="notes" rows="3" maxlength="4000">${escapeHtml(this.note)}</textarea></label>
      <div class="row"><span class="hint">${escapeHtml(t('ho.sign_as', { name: this.app.who.name }))}</span>
      <button type="submit" class="sign">${escapeHtml(t('ho.sign'))}</button></div>
      <p class="ho-error" role="alert"${err ? '' : ' hidden'}>${escapeHtml(err)}</p></form>`;
  }

  _canAnswer(r) {
    return this.canSign && r.state === 'open' && r.outgoing !== this.app.who.name &&
      !(r.scope === 'PARK' && this.app.who.role === 'enterprise');
  }

  _records() {
    const el = this.el.querySelector('.ho-records');
    let h = `<h4>${escapeHtml(t('ho.records'))}</h4>`;
    if (!this.records) {
      h += `<p class="hint">${escapeHtml(this.listError ? `${t('error')}: ${errText(this.listError)}` : t('loading'))}</p>`;
      el.innerHTML = h;
      return;
    }
    if (!this.records.length) {
      el.innerHTML = `${h}<p class="hint">${escapeHtml(t('ho.none'))}</p>`;
      return;
    }
    h += `<table class="ho-list"><tr><th>#</th><th>${t('ho.scope')}</th><th>${t('ho.state')}</th><th>${t('ho.outgoing')}</th><th>${t('ho.signed')}</th>
      <th>${t('ho.left')}</th><th>${t('ho.incoming')}</th><th>${t('ho.answered')}</th></tr>`;
    for (const r of this.records) {
      const st = STATES.includes(r.state) ? r.state : 'open';
      const c = (r.snapshot && r.snapshot.counts) || {};
      const left = GROUPS.map((g) => [g, c[g] ?? (Array.isArray(r.snapshot && r.snapshot[g]) ? r.snapshot[g].length : 0)])
        .filter(([, n]) => n > 0).map(([g, n]) => `${t(`ho.${g}`)} ${n}`).join(' · ') || t('ho.nothing');
      h += `<tr class="ho-record ${st}" data-id="${r.id}" data-state="${st}" data-outgoing="${escapeHtml(r.outgoing)}">
        <td>${r.id}</td><td>${escapeHtml(this._scopeName(r.scope))}</td><td><span class="hstate ${st}">${escapeHtml(t(`ho.state.${st}`))}</span></td>
        <td>${escapeHtml(r.outgoing)}</td><td>${fmtTime(r.signed_ms, true)}</td><td class="left">${escapeHtml(left)}</td>
        <td>${escapeHtml(r.incoming || '—')}</td><td>${r.answered_ms ? fmtTime(r.answered_ms, true) : '—'}</td></tr>`;
      // the officers' own words are data (either language), marked so: translate="no"
      const text = [[r.notes, 'ho.notes'], [r.answer, 'ho.answer']].filter(([x]) => x)
        .map(([x, k]) => `${escapeHtml(t(k))}: <span class="raw" translate="no">${escapeHtml(x)}</span>`);
      let actions = '';
      if (this._canAnswer(r)) actions = this._answerHtml(r);
      else if (st === 'open' && this.canSign && r.outgoing === this.app.who.name) actions = `<span class="hint">${escapeHtml(t('ho.mine'))}</span>`;
      if (text.length || actions)
        h += `<tr class="ho-more" data-id="${r.id}"><td></td><td colspan="7">${text.map((x) => `<div class="ho-text">${x}</div>`).join('')}${actions}</td></tr>`;
    }
    h += '</table>';
    el.innerHTML = h;
  }

  _answerHtml(r) {
    const err = this.error && this.error.where === r.id ? this.error.text : '';
    const a = this.answering && this.answering.id === r.id ? this.answering.action : null;
    let h = `<div class="ho-actions"><button type="button" class="accept" data-id="${r.id}">${escapeHtml(t('ho.accept'))}</button>
      <button type="button" class="refuse" data-id="${r.id}">${escapeHtml(t('ho.refuse'))}</button></div>`;
    if (a)
      h += `<form class="ho-answer-form ${a}" data-id="${r.id}" data-action="${a}"><textarea name="text" rows="2" maxlength="4000"
        placeholder="${escapeHtml(t(a === 'accept' ? 'ho.accept_notes' : 'ho.reason'))}"></textarea>
        <button type="submit" class="confirm">${escapeHtml(t('ho.confirm'))}</button><button type="button" class="cancel">${escapeHtml(t('ho.cancel'))}</button></form>`;
    h += `<p class="ho-error" role="alert"${err ? '' : ' hidden'}>${escapeHtml(err)}</p>`;
    return h;
  }

  /** A server error in words an officer acts on (409 open or answered, 400 same officer). */
  _errText(err, where) {
    const msg = String((err && err.message) || '');
    if (err && err.status === 409) return t(where === 'sign' ? 'ho.err.open' : 'ho.err.answered');
    if (err && err.status === 400 && /outgoing/.test(msg)) return t('ho.err.same');
    if (err && err.status === 400 && /reason/.test(msg)) return t('ho.reason_needed');
    return `${t('error')}: ${errText(err)}`;
  }

  _click(e) {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('accept') || b.classList.contains('refuse')) {
      const id = Number(b.dataset.id);
      const action = b.classList.contains('accept') ? 'accept' : 'refuse';
      this.answering = this.answering && this.answering.id === id && this.answering.action === action ? null : { id, action };
      if (this.error && this.error.where === id) this.error = null;
      this._records();
      const ta = this.el.querySelector('.ho-answer-form textarea');
      if (ta) ta.focus();
    } else if (b.classList.contains('cancel')) {
      this.answering = null;
      this._records();
    }
  }

  async _submit(e) {
    e.preventDefault();
    const form = e.target;
    const btn = form.querySelector('button[type="submit"]');
    if (form.classList.contains('ho-sign-form')) {
      const notes = form.notes.value.trim();
      btn.disabled = true;
      try {
        const body = { notes };
        if (this.app.who.role !== 'enterprise') body.scope = this.scope;
        const r = await this.app.api.post('handovers', body);
        this.error = null;
        this.note = '';
        form.notes.value = '';
        this.app.toast(t('ho.signed_ok', { id: r.id }));
      } catch (err) {
        this.error = { where: 'sign', text: this._errText(err, 'sign') };
      } finally {
        btn.disabled = false;
      }
      await this.load();
      return;
    }
    if (form.classList.contains('ho-answer-form')) {
      const id = Number(form.dataset.id);
      const action = form.dataset.action;
      const text = form.text.value.trim();
      if (action === 'refuse' && !text) {
        this.error = { where: id, text: t('ho.reason_needed') };
        const p = form.parentElement.querySelector('.ho-error');
        p.textContent = this.error.text;
        p.hidden = false;
        return;
      }
      btn.disabled = true;
      try {
        await this.app.api.post(`handovers/${id}/${action}`, action === 'accept' ? { notes: text } : { reason: text });
        this.error = null;
        this.answering = null;
        this.app.toast(t(action === 'accept' ? 'ho.accepted_ok' : 'ho.refused_ok', { id }));
      } catch (err) {
        this.error = { where: id, text: this._errText(err, 'answer') };
        btn.disabled = false;
        const p = form.parentElement.querySelector('.ho-error');
        p.textContent = this.error.text;
        p.hidden = false;
        return;
      }
      await this.load();
    }
  }
}
