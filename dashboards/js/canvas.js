// canvas.js - the map's features drawn on two canvases: a static one (the
// plots, roads, buildings and hazard sources, the views' fills, footprints
// and interpolated field, the pipelines and tanks) and a live one (the gas
// detectors and the rings marking a selection or a detector's verdict).
//
// Why not Leaflet's vector layers: at scale 10 (15,000 detectors, 4,000
// buildings) creating, adding and projecting a Leaflet layer per feature
// took seconds, and on this kind of machine (software rendering, no GPU)
// each canvas a frame changes costs its whole bitmap copied to the
// compositor (~40 ms for a 1920x1080 map): one canvas per Leaflet renderer
// made every pan cost several. Here a canvas is a Leaflet Canvas renderer
// (which keeps handling its size, position and zoom animation) that draws
// sets of features kept in typed arrays, batched by style: one path per
// style, so 15,000 points or 4,000 polygons draw in about 10 ms. A live
// update restyles a point (a byte) and asks for one redraw on the next
// animation frame, whatever the number of restyles.
//
// A set has project(crs, zoom), draw(ctx, origin, bounds, host) and hit();
// styles are palette entries: points {fill, stroke, width, grow (px on
// the radius), hollow, flash, opacity, order}; shapes {fill, fillOpacity,
// stroke, width, opacity, dash, order}.
import { Canvas, Renderer, Browser, DomUtil, LatLng, LatLngBounds, Util } from '../vendor/leaflet/leaflet-src.esm.js';

/** lat, lng -> the map CRS's pixel position at scale 1 (times crs.scale(zoom) gives the zoom's). */
function unscaled(crs, lat, lng, out, k) {
  const s = crs.scale(0);
  const p = crs.latLngToPoint(new LatLng(lat, lng), 0);
  out[k] = p.x / s;
  out[k + 1] = p.y / s;
}

export const CanvasHost = Canvas.extend({
  options: { padding: 0.1 },

  initialize(options) {
    Canvas.prototype.initialize.call(this, options);
    this.sets = [];
    this.redraws = 0;
    this._flashOn = true;
    this._hasFlash = false;
    this._zoom = null;
  },

  add(set) {
    set.host = this;
    this.sets.push(set);
    return set;
  },

  requestRedraw() {
    if (this._map && !this._redrawRequest) this._redrawRequest = Util.requestAnimFrame(this._redraw, this);
  },

  onAdd(map) {
    Canvas.prototype.onAdd.call(this, map);
    this._flashTimer = setInterval(() => {
      this._flashOn = !this._flashOn;
      if (this._hasFlash) this.requestRedraw();
    }, 500);
  },

  onRemove(map) {
    clearInterval(this._flashTimer);
    Canvas.prototype.onRemove.call(this, map);
  },

  // Leaflet's Canvas sets width and height on every move end, which
  // reallocates and clears the bitmap; keep it when the size is the same.
  _update() {
    if (this._map._animatingZoom && this._bounds) return;
    Renderer.prototype._update.call(this);
    const b = this._bounds, c = this._container, size = b.getSize(), m = Browser.retina ? 2 : 1;
    DomUtil.setPosition(c, b.min);
    if (c.width !== m * size.x || c.height !== m * size.y) {
      c.width = m * size.x;
      c.height = m * size.y;
      c.style.width = `${size.x}px`;
      c.style.height = `${size.y}px`;
    }
    this._ctx.setTransform(m, 0, 0, m, 0, 0);
    this._ctx.translate(-b.min.x, -b.min.y);
    this.fire('update');
  },

  _updatePaths() {
    if (this._postponeUpdatePaths) return;
    this._redraw();
  },

  _draw() {
    const ctx = this._ctx, map = this._map;
    if (!ctx || !map || !this._bounds) return;
    const z = map.getZoom(), crs = map.options.crs;
    const o = map.getPixelOrigin();
    let flash = false;
    for (const s of this.sets) {
      if (!s.visible) continue;
      s.project(crs, z);
      ctx.save();
      if (s.draw(ctx, o, this._bounds, z, this._flashOn)) flash = true;
      ctx.restore();
    }
    this._hasFlash = flash;
    this.redraws++;
  },

  /** layer point -> absolute pixel at the current zoom (what the sets hit-test in). */
  abs(lp) {
    const o = this._map.getPixelOrigin();
    return { x: lp.x + o.x, y: lp.y + o.y, z: this._map.getZoom(), crs: this._map.options.crs };
  },
});

// ---------------------------------------------------------------- points

