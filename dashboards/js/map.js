// map.js - the one map: the park's own layout as the base map (no tiles
// unless config.json names a tile server), every feature kind as a layer
// that can be toggled, features coloured by their live state (gas
// detectors by reading and alarm, tanks and pipelines by alarm), clicks
// picked by hand, and overlay groups the views draw into.
//
// The thousands of features are drawn on two canvases by batched sets
// (canvas.js): a static one (plots, roads, buildings, hazard sources, the
// views' fills and field, pipelines, tanks) and a live one (gas detectors,
// selection and verdict rings); the few stations, gates, shelters and fire
// stations are DOM markers, as are the views' labels.
import * as L from '../vendor/leaflet/leaflet-src.esm.js';
import { CanvasHost, PointSet, RingSet, ShapeSet, ringsOf } from './canvas.js';
import { t, featureName } from './i18n.js';

// Drawing order, bottom to top; the toggles list them in this order too.
export const KINDS = ['enterprise', 'road', 'building', 'hazard_source', 'zone', 'vehicle_park', 'camera',
  'pipeline', 'tank', 'gas_detector', 'aq_station', 'weather_station', 'gate', 'shelter', 'fire_station',
  'resource', 'sensitive_target'];
// zones, the vehicle park and the cameras' view cones (issue 21) are static shapes too
const BASE_KINDS = ['enterprise', 'road', 'building', 'hazard_source', 'zone', 'vehicle_park', 'camera'];
// the response's resources and the sensitive targets around the park (issue 22) are markers too
const DOM_KINDS = new Set(['aq_station', 'weather_station', 'gate', 'shelter', 'fire_station', 'resource', 'sensitive_target']);

export const PRIO_COLOURS = { 1: '#ff1744', 2: '#ff6d00', 3: '#ffd600', 4: '#00b0ff' };
const STATES = ['unack', 'acked', 'rtn_unack'];

/** An annunciated alarm as one small number: 0 none, else (priority - 1) * 3 + 1 + state. */
export function alarmCode(priority, state) {
  const s = STATES.indexOf(state);
  return s < 0 || !(priority >= 1 && priority <= 4) ? 0 : (priority - 1) * 3 + 1 + s;
}
export function decodeAlarm(code) {
  if (!code) return null;
  return { priority: Math.floor((code - 1) / 3) + 1, state: STATES[(code - 1) % 3] };
}
/** Smaller is more urgent: priority first, then unack, rtn_unack, acked. */
function urgency(code) {
  if (!code) return 1e9;
  const a = decodeAlarm(code);
  return a.priority * 10 + { unack: 0, rtn_unack: 1, acked: 2 }[a.state];
}
/** Shelved, suppressed and out-of-service alarms are not annunciated on the map. */
export function annunciated(a) {
  return a.state !== 'normal' && !a.shelved && !a.suppressed && !a.out_of_service;
}

/** The alarm styles of a points palette: one per priority and state (code 1..12 in order). */
function alarmStyles(grow) {
  const p = [];
  for (let pr = 1; pr <= 4; pr++)
    for (const st of STATES)
      p.push({
        name: `p${pr}-${st}`,
        fill: PRIO_COLOURS[pr],
        stroke: st === 'rtn_unack' ? PRIO_COLOURS[pr] : '#ffffff',
        width: st === 'rtn_unack' ? 2.5 : 1.5,
        grow,
        hollow: st === 'rtn_unack',
        flash: st !== 'acked',
        order: 100 - pr * 10 + (st === 'unack' ? 2 : st === 'rtn_unack' ? 1 : 0),
      });
  return p;
}

// The detectors' palette: reading bands, then the alarm styles (DET.ALARM + code).
export const DET = { NODATA: 0, FAULT: 1, LOW: 2, MID: 3, NEAR: 4, OVER: 5, ALARM: 5 };
const DETECTOR_PALETTE = [
  { name: 'nodata', fill: '#546e7a', opacity: 0.85, order: 0 },
  { name: 'fault', fill: '#b388ff', stroke: '#ede7f6', width: 1, order: 5 },
  { name: 'low', fill: '#2e7d32', opacity: 0.95, order: 1 },
  { name: 'mid', fill: '#9ccc65', order: 2 },
  { name: 'near', fill: '#ffee58', stroke: '#5d4037', width: 1, order: 3 },
  { name: 'over', fill: '#ffa726', stroke: '#ffffff', width: 1, grow: 1, order: 4 },
  ...alarmStyles(2.5),
];
// Tanks: normal (0) and the alarm styles (code).
const TANK_PALETTE = [{ name: 'normal', fill: '#78909c', stroke: '#cfd8dc', width: 1, grow: 1.5, order: 0 }, ...alarmStyles(4)];

