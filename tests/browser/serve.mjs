// serve.mjs BINDIR REPO [SECONDS] [--layout FILE] - a park to look at by hand:
// mosquitto, parkd serving the dashboard and parksim with the leak at E001's
// T101 and its closed-park scenario (vehicles, permits, badges, camera events;
// the test's own events of closed-park.mjs too), on free loopback ports, for
// SECONDS (default 600) or until Ctrl-C.
// Prints the page's address and a token per role.
import fs from 'node:fs';
import path from 'node:path';
import { log, sleep, startPark, startSim, testLayout } from './park.mjs';
import { closedParkConfig, closedParkSimArgs, postClosedParkEvents } from './closed-park.mjs';

const args = process.argv.slice(2);
let layout = null;
const li = args.indexOf('--layout');
if (li >= 0) {
  layout = path.resolve(args[li + 1]);
  args.splice(li, 2);
}
if (args.length < 2) {
  console.error('usage: node serve.mjs BINDIR REPO [SECONDS] [--layout FILE]');
  process.exit(2);
}
const [bindir, repo] = args.slice(0, 2).map((a) => path.resolve(a));
const seconds = Number(args[2] || 600);
const enterprises = layout ? JSON.parse(fs.readFileSync(layout, 'utf8')).features
  .filter((f) => f.properties.kind === 'enterprise').length : 30;
const park = await startPark({ bindir, repo, layout, enterprises, prepare: (tmp) => layout || testLayout(repo, tmp),
  config: closedParkConfig() });
const stop = async () => {
  await park.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
startSim(park, ['--rate', '1', '--duration', String(seconds),
  "--incident", "leak:E001:tankfarm-1:T101:at=20:rate=8:for=300", ...closedParkSimArgs(park)]);
if (!layout) await postClosedParkEvents(park.api, park).catch((e) => log(`closed-park events: ${e.message}`));
log(`page: ${park.base}/   data: ${park.tmp}`);
for (const [k, v] of Object.entries(park.tokens)) console.log(`${k} ${v}`);
fs.writeFileSync(path.join(park.tmp, 'tokens.txt'),
  Object.entries(park.tokens).map(([k, v]) => `${k} ${v}`).join('\n') + '\n');
await sleep(seconds * 1000);
await stop();
