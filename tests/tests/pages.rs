//! The download portal in a real browser: the example's pages served by the real worker under
//! `wrangler dev`, rendered by headless Chromium (Debian's `chromium`), their links followed
//! over HTTP, the QR codes decoded from phone-sized screenshots and the iOS install manifests
//! parsed; and the publisher's `--templates` on the real generator.

use e2e_tests::{Edge, example_copy, example_dir, read_tree, run_generator, stdout_json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `base_url` of `example/site.toml`: the absolute links in the pages (QR codes, install
/// manifests) start with it; the test's worker listens on another port, so requests go there.
const SITE_BASE: &str = "http://127.0.0.1:8787";

// ---------------------------------------------------------------------------------------------
// A parsed DOM, owned, with the few queries the tests need.

/// An element of Chromium's serialized DOM.
#[derive(Debug, Default)]
struct El {
    tag: String,
    attrs: BTreeMap<String, String>,
    children: Vec<El>,
    /// Text directly inside, and of every descendant, entities decoded.
    text: String,
}

impl El {
    fn parse(html: &str) -> El {
        let dom = tl::parse(html, tl::ParserOptions::default()).expect("parse the DOM");
        let parser = dom.parser();
        let mut root = El {
            tag: "#document".to_owned(),
            ..El::default()
        };
        for h in dom.children() {
            if let Some(node) = h.get(parser) {
                convert(node, parser, &mut root);
            }
        }
        root
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }

    /// Every descendant (depth first) that `f` accepts.
    fn all(&self, f: &dyn Fn(&El) -> bool) -> Vec<&El> {
        let mut out = Vec::new();
        for c in &self.children {
            if f(c) {
                out.push(c);
            }
            out.extend(c.all(f));
        }
        out
    }

    fn by_class(&self, tag: &str, class: &str) -> Vec<&El> {
        self.all(&|e| e.tag == tag && e.has_class(class))
    }

    fn one(&self, tag: &str, class: &str) -> &El {
        let found = self.by_class(tag, class);
        assert_eq!(
            found.len(),
            1,
            "expected one {tag}.{class}, found {}",
            found.len()
        );
        found[0]
    }
}

fn convert(node: &tl::Node<'_>, parser: &tl::Parser<'_>, parent: &mut El) {
    match node {
        tl::Node::Tag(tag) => {
            let mut el = El {
                tag: tag.name().as_utf8_str().to_ascii_lowercase(),
                ..El::default()
            };
            for (k, v) in tag.attributes().iter() {
                el.attrs
                    .insert(k.to_ascii_lowercase(), unescape(v.as_deref().unwrap_or("")));
            }
            for h in tag.children().top().iter() {
                if let Some(child) = h.get(parser) {
                    convert(child, parser, &mut el);
                }
            }
            parent.text.push_str(&el.text);
            parent.children.push(el);
        }
        tl::Node::Raw(text) => parent.text.push_str(&unescape(&text.as_utf8_str())),
        tl::Node::Comment(_) => {}
    }
}

/// The entities Chromium writes when it serializes a DOM.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// Headless Chromium.

/// Debian's `chromium` (`CHROMIUM` names another binary). Missing, the test fails: CI installs
/// it (`scripts/setup.sh`), and a skipped browser test would hide a broken portal.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "CHROMIUM={} is not a file", p.display());
        return p;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not installed: the page tests render the portal in headless Chromium. \
             Install it (Debian: `apt-get install -y chromium`, as scripts/setup.sh does) or set \
             CHROMIUM to its path"
        )
    })
}

/// One headless Chromium process per page, each with its own profile directory.
struct Browser {
    dir: tempfile::TempDir,
    runs: std::cell::Cell<u32>,
}

impl Browser {
    fn new() -> Browser {
        Browser {
            dir: tempfile::tempdir().expect("tempdir"),
            runs: std::cell::Cell::new(0),
        }
    }