export class PointSet {
  /** radius(zoom) in px; squaresAbove: more points in view than this draw as squares. */
  constructor(palette, { radius, squaresAbove = 4000 } = {}) {
    this.palette = palette;
    this.radiusOf = radius || ((z) => (z <= 13 ? 2 : z <= 14 ? 2.5 : z <= 15 ? 3.5 : z <= 16 ? 5 : z <= 17 ? 7 : 9));
    this.squaresAbove = squaresAbove;
    this.visible = true;
    this.setPoints([]);
  }

  /** latlngs: [[lat, lng], ...]; every point starts with style 0. */
  setPoints(latlngs) {
    const n = latlngs.length;
    this.n = n;
    this.lat = new Float64Array(n);
    this.lng = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.lat[i] = latlngs[i][0];
      this.lng[i] = latlngs[i][1];
    }
    this.style = new Uint8Array(n);
    this.u = null; // positions at scale 1
    this.px = new Float64Array(2 * n);
    this._z = null;
    this.redraw();
  }

  redraw() {
    if (this.host && this.visible) this.host.requestRedraw();
  }

  setVisible(on) {
    this.visible = on;
    if (this.host) this.host.requestRedraw();
  }

  /** Restyles point i; the host redraws on the next frame when it changed. */
  setStyle(i, s) {
    if (this.style[i] !== s) {
      this.style[i] = s;
      this.redraw();
    }
  }

  project(crs, z) {
    if (z === this._z && this._crs === crs) return;
    if (!this.u || this._crs !== crs) {
      this.u = new Float64Array(2 * this.n);
      for (let i = 0; i < this.n; i++) unscaled(crs, this.lat[i], this.lng[i], this.u, 2 * i);
    }
    const s = crs.scale(z), u = this.u, px = this.px;
    for (let i = 0; i < u.length; i++) px[i] = u[i] * s;
    this._z = z;
    this._crs = crs;
  }

  draw(ctx, o, b, z, flashOn) {
    const n = this.n;
    if (!n) return false;
    const pal = this.palette, ns = pal.length, px = this.px;
    // counting sort by style
    const count = new Uint32Array(ns + 1);
    for (let i = 0; i < n; i++) count[this.style[i] + 1]++;
    for (let s = 0; s < ns; s++) count[s + 1] += count[s];
    const next = count.slice();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[next[this.style[i]]++] = i;
    const minX = b.min.x + o.x - 20, minY = b.min.y + o.y - 20, maxX = b.max.x + o.x + 20, maxY = b.max.y + o.y + 20;
    let inView = 0;
    for (let i = 0; i < n; i++) {
      const x = px[2 * i], y = px[2 * i + 1];
      if (x >= minX && x <= maxX && y >= minY && y <= maxY) inView++;
    }
    // Thousands of points in view (a whole park at scale 10): small squares,
    // which a software canvas fills 3 to 4 times faster than arcs (measured);
    // fewer: circles. Thousands in an alarm style (a flood of stale-data
    // alarms when a broker is lost) do not blink: a blinking park says
    // nothing the alarm panel does not, and costs a redraw every 500 ms.
    const squares = inView > this.squaresAbove;
    let flashing = 0;
    for (let s = 0; s < ns; s++) if (pal[s].flash) flashing += count[s + 1] - count[s];
    const blink = flashing <= this.squaresAbove / 2;
    const r0 = this.radiusOf(z);
    const styles = [...pal.keys()].sort((a, c) => (pal[a].order || 0) - (pal[c].order || 0));
    let flash = false;
    this.drawCount = 0;
    for (const s of styles) {
      const from = count[s], to = count[s + 1];
      if (from === to) continue;
      const st = pal[s];
      if (st.hidden) continue;
      const r = r0 + (st.grow || 0);
      const sq = squares && ((st.grow || 0) <= 2 || to - from > 500);
      const side = r * 1.8;
      ctx.beginPath();
      let any = false;
      for (let k = from; k < to; k++) {
        const i = order[k];
        const ax = px[2 * i], ay = px[2 * i + 1];
        if (ax < minX || ax > maxX || ay < minY || ay > maxY) continue;
        const x = ax - o.x, y = ay - o.y;
        if (sq) ctx.rect(x - side / 2, y - side / 2, side, side);
        else {
          ctx.moveTo(x + r, y);
          ctx.arc(x, y, r, 0, 2 * Math.PI);
        }
        any = true;
        this.drawCount++;
      }
      if (!any) continue;
      if (st.flash && blink) flash = true;
      const dim = st.flash && blink && !flashOn;
      if (!st.hollow) {
        ctx.globalAlpha = dim ? 0.25 : st.opacity ?? 1;
        ctx.fillStyle = st.fill;
        ctx.fill();
      }
      if (st.stroke) {
        ctx.globalAlpha = dim ? 0.35 : 1;
        ctx.lineWidth = st.width || 1;
        ctx.strokeStyle = st.stroke;
        ctx.stroke();
      }
    }
    return flash;
  }

  /** The nearest visible point within its radius plus tol px of an absolute pixel, or -1. */
  hit(p, tol = 4) {
    if (!this.visible || !this.n) return -1;
    this.project(p.crs, p.z);
    const r0 = this.radiusOf(p.z) + tol;
    let best = -1, bd = Infinity;
    for (let i = 0; i < this.n; i++) {
      const st = this.palette[this.style[i]];
      if (st && st.hidden) continue;
      const dx = this.px[2 * i] - p.x, dy = this.px[2 * i + 1] - p.y;
      const d = dx * dx + dy * dy;
      const r = r0 + (st && st.grow ? st.grow : 0);
      if (d <= r * r && d < bd) {
        bd = d;
        best = i;
      }
    }
    return best;
  }
}

