// live-worker.js - the page's polling, off the main thread: JSON of
// megabytes (the detectors' layer is 5 MB at 15,000 detectors, the device
// list 1.6 MB) is fetched, parsed and reduced here, and only what changed
// goes to the page, as typed arrays, so the page's frames stay short.
//
//  - GET /api/v1/layers/gas_detector (values and most urgent alarm of each
//    detector) every poll_ms; the first answer also gives the page the
//    detectors themselves (ids, positions, properties), the later ones are
//    slim (?slim=true: id, values and alarm alone, a third of the bytes);
//  - GET /api/v1/layers/{tank,pipeline,aq_station,weather_station} every
//    slow_ms: their alarms, and the wind;
//  - GET /api/v1/ingest/status and /ingest/devices every health_ms, the
//    dead letters every third time: the ingest health, devices counted per
//    enterprise.
// Replay pauses the layer polls (not the ingest health, which is about now).
//
// in:  {cmd: 'start', base, token, poll_ms, slow_ms, health_ms} {cmd: 'pause'} {cmd: 'resume'}
// out: {type: 'detector-layout', ids, lat, lng, props}
//      {type: 'detectors', idx, val, qual, ts, alarm, ms, total}  (typed arrays, transferred)
//      {type: 'alarms', kind, codes: [[id, code], ...]}  {type: 'weather', features}
//      {type: 'health', status, devices: {enterprise: [online, devices, gateway]}, dead, ms}
//      {type: 'error', status, message}  {type: 'unauthorized'}

const STATES = ['unack', 'acked', 'rtn_unack'];
const alarmCode = (a) => {
  if (!a) return 0;
  const s = STATES.indexOf(a.state);
  return s < 0 ? 0 : (a.priority - 1) * 3 + 1 + s;
};

let cfg = null;
let index = null; // detector id -> index, from the first answer
let seriesOf = null; // index -> the detector's series (its first), from the first answer
let prev = null; // {val, qual, alarm}
let prevOther = new Map(); // id -> alarm code
let paused = false;
let full = true;
let generation = 0;
let healthRound = 0;

self.onmessage = (e) => {
  const m = e.data;
  if (m.cmd === 'start') {
    cfg = m;
    full = true;
    paused = false;
    restart();
    loop(-1, pollHealth, cfg.health_ms, () => false);
  } else if (m.cmd === 'pause') {
    paused = true;
    generation++;
  } else if (m.cmd === 'resume') {
    paused = false;
    full = true;
    prevOther = new Map();
    restart();
  }
};

function restart() {
  const gen = ++generation;
  const stopped = () => gen !== generation || paused;
  loop(gen, pollDetectors, cfg.poll_ms, stopped);
  loop(gen, pollOthers, cfg.slow_ms, stopped);
}

async function loop(gen, fn, every, stopped) {
  while (!stopped()) {
    const t0 = performance.now();
    try {
      await fn(stopped);
    } catch (err) {
      self.postMessage({ type: 'error', status: 0, message: String(err && err.message ? err.message : err) });
    }
    if (stopped()) return;
    await new Promise((r) => setTimeout(r, Math.max(100, every - (performance.now() - t0))));
  }
}

async function get(path) {
  const r = await fetch(`${cfg.base}/api/v1/${path}`, {
    headers: { Authorization: `Bearer ${cfg.token}` },
    cache: 'no-store',
  });
  if (r.status === 401) {
    self.postMessage({ type: 'unauthorized' });
    paused = true;
    return null;
  }
  if (!r.ok) {
    self.postMessage({ type: 'error', status: r.status, message: `${path}: HTTP ${r.status}` });
    return null;
  }
  return r.json();
}

