// Pure helpers behind the diff preview, report view and status bar (no `vscode` import: unit-testable).
import * as path from 'path';
import { JobFinishedParams, JobProgressParams, JobStartedParams, ReportParams, ReportTarget, SearchProgress } from './protocol';

/** Pure: the virtual URIs' paths for one solution; the file name is kept so the diff gets syntax colouring. */
export function diffPaths(jobId: string, fileUri: string): { original: string; proposed: string } {
    const base = path.posix.basename(decodeURIComponent(fileUri.replace(/[?#].*$/, '').replace(/^[a-z][a-z0-9+.-]*:(\/\/[^/]*)?/i, ''))) || 'untitled';
    const id = encodeURIComponent(jobId);
    return { original: `/${id}/original/${base}`, proposed: `/${id}/proposed/${base}` };
}

/** Pure: the job id encoded in a diff URI path, if any. */
export function jobIdFromDiffPath(p: string): string | undefined {
    const m = /^\/([^/]+)\/(original|proposed)\//.exec(p);
    return m ? decodeURIComponent(m[1]) : undefined;
}

/** Pure: what to ask the server for, from the command argument or the active editor's cursor. */
export function reportParams(
    arg: unknown,
    editor: { uri: string; line: number; character: number } | undefined,
): ReportParams | undefined {
    if (arg && typeof arg === 'object') {
        const a = arg as { runId?: string | number; uri?: string; position?: { line: number; character: number } };
        if (a.runId !== undefined && a.runId !== null) return { runId: a.runId };
        if (a.uri) return a.position ? { uri: a.uri, position: a.position } : { uri: a.uri };
    }
    if (typeof arg === 'string' || typeof arg === 'number') {
        return { runId: arg };
    }
    return editor ? { uri: editor.uri, position: { line: editor.line, character: editor.character } } : undefined;
}

/** Pure: what the report view asks for, from a command argument (lens: {uri, position, jobId, runId}; history:
 *  a run id) or else the active editor's cursor. */
export function reportTarget(
    arg: unknown,
    editor: { uri: string; line: number; character: number } | undefined,
): ReportTarget | undefined {
    if (typeof arg === 'string' || typeof arg === 'number') return { runId: arg };
    if (arg && typeof arg === 'object') {
        const a = arg as ReportTarget;
        const out: ReportTarget = {};
        if (a.jobId) out.jobId = a.jobId;
        if (a.runId !== undefined && a.runId !== null) out.runId = a.runId;
        if (a.uri) {
            out.uri = a.uri;
            if (a.position) out.position = a.position;
        }
        if (Object.keys(out).length > 0) return out;
    }
    return editor ? { uri: editor.uri, position: { line: editor.line, character: editor.character } } : undefined;
}

/** Pure: status bar text for a finished job. */
export function jobText(job: JobFinishedParams): string {
    const ok = /^(ok|done|success|succeeded|passed|completed)$/i.test(job.status);
    return `${ok ? '$(check)' : '$(warning)'} RefactorCoder: ${job.kind} ${job.status}`;
}

/** Pure: "line 7" / "lines 7-12" (1-based) for an LSP range; an end at column 0 does not count its line. */
export function describeRange(range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
    const first = range.start.line + 1;
    const last = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
    return first === last ? `line ${first}` : `lines ${first}-${last}`;
}

/** Pure: a proposal that would change nothing but trailing whitespace (e.g. judging existing code). */
export function isNoOpProposal(original: string, proposed: string): boolean {
    const norm = (text: string) => text.split('\n').map((l) => l.trimEnd()).join('\n').trim();
    return norm(original) === norm(proposed);
}

/** Pure: the progress notification's line, e.g. "refine 2/4 · gpt-4o-mini · running 14 tests in the sandbox". */
export function progressMessage(p: { message?: string; percentage?: number | null }): { message: string; increment?: number } {
    return { message: p.message ?? '' };
}

/** Pure: "round 2/3 · 6 candidates · 3 pass tests · timing 2" (and what is under way: asking for which
 *  strategy, measuring the best). */
export function searchText(search: SearchProgress): string {
    const parts = [`round ${search.round}${search.rounds ? `/${search.rounds}` : ''}`,
        `${search.candidates} candidate${search.candidates === 1 ? '' : 's'}`];
    if (search.passedTests !== undefined) parts.push(`${search.passedTests} pass tests`);
    if (search.timing) parts.push(`timing ${search.timing}`);
    if (search.step === 'asking') parts.push(`asking${search.strategy ? `: ${search.strategy}` : ''}`);
    if (search.step === 'measure') parts.push('measuring the best');
    return parts.join(' · ');
}

/** Pure: the progress line: the search's state when the server reports it, else its message. */
export function progressText(p: JobProgressParams): string {
    return p.search ? searchText(p.search) : p.message;
}

/** Pure: the progress notification's title: the function by its name (never its docstring) when the server says. */
export function jobTitle(kindTitle: string, job: JobStartedParams): string {
    const what = job.label ?? job.title;
    return `${kindTitle}${what ? `: ${what}` : ''}`;
}

/** Pure: the increment to report to VS Code's progress (it adds increments; the server sends absolutes). */
export function progressIncrement(previous: number, next: number | null | undefined): number | undefined {
    if (next === null || next === undefined || next <= previous) return undefined;
    return next - previous;
}

/** Pure: the diff editor's title: what changes, and what was verified. */
export function diffTitle(fileName: string, name: string | null | undefined, verdict: string | null | undefined): string {
    const what = name ? `${fileName} · ${name}` : fileName;
    return verdict ? `RefactorCoder: ${what} ↔ proposed (${verdict})` : `RefactorCoder: ${what} ↔ proposed (not verified)`;
}

/** Pure: a server refusal (stale proposal) vs. anything else, from an error's message. */
export function isRefusal(message: string): boolean {
    return /changed since the solution was computed|was edited|not applied/i.test(message);
}

/** What to do when no Python has refactorcoder: the notification says it, not only the log. */
export const INSTALL_HINT =
    'Choose Interpreter to pick the Python that has it, or install it: `bash scripts/setup.sh` in the RefactorCoder ' +
    'repository (found afterwards with no setting), or `pip install -e <repository>` into your Python.';

/** Pure: one start-up failure message with its cause, what to do, and the buttons that do it. */
export function startupFailure(
    interpreter: { command: string[]; source?: string; hasRefactorcoder?: boolean; skipped?: string[][] } | undefined,
    error: string,
    logTail: string,
): { message: string; actions: string[] } {
    const python = interpreter ? interpreter.command.join(' ') : 'python';
    const fromSetting = interpreter?.source === 'setting' ? ' (your refactorcoder.interpreter setting)' : '';
    // A Python that does not exist first: its probe failed too, but "not installed" would send the user astray.
    if (/ENOENT/.test(error)) {
        return {
            message: `RefactorCoder server did not start: the Python ${python}${fromSetting} was not found (${error}). ${INSTALL_HINT}`,
            actions: ['Choose Interpreter', 'Show Log'],
        };
    }
    const missing = /No module named '?server'?|No module named '?refactorcoder'?|No module named '?(models|pygls|lsprotocol)'?/i.exec(logTail + '\n' + error);
    if (interpreter?.hasRefactorcoder === false || missing) {
        const tried = [...(interpreter?.skipped ?? []), ...(fromSetting ? [] : [interpreter?.command ?? []])]
            .filter((c) => c.length > 0)
            .map((c) => c.join(' '));
        const what = fromSetting || tried.length <= 1
            ? `refactorcoder is not installed for ${python}${fromSetting}`
            : `no Python with refactorcoder installed was found (tried ${tried.join(', ')})`;
        return {
            message: `RefactorCoder server did not start: ${what}${missing ? ` (${missing[0]})` : ''}. ${INSTALL_HINT}`,
            actions: ['Choose Interpreter', 'Show Log'],
        };
    }
    const lastLine = logTail.trim().split('\n').filter((l) => l.trim()).pop();
    return {
        message: `RefactorCoder server did not start: ${lastLine || error}`,
        actions: ['Show Log', 'Restart', 'Choose Interpreter'],
    };
}

/** Pure: the history tree item's label and description. */
/** A run's icon by what it came to: a Fix / Optimize that changed nothing is not marked like an accepted one. */
export function historyIcon(run: { status: string; outcome?: string }): string {
    if (run.status === 'running') return 'sync';
    const byOutcome: Record<string, string> = { accepted: 'pass', unchanged: 'circle-large-outline', failed: 'error', cancelled: 'circle-slash' };
    if (run.outcome) return byOutcome[run.outcome] ?? 'circle-outline';
    return run.status === 'ok' || run.status === 'done' ? 'pass' : run.status === 'error' ? 'error' : 'circle-outline';
}

export function historyLabel(run: { runId: number; kind: string; status: string; outcome?: string; function?: string | null; verdict?: string; created?: string }): { label: string; description: string } {
    return {
        label: `${run.kind} ${run.function ?? ''}`.trim() + ` · ${run.outcome || run.status}`,
        description: [run.verdict, run.created ? run.created.replace('T', ' ').slice(0, 16) : '', `run ${run.runId}`].filter(Boolean).join(' · '),
    };
}
