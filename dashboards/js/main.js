// main.js - the Parkwatch command-centre page: login, then the one map with
// its views, the alarm panel, details and trends, replay and ingest health.
// Plain ES modules, no build step; Leaflet and uPlot are vendored in
// ../vendor (vendor.sh). window.parkwatch is the page's state, which the
// browser tests read.
import P from './perf.js';
import { Api, savedToken, saveToken, forgetToken } from './api.js';
import { initLang, setLang, getLang, t, applyI18n, errText, untranslated, seriesLabel } from './i18n.js';
import { conditionOf } from './i18n-cp.js';
import { ParkMap, KINDS } from './map.js';
import { AlarmPanel, unlockAudio, beep } from './alarms.js';
import { Trend } from './trend.js';
import { Details } from './details.js';
import { Views } from './views.js';
import { Replay } from './replay.js';
import { Health } from './health.js';
import { Names, EnterprisePanel } from './enterprises.js';
import { AlarmKpis } from './alarm-kpis.js';
import { HandoverPanel } from './handover.js';
import { RiskLayer } from './risk-units.js';
import { HazardBoard } from './hazards.js';
import { NotifyLog } from './notify-log.js';
import { ClosedPark } from './closed-park.js';

const DEFAULTS = {
  title: null, // {"zh": "...", "en": "..."}: the header's title
  lang: 'zh',
  tiles: { url: '', attribution: '', max_zoom: 19 }, // a park's own tile server, if it has one
  poll_ms: 2000, // gas detectors' values
  slow_poll_ms: 5000, // tanks, pipelines, stations
  health_poll_ms: 2000,
  view_refresh_ms: 10000,
  replay_window_ms: 3600000,
  idw: { pollutant: 'PM2_5', nx: 60, ny: 45, opacity: 0.32 },
  sound: true,
};

const $ = (s) => document.querySelector(s);

const app = {
  bus: new EventTarget(),
  on(name, fn) {
    this.bus.addEventListener(name, (e) => fn(e.detail));
  },
  emit(name, detail) {
    this.bus.dispatchEvent(new CustomEvent(name, { detail }));
  },
  mode: 'live',
  at: null,
  lang: getLang,
  names: new Names(),
  namesVersion: 0,
  /** An enterprise's name in the page's language (the id when no name is known). */
  entName(id, fallbackName) {
    if (!id) return fallbackName || '';
    if (!this.names.byId.has(id) && fallbackName) this.names.put(id, fallbackName, '', 1);
    return this.names.label(id);
  },
  untranslated,
  p1Alerts: 0,
  beeps: 0,
  polls: 0,
  perf: P,
};
window.parkwatch = app;

async function loadConfig() {
  let c = {};
  try {
    const r = await fetch('config.json', { cache: 'no-store' });
    if (r.ok) c = await r.json();
  } catch {
    /* defaults */
  }
  const cfg = { ...DEFAULTS, ...c, tiles: { ...DEFAULTS.tiles, ...(c.tiles || {}) }, idw: { ...DEFAULTS.idw, ...(c.idw || {}) } };
  const q = new URLSearchParams(location.search);
  if (q.get('poll')) cfg.poll_ms = Math.max(200, Number(q.get('poll')));
  if (q.get('lang')) cfg.lang = q.get('lang');
  if (q.has('nosound')) cfg.sound = false;
  cfg.startView = q.get('view') || (location.hash.match(/view=(\w+)/) || [])[1] || 'overview';
  return cfg;
}

async function boot() {
  const config = await loadConfig();
  app.config = config;
  initLang(config.lang);
  applyI18n(document);
  title();
  $('#lang').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  window.addEventListener('lang', () => {
    if (app.started) app.namesVersion++;
    title();
    who();
    sound();
  });
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    unlockAudio();
    const tok = $('#token-input').value.trim();
    if (tok) start(tok);
  });
  $('#logout').addEventListener('click', () => {
    forgetToken();
    location.reload();
  });
  window.addEventListener('unauthorized', () => {
    if (!app.started) return;
    forgetToken();
    location.reload();
  });
  const tok = savedToken();
  if (tok) start(tok);
  else showLogin();
}

function title() {
  const tt = app.config.title && app.config.title[getLang()];
  $('#title').textContent = tt || t('app.title');
  document.title = `${tt || t('app.title')} · Parkwatch`;
}

