"""LibreOffice as the oracle for the office formats: convert to PDF headless, read pages and text back.

Skips locally without soffice or poppler-utils; fails in CI (tests/apt-packages.txt installs them).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import lab_unavailable


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if not found:
        lab_unavailable(f"{name} is not installed (Debian package {package})")
    return str(found)


def convert(path: Path, fmt: str, outdir: Path) -> Path:
    """`soffice --headless --convert-to FMT`, with a private profile; the converted file's path."""
    soffice = _tool("soffice", "libreoffice-calc-nogui / libreoffice-writer-nogui")
    profile = outdir / "lo-profile"
    proc = subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                           "--convert-to", fmt, "--outdir", str(outdir), str(path)],
                          capture_output=True, text=True, timeout=600, check=False)
    out = outdir / f"{path.stem}.{fmt.split(':')[0]}"
    assert proc.returncode == 0 and out.exists(), f"soffice failed: {proc.stdout}\n{proc.stderr}"
    return out


def pages(pdf: Path) -> list[tuple[float, float]]:
    """(width, height) in points of every page."""
    pdfinfo = _tool("pdfinfo", "poppler-utils")
    out = subprocess.run([pdfinfo, "-f", "1", "-l", "100000", str(pdf)], capture_output=True, text=True,
                         check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)]


def page_texts(pdf: Path) -> list[str]:
    """The text of each page in drawing order (`pdftotext -raw`: a cell's lines stay together)."""
    pdftotext = _tool("pdftotext", "poppler-utils")
    out = subprocess.run([pdftotext, "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\f")[:-1] if out.endswith("\f") else out.split("\f")


def squeeze(text: str) -> str:
    """Text without any whitespace: wrapping in the PDF breaks lines anywhere."""
    return re.sub(r"\s+", "", text)
