// Wire types of RefactorCoder's custom LSP messages (see server/PROTOCOL.md). No `vscode` import.

export interface LspPosition { line: number; character: number }
export interface LspRange { start: LspPosition; end: LspPosition }

/** Argument of the server commands refactorcoder.guide|solve|judge. */
export interface StageCommandArgs { uri: string; range: LspRange; version: number }

export const STAGE_COMMANDS = ['refactorcoder.guide', 'refactorcoder.solve', 'refactorcoder.judge'] as const;
export const APPLY_SOLUTION_COMMAND = 'refactorcoder.applySolution';
export const CANCEL_COMMAND = 'refactorcoder.cancel';
/** Client-side command the server puts on its result code lenses, arguments `[{uri, position}]`. */
export const OPEN_REPORT_COMMAND = 'refactorcoder.openReport';

/** Answer of refactorcoder.applySolution (a stale document is an error -32803 instead). */
export interface ApplySolutionResult { applied: boolean; failureReason?: string | null }

export const JOB_STARTED = 'refactorcoder/jobStarted';
export interface JobStartedParams {
    jobId: string;
    kind: string;
    uri: string;
    version?: number | null;
    token?: string | null;
    title?: string;
}

export const SOLUTION_READY = 'refactorcoder/solutionReady';
export interface SolutionReadyParams {
    jobId: string;
    uri: string;
    version: number;
    range: LspRange;
    original: string;
    proposed: string;
}

export const JOB_FINISHED = 'refactorcoder/jobFinished';
export interface JobFinishedParams {
    jobId: string;
    kind: string;
    uri: string;
    /** done | cancelled | failed */
    status: string;
    runId?: string | number | null;
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
