#!/usr/bin/env node
// release-npm.js VERSION GORELEASER_DIST OUT: lays out the npm packages of a release from
// GoReleaser's artifacts.json, as esbuild and biome ship theirs: one package per platform with
// the binary inside (os and cpu set, so npm installs only the one that matches), and the root
// package `oauth-mux` with those as optionalDependencies and a small launcher. Nothing runs or
// downloads at install time. It writes OUT/npm/<package>/ and packs each into OUT/npm-tarballs/.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { execFileSync } = require("node:child_process");

const [version, dist, out] = process.argv.slice(2);
if (!version || !dist || !out) {
  console.error("usage: release-npm.js VERSION GORELEASER_DIST OUT");
  process.exit(2);
}
const root = path.resolve(__dirname, "..");
const repo = { type: "git", url: "git+https://github.com/oauth-mux/oauth-mux.git" };
const common = {
  version,
  license: "Apache-2.0",
  homepage: "https://github.com/oauth-mux/oauth-mux#readme",
  repository: repo,
};
const npmOS = { linux: "linux", darwin: "darwin", windows: "win32" };
const npmCPU = { amd64: "x64", arm64: "arm64" };

const artifacts = JSON.parse(fs.readFileSync(path.join(dist, "artifacts.json"), "utf8"));
const binaries = artifacts.filter((a) => a.type === "Binary" && a.name.startsWith("oauth-mux"));
if (binaries.length === 0) throw new Error(`no binaries in ${dist}/artifacts.json`);

const npmDir = path.join(out, "npm");
const tarDir = path.join(out, "npm-tarballs");
fs.rmSync(npmDir, { recursive: true, force: true });
fs.rmSync(tarDir, { recursive: true, force: true });
fs.mkdirSync(tarDir, { recursive: true });

function write(dir, files) {
  for (const [name, data] of Object.entries(files)) {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
  }
}
const license = fs.readFileSync(path.join(root, "LICENSE"));

const optional = {};
for (const b of binaries.sort((x, y) => x.path.localeCompare(y.path))) {
  const os = npmOS[b.goos];
  const cpu = npmCPU[b.goarch];
  if (!os || !cpu) continue;
  const name = `oauth-mux-${os}-${cpu}`;
  const exe = b.goos === "windows" ? "oauth-mux.exe" : "oauth-mux";
  const dir = path.join(npmDir, name);
  const pkg = {
    name,
    ...common,
    description: `The oauth-mux binary for ${os} ${cpu} (installed by the oauth-mux package).`,
    os: [os],
    cpu: [cpu],
    files: [`bin/${exe}`, "LICENSE", "README.md"],
    preferUnplugged: true,
  };
  write(dir, {
    "package.json": JSON.stringify(pkg, null, 2) + "\n",
    LICENSE: license,
    "README.md": `# ${name}\n\nThe \`oauth-mux\` binary for ${os} ${cpu}. Install \`oauth-mux\` instead: it depends on this package where it fits.\n`,
  });
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.copyFileSync(path.join(root, b.path), path.join(dir, "bin", exe));
  fs.chmodSync(path.join(dir, "bin", exe), 0o755);
  optional[name] = version;
}

const rootDir = path.join(npmDir, "oauth-mux");
const rootPkg = {
  name: "oauth-mux",
  ...common,
  description:
    "Run AI-harness CLIs (Codex, Claude Code, Copilot, Gemini, gh) on the first healthy subscription account, and fail over when an account is spent.",
  keywords: ["oauth", "codex", "claude", "copilot", "gemini", "cli", "failover"],
  bin: { "oauth-mux": "bin/oauth-mux.js" },
  files: ["bin/oauth-mux.js", "LICENSE", "README.md"],
  engines: { node: ">=18" },
  optionalDependencies: optional,
};
write(rootDir, {
  "package.json": JSON.stringify(rootPkg, null, 2) + "\n",
  LICENSE: license,
  "README.md": fs.readFileSync(path.join(root, "README.md")),
  "bin/oauth-mux.js": fs.readFileSync(path.join(root, "packaging", "npm", "oauth-mux.js")),
});
fs.chmodSync(path.join(rootDir, "bin", "oauth-mux.js"), 0o755);

for (const name of [...Object.keys(optional), "oauth-mux"]) {
  execFileSync("npm", ["pack", "--silent", "--pack-destination", path.resolve(tarDir), path.resolve(npmDir, name)], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" },
  });
}
console.log(`npm: ${Object.keys(optional).length} platform packages and oauth-mux ${version} in ${tarDir}`);