function showLogin(msg) {
  $('#login').hidden = false;
  $('#login-error').textContent = msg || '';
  $('#token-input').focus();
}

async function start(token) {
  const api = new Api(token);
  let me;
  try {
    me = await api.get('whoami');
  } catch (err) {
    forgetToken();
    showLogin(err.status === 401 ? t('login.bad') : t('login.unreachable'));
    return;
  }
  saveToken(token);
  P.mark('whoami');
  $('#login').hidden = true;
  app.api = api;
  app.who = me;
  app.started = true;
  document.body.classList.add(`role-${me.role}`);
  document.body.dataset.role = me.role;
  who();
  sound();
  $('#sound').addEventListener('click', () => {
    app.config.sound = !app.config.sound;
    unlockAudio();
    sound();
  });

  const map = new ParkMap($('#map'), { config: app.config, onSelect: (f) => onSelect(f), names: app.names });
  app.map = map;
  app.trend = new Trend($('#trend'), app);
  app.details = new Details($('#details'), app, app.trend);
  app.alarmPanel = new AlarmPanel($('#alarms'), app);
  app.views = new Views(app, $('#view-panel'));
  app.replay = new Replay($('#replay'), app);
  app.health = new Health($('#ingest-panel'), $('#health'), app);
  app.enterprises = new EnterprisePanel($('#enterprise-panel'), app);
  app.kpis = new AlarmKpis($('#kpi-panel'), app);
  app.handover = new HandoverPanel($('#handover-panel'), app);
  app.risk = new RiskLayer(app);
  app.hazards = new HazardBoard($('#hazards-panel'), app);
  app.notify = new NotifyLog($('#notify-panel'), app);
  // names came (the enterprises list): the map's labels and the alarm rows say them
  app.on('enterprises', () => {
    const sig = JSON.stringify([...app.names.byId].map(([id, n]) => [id, n.name, n.name_zh]));
    if (sig === app._namesSig) return;
    app._namesSig = sig;
    app.namesVersion++;
    app.map.relabel();
    app.alarmPanel.render();
    app.details._render();
    who();
  });
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => app.showTab(b.dataset.tab));
  for (const b of document.querySelectorAll('#views button'))
    b.addEventListener('click', () => setView(b.dataset.view));

  // the worker's first poll brings the detectors while the other layers load
  const detectors = startWorker();
  try {
    await map.load(api);
    P.mark('map-static');
    map.setDetectors(await detectors);
    P.mark('detectors-set');
    detectorsDrawn();
  } catch (err) {
    app.toast(`${t('error')}: ${errText(err)}`);
    return;
  }
  // closed park and special work (issue 21): once the zones and cameras are on the map
  app.closedPark = new ClosedPark($('#closedpark-panel'), app);
  layerToggles();
  map.fit();
  app.alarmPanel.start();
  app.enterprises.refresh();
  setView(app.config.startView);
}

function who() {
  const w = app.who;
  if (!w) return;
  $('#who').textContent = `${t(`role.${w.role}`)}${w.enterprise ? ` ${app.entName(w.enterprise)}` : ''} · ${w.name}`;
}

function sound() {
  const b = $('#sound');
  b.textContent = app.config.sound ? t('sound.on') : t('sound.off');
  b.classList.toggle('off', !app.config.sound);
}

function setView(v) {
  if (!['overview', 'risk', 'environment', 'emergency'].includes(v)) v = 'overview';
  for (const b of document.querySelectorAll('#views button')) b.classList.toggle('on', b.dataset.view === v);
  app.views.set(v);
  if (v !== 'overview') app.showTab('view');
  history.replaceState(null, '', `#view=${v}`);
}

app.showTab = (name) => {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('on', b.dataset.tab === name);
  for (const p of document.querySelectorAll('.tab-panel')) p.hidden = p.dataset.tab !== name;
  // the alarm KPIs, the handover, the hazards and the notifications need room: the side panel widens (CSS) and the map follows
  const wide = !!document.querySelector(`.tab-panel.wide[data-tab="${name}"]`);
  if (wide !== document.body.classList.contains('wide-side')) {
    document.body.classList.toggle('wide-side', wide);
    if (app.map) app.map.map.invalidateSize();
  }
  document.body.dataset.tab = name;
  if (name === 'enterprises' && app.enterprises) app.enterprises.render();
  if (name === 'kpi' && app.kpis) app.kpis.show();
  if (name === 'handover' && app.handover) app.handover.show();
  if (name === 'hazards' && app.hazards) app.hazards.show();
  if (name === 'notify' && app.notify) app.notify.show();
  if (name === 'closedpark' && app.closedPark) app.closedPark.show();
};

