"""Field templates of the base databases (基础库), as plugins give them through zhicheng_basedb_templates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from zhicheng.core.errors import Invalid


@dataclass(frozen=True)
class TemplateField:
    """One standard field of a base database: identifier, Chinese label, item type, key or not."""

    name: str
    label: str
    type: str = "string"  # an ItemType value of the catalog
    key: bool = False
    check: str | None = None  # an ItemCheck value (citizen_id, credit_code, region_code, mobile, ...)
    personal: bool = False
    length: int | None = None

    def item(self) -> dict:
        """The catalog data item (信息项) this field becomes in the assembled resource."""
        length = self.length if self.key else None  # sources of other lengths must still fit
        if self.type == "decimal":
            length, scale = 20, 6
        else:
            scale = None
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "length": length,
            "scale": scale,
            "required": False,
            "personal": self.personal,
            "check": self.check,
            "sensitivity": "important" if self.key and self.personal else "general",
        }


@dataclass(frozen=True)
class Template:
    """A base database: its fields, its key, the fields entity resolution compares, its catalog class."""

    code: str
    name: str
    name_en: str
    catalog_class: str  # base | theme
    subclass: str
    fields: tuple[TemplateField, ...]
    # role (name | date | address) -> field name: what entity resolution compares when the key is missing
    match: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> TemplateField:
        return next(f for f in self.fields if f.key)

    def field(self, name: str) -> TemplateField | None:
        return next((f for f in self.fields if f.name == name), None)

    @classmethod
    def from_dict(cls, d: dict) -> Template:
        """A template from the dict a plugin gives (shaped like as_dict(); `key` may be given per field instead)."""
        key = d.get("key")
        fields = tuple(TemplateField(name=f["name"], label=f["label"], type=f.get("type") or "string",
                                     key=bool(f.get("key")) or f["name"] == key, check=f.get("check"),
                                     personal=bool(f.get("personal")), length=f.get("length"))
                       for f in d["fields"])
        return cls(d["code"], d["name"], d.get("name_en") or d["name"], d["catalog_class"], d["subclass"], fields,
                   dict(d.get("match") or {}))

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "key": self.key.name,
            "catalog_class": self.catalog_class,
            "subclass": self.subclass,
            "match": dict(self.match),
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type,
                    "key": f.key,
                    "check": f.check,
                    "personal": f.personal,
                    "length": f.length,
                }
                for f in self.fields
            ],
        }


@lru_cache(maxsize=8)
def _templates_of(impls: tuple) -> dict[str, Template]:
    """The templates the given implementations give (cached: a plugin registered later makes a new key)."""
    found = [t for impl in impls for t in (impl() or ())]
    return {t.code: t for t in (t if isinstance(t, Template) else Template.from_dict(t) for t in found)}


class _PluginTemplates(Mapping[str, Template]):
    """code → Template, as the installed plugins (the built-in ones first) give them, read on use."""

    def _now(self) -> dict[str, Template]:
        from zhicheng.hookspecs import installed

        return _templates_of(tuple(i.function for i in installed().hook.zhicheng_basedb_templates.get_hookimpls()))

    def __getitem__(self, code: str) -> Template:
        return self._now()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


TEMPLATES: Mapping[str, Template] = _PluginTemplates()


def get_template(code: str) -> Template:
    """The template `code`, or NotFound naming the field at fault."""
    template = TEMPLATES.get(str(code))
    if template is None:
        raise Invalid(
            f"基础库模板 {code} 不存在，可选：{'、'.join(TEMPLATES)}",
            f"no base database template {code}; known: {', '.join(TEMPLATES)}",
            field="template",
        )
    return template
