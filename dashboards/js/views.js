// views.js - the map's views besides the overview:
//  risk         GET /api/v1/views/risk: hazard sources filled with
//               properties.risk.colour, labelled with R and grade; a table
//               by R; a source's figures, reasons and inventory trend
//               (GET /api/v1/views/risk/{id}) in the details panel.
//  environment  GET /api/v1/views/aqi: the air-quality stations in their
//               AQI colour; GET /api/v1/views/idw: the interpolated field as
//               coloured cells; GET /api/v1/views/toxic: hours above level 1.
//  emergency    GET /api/v1/incidents and /incidents/{id}: the plume
//               footprints in their colours, the buildings inside them, the
//               detectors' verdicts, shelters, gates and fire stations; open
//               (POST /api/v1/incidents) and close an incident; its command
//               and the threat zones' what-if (command.js).
// Every view is fetched at T in replay (?at=T).
import { t, fmtNum, fmtTime, fmtVal, errText, subst, reasonText, gradeText, pollutantName, pollutantUnit, featureName } from './i18n.js';
import { escapeHtml, L } from './map.js';
import { ringsOf } from './canvas.js';
import { Command } from './command.js';

export const AQI_COLOURS = ['#00E400', '#FFFF00', '#FF7E00', '#FF0000', '#99004C', '#7E0023'];
// HJ 633-2012 table 1: concentration breakpoints for IAQI 0, 50, 100, 150, 200, 300, 400, 500
// (1-h means for SO2, NO2, CO, O3; the 24-h ones for PM, which the API also
// applies to the 1-h mean until a 24-h mean is valid).
const IAQI = [0, 50, 100, 150, 200, 300, 400, 500];
const BREAKS = {
  SO2: [0, 150, 500, 650, 800, 1600, 2100, 2620],
  NO2: [0, 100, 200, 700, 1200, 2340, 3090, 3840],
  PM10: [0, 50, 150, 250, 350, 420, 500, 600],
  CO: [0, 5, 10, 35, 60, 90, 120, 150],
  O3: [0, 160, 200, 300, 400, 800, 1000, 1200],
  PM2_5: [0, 35, 75, 115, 150, 250, 350, 500],
};
export function iaqi(pollutant, c) {
  const b = BREAKS[pollutant];
  if (!b || !Number.isFinite(c)) return null;
  for (let i = 1; i < b.length; i++)
    if (c <= b[i]) return IAQI[i - 1] + ((IAQI[i] - IAQI[i - 1]) * (c - b[i - 1])) / (b[i] - b[i - 1]);
  return 500;
}
/** The AQI category (0..5) of an index value. */
export function aqiLevel(v) {
  return v <= 50 ? 0 : v <= 100 ? 1 : v <= 150 ? 2 : v <= 200 ? 3 : v <= 300 ? 4 : 5;
}
export function aqiColour(v) {
  return v === null ? null : AQI_COLOURS[aqiLevel(v)];
}

const POLLUTANTS = ['PM2_5', 'PM10', 'SO2', 'NO2', 'CO', 'O3'];

export class Views {
  constructor(app, panelEl) {
    this.app = app;
    this.panel = panelEl;
    this.view = 'overview';
    this.data = {};
    this.pollutant = app.config.idw.pollutant || 'PM2_5';
    this.incidentId = null;
    this.loads = 0;
    this.canAct = ['admin', 'operator', 'enterprise'].includes(app.who.role);
    this.command = new Command(app, this.canAct);
    setInterval(() => {
      if (this.app.mode === 'live' && this.view !== 'overview') this.refresh(true);
    }, app.config.view_refresh_ms || 10000);
    window.addEventListener('lang', () => {
      if (this.view !== 'overview' && Object.keys(this.data).length) this._draw(); // the map's labels
      this._panel();
    });
    panelEl.addEventListener('click', (e) => this._click(e));
    panelEl.addEventListener('change', (e) => this._change(e));
    panelEl.addEventListener('submit', (e) => this._submit(e));
  }

