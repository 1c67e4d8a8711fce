// closed-park.mjs - issue 21's checks of the dashboard (run.mjs calls them):
// closed-park management and special work on the map and in the
// "封闭园区/Closed park" tab, against parksim's closed-park scenario
// (--closedpark: vehicles on the roads with their appointments, permits
// filed over HTTP, badges and camera events) and a few events of the
// test's own, posted through POST /api/v1/events as park staff so their
// outcome is known: a hazardous-goods vehicle without an appointment, three
// people in a confined space for two, a camera's no-helmet event with a
// snapshot.
//
// Checks:
//  - the vehicles layer draws the vehicles GET /vehicles lists (a marker
//    for each with a position, the track of each with one);
//  - the vehicle without an appointment: its alarm in the alarm panel as
//    "无预约" with the plate, and "no appointment" on the English page;
//  - the permits layer draws the active permits of GET /permits/map (two
//    of the test's, filed and started through the API: parksim's own are
//    refused today, it names the window window_from instead of window_from_ms);
//  - the camera event's snapshot shows in the tab (fetched with the token),
//    and a click enlarges it; a camera whose last event is fire or smoke is red;
//  - the zone over its limit is drawn red on the map and listed red;
//  - the tab and a vehicle's popup in both languages: no text of the other;
//  - an enterprise token's page shows its own permits and cameras only
//    (the API's answer, which the admin's shows to be a part);
//  - replay at T: the vehicles inside at T (GET /vehicles?at=T), placed by
//    their tracks up to T, and the permits active at T (the event store).
import fs from 'node:fs';
import zlib from 'node:zlib';

export const NO_APPT_PLATE = '沪Z90001';
export const FULL_ZONE = 'E001-ZONE-2'; // a confined space for 2
export const CAMERA = 'E001-CAM-1';
const RED = '#ff1744';

/** parkd's config for the closed park: short thresholds, so a short run sees its conditions. */
export const closedParkConfig = () => ({ closedpark: { off_route_s: 5, speeding_s: 3, stopped_min: 1, overstay_min: 1 } });

/** parksim's arguments for the closed-park scenario (over its --duration). */
export const closedParkSimArgs = (park) => ['--closedpark', '6', '--closedpark-scale', '30',
  '--api', `http://127.0.0.1:${park.apiPort}`, '--api-token', park.tokens.admin];

// a PNG of w x h, a helmet-less head in two colours (the snapshot)
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
export function snapshotPng(w = 32, h = 24) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const head = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2;
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = head ? 230 : 40;
      raw[o + 1] = head ? 180 : 60;
      raw[o + 2] = head ? 140 : 90;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** The test's own events, posted as park staff (admin): resolves with what each answered. */
export async function postClosedParkEvents(api, park) {
  const now = Date.now();
  const post = (body) => api('/api/v1/events', { token: park.tokens.admin, body });
  const out = {};
  out.gate = await post({ type: 'gate_passage', ts: now, gate: 'PARK-G1', direction: 'in', plate: NO_APPT_PLATE,
    vehicle_type: 'tanker', hazard_class: '3', un_number: '1203', cargo: 'gasoline', mass_kg: 18000, driver: '测试司机',
    enterprise: 'E001' });
  out.badges = await post([1, 2, 3].map((k) => ({ type: 'badge', ts: now + k, zone: FULL_ZONE, person: `P90${k}`,
    name: `测试${k}`, direction: 'in', enterprise: 'E001' })));
  out.camera = await post({ type: 'camera', ts: now, camera: CAMERA, event: 'no_helmet', confidence: 0.93,
    snapshot: snapshotPng().toString('base64') });
  // two permits, filed and started by the duty officer: E001's lifting at a point by T101, E003's hot work
  // in a polygon by its first tank (gas-tested first)
  const layout = JSON.parse(fs.readFileSync(park.layout, 'utf8')).features;
  const at = (id) => layout.find((f) => f.properties.id === id).geometry.coordinates;
  const tankOf = (e) => layout.find((f) => f.properties.kind === 'tank' && f.properties.enterprise === e).geometry.coordinates;
  const [x1, y1] = at('E001-T101'), [x2, y2] = tankOf('E003');
  const d = 0.0002;
  const plans = [
    { category: 'lifting', grade: '3', enterprise: 'E001', location: { type: 'Point', coordinates: [x1, y1 + 0.0003] },
      content: '吊装泵体', leader: '钱负责', guardian: '郑监护' },
    { category: 'hot_work', grade: '2', enterprise: 'E003', content: '焊接管托', leader: '孙负责', guardian: '周监护',
      location: { type: 'Polygon', coordinates: [[[x2 + d, y2], [x2 + 2 * d, y2], [x2 + 2 * d, y2 + d], [x2 + d, y2 + d], [x2 + d, y2]]] } },
  ];
  out.permits = [];
  for (const pl of plans) {
    const r = await api('/api/v1/permits', { token: park.tokens.operator,
      body: { ...pl, window_from_ms: now - 60000, window_to_ms: now + 2 * 3600e3 } });
    out[`permit ${pl.category}`] = r;
    if (r.status !== 201) continue;
    const id = r.body.id;
    if (pl.category === 'hot_work')
      out[`gas test ${id}`] = await api(`/api/v1/permits/${encodeURIComponent(id)}/gas-tests`, { token: park.tokens.operator,
        body: { ts_ms: now, point: '管托', analyst: '赵分析', gas: 'methane', combustible_pct_vol: 0.2 } });
    out[`start ${id}`] = await api(`/api/v1/permits/${encodeURIComponent(id)}/start`, { token: park.tokens.operator, body: {} });
    out.permits.push(id);
  }
  return out;
}

