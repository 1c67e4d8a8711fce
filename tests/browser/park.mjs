// park.mjs - the real thing for the browser tests: a mosquitto broker,
// parkd (serving the API and the dashboard from <repo>/dashboards) and
// parksim, on free loopback ports with their data in a temp dir; tokens of
// every role made with parkctl; and headless Debian chromium driven by
// playwright-core. Used by run.mjs (the checks), perf.mjs (the figures)
// and serve.mjs (a park to look at by hand).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const CHROMIUM = process.env.PARKWATCH_CHROMIUM || '/usr/bin/chromium';
export const MOSQUITTO = '/usr/sbin/mosquitto';
export const SKIP = 77; // ctest SKIP_RETURN_CODE

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** playwright-core from tests/browser/node_modules, or null when absent. */
export function loadPlaywright() {
  const req = createRequire(import.meta.url);
  try {
    return req('playwright-core');
  } catch {
    return null;
  }
}

/** Exits 77 (skipped) when chromium or node_modules are absent; bad usage 2. */
export function preflight(argv, usage) {
  if (argv.length < 2) {
    console.error(usage);
    process.exit(2);
  }
  const bindir = path.resolve(argv[0]);
  const repo = path.resolve(argv[1]);
  for (const exe of ['parkd', 'parkctl', 'parksim']) {
    if (!isExecutable(path.join(bindir, exe))) {
      console.error(`no ${exe} in ${bindir}`);
      process.exit(2);
    }
  }
  if (!isExecutable(CHROMIUM)) {
    console.log(`SKIP: no ${CHROMIUM} (apt-get install chromium; scripts/deps.sh does)`);
    process.exit(SKIP);
  }
  const pw = loadPlaywright();
  if (!pw) {
    console.log('SKIP: no tests/browser/node_modules (npm ci in tests/browser; scripts/deps.sh does)');
    process.exit(SKIP);
  }
  if (!isExecutable(MOSQUITTO)) {
    console.error(`no ${MOSQUITTO}`);
    process.exit(2);
  }
  return { bindir, repo, pw };
}

function isExecutable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port });
    c.on('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

export function log(...a) {
  const t = new Date().toISOString().slice(11, 23);
  console.log(`[${t}]`, ...a);
}

/**
 * The demo park (geo/demo-park.geojson) plus a fan of six combustible
 * detectors of E001 12 m west of tank T101, at bearings 245..295 degrees
 * (E001-GD901..906, series E001/gd-90N/lel). parksim's wind blows from
 * 90 +- 15 degrees (its hourly swing) plus noise, so whatever the hour one
 * of them is within 5 degrees of the plume's axis, where a leak of 8 kg/s
 * reads far above 50 %LEL by day and by night. The demo park's own
 * detectors are 15 m away at a bearing of 288 degrees: at night (stable
 * air, a narrow plume) a leak reaches them only in part of the wind's
 * swing, and a test must not depend on the hour it runs. Returns the path.
 */
export const FAN = ['E001-GD901', 'E001-GD902', 'E001-GD903', 'E001-GD904', 'E001-GD905', 'E001-GD906'];
export function testLayout(repo, dir) {
  const park = JSON.parse(fs.readFileSync(path.join(repo, 'geo', 'demo-park.geojson'), 'utf8'));
  const tank = park.features.find((f) => f.properties.id === 'E001-T101');
  if (!tank) throw new Error('demo-park.geojson has no E001-T101');
  const [lon, lat] = tank.geometry.coordinates;
  const mPerLat = 110540, mPerLon = 111320 * Math.cos((lat * Math.PI) / 180);
  FAN.forEach((id, k) => {
    const bearing = ((245 + 10 * k) * Math.PI) / 180;
    const dx = 12 * Math.sin(bearing), dy = 12 * Math.cos(bearing);
    const n = 901 + k;
    park.features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [+(lon + dx / mPerLon).toFixed(7), +(lat + dy / mPerLat).toFixed(7)] },
      properties: { id, kind: 'gas_detector', enterprise: 'E001', gas: 'propane', type: 'combustible',
        series: [`E001/gd-${n}/lel`] },
    });
  });
  const out = path.join(dir, 'test-park.geojson');
  fs.writeFileSync(out, JSON.stringify(park));
  return out;
}

/**
 * The park's enterprises as parkd's config lists them (E001..E030 and PARK),
 * named as the demo config (scripts/parkd-demo.json) names them: "name" and,
 * where it has one, "name_zh" (E001 "Donghai Petrochemical"); the others
 * keep the placeholder "Enterprise N".
 */
export function enterprises(n, repo, extra = {}) {
  const named = new Map();
  try {
    const demo = JSON.parse(fs.readFileSync(path.join(repo, 'scripts', 'parkd-demo.json'), 'utf8'));
    for (const e of demo.enterprises || []) named.set(e.id, e);
  } catch {
    /* no demo config: placeholders */
  }
  const ents = [];
  for (let i = 1; i <= n; i++) {
    const id = `E${String(i).padStart(3, '0')}`;
    const d = { ...(named.get(id) || {}), ...(extra[id] || {}) };
    const e = { id, name: d.name || `Enterprise ${i}`, interval_ms: 1000 };
    if (d.name_zh) e.name_zh = d.name_zh;
    ents.push(e);
  }
  const p = named.get('PARK') || {};
  ents.push({ id: 'PARK', name: p.name || 'Park administration', ...(p.name_zh ? { name_zh: p.name_zh } : {}), interval_ms: 1000 });
  return ents;
}

/**
 * Starts mosquitto and parkd (not parksim: startSim does) and makes the
 * tokens. opts: { bindir, repo, tmp, layout, enterprises, staticDir, name, names: {id: {name, name_zh}},
 *   config: {more members of parkd's config} }.
 * Returns the park: { apiPort, brokerPort, base, tokens, tmp, api(), stop() }.
 */