async function pollDetectors(stopped) {
  const t0 = performance.now();
  const fc = await get(index ? 'layers/gas_detector?slim=true' : 'layers/gas_detector');
  const t1 = performance.now();
  if (!fc || (index && stopped())) return;
  if (!index) {
    // the detectors themselves, once: the page draws them from this
    const n = fc.features.length;
    const ids = new Array(n), lat = new Float64Array(n), lng = new Float64Array(n), props = new Array(n);
    index = new Map();
    seriesOf = new Array(n);
    fc.features.forEach((f, i) => {
      const p = { ...f.properties };
      delete p.values;
      delete p.alarm;
      ids[i] = p.id;
      lng[i] = f.geometry.coordinates[0];
      lat[i] = f.geometry.coordinates[1];
      props[i] = p;
      seriesOf[i] = p.series && p.series[0];
      index.set(p.id, i);
    });
    prev = { val: new Float64Array(n).fill(NaN), qual: new Uint8Array(n), alarm: new Uint8Array(n) };
    self.postMessage({ type: 'detector-layout', ids, lat, lng, props, fetch_ms: t1 - t0, prep_ms: performance.now() - t1 },
      [lat.buffer, lng.buffer]);
    if (stopped()) return;
  }
  const n = index.size;
  const idx = new Uint32Array(n), val = new Float64Array(n), qual = new Uint8Array(n);
  const ts = new Float64Array(n), alarm = new Uint8Array(n);
  let k = 0;
  for (const f of fc.features) {
    const p = f.properties;
    const i = index.get(p.id);
    if (i === undefined) continue;
    const s = seriesOf[i];
    const v = s && p.values ? p.values[s] : null;
    const value = v ? v.value : NaN;
    const q = v ? v.quality : 0;
    const a = alarmCode(p.alarm);
    if (!full && Object.is(prev.val[i], value) && prev.qual[i] === q && prev.alarm[i] === a) continue;
    prev.val[i] = value;
    prev.qual[i] = q;
    prev.alarm[i] = a;
    idx[k] = i;
    val[k] = value;
    qual[k] = q;
    ts[k] = v ? v.ts : 0;
    alarm[k] = a;
    k++;
  }
  full = false;
  const msg = { type: 'detectors', idx: idx.slice(0, k), val: val.slice(0, k), qual: qual.slice(0, k),
    ts: ts.slice(0, k), alarm: alarm.slice(0, k), ms: performance.now() - t0, total: fc.features.length };
  self.postMessage(msg, [msg.idx.buffer, msg.val.buffer, msg.qual.buffer, msg.ts.buffer, msg.alarm.buffer]);
}

async function pollOthers(stopped) {
  for (const kind of ['tank', 'pipeline', 'aq_station', 'weather_station']) {
    const fc = await get(`layers/${kind}`);
    if (!fc || stopped()) return;
    const codes = [];
    for (const f of fc.features) {
      const id = f.properties.id;
      const c = alarmCode(f.properties.alarm);
      if (prevOther.get(id) !== c) {
        prevOther.set(id, c);
        codes.push([id, c]);
      }
    }
    if (codes.length) self.postMessage({ type: 'alarms', kind, codes });
    if (kind === 'weather_station')
      self.postMessage({ type: 'weather', features: fc.features.map((f) => ({ properties: { id: f.properties.id, values: f.properties.values } })) });
  }
}

async function pollHealth() {
  const t0 = performance.now();
  const dead = healthRound++ % 3 === 0;
  const [status, devices, letters] = await Promise.all([get('ingest/status'), get('ingest/devices'),
    dead ? get('ingest/dead-letters') : Promise.resolve(null)]);
  if (!status || !devices) return;
  const per = {};
  for (const d of devices.devices) {
    const x = (per[d.enterprise] = per[d.enterprise] || [0, 0, -1]);
    if (d.device === 'gateway') x[2] = d.online ? 1 : 0;
    else {
      x[1]++;
      if (d.online) x[0]++;
    }
  }
  self.postMessage({ type: 'health', status, devices: per, dead: letters ? letters.dead_letters.slice(0, 50) : null,
    ms: performance.now() - t0 });
}
