// contract-proxy.mjs - a stand-in for the parts of issue 19's API that a
// parkd without them lacks, so that the page's side can be tried before the
// back end lands: an HTTP proxy in front of parkd that passes everything
// through and
//  - answers GET /api/v1/enterprises and GET /api/v1/health?days= in the
//    shapes of the issue (figures made up from parkd's own answers: the
//    alarms per enterprise and priority, the plots' extents);
//  - gives the enterprise plots of /api/v1/layers/enterprise the config's
//    "name" and "name_zh", and the roads of /api/v1/layers/road made-up ones;
//  - gives alarm rows (GET /alarms, the stream's "active" and "alarm"
//    events, replay/state) "unit", "class", "asset", "enterprise_name",
//    "origin" and "basis", and series answers (/last, /series/range,
//    replay/state values) "unit".
// Only run.mjs --contract-proxy uses it; the real checks run against parkd.
import http from 'node:http';

const INSTRUMENT = new Set(['stale', 'fault', 'stuck', 'range', 'drift', 'flapping']);
function unitOf(series) {
  if (/\/lel$/.test(series)) return '%LEL';
  if (/\/ppm$/.test(series)) return 'ppm';
  if (/level$/.test(series)) return 'm';
  if (/\/T\d+\.pressure$/.test(series)) return 'kPa';
  if (/pressure$/.test(series)) return 'MPa';
  if (/temp$/.test(series)) return '°C';
  if (/flow$/.test(series)) return 'm³/h';
  if (/\/CO$/.test(series)) return 'mg/m³';
  if (/\/(PM2_5|PM10|SO2|NO2|O3)$/.test(series)) return 'µg/m³';
  if (/wind_speed$/.test(series)) return 'm/s';
  return undefined;
}

