"""The public surface: ``bulk_scheduler.__all__`` is exactly what the package hands out."""

from __future__ import annotations

import bulk_scheduler
from bulk_scheduler.errors import BulkSchedulerError


def test_every_public_name_resolves() -> None:
    for name in bulk_scheduler.__all__:
        assert getattr(bulk_scheduler, name) is not None, name


def test_the_lazy_table_and_all_agree() -> None:
    assert set(bulk_scheduler._PUBLIC) | {"__version__"} == set(bulk_scheduler.__all__)


def test_every_public_error_is_in_the_one_tree() -> None:
    errors = [
        getattr(bulk_scheduler, name) for name in bulk_scheduler.__all__ if name.endswith("Error")
    ]
    assert errors and all(issubclass(error, BulkSchedulerError) for error in errors)
    assert issubclass(bulk_scheduler.FatalApiError, bulk_scheduler.ApiError)
