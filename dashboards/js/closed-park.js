// closed-park.js - closed-park management (封闭化管理) and special work
// (特殊作业) on the map and in the "封闭园区/Closed park" tab (issue 21;
// docs/closed-park.md, closedpark/closedpark.h, specialwork/specialwork.h,
// cameras/cameras.h):
//  - the map: the hazardous-goods vehicles inside (GET /vehicles every 2 s
//    and after alarm changes): a marker coloured by hazard class with its
//    heading, its last minutes of track, flagged ones ringed red, a popup
//    with plate, cargo, UN number, mass, enterprise, appointment, speed and
//    flags; each zone's headcount / max (over the limit red, GET /zones);
//    the vehicle park's occupancy / capacity (GET /vehicle-park); the
//    active and suspended permits (GET /permits/map) by category with a
//    popup; the cameras' last events (GET /cameras: fire and smoke red);
//  - the tab: the summary (GET /closedpark/summary), the gates' passages of
//    the last hour (flagged ones marked), the vehicle park, the zones'
//    headcounts (who is inside on a click), the active permits with their
//    conditions, the camera events with their snapshots (fetched with the
//    token, shown as object URLs; a click enlarges);
//  - replay at T: vehicles from GET /vehicles?at=T placed by their tracks
//    around T (the first 200), permits from GET /events/state?type=permit,
//    people in zones from GET /events/state?type=person, camera events and
//    passages up to T.
// What an enterprise token sees is what the API gives it.
import { L, escapeHtml } from './map.js';
import { t, fmtNum, fmtTime, alarmWord, featureName, errText, subst } from './i18n.js';

const LIVE_MS = 2000; // vehicles
const SLOW_MS = 5000; // zones, the vehicle park, permits, cameras, the summary, passages, camera events
const TRACK_BACK_MS = 10 * 60000; // replay: a vehicle's track before T
const REPLAY_VEHICLES = 200; // replay: tracks asked for at most
const RED = '#ff1744';
// GB 6944 classes, roughly their placards' colours
const CLASS_COLOURS = { 1: '#ff6f00', 2: '#43a047', 3: '#e53935', 4: '#d81b60', 5: '#fdd835', 6: '#eceff1',
  7: '#ffee58', 8: '#78909c', 9: '#8d6e63' };
const PERMIT_COLOURS = { hot_work: '#ff3d00', confined_space: '#aa00ff', blinding: '#00b8d4', work_at_height: '#2979ff',
  lifting: '#ffab00', temporary_power: '#ffd600', excavation: '#8d6e63', road_closure: '#ff6d00' };

const majorClass = (c) => {
  const m = String(c || '').match(/^([1-9])/);
  return m ? m[1] : '';
};
export const classColour = (c) => CLASS_COLOURS[majorClass(c)] || '#90a4ae';
const classText = (c) => (c ? `${majorClass(c) ? t(`hclass.${majorClass(c)}`) : ''}${String(c).includes('.') ? ` (${c})` : ''}` : t('hclass.none'));
const word = (group, v) => (v ? alarmWord(group, v) : '—');
const kg = (v) => (Number.isFinite(v) ? `${fmtNum(v, 0)} kg` : '—');
const dur = (s) => {
  if (!Number.isFinite(s)) return '—';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
};
// people's names are data (the page's language does not apply): marked so
const raw = (s) => `<span class="raw" translate="no">${escapeHtml(String(s))}</span>`;
const flagsText = (flags) => (Array.isArray(flags) && flags.length ? flags.map((f) => alarmWord('akind', f)).join('、') : '');

export class ClosedPark {
  constructor(el, app) {
    this.el = el;
    this.app = app;
    this.lmap = app.map.map;
    const pane = this.lmap.createPane('pw-cp');
    pane.style.zIndex = 450; // above the live canvas (440), under the markers (600)
    pane.style.pointerEvents = 'none'; // clicks reach the map but on the permits' and cameras' markers
    this.renderer = L.svg({ pane: 'pw-cp', padding: 0.5 });
    this.zoneGroup = L.layerGroup().addTo(this.lmap); // zones' outlines and headcounts, the vehicle park's occupancy
    this.permitGroup = L.layerGroup().addTo(this.lmap);
    this.cameraGroup = L.layerGroup().addTo(this.lmap);
    this.vehicleGroup = L.layerGroup().addTo(this.lmap);
    this.on = { cp_vehicles: true, cp_permits: true };
    this.vehicles = [];
    this.zones = null;
    this.vpark = null;
    this.permits = [];
    this.permitList = null;
    this.cameras = null;
    this.events = null;
    this.passages = null;
    this.summary = null;
    this.errors = {};
    this.openZone = null;
    this.snapUrls = new Map(); // sha256 -> object URL
    this.loads = 0;
    this.vehicleLoads = 0;
    this.popup = null;
    this.T = null; // replay time, null live
    this.gen = 0;
    el.innerHTML = '<div class="cp-head"></div><div class="cp-body"></div>';
    this.lmap.on('popupopen', (ev) => this._fillSnaps(ev.popup.getElement())); // a camera's snapshot in its popup
    el.addEventListener('click', (e) => this._click(e));
    window.addEventListener('lang', () => {
      this._drawAll();
      if (!this.el.hidden) this.render();
    });
    app.on('alarms', () => {
      // a condition raised or cleared: the vehicles' flags now, not in 2 s
      // (at most once a second: an alarm flood is not a flood of requests)
      if (this.T !== null || this._alarmTimer) return;
      const wait = Math.max(300, 1000 - (performance.now() - (this._alarmLoad || -Infinity)));
      this._alarmTimer = setTimeout(() => {
        this._alarmTimer = null;
        this._alarmLoad = performance.now();
        this.loadVehicles();
      }, wait);
    });
    this.loadVehicles();
    this.loadSlow();
    this.timer = setInterval(() => this.T === null && this.loadVehicles(), LIVE_MS);
    this.slowTimer = setInterval(() => this.T === null && this.loadSlow(), SLOW_MS);
  }

