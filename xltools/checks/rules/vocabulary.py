"""The choice values the rules test for, by their role in forms.yaml (declared there once)."""
from __future__ import annotations

from xltools.forms.schema import vocabulary

DECISION_MAKER = vocabulary("decision_chain", "role", "decision-maker")
DONE = vocabulary("solution", "done", "yes")
OPEN = vocabulary("objections", "status", "open")
AGREED, REJECTED = vocabulary("contracts", "decision", "agreed"), vocabulary("contracts", "decision", "rejected")
GM_STEP = vocabulary("contracts", "step", "general-manager")
PRICE = vocabulary("negotiations", "clause", "price")
WON_STAGE = vocabulary("pipeline", "stage", "won")
CLOSED_WON = vocabulary("pipeline", "forecast", "won")
COMMIT = vocabulary("pipeline", "forecast", "commit")
CLOSED_FORECASTS = {CLOSED_WON, vocabulary("pipeline", "forecast", "lost")}
RETENTION = vocabulary("collections", "milestone", "retention")
REBATE_COMMITTED = {vocabulary("rebates", "status", "promised"), vocabulary("rebates", "status", "paid")}
REBATE_AGREED = vocabulary("rebates", "decision", "agreed")
AMOUNT_TOLERANCE = 1e-6
