// The report view's HTML: guidance, attempts, tests, judge feedback and charts drawn as inline SVG from the
// run's own data. Pure (no `vscode` import): unit-tested under node. Every colour comes from VS Code's theme
// variables (--vscode-*, set inside the webview by VS Code) and the charts' ink is `currentColor`, so the page
// reads in light, dark and high-contrast themes alike; no colour is written as a literal.

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface JobReportPayload {
    runId?: number | null;
    jobId?: string | null;
    kind: string;
    status: string;
    title?: string;
    function?: string | null;
    report: any;
    error?: string | null;
}

const METRIC_ROWS: [string, string, (v: number) => string][] = [
    ['time', 'CPU time', (v) => `${(v * 1000).toFixed(1)} ms`],
    ['peak_memory', 'Peak memory', (v) => `${(v / 1048576).toFixed(1)} MiB`],
    ['mean_memory', 'Mean memory', (v) => `${(v / 1048576).toFixed(1)} MiB`],
    ['cpu', 'CPU utilisation', (v) => `${(v * 100).toFixed(0)}%`],
];

export function escapeHtml(text: unknown): string {
    return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Before/after bars for the four metrics (each pair scaled to its larger value). */
export function metricBarsSvg(measurements: { before: Record<string, number>; after: Record<string, number> } | null | undefined): string {
    if (!measurements?.before || !measurements?.after) return '';
    const rowH = 46;
    const width = 520;
    const left = 130;
    const barMax = width - left - 120;
    const parts: string[] = [];
    METRIC_ROWS.forEach(([key, label, fmt], i) => {
        const a = Number(measurements.before[key] ?? 0);
        const b = Number(measurements.after[key] ?? 0);
        const max = Math.max(a, b) || 1;
        const y = 10 + i * rowH;
        parts.push(`<text x="0" y="${y + 16}" class="label">${escapeHtml(label)}</text>`);
        [['before', a, 'bar-before'], ['after', b, 'bar-after']].forEach(([name, v, cls], j) => {
            const w = Math.max(1, Math.round((barMax * (v as number)) / max));
            const yy = y + j * 18;
            parts.push(`<rect class="${cls}" x="${left}" y="${yy}" width="${w}" height="14"><title>${name}: ${escapeHtml(fmt(v as number))}</title></rect>`);
            parts.push(`<text x="${left + w + 6}" y="${yy + 11}" class="value">${name} ${escapeHtml(fmt(v as number))}</text>`);
        });
    });
    const h = 10 + METRIC_ROWS.length * rowH;
    return `<svg class="chart" role="img" aria-label="before and after, four metrics" viewBox="0 0 ${width} ${h}" width="${width}" height="${h}">${parts.join('')}</svg>`;
}

function quantile(sorted: number[], q: number): number {
    if (sorted.length === 0) return 0;
    const pos = (sorted.length - 1) * q;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Strip plot with a box (quartiles, median) of the timed samples, baseline vs candidate. */
export function samplesSvg(sample: { a: number[]; b: number[]; unit?: string; metric?: string } | null | undefined): string {
    if (!sample || !(sample.a?.length || sample.b?.length)) return '';
    const all = [...sample.a, ...sample.b];
    const min = Math.min(...all);
    const max = Math.max(...all);
    const width = 520;
    const left = 110;
    const span = max - min || 1;
    const x = (v: number) => left + ((v - min) / span) * (width - left - 20);
    const parts: string[] = [];
    const unit = sample.unit === 's' ? 'ms' : sample.unit ?? '';
    const show = (v: number) => (sample.unit === 's' ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(3)} ${unit}`);
    [['original', sample.a, 'dot-before'], ['candidate', sample.b, 'dot-after']].forEach(([label, values, cls], row) => {
        const vals = [...(values as number[])].sort((p, q) => p - q);
        const y = 20 + row * 50;
        parts.push(`<text x="0" y="${y + 4}" class="label">${label} (n=${vals.length})</text>`);
        if (vals.length) {
            const [q1, med, q3] = [quantile(vals, 0.25), quantile(vals, 0.5), quantile(vals, 0.75)];
            parts.push(`<rect class="box" x="${x(q1).toFixed(1)}" y="${y - 12}" width="${Math.max(1, x(q3) - x(q1)).toFixed(1)}" height="24"><title>quartiles ${escapeHtml(show(q1))} – ${escapeHtml(show(q3))}</title></rect>`);
            parts.push(`<line class="median" x1="${x(med).toFixed(1)}" x2="${x(med).toFixed(1)}" y1="${y - 12}" y2="${y + 12}"><title>median ${escapeHtml(show(med))}</title></line>`);
        }
        vals.forEach((v, k) => {
            const jitter = ((k * 7) % 11) - 5;
            parts.push(`<circle class="${cls}" cx="${x(v).toFixed(1)}" cy="${y + jitter}" r="2.5"/>`);
        });
    });
    parts.push(`<text x="${left}" y="118" class="value">${escapeHtml(show(min))}</text>`);
    parts.push(`<text x="${width - 20}" y="118" class="value" text-anchor="end">${escapeHtml(show(max))}</text>`);
    return `<svg class="chart" role="img" aria-label="timed samples" viewBox="0 0 ${width} 125" width="${width}" height="125">${parts.join('')}</svg>`;
}

function code(text: string | null | undefined): string {
    return text ? `<pre><code>${escapeHtml(text)}</code></pre>` : '';
}

export function reportHtml(data: JobReportPayload, nonce: string, cspSource: string): string {
    const r = data.report ?? {};
    const judgment = r.judgment ?? null;
    const scores = judgment?.scores ?? null;
    const accepted = (r.samples ?? []).filter((s: any) => s.verdict === 'better');
    const sample = accepted.length ? accepted[accepted.length - 1] : (r.samples ?? [])[(r.samples ?? []).length - 1];
    const attempts = (r.attempts ?? []) as any[];
    const rows = attempts
        .map(
            (a) => `<tr><td>${escapeHtml(a.stage)} ${escapeHtml(a.number)}</td><td>${escapeHtml(a.model)}</td><td>${escapeHtml(a.status)}</td>` +
                `<td>${escapeHtml(a.evidence || (a.tests_total ? `tests ${a.tests_passed}/${a.tests_total}` : ''))}</td><td>${escapeHtml(a.decision ? `×${Number(a.decision.ratio).toFixed(2)} (CI ${Number(a.decision.ci_low).toFixed(2)}–${Number(a.decision.ci_high).toFixed(2)})` : '')}</td>` +
                `<td>${escapeHtml(a.reason ?? '')}</td>` +
                // The candidate itself, folded: a rejection can be checked against the code it is about.
                `<td>${a.code ? `<details><summary>code</summary><pre>${escapeHtml(a.code)}</pre></details>` : ''}</td></tr>`,
        )
        .join('');
    // What execution proved about the reported code: each check with its counts, and the change the user gets
    // (the accepted code against the original, not only the last step's gain).
    const checks = ((r.checks ?? []) as any[])
        .map((c) => `<li>${escapeHtml(c.name === 'state' ? 'state guard' : `${c.name} ${c.passed}/${c.total}`)}${c.detail ? ` — ${escapeHtml(c.detail)}` : ''}</li>`)
        .join('');
    const change = r.change ?? null;
    const budget = budgetText(r.budget);
    const failing = ((r.failing_tests ?? []) as any[]).map((t) => `<li><b>${escapeHtml(t.name)}</b>: <code>${escapeHtml(t.detail)}</code></li>`).join('');
    const guidance = r.guidance?.text ?? r.guidance ?? null;
    const problem = r.problem?.description ?? null;
    const solutionText = !r.solution_code && r.solution?.text ? r.solution.text : null;
    const list = (label: string, items: unknown) =>
        Array.isArray(items) && items.length ? `<p><b>${label}:</b></p><ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>` : '';
    const model = (stage: any) => (stage?.model_id ? `<p class="model">model: ${escapeHtml(stage.model_id)}${stage.fell_back ? ' (fallback)' : ''}</p>` : '');
    const title = `${data.kind} · ${data.function ?? data.title ?? r.target ?? ''}`;
    return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${cspSource} 'nonce-${nonce}'; img-src ${cspSource} data:;">
<style nonce="${nonce}">
body { color: var(--vscode-editor-foreground, var(--vscode-foreground)); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 16px; }
body.vscode-dark, body.vscode-high-contrast { color-scheme: dark; } body.vscode-light { color-scheme: light; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.4em; border-bottom: 1px solid var(--vscode-panel-border); }
.verdict { font-size: 1.1em; padding: 6px 10px; border-left: 4px solid var(--vscode-charts-green);
  background: var(--vscode-textBlockQuote-background); }
.model { color: var(--vscode-descriptionForeground); font-size: .9em; }
table { border-collapse: collapse; } td, th { padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); text-align: left; vertical-align: top; }
pre, code { font-family: var(--vscode-editor-font-family); }
pre { background: var(--vscode-textCodeBlock-background); color: var(--vscode-editor-foreground); padding: 8px; overflow-x: auto; }
.chart { color: var(--vscode-editor-foreground, var(--vscode-foreground)); }
.chart text { fill: currentColor; font-size: 11px; } .chart .label { font-weight: 600; }
.bar-before, .dot-before { fill: var(--vscode-charts-orange); } .bar-after, .dot-after { fill: var(--vscode-charts-blue); }
.box { fill: none; stroke: currentColor; stroke-opacity: .6; } .median { stroke: currentColor; stroke-width: 2; }
</style><title>${escapeHtml(title)}</title></head><body>
<h1>RefactorCoder ${escapeHtml(title)}</h1>
<p class="verdict" id="verdict">${escapeHtml(r.verdict || r.summary || data.status)}</p>
<p>${escapeHtml(r.summary ?? '')} ${data.runId != null ? `(run ${escapeHtml(data.runId)})` : ''}</p>
${data.error ? `<p><b>Error:</b> ${escapeHtml(data.error)}</p>` : ''}
${problem ? `<h2>Problem</h2><p>${escapeHtml(problem)}</p>` : ''}
${guidance ? `<h2>Guidance</h2><pre>${escapeHtml(typeof guidance === 'string' ? guidance : JSON.stringify(guidance, null, 2))}</pre>${model(r.guidance)}` : ''}
${r.measurements ? `<h2>Before and after</h2><div id="chart-metrics">${metricBarsSvg(r.measurements)}</div><p>Medians of ${escapeHtml(r.measurements.runs)} sandbox runs per side, ${escapeHtml(r.measurements.loops)} loop(s) each.</p>` : ''}
${sample ? `<h2>Timed samples (${escapeHtml(sample.metric)})</h2><div id="chart-samples">${samplesSvg(sample)}</div><p>Ratio ${Number(sample.ratio).toFixed(2)}, 95% CI ${Number(sample.ci_low).toFixed(2)}–${Number(sample.ci_high).toFixed(2)}; each sample is a fresh process.</p>` : ''}
${checks ? `<h2>Checks that ran</h2><ul id="checks">${checks}</ul>` : (data.kind === 'optimize' || data.kind === 'fix') && data.status !== 'running' ? '<h2>Checks that ran</h2><p id="checks">none: unverified</p>' : ''}
${change ? `<h2>Against the original</h2><p id="change">${escapeHtml(change.metric)}: ratio ${Number(change.ratio).toFixed(3)}, CI ${Number(change.ci_low).toFixed(3)}–${Number(change.ci_high).toFixed(3)} (${escapeHtml(change.verdict)}, ${escapeHtml(change.n_pairs)} pairs)</p>` : ''}
${r.tests_total ? `<h2>Tests</h2><p>${escapeHtml(r.tests_passed)}/${escapeHtml(r.tests_total)} pass (${escapeHtml((r.suites ?? []).join(', '))})</p>` : ''}
${failing ? `<h2>Failing tests of the original</h2><ul>${failing}</ul>` : ''}
${rows ? `<h2>Attempts</h2><table><tr><th>attempt</th><th>model</th><th>status</th><th>checks</th><th>measured</th><th>why</th><th>candidate</th></tr>${rows}</table>` : ''}
${budget ? `<h2>Budget</h2><p id="budget">${escapeHtml(budget)}</p>` : ''}
${judgment ? `<h2>Judge${judgment.model ? ` (${escapeHtml(judgment.model)})` : ''}</h2>${scores ? `<p>accuracy ${escapeHtml(scores.accuracy)} · clarity ${escapeHtml(scores.clarity)} · efficiency ${escapeHtml(scores.efficiency)}</p>` : '<p>no score</p>'}<p>${escapeHtml(judgment.feedback ?? '')}</p>${list('Strengths', judgment.strengths)}${list('Weaknesses', judgment.weaknesses)}` : ''}
${r.diff ? `<h2>Diff</h2>${code(r.diff)}` : ''}
${r.solution_code ? `<h2>Solution</h2>${code(r.solution_code)}${model(r.solution)}` : ''}
${solutionText ? `<h2>Solution</h2><pre>${escapeHtml(solutionText)}</pre>${model(r.solution)}` : ''}
${(r.notes ?? []).length ? `<h2>Notes</h2><ul>${(r.notes as string[]).map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body></html>`;
}

/** 'candidates 4/4 · model calls 6/— · tokens 3,120/— · wall time 95/900 s' (orchestrator.report.Budget.text). */
export function budgetText(budget: any): string {
    if (!budget?.used || !budget?.limit) {
        return '';
    }
    const pair = (used: unknown, limit: unknown, digits = 0) =>
        `${Number(used ?? 0).toLocaleString('en-US', { maximumFractionDigits: digits })}/${limit == null ? '—' : Number(limit).toLocaleString('en-US', { maximumFractionDigits: digits })}`;
    const { used, limit } = budget;
    const parts = [`candidates ${pair(used.candidates, limit.candidates)}`, `model calls ${pair(used.model_calls, limit.model_calls)}`,
        `tokens ${pair(used.tokens, limit.tokens)}`, `wall time ${pair(used.wall_time_s, limit.wall_time_s)} s`];
    if (used.cost_usd || limit.cost_usd != null) {
        parts.push(`cost $${pair(used.cost_usd, limit.cost_usd, 4)}`);
    }
    return parts.join(' · ');
}
