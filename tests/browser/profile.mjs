// profile.mjs BINDIR REPO [--scale N] [--seconds S] - a CPU profile of the
// page's main thread (Chrome DevTools Protocol) during load and during S
// seconds of live updates; prints the functions with the most self time.
// A tool for working on the page's speed, not a test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launch, log, preflight, sleep, startPark, startSim, testLayout } from './park.mjs';

const argv = process.argv.slice(2);
const opt = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const scale = Number(opt('--scale', '10'));
const secs = Number(opt('--seconds', '15'));
const { bindir, repo, pw } = preflight(argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')),
  'usage: node profile.mjs BINDIR REPO [--scale N] [--seconds S]');

function top(profile, n = 25) {
  const self = new Map();
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const cf = node.callFrame;
    const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    self.set(key, (self.get(key) || 0) + (dt[i] || 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
}

let park, tmp;
if (scale > 1) {
  tmp = fs.mkdtempSync('/tmp/parkwatch-prof-');
  const layout = path.join(tmp, 'park.geojson');
  spawnSync(path.join(bindir, 'parkgen'), ['--scale', String(scale), '-o', layout]);
  const ents = JSON.parse(fs.readFileSync(layout, 'utf8')).features.filter((f) => f.properties.kind === 'enterprise').length;
  park = await startPark({ bindir, repo, tmp, layout, enterprises: ents });
} else park = await startPark({ bindir, repo, prepare: (t) => testLayout(repo, t) });
startSim(park, ['--rate', '1', '--duration', '600']);
await sleep(4000);
const browser = await launch(pw);
try {
  const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
  await page.goto(`${park.base}/?poll=1000&nosound`);
  await page.fill('#token-input', park.tokens.operator);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.reload();
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120000 });
  const drawn = await page.evaluate(() => window.__pwPerf.markAt('map-drawn'));
  log('marks: ' + JSON.stringify(await page.evaluate(() => performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]))));
  log('resources: ' + JSON.stringify(await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.duration > 100).map((r) => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.duration), r.transferSize]))));
  let { profile } = await cdp.send('Profiler.stop');
  log(`load: map drawn ${Math.round(drawn)} ms after navigation\n${top(profile)}`);
  await page.evaluate(() => window.__pwPerf.reset());
  await cdp.send('Profiler.start');
  await sleep(secs * 1000);
  ({ profile } = await cdp.send('Profiler.stop'));
  const s = await page.evaluate(() => window.__pwPerf.summary());
  log(`live ${secs} s: max frame ${s.max_ms.toFixed(0)} ms, ${s.over100} over 100 ms, long tasks ${JSON.stringify(s.long_tasks.slice(0, 10))}\n${top(profile)}`);
} finally {
  await browser.close();
  await park.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}
