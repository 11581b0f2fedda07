"""HTTP API for coordinates: the CRSs we speak, and conversion of points or GeoJSON between them."""

from __future__ import annotations

from zhicheng.core.errors import Invalid
from zhicheng.geo.crs import service
from zhicheng.geo.crs.schemas import ConvertRequest, CrsOut
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/geo", tags=["geo"])


@router.get("/crs", response_model=list[CrsOut])
def list_crs() -> list[dict]:
    """The coordinate systems zhicheng speaks (keys and OGC URIs)."""
    return [c.as_dict() for c in service.SUPPORTED]


@router.post("/convert")
def convert(body: ConvertRequest) -> dict:
    """Convert points (`points`: [[x, y], …]) or a GeoJSON geometry/Feature/FeatureCollection (`geojson`)."""
    src = service.parse_crs(body.from_, field="from")
    dst = service.parse_crs(body.to, field="to")
    if (body.points is None) == (body.geojson is None):
        raise Invalid("请给出 points 或 geojson 之一", "give exactly one of points or geojson", field="points")
    out: dict = {"from": src.key, "to": dst.key, "from_uri": src.uri, "to_uri": dst.uri}
    if body.points is not None:
        xs = [p[0] for p in body.points]
        ys = [p[1] for p in body.points]
        x, y = service.convert_points(xs, ys, src, dst)
        out["points"] = [[float(a), float(b)] for a, b in zip(x.tolist(), y.tolist(), strict=True)]
    else:
        out["geojson"] = service.convert_geojson(body.geojson, src, dst)
    return out
