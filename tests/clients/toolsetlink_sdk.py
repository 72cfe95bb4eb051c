# The official toolsetlink Python SDK (upgradelink-api-python 3.0.1), unchanged, pointed at the
# worker: its Client drives every upgrade and version method, the event report and the app
# statistics against the example, and this script checks what comes back. The endpoint, the
# credentials and the statistics the test seeded come from the environment; a JSON summary of
# every answer goes to stdout. Any failed check exits non-zero.
import json
import os
import sys

from Tea.exceptions import TeaException
from upgradelink_api_python import models as m
from upgradelink_api_python.client import Client

ENDPOINT = os.environ["ENDPOINT"]  # 127.0.0.1:<port>
BASE = f"http://{ENDPOINT}"
WIN, MAC, LNX = "dEdWin0ToolsetlinkKey1", "dEdMac0ToolsetlinkKey1", "dEdLnx0ToolsetlinkKey1"
TAURI, ELECTRON = "dEdTauri0ToolsetlinkK1", "dEdElectron0Toolsetlk1"
APK, CONFIG = "mui2W50H1jOC4xD6PgQagA", "q1hfB1VUQaK9VksTZGPU1Q"

client = Client(
    m.Config(
        access_key=os.environ.get("ACCESS_KEY", "AKdemo0toolsetlink"),
        access_secret=os.environ.get("ACCESS_SECRET", "demo-toolsetlink-secret-key"),
        protocol="HTTP",
        endpoint=ENDPOINT,
    )
)
summary = {}


