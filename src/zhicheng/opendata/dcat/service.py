"""The open catalog as DCAT-AP 3 (rdflib): a dcat:Catalog of the open datasets with their publishers (foaf:Agent),
themes (skos:Concept), frequencies, licence, the REST API as a dcat:DataService and one dcat:Distribution per
download format; serialised as JSON-LD, Turtle or RDF/XML at the paths ckanext-dcat uses.

Chinese and English are both given (language-tagged) where we have both: catalog, publishers, themes,
frequencies; dataset titles and descriptions are Chinese only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.core import clock
from zhicheng.core.errors import Invalid
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan import service as ckan

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCAT_VERSION = URIRef(f"{DCAT}version")  # DCAT 3 (rdflib's closed DCAT namespace predates it)
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCIES = {
    "realtime": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
FILE_TYPES = {"csv": "CSV", "xlsx": "XLSX", "json": "JSON", "geojson": "GEOJSON"}
ACCESS_RIGHTS = {"unconditional": "PUBLIC", "conditional": "RESTRICTED"}
FORMATS = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("pretty-xml", "application/rdf+xml"),
    "xml": ("pretty-xml", "application/rdf+xml"),
}
MEDIA_TYPES = {
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/rdf+xml": "rdf",
    "application/xml": "rdf",
}
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # a larger page_size is capped, as ckanext-dcat caps ckanext.dcat.datasets_per_page
CATALOG_PATH = "/dcat/catalog"  # the catalog's IRI, served by negotiation (/catalog is the staff catalog page)
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "xsd": str(XSD),
    "hydra": str(HYDRA),
    "adms": str(ADMS),
}


def _graph() -> Graph:
    g = Graph()
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, Namespace(ns))
    return g


def _when(value: Any) -> Literal | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return Literal(clock.aware(value).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    if isinstance(value, date):
        return Literal(value.isoformat(), datatype=XSD.date)
    text = str(value)
    if "T" in text:
        return Literal(datetime.fromisoformat(text).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    return Literal(text[:10], datatype=XSD.date)


def _texts(g: Graph, node, prop, zh: str | None, en: str | None = None) -> None:
    if zh:
        g.add((node, prop, Literal(zh, lang="zh")))
    if en and en != zh:
        g.add((node, prop, Literal(en, lang="en")))


class Builder:
    """Adds the catalog's resources to one graph, each shared node (agents, themes, licence) once."""

    def __init__(self, db: Session, base: str, settings: Any) -> None:
        self.db, self.base, self.settings = db, base, settings
        self.g = _graph()
        self.catalog = URIRef(f"{base}{CATALOG_PATH}")
        self.license = URIRef(ckan.LICENSE["url"])
        self.scheme = URIRef(f"{base}/theme")
        self._agents: dict[int, URIRef] = {}
        self._themes: set[str] = set()
        self.service = URIRef(f"{base}/api/v1/open")
        g = self.g
        g.add((self.license, RDF.type, DCTERMS.LicenseDocument))
        _texts(
            g,
            self.license,
            DCTERMS.title,
            "知识共享署名 4.0 国际许可协议",
            "Creative Commons Attribution 4.0",
        )

    # -- shared nodes ---------------------------------------------------------------------------------------

    def city(self) -> tuple[str, str | None]:
        from zhicheng.accounts import service as accounts

        city = next(
            (
                d
                for d in accounts.list_departments(self.db)
                if d.kind == "city" and d.region_code == self.settings.city_code
            ),
            None,
        )
        if city is None:
            return f"{self.settings.city_name}人民政府", None
        return city.name, city.name_en

    def agent(self, dept: dict[str, Any]) -> URIRef:
        if dept["id"] not in self._agents:
            node = URIRef(f"{self.base}/organization/{dept['code'].lower()}")
            self.g.add((node, RDF.type, FOAF.Agent))
            self.g.add((node, RDF.type, FOAF.Organization))
            _texts(self.g, node, FOAF.name, dept["name"], dept.get("name_en"))
            self._agents[dept["id"]] = node
        return self._agents[dept["id"]]

    def theme(self, key: str) -> URIRef:
        node = URIRef(f"{self.base}/theme/{key}")
        if key not in self._themes:
            g = self.g
            g.add((node, RDF.type, SKOS.Concept))
            g.add((node, SKOS.inScheme, self.scheme))
            _texts(g, node, SKOS.prefLabel, codes.label("subclass", key), codes.label("subclass", key, "en"))
            self._themes.add(key)
        return node

    def resource(self, uri: str) -> URIRef:
        """A web address typed rdfs:Resource (the shapes check the class; no inference is assumed)."""
        node = URIRef(uri)
        self.g.add((node, RDF.type, RDFS.Resource))
        return node

    def concept(self, uri: str, rdf_type: URIRef, zh: str | None = None, en: str | None = None) -> URIRef:
        node = URIRef(uri)
        self.g.add((node, RDF.type, rdf_type))
        _texts(self.g, node, SKOS.prefLabel, zh, en)
        return node

    # -- the catalog ----------------------------------------------------------------------------------------

    def add_catalog(
        self, *, total: int | None = None, page: int | None = None, link: Any = None, size: int = PAGE_SIZE
    ) -> URIRef:
        g, node = self.g, self.catalog
        city_zh, city_en = self.city()
        g.add((node, RDF.type, DCAT.Catalog))
        _texts(
            g,
            node,
            DCTERMS.title,
            f"{self.settings.city_name}公共数据开放目录",
            f"Open data catalogue of {city_en}" if city_en else "Public open data catalogue",
        )
        _texts(
            g,
            node,
            DCTERMS.description,
            f"{self.settings.city_name}无条件开放和有条件开放的公共数据资源（智城数据开放平台）。",
            "Public data resources the city opens unconditionally or on conditions (zhicheng open data portal).",
        )
        publisher = URIRef(f"{self.base}/organization/city")
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, RDF.type, FOAF.Organization))
        _texts(g, publisher, FOAF.name, city_zh, city_en)
        g.add((node, DCTERMS.publisher, publisher))
        g.add((node, DCTERMS.license, self.license))
        for lang in ("ZHO", "ENG"):
            g.add((node, DCTERMS.language, self.concept(f"{EU}language/{lang}", DCTERMS.LinguisticSystem)))
        homepage = URIRef(f"{self.base}/open")
        g.add((homepage, RDF.type, FOAF.Document))
        g.add((node, FOAF.homepage, homepage))
        g.add((node, DCTERMS.modified, _when(clock.now())))
        g.add((self.scheme, RDF.type, SKOS.ConceptScheme))
        _texts(
            g, self.scheme, DCTERMS.title, "数据资源分类（基础、主题）", "Resource classes (base and theme)"
        )
        g.add((node, DCAT.themeTaxonomy, self.scheme))
        service = self.service
        g.add((service, RDF.type, DCAT.DataService))
        _texts(g, service, DCTERMS.title, "开放数据接口", "Open data API")
        g.add((service, DCAT.endpointURL, self.resource(str(service))))
        g.add((service, DCAT.endpointDescription, self.resource(f"{self.base}/api/openapi.json")))
        g.add((service, DCTERMS.license, self.license))
        g.add((service, DCTERMS.publisher, publisher))
        g.add((node, DCAT.service, service))
        if total is not None and page is not None and link is not None:
            # `link(n)`: page n of the document asked for, in its own format (and page_size, modified_since)
            paging = URIRef(link(page))
            last = max(1, -(-total // size))
            g.add((paging, RDF.type, HYDRA.PagedCollection))
            g.add((paging, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
            g.add((paging, HYDRA.itemsPerPage, Literal(size, datatype=XSD.integer)))
            g.add((paging, HYDRA.firstPage, Literal(link(1))))
            g.add((paging, HYDRA.lastPage, Literal(link(last))))
            if page > 1:
                g.add((paging, HYDRA.previousPage, Literal(link(min(page - 1, last)))))
            if page < last:
                g.add((paging, HYDRA.nextPage, Literal(link(page + 1))))
        return node

    def add_dataset(self, doc: dict[str, Any], versions: list[Any]) -> URIRef:
        g, base = self.g, self.base
        node = URIRef(f"{base}/dataset/{doc['id']}")
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((self.catalog, DCAT.dataset, node))
        _texts(g, node, DCTERMS.title, doc["name"])
        _texts(g, node, DCTERMS.description, doc.get("summary") or doc["name"])
        g.add((node, DCTERMS.identifier, Literal(doc["code"])))
        ident = BNode(f"id{doc['id']}")
        g.add((ident, RDF.type, ADMS.Identifier))
        g.add((ident, SKOS.notation, Literal(doc["code"])))
        g.add((node, ADMS.identifier, ident))
        publisher = self.agent(doc["department"])
        g.add((node, DCTERMS.publisher, publisher))
        contact = URIRef(f"{publisher}#contact")
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, RDF.type, VCARD.Organization))
        _texts(g, contact, VCARD.fn, doc["department"]["name"], doc["department"].get("name_en"))
        g.add((node, DCAT.contactPoint, contact))
        for tag in doc.get("tags") or []:
            g.add((node, DCAT.keyword, Literal(tag, lang="zh")))
        key = ckan.group_key(doc)
        if key:
            g.add((node, DCAT.theme, self.theme(key)))
        cycle = doc.get("update_cycle")
        if cycle in FREQUENCIES:
            g.add(
                (
                    node,
                    DCTERMS.accrualPeriodicity,
                    self.concept(
                        f"{EU}frequency/{FREQUENCIES[cycle]}",
                        DCTERMS.Frequency,
                        codes.label("update_cycle", cycle),
                        codes.label("update_cycle", cycle, "en"),
                    ),
                )
            )
        rights = ACCESS_RIGHTS.get(doc.get("open_type"))
        if rights:
            g.add(
                (
                    node,
                    DCTERMS.accessRights,
                    self.concept(
                        f"{EU}access-right/{rights}",
                        DCTERMS.RightsStatement,
                        codes.label("open_type", doc["open_type"]),
                        codes.label("open_type", doc["open_type"], "en"),
                    ),
                )
            )
        latest = versions[0] if versions else None
        for prop, value in (
            (DCTERMS.issued, doc.get("publish_date")),
            # a new data version is a change: an incremental harvest must see it
            (DCTERMS.modified, ckan.modified_at(doc, latest)),
        ):
            if _when(value) is not None:
                g.add((node, prop, _when(value)))
        page = URIRef(f"{base}/open/datasets/{doc['id']}")
        g.add((page, RDF.type, FOAF.Document))
        g.add((node, DCAT.landingPage, page))
        g.add((node, DCTERMS.language, self.concept(f"{EU}language/ZHO", DCTERMS.LinguisticSystem)))
        g.add((self.service, DCAT.servesDataset, node))
        if latest is not None:
            g.add((node, DCAT_VERSION, Literal(str(latest.version))))
            for res in ckan.resource_dicts(doc, latest, base):
                self.add_distribution(node, doc, res)
        return node

    def add_distribution(self, dataset: URIRef, doc: dict[str, Any], res: dict[str, Any]) -> None:
        g = self.g
        fmt = res["format"].lower()
        node = URIRef(f"{dataset}/resource/{res['id']}")
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((dataset, DCAT.distribution, node))
        _texts(g, node, DCTERMS.title, res["name"])
        _texts(
            g,
            node,
            DCTERMS.description,
            f"{doc['name']}，{res['format']} 格式，共 {res['rows']} 行",
            f"{res['format']} download, {res['rows']} rows",
        )
        g.add((node, DCAT.accessURL, self.resource(res["url"])))
        g.add((node, DCAT.downloadURL, self.resource(res["url"])))
        g.add((node, DCAT.accessService, self.service))
        g.add((node, DCTERMS.license, self.license))
        g.add(
            (
                node,
                DCTERMS.format,
                self.concept(f"{EU}file-type/{FILE_TYPES[fmt]}", DCTERMS.MediaTypeOrExtent),
            )
        )
        g.add(
            (
                node,
                DCAT.mediaType,
                self.concept(
                    f"https://www.iana.org/assignments/media-types/{res['mimetype']}", DCTERMS.MediaType
                ),
            )
        )
        g.add((node, DCTERMS.issued, _when(res["created"])))
        g.add((node, DCTERMS.modified, _when(res["last_modified"])))


def catalog_graph(
    db: Session,
    *,
    base: str,
    settings: Any,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    modified_since: datetime | None = None,
    link: Any = None,
) -> Graph:
    """One page (`page_size` datasets, capped at MAX_PAGE_SIZE, the last changed first) of the open catalog as a
    DCAT-AP 3 graph; `modified_since`: only datasets changed since then (ckanext-dcat's parameter); `link(n)`:
    the address of page n, for the hydra paging links."""
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    if (page - 1) * size > ckan.MAX_START:
        raise Invalid("page 超出范围", "page is out of range", field="page")
    fq = None
    if modified_since is not None:
        fq = f"metadata_modified:[{clock.aware(modified_since).isoformat()} TO *]"
    out = ckan_search.search(
        db, q=None, fq=fq, rows=size, start=(page - 1) * size, sort="metadata_modified desc"
    )
    b = Builder(db, base, settings)
    b.add_catalog(total=out.count, page=page, link=link, size=size)
    for doc in out.docs:
        res = ckan.find_package(db, doc["id"])[0]
        b.add_dataset(doc, ckan.versions(db, res))
    return b.g


def dataset_graph(db: Session, ident: Any, *, base: str, settings: Any) -> Graph:
    """One open dataset (with its catalog record) as a DCAT-AP 3 graph; NotFound when it is not open."""
    res, doc = ckan.find_package(db, ident)
    b = Builder(db, base, settings)
    b.add_catalog()
    b.add_dataset(doc, ckan.versions(db, res))
    return b.g


def serialise(g: Graph, fmt: str) -> tuple[bytes, str]:
    """(bytes, media type) of the graph in `fmt` (jsonld, ttl, rdf)."""
    name, media = FORMATS[fmt]
    if name == "json-ld":
        data = g.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        data = g.serialize(format=name)
    return (data if isinstance(data, bytes) else data.encode("utf-8")), media


