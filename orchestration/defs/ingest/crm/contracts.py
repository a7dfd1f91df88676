"""Contracts of the CRM entities. Headers are Salesforce API field names (timestamps UTC ISO 8601);
other CRM shapes map their own headers onto these fields (``systems/*.yaml``)."""

from orchestration.lib import normalise
from orchestration.lib.contracts import Derived, EntityContract, Field

LEADS = EntityContract(
    source="crm",
    entity="leads",
    description="Salesforce Lead records.",
    fields=[
        Field("lead_id", required=True, header="Id"),
        Field("first_name", header="FirstName"),
        Field("last_name", header="LastName"),
        Field("company", header="Company"),
        Field("email", header="Email"),
        Field("phone", header="Phone"),
        Field("mobile_phone", header="MobilePhone"),
        Field("lead_source", header="LeadSource", description="acquisition channel"),
        Field("status", required=True, header="Status"),
        Field("rating", header="Rating"),
        Field("owner_id", header="OwnerId"),
        Field("created_at", "timestamp", required=True, header="CreatedDate"),
        Field("converted_date", "date", header="ConvertedDate"),
        Field("converted_account_id", header="ConvertedAccountId"),
        Field("converted_contact_id", header="ConvertedContactId"),
        Field("converted_opportunity_id", header="ConvertedOpportunityId"),
        Field("is_converted", "boolean", header="IsConverted"),
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
    description="Salesforce Opportunity records (current state).",
    fields=[
        Field("opportunity_id", required=True, header="Id"),
        Field("account_id", header="AccountId"),
        Field("name", header="Name"),
        Field("account_name", header="Account.Name", description="customer company, when the export has it"),
        Field("stage_name", required=True, header="StageName"),
        Field("amount", "money", header="Amount"),
        Field("probability", "integer", header="Probability"),
        Field("close_date", "date", header="CloseDate"),
        Field("is_closed", "boolean", header="IsClosed"),
        Field("is_won", "boolean", header="IsWon"),
        Field("lead_source", header="LeadSource"),
        Field("owner_id", header="OwnerId"),
        Field("created_at", "timestamp", required=True, header="CreatedDate"),
        Field("last_modified_at", "timestamp", header="LastModifiedDate"),
        Field("loss_reason", header="Loss_Reason__c", description="why a lost deal was lost (custom field)"),
    ],
)

OPPORTUNITY_HISTORY = EntityContract(
    source="crm",
    entity="opportunity_history",
    description="Salesforce OpportunityHistory: one row per change of an opportunity (the stage-move source).",
    fields=[
        Field("history_id", required=True, header="Id"),
        Field("opportunity_id", required=True, header="OpportunityId"),
        Field("stage_name", required=True, header="StageName"),
        Field("amount", "money", header="Amount"),
        Field("probability", "integer", header="Probability"),
        Field("close_date", "date", header="CloseDate"),
        Field("created_at", "timestamp", required=True, header="CreatedDate"),
        Field("created_by_id", header="CreatedById"),
    ],
)

TASKS = EntityContract(
    source="crm",
    entity="tasks",
    description="Salesforce Task records: calls and visits logged by reps.",
    fields=[
        Field("task_id", required=True, header="Id"),
        Field("who_id", header="WhoId", description="the lead or contact"),
        Field("what_id", header="WhatId", description="the opportunity or account"),
        Field("subject", header="Subject"),
        Field("activity_date", "date", header="ActivityDate"),
        Field("task_type", header="Type"),
        Field("status", header="Status"),
        Field("created_at", "timestamp", required=True, header="CreatedDate"),
        Field("owner_id", header="OwnerId"),
    ],
)