const BASE_PALETTE = [
  { name: 'enterprise', fill: '#173550', fillOpacity: 0.55, stroke: '#3d7ab3', width: 1.5, order: 0 },
  { name: 'road', stroke: '#5f7182', width: 5, opacity: 0.9, order: 1 },
  { name: 'building', fill: '#2c3e50', fillOpacity: 0.9, stroke: '#4c6479', width: 1, order: 2 },
  { name: 'hazard_source', stroke: '#ef9a9a', width: 1.5, dash: [6, 4], order: 3 },
  // issue 21: by zone type, the vehicle park, a camera's view cone, roads by hazardous-goods rule
  { name: 'zone_hazard_area', fill: '#ff7043', fillOpacity: 0.08, stroke: '#ff8a65', width: 1.5, dash: [4, 3], order: 4 },
  { name: 'zone_confined_space', fill: '#ab47bc', fillOpacity: 0.15, stroke: '#ce93d8', width: 1.5, dash: [4, 3], order: 4 },
  { name: 'zone_restricted', fill: '#e53935', fillOpacity: 0.12, stroke: '#ef5350', width: 2, dash: [2, 3], order: 4 },
  { name: 'zone_work_area', fill: '#fdd835', fillOpacity: 0.1, stroke: '#fff176', width: 1.5, dash: [4, 3], order: 4 },
  { name: 'vehicle_park', fill: '#26a69a', fillOpacity: 0.18, stroke: '#4db6ac', width: 2, order: 4 },
  { name: 'camera', fill: '#80deea', fillOpacity: 0.18, stroke: '#4dd0e1', width: 1, order: 5 },
  { name: 'road_designated', stroke: '#ffa000', width: 6, opacity: 0.9, order: 1 },
  { name: 'road_closed', stroke: '#c62828', width: 5, opacity: 0.9, dash: [8, 6], order: 1 },
];
const BASE_STYLE = Object.fromEntries(BASE_PALETTE.map((p, i) => [p.name, i]));
/** A base feature's style: its kind's, a zone's by type, a road's by its hazardous-goods rule. */
function baseStyle(kind, p) {
  if (kind === 'zone') return BASE_STYLE[`zone_${p.zone_type}`] ?? BASE_STYLE.zone_hazard_area;
  if (kind === 'road' && (p.hazmat === 'designated' || p.hazmat === 'closed')) return BASE_STYLE[`road_${p.hazmat}`];
  return BASE_STYLE[kind] ?? 0;
}

/**
 * A camera's view cone (its point, direction, field of view and range) as a
 * GeoJSON Polygon; a camera without them gets a small circle's worth.
 */
export function coneOf(geometry, p) {
  const [lon, lat] = geometry.coordinates;
  const range = Number.isFinite(p.range_m) && p.range_m > 0 ? Math.min(p.range_m, 500) : 15;
  const fov = Number.isFinite(p.fov_deg) && p.fov_deg > 0 ? Math.min(p.fov_deg, 360) : 360;
  const dir = Number.isFinite(p.direction_deg) ? p.direction_deg : 0;
  const mLat = 110540, mLon = 111320 * Math.cos((lat * Math.PI) / 180);
  const ring = fov < 360 ? [[lon, lat]] : [];
  const n = Math.max(4, Math.round(fov / 10));
  for (let i = 0; i <= n; i++) {
    const b = ((dir - fov / 2 + (fov * i) / n) * Math.PI) / 180;
    ring.push([lon + (range * Math.sin(b)) / mLon, lat + (range * Math.cos(b)) / mLat]);
  }
  ring.push(ring[0]);
  return { type: 'Polygon', coordinates: [ring] };
}
// Pipelines: normal (0) and priority 1..4.
const PIPE_PALETTE = [{ name: 'normal', stroke: '#a1887f', width: 2.5, opacity: 0.95, order: 0 },
  ...[1, 2, 3, 4].map((p) => ({ name: `p${p}`, stroke: PRIO_COLOURS[p], width: 4.5, order: 10 - p }))];

const DOM_ICON = { aq_station: 'AQ', weather_station: '', gate: 'G', shelter: 'S', fire_station: 'F', resource: 'R',
  sensitive_target: '!' };
