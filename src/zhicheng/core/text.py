"""Text of a small uploaded file: UTF-8 (with or without BOM) or else GB18030, the two encodings Chinese offices save."""

from __future__ import annotations

from zhicheng.core.errors import Invalid

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK and GB2312


def decode_upload(data: bytes, *, field: str = "file", max_bytes: int | None = None) -> str:
    """`data` as text, refused (naming `field`) when it is over `max_bytes` or is neither UTF-8 nor GB18030.
    Large files go through the streaming readers (catalog.datasets.readers), not here."""
    if max_bytes is not None and len(data) > max_bytes:
        raise Invalid(f"文件最多 {max_bytes // 1024} KB", f"the file is {max_bytes // 1024} KB at most", field=field)
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("文件须为 UTF-8 或 GB18030 编码的文本", "the file must be UTF-8 or GB18030 text", field=field)
