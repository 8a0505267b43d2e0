from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here so `--strict-markers` accepts it without a change to
    # pyproject.toml; deselect with `-m "not slow"`.
    config.addinivalue_line("markers", "slow: waits a second or more on a timeout or Retry-After")
