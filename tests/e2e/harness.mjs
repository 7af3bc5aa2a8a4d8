// Starts a real harta server over a fresh store and a headless Debian Chromium, for the
// browser tests. Nothing is mocked: the pages, the store and the browser are the real ones.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** The harta binary: HARTA_BIN, or the debug build of this checkout. */
const binary = process.env.HARTA_BIN || join(here, '..', '..', 'target', 'debug', 'harta');

/** Starts `harta serve` on a free port over a fresh SQLite store; resolves with its base URL. */
export async function startServer() {
  const data = mkdtempSync(join(tmpdir(), 'harta-e2e-'));
  const child = spawn(binary, ['serve', '--data', data, '--bind', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARTA_DATABASE_URL: '' },
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  const [url, adminPassword] = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`harta did not start:\n${out}\n${log}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/at (http:\/\/[0-9.:]+)\//);
      const p = out.match(/password "([^"]+)"/);
      if (m && p) { clearTimeout(timer); resolve([m[1], p[1]]); }
    });
    child.on('exit', (code) => reject(new Error(`harta exited with ${code}:\n${out}\n${log}`)));
  });
  return {
    url,
    /** The administrator's password, printed once on the first start. */
    adminPassword,
    /** Runs a `harta` subcommand against the same store; returns what it printed. */
    harta(...args) {
      return execFileSync(binary, ['--data', data, ...args], { env: { ...process.env, HARTA_DATABASE_URL: '' } })
        .toString().trim();
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless. */
export async function startBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
}

/** Runs axe-core on the page (WCAG 2.0–2.2 A and AA) and returns its violations. */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol, so the page's strict CSP (which forbids inline
  // script) stays on while axe runs.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** Sets the page language through the switch a person would use. */
export async function useLanguage(page, base, lang) {
  await page.goto(`${base}/lang/${lang}?next=/`);
}

/** The code an authenticator app shows now for a base32 secret (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totp(base32) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of base32.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return value.toString().padStart(6, '0');
}
