// park-ops.mjs - run.mjs's checks of the rest of the duty room (issue 20
// part 5), in the manner of ops.mjs:
//  - the four-colour risk map layer as each role (admin, operator,
//    regulator, enterprise): switched on in the layer list, a path per unit
//    the API gives the token (an enterprise's own only), filled in the live
//    level's colour and outlined in the assessed one's; the legend; a click
//    inside a unit opens its popup (name, method, score, levels);
//  - 隐患/Hidden hazards: the enterprise reports one through the page; the
//    admin's assignment to another enterprise's person shows the server's
//    400, then assigns it to E001's; the enterprise rectifies (and has no
//    verify button on its own rectification); the operator verifies; the
//    admin closes; the state filter; an overdue hazard comes first with its
//    red mark; the regulator has no report form, reads the statistics (the
//    API's) and supervises;
//  - 通知/Notifications as each role: the test park has no "notify" config,
//    so on call, channels and deliveries are empty, and the page says so;
//  - the three in Chinese and English with no text of the other language.

export const PEOPLE = [
  { id: 'e001-zhang', name: 'Zhang Wei', name_zh: '张伟', enterprise: 'E001', posts: ['shift_leader'] },
  { id: 'e002-li', name: 'Li Na', name_zh: '李娜', enterprise: 'E002', posts: ['safety_director'] },
  { id: 'park-wang', name: 'Wang Fang', name_zh: '王芳', posts: ['duty_officer'] },
];

/** What the test park's parkd config needs for these checks: the demo's risk units, a people directory. */
export const parkOpsConfig = (repo, path) => ({
  risk_units: { import: path.join(repo, 'scripts', 'risk-units-demo.csv') },
  people: PEOPLE,
});

const COLOURS = { red: '#e53935', orange: '#fb8c00', yellow: '#fdd835', blue: '#1e88e5' };

