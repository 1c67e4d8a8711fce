// alarms.js - the alarm panel: the alarms not in normal, most urgent first,
// live over server-sent events (GET /api/v1/alarms/stream: "active" with
// the standing alarms when the stream opens, then an "alarm" event per
// transition), with acknowledge and shelve (POST /api/v1/alarms/{rule}/ack
// | shelve | unshelve, {"comment", "minutes"}) for the roles that may act.
// A new priority-1 alarm beeps (WebAudio, no audio file) and flashes the
// screen. In replay the panel shows the alarms at T, read only.
import { t, fmtVal, fmtTime, getLang, seriesLabel, unitOf, alarmWord, errText } from './i18n.js';
import { escapeHtml } from './map.js';
import { conditionOf } from './i18n-cp.js';

let audio = null;
/** Browsers start audio only after a gesture: the login click calls this. */
export function unlockAudio() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    /* no audio */
  }
}

export function beep() {
  try {
    audio = audio || new AudioContext();
    const t0 = audio.currentTime + 0.02;
    for (let k = 0; k < 3; k++) {
      const o = audio.createOscillator();
      const g = audio.createGain();
      o.type = 'square';
      o.frequency.value = k === 1 ? 1175 : 880;
      const s = t0 + k * 0.22;
      g.gain.setValueAtTime(0.0001, s);
      g.gain.exponentialRampToValueAtTime(0.25, s + 0.01);
      g.gain.exponentialRampToValueAtTime(0.0001, s + 0.16);
      o.connect(g).connect(audio.destination);
      o.start(s);
      o.stop(s + 0.18);
    }
  } catch {
    /* no audio */
  }
}

const STATE_RANK = { unack: 0, rtn_unack: 1, acked: 2 };
// An alarm flood (a broker outage makes every detector's data stale: 15,000
// alarms at scale 10) must not stall the page: events are applied to the
// map (only the features whose series changed) and the list at most every
// FLUSH_MS (FLOOD_FLUSH_MS beyond FLOOD alarms), and the list shows the
// most urgent MAX_ROWS (the counts above it are of all of them).
const FLUSH_MS = 50;
const FLOOD = 2000;
const FLOOD_FLUSH_MS = 500;
const MAX_ROWS = 200;
const SHELVE_MINUTES = [15, 30, 60, 120, 240, 480];

