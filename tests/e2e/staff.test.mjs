// The staff workspace in a real browser: sign in, find a citizen's letter in the inbox, assign
// it, send a holding reply, answer and close it; every staff page has zero axe-core violations
// in both languages.
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

test('an administrator signs in and works a letter from the inbox to closed', async () => {
  server.harta('admin', 'staff', 'add', '--employee-number', '3001', '--name', 'Петя Колева',
    '--role', 'case_officer', '--unit', 'cao');
  const context = await browser.newContext();
  const page = await context.newPage();
  // A citizen's letter.
  await page.goto(`${server.url}/submit/letter`);
  await page.fill('#subject', 'Счупена пейка');
  await page.fill('#text', 'Пейката в градинката е счупена.');
  await page.fill('#name', 'Мария Иванова');
  await page.fill('#email', 'maria@example.bg');
  await page.check('#preferred');
  await page.waitForTimeout(2100);
  await page.click('button[type=submit]');
  await page.click('form[action$="/send"] button');
  const number = (await page.textContent('#number')).trim();
  const code = (await page.textContent('#code')).trim();

  // A wrong password, then the right one.
  await page.goto(`${server.url}/staff`);
  assert.match(page.url(), /\/staff\/sign-in$/);
  await page.fill('#login', 'admin');
  await page.fill('#password', 'wrong');
  await page.click('button[type=submit]');
  assert.match(await page.textContent('.error-summary'), /Грешен служебен номер или парола/);
  await page.fill('#login', 'admin');
  await page.fill('#password', server.adminPassword);
  await page.click('button[type=submit]');
  // An administrator must set up the second factor: the key, then a code from it.
  await page.waitForSelector('#secret');
  const enrolment = await axeViolations(page);
  await page.fill('#code', totp(await page.textContent('#secret')));
  await page.click('button[type=submit]');
  await page.waitForSelector('table');
  assert.deepEqual(enrolment, []);
  assert.match(await page.textContent('table'), /Счупена пейка/);

  await page.click(`a:text("${number}")`);
  await page.selectOption('#officer', { label: 'Петя Колева (3001)' });
  await page.click('form:has(#officer) button[type=submit]');
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#responsible'), /Петя Колева/);
  const later = new Date(Date.now() + 20 * 86400000);
  while ([0, 6].includes(later.getDay())) later.setDate(later.getDate() + 1);
  await page.fill('#reasons', 'Чакаме становище от Столична община.');
  await page.fill('#new_due', later.toISOString().slice(0, 10));
  await page.click('form:has(#reasons) button[type=submit]');
  await page.waitForSelector('#notice');
  // An answer given on the telephone is recorded; one in writing is an answer letter.
  await page.selectOption('#spoken', 'phone');
  await page.fill('#summary', 'Пейката ще бъде поправена до края на месеца.');
  await page.click('form:has(#summary) button[type=submit]');
  await page.waitForSelector('#notice');
  assert.equal((await page.textContent('#state')).trim(), 'Отговорено');
  await page.click('form:has(input[value=closed]) button[type=submit]');
  await page.waitForSelector('#notice');
  assert.equal((await page.textContent('#state')).trim(), 'Приключена');

  const failures = [];
  // A letter needs the officer's position, direct phone and e-mail: the administrator adds
  // their own.
  await page.goto(`${server.url}/staff/directory`);
  await page.click('tr:has(td:text-is("admin")) a');
  await page.fill('#position', 'секретар на района');
  await page.fill('#phone', '02 895 11 01');
  await page.fill('#email', 'admin@krasnoselo.net');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('#notice');
  for (const v of await axeViolations(page)) failures.push(`member: ${v}`);
  // The answer as a letter: drafted from the template, previewed with advice, issued.
  await page.goto(`${server.url}/staff/cases/${encodeURIComponent(number)}`);
  await page.selectOption('#letter-kind', 'answer');
  await page.click('form[action$="/letters/new"] button');
  await page.waitForSelector('#body');
  assert.match(await page.inputValue('#body'), /Пейката ще бъде поправена до края на месеца\./);
  await page.click('button[value=preview]');
  await page.waitForSelector('#preview');
  assert.match(await page.textContent('#advice'), /страдателен залог/);
  assert.match(await page.textContent('#preview .letter-signature'), /Администратор\s*секретар на района/);
  for (const v of await axeViolations(page)) failures.push(`letter preview: ${v}`);
  await page.click('button[value=issue]');
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#notice'), new RegExp(`Писмо изх. № ${number}/1 е издадено`));
  // The citizen reads the letter when tracking the case.
  const citizen = await browser.newPage();
  await citizen.goto(`${server.url}/track`);
  await citizen.fill('#number', number);
  await citizen.fill('#code', code);
  await citizen.click('main form button[type=submit]');
  await citizen.waitForSelector('section.letter');
  assert.match(await citizen.textContent('section.letter'), /Пейката ще бъде поправена/);
  for (const v of await axeViolations(citizen)) failures.push(`track with a letter: ${v}`);
  const [download] = await Promise.all([citizen.waitForEvent('download'), citizen.click('section.letter button')]);
  assert.match(download.suggestedFilename(), /\.pdf$/);
  await citizen.close();
  // Without a mail server the e-mail reached nobody: the letter waits on the not-delivered list,
  // and goes to the counter for collection instead.
  for (let tries = 0; tries < 20; tries++) {
    await page.goto(`${server.url}/staff/deliveries/undelivered`);
    if ((await page.textContent('main')).includes(`${number}/1`)) break;
    await page.waitForTimeout(500);
  }
  assert.match(await page.textContent('main'), /няма настроен|no SMTP server is configured/);
  for (const v of await axeViolations(page)) failures.push(`not delivered: ${v}`);
  await page.selectOption('main select[name=channel]', 'in_person');
  await page.click('main form button[type=submit]');
  await page.goto(`${server.url}/staff/deliveries/collection`);
  for (const v of await axeViolations(page)) failures.push(`collection: ${v}`);
  await page.click('main form button[value=handed_over]');
  await page.waitForURL(/collection\?saved=1/);
  await page.goto(`${server.url}/staff/cases/${encodeURIComponent(number)}`);
  assert.match(await page.textContent('#letter-list'), /Лично на гише: изпратено/);
  // A letter for the post waits in the print queue, is printed with the day's letters and posted.
  const clerkToken = server.harta('admin', 'token', 'create', '--role', 'counter_clerk');
  const byPost = await fetch(`${server.url}/api/v1/cases`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${clerkToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'letter', channel: 'post', subject: 'Ремонт на тротоар', unit: 'cao',
      text: 'Тротоарът пред блок 7 е разбит.', party: { name: 'Иван Петров', address: 'ул. „Ами Буе“ 7, 1612 София',
        preferred_channel: 'post' } }),
  });
  assert.equal(byPost.status, 201);
  const postNumber = (await byPost.json()).registry_number;
  await page.goto(`${server.url}/staff/cases/${encodeURIComponent(postNumber)}`);
  await page.selectOption('#letter-kind', 'acknowledgement');
  await page.click('form[action$="/letters/new"] button');
  await page.waitForSelector('#body');
  await page.click('button[value=issue]');
  await page.waitForSelector('#notice');
  assert.match(await page.textContent('#letter-list'), /Поща: чака отпечатване и изпращане по пощата/);
  await page.goto(`${server.url}/staff/deliveries/post`);
  assert.match(await page.textContent('main'), /ул\. „Ами Буе“ 7, 1612 София/);
  for (const v of await axeViolations(page)) failures.push(`print queue: ${v}`);
  const [printed] = await Promise.all([page.waitForEvent('download'), page.click('main a[href*="/post/print"]')]);
  assert.match(printed.suggestedFilename(), /^post-.*\.pdf$/);
  await page.click('main form[action$="/posted"] button');
  await page.waitForSelector('[role=status]');
  await page.goto(`${server.url}/staff/cases/${encodeURIComponent(postNumber)}`);
  assert.match(await page.textContent('#letter-list'), /Поща: изпратено на/);
  // The counter: a letter from a walk-in registered with the keyboard alone, and its receipt.
  await page.goto(`${server.url}/staff/intake`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'kind', 'the form starts at the kind');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Запитване за данък сгради');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Моля, кажете ми дали имам задължения.');
  await page.focus('#name');
  await page.keyboard.type('Георги Георгиев');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#code');
  assert.match(await page.textContent('#number'), /^РКС\d\d-ГР94-\d+$/);
  for (const v of await axeViolations(page)) failures.push(`receipt: ${v}`);
  // The catalogue: a wrong edit is named in the error summary; a right one shows on the site.
  await page.goto(`${server.url}/staff/services/2079`);
  await page.fill('#name_en', '');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('.error-summary a[href="#name_en"]');
  for (const v of await axeViolations(page)) failures.push(`service errors: ${v}`);
  await page.fill('#name_en', 'Certificate of heirs');
  await page.fill('#keywords', 'наследници, heirs');
  await page.click('main form button[type=submit]');
  await page.waitForSelector('#notice');
  // The board: a suggestion whose author agreed is published in an approved wording.
  const token = server.harta('admin', 'token', 'create', '--role', 'manager');
  const created = await fetch(`${server.url}/api/v1/cases`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'suggestion', channel: 'web', subject: 'Пейки', publish: true,
      text: 'Пейки пред блок 5, звънете ми на 0888 123 456.', party: { name: 'Иван Петров' } }),
  });
  assert.equal(created.status, 201);
  await page.goto(`${server.url}/staff/suggestions`);
  await page.fill('#text-1', 'Пейки пред блок 5.');
  await page.click('section.suggestion button[value=yes]');
  await page.waitForSelector('#notice');
  await page.goto(`${server.url}/suggestions`);
  assert.match(await page.textContent('main'), /Пейки пред блок 5\./);
  for (const lang of ['bg', 'en']) {
    await useLanguage(page, server.url, lang);
    for (const path of ['/staff', '/staff?state=closed', `/staff/cases/${encodeURIComponent(number)}`, '/staff/password', '/staff/intake', '/staff/intake?find=%D0%98%D0%B2%D0%B0%D0%BD', '/staff/audit?verify=1', '/staff/directory', '/staff/totp', '/staff/tokens', '/staff/charter', '/staff/services', '/staff/services/2079', '/staff/services/new', '/staff/suggestions', '/staff/calendar', '/staff/charter/fields', '/staff/directory/1', '/staff/directory/abc', `/staff/cases/${encodeURIComponent(number)}/letters/1`, `/staff/cases/${encodeURIComponent(number)}/letters/new?kind=information_request`, '/staff/deliveries/post', '/staff/deliveries/calls', '/staff/deliveries/collection', '/staff/deliveries/undelivered', '/staff/jobs', '/staff/jobs?show=all']) {
      await page.goto(`${server.url}${path}`);
      for (const v of await axeViolations(page)) failures.push(`${lang} ${path}: ${v}`);
    }
  }
  // A refused action comes back to the case page, by a redirect, with its reason.
  await useLanguage(page, server.url, 'bg');
  await page.goto(`${server.url}/staff/cases/${encodeURIComponent(number)}`);
  await page.click('form:has(#note) button[type=submit]');
  await page.waitForSelector('.error-summary');
  assert.match(page.url(), /refused=1/);
  for (const v of await axeViolations(page)) failures.push(`refused action: ${v}`);
  // A Council of Ministers decision, previewed before it is saved (a weekday that is not a
  // holiday already: the first one from two weeks on that the calendar accepts).
  const day = new Date(Date.now() + 14 * 86400000);
  for (let tries = 0; tries < 10; tries++) {
    while ([0, 6].includes(day.getDay())) day.setDate(day.getDate() + 1);
    await page.goto(`${server.url}/staff/calendar`);
    await page.fill('#date', day.toISOString().slice(0, 10));
    await page.click('form:has(#date) button[type=submit]');
    if (await page.$('#confirm-add')) break;
    day.setDate(day.getDate() + 1);
  }
  await page.waitForSelector('#confirm-add');
  for (const v of await axeViolations(page)) failures.push(`calendar preview: ${v}`);
  // The sign-in page, signed out.
  await page.click('button.link');
  await page.waitForSelector('#login');
  for (const v of await axeViolations(page)) failures.push(`sign-in: ${v}`);
  assert.deepEqual(failures, []);
  await context.close();
});
