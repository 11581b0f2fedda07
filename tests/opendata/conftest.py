"""The portal tests' fixtures (imported here: pytest_plugins only works in the root conftest)."""

import pytest

from tests.opendata.fixtures import (  # noqa: F401
    approved_key,
    make_portal_user,
    officer,
    open_data,
    portal_login,
    staff_admin,
)


@pytest.fixture(autouse=True)
def _no_request_session_left_over():
    """check_open_access called outside a request leaves its session in the thread's context: forget it."""
    from zhicheng.opendata.stats import service as stats

    token = stats.current_db.set(None)
    yield
    stats.current_db.reset(token)
