"""Build the console's static folder from the pinned nhsuk-frontend package (package.json, installed
by `npm ci` into node_modules/): its CSS, JavaScript, images and manifest, and our own assets/.
`make up` and `make test` run it; the output is git-ignored and nothing is ever fetched from a CDN.

NHS.UK's stylesheet loads the Frutiger web font from assets.nhs.uk, a CDN (and the font is licensed
for NHS.UK's own sites only): its @font-face rules are left out, so text falls back to Arial, the
design system's own fallback.

    python -m services.console.build_assets
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

from shared.config import REPO_ROOT

HERE = Path(__file__).resolve().parent
PACKAGE = REPO_ROOT / "node_modules" / "nhsuk-frontend"
STATIC = HERE / "static"
REMOTE_FONT = re.compile(r"@font-face\{[^}]*https?://[^}]*\}")


def build(package: Path = PACKAGE, static: Path = STATIC) -> str:
    dist = package / "dist" / "nhsuk"
    if not dist.is_dir():
        raise SystemExit(f"{package} is missing: run `npm ci` at the repository's root (make up does)")
    version = json.loads((package / "package.json").read_text())["version"]
    if static.exists():
        shutil.rmtree(static)
    (static / "images").mkdir(parents=True)
    css = (dist / "nhsuk-frontend.min.css").read_text()
    css = REMOTE_FONT.sub("", css.split("/*# sourceMappingURL")[0])
    if "https://" in css or "http://" in css:
        raise SystemExit("nhsuk-frontend's stylesheet refers to another site: refusing to build it")
    (static / "nhsuk-frontend.min.css").write_text(css)
    js = (dist / "nhsuk-frontend.min.js").read_text().split("//# sourceMappingURL")[0]
    (static / "nhsuk-frontend.min.js").write_text(js)
    shutil.copy2(dist / "assets" / "manifest.json", static / "manifest.json")
    for image in (dist / "assets" / "images").iterdir():
        shutil.copy2(image, static / "images" / image.name)
    for own in (HERE / "assets").iterdir():
        shutil.copy2(own, static / own.name)
    return version


if __name__ == "__main__":
    print(f"console assets: nhsuk-frontend {build()} built into {STATIC.relative_to(REPO_ROOT)}", file=sys.stderr)
