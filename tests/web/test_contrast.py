"""The stylesheet's text/background pairs reach WCAG AA contrast (4.5:1), computed from its own colours."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "src/zhicheng/web/static/zhicheng.css").read_text(encoding="utf-8")
VARS = dict(re.findall(r"--(zc-[\w-]+):\s*(#[0-9a-fA-F]{3,6})", CSS))

# (text, background) pairs the pages use
PAIRS = [
    ("zc-gray-900", "zc-bg"), ("zc-gray-900", "zc-white"), ("zc-gray-700", "zc-white"), ("zc-gray-600", "zc-white"),
    ("zc-gray-600", "zc-bg"), ("zc-blue-700", "zc-white"), ("zc-blue-700", "zc-bg"), ("zc-white", "zc-blue-800"),
    ("zc-white", "zc-blue-700"), ("zc-blue-800", "zc-blue-50"), ("zc-blue-900", "zc-blue-50"),
    ("zc-red-700", "zc-red-50"), ("zc-green-700", "zc-green-50"), ("zc-amber-800", "zc-amber-50"),
    ("zc-gray-700", "zc-gray-100"), ("zc-blue-700", "zc-blue-50"), ("zc-white", "zc-blue-600"),
    ("#d8e2f0", "zc-blue-900"), ("#eaf1fb", "zc-blue-600"),
]


def luminance(colour: str) -> float:
    hexa = VARS.get(colour, colour).lstrip("#")
    if len(hexa) == 3:
        hexa = "".join(c * 2 for c in hexa)
    channels = [int(hexa[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_contrast_is_at_least_aa(text, background):
    assert contrast(text, background) >= 4.5, f"{text} on {background}: {contrast(text, background):.2f}:1"


def test_lowest_contrast_is_reported():
    lowest = min(PAIRS, key=lambda p: contrast(*p))
    print(f"lowest contrast {contrast(*lowest):.2f}:1 ({lowest[0]} on {lowest[1]})")
    assert contrast(*lowest) >= 4.5
