"""One refresh of python-tuf's ngclient (tuf==7.0.1) against a TUF repository, then one target.

    python3 tuf_client.py STATE_DIR TRUSTED_ROOT METADATA_BASE_URL TARGET_BASE_URL TARGET_PATH

STATE_DIR keeps the client's trusted metadata between runs, as an installed app keeps it;
TRUSTED_ROOT (the app's shipped 1.root.json) seeds it on the first run. Prints one JSON object
on stdout: {"ok": true, "timestamp_version", "snapshot_version", "custom", "length",
"sha256"} after refreshing, reading the target's info and downloading it (hash-checked by the
client), or {"ok": false, "error": <exception class>, "message"} when any step raises.
"""

import hashlib
import json
import os
import shutil
import sys

from tuf.ngclient import Updater


def main() -> None:
    state, trusted_root, metadata_url, target_url, target_path = sys.argv[1:6]
    metadata_dir = os.path.join(state, "metadata")
    target_dir = os.path.join(state, "targets")
    os.makedirs(metadata_dir, exist_ok=True)
    os.makedirs(target_dir, exist_ok=True)
    if not os.path.exists(os.path.join(metadata_dir, "root.json")):
        shutil.copyfile(trusted_root, os.path.join(metadata_dir, "root.json"))
    try:
        updater = Updater(
            metadata_dir=metadata_dir,
            metadata_base_url=metadata_url,
            target_dir=target_dir,
            target_base_url=target_url,
            # The cached trusted root (seeded above, then updated by the client).
            bootstrap=None,
        )
        updater.refresh()
        info = updater.get_targetinfo(target_path)
        if info is None:
            raise LookupError(f"no target {target_path}")
        # A fresh download every run: the client must fetch and check the served bytes.
        path = os.path.join(target_dir, "download")
        if os.path.exists(path):
            os.remove(path)
        updater.download_target(info, path)
        with open(path, "rb") as f:
            data = f.read()
    except Exception as e:  # noqa: BLE001 - the class name is the result
        print(json.dumps({"ok": False, "error": type(e).__name__, "message": str(e)}))
        return

    def version(role: str) -> int:
        with open(os.path.join(metadata_dir, f"{role}.json"), "rb") as f:
            return json.load(f)["signed"]["version"]

    print(
        json.dumps(
            {
                "ok": True,
                "timestamp_version": version("timestamp"),
                "snapshot_version": version("snapshot"),
                "custom": info.custom,
                "length": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    )


if __name__ == "__main__":
    main()
