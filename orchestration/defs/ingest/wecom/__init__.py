"""WeCom (企业微信): external contacts (客户联系) and the decrypted chat archive (会话内容存档)."""

from functools import partial

from orchestration.lib.loader import FileSpec
from orchestration.lib.readers import read_json_lines, read_json_pages

from .contracts import EXTERNAL_CONTACTS, MESSAGES

ENTITIES = [
    (EXTERNAL_CONTACTS, [FileSpec(pattern, partial(read_json_pages, list_key="external_contact_list"))
                         for pattern in ("external_contacts*.json", "external_contacts*.jsonl")]),
    (MESSAGES, [FileSpec("chat_messages*.jsonl", read_json_lines)]),
]
