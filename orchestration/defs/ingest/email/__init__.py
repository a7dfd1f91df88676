"""Email: RFC 5322 messages exported from the mail server or client."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_eml

from .contracts import MESSAGES

ASSETS = [build_ingest_asset(MESSAGES, [FileSpec("*.eml", read_eml)])]
