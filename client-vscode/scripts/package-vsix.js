#!/usr/bin/env node
// Packages the extension as a .vsix without @vscode/vsce (which needs many extra packages and, from 4.x, Node 22).
// A .vsix is a zip: extension.vsixmanifest, [Content_Types].xml and the extension under extension/.
// Contents: package.json, server-launch.json, README.md, out/**/*.js (no tests, no source maps) and the production node_modules.
//   usage: node scripts/package-vsix.js [OUT.vsix]     (default: refactorcoder-<version>.vsix here)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const outFile = path.resolve(process.argv[2] || path.join(root, `${pkg.name}-${pkg.version}.vsix`));

function walk(dir, keep) {
    const found = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) found.push(...walk(full, keep));
        else if (entry.isFile() && keep(full)) found.push(full);
    }
    return found;
}

function productionModuleDirs() {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const listing = execFileSync(npm, ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
    return listing.split('\n').map((l) => l.trim()).filter((l) => l && path.resolve(l) !== root);
}

function collectFiles() {
    if (!fs.existsSync(path.join(root, pkg.main))) {
        throw new Error(`${pkg.main} is missing: run "npm run compile" first`);
    }
    const files = ['package.json', 'server-launch.json']; // server-launch.json: how src/interpreter.ts starts the server
    if (fs.existsSync(path.join(root, 'README.md'))) files.push('README.md');
    const outDir = path.join(root, 'out');
    for (const f of walk(outDir, (f) => f.endsWith('.js') && !f.startsWith(path.join(outDir, 'test') + path.sep))) {
        files.push(path.relative(root, f));
    }
    const seen = new Set(files);
    for (const dir of productionModuleDirs()) {
        const skip = (f) => /\.(map|ts|md)$/i.test(f); // runtime needs only .js and .json
        for (const f of walk(dir, (f) => !skip(f) && !f.includes(`${path.sep}node_modules${path.sep}.bin${path.sep}`))) {
            const rel = path.relative(root, f);
            if (!seen.has(rel)) {
                seen.add(rel);
                files.push(rel);
            }
        }
    }
    return files.map((f) => f.split(path.sep).join('/'));
}

const xml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function manifest() {
    return `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xml(pkg.name)}" Version="${xml(pkg.version)}" Publisher="${xml(pkg.publisher)}" />
    <DisplayName>${xml(pkg.displayName || pkg.name)}</DisplayName>
    <Description xml:space="preserve">${xml(pkg.description || '')}</Description>
    <Categories>${xml((pkg.categories || []).join(','))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xml(pkg.engines.vscode)}" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="" />
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="workspace" />
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value="" />
      <Property Id="Microsoft.VisualStudio.Services.GitHubFlavoredMarkdown" Value="true" />
    </Properties>
    <License>extension/LICENSE.txt</License>
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code" />
  </Installation>
  <Dependencies />
  <Assets>
    <Asset Type="Microsoft.VisualStudio.Code.Manifest" Path="extension/package.json" Addressable="true" />
    <Asset Type="Microsoft.VisualStudio.Services.Content.Details" Path="extension/README.md" Addressable="true" />
  </Assets>
</PackageManifest>
`;
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension=".json" ContentType="application/json" />
  <Default Extension=".js" ContentType="application/javascript" />
  <Default Extension=".md" ContentType="text/markdown" />
  <Default Extension=".txt" ContentType="text/plain" />
  <Default Extension=".ts" ContentType="text/plain" />
  <Default Extension=".vsixmanifest" ContentType="text/xml" />
  <Default Extension=".xml" ContentType="text/xml" />
</Types>
`;

// --- minimal zip writer (deflate, no zip64: the package is a few hundred KiB) ---
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
});
function crc32(buf) {
    if (zlib.crc32) return zlib.crc32(buf) >>> 0;
    let c = 0xffffffff;
    for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
}

function zip(entries) {
    const chunks = [];
    const central = [];
    let offset = 0;
    const dosTime = 0, dosDate = (2020 - 1980) << 9 | 1 << 5 | 1; // fixed timestamp: reproducible archives
    for (const { name, data } of entries) {
        const nameBuf = Buffer.from(name, 'utf8');
        const deflated = zlib.deflateRawSync(data, { level: 9 });
        const stored = deflated.length >= data.length;
        const body = stored ? data : deflated;
        const crc = crc32(data);
        const local = Buffer.alloc(30);
        local.writeUInt32LE(0x04034b50, 0);
        local.writeUInt16LE(20, 4);
        local.writeUInt16LE(0x0800, 6); // UTF-8 names
        local.writeUInt16LE(stored ? 0 : 8, 8);
        local.writeUInt16LE(dosTime, 10);
        local.writeUInt16LE(dosDate, 12);
        local.writeUInt32LE(crc, 14);
        local.writeUInt32LE(body.length, 18);
        local.writeUInt32LE(data.length, 22);
        local.writeUInt16LE(nameBuf.length, 26);
        local.writeUInt16LE(0, 28);
        const header = Buffer.alloc(46);
        header.writeUInt32LE(0x02014b50, 0);
        header.writeUInt16LE(0x031e, 4); // made by: unix, spec 3.0
        header.writeUInt16LE(20, 6);
        header.writeUInt16LE(0x0800, 8);
        header.writeUInt16LE(stored ? 0 : 8, 10);
        header.writeUInt16LE(dosTime, 12);
        header.writeUInt16LE(dosDate, 14);
        header.writeUInt32LE(crc, 16);
        header.writeUInt32LE(body.length, 20);
        header.writeUInt32LE(data.length, 24);
        header.writeUInt16LE(nameBuf.length, 28);
        header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
        header.writeUInt32LE(offset, 42);
        chunks.push(local, nameBuf, body);
        central.push(header, nameBuf);
        offset += local.length + nameBuf.length + body.length;
    }
    const centralBuf = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(centralBuf.length, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...chunks, centralBuf, end]);
}

const files = collectFiles();
const entries = [
    { name: '[Content_Types].xml', data: Buffer.from(CONTENT_TYPES) },
    { name: 'extension.vsixmanifest', data: Buffer.from(manifest()) },
    { name: 'extension/LICENSE.txt', data: Buffer.from(`${pkg.license || 'UNLICENSED'}\n`) },
    ...files.map((f) => ({ name: `extension/${f}`, data: fs.readFileSync(path.join(root, f)) })),
];
if (!files.includes('README.md')) {
    entries.push({ name: 'extension/README.md', data: Buffer.from(`# ${pkg.displayName}\n\n${pkg.description}\n`) });
}
fs.writeFileSync(outFile, zip(entries));
console.log(`${outFile} (${entries.length} files, ${Math.round(fs.statSync(outFile).size / 1024)} KiB)`);