  show() {
    this.render();
    if (this.T === null) this.loadSlow();
  }

  count(kind) {
    if (!this.on[kind]) return 0;
    return kind === 'cp_vehicles' ? this.vehicles.filter((v) => v.ll).length : this.permits.length;
  }

  setVisible(kind, on) {
    this.on[kind] = on;
    const g = kind === 'cp_vehicles' ? this.vehicleGroup : this.permitGroup;
    if (on) g.addTo(this.lmap);
    else this.lmap.removeLayer(g);
  }

  /** Follows the map's zone and camera layers: their overlays go with them. */
  followLayers() {
    const m = this.app.map;
    for (const [g, kind] of [[this.zoneGroup, 'zone'], [this.cameraGroup, 'camera']]) {
      const on = m.visible[kind] !== false;
      if (on && !this.lmap.hasLayer(g)) g.addTo(this.lmap);
      if (!on && this.lmap.hasLayer(g)) this.lmap.removeLayer(g);
    }
  }

  // ---- time ----

  /** Replay at T (null: live again). */
  setTime(T) {
    this.T = T;
    this.gen++;
    if (T === null) {
      this.loadVehicles();
      this.loadSlow();
    } else this.loadAt(T);
  }

  // ---- loading ----

  async loadVehicles() {
    const gen = this.gen;
    const seq = (this.vseq = (this.vseq || 0) + 1);
    try {
      const fc = await this.app.api.get('vehicles');
      // an answer overtaken by a later one (the poll and an alarm's reload) is dropped
      if (gen !== this.gen || this.T !== null || seq < (this.vdone || 0)) return;
      this.vdone = seq;
      this.vehicles = (fc.features || []).map((f) => this._vehicle(f.properties || {}, f.geometry, (f.properties || {}).track));
      this.errors.vehicles = null;
    } catch (err) {
      this.errors.vehicles = err;
    }
    this.vehicleLoads++;
    this._drawVehicles();
    this._counts();
    this.el.dataset.vehicleLoads = String(this.vehicleLoads);
  }

  async loadSlow() {
    const gen = this.gen;
    const api = this.app.api;
    const now = Date.now();
    const [s, z, vp, pm, pl, cams, ev, ps] = await Promise.allSettled([
      api.get('closedpark/summary'), api.get('zones'), api.get('vehicle-park'), api.get('permits/map'),
      api.get('permits', { state: 'active' }), api.get('cameras'),
      api.get('camera-events', { from: now - 3600e3, to: now + 60e3, limit: 200 }),
      api.get('gates/passages', { from: now - 3600e3, to: now + 60e3, limit: 500 })]);
    if (gen !== this.gen || this.T !== null) return;
    const take = (r, key, fn) => {
      if (r.status === 'fulfilled') {
        this[key] = fn(r.value);
        this.errors[key] = null;
      } else {
        this.errors[key] = r.reason;
      }
    };
    take(s, 'summary', (v) => v);
    take(z, 'zones', (v) => v.zones || []);
    take(vp, 'vpark', (v) => v);
    take(pm, 'permits', (v) => (v.features || []).filter((f) => f && f.geometry).map((f) => ({ geometry: f.geometry, p: f.properties || {} })));
    take(pl, 'permitList', (v) => v.permits || []);
    take(cams, 'cameras', (v) => v.cameras || []);
    take(ev, 'events', (v) => (v.events || []).slice().sort((a, b) => b.ts_ms - a.ts_ms));
    take(ps, 'passages', (v) => (v.passages || []).slice().sort((a, b) => b.ts - a.ts));
    this.loads++;
    this._drawAll();
    this._counts();
    if (!this.el.hidden) this.render();
    this.el.dataset.loaded = String(this.loads);
  }

