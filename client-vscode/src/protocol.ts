// Wire types of RefactorCoder's custom LSP messages (see server/PROTOCOL.md). No `vscode` import.

export interface LspPosition { line: number; character: number }
export interface LspRange { start: LspPosition; end: LspPosition }

/** Argument of the server commands refactorcoder.guide|solve|judge. */
export interface StageCommandArgs { uri: string; range: LspRange; version: number }

export const STAGE_COMMANDS = [
    'refactorcoder.guide',
    'refactorcoder.solve',
    'refactorcoder.judge',
    'refactorcoder.fix',
    'refactorcoder.optimize',
] as const;
/** Palette commands (client ids, registered for the extension's whole life) -> the server command they run. */
export const PALETTE_COMMANDS: Record<string, string> = {
    'refactorcoder.run.guide': 'refactorcoder.guide',
    'refactorcoder.run.solve': 'refactorcoder.solve',
    'refactorcoder.run.judge': 'refactorcoder.judge',
    'refactorcoder.run.fix': 'refactorcoder.fix',
    'refactorcoder.run.optimize': 'refactorcoder.optimize',
};
export const OPTIMIZE_PICK_COMMAND = 'refactorcoder.optimizePick';
export const OPTIMIZE_CHANGED_COMMAND = 'refactorcoder.optimizeChanged';
export const METRICS = [
    { id: 'time', label: 'Time', detail: 'CPU time of the workload (default)' },
    { id: 'peak_memory', label: 'Peak memory', detail: 'peak resident set size' },
    { id: 'mean_memory', label: 'Mean memory', detail: 'time-weighted mean resident set size' },
    { id: 'cpu', label: 'CPU utilisation', detail: 'CPU time / wall time' },
] as const;
export const APPLY_SOLUTION_COMMAND = 'refactorcoder.applySolution';
export const CANCEL_COMMAND = 'refactorcoder.cancel';
/** Client-side command the server puts on its result code lenses, arguments `[{uri, position, jobId, runId}]`:
 *  opens the report view (webview). */
export const OPEN_REPORT_COMMAND = 'refactorcoder.openReport';
/** The same report as a Markdown document (secondary: for copying or saving). */
export const EXPORT_MARKDOWN_COMMAND = 'refactorcoder.exportReportMarkdown';

/** Answer of refactorcoder.applySolution (a stale document is an error -32803 instead). */
export interface ApplySolutionResult { applied: boolean; failureReason?: string | null }

export const JOB_STARTED = 'refactorcoder/jobStarted';
export interface JobStartedParams {
    jobId: string;
    kind: string;
    uri: string;
    version?: number | null;
    token?: string | null;
    /** The target's title (for a function: its docstring's first line). */
    title?: string;
    /** What progress calls the target: the function by its name (`unique_words()`), else the title. */
    label?: string;
}

export const SOLUTION_READY = 'refactorcoder/solutionReady';
export interface SolutionReadyParams {
    jobId: string;
    uri: string;
    version: number | null;
    range: LspRange;
    original: string;
    proposed: string;
    name?: string | null;
    /** What was verified, one line ("tests 14/14 · 1.8× faster, 95% CI 1.6–2.0 · judge 5/4/4"); "" when nothing ran. */
    verdict?: string;
    kind?: string;
    runId?: number | null;
}

export const JOB_PROGRESS = 'refactorcoder/jobProgress';
export interface JobProgressParams {
    jobId: string;
    kind?: string;
    message: string;
    percentage?: number | null;
    stage?: string;
    attempt?: number;
    of?: number;
    model?: string;
    /** Optimize's search, when the server reports it: shown instead of `message` (views.ts progressText). */
    search?: SearchProgress;
}

/** Where Optimize's search stands within a round (candidates sampled together, cheap screens first). */
export interface SearchProgress {
    /** 1-based round, and how many rounds the job's limits allow. */
    round: number;
    rounds?: number;
    /** Candidates sampled so far in this round. */
    candidates: number;
    /** Of them, those that passed the tests (and the behaviour guards) so far. */
    passedTests?: number;
    /** Correct candidates in the short timing screen. */
    timing?: number;
    /** The step under way: asking the model, or which screen. */
    step?: 'asking' | 'tests' | 'differential' | 'screen' | 'measure';
    /** The strategy of the candidate being asked for (e.g. "different algorithm"). */
    strategy?: string;
}

export const JOB_FINISHED = 'refactorcoder/jobFinished';
export interface JobFinishedParams {
    jobId: string;
    kind: string;
    uri: string;
    /** done | cancelled | failed */
    status: string;
    runId?: string | number | null;
    summary?: string;
    verdict?: string | null;
}

export const JOB_REPORT_REQUEST = 'refactorcoder/jobReport';
/** What the report view asks for: a job, a past run, or the latest result of the function at a position
 *  (the server answers the first of them it still knows). */
export interface ReportTarget { jobId?: string | null; runId?: number | string | null; uri?: string; position?: LspPosition }
export const HISTORY_REQUEST = 'refactorcoder/history';
export interface HistoryRun {
    runId: number;
    kind: string;
    status: string;
    created: string;
    source: string;
    function?: string | null;
    verdict: string;
    /** Fix / Optimize: accepted | unchanged | failed | cancelled; '' for other runs. */
    outcome?: string;
    scores?: (number | null)[] | null;
    hasReport: boolean;
}

export const REPORT_REQUEST = 'refactorcoder/report';
export type ReportParams = { uri: string; position?: LspPosition } | { runId: string | number };
export interface ReportResult { markdown: string }

/** Builds the stage-command argument from an editor selection (plain data, so it is testable). */
export function stageArgs(uri: string, selection: LspRange, version: number): StageCommandArgs {
    const { start, end } = selection;
    const ordered = start.line < end.line || (start.line === end.line && start.character <= end.character);
    return {
        uri,
        range: ordered ? { start: { ...start }, end: { ...end } } : { start: { ...end }, end: { ...start } },
        version,
    };
}

/** True when a command was invoked without arguments (command palette, keybinding) rather than from a code action. */
export function needsEditorArgs(args: readonly unknown[] | undefined): boolean {
    return !args || args.length === 0 || args[0] === undefined || args[0] === null;
}

/** Client-side job options from the settings, added to fix/optimize/judge arguments that lack them. */
export interface JobOptionSettings {
    metric?: string;
    workload?: string;
    limits?: Record<string, number | boolean | string[] | null | undefined>;
}

export function withJobOptions(command: string, arg: unknown, options: JobOptionSettings): unknown {
    if (!['refactorcoder.fix', 'refactorcoder.optimize', 'refactorcoder.judge', 'refactorcoder.optimizeChanged'].includes(command)) {
        return arg;
    }
    if (!arg || typeof arg !== 'object' || Array.isArray(arg)) return arg;
    const out: Record<string, unknown> = { ...(arg as Record<string, unknown>) };
    if ((command === 'refactorcoder.optimize' || command === 'refactorcoder.optimizeChanged') && out.metric === undefined && options.metric) {
        out.metric = options.metric;
    }
    if (command === 'refactorcoder.optimize' && out.workload === undefined && options.workload) {
        out.workload = options.workload;
    }
    const limits = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== null && v !== undefined));
    if (out.limits === undefined && Object.keys(limits).length > 0 && command !== 'refactorcoder.judge') {
        out.limits = limits;
    }
    return out;
}