// A marker's place: a point, or the first vertex of a polygon (a sensitive target may be drawn as an area).
const markerAt = (g) => (g.type === 'Point' ? g.coordinates : g.type === 'Polygon' ? g.coordinates[0][0] : g.coordinates[0][0][0]);

export class ParkMap {
  constructor(el, { config, onSelect, names }) {
    this.config = config;
    this.names = names || null; // the enterprises' names (enterprises.js Names)
    this.onSelect = onSelect || (() => {});
    const tiles = config.tiles && config.tiles.url;
    const map = (this.map = L.map(el, {
      preferCanvas: true,
      zoomControl: true,
      attributionControl: !!tiles,
      minZoom: 10,
      maxZoom: (config.tiles && config.tiles.max_zoom) || 20,
      zoomSnap: 0.5,
      wheelPxPerZoomLevel: 120,
    }));
    map.setView([30.8, 121.44], 14); // replaced by the park's extent once loaded
    if (tiles)
      L.tileLayer(tiles, { attribution: config.tiles.attribution || '', maxZoom: config.tiles.max_zoom || 19 }).addTo(map);
    map.createPane('pw-static').style.zIndex = 410;
    map.createPane('pw-live').style.zIndex = 440;
    this.staticHost = new CanvasHost({ pane: 'pw-static' });
    this.liveHost = new CanvasHost({ pane: 'pw-live' });
    this.base = this.staticHost.add(new ShapeSet(BASE_PALETTE));
    this.field = this.staticHost.add(new ShapeSet([])); // a view's field of cells (air quality)
    this.viewShapes = this.staticHost.add(new ShapeSet([])); // a view's fills and footprints
    this.pipes = this.staticHost.add(new ShapeSet(PIPE_PALETTE));
    this.tanks = this.staticHost.add(new PointSet(TANK_PALETTE, { squaresAbove: 1e9 }));
    this.points = this.liveHost.add(new PointSet(DETECTOR_PALETTE));
    this.verdicts = this.liveHost.add(new RingSet()); // a view's rings around detectors
    this.selShape = this.liveHost.add(new ShapeSet([{ name: 'sel', stroke: '#00e5ff', width: 3, fill: '#00e5ff', fillOpacity: 0.12 }]));
    this.selRing = this.liveHost.add(new RingSet());
    this.staticHost.addTo(map);
    this.liveHost.addTo(map);
    this.viewTopGroup = L.layerGroup().addTo(map); // the current view's DOM labels and markers
    this.domGroups = {}; // DOM kinds -> LayerGroup of markers
    this.visible = {}; // kind -> bool
    this.loaded = new Set(); // kinds the API gave
    this.features = new Map(); // id -> {id, kind, props, geometry, index, layer (DOM kinds)}
    this.byKind = {};
    this.seriesToFeature = new Map();
    this.det = { ids: [], val: new Float64Array(0), qual: new Uint8Array(0), ts: new Float64Array(0),
      pollAlarm: new Uint8Array(0), alarm: new Uint8Array(0), thr: new Float64Array(0), index: new Map() };
    this.alarmByFeature = new Map(); // id -> code (from the alarm stream, replay, or the poll)
    this.useStreamAlarms = false;
    this.viewHit = null; // a view's own click test: (latlng, layerPoint) -> handled?
    this.labels = L.layerGroup(); // the enterprise plots' names
    this.plotLabels = []; // [{id, props, tip}]
    this.roadLabels = L.layerGroup(); // the roads' names
    this.roadTips = []; // [{props, tip}]
    // a metric scale bar and a north arrow (the park's own SVG: nothing fetched from outside)
    this.scale = L.control.scale({ metric: true, imperial: false, position: 'bottomright', maxWidth: 160 }).addTo(map);
    this.north = new NorthArrow({ position: 'topright' }).addTo(map);
    map.on('click', (e) => this._click(e));
    map.on('zoomend', () => this._labelsForZoom());
    window.addEventListener('lang', () => this.relabel());
  }

  /** The names on the map in the page's language (after a change of language or of the names). */
  relabel() {
    for (const l of this.plotLabels) l.tip.setContent(escapeHtml(this.plotName(l.id, l.props)));
    for (const l of this.roadTips) l.tip.setContent(escapeHtml(featureName(l.props, 'road')));
    if (this.north) this.north.relabel();
  }

  /** An enterprise plot's name: the enterprises' names, else the plot's own. */
  plotName(id, props) {
    if (this.names && this.names.byId.has(id)) return this.names.label(id);
    return featureName(props || {}, 'enterprise');
  }