  /** The state at T from the stored events and the historian. */
  async loadAt(T) {
    const gen = this.gen;
    const api = this.app.api;
    const [vs, pst, people, ev, ps] = await Promise.allSettled([
      api.get('vehicles', { at: T }), api.get('events/state', { type: 'permit', at: T }),
      api.get('events/state', { type: 'person', at: T }),
      api.get('camera-events', { from: T - 3600e3, to: T + 1, limit: 200 }),
      api.get('gates/passages', { from: T - 3600e3, to: T + 1, limit: 500 })]);
    if (gen !== this.gen) return;
    // vehicles: presences at T, each placed by its track up to T
    let list = [];
    if (vs.status === 'fulfilled') {
      list = (vs.value.features || []).map((f) => f.properties || {}).filter((p) => p.plate && p.inside !== false);
      this.errors.vehicles = null;
    } else this.errors.vehicles = vs.reason;
    const inView = this.lmap.getBounds();
    const tracks = new Map();
    const want = list.slice(0, REPLAY_VEHICLES);
    for (let i = 0; i < want.length; i += 8) {
      const part = await Promise.allSettled(want.slice(i, i + 8).map((p) =>
        api.get(`vehicles/${encodeURIComponent(p.plate)}/track`, { from: T - TRACK_BACK_MS, to: T + 1 })));
      if (gen !== this.gen) return;
      part.forEach((r, k) => r.status === 'fulfilled' && tracks.set(want[i + k].plate, r.value.points || []));
    }
    this.vehicles = list.map((p) => {
      const tr = (tracks.get(p.plate) || []).filter((x) => x[2] <= T);
      const last = tr[tr.length - 1];
      return this._vehicle({ ...p, speed: last && last[3] }, last ? { type: 'Point', coordinates: [last[0], last[1]] } : null, tr);
    });
    this.replayInView = this.vehicles.filter((v) => v.ll && inView.contains(v.ll)).length;
    // permits active or suspended at T
    if (pst.status === 'fulfilled') {
      this.permitList = (pst.value.entities || []).map((e) => e.body).filter((b) => b && (b.state === 'active' || b.state === 'suspended'));
      this.permits = this.permitList.filter((b) => b.location).map((b) => ({ geometry: b.location, p: b }));
      this.errors.permits = null;
    } else this.errors.permits = pst.reason;
    // people in zones at T: each person's last state lists their zones
    if (people.status === 'fulfilled' && this.zones) {
      const by = new Map();
      for (const e of people.value.entities || []) {
        const b = e.body || {};
        for (const z of b.zones || []) {
          if (!by.has(z.zone)) by.set(z.zone, []);
          by.get(z.zone).push({ person: b.person || String(e.entity).replace(/^person:/, ''), name: b.name, since: z.since });
        }
      }
      this.zones = this.zones.map((z) => {
        const ppl = by.get(z.id) || [];
        return { ...z, count: ppl.length, people: ppl, over: Number.isFinite(z.max_people) && ppl.length > z.max_people };
      });
    }
    if (ev.status === 'fulfilled') {
      this.events = (ev.value.events || []).slice().sort((a, b) => b.ts_ms - a.ts_ms);
      if (this.cameras) {
        const last = new Map();
        for (const e of this.events) if (!last.has(e.camera)) last.set(e.camera, e);
        this.cameras = this.cameras.map((c) => ({ ...c, last_event: last.get(c.id) || null }));
      }
    }
    if (ps.status === 'fulfilled') this.passages = (ps.value.passages || []).slice().sort((a, b) => b.ts - a.ts);
    this.summary = this._summaryOf(this.vehicles);
    this.vpark = null;
    this.vehicleLoads++;
    this.loads++;
    this._drawAll();
    this._drawVehicles();
    this._counts();
    if (!this.el.hidden) this.render();
    this.el.dataset.vehicleLoads = String(this.vehicleLoads);
    this.el.dataset.loaded = String(this.loads);
    this.el.dataset.at = String(T);
  }

  _vehicle(p, geometry, track) {
    const c = geometry && geometry.type === 'Point' ? geometry.coordinates : null;
    return { p, ll: c && Number.isFinite(c[0]) && Number.isFinite(c[1]) ? L.latLng(c[1], c[0]) : null,
      track: Array.isArray(track) ? track.filter((x) => Array.isArray(x) && Number.isFinite(x[0]) && Number.isFinite(x[1])) : [] };
  }

  _summaryOf(vehicles) {
    const s = { inside: vehicles.length, by_hazard_class: {}, by_enterprise: {}, goods_kg: {}, flagged: 0, passages_today: null };
    for (const { p } of vehicles) {
      const c = p.hazard_class || '';
      s.by_hazard_class[c] = (s.by_hazard_class[c] || 0) + 1;
      if (p.enterprise) s.by_enterprise[p.enterprise] = (s.by_enterprise[p.enterprise] || 0) + 1;
      if (Number.isFinite(p.mass_kg)) s.goods_kg[c] = (s.goods_kg[c] || 0) + p.mass_kg;
      if (Array.isArray(p.flags) && p.flags.length) s.flagged++;
    }
    return s;
  }

  // ---- the map ----

  _drawAll() {
    this._drawZones();
    this._drawPermits();
    this._drawCameras();
    this.followLayers();
  }

