#!/usr/bin/env node
// Drives a running code-server (with the RefactorCoder extension installed) through headless Chromium:
// open a Python file, wait for the RefactorCoder server, run Guide from the code-action menu, show the report,
// optionally Solve → diff preview → Apply. Screenshots go to --shots. Exit code 0 only if every step passed.
//
//   node vscode_e2e.js --url http://127.0.0.1:PORT/?folder=/ws --file two_sum.py --line 8 --shots DIR
//                      [--solve [--stale]] [--workspace DIR] [--job-timeout 420] [--chromium /usr/bin/chromium]
//                      [--user-settings FILE]
// --workspace: the folder opened (its copy of --file is checked on disk after Apply + save).
// --user-settings: the profile's settings.json; its content is re-saved through the editor with one setting changed.
// --stale: before applying, edit the file and check that the stale solution is refused (a warning that keeps the
//          proposal), put the file back as it was and apply the kept proposal with Apply Again.
'use strict';
const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
    const out = { file: 'two_sum.py', line: 8, jobTimeout: 420, chromium: '/usr/bin/chromium', solve: false, stale: false };
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
        if (key === 'solve' || key === 'stale') out[key] = true;
        else out[key] = argv[++i];
    }
    out.line = Number(out.line);
    out.jobTimeout = Number(out.jobTimeout) * 1000;
    if (!out.url || !out.shots) throw new Error('usage: --url URL --shots DIR [--file NAME] [--line N] [--solve]');
    return out;
}

function loadPlaywright() {
    const here = path.resolve(__dirname, '..', '..', 'client-vscode', 'node_modules');
    return require(require.resolve('playwright-core', { paths: [here, __dirname] }));
}

