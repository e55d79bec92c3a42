#!/usr/bin/env node
// The oauth-mux launcher of the npm package: it runs the binary of the per-platform package npm
// installed beside it (an optionalDependency whose os and cpu match this machine; nothing is
// downloaded at install time), with this process's arguments, stdio and environment, forwards
// the signals a terminal or a CI runner sends, and exits with the binary's status (128+N when a
// signal N ended it, as a shell reports it).
"use strict";

const { spawn } = require("node:child_process");
const path = require("node:path");
const os = require("node:os");

const platforms = {
  "linux x64": "oauth-mux-linux-x64",
  "linux arm64": "oauth-mux-linux-arm64",
  "darwin x64": "oauth-mux-darwin-x64",
  "darwin arm64": "oauth-mux-darwin-arm64",
  "win32 x64": "oauth-mux-win32-x64",
  "win32 arm64": "oauth-mux-win32-arm64",
};

function binary() {
  const pkg = platforms[`${process.platform} ${process.arch}`];
  if (!pkg) {
    console.error(`oauth-mux: no binary for ${process.platform}/${process.arch}; see the README for other installs`);
    process.exit(1);
  }
  const exe = process.platform === "win32" ? "oauth-mux.exe" : "oauth-mux";
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "bin", exe);
  } catch {
    console.error(
      `oauth-mux: the package ${pkg} is not installed; it is an optional dependency of oauth-mux ` +
        `(an install with --omit=optional or --no-optional leaves it out): npm install ${pkg}`,
    );
    process.exit(1);
  }
}

const child = spawn(binary(), process.argv.slice(2), { stdio: "inherit", windowsHide: true });
// A key on a terminal (^C, ^\) and a resize reach the whole foreground process group, the binary
// too: those are forwarded only when no terminal is in play, so the binary sees each signal once.
const fromTerminal = new Set(["SIGINT", "SIGQUIT", "SIGWINCH"]);
const onTTY = process.stdin.isTTY === true;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"]) {
  try {
    process.on(sig, () => {
      if (!(onTTY && fromTerminal.has(sig))) child.kill(sig);
    });
  } catch {
    // not a signal on this platform
  }
}
child.on("error", (err) => {
  console.error(`oauth-mux: cannot run ${err.path || "the binary"}: ${err.message}`);
  process.exit(err.code === "ENOENT" ? 127 : 126);
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.exit(128 + (os.constants.signals[signal] || 0));
  }
  process.exit(code === null ? 1 : code);
});
