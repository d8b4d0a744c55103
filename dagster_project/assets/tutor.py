"""Tutor assets: retrieval-level evaluation of the AI tutor after each re-index.

Thin wrapper over :func:`rag.tutor.eval.retrieval_eval.evaluate_retrieval` (no LLM:
it checks that the right sources reach the prompt and that the refusal gate
fires on out-of-scope questions). The full answer-level eval needs a running
tutor: ``suuupra eval tutor``.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MaterializeResult,
    MetadataValue,
    asset,
)

from dagster_project.resources import QdrantResource

MIN_HIT_AT_K = 0.7


@asset(
    deps=["docs_search_index"],
    group_name="tutor",
    owners=["team:tutor"],
    kinds={"python", "qdrant"},
    description="Tutor retrieval eval over the committed Python-docs question set: hit@k of the sources "
    "packed into the prompt, and refusal-gate correctness.",
    # the check is computed from the same eval run (one pass over the question set, not two)
    check_specs=[
        AssetCheckSpec(
            "tutor_retrieval_hit_rate",
            asset="tutor_retrieval_eval",
            description=f"hit@k of tutor sources is at least {MIN_HIT_AT_K}",
        )
    ],
)
def tutor_retrieval_eval(qdrant: QdrantResource) -> MaterializeResult:
    from rag.tutor.eval.retrieval_eval import evaluate_retrieval
    from rag.tutor.pipeline import TutorPipeline

    r = evaluate_retrieval(TutorPipeline(qdrant.settings()))  # the index of the resource's settings
    misses = [row for row in r["rows"] if row["kind"] == "answer" and not row["hit"]]
    table = "| question | top source |\n|---|---|\n" + "\n".join(
        f"| {m['id']} | {(m['top'] or ['-'])[0]} |" for m in misses[:20]
    )
    hit = float(r["hit_at_k"] or 0.0)
    refused = float(r["refused_when_out_of_scope"] or 0.0)
    return MaterializeResult(
        metadata={
            "questions": r["questions"],
            "hit_at_k": MetadataValue.float(hit),
            "hit_at_1": MetadataValue.float(float(r["hit_at_1"] or 0.0)),
            "answered_when_answerable": MetadataValue.float(float(r["answered_when_answerable"] or 0.0)),
            "refused_when_out_of_scope": MetadataValue.float(refused),
            "prepare_ms_p50": MetadataValue.float(float(r["prepare_ms_p50"] or 0.0)),
            "misses": MetadataValue.md(table if misses else "none"),
        },
        check_results=[
            AssetCheckResult(
                check_name="tutor_retrieval_hit_rate",
                passed=hit >= MIN_HIT_AT_K,
                severity=AssetCheckSeverity.WARN,
                metadata={"hit_at_k": hit, "refused_when_out_of_scope": refused},
            )
        ],
    )


ASSETS = [tutor_retrieval_eval]
