// risk-units.js - the four-colour risk map (风险四色图) as a layer of the
// map's layer list, from GET /api/v1/risk-units/map (a GeoJSON
// FeatureCollection, api/routes_riskunits.c) joined with GET
// /api/v1/risk-units (each unit's method and its factors):
//  - each unit's polygon (or point) filled in its live level's colour, its
//    outline in the assessed level's colour (red major, orange large,
//    yellow general, blue low);
//  - a legend, shown while the layer is on;
//  - a click on a unit: a popup with its name, enterprise, method and
//    score, assessed and live level, and the reasons of the live level.
// An enterprise token sees its own units only (the API's scope). Off by
// default; loaded when switched on, and again every 30 s while it is.
// Drawn by an SVG renderer in its own pane above the static layout and
// under the live detectors: the paths carry data-unit and their fill, so
// the browser test reads the colours from the DOM; clicks reach the map
// (ParkMap._click asks riskHit) so detectors and tanks inside a unit stay
// clickable.
import { L, escapeHtml } from './map.js';
import { t, fmtNum, fmtTime, reasonText, errText, getLang } from './i18n.js';

export const RISK_COLOURS = { red: '#e53935', orange: '#fb8c00', yellow: '#fdd835', blue: '#1e88e5' };
export const LEVELS = ['major', 'large', 'general', 'low'];
export const LEVEL_COLOUR = { major: 'red', large: 'orange', general: 'yellow', low: 'blue' };
const REFRESH_MS = 30000;
const GREY = '#9e9e9e';

/** Is [lng, lat] inside a ring of [lng, lat] (even-odd)? */
function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
const inPolygon = (x, y, rings) => rings.length > 0 && inRing(x, y, rings[0]) && !rings.slice(1).some((h) => inRing(x, y, h));

export class RiskLayer {
  constructor(app) {
    this.app = app;
    this.lmap = app.map.map;
    const pane = this.lmap.createPane('pw-risk');
    pane.style.zIndex = 420; // above the static canvas (410), under the live one (440)
    pane.style.pointerEvents = 'none';
    this.renderer = L.svg({ pane: 'pw-risk', padding: 0.5 });
    this.group = L.layerGroup();
    this.on = false;
    this.units = [];
    this.error = null;
    this.loads = 0;
    this.timer = null;
    this.popup = null;
    this.popupUnit = null;
    this.legendEl = document.querySelector('#legend .risk');
    app.map.riskHit = (latlng, lp) => this.on && this.hit(latlng, lp);
    window.addEventListener('lang', () => {
      this._legend();
      if (this.popup && this.lmap.hasLayer(this.popup)) this.popup.setContent(this._popupHtml(this.popupUnit));
    });
    this._legend();
  }

  count() {
    return this.on ? this.units.length : 0;
  }

  setVisible(on) {
    this.on = on;
    document.body.classList.toggle('risk-on', on);
    clearInterval(this.timer);
    this.timer = null;
    if (on) {
      this.group.addTo(this.lmap);
      this.load();
      this.timer = setInterval(() => this.load(), REFRESH_MS);
    } else {
      this.lmap.removeLayer(this.group);
      if (this.popup) this.lmap.closePopup(this.popup);
    }
    this._count();
  }

  async load() {
    const api = this.app.api;
    const [m, l] = await Promise.allSettled([api.get('risk-units/map'), api.get('risk-units')]);
    if (m.status !== 'fulfilled') {
      this.error = m.reason;
    } else {
      this.error = null;
      const more = new Map(l.status === 'fulfilled' ? (l.value.units || []).map((u) => [u.id, u]) : []);
      this.units = (m.value.features || []).filter((f) => f && f.geometry).map((f) => {
        const id = (f.properties && f.properties.id) || f.id;
        const x = more.get(id) || {};
        return { id, geometry: f.geometry, p: { ...x, ...f.properties } };
      });
      this._draw();
      if (this.popupUnit && this.popup && this.lmap.hasLayer(this.popup)) {
        const u = this.units.find((x) => x.id === this.popupUnit.id);
        if (u) this.popup.setContent(this._popupHtml((this.popupUnit = u)));
      }
    }
    this.loads++;
    this._legend();
    this._count();
    if (this.legendEl) this.legendEl.dataset.loaded = String(this.loads);
  }

  _draw() {
    this.group.clearLayers();
    for (const u of this.units) {
      const live = u.p.live_colour || LEVEL_COLOUR[u.p.live_level];
      const assessed = u.p.colour || LEVEL_COLOUR[u.p.level];
      const style = {
        pane: 'pw-risk', renderer: this.renderer, interactive: false,
        fillColor: RISK_COLOURS[live] || GREY, fillOpacity: 0.42,
        color: RISK_COLOURS[assessed] || GREY, weight: 3, opacity: 0.95,
        className: `risk-unit live-${live} assessed-${assessed}`,
      };
      const layer = L.geoJSON({ type: 'Feature', geometry: u.geometry, properties: {} }, {
        ...style,
        style: () => style,
        pointToLayer: (f, ll) => L.circleMarker(ll, { ...style, radius: 10 }),
      });
      u.layer = layer;
      this.group.addLayer(layer);
      layer.eachLayer((x) => {
        const el = x.getElement && x.getElement();
        if (!el) return;
        el.dataset.unit = u.id;
        el.dataset.live = live;
        el.dataset.assessed = assessed;
      });
    }
  }