    /// Runs Chromium on `url` with `args` and returns its stdout. A run that has not finished
    /// after two minutes is stopped (its whole process group, which only it is in) and fails
    /// the test: a guard against a hung browser, not a measurement.
    fn run(&self, url: &str, args: &[&str]) -> String {
        use std::os::unix::process::CommandExt;
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let profile = self.dir.path().join(format!("profile-{n}"));
        let out_path = self.dir.path().join(format!("stdout-{n}"));
        let err_path = self.dir.path().join(format!("stderr-{n}"));
        let mut child = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--no-first-run",
                "--disable-extensions",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .arg(url)
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .process_group(0)
            .spawn()
            .expect("start chromium");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait for chromium") {
                break s;
            }
            if std::time::Instant::now() > deadline {
                let _ = Command::new("kill")
                    .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
                panic!("chromium did not finish on {url}");
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
        assert!(status.success(), "chromium failed on {url}: {stderr}");
        std::fs::read_to_string(&out_path).expect("chromium output")
    }

    /// The DOM after loading `url`.
    fn dom(&self, url: &str) -> String {
        let html = self.run(url, &["--dump-dom"]);
        assert!(html.contains("</html>"), "no DOM for {url}: {html}");
        html
    }

    /// A PNG screenshot of `url` in a `width`×`height` window.
    fn screenshot(&self, url: &str, width: u32, height: u32, name: &str) -> PathBuf {
        let file = self.dir.path().join(name);
        self.run(
            url,
            &[
                &format!("--window-size={width},{height}"),
                &format!("--screenshot={}", file.display()),
            ],
        );
        assert!(file.is_file(), "no screenshot of {url}");
        // Kept for a human to look at when `PAGES_SCREENSHOTS` names a directory.
        if let Some(dir) = std::env::var_os("PAGES_SCREENSHOTS") {
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::copy(&file, Path::new(&dir).join(name));
        }
        file
    }
}

/// Every QR code in a PNG, decoded.
fn qr_codes(png: &Path) -> BTreeSet<String> {
    let img = image::open(png).expect("read screenshot").to_luma8();
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        img.get_pixel(u32::try_from(x).expect("x"), u32::try_from(y).expect("y"))[0]
    });
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().expect("decode a QR code").1)
        .collect()
}