  set(view) {
    if (view === this.view) return;
    this._leave();
    this.view = view;
    document.body.dataset.view = view;
    this.data = {};
    this._panel();
    this.refresh();
  }

  _leave() {
    const m = this.app.map;
    m.clearView();
    this.command.leave();
    for (const f of m.byKind.aq_station || []) {
      const el = f.layer.getElement();
      if (!el) continue;
      el.classList.remove('aqi');
      el.style.removeProperty('--aqi');
      const s = el.querySelector('span');
      if (s) s.textContent = 'AQ';
      delete el.dataset.colour;
    }
    for (const k of ['shelter', 'gate', 'fire_station'])
      for (const f of m.byKind[k] || []) {
        const el = f.layer.getElement();
        if (el) el.classList.remove('highlight');
      }
  }

  /** Fetches the view (at T in replay) and draws it; quiet: no "loading" text. */
  async refresh(quiet) {
    const view = this.view;
    if (view === 'overview') {
      this._panel();
      return;
    }
    const gen = (this._gen = (this._gen || 0) + 1);
    const at = this.app.mode === 'replay' ? { at: this.app.at } : {};
    const api = this.app.api;
    if (!quiet && !Object.keys(this.data).length) this.panel.querySelector('.view-body')?.classList.add('loading');
    try {
      let data;
      if (view === 'risk') {
        data = { risk: await api.get('views/risk', at) };
      } else if (view === 'environment') {
        const { nx, ny } = this.app.config.idw;
        const [aqi, idw, toxic] = await Promise.all([
          api.get('views/aqi', at),
          api.get('views/idw', { ...at, pollutant: this.pollutant, nx, ny }),
          api.get('views/toxic', at),
        ]);
        data = { aqi, idw, toxic };
      } else if (view === 'emergency') {
        const list = (await api.get('incidents')).incidents;
        const T = this.app.mode === 'replay' ? this.app.at : Infinity;
        const shown = list.filter((i) => i.start_ms <= T);
        let id = this.incidentId;
        if (!id || !shown.some((i) => i.id === id)) id = pickIncident(shown, T);
        this.incidentId = id;
        const closed = !!(shown.find((i) => i.id === id) || {}).end_ms;
        const [inc] = await Promise.all([id ? api.get(`incidents/${encodeURIComponent(id)}`, at) : null,
          this.command.load(id, at, closed)]);
        data = { incidents: shown, incident: inc };
      }
      if (gen !== this._gen || view !== this.view) return;
      this.data = data;
      this.loads++;
      this._draw();
      this._panel();
      document.body.dataset.viewLoaded = `${view}:${this.loads}`;
    } catch (err) {
      if (gen !== this._gen) return;
      this.app.toast(`${t('error')}: ${errText(err)}`);
    }
  }

  _draw() {
    const m = this.app.map;
    m.clearView();
    if (this.view === 'risk') this._drawRisk(m);
    else if (this.view === 'environment') this._drawEnv(m);
    else if (this.view === 'emergency') this._drawEmergency(m);
  }

  // ---- risk ----

  _drawRisk(m) {
    const feats = this.data.risk.features;
    const colours = [...new Set(feats.map((f) => f.properties.risk.colour))];
    const palette = colours.flatMap((c, i) => [
      { name: `risk${i}`, fill: c, fillOpacity: 0.45, stroke: c, width: 2, order: i },
      { name: `risk${i}-alert`, fill: c, fillOpacity: 0.55, stroke: c, width: 4, order: 100 + i },
    ]);
    const items = feats.map((f) => {
      const r = f.properties.risk;
      return { ...ringsOf(f.geometry), style: 2 * colours.indexOf(r.colour) + (r.level === 'normal' ? 0 : 1), group: 'risk', f };
    });
    m.viewShapes.setItems(items, palette);
    for (const it of items) {
      const r = it.f.properties.risk;
      const b = it.bbox;
      m.viewTopGroup.addLayer(m.label([(b[1] + b[3]) / 2, (b[0] + b[2]) / 2],
        `<b>${escapeHtml(it.f.properties.id)}</b> R ${fmtNum(r.R, 1)} · ${gradeText(r.grade)}`, `risk-label level-${r.level}`));
    }
    m.viewHit = (latlng, lp) => {
      const k = m.viewShapes.hit(m.liveHost.abs(lp), 'risk', 0);
      if (k < 0) return false;
      this.showSource(items[k].f);
      return true;
    };
  }

