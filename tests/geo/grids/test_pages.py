"""The grid pages: the list of grid layers and one layer's map page with its cells, in Chinese."""

from __future__ import annotations

from zhicheng.accounts import service as accounts
from zhicheng.geo.grids import service


def test_the_list_and_the_layer_page(client, db, login, grid_layers, grid_officer):
    communities, grids = grid_layers
    parents = service.parents_from_layers(db, actor=grid_officer, communities=communities.id)
    service.generate(db, actor=grid_officer, resource_id=grids.id, parents=parents)
    login(client, accounts.get_user_by_username(db, "grid_officer"))
    layer = grids.code.replace("/", "-")
    page = client.get("/geo/grids")
    assert page.status_code == 200 and f"/geo/grids/{layer}" in page.text and "万米单元网格" in page.text
    page = client.get(f"/geo/grids/{layer}", params={"community": "430102001001"})
    assert page.status_code == 200
    assert 'id="grid-map"' in page.text and "/static/pages/grid-map.js" in page.text
    assert "43010200100101" in page.text and "43011100100101" not in page.text.split("<tbody>")[1]
    assert client.get("/static/pages/grid-map.js").status_code == 200
    assert client.get("/geo/grids/NO-SUCH").status_code == 404
    assert client.get(f"/geo/grids/{layer}", params={"community": "x'"}).status_code == 422