export async function closedParkChecks(ctx) {
  const { check, assert, api, park, pages, visibleTexts, otherLanguage, setLang, allowFor, shot, waitFor, posted } = ctx;
  const page = pages.operator;
  const tok = park.tokens.operator;

  await check('closed park: the test\'s events were taken (a gate passage, three badges, a camera event with a snapshot, two permits started)', async () => {
    const bad = Object.entries(posted).filter(([k, r]) => k !== 'permits' && r.status !== 200 && r.status !== 201 && r.status !== 202)
      .map(([k, r]) => `${k}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    assert(!bad.length, bad.join('; '));
  });

  await check('closed park: the vehicles layer draws the vehicles the API lists, with their tracks', async () => {
    // parksim's vehicles drive in from its first seconds; wait for one with a track
    await waitFor(async () => {
      const r = await api('/api/v1/vehicles', { token: tok });
      return r.status === 200 && r.body.features.some((f) => f.geometry && (f.properties.track || []).length > 1);
    }, 60000, 'a vehicle with a position and a track in GET /api/v1/vehicles', 1000);
    // the page's next refresh after an answer of the API: the same plates (vehicles come and go: a few tries)
    let last = '';
    const got = await waitFor(async () => {
      const before = await page.evaluate(() => Number(document.querySelector('#closedpark-panel').dataset.vehicleLoads || 0));
      const fc = (await api('/api/v1/vehicles', { token: tok })).body;
      await page.waitForFunction((n) => Number(document.querySelector('#closedpark-panel').dataset.vehicleLoads || 0) > n, before, { timeout: 6000 });
      const want = fc.features.filter((f) => f.geometry).map((f) => f.properties.plate).sort();
      const tracks = fc.features.filter((f) => (f.properties.track || []).length > 1).map((f) => f.properties.plate).sort();
      const drawn = await page.evaluate(() => ({
        markers: [...document.querySelectorAll('.cp-veh .dot[data-plate]')].map((e) => e.dataset.plate).sort(),
        tracks: [...document.querySelectorAll('path.cp-track[data-plate]')].map((e) => e.dataset.plate).sort(),
        count: document.querySelector('#layers label[data-kind="cp_vehicles"] .n').textContent,
      }));
      last = `API ${want.join(',')} (tracks ${tracks.join(',')}), drawn ${drawn.markers.join(',')} (tracks ${drawn.tracks.join(',')})`;
      return drawn.markers.join() === want.join() && drawn.tracks.join() === tracks.join() && Number(drawn.count) === want.length
        ? { want, tracks } : null;
    }, 20000, 'the page drawing the API\'s vehicles', 500).catch((e) => {
      throw new Error(`${e.message}: ${last}`);
    });
    assert(got.want.length > 0, 'no vehicle drawn');
    return `${got.want.length} vehicles (${got.want.slice(0, 4).join(', ')}), ${got.tracks.length} tracks`;
  });

  await check('closed park: a vehicle without an appointment: its alarm in the panel says "无预约" / "no appointment" and the plate', async () => {
    const series = `PARK/vehicles/${NO_APPT_PLATE}/no_appointment`;
    const a = await waitFor(async () => {
      const r = await api('/api/v1/alarms', { token: tok });
      return r.status === 200 && r.body.alarms.find((x) => x.series === series && x.state !== 'normal');
    }, 15000, `the alarm ${series} in GET /api/v1/alarms`, 500);
    assert(a.kind === 'condition', `kind ${a.kind}`);
    const out = [];
    for (const [lang, words] of [['zh', '无预约'], ['en', 'no appointment']]) {
      await setLang(page, lang);
      const row = await page.waitForSelector(`#alarms li.alarm[data-rule="${a.rule}"]`, { timeout: 5000 });
      const text = (await row.textContent()).replace(/\s+/g, ' ');
      assert(text.includes(words), `${lang}: the row says "${text}"`);
      assert(text.includes(NO_APPT_PLATE), `${lang}: no plate in "${text}"`);
      assert(!/condition|园区管控/.test(await row.$eval('.akind', (e) => e.textContent)), `${lang}: the kind is "condition"`);
      out.push(text.slice(0, 60));
    }
    await setLang(page, 'zh');
    return out.join(' | ');
  });

  await check('closed park: the permits layer draws the active permits of the API', async () => {
    await waitFor(async () => {
      const r = await api('/api/v1/permits/map', { token: tok });
      return r.status === 200 && r.body.features.length > 0;
    }, 10000, 'an active permit in GET /api/v1/permits/map', 500);
    let last = '';
    const n = await waitFor(async () => {
      const before = await page.evaluate(() => Number(document.querySelector('#closedpark-panel').dataset.loaded || 0));
      const fc = (await api('/api/v1/permits/map', { token: tok })).body;
      await page.waitForFunction((k) => Number(document.querySelector('#closedpark-panel').dataset.loaded || 0) > k, before, { timeout: 12000 });
      const want = fc.features.filter((f) => f.geometry).map((f) => f.properties.id).sort();
      const drawn = await page.$$eval('path.cp-permit[data-permit]', (l) => l.map((e) => e.dataset.permit).sort());
      last = `API ${want.join(',')}, drawn ${drawn.join(',')}`;
      return drawn.join() === want.join() ? want : null;
    }, 25000, 'the page drawing the API\'s permits', 500).catch((e) => {
      throw new Error(`${e.message}: ${last}`);
    });
    // a click on one: its popup with id and category
    const id = n[0];
    await page.evaluate((pid) => {
      const u = window.parkwatch.closedPark.permits.find((x) => x.p.id === pid);
      const g = u.geometry;
      const ll = g.type === 'Point' ? [g.coordinates[1], g.coordinates[0]] : null;
      if (ll) window.parkwatch.map.map.setView(ll, 18, { animate: false });
    }, id);
    await page.waitForTimeout(300);
    await page.click(`path.cp-permit[data-permit="${id}"]`, { force: true });
    const pop = await page.waitForSelector(`.cp-pop.permit[data-permit="${id}"]`, { timeout: 5000 });
    const text = (await pop.textContent()).replace(/\s+/g, ' ');
    await page.evaluate(() => window.parkwatch.map.map.closePopup());
    return `${n.length} permits (${n.join(', ')}); popup "${text.slice(0, 80)}"`;
  });

  await check('closed park: a camera event\'s snapshot shows in the tab; a click enlarges it', async () => {
    await page.click('#tabs button[data-tab="closedpark"]');
    const sel = `#closedpark-panel .cp-event[data-camera="${CAMERA}"] img.cp-snap[data-shown="1"]`;
    await page.waitForSelector(sel, { timeout: 15000 });
    const w = await page.$eval(sel, (img) => img.naturalWidth);
    assert(w === 32, `the snapshot is ${w} px wide, not the posted 32`);
    await page.click(sel);
    await page.waitForSelector('#cp-lightbox:not([hidden]) img', { timeout: 3000 });
    await shot(page, 'closedpark-snapshot');
    await page.click('#cp-lightbox');
    // a camera whose last event is fire or smoke (parksim's smoke by a tank) is drawn red
    const cams = (await api('/api/v1/cameras', { token: tok })).body.cameras;
    const hot = cams.filter((c) => c.last_event && ['fire', 'smoke'].includes(c.last_event.event)).map((c) => c.id);
    let red = [];
    if (hot.length) {
      red = await waitFor(async () => {
        const r = await page.evaluate((ids) => ids.map((id) => {
          const e = document.querySelector(`path.cp-cam[data-camera="${id}"]`);
          return e && e.getAttribute('fill');
        }), hot);
        return r.every((f) => f === RED) ? r : null;
      }, 12000, `cameras ${hot.join(', ')} drawn red`, 250);
    }
    return `${w} px, enlarged; ${red.length ? `fire or smoke at ${hot.join(', ')}: drawn red` : 'no fire or smoke yet'}`;
  });

  await check('closed park: the zone over its limit is drawn red (map and tab)', async () => {
    const z = await waitFor(async () => {
      const r = await api('/api/v1/zones', { token: tok });
      return r.status === 200 && r.body.zones.find((x) => x.id === FULL_ZONE && x.over);
    }, 10000, `${FULL_ZONE} over its limit in GET /api/v1/zones`, 500);
    const st = await waitFor(() => page.evaluate((id) => {
      const p = document.querySelector(`path.cp-zone[data-zone="${id}"]`);
      const label = document.querySelector(`.cp-count span[data-zone="${id}"]`);
      const row = document.querySelector(`#closedpark-panel tr.zone[data-zone="${id}"]`);
      if (!p || p.dataset.over !== '1') return null;
      return { stroke: p.getAttribute('stroke'), fill: p.getAttribute('fill'), label: label && label.textContent,
        labelOver: label && label.parentElement.classList.contains('over'), rowOver: row && row.classList.contains('over'),
        others: [...document.querySelectorAll('path.cp-zone[data-over="1"]')].map((e) => e.dataset.zone) };
    }, FULL_ZONE), 12000, `${FULL_ZONE} drawn over`, 250);
    assert(st.stroke === RED && st.fill === RED, `drawn ${st.stroke} / ${st.fill}`);
    assert(st.labelOver && st.label === `${z.count}/${z.max_people}`, `label "${st.label}" (API ${z.count}/${z.max_people})`);
    assert(st.rowOver, 'the tab\'s row is not red');
    // who is inside, on a click
    await page.click(`#closedpark-panel tr.zone[data-zone="${FULL_ZONE}"]`);
    const ppl = await page.waitForSelector('#closedpark-panel tr.people', { timeout: 3000 });
    const txt = await ppl.textContent();
    assert(/P901/.test(txt) && /P903/.test(txt), `people listed: ${txt}`);
    return `${FULL_ZONE} ${st.label} in ${st.stroke}; over: ${st.others.join(', ')}`;
  });

  for (const lang of ['zh', 'en']) {
    await check(`closed park: ${lang}: the tab and a vehicle's popup have no text of the other language`, async () => {
      await setLang(page, lang);
      await page.click('#tabs button[data-tab="closedpark"]');
      await page.waitForSelector('#closedpark-panel .cp-summary .kpis', { timeout: 10000 });
      // a vehicle's popup (the first with a position)
      const plate = await page.evaluate(() => {
        const v = window.parkwatch.closedPark.vehicles.find((x) => x.ll);
        if (!v) return null;
        window.parkwatch.map.map.setView(v.ll, 17, { animate: false });
        return v.p.plate;
      });
      if (plate) {
        await page.waitForTimeout(200);
        await page.evaluate((p) => {
          const v = window.parkwatch.closedPark.vehicles.find((x) => x.p.plate === p && x.marker);
          if (v) v.marker.fire('click');
        }, plate);
        await page.waitForSelector('.cp-pop.veh', { timeout: 3000 });
      }
      const allow = await allowFor(page, 'operator');
      const bad = otherLanguage(await visibleTexts(page), lang, allow);
      await shot(page, `closedpark-${lang}`);
      await page.evaluate(() => window.parkwatch.map.map.closePopup());
      assert(!bad.length, [...new Set(bad)].slice(0, 20).join('; '));
      const logged = await page.evaluate(() => window.parkwatch.untranslated());
      return `popup of ${plate || 'no vehicle'}${logged.length ? `; logged untranslated: ${logged.join(' | ')}` : ''}`;
    });
  }
  await setLang(page, 'zh');

  await check('closed park: an enterprise token sees only its own permits and cameras', async () => {
    const ent = pages.enterprise;
    const [mine, all, camsMine, camsAll] = await Promise.all([
      api('/api/v1/permits/map', { token: park.tokens.enterprise }), api('/api/v1/permits/map', { token: park.tokens.admin }),
      api('/api/v1/cameras', { token: park.tokens.enterprise }), api('/api/v1/cameras', { token: park.tokens.admin })]);
    const foreign = (l) => l.filter((e) => e && e !== 'E001');
    assert(foreign(all.body.features.map((f) => f.properties.enterprise)).length > 0 ||
      foreign(camsAll.body.cameras.map((c) => c.enterprise)).length > 0, 'the park has nothing of another enterprise: no test');
    await ent.click('#tabs button[data-tab="closedpark"]');
    const before = await ent.evaluate(() => Number(document.querySelector('#closedpark-panel').dataset.loaded || 0));
    await ent.waitForFunction((k) => Number(document.querySelector('#closedpark-panel').dataset.loaded || 0) > k, before, { timeout: 12000 });
    const got = await ent.evaluate(() => {
      const cp = window.parkwatch.closedPark;
      return {
        permits: cp.permits.map((u) => [u.p.id, u.p.enterprise]),
        drawn: [...document.querySelectorAll('path.cp-permit[data-permit]')].map((e) => e.dataset.permit),
        cameras: (cp.cameras || []).map((c) => [c.id, c.enterprise || '']),
        cones: (window.parkwatch.map.byKind.camera || []).map((f) => [f.id, f.props.enterprise || '']),
        events: (cp.events || []).map((e) => e.camera),
        tabPermits: [...document.querySelectorAll('#closedpark-panel tr[data-permit]')].map((e) => e.dataset.permit),
      };
    });
    const bad = [];
    for (const [id, e] of got.permits) if (e !== 'E001') bad.push(`permit ${id} of ${e}`);
    for (const [id, e] of [...got.cameras, ...got.cones]) if (e && e !== 'E001') bad.push(`camera ${id} of ${e}`);
    for (const c of got.events) if (!c.startsWith('E001-') && !c.startsWith('PARK-')) bad.push(`camera event of ${c}`);
    const want = mine.body.features.map((f) => f.properties.id).sort();
    if (got.drawn.slice().sort().join() !== want.join()) bad.push(`drawn permits ${got.drawn.join(',')}, the API gives ${want.join(',')}`);
    if (got.cameras.length !== camsMine.body.cameras.length) bad.push(`${got.cameras.length} cameras, the API gives ${camsMine.body.cameras.length}`);
    assert(!bad.length, bad.join('; '));
    await shot(ent, 'closedpark-enterprise');
    return `${want.length} permits of ${all.body.features.length}, ${got.cameras.length} cameras of ${camsAll.body.cameras.length}`;
  });

  await check('closed park: replay at T: the vehicles inside at T (placed by their tracks) and the permits active at T', async () => {
    const T = Math.floor((Date.now() - 20000) / 1000) * 1000;
    await page.evaluate((v) => {
      const sl = document.querySelector('#replay .slider');
      sl.value = String(v);
      sl.dispatchEvent(new Event('input', { bubbles: true }));
    }, T);
    await page.waitForSelector(`#closedpark-panel[data-at="${T}"]`, { timeout: 20000 });
    const [vs, ps] = await Promise.all([api(`/api/v1/vehicles?at=${T}`, { token: tok }),
      api(`/api/v1/events/state?type=permit&at=${T}`, { token: tok })]);
    const want = vs.body.features.map((f) => f.properties).filter((p) => p.inside !== false).map((p) => p.plate).sort();
    const permits = ps.body.entities.map((e) => e.body).filter((b) => b && (b.state === 'active' || b.state === 'suspended')).map((b) => b.id).sort();
    const got = await page.evaluate((at) => {
      const cp = window.parkwatch.closedPark;
      return { plates: cp.vehicles.map((v) => v.p.plate).sort(), placed: cp.vehicles.filter((v) => v.ll).length,
        late: cp.vehicles.filter((v) => v.track.some((x) => x[2] > at)).length,
        markers: document.querySelectorAll('.cp-veh .dot[data-plate]').length,
        permits: [...document.querySelectorAll('path.cp-permit[data-permit]')].map((e) => e.dataset.permit).sort() };
    }, T);
    await page.click('#replay .golive');
    assert(want.length > 0, `no vehicle inside at T in the API (${vs.status})`);
    assert(got.plates.join() === want.join(), `replay shows ${got.plates.join(',')}, the API had ${want.join(',')} inside at T`);
    assert(got.placed > 0 && got.markers === got.placed, `${got.placed} placed, ${got.markers} markers`);
    assert(got.late === 0, `${got.late} tracks run past T`);
    assert(got.permits.join() === permits.join(), `permits drawn ${got.permits.join(',')}, active at T ${permits.join(',')}`);
    return `${want.length} vehicles inside at T, ${got.placed} placed; ${permits.length} permits`;
  });
}
