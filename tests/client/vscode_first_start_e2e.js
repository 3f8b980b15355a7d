#!/usr/bin/env node
// First start on a machine where no Python with refactorcoder is found (client-vscode/scripts/e2e.sh --first-start):
// the one notification says what to do and has Choose Interpreter; its list shows the Pythons found; a typed path
// is written to refactorcoder.interpreter and the server then runs, with no reload. Then a setting written to
// settings.json on disk (not through the editor) must reach the running server, still with no reload.
//
//   node vscode_first_start_e2e.js --url URL --shots DIR --good-python PATH --user-settings FILE --logs DIR
//                                  [--file two_sum.py] [--chromium /usr/bin/chromium]
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
    const out = { file: 'two_sum.py', chromium: '/usr/bin/chromium' };
    for (let i = 0; i < argv.length; i++) {
        out[argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[++i];
    }
    for (const key of ['url', 'shots', 'goodPython', 'userSettings', 'logs']) {
        if (!out[key]) throw new Error(`missing --${key}`);
    }
    return out;
}

const opts = parseArgs(process.argv.slice(2));
const started = Date.now();
const log = (msg) => console.log(`[first-start +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
const record = {};

/** The extension's output channel as VS Code writes it (it holds the server's stderr lines). */
function extensionLog() {
    const found = [];
    const walk = (dir) => {
        for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (/RefactorCoder/.test(entry.name)) found.push(full);
        }
    };
    walk(opts.logs);
    return found.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
}

async function until(check, what, ms) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

async function main() {
    fs.mkdirSync(opts.shots, { recursive: true });
    const here = path.resolve(__dirname, '..', '..', 'client-vscode', 'node_modules');
    const { chromium } = require(require.resolve('playwright-core', { paths: [here, __dirname] }));
    const browser = await chromium.launch({
        executablePath: opts.chromium,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const shot = (name) => page.screenshot({ path: path.join(opts.shots, name) });
    const mod = process.platform === 'darwin' ? 'Meta' : 'Control';
    const toasts = page.locator('.notification-toast');
    try {
        log('load workbench, open the file');
        await page.goto(opts.url, { timeout: 60_000 });
        await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
        await page.keyboard.press(`${mod}+P`);
        await page.locator('.quick-input-widget input.input').fill(opts.file);
        await page.locator('.quick-input-list .monaco-list-row', { hasText: opts.file }).first().waitFor({ timeout: 30_000 });
        await page.keyboard.press('Enter');

        log('the start-up notification');
        const failure = toasts.filter({ hasText: /RefactorCoder server did not start/ }).first();
        await failure.waitFor({ timeout: 120_000 });
        await page.waitForTimeout(3000); // a second notification (the library's own) would be up by now
        record.notification = await failure.innerText();
        record.allToasts = await toasts.allInnerTexts();
        await shot('fs01-first-start.png');
        if (record.allToasts.some((t) => /couldn't create connection/i.test(t))) {
            throw new Error(`the library's generic notification is shown: ${JSON.stringify(record.allToasts)}`);
        }
        if (record.allToasts.length !== 1) throw new Error(`expected one notification: ${JSON.stringify(record.allToasts)}`);
        if (!/Choose Interpreter to pick/.test(record.notification)) throw new Error(`the notification does not say what to do: ${record.notification}`);
        const button = failure.locator('.monaco-button', { hasText: 'Choose Interpreter' }).first();
        await button.waitFor({ timeout: 5_000 });

        log('Choose Interpreter → the list of Pythons found');
        await button.click();
        const enterPath = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Enter interpreter path' }).first();
        await enterPath.waitFor({ timeout: 60_000 });
        record.choices = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts();
        await shot('fs02-choose-interpreter.png');
        if (!record.choices.some((c) => /\.venv\/bin\/python[\s\S]*refactorcoder is not installed/.test(c))) {
            throw new Error(`the workspace's .venv is not listed as lacking refactorcoder: ${JSON.stringify(record.choices)}`);
        }
        await page.locator('.quick-input-widget input.input').fill('Enter interpreter path');
        await page.keyboard.press('Enter');
        log('type the Python that has refactorcoder');
        const box = page.locator('.quick-input-widget input.input');
        await page.locator('.quick-input-widget', { hasText: 'Python with refactorcoder installed' }).first().waitFor({ timeout: 15_000 });
        await box.fill(opts.goodPython);
        await page.waitForTimeout(500); // validateInput
        await page.keyboard.press('Enter');

        log('the server runs with it, no reload');
        await page.locator('.statusbar-item', { hasText: 'RefactorCoder' }).locator('.codicon-pass').first().waitFor({ timeout: 120_000 });
        await shot('fs03-running.png');
        const settings = JSON.parse(fs.readFileSync(opts.userSettings, 'utf8'));
        record.interpreterSetting = settings['refactorcoder.interpreter'];
        if (JSON.stringify(record.interpreterSetting) !== JSON.stringify([opts.goodPython])) {
            throw new Error(`refactorcoder.interpreter is ${JSON.stringify(record.interpreterSetting)}`);
        }
        await page.waitForTimeout(2000); // initialized: the server has asked for its settings

        log('a setting written to settings.json on disk reaches the running server');
        settings['refactorcoder.solve'] = { max_tokens: 123 };
        fs.writeFileSync(opts.userSettings, JSON.stringify(settings, null, 2));
        // code-server alone does not take it up (no change within 30 s before src/settingsFile.ts): the extension does.
        await until(() => extensionLog().includes('settings applied from workspace/didChangeConfiguration'), 'the server to apply it', 30_000);
        record.diskSettingApplied = true;
        await shot('fs04-disk-setting-applied.png');
        log('all steps passed');
    } catch (error) {
        record.failed = String(error && error.message ? error.message : error);
        log(`FAILED: ${record.failed}`);
        await shot('failure.png').catch(() => undefined);
        process.exitCode = 1;
    } finally {
        fs.writeFileSync(path.join(opts.shots, 'first-start.json'), JSON.stringify(record, null, 2));
        await browser.close();
    }
}

main();
