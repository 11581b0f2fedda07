"""The trend of a level over its last hours: the least-squares rate in cm/h and rising / falling / steady."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

TREND_WINDOW = timedelta(hours=3)
STEADY_BELOW = 1.0  # cm/h: a slower change reads as steady (平), within a gauge's resolution over 3 h
MIN_SPAN = timedelta(minutes=30)  # fewer than two values, or values closer together than this, give no trend

DIRECTIONS = {"rising": ("涨", "rising"), "falling": ("落", "falling"), "steady": ("平", "steady")}


@dataclass(frozen=True)
class Trend:
    direction: str  # rising | falling | steady
    rate_cm_per_h: float
    name: str
    name_en: str
    points: int

    def as_dict(self) -> dict:
        return {"direction": self.direction, "rate_cm_per_h": self.rate_cm_per_h, "name": self.name,
                "name_en": self.name_en, "points": self.points}


def trend(points: list[tuple[datetime, float]], *, to_cm: float, steady_below: float = STEADY_BELOW) -> Trend | None:
    """The trend of `points` (time, value; `to_cm` turns a value into centimetres: 100 for metres), or None when they
    are too few or too close in time to say."""
    if len(points) < 2 or points[-1][0] - points[0][0] < MIN_SPAN:
        return None
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 3600 for t, _v in points]
    ys = [v * to_cm for _t, v in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    rate = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    direction = "steady" if abs(rate) < steady_below else ("rising" if rate > 0 else "falling")
    name, name_en = DIRECTIONS[direction]
    return Trend(direction, round(rate, 1) + 0.0, name, name_en, len(points))  # + 0.0: never -0.0