  // ---- the static layout ----

  /**
   * Loads the kinds other than the detectors (values=false) and draws them;
   * the detectors come from the live worker's first poll (setDetectors),
   * which has their positions and values in one answer.
   */
  async load(api) {
    const summary = await api.get('layers');
    this.crs = summary.crs;
    this.apiCounts = {};
    for (const l of summary.layers) this.apiCounts[l.kind] = l.features;
    const kinds = KINDS.filter((k) => k !== 'gas_detector' && this.apiCounts[k] > 0);
    const colls = await Promise.all(kinds.map((k) => api.get(`layers/${k}`, { values: 'false' })));
    performance.mark('layers-fetched');
    const baseItems = [], pipeItems = [];
    kinds.forEach((k, i) => this._drawKind(k, colls[i].features, k === 'pipeline' ? pipeItems : baseItems));
    this.base.setItems(baseItems);
    this.pipes.setItems(pipeItems);
    this.staticHost.requestRedraw();
    for (const k of KINDS) if (!(k in this.visible)) this.visible[k] = true;
    this._labelsForZoom();
    return this.apiCounts;
  }

  _add(kind, f, extra) {
    const p = f.properties || {};
    const rec = { id: p.id || f.id, kind, props: p, geometry: f.geometry, ...extra };
    this.features.set(rec.id, rec);
    (this.byKind[kind] = this.byKind[kind] || []).push(rec);
    for (const s of p.series || []) this.seriesToFeature.set(s, rec);
    return rec;
  }

  _drawKind(kind, features, items) {
    this.loaded.add(kind);
    if (kind === 'tank') {
      const ll = [];
      features.forEach((f, i) => {
        const c = f.geometry.coordinates;
        ll.push([c[1], c[0]]);
        this._add(kind, f, { index: i, layerName: 'tanks' });
      });
      this.tanks.setPoints(ll);
      return;
    }
    if (DOM_KINDS.has(kind)) {
      const group = L.layerGroup();
      for (const f of features) {
        const c = markerAt(f.geometry);
        const layer = L.marker([c[1], c[0]], { icon: this._domIcon(kind, f.properties), keyboard: false, riseOnHover: true });
        const rec = this._add(kind, f, { layer });
        layer.on('click', () => this.select(rec));
        group.addLayer(layer);
      }
      this.domGroups[kind] = group.addTo(this.map);
      return;
    }
    const layerName = kind === 'pipeline' ? 'pipes' : 'base';
    for (const f of features) {
      const p = f.properties || {};
      const cone = kind === 'camera' && f.geometry && f.geometry.type === 'Point';
      const { rings, closed } = ringsOf(cone ? coneOf(f.geometry, p) : f.geometry);
      const rec = this._add(kind, f, { index: items.length, layerName });
      items.push({ rings, closed, style: kind === 'pipeline' ? 0 : baseStyle(kind, p), group: kind });
      if (kind === 'road' && (rec.props.name || rec.props.name_zh)) {
        const mid = midpointOf(rings);
        if (mid) {
          const tip = L.tooltip({ permanent: true, direction: 'center', className: 'road-label', interactive: false })
            .setLatLng(mid).setContent(escapeHtml(featureName(rec.props, 'road')));
          this.roadTips.push({ props: rec.props, tip });
          this.roadLabels.addLayer(tip);
        }
      }
      if (kind === 'enterprise' && (rec.props.name || rec.props.name_zh)) {
        if (this.names) this.names.put(rec.id, rec.props.name, rec.props.name_zh, 2);
        let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
        for (const r of rings)
          for (let i = 0; i < r.length; i += 2) {
            minX = Math.min(minX, r[i]);
            maxX = Math.max(maxX, r[i]);
            minY = Math.min(minY, r[i + 1]);
            maxY = Math.max(maxY, r[i + 1]);
          }
        const tip = L.tooltip({ permanent: true, direction: 'center', className: 'plot-label', interactive: false })
          .setLatLng([(minY + maxY) / 2, (minX + maxX) / 2]).setContent(escapeHtml(this.plotName(rec.id, rec.props)));
        this.plotLabels.push({ id: rec.id, props: rec.props, tip });
        this.labels.addLayer(tip);
      }
    }
  }

