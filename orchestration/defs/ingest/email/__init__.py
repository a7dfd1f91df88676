"""Email: RFC 5322 messages exported from the mail server (.mbox) or a client (.eml)."""

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_eml, read_mbox

from .contracts import MESSAGES

ENTITIES = [(MESSAGES, [FileSpec("*.eml", read_eml), FileSpec("*.mbox", read_mbox)])]
ASSETS = [build_ingest_asset(contract, specs) for contract, specs in ENTITIES]