  showSource(f) {
    const m = this.app.map;
    const rec = m.features.get(f.properties.id) || { id: f.properties.id, kind: 'hazard_source', props: f.properties };
    const api = this.app.api;
    const id = f.properties.id;
    m.select(null);
    m.selShape.setItems([{ ...ringsOf(f.geometry), style: 0, group: 'sel' }]);
    this.app.details.show(rec, {
      html: () => riskHtml(f.properties.risk),
      trend: {
        key: `risk:${id}`,
        title: t('risk.trend'),
        unit: 't',
        loader: async (from, to, step) => {
          const s = Math.max(step, Math.ceil((to - from) / 10000 / 60000) * 60000, 60000);
          const r = await api.get(`views/risk/${encodeURIComponent(id)}`, {
            from: Math.floor(from), to: Math.ceil(to), step: String(s),
            ...(this.app.mode === 'replay' ? { at: this.app.at } : {}) });
          return { x: r.trend.ts, ys: Object.entries(r.trend.tonnes).map(([label, values]) => ({ label: subst(label), values })) };
        },
      },
    });
    this.app.showTab('details');
  }

  // ---- environment ----

  _drawEnv(m) {
    const { aqi, idw } = this.data;
    const op = this.app.config.idw.opacity ?? 0.32;
    const items = [];
    for (const c of idw.features) {
      const v = c.properties.value;
      if (v === null) continue;
      items.push({ ...ringsOf(c.geometry), style: aqiLevel(iaqi(idw.pollutant, v)), group: 'idw' });
    }
    m.field.setItems(items, AQI_COLOURS.map((fill, i) => ({ name: `aqi${i + 1}`, fill, fillOpacity: op, order: i })));
    const byId = new Map(aqi.features.map((f) => [f.properties.id, f]));
    for (const f of m.byKind.aq_station || []) {
      const a = byId.get(f.id);
      const el = f.layer.getElement();
      if (!el || !a) continue;
      const air = a.properties.air;
      el.classList.add('aqi');
      el.style.setProperty('--aqi', air.colour || '#607d8b');
      el.dataset.colour = air.colour || '';
      el.dataset.aqi = air.aqi ?? '';
      const s = el.querySelector('span');
      if (s) s.textContent = air.aqi ?? '—';
    }
    this.app.emit('env', aqi);
  }

  showStation(rec) {
    const a = this.data.aqi && this.data.aqi.features.find((f) => f.properties.id === rec.id);
    return a ? { html: () => airHtml(a.properties.air) } : null;
  }

  // ---- emergency ----