  /**
   * The detectors from the worker's first poll: ids, positions, and each
   * one's properties (GeoJSON properties without values and alarm).
   */
  setDetectors({ ids, lat, lng, props }) {
    const n = ids.length;
    const d = this.det;
    d.ids = ids;
    d.val = new Float64Array(n).fill(NaN);
    d.qual = new Uint8Array(n);
    d.ts = new Float64Array(n);
    d.pollAlarm = new Uint8Array(n);
    d.alarm = new Uint8Array(n);
    d.thr = new Float64Array(n);
    d.index = new Map();
    this.byKind.gas_detector = [];
    const ll = new Array(n);
    for (let i = 0; i < n; i++) {
      const rec = this._add('gas_detector', { properties: props[i], geometry: { type: 'Point', coordinates: [lng[i], lat[i]] } }, { index: i });
      d.index.set(rec.id, i);
      d.thr[i] = Number.isFinite(props[i].alarm1) ? props[i].alarm1 : 25; // GB/T 50493 default, %LEL
      ll[i] = [lat[i], lng[i]];
    }
    this.points.setPoints(ll);
    this.loaded.add('gas_detector');
    // an alarm that came before the detectors
    for (const [id, code] of this.alarmByFeature) if (d.index.has(id)) this._setFeatureAlarm(id, code);
  }

  /** Fits the whole park beside the layer and legend boxes. */
  fit() {
    let b = null;
    const ext = (s, w, n, e) => {
      if (!(s <= n && w <= e)) return;
      b = b ? b.extend([[s, w], [n, e]]) : L.latLngBounds([s, w], [n, e]);
    };
    for (const it of [...this.base.items, ...this.pipes.items]) ext(it.bbox[1], it.bbox[0], it.bbox[3], it.bbox[2]);
    for (const pl of [this.tanks, this.points])
      for (let i = 0; i < pl.n; i++) ext(pl.lat[i], pl.lng[i], pl.lat[i], pl.lng[i]);
    for (const g of Object.values(this.domGroups))
      g.eachLayer((m) => {
        const ll = m.getLatLng();
        ext(ll.lat, ll.lng, ll.lat, ll.lng);
      });
    if (!b) return;
    const box = (sel) => {
      const el = document.querySelector(sel);
      return el ? el.getBoundingClientRect() : { width: 0, height: 0 };
    };
    const left = Math.min(box('#layers').width + 24, this.map.getSize().x / 4);
    const bottom = Math.min(box('#legend').height + 16, this.map.getSize().y / 4);
    this.map.fitBounds(b, { paddingTopLeft: [left, 24], paddingBottomRight: [24, bottom], animate: false });
    this.parkBounds = b;
  }

  _domIcon(kind, p) {
    const id = escapeHtml(p.id || '');
    if (kind === 'weather_station')
      return L.divIcon({ className: 'pw-marker met', iconSize: [30, 30], iconAnchor: [15, 15],
        html: `<span class="arrow" data-id="${id}">➤</span><span class="wind" data-id="${id}"></span>` });
    return L.divIcon({ className: `pw-marker ${kind}`, iconSize: [22, 22], iconAnchor: [11, 11],
      html: `<span data-id="${id}">${DOM_ICON[kind]}</span>` });
  }

  _labelsForZoom() {
    const z = this.map.getZoom() >= 15;
    for (const [group, on] of [[this.labels, z && this.visible.enterprise !== false],
      [this.roadLabels, z && this.visible.road !== false]]) {
      if (on && !this.map.hasLayer(group)) group.addTo(this.map);
      if (!on && this.map.hasLayer(group)) this.map.removeLayer(group);
    }
  }

  setVisible(kind, on) {
    this.visible[kind] = on;
    if (BASE_KINDS.includes(kind)) this.base.setGroupVisible(kind, on);
    else if (kind === 'pipeline') this.pipes.setGroupVisible(kind, on);
    else if (kind === 'tank') this.tanks.setVisible(on);
    else if (kind === 'gas_detector') this.points.setVisible(on);
    else {
      const l = this.domGroups[kind];
      if (!l) return;
      if (on && !this.map.hasLayer(l)) l.addTo(this.map);
      if (!on && this.map.hasLayer(l)) this.map.removeLayer(l);
    }
    if (kind === 'enterprise' || kind === 'road') this._labelsForZoom();
  }

  /** Features drawn per kind (what is on the map now). */
  drawn() {
    const out = {};
    for (const k of KINDS) {
      if (!this.visible[k] || !this.loaded.has(k)) out[k] = 0;
      else if (BASE_KINDS.includes(k)) out[k] = this.base.count(k);
      else if (k === 'pipeline') out[k] = this.pipes.count(k);
      else if (k === 'tank') out[k] = this.tanks.n;
      else if (k === 'gas_detector') out[k] = this.points.n;
      else out[k] = this.domGroups[k] ? this.domGroups[k].getLayers().length : 0;
    }
    return out;
  }

