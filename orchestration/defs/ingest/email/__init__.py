"""Email: RFC 5322 messages exported from the mail server (.mbox) or a client (.eml)."""

from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_eml, read_mbox

from .contracts import MESSAGES

ENTITIES = [(MESSAGES, [FileSpec("*.eml", read_eml), FileSpec("*.mbox", read_mbox)])]
