"""The schema's words the sample writes (forms.yaml, looked up by role), so they are spelled once."""
from __future__ import annotations

from xltools.forms.schema import load_schema, vocabulary

_STAGE = load_schema().sheets["pipeline"].field("stage")
STAGES = _STAGE.choice_values()
"""The pipeline stages in order, "1 确定" to "6 收回全款"."""
WON_STAGE = vocabulary("pipeline", "stage", "won")
COMMITTED_STAGE = STAGES[4]

PIPELINE, UPSIDE, COMMIT, WON, LOST = (vocabulary("pipeline", "forecast", role)
                                       for role in ("pipeline", "upside", "commit", "won", "lost"))
CLOSED = (WON, LOST)
FORECAST_OF_STAGE = {1: PIPELINE, 2: PIPELINE, 3: UPSIDE, 4: UPSIDE, 5: COMMIT}
"""The forecast a rep gives an open deal at each stage number: commit from stage 5 on (stage-gate-commit)."""

DONE, NOT_DONE = vocabulary("solution", "done", "yes"), vocabulary("solution", "done", "no")
DECISION_MAKER = vocabulary("decision_chain", "role", "decision-maker")
OPEN, RESOLVED = vocabulary("objections", "status", "open"), vocabulary("objections", "status", "resolved")
PRICE = vocabulary("negotiations", "clause", "price")

APPROVAL_STEPS = load_schema().sheets["contracts"].field("step").choice_values()
"""The contract's approval chain in order: sales manager, legal, general manager."""
GM_STEP = vocabulary("contracts", "step", "general-manager")
AGREED, REJECTED, PENDING = (vocabulary("contracts", "decision", role) for role in ("agreed", "rejected", "pending"))

RETENTION = vocabulary("collections", "milestone", "retention")

REBATE_STEPS = load_schema().sheets["rebates"].field("step").choice_values()
"""A rebate's approval chain in order: key account manager, marketing centre, general manager."""
REBATE_AGREED, REBATE_PENDING = (vocabulary("rebates", "decision", role) for role in ("agreed", "pending"))
REBATE_PAID = vocabulary("rebates", "status", "paid")


def stage_probability(stage: str) -> float:
    """The win probability the schema gives a stage."""
    return {c.value: c.probability for c in _STAGE.choices}[stage]
