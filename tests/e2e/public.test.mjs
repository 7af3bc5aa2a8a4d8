// The public site in a real browser: every page in both languages has zero axe-core
// violations; each kind of case is submitted with and without JavaScript, then tracked; the
// submit form works with the keyboard alone; pages fit a 320 px wide screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, axeViolations, useLanguage } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const KINDS = ['service_request', 'letter', 'complaint', 'suggestion'];

/** Fills in and sends the form for `kind` on the page; returns the registry number and code. */
async function submit(page, kind) {
  await page.goto(`${server.url}/submit`);
  await page.click(`a[href="/submit/${kind}"]`);
  if (kind === 'service_request') {
    // Choosing the service is its own step: search, pick, continue.
    await page.fill('#q', 'наследници');
    await page.click('form[role=search] button');
    await page.check('input[name=service][value="2016"]');
    await page.click('form:not([role=search]) button[type=submit]');
    await page.waitForSelector('#egn');
    await page.check('#tier-fast');
    await page.fill('#egn', '7503146242');
  } else {
    await page.fill('#subject', `Проверка: ${kind}`);
  }
  await page.fill('#text', 'Моля, отговорете ми по електронна поща. <b>не е HTML</b>');
  await page.fill('#name', 'Мария Иванова');
  await page.fill('#email', 'maria@example.bg');
  await page.check('#preferred');
  if (kind === 'letter') {
    await page.setInputFiles('#documents', {
      name: 'снимка.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n picture', 'latin1'),
    });
  }
  // A person takes more than the two seconds below which a form counts as a robot's.
  await page.waitForTimeout(2100);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1');
  assert.match(await page.textContent('h1'), /Проверете отговорите си|Check your answers/);
  assert.ok((await page.content()).includes('&lt;b&gt;не е HTML&lt;/b&gt;'), 'typed text is shown as text');
  await page.click('form[action$="/send"] button');
  await page.waitForSelector('#number');
  if (kind === 'letter') assert.match(await page.textContent('#documents'), /снимка\.png/);
  // The service's own deadline (the fast tier of 2016: 3 calendar days), not the charter's 10.
  if (kind === 'service_request') assert.match(await page.textContent('#due'), /^3 календарни дни, до \d\d\.\d\d\.\d{4}$/);
  return { number: (await page.textContent('#number')).trim(), code: (await page.textContent('#code')).trim() };
}

async function track(page, number, code) {
  await page.goto(`${server.url}/track`);
  await page.fill('#number', number);
  await page.fill('#code', code);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1');
}

for (const javaScriptEnabled of [true, false]) {
  test(`each kind is submitted and tracked ${javaScriptEnabled ? 'with' : 'without'} JavaScript`, async () => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    for (const kind of KINDS) {
      const { number, code } = await submit(page, kind);
      assert.match(number, /^РКС\d\d-[А-Я]{2}\d\d-\d+$/, number);
      assert.match(code, /^[2-9A-Z]{5}-[2-9A-Z]{5}$/, code);
      await track(page, number, code);
      assert.equal((await page.textContent('#state')).trim(), 'Регистрирана');
    }
    await context.close();
  });
}

test('the submit form can be filled in and sent with the keyboard alone', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/submit/letter`);
  /** Tabs forward until the element with `id` has focus (or fails after 40 presses). */
  async function tabTo(id) {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
    }
    assert.fail(`#${id} cannot be reached with Tab`);
  }
  await tabTo('subject');
  await page.keyboard.type('Дупка на тротоара');
  await tabTo('text');
  await page.keyboard.type('На ул. „Козяк“ 12 има дълбока дупка.');
  await tabTo('name');
  await page.keyboard.type('Георги Георгиев');
  await tabTo('email');
  await page.keyboard.type('georgi@example.bg');
  await tabTo('preferred');
  await page.keyboard.press('Space');
  await page.waitForTimeout(2100);
  // The focused radio is in the form: Enter sends it.
  await page.keyboard.press('Enter');
  await page.waitForSelector('form[action$="/send"]');
  await page.focus('form[action$="/send"] button');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#number');
  // The focus is always visible: the focused element draws an outline.
  await page.goto(`${server.url}/`);
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none');
  await context.close();
});

