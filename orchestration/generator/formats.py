"""The export files each source system writes: names, headers, encodings, file types.

One place decides, per source entity and activity day, which file a record goes to and in
which format (e.g. finance alternates GBK CSV, UTF-8-with-BOM CSV and xlsx, as different
clerks export differently). Row layouts live with the headers they fill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .sink import FileFormat

SF_LEAD = ("Id", "FirstName", "LastName", "Company", "Email", "Phone", "MobilePhone", "LeadSource", "Status",
           "Rating", "OwnerId", "CreatedDate", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
           "ConvertedOpportunityId", "IsConverted")
SF_OPPORTUNITY = ("Id", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "IsClosed",
                  "IsWon", "LeadSource", "OwnerId", "CreatedDate", "LastModifiedDate")
SF_HISTORY = ("Id", "OpportunityId", "StageName", "Amount", "Probability", "CloseDate", "CreatedDate",
              "CreatedById")
SF_TASK = ("Id", "WhoId", "WhatId", "Subject", "ActivityDate", "Type", "Status", "CreatedDate", "OwnerId")

CN_LEAD = ("线索编号", "客户名称", "联系人", "手机", "邮箱", "线索来源", "线索等级", "线索状态", "负责人", "创建时间",
           "转化时间", "转化商机编号")
CN_OPPORTUNITY = ("商机编号", "商机名称", "客户名称", "商机阶段", "预计金额", "赢率", "预计成交日期", "线索来源", "负责人",
                  "创建时间", "最后修改时间", "输单原因")
CN_HISTORY = ("变更编号", "商机编号", "商机阶段", "预计金额", "赢率", "预计成交日期", "阶段变更时间", "操作人")
CN_TASK = ("跟进编号", "线索编号", "商机编号", "跟进时间", "跟进方式", "跟进内容", "负责人")

INVOICE = ("发票代码", "发票号码", "开票日期", "销方识别号", "销方名称", "购方识别号", "购买方名称", "货物或应税劳务名称",
           "金额", "税率", "税额", "价税合计", "发票票种", "发票状态", "是否正数发票", "开票人", "备注")
BANK_RECEIPT = ("交易时间", "交易流水号", "对方户名", "对方账号", "对方开户行", "收入金额", "支出金额", "余额", "摘要")
MARKETING_SPEND = ("日期", "渠道", "花费", "展现", "点击")

CONTACT_PAGES = FileFormat("json_pages", list_key="external_contact_list")
CHAT_LINES = FileFormat("jsonl")
MBOX = FileFormat("mbox")
EML = FileFormat("eml")


@dataclass(frozen=True)
class Export:
    """One entity's export: the file stem and how each day's file is written."""

    source: str
    entity: str
    stem: str
    header: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    # Formats rotated by day: "csv:gbk", "csv:utf-8-sig", "csv:utf-8", "xlsx", "jsonl", ...
    rotation: tuple[str, ...] = ("csv:utf-8",)

    def fmt(self, day: date) -> FileFormat:
        return _format_for(self, day)

    def stem_for(self, day: date) -> str:
        return _stem_for(self.stem, day)


@lru_cache(maxsize=65536)
def _stem_for(stem: str, day: date) -> str:
    return f"{stem}_{day:%Y%m%d}"


@lru_cache(maxsize=65536)
def _format_for(export: Export, day: date) -> FileFormat:
    choice = export.rotation[day.toordinal() % len(export.rotation)]
    kind, _, encoding = choice.partition(":")
    if kind == "csv":
        return FileFormat("csv", export.header, encoding or "utf-8")
    if kind == "xlsx":
        return FileFormat("xlsx", export.header, numeric_columns=export.numeric)
    return {"jsonl": CHAT_LINES, "json_pages": CONTACT_PAGES, "mbox": MBOX, "eml": EML}[kind]


CRM_EXPORTS = {
    "salesforce": {
        "leads": Export("crm", "leads", "Lead", SF_LEAD),
        "opportunities": Export("crm", "opportunities", "Opportunity", SF_OPPORTUNITY),
        "opportunity_history": Export("crm", "opportunity_history", "OpportunityHistory", SF_HISTORY),
        "tasks": Export("crm", "tasks", "Task", SF_TASK),
    },
    "chinese_crm": {
        "leads": Export("crm", "leads", "线索", CN_LEAD, ("预计金额",), ("csv:gbk", "csv:gbk", "xlsx")),
        "opportunities": Export("crm", "opportunities", "商机", CN_OPPORTUNITY, ("预计金额", "赢率"),
                                ("csv:gbk", "csv:gbk", "xlsx")),
        "opportunity_history": Export("crm", "opportunity_history", "商机阶段变更", CN_HISTORY, ("预计金额", "赢率"),
                                      ("csv:gbk", "csv:gbk", "xlsx")),
        "tasks": Export("crm", "tasks", "跟进记录", CN_TASK, (), ("csv:gbk", "csv:gbk", "xlsx")),
    },
}
INVOICES = Export("finance", "invoices", "invoices", INVOICE, ("金额", "税额", "价税合计"),
                  ("csv:gbk", "csv:utf-8-sig", "xlsx"))
BANK_RECEIPTS = Export("finance", "bank_receipts", "bank_receipts", BANK_RECEIPT, ("收入金额", "支出金额", "余额"),
                       ("csv:gbk", "csv:gbk", "csv:gbk", "csv:gbk", "xlsx"))
SPEND = Export("finance", "marketing_spend", "marketing_spend", MARKETING_SPEND, ("花费", "展现", "点击"),
               ("csv:utf-8-sig",))
CONTACTS = Export("wecom", "external_contacts", "external_contacts", rotation=("json_pages",))
CHATS = Export("wecom", "messages", "chat_messages", rotation=("jsonl",))
MAILBOX = Export("email", "messages", "mailbox", rotation=("mbox",))
EML_EXPORT = Export("email", "messages", "msg", rotation=("eml",))
