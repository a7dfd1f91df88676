"""Reference data of the simulated company: channels, reps, stage names, vocabularies.

Everything here is plain data; behaviour (who converts, how fast reps answer) is driven by
these numbers in ``lifecycle``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    """An acquisition channel as each system names it, and its lead quality."""

    name: str  # Salesforce LeadSource
    chinese: str  # 线索来源 in the Chinese CRM, 渠道 in the spend export
    wecom_state: str  # WeCom contact-way `state`
    weight: int  # share of new customers
    # P(lead → intent), P(intent → proposal), P(proposal → negotiation), P(negotiation → won)
    advance: tuple[float, float, float, float]
    daily_spend: float  # CNY per day at 1,000 customers over the window (scaled by volume)
    cost_per_click: float


CHANNELS: tuple[Channel, ...] = (
    Channel("Baidu Ads", "百度推广", "ad_baidu_2025q3", 30, (0.30, 0.55, 0.60, 0.45), 900.0, 6.5),
    Channel("Website", "官网表单", "web_form", 25, (0.40, 0.60, 0.65, 0.50), 150.0, 1.2),
    Channel("Trade Show", "展会", "expo_sh", 15, (0.50, 0.65, 0.65, 0.55), 1200.0, 40.0),
    Channel("Partner Referral", "客户转介绍", "referral", 10, (0.65, 0.70, 0.75, 0.60), 200.0, 15.0),
    Channel("WeChat", "企业微信", "wecom_qr", 20, (0.35, 0.55, 0.60, 0.50), 300.0, 2.0),
)
REPEAT_CHANNEL = ("Existing Customer", "老客户")


@dataclass(frozen=True)
class Rep:
    """A sales rep: Salesforce user id, WeCom userid, name, and how fast they answer."""

    salesforce_id: str
    wecom_userid: str
    name: str
    median_response_minutes: float


REPS: tuple[Rep, ...] = (
    Rep("0055g00000AbC001", "zhangmin", "张敏", 8),
    Rep("0055g00000AbC002", "liqiang", "李强", 25),
    Rep("0055g00000AbC003", "wangfang", "王芳", 45),
    Rep("0055g00000AbC004", "chenjie", "陈杰", 120),
    Rep("0055g00000AbC005", "liuyang", "刘洋", 15),
    Rep("0055g00000AbC006", "zhaolei", "赵磊", 300),
    Rep("0055g00000AbC007", "sunli", "孙丽", 60),
    Rep("0055g00000AbC008", "zhoujing", "周静", 30),
)

# Canonical stage → the vendor's stage names. Salesforce orgs differ: a canonical stage may
# span two of their names.
SALESFORCE_STAGES = {
    "intent": ("Qualification", "Needs Analysis", "Prospecting"),
    "proposal": ("Proposal/Price Quote", "Value Proposition"),
    "negotiation": ("Negotiation/Review",),
    "won": ("Closed Won",),
    "lost": ("Closed Lost",),
}
CHINESE_STAGES = {
    "intent": ("需求沟通",),
    "proposal": ("方案报价",),
    "negotiation": ("谈判签约",),
    "won": ("赢单",),
    "lost": ("输单",),
}
STAGE_PROBABILITY = {"intent": 20, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}
FUNNEL = ("intent", "proposal", "negotiation", "won")

LEAD_STATUS = {
    "salesforce": {"new": "Open - Not Contacted", "working": "Working - Contacted",
                   "converted": "Closed - Converted", "dropped": "Closed - Not Converted"},
    "chinese_crm": {"new": "待跟进", "working": "跟进中", "converted": "已转化", "dropped": "无效"},
}
LOSS_REASONS = ("价格太高", "选择了竞品", "预算取消", "需求变更", "联系不上")

MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "159", "182", "186", "187", "188")
# A number typed into many records: a front desk, a test entry. Identity resolution must not
# merge everyone who carries it.
JUNK_MOBILE = "13800138000"
SURNAMES = (("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
            ("赵", "zhao"), ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"),
            ("胡", "hu"), ("朱", "zhu"), ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"))
GIVEN = ("伟", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "建华", "晓东",
         "丽", "强", "敏", "芳", "鹏", "婷", "浩", "宇", "欣怡")
CITIES = ("北京", "上海", "深圳", "杭州", "成都", "苏州", "南京", "武汉", "广州", "天津", "重庆", "西安",
          "长沙", "青岛", "厦门", "宁波", "合肥", "郑州", "济南", "福州", "无锡", "东莞", "佛山", "昆明",
          "大连", "沈阳", "哈尔滨", "南昌", "贵阳", "南宁")
CORES = ("华通", "恒信", "瑞达", "新元", "博远", "天成", "联创", "中科", "金桥", "安泰", "宏图", "智联",
         "鼎盛", "同辉", "嘉禾", "启明", "永安", "东方", "海纳", "聚源", "信达", "长风", "锦程", "远景",
         "明德", "凯盛", "泰和", "万通", "广厦", "恒达", "正阳", "佳宁", "春晖", "云帆", "卓越", "创新",
         "和润", "立信", "盛世", "宝华", "晨光", "汇丰", "众合", "天宇", "隆基", "九州", "百川", "青松",
         "华夏", "兴业")
TRADES = ("信息科技", "智能制造", "医疗器械", "新材料", "物流", "电子商务", "教育科技", "环保工程",
          "生物医药", "网络技术", "精密机械", "食品", "建筑工程", "新能源", "文化传媒", "企业管理咨询")
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司")
# Characters a finance clerk or rep mistypes for each other (same pinyin or look).
TYPO_PAIRS = {"华": "化", "信": "新", "达": "大", "元": "园", "通": "同", "博": "搏", "成": "诚", "联": "连",
              "科": "可", "金": "今", "泰": "太", "图": "途", "智": "志", "技": "计", "源": "原", "明": "名"}
PRODUCTS = ("标准版", "专业版", "企业版", "旗舰版")
DEAL_SIZES = (19800, 39800, 68000, 128000, 256000)

INBOUND_TEXTS = ("你好，想了解一下你们的产品", "价格能再优惠一些吗？", "我们在对比几家供应商", "方案收到了，内部在讨论",
                 "合同什么时候可以发过来？", "好的，谢谢", "能安排一次线上演示吗？", "发票开好了吗？")
OUTBOUND_TEXTS = ("您好，我是您的客户经理，很高兴为您服务", "给您发一份产品方案，请查收", "报价单已发送，有问题随时联系",
                  "请问下周方便安排一次演示吗？", "合同已发送，请查收", "使用上有什么问题随时找我")
FOLLOW_UP_TEXTS = ("您好，系统用得还顺利吗？", "回访一下，最近使用有什么建议吗？", "新版本上线了，给您介绍一下新功能")
EMAIL_SUBJECTS = ("咨询：产品报价", "关于采购方案的问题", "合作意向", "试用申请", "续费咨询")

SELLER_NAME = "上海示例软件有限公司"
SELLER_CREDIT_CODE = "91310000MA1FL0Q91X"
COMPANY_DOMAIN = "ourcompany.cn"