function layerToggles() {
  const el = $('#layers .list');
  const m = app.map;
  const drawn = m.drawn();
  el.innerHTML = KINDS.map((k) => `<label data-kind="${k}"><input type="checkbox" ${m.visible[k] ? 'checked' : ''}${m.loaded.has(k) ? '' : ' disabled'}>
    <span data-i18n="kind.${k}">${t(`kind.${k}`)}</span> <span class="n">${drawn[k]}</span></label>`).join('') +
    // the four-colour risk map (risk-units.js): off until asked for
    `<label data-kind="risk_units" class="risk-toggle"><input type="checkbox"${app.risk.on ? ' checked' : ''}>
    <span data-i18n="kind.risk_units">${t('kind.risk_units')}</span> <span class="n">${app.risk.count()}</span></label>` +
    // closed park (closed-park.js): the vehicles inside and the special work going on
    ['cp_vehicles', 'cp_permits'].map((k) => `<label data-kind="${k}" class="cp-toggle"><input type="checkbox"${app.closedPark.on[k] ? ' checked' : ''}>
    <span data-i18n="kind.${k}">${t(`kind.${k}`)}</span> <span class="n">${app.closedPark.count(k)}</span></label>`).join('');
  el.addEventListener('change', (e) => {
    const l = e.target.closest('label');
    const cp = app.closedPark;
    if (l.dataset.kind === 'risk_units') app.risk.setVisible(e.target.checked);
    else if (l.dataset.kind.startsWith('cp_')) cp.setVisible(l.dataset.kind, e.target.checked);
    else {
      m.setVisible(l.dataset.kind, e.target.checked);
      cp.followLayers(); // the zones' headcounts and the cameras' events go with their layers
    }
    for (const x of el.querySelectorAll('label'))
      x.querySelector('.n').textContent = x.dataset.kind === 'risk_units' ? app.risk.count()
        : x.dataset.kind.startsWith('cp_') ? cp.count(x.dataset.kind) : m.drawn()[x.dataset.kind];
  });
  $('#layers .head').addEventListener('click', () => $('#layers').classList.toggle('collapsed'));
}

let detectorsReady = false;
let drawnMarked = false;
const pendingValues = [];

/** The detectors are on the map: their values (which came first) too. */
function detectorsDrawn() {
  detectorsReady = true;
  for (const msg of pendingValues.splice(0)) app.map.applyDetectorValues(msg);
  if (app.polls) markDrawn();
}

/** The frame after the one that drew every layer and the detectors' values. */
function markDrawn() {
  if (drawnMarked) return;
  drawnMarked = true;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    P.mark('map-drawn');
    document.body.dataset.ready = '1';
  }));
}

/** Starts the live worker; resolves with the detectors (its first poll). */
function startWorker() {
  const m = app.map;
  const w = new Worker(new URL('./live-worker.js', import.meta.url), { type: 'module' });
  app.worker = w;
  let layout;
  const got = new Promise((resolve) => (layout = resolve));
  w.onmessage = (e) => {
    const msg = e.data;
    if (msg.type === 'detector-layout') {
      P.mark('detectors-fetched');
      app.detectorFetch = { fetch_ms: Math.round(msg.fetch_ms), prep_ms: Math.round(msg.prep_ms) };
      layout(msg);
    } else if (msg.type === 'detectors') {
      app.polls++;
      app.lastPollMs = msg.ms;
      if (!detectorsReady) {
        pendingValues.push(msg); // the page is still drawing the other layers
        return;
      }
      if (app.mode === 'live') m.applyDetectorValues(msg);
      markDrawn();
    } else if (msg.type === 'alarms') {
      if (app.mode === 'live') m.applyFeatureAlarms(msg.kind, msg.codes);
    } else if (msg.type === 'weather') {
      if (app.mode === 'live') m.applyWeather(msg.features);
    } else if (msg.type === 'health') {
      app.health.update(msg);
    } else if (msg.type === 'unauthorized') {
      window.dispatchEvent(new Event('unauthorized'));
    } else if (msg.type === 'error') {
      app.lastPollError = msg.message;
    }
  };
  w.postMessage({ cmd: 'start', base: location.origin, token: app.api.token, poll_ms: app.config.poll_ms,
    slow_ms: app.config.slow_poll_ms, health_ms: app.config.health_poll_ms });
  return got;
}

