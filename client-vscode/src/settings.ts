// Pure shaping of the `refactorcoder` configuration section into the server's Settings shape
// (models/settings.py). No `vscode` import, so it is unit-testable under plain node.

export const SECTION = 'refactorcoder';
export const STAGES = ['guide', 'solve', 'judge', 'fix', 'refine'] as const;
export const STAGE_KEYS = ['model', 'fallbacks', 'api_base', 'timeout_s', 'retries', 'backoff_s', 'temperature', 'max_tokens'] as const;
export const SERVER_KEYS = [...STAGES, 'local_model_path', 'history_path', 'key_file'] as const;
/** Settings only the client reads; the server's Settings model forbids unknown keys, so they never reach it. */
export const CLIENT_ONLY_KEYS = ['interpreter', 'serverArgs', 'optimization', 'limits', 'apiKeyEnv', 'modelPool'] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface ShapedSettings {
    settings: JsonObject;
    /** Human-readable notes about what was dropped (shown in the output channel). */
    warnings: string[];
}

const SECRET_LIKE = /(api[_-]?key|secret|token|password)$/i;

function isObject(value: unknown): value is JsonObject {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Keeps the server's keys, drops client-only keys, unset (null/undefined) values and anything that looks like
 * a credential (keys belong in `key_file` or the environment, never in settings). Unknown keys inside a stage
 * are passed through so the server can report them.
 */
export function shapeSettings(raw: unknown): ShapedSettings {
    const warnings: string[] = [];
    const settings: JsonObject = {};
    if (!isObject(raw)) {
        return { settings, warnings };
    }
    for (const [key, value] of Object.entries(raw)) {
        if ((CLIENT_ONLY_KEYS as readonly string[]).includes(key) || value === null || value === undefined) {
            continue;
        }
        if (SECRET_LIKE.test(key)) {
            warnings.push(`ignored refactorcoder.${key}: API keys never go in settings; use refactorcoder.key_file`);
            continue;
        }
        if ((STAGES as readonly string[]).includes(key)) {
            if (!isObject(value)) {
                warnings.push(`ignored refactorcoder.${key}: expected an object`);
                continue;
            }
            const stage: JsonObject = {};
            for (const [k, v] of Object.entries(value)) {
                if (v === null || v === undefined) {
                    continue;
                }
                if (SECRET_LIKE.test(k)) {
                    warnings.push(`ignored refactorcoder.${key}.${k}: API keys never go in settings; use refactorcoder.key_file`);
                    continue;
                }
                stage[k] = v;
            }
            settings[key] = stage;
            continue;
        }
        settings[key] = value;
    }
    return { settings, warnings };
}

/**
 * The live section as the server merges it over its start-up settings (initializationOptions): every server key
 * the user does not set is an explicit null (every key of a stage object too), so a setting removed from
 * settings.json goes back to its default at once instead of keeping its start-up value until a reload.
 */
export function liveSettings(raw: unknown): JsonObject {
    const settings: JsonObject = { ...shapeSettings(raw).settings };
    for (const key of SERVER_KEYS) {
        if (!(key in settings)) {
            settings[key] = null;
        }
    }
    for (const stage of STAGES) {
        const value = settings[stage];
        if (isObject(value)) {
            settings[stage] = { ...Object.fromEntries(STAGE_KEYS.map((k) => [k, null])), ...value };
        }
    }
    return settings;
}

/** Applies `liveSettings` / `shapeSettings` to one `workspace/configuration` result, by the section it was asked for. */
export function shapeConfigurationResult(section: string | undefined | null, value: unknown): unknown {
    if (section === SECTION) {
        return liveSettings(value);
    }
    if (!section && isObject(value) && SECTION in value) {
        return { ...value, [SECTION]: liveSettings(value[SECTION]) };
    }
    if (section && section.startsWith(SECTION + '.')) {
        const key = section.slice(SECTION.length + 1);
        if ((CLIENT_ONLY_KEYS as readonly string[]).includes(key)) {
            return null;
        }
        if ((STAGES as readonly string[]).includes(key)) {
            return shapeSettings({ [key]: value }).settings[key] ?? {};
        }
    }
    return value;
}

/** The provider key variables litellm reads, by provider. */
export const PROVIDER_KEY_VARS: Record<string, string> = {
    openai: 'OPENAI_API_KEY',
    anthropic: 'ANTHROPIC_API_KEY',
    gemini: 'GEMINI_API_KEY',
    mistral: 'MISTRAL_API_KEY',
    groq: 'GROQ_API_KEY',
    deepseek: 'DEEPSEEK_API_KEY',
};

/**
 * `refactorcoder.apiKeyEnv` names, per provider, the environment variable that holds its key (e.g.
 * {"openai": "WORK_OPENAI_KEY"}). Only names live in settings: the value is copied from this process's
 * environment into the server's under the provider's standard name. Unknown providers and unset variables
 * are skipped.
 */
export function apiKeyEnvironment(mapping: unknown, env: Record<string, string | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    if (!isObject(mapping)) return out;
    for (const [provider, name] of Object.entries(mapping)) {
        const target = PROVIDER_KEY_VARS[provider.toLowerCase()] ?? (/^[A-Z][A-Z0-9_]*_API_KEY$/.test(provider) ? provider : undefined);
        if (!target || typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
        const value = env[name];
        if (value) out[target] = value;
    }
    return out;
}

/** Fix/Optimize options from the client-only settings (`optimization.metric`, `limits.*`). */
export function jobOptionSettings(config: { get<T>(key: string): T | undefined }): {
    metric?: string;
    workload?: string;
    limits?: Record<string, number | boolean | string[]>;
} {
    const optimization = config.get<{ metric?: string; workload?: string }>('optimization') ?? {};
    const limits = config.get<Record<string, number | boolean | string[]>>('limits') ?? {};
    return { metric: optimization.metric, ...(optimization.workload ? { workload: optimization.workload } : {}), limits };
}
