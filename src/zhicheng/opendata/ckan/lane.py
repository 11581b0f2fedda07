"""The fast lane of CKAN's `datastore_search` (GET `/api/3/action/datastore_search`, `/api/action/…`): the
action as its route runs it (`ckan.api._dispatch`: parameters, one worker-thread trip for access check, page,
audit and usage count, CKAN's envelope and errors), without the router and middleware in between
(`web.fastlane`). A request carrying staff credentials takes the normal path, which checks them."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from zhicheng.accounts.middleware import credentials
from zhicheng.opendata.ckan.api import _dispatch
from zhicheng.web.fastlane import Lane


async def datastore_search(request: Request, match: re.Match[str]) -> Response | None:
    if any(credentials(request)):
        return None
    return await _dispatch(request, "datastore_search", lane=True)


lanes = [Lane(re.compile(r"/api/(?:3/)?action/datastore_search"), datastore_search)]
