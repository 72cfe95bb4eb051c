// The JavaScript example of shared/seeds/000_1def7f8c32557e36.txt ("使用 API Key 检查 arm64-v8a 是否有更新"),
// unchanged except for the base URL and the API key, which come from the environment (Node has no
// page origin for the relative URL the browser example uses).
const BASE_URL = process.env.BASE_URL;
const API_KEY = process.env.API_KEY;

// 使用 API Key 检查 arm64-v8a 是否有更新
fetch(BASE_URL + '/api/v1/check', {
method: 'POST',
headers: {
'X-API-Key': API_KEY,
'Content-Type': 'application/json'
},
body: JSON.stringify({
currentVersion: '1.0.0',
architecture: 'arm64-v8a'
})
})
.then(r => r.json())
.then(console.log)