  _drawEmergency(m) {
    const v = this.data.incident;
    if (!v) return;
    // footprints, largest first, then the buildings inside them in the
    // colour of the innermost footprint that holds them
    const zones = [...v.zones].sort((a, b) => b.max_downwind_m - a.max_downwind_m);
    const palette = [], items = [];
    const style = (key, st) => {
      let i = palette.findIndex((p) => p.name === key);
      if (i < 0) i = palette.push({ name: key, order: palette.length, ...st }) - 1;
      return i;
    };
    const bColour = new Map();
    for (const z of zones) {
      if (z.polygon)
        items.push({ ...ringsOf(z.polygon), group: 'zone',
          style: style(`zone${z.colour}`, { fill: z.colour, fillOpacity: 0.22, stroke: z.colour, width: 2 }) });
      for (const b of z.buildings || []) bColour.set(b, z.colour); // inner zones come last: they win
    }
    for (const [id, col] of bColour) {
      const f = m.features.get(id);
      if (f && f.geometry)
        items.push({ ...ringsOf(f.geometry), group: 'building',
          style: style(`bldg${col}`, { fill: col, fillOpacity: 0.85, stroke: '#ffffff', width: 2, order: 100 }) });
    }
    for (const p of palette) if (p.name.startsWith('bldg')) p.order = 100 + palette.indexOf(p);
    m.viewShapes.setItems(items, palette);
    const verdictColour = { confirms: '#ff1744', disagrees: '#40c4ff', 'no reading': '#b0bec5' };
    const rings = [];
    const seen = new Set();
    for (const z of v.zones) {
      for (const d of z.detectors || []) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        const f = m.features.get(d.id);
        if (!f || f.kind !== 'gas_detector') continue;
        const ll = m.latLngOf(f);
        rings.push({ lat: ll.lat, lng: ll.lng, radius: 10, stroke: verdictColour[d.verdict] || '#fff', width: 3 });
      }
    }
    m.verdicts.set(rings);
    const inc = v.incident;
    m.viewTopGroup.addLayer(L.marker([inc.lat, inc.lon], { icon: L.divIcon({ className: 'release-marker', iconSize: [26, 26],
      iconAnchor: [13, 13], html: '✖' }), interactive: false }));
    const r = v.response || { shelters: [], gates: [], fire_stations: [] };
    for (const [kind, list] of [['shelter', r.shelters], ['gate', r.gates], ['fire_station', r.fire_stations]]) {
      for (const x of list || []) {
        const f = m.features.get(x.id);
        if (!f) continue;
        const el = f.layer.getElement();
        if (el) el.classList.add('highlight');
        const side = x.side ? ` · ${t(`side.${x.side}`)}` : '';
        m.viewTopGroup.addLayer(m.label(f.layer.getLatLng(),
          `${escapeHtml(respName(x))} ${fmtNum(x.distance_m / 1000, 2)} km${side}`, `resp-label ${kind}`));
      }
    }
    // the routes over the roads: engines to the staging point (solid red),
    // people on foot to the refuges (dashed green), the staging point
    const routes = r.routes && r.routes.features ? r.routes.features : [];
    // SVG (the map prefers canvas): a few dozen lines, each its own element to hover and find
    if (!m.routeRenderer) m.routeRenderer = L.svg({ padding: 0.5 });
    for (const f of routes) {
      const p = f.properties;
      const c = f.geometry.coordinates;
      if (p.role === 'staging') {
        m.viewTopGroup.addLayer(L.marker([c[1], c[0]], { icon: L.divIcon({ className: 'staging-marker', iconSize: [24, 24],
          iconAnchor: [12, 12], html: 'S' }), title: t('em.staging') }));
        continue;
      }
      const line = L.polyline(c.map(([lon, lat]) => [lat, lon]), p.role === 'responder'
        ? { renderer: m.routeRenderer, className: 'route-responder', color: '#ff5252', weight: 4, opacity: 0.9 }
        : { renderer: m.routeRenderer, className: 'route-evacuation', color: '#00e676', weight: 3, opacity: 0.9, dashArray: '6 6' });
      line.bindTooltip(`${escapeHtml(routeEnd(p, 'from'))} → ${escapeHtml(p.to ? routeEnd(p, 'to') : t('em.staging'))} · ${fmtNum(p.length_m / 1000, 2)} km · ${fmtNum(p.eta_s / 60, 1)} min`);
      m.viewTopGroup.addLayer(line);
    }
  }

  // ---- the side panel ----

  _panel() {
    const el = this.panel;
    const title = { overview: 'view.overview', risk: 'risk.title', environment: 'env.title', emergency: 'em.title' }[this.view];
    let html = `<h3>${escapeHtml(t(title))}${this.app.mode === 'replay' ? ` <small>${t('replay')} ${fmtTime(this.app.at, true)}</small>` : ''}</h3><div class="view-body">`;
    if (this.view === 'overview') html += this._overviewHtml();
    else if (this.view === 'risk' && this.data.risk) html += this._riskTable();
    else if (this.view === 'environment' && this.data.aqi) html += this._envHtml();
    else if (this.view === 'emergency' && this.data.incidents) html += this._emHtml();
    else html += `<p class="hint">${t('loading')}</p>`;
    html += '</div>';
    // keep a half-typed incident form
    const form = el.querySelector('form.incident-form');
    const saved = form ? Object.fromEntries(new FormData(form)) : null;
    this.command.mount(el, () => {
      el.innerHTML = html;
    });
    const nf = el.querySelector('form.incident-form');
    if (nf && saved) for (const [k, v] of Object.entries(saved)) if (nf.elements[k]) nf.elements[k].value = v;
  }

  _overviewHtml() {
    const m = this.app.map;
    const counts = m.drawn();
    return `<table class="kv">${Object.entries(counts).map(([k, n]) => `<tr><th>${escapeHtml(t(`kind.${k}`))}</th><td class="num">${n}</td></tr>`).join('')}</table>`;
  }

  _riskTable() {
    const feats = [...this.data.risk.features].sort((a, b) => b.properties.risk.R - a.properties.risk.R);
    return `<table class="risk-table"><tr><th></th><th>ID</th><th>${t('risk.R')}</th><th>${t('risk.grade')}</th><th>${t('risk.S')}</th><th>${t('risk.level')}</th><th>${t('risk.reasons')}</th></tr>
      ${feats.map((f) => {
        const r = f.properties.risk;
        return `<tr data-source="${escapeHtml(f.properties.id)}" data-colour="${escapeHtml(r.colour)}"><td><span class="chip" style="background:${escapeHtml(r.colour)}"></span></td>
          <td><button type="button" class="link" data-source="${escapeHtml(f.properties.id)}">${escapeHtml(f.properties.id)}</button></td>
          <td class="num">${fmtNum(r.R, 1)}</td><td>${gradeText(r.grade)}</td><td class="num">${fmtNum(r.S, 1)}</td>
          <td>${escapeHtml(t(`level.${r.level}`))}</td><td class="reasons">${r.reasons.map((x) => escapeHtml(reasonText(x))).join('；')}</td></tr>`;
      }).join('')}</table>`;
  }

  _envHtml() {
    const { aqi, toxic, idw } = this.data;
    let h = `<label class="pollutant">${t('env.pollutant')} <select name="pollutant">${POLLUTANTS.map((p) => `<option value="${p}"${p === this.pollutant ? ' selected' : ''}>${pollutantName(p)} (${pollutantUnit(p)})</option>`).join('')}</select></label>
      <p class="hint">${t('env.idw.note')} (${idw.stations} / ${idw.nx}×${idw.ny})</p>`;
    h += `<table class="aqi-table"><tr><th>ID</th><th>${t('env.aqi')}</th><th>${t('env.category')}</th><th>${t('env.primary')}</th><th>${t('env.exceed')}</th></tr>
      ${aqi.features.map((f) => {
        const a = f.properties.air;
        return `<tr data-station="${escapeHtml(f.properties.id)}" data-colour="${escapeHtml(a.colour || '')}"><td><span class="chip" style="background:${escapeHtml(a.colour || '#607d8b')}"></span>${escapeHtml(f.properties.id)}</td>
          <td class="num">${a.aqi ?? '—'}</td><td>${escapeHtml(aqiCategory(a))}</td><td>${escapeHtml((a.primary || []).map(pollutantName).join(', '))}</td>
          <td>${(a.exceedances || []).map((x) => `${escapeHtml(pollutantName(x.pollutant))} ${escapeHtml(x.period)} ×${fmtNum(x.ratio, 2)}`).join('; ')}</td></tr>`;
      }).join('')}</table>`;
    h += `<h4>${t('env.toxic')}</h4><table class="toxic-table"><tr><th></th><th>${t('env.detectors')}</th><th>${t('env.exceeding')}</th><th>${t('env.hours')}</th><th>${t('env.worst')}</th></tr>
      ${toxic.enterprises.map((e) => `<tr class="${e.detectors_exceeding ? 'bad' : ''}" data-enterprise="${escapeHtml(e.enterprise)}"><td>${escapeHtml(this.app.entName(e.enterprise))}</td><td class="num">${e.detectors}</td>
        <td class="num">${e.detectors_exceeding}</td><td class="num">${fmtVal(e.exceedance_hours, 'h')}</td>
        <td>${e.worst ? `${escapeHtml(e.worst.detector)} ${escapeHtml(subst(e.worst.gas))} ${escapeHtml(fmtVal(e.worst.max, e.worst.unit || 'ppm'))} / ${escapeHtml(fmtVal(e.worst.alarm1, e.worst.unit || 'ppm'))}` : '—'}</td></tr>`).join('')}</table>`;
    return h;
  }


  _emHtml() {
    const { incidents, incident: v } = this.data;
    let h = '';
    if (!incidents.length) h += `<p class="hint">${t('em.none')}</p>`;
    else
      h += `<ul class="incidents">${[...incidents].reverse().map((i) => {
        const st = i.end_ms && (this.app.mode === 'live' || i.end_ms <= this.app.at) ? 'closed' : i.proposed ? 'proposed' : 'active';
        return `<li class="${st}${v && v.incident.id === i.id ? ' on' : ''}" data-incident="${escapeHtml(i.id)}">
          <button type="button" class="link" data-incident="${escapeHtml(i.id)}">${escapeHtml(i.id)}</button>
          <span class="badge ${st}">${t(`em.${st}`)}</span> ${escapeHtml(i.tank || `${fmtNum(i.lon, 4)},${fmtNum(i.lat, 4)}`)}
          ${escapeHtml(subst(i.substance))} ${fmtNum(i.release_kg_s, 1)} kg/s · ${fmtTime(i.start_ms)}</li>`;
      }).join('')}</ul>`;
    if (v) {
      const w = v.weather;
      h += '<div class="em-command-slot"></div>';
      h += `<div class="incident" data-incident="${escapeHtml(v.incident.id)}">`;
      if (w) h += `<p>${t('em.wind')} ${fmtNum(w.wind_m_s, 1)} m/s ${t('em.from')} ${fmtNum(w.wind_from_deg, 0)}° · ${t('em.stability')} ${w.stability}${w.assumed ? ' *' : ''} · ${escapeHtml(v.weather_station || '')}</p>`;
      h += `<table class="zones"><tr><th>${t('em.zones')}</th><th>${t('em.threshold')}</th><th>${t('em.distance')}</th><th>${t('em.occupants')}</th><th>${t('em.buildings')}</th></tr>
        ${v.zones.map((z) => `<tr><td><span class="chip" style="background:${escapeHtml(z.colour)}"></span>${escapeHtml(z.endpoint)}</td><td class="num">${fmtVal(z.ppm, 'ppm', 0)}</td>
          <td class="num">${fmtVal(z.max_downwind_m, 'm', 0)}</td><td class="num">${z.occupants ?? '—'}</td><td class="num">${(z.buildings || []).length}</td></tr>`).join('')}</table>`;
      const dets = new Map();
      for (const z of v.zones) for (const d of z.detectors || []) if (!dets.has(d.id)) dets.set(d.id, d);
      if (dets.size)
        h += `<h4>${t('em.detectors')}</h4><table class="verdicts">${[...dets.values()].map((d) => `<tr class="v-${d.verdict.replace(' ', '-')}"><td>${escapeHtml(d.id)}</td>
          <td>${escapeHtml(t(`verdict.${d.verdict}`))}</td><td class="num">${escapeHtml(fmtVal(d.reading, d.unit))} / ${escapeHtml(fmtVal(d.predicted, d.unit))}</td></tr>`).join('')}</table>`;
      const r = v.response;
      if (r) {
        const list = (key, items) => items && items.length ? `<h4>${t(key)}</h4><ul class="resp">${items.map((x) => `<li>${escapeHtml(respName(x))} · ${fmtNum(x.distance_m / 1000, 2)} km${x.side ? ` · ${t(`side.${x.side}`)}` : ''}</li>`).join('')}</ul>` : '';
        h += list('em.shelters', r.shelters) + list('em.gates', r.gates) + list('em.fire', r.fire_stations);
        const rs = r.routes && r.routes.features ? r.routes.features.map((f) => f.properties) : [];
        const eng = rs.filter((p) => p.role === 'responder'), evac = rs.filter((p) => p.role === 'evacuation');
        if (eng.length)
          h += `<h4>${t('em.responders')}</h4><table class="routes responders"><tr><th>${t('em.route_from')}</th><th>km</th><th>${t('em.eta')}</th></tr>
            ${eng.map((p) => `<tr><td>${escapeHtml(routeEnd(p, 'from'))}${p.through_zone ? ' ⚠' : ''}</td><td class="num">${fmtNum(p.length_m / 1000, 2)}</td><td class="num">${fmtNum(p.eta_s / 60, 1)} min</td></tr>`).join('')}</table>`;
        if (evac.length)
          h += `<h4>${t('em.evacuation')}</h4><table class="routes evacuation"><tr><th>${t('em.route_from')}</th><th>${t('em.to')}</th><th>${t('em.occupants')}</th><th>${t('em.eta')}</th></tr>
            ${evac.map((p) => `<tr><td>${escapeHtml(routeEnd(p, 'from'))}${p.through_zone ? ' ⚠' : ''}</td><td>${escapeHtml(routeEnd(p, 'to'))}</td><td class="num">${p.people ?? '—'}</td><td class="num">${fmtNum(p.eta_s / 60, 1)} min</td></tr>`).join('')}</table>`;
        if (r.routes && r.routes.unreachable && r.routes.unreachable.length)
          h += `<p class="warn">${t('em.unreachable')}: ${r.routes.unreachable.map(escapeHtml).join(', ')}</p>`;
      }
      if (v.alarming_outside && v.alarming_outside.length) h += `<h4>${t('em.outside')}</h4><p>${v.alarming_outside.map(escapeHtml).join(', ')}</p>`;
      if (this.canAct && this.app.mode === 'live' && !v.incident.end_ms)
        h += `<button type="button" class="close-incident" data-close="${escapeHtml(v.incident.id)}">${t('em.close')}</button>`;
      h += '</div>';
    }
    h += '<div class="em-threat-slot"></div>';
    if (this.canAct && this.app.mode === 'live') {
      const tanks = (this.app.map.byKind.tank || []).map((f) => f.id);
      h += `<form class="incident-form"><h4>${t('em.open')}</h4>
        <label>${t('em.tank')} <select name="tank">${tanks.map((id) => `<option>${escapeHtml(id)}</option>`).join('')}</select></label>
        <label>${t('em.rate')} <input name="release_kg_s" type="number" min="0.01" step="any" value="5" required></label>
        <label>${t('em.note')} <input name="note" maxlength="200"></label>
        <button type="submit">${t('em.submit')}</button></form>`;
    }
    return h;
  }

  _click(e) {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.source) {
      const f = this.data.risk && this.data.risk.features.find((x) => x.properties.id === b.dataset.source);
      if (f) {
        const m = this.app.map;
        m.map.fitBounds(L.geoJSON(f).getBounds(), { maxZoom: 17, padding: [40, 40] });
        this.showSource(f);
      }
    } else if (b.dataset.incident) {
      this.incidentId = b.dataset.incident;
      this.refresh();
    } else if (b.dataset.close) {
      b.disabled = true;
      this.app.api.post(`incidents/${encodeURIComponent(b.dataset.close)}/close`, {})
        .then(() => this.refresh(), (err) => this.app.toast(`${t('error')}: ${errText(err)}`));
    }
  }

  _change(e) {
    if (e.target.name === 'pollutant') {
      this.pollutant = e.target.value;
      this.refresh();
    }
  }

  _submit(e) {
    const form = e.target.closest('form.incident-form');
    if (!form) return;
    e.preventDefault();
    const body = { tank: form.tank.value, release_kg_s: Number(form.release_kg_s.value) };
    if (form.note.value.trim()) body.note = form.note.value.trim();
    form.querySelector('button[type=submit]').disabled = true;
    this.app.api.post('incidents', body).then((v) => {
      form.reset();
      this.incidentId = v.incident.id;
      this.refresh();
    }, (err) => {
      form.querySelector('button[type=submit]').disabled = false;
      this.app.toast(`${t('error')}: ${errText(err)}`);
    });
  }
}

