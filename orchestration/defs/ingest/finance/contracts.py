"""Contracts of the finance exports; headers exactly as the e-invoice platform and banks write them."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

INVOICES = EntityContract(
    source="finance",
    entity="invoices",
    description="VAT e-invoices (数电发票) exported from the e-invoice service platform.",
    fields=[
        Field("invoice_code", header="发票代码"),
        Field("invoice_number", required=True, header="发票号码", aliases=("数电票号码",)),
        Field("issued_at", "timestamp", required=True, header="开票日期"),
        Field("seller_tax_id", header="销方识别号"),
        Field("seller_name", header="销方名称"),
        Field("buyer_tax_id", header="购方识别号", description="buyer's unified social credit code"),
        Field("buyer_name", required=True, header="购买方名称"),
        Field("item_name", header="货物或应税劳务名称"),
        Field("amount_net", "money", required=True, header="金额"),
        Field("tax_rate", "rate", header="税率"),
        Field("tax_amount", "money", header="税额"),
        Field("amount_total", "money", required=True, header="价税合计"),
        Field("invoice_type", header="发票票种"),
        Field("invoice_status", header="发票状态", description="正常 / 已作废 / 已红冲"),
        Field("is_positive", "boolean", header="是否正数发票", description="否 = red-letter reversal"),
        Field("issuer", header="开票人"),
        Field("remark", header="备注", description="a reversal names the original invoice here"),
    ],
    derived=[
        Derived("buyer_credit_code", "text", lambda r: normalise.credit_code(r["buyer_tax_id"]),
                "buyer tax id when its GB 32100 check character is right"),
        Derived("buyer_name_norm", "text", lambda r: normalise.company_name(r["buyer_name"]),
                "company-name matching key"),
    ],
)

BANK_RECEIPTS = EntityContract(
    source="finance",
    entity="bank_receipts",
    description="Bank statement lines (银行流水) of the receiving account.",
    fields=[
        Field("transacted_at", "timestamp", required=True, header="交易时间"),
        Field("transaction_id", required=True, header="交易流水号"),
        Field("counterparty_name", header="对方户名"),
        Field("counterparty_account", header="对方账号"),
        Field("counterparty_bank", header="对方开户行"),
        Field("amount_in", "money", header="收入金额"),
        Field("amount_out", "money", header="支出金额"),
        Field("balance", "money", header="余额"),
        Field("memo", header="摘要", description="often names an invoice or contract number"),
    ],
    derived=[
        Derived("counterparty_name_norm", "text", lambda r: normalise.company_name(r["counterparty_name"]),
                "company-name matching key"),
    ],
)

MARKETING_SPEND = EntityContract(
    source="finance",
    entity="marketing_spend",
    description="Marketing spend by day and channel, for CAC and channel ROI.",
    fields=[
        Field("spend_date", "date", required=True, header="日期"),
        Field("channel", required=True, header="渠道", description="channel as marketing names it (channel_map seed)"),
        Field("spend", "money", required=True, header="花费", description="CNY"),
        Field("impressions", "integer", header="展现"),
        Field("clicks", "integer", header="点击"),
    ],
)