// ---------------------------------------------------------------- rings (marks)

/** Rings around points: the selection, a detector's verdict. Each {lat, lng, radius, stroke, width}. */
export class RingSet {
  constructor() {
    this.visible = true;
    this.rings = [];
  }

  set(rings) {
    this.rings = rings;
    this._z = null;
    if (this.host) this.host.requestRedraw();
  }

  project(crs, z) {
    if (z === this._z) return;
    const tmp = new Float64Array(2);
    for (const r of this.rings) {
      unscaled(crs, r.lat, r.lng, tmp, 0);
      r.x = tmp[0] * crs.scale(z);
      r.y = tmp[1] * crs.scale(z);
    }
    this._z = z;
  }

  draw(ctx, o) {
    for (const r of this.rings) {
      ctx.beginPath();
      ctx.arc(r.x - o.x, r.y - o.y, r.radius, 0, 2 * Math.PI);
      ctx.lineWidth = r.width || 3;
      ctx.strokeStyle = r.stroke;
      ctx.stroke();
    }
    return false;
  }
}

// ---------------------------------------------------------------- shapes

/** GeoJSON geometry -> rings of [lng, lat, ...] and whether they are areas. */
export function ringsOf(geometry) {
  const t = geometry.type, c = geometry.coordinates;
  const flat = (line) => {
    const a = new Float64Array(line.length * 2);
    for (let i = 0; i < line.length; i++) {
      a[2 * i] = line[i][0];
      a[2 * i + 1] = line[i][1];
    }
    return a;
  };
  if (t === 'Polygon') return { rings: c.map(flat), closed: true };
  if (t === 'MultiPolygon') return { rings: c.flat(1).map(flat), closed: true };
  if (t === 'LineString') return { rings: [flat(c)], closed: false };
  if (t === 'MultiLineString') return { rings: c.map(flat), closed: false };
  return { rings: [], closed: false };
}

export class ShapeSet {
  constructor(palette) {
    this.palette = palette || [];
    this.items = [];
    this.hidden = new Set(); // groups not drawn
    this.visible = true;
  }

  /** items: [{rings, closed, style, group}] (ringsOf gives rings and closed). */
  setItems(items, palette) {
    if (palette) this.palette = palette;
    for (const it of items) {
      let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
      for (const r of it.rings)
        for (let i = 0; i < r.length; i += 2) {
          if (r[i] < minX) minX = r[i];
          if (r[i] > maxX) maxX = r[i];
          if (r[i + 1] < minY) minY = r[i + 1];
          if (r[i + 1] > maxY) maxY = r[i + 1];
        }
      it.bbox = [minX, minY, maxX, maxY]; // lng/lat
    }
    this.items = items;
    this._z = null;
    if (this.host) this.host.requestRedraw();
  }

  bounds(i) {
    const b = this.items[i].bbox;
    return new LatLngBounds([b[1], b[0]], [b[3], b[2]]);
  }

  setItemStyle(i, s) {
    if (this.items[i].style !== s) {
      this.items[i].style = s;
      if (this.host) this.host.requestRedraw();
    }
  }

  setGroupVisible(group, on) {
    if (on) this.hidden.delete(group);
    else this.hidden.add(group);
    if (this.host) this.host.requestRedraw();
  }