function pickIncident(list, T) {
  const open = list.filter((i) => !i.end_ms || i.end_ms > T);
  const pick = open.filter((i) => !i.proposed).pop() || open.pop() || list[list.length - 1];
  return pick ? pick.id : null;
}

function riskHtml(r) {
  const rows = [[t('risk.R'), fmtNum(r.R, 2)], [t('risk.grade'), gradeText(r.grade)], [t('risk.S'), fmtNum(r.S, 2)],
    [t('risk.alpha'), r.alpha], [t('risk.exposed'), r.exposed_people], [t('risk.major'), r.major ? '✔' : '—'],
    [t('risk.level'), `<span class="chip" style="background:${escapeHtml(r.colour)}"></span>${escapeHtml(t(`level.${r.level}`))}`]];
  return `<table class="props risk">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${typeof v === 'string' && v.startsWith('<span') ? v : escapeHtml(v)}</td></tr>`).join('')}
    <tr><th>${t('risk.reasons')}</th><td class="reasons">${r.reasons.length ? r.reasons.map((x) => escapeHtml(reasonText(x))).join('<br>') : '—'}</td></tr>
    <tr><th>${t('risk.inventory')}</th><td>${r.inventory.map((i) => `${escapeHtml(subst(i.substance))} ${fmtVal(i.q_t, 't', 1)}${i.Q_t ? ` / Q ${fmtVal(i.Q_t, 't')}` : ''}`).join('<br>')}</td></tr></table>`;
}

function airHtml(a) {
  const rows = Object.entries(a.concentrations || {}).map(([p, c]) => {
    const u = c.unit || pollutantUnit(p);
    return `<tr><th>${escapeHtml(pollutantName(p))}</th><td class="num">${fmtVal(c['1h'], u)}</td><td class="num">${fmtVal(c['24h'], u)}${c['24h_valid'] ? '' : '*'}</td><td class="num">${fmtVal(c['8h'], u)}</td></tr>`;
  }).join('');
  return `<p><span class="chip" style="background:${escapeHtml(a.colour || '#607d8b')}"></span>AQI <b>${a.aqi ?? '—'}</b> ${escapeHtml(aqiCategory(a))}
    · ${t('env.primary')} ${escapeHtml((a.primary || []).map(pollutantName).join(', ') || '—')}</p>
    <table class="props air"><tr><th></th><th>1h</th><th>24h</th><th>8h</th></tr>${rows}</table>`;
}

/**
 * The AQI category as HJ 633 names it: the same labels as the legend's
 * (i18n aqi.1 .. aqi.6), from the index itself, so the table, the details
 * and the legend cannot disagree.
 */
export function aqiCategory(a) {
  if (a.aqi === null || a.aqi === undefined || !Number.isFinite(Number(a.aqi))) return '—';
  return t(`aqi.${aqiLevel(Number(a.aqi)) + 1}`);
}

/** A shelter's, gate's or fire station's name in the page's language. */
// a route's end by the page's language (the API gives both names)
function routeEnd(p, end) {
  return featureName({ id: p[end], name: p[`${end}_name`], name_zh: p[`${end}_name_zh`] }, 'response');
}

function respName(x) {
  return featureName({ id: x.id, name: x.name, name_zh: x.name_zh }, 'response');
}
