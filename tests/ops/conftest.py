"""Operations tests (issue 19) share the protocol suites' rule: a test whose bot logs an ERROR fails."""

from tests.teams.conftest import no_error_logged

__all__ = ["no_error_logged"]


def pytest_collection_modifyitems(items: list) -> None:  # type: ignore[type-arg]
    import pytest

    for item in items:
        if "tests/ops/" in str(item.fspath):
            item.add_marker(pytest.mark.ops)
