# The Python example of shared/seeds/004_15c16bb84da9dbaa.txt, unchanged except for the base URL
# and the app key (taken from the environment), plus a main that prints what check_update returns.
import json
import os

import requests
import platform
import uuid
BASE_URL = os.environ["BASE_URL"] + "/api/v1"
APP_KEY = os.environ["APP_KEY"]
def get_machine_id():
    return str(uuid.getnode())
def heartbeat(version):
    data = {
        "app_key": APP_KEY,
        "machine_id": get_machine_id(),
        "version": version
    }
    requests.post(f"{BASE_URL}/user/heartbeat", json=data)
def check_update(current_version):
    data = {
        "app_key": APP_KEY,
        "current_version": current_version,
        "platform": platform.system().lower()
    }
    response = requests.post(f"{BASE_URL}/version/check", json=data)
    return response.json()
def report_error(exception, version):
    data = {
        "app_key": APP_KEY,
        "machine_id": get_machine_id(),
        "software_version": version,
        "error_type": type(exception).__name__,
        "error_message": str(exception),
        "error_stack": "",
        "os_info": platform.platform()
    }
    requests.post(f"{BASE_URL}/error/report", json=data)

if __name__ == "__main__":
    print(json.dumps(check_update(os.environ.get("CURRENT_VERSION", "1.0.0"))))
