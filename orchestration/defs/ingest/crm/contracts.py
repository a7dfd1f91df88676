"""Contracts of the CRM entities. Headers are Salesforce API field names (timestamps UTC ISO 8601);
other CRM shapes map their own headers onto these fields (``systems/*.yaml``)."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

LEADS = EntityContract(
    source="crm",
    entity="leads",
    description="CRM leads: Salesforce Lead, or 线索 of a Chinese CRM.",
    fields=[
        Field("lead_id", required=True, header="Id", description="the lead's id in the CRM"),
        Field("first_name", header="FirstName", description="given name"),
        Field("last_name", header="LastName", description="family name (a Chinese CRM's 联系人 full name lands here)"),
        Field("company", header="Company", description="company as typed on the lead"),
        Field("email", header="Email", description="contact e-mail as typed"),
        Field("phone", header="Phone", description="landline or mobile, free format"),
        Field("mobile_phone", header="MobilePhone", description="mobile, free format"),
        Field("lead_source", header="LeadSource", description="acquisition channel"),
        Field("status", required=True, header="Status", description="lead status in the CRM's own words (stage_map seed, record_type lead)"),
        Field("rating", header="Rating", description="lead grade (Hot/Warm/Cold, A/B/C)"),
        Field("owner_id", header="OwnerId", description="the owning rep (user id or name)"),
        Field("created_at", "timestamp", required=True, header="CreatedDate", description="when the record was created"),
        Field("converted_date", "date", header="ConvertedDate", description="day the lead was converted"),
        Field("converted_account_id", header="ConvertedAccountId", description="account created on conversion"),
        Field("converted_contact_id", header="ConvertedContactId", description="contact created on conversion"),
        Field("converted_opportunity_id", header="ConvertedOpportunityId", description="opportunity the lead became"),
        Field("is_converted", "boolean", header="IsConverted", description="whether the lead was converted"),
    ],
    derived=[
        Derived("mobile_e164", "text",
                lambda r: normalise.mobile_e164(r["mobile_phone"]) or normalise.mobile_e164(r["phone"])),
        Derived("email_norm", "text", lambda r: normalise.email_address(r["email"])),
        Derived("company_norm", "text", lambda r: normalise.company_name(r["company"]), "company-name matching key"),
    ],
)

OPPORTUNITIES = EntityContract(
    source="crm",
    entity="opportunities",
    description="CRM opportunities in their current state: Salesforce Opportunity, or 商机.",
    fields=[
        Field("opportunity_id", required=True, header="Id", description="the opportunity's id in the CRM"),
        Field("account_id", header="AccountId", description="the customer account"),
        Field("name", header="Name", description="opportunity name"),
        Field("account_name", header="Account.Name", description="customer company, when the export has it"),
        Field("stage_name", required=True, header="StageName", description="stage in the CRM's own words (stage_map seed)"),
        Field("amount", "money", header="Amount", description="expected deal amount, CNY"),
        Field("probability", "integer", header="Probability", description="win probability the CRM assigns to the stage, %"),
        Field("close_date", "date", header="CloseDate", description="expected or actual close day"),
        Field("is_closed", "boolean", header="IsClosed", description="closed (won or lost)"),
        Field("is_won", "boolean", header="IsWon", description="closed won"),
        Field("lead_source", header="LeadSource", description="acquisition channel as the CRM writes it"),
        Field("owner_id", header="OwnerId", description="the owning rep (user id or name)"),
        Field("created_at", "timestamp", required=True, header="CreatedDate", description="when the record was created"),
        Field("last_modified_at", "timestamp", header="LastModifiedDate", description="last change of the record"),
        Field("loss_reason", header="Loss_Reason__c", description="why a lost deal was lost (custom field)"),
    ],
)

OPPORTUNITY_HISTORY = EntityContract(
    source="crm",
    entity="opportunity_history",
    description="One row per stage change of an opportunity (the stage-move source): Salesforce OpportunityHistory, or 商机阶段变更.",
    fields=[
        Field("history_id", required=True, header="Id", description="id of the stage-change record"),
        Field("opportunity_id", required=True, header="OpportunityId", description="the opportunity that changed"),
        Field("stage_name", required=True, header="StageName", description="stage in the CRM's own words (stage_map seed)"),
        Field("amount", "money", header="Amount", description="expected deal amount, CNY"),
        Field("probability", "integer", header="Probability", description="win probability the CRM assigns to the stage, %"),
        Field("close_date", "date", header="CloseDate", description="expected or actual close day"),
        Field("created_at", "timestamp", required=True, header="CreatedDate", description="when the record was created"),
        Field("created_by_id", header="CreatedById", description="who made the change"),
    ],
)

TASKS = EntityContract(
    source="crm",
    entity="tasks",
    description="Calls and visits logged by reps: Salesforce Task, or 跟进记录.",
    fields=[
        Field("task_id", required=True, header="Id", description="the activity's id"),
        Field("who_id", header="WhoId", description="the lead or contact"),
        Field("what_id", header="WhatId", description="the opportunity or account"),
        Field("subject", header="Subject", description="what was done or said"),
        Field("activity_date", "date", header="ActivityDate", description="day of the activity"),
        Field("task_type", header="Type", description="Call, Meeting, 电话, 上门拜访 …"),
        Field("status", header="Status", description="activity status (Completed …)"),
        Field("created_at", "timestamp", required=True, header="CreatedDate", description="when the record was created"),
        Field("owner_id", header="OwnerId", description="the owning rep (user id or name)"),
    ],
)