  _drawVehicles() {
    this.vehicleGroup.clearLayers();
    for (const v of this.vehicles) {
      const p = v.p;
      const flagged = Array.isArray(p.flags) && p.flags.length > 0;
      if (v.track.length > 1) {
        const line = L.polyline(v.track.map((x) => [x[1], x[0]]), { pane: 'pw-cp', renderer: this.renderer, interactive: false,
          color: flagged ? RED : classColour(p.hazard_class), weight: 2.5, opacity: 0.75, className: 'cp-track' });
        this.vehicleGroup.addLayer(line);
        const el = line.getElement && line.getElement();
        if (el) el.dataset.plate = p.plate;
      }
      if (!v.ll) continue;
      const heading = Number.isFinite(p.heading) ? p.heading : null;
      const icon = L.divIcon({ className: `cp-veh${flagged ? ' flagged' : ''}`, iconSize: [22, 22], iconAnchor: [11, 11],
        html: `<span class="dot" data-plate="${escapeHtml(p.plate)}" style="background:${classColour(p.hazard_class)}">${escapeHtml(majorClass(p.hazard_class))}</span>${
          heading !== null ? `<i class="arrow" style="transform:rotate(${heading - 90}deg)">➤</i>` : ''}` });
      const m = L.marker(v.ll, { icon, keyboard: false, riseOnHover: true, zIndexOffset: flagged ? 500 : 0 });
      m.on('click', () => this._popup(v.ll, this._vehicleHtml(p)));
      v.marker = m;
      this.vehicleGroup.addLayer(m);
    }
  }

  _vehicleHtml(p) {
    const rows = [
      [t('cp.cargo'), p.cargo ? subst(p.cargo) : '—'], [t('cp.class'), classText(p.hazard_class)], [t('cp.un'), p.un_number || '—'],
      [t('cp.mass'), kg(p.mass_kg)], [t('cp.enterprise'), p.enterprise ? this.app.entName(p.enterprise) : '—'],
      [t('cp.appointment'), p.appointment || '—'], [t('cp.speed'), Number.isFinite(p.speed) ? `${fmtNum(p.speed, 0)} km/h` : '—'],
      [t('cp.flags'), flagsText(p.flags) || t('cp.none')]];
    return `<div class="cp-pop veh" data-plate="${escapeHtml(p.plate)}"><b>${escapeHtml(p.plate)}</b>${p.in_vehicle_park ? ` <small>${escapeHtml(t('cp.in_vpark'))}</small>` : ''}
      <table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('')}</table></div>`;
  }

  _popup(ll, html) {
    // clear of the layer list in the map's top left corner
    const box = document.querySelector('#layers');
    const left = box && !box.classList.contains('collapsed') ? box.getBoundingClientRect().width + 24 : 20;
    this.popup = L.popup({ className: 'cp-popup', maxWidth: 340, autoPanPaddingTopLeft: [left, 20], autoPanPaddingBottomRight: [20, 20] })
      .setLatLng(ll).setContent(html).openOn(this.lmap);
  }

  _drawZones() {
    this.zoneGroup.clearLayers();
    const m = this.app.map;
    for (const z of this.zones || []) {
      const f = m.features.get(z.id);
      if (!f || !f.geometry) continue;
      const over = !!z.over;
      const style = { pane: 'pw-cp', renderer: this.renderer, interactive: false, color: over ? RED : '#b0bec5',
        weight: over ? 3 : 1, opacity: over ? 1 : 0.6, fillColor: over ? RED : '#b0bec5', fillOpacity: over ? 0.3 : 0,
        className: `cp-zone${over ? ' over' : ''}` };
      const layer = L.geoJSON({ type: 'Feature', geometry: f.geometry, properties: {} }, { ...style, style: () => style });
      this.zoneGroup.addLayer(layer);
      layer.eachLayer((x) => {
        const el = x.getElement && x.getElement();
        if (el) {
          el.dataset.zone = z.id;
          el.dataset.over = over ? '1' : '0';
        }
      });
      const c = layer.getBounds().getCenter();
      const max = Number.isFinite(z.max_people) ? z.max_people : '—';
      this.zoneGroup.addLayer(L.marker(c, { interactive: false, keyboard: false,
        icon: L.divIcon({ className: `cp-count${over ? ' over' : ''}`, iconSize: null,
          html: `<span data-zone="${escapeHtml(z.id)}">${fmtNum(z.count || 0, 0)}/${max}</span>` }) }));
    }
    for (const vp of (this.vpark && this.vpark.parks) || []) {
      const f = m.features.get(vp.id);
      if (!f || !f.geometry) continue;
      const b = L.geoJSON({ type: 'Feature', geometry: f.geometry, properties: {} }).getBounds();
      const full = Number.isFinite(vp.capacity) && vp.occupancy >= vp.capacity;
      this.zoneGroup.addLayer(L.marker(b.getCenter(), { interactive: false, keyboard: false,
        icon: L.divIcon({ className: `cp-count vpark${full ? ' over' : ''}`, iconSize: null,
          html: `<span data-vpark="${escapeHtml(vp.id)}">P ${fmtNum(vp.occupancy || 0, 0)}/${Number.isFinite(vp.capacity) ? vp.capacity : '—'}</span>` }) }));
    }
  }

