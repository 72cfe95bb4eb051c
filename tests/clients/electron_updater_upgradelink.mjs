// An installed Electron app checking the toolsetlink electron route with electron-updater's own
// code, configured as docs/protocols.md says: a `generic` provider whose `url` is
// `<base>/v1/electron/upgrade?electronKey=…&platform=…&arch=…&versionName=…[&devKey=…]`.
// electron-updater appends its channel file name to the path (`…/upgrade/latest-mac.yml`) and
// keeps the query; its YAML parser reads the answer, it resolves the file URLs against the feed
// URL, picks the file its platform's updater installs, and the download is checked with its own
// sha512 verification (builder-util-runtime's DigestTransform, what DownloadedUpdateHelper uses).
//
//   node tests/clients/electron_updater_upgradelink.mjs FEED_URL PLATFORM ARCH CURRENT_VERSION
//
// Prints one JSON object.
import { createRequire } from "node:module";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";

const require = createRequire(import.meta.url);
const { GenericProvider } = require("electron-updater/out/providers/GenericProvider");
const { findFile } = require("electron-updater/out/providers/Provider");
const { MacUpdater } = require("electron-updater/out/MacUpdater");
const { HttpError, DigestTransform } = require("builder-util-runtime");
const semver = require("semver");

const [feedUrl, platform, arch, current] = process.argv.slice(2);
if (!current) {
  console.error("usage: electron_updater_upgradelink.mjs FEED_URL PLATFORM ARCH CURRENT_VERSION");
  process.exit(2);
}

const requested = [];
// electron-updater's HTTP executor needs Electron's net module; this one makes the same requests
// with fetch (keep-alive, gzip), from the options electron-updater builds.
const executor = {
  async request(options) {
    const port = options.port ? `:${options.port}` : "";
    const url = `${options.protocol}//${options.hostname}${port}${options.path}`;
    requested.push(url);
    const response = await fetch(url, { headers: { "accept-encoding": "gzip", ...(options.headers ?? {}) } });
    if (!response.ok) {
      throw new HttpError(response.status, `${response.status} ${url}`);
    }
    return await response.text();
  },
};

const installers = {
  win32: (files) => findFile(files, "exe"),
  darwin: (files) => findFile(MacUpdater.filterFilesForArch(files, process.arch === "arm64"), "zip", ["pkg", "dmg"]),
  linux: (files) => findFile(files, "AppImage", ["rpm", "deb", "pacman"]),
};

// Downloads `url` and runs the bytes through electron-updater's checksum verification.
async function verify(url, sha512) {
  const response = await fetch(url);
  const bytes = Buffer.from(await response.arrayBuffer());
  const check = async (expected) => {
    try {
      await pipeline(
        Readable.from([bytes]),
        new DigestTransform(expected, "sha512", "base64"),
        new Writable({ write: (_chunk, _enc, done) => done() }),
      );
      return "ok";
    } catch (e) {
      return e.code ?? String(e);
    }
  };
  // The stated digest passes; a different one must fail (the check really runs).
  const other = Buffer.from(sha512, "base64");
  other[0] ^= 1;
  return { status: response.status, size: bytes.length, verified: await check(sha512), tampered: await check(other.toString("base64")) };
}

Object.defineProperty(process, "arch", { value: arch, configurable: true });
process.env.TEST_UPDATER_ARCH = arch;
const provider = new GenericProvider(
  { provider: "generic", url: feedUrl },
  { channel: null, isAddNoCacheQuery: false },
  { platform, executor, isUseMultipleRangeRequest: false },
);
const result = { platform, arch, channelFile: `${provider.channel}.yml` };
try {
  const info = await provider.getLatestVersion();
  if (semver.parse(info.version) == null) {
    throw Object.assign(new Error(`not semver: ${info.version}`), { code: "ERR_NOT_SEMVER" });
  }
  // AppUpdater.isUpdateAvailable: a newer version (downgrades are not allowed by default).
  const update = semver.gt(info.version, current);
  Object.assign(result, {
    version: info.version,
    update,
    releaseDate: info.releaseDate ?? null,
    upgradeType: info.upgradeType ?? null,
    promptUpgradeContent: info.promptUpgradeContent ?? null,
  });
  if (update) {
    const files = provider.resolveFiles(info);
    const chosen = installers[platform](files);
    result.files = files.map((f) => ({ url: f.url.href, sha512: f.info.sha512, size: f.info.size }));
    result.chosen = chosen ? chosen.url.href : null;
    if (chosen) {
      result.download = await verify(chosen.url.href, chosen.info.sha512);
    }
  }
} catch (e) {
  result.error = e.code ?? String(e);
}
result.requested = requested;
console.log(JSON.stringify(result));