  // ---- live state ----

  /** Values of the detectors from the poll worker: changed indices with value, quality, ts and alarm. */
  applyDetectorValues(m) {
    const d = this.det;
    const { idx, val, qual, ts, alarm } = m;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      d.val[i] = val[k];
      d.qual[i] = qual[k];
      d.ts[i] = ts[k];
      d.pollAlarm[i] = alarm[k];
      if (!this.useStreamAlarms) d.alarm[i] = alarm[k];
      this._styleDetector(i);
    }
  }

  /** Replay: every detector's value at T (series -> {value, quality, ts}); unknown ones have none. */
  applyDetectorSnapshot(bySeries) {
    const d = this.det;
    for (let i = 0; i < d.ids.length; i++) {
      const f = this.features.get(d.ids[i]);
      const s = f.props.series && f.props.series[0];
      const v = s ? bySeries.get(s) : undefined;
      d.val[i] = v && v.value !== null ? v.value : NaN;
      d.qual[i] = v && v.quality !== null ? v.quality : 0;
      d.ts[i] = v && v.ts ? v.ts : 0;
      this._styleDetector(i);
    }
  }

  /** Alarms of the other features from the layer poll (tanks, pipelines, stations). */
  applyFeatureAlarms(kind, codes) {
    if (this.useStreamAlarms) return;
    for (const [id, code] of codes) this._setFeatureAlarm(id, code);
  }

  /**
   * The complete list of alarms not in normal (from the alarm stream, or
   * replay's alarms at T): each feature gets its most urgent annunciated one.
   */
  setAlarms(list) {
    this.useStreamAlarms = true;
    const next = new Map();
    for (const a of list) {
      if (!annunciated(a)) continue;
      const f = this.seriesToFeature.get(a.series);
      if (!f) continue;
      const code = alarmCode(a.priority, a.state);
      const cur = next.get(f.id);
      if (!cur || urgency(code) < urgency(cur)) next.set(f.id, code);
    }
    const changed = new Set([...this.alarmByFeature.keys(), ...next.keys()]);
    for (const id of changed) this._setFeatureAlarm(id, next.get(id) || 0);
  }

  /**
   * Some series' alarms changed: only their features are looked at again.
   * alarmsOf(series) gives that series' alarms (a Map or undefined).
   */
  updateAlarms(series, alarmsOf) {
    this.useStreamAlarms = true;
    const feats = new Set();
    for (const s of series) {
      const f = this.seriesToFeature.get(s);
      if (f) feats.add(f);
    }
    for (const f of feats) {
      let best = 0;
      for (const s of f.props.series || []) {
        const m = alarmsOf(s);
        if (!m) continue;
        for (const a of m.values()) {
          if (!annunciated(a)) continue;
          const code = alarmCode(a.priority, a.state);
          if (!best || urgency(code) < urgency(best)) best = code;
        }
      }
      this._setFeatureAlarm(f.id, best);
    }
  }

  /** The alarm stream is down: fall back to the alarms the layer poll reports. */
  streamAlarmsLost() {
    this.useStreamAlarms = false;
    const d = this.det;
    for (let i = 0; i < d.ids.length; i++) {
      if (d.alarm[i] !== d.pollAlarm[i]) {
        d.alarm[i] = d.pollAlarm[i];
        this._styleDetector(i);
      }
    }
  }

  _setFeatureAlarm(id, code) {
    if (code) this.alarmByFeature.set(id, code);
    else this.alarmByFeature.delete(id);
    const f = this.features.get(id);
    if (!f) return;
    if (f.kind === 'gas_detector') {
      this.det.alarm[f.index] = code;
      this._styleDetector(f.index);
      return;
    }
    if (f.alarmCode === code) return;
    f.alarmCode = code;
    const a = decodeAlarm(code);
    if (f.kind === 'tank') this.tanks.setStyle(f.index, code);
    else if (f.kind === 'pipeline') this.pipes.setItemStyle(f.index, a ? a.priority : 0);
    else if (DOM_KINDS.has(f.kind)) {
      const el = f.layer.getElement();
      if (el) {
        for (let p = 1; p <= 4; p++) el.classList.toggle(`alarm-p${p}`, !!a && a.priority === p);
        el.classList.toggle('unack', !!a && a.state !== 'acked');
      }
    }
  }

  _styleDetector(i) {
    const d = this.det;
    let s;
    const code = d.alarm[i];
    if (code) s = DET.ALARM + code;
    else if (!Number.isFinite(d.val[i])) s = DET.NODATA;
    else if (d.qual[i] >= 128) s = DET.FAULT;
    else {
      const r = d.val[i] / (d.thr[i] || 25);
      s = r < 0.2 ? DET.LOW : r < 0.5 ? DET.MID : r < 1 ? DET.NEAR : DET.OVER;
    }
    this.points.setStyle(i, s);
  }

  /** Weather stations: the arrow points downwind, with the speed beside it. */
  applyWeather(features) {
    for (const f of features) {
      const rec = this.features.get(f.properties.id);
      if (!rec || !rec.layer) continue;
      const v = f.properties.values || {};
      let dir = null, speed = null;
      for (const [s, x] of Object.entries(v)) {
        if (!x) continue;
        if (/wind_dir$/.test(s)) dir = x.value;
        if (/wind_speed$/.test(s)) speed = x.value;
      }
      const el = rec.layer.getElement();
      if (!el) continue;
      const arrow = el.querySelector('.arrow');
      const label = el.querySelector('.wind');
      // ➤ points east (90°); the wind blows towards dir + 180
      if (arrow && dir !== null) arrow.style.transform = `rotate(${dir + 180 - 90}deg)`;
      if (label) label.textContent = speed !== null ? `${speed.toFixed(1)} m/s` : '';
    }
  }

  /** What the map shows for a feature (tests and the details panel). */
  featureState(id) {
    const f = this.features.get(id);
    if (!f) return null;
    const out = { id, kind: f.kind, alarm: decodeAlarm(this.alarmByFeature.get(id) || 0) };
    if (f.kind === 'gas_detector') {
      const i = f.index;
      const st = this.points.palette[this.points.style[i]];
      Object.assign(out, { style: st.name, fill: st.fill, value: Number.isFinite(this.det.val[i]) ? this.det.val[i] : null,
        alarm: decodeAlarm(this.det.alarm[i]) });
    } else if (f.kind === 'tank') {
      const st = this.tanks.palette[this.tanks.style[f.index]];
      Object.assign(out, { style: st.name, fill: st.fill });
    } else if (f.layerName) {
      const l = f.layerName === 'pipes' ? this.pipes : this.base;
      const st = l.palette[l.items[f.index].style];
      Object.assign(out, { style: st.name, fill: st.fill || st.stroke });
    }
    return out;
  }

  /** Ids of the features drawn with an alarm. */
  alarmedFeatures() {
    const out = [];
    const d = this.det;
    for (let i = 0; i < d.ids.length; i++) if (d.alarm[i]) out.push(d.ids[i]);
    for (const [id, code] of this.alarmByFeature) {
      const f = this.features.get(id);
      if (code && f && f.kind !== 'gas_detector') out.push(id);
    }
    return out;
  }

  latLngOf(f) {
    if (f.kind === 'gas_detector') return L.latLng(this.points.lat[f.index], this.points.lng[f.index]);
    if (f.kind === 'tank') return L.latLng(this.tanks.lat[f.index], this.tanks.lng[f.index]);
    if (f.layer && f.layer.getLatLng) return f.layer.getLatLng();
    if (f.layerName) return (f.layerName === 'pipes' ? this.pipes : this.base).bounds(f.index).getCenter();
    return null;
  }

  // ---- picking ----

  _click(e) {
    if (this.viewHit && this.viewHit(e.latlng, e.layerPoint)) return;
    const f = this.pick(e.layerPoint);
    // the risk units' layer (risk-units.js): its popup, but a detector, tank or pipeline inside a unit is picked
    if (this.riskHit && !(f && ['gas_detector', 'tank', 'pipeline'].includes(f.kind)) && this.riskHit(e.latlng, e.layerPoint)) return;
    this.select(f);
  }

  /** The feature under a layer point: detectors, tanks, pipelines, then areas and roads. */
  pick(lp) {
    const p = this.liveHost.abs(lp);
    let i = this.points.hit(p, 4);
    if (i >= 0) return this.features.get(this.det.ids[i]);
    i = this.tanks.hit(p, 3);
    if (i >= 0) return this.byKind.tank[i];
    i = this.pipes.hit(p, 'pipeline', 4);
    if (i >= 0) return this.byKind.pipeline[i];
    for (const kind of ['camera', 'hazard_source', 'zone', 'vehicle_park', 'building', 'road', 'enterprise']) {
      i = this.base.hit(p, kind, 3);
      if (i >= 0) return this.byKind[kind].find((f) => f.index === i);
    }
    return null;
  }

  select(f) {
    this.selected = f || null;
    const point = f && (f.kind === 'gas_detector' || f.kind === 'tank' || (f.layer && f.layer.getLatLng));
    if (point) {
      const ll = this.latLngOf(f);
      this.selRing.set([{ lat: ll.lat, lng: ll.lng, radius: f.kind === 'gas_detector' ? 12 : 15, stroke: '#00e5ff', width: 3 }]);
    } else this.selRing.set([]);
    if (f && !point && f.geometry) this.selShape.setItems([{ ...ringsOf(f.geometry), style: 0, group: 'sel' }]);
    else this.selShape.setItems([]);
    this.onSelect(f);
  }

  /** Where a feature is in the map's container (tests click there). */
  containerPointOf(f) {
    return this.map.latLngToContainerPoint(this.latLngOf(f));
  }

  /** Centre on a feature (from the alarm list). */
  focus(f) {
    if (!f) return;
    const ll = this.latLngOf(f);
    if (ll) this.map.setView(ll, Math.max(this.map.getZoom(), f.kind === 'gas_detector' ? 18 : 17));
    this.select(f);
  }

  /**
   * An enterprise picked in the list: the map flies to its bbox
   * ([lon0, lat0, lon1, lat1], else its plot's extent) and outlines the plot.
   */
  highlightEnterprise(id, bbox, centre) {
    const f = this.features.get(id);
    const plot = f && f.kind === 'enterprise' && f.geometry ? f : null;
    let b = null;
    if (Array.isArray(bbox) && bbox.length === 4 && bbox.every(Number.isFinite)) b = L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
    else if (plot) b = this.base.bounds(plot.index);
    else if (Array.isArray(centre) && centre.length === 2) b = L.latLng(centre[1], centre[0]).toBounds(400);
    this.selRing.set([]);
    this.selShape.setItems(plot ? [{ ...ringsOf(plot.geometry), style: 0, group: 'sel' }] : []);
    this.highlighted = id;
    if (b && b.isValid()) {
      this.flying = true; // until the flight ends (tests wait for it)
      this.map.once('moveend', () => (this.flying = false));
      this.map.flyToBounds(b, { maxZoom: 17, padding: [40, 40], duration: 0.8 });
    }
  }

  label(latlng, html, className) {
    return L.tooltip({ permanent: true, direction: 'top', className, interactive: false, offset: [0, -8] })
      .setLatLng(latlng).setContent(html);
  }

  /** Clears what a view drew. */
  clearView() {
    this.viewTopGroup.clearLayers();
    this.field.setItems([], []);
    this.viewShapes.setItems([], []);
    this.verdicts.set([]);
    this.viewHit = null;
  }
}

