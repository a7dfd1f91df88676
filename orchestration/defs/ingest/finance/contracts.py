"""Contracts of the finance exports; headers exactly as the e-invoice platform and banks write them."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

INVOICES = EntityContract(
    source="finance",
    entity="invoices",
    description="VAT e-invoices (数电发票) exported from the e-invoice service platform.",
    fields=[
        Field("invoice_code", header="发票代码", description="invoice code of paper-era invoices; empty for 数电票"),
        Field("invoice_number", required=True, header="发票号码", aliases=("数电票号码",), description="invoice number (20 digits for 数电票)"),
        Field("issued_at", "timestamp", required=True, header="开票日期", description="issue time, Asia/Shanghai"),
        Field("seller_tax_id", header="销方识别号", description="seller's credit code (our company)"),
        Field("seller_name", header="销方名称", description="seller's name (our company)"),
        Field("buyer_tax_id", header="购方识别号", description="buyer's unified social credit code"),
        Field("buyer_name", required=True, header="购买方名称", description="buyer company as invoiced"),
        Field("item_name", header="货物或应税劳务名称", description="goods or service invoiced"),
        Field("amount_net", "money", required=True, header="金额", description="amount before tax, CNY; negative on a red-letter invoice"),
        Field("tax_rate", "rate", header="税率", description="VAT rate"),
        Field("tax_amount", "money", header="税额", description="VAT, CNY"),
        Field("amount_total", "money", required=True, header="价税合计", description="amount incl. tax, CNY"),
        Field("invoice_type", header="发票票种", description="invoice kind, e.g. 数电票（增值税专用发票）"),
        Field("invoice_status", header="发票状态", description="正常 / 已作废 / 已红冲"),
        Field("is_positive", "boolean", header="是否正数发票", description="否 = red-letter reversal"),
        Field("issuer", header="开票人", description="clerk who issued it"),
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
        Field("transacted_at", "timestamp", required=True, header="交易时间", description="booking time, Asia/Shanghai"),
        Field("transaction_id", required=True, header="交易流水号", description="the bank's transaction id"),
        Field("counterparty_name", header="对方户名", description="payer's account name (usually the company)"),
        Field("counterparty_account", header="对方账号", description="payer's account number"),
        Field("counterparty_bank", header="对方开户行", description="payer's bank"),
        Field("amount_in", "money", header="收入金额", description="money received, CNY"),
        Field("amount_out", "money", header="支出金额", description="money paid out, CNY"),
        Field("balance", "money", header="余额", description="account balance after the line"),
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
        Field("spend_date", "date", required=True, header="日期", description="the day of the spend"),
        Field("channel", required=True, header="渠道", description="channel as marketing names it (channel_map seed)"),
        Field("spend", "money", required=True, header="花费", description="CNY"),
        Field("impressions", "integer", header="展现", description="ad impressions"),
        Field("clicks", "integer", header="点击", description="clicks"),
    ],
)
