// replay.js - the time slider: move it (or play at 1-600x) to see the whole
// map as it was at T: every detector's value and the alarms at T
// (GET /api/v1/replay/state?at=T&enterprise=E for each enterprise), the
// views at T (?at=T), the details and trend at T. "Live" goes back to the
// live poll and the alarm stream.
import { t, fmtTime, errText } from './i18n.js';

const WINDOWS = [['15m', 15 * 60e3], ['1h', 3600e3], ['6h', 6 * 3600e3], ['24h', 86400e3], ['7d', 7 * 86400e3]];
const CHUNK = 400; // series a request in the fallback (parkd allows 1,000; URLs stay short)

export class Replay {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.playing = false;
    this.speed = 60;
    this.windowMs = app.config.replay_window_ms || 3600e3;
    this.steps = 0;
    el.innerHTML = `
      <span class="mode-badge live" data-i18n="live">${t('live')}</span>
      <select class="window" title="${t('replay.window')}">${WINDOWS.map(([l, ms]) => `<option value="${ms}"${ms === this.windowMs ? ' selected' : ''}>${l}</option>`).join('')}</select>
      <button type="button" class="play" title="${t('replay.play')}">▶</button>
      <select class="speed" title="${t('replay.speed')}">${[1, 10, 60, 600].map((s) => `<option value="${s}"${s === this.speed ? ' selected' : ''}>${s}×</option>`).join('')}</select>
      <input type="range" class="slider" step="1000">
      <span class="at"></span>
      <button type="button" class="golive" data-i18n="replay.golive">${t('replay.golive')}</button>`;
    this.badge = el.querySelector('.mode-badge');
    this.slider = el.querySelector('.slider');
    this.atEl = el.querySelector('.at');
    this._bounds(true);
    this.slider.addEventListener('input', () => {
      this._pause();
      this.seek(Number(this.slider.value));
    });
    el.querySelector('.window').addEventListener('change', (e) => {
      this.windowMs = Number(e.target.value);
      this._bounds(this.app.mode === 'live');
    });
    el.querySelector('.speed').addEventListener('change', (e) => (this.speed = Number(e.target.value)));
    el.querySelector('.play').addEventListener('click', () => (this.playing ? this._pause() : this._play()));
    el.querySelector('.golive').addEventListener('click', () => this.goLive());
    setInterval(() => {
      if (this.app.mode === 'live') this._bounds(true);
      else this.slider.max = String(Math.floor(Date.now() / 1000) * 1000); // the present stays reachable
      this._label();
    }, 1000);
    window.addEventListener('lang', () => this._label());
  }

  _bounds(follow) {
    const now = Math.floor(Date.now() / 1000) * 1000; // whole seconds: the slider's steps

    this.slider.min = String(now - this.windowMs);
    this.slider.max = String(now);
    if (follow) this.slider.value = String(now);
  }

  _label() {
    const live = this.app.mode === 'live';
    this.badge.textContent = live ? t('live') : t('replay');
    this.badge.className = `mode-badge ${live ? 'live' : 'replay'}`;
    this.atEl.textContent = live ? fmtTime(Date.now(), true) : fmtTime(this.app.at, true);
    this.el.classList.toggle('replaying', !live);
    this.el.querySelector('.play').textContent = this.playing ? '❚❚' : '▶';
  }

  _play() {
    if (this.app.mode === 'live') this.seek(Date.now() - this.windowMs);
    this.playing = true;
    let last = performance.now();
    clearInterval(this._timer);
    this._timer = setInterval(() => {
      const now = performance.now();
      const next = this.app.at + (now - last) * this.speed;
      last = now;
      if (next >= Date.now()) {
        this.goLive();
        return;
      }
      this.slider.value = String(next);
      this.seek(next, true);
    }, 1000);
    this._label();
  }

  _pause() {
    this.playing = false;
    clearInterval(this._timer);
    this._label();
  }

  goLive() {
    this._pause();
    this.app.setLive();
    this._bounds(true);
    this._label();
  }

  /** Shows the park at T; while a fetch is running only the latest T waits. */
  seek(T, playing) {
    T = Math.round(T);
    if (T >= Date.now()) {
      this.goLive();
      return;
    }
    if (T < Number(this.slider.min)) this.slider.min = String(T);
    this.app.setReplayTime(T, playing);
    this._label();
    if (this._busy) {
      this._pending = T;
      return;
    }
    this._fetch(T);
  }

  /**
   * The enterprises whose state replay asks for: those of the map's series
   * (and, for the ingest rows, any other the token sees).
   */
  _enterprises() {
    const m = this.app.map;
    const set = new Set();
    for (const f of m.features.values()) for (const s of f.props.series || []) set.add(s.split('/')[0]);
    const h = this.app.health && this.app.health.status;
    if (h) for (const e of h.enterprises) set.add(e.enterprise);
    if (this.app.who.role === 'enterprise') return [this.app.who.enterprise];
    return [...set].sort();
  }

  // One request per enterprise: its series' values at T and its alarms at T
  // (parkd answers replay/state's alarms for the series or enterprise asked).
  // An enterprise with more series than a request may name falls back to its
  // detectors' series in chunks (and their alarms only).
  async _fetch(T) {
    this._busy = true;
    try {
      const m = this.app.map;
      const api = this.app.api;
      const bySeries = new Map();
      const alarms = new Map();
      const take = (r) => {
        for (const v of r.values) bySeries.set(v.series, v);
        for (const a of r.alarms) alarms.set(a.rule, a);
      };
      await Promise.all(this._enterprises().map(async (e) => {
        try {
          take(await api.get('replay/state', { at: T, enterprise: e }));
        } catch (err) {
          if (err.status !== 400) throw err;
          const series = m.det.ids.map((id) => m.features.get(id).props.series || [])
            .filter((s) => s.length && s[0].startsWith(`${e}/`)).map((s) => s[0]);
          for (let i = 0; i < series.length; i += CHUNK)
            take(await api.get('replay/state', { at: T, series: series.slice(i, i + CHUNK).join(',') }));
        }
      }));
      if (this.app.mode !== 'replay' || this.app.at !== T) return;
      m.applyDetectorSnapshot(bySeries);
      this.app.alarmPanel.showReplay([...alarms.values()]); // the panel's rows too, at once
      this.steps++;
      // the mark that the map and the panel show T (the browser test waits for it)
      document.body.dataset.replayAt = String(T);
    } catch (err) {
      this.app.toast(`${t('error')}: ${errText(err)}`);
    } finally {
      this._busy = false;
      if (this._pending !== undefined) {
        const p = this._pending;
        this._pending = undefined;
        if (this.app.mode === 'replay') this._fetch(p);
      }
    }
  }
}
