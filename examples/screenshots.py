"""The screenshots in ``docs/images/``, taken again from this build by headless Chromium.

    .venv/bin/python -m examples.screenshots [--student shin_dohyun] [--out docs/images]

Writes the demo class (``examples/students.py``, what ``make demo`` grades), grades it with
``optigrade grade`` into a temporary folder, writes the English pages with ``optigrade report
--lang en`` in a copy of its output, and photographs one student's feedback page and the class
report in both languages, as a browser shows them (fonts, SVG pictures and all). Needs
Chromium and the Nanum fonts (``make system-deps`` as root).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from examples.students import write_demo

ROOT = Path(__file__).resolve().parents[1]


def _optigrade(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "optigrade"), *args]
    done = subprocess.run(command, capture_output=True, text=True)
    # 4: graded, with a file refused; the demo class holds one on purpose.
    if done.returncode not in (0, 4):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


def _pages(student: str, work: Path) -> dict[str, Path]:
    """The pages to photograph, by image name: graded once, rendered in each language."""
    pages = {}
    write_demo(work / "class")
    for lang in ("ko", "en"):
        out = work / lang
        if lang == "ko":
            _optigrade(
                "grade",
                "-a",
                "optimizers",
                "--out",
                str(out),
                "--lang",
                lang,
                str(work / "class" / "optimizers"),
            )
        else:
            shutil.copytree(work / "ko", out)
            _optigrade("report", "-a", "optimizers", "--out", str(out), "--lang", lang)
        pages[f"feedback_{lang}.png"] = out / "feedback" / f"{student}.html"
        pages[f"class_report_{lang}.png"] = out / "class_report.html"
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", default="shin_dohyun", help="whose feedback page")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--width", type=int, default=1000, help="the browser window's width")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with tempfile.TemporaryDirectory(prefix="optigrade-shots-") as temporary:
        pages = _pages(args.student, Path(temporary))
        missing = [str(p) for p in pages.values() if not p.is_file()]
        if missing:
            raise SystemExit(f"not written by this build: {', '.join(missing)}")
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": args.width, "height": 800})
            for name, html in pages.items():
                page.goto(html.as_uri())
                page.screenshot(path=str(args.out / name), full_page=True)
                print(f"{args.out / name}: {html.name}")
            browser.close()


if __name__ == "__main__":
    main()