export async function startPark(opts) {
  const { bindir, repo } = opts;
  // under scripts/test.sh's PARKWATCH_TMP when it is set (removed after the run)
  const root = process.env.PARKWATCH_TMP || os.tmpdir();
  fs.mkdirSync(root, { recursive: true });
  const tmp = opts.tmp || fs.mkdtempSync(path.join(root, 'parkwatch-browser-'));
  const procs = [];
  const park = { tmp, procs, bindir, repo };
  if (opts.prepare) opts.layout = opts.prepare(tmp);
  park.layout = opts.layout || path.join(repo, 'geo', 'demo-park.geojson');
  park.stop = async () => {
    for (const p of [...procs].reverse()) await stopProc(p);
    procs.length = 0;
  };
  try {
    const brokerPort = await freePort();
    let apiPort = await freePort();
    while (apiPort === brokerPort) apiPort = await freePort();
    park.brokerPort = brokerPort;
    park.apiPort = apiPort;
    park.base = `http://127.0.0.1:${apiPort}`;

    const conf = path.join(tmp, 'mosquitto.conf');
    fs.writeFileSync(
      conf,
      `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\npersistence false\n` +
        'max_queued_messages 1000000000\nmax_inflight_messages 1000\nset_tcp_nodelay true\n',
    );
    procs.push(startProc('mosquitto', MOSQUITTO, ['-c', conf], path.join(tmp, 'mosquitto.log')));
    await waitFor(() => portOpen(brokerPort), 10000, 'mosquitto did not start');

    const data = path.join(tmp, 'data');
    fs.mkdirSync(data, { recursive: true });
    const tokens = {};
    const specs = [
      ['admin', 'admin', null],
      ['operator', 'operator', null],
      ['regulator', 'regulator', null],
      ['enterprise', 'enterprise', 'E001'],
      ['test', 'admin', null], // the test's own reads, so its polling is not the page's
    ];
    for (const [key, role, ent] of specs) {
      const args = ['token', 'create', '--file', path.join(data, 'tokens.json'), '--role', role,
        '--name', key === 'operator' ? 'duty-officer' : key];
      if (ent) args.push('--enterprise', ent);
      const r = spawnSync(path.join(bindir, 'parkctl'), args, { encoding: 'utf8', timeout: 30000 });
      const tok = (r.stdout || '').trim().split('\n').pop() || '';
      if (r.status !== 0 || !tok.startsWith('pw_'))
        throw new Error(`parkctl token create ${role}: ${r.stderr}`);
      tokens[key] = tok;
    }
    park.tokens = tokens;

    const cfg = {
      data_dir: data,
      broker: { host: '127.0.0.1', port: brokerPort, client_id: 'parkd-browser', keepalive_s: 30 },
      ingest: { ack_after: 'write', sync_interval_ms: 50, max_payload_bytes: 4194304,
        max_series_per_enterprise: 10000, dead_letters: 100 },
      historian: { retention_raw_days: 90, retention_1m_days: 730, retention_1h_days: 0 },
      api: { listen: `127.0.0.1:${apiPort}`, static_dir: opts.staticDir || path.join(repo, 'dashboards'),
        threads: 4, max_streams: 64 },
      enterprises: (park.enterprises = enterprises(opts.enterprises || 30, repo, opts.names)),
      layout: { files: [park.layout], source_crs: 'EPSG:4326' },
      ...(opts.config || {}), // more of parkd's config (run.mjs: risk units, people)
    };
    const cfgPath = path.join(tmp, 'parkd.json');
    fs.writeFileSync(cfgPath, JSON.stringify(cfg, null, 1));
    const parkd = startProc('parkd', path.join(bindir, 'parkd'), ['--config', cfgPath, '--quiet'],
      path.join(tmp, 'parkd.log'));
    procs.push(parkd);
    await waitFor(async () => {
      if (parkd.exitCode !== null) throw new Error(`parkd exited ${parkd.exitCode}; see ${tmp}/parkd.log`);
      try {
        const r = await fetch(`${park.base}/healthz`);
        return r.ok && (await r.json()).broker_connected;
      } catch {
        return false;
      }
    }, 60000, 'parkd did not come up and connect');
    park.parkd = parkd;
    park.api = (p, o = {}) => api(park.base, o.token || tokens.test, p, o);
    return park;
  } catch (e) {
    await park.stop();
    throw e;
  }
}

/** Starts parksim playing the layout; resolves when it is running. */
export function startSim(park, args, layout) {
  const a = ['--port', String(park.brokerPort), '--park', layout || park.layout,
    '--quiet', ...args];
  const p = startProc('parksim', path.join(park.bindir, 'parksim'), a, path.join(park.tmp, 'parksim.log'));
  park.procs.push(p);
  park.sim = p;
  return p;
}

function startProc(name, exe, args, logPath) {
  const out = fs.openSync(logPath, 'a');
  const p = spawn(exe, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  p.name = name;
  p.on('error', (e) => console.error(`${name}: ${e.message}`));
  return p;
}

async function stopProc(p) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 15000);
  await done;
  clearTimeout(t);
}

export async function waitFor(fn, ms, what, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(every);
  }
}

/** A JSON API call: { status, body } (body parsed when JSON). */
export async function api(base, token, p, o = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + p, {
    method: o.method || (o.body !== undefined ? 'POST' : 'GET'),
    headers,
    body: o.body !== undefined ? JSON.stringify(o.body) : undefined,
  });
  const text = await r.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, body };
}

/** Headless Debian chromium, as root without the sandbox, no background networking. */
export async function launch(pw) {
  return pw.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required'],
  });
}