  /** The unit under a click (a point within 12 px, else the polygon around it), its popup opened. */
  hit(latlng, lp) {
    const x = latlng.lng, y = latlng.lat;
    let found = null;
    for (const u of this.units) {
      const g = u.geometry;
      if (g.type === 'Point') {
        const p = this.lmap.latLngToLayerPoint([g.coordinates[1], g.coordinates[0]]);
        if (p.distanceTo(lp) <= 12) found = u;
      } else if (g.type === 'Polygon' && inPolygon(x, y, g.coordinates)) found = found || u;
      else if (g.type === 'MultiPolygon' && g.coordinates.some((rings) => inPolygon(x, y, rings))) found = found || u;
      if (found && g.type === 'Point') break;
    }
    if (!found) return false;
    this.open(found, latlng);
    return true;
  }

  open(u, latlng) {
    this.popupUnit = u;
    if (!latlng) {
      const g = u.geometry;
      latlng = g.type === 'Point' ? L.latLng(g.coordinates[1], g.coordinates[0]) : u.layer.getBounds().getCenter();
    }
    this.popup = L.popup({ className: 'risk-popup', maxWidth: 340, autoPanPadding: [20, 20] })
      .setLatLng(latlng).setContent(this._popupHtml(u)).openOn(this.lmap);
  }

  _name(p) {
    return getLang() === 'zh' ? p.name_zh || p.name || p.id : p.name || p.name_zh || p.id;
  }

  _level(level, colour) {
    const c = colour || LEVEL_COLOUR[level];
    return `<span class="risk-level ${escapeHtml(c || '')}"><i style="background:${RISK_COLOURS[c] || GREY}"></i>${escapeHtml(t(`ru.level.${LEVELS.includes(level) ? level : 'unknown'}`))}</span>`;
  }

  _popupHtml(u) {
    const p = u.p;
    const method = p.method === 'LEC' || p.method === 'LS' ? p.method : '';
    const factors = method === 'LEC' ? [['L', p.l], ['E', p.e], ['C', p.c]] : method === 'LS' ? [['L', p.l], ['S', p.s]] : [];
    const f = factors.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k} ${fmtNum(v, 0)}`).join(' · ');
    const reasons = Array.isArray(p.reasons) ? p.reasons : [];
    const ent = this.app.who.role === 'enterprise' ? '' : `<div class="ent">${escapeHtml(this.app.entName(p.enterprise))}</div>`;
    return `<div class="risk-pop" data-unit="${escapeHtml(u.id)}"><b class="name">${escapeHtml(this._name(p))}</b> <small>${escapeHtml(u.id)}</small>${ent}
      <table>
      <tr><th>${escapeHtml(t('ru.method'))}</th><td class="method">${escapeHtml(method ? t(`ru.method.${method}`) : '—')}</td></tr>
      <tr><th>${escapeHtml(t('ru.score'))}</th><td class="score">${Number.isFinite(p.score) ? fmtNum(p.score, 0) : '—'}${f ? ` <small>(${escapeHtml(f)})</small>` : ''}</td></tr>
      <tr><th>${escapeHtml(t('ru.assessed'))}</th><td class="assessed">${this._level(p.level, p.colour)}${p.assessed_ms ? ` <small>${fmtTime(p.assessed_ms, true)}</small>` : ''}</td></tr>
      <tr><th>${escapeHtml(t('ru.live'))}</th><td class="live">${this._level(p.live_level, p.live_colour)}</td></tr>
      </table>
      <div class="reasons-head">${escapeHtml(t('ru.reasons'))}</div>
      ${reasons.length ? `<ul class="reasons">${reasons.map((r) => `<li>${escapeHtml(reasonText(r))}</li>`).join('')}</ul>` : `<p class="hint none">${escapeHtml(t('ru.no_reasons'))}</p>`}</div>`;
  }

  _legend() {
    const el = this.legendEl;
    if (!el) return;
    const n = {};
    for (const u of this.units) n[u.p.live_level] = (n[u.p.live_level] || 0) + 1;
    el.innerHTML = `<div class="head">${escapeHtml(t('ru.legend'))}</div>
      ${LEVELS.map((l) => `<span data-level="${l}"><i style="background:${RISK_COLOURS[LEVEL_COLOUR[l]]}"></i><em>${escapeHtml(t(`ru.level.${l}`))}</em> <small>${this.on ? n[l] || 0 : ''}</small></span>`).join('')}
      <div class="hint">${escapeHtml(t('ru.legend_note'))}</div>
      ${this.error ? `<div class="bad" role="alert">${escapeHtml(`${t('error')}: ${errText(this.error)}`)}</div>` : ''}`;
  }

  _count() {
    const n = document.querySelector('#layers label[data-kind="risk_units"] .n');
    if (n) n.textContent = String(this.count());
  }
}