/** Starts the proxy on a free port in front of park.base; returns its base URL and close(). */
export async function startContractProxy(park) {
  const target = new URL(park.base);
  const names = new Map(park.enterprises.map((e) => [e.id, e]));
  const upstream = (method, path, headers, body) => new Promise((resolve, reject) => {
    const req = http.request({ host: target.hostname, port: target.port, method, path, headers }, resolve);
    req.on('error', reject);
    if (body && body.length) req.write(body);
    req.end();
  });
  const getJson = async (path, auth) => {
    const r = await upstream('GET', path, { authorization: auth });
    const chunks = [];
    for await (const c of r) chunks.push(c);
    return { status: r.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') };
  };
  const alarmRow = (a) => {
    if (!a || typeof a !== 'object' || !a.series) return a;
    const ent = a.enterprise || a.series.split('/')[0];
    const n = names.get(ent);
    const inst = INSTRUMENT.has(a.kind);
    return { ...a, unit: a.kind === 'stale' ? 's' : unitOf(a.series), class: inst ? 'instrument' : 'process',
      asset: a.asset, enterprise_name: n ? n.name : undefined, origin: 'derived',
      basis: inst ? 'no reading for the configured time' : 'GB/T 50493 level for the gas' };
  };
  const transform = (path, body) => {
    if (/^\/api\/v1\/alarms(\?|$)/.test(path) && body && Array.isArray(body.alarms)) body.alarms = body.alarms.map(alarmRow);
    if (/^\/api\/v1\/replay\/state/.test(path) && body) {
      if (Array.isArray(body.alarms)) body.alarms = body.alarms.map(alarmRow);
      if (Array.isArray(body.values)) body.values = body.values.map((v) => ({ ...v, unit: unitOf(v.series) }));
    }
    if (/^\/api\/v1\/last/.test(path) && body && Array.isArray(body.values))
      body.values = body.values.map((v) => ({ ...v, unit: unitOf(v.series) }));
    if (/^\/api\/v1\/series\/range/.test(path) && body && body.series) body.unit = unitOf(body.series);
    if (/^\/api\/v1\/layers\/enterprise/.test(path) && body && Array.isArray(body.features))
      for (const f of body.features) {
        const n = names.get(f.properties.id);
        if (n) Object.assign(f.properties, { name: n.name, ...(n.name_zh ? { name_zh: n.name_zh } : {}) });
      }
    if (/^\/api\/v1\/layers\/road/.test(path) && body && Array.isArray(body.features))
      body.features.forEach((f, k) => {
        if (!f.properties.name) Object.assign(f.properties, { name: `Binhai Road ${k + 1}`, name_zh: `滨海${k + 1}路` });
      });
    return body;
  };

  async function enterprises(auth) {
    const who = (await getJson('/api/v1/whoami', auth)).body;
    const plots = (await getJson('/api/v1/layers/enterprise?values=false', auth)).body.features;
    const alarms = (await getJson('/api/v1/alarms', auth)).body.alarms || [];
    const out = [];
    for (const f of plots) {
      const id = f.properties.id;
      if (who.role === 'enterprise' && id !== who.enterprise) continue;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      const walk = (c) => (typeof c[0] === 'number' ? (x0 = Math.min(x0, c[0]), x1 = Math.max(x1, c[0]), y0 = Math.min(y0, c[1]), y1 = Math.max(y1, c[1])) : c.forEach(walk));
      walk(f.geometry.coordinates);
      const al = { process: [0, 0, 0, 0], instrument: [0, 0, 0, 0] };
      for (const a of alarms) {
        if ((a.enterprise || a.series.split('/')[0]) !== id || a.state === 'normal' || a.shelved) continue;
        al[INSTRUMENT.has(a.kind) ? 'instrument' : 'process'][a.priority - 1]++;
      }
      const n = names.get(id) || {};
      out.push({ id, name: n.name, name_zh: n.name_zh, centre: [(x0 + x1) / 2, (y0 + y1) / 2], bbox: [x0, y0, x1, y1],
        series: 60, online: 60, online_rate: 1, completeness_today: 0.991, healthy_share: 0.99, alarms: al, status: 'online' });
    }
    return { enterprises: out };
  }

  function health(url) {
    const days = Math.max(1, Math.min(31, Number(url.searchParams.get('days')) || 7));
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    return { enterprise: url.searchParams.get('enterprise'),
      now: { instruments: 2492, online: 2480, online_rate: 0.995, healthy: 2470, healthy_share: 0.991,
        by_kind: { stale: 3, stuck: 1, range: 0, drift: 0, flapping: 0, fault: 1 } },
      days: Array.from({ length: days }, (_, k) => {
        const ms = today - (days - 1 - k) * 86400000;
        return { day: new Date(ms).toISOString().slice(0, 10), day_ms: ms, online_rate: 0.99, completeness: 0.98,
          healthy_share: 0.97, points_received: 980, points_expected: 1000, instruments: 2492 };
      }),
      enterprises: [] };
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      const auth = req.headers.authorization;
      if (req.method === 'GET' && (url.pathname === '/api/v1/enterprises' || url.pathname === '/api/v1/health')) {
        const who = await getJson('/api/v1/whoami', auth);
        if (who.status !== 200) {
          res.writeHead(who.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(who.body));
          return;
        }
        const body = url.pathname === '/api/v1/enterprises' ? await enterprises(auth) : health(url);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return;
      }
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const headers = { ...req.headers, host: target.host };
      delete headers['accept-encoding'];
      const up = await upstream(req.method, req.url, headers, Buffer.concat(chunks));
      const type = String(up.headers['content-type'] || '');
      if (type.startsWith('text/event-stream')) {
        res.writeHead(up.statusCode, up.headers);
        let buf = '';
        up.on('data', (c) => {
          buf += c.toString('utf8');
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            let line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.startsWith('data: ')) {
              try {
                const d = JSON.parse(line.slice(6));
                if (Array.isArray(d.alarms)) d.alarms = d.alarms.map(alarmRow);
                else if (d.series && d.rule !== undefined) Object.assign(d, alarmRow(d));
                line = `data: ${JSON.stringify(d)}`;
              } catch {
                /* not JSON: as it came */
              }
            }
            res.write(`${line}\n`);
          }
        });
        up.on('end', () => res.end(buf));
        req.on('close', () => up.destroy());
        return;
      }
      const body = [];
      for await (const c of up) body.push(c);
      let out = Buffer.concat(body);
      const h = { ...up.headers };
      if (/^application\/(geo\+)?json/.test(type) && url.pathname.startsWith('/api/v1/') && up.statusCode === 200) {
        out = Buffer.from(JSON.stringify(transform(url.pathname + url.search, JSON.parse(out.toString('utf8')))));
        delete h.etag;
      }
      h['content-length'] = String(out.length);
      res.writeHead(up.statusCode, h);
      res.end(out);
    } catch (err) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'proxy', message: String(err && err.message) } }));
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
