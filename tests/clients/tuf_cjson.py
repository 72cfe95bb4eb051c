#!/usr/bin/env python3
"""Cross-checks our TUF output against the reference implementation (securesystemslib 1.6.0,
python-tuf 7.0.1), run by generator/tests/tuf.rs:

  tuf_cjson.py cjson CASES.json     each case {"json": text, "canonical_hex": our bytes}:
                                    securesystemslib's encode_canonical must give the same bytes
  tuf_cjson.py verify SITE          every metadata file of SITE/metadata: python-tuf parses it,
                                    its file bytes equal encode_canonical of the envelope, root
                                    N+1 verifies with root N, root verifies targets and snapshot,
                                    targets verifies each delegated role
  tuf_cjson.py client SITE TS PATH...
                                    ngclient refreshes from SITE (TS = an edge-signed
                                    timestamp.json, served as /metadata/timestamp.json),
                                    downloads each target PATH from <dir>/<sha256>.<name>, and
                                    prints {path: custom} as JSON

Exits non-zero with a message on the first mismatch.
"""

import json
import os
import sys
import tempfile
import urllib.parse

try:
    from securesystemslib.formats import encode_canonical
    from tuf.api.exceptions import DownloadHTTPError
    from tuf.api.metadata import Metadata
    from tuf.ngclient import FetcherInterface, Updater
except ImportError as e:  # pragma: no cover
    sys.exit(
        f"{e}: install the reference implementation: "
        'python3 -m pip install "securesystemslib==1.6.0" "tuf==7.0.1"'
    )


def fail(msg):
    sys.exit(f"tuf_cjson.py: {msg}")


def cjson(cases_file):
    with open(cases_file, encoding="utf-8") as f:
        cases = json.load(f)
    for i, case in enumerate(cases):
        value = json.loads(case["json"])
        ours = bytes.fromhex(case["canonical_hex"])
        theirs = encode_canonical(value).encode("utf-8")
        if ours != theirs:
            fail(f"case {i} {case['json'][:80]!r}: ours {ours!r} != securesystemslib {theirs!r}")
    print(f"{len(cases)} canonical JSON cases match securesystemslib")


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    md = Metadata.from_bytes(data)
    raw = json.loads(data)
    canonical = encode_canonical(raw).encode("utf-8")
    if data != canonical:
        fail(f"{path}: file bytes are not securesystemslib's canonical JSON of the envelope")
    # What python-tuf signs over: to_dict() re-serialised. Must equal the raw signed part.
    if encode_canonical(md.signed.to_dict()) != encode_canonical(raw["signed"]):
        fail(f"{path}: python-tuf re-serialises signed differently (a field it drops or rewrites)")
    return md


def verify(site):
    meta = os.path.join(site, "metadata")
    names = os.listdir(meta)
    roots = sorted(int(n.split(".")[0]) for n in names if n.endswith(".root.json"))
    if roots != list(range(1, len(roots) + 1)):
        fail(f"root history is not 1..N: {roots}")
    prev = None
    for n in roots:
        root = load(os.path.join(meta, f"{n}.root.json"))
        if root.signed.version != n:
            fail(f"{n}.root.json has version {root.signed.version}")
        root.verify_delegate("root", root)
        if prev is not None:
            prev.verify_delegate("root", root)
        prev = root
    root = prev

    def only(role):
        found = [n for n in names if n.endswith(f".{role}.json") and n.split(".")[0].isdigit()]
        if len(found) != 1:
            fail(f"expected one versioned {role}.json, found {found}")
        return load(os.path.join(meta, found[0]))

    snapshot = only("snapshot")
    root.verify_delegate("snapshot", snapshot)
    targets = only("targets")
    root.verify_delegate("targets", targets)
    if snapshot.signed.meta["targets.json"].version != targets.signed.version:
        fail("snapshot does not list the targets version")
    count = 0
    for role in targets.signed.delegations.roles.values():
        entry = snapshot.signed.meta.get(f"{role.name}.json")
        if entry is None:
            fail(f"snapshot lacks delegated role {role.name}")
        md = load(os.path.join(meta, f"{entry.version}.{urllib.parse.quote(role.name, '')}.json"))
        targets.verify_delegate(role.name, md)
        count += 1
    print(f"python-tuf verified {len(roots)} root(s), targets, snapshot and {count} delegated roles")


class SiteFetcher(FetcherInterface):
    """Serves SITE as http://site/, and the given timestamp at /metadata/timestamp.json."""

    def __init__(self, site, timestamp):
        self.site = site
        self.timestamp = timestamp

    def _fetch(self, url):
        path = urllib.parse.urlparse(url).path.lstrip("/")
        if path == "metadata/timestamp.json":
            return iter([self.timestamp])
        full = os.path.join(self.site, path)
        if not os.path.isfile(full):
            raise DownloadHTTPError(f"not found: {path}", 404)
        with open(full, "rb") as f:
            return iter([f.read()])


def client(site, timestamp_file, paths):
    with open(timestamp_file, "rb") as f:
        timestamp = f.read()
    with open(os.path.join(site, "metadata", "1.root.json"), "rb") as f:
        bootstrap = f.read()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        metadata_dir = os.path.join(tmp, "metadata")
        target_dir = os.path.join(tmp, "targets")
        os.makedirs(metadata_dir)
        os.makedirs(target_dir)
        updater = Updater(
            metadata_dir=metadata_dir,
            metadata_base_url="http://site/metadata/",
            target_dir=target_dir,
            target_base_url="http://site/",
            fetcher=SiteFetcher(site, timestamp),
            bootstrap=bootstrap,
        )
        updater.refresh()
        for p in paths:
            info = updater.get_targetinfo(p)
            if info is None:
                fail(f"target {p} not found by the client")
            local = updater.download_target(info)
            with open(local, "rb") as f:
                if len(f.read()) != info.length:
                    fail(f"{p}: wrong length")
            out[p] = info.custom
    print(json.dumps(out, sort_keys=True))


def main(argv):
    if len(argv) >= 2 and argv[0] == "cjson":
        cjson(argv[1])
    elif len(argv) >= 2 and argv[0] == "verify":
        verify(argv[1])
    elif len(argv) >= 3 and argv[0] == "client":
        client(argv[1], argv[2], argv[3:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
