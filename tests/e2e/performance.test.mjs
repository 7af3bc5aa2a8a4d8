// How promises are kept, in a real browser: a data set with known answers is registered over the
// API (received last year, so that the scorecard's last whole year holds it), then the public
// scorecard and the staff dashboard show exactly the numbers this test counts, every figure of
// the dashboard leads to its cases, and both pages have zero axe-core violations in both
// languages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBrowser, axeViolations, useLanguage, totp } from './harness.mjs';

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

const year = new Date().getFullYear() - 1;

/** Registers a case received on `day` of last year (a manager may date it back). */
async function register(token, kind, unit, day) {
  const r = await fetch(`${server.url}/api/v1/cases`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind, channel: 'post', subject: 'Улично осветление', text: 'Лампата не свети.', unit,
      received_on: `${year}-${day}`, party: { name: 'Мария Иванова', phone: '0888 123 456' } }),
  });
  const body = await r.text();
  assert.equal(r.status, 201, body);
  return JSON.parse(body).url;
}

async function event(token, url, body) {
  const r = await fetch(`${server.url}${url}/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await r.text();
  assert.equal(r.status, 201, answer);
}

/** A table row's cells (header and data) as text. */
async function row(page, table, header) {
  return page.$$eval(`${table} tr`, (rows, h) => {
    const found = rows.find((r) => r.querySelector('th')?.textContent.trim() === h);
    return found ? [...found.querySelectorAll('th, td')].map((c) => c.textContent.trim()) : null;
  }, header);
}

test('the scorecard and the dashboard show the counts of a known year, without violations', async () => {
  const officer = server.harta('admin', 'staff', 'add', '--employee-number', '3001', '--name', 'Петя Колева',
    '--role', 'case_officer', '--unit', 'cao');
  const manager = server.harta('admin', 'token', 'create', '--role', 'manager');
  // Last year: four letters to the service centre in March (one answered, late now; one
  // withdrawn; two never answered, overdue) and one complaint to civil registration in June.
  const letters = [];
  for (let i = 0; i < 4; i++) letters.push(await register(manager, 'letter', 'cao', '03-02'));
  await register(manager, 'complaint', 'grao', '06-01');
  await event(manager, letters[0], { type: 'assigned', officer: Number(officer) });
  await event(manager, letters[0], { type: 'answered', summary: 'Лампата е сменена.', spoken: 'phone' });
  await event(manager, letters[1], { type: 'withdrawn', reason: 'Вече не е нужно.' });
  const expected = { received: '4', answered: '1', late: '1', overdue: '2', withdrawn: '1' };

  const failures = [];
  const page = await browser.newPage();
  // The public scorecard of last year, linked from the home page's promises.
  await page.goto(`${server.url}/`);
  await page.click('a[href="/performance#letter"]');
  await page.selectOption('#period', 'year');
  await page.click('main form button[type=submit]');
  await page.waitForURL(/period=year/);
  assert.match(await page.textContent('main'), new RegExp(`01\\.01\\.${year} – 31\\.12\\.${year}`));
  const table = 'section:has(#letter) table';
  assert.deepEqual((await row(page, table, 'Получени')).slice(0, 2), ['Получени', expected.received]);
  assert.deepEqual((await row(page, table, 'С отговор')).slice(0, 2), ['С отговор', expected.answered]);
  assert.match((await row(page, table, 'Отговорени със закъснение'))[1], /^1 \(твърде малко преписки/);
  assert.deepEqual((await row(page, table, 'Оттеглени')).slice(0, 2), ['Оттеглени', expected.withdrawn]);
  assert.deepEqual((await row(page, 'section:has(#complaint) table', 'Получени')).slice(0, 2), ['Получени', '1']);
  assert.doesNotMatch(await page.textContent('main'), /Мария/);
  for (const v of await axeViolations(page)) failures.push(`scorecard: ${v}`);
  await useLanguage(page, server.url, 'en');
  await page.goto(`${server.url}/performance?period=year`);
  assert.deepEqual((await row(page, 'section:has(#letter) table', 'Received')).slice(0, 2), ['Received', expected.received]);
  for (const v of await axeViolations(page)) failures.push(`scorecard (en): ${v}`);
  await useLanguage(page, server.url, 'bg');

  // The dashboard, as the administrator (who sets up a second factor first).
  await page.goto(`${server.url}/staff/sign-in`);
  await page.fill('#login', 'admin');
  await page.fill('#password', server.adminPassword);
  await page.click('button[type=submit]');
  await page.waitForSelector('#secret');
  await page.fill('#code', totp(await page.textContent('#secret')));
  await page.click('button[type=submit]');
  await page.waitForSelector('table');
  await page.click('nav a[href="/staff/performance"]');
  await page.fill('#from', `${year}-01-01`);
  await page.fill('#to', `${year}-12-31`);
  await page.click('main form button[type=submit]');
  await page.waitForSelector('svg[role=img]');
  const cells = await row(page, 'main table', 'Писма, факсове и електронни писма');
  assert.deepEqual([cells[1], cells[2], cells[6], cells[7]], [expected.received, expected.answered, expected.overdue, expected.withdrawn]);
  assert.match(cells[5], /^1 \(/);
  assert.equal(await page.locator('svg[role=img] title').count(), 3);
  for (const v of await axeViolations(page)) failures.push(`dashboard: ${v}`);
  // Each figure leads to its cases: the overdue letters are the two never answered.
  await page.click('main table tr:has(th:text-is("Писма, факсове и електронни писма")) td:nth-of-type(6) a');
  await page.waitForSelector('#total');
  assert.match(await page.textContent('#total'), /Намерени са 2 преписки/);
  for (const v of await axeViolations(page)) failures.push(`inbox of a figure: ${v}`);
  await useLanguage(page, server.url, 'en');
  await page.goto(`${server.url}/staff/performance?from=${year}-01-01&to=${year}-12-31`);
  for (const v of await axeViolations(page)) failures.push(`dashboard (en): ${v}`);
  assert.deepEqual(failures, []);
});
