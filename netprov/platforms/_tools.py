"""External parsers (vtysh, bird) the FRR and BIRD validators run; netprov never installs them."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from netprov.errors import ValidationFailed

DEBIAN_PACKAGES = {"vtysh": "frr", "bird": "bird2"}
TIMEOUT = 30
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def ensure_tool(binary: str) -> str:
    """Path of ``binary`` (also looked for in the sbin directories).

    Raises:
        ValidationFailed: it is not installed; names the binary and its Debian package
            (``./run setup`` installs them).
    """
    path = shutil.which(binary) or shutil.which(binary, path=SYSTEM_PATH)
    if path:
        return path
    package = DEBIAN_PACKAGES.get(binary, binary)
    raise ValidationFailed(f"{binary} is not installed (Debian package {package}; `./run setup` installs it)")


def run_parser(cmd: list[str], text: str, suffix: str) -> tuple[bool, list[str]]:
    """Run ``cmd + [file]`` on ``text`` written to a temp file: (exit 0, output lines).

    The temp file's path is replaced by ``CONFIG`` in the output.
    """
    with tempfile.TemporaryDirectory(prefix="netprov-validate-") as tmp:
        path = Path(tmp) / f"config{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            proc = subprocess.run(
                [*cmd, str(path)], capture_output=True, text=True, timeout=TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            return False, [f"{cmd[0]} did not answer within {TIMEOUT} s"]
    out = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    out = [ln.replace(str(path), "CONFIG") for ln in out]
    return proc.returncode == 0, out
