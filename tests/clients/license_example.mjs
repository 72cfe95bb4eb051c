// The JS client example of shared/seeds/002_1c44a8c99ea821c4.txt (section 3), unchanged except for
// the base URL, app id and license key, which come from the environment, and a last line that
// prints what it got (the example itself throws on any failure).
const BASE_URL = process.env.BASE_URL;
const appId = process.env.APP_ID;
const licenseKey = process.env.LICENSE_KEY;

const checkRes = await fetch(`${BASE_URL}/api/v1/apps/${appId}/update/check`, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({
    currentVersion: "1.2.3",
    licenseKey,
  }),
});

const checkData = await checkRes.json();
if (!checkRes.ok) throw new Error(checkData.message ?? "更新检查失败");

if (checkData.hasUpdate) {
  const pkgRes = await fetch(
    `${BASE_URL}/api/v1/apps/${appId}/update/package/${checkData.targetVersion}?licenseKey=${encodeURIComponent(licenseKey)}`
  );
  const pkgData = await pkgRes.json();
  if (!pkgRes.ok) throw new Error(pkgData.message ?? "获取更新包失败");
  console.log(JSON.stringify({ checkData, pkgData }));
} else {
  console.log(JSON.stringify({ checkData }));
}