const opts = parseArgs(process.argv.slice(2));
const started = Date.now();
const timings = [];
const log = (msg) => console.log(`[e2e +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

async function step(name, fn) {
    const t0 = Date.now();
    log(`${name} ...`);
    const result = await fn();
    timings.push({ step: name, seconds: (Date.now() - t0) / 1000 });
    log(`${name}: ok (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    return result;
}

async function main() {
    fs.mkdirSync(opts.shots, { recursive: true });
    const { chromium } = loadPlaywright();
    const browser = await chromium.launch({
        executablePath: opts.chromium,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const shot = async (name) => {
        const file = path.join(opts.shots, name);
        await page.screenshot({ path: file });
        log(`screenshot ${file}`);
        return file;
    };
    const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

    async function palette(commandTitle) {
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill(`>${commandTitle}`);
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: commandTitle }).first();
        await row.waitFor({ timeout: 15_000 });
        await page.keyboard.press('Enter');
    }

    // Any error toast (severity icon) or any RefactorCoder failure text counts as a failure.
    const failureToasts = page.locator('.notification-toast').filter({
        has: page.locator('.codicon-error'),
    }).or(page.locator('.notification-toast', { hasText: /RefactorCoder.*(failed|could not)|Request .* failed/i }));

    async function assertNoFailureToast(where) {
        if (await failureToasts.count()) {
            throw new Error(`error notification ${where}: ${await failureToasts.first().innerText()}`);
        }
    }

    /** Waits for a toast matching `pattern` (a success text, matched precisely); fails on any error toast. */
    async function notification(pattern, timeout) {
        const toast = page.locator('.notification-toast', { hasText: pattern }).first();
        const which = await Promise.race([
            toast.waitFor({ timeout }).then(() => 'ok'),
            failureToasts.first().waitFor({ timeout }).then(() => 'error', () => new Promise(() => undefined)),
        ]);
        if (which === 'error') {
            throw new Error(`error notification while waiting for ${pattern}: ${await failureToasts.first().innerText()}`);
        }
        await assertNoFailureToast(`beside ${pattern}`);
        return toast;
    }
    const diskFile = opts.workspace ? path.join(opts.workspace, opts.file) : undefined;
    const readDisk = () => (diskFile ? fs.readFileSync(diskFile, 'utf8') : '');

    try {
        await step('load workbench', async () => {
            await page.goto(opts.url, { timeout: 60_000 });
            await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        });

        await step(`open ${opts.file}`, async () => {
            await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => undefined);
            await page.keyboard.press(`${mod}+P`);
            const input = page.locator('.quick-input-widget input.input');
            await input.waitFor({ state: 'visible', timeout: 15_000 });
            await input.fill(opts.file);
            await page.locator('.quick-input-list .monaco-list-row', { hasText: opts.file }).first().waitFor({ timeout: 30_000 });
            await page.keyboard.press('Enter');
            await page.waitForSelector('.editor-instance .monaco-editor .view-lines', { timeout: 30_000 });
        });

        await step('RefactorCoder server running (status bar)', async () => {
            const item = page.locator('.statusbar-item', { hasText: 'RefactorCoder' });
            const state = await Promise.race([
                item.locator('.codicon-pass').first().waitFor({ timeout: 120_000 }).then(() => 'running'),
                item.locator('.codicon-error').first().waitFor({ timeout: 120_000 }).then(() => 'failed', () => new Promise(() => undefined)),
            ]);
            if (state !== 'running') throw new Error('the RefactorCoder server failed to start');
        });

        const lenses = await step('code lenses (optional, 5s)', async () => {
            try {
                await page.locator('.codelens-decoration').first().waitFor({ timeout: 5_000 });
                return await page.locator('.codelens-decoration').allInnerTexts();
            } catch {
                return [];
            }
        });
        log(`code lenses: ${JSON.stringify(lenses.slice(0, 6))}`);
        await shot('01-server-running.png');

        await step(`cursor to line ${opts.line}`, async () => {
            await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
            await page.keyboard.press(`${mod}+G`);
            const input = page.locator('.quick-input-widget input.input');
            await input.waitFor({ state: 'visible', timeout: 10_000 });
            await input.fill(`:${opts.line}`);
            await page.keyboard.press('Enter');
            await page.keyboard.press('End');
        });

        const usedCodeAction = await step('Guide from the code-action menu', async () => {
            await page.keyboard.press(`${mod}+.`);
            const item = page.locator('.action-widget .monaco-list-row[aria-label="RefactorCoder: Guide"]').first();
            try {
                await item.waitFor({ timeout: 20_000 });
            } catch {
                await shot('02-code-actions-missing.png');
                await page.keyboard.press('Escape');
                log('no Guide code action offered; running the palette command instead');
                await palette('RefactorCoder: Guide');
                return false;
            }
            await shot('02-code-actions.png');
            // Mouse clicks are swallowed by the context-view pointer block; walk the list with the keyboard.
            for (let i = 0; i < 20; i++) {
                const focused = await page.locator('.action-widget .monaco-list-row.focused').first().getAttribute('aria-label');
                if (focused && /RefactorCoder: Guide$/.test(focused)) break;
                await page.keyboard.press('ArrowDown');
            }
            await page.keyboard.press('Enter');
            return true;
        });

        const guideToast = await step('Guide job finished (jobFinished notification)', async () => {
            // Exactly the success text: "RefactorCoder guide: failed" or "RefactorCoder Guide failed: ..." must not pass.
            const toast = await notification(/RefactorCoder guide: done/, opts.jobTimeout);
            return toast.innerText();
        });
        log(`guide notification: ${JSON.stringify(guideToast)}`);
        await page.waitForTimeout(1500); // let hovers / inline results settle
        await shot('03-guide-finished.png');

        // The report view (webview), the one every way to a report opens; Markdown is only an export.
        const reportFrame = () => page.locator('iframe.webview.ready').last().contentFrame().locator('iframe#active-frame').contentFrame();
        const reportShown = async (what) => {
            await page.locator('.tab.active', { hasText: /RefactorCoder report/ }).first().waitFor({ timeout: 30_000 });
            await reportFrame().locator('h1', { hasText: 'RefactorCoder' }).first().waitFor({ timeout: 30_000 });
            if (await page.locator('.tab', { hasText: /\.md|Preview/ }).count()) throw new Error(`${what} opened a Markdown document`);
            await page.waitForTimeout(1000); // webview paint
        };
        await step('Show Report → report view (webview)', async () => {
            await palette('RefactorCoder: Show Report');
            await reportShown('Show Report');
        });
        await shot('04-report.png');

        const editorLines = page.locator('.editor-instance .monaco-editor .view-lines').first();
        let fileTextBeforeSolve = '';
        const focusFile = async () => {
            await page.locator('.tab', { hasText: new RegExp(`^${opts.file.replace('.', '\\.')}`) }).first().click();
            await editorLines.click();
            await page.keyboard.press(`${mod}+G`);
            await page.locator('.quick-input-widget input.input').fill(`:${opts.line}`);
            await page.keyboard.press('Enter');
            await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
        };
        await step('Judge → result code lens', async () => {
            await palette('Notifications: Clear All Notifications');
            await page.keyboard.press('Escape');
            await focusFile();
            await palette('RefactorCoder: Judge');
            await notification(/RefactorCoder judge: done/, opts.jobTimeout);
            await page.locator('.tab', { hasText: new RegExp(`^${opts.file.replace('.', '\\.')}`) }).first().click();
            await page.locator('.codelens-decoration a', { hasText: /RefactorCoder: (accuracy|no score|tests )/ }).first()
                .waitFor({ timeout: 30_000 });
            await page.waitForTimeout(500);
        });
        await shot('05-judge-lens.png');
        await step('click the result lens → report view (refactorcoder.openReport)', async () => {
            await palette('View: Close All Editors'); // the earlier report's tab must not count
            await page.keyboard.press(`${mod}+P`);
            await page.locator('.quick-input-widget input.input').fill(opts.file);
            await page.locator('.quick-input-list .monaco-list-row', { hasText: opts.file }).first().waitFor({ timeout: 30_000 });
            await page.keyboard.press('Enter');
            await page.locator('.codelens-decoration a', { hasText: /RefactorCoder: (accuracy|no score|tests )/ }).first().click();
            await reportShown('the result lens');
            await reportFrame().locator('h2', { hasText: 'Judge' }).first().waitFor({ timeout: 10_000 });
        });
        await shot('06-lens-report.png');

        if (opts.solve) {
            const solveToDiff = async () => {
                await palette('Notifications: Clear All Notifications');
                await focusFile();
                fileTextBeforeSolve = await editorLines.innerText();
                await palette('RefactorCoder: Solve');
                await page.locator('.monaco-diff-editor').first().waitFor({ timeout: opts.jobTimeout });
                const toast = await notification(/proposed a change/i, 30_000);
                await page.waitForTimeout(1000);
                return toast;
            };
            const clickApply = (toast) => toast.locator('.monaco-button', { hasText: 'Apply' }).first().click();

            await step('close editors but the file', async () => {
                await page.keyboard.press('Escape');
                await palette('View: Close All Editors');
                await page.keyboard.press(`${mod}+P`);
                await page.locator('.quick-input-widget input.input').fill(opts.file);
                await page.locator('.quick-input-list .monaco-list-row', { hasText: opts.file }).first().waitFor({ timeout: 30_000 });
                await page.keyboard.press('Enter');
                await editorLines.waitFor({ timeout: 30_000 });
            });
            const toast = await step('Solve → diff preview', solveToDiff);
            await shot('07-diff-preview.png');
            let apply = () => clickApply(toast);
            let diskBeforeEdit = '';
            if (opts.stale) {
                await step('edit the file, then Apply → refused as stale', async () => {
                    // A real edit of the function (cursor at its line --line): an edit elsewhere in the file
                    // would not make the proposal stale (the guard is the function's text).
                    await focusFile();
                    diskBeforeEdit = readDisk();
                    await page.keyboard.press('Home');
                    await page.keyboard.type('# an edit made after the solution\n');
                    await clickApply(toast);
                    await page.locator('.notification-toast', { hasText: /could not apply.*document changed/i }).first()
                        .waitFor({ timeout: 30_000 });
                    // The refusal is a real error toast: the detector that fails Guide/Judge/Solve must see it.
                    if (!(await failureToasts.count())) throw new Error('the error-toast detector missed the refusal');
                    await page.waitForTimeout(500);
                });
                await shot('08-stale-refused.png');
                // The refused proposal is kept: once the function is back as it was, Apply Again applies it
                // (no second model run).
                await step('put the function back → Apply Again on the kept proposal', async () => {
                    // code-server saves edits by itself (files.autoSave afterDelay in a browser): once the edit is
                    // on disk, the file goes back as it was (as `git checkout -- file` would); VS Code reloads it
                    // and the server sees the function's old text again.
                    await page.keyboard.press(`${mod}+S`);
                    const until = async (check, what) => {
                        const deadline = Date.now() + 15_000;
                        while (!(await check()) && Date.now() < deadline) await page.waitForTimeout(100);
                        if (!(await check())) throw new Error(`timed out waiting for ${what}`);
                    };
                    await until(() => readDisk().includes('an edit made after'), 'the edit on disk');
                    // Nothing left unsaved (on a loaded machine the last keystrokes can land after the save): a
                    // dirty editor would try to save over the file put back ("the content of the file is newer").
                    await until(async () => (await page.locator('.tab.dirty').count()) === 0, 'every editor saved');
                    fs.writeFileSync(diskFile, diskBeforeEdit);
                    await until(async () => !(await editorLines.innerText()).includes('an edit made after'), 'the editor to reload the file');
                    await page.waitForTimeout(3000); // the change reaches the server (later on a loaded machine)
                });
                const refusal = page.locator('.notification-toast', { hasText: /could not apply.*document changed/i }).first();
                apply = async () => {
                    await refusal.locator('.monaco-button', { hasText: 'Apply Again' }).first().click();
                    await refusal.waitFor({ state: 'detached', timeout: 10_000 });
                };
            }
            const diskBeforeApply = readDisk();
            await step('Apply → file edited, saved → changed on disk', async () => {
                await apply();
                await notification(/RefactorCoder: solution applied\./, 30_000);
                await page.waitForTimeout(1000);
                const after = await editorLines.innerText();
                if (after === fileTextBeforeSolve) throw new Error('the editor text did not change after Apply');
                if (diskFile) {
                    await focusFile();
                    await page.keyboard.press(`${mod}+S`);
                    const deadline = Date.now() + 15_000;
                    while (readDisk() === diskBeforeApply && Date.now() < deadline) await page.waitForTimeout(250);
                    const disk = readDisk();
                    if (disk === diskBeforeApply) throw new Error(`${diskFile} did not change on disk after Apply + save`);
                    fs.writeFileSync(path.join(opts.shots, 'applied-file.txt'), disk);
                    log(`on disk after Apply + save (${disk.length} chars, was ${diskBeforeApply.length})`);
                }
            });
            await shot('09-applied.png');
        }

        if (opts.userSettings) {
            await step('edit settings.json in VS Code → pushed to the server', async () => {
                // Edit through the workbench (code-server does not notice settings.json changed on disk).
                const settings = JSON.parse(fs.readFileSync(opts.userSettings, 'utf8'));
                settings['refactorcoder.guide'] = { max_tokens: 200 };
                // A refused proposal stays open beside the source (by design): one editor group for the edit.
                await palette('Notifications: Clear All Notifications');
                await palette('View: Close All Editors');
                await palette('Preferences: Open User Settings (JSON)');
                const editor = page.locator('.editor-instance .monaco-editor .view-lines').first();
                await page.locator('.tab', { hasText: 'settings.json' }).first().waitFor({ timeout: 15_000 });
                await editor.click();
                await page.keyboard.press(`${mod}+A`);
                await page.keyboard.insertText(JSON.stringify(settings, null, 2));
                await page.keyboard.press(`${mod}+S`);
                await page.waitForTimeout(2000);
                await palette('View: Close Editor');
            });
        }

        await step('Restart Server → running again', async () => {
            await palette('Notifications: Clear All Notifications');
            await palette('RefactorCoder: Restart Server');
            await page.waitForTimeout(1000);
            await page.locator('.statusbar-item', { hasText: 'RefactorCoder' }).locator('.codicon-pass').first()
                .waitFor({ timeout: 120_000 });
            await assertNoFailureToast('after restart');
            await palette('RefactorCoder: Show Server Log');
            await page.locator('.panel .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
            await page.waitForTimeout(1000);
        });
        await shot('10-restarted-log.png');

        fs.writeFileSync(path.join(opts.shots, 'timings.json'), JSON.stringify({ usedCodeAction, lenses, guideToast, timings }, null, 2));
        log('all steps passed');
    } catch (error) {
        log(`FAILED: ${error && error.message ? error.message : error}`);
        await shot('failure.png').catch(() => undefined);
        try {
            await palette('RefactorCoder: Show Server Log');
            await page.waitForTimeout(1500);
            await shot('failure-log.png');
            const text = await page.locator('.panel .monaco-editor .view-lines').first().innerText({ timeout: 5_000 });
            fs.writeFileSync(path.join(opts.shots, 'failure-log.txt'), text);
            console.log(text);
        } catch {
            // best effort
        }
        fs.writeFileSync(path.join(opts.shots, 'timings.json'), JSON.stringify({ failed: String(error), timings }, null, 2));
        process.exitCode = 1;
    } finally {
        await browser.close();
    }
}

main();