  count(group) {
    if (this.hidden.has(group)) return 0;
    let n = 0;
    for (const it of this.items) if (it.group === group) n++;
    return n;
  }

  project(crs, z) {
    if (z === this._z && this._crs === crs) return;
    const s = crs.scale(z);
    const tmp = new Float64Array(2);
    for (const it of this.items) {
      if (!it.u || this._crs !== crs) {
        it.u = it.rings.map((r) => {
          const u = new Float64Array(r.length);
          for (let i = 0; i < r.length; i += 2) unscaled(crs, r[i + 1], r[i], u, i);
          return u;
        });
        unscaled(crs, it.bbox[3], it.bbox[0], tmp, 0); // north-west
        const x0 = tmp[0], y0 = tmp[1];
        unscaled(crs, it.bbox[1], it.bbox[2], tmp, 0); // south-east
        it.ub = [x0, y0, tmp[0], tmp[1]];
      }
      it.px = it.u.map((u) => {
        const p = new Float64Array(u.length);
        for (let i = 0; i < u.length; i++) p[i] = u[i] * s;
        return p;
      });
      it.pxb = [it.ub[0] * s, it.ub[1] * s, it.ub[2] * s, it.ub[3] * s];
    }
    this._z = z;
    this._crs = crs;
  }

  draw(ctx, o, b) {
    if (!this.items.length) return false;
    const minX = b.min.x + o.x - 10, minY = b.min.y + o.y - 10, maxX = b.max.x + o.x + 10, maxY = b.max.y + o.y + 10;
    const pal = this.palette;
    const byStyle = pal.map(() => []);
    for (const it of this.items) {
      if (this.hidden.has(it.group) || !byStyle[it.style]) continue;
      const p = it.pxb;
      if (p[2] < minX || p[0] > maxX || p[3] < minY || p[1] > maxY) continue;
      byStyle[it.style].push(it);
    }
    const order = [...pal.keys()].sort((x, y) => (pal[x].order || 0) - (pal[y].order || 0));
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const s of order) {
      const list = byStyle[s];
      if (!list.length) continue;
      const st = pal[s];
      // No closePath: in a path of thousands of contours Chromium's
      // closePath costs 5 to 10 times the rest (measured); GeoJSON rings end
      // where they start, and fill closes them anyway.
      ctx.beginPath();
      for (const it of list)
        for (const r of it.px) {
          ctx.moveTo(r[0] - o.x, r[1] - o.y);
          for (let i = 2; i < r.length; i += 2) ctx.lineTo(r[i] - o.x, r[i + 1] - o.y);
        }
      if (st.fill && list[0].closed) {
        ctx.globalAlpha = st.fillOpacity ?? 1;
        ctx.fillStyle = st.fill;
        ctx.fill('evenodd');
      }
      if (st.stroke) {
        ctx.globalAlpha = st.opacity ?? 1;
        ctx.strokeStyle = st.stroke;
        ctx.lineWidth = st.width || 1;
        ctx.setLineDash(st.dash || []);
        ctx.stroke();
      }
    }
    return false;
  }

  /** The topmost item of a group at an absolute pixel (lines within tol px), or -1. */
  hit(p, group, tol = 4) {
    if (!this.visible || this.hidden.has(group)) return -1;
    this.project(p.crs, p.z);
    for (let k = this.items.length - 1; k >= 0; k--) {
      const it = this.items[k];
      if (it.group !== group) continue;
      const b = it.pxb;
      if (p.x < b[0] - tol || p.x > b[2] + tol || p.y < b[1] - tol || p.y > b[3] + tol) continue;
      const w = (this.palette[it.style] && this.palette[it.style].width) || 1;
      if (it.closed ? inRings(it.px, p.x, p.y) : nearLines(it.px, p.x, p.y, tol + w / 2)) return k;
    }
    return -1;
  }
}

function inRings(rings, x, y) {
  let inside = false;
  for (const r of rings) {
    const n = r.length / 2;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const xi = r[2 * i], yi = r[2 * i + 1], xj = r[2 * j], yj = r[2 * j + 1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

function nearLines(rings, x, y, tol) {
  for (const r of rings) {
    for (let i = 2; i < r.length; i += 2) {
      const ax = r[i - 2], ay = r[i - 1], bx = r[i], by = r[i + 1];
      const dx = bx - ax, dy = by - ay;
      const l2 = dx * dx + dy * dy;
      const t = l2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2)) : 0;
      const ex = ax + t * dx - x, ey = ay + t * dy - y;
      if (ex * ex + ey * ey <= tol * tol) return true;
    }
  }
  return false;
}