/** ctx: as opsChecks's */
export async function parkOpsChecks(ctx) {
  const { check, assert, api, park, pages, visibleTexts, otherLanguage, setLang, allowFor, shot, sleep } = ctx;

  const openTab = async (pg, tab) => {
    const before = await pg.evaluate((id) => Number(document.querySelector(id).dataset.loaded || 0), `#${tab}-panel`);
    await pg.click(`#tabs button[data-tab="${tab}"]`);
    await pg.waitForFunction(([id, n]) => Number(document.querySelector(id).dataset.loaded || 0) > n,
      [`#${tab}-panel`, before], { timeout: 20000 });
    await sleep(200);
  };
  const reload = async (pg) => {
    const before = await pg.evaluate(() => Number(document.querySelector('#hazards-panel').dataset.loaded || 0));
    await pg.click('#hazards-panel button.refresh');
    await pg.waitForFunction((n) => Number(document.querySelector('#hazards-panel').dataset.loaded || 0) > n, before, { timeout: 20000 });
  };

  // ---------------------------------------------------------------- the four-colour risk map
  const all = (await api('/api/v1/risk-units/map')).body.features || [];
  for (const role of ['admin', 'operator', 'regulator', 'enterprise']) {
    await check(`four-colour risk map as ${role}: each unit drawn in its live colour, outlined in its assessed one; legend; popup`, async () => {
      const pg = pages[role];
      const want = (await api('/api/v1/risk-units/map', { token: park.tokens[role] })).body.features;
      assert(want.length > 0, 'the API gives no risk unit');
      if (role === 'enterprise')
        assert(want.every((f) => f.properties.enterprise === 'E001') && want.length < all.length,
          `E001's token is given ${want.map((f) => f.id)} of ${all.length}`);
      else assert(want.length === all.length, `${want.length} units for ${role}, ${all.length} for the admin`);
      const before = await pg.evaluate(() => Number(document.querySelector('#legend .risk').dataset.loaded || 0));
      const box = '#layers label[data-kind="risk_units"] input';
      if (!(await pg.isChecked(box))) await pg.click(box);
      await pg.waitForFunction((n) => Number(document.querySelector('#legend .risk').dataset.loaded || 0) > n, before, { timeout: 15000 });
      const got = await pg.evaluate(() => ({
        paths: [...document.querySelectorAll('#map path.risk-unit')].map((p) => ({ unit: p.dataset.unit, fill: p.getAttribute('fill'), stroke: p.getAttribute('stroke') })),
        legend: [...document.querySelectorAll('#legend .risk span[data-level]')].map((s) => s.dataset.level),
        legendShown: document.querySelector('#legend .risk').checkVisibility(),
        count: document.querySelector('#layers label[data-kind="risk_units"] .n').textContent,
      }));
      const units = new Set(got.paths.map((p) => p.unit));
      assert(units.size === want.length && want.every((f) => units.has(f.id)), `paths of ${[...units]}, the API ${want.map((f) => f.id)}`);
      for (const f of want) {
        const p = got.paths.find((x) => x.unit === f.id);
        assert(p.fill === COLOURS[f.properties.live_colour], `${f.id} filled ${p.fill}, live ${f.properties.live_colour}`);
        assert(p.stroke === COLOURS[f.properties.colour], `${f.id} outlined ${p.stroke}, assessed ${f.properties.colour}`);
      }
      assert(got.legendShown && got.legend.join() === 'major,large,general,low', `legend ${got.legend} shown ${got.legendShown}`);
      assert(Number(got.count) === want.length, `the layer list counts ${got.count}`);
      // a click inside a polygon unit, away from detectors, tanks and pipelines
      const poly = want.find((f) => f.geometry.type === 'Polygon');
      const at = await pg.evaluate((id) => {
        const app = window.parkwatch;
        const m = app.map;
        const u = app.risk.units.find((x) => x.id === id);
        m.map.setView(u.layer.getBounds().getCenter(), 18, { animate: false });
        const b = u.layer.getBounds();
        const ring = u.geometry.coordinates[0];
        const inside = (x, y) => {
          let c = false;
          for (let i = 0, j = ring.length - 1; i < ring.length; j = i++)
            if (ring[i][1] > y !== ring[j][1] > y && x < ((ring[j][0] - ring[i][0]) * (y - ring[i][1])) / (ring[j][1] - ring[i][1]) + ring[i][0]) c = !c;
          return c;
        };
        const rect = m.map.getContainer().getBoundingClientRect();
        const boxes = ['#layers', '#legend'].map((s) => document.querySelector(s).getBoundingClientRect());
        for (let k = 1; k < 40; k++)
          for (let l = 1; l < 40; l++) {
            const lat = b.getSouth() + ((b.getNorth() - b.getSouth()) * k) / 40;
            const lng = b.getWest() + ((b.getEast() - b.getWest()) * l) / 40;
            if (!inside(lng, lat)) continue;
            const cp = m.map.latLngToContainerPoint([lat, lng]);
            const x = rect.left + cp.x, y = rect.top + cp.y;
            if (x < rect.left + 10 || y < rect.top + 10 || x > rect.right - 10 || y > rect.bottom - 10) continue;
            if (boxes.some((r) => x >= r.left && x <= r.right && y >= r.top && y <= r.bottom)) continue;
            const f = m.pick(m.map.latLngToLayerPoint([lat, lng]));
            if (f && ['gas_detector', 'tank', 'pipeline'].includes(f.kind)) continue;
            return { x, y };
          }
        return null;
      }, poly.id);
      assert(at, `no free point inside ${poly.id}`);
      await pg.mouse.click(at.x, at.y);
      await pg.waitForSelector(`.risk-pop[data-unit="${poly.id}"]`, { timeout: 5000 });
      const pop = await pg.evaluate(() => {
        const p = document.querySelector('.risk-pop');
        return { text: p.textContent.replace(/\s+/g, ' '), method: p.querySelector('.method').textContent, score: p.querySelector('.score').textContent,
          assessed: p.querySelector('.assessed .risk-level').className, live: p.querySelector('.live .risk-level').className,
          lang: window.parkwatch.lang() };
      });
      const pr = poly.properties;
      const name = pop.lang === 'zh' ? pr.name_zh || pr.name : pr.name;
      assert(pop.text.includes(name), `the popup "${pop.text}" lacks the name ${name}`);
      assert(/LEC|LS/.test(pop.method) && /\d/.test(pop.score) && pop.score.includes(String(Math.round(pr.score))), `method "${pop.method}", score "${pop.score}" (${pr.score})`);
      assert(pop.assessed.includes(pr.colour) && pop.live.includes(pr.live_colour), `levels ${pop.assessed} / ${pop.live}`);
      await pg.evaluate(() => window.parkwatch.map.map.closePopup());
      return `${want.length} units (${want.map((f) => `${f.id} ${f.properties.live_colour}/${f.properties.colour}`).join(', ')}); popup of ${poly.id}: ${pop.method}, ${pop.score}`;
    });
  }
  await shot(pages.operator, 'risk-map');

  // ---------------------------------------------------------------- hidden hazards
  const ent = pages.enterprise, adm = pages.admin, op = pages.operator, reg = pages.regulator;
  const title = `呼吸阀堵塞 T101 ${Date.now() % 100000}`;
  let hid = null;
  const hazard = async (id) => (await api(`/api/v1/hazards/${id}`)).body;
  await check('hazards: the enterprise reports one through the page', async () => {
    await openTab(ent, 'hazards');
    await ent.click('#hazards-panel .hz-report-box summary');
    assert(!(await ent.$('#hazards-panel .hz-report-form select[name="enterprise"]')), 'an enterprise chooses the enterprise');
    await ent.fill('#hazards-panel .hz-report-form input[name="title"]', title);
    await ent.fill('#hazards-panel .hz-report-form input[name="location"]', '储罐区A');
    await ent.click('#hazards-panel .hz-report-form button.report');
    await ent.waitForFunction((t) => [...document.querySelectorAll('#hazards-panel tr.hz-row')].some((r) => r.textContent.includes(t)), title, { timeout: 10000 });
    const list = (await api('/api/v1/hazards?limit=100')).body.hazards;
    const h = list.find((x) => x.title === title);
    assert(h && h.enterprise === 'E001' && h.state === 'reported' && h.reporter === 'enterprise', JSON.stringify(h));
    hid = h.id;
    const btns = await ent.$$eval(`#hazards-panel tr.hz-more[data-id="${hid}"] button.step`, (l) => l.map((b) => b.dataset.action));
    assert(btns.join() === 'assign', `the enterprise's next steps: ${btns}`);
    return `hazard ${hid} reported by ${h.reporter}`;
  });

  await check('hazards: assigning to another enterprise\'s person shows the server\'s 400; the admin assigns to E001\'s', async () => {
    assert(hid, 'no hazard');
    await openTab(adm, 'hazards');
    await adm.click(`#hazards-panel button.step.assign[data-id="${hid}"]`);
    const form = `#hazards-panel form.hz-step-form[data-id="${hid}"]`;
    await adm.fill(`${form} input[name="assignee"]`, 'e002-li');
    await adm.click(`${form} button.confirm`);
    await adm.waitForSelector(`#hazards-panel tr.hz-more[data-id="${hid}"] .hz-error:not([hidden])`, { timeout: 10000 });
    const err = await adm.textContent(`#hazards-panel tr.hz-more[data-id="${hid}"] .hz-error`);
    assert(/HTTP 400/.test(err) && /所属企业|enterprise/.test(err), `the 400 shown as "${err}"`);
    assert((await hazard(hid)).state === 'reported', 'assigned to another enterprise\'s person');
    await adm.fill(`${form} input[name="assignee"]`, 'e001-zhang');
    const d = new Date(Date.now() + 2 * 86400000);
    const pad = (n) => String(n).padStart(2, '0');
    await adm.fill(`${form} input[name="deadline"]`, `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`);
    await adm.fill(`${form} textarea[name="measures"]`, '更换呼吸阀');
    await adm.click(`${form} button.confirm`);
    await adm.waitForSelector(`#hazards-panel tr.hz-row[data-id="${hid}"][data-state="assigned"]`, { timeout: 10000 });
    const h = await hazard(hid);
    assert(h.assignee === 'e001-zhang' && h.deadline_ms > Date.now() + 86400000, JSON.stringify(h));
    return `"${err}"; assigned to ${h.assignee}, due ${new Date(h.deadline_ms).toISOString()}`;
  });

  await check('hazards: the enterprise rectifies (no verify of its own work), the operator verifies, the admin closes', async () => {
    assert(hid, 'no hazard');
    await openTab(ent, 'hazards');
    await ent.click(`#hazards-panel button.step.rectify[data-id="${hid}"]`);
    await ent.fill(`#hazards-panel form.hz-step-form[data-id="${hid}"] textarea[name="note"]`, '已更换呼吸阀');
    await ent.click(`#hazards-panel form.hz-step-form[data-id="${hid}"] button.confirm`);
    await ent.waitForSelector(`#hazards-panel tr.hz-row[data-id="${hid}"][data-state="rectified"]`, { timeout: 10000 });
    const own = await ent.$$eval(`#hazards-panel tr.hz-more[data-id="${hid}"] button.step`, (l) => l.map((b) => b.dataset.action));
    assert(!own.includes('verify'), `the rectifier may ${own}`);
    await openTab(op, 'hazards');
    await op.click(`#hazards-panel button.step.verify[data-id="${hid}"]`);
    await op.click(`#hazards-panel form.hz-step-form[data-id="${hid}"] button.confirm`);
    await op.waitForSelector(`#hazards-panel tr.hz-row[data-id="${hid}"][data-state="verified"]`, { timeout: 10000 });
    await openTab(adm, 'hazards');
    await adm.click(`#hazards-panel button.step.close[data-id="${hid}"]`);
    await adm.click(`#hazards-panel form.hz-step-form[data-id="${hid}"] button.confirm`);
    await adm.waitForSelector(`#hazards-panel tr.hz-row[data-id="${hid}"][data-state="closed"]`, { timeout: 10000 });
    const h = await hazard(hid);
    assert(h.state === 'closed' && h.rectifier === 'enterprise' && h.verifier === 'duty-officer', JSON.stringify(h));
    // the state filter: closed ones only
    await adm.click('#hazards-panel .hz-states button[data-state="closed"]');
    await adm.waitForFunction(() => document.querySelector('#hazards-panel .hz-states button.on').dataset.state === 'closed', null, { timeout: 10000 });
    await sleep(300);
    const states = await adm.$$eval('#hazards-panel tr.hz-row', (l) => l.map((r) => r.dataset.state));
    assert(states.length > 0 && states.every((s) => s === 'closed'), `the closed filter shows ${states}`);
    await adm.click('#hazards-panel .hz-states button[data-state=""]');
    return `hazard ${hid}: rectified by ${h.rectifier}, verified by ${h.verifier}, closed`;
  });

  let late = null;
  await check('hazards: an overdue one first with its red mark; the regulator reads the statistics, has no report form, supervises', async () => {
    const r = await api('/api/v1/hazards', { method: 'POST', body: { enterprise: 'E001', title: 'overdue drain valve', grade: 'major' } });
    assert(r.status === 201, `report: ${r.status} ${JSON.stringify(r.body)}`);
    late = r.body.id;
    const a = await api(`/api/v1/hazards/${late}/assign`, { method: 'POST', body: { assignee: 'e001-zhang', deadline_ms: Date.now() + 1500 } });
    assert(a.status === 200, `assign: ${a.status} ${JSON.stringify(a.body)}`);
    await sleep(2000);
    await openTab(reg, 'hazards');
    const got = await reg.evaluate(() => ({
      rows: [...document.querySelectorAll('#hazards-panel tr.hz-row')].map((r) => [Number(r.dataset.id), r.dataset.overdue, !!r.querySelector('.overdue-mark')]),
      form: !!document.querySelector('#hazards-panel form.hz-report-form'),
      readonly: !!document.querySelector('#hazards-panel .readonly'),
      buttons: [...new Set([...document.querySelectorAll('#hazards-panel button.step')].map((b) => b.dataset.action))],
      stats: Object.fromEntries([...document.querySelectorAll('#hazards-panel .hz-stats-table tr.ent')].map((r) =>
        [r.dataset.enterprise, [...r.querySelectorAll('td.num')].map((c) => Number(c.textContent))])),
      mark: getComputedStyle(document.querySelector('#hazards-panel .overdue-mark') || document.body).backgroundColor,
    }));
    assert(got.rows.length && got.rows[0][0] === late && got.rows[0][1] === '1' && got.rows[0][2], `first rows ${JSON.stringify(got.rows.slice(0, 3))}`);
    assert(/rgb\(255, 23, 68\)|rgb\(2\d\d, \d+, \d+\)/.test(got.mark), `the overdue mark's colour ${got.mark}`);
    assert(!got.form && got.readonly, `the regulator has a report form: ${got.form}`);
    assert(got.buttons.join() === 'supervise', `the regulator's buttons ${got.buttons}`);
    const st = (await api('/api/v1/hazards/stats', { token: park.tokens.regulator })).body;
    const e1 = st.enterprises.find((e) => e.enterprise === 'E001');
    const cols = ['found', 'open', 'closed_on_time', 'overdue', 'major', 'supervised'];
    assert(got.stats.E001 && got.stats.E001.join() === cols.map((c) => e1[c]).join(), `E001's statistics ${got.stats.E001} vs the API's ${JSON.stringify(e1)}`);
    assert(e1.found >= 2 && e1.overdue >= 1 && e1.closed_on_time >= 1, JSON.stringify(e1));
    // supervise: a note required, then done
    await reg.click(`#hazards-panel button.step.supervise[data-id="${late}"]`);
    await reg.click(`#hazards-panel form.hz-step-form[data-id="${late}"] button.confirm`);
    const need = await reg.textContent(`#hazards-panel tr.hz-more[data-id="${late}"] .hz-error:not([hidden])`);
    assert(/意见|note/.test(need), `no note: "${need}"`);
    await reg.fill(`#hazards-panel form.hz-step-form[data-id="${late}"] textarea[name="note"]`, '限期三日内整改');
    await reg.click(`#hazards-panel form.hz-step-form[data-id="${late}"] button.confirm`);
    await reg.waitForSelector(`#hazards-panel tr.hz-row[data-id="${late}"] .supervised`, { timeout: 10000 });
    const h = await hazard(late);
    assert(h.supervised && h.supervised.by === 'regulator', JSON.stringify(h.supervised));
    return `hazard ${late} overdue first; E001 ${got.stats.E001}; supervised by ${h.supervised.by}`;
  });
  await shot(reg, 'hazards');

  await check('hazards: a server error on a step is shown (the enterprise may not close what the regulator supervises)', async () => {
    assert(late, 'no hazard');
    // through the API to verified, the enterprise rectifying and the operator verifying
    assert((await api(`/api/v1/hazards/${late}/rectify`, { method: 'POST', token: park.tokens.enterprise, body: { note: 'done' } })).status === 200, 'rectify');
    assert((await api(`/api/v1/hazards/${late}/verify`, { method: 'POST', token: park.tokens.operator, body: {} })).status === 200, 'verify');
    await openTab(ent, 'hazards');
    const btns = await ent.$$eval(`#hazards-panel tr.hz-more[data-id="${late}"] button.step`, (l) => l.map((b) => b.dataset.action));
    assert(!btns.includes('close'), `the enterprise may close a supervised hazard: ${btns}`);
    // the page hides it; pretend otherwise to reach the server
    await ent.evaluate((id) => {
      const hz = window.parkwatch.hazards;
      hz.stepping = { id, action: 'close' };
      hz.render();
    }, late);
    await ent.click(`#hazards-panel form.hz-step-form[data-id="${late}"] button.confirm`);
    await ent.waitForSelector(`#hazards-panel tr.hz-more[data-id="${late}"] .hz-error:not([hidden])`, { timeout: 10000 });
    const err = await ent.textContent(`#hazards-panel tr.hz-more[data-id="${late}"] .hz-error`);
    assert(/HTTP 403/.test(err) && /督办|supervised/.test(err), `the 403 shown as "${err}"`);
    await ent.evaluate(() => {
      window.parkwatch.hazards.stepping = null;
      window.parkwatch.hazards.error = null;
    });
    assert((await hazard(late)).state === 'verified', 'closed by the enterprise');
    return err;
  });

  // ---------------------------------------------------------------- notifications
  for (const role of ['admin', 'operator', 'regulator', 'enterprise']) {
    await check(`notifications as ${role}: no notify config, so on call, channels and deliveries say they are empty`, async () => {
      const pg = pages[role];
      const tok = park.tokens[role];
      const [o, c, d] = await Promise.all(['oncall', 'channels', 'deliveries'].map((x) => api(`/api/v1/notify/${x}`, { token: tok })));
      assert(o.status === 200 && c.status === 200 && d.status === 200, `API ${o.status} ${c.status} ${d.status}`);
      assert(!o.body.rosters.length && !c.body.channels.length && !d.body.deliveries.length, 'the test park notifies');
      await openTab(pg, 'notify');
      const got = await pg.evaluate(() => ({
        lang: window.parkwatch.lang(),
        empty: ['.nt-oncall', '.nt-channels', '.nt-deliveries'].map((s) => {
          const p = document.querySelector(`#notify-panel ${s} .none`);
          return p && p.checkVisibility() ? p.textContent : null;
        }),
        errors: document.querySelectorAll('#notify-panel .bad').length,
        rows: document.querySelectorAll('#notify-panel tr.nt-row').length,
      }));
      assert(got.empty.every((x) => x), `empty states ${JSON.stringify(got.empty)}`);
      const zh = /[\u4e00-\u9fff]/;
      assert(got.empty.every((x) => (got.lang === 'zh' ? zh.test(x) && !/[A-Za-z]{4,}/.test(x) : !zh.test(x))), `not in ${got.lang}: ${got.empty}`);
      assert(!got.errors && !got.rows, `${got.errors} errors, ${got.rows} rows`);
      return got.empty.join(' / ');
    });
  }

  // ---------------------------------------------------------------- one language
  for (const lang of ['zh', 'en']) {
    for (const tab of ['hazards', 'notify']) {
      await check(`${lang} ${tab} tab (and the risk map's legend and popup): no text of the other language`, async () => {
        const pg = pages.operator;
        await setLang(pg, lang);
        await openTab(pg, tab);
        if (tab === 'hazards') {
          await pg.evaluate(() => {
            const r = window.parkwatch.risk;
            if (r.units.length) r.open(r.units[0]);
          });
          await pg.click('#hazards-panel .hz-report-box summary');
          await pg.click('#hazards-panel .hz-states button[data-state=""]').catch(() => {});
          await sleep(300);
        }
        const allow = await allowFor(pg, 'operator');
        const bad = otherLanguage(await visibleTexts(pg), lang, allow);
        const logged = await pg.evaluate(() => window.parkwatch.untranslated());
        await pg.evaluate(() => window.parkwatch.map.map.closePopup());
        assert(!bad.length, [...new Set(bad)].slice(0, 20).join('; '));
        return logged.length ? `logged untranslated: ${logged.join(' | ')}` : '';
      });
    }
  }
  await setLang(pages.operator, 'zh').catch(() => {});
}
