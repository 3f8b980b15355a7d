#!/usr/bin/env node
// Fix and Optimize with proof, in a real VS Code (code-server + headless Chromium) against the real server, the
// Docker sandbox and a scripted OpenAI-compatible endpoint (deterministic candidates). Steps: open pairs.py with a
// single click (preview tab) → Optimize from the lightbulb → progress notification → Cancel → Optimize again →
// diff beside the source, titled with its verdict → Apply → save → file on disk changed, its tests pass (run by
// e2e.sh) → the lens shows the measured change → report view with its charts → history view lists the runs →
// Fix on buggy.py → an edit inside the function → Apply refused (warning, proposal kept).
//
//   node vscode_verify_e2e.js --url URL --workspace DIR --shots DIR [--job-timeout 420] [--chromium PATH]
'use strict';
const fs = require('fs');
const path = require('path');

const opts = { jobTimeout: 420, chromium: '/usr/bin/chromium' };
for (let i = 2; i < process.argv.length; i += 2) opts[process.argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = process.argv[i + 1];
opts.jobTimeout = Number(opts.jobTimeout) * 1000;
const started = Date.now();
const timings = [];
const log = (msg) => console.log(`[verify +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
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
    const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    const shot = async (name) => { await page.screenshot({ path: path.join(opts.shots, name) }); log(`screenshot ${name}`); };
    const mod = 'Control';
    const quickInput = page.locator('.quick-input-widget input.input');
    async function palette(title) {
        await page.keyboard.press('F1');
        await quickInput.waitFor({ state: 'visible', timeout: 15_000 });
        await quickInput.fill(`>${title}`);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
        await page.keyboard.press('Enter');
    }
    const toast = (pattern) => page.locator('.notification-toast', { hasText: pattern }).first();
    const errorToasts = page.locator('.notification-toast').filter({ has: page.locator('.codicon-error') });
    async function noErrorToast(where) {
        if (await errorToasts.count()) throw new Error(`error notification ${where}: ${await errorToasts.first().innerText()}`);
    }
    async function gotoLine(file, line) {
        await page.locator('.tab', { hasText: new RegExp(`^${file.replace('.', '\\.')}`) }).first().click();
        await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
        await page.keyboard.press(`${mod}+G`);
        await quickInput.fill(`:${line}`);
        await page.keyboard.press('Enter');
        await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
        await page.keyboard.press('End');
    }
    async function lightbulb(title) {
        await page.keyboard.press(`${mod}+.`);
        await page.locator(`.action-widget .monaco-list-row[aria-label="${title}"]`).first().waitFor({ timeout: 20_000 });
        for (let i = 0; i < 20; i++) {
            const focused = await page.locator('.action-widget .monaco-list-row.focused').first().getAttribute('aria-label');
            if (focused === title) break;
            await page.keyboard.press('ArrowDown');
        }
        await page.keyboard.press('Enter');
    }
    const disk = (name) => fs.readFileSync(path.join(opts.workspace, name), 'utf8');

    try {
        await step('load workbench', async () => {
            await page.goto(opts.url, { timeout: 60_000 });
            await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        });
        await step('open pairs.py with a single click (preview tab)', async () => {
            await palette('View: Show Explorer');
            const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^pairs\.py$/ }).first();
            await row.waitFor({ timeout: 30_000 });
            await row.click();
            await page.locator('.tab', { hasText: 'pairs.py' }).locator('.italic').first().waitFor({ timeout: 15_000 }); // preview = italic
            await page.locator('.statusbar-item', { hasText: 'RefactorCoder' }).locator('.codicon-pass').first().waitFor({ timeout: 120_000 });
        });
        await step('Optimize from the lightbulb → progress notification → Cancel', async () => {
            await gotoLine('pairs.py', 5);
            await lightbulb('RefactorCoder: Optimize');
            const progress = toast(/RefactorCoder Optimize/);
            await progress.waitFor({ timeout: 60_000 });
            await page.waitForTimeout(1500);
            await shot('v01-progress.png');
            await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
            await page.locator('.statusbar-item', { hasText: /optimize cancelled/ }).first().waitFor({ timeout: 60_000 });
            await noErrorToast('after cancel');
        });
        await step('Optimize again → diff beside the source, titled with its verdict', async () => {
            await palette('Notifications: Clear All Notifications');
            await gotoLine('pairs.py', 5);
            await lightbulb('RefactorCoder: Optimize');
            await page.locator('.tab', { hasText: /↔ proposed \(tests \d+\/\d+ · [\d.]+× faster/ }).first().waitFor({ timeout: opts.jobTimeout });
            await toast(/proposed a change/).waitFor({ timeout: 30_000 });
            if (!(await page.locator('.tab', { hasText: /^pairs\.py/ }).count())) throw new Error('the source tab was replaced by the diff');
            await page.waitForTimeout(1000);
            await shot('v02-diff-verdict.png');
        });
        await step('Apply → saved → changed on disk', async () => {
            const before = disk('pairs.py');
            await toast(/proposed a change/).locator('.monaco-button', { hasText: 'Apply' }).first().click();
            await toast(/solution applied/).waitFor({ timeout: 30_000 });
            await gotoLine('pairs.py', 1);
            await page.keyboard.press(`${mod}+S`);
            const deadline = Date.now() + 15_000;
            while (disk('pairs.py') === before && Date.now() < deadline) await page.waitForTimeout(250);
            if (disk('pairs.py') === before) throw new Error('pairs.py did not change on disk');
            fs.writeFileSync(path.join(opts.shots, 'optimized-pairs.py'), disk('pairs.py'));
        });
        await step('lens with the measured change', async () => {
            await page.locator('.codelens-decoration a', { hasText: /RefactorCoder: tests \d+\/\d+ · [\d.]+× faster/ }).first().waitFor({ timeout: 30_000 });
            await shot('v03-lens.png');
        });
        await step('report view with its charts', async () => {
            await palette('RefactorCoder: Focus on History View');
            const run = page.locator('.monaco-list-row', { hasText: /optimize .*ok/ }).first();
            await run.waitFor({ timeout: 30_000 });
            await shot('v04-history.png');
            await run.click();
            const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
            await frame.locator('#chart-samples svg circle').first().waitFor({ timeout: 30_000 });
            await frame.locator('#chart-metrics svg rect').first().waitFor({ timeout: 5_000 });
            await page.waitForTimeout(1000);
            await shot('v05-report-chart.png');
        });
        await step('Fix on buggy.py → proposal; an edit inside the function → Apply refused', async () => {
            await palette('Notifications: Clear All Notifications');
            await palette('View: Close All Editors');
            await page.keyboard.press(`${mod}+P`);
            await quickInput.fill('buggy.py');
            await page.locator('.quick-input-list .monaco-list-row', { hasText: 'buggy.py' }).first().waitFor({ timeout: 30_000 });
            await page.keyboard.press('Enter');
            await gotoLine('buggy.py', 5);
            await lightbulb('RefactorCoder: Fix with tests');
            await page.locator('.tab', { hasText: /↔ proposed \(tests \d+\/\d+ · fixed/ }).first().waitFor({ timeout: opts.jobTimeout });
            await shot('v06-fix-diff.png');
            await gotoLine('buggy.py', 6);
            await page.keyboard.press('Home');
            await page.keyboard.type('# my edit\n');
            await toast(/proposed a change/).locator('.monaco-button', { hasText: 'Apply' }).first().click();
            await toast(/could not apply.*was edited/).waitFor({ timeout: 30_000 });
            await noErrorToast('after the refusal (it is a warning)');
            // The function changed: its result (lens "fixed", failing-test diagnostics) must go.
            await page.locator('.codelens-decoration a', { hasText: /fixed/ }).first().waitFor({ state: 'detached', timeout: 20_000 });
            await shot('v07-stale-refused.png');
        });
        fs.writeFileSync(path.join(opts.shots, 'verify-timings.json'), JSON.stringify({ timings }, null, 2));
        log('all verify steps passed');
    } catch (error) {
        log(`FAILED: ${error && error.message ? error.message : error}`);
        await shot('verify-failure.png').catch(() => undefined);
        fs.writeFileSync(path.join(opts.shots, 'verify-timings.json'), JSON.stringify({ failed: String(error), timings }, null, 2));
        process.exitCode = 1;
    } finally {
        await browser.close();
    }
}

main();
