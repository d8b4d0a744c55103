"""apps_api assets: relay the transactional outbox to the lake, and check the ledger.

Thin wrappers over :mod:`apps_api.ops`; nothing heavy happens at import time.
"""

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from dagster_project.resources import DatabaseResource, EventLogResource


@asset(
    group_name="apps_api",
    owners=["team:apps_api"],
    kinds={"python", "sqlalchemy"},
    description="The API database at the migration head, seeded with the demo world's published "
    "catalog (same course ids as the events, the recommender and the search index).",
)
def api_database(context: AssetExecutionContext, database: DatabaseResource) -> MaterializeResult:
    from apps_api.seed import seed_demo_catalog

    counts = seed_demo_catalog(database.settings())
    return MaterializeResult(metadata={k: MetadataValue.int(v) for k, v in counts.items()})


@asset(
    group_name="apps_api",
    owners=["team:apps_api"],
    kinds={"python", "sqlalchemy", "jsonl"},
    deps=[api_database],
    description="Publishes pending API outbox events (orders, payments, enrollments...) to the event log "
    "(at-least-once; consumers dedup by event_id).",
)
def api_outbox_events(
    context: AssetExecutionContext, database: DatabaseResource, event_log: EventLogResource
) -> MaterializeResult:
    from apps_api.ops import relay_outbox

    counts = relay_outbox(database.settings(event_log))  # reads the outbox, appends to the event log
    context.log.info(f"published {counts['published']} outbox events")
    return MaterializeResult(metadata={
        "published": MetadataValue.int(counts["published"]),
        "pending_after": MetadataValue.int(counts["pending"]),
        "outbox_rows": MetadataValue.int(counts["total"]),
    })


@asset_check(asset=api_outbox_events, description="Double-entry ledger: debits equal credits, every "
             "entry balanced, no account below zero.")
def ledger_trial_balance_check(database: DatabaseResource) -> AssetCheckResult:
    from apps_api.ops import ledger_trial_balance

    tb = ledger_trial_balance(database.settings())
    negative = [a["account"] for a in tb["accounts"] if a["balance_minor"] < 0]
    rows = "\n".join(f"| {a['account']} | {a['currency']} | {a['debit_minor']:,} | {a['credit_minor']:,} | "
                     f"{a['balance_minor']:,} |" for a in tb["accounts"][:30])
    table = "| account | cur | debit | credit | balance |\n|---|---|---:|---:|---:|\n" + rows
    return AssetCheckResult(
        passed=bool(tb["balanced"]) and not tb["unbalanced_entries"] and not negative,
        metadata={"entries": MetadataValue.int(tb["entries"]),
                  "unbalanced_entries": MetadataValue.int(len(tb["unbalanced_entries"])),
                  "negative_accounts": MetadataValue.int(len(negative)),
                  "trial_balance": MetadataValue.md(table)},
    )


ASSETS = [api_database, api_outbox_events]
ASSET_CHECKS = [ledger_trial_balance_check]
