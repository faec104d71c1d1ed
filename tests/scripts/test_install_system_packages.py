"""scripts/install_system_packages.sh, shared by `make test` and .ci/run: without root it installs
nothing and names every missing package and the command that installs them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "install_system_packages.sh"


def test_without_root_it_names_the_missing_packages_exactly(tmp_path: Path) -> None:
    # An empty PATH: every command the script looks for is missing (it needs none itself).
    bin_dir = tmp_path / "empty-bin"
    bin_dir.mkdir()
    bash, setpriv = shutil.which("bash"), shutil.which("setpriv")
    assert bash is not None and setpriv is not None
    command = [bash, str(SCRIPT)]
    if os.geteuid() == 0:  # drop to nobody, as a developer without root would be
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(
        command, env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr
    names = "debootstrap bubblewrap make chromium chromium-driver"
    assert f"missing system packages: {names}" in done.stderr
    assert f"sudo apt-get install -y {names}" in done.stderr


def test_ci_and_make_use_the_same_script() -> None:
    assert "bash scripts/install_system_packages.sh" in (REPO / ".ci" / "run").read_text()
    assert "scripts/install_system_packages.sh" in (REPO / "Makefile").read_text()