test('every public page has zero axe-core violations in both languages and fits 320 px', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { number, code } = await submit(page, 'letter');
  const pages = [
    '/', '/accessibility', '/services', '/services?q=naslednitsi', '/services?q=xyzzy', '/services/2079',
    '/services/2079/brochure', '/services/2079/brochure?large=1', '/submit', '/submit/letter',
    '/submit/service_request', '/submit/service_request?q=naslednitsi', '/submit/service_request?service=2079', '/submit/suggestion', '/track', '/suggestions', '/performance', '/performance?period=month', '/nowhere',
  ];
  const failures = [];
  for (const lang of ['bg', 'en']) {
    await useLanguage(page, server.url, lang);
    for (const path of pages) {
      await page.goto(`${server.url}${path}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, path);
      for (const v of await axeViolations(page)) failures.push(`${lang} ${path}: ${v}`);
    }
    // Pages reached by sending forms: errors, check your answers, tracking.
    await page.goto(`${server.url}/submit/complaint`);
    await page.waitForTimeout(2100);
    await page.click('button[type=submit]');
    await page.waitForSelector('.error-summary');
    for (const v of await axeViolations(page)) failures.push(`${lang} form with errors: ${v}`);
    await page.goto(`${server.url}/track`);
    await page.click('button[type=submit]');
    for (const v of await axeViolations(page)) failures.push(`${lang} track errors: ${v}`);
    await track(page, number, code);
    for (const v of await axeViolations(page)) failures.push(`${lang} tracked case: ${v}`);
  }
  assert.deepEqual(failures, []);

  await page.setViewportSize({ width: 320, height: 640 });
  for (const path of ['/', '/services', '/services/2016', '/submit/letter', '/track', '/performance']) {
    await page.goto(`${server.url}${path}`);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 320, `${path} is ${wide} px wide at 320 px`);
  }
  await context.close();
});

test('the citizen sends the information an officer asked for, and changes contact details', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const { number, code } = await submit(page, 'letter');
  // An officer (through the API, as the staff workspace will) takes the case and asks.
  const token = server.harta('admin', 'token', 'create', '--role', 'manager');
  const officer = server.harta('admin', 'staff', 'add', '--employee-number', '2001', '--name', 'Петя Колева',
    '--role', 'case_officer', '--unit', 'cao').match(/\d+/)[0];
  const events = `${server.url}/api/v1/cases/${encodeURIComponent(number)}/events`;
  const post = (body) => fetch(events, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal((await post({ type: 'assigned', officer: Number(officer) })).status, 201);
  const by = new Date(Date.now() + 14 * 86400000).toISOString().slice(0, 10);
  assert.equal((await post({ type: 'information_requested', what: 'Копие от нотариалния акт.', by })).status, 201);

  await track(page, number, code);
  assert.equal((await page.textContent('#state')).trim(), 'Чака информация от вас');
  assert.deepEqual(await axeViolations(page), []);
  await page.fill('#information', 'Актът е № 12 от 2019 г.; прилагам копие.');
  await page.setInputFiles('#documents', { name: 'акт.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7 copy\n%%EOF\n') });
  await page.click('#requested button[type=submit]');
  await page.waitForSelector('#notice');
  assert.equal((await page.textContent('#state')).trim(), 'В работа');

  await page.fill('#email', 'maria.new@example.bg');
  await page.click('form[action="/track/contact"] button[type=submit]');
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), /Данните ви за връзка са променени/);
  assert.deepEqual(await axeViolations(page), []);
  await context.close();
});

test('a published suggestion is on the board, accessible, without its author', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/submit/suggestion`);
  await page.fill('#subject', 'Пейки');
  await page.fill('#text', 'Поставете пейки в градинката на ул. „Хубча“.');
  await page.fill('#name', 'Анна Димитрова');
  await page.fill('#email', 'anna@example.bg');
  await page.check('#preferred');
  await page.check('#publish');
  await page.waitForTimeout(2100);
  await page.click('button[type=submit]');
  await page.click('form[action$="/send"] button');
  const number = (await page.textContent('#number')).trim();
  const token = server.harta('admin', 'token', 'create', '--role', 'manager');
  const response = await fetch(`${server.url}/api/v1/cases/${encodeURIComponent(number)}/publication`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ publish: true }),
  });
  assert.equal(response.status, 200);
  for (const lang of ['bg', 'en']) {
    await useLanguage(page, server.url, lang);
    await page.goto(`${server.url}/suggestions`);
    assert.match(await page.textContent('main'), /градинката на ул\. „Хубча“/);
    assert.doesNotMatch(await page.textContent('main'), /Анна Димитрова/);
    assert.deepEqual(await axeViolations(page), []);
  }
  await context.close();
});
