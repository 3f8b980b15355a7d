// The `vscode` module's plain classes for the fake `vscode` (fakeVscode.ts): values the extension builds and
// reads (Uri, Position, Range, TreeItem, a diff tab's input) and the event and disposal machinery (EventEmitter,
// Disposable), each as little of the real class as the extension uses.

export class Disposable {
    constructor(private readonly fn: () => void = () => undefined) {}
    static from(...items: { dispose(): unknown }[]): Disposable {
        return new Disposable(() => items.forEach((i) => i.dispose()));
    }
    dispose(): void {
        this.fn();
    }
}

export class EventEmitter<T> {
    private listeners: ((e: T) => unknown)[] = [];
    readonly event = (listener: (e: T) => unknown): Disposable => {
        this.listeners.push(listener);
        return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
    };
    fire(e: T): void {
        this.listeners.slice().forEach((l) => l(e));
    }
    dispose(): void {
        this.listeners = [];
    }
}

export class Uri {
    constructor(readonly scheme: string, readonly authority: string, readonly path: string, readonly query = '', readonly fragment = '') {}
    static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
        return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
    }
    static file(p: string): Uri {
        return new Uri('file', '', p);
    }
    static parse(s: string): Uri {
        const m = /^([a-z][\w+.-]*):(\/\/([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?$/i.exec(s);
        if (!m) throw new Error(`not a URI: ${s}`);
        return new Uri(m[1], m[3] ?? '', decodeURIComponent(m[4]), m[6] ?? '', m[8] ?? '');
    }
    get fsPath(): string {
        return this.path;
    }
    toString(): string {
        const auth = this.scheme === 'file' || this.authority ? `//${this.authority}` : '';
        return `${this.scheme}:${auth}${encodeURI(this.path)}${this.query ? `?${this.query}` : ''}${this.fragment ? `#${this.fragment}` : ''}`;
    }
}

export class TabInputTextDiff {
    constructor(readonly original: Uri, readonly modified: Uri) {}
}

export class TreeItem {
    description?: string;
    tooltip?: string;
    iconPath?: unknown;
    command?: unknown;
    contextValue?: string;
    constructor(readonly label: string, readonly collapsibleState?: number) {}
}

export class Position {
    constructor(readonly line: number, readonly character: number) {}
}

export class Range {
    constructor(readonly start: Position, readonly end: Position) {}
}
