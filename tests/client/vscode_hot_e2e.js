#!/usr/bin/env node
// Find hot functions (issue 17.4) in a real VS Code (code-server + headless Chromium) against the real server and
// the Docker sandbox. Steps: open slow.py → RefactorCoder: Find Hot Functions… from the palette → the input box
// offers `python slow.py` (no tests, no launch.json: the active file) → type `python run.py` → the job traces it
// in the sandbox → the quick pick lists slow_pairs first ("NN% own time · 4 calls · …") → open it → the lens
// "hot: NN% own time · 4 calls · Optimize" sits on the `def slow_pairs` line of the slow.py editor, and on no other
// → clicking it starts Optimize on slow_pairs (its progress notification), cancelled at once (no model is set up).
// Writes hot.json (what was seen) beside the screenshots.
//
//   node vscode_hot_e2e.js --url URL --workspace DIR --shots DIR [--job-timeout 300] [--chromium PATH]
'use strict';
const fs = require('fs');
const path = require('path');

const opts = { jobTimeout: 300, chromium: '/usr/bin/chromium' };
for (let i = 2; i < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = process.argv[i + 1];
opts.jobTimeout = Number(opts.jobTimeout) * 1000;
if (!opts.url || !opts.shots) throw new Error('usage: --url URL --shots DIR [--workspace DIR] [--job-timeout S]');
const started = Date.now();
const timings = [];
const seen = {}; // what the steps saw, for the pytest side (hot.json)
const log = (msg) => console.log(`[hot +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
// The lens the server puts on a hot function (server/lsp/features/hot_functions.py lens_title).
const HOT_LENS = /^hot: \d+% own time · [\d,]+ calls? · Optimize$/;

async function step(name, fn) {
    const t0 = Date.now();
    log(`${name} ...`);
    const result = await fn();
    timings.push({ step: name, seconds: (Date.now() - t0) / 1000 });
    log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return result;
}

async function main() {
    const here = path.resolve(__dirname, '..', '..', 'client-vscode', 'node_modules');
    const { chromium } = require(require.resolve('playwright-core', { paths: [here, __dirname] }));
    fs.mkdirSync(opts.shots, { recursive: true });
    const browser = await chromium.launch({ executablePath: opts.chromium, headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run', '--disable-quic'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const shot = async (name) => { await page.screenshot({ path: path.join(opts.shots, name) }); log(`screenshot ${name}`); };
    const mod = 'Control';
    const quickInput = page.locator('.quick-input-widget input.input');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    async function palette(title) {
        await page.keyboard.press('F1');
        await quickInput.waitFor({ state: 'visible', timeout: 15_000 });
        await quickInput.fill(`>${title}`);
        await rows.filter({ hasText: title }).first().waitFor({ timeout: 15_000 });
        await page.keyboard.press('Enter');
    }
    const errorToasts = page.locator('.notification-toast').filter({ has: page.locator('.codicon-error') })
        .or(page.locator('.notification-toast', { hasText: /RefactorCoder.*(failed|could not)/i }));
    async function noErrorToast(where) {
        if (await errorToasts.count()) throw new Error(`error notification ${where}: ${await errorToasts.first().innerText()}`);
    }
    /** Polls `read` until `ok(value)`; the last value in the error otherwise. */
    async function until(what, read, ok, timeout) {
        const deadline = Date.now() + timeout;
        let value;
        while (Date.now() < deadline) {
            value = await read().catch(() => undefined);
            if (ok(value)) return value;
            await page.waitForTimeout(200);
        }
        throw new Error(`${what}: last seen ${JSON.stringify(value)}`);
    }
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();

    try {
        await step('load workbench', async () => {
            await page.goto(opts.url, { timeout: 60_000 });
            await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        });
        await step('open slow.py; the server runs (status bar)', async () => {
            await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
            await page.keyboard.press(`${mod}+P`);
            await quickInput.waitFor({ state: 'visible', timeout: 15_000 });
            await quickInput.fill('slow.py');
            await rows.filter({ hasText: 'slow.py' }).first().waitFor({ timeout: 30_000 });
            await page.keyboard.press('Enter');
            await page.locator('.tab', { hasText: /^slow\.py/ }).first().waitFor({ timeout: 30_000 });
            await editor.locator('.view-lines').waitFor({ timeout: 30_000 });
            const item = page.locator('.statusbar-item', { hasText: 'RefactorCoder' });
            const state = await Promise.race([
                item.locator('.codicon-pass').first().waitFor({ timeout: 120_000 }).then(() => 'running'),
                item.locator('.codicon-error').first().waitFor({ timeout: 120_000 }).then(() => 'failed', () => new Promise(() => undefined)),
            ]);
            if (state !== 'running') throw new Error('the RefactorCoder server failed to start');
            // No trace yet: no hot lens (it must come from this run, not from a leftover file).
            if (await editor.locator('.codelens-decoration a', { hasText: /^hot: / }).count()) throw new Error('a hot lens before any trace');
        });
        await step('Find Hot Functions… → the command line (input box) → python run.py', async () => {
            await palette('RefactorCoder: Find Hot Functions');
            // No launch.json and no tests: no quick pick of configurations, the input box offers the active file.
            seen.offered = await until('the command-line input box', () => quickInput.inputValue(), (v) => v === 'python slow.py', 15_000);
            await quickInput.fill('python run.py');
            await page.waitForTimeout(300); // the box validates the line as it changes
            await shot('01-hot-command.png');
            await page.keyboard.press('Enter');
        });
        await step('the job traces it in the sandbox → quick pick of hot functions, slow_pairs first', async () => {
            const progress = page.locator('.notification-toast', { hasText: /RefactorCoder Find hot functions/ }).first();
            if (await progress.waitFor({ timeout: 5_000 }).then(() => true, () => false)) log('progress notification shown');
            const placeholder = () => quickInput.getAttribute('placeholder');
            const pick = await Promise.race([
                until('the hot functions quick pick', placeholder, (p) => /^Hot functions of `python run\.py`/.test(p || ''), opts.jobTimeout)
                    .then(() => 'pick'),
                errorToasts.first().waitFor({ timeout: opts.jobTimeout }).then(() => 'error', () => new Promise(() => undefined)),
            ]);
            if (pick === 'error') throw new Error(`the job failed: ${await errorToasts.first().innerText()}`);
            seen.pickPlaceholder = await placeholder();
            await rows.first().waitFor({ timeout: 10_000 });
            seen.pickRows = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
            log(`quick pick: ${seen.pickPlaceholder} ${JSON.stringify(seen.pickRows)}`);
            if (!/^slow_pairs\s*\d+% own time · 4 calls · [\d.]+ s/.test(seen.pickRows[0])) throw new Error(`slow_pairs is not first: ${seen.pickRows[0]}`);
            await noErrorToast('after the trace');
            await shot('02-hot-pick.png');
            await page.keyboard.press('Enter'); // open it: slow.py at the function
            await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
        });
        await step('the hot lens sits on the def slow_pairs line of slow.py', async () => {
            await page.locator('.tab.active', { hasText: /^slow\.py/ }).first().waitFor({ timeout: 15_000 });
            const lens = editor.locator('.codelens-decoration a', { hasText: /^hot: / });
            await lens.first().waitFor({ timeout: 30_000 }).catch(async () => {
                const shown = await editor.locator('.codelens-decoration').allInnerTexts();
                throw new Error(`no hot lens in the slow.py editor within 30 s; lenses shown: ${JSON.stringify(shown)}`);
            });
            seen.lenses = [];
            for (let i = 0; i < await lens.count(); i++) {
                const a = lens.nth(i);
                const text = (await a.innerText()).replace(/\u00a0/g, ' ').trim();
                // A lens is drawn in a view zone right above its line: the line under it is the first whose top
                // is at or below the lens's bottom.
                const box = await a.locator('xpath=ancestor::*[contains(@class,"codelens-decoration")][1]').boundingBox();
                const under = await editor.locator('.view-lines .view-line').evaluateAll((lines, bottom) => lines
                    .map((l) => ({ top: l.getBoundingClientRect().top, text: l.textContent.replace(/\u00a0/g, ' ') }))
                    .filter((l) => l.top >= bottom - 2).sort((x, y) => x.top - y.top)[0], box.y + box.height);
                seen.lenses.push({ text, line: under ? under.text.trim() : null });
            }
            log(`hot lenses: ${JSON.stringify(seen.lenses)}`);
            const mine = seen.lenses.filter((l) => (l.line || '').startsWith('def slow_pairs('));
            if (mine.length !== 1) throw new Error(`no hot lens on the def slow_pairs line: ${JSON.stringify(seen.lenses)}`);
            if (!HOT_LENS.test(mine[0].text) || !/ · 4 calls · /.test(mine[0].text)) throw new Error(`unexpected lens text: ${mine[0].text}`);
            const elsewhere = seen.lenses.filter((l) => l !== mine[0] && !(l.line || '').startsWith('def quick('));
            if (elsewhere.length) throw new Error(`a hot lens off a function: ${JSON.stringify(elsewhere)}`);
            await noErrorToast('with the lens shown');
            await page.waitForTimeout(500);
            await shot('03-hot-lens.png');
        });
        await step('click the lens → Optimize starts on slow_pairs → Cancel', async () => {
            // Only that the lens's command is Optimize on this function: the job is cancelled at once (no model here).
            await editor.locator('.codelens-decoration a', { hasText: HOT_LENS }).first().click();
            const progress = page.locator('.notification-toast', { hasText: /RefactorCoder Optimize/ }).first();
            await progress.waitFor({ timeout: 30_000 });
            seen.optimizeTitle = (await progress.innerText()).replace(/\s+/g, ' ').trim();
            log(`optimize progress: ${seen.optimizeTitle}`);
            if (!/slow_pairs/.test(seen.optimizeTitle)) throw new Error(`Optimize is not on slow_pairs: ${seen.optimizeTitle}`);
            await page.waitForTimeout(700); // the toast fades in
            await shot('04-hot-optimize.png');
            await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
            await page.locator('.statusbar-item', { hasText: /optimize cancelled/ }).first().waitFor({ timeout: 60_000 });
            await noErrorToast('after cancelling Optimize');
        });
        fs.writeFileSync(path.join(opts.shots, 'hot.json'), JSON.stringify({ ...seen, timings }, null, 2));
        log('all hot steps passed');
    } catch (error) {
        log(`FAILED: ${error && error.message ? error.message : error}`);
        await shot('hot-failure.png').catch(() => undefined);
        fs.writeFileSync(path.join(opts.shots, 'hot.json'), JSON.stringify({ ...seen, failed: String(error), timings }, null, 2));
        process.exitCode = 1;
    } finally {
        await browser.close();
    }
}

main();