function onSelect(f) {
  if (!f) {
    app.details.show(null);
    app.trend.hide();
    return;
  }
  if (f.kind === 'hazard_source' && app.views.view === 'risk' && app.views.data.risk) {
    const rf = app.views.data.risk.features.find((x) => x.properties.id === f.id);
    if (rf) {
      app.views.showSource(rf);
      return;
    }
  }
  const extra = f.kind === 'aq_station' && app.views.view === 'environment' ? app.views.showStation(f) : null;
  app.details.show(f, extra);
  app.showTab('details');
}

// ---- time: live or replay at T ----

let viewTimer = null;
let lastViewRefresh = 0;
app.setReplayTime = (T, playing) => {
  const wasLive = app.mode === 'live';
  app.mode = 'replay';
  app.at = T;
  if (wasLive) {
    app.worker.postMessage({ cmd: 'pause' });
    document.body.classList.add('replaying');
  }
  clearTimeout(viewTimer);
  const refresh = () => {
    lastViewRefresh = performance.now();
    app.views.refresh(true);
    app.details.refresh();
    app.trend.reload(true);
    if (app.closedPark) app.closedPark.setTime(T);
  };
  if (playing && performance.now() - lastViewRefresh < 5000) return;
  viewTimer = setTimeout(refresh, playing ? 0 : 300);
};

app.setLive = () => {
  if (app.mode === 'live') return;
  app.mode = 'live';
  app.at = null;
  clearTimeout(viewTimer);
  document.body.classList.remove('replaying');
  delete document.body.dataset.replayAt;
  app.alarmPanel.showReplay(null);
  app.worker.postMessage({ cmd: 'resume' });
  if (app.closedPark) app.closedPark.setTime(null);
  app.views.refresh(true);
  app.details.refresh();
  app.trend.reload(true);
};

// ---- alerts ----

// A burst of priority-1 alarms (a leak reaches several detectors) flashes,
// beeps and tells once: one toast counting them, one beep every 3 s at most.
let p1Toast = null;
// -Infinity, not 0: performance.now() counts from the page's load, and a
// leak in the first 3 s after a login would otherwise flash without a beep.
let lastBeep = -Infinity;
app.alertP1 = (a) => {
  app.p1Alerts++;
  const f = $('#flash');
  f.classList.remove('on');
  void f.offsetWidth; // restart the animation
  f.classList.add('on');
  if (app.config.sound && performance.now() - lastBeep > 3000) {
    lastBeep = performance.now();
    beep();
    app.beeps++;
  }
  // a closed-park, special-work or camera condition by its id and kind (E003-CAM-1 烟雾), not its series
  const name = conditionOf(a) ? seriesLabel(a.series) : (app.map.seriesToFeature.get(a.series) || { id: a.series }).id;
  if (p1Toast && p1Toast.isConnected) {
    p1Toast.names.add(name);
    p1Toast.textContent = `P1 × ${p1Toast.names.size}: ${[...p1Toast.names].slice(0, 4).join(', ')}${p1Toast.names.size > 4 ? ' …' : ''}`;
    clearTimeout(p1Toast.timer);
    p1Toast.timer = setTimeout(() => p1Toast.remove(), 8000);
  } else {
    p1Toast = app.toast(`P1 ${name}`, 'p1', 8000);
    p1Toast.names = new Set([name]);
  }
};

app.toast = (msg, cls = '', ms = 5000) => {
  const el = document.createElement('div');
  el.className = `toast ${cls}`;
  el.textContent = msg;
  $('#toasts').appendChild(el);
  el.timer = setTimeout(() => el.remove(), ms);
  return el;
};

// A toast is said in the language of its moment: the page switched, it
// goes (one language per page), rather than stay in the other one.
window.addEventListener('lang', () => {
  for (const el of [...$('#toasts').children]) {
    clearTimeout(el.timer);
    el.remove();
  }
  p1Toast = null;
});

boot();
