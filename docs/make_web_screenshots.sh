#!/bin/bash
# The web pages' screenshots in docs/images/web-*.png, taken by the browser tests themselves:
# inbox, request page and dashboard from the five-person walk, the form filled from a scan (no lab
# needed); the dry-run diff from the web provisioning test on the lab (run it under the lab lock,
# as tests/e2e are run).
set -euo pipefail
cd "$(dirname "$0")/.."
export NETPROV_WEB_SCREENSHOTS=$PWD/docs/images
.venv/bin/pytest tests/integration/test_web_browser.py tests/integration/test_web_scan_browser.py -q -p no:cacheprovider
if [ "${1:-}" = "--lab" ]; then
  flock /tmp/netprov-lab.lock .venv/bin/pytest tests/e2e/test_web_provision.py -q -p no:cacheprovider
fi
ls -l docs/images/web-*.png