  _drawPermits() {
    this.permitGroup.clearLayers();
    for (const u of this.permits) {
      const p = u.p;
      const colour = PERMIT_COLOURS[p.category] || '#ffffff';
      const alarmed = Array.isArray(p.conditions) && p.conditions.length > 0;
      const g = u.geometry;
      let at;
      if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
        const layer = L.geoJSON({ type: 'Feature', geometry: g, properties: {} }, {
          style: () => ({ pane: 'pw-cp', renderer: this.renderer, interactive: false, color: colour, weight: 2, dashArray: '6 4',
            fillColor: colour, fillOpacity: 0.15, className: 'cp-permit-area' }) });
        this.permitGroup.addLayer(layer);
        at = layer.getBounds().getCenter();
      } else if (g.type === 'Point') at = L.latLng(g.coordinates[1], g.coordinates[0]);
      if (!at) continue;
      const mk = L.circleMarker(at, { pane: 'pw-cp', renderer: this.renderer, radius: 8, color: alarmed ? RED : '#ffffff',
        weight: alarmed ? 3 : 1.5, fillColor: colour, fillOpacity: p.state === 'suspended' ? 0.35 : 0.9, className: 'cp-permit' });
      mk.on('click', () => this._popup(at, this._permitHtml(p)));
      this.permitGroup.addLayer(mk);
      const el = mk.getElement && mk.getElement();
      if (el) {
        el.dataset.permit = p.id;
        el.dataset.category = p.category || '';
      }
    }
  }

  _permitHtml(p) {
    const rows = [
      [t('cp.category'), word('pcat', p.category)], [t('cp.grade'), p.grade || '—'], [t('cp.state'), word('pstate', p.state)],
      [t('cp.enterprise'), p.enterprise ? this.app.entName(p.enterprise) : '—'],
      [t('cp.window'), `${fmtTime(p.window_from_ms, true)} – ${fmtTime(p.window_to_ms, true)}`],
      [t('cp.conditions'), flagsText(p.conditions) || t('cp.none')]];
    const people = [[t('cp.leader'), p.leader], [t('cp.guardian'), p.guardian]];
    return `<div class="cp-pop permit" data-permit="${escapeHtml(p.id)}"><b>${escapeHtml(p.id)}</b>
      <table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`).join('')}
      ${people.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v ? raw(v) : '—'}</td></tr>`).join('')}</table></div>`;
  }

  _drawCameras() {
    this.cameraGroup.clearLayers();
    for (const c of this.cameras || []) {
      const e = c.last_event;
      if (!e || !Number.isFinite(c.lat) || !Number.isFinite(c.lon)) continue;
      const hot = e.event === 'fire' || e.event === 'smoke';
      const active = Array.isArray(c.active) && c.active.length > 0;
      const at = L.latLng(c.lat, c.lon);
      const mk = L.circleMarker(at, { pane: 'pw-cp', renderer: this.renderer, radius: hot ? 9 : 7, color: '#ffffff', weight: 1.5,
        fillColor: hot ? RED : active ? '#ffab00' : '#4dd0e1', fillOpacity: 0.95, className: `cp-cam${hot ? ' hot' : ''}` });
      mk.on('click', () => this._popup(at, `<div class="cp-pop cam" data-camera="${escapeHtml(c.id)}"><b>${escapeHtml(c.id)}</b>
        <div>${escapeHtml(t('cp.last_event'))}: ${escapeHtml(alarmWord('akind', e.event))} · ${fmtTime(e.ts_ms, true)}</div>
        ${e.snapshot && e.snapshot.sha256 ? `<img class="cp-snap" data-sha="${escapeHtml(e.snapshot.sha256)}" alt="">` : ''}</div>`));
      this.cameraGroup.addLayer(mk);
      const el = mk.getElement && mk.getElement();
      if (el) {
        el.dataset.camera = c.id;
        el.dataset.event = e.event;
      }
    }
  }

  _counts() {
    for (const k of ['cp_vehicles', 'cp_permits']) {
      const n = document.querySelector(`#layers label[data-kind="${k}"] .n`);
      if (n) n.textContent = String(this.count(k));
    }
  }

  // ---- snapshots ----

  async _snap(sha) {
    if (this.snapUrls.has(sha)) return this.snapUrls.get(sha);
    const p = (async () => {
      const r = await fetch(`${this.app.api.base || ''}/api/v1/camera-events/snapshots/${encodeURIComponent(sha)}`,
        { headers: { Authorization: `Bearer ${this.app.api.token}` } });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return URL.createObjectURL(await r.blob());
    })();
    this.snapUrls.set(sha, p);
    p.catch(() => this.snapUrls.delete(sha));
    return p;
  }

  _fillSnaps(root) {
    if (!root) return;
    for (const img of root.querySelectorAll('img.cp-snap[data-sha]:not([src])'))
      this._snap(img.dataset.sha).then((u) => {
        img.src = u;
        img.dataset.shown = '1';
      }).catch(() => img.classList.add('bad'));
  }

  // ---- the tab ----

  render() {
    const replay = this.T !== null;
    this.el.querySelector('.cp-head').innerHTML = `<h3>${escapeHtml(t('tab.closedpark'))}</h3>${
      replay ? `<p class="hint replay">${escapeHtml(t('cp.replay_note'))} · ${fmtTime(this.T, true)}</p>` : ''}`;
    const body = this.el.querySelector('.cp-body');
    body.innerHTML = [this._summaryHtml(), this._passagesHtml(), this._vparkHtml(), this._zonesHtml(), this._permitsHtml(),
      this._eventsHtml()].join('');
    this._fillSnaps(body);
  }

  /** A zone's or the vehicle park's name: the layout's (name_zh and name), else the API's. */
  _name(x, kind) {
    const f = this.app.map.features.get(x.id);
    return featureName(f ? { ...x, ...f.props } : x, kind);
  }

  _err(key) {
    const e = this.errors[key];
    if (!e) return '';
    return `<p class="bad">${escapeHtml(e.status === 404 || e.status === 503 ? t('cp.unavailable') : `${t('error')}: ${errText(e)}`)}</p>`;
  }

  _summaryHtml() {
    const s = this.summary;
    if (!s) return `<section class="cp-summary"><h4>${escapeHtml(t('cp.summary'))}</h4>${this._err('summary')}</section>`;
    const list = (o, fn) => Object.entries(o || {}).sort((a, b) => b[1] - a[1]).map(([k, n]) => `<span class="cp-chip">${fn(k)} <b>${escapeHtml(String(n))}</b></span>`).join('') || `<span class="hint">${escapeHtml(t('cp.none'))}</span>`;
    const cls = (k) => `<i class="sw" style="background:${classColour(k)}"></i>${escapeHtml(classText(k))}`;
    const pt = s.passages_today;
    return `<section class="cp-summary"><h4>${escapeHtml(t('cp.summary'))}</h4>
      <div class="kpis"><div><span>${escapeHtml(t('cp.inside'))}</span><b class="inside">${fmtNum(s.inside || 0, 0)}</b></div>
      <div><span>${escapeHtml(t('cp.flagged'))}</span><b class="flagged${s.flagged ? ' bad' : ''}">${fmtNum(s.flagged || 0, 0)}</b></div>
      <div><span>${escapeHtml(t('cp.passages_today'))}</span><b>${pt ? `${escapeHtml(t('dir.in'))} ${fmtNum(pt.in || 0, 0)} · ${escapeHtml(t('dir.out'))} ${fmtNum(pt.out || 0, 0)}` : '—'}</b></div></div>
      <div class="row"><span class="lbl">${escapeHtml(t('cp.by_class'))}</span>${list(s.by_hazard_class, cls)}</div>
      <div class="row"><span class="lbl">${escapeHtml(t('cp.by_enterprise'))}</span>${list(s.by_enterprise, (k) => escapeHtml(this.app.entName(k)))}</div>
      <div class="row"><span class="lbl">${escapeHtml(t('cp.goods'))}</span>${Object.entries(s.goods_kg || {}).map(([k, v]) => `<span class="cp-chip">${cls(k)} <b>${kg(v)}</b></span>`).join('') || `<span class="hint">${escapeHtml(t('cp.none'))}</span>`}</div></section>`;
  }

  _passagesHtml() {
    const list = this.passages;
    const title = this.T !== null ? t('cp.passages_at') : t('cp.passages');
    if (!list) return `<section class="cp-passages"><h4>${escapeHtml(title)}</h4>${this._err('passages')}</section>`;
    const rows = list.slice(0, 100).map((x) => {
      const c = x.check || {};
      const bad = [c.no_appointment && 'no_appointment', c.cargo_mismatch && 'cargo_mismatch'].filter(Boolean);
      return `<tr class="${bad.length ? 'flagged' : ''}" data-plate="${escapeHtml(x.plate || '')}"><td>${fmtTime(x.ts)}</td><td>${escapeHtml(x.gate || '')}</td>
        <td><b>${escapeHtml(x.plate || '')}</b></td><td>${escapeHtml(t(`dir.${x.direction === 'out' ? 'out' : 'in'}`))}</td>
        <td><i class="sw" style="background:${classColour(x.hazard_class)}"></i>${escapeHtml(x.hazard_class || '—')}</td><td>${escapeHtml(x.cargo ? subst(x.cargo) : '—')}</td>
        <td>${bad.length ? `<span class="flag">${escapeHtml(bad.map((k) => alarmWord('akind', k)).join('、'))}</span>` : escapeHtml(t('cp.check_ok'))}</td></tr>`;
    }).join('');
    return `<section class="cp-passages"><h4>${escapeHtml(title)} <small>${fmtNum(list.length, 0)}</small></h4>${this._err('passages')}
      ${list.length ? `<table class="cp-table passages"><tr><th>${escapeHtml(t('cp.time'))}</th><th>${escapeHtml(t('cp.gate'))}</th><th>${escapeHtml(t('cp.plate'))}</th>
      <th>${escapeHtml(t('cp.direction'))}</th><th>${escapeHtml(t('cp.class'))}</th><th>${escapeHtml(t('cp.cargo'))}</th><th>${escapeHtml(t('cp.check'))}</th></tr>${rows}</table>`
    : `<p class="hint">${escapeHtml(t('cp.none'))}</p>`}</section>`;
  }

  _vparkHtml() {
    if (this.T !== null) return '';
    const v = this.vpark;
    if (!v) return `<section class="cp-vpark"><h4>${escapeHtml(t('cp.vpark'))}</h4>${this._err('vpark')}</section>`;
    return `<section class="cp-vpark"><h4>${escapeHtml(t('cp.vpark'))}</h4>${(v.parks || []).map((p) => `
      <div class="vp" data-vpark="${escapeHtml(p.id)}"><b>${escapeHtml(this._name(p, 'vehicle_park'))}</b> · ${escapeHtml(t('cp.occupancy'))}
      <b class="occ">${fmtNum(p.occupancy || 0, 0)}/${Number.isFinite(p.capacity) ? p.capacity : '—'}</b>
      ${Object.entries(p.by_hazard_class || {}).map(([k, n]) => `<span class="cp-chip"><i class="sw" style="background:${classColour(k)}"></i>${escapeHtml(classText(k))} <b>${n}</b></span>`).join('')}
      ${(p.vehicles || []).length ? `<table class="cp-table"><tr><th>${escapeHtml(t('cp.plate'))}</th><th>${escapeHtml(t('cp.class'))}</th><th>${escapeHtml(t('cp.enterprise'))}</th><th>${escapeHtml(t('cp.dwell'))}</th></tr>
      ${p.vehicles.map((x) => `<tr><td>${escapeHtml(x.plate)}</td><td>${escapeHtml(x.hazard_class || '—')}</td><td>${escapeHtml(x.enterprise ? this.app.entName(x.enterprise) : '—')}</td><td>${dur(x.dwell_s)}</td></tr>`).join('')}</table>` : ''}</div>`).join('')}</section>`;
  }

  _zonesHtml() {
    const zs = this.zones;
    if (!zs) return `<section class="cp-zones"><h4>${escapeHtml(t('cp.zones'))}</h4>${this._err('zones')}</section>`;
    const sorted = zs.slice().sort((a, b) => (b.over ? 1 : 0) - (a.over ? 1 : 0) || (b.count || 0) - (a.count || 0) || a.id.localeCompare(b.id));
    return `<section class="cp-zones"><h4>${escapeHtml(t('cp.zones'))}</h4><table class="cp-table zones">
      <tr><th>${escapeHtml(t('kind.zone'))}</th><th>${escapeHtml(t('prop.zone_type'))}</th><th>${escapeHtml(t('cp.count'))}</th></tr>
      ${sorted.map((z) => `<tr class="zone${z.over ? ' over' : ''}" data-zone="${escapeHtml(z.id)}"><td><b>${escapeHtml(this._name(z, 'zone'))}</b> <small>${escapeHtml(z.id)}</small></td>
        <td>${escapeHtml(word('ztype', z.zone_type))}</td><td class="n">${fmtNum(z.count || 0, 0)}/${Number.isFinite(z.max_people) ? z.max_people : '—'}</td></tr>
        ${this.openZone === z.id ? `<tr class="people"><td colspan="3">${(z.people || []).length ? (z.people || []).map((x) => `<span class="cp-chip">${raw(x.name || x.person)} <small>${escapeHtml(x.person)} · ${fmtTime(x.since)}</small></span>`).join('') : escapeHtml(t('cp.none'))}</td></tr>` : ''}`).join('')}
      </table></section>`;
  }

  _permitsHtml() {
    const list = this.permitList || this.permits.map((u) => u.p);
    return `<section class="cp-permits"><h4>${escapeHtml(t('cp.permits'))} <small>${fmtNum(list.length, 0)}</small></h4>${this._err('permits')}
      ${list.length ? `<table class="cp-table permits"><tr><th>${escapeHtml(t('cp.permit'))}</th><th>${escapeHtml(t('cp.category'))}</th><th>${escapeHtml(t('cp.window'))}</th>
      <th>${escapeHtml(t('cp.leader'))}</th><th>${escapeHtml(t('cp.conditions'))}</th></tr>
      ${list.map((p) => `<tr data-permit="${escapeHtml(p.id)}" class="${(p.conditions || []).length ? 'flagged' : ''}"><td><b>${escapeHtml(p.id)}</b><br><small>${escapeHtml(word('pstate', p.state))}</small></td>
        <td><i class="sw" style="background:${PERMIT_COLOURS[p.category] || '#fff'}"></i>${escapeHtml(word('pcat', p.category))}${p.grade ? ` · ${escapeHtml(String(p.grade))}` : ''}</td>
        <td>${fmtTime(p.window_from_ms, true)}<br>${fmtTime(p.window_to_ms, true)}</td><td>${p.leader ? raw(p.leader) : '—'}</td>
        <td>${(p.conditions || []).length ? `<span class="flag">${escapeHtml(flagsText(p.conditions))}</span>` : escapeHtml(t('cp.none'))}</td></tr>`).join('')}</table>`
    : `<p class="hint">${escapeHtml(t('cp.none'))}</p>`}</section>`;
  }

  _eventsHtml() {
    const ev = this.events;
    if (!ev) return `<section class="cp-events"><h4>${escapeHtml(t('cp.cameras'))}</h4>${this._err('events')}</section>`;
    return `<section class="cp-events"><h4>${escapeHtml(t('cp.cameras'))} <small>${fmtNum(ev.length, 0)}</small></h4>
      ${ev.length ? `<div class="cp-event-list">${ev.slice(0, 40).map((e) => `<div class="cp-event${e.event === 'fire' || e.event === 'smoke' ? ' hot' : ''}" data-seq="${e.seq}" data-camera="${escapeHtml(e.camera)}">
        ${e.snapshot && e.snapshot.sha256 ? `<img class="cp-snap" data-sha="${escapeHtml(e.snapshot.sha256)}" alt="${escapeHtml(t('cp.snapshot'))}">` : '<span class="nosnap"></span>'}
        <div><b>${escapeHtml(alarmWord('akind', e.event))}</b>${e.clear ? ' ✓' : ''}<br><small>${escapeHtml(e.camera)} · ${fmtTime(e.ts_ms)}${Number.isFinite(e.confidence) ? ` · ${fmtNum(e.confidence * 100, 0)}%` : ''}</small></div></div>`).join('')}</div>`
    : `<p class="hint">${escapeHtml(t('cp.none'))}</p>`}</section>`;
  }

  _click(e) {
    const img = e.target.closest('img.cp-snap[src]');
    if (img) {
      this._lightbox(img.src);
      return;
    }
    const z = e.target.closest('tr.zone[data-zone]');
    if (z) {
      this.openZone = this.openZone === z.dataset.zone ? null : z.dataset.zone;
      this.render();
      // to the zone on the map (not selected: that would open the details tab)
      const f = this.app.map.features.get(z.dataset.zone);
      if (f && f.geometry) this.lmap.panTo(L.geoJSON(f.geometry).getBounds().getCenter());
      return;
    }
    const v = e.target.closest('tr[data-plate]');
    if (v) {
      const x = this.vehicles.find((y) => y.p.plate === v.dataset.plate);
      if (x && x.ll) {
        this.lmap.setView(x.ll, Math.max(this.lmap.getZoom(), 17));
        this._popup(x.ll, this._vehicleHtml(x.p));
      }
      return;
    }
    const p = e.target.closest('tr[data-permit]');
    if (p) {
      const u = this.permits.find((y) => y.p.id === p.dataset.permit);
      if (u) {
        const g = u.geometry;
        const ll = g.type === 'Point' ? L.latLng(g.coordinates[1], g.coordinates[0]) : L.geoJSON(g).getBounds().getCenter();
        this.lmap.setView(ll, Math.max(this.lmap.getZoom(), 17));
        this._popup(ll, this._permitHtml(u.p));
      }
    }
  }

  /** To a condition's vehicle or permit (its popup), zone or camera; false when not known here. */
  focusCondition(c) {
    if (c.what === 'vehicles') {
      const v = this.vehicles.find((x) => x.p.plate === c.id);
      if (!v || !v.ll) return false;
      this.lmap.setView(v.ll, Math.max(this.lmap.getZoom(), 17));
      this._popup(v.ll, this._vehicleHtml(v.p));
      return true;
    }
    if (c.what === 'permits') {
      const u = this.permits.find((x) => x.p.id === c.id);
      if (!u) return false;
      const g = u.geometry;
      const ll = g.type === 'Point' ? L.latLng(g.coordinates[1], g.coordinates[0]) : L.geoJSON(g).getBounds().getCenter();
      this.lmap.setView(ll, Math.max(this.lmap.getZoom(), 17));
      this._popup(ll, this._permitHtml(u.p));
      return true;
    }
    const f = this.app.map.features.get(c.id);
    if (!f) return false;
    this.app.map.focus(f);
    this.app.map.select(f);
    return true;
  }

  _lightbox(src) {
    let box = document.querySelector('#cp-lightbox');
    if (!box) {
      box = document.createElement('div');
      box.id = 'cp-lightbox';
      box.addEventListener('click', () => (box.hidden = true));
      document.body.appendChild(box);
    }
    box.innerHTML = `<img src="${escapeHtml(src)}" alt=""><button type="button" class="close">${escapeHtml(t('cp.close'))}</button>`;
    box.hidden = false;
  }
}
