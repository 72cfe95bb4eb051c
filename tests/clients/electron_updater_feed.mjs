// Reads a site's electron-updater channel files the way an installed app does, with
// electron-updater's own code: its `generic` provider (channel file name per platform and
// processor, YAML parsing, file URL resolution against the feed URL), its semver check of the
// version, and the file choice of its Windows, macOS and AppImage updaters.
//
//   node tests/clients/electron_updater_feed.mjs FEED_URL [CHANNEL]
//
// Prints one JSON object: for each platform and processor, the version, stagingPercentage and
// the chosen file's absolute URL, sha512 and size, or the electron-updater error code.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { GenericProvider } = require("electron-updater/out/providers/GenericProvider");
const { findFile } = require("electron-updater/out/providers/Provider");
const { MacUpdater } = require("electron-updater/out/MacUpdater");
const { HttpError } = require("builder-util-runtime");
const semver = require("semver");

const feedUrl = process.argv[2];
if (!feedUrl) {
  console.error("usage: electron_updater_feed.mjs FEED_URL");
  process.exit(2);
}

// electron-updater's HTTP executor needs Electron's net module; this one does the same
// requests with fetch, from the options electron-updater builds.
const executor = {
  async request(options) {
    const port = options.port ? `:${options.port}` : "";
    const url = `${options.protocol}//${options.hostname}${port}${options.path}`;
    const response = await fetch(url, { headers: options.headers ?? {} });
    if (!response.ok) {
      throw new HttpError(response.status, `${response.status} ${url}`);
    }
    return await response.text();
  },
};

// The updater each platform uses, by the extension it installs (NsisUpdater, MacUpdater,
// AppImageUpdater).
const installers = {
  win32: (files) => findFile(files, "exe"),
  darwin: (files) => findFile(MacUpdater.filterFilesForArch(files, process.arch === "arm64"), "zip", ["pkg", "dmg"]),
  linux: (files) => findFile(files, "AppImage", ["rpm", "deb", "pacman"]),
};

async function check(platform, arch, channel) {
  // Provider and findFile read the processor from the process, as in the app.
  Object.defineProperty(process, "arch", { value: arch, configurable: true });
  process.env.TEST_UPDATER_ARCH = arch;
  const provider = new GenericProvider(
    { provider: "generic", url: feedUrl },
    { channel, isAddNoCacheQuery: false },
    { platform, executor, isUseMultipleRangeRequest: false },
  );
  const result = { platform, arch, channel, channelFile: `${provider.channel}.yml` };
  try {
    const info = await provider.getLatestVersion();
    if (semver.parse(info.version) == null) {
      throw Object.assign(new Error(`not semver: ${info.version}`), { code: "ERR_NOT_SEMVER" });
    }
    const files = provider.resolveFiles(info);
    const chosen = installers[platform](files);
    Object.assign(result, {
      version: info.version,
      releaseDate: info.releaseDate,
      stagingPercentage: info.stagingPercentage ?? null,
      files: files.map((f) => ({ url: f.url.href, sha512: f.info.sha512, size: f.info.size })),
      chosen: chosen ? chosen.url.href : null,
    });
  } catch (e) {
    result.error = e.code ?? String(e);
  }
  return result;
}

const results = [];
const channel = process.argv[3] ?? null; // electron-updater's `channel` setting, if any
for (const [platform, arch] of [
  ["win32", "x64"],
  ["darwin", "arm64"],
  ["darwin", "x64"],
  ["linux", "x64"],
  ["linux", "arm64"],
]) {
  results.push(await check(platform, arch, channel));
}
console.log(JSON.stringify({ results }));