def check(name, got, want):
    if got != want:
        print(f"{name}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def answer(name, call, request, code, msg):
    """Calls `call(request)`, checks the envelope, records and returns `data` as a dict."""
    r = call(request)
    check(f"{name} code", r.code, code)
    check(f"{name} msg", r.msg, msg)
    data = r.data.to_map() if r.data is not None else None
    summary[name] = data
    return data


def refused(name, call, request, code, msg):
    """Calls `call(request)`, which must raise the SDK's TeaException with `code` and `msg`."""
    try:
        call(request)
    except TeaException as e:
        check(f"{name} code", e.code, code)
        check(f"{name} message", e.message, msg)
        summary[name] = {"code": e.code, "message": e.message}
        return
    print(f"{name}: no TeaException", file=sys.stderr)
    sys.exit(1)


def file_url(path):
    check(f"{path} is on the worker", path.startswith(BASE + "/artifacts/desktop-editor/"), True)
    return path


NEW, LATEST = "获取到新版本", "已经是最新版本"

# Desktop upgrades: every field the SDK's request requires (it validates appointVersionCode,
# devModelKey and devKey as required, so they are sent empty or zero).
def desktop_upgrade(request_type, key_field, key, arch, code, dev_key=""):
    return request_type(
        **{key_field: key},
        arch=arch,
        version_code=code,
        appoint_version_code=0,
        dev_model_key="",
        dev_key=dev_key,
    )


win = answer(
    "win_upgrade",
    client.win_upgrade,
    desktop_upgrade(m.WinUpgradeRequest, "win_key", WIN, "x64", 1000000),
    200,
    NEW,
)
check("win versionName", win["versionName"], "1.1.0")
check("win versionCode", win["versionCode"], 1001000)
check("win upgradeType (policy.min_version 1.1.0)", win["upgradeType"], 3)
check("win md5", win["urlFileMd5"], "cbebfa27c186390bf3abf04617889fb4")
check("win size", win["urlFileSize"], 57)
check("win promptUpgradeContent", win["promptUpgradeContent"], "Fix saving files with long names\nFaster start")
check("win packageName", win["packageName"], "")
check("win key", win["winKey"], WIN)
file_url(win["urlPath"])
latest = answer(
    "win_upgrade_latest",
    client.win_upgrade,
    desktop_upgrade(m.WinUpgradeRequest, "win_key", WIN, "x64", 1001000),
    0,
    LATEST,
)
check("win latest data", latest["versionCode"], 0)
mac = answer(
    "mac_upgrade",
    client.mac_upgrade,
    desktop_upgrade(m.MacUpgradeRequest, "mac_key", MAC, "arm64", 1000000),
    200,
    NEW,
)
check("mac versionCode", mac["versionCode"], 1001000)
check("mac file", file_url(mac["urlPath"]).endswith(".desktop-editor-1.1.0-arm64-mac.zip"), True)
check("mac md5", mac["urlFileMd5"], "d53f25e3b4b0819216e53210cc7a9cc7")
mac_x64 = answer(
    "mac_upgrade_x64",
    client.mac_upgrade,
    desktop_upgrade(m.MacUpgradeRequest, "mac_key", MAC, "x64", 1000000),
    200,
    NEW,
)
check("mac x64 file", mac_x64["urlPath"].endswith(".desktop-editor-1.1.0-x64-mac.zip"), True)
lnx = answer(
    "lnx_upgrade",
    client.lnx_upgrade,
    desktop_upgrade(m.LnxUpgradeRequest, "lnx_key", LNX, "x64", 1000000),
    200,
    NEW,
)
check("lnx file", file_url(lnx["urlPath"]).endswith(".desktop-editor_1.1.0_amd64.AppImage"), True)
answer(
    "lnx_upgrade_arm64",
    client.lnx_upgrade,
    desktop_upgrade(m.LnxUpgradeRequest, "lnx_key", LNX, "arm64", 1000000),
    0,
    LATEST,
)
refused(
    "lnx_upgrade_bad_arch",
    client.lnx_upgrade,
    desktop_upgrade(m.LnxUpgradeRequest, "lnx_key", LNX, "sparc", 1000000),
    "400003",
    "请求参数arch格式错误",
)

# The other upgrade methods: the example's apk and configuration apps; it has no url or file
# app, so those are a proper 404001 error.
apk = answer(
    "apk_upgrade",
    client.apk_upgrade,
    m.ApkUpgradeRequest(apk_key=APK, version_code=110, appoint_version_code=0, dev_model_key="", dev_key=""),
    200,
    NEW,
)
check("apk versionName", apk["versionName"], "1.2.0")
check("apk packageName", apk["packageName"], "com.example.demo")
check("apk md5", apk["urlFileMd5"], "8e3d6b065f93ba0d7b6210ab3f7801ff")
config = answer(
    "configuration_upgrade",
    client.configuration_upgrade,
    m.ConfigurationUpgradeRequest(
        configuration_key=CONFIG, version_code=1, appoint_version_code=0, dev_model_key="", dev_key=""
    ),
    200,
    NEW,
)
check("configuration versionName", config["versionName"], "v2")
check("configuration content", config["content"]["test"], 1)
refused(
    "url_upgrade",
    client.url_upgrade,
    m.UrlUpgradeRequest(url_key=APK, version_code=1, appoint_version_code=0, dev_model_key="", dev_key=""),
    "404001",
    "请求url应用不存在",
)
refused(
    "file_upgrade",
    client.file_upgrade,
    m.FileUpgradeRequest(file_key=APK, version_code=1, appoint_version_code=0, dev_model_key="", dev_key=""),
    "404001",
    "请求file应用不存在",
)

# Version information.
VERSION = "获取到版本信息"
NOT_FOUND = ("404001", "No available version obtained")
v = answer("win_version", client.win_version, m.WinVersionRequest(win_key=WIN, version_code=1002000, arch="x64"), 200, VERSION)
# The SDK's WinVersionResponse reads `data` as a FileVersionDataResponse (its models.py), so it
# drops winKey and packageName, which the worker sends (tests/tests/edge_toolsetlink_desktop.rs
# checks the wire form).
check("win_version", v, {"versionName": "1.2.0", "versionCode": 1002000, "description": "Tabs"})
refused("win_version_arm64", client.win_version, m.WinVersionRequest(win_key=WIN, version_code=1002000, arch="arm64"), *NOT_FOUND)
v = answer("mac_version", client.mac_version, m.MacVersionRequest(mac_key=MAC, version_code=1000000, arch="arm64"), 200, VERSION)
check("mac_version", v, {"macKey": MAC, "packageName": "", "versionName": "1.0.0", "versionCode": 1000000, "description": "First release"})
refused("mac_version_1.2.0", client.mac_version, m.MacVersionRequest(mac_key=MAC, version_code=1002000, arch="arm64"), *NOT_FOUND)
v = answer("lnx_version", client.lnx_version, m.LnxVersionRequest(lnx_key=LNX, arch="x64", version_code=1001000), 200, VERSION)
check("lnx_version", v["versionName"], "1.1.0")
check("lnx_version description", v["description"], "Fix saving files with long names\nFaster start")
v = answer(
    "tauri_version",
    client.tauri_version,
    m.TauriVersionRequest(tauri_key=TAURI, version_name="v1.1.0", target="darwin", arch="aarch64"),
    200,
    VERSION,
)
check(
    "tauri_version",
    v,
    {
        "tauriKey": TAURI,
        "versionName": "1.1.0",
        "versionCode": 1001000,
        "target": "darwin",
        "arch": "aarch64",
        "description": "Fix saving files with long names\nFaster start",
    },
)
refused(
    "tauri_version_unknown",
    client.tauri_version,
    m.TauriVersionRequest(tauri_key=TAURI, version_name="9.9.9", target="linux", arch="x86_64"),
    *NOT_FOUND,
)
v = answer(
    "electron_version",
    client.electron_version,
    m.ElectronVersionRequest(electron_key=ELECTRON, version_name="1.0.0", platform="win32", arch="x64"),
    200,
    VERSION,
)
check(
    "electron_version",
    v,
    {
        "electronKey": ELECTRON,
        "versionName": "1.0.0",
        "versionCode": 1000000,
        "platform": "win32",
        "arch": "x64",
        "description": "First release",
    },
)
v = answer("apk_version", client.apk_version, m.ApkVersionRequest(apk_key=APK, version_code=120), 200, VERSION)
check("apk_version", v, {"apkKey": APK, "packageName": "com.example.demo", "versionName": "1.2.0", "versionCode": 120, "description": "- New settings screen\n- Faster start-up"})
refused("apk_version_yanked", client.apk_version, m.ApkVersionRequest(apk_key=APK, version_code=130), *NOT_FOUND)
v = answer(
    "configuration_version",
    client.configuration_version,
    m.ConfigurationVersionRequest(configuration_key=CONFIG, version_code=2),
    200,
    VERSION,
)
check("configuration_version", v, {"configurationKey": CONFIG, "versionName": "v2", "versionCode": 2, "description": ""})
refused("url_version", client.url_version, m.UrlVersionRequest(url_key=APK, version_code=1), "404001", "请求url应用不存在")
refused("file_version", client.file_version, m.FileVersionRequest(file_key=APK, version_code=1), "404001", "请求file应用不存在")

# Events, as the SDK builds them: no timestamp (optional in its type), only the fields set.
for name, event in [
    (
        "app_report_start",
        m.AppReportRequest(
            event_type="app_start",
            app_key=WIN,
            event_data=m.AppReportRequestEventData(version_code=1001000, launch_time=Client.time_rfc3339(), arch="x64"),
        ),
    ),
    (
        "app_report_start_bare",
        m.AppReportRequest(event_type="app_start", app_key=MAC, event_data=m.AppReportRequestEventData(version_code=1000000)),
    ),
    (
        "app_report_download",
        m.AppReportRequest(
            event_type="app_upgrade_download",
            app_key=LNX,
            timestamp=Client.time_rfc3339(),
            event_data=m.AppReportRequestEventData(version_code=1000000, download_version_code=1001000, code=0),
        ),
    ),
]:
    r = client.app_report(event)
    check(f"{name} code", r.code, 0)
    check(f"{name} msg", r.msg, "上报成功")
    check(f"{name} docs", r.docs, "")
    summary[name] = r.to_map()
refused(
    "app_report_unknown_key",
    client.app_report,
    m.AppReportRequest(event_type="app_start", app_key="no-such-key", event_data=m.AppReportRequestEventData(version_code=1)),
    "404001",
    "请求应用不存在",
)

# Statistics: the counts the test seeded for the days before today.
r = client.app_statistics_info(m.AppStatisticsInfoRequest(app_key=MAC))
check("statistics code", r.code, 200)
check("statistics msg", r.msg, "成功")
stats = r.data.to_map()
check("statistics data", stats, json.loads(os.environ["EXPECT_STATISTICS"]))
summary["app_statistics_info"] = stats
refused(
    "app_statistics_info_unknown",
    client.app_statistics_info,
    m.AppStatisticsInfoRequest(app_key="no-such-key"),
    "404001",
    "请求应用不存在",
)

print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
