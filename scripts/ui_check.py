"""Screenshot-check the Dagster UI: start `funnel ui` on the configured home (run `funnel demo`
first), render the pages an engineer opens first in headless Chromium, check that each shows what
it should, and save a PNG of each.

    python scripts/ui_check.py [--out DIR] [--port 3999]

Chromium comes from the Debian package `chromium`; when it is missing and this runs as root with
apt-get, the script installs it. Exits non-zero, naming the page and the missing text, when a
page does not render its content.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration.settings import load_settings  # noqa: E402
from orchestration.webserver import LOCATION, wait_for_location  # noqa: E402

# (file name, path in the UI, texts the rendered page must contain)
PAGES = [
    ("asset_graph_kpi", f"/locations/{LOCATION}/asset-groups/kpi", ["Asset Group in sales_funnel", "Asset checks"]),
    ("asset_checks_mart_stage_conversion", "/assets/marts/mart_stage_conversion?view=checks",
     ["gx_mart_stage_conversion", "expression_is_true_mart_stage_conversion", "Succeeded"]),
    ("automation", "/automation",
     ["nightly_funnel_0200_shanghai", "new_deliveries", "alert_on_failed_runs", "source_freshness"]),
    ("lineage_publish", f"/locations/{LOCATION}/asset-groups/publish", ["published_marts"]),
]
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1600,1000", "--virtual-time-budget=25000"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return shutil.which("chromium")
    sys.exit("Chromium not found: install the Debian package `chromium` (apt-get install chromium)")


def render(browser: str, url: str, profile: str, screenshot: Path) -> str:
    """The page's visible text after the UI has loaded its data; saves a screenshot beside it."""
    base = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True).stdout
    dom = re.sub(r"<(style|script)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", dom).split())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3999)
    parser.add_argument("--out", type=Path, help="Folder for the screenshots (default: $FUNNEL_HOME/ui_check).")
    args = parser.parse_args()
    settings = load_settings()
    out = args.out or settings.home / "ui_check"
    out.mkdir(parents=True, exist_ok=True)
    browser = chromium()
    server = subprocess.Popen([str(Path(sys.executable).parent / "funnel"), "ui", "--port", str(args.port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    problems = []
    try:
        wait_for_location(args.port, server)
        with tempfile.TemporaryDirectory() as profile:
            for name, path, expected in PAGES:
                screenshot = out / f"{name}.png"
                text = render(browser, f"http://127.0.0.1:{args.port}{path}", profile, screenshot)
                missing = [e for e in expected if e not in text]
                print(f"{'OK     ' if not missing else 'MISSING'} {path} -> {screenshot}"
                      + (f"  (not rendered: {missing})" if missing else ""))
                if missing:
                    problems.append(path)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
