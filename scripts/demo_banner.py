"""Print the running demo's URL, credentials and copy-paste API examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> None:
    demo = json.loads(Path(path).read_text())
    url = demo["url"]
    print(f"\nProbity is running at {url}   (health: {url}/healthz)\n")
    print(f"Portal: {url}/  (password, then the code from `manage.py demo_totp USER`,")
    print("or add the TOTP secret to an authenticator app)\n")
    print(f"{'agency':8}{'user':26}{'password':16}{'TOTP secret':34}API token")
    for user in demo["users"]:
        secret = user.get("totp_secret", "")
        print(
            f"{user['agency']:8}{user['username']:26}{user['password']:16}{secret:34}"
            f"{user['token']}"
        )
    investigator = next(u for u in demo["users"] if u["username"] == "tps_investigator")
    print("\nTry a search (see README.md):")
    print(f"  export PROBITY={url} TOKEN={investigator['token']}")


if __name__ == "__main__":
    main(sys.argv[1])