export class AlarmPanel {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.live = new Map(); // rule -> alarm (the Alarm schema)
    this.bySeries = new Map(); // series -> Map(rule -> alarm), of live
    this._dirty = new Set(); // series changed since the last flush
    this._full = true; // the map needs the whole list
    this.replay = null; // alarms at T, or null when live
    this.rows = new Map(); // rule -> li
    this.list = el.querySelector('.alarm-list');
    this.counts = el.querySelector('.alarm-counts');
    this.banner = el.querySelector('.alarm-banner');
    this.streamUp = false;
    this.events = 0;
    this.firstSeen = new Map(); // rule -> performance.now() when it first appeared (tests)
    this.alerted = new Set(); // rules whose current unacknowledged P1 episode has been announced
    this.canAct = ['admin', 'operator', 'enterprise'].includes(app.who.role);
    this.list.addEventListener('click', (e) => this._click(e));
    window.addEventListener('lang', () => this.render(true));
  }

  start() {
    this._open();
  }

  _open() {
    if (this.es) this.es.close();
    this.es = this.app.api.stream('alarms/stream', {}, {
      active: (d) => {
        this.live = new Map();
        this.bySeries = new Map();
        for (const a of d.alarms) this._put(a);
        this._full = true;
        for (const a of d.alarms) if (!this.firstSeen.has(a.rule)) this.firstSeen.set(a.rule, performance.now());
        // A P1 alarm raised while the stream was down (or standing unacknowledged
        // when the page opens) is announced from the snapshot: no event will come.
        const unackP1 = new Set();
        for (const a of d.alarms) {
          if (!this._announces(a)) continue;
          unackP1.add(a.rule);
          if (!this.alerted.has(a.rule)) this.app.alertP1(a);
        }
        this.alerted = unackP1;
        this.streamUp = true;
        this._changed();
      },
      alarm: (ev) => this._onEvent(ev),
      overflow: () => this._lost(),
      onerror: () => this._lost(),
    });
  }

  _lost() {
    this.streamUp = false;
    this.app.map.streamAlarmsLost();
    this._banner();
    // EventSource retries by itself after a network error, not after an
    // HTTP error (a revoked token, parkd's stream limit): reopen then.
    if (this.es && this.es.readyState === EventSource.CLOSED) {
      clearTimeout(this._retry);
      this._retry = setTimeout(() => {
        this.app.api.get('whoami').then(() => this._open(), () => {});
      }, 3000);
    }
  }

  _onEvent(ev) {
    this.events++;
    const cur = this.live.get(ev.rule);
    if (ev.to !== 'unack') this.alerted.delete(ev.rule);
    if (ev.to === 'normal') {
      this._drop(ev.rule);
    } else {
      const a = {
        rule: ev.rule, series: ev.series, enterprise: ev.enterprise, kind: ev.kind, priority: ev.priority,
        state: ev.to, active: ev.active, shelved: ev.shelved, suppressed: ev.suppressed,
        out_of_service: ev.out_of_service, value: ev.value, limit: ev.limit,
        since_ms: cur && cur.state === ev.to ? cur.since_ms : ev.ts_ms,
      };
      // the rule's description (issue 19): from the event, else what the row had
      for (const k of ['unit', 'class', 'asset', 'enterprise_name', 'origin', 'basis'])
        if (ev[k] !== undefined) a[k] = ev[k];
        else if (cur && cur[k] !== undefined) a[k] = cur[k];
      if (ev.shelved) a.shelved_until_ms = ev.shelved_until_ms ?? (cur && cur.shelved_until_ms);
      this._put(a);
      if (!this.firstSeen.has(ev.rule)) this.firstSeen.set(ev.rule, performance.now());
      if (this._announces(a) && !this.alerted.has(ev.rule)) {
        this.alerted.add(ev.rule);
        this.app.alertP1(a);
      }
    }
    this._changed();
  }

  /** A priority-1 alarm waiting for acknowledgement, neither shelved nor suppressed. */
  _announces(a) {
    return a.priority === 1 && a.state === 'unack' && !a.shelved && !a.suppressed;
  }

  _put(a) {
    const old = this.live.get(a.rule);
    if (old && old.series !== a.series) this._drop(a.rule);
    this.live.set(a.rule, a);
    let m = this.bySeries.get(a.series);
    if (!m) this.bySeries.set(a.series, (m = new Map()));
    m.set(a.rule, a);
    this._dirty.add(a.series);
  }

  _drop(rule) {
    const a = this.live.get(rule);
    if (!a) return;
    this.live.delete(rule);
    const m = this.bySeries.get(a.series);
    if (m) {
      m.delete(rule);
      if (!m.size) this.bySeries.delete(a.series);
    }
    this._dirty.add(a.series);
  }

  _changed() {
    if (this._flushT) return;
    this._flushT = setTimeout(() => {
      this._flushT = null;
      if (!this.replay) {
        if (this._full) this.app.map.setAlarms([...this.live.values()]);
        else this.app.map.updateAlarms(this._dirty, (s) => this.bySeries.get(s));
      }
      this._full = false;
      this._dirty = new Set();
      this.app.emit('alarms', this.liveList());
      // In a flood the list is drawn half a flush later, in a frame of its
      // own: with the map's redraw in the same frame, that frame took 100 ms.
      if (this.live.size > FLOOD) setTimeout(() => this.render(), FLOOD_FLUSH_MS / 2);
      else this.render();
    }, this.live.size > FLOOD ? FLOOD_FLUSH_MS : FLUSH_MS);
  }

  liveList() {
    return [...this.live.values()];
  }

  /**
   * Replay: the alarms at T (ReplayState.alarms); null goes back to live.
   * The list is redrawn before this returns, not on the next frame: replay
   * then marks the page as showing T (body[data-replay-at]), and whoever
   * reads the panel after that mark must see T's alarms, not the rows of
   * the previous T or of live (a frame can come late on a busy machine).
   */
  showReplay(list) {
    this.replay = list;
    if (list) this.app.map.setAlarms(list);
    else this.app.map.setAlarms(this.liveList());
    this._dirty = new Set();
    this._full = false;
    this.app.emit('alarms', this.liveList());
    this.renderNow();
  }

  /** Redraws the list at once (a redraw waiting for the next frame is dropped). */
  renderNow() {
    if (this._raf) {
      cancelAnimationFrame(this._raf);
      this._raf = null;
    }
    this._render();
  }

  render(force) {
    if (force) {
      for (const li of this.rows.values()) li.remove();
      this.rows.clear();
    }
    if (this._raf) return;
    this._raf = requestAnimationFrame(() => {
      this._raf = null;
      this._render();
    });
  }

  _sorted() {
    const list = this.replay || this.liveList();
    return list
      .filter((a) => a.state !== 'normal')
      .sort((a, b) => (a.shelved - b.shelved) || (a.priority - b.priority) ||
        (STATE_RANK[a.state] - STATE_RANK[b.state]) || (b.since_ms - a.since_ms) || (a.rule - b.rule));
  }

  _render() {
    const all = this._sorted();
    const list = all.slice(0, MAX_ROWS);
    const replay = !!this.replay;
    const keep = new Set();
    const byP = [0, 0, 0, 0, 0];
    for (const a of all) if (!a.shelved) byP[a.priority]++;
    let prevEl = null;
    for (const a of list) {
      keep.add(a.rule);
      let li = this.rows.get(a.rule);
      if (!li) {
        li = document.createElement('li');
        li.innerHTML = '<div class="row"></div>';
        this.rows.set(a.rule, li);
      }
      li.className = `alarm p${a.priority} ${a.state}${a.shelved ? ' shelved' : ''}${replay ? ' replay' : ''}`;
      li.dataset.rule = a.rule;
      li.dataset.series = a.series;
      li.dataset.state = a.state;
      li.dataset.priority = a.priority;
      li.dataset.kind = a.kind;
      if (a.asset) li.dataset.asset = a.asset;
      const key = JSON.stringify([a.state, a.shelved, a.value, a.since_ms, a.shelved_until_ms, replay, getLang(), this.app.namesVersion || 0]);
      if (li._key !== key) {
        li._key = key;
        li.querySelector('.row').innerHTML = this._rowHtml(a, replay);
      }
      const next = prevEl ? prevEl.nextSibling : this.list.firstChild;
      if (next !== li) this.list.insertBefore(li, next);
      prevEl = li;
    }
    for (const [rule, li] of this.rows) {
      if (!keep.has(rule)) {
        li.remove();
        this.rows.delete(rule);
      }
    }
    let more = this.list.querySelector('.more');
    if (all.length > list.length) {
      if (!more) {
        more = document.createElement('li');
        more.className = 'more';
      }
      this.list.appendChild(more);
      more.textContent = t('alarms.more', { n: all.length - list.length });
    } else if (more) more.remove();
    let empty = this.list.querySelector('.empty');
    if (!list.length && !empty) {
      empty = document.createElement('li');
      empty.className = 'empty';
      this.list.appendChild(empty);
    }
    if (list.length && empty) empty.remove();
    if (empty) empty.textContent = t('alarms.none');
    this.counts.innerHTML = [1, 2, 3, 4]
      .map((p) => `<span class="pc p${p}${byP[p] ? '' : ' zero'}" data-priority="${p}">P${p} ${byP[p]}</span>`)
      .join('');
    this.el.dataset.count = all.length;
    this._banner();
  }

  _banner() {
    let text = '';
    if (this.replay) text = `${t('replay')} · ${fmtTime(this.app.at, true)} · ${t('replay.readonly')}`;
    else if (!this.streamUp) text = t('alarms.stream.down');
    this.banner.textContent = text;
    this.banner.hidden = !text;
    this.el.classList.toggle('replaying', !!this.replay);
  }

  _rowHtml(a, replay) {
    const f = (a.asset && this.app.map.features.get(a.asset)) || this.app.map.seriesToFeature.get(a.series);
    const name = f ? f.id : a.asset || a.series;
    const ent = a.enterprise || (f && f.props.enterprise) || String(a.series).split('/')[0];
    const company = this.app.entName(ent, a.enterprise_name);
    const unit = alarmUnit(a);
    const cond = conditionOf(a); // issue 21: named in the park's words (偏离路线 沪A12345), not "condition"
    const cls = a.class ? `<span class="aclass ${escapeHtml(a.class)}">${escapeHtml(alarmWord('aclass', a.class))}</span>` : '';
    const tip = [a.series, a.origin ? `${t('alarms.origin')}: ${alarmWord('origin', a.origin)}` : '',
      a.basis ? `${t('alarms.basis')}: ${a.basis}` : ''].filter(Boolean).join('\n');
    let html = `<span class="prio">P${a.priority}</span>
      <div class="what"><div class="line1"><b>${escapeHtml(name)}</b> <span class="company">${escapeHtml(company)}</span>
      <span class="akind">${escapeHtml(alarmWord('akind', cond ? cond.kind : a.kind))}</span> ${cls}
      <span class="state">${escapeHtml(alarmWord('state', a.state))}</span></div>
      <div class="line2" title="${escapeHtml(tip)}">${cond
    // a closed-park, special-work or camera condition: what it is about, no value to show
    ? `<span class="quantity">${escapeHtml(t(`cwhat.${cond.what}`))}</span>${Number.isFinite(a.value) && a.unit
      ? ` · <span class="value">${escapeHtml(fmtVal(a.value, unit))}</span> / ${t('alarms.limit')} <span class="limit">${escapeHtml(fmtVal(a.limit, unit))}</span>`
      : '<span class="value" hidden></span><span class="limit" hidden></span>'}`
    : `<span class="quantity">${escapeHtml(seriesLabel(a.series))}</span> · <span class="value">${escapeHtml(fmtVal(a.value, unit))}</span> / ${t('alarms.limit')} <span class="limit">${escapeHtml(fmtVal(a.limit, unit))}</span>`}
      · ${t('alarms.since')} ${fmtTime(a.since_ms)}${a.shelved ? ` · ${t('alarms.shelved')} ${t('alarms.until')} ${fmtTime(a.shelved_until_ms)}` : ''}</div></div>`;
    if (this.canAct && !replay) {
      html += '<div class="actions">';
      if (a.state === 'unack' || a.state === 'rtn_unack')
        html += `<button type="button" class="ack" data-action="ack">${t('alarms.ack')}</button>`;
      html += a.shelved
        ? `<button type="button" class="unshelve" data-action="unshelve">${t('alarms.unshelve')}</button>`
        : `<button type="button" class="shelve" data-action="shelve">${t('alarms.shelve')}</button>`;
      html += '</div>';
    }
    return html;
  }

  _click(e) {
    const li = e.target.closest('li.alarm');
    if (!li) return;
    const rule = Number(li.dataset.rule);
    const btn = e.target.closest('button');
    if (!btn) {
      if (e.target.closest('form')) return;
      // a condition's vehicle, permit, zone or camera (closed-park.js)
      const cond = conditionOf({ kind: li.dataset.kind, series: li.dataset.series, asset: li.dataset.asset });
      if (cond && this.app.closedPark && this.app.closedPark.focusCondition(cond)) return;
      this.app.map.focus(this.app.map.seriesToFeature.get(li.dataset.series));
      return;
    }
    const action = btn.dataset.action;
    if (action === 'ack') this.act(rule, 'ack', {}, btn);
    else if (action === 'unshelve') this.act(rule, 'unshelve', {}, btn);
    else if (action === 'shelve') this._shelveForm(li, rule);
  }

  _shelveForm(li, rule) {
    let form = li.querySelector('form.shelve-form');
    if (form) {
      form.remove();
      return;
    }
    form = document.createElement('form');
    form.className = 'shelve-form';
    form.innerHTML = `<select name="minutes">${SHELVE_MINUTES.map((m) => `<option value="${m}"${m === 60 ? ' selected' : ''}>${m} ${t('alarms.minutes')}</option>`).join('')}</select>
      <input name="comment" maxlength="159" placeholder="${escapeHtml(t('alarms.comment'))}">
      <button type="submit" class="confirm">${t('alarms.confirm')}</button>
      <button type="button" class="cancel">${t('alarms.cancel')}</button>`;
    form.querySelector('.cancel').addEventListener('click', () => form.remove());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const minutes = Number(form.minutes.value);
      const comment = form.comment.value.trim();
      this.act(rule, 'shelve', { minutes, comment }, form.querySelector('.confirm')).then((ok) => ok && form.remove());
    });
    li.appendChild(form);
    form.comment.focus();
  }

  async act(rule, action, body, btn) {
    if (btn) btn.disabled = true;
    try {
      const a = await this.app.api.post(`alarms/${rule}/${action}`, body);
      if (a && a.rule === rule) {
        if (a.state === 'normal') this._drop(rule);
        else this._put(a);
        this._changed();
      }
      return true;
    } catch (err) {
      if (err.status !== 409) this.app.toast(`${t('alarms.failed')}: ${errText(err)}`);
      return false;
    } finally {
      if (btn) btn.disabled = false;
    }
  }
}

/**
 * The unit of an alarm's value and limit: a stale alarm counts seconds
 * without data and a flapping one the losses; the others are in the
 * series' unit (the API's, else its quantity's usual one).
 */
export function alarmUnit(a) {
  if (a.kind === 'stale') return 's';
  if (a.kind === 'flapping') return t('unit.times');
  if (a.unit) return a.unit;
  return unitOf(a.series);
}
