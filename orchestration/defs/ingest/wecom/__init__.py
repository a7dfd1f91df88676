"""WeCom (企业微信): external contacts (客户联系) and the decrypted chat archive (会话内容存档)."""

from functools import partial

from orchestration.defs.ingest.factory import build_ingest_asset
from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_json_lines, read_json_pages

from .contracts import EXTERNAL_CONTACTS, MESSAGES

ASSETS = [
    build_ingest_asset(
        EXTERNAL_CONTACTS,
        [FileSpec("external_contacts*.json", partial(read_json_pages, list_key="external_contact_list"))],
    ),
    build_ingest_asset(MESSAGES, [FileSpec("chat_messages*.jsonl", read_json_lines)]),
]