/** The point halfway along a line (rings of [lng, lat, ...]), as [lat, lng]. */
function midpointOf(rings) {
  const r = rings && rings[0];
  if (!r || r.length < 2) return null;
  let total = 0;
  for (let i = 2; i < r.length; i += 2) total += Math.hypot(r[i] - r[i - 2], r[i + 1] - r[i - 1]);
  let acc = 0;
  for (let i = 2; i < r.length; i += 2) {
    const d = Math.hypot(r[i] - r[i - 2], r[i + 1] - r[i - 1]);
    if (acc + d >= total / 2 && d > 0) {
      const k = (total / 2 - acc) / d;
      return [r[i - 1] + k * (r[i + 1] - r[i - 1]), r[i - 2] + k * (r[i] - r[i - 2])];
    }
    acc += d;
  }
  return [r[1], r[0]];
}

/** A north arrow: the project's own SVG (img/north.svg), the map being north up. */
const NorthArrow = L.Control.extend({
  onAdd() {
    const el = L.DomUtil.create('div', 'leaflet-control north-arrow');
    el.innerHTML = '<img src="img/north.svg" width="28" height="40" alt=""><span class="n"></span>';
    this._el = el;
    this.relabel();
    L.DomEvent.disableClickPropagation(el);
    return el;
  },
  relabel() {
    if (!this._el) return;
    this._el.querySelector('.n').textContent = t('map.north');
    this._el.title = t('map.north');
  },
});

export function escapeHtml(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export { L, t };
