// ops.mjs - run.mjs's checks of the duty room's tabs (issue 20 part 5):
//  - 报警分析/Alarm KPIs as each role (admin, operator, regulator, enterprise):
//    the chart drawn with the leak's alarms (its count the API's KPIs'),
//    the top-ten rows (the API's), the journal rows (an enterprise's own
//    only), the priority filter;
//  - 交接班/Handover: the operator signs (the signature is the token's name),
//    a second signature is refused with the 409 shown, accepting one's own
//    record is refused with the 400 shown; the admin refuses (a reason
//    required) and then accepts another; the regulator reads, with no sign
//    or accept button; the enterprise's draft is its own;
//  - both tabs in Chinese and English with no text of the other language.

/** ctx: {check, assert, api, park, pages: {admin, operator, regulator, enterprise}, visibleTexts, otherLanguage, setLang, allowFor, shot, sleep} */
export async function opsChecks(ctx) {
  const { check, assert, api, park, pages, visibleTexts, otherLanguage, setLang, allowFor, shot, sleep } = ctx;

  const openTab = async (pg, tab) => {
    const before = await pg.evaluate((id) => Number(document.querySelector(id).dataset.loaded || 0), `#${tab}-panel`);
    await pg.click(`#tabs button[data-tab="${tab}"]`);
    await pg.waitForFunction(([id, n]) => Number(document.querySelector(id).dataset.loaded || 0) > n,
      [`#${tab}-panel`, tab === 'kpi' && before ? before - 1 : before], { timeout: 20000 });
    await sleep(200);
  };

  for (const role of ['admin', 'operator', 'regulator', 'enterprise']) {
    const pg = pages[role];
    await check(`alarm KPIs as ${role}: the chart drawn with the leak's alarms, the top ten, the journal paged and filtered`, async () => {
      await openTab(pg, 'kpi');
      await pg.click('#kpi-panel button.refresh');
      await pg.waitForFunction(() => !document.querySelector('#kpi-panel button.refresh').disabled, null, { timeout: 20000 });
      const got = await pg.evaluate(() => {
        const k = window.parkwatch.kpis;
        const c = document.querySelector('#kpi-panel .kpi-chart');
        return {
          from: k.data.from, to: k.data.to, total: Number(c.dataset.total), bars: Number(c.dataset.bars),
          canvas: !!c.querySelector('canvas'), series: k.u ? k.u.series.length : 0,
          top: [...document.querySelectorAll('#kpi-panel tr.top-row')].map((r) => Number(r.dataset.rule)),
          rows: Number(document.querySelector('#kpi-panel .kpi-journal').dataset.rows),
          shown: document.querySelectorAll('#kpi-panel .kpi-journal-table tr.ev').length,
          def: document.querySelector('#kpi-panel .kpi-flood-def').textContent,
          prio: [...document.querySelectorAll('#kpi-panel .kpi-prio-table tr')].map((r) => Number(r.querySelector('td.num').textContent)),
          series_: [...document.querySelectorAll('#kpi-panel .kpi-journal-table tr.ev .quantity')].map((q) => q.title),
        };
      });
      const tok = park.tokens[role];
      const kp = (await api(`/api/v1/alarms/kpis?from=${got.from}&to=${got.to}`, { token: tok })).body;
      assert(got.canvas && got.series === 4, 'no uPlot chart');
      assert(got.total > 0 && got.bars > 0, `the chart has ${got.total} alarms in ${got.bars} bars`);
      assert(got.total === kp.alarms, `the chart counts ${got.total} alarms, the API's KPIs ${kp.alarms}`);
      assert(got.top.length === kp.top.length && got.top.length > 0, `${got.top.length} top-ten rows, the API ${kp.top.length}`);
      assert(got.top.join() === kp.top.map((x) => x.rule).join(), `top ten ${got.top} vs the API's ${kp.top.map((x) => x.rule)}`);
      assert(got.prio.reduce((a, b) => a + b, 0) === kp.alarms, `priority distribution ${got.prio} does not add up to ${kp.alarms}`);
      assert(/10/.test(got.def), `the flood definition says "${got.def}"`);
      assert(got.rows > 0 && got.shown === Math.min(50, got.rows), `journal: ${got.shown} rows shown of ${got.rows}`);
      if (role === 'enterprise') assert(got.series_.every((s) => s.startsWith('E001/')), 'journal rows of other enterprises');
      // the priority filter: P1 rows only
      await pg.selectOption('#kpi-panel select[name="priority"]', '1');
      const p = await pg.$$eval('#kpi-panel .kpi-journal-table tr.ev', (l) => l.map((r) => r.dataset.priority));
      assert(p.every((x) => x === '1'), `priority filter P1 shows ${[...new Set(p)]}`);
      await pg.selectOption('#kpi-panel select[name="priority"]', '');
      return `${got.total} alarms in ${got.bars} bars, ${got.top.length} top rows, ${got.rows} journal events, ${p.length} of P1`;
    });
  }
  await shot(pages.operator, 'alarm-kpis');

  // ---------------------------------------------------------------- handover
  const op = pages.operator, adm = pages.admin;
  const records = async () => (await api('/api/v1/handovers')).body.handovers;
  let first = null;
  await check('handover: the operator signs (the signature is the token\'s name); a second signature shows the 409', async () => {
    await openTab(op, 'handover');
    const groups = await op.$$eval('#handover-panel details.ho-group', (l) => l.map((d) => [d.dataset.group, Number(d.dataset.count)]));
    assert(groups.length === 5, `draft groups ${groups}`);
    const draft = (await api('/api/v1/handovers/draft', { token: park.tokens.operator })).body;
    const open = groups.find((g) => g[0] === 'open_alarms')[1];
    assert(open > 0 && Math.abs(open - draft.open_alarms.length) <= 3, `the draft shows ${open} open alarms, the API ${draft.open_alarms.length}`);
    await op.fill('#handover-panel textarea[name="notes"]', 'T101 泄漏未处理，风机已开');
    await op.click('#handover-panel button.sign');
    await op.waitForSelector('#handover-panel tr.ho-record[data-state="open"]', { timeout: 10000 });
    const list = await records();
    first = list.find((r) => r.state === 'open' && r.scope === 'PARK');
    assert(first && first.outgoing === 'duty-officer' && /泄漏/.test(first.notes), `the record: ${JSON.stringify(first)}`);
    assert(!(await op.$(`#handover-panel button.accept[data-id="${first.id}"]`)), 'an accept button on one\'s own record');
    await op.click('#handover-panel button.sign');
    await op.waitForSelector('.ho-sign-form .ho-error:not([hidden])', { timeout: 10000 });
    const err = await op.textContent('.ho-sign-form .ho-error');
    assert(/待接班|awaiting/.test(err), `409 shown as "${err}"`);
    assert((await records()).filter((r) => r.state === 'open').length === 1, 'a second open record');
    return `record ${first.id} by ${first.outgoing}; second signature: "${err}"`;
  });

  await check('handover: accepting one\'s own record shows the server\'s 400 (same officer)', async () => {
    assert(first, 'no record');
    // the page hides the buttons on one's own record: pretend another name to reach the server
    await op.evaluate(() => {
      window.parkwatch.who.name = 'someone-else';
      window.parkwatch.handover.render();
    });
    await op.click(`#handover-panel button.accept[data-id="${first.id}"]`);
    await op.click(`#handover-panel form.ho-answer-form[data-id="${first.id}"] button.confirm`);
    await op.waitForSelector('#handover-panel .ho-more .ho-error:not([hidden])', { timeout: 10000 });
    const err = await op.textContent('#handover-panel .ho-more .ho-error:not([hidden])');
    await op.evaluate(() => {
      window.parkwatch.who.name = 'duty-officer';
      window.parkwatch.handover.render();
    });
    assert(/本人|outgoing one/.test(err), `400 shown as "${err}"`);
    const r = (await api(`/api/v1/handovers/${first.id}`)).body;
    assert(r.state === 'open', `the record is ${r.state}`);
    return err;
  });

  await check('handover: the admin refuses (a reason required), the operator signs again, the admin accepts', async () => {
    assert(first, 'no record');
    await openTab(adm, 'handover');
    await adm.click(`#handover-panel button.refuse[data-id="${first.id}"]`);
    await adm.click(`#handover-panel form.ho-answer-form[data-id="${first.id}"] button.confirm`);
    const need = await adm.textContent('#handover-panel .ho-more .ho-error:not([hidden])');
    assert(/原因|reason/.test(need), `an empty reason: "${need}"`);
    assert((await api(`/api/v1/handovers/${first.id}`)).body.state === 'open', 'refused without a reason');
    await adm.fill(`#handover-panel form.ho-answer-form[data-id="${first.id}"] textarea`, '风机未核实');
    await adm.click(`#handover-panel form.ho-answer-form[data-id="${first.id}"] button.confirm`);
    await adm.waitForSelector(`#handover-panel tr.ho-record[data-id="${first.id}"][data-state="refused"]`, { timeout: 10000 });
    const refused = (await api(`/api/v1/handovers/${first.id}`)).body;
    assert(refused.state === 'refused' && refused.incoming === 'admin' && refused.answer === '风机未核实', JSON.stringify(refused));
    // signed again by the operator, accepted by the admin
    await openTab(op, 'handover');
    await op.click('#handover-panel button.sign');
    await op.waitForFunction((id) => [...document.querySelectorAll('#handover-panel tr.ho-record[data-state="open"]')]
      .some((r) => Number(r.dataset.id) !== id), first.id, { timeout: 10000 });
    const second = (await records()).find((r) => r.state === 'open');
    assert(second, 'no second record');
    await openTab(adm, 'handover');
    await adm.click(`#handover-panel button.accept[data-id="${second.id}"]`);
    await adm.fill(`#handover-panel form.ho-answer-form[data-id="${second.id}"] textarea`, '已接班，继续监视');
    await adm.click(`#handover-panel form.ho-answer-form[data-id="${second.id}"] button.confirm`);
    await adm.waitForSelector(`#handover-panel tr.ho-record[data-id="${second.id}"][data-state="accepted"]`, { timeout: 10000 });
    const acc = (await api(`/api/v1/handovers/${second.id}`)).body;
    assert(acc.state === 'accepted' && acc.incoming === 'admin', JSON.stringify(acc));
    await openTab(op, 'handover');
    const states = await op.$$eval('#handover-panel tr.ho-record', (l) => l.map((r) => r.dataset.state));
    assert(states.includes('accepted') && states.includes('refused'), `the operator sees ${states}`);
    return `record ${first.id} refused, ${second.id} accepted by admin`;
  });
  await shot(adm, 'handover');

  await check('handover: the regulator reads the records, with no sign, accept or refuse button', async () => {
    const reg = pages.regulator;
    await openTab(reg, 'handover');
    const got = await reg.evaluate(() => ({
      form: !!document.querySelector('#handover-panel form'),
      buttons: [...document.querySelectorAll('#handover-panel button')].map((b) => b.className),
      rows: document.querySelectorAll('#handover-panel tr.ho-record').length,
      readonly: !!document.querySelector('#handover-panel .readonly'),
    }));
    assert(!got.form && !got.buttons.length, `the regulator has ${got.form ? 'a form and ' : ''}buttons ${got.buttons}`);
    assert(got.rows >= 2 && got.readonly, `${got.rows} records, read-only note ${got.readonly}`);
    return `${got.rows} records, no buttons`;
  });

  await check('handover: the enterprise\'s draft is its own, with its sign form', async () => {
    const ent = pages.enterprise;
    await openTab(ent, 'handover');
    const got = await ent.evaluate(() => ({
      scope: window.parkwatch.handover.draft && window.parkwatch.handover.draft.scope,
      form: !!document.querySelector('#handover-panel form.ho-sign-form'),
      alarms: (window.parkwatch.handover.draft.open_alarms || []).map((a) => a.enterprise),
    }));
    assert(got.scope === 'E001' && got.form, `scope ${got.scope}, form ${got.form}`);
    assert(got.alarms.every((e) => e === 'E001'), `alarms of ${[...new Set(got.alarms)]}`);
    return `${got.alarms.length} open alarms of E001`;
  });

  // ---------------------------------------------------------------- one language
  for (const lang of ['zh', 'en']) {
    for (const tab of ['kpi', 'handover']) {
      await check(`${lang} ${tab} tab: no text of the other language`, async () => {
        const pg = pages.operator;
        await setLang(pg, lang);
        await openTab(pg, tab);
        const allow = await allowFor(pg, 'operator');
        allow.add('admin'); // the incoming officer's token name on the records
        const bad = otherLanguage(await visibleTexts(pg), lang, allow);
        const logged = await pg.evaluate(() => window.parkwatch.untranslated());
        assert(!bad.length, [...new Set(bad)].slice(0, 20).join('; '));
        return logged.length ? `logged untranslated: ${logged.join(' | ')}` : '';
      });
    }
  }
  await setLang(pages.operator, 'zh').catch(() => {});
}
