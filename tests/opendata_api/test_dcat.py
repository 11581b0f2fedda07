"""DCAT-AP 3 export: the catalog and a dataset in JSON-LD, Turtle and RDF/XML, validated against the official
DCAT-AP 3.0.0 SHACL shapes with pyshacl (zero violations), paths of ckanext-dcat, content negotiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib import namespace as ns

SHAPES = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "standards"
    / "dcat-ap-3.0.0"
    / "dcat-ap-SHACL.ttl"
)
RDF_FORMATS = {"jsonld": "json-ld", "ttl": "turtle", "rdf": "xml"}


def _graph(client, path: str, fmt: str) -> Graph:
    r = client.get(path)
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.content, format=RDF_FORMATS[fmt])


def _validate(graph: Graph) -> tuple[bool, str]:
    from pyshacl import validate

    if not SHAPES.exists():
        pytest.skip(f"the DCAT-AP 3.0.0 shapes are not at {SHAPES}")
    shapes = Graph().parse(SHAPES, format="turtle")
    conforms, _report, text = validate(
        graph,
        shacl_graph=shapes,
        inference="none",
        abort_on_first=False,
        allow_warnings=False,
        meta_shacl=False,
    )
    return conforms, text


@pytest.mark.parametrize("fmt", ["jsonld", "ttl", "rdf"])
def test_catalog_conforms_to_dcat_ap_3(open_catalog, client, fmt):
    g = _graph(client, f"/catalog.{fmt}", fmt)
    conforms, text = _validate(g)
    assert conforms, text
    catalog = next(g.subjects(ns.RDF.type, ns.DCAT.Catalog))
    datasets = set(g.objects(catalog, ns.DCAT.dataset))
    titles = {str(g.value(d, ns.DCTERMS.title)) for d in datasets}
    assert titles == {"长沙市空气质量日报", "守信企业名单"}  # never the not-open or the draft one
    publisher = g.value(catalog, ns.DCTERMS.publisher)
    names = {(str(n), n.language) for n in g.objects(publisher, ns.FOAF.name)}
    assert ("长沙市人民政府", "zh") in names and ("Changsha Municipal People's Government", "en") in names
    langs = {t.language for t in g.objects(catalog, ns.DCTERMS.title)}
    assert langs == {"zh", "en"}


def test_dataset_conforms_and_has_distributions(open_catalog, client):
    g = _graph(client, f"/dataset/{open_catalog.air.id}.ttl", "ttl")
    conforms, text = _validate(g)
    assert conforms, text
    ds = URIRef(f"http://testserver/dataset/{open_catalog.air.id}")
    assert (ds, ns.RDF.type, ns.DCAT.Dataset) in g
    assert g.value(ds, ns.DCTERMS.identifier) == Literal(open_catalog.air.code)
    dists = list(g.objects(ds, ns.DCAT.distribution))
    assert len(dists) == 3
    urls = {str(g.value(d, ns.DCAT.accessURL)) for d in dists}
    assert f"http://testserver/open/datasets/{open_catalog.air.id}/download.csv?columns=names" in urls
    assert all(g.value(d, ns.DCTERMS.license) is not None for d in dists)
    theme = g.value(ds, ns.DCAT.theme)
    assert {
        t.language for t in g.objects(theme, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))
    } == {"zh", "en"}


def test_not_open_dataset_is_not_exported(open_catalog, client):
    for ident in (open_catalog.people.id, open_catalog.draft.id, "nope"):
        r = client.get(f"/dataset/{ident}.jsonld")
        assert r.status_code == 404 and "户籍" not in r.text


def test_content_negotiation(open_catalog, client):
    r = client.get(f"/dataset/{open_catalog.air.id}", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    assert client.get(f"/dataset/{open_catalog.air.id}", headers={"Accept": "image/png"}).status_code == 406
    page = client.get(
        f"/dataset/{open_catalog.air.id}", headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"] == f"/open/datasets/{open_catalog.air.id}"


def test_the_shapes_do_catch_a_dataset_without_description(open_catalog, client):
    g = _graph(client, f"/dataset/{open_catalog.air.id}.ttl", "ttl")
    ds = URIRef(f"http://testserver/dataset/{open_catalog.air.id}")
    g.remove((ds, ns.DCTERMS.description, None))
    conforms, text = _validate(g)
    assert not conforms and "description" in text
