"""bulk_scheduler: schedule social-media campaigns from a spreadsheet through the
Genviral Partner API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bulk-scheduler")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