/// Asserts that nothing runs off the right edge of a phone-sized screenshot: the layout is
/// symmetric (centred column, equal margins), so every row's rightmost pixels must equal its
/// leftmost ones; text or a box wider than the screen breaks that on the right only.
fn assert_fits_width(png: &Path) {
    let img = image::open(png).expect("read screenshot").to_rgb8();
    let w = img.width();
    for y in 0..img.height() {
        for dx in 0..8 {
            assert_eq!(
                img.get_pixel(w - 1 - dx, y),
                img.get_pixel(dx, y),
                "{}: something runs off the right edge at row {y}",
                png.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP against the worker.

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// GET an absolute URL (one under the example's base_url goes to the test's worker): status
/// and body bytes.
fn fetch(edge: &Edge, url: &str) -> (u16, Vec<u8>) {
    let url = local(edge, url);
    let resp = match ureq::get(&url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("GET {url}: {e}"),
    };
    let status = resp.status();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).expect("read body");
    (status, body)
}

fn local(edge: &Edge, url: &str) -> String {
    match url.strip_prefix(SITE_BASE) {
        Some(rest) => format!("{}{rest}", edge.base),
        None => url.to_owned(),
    }
}

/// An `href` of the page at `page` made absolute, on the site's public origin.
fn resolve(page: &str, href: &str) -> String {
    url::Url::parse(&format!("{SITE_BASE}{page}"))
        .and_then(|u| u.join(href))
        .expect("a valid link")
        .to_string()
}

/// The external artifact URLs the example's manifests state (not fetchable from the test).
fn stated_external_urls() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in walk(&example_dir().join("releases")) {
        let text = std::fs::read_to_string(&entry).expect("read manifest");
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("url = \"") {
                out.insert(v.split('"').next().unwrap_or("").to_owned());
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    out
}

/// The page's `<a>` elements, each with its resolved absolute URL, after the checks every
/// page gets: no script, a viewport for phones, a style sheet that is served, and every link
/// on the site answering 200.
fn check_page<'a>(edge: &Edge, path: &str, page: &'a El) -> Vec<(&'a El, String)> {
    assert!(
        page.all(&|e| e.tag == "script").is_empty(),
        "{path} has a <script>: the portal works without JavaScript"
    );
    let viewport = page.all(&|e| e.tag == "meta" && e.attr("name") == Some("viewport"));
    assert_eq!(viewport.len(), 1, "{path} needs a viewport meta for phones");
    assert!(
        viewport[0]
            .attr("content")
            .is_some_and(|c| c.contains("width=device-width"))
    );
    let css = page.all(&|e| e.tag == "link" && e.attr("rel") == Some("stylesheet"));
    assert_eq!(css.len(), 1, "{path}: one style sheet");
    let (status, body) = fetch(edge, &resolve(path, css[0].attr("href").expect("href")));
    assert_eq!(status, 200, "{path}: style sheet");
    assert!(String::from_utf8_lossy(&body).contains("max-width"));

    let external = stated_external_urls();
    let mut links = Vec::new();
    for a in page.all(&|e| e.tag == "a") {
        let href = a
            .attr("href")
            .unwrap_or_else(|| panic!("{path}: <a> without href"));
        let url = if href.starts_with("itms-services:") {
            href.to_owned()
        } else {
            resolve(path, href)
        };
        if url.starts_with(SITE_BASE) {
            let (status, _) = fetch(edge, &url);
            assert_eq!(status, 200, "{path}: link {href} ({url})");
        } else if !url.starts_with("itms-services:") {
            assert!(
                external.contains(&url),
                "{path}: link {url} leaves the site but is no artifact URL of a manifest"
            );
        }
        links.push((a, url));
    }
    links
}

/// Each `.artifact` block's download link resolves to a file whose sha256 is the one the
/// block shows; returns (url, shown sha256) of each download.
fn check_downloads(edge: &Edge, path: &str, page: &El) -> Vec<(String, String)> {
    let external = stated_external_urls();
    let mut out = Vec::new();
    for block in page.by_class("div", "artifact") {
        let shown = block.one("code", "sha256").text.trim().to_owned();
        assert_eq!(shown.len(), 64, "{path}: sha256 shown as {shown:?}");
        for a in block.by_class("a", "download") {
            let url = resolve(path, a.attr("href").expect("href"));
            if external.contains(&url) {
                out.push((url, shown.clone()));
                continue;
            }
            let (status, body) = fetch(edge, &url);
            assert_eq!(status, 200, "{path}: download {url}");
            assert_eq!(
                sha256_hex(&body),
                shown,
                "{path}: {url} is not the file shown"
            );
            assert!(
                block.text.contains(&format!("({} bytes)", body.len()))
                    || block.text.contains(&human(body.len())),
                "{path}: size of {url} not shown: {}",
                block.text
            );
            out.push((url, shown.clone()));
        }
    }
    out
}

fn human(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes}\u{a0}B")
    } else {
        format!("{:.1}\u{a0}KiB", bytes as f64 / 1024.0)
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn portal_renders_in_chromium_and_its_links_and_qr_codes_point_where_they_should() {
    let site_toml = std::fs::read_to_string(example_dir().join("site.toml")).expect("site.toml");
    assert!(site_toml.contains(&format!("base_url = \"{SITE_BASE}\"")));
    let edge = Edge::start();
    let browser = Browser::new();
    let dom = |path: &str| El::parse(&browser.dom(&format!("{}{path}", edge.base)));

    // The site root lists the public apps, never the private one.
    let index = dom("/");
    let links = check_page(&edge, "/", &index);
    // Pages are revalidated after a minute, like the index files they are made from.
    for path in ["/", "/apps/android-demo/", "/apps/android-demo/stable/"] {
        let reply = edge.send("GET", path, &[], None);
        assert_eq!(
            reply.header("cache-control"),
            Some("public, max-age=60, must-revalidate"),
            "{path}"
        );
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
    }
    let app_links: BTreeSet<&str> = links
        .iter()
        .filter_map(|(_, u)| u.strip_prefix(&format!("{SITE_BASE}/apps/")))
        .filter_map(|rest| rest.strip_suffix('/'))
        .filter(|rest| !rest.contains('/'))
        .collect();
    assert_eq!(
        app_links,
        BTreeSet::from([
            "android-demo",
            "desktop-editor",
            "ios-demo",
            "remote-config",
            "windows-tool"
        ])
    );
    assert!(
        !index.text.contains("Desktop Pro"),
        "private app on the index"
    );
    assert_eq!(
        edge.get("/apps/desktop-pro/").0,
        404,
        "private app has a page"
    );
    assert_eq!(edge.get("/apps/desktop-pro/stable/").0, 404);

    // The app page: its channels with the latest version per architecture.
    let app = dom("/apps/android-demo/");
    check_page(&edge, "/apps/android-demo/", &app);
    assert!(app.text.contains("ARM64: 1.2.0"), "{}", app.text);
    assert!(app.text.contains("ARMv7: 1.1.0"), "{}", app.text);

    // The Android channel: the latest per architecture, then the history.
    let path = "/apps/android-demo/stable/";
    let page = dom(path);
    check_page(&edge, path, &page);
    let downloads = check_downloads(&edge, path, &page);
    let cards = page.by_class("article", "arch");
    assert_eq!(cards.len(), 2);
    let latest_primary = |card: &El| -> (String, String) {
        assert!(card.text.contains("Version"), "{}", card.text);
        let block = card.one("div", "primary");
        let a = block.one("a", "download");
        (
            resolve(path, a.attr("href").expect("href")),
            block.one("code", "sha256").text.clone(),
        )
    };
    let (arm64, _) = latest_primary(cards[0]);
    let (armv7, _) = latest_primary(cards[1]);
    assert!(arm64.contains("/android-demo/1.2.0/") && arm64.ends_with("arm64-v8a.apk"));
    assert!(armv7.contains("/android-demo/1.1.0/") && armv7.ends_with("armeabi-v7a.apk"));
    // The history: newest first, drafts never; the staged release marked, with its link;
    // the yanked one marked, without any.
    let releases = page.by_class("li", "release");
    let versions: Vec<&str> = releases
        .iter()
        .map(|r| r.attr("id").expect("id").trim_start_matches('v'))
        .collect();
    assert_eq!(versions, ["1.4.0", "1.3.0", "1.2.0", "1.1.0", "1.0.0"]);
    assert!(releases[0].text.contains("rolling out to 25%"));
    assert_eq!(releases[0].by_class("a", "download").len(), 1);
    assert!(releases[1].has_class("yanked") && releases[1].text.contains("yanked"));
    assert!(
        releases[1].all(&|e| e.tag == "a").is_empty(),
        "a yanked release has no link"
    );
    assert!(releases[1].text.contains("Pulled: crashes on start"));
    for r in &releases[2..] {
        assert!(!r.has_class("yanked"));
        assert!(!r.by_class("a", "download").is_empty());
    }
    assert!(
        downloads.iter().any(|(u, _)| u == &arm64) && downloads.iter().any(|(u, _)| u == &armv7)
    );
    // QR codes of the absolute download links: on a phone screen the first is readable, and a
    // tall window shows both.
    let phone = browser.screenshot(&format!("{}{path}", edge.base), 390, 844, "android.png");
    assert_eq!(qr_codes(&phone), BTreeSet::from([arm64.clone()]));
    assert_fits_width(&phone);
    let tall = browser.screenshot(
        &format!("{}{path}", edge.base),
        390,
        2400,
        "android-tall.png",
    );
    assert_eq!(
        qr_codes(&tall),
        BTreeSet::from([arm64.clone(), armv7.clone()])
    );
    let labels: Vec<&str> = page
        .all(&|e| e.tag == "svg" && e.has_class("qr-code"))
        .iter()
        .map(|s| s.attr("aria-label").expect("label"))
        .collect();
    assert_eq!(
        labels,
        [format!("QR code: {arm64}"), format!("QR code: {armv7}")]
    );

    // iOS: the QR code opens this page on the phone; the install link names a manifest whose
    // package is the .ipa the page shows.
    for (channel, version) in [("release", "2.1.0"), ("adhoc", "2.1.0")] {
        let path = format!("/apps/ios-demo/{channel}/");
        let page = dom(&path);
        let links = check_page(&edge, &path, &page);
        check_downloads(&edge, &path, &page);
        let card = &page.by_class("article", "arch")[0];
        assert!(
            card.text.contains(&format!("Version {version}")),
            "{}",
            card.text
        );
        let shown = card
            .one("div", "primary")
            .one("code", "sha256")
            .text
            .clone();
        let install = card
            .one("a", "install")
            .attr("href")
            .expect("href")
            .to_owned();
        let manifest_url = install
            .strip_prefix("itms-services://?action=download-manifest&url=")
            .unwrap_or_else(|| panic!("not an install link: {install}"));
        let manifest_url = percent_decode(manifest_url);
        assert_eq!(
            manifest_url,
            format!("{SITE_BASE}/apps/ios-demo/{channel}/{version}/default/manifest.plist")
        );
        let (status, plist_bytes) = fetch(&edge, &manifest_url);
        assert_eq!(status, 200, "{manifest_url}");
        let reply = edge.send(
            "GET",
            &local(&edge, &manifest_url).replace(&edge.base, ""),
            &[],
            None,
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/xml"),
            "{manifest_url}"
        );
        let plist = plist::Value::from_reader_xml(plist_bytes.as_slice()).expect("a plist");
        let item = &plist.as_dictionary().expect("dict")["items"]
            .as_array()
            .expect("items")[0];
        let item = item.as_dictionary().expect("item");
        let asset = item["assets"].as_array().expect("assets")[0]
            .as_dictionary()
            .expect("asset");
        assert_eq!(asset["kind"].as_string(), Some("software-package"));
        let package = asset["url"].as_string().expect("url");
        let (status, ipa) = fetch(&edge, package);
        assert_eq!(status, 200, "{package}");
        assert_eq!(
            sha256_hex(&ipa),
            shown,
            "the manifest's package is the .ipa shown"
        );
        let meta = item["metadata"].as_dictionary().expect("metadata");
        assert_eq!(
            meta["bundle-identifier"].as_string(),
            Some("com.example.demo.ios")
        );
        assert_eq!(meta["bundle-version"].as_string(), Some(version));
        assert_eq!(meta["kind"].as_string(), Some("software"));
        assert_eq!(meta["title"].as_string(), Some("Demo for iOS"));
        // Every .ipa of the history has its install link too.
        let installs = links
            .iter()
            .filter(|(_, u)| u.starts_with("itms-services:"))
            .count();
        assert!(installs >= 2, "{path}: {installs} install links");
        let shot = browser.screenshot(
            &format!("{}{path}", edge.base),
            390,
            844,
            &format!("ios-{channel}.png"),
        );
        assert_eq!(
            qr_codes(&shot),
            BTreeSet::from([format!("{SITE_BASE}{path}")])
        );
        assert_fits_width(&shot);
    }

    // Desktop and configuration apps: downloads, no QR code.
    for path in ["/apps/windows-tool/stable/", "/apps/remote-config/stable/"] {
        let page = dom(path);
        check_page(&edge, path, &page);
        let downloads = check_downloads(&edge, path, &page);
        assert!(page.all(&|e| e.tag == "svg").is_empty(), "{path}: QR code");
        let shot = browser.screenshot(
            &format!("{}{path}", edge.base),
            390,
            1600,
            &format!("{}.png", path.trim_matches('/').replace('/', "-")),
        );
        assert_fits_width(&shot);
        if path.contains("windows") {
            // Latest: Windows and Linux; history: 1.1.0 both, 1.0.0 Windows only.
            assert_eq!(downloads.len(), 5, "{downloads:?}");
            assert!(page.text.contains("Linux x64"));
        } else {
            assert!(downloads.is_empty());
            assert!(page.text.contains("nothing to download"));
        }
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// `--templates DIR`, on the real generator.

fn build(root: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "build",
        "--no-cache",
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    run_generator(&args)
}

#[test]
fn custom_template_replaces_its_page_only() {
    let (tmp, root) = example_copy();
    let templates = tmp.path().join("my-templates");
    std::fs::create_dir_all(&templates).expect("mkdir");
    std::fs::write(
        templates.join("index.html"),
        "{% extends \"base.html\" %}{% block content %}<p id=\"custom\">{% for a in apps %}\
         {{ a.id }}={{ a.channels | length }} {% endfor %}</p>{% endblock content %}",
    )
    .expect("write");
    std::fs::write(templates.join("style.css"), "body { max-width: 1px }\n").expect("write");
    let (plain, custom) = (tmp.path().join("plain"), tmp.path().join("custom"));
    let o = build(&root, &plain, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = build(
        &root,
        &custom,
        &["--templates", templates.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (a, b) = (read_tree(&plain), read_tree(&custom));
    let index = String::from_utf8_lossy(&b["index.html"]).into_owned();
    assert!(
        index.contains(
            "<p id=\"custom\">android-demo=1 desktop-editor=1 ios-demo=2 remote-config=1 \
             windows-tool=1 </p>"
        ),
        "{index}"
    );
    assert!(
        index.contains("<meta name=\"viewport\""),
        "base.html stays built-in"
    );
    assert_eq!(b["style.css"], b"body { max-width: 1px }\n");
    // The snapshot lists the two changed files' digests, so it changes with them; so does the
    // TUF metadata (docs/tuf.md), with the two files' hash-prefixed copies.
    let tuf = |k: &str| {
        k.starts_with("metadata/")
            || k.split_once('.')
                .is_some_and(|(h, _)| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    let changed: Vec<&String> = a
        .keys()
        .filter(|k| !tuf(k) && a.get(*k) != b.get(*k))
        .collect();
    assert_eq!(changed, ["index.html", "snapshot.json", "style.css"]);
}

/// `validate --templates DIR --format json` on the example: the problems, as (file, message,
/// hint).
fn template_problems(files: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let (tmp, root) = example_copy();
    let templates = tmp.path().join("t");
    std::fs::create_dir_all(&templates).expect("mkdir");
    for (name, text) in files {
        std::fs::write(templates.join(name), text).expect("write");
    }
    let o = run_generator(&[
        "validate",
        "--no-cache",
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
        "--templates",
        templates.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = stdout_json(&o);
    v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            let file = p["file"].as_str().expect("file");
            let rel = Path::new(file)
                .strip_prefix(&templates)
                .map_or_else(|_| file.to_owned(), |r| r.display().to_string());
            (
                rel,
                p["message"].as_str().unwrap_or("").to_owned(),
                p["hint"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn broken_template_is_a_problem_naming_the_file() {
    // A syntax error: the file and its line.
    let p = template_problems(&[(
        "channel.html",
        "{% extends \"base.html\" %}\n{% block content %}\n{% for r in %}{% endfor %}\n{% endblock content %}",
    )]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "channel.html");
    assert!(p[0].1.contains("3:"), "line of the error: {}", p[0].1);
    assert!(p[0].2.contains("remove the file"), "{}", p[0].2);

    // A variable the template does not receive: found when validate renders the example.
    let p = template_problems(&[("app.html", "<h1>{{ app.name }}</h1>{{ app.nickname }}")]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "app.html");
    assert!(p[0].1.contains("app.nickname"), "{}", p[0].1);
    assert!(p[0].2.contains("docs/pages.md"), "{}", p[0].2);

    // A parent that is not in the set, and a file that is not a template of the site.
    let p = template_problems(&[
        ("index.html", "{% extends \"layout.html\" %}"),
        ("footer.html", "x"),
    ]);
    let files: Vec<&str> = p.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(files, ["footer.html", "index.html"], "{p:?}");
    assert!(
        p[0].2.contains("channel.html"),
        "the hint lists the names: {}",
        p[0].2
    );
    assert!(p[1].1.contains("layout.html"), "{}", p[1].1);
}

#[test]
fn without_base_url_pages_have_no_qr_code_or_install_link_and_the_build_warns() {
    let (tmp, root) = example_copy();
    let site = root.join("site.toml");
    let text = std::fs::read_to_string(&site).expect("read");
    std::fs::write(
        &site,
        text.replace(&format!("base_url = \"{SITE_BASE}\""), ""),
    )
    .expect("write");
    // Sparkle and Tauri feeds need base_url (docs/feeds.md): this page test turns them off.
    let editor = root.join("apps/desktop-editor.toml");
    let text = std::fs::read_to_string(&editor).expect("read");
    std::fs::write(
        &editor,
        text.replace("sparkle = true", "sparkle = false")
            .replace("tauri = true", "tauri = false"),
    )
    .expect("write");
    let out = tmp.path().join("site");
    let o = Command::new(e2e_tests::generator())
        .args(["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .env("GENERATOR_LOG", "warn")
        .output()
        .expect("run generator");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("no base_url") && stderr.contains("android-demo, ios-demo"),
        "{stderr}"
    );
    let tree = read_tree(&out);
    assert!(
        !tree.keys().any(|k| k.ends_with(".plist")),
        "no install manifests"
    );
    for (path, bytes) in tree.iter().filter(|(k, _)| k.ends_with(".html")) {
        let html = String::from_utf8_lossy(bytes);
        assert!(!html.contains("<svg"), "{path} has a QR code");
        assert!(
            !html.contains("itms-services"),
            "{path} has an install link"
        );
    }
    // The downloads are still there, site-relative.
    let page = El::parse(&String::from_utf8_lossy(
        &tree["apps/android-demo/stable/index.html"],
    ));
    let first = page.by_class("a", "download")[0]
        .attr("href")
        .expect("href");
    assert!(
        first.starts_with("../../../artifacts/android-demo/1.2.0/"),
        "{first}"
    );
}

#[test]
fn ipa_of_an_app_without_bundle_id_is_a_problem() {
    let (_tmp, root) = example_copy();
    let app = root.join("apps/ios-demo.toml");
    let text = std::fs::read_to_string(&app).expect("read");
    std::fs::write(
        &app,
        text.replace("bundle_id = \"com.example.demo.ios\"\n", ""),
    )
    .expect("write");
    let o = run_generator(&[
        "validate",
        "--no-cache",
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = stdout_json(&o);
    let p = &v["problems"][0];
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(p["file"], "apps/ios-demo.toml");
    assert_eq!(p["field"], "bundle_id");
    assert!(p["message"].as_str().unwrap_or("").contains(".ipa"), "{p}");
    assert!(
        p["hint"]
            .as_str()
            .unwrap_or("")
            .contains("CFBundleIdentifier"),
        "{p}"
    );
}

#[test]
fn manifest_text_is_escaped_in_pages_and_install_manifests() {
    let (tmp, root) = example_copy();
    let hostile = "<script>alert(1)</script> & \\\"quotes\\\" 'single'";
    let edit = |rel: &str, from: &str, to: &str| {
        let p = root.join(rel);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{rel}: {from}");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
    };
    edit(
        "releases/android-demo/1.2.0.toml",
        "- New settings screen",
        &format!("- {hostile}"),
    );
    edit(
        "apps/ios-demo.toml",
        "name = \"Demo for iOS\"",
        &format!("name = \"{hostile}\""),
    );
    let out = tmp.path().join("site");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = read_tree(&out);
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;single&#39;";
    let page = String::from_utf8_lossy(&tree["apps/android-demo/stable/index.html"]).into_owned();
    assert!(page.contains(escaped), "{page}");
    for (path, bytes) in tree.iter().filter(|(k, _)| k.ends_with(".html")) {
        assert!(
            !String::from_utf8_lossy(bytes).contains("<script"),
            "{path} has a script"
        );
    }
    let plist_path = "apps/ios-demo/release/2.1.0/default/manifest.plist";
    let plist = plist::Value::from_reader_xml(tree[plist_path].as_slice()).expect("valid XML");
    let title = plist.as_dictionary().expect("dict")["items"]
        .as_array()
        .expect("items")[0]
        .as_dictionary()
        .expect("item")["metadata"]
        .as_dictionary()
        .expect("metadata")["title"]
        .as_string()
        .map(str::to_owned);
    assert_eq!(
        title.as_deref(),
        Some("<script>alert(1)</script> & \"quotes\" 'single'")
    );
}

#[test]
fn with_artifact_base_url_downloads_and_qr_codes_point_at_the_bucket() {
    let repo = e2e_tests::repo::Repo::new(e2e_tests::generator().to_str().expect("utf-8"));
    repo.append(
        "site.toml",
        "artifact_base_url = \"https://cdn.example.com\"\n",
    );
    let (tmp, root) = (&repo.tmp, repo.root.clone());
    let out = tmp.path().join("site");
    let o = build(&root, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let tree = read_tree(&out);
    // The file as written (the browser test reads Chromium's DOM instead): the first primary
    // download and the first QR code are the ARM64 card's.
    let html = String::from_utf8_lossy(&tree["apps/android-demo/stable/index.html"]).into_owned();
    let after = |marker: &str| -> String {
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} in {html}"))
            + marker.len();
        html[start..].split('"').next().unwrap_or("").to_owned()
    };
    let href = after("<a class=\"download button\" href=\"");
    assert!(
        href.starts_with("https://cdn.example.com/artifacts/android-demo/1.2.0/"),
        "{href}"
    );
    assert_eq!(after("aria-label=\"QR code: "), href);
    let plist = &tree["apps/ios-demo/release/2.1.0/default/manifest.plist"];
    let plist = plist::Value::from_reader_xml(plist.as_slice()).expect("plist");
    let url = plist.as_dictionary().expect("dict")["items"]
        .as_array()
        .expect("items")[0]
        .as_dictionary()
        .expect("item")["assets"]
        .as_array()
        .expect("assets")[0]
        .as_dictionary()
        .expect("asset")["url"]
        .as_string()
        .map(str::to_owned);
    assert!(
        url.as_deref()
            .is_some_and(|u| u.starts_with("https://cdn.example.com/artifacts/ios-demo/2.1.0/")),
        "{url:?}"
    );
}

#[test]
fn width_check_catches_a_page_wider_than_the_phone() {
    // The built-in style sheet without its wrapping rules: the 64-character digests then run
    // off a 390 px screen, and the check used on the served pages must see it.
    let (tmp, root) = example_copy();
    let templates = tmp.path().join("t");
    std::fs::create_dir_all(&templates).expect("mkdir");
    let css = std::fs::read_to_string(e2e_tests::workspace_root().join("templates/style.css"))
        .expect("style.css");
    let unwrapped: String = css
        .lines()
        .filter(|l| !l.starts_with(".sha256"))
        .map(|l| {
            l.replace("overflow-wrap: anywhere;", "")
                .replace("min-width: 0;", "")
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(unwrapped, css);
    std::fs::write(templates.join("style.css"), unwrapped).expect("write");
    let out = tmp.path().join("site");
    let o = build(
        &root,
        &out,
        &["--templates", templates.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let browser = Browser::new();
    let page = format!(
        "file://{}",
        out.join("apps/android-demo/stable/index.html").display()
    );
    let shot = browser.screenshot(&page, 390, 844, "unwrapped.png");
    let caught = std::panic::catch_unwind(|| assert_fits_width(&shot));
    assert!(
        caught.is_err(),
        "an overflowing page passed the width check"
    );
    // And the built-in style sheet, on the same file, passes.
    std::fs::remove_file(templates.join("style.css")).expect("rm");
    let o = build(
        &root,
        &out,
        &["--templates", templates.to_str().expect("utf-8")],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let shot = browser.screenshot(&page, 390, 844, "wrapped.png");
    assert_fits_width(&shot);
}
