"""Shipped presets and themes work from a checkout and from an installed wheel."""

import shutil
import sys
from pathlib import Path

from playground import locations

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_the_wheel_bundles_presets_and_themes_where_the_package_looks():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert mapping == {"presets": "playground/_data/presets", "themes": "playground/_data/themes"}
    for source in mapping:
        assert any((ROOT / source).glob("*.toml"))


def test_an_installed_layout_reads_the_bundled_copies(tmp_path, monkeypatch):
    package = tmp_path / "site-packages" / "playground"
    for name in ("presets", "themes"):
        shutil.copytree(ROOT / name, package / "_data" / name)
    monkeypatch.setattr(locations, "_PACKAGE_DIR", package)
    assert locations.shipped_dir("presets") == package / "_data" / "presets"
    from playground.presets import available_presets
    from playground.tui.themes import available_themes

    assert "precise-code" in available_presets()[0] and "starcoder-light" in available_themes()[0]
